/**
 * `osd lab inspect`: what is on a lab machine's disks, read back from the disk images with the
 * same tools an admin would use: partition tables, file systems and the files that tell how a
 * deployment went (the OS, the answer file, staged drivers, the boot files).
 */
import { readPartitionTable, type PartitionInfo } from '../storage/disk/partition-table.js';
import { openVolume } from '../storage/volume/open.js';
import type { LabMachine } from './lab-machine.js';

export const KEY_FILES = [
  'Windows/System32/kernel32.dll',
  'Windows/Panther/Unattend/Unattend.xml',
  '_SMSTaskSequence/PkgMgrTemp/drivers.xml',
  '_SMSTaskSequence/drivers',
  'EFI',
  'edition.txt',
  'Users',
] as const;

export interface InspectedPartition extends PartitionInfo {
  letter?: string;
  fileSystem?: string;
  files?: string[];
  keyFiles?: Record<string, boolean>;
  error?: string;
}

export interface InspectedDisk {
  index: number;
  file: string;
  sizeBytes: number;
  style?: 'gpt' | 'mbr';
  partitions: InspectedPartition[];
}

export async function inspectLab(lab: LabMachine): Promise<{ name: string; disks: InspectedDisk[]; boots: LabMachine['boots'] }> {
  const disks: InspectedDisk[] = [];
  for (const d of lab.diskImages) {
    const path = lab.diskPath(d.index);
    const table = await readPartitionTable(path);
    const partitions: InspectedPartition[] = [];
    for (const p of table?.partitions ?? []) {
      const out: InspectedPartition = { ...p, letter: lab.drives().find((a) => a.disk === d.index && a.partition === p.number)?.letter };
      if (p.kind !== 'msr') {
        try {
          const vol = await openVolume(path, p, lab.workDir);
          out.fileSystem = vol.description;
          out.files = (await vol.list('')).map((e) => `${e.name}${e.type === 'directory' ? '/' : ''}`);
          out.keyFiles = {};
          for (const f of KEY_FILES) out.keyFiles[f] = await vol.exists(f);
        } catch (e) {
          out.error = (e as Error).message;
        }
      }
      partitions.push(out);
    }
    disks.push({ index: d.index, file: d.file, sizeBytes: d.sizeBytes, style: table?.style, partitions });
  }
  return { name: lab.name, disks, boots: lab.boots };
}

export function formatInspection(r: Awaited<ReturnType<typeof inspectLab>>): string {
  const mib = (n: number): string => `${Math.round(n / 1048576)} MiB`;
  const lines = [`${r.name}`];
  for (const d of r.disks) {
    lines.push(`disk ${d.index} (${d.file}, ${mib(d.sizeBytes)}): ${d.style ? d.style.toUpperCase() : 'blank (no partition table)'}`);
    for (const p of d.partitions) {
      lines.push(
        `  ${p.number}. ${p.kind.padEnd(8)} ${mib(p.sizeBytes).padStart(10)}  ${p.letter ?? '  '}  ${p.fileSystem ?? (p.error ? `unreadable: ${p.error}` : '-')}${p.name ? `  "${p.name}"` : ''}${p.bootable ? '  active' : ''}`,
      );
      if (p.files?.length) lines.push(`       ${p.files.slice(0, 12).join('  ')}${p.files.length > 12 ? '  …' : ''}`);
      const present = Object.entries(p.keyFiles ?? {})
        .filter(([, v]) => v)
        .map(([k]) => k);
      if (present.length) lines.push(`       has: ${present.join(', ')}`);
    }
  }
  if (r.boots.length) {
    lines.push('boots:');
    for (const b of r.boots) lines.push(`  ${b.at}  ${b.sequence}: ${b.result.toUpperCase()}${b.message ? ` (${b.message})` : ''}`);
  }
  return lines.join('\n');
}

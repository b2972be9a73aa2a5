/**
 * `osd lab inspect`: what is on a lab machine's disks, read back from the disk images with the
 * same tools an admin would use: partition tables, file systems and the files that tell how a
 * deployment went (the OS, the answer file, staged drivers, the boot files, Setup's and the
 * client's logs) and an installed Windows' settings from its registry.
 */
import type { VolumeFiles } from '../actions/computer.js';
import { OfflineRegistry } from '../actions/os/registry.js';
import { type InstalledSettings, KEYS, readInstalledSettings } from '../actions/os/windows-setup.js';
import { readPartitionTable, type PartitionInfo } from '../storage/disk/partition-table.js';
import { openVolume } from '../storage/volume/open.js';
import type { LabMachine } from './lab-machine.js';

export const KEY_FILES = [
  'Windows/System32/kernel32.dll',
  'Windows/Panther/Unattend/Unattend.xml',
  'Windows/Panther/setupact.log',
  'Windows/ccmsetup/Logs/ccmsetup.log',
  'Windows/CCM/Logs/smsts.log',
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
  /** An installed Windows' settings, read from its registry (docs/full-os.md). */
  os?: InstalledSettings & { client?: string; administrator?: 'enabled' | 'disabled'; error?: string };
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
          const vol = await openVolume(path, p, lab.workDir, { direct: true });
          out.fileSystem = vol.description;
          out.files = (await vol.list('')).map((e) => `${e.name}${e.type === 'directory' ? '/' : ''}`);
          out.keyFiles = {};
          for (const f of KEY_FILES) out.keyFiles[f] = await vol.exists(f);
          if (await vol.exists('Windows/System32/config/SYSTEM')) out.os = await installedOs(vol);
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

async function installedOs(vol: VolumeFiles): Promise<NonNullable<InspectedPartition['os']>> {
  try {
    const reg = await OfflineRegistry.open(vol);
    const enabled = await reg.getDword(KEYS.administrator, 'Enabled');
    return {
      ...(await readInstalledSettings(reg)),
      client: await reg.getString(KEYS.mobileClient, 'ProductVersion'),
      ...(enabled === undefined ? {} : { administrator: enabled ? 'enabled' : 'disabled' }),
    };
  } catch (e) {
    return { error: (e as Error).message };
  }
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
      const os = p.os;
      if (os?.error) lines.push(`       OS registry unreadable: ${os.error}`);
      else if (os) {
        const facts = [
          os.computerName ?? '(no computer name)',
          os.domain ? `domain ${os.domain}` : os.workgroup ? `workgroup ${os.workgroup}` : undefined,
          os.timeZone,
          os.client ? `ConfigMgr client ${os.client}` : 'no ConfigMgr client',
          os.administrator ? `Administrator ${os.administrator}` : undefined,
        ].filter(Boolean);
        lines.push(`       OS: ${facts.join(', ')}`);
      }
    }
  }
  if (r.boots.length) {
    lines.push('boots:');
    for (const b of r.boots) lines.push(`  ${b.at}  ${b.sequence}: ${b.result.toUpperCase()}${b.message ? ` (${b.message})` : ''}`);
  }
  return lines.join('\n');
}

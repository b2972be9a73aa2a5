/**
 * `osd lab create`: a virtual destination computer from a machine profile and disk sizes, with
 * blank disks (bare metal) or an operating system already installed by the same real pipeline
 * the task sequence uses (partition, format, apply the WIM) and the profile's user profiles as
 * folders, for refresh scenarios.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMachineProfile } from '../engine/machine-profile/index.js';
import { parseSize } from '../engine/machine-profile/values.js';
import { createDiskImage, readPartitionTable, type PartitionRequest, type PartitionTable } from '../storage/disk/partition-table.js';
import { readWimImages } from '../storage/wim.js';
import { InputError } from '../sequence/input-error.js';
import { readInputText } from '../sequence/read-input.js';
import { recordInstalledOs } from './installed-os.js';
import { LAB_SCHEMA, LabMachine, type LabDisk } from './lab-machine.js';
import { readLabUsers, writeLabUsers } from './users.js';

export interface CreateLabOptions {
  profilePath: string;
  /** Disk sizes ("64 GiB", "4G", bytes); default: the profile's disks. */
  disks: string[];
  /** `IMAGE.wim:INDEX` to install before the first boot. */
  preinstalledOs?: string;
  /** This machine's MAC address instead of the profile's first adapter's (several lab machines from one profile). */
  mac?: string;
  /** This machine's SMBIOS GUID instead of the profile's `uuid`. */
  smbiosGuid?: string;
  /** A users file (src/lab/users.ts): profiles with files on the preinstalled OS. */
  usersFile?: string;
  log?: (line: string) => void;
}

const MAC = /^[0-9A-Fa-f]{2}([-:]?)(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}$/;
const GUID = /^\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?$/;

/** The identities a lab machine is told apart by on the site (MAC, SMBIOS GUID), checked and in the profile's spelling. */
function identityOverrides(options: CreateLabOptions): { mac?: string; uuid?: string } {
  const out: { mac?: string; uuid?: string } = {};
  if (options.mac !== undefined) {
    if (!MAC.test(options.mac.trim())) throw new InputError({ input: `--mac ${options.mac}`, rule: 'not a MAC address', hint: 'e.g. 00:15:5D:00:00:02' });
    out.mac = options.mac.trim().replace(/[-:]/g, '').toUpperCase().match(/../g)!.join(':');
  }
  if (options.smbiosGuid !== undefined) {
    if (!GUID.test(options.smbiosGuid.trim()))
      throw new InputError({ input: `--smbios-guid ${options.smbiosGuid}`, rule: 'not a GUID', hint: 'e.g. 4C4C4544-0058-4B10-8032-B7C04F515732' });
    out.uuid = options.smbiosGuid.trim().replace(/[{}]/g, '').toUpperCase();
  }
  return out;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const MIB = 1024 * 1024;

/** "4G" / "4 GiB" / "512M" / bytes → bytes (a bare G/M/K means GiB/MiB/KiB, as truncate and qemu-img read it). */
export function diskSize(text: string): number {
  const short = /^\s*(\d+(?:\.\d+)?)\s*([KMGT])\s*$/i.exec(text);
  const parsed = parseSize(short ? `${short[1]} ${short[2].toUpperCase()}iB` : text);
  if ('error' in parsed) throw new InputError({ input: `--disk ${text}`, rule: parsed.error });
  if (parsed.bytes < 64 * MIB) throw new InputError({ input: `--disk ${text}`, rule: 'a disk must be at least 64 MiB' });
  return Math.ceil(parsed.bytes / MIB) * MIB;
}

export async function createLab(root: string, name: string, options: CreateLabOptions): Promise<LabMachine> {
  if (!NAME.test(name)) throw new InputError({ input: name, rule: 'a lab machine name is 1–63 letters, digits, dots, dashes or underscores' });
  const dir = join(root, name);
  if (existsSync(dir))
    throw new InputError({
      input: dir,
      rule: 'a lab machine of that name exists already',
      hint: `pick another name, or remove it with \`osd lab delete ${name}\``,
    });
  const identity = identityOverrides(options);
  if (options.usersFile && !options.preinstalledOs)
    throw new InputError({ input: `--users ${options.usersFile}`, rule: 'users need an installed OS: add --preinstalled-os' });
  const labUsers = options.usersFile ? readLabUsers(options.usersFile) : undefined;
  const profileText = readInputText(options.profilePath, 'machine profile');
  const profile = parseMachineProfile(profileText, options.profilePath);
  const sizes = options.disks.length ? options.disks.map(diskSize) : profile.disks.map((d) => d.size);
  if (!sizes.length) throw new InputError({ input: options.profilePath, rule: 'the profile has no disk and no --disk was given', hint: 'add --disk 64G' });
  let preinstalled: { wim: string; index: number } | undefined;
  if (options.preinstalledOs) {
    const m = /^(.+):(\d+)$/.exec(options.preinstalledOs);
    if (!m) throw new InputError({ input: `--preinstalled-os ${options.preinstalledOs}`, rule: 'write IMAGE.wim:INDEX, e.g. content/LAB00010/install.wim:2' });
    preinstalled = { wim: m[1], index: Number(m[2]) };
    const images = await readWimImages(preinstalled.wim);
    if (!images.some((i) => i.index === preinstalled!.index)) {
      throw new InputError({
        input: `--preinstalled-os ${options.preinstalledOs}`,
        rule: `image ${preinstalled.index} does not exist (${images.map((i) => `${i.index} - ${i.name}`).join(', ')})`,
      });
    }
  }

  mkdirSync(dir, { recursive: true });
  try {
    const disks: LabDisk[] = [];
    for (const [index, sizeBytes] of sizes.entries()) {
      const file = `disk${index}.img`;
      await createDiskImage(join(dir, file), sizeBytes);
      disks.push({ index, file, sizeBytes });
      options.log?.(`disk ${index}: ${Math.round(sizeBytes / MIB)} MiB (${file})`);
    }
    // The profile as the lab made it: its disks are the lab's; a bare machine has no OS.
    const raw = JSON.parse(profileText) as Record<string, unknown> & { disks: Array<Record<string, unknown>> };
    raw.disks = disks.map((d, i) => ({
      ...((raw.disks as typeof raw.disks | undefined)?.[i] ?? {}),
      index: d.index,
      size: d.sizeBytes,
      partitionStyle: 'raw',
      partitions: [],
    }));
    if (identity.uuid) raw.uuid = identity.uuid;
    if (identity.mac) {
      const adapters = (raw.networkAdapters as Array<Record<string, unknown>> | undefined) ?? [];
      raw.networkAdapters = adapters.length ? [{ ...adapters[0], mac: identity.mac }, ...adapters.slice(1)] : [{ mac: identity.mac, name: 'Ethernet' }];
    }
    const currentOs = raw.currentOs;
    raw.currentOs = null;
    const writeProfile = (): void => writeFileSync(join(dir, 'profile.json'), `${JSON.stringify(raw, null, 2)}\n`);
    writeProfile();
    const lab = LabMachine.init(dir, { schema: LAB_SCHEMA, name, created: new Date().toISOString(), disks, drives: [], boots: [] });
    if (preinstalled) {
      const table = await installOs(lab, profile.firmware === 'uefi', preinstalled, profile.currentOs?.userProfiles?.map((u) => u.name) ?? [], options.log);
      // The profile now describes the disk as installed: its layout, C: on the Windows partition.
      const type = { efi: 'efi', msr: 'msr', primary: 'basic', recovery: 'recovery' } as const;
      const last = table.partitions.length - 1;
      raw.disks[0] = {
        ...raw.disks[0],
        partitionStyle: table.style,
        partitions: table.partitions.map((p, i) => ({
          type: type[p.kind],
          size: i === last ? 'remaining' : p.sizeBytes,
          fileSystem: p.kind === 'msr' ? null : p.kind === 'efi' ? 'FAT32' : 'NTFS',
          ...(i === last ? { driveLetter: 'C:' } : {}),
          ...(p.name ? { label: p.name.slice(0, 32) } : {}),
        })),
      };
      raw.currentOs = currentOs ?? null;
      // Its settings in its registry, as Setup left them (src/lab/installed-os.ts).
      if (profile.currentOs) {
        await recordInstalledOs(await lab.files({ disk: 0, partition: table.partitions[last].number }), profile.currentOs);
        await lab.flush();
      }
      if (labUsers) {
        const os = raw.currentOs as { computerName?: string; netbiosDomain?: string; userProfiles?: Array<Record<string, unknown>> } | null;
        const computerName = os?.computerName ?? name.toUpperCase();
        const files = await lab.files({ disk: 0, partition: table.partitions[last].number });
        await writeLabUsers(files, labUsers, computerName, options.log);
        await lab.flush();
        if (os) {
          const listed = new Set(labUsers.users.map((u) => u.name.toLowerCase()));
          os.userProfiles = [
            ...(os.userProfiles ?? []).filter((p) => !listed.has(String(p.name).toLowerCase())),
            ...labUsers.users.map((u) => ({
              name: u.name,
              sid: u.sid,
              kind: u.kind,
              domain: u.kind === 'local' ? computerName : (u.domain ?? os.netbiosDomain ?? computerName),
              path: `C:\\Users\\${u.name}`,
            })),
          ];
        }
      }
      writeProfile();
    }
    return LabMachine.load(dir);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** The usual layout for the firmware (as the wizard's partition steps make it), then the image on C: — through the Computer port, as the steps do it. */
async function installOs(
  lab: LabMachine,
  uefi: boolean,
  os: { wim: string; index: number },
  users: string[],
  log?: (line: string) => void,
): Promise<PartitionTable> {
  const requests: PartitionRequest[] = uefi
    ? [
        { kind: 'efi', sizeBytes: 100 * MIB, fileSystem: 'FAT32', name: 'EFI system partition' },
        { kind: 'msr', sizeBytes: 16 * MIB, name: 'Microsoft reserved partition' },
        { kind: 'primary', percentOfRemaining: 100, fileSystem: 'NTFS', name: 'Windows' },
      ]
    : [
        { kind: 'primary', sizeBytes: 100 * MIB, fileSystem: 'NTFS', name: 'System Reserved', bootable: true },
        { kind: 'primary', percentOfRemaining: 100, fileSystem: 'NTFS', name: 'Windows' },
      ];
  const volumes = await lab.writeLayout(0, { style: uefi ? 'gpt' : 'mbr', partitions: requests });
  const windows = volumes[volumes.length - 1];
  if (uefi) await lab.format(volumes[0], 'FAT32', 'SYSTEM');
  else await lab.format(volumes[0], 'NTFS', 'System Reserved');
  await lab.format(windows, 'NTFS', 'Windows');
  log?.(`installing ${os.wim} image ${os.index} on C: (disk 0 partition ${windows.partition})`);
  await lab.applyImage(windows, os.wim, os.index);
  const files = await lab.files(windows);
  for (const user of users) await files.writeFile(`Users/${user}/NTUSER.DAT`, `OpenOSD lab: profile of ${user}\r\n`);
  await files.writeFile('Windows/System32/config/OPENOSD-LAB.txt', `Installed by osd lab create from ${os.wim}:${os.index}\r\n`);
  await lab.flush();
  lab.setDrives([{ letter: 'C:', disk: 0, partition: windows.partition }]);
  return (await readPartitionTable(lab.diskPath(0)))!;
}

/**
 * The machine as one environment sees it: which devices have drivers, which disks and adapters
 * exist, what drive letters volumes get, and whether the installed Windows is reachable. Shared
 * by the inventory generator and the built-in variables so both tell the same story.
 */
import type { Architecture, CurrentOs, Disk, Environment, MachineProfile, NetworkAdapter, Partition } from './schema.js';
import { guidFrom, uint32From } from './values.js';

export interface VisibleVolume {
  disk: Disk;
  partition: Partition;
  /** 1-based partition number on the disk, counting every partition (\Device\HarddiskN\PartitionM). */
  partitionNumber: number;
  /** Win32_DiskPartition.Index: 0-based among the partitions WMI lists (MSR excluded). */
  wmiIndex: number;
  /** \Device\HarddiskVolumeN numbering, across visible disks. */
  volumeNumber: number;
  /** Drive letter in this environment. */
  letter?: string;
  /** BitLocker-protected volume in WinPE: locked, contents unreadable. */
  locked: boolean;
  volumeGuid: string;
  serial: number;
}

export interface MachineView {
  profile: MachineProfile;
  env: Environment;
  /** The installed OS, in the full OS only. */
  os: CurrentOs | null;
  /** Architecture of the running OS (WinPE runs the machine's architecture). */
  osArch: Architecture;
  computerName: string;
  disks: Disk[];
  /** Formatted or not, every partition of a visible disk except the MSR, in disk order. */
  volumes: VisibleVolume[];
  adapters: Array<NetworkAdapter & { index: number; interfaceIndex: number; guid: string }>;
  hasDriver(deviceId: string): boolean;
  /** The volume holding `currentOs`, if the disk is visible. */
  osVolume?: VisibleVolume;
  /** The volume the firmware boots from: the EFI partition (GPT) or the active one (MBR). */
  systemVolume?: VisibleVolume;
  /** Maps a full-OS path ("C:\Users\x") to this environment's path, or undefined if unreachable. */
  remap(path: string): string | undefined;
}

export function viewOf(profile: MachineProfile, env: Environment): MachineView {
  const missing = new Set(profile.pnpDevices.filter((d) => d.missingDriverIn.includes(env)).map((d) => d.deviceId));
  const hasDriver = (id: string): boolean => !missing.has(id.toUpperCase());
  const os = env === 'fullos' ? profile.currentOs : null;
  const seed = `${profile.make}|${profile.model}|${profile.name}`;

  const disks = [...profile.disks].sort((a, b) => a.index - b.index).filter((d) => !d.controller || hasDriver(d.controller));
  const volumes: VisibleVolume[] = [];
  let volumeNumber = 0;
  for (const disk of disks) {
    let wmiIndex = 0;
    disk.partitions.forEach((partition, i) => {
      if (partition.type === 'msr') return;
      volumes.push({
        disk,
        partition,
        partitionNumber: i + 1,
        wmiIndex: wmiIndex++,
        volumeNumber: ++volumeNumber,
        locked: env === 'winpe' && partition.bitLocker === 'on',
        volumeGuid: guidFrom(`${seed}|${profile.uuid}|vol|${disk.index}|${i}`).toLowerCase(),
        serial: uint32From(`${seed}|${profile.uuid}|serial|${disk.index}|${i}`),
      });
    });
  }

  if (env === 'fullos') {
    for (const v of volumes) if (v.partition.driveLetter && v.partition.fileSystem) v.letter = v.partition.driveLetter;
  } else {
    // WinPE letters: explicit ones first, then C:, D:, … to basic-data partitions with a file system in disk order (X: is WinPE's).
    const taken = new Set<string>(['X:']);
    for (const v of volumes) if (v.partition.winpeDriveLetter) taken.add(v.partition.winpeDriveLetter);
    let next = 'C'.charCodeAt(0);
    for (const v of volumes) {
      const p = v.partition;
      if (p.winpeDriveLetter) v.letter = p.winpeDriveLetter;
      else if (p.winpeDriveLetter === undefined && p.fileSystem && p.type === 'basic') {
        while (next <= 'Z'.charCodeAt(0) && taken.has(`${String.fromCharCode(next)}:`)) next++;
        if (next > 'Z'.charCodeAt(0)) continue;
        v.letter = `${String.fromCharCode(next)}:`;
        taken.add(v.letter);
      }
    }
  }

  const installed = profile.currentOs;
  const osVolume = installed ? volumes.find((v) => v.partition.driveLetter === installed.installDrive) : undefined;
  const systemVolume = volumes.find((v) => (v.disk.partitionStyle === 'gpt' ? v.partition.type === 'efi' : v.partition.active));

  const byFullOsLetter = new Map<string, VisibleVolume>();
  for (const v of volumes) if (v.partition.driveLetter) byFullOsLetter.set(v.partition.driveLetter, v);
  const remap = (path: string): string | undefined => {
    const v = byFullOsLetter.get(path.slice(0, 2).toUpperCase());
    if (!v || !v.letter || v.locked || !v.partition.fileSystem) return undefined;
    return v.letter + path.slice(2);
  };

  const adapters = profile.networkAdapters
    .filter((a) => (env === 'fullos' || a.kind !== 'wifi') && (!a.pnpDeviceId || hasDriver(a.pnpDeviceId)))
    .map((a, i) => ({
      ...a,
      index: i + 1,
      interfaceIndex: 10 + i * 3,
      guid: `{${guidFrom(`${seed}|${a.mac}|nic`)}}`,
    }));

  return {
    profile,
    env,
    os,
    osArch: os ? os.architecture : profile.architecture,
    computerName: os ? os.computerName : profile.environments.winpe.computerName,
    disks,
    volumes,
    adapters,
    hasDriver,
    ...(osVolume ? { osVolume } : {}),
    ...(systemVolume ? { systemVolume } : {}),
    remap,
  };
}

/** Where WinPE finds the installed Windows directory (`_OSDDetectedWinDir`), if it can read it. */
export function detectedWindows(view: MachineView): { dir: string; drive: string } | undefined {
  const os = view.profile.currentOs;
  if (view.env !== 'winpe' || !os) return undefined;
  const dir = view.remap(os.windowsDirectory);
  return dir ? { dir, drive: dir.slice(0, 2) } : undefined;
}

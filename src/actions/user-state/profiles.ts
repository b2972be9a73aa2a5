/**
 * User profiles on an installed Windows volume, read and written through its offline registry
 * (src/actions/os/registry.ts): the ProfileList of the SOFTWARE hive (SID → profile folder), the
 * account behind each SID (local accounts from the SAM hive, else the machine profile's record,
 * else the profile folder's name in the computer's domain), NTUSER.DAT's time (for /uel) and the
 * user hive's `User Shell Folders` (redirected folders). On restore: the profile folder and its
 * ProfileList entry, and local accounts created in the SAM hive.
 *
 * The lab's SAM is our own model, not Windows' binary layout [I]: under
 * `HKLM\SAM\SAM\Domains\Account\Users\Names\<name>` the values `Sid`, `Rid`, `Enabled` (DWORD) and
 * `PasswordHash` (scrypt, salted, hex: `scrypt$<salt>$<hash>`) — never the password itself.
 */
import { randomBytes, scryptSync } from 'node:crypto';
import type { UserProfile } from '../../engine/machine-profile/schema.js';
import type { VolumeFiles } from '../computer.js';
import { OfflineRegistry } from '../os/registry.js';

export const PROFILE_LIST = 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList';
export const SAM_NAMES = 'HKLM\\SAM\\SAM\\Domains\\Account\\Users\\Names';
const SHELL_FOLDERS = 'Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\User Shell Folders';
const COMPUTER_NAME = 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\ComputerName\\ComputerName';

/** A profile on the volume, as capture sees it. */
export interface VolumeProfile {
  sid: string;
  account: string;
  kind: 'local' | 'domain';
  /** C:\Users\alice */
  profilePath: string;
  folderName: string;
  ntuserModifiedMs?: number;
  /** User Shell Folders values from the user's hive, when it could be read. */
  shellFolders?: Record<string, string>;
}

/** The registry of the OS on `volume`, or undefined (with why) when it has none that can be read. */
export async function openRegistry(volume: VolumeFiles): Promise<{ registry?: OfflineRegistry; why?: string }> {
  try {
    return { registry: await OfflineRegistry.open(volume) };
  } catch (e) {
    return { why: (e as Error).message };
  }
}

/** `C:\Users\alice` → `Users/alice` on the volume of drive `systemDrive`; undefined for another drive. */
export function volumePathOf(windowsPath: string, systemDrive: string): string | undefined {
  const m = /^([A-Za-z]:)(?:[\\/]+(.*))?$/.exec(windowsPath.trim());
  if (!m || m[1].toUpperCase() !== systemDrive.toUpperCase()) return undefined;
  return (m[2] ?? '').replace(/\\/g, '/').replace(/\/+$/, '');
}

function expandSystemVars(path: string, systemDrive: string): string {
  return path
    .replace(/%SystemDrive%/gi, systemDrive)
    .replace(/%SystemRoot%|%windir%/gi, `${systemDrive}\\Windows`)
    .replace(/%ProgramData%/gi, `${systemDrive}\\ProgramData`);
}

/** The computer's name as its SYSTEM hive says, else undefined. */
export async function computerNameOf(registry: OfflineRegistry | undefined): Promise<string | undefined> {
  return registry?.getString(COMPUTER_NAME, 'ComputerName').catch(() => undefined);
}

/**
 * The profiles of the Windows on `volume`: from ProfileList when the registry can be read, else the
 * folders under Users\ that hold an NTUSER.DAT (SIDs then from the machine profile's records).
 */
export async function readProfiles(
  volume: VolumeFiles,
  options: { systemDrive: string; computerName: string; domain?: string; known?: UserProfile[]; log?: (m: string) => void },
): Promise<VolumeProfile[]> {
  const { systemDrive } = options;
  const { registry, why } = await openRegistry(volume);
  const local = new Map<string, string>(); // sid → name
  const entries: Array<{ sid: string; path: string }> = [];
  if (registry) {
    for (const name of await registry.subkeys(SAM_NAMES).catch(() => [] as string[])) {
      const sid = await registry.getString(`${SAM_NAMES}\\${name}`, 'Sid').catch(() => undefined);
      if (sid) local.set(sid.toUpperCase(), name);
    }
    for (const sid of await registry.subkeys(PROFILE_LIST)) {
      const p = await registry.getString(`${PROFILE_LIST}\\${sid}`, 'ProfileImagePath');
      if (p) entries.push({ sid, path: expandSystemVars(p, systemDrive) });
    }
  } else {
    options.log?.(`The profile list is read from the Users folder (no registry: ${why})`);
    const users = await volume.list('Users').catch(() => []);
    for (const u of users) {
      if (u.type !== 'directory' || !(await volume.exists(`Users/${u.name}/NTUSER.DAT`))) continue;
      const rec = options.known?.find((k) => k.name.toLowerCase() === u.name.toLowerCase() || k.path.toLowerCase().endsWith(`\\${u.name.toLowerCase()}`));
      entries.push({ sid: rec?.sid ?? `S-1-5-21-0-0-0-${1000 + entries.length}`, path: `${systemDrive}\\Users\\${u.name}` });
    }
  }
  const out: VolumeProfile[] = [];
  for (const e of entries) {
    const folderName = e.path.split('\\').filter(Boolean).pop() ?? '';
    const rec = options.known?.find((k) => k.sid.toUpperCase() === e.sid.toUpperCase());
    const samName = local.get(e.sid.toUpperCase());
    const kind: 'local' | 'domain' = samName || rec?.kind === 'local' ? 'local' : 'domain';
    const name = samName ?? rec?.name ?? folderName;
    const domain = kind === 'local' ? options.computerName : (rec?.domain ?? options.domain ?? options.computerName);
    const vp = volumePathOf(e.path, systemDrive);
    const ntuser = vp !== undefined ? await volume.stat(`${vp}/NTUSER.DAT`).catch(() => undefined) : undefined;
    let shellFolders: Record<string, string> | undefined;
    if (registry && ntuser) {
      try {
        const values = await registry.values(`HKU\\${folderName}\\${SHELL_FOLDERS}`);
        shellFolders = Object.fromEntries(values.filter((v) => typeof v.data === 'string').map((v) => [v.name, v.data as string]));
      } catch {
        // A hive we cannot read (the lab's placeholder NTUSER.DAT): the default folders.
      }
    }
    out.push({ sid: e.sid, account: `${domain}\\${name}`, kind, profilePath: e.path, folderName, ntuserModifiedMs: ntuser?.modifiedMs, shellFolders });
  }
  return out;
}

/** A password as the lab's SAM keeps it: scrypt with a random salt. */
export function passwordHash(password: string): string {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('hex')}$${scryptSync(password, salt, 32).toString('hex')}`;
}

export function verifyPassword(password: string, stored: string): boolean {
  const [alg, salt, hash] = stored.split('$');
  return alg === 'scrypt' && scryptSync(password, Buffer.from(salt, 'hex'), 32).toString('hex') === hash;
}

/**
 * The profile of `user` on the new OS (§2.6 step 4, lab approximation): the folder
 * `Users\<name>` and its ProfileList entry; a local account missing from the SAM is created
 * (enabled when `enable`) with `password` — the caller has checked OSDMigrateLocalAccounts.
 */
export async function ensureProfile(
  volume: VolumeFiles,
  registry: OfflineRegistry | undefined,
  user: { sid: string; account: string; kind: 'local' | 'domain' },
  options: { systemDrive: string; password?: string; enable?: boolean },
): Promise<{ profilePath: string; created: boolean; accountCreated: boolean }> {
  const name = user.account.split('\\').pop() ?? user.account;
  let profilePath: string | undefined;
  if (registry) {
    const p = await registry.getString(`${PROFILE_LIST}\\${user.sid}`, 'ProfileImagePath').catch(() => undefined);
    if (p) profilePath = expandSystemVars(p, options.systemDrive);
  }
  profilePath ??= `${options.systemDrive}\\Users\\${name}`;
  const vp = volumePathOf(profilePath, options.systemDrive) ?? `Users/${name}`;
  const created = !(await volume.exists(vp));
  if (created) await volume.mkdirp(vp);
  let accountCreated = false;
  if (registry) {
    await registry.set(`${PROFILE_LIST}\\${user.sid}`, 'ProfileImagePath', profilePath, 'REG_EXPAND_SZ');
    if (user.kind === 'local' && !(await registry.keyExists(`${SAM_NAMES}\\${name}`))) {
      const rid = Number(/-(\d+)$/.exec(user.sid)?.[1] ?? 1000);
      await registry.set(`${SAM_NAMES}\\${name}`, 'Sid', user.sid);
      await registry.set(`${SAM_NAMES}\\${name}`, 'Rid', rid);
      await registry.set(`${SAM_NAMES}\\${name}`, 'Enabled', options.enable === false ? 0 : 1);
      if (options.password !== undefined) await registry.set(`${SAM_NAMES}\\${name}`, 'PasswordHash', passwordHash(options.password));
      accountCreated = true;
    }
  }
  return { profilePath, created, accountCreated };
}

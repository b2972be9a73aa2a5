/**
 * The installed OS as Install Application and Install Software Updates see it (docs/software-updates.md):
 * its volume — the drive OSDTargetSystemDrive names, else C:, else any drive holding
 * `Windows\System32\config\SOFTWARE` — its offline registry, and Windows paths
 * (`%ProgramFiles%\App\app.exe`, `C:\ProgramData\…`) turned into paths on that volume.
 */
import type { StepExecution } from '../../engine/ports.js';
import { filesOfDrive, type Computer, type VolumeFiles } from '../computer.js';
import { StepFailure, WIN32 } from '../errors.js';
import { OfflineRegistry } from '../os/registry.js';

export interface InstalledOs {
  files: VolumeFiles;
  /** The drive letter the host knows it by ("C:"). */
  letter: string;
  registry: OfflineRegistry;
}

const SOFTWARE_HIVE = 'Windows/System32/config/SOFTWARE';

/** The installed OS's volume and registry; 0x80070003 naming the drives tried when there is none. */
export async function installedOs(computer: Computer, x: StepExecution): Promise<InstalledOs> {
  const tried: string[] = [];
  const candidates = [x.variables.get('OSDTargetSystemDrive'), 'C:', ...computer.drives().map((d) => d.letter)];
  for (const raw of candidates) {
    if (!raw || !/^\s*[A-Za-z]:?\s*$/.test(raw)) continue;
    const letter = `${raw.trim()[0]!.toUpperCase()}:`;
    if (tried.includes(letter)) continue;
    tried.push(letter);
    const files = await filesOfDrive(computer, letter).catch(() => undefined);
    if (files && (await files.exists(SOFTWARE_HIVE).catch(() => false))) {
      return { files, letter, registry: await OfflineRegistry.open(files) };
    }
  }
  throw new StepFailure(
    WIN32.pathNotFound,
    `there is no installed Windows (a volume with ${SOFTWARE_HIVE.replace(/\//g, '\\')}) on drives ${tried.join(', ') || '(none)'}: this step runs in the full OS, after Setup Windows and ConfigMgr`,
  );
}

/** Windows' own folder variables, as folders of the system drive. */
const FOLDERS: Record<string, string> = {
  systemdrive: '',
  systemroot: 'Windows',
  windir: 'Windows',
  programfiles: 'Program Files',
  programw6432: 'Program Files',
  'programfiles(x86)': 'Program Files (x86)',
  commonprogramfiles: 'Program Files/Common Files',
  programdata: 'ProgramData',
  allusersprofile: 'ProgramData',
  public: 'Users/Public',
};

/**
 * A Windows path as a path on the OS volume (`/`-separated, no leading slash): task sequence
 * variables first (engine-semantics §4: paths may hold %vars%), then Windows' folder variables, then
 * the system drive's letter (C:, or the OS drive's own). Undefined for a path on another drive or
 * one still holding an unknown %variable%.
 */
export function volumePath(path: string, x: StepExecution, osLetter: string): string | undefined {
  let p = x.variables.expand(path).replace(/%([^%\\/]+)%/g, (whole, name: string) => {
    const folder = FOLDERS[name.toLowerCase()];
    return folder === undefined ? whole : `C:\\${folder}`;
  });
  if (/%[^%\\/]+%/.test(p)) return undefined;
  p = p.replace(/\//g, '\\');
  const drive = /^([A-Za-z]):\\?/.exec(p);
  if (drive) {
    const d = `${drive[1]!.toUpperCase()}:`;
    if (d !== 'C:' && d !== osLetter.toUpperCase()) return undefined;
    p = p.slice(drive[0].length);
  }
  return p
    .split('\\')
    .filter((s) => s !== '' && s !== '.')
    .join('/');
}

/**
 * Drivers staged by Auto Apply Drivers / Apply Driver Package (unattend.md §9): the small
 * drivers.xml that DISM `/Apply-Unattend` consumes, and the Linux-lab back end's belt and braces
 * (a `DevicePath` value and a specialize `RunSynchronous` pnputil command).
 */
import { UnattendDocument, nextNumericKey } from './document.js';
import { invalidParameter } from './errors.js';
import { C, type UnattendArch } from './schema.js';
import { childElements, childNamed, leaf, listItem, textContent } from './tree.js';

/**
 * `_SMSTaskSequence\PkgMgrTemp\drivers.xml`: one offlineServicing pass, PnpCustomizationsNonWinPE,
 * one `PathAndCredentials` per folder with keys 1, 2, … (§9).
 */
export function buildDriversXml(arch: UnattendArch, folders: string[]): string {
  if (folders.length === 0) throw invalidParameter('drivers.xml needs at least one driver folder');
  const doc = UnattendDocument.empty(arch);
  doc.addDriverPaths(folders, 'offlineServicing');
  return doc.toXml();
}

export const DEFAULT_STAGING_FOLDER = 'C:\\_SMSTaskSequence\\drivers';
export const STAGED_DRIVERS_DESCRIPTION = 'OpenOSD staged drivers';

/** The pnputil command line that installs every staged INF (§9). */
export function stagedDriversCommand(stagingFolder = DEFAULT_STAGING_FOLDER): string {
  return `pnputil /add-driver "${stagingFolder.replace(/\\+$/, '')}\\*.inf" /subdirs /install`;
}

/**
 * Linux-lab back end (§9): a specialize `Microsoft-Windows-Deployment/RunSynchronous/
 * RunSynchronousCommand` running pnputil over the staging folder. `target` is the drive letter of
 * the deployed OS (`C:`; the folder is then `C:\_SMSTaskSequence\drivers`) or the staging folder
 * itself; default `C:`. Order continues after existing commands; the same command is never added
 * twice [I]. Returns log lines.
 */
export function addStagedDriversCommand(doc: UnattendDocument, target: string | { stagingFolder?: string } = {}): string[] {
  const path = stagedDriversCommand(stagingFolderOf(target));
  const list = doc.ensurePath('specialize', C.deployment, 'RunSynchronous');
  const commands = childElements(list).filter((e) => e.name === 'RunSynchronousCommand');
  if (
    commands.some(
      (c) =>
        textContent(childNamed(c, 'Path') ?? c)
          .trim()
          .toLowerCase() === path.toLowerCase(),
    )
  )
    return [];
  const order = nextNumericKey(
    commands.map((c) => {
      const o = childNamed(c, 'Order');
      return o && textContent(o).trim();
    }),
  );
  list.children.push(
    listItem('RunSynchronousCommand', undefined, [leaf('Order', String(order)), leaf('Path', path), leaf('Description', STAGED_DRIVERS_DESCRIPTION)]),
  );
  return [`added specialize/${C.deployment}/RunSynchronous/RunSynchronousCommand[${order}]`];
}

function stagingFolderOf(target: string | { stagingFolder?: string }): string {
  if (typeof target !== 'string') return target.stagingFolder ?? DEFAULT_STAGING_FOLDER;
  const t = target.trim();
  const drive = /^([A-Za-z]):?\\?$/.exec(t);
  if (drive) return `${drive[1].toUpperCase()}:\\_SMSTaskSequence\\drivers`;
  if (t === '') throw invalidParameter('the driver staging folder is empty');
  return t;
}

/** Default `DevicePath` of `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion`. */
export const DEFAULT_DEVICE_PATH = '%SystemRoot%\\inf';

/**
 * The new REG_EXPAND_SZ `DevicePath` with the staged folders appended (`;`-separated, existing
 * entries kept, duplicates skipped case-insensitively) — §9 Linux-lab back end. The storage layer
 * writes it into the offline SOFTWARE hive.
 */
export function appendDevicePath(current: string | undefined, folders: string[]): string {
  const parts = (current === undefined || current.trim() === '' ? DEFAULT_DEVICE_PATH : current).split(';').filter((p) => p.trim() !== '');
  const seen = new Set(parts.map((p) => p.trim().toLowerCase()));
  for (const f of folders) {
    const folder = f.trim();
    if (folder === '' || seen.has(folder.toLowerCase())) continue;
    seen.add(folder.toLowerCase());
    parts.push(folder);
  }
  return parts.join(';');
}

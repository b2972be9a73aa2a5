/**
 * The user state folder Apply Operating System keeps when it wipes the volume
 * (task-sequence-format §8.17a: `_SMSTSUserStatePath` "folder preserved when wiping" [D];
 * user-state.md §2.6): a hard-link store lives there and must survive the new image.
 */
import type { StepExecution } from '../../engine/ports.js';
import type { VolumeFiles } from '../computer.js';
import { DEFAULT_USER_STATE_FOLDER } from './paths.js';

/** `_SMSTSUserStatePath` as a folder of drive `letter` ('_SMSTaskSequence/UserState'), or undefined when it is on another drive. */
export function userStateFolderOn(x: Pick<StepExecution, 'variables'>, letter: string): string | undefined {
  const v = x.variables.get('_SMSTSUserStatePath');
  const m = /^([A-Za-z]:)[\\/]+(.+)$/.exec(v?.trim() ?? '');
  if (v && !m) return undefined;
  if (m && m[1].toUpperCase() !== letter.toUpperCase()) return undefined;
  return (m ? m[2] : DEFAULT_USER_STATE_FOLDER).replace(/\\/g, '/').replace(/\/+$/, '');
}

/** The user state folder of the volume when it holds something (a store), else undefined. */
export async function preservedUserState(files: VolumeFiles, folder: string | undefined): Promise<string | undefined> {
  if (!folder) return undefined;
  const st = await files.stat(folder).catch(() => undefined);
  if (st?.type !== 'directory') return undefined;
  const entries = await files.list(folder).catch(() => []);
  return entries.length ? folder : undefined;
}

/** Removes everything on the volume except `keep` (and the folders above it); returns how many top entries went. */
export async function wipeExcept(files: VolumeFiles, keep: string): Promise<number> {
  const parts = keep.split('/').filter(Boolean);
  let removed = 0;
  let at = '';
  for (const part of parts) {
    for (const e of await files.list(at)) {
      if (e.name.toLowerCase() === part.toLowerCase()) continue;
      await files.remove(at ? `${at}/${e.name}` : e.name);
      removed++;
    }
    const hit = (await files.list(at)).find((e) => e.name.toLowerCase() === part.toLowerCase());
    at = at ? `${at}/${hit?.name ?? part}` : (hit?.name ?? part);
  }
  return removed;
}

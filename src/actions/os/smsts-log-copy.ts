/**
 * smsts.log where osd-features §6.1 puts it on the computer's own disk. The log is written on the
 * host for the whole run (the lab's state/logs, the agent's logs folder: docs/smsts-log.md);
 * `_SMSTSLogPath` names the folder Windows would use in each phase. At each restart and when the
 * task sequence ends, the host copies the log files into the installed OS's volume (docs/full-os.md
 * "smsts.log"):
 *
 * - before the ConfigMgr client is installed: `C:\_SMSTaskSequence\Logs\Smstslog\`;
 * - after it (Windows\CCM exists): `C:\Windows\CCM\Logs\SMSTSLog\`;
 * - after the task sequence completes, with the client: `C:\Windows\CCM\Logs\`.
 *
 * The volume is the first drive holding an installed Windows (Windows\System32\config\SYSTEM),
 * else the first holding `_SMSTaskSequence` (partitioned, no OS yet); in Windows PE before the disk
 * is partitioned there is none, and nothing is copied (the log lives only in X:, as on a real computer).
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { type Computer, filesOfDrive, type VolumeFiles } from '../computer.js';

async function targetVolume(computer: Computer): Promise<{ letter: string; vol: VolumeFiles; windows: boolean } | undefined> {
  const drives = [...computer.drives()].sort((a, b) =>
    a.letter.toUpperCase() === 'C:' ? -1 : b.letter.toUpperCase() === 'C:' ? 1 : a.letter.localeCompare(b.letter),
  );
  let staging: { letter: string; vol: VolumeFiles; windows: boolean } | undefined;
  for (const d of drives) {
    const vol = await filesOfDrive(computer, d.letter).catch(() => undefined);
    if (!vol) continue;
    if (await vol.exists('Windows/System32/config/SYSTEM').catch(() => false)) return { letter: d.letter.toUpperCase(), vol, windows: true };
    if (!staging && (await vol.exists('_SMSTaskSequence').catch(() => false))) staging = { letter: d.letter.toUpperCase(), vol, windows: false };
  }
  return staging;
}

/**
 * Copies the log files (host paths, oldest first, smsts.log last) into the folder §6.1 names for
 * this moment; `completed`: the task sequence has ended. Returns the Windows folder written, or
 * undefined when there is no volume for it yet. The computer is flushed after.
 */
export async function placeSmstsLog(computer: Computer, files: string[], completed: boolean): Promise<string | undefined> {
  const target = await targetVolume(computer);
  if (!target || files.length === 0) return undefined;
  const client = target.windows && (await target.vol.exists('Windows/CCM'));
  const folder = client ? (completed ? 'Windows/CCM/Logs' : 'Windows/CCM/Logs/SMSTSLog') : '_SMSTaskSequence/Logs/Smstslog';
  for (const f of files) await target.vol.writeFile(`${folder}/${basename(f)}`, await readFile(f));
  await computer.flush();
  return `${target.letter}\\${folder.replace(/\//g, '\\')}`;
}

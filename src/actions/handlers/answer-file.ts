/**
 * The deployed OS's answer file on its volume (unattend.md §2): read by the settings steps, written
 * back after each edit. Its body is a secret (passwords): never logged.
 */
import type { Volume } from '../../machine/volume/volume.js';
import type { Computer } from '../computer.js';
import { StepFailure, WIN32 } from '../errors.js';
import { UnattendDocument } from '../unattend/index.js';

export const ANSWER_FILE = 'Windows/Panther/Unattend/Unattend.xml';

/** A volume path as Windows writes it on drive `letter`: `C:\\Windows\\Panther\\…`. */
export function onDrive(letter: string, path: string): string {
  return `${letter}\\${path.replace(/\//g, '\\')}`;
}

export async function writeAnswerFile(vol: Volume, doc: UnattendDocument): Promise<void> {
  await vol.writeFile(ANSWER_FILE, doc.toXml());
}

/** The volume of the deployed OS (OSDTargetSystemDrive) and its answer file, as Apply Operating System left them. */
export async function openAnswerFile(computer: Computer, drive: string | undefined): Promise<{ vol: Volume; doc: UnattendDocument; letter: string }> {
  if (!drive || !/^[A-Za-z]:$/.test(drive.trim())) {
    throw new StepFailure(WIN32.notFound, 'OSDTargetSystemDrive is not set: Apply Operating System must run before this step');
  }
  const letter = drive.trim().toUpperCase();
  const vol = await computer.volume(letter);
  if (!(await vol.exists(ANSWER_FILE))) {
    throw new StepFailure(WIN32.fileNotFound, `${onDrive(letter, ANSWER_FILE)} does not exist: Apply Operating System writes it`);
  }
  const text = (await vol.readFile(ANSWER_FILE)).toString('utf8');
  return { vol, doc: UnattendDocument.parse(text, onDrive(letter, ANSWER_FILE)), letter };
}

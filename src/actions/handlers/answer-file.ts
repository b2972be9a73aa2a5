/**
 * The deployed OS's answer file on its volume (unattend.md §2): read by the settings steps, written
 * back after each edit. Its body is a secret (passwords): never logged.
 */
import type { StepExecution } from '../../engine/ports.js';
import { type Computer, filesOfDrive, type VolumeFiles } from '../computer.js';
import { StepFailure, WIN32 } from '../errors.js';
import { UnattendDocument } from '../unattend/index.js';

export const ANSWER_FILE = 'Windows/Panther/Unattend/Unattend.xml';

/** A volume path as Windows writes it on drive `letter`: `C:\\Windows\\Panther\\…`. */
export function onDrive(letter: string, path: string): string {
  return `${letter}\\${path.replace(/\//g, '\\')}`;
}

export async function writeAnswerFile(vol: VolumeFiles, doc: UnattendDocument): Promise<void> {
  await vol.writeFile(ANSWER_FILE, doc.toXml());
}

/** The volume of the deployed OS (OSDTargetSystemDrive) and its answer file, as Apply Operating System left them. */
export async function openAnswerFile(computer: Computer, drive: string | undefined): Promise<{ vol: VolumeFiles; doc: UnattendDocument; letter: string }> {
  if (!drive || !/^[A-Za-z]:$/.test(drive.trim())) {
    throw new StepFailure(WIN32.notFound, 'OSDTargetSystemDrive is not set: Apply Operating System must run before this step');
  }
  const letter = drive.trim().toUpperCase();
  const vol = await filesOfDrive(computer, letter);
  if (!(await vol.exists(ANSWER_FILE))) {
    throw new StepFailure(WIN32.fileNotFound, `${onDrive(letter, ANSWER_FILE)} does not exist: Apply Operating System writes it`);
  }
  const text = (await vol.readFile(ANSWER_FILE)).toString('utf8');
  return { vol, doc: UnattendDocument.parse(text, onDrive(letter, ANSWER_FILE)), letter };
}

/**
 * Runs an edit of the answer file and writes it back when the result is valid (the settings and
 * driver steps). An UnattendError carries the step's code (0x80070057, 0x8007000D): the executor
 * reports it.
 */
export async function editAnswerFile(
  computer: Computer,
  drive: string | undefined,
  apply: (doc: UnattendDocument, vol: VolumeFiles, letter: string) => Promise<string[]> | string[],
): Promise<{ changes: string[]; letter: string }> {
  const { vol, doc, letter } = await openAnswerFile(computer, drive);
  const changes = await apply(doc, vol, letter);
  const problems = doc.validate();
  if (problems.length) throw new StepFailure(WIN32.invalidData, `the answer file would not be valid: ${problems.join('; ')}`);
  await writeAnswerFile(vol, doc);
  return { changes, letter };
}

/**
 * How the settings steps read their values (task-sequence-format §8.4, §8.5): as the engine resolved
 * them — a captured or collection variable of the same name overrides the step's own value — with
 * `%NAME%` expanded.
 */
export function settingsLookup(x: StepExecution): (name: string) => string | undefined {
  const props = new Map(Object.entries(x.properties).map(([k, v]) => [k.toLowerCase(), v]));
  return (name) => {
    const v = props.has(name.toLowerCase()) ? props.get(name.toLowerCase()) : x.variables.get(name);
    return v === undefined ? undefined : x.variables.expand(v);
  };
}

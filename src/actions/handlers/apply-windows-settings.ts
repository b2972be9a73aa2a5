/**
 * Apply Windows Settings (task-sequence-format §8.4; unattend.md §4, §5): its values go into the
 * deployed OS's answer file, nothing is applied to the running computer.
 */
import { applyWindowsSettings } from '../../sequence/catalog/index.js';
import { defineHandler } from '../handler.js';
import { editAnswerFile, settingsLookup } from './answer-file.js';

export const applyWindowsSettingsHandler = defineHandler(applyWindowsSettings, {
  async run({ x, computer }) {
    const { changes, letter } = await editAnswerFile(computer, x.variables.get('OSDTargetSystemDrive'), (doc) =>
      doc.applyWindowsSettings(settingsLookup(x), {}),
    );
    for (const c of changes) x.log(c);
    x.log(`Updated the answer file on ${letter}`);
    return { exitCode: 0 };
  },
  simulate: ({ x, note }) => {
    note(`writes its settings into the answer file on ${x.variables.get('OSDTargetSystemDrive') ?? 'OSDTargetSystemDrive (not set yet)'}`);
    return { exitCode: 0 };
  },
});

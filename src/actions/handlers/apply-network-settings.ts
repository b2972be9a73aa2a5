/**
 * Apply Network Settings (task-sequence-format §8.5; unattend.md §6): workgroup or domain join and
 * adapter settings go into the deployed OS's answer file, matched to the computer's adapters.
 */
import { applyNetworkSettings } from '../../sequence/catalog/index.js';
import { defineHandler } from '../handler.js';
import { editAnswerFile, settingsLookup } from './answer-file.js';

export const applyNetworkSettingsHandler = defineHandler(applyNetworkSettings, {
  async run({ x, computer }) {
    const adapters = computer.profile.networkAdapters.map((a, index) => ({ mac: a.mac, index }));
    const { changes, letter } = await editAnswerFile(computer, x.variables.get('OSDTargetSystemDrive'), (doc) =>
      doc.applyNetworkSettings(settingsLookup(x), adapters),
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

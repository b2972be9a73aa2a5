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
    // OSDAdapterCount is a hidden property (not overridable, engine-semantics §6), yet captured
    // adapter settings override the step's (task-sequence-format §8.15 [D]): a step with no adapters
    // of its own takes the global count Capture Network Settings (or an admin) set [I].
    const lookup = settingsLookup(x);
    const own = lookup('OSDAdapterCount');
    const global = x.variables.get('OSDAdapterCount');
    const captured = (own === undefined || own.trim() === '0') && global && global.trim() !== '0' ? global.trim() : undefined;
    if (captured) x.log(`The step has no adapter settings of its own: using the ${captured} captured in OSDAdapterCount`);
    const { changes, letter } = await editAnswerFile(computer, x.variables.get('OSDTargetSystemDrive'), (doc) =>
      doc.applyNetworkSettings((n) => (captured && n.toLowerCase() === 'osdadaptercount' ? captured : lookup(n)), adapters),
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

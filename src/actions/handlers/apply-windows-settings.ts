/**
 * Apply Windows Settings (task-sequence-format §8.4; unattend.md §4, §5): its values go into the
 * deployed OS's answer file, nothing is applied to the running computer.
 */
import { applyWindowsSettings } from '../../sequence/catalog/index.js';
import { defineHandler } from '../handler.js';
import { editAnswerFile, settingsLookup } from './answer-file.js';

export const applyWindowsSettingsHandler = defineHandler(applyWindowsSettings, {
  async run({ x, computer }) {
    let adminAccount: string | undefined;
    const { changes, letter } = await editAnswerFile(computer, x.variables.get('OSDTargetSystemDrive'), (doc) => {
      const log = doc.applyWindowsSettings(settingsLookup(x), {});
      adminAccount = doc.adminAccount;
      return log;
    });
    for (const c of changes) x.log(c);
    // What Setup Windows and ConfigMgr does with the account after setup (unattend.md §6); the password stays in the answer file only.
    if (adminAccount) x.variables.set('_OSDAdminAccountState', adminAccount, { builtIn: true });
    x.log(`Updated the answer file on ${letter}`);
    return { exitCode: 0 };
  },
  simulate: ({ x, note }) => {
    note(`writes its settings into the answer file on ${x.variables.get('OSDTargetSystemDrive') ?? 'OSDTargetSystemDrive (not set yet)'}`);
    return { exitCode: 0 };
  },
});

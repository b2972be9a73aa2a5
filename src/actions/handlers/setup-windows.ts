/**
 * Setup Windows and ConfigMgr (task-sequence-format §8.8): Windows setup and the ConfigMgr client.
 * Not done here yet (the full-OS phase of a later issue): predicted. Its restart into the new OS,
 * where it completes, is its definition's (`restarts`).
 */
import { setupWindows } from '../../sequence/catalog/index.js';
import { defineHandler } from '../handler.js';

export const setupWindowsHandler = defineHandler(setupWindows, {
  simulate: () => ({ exitCode: 0, predicted: { assumed: ['Windows setup and the ConfigMgr client installation succeed'] } }),
});

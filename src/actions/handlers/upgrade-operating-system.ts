/**
 * Upgrade Operating System (task-sequence-format §8.18): Windows setup's in-place upgrade. Not done
 * here: predicted. Its restart into the upgraded OS is its definition's (`restarts`).
 */
import { upgradeOperatingSystem } from '../../sequence/catalog/index.js';
import { defineHandler } from '../handler.js';

export const upgradeOperatingSystemHandler = defineHandler(upgradeOperatingSystem, {
  simulate: () => ({ exitCode: 0, predicted: { assumed: ['Windows setup upgrades the operating system and keeps its applications and data'] } }),
});

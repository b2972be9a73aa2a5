/**
 * Install Application (task-sequence-format §8.17). Not done here yet (the full-OS phase): predicted.
 */
import { installApplication } from '../../sequence/catalog/index.js';
import { defineHandler } from '../handler.js';

export const installApplicationHandler = defineHandler(installApplication, {
  simulate: ({ note }) => {
    note('installs the applications (predicted: all succeed)');
    return { exitCode: 0, predicted: { assumed: ['every application installs successfully'] } };
  },
});

/**
 * Request State Store (task-sequence-format §8.16): asks the state migration point for a store and
 * sets OSDStateStorePath. Predicted (there is no state migration point here yet): the path is made
 * up from the computer's name. Release State Store has no prediction of its own.
 */
import { requestStateStore } from '../../sequence/catalog/index.js';
import { defineHandler, predictSet } from '../handler.js';

export const requestStateStoreHandler = defineHandler(requestStateStore, {
  simulate: (ctx) => {
    const computer = ctx.x.variables.get('_SMSTSMachineName') ?? 'COMPUTER';
    predictSet(ctx, 'OSDStateStorePath', `\\\\SMP01.contoso.com\\SMPSTOREC_${computer.toUpperCase()}$`);
    return { exitCode: 0, predicted: { assumed: ['a state migration point grants a store (its path is made up)'] } };
  },
});

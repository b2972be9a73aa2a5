/**
 * Apply Windows Settings and Apply Network Settings (task-sequence-format §8.4, §8.5; unattend.md
 * §4–§6): their values go into the deployed OS's answer file, nothing is applied to the running
 * computer. Values are read as the engine resolved them: a captured or collection variable of the
 * same name overrides the step's own value.
 */
import type { StepResult } from '../../engine/ports.js';
import type { HandlerContext, StepHandler } from '../handler.js';
import { StepFailure, WIN32 } from '../errors.js';
import { openAnswerFile, writeAnswerFile } from './answer-file.js';

function lookup(ctx: HandlerContext): (name: string) => string | undefined {
  const { x } = ctx;
  const props = new Map(Object.entries(x.properties).map(([k, v]) => [k.toLowerCase(), v]));
  return (name) => {
    const v = props.has(name.toLowerCase()) ? props.get(name.toLowerCase()) : x.variables.get(name);
    return v === undefined ? undefined : x.variables.expand(v);
  };
}

async function edit(ctx: HandlerContext, apply: (doc: Awaited<ReturnType<typeof openAnswerFile>>['doc']) => string[]): Promise<StepResult> {
  const { x, computer } = ctx;
  const { vol, doc, letter } = await openAnswerFile(computer, x.variables.get('OSDTargetSystemDrive'));
  // An UnattendError carries the step's code (0x80070057, 0x8007000D): the executor reports it.
  const changes = apply(doc);
  const problems = doc.validate();
  if (problems.length) throw new StepFailure(WIN32.invalidData, `the answer file would not be valid: ${problems.join('; ')}`);
  await writeAnswerFile(vol, doc);
  for (const c of changes) x.log(c);
  x.log(`Updated the answer file on ${letter}`);
  return { exitCode: 0 };
}

export const applyWindowsSettingsHandler: StepHandler = {
  type: 'SMS_TaskSequence_ApplyWindowsSettingsAction',
  run: (ctx) => edit(ctx, (doc) => doc.applyWindowsSettings(lookup(ctx), {})),
};

export const applyNetworkSettingsHandler: StepHandler = {
  type: 'SMS_TaskSequence_ApplyNetworkSettingsAction',
  run: (ctx) =>
    edit(ctx, (doc) =>
      doc.applyNetworkSettings(
        lookup(ctx),
        ctx.computer.profile.networkAdapters.map((a, index) => ({ mac: a.mac, index })),
      ),
    ),
};

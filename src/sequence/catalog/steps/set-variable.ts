/**
 * Set Task Sequence Variable — task-sequence-format §8.13.
 */
import { z } from 'zod';
import { actionBool, property, settingsCodec, withLayout } from '../settings-codec.js';
import { defineStepType } from '../step-type.js';

// Order by property name [C: catalog export]. All are command-line arguments, so all hidden (§5).
const properties = [
  property('DoNotShowVariableValue', 'DoNotShowVariableValue', {
    default: 'false',
    hidden: true,
    description: '"Do not display this value" (3.10)',
  }),
  // SDK-documented companion of DoNotShowVariableValue; not in the corpus, so hidden/secret are
  // inferred from its purpose [I].
  property('HiddenVariableValue', 'HiddenVariableValue', { hidden: true, secret: true, description: 'Masked value' }),
  property('VariableName', 'VariableName', { hidden: true, description: 'Variable to set (1–256 characters)' }),
  property('VariableValue', 'VariableValue', {
    hidden: true,
    description: 'Value (≤4,001 characters, may contain %other%); empty deletes the variable',
  }),
];

export const setVariableSchema = withLayout({
  name: z.string().optional(),
  value: z.string().optional(),
  doNotShowValue: z.boolean().optional(),
  hiddenValue: z.string().optional(),
});
export type SetVariableSettings = z.infer<typeof setVariableSchema>;

const settings = settingsCodec<SetVariableSettings>({
  properties,
  schema: setVariableSchema,
  read: (r) => ({
    name: r.string('VariableName'),
    // Kept exactly: leading/trailing spaces can matter in a value.
    value: r.raw('VariableValue'),
    doNotShowValue: r.bool('DoNotShowVariableValue'),
    hiddenValue: r.raw('HiddenVariableValue'),
  }),
  write: (s, w) => {
    w.bool('DoNotShowVariableValue', s.doNotShowValue);
    w.string('HiddenVariableValue', s.hiddenValue);
    w.string('VariableName', s.name);
    w.string('VariableValue', s.value);
  },
});

export const setTaskSequenceVariable = defineStepType<SetVariableSettings>({
  type: 'SMS_TaskSequence_SetVariableAction',
  displayName: 'Set Task Sequence Variable',
  executable: 'tsenv.exe',
  runIn: 'WinPEandFullOS',
  successCodes: '0',
  retryCount: 0,
  properties,
  settings,
  // MOF `tsenv.exe "%1=%2"`; 3.10 appends ` /hiddenflag:False|True` when DoNotShowVariableValue
  // is set, older files have neither [C].
  buildAction: (step) => {
    const s = settings.read(step.variables ?? []).settings;
    const hidden = s.doNotShowValue === undefined ? '' : ` /hiddenflag:${actionBool(s.doNotShowValue)}`;
    return `tsenv.exe "${s.name ?? ''}=${s.value ?? ''}"${hidden}`;
  },
  spec: 'task-sequence-format §8.13',
  // Setting the same variable again does no harm (docs/decisions.md).
  rerunAfterUnexpectedRestart: true,
  examples: [
    { title: 'A value built from other variables', settings: { name: 'OSDComputerName', value: 'PC-%_SMSTSSerialNumber%' } },
    { title: 'A hidden value (a password)', settings: { name: 'OSDJoinPassword', value: '', doNotShowValue: true, hiddenValue: 'Example-Pa55' } },
  ],
});

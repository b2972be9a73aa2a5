// A mock of what the engine hands a handler — a StepExecution with variables (the engine's own
// Environment rules: case-insensitive, empty deletes, `_` read-only) and a captured log — and of
// what the simulator hands a prediction; plus a computer in folders (the Computer port's
// DirectoryComputer). Handlers are tested through these, without the engine or a disk image.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DirectoryComputer } from '../../../src/actions/directory-computer.js';
import type { SimulationContext } from '../../../src/actions/handler.js';
import { Environment, expandVariables } from '../../../src/engine/environment.js';
import { inventoryFor, loadMachineProfile } from '../../../src/engine/machine-profile/index.js';
import type { MachineProfile } from '../../../src/engine/machine-profile/schema.js';
import type { LogSeverity, StepExecution } from '../../../src/engine/ports.js';
import type { SimulatedMachine } from '../../../src/engine/simulate/predictions.js';
import type { StepTypeDefinition } from '../../../src/sequence/catalog/index.js';
import type { Step } from '../../../src/sequence/model/task-sequence.js';
import { catalogStep } from '../../../src/sequence/wizard/generate/steps.js';

export const MACHINES = resolve(__dirname, '../../../examples/machines');
export const profile = (name = 'uefi-x64-laptop-bare-metal.json'): MachineProfile => loadMachineProfile(join(MACHINES, name));

export interface MockExecution {
  x: StepExecution;
  env: Environment;
  /** What the step logged, as "severity: message". */
  logs: string[];
  /** The variables as they stand (secrets masked). */
  vars(): Record<string, string>;
}

/** A step of a catalog type with these settings, as the wizard writes one (a type without typed settings: its defaults). */
export function step<S>(type: StepTypeDefinition<S>, settings: S, name = type.displayName): Step {
  if (type.settings) return catalogStep(type, name, settings);
  return {
    kind: 'step',
    type: type.type,
    name,
    runIn: type.runIn,
    successCodeList: type.successCodes,
    action: type.executable,
    variables: type.properties.filter((p) => p.default !== undefined).map((p) => ({ name: p.variable, property: p.property, value: p.default! })),
  };
}

/**
 * What the engine would hand the handler for `step`: properties resolved as §6 says (a variable of
 * the same name overrides a non-hidden default), `%NAME%` expansion, a log that is captured.
 */
export function execution(s: Step, options: { variables?: Record<string, string>; environment?: 'WinPE' | 'FullOS'; resumed?: boolean } = {}): MockExecution {
  const env = new Environment();
  for (const [k, v] of Object.entries(options.variables ?? {})) {
    if (k.startsWith('_')) env.setBuiltIn(k, v);
    else env.set(k, v);
  }
  const local = new Map<string, string>();
  const properties: Record<string, string> = {};
  for (const v of s.variables ?? []) {
    const global = v.hidden ? undefined : env.get(v.name);
    properties[v.name] = global ?? v.value;
    if (!v.hidden && global === undefined && v.value !== '') local.set(v.name.toLowerCase(), v.value);
  }
  const get = (n: string): string | undefined => env.get(n) ?? local.get(n.toLowerCase());
  const logs: string[] = [];
  const x: StepExecution = {
    instruction: { index: 0, path: s.name, item: s, kind: 'step', parent: -1, end: 0, depth: 0, tablePointer: 0 },
    step: s,
    commandLine: expandVariables(s.action ?? '', get),
    properties,
    variables: { get, set: (n, v, o) => (o?.builtIn ? env.setBuiltIn(n, v, o.secret === true) : env.set(n, v, o)), expand: (t) => expandVariables(t, get) },
    environment: options.environment ?? 'WinPE',
    resumed: options.resumed ? { stepState: undefined } : undefined,
    signal: new AbortController().signal,
    log: (m: string, severity: LogSeverity = 'info') => logs.push(`${severity}: ${m}`),
  };
  return { x, env, logs, vars: () => env.snapshot() };
}

/** What the simulator hands a prediction: the simulated computer (from the profile), notes captured. */
export function simulation(
  m: MockExecution,
  options: { profile?: MachineProfile; machine?: Partial<SimulatedMachine>; checks?: boolean; content?: SimulationContext['content'] } = {},
): { ctx: SimulationContext; notes: string[] } {
  const p = options.profile ?? profile();
  const notes: string[] = [];
  const machine: SimulatedMachine = {
    environment: m.x.environment,
    osOnDisk: p.currentOs != null,
    partitioned: false,
    computerName: p.currentOs?.computerName,
    timeZone: p.currentOs?.timeZone,
    registeredOrganization: p.currentOs?.registeredOrganization,
    registeredOwner: p.currentOs?.registeredOwner,
    domain: p.currentOs?.domain,
    workgroup: p.currentOs?.workgroup,
    inventory: () => inventoryFor(p, m.x.environment === 'WinPE' ? 'winpe' : 'fullos'),
    ...options.machine,
  };
  return { ctx: { x: m.x, machine, profile: p, note: (t) => notes.push(t), content: options.content, checks: options.checks ?? false }, notes };
}

/** A computer in a fresh temporary folder; `cleanup` removes it. */
export function directoryComputer(p: MachineProfile = profile()): { computer: DirectoryComputer; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'osd-handler-'));
  return { computer: new DirectoryComputer(root, p), cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

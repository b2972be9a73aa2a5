import { importXmlText } from '../../src/sequence/codec/xml-import.js';
import type { TaskSequence } from '../../src/sequence/model/task-sequence.js';
import type { HostFacts, InitialVariable, RunOutcome } from '../../src/engine/engine.js';
import { Engine } from '../../src/engine/engine.js';
import { MemoryJournal } from '../../src/engine/memory-journal.js';
import type { Executor, LogEntry, StatusEvent, StepExecution, StepResult } from '../../src/engine/ports.js';

export const cond = (variable: string, op: string, value: string): string =>
  `<expression type="SMS_TaskSequence_VariableConditionExpression"><variable name="Operator">${op}</variable><variable name="Value">${value}</variable><variable name="Variable">${variable}</variable></expression>`;

export function cmd(
  name: string,
  opts: {
    coe?: boolean;
    disabled?: boolean;
    condition?: string;
    codes?: string;
    runIn?: string;
    timeout?: number;
    retry?: number;
    action?: string;
    vars?: Array<[string, string, boolean?]>;
  } = {},
): string {
  const attrs = [
    `type="SMS_TaskSequence_RunCommandLineAction"`,
    `name="${name}"`,
    `description=""`,
    opts.disabled ? 'disable="true"' : '',
    opts.coe ? 'continueOnError="true"' : '',
    opts.timeout ? `timeout="${opts.timeout}"` : '',
    `runIn="${opts.runIn ?? 'WinPEandFullOS'}"`,
    `successCodeList="${opts.codes ?? '0 3010'}"`,
    opts.retry !== undefined ? `retryCount="${opts.retry}"` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const vars = (opts.vars ?? []).map(([n, v, hidden]) => `<variable name="${n}" property="${n}"${hidden ? ' hidden="true"' : ''}>${v}</variable>`).join('');
  return `<step ${attrs}>${opts.condition ? `<condition>${opts.condition}</condition>` : ''}<action>${opts.action ?? `smsswd.exe /run: ${name}`}</action><defaultVarList>${vars}</defaultVarList></step>`;
}

export const group = (name: string, body: string, opts: { coe?: boolean; disabled?: boolean; condition?: string } = {}): string =>
  `<group name="${name}" description=""${opts.disabled ? ' disable="true"' : ''}${opts.coe ? ' continueOnError="true"' : ''}>${opts.condition ? `<condition>${opts.condition}</condition>` : ''}${body}</group>`;

export const sequence = (body: string): TaskSequence => importXmlText(`<sequence version="3.10">${body}</sequence>`).sequence;

export const EMPTY_INVENTORY = { schema: 'openosd.inventory/v1', environment: 'winpe', source: 'fixture', wmi: {} } as const;

export function host(environment: 'WinPE' | 'FullOS' = 'WinPE', builtIns: Record<string, string> = {}): HostFacts {
  return { environment, builtIns, inventory: { ...EMPTY_INVENTORY, environment: environment === 'WinPE' ? 'winpe' : 'fullos', wmi: {} } };
}

/** An executor scripted per step name: exit codes, restarts, variable writes; records what ran. */
export class ScriptedExecutor implements Executor {
  readonly ran: string[] = [];
  readonly executions: StepExecution[] = [];
  constructor(private readonly script: Record<string, (x: StepExecution) => StepResult | Promise<StepResult>> = {}) {}
  async execute(x: StepExecution): Promise<StepResult> {
    this.ran.push(x.step.name);
    this.executions.push(x);
    const f = this.script[x.step.name];
    return f ? f(x) : { exitCode: 0 };
  }
}

export interface Run {
  outcome: RunOutcome;
  engine: Engine;
  events: StatusEvent[];
  log: LogEntry[];
  journal: MemoryJournal;
}

export async function runOnce(
  ts: TaskSequence,
  executor: Executor,
  opts: { host?: HostFacts; journal?: MemoryJournal; vars?: InitialVariable[] } = {},
): Promise<Run> {
  const events: StatusEvent[] = [];
  const log: LogEntry[] = [];
  const journal = opts.journal ?? new MemoryJournal();
  const engine = new Engine({
    sequence: ts,
    executor,
    journal,
    host: opts.host ?? host(),
    status: { emit: (e) => events.push(e) },
    log: { write: (e) => log.push(e) },
    initialVariables: opts.vars,
  });
  return { outcome: await engine.run(), engine, events, log, journal };
}

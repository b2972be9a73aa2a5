/**
 * The simulator on the server (the console's Simulate panel; docs/site.md "Simulating on the
 * site"): a stored revision, or a sequence not saved yet, run by the engine's simulator against an
 * example machine profile (examples/machines/) or a device the site knows. Every decision is the
 * simulator's own (src/engine/simulate/): each step run, skipped (with the condition that was
 * false), disabled, failed or not reached, and why. Nothing is done on any computer.
 *
 * The work is bounded before and while it runs: the sequence's size and item count are checked
 * first (400/413 naming the field), then the run has a time and an instruction budget, and it
 * yields to the event loop as it goes, so a simulation never holds up the server's other requests.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stepSimulators } from '../../actions/handlers/index.js';
import type { InitialVariable } from '../../engine/engine.js';
import { scrubSecrets } from '../../engine/environment.js';
import { hex } from '../../engine/error-codes.js';
import { parseMachineProfile, type MachineProfile } from '../../engine/machine-profile/index.js';
import type { JournalState, JournalStore } from '../../engine/ports.js';
import { ConditionErrors, simulate, type MediaType, type SimulatedInstruction, type SimulationReport } from '../../engine/simulate/simulate.js';
import type { TaskSequence } from '../../sequence/model/task-sequence.js';
import { variablesForDevice } from '../collections/variables.js';
import { getDevice } from '../devices/devices.js';
import { badInput, SiteError } from '../errors.js';
import { deviceFacts, policyTarget } from '../mp/policy.js';
import { nextSteps } from '../next-steps.js';
import type { Site } from '../site.js';
import { checkSiteLimits, loadRevision } from './revisions.js';
import { jsonText, readSequenceContent } from './task-sequences.js';

/** The JSON text of an unsaved sequence (the stored form of a task sequence is at most 2 MB of XML; its JSON is larger). */
export const MAX_SIMULATE_SEQUENCE_BYTES = 4 * 1024 * 1024;
/** Variables and forced exit codes a simulation may be given. */
export const MAX_SIMULATE_VARIABLES = 500;
export const MAX_SIMULATE_FAILURES = 100;
/** The run's budget: wall time, and instructions the engine records (every step and group, each restart's re-runs too). */
export const SIMULATE_TIME_BUDGET_MS = 10_000;
export const SIMULATE_INSTRUCTION_BUDGET = 200_000;
/** Restarts followed before the run counts as a restart loop. */
export const SIMULATE_MAX_RESTARTS = 50;

export const SIMULATED_OUTCOMES = ['run', 'failed', 'skipped', 'disabled', 'not-reached'] as const;
export type SimulatedOutcome = (typeof SIMULATED_OUTCOMES)[number];

// ---- example machine profiles

export interface MachineProfileSummary {
  /** The file's name without .json: what a simulation names. */
  id: string;
  name: string;
  description: string;
  firmware: 'bios' | 'uefi';
  architecture: string;
  /** The installed operating system's caption; null for bare metal (starts from the network). */
  operatingSystem: string | null;
}

interface ExampleProfile {
  summary: MachineProfileSummary;
  profile: MachineProfile;
}

let examples: Map<string, ExampleProfile> | undefined;

/** examples/machines/ of the installation: found by walking up from this file (src/ under vitest, dist/ when built). */
function examplesFolder(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'examples', 'machines');
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

function loadExamples(): Map<string, ExampleProfile> {
  if (examples) return examples;
  const out = new Map<string, ExampleProfile>();
  const folder = examplesFolder();
  for (const file of folder ? readdirSync(folder).filter((f) => f.endsWith('.json')) : []) {
    const id = file.slice(0, -'.json'.length);
    const profile = parseMachineProfile(readFileSync(join(folder!, file), 'utf8'), file);
    out.set(id.toLowerCase(), {
      profile,
      summary: {
        id,
        name: profile.name,
        description: profile.description ?? '',
        firmware: profile.firmware,
        architecture: profile.architecture,
        operatingSystem: profile.currentOs?.caption ?? null,
      },
    });
  }
  examples = out;
  return out;
}

/** The example machine profiles a simulation can run against, by id. */
export function listMachineProfiles(): MachineProfileSummary[] {
  return [...loadExamples().values()].map((e) => e.summary).sort((a, b) => a.id.localeCompare(b.id));
}

function exampleProfile(id: string, field: string): ExampleProfile {
  const found = loadExamples().get(id.toLowerCase());
  if (!found) {
    const known = listMachineProfiles().map((p) => p.id);
    throw badInput(
      field,
      `no example machine profile is called "${id}"`,
      known.length ? `one of: ${known.join(', ')}` : 'this installation has no example machine profiles',
    );
  }
  return found;
}

// ---- the machine: a profile, or a device

export interface SimulateMachineInput {
  /** An example machine profile's id. */
  profile?: string;
  /** A device the site knows (its firmware, architecture, identity, inventory and variables). */
  resourceId?: number;
  /** For a device that has not told the site its firmware or architecture (it never started from the network or media). */
  firmware?: 'bios' | 'uefi';
  architecture?: 'x86' | 'x64' | 'arm64';
}

export interface SimulatedMachine {
  source: 'profile' | 'device';
  name: string;
  profile: string | null;
  resourceId: number | null;
  firmware: 'bios' | 'uefi';
  architecture: string;
  /** What the site filled in or assumed, in words. */
  notes: string[];
}

interface MachineSetUp {
  machine: SimulatedMachine;
  profile: MachineProfile;
  variables: InitialVariable[];
}

const ARCHITECTURES = ['x86', 'x64', 'arm64'] as const;

/**
 * A device as a machine profile. The site records of a device its name, MACs, SMBIOS GUID,
 * inventory properties (manufacturer, model, serial number …), what it said when it registered
 * (firmware, architecture) and its variables — not its disks or installed OS. Those come from the
 * bare-metal example profile of the same firmware (and architecture where there is one), said so
 * in the notes.
 */
async function deviceMachine(site: Site, input: SimulateMachineInput): Promise<MachineSetUp> {
  const resourceId = input.resourceId!;
  const device = await getDevice(site.db, resourceId);
  const facts = await deviceFacts(site.db, resourceId);
  const notes: string[] = [];
  const propertyArchitecture = String(device.properties.architecture ?? '').toLowerCase();
  const firmware = input.firmware ?? (facts.firmware as 'bios' | 'uefi' | null) ?? undefined;
  if (!firmware) {
    throw badInput(
      'body.firmware',
      `device ${resourceId} (${device.name}) has not told the site its firmware: it has not started from the network or from media yet`,
      'say which firmware to simulate it with: bios or uefi',
    );
  }
  const architecture =
    input.architecture ?? (facts.architecture as (typeof ARCHITECTURES)[number] | null) ?? ARCHITECTURES.find((a) => a === propertyArchitecture) ?? undefined;
  if (!architecture) {
    throw badInput(
      'body.architecture',
      `device ${resourceId} (${device.name}) has not told the site its architecture, and its inventory does not say it`,
      'say which architecture to simulate it with: x86, x64 or arm64',
    );
  }
  if (input.firmware && facts.firmware && input.firmware !== facts.firmware)
    notes.push(`firmware ${input.firmware} as asked (the device registered with ${facts.firmware})`);
  if (input.architecture && facts.architecture && input.architecture !== facts.architecture)
    notes.push(`architecture ${input.architecture} as asked (the device registered as ${facts.architecture})`);
  const bare = [...loadExamples().values()].filter((e) => e.profile.currentOs == null && e.profile.firmware === firmware);
  const base = bare.find((e) => e.profile.architecture === architecture) ?? bare[0];
  if (!base)
    throw new SiteError('unavailable', {
      input: 'body.resourceId',
      rule: `this installation has no bare-metal example machine profile with ${firmware} firmware`,
    });
  notes.push(
    `disks, processor and devices are those of the example "${base.summary.name}" (${base.summary.id}): the site does not record a device's disks or installed OS`,
  );
  const template = base.profile.networkAdapters[0];
  const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v : undefined);
  const raw = {
    ...JSON.parse(JSON.stringify(base.profile)),
    name: device.name,
    description: `device ${resourceId} at the site`,
    architecture,
    firmware,
    make: text(device.properties.manufacturer) ?? base.profile.make,
    model: text(device.properties.model) ?? base.profile.model,
    serialNumber: text(device.properties.serialNumber) ?? base.profile.serialNumber,
    uuid: device.smbiosGuid ?? base.profile.uuid,
    networkAdapters: device.macAddresses.length && template ? device.macAddresses.map((mac) => ({ ...template, mac })) : base.profile.networkAdapters,
    currentOs: null,
  } as Record<string, unknown>;
  let profile: MachineProfile;
  try {
    profile = parseMachineProfile(JSON.stringify(raw), `device ${resourceId}`);
  } catch {
    // An inventory value the profile format does not take (a model name too long …): the example's identity.
    profile = { ...base.profile, name: device.name, architecture, firmware, currentOs: null } as MachineProfile;
    notes.push("the device's inventory does not fit a machine profile; the example's make, model and identity were used");
  }
  const target = policyTarget({ resourceId }, facts);
  const variables =
    target === null
      ? []
      : (await variablesForDevice(site, target, { unknownComputer: facts.unknown })).map((v) => ({ name: v.name, value: v.value, secret: v.masked }));
  if (variables.length) notes.push(`${variables.length} collection and device variable(s) as the management point would give them`);
  return {
    machine: { source: 'device', name: device.name, profile: base.summary.id, resourceId, firmware, architecture, notes },
    profile,
    variables,
  };
}

function profileMachine(input: SimulateMachineInput): MachineSetUp {
  if (input.firmware || input.architecture) {
    throw badInput(
      input.firmware ? 'body.firmware' : 'body.architecture',
      'firmware and architecture are given with a device only',
      'an example profile has its own: choose another example to change them',
    );
  }
  const e = exampleProfile(input.profile!, 'body.profile');
  return {
    machine: {
      source: 'profile',
      name: e.summary.name,
      profile: e.summary.id,
      resourceId: null,
      firmware: e.profile.firmware,
      architecture: e.profile.architecture,
      notes: [],
    },
    profile: e.profile,
    variables: [],
  };
}

// ---- the run

export interface SimulateInput extends SimulateMachineInput {
  /** A stored revision (default: the current one); with a task sequence id only. */
  revision?: number;
  /** An unsaved sequence: the JSON document the site gives with a task sequence. */
  sequence?: Record<string, unknown>;
  mediaType?: MediaType;
  /** Variables as a collection or device would set them, after the device's own. */
  variables?: { name: string; value: string }[];
  /** Make a step (its path or name) exit with a code: what happens when it fails. */
  fail?: { step: string; exitCode: number }[];
}

export interface SimulatedStep {
  index: number;
  path: string;
  name: string;
  kind: 'group' | 'step';
  type: string | null;
  outcome: SimulatedOutcome;
  /** Why it was skipped, disabled, not reached or failed; null when it ran. */
  reason: string | null;
  predicted: boolean;
  exitCode: number | null;
  exitCodeHex: string | null;
  runs: number;
  effects: string[];
  assumed: string[];
}

export interface SimulationAnswer {
  taskSequenceId: string | null;
  revision: number | null;
  machine: SimulatedMachine;
  startedIn: 'WinPE' | 'FullOS';
  result: 'success' | 'failure';
  exitCode: number;
  exitCodeHex: string;
  failedAt: string | null;
  message: string | null;
  steps: SimulatedStep[];
  restarts: { after: string; into: 'WinPE' | 'FullOS' }[];
  counts: Record<SimulatedOutcome, number>;
  variables: Record<string, string>;
  budget: { instructions: number; milliseconds: number };
}

class BudgetExceeded extends Error {}

/**
 * The run's journal, in memory: it keeps the last state the engine saved (the engine saves a fresh
 * state before every step and before a restart, and a new engine after a restart starts from it),
 * copied only when read back — not serialised at every save, which costs as much as the variables
 * there are, at every step. It counts the saves, stops the run past its budget and yields to the
 * event loop as it goes.
 */
class BudgetJournal implements JournalStore {
  private state: JournalState | undefined;
  saves = 0;
  private readonly started = Date.now();
  constructor(
    private readonly maxSaves: number,
    private readonly maxMs: number,
  ) {}
  get elapsed(): number {
    return Date.now() - this.started;
  }
  async load(): Promise<JournalState | undefined> {
    return this.state === undefined ? undefined : structuredClone(this.state);
  }
  async save(state: JournalState): Promise<void> {
    this.saves++;
    if (this.saves > this.maxSaves) throw new BudgetExceeded(`it recorded more than ${this.maxSaves} instructions`);
    if (this.saves % 64 === 0) {
      await new Promise((r) => setImmediate(r));
      if (this.elapsed > this.maxMs) throw new BudgetExceeded(`it ran longer than ${this.maxMs / 1000} s`);
    }
    this.state = state;
  }
}

const OUTCOME: Record<SimulatedInstruction['outcome'], SimulatedOutcome> = {
  ran: 'run',
  failed: 'failed',
  skipped: 'skipped',
  disabled: 'disabled',
  notReached: 'not-reached',
};

function checkInputs(input: SimulateInput): void {
  if ((input.profile === undefined) === (input.resourceId === undefined)) {
    throw badInput(
      'body.profile',
      'give the machine as "profile" (an example machine profile) or as "resourceId" (a device), one of them',
      'list the example machine profiles',
    );
  }
  if ((input.variables?.length ?? 0) > MAX_SIMULATE_VARIABLES) {
    throw badInput('body.variables', `a simulation takes at most ${MAX_SIMULATE_VARIABLES} variables; ${input.variables!.length} were given`);
  }
  if ((input.fail?.length ?? 0) > MAX_SIMULATE_FAILURES) {
    throw badInput('body.fail', `a simulation takes at most ${MAX_SIMULATE_FAILURES} forced exit codes; ${input.fail!.length} were given`);
  }
}

async function unsavedSequence(value: Record<string, unknown>): Promise<TaskSequence> {
  const text = jsonText(value, 'body.sequence');
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_SIMULATE_SEQUENCE_BYTES) {
    throw new SiteError('too-large', {
      input: 'body.sequence',
      rule: `the sequence is ${bytes} bytes of JSON; a simulation takes at most ${MAX_SIMULATE_SEQUENCE_BYTES}`,
      hint: 'a task sequence the site can store is smaller (2 MB as XML)',
    });
  }
  const loaded = await readSequenceContent({ format: 'json', content: text }, 'body.sequence');
  return loaded.sequence;
}

/** Runs the simulator: `id` a stored task sequence (revision: the current one unless given), or `input.sequence` unsaved. */
export async function simulateTaskSequence(
  site: Site,
  id: string | null,
  input: SimulateInput,
  budget: { milliseconds?: number; instructions?: number } = {},
): Promise<SimulationAnswer> {
  checkInputs(input);
  let sequence: TaskSequence;
  let revision: number | null = null;
  let packageId: string | null = null;
  const field = id ? `revision ${input.revision ?? 'current'}` : 'body.sequence';
  if (id) {
    // The stored model, secrets empty: a simulation never needs (or shows) a password.
    const loaded = await loadRevision(site, id, input.revision);
    sequence = loaded.sequence;
    revision = loaded.info.revision;
    packageId = loaded.packageId;
  } else {
    if (!input.sequence) throw badInput('body.sequence', 'give the sequence to simulate (the JSON document the site gives with a task sequence)');
    sequence = await unsavedSequence(input.sequence);
  }
  checkSiteLimits(sequence, id ? field : 'body.sequence');
  const setUp = input.resourceId !== undefined ? await deviceMachine(site, input) : profileMachine(input);
  const variables: InitialVariable[] = [...setUp.variables, ...(input.variables ?? []).map((v) => ({ name: v.name, value: v.value, secret: false }))];
  const journal = new BudgetJournal(budget.instructions ?? SIMULATE_INSTRUCTION_BUDGET, budget.milliseconds ?? SIMULATE_TIME_BUDGET_MS);
  let report: SimulationReport;
  try {
    report = await simulate(sequence, {
      profile: setUp.profile,
      steps: stepSimulators({ checks: true }),
      variables,
      fail: (input.fail ?? []).map((f) => ({ step: f.step, exitCode: f.exitCode >>> 0 })),
      mediaType: input.mediaType,
      maxRestarts: SIMULATE_MAX_RESTARTS,
      journal,
    });
  } catch (e) {
    if (e instanceof ConditionErrors) {
      throw badInput(
        id ? field : 'body.sequence',
        `conditions that cannot be evaluated (never treated as true): ${e.problems
          .slice(0, 20)
          .map((p) => `${p.path}: ${p.construct}: ${p.message}`)
          .join('; ')}${e.problems.length > 20 ? `; and ${e.problems.length - 20} more` : ''}`,
        'fix the conditions (lint shows them too), then simulate again',
        id ? nextSteps({ step: 'lint-task-sequence', ids: { id } }) : undefined,
      );
    }
    if (e instanceof BudgetExceeded) {
      throw new SiteError('blocked', {
        input: id ? field : 'body.sequence',
        rule: `the simulation was stopped: ${e.message} (a simulation may take ${(budget.milliseconds ?? SIMULATE_TIME_BUDGET_MS) / 1000} s and ${budget.instructions ?? SIMULATE_INSTRUCTION_BUDGET} instructions)`,
        hint: 'look for a restart or retry loop; simulate a smaller part of the sequence',
      });
    }
    throw e;
  }
  for (const f of input.fail ?? []) {
    if (!report.instructions.some((i) => i.name === f.step || i.path === f.step)) {
      throw badInput(
        'body.fail',
        `no step is called "${f.step}"`,
        'name a step by its name or its path (group names and the step name with " / " between them)',
      );
    }
  }
  // The engine masks secret variables itself; the answer is scrubbed once more for their values.
  const secrets = variables.filter((v) => v.secret && v.value).map((v) => v.value);
  const scrub = (s: string): string => (secrets.length ? scrubSecrets(s, secrets) : s);
  const steps: SimulatedStep[] = report.instructions.map((i) => ({
    index: i.index,
    path: scrub(i.path),
    name: scrub(i.name),
    kind: i.kind,
    type: i.type ?? null,
    outcome: OUTCOME[i.outcome],
    reason: i.outcome === 'ran' || !i.reason ? null : scrub(i.reason),
    predicted: i.predicted === true,
    exitCode: i.exitCode === undefined ? null : i.exitCode >>> 0,
    exitCodeHex: i.exitCode === undefined ? null : hex(i.exitCode),
    runs: i.runs ?? 0,
    effects: (i.effects ?? []).map(scrub),
    assumed: (i.assumed ?? []).map(scrub),
  }));
  const counts = Object.fromEntries(SIMULATED_OUTCOMES.map((o) => [o, 0])) as Record<SimulatedOutcome, number>;
  for (const s of steps) if (s.kind === 'step') counts[s.outcome]++;
  return {
    taskSequenceId: packageId,
    revision,
    machine: setUp.machine,
    startedIn: report.startedIn,
    result: report.result,
    exitCode: report.exitCode >>> 0,
    exitCodeHex: hex(report.exitCode),
    failedAt: report.failedAt ?? null,
    message: report.message ? scrub(report.message) : null,
    steps,
    restarts: report.reboots.map((r) => ({ after: r.after, into: r.environment })),
    counts,
    variables: Object.fromEntries(Object.entries(report.variables).map(([k, v]) => [k, scrub(v)])),
    budget: { instructions: journal.saves, milliseconds: journal.elapsed },
  };
}

/** `osd ts simulate` and `osd ts run`: the engine against a machine profile, dry or for real. */
import { join } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { InitialVariable } from '../engine/engine.js';
import type { ConditionErrors, MediaType, SimulationReport } from '../engine/simulate/simulate.js';
import { InputError } from '../sequence/input-error.js';
import { CliExit, EXIT_FINDINGS, print, printJson, showable, writeFileAtomic } from './output.js';

// The engine, the step handlers and the codecs are imported by the action that runs, not when osd
// starts: `osd ts show` must not pay for the simulator (issue 16 item 2).

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function assignment(text: string, option: string): { name: string; value: string } {
  const at = text.indexOf('=');
  if (at <= 0) throw new InputError({ input: option, rule: `"${text}" is not NAME=VALUE`, hint: `e.g. ${option} OSDComputerName=PC001` });
  return { name: text.slice(0, at).trim(), value: text.slice(at + 1) };
}

function exitCode(text: string, step: string): number {
  const t = text.trim();
  const n = /^0x[0-9a-f]{1,8}$/i.test(t) ? parseInt(t, 16) : /^-?\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isFinite(n) || n > 0xffffffff || n < -0x80000000) {
    throw new InputError({
      input: '--fail',
      rule: `"${text}" for step "${step}" is not an exit code`,
      hint: 'write a decimal number or hex, e.g. --fail "Apply Operating System"=0x80070002',
    });
  }
  return n >>> 0;
}

interface EngineFlags {
  machine: string;
  var?: string[];
  secretVar?: string[];
  fail?: string[];
  mediaType?: MediaType;
  json?: boolean;
  quiet?: boolean;
  packageId?: string;
}

function variablesFrom(opts: EngineFlags): InitialVariable[] {
  return [
    ...(opts.var ?? []).map((v) => ({ ...assignment(v, '--var'), secret: false })),
    ...(opts.secretVar ?? []).map((v) => ({ ...assignment(v, '--secret-var'), secret: true })),
  ];
}

export function conditionErrors(e: ConditionErrors, file: string): InputError {
  return new InputError({
    input: file,
    rule: `conditions that cannot be evaluated (never treated as true):\n${e.problems.map((p) => `  ${p.path}: ${p.construct}: ${p.message}${p.hint ? ` (${p.hint})` : ''}`).join('\n')}`,
    hint: 'fix the conditions (osd ts lint shows them too), then simulate again',
  });
}

export async function report(file: string, r: SimulationReport, opts: { json?: boolean; variables?: boolean }): Promise<void> {
  const { renderSimulation, renderVariables } = await import('../engine/simulate/report.js');
  if (opts.json) {
    const { log: _log, ...rest } = r;
    void _log;
    printJson(rest);
  } else {
    process.stdout.write(showable(renderSimulation(r, file)));
    if (opts.variables) print(`\nVariables at the end (secrets masked):\n${renderVariables(r.variables)}`);
  }
}

const engineOptions = (c: Command): Command =>
  c
    .requiredOption('-m, --machine <profile>', 'machine profile (JSON, see docs/machine-profile.md)')
    .option('--var <NAME=VALUE>', 'a variable as a collection or device variable would set it (repeatable)', collect)
    .option('--secret-var <NAME=VALUE>', 'a masked variable (repeatable); never printed', collect)
    .addOption(
      new Option('--media-type <type>', 'start from media or PXE (in Windows PE); default: Software Center when the machine has an OS, else PXE').choices([
        'BootMedia',
        'FullMedia',
        'PXE',
        'OEMMedia',
      ]),
    )
    .option('--package-id <id>', 'which task sequence to take from a console export holding several')
    .option('-q, --quiet', 'do not print import warnings');

export function registerEngineCommands(ts: Command): void {
  engineOptions(
    ts
      .command('simulate')
      .description('dry-run the task sequence on a machine profile: what runs, what is skipped and why, restarts, final variables')
      .argument('<file>', 'task sequence file'),
  )
    .option('--fail <"STEP"=CODE>', 'make a step (name or path) exit with this code (repeatable)', collect)
    .option('--variables', 'also list the variables at the end')
    .option('--log <file>', 'write the simulated smsts.log (CMTrace format) here')
    .option('-c, --content <dir>', 'content library (osd lab content DIR): check images and preview driver matching against it')
    .option('--json', 'print the report as JSON (docs/simulation-report.md)')
    .action(async (file: string, opts: EngineFlags & { variables?: boolean; log?: string; content?: string }) => {
      // In the order the static imports had: the same module evaluation order.
      const { openContentLibrary } = await import('../actions/content.js');
      const { stepSimulators } = await import('../actions/handlers/index.js');
      const { loadMachineProfile } = await import('../engine/machine-profile/index.js');
      const { ConditionErrors, simulate } = await import('../engine/simulate/simulate.js');
      const { loadTaskSequenceFile } = await import('../sequence/codec/load.js');
      const profile = loadMachineProfile(opts.machine);
      const { sequence, warnings } = loadTaskSequenceFile(file, { packageId: opts.packageId });
      if (!opts.quiet && !opts.json) for (const w of warnings) process.stderr.write(`osd: warning: ${file}:${w.at}: ${w.message}\n`);
      const fail = (opts.fail ?? []).map((f) => {
        const a = assignment(f, '--fail');
        return { step: a.name.replace(/^"(.*)"$/, '$1'), exitCode: exitCode(a.value, a.name) };
      });
      let r: SimulationReport;
      try {
        const content = opts.content ? openContentLibrary(opts.content) : undefined;
        r = await simulate(sequence, {
          profile,
          variables: variablesFrom(opts),
          fail,
          mediaType: opts.mediaType,
          steps: stepSimulators({ content, checks: true }),
        });
      } catch (e) {
        if (e instanceof ConditionErrors) throw conditionErrors(e, file);
        throw e;
      }
      for (const f of fail) {
        if (!r.instructions.some((i) => i.name === f.step || i.path === f.step)) {
          throw new InputError({ input: '--fail', rule: `no step is called "${f.step}"`, hint: 'use a step name or path as "osd ts show" prints it' });
        }
      }
      if (opts.log) writeFileAtomic(opts.log, r.log);
      await report(file, r, opts);
      if (r.result !== 'success') throw new CliExit(EXIT_FINDINGS);
    });

  engineOptions(
    ts
      .command('run')
      .description(
        'run the task sequence for real on this host against a machine profile: Run Command Line steps run as processes, other steps are predicted; resumable after a restart or a crash',
      )
      .argument('<file>', 'task sequence file'),
  )
    .requiredOption('-s, --state <dir>', 'folder for the journal and smsts.log (reuse it to resume)')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, opts: EngineFlags & { state: string }) => {
      const { stepSimulators } = await import('../actions/handlers/index.js');
      const { loadMachineProfile } = await import('../engine/machine-profile/index.js');
      const { ConditionErrors, simulate } = await import('../engine/simulate/simulate.js');
      const { FileJournal, journalPath } = await import('../runner/file-journal.js');
      const { ProcessExecutor } = await import('../runner/process-executor.js');
      const { SmstsLog } = await import('../runner/smsts-log.js');
      const { loadTaskSequenceFile } = await import('../sequence/codec/load.js');
      const profile = loadMachineProfile(opts.machine);
      const { sequence } = loadTaskSequenceFile(file, { packageId: opts.packageId });
      const journal = new FileJournal(journalPath(opts.state));
      const log = new SmstsLog(join(opts.state, 'logs'));
      let r: SimulationReport;
      try {
        r = await simulate(sequence, {
          profile,
          variables: variablesFrom(opts),
          mediaType: opts.mediaType,
          journal,
          log,
          steps: stepSimulators(),
          executor: (predicting) => new ProcessExecutor(predicting),
        });
      } catch (e) {
        if (e instanceof ConditionErrors) throw conditionErrors(e, file);
        throw e;
      }
      // Steps this host cannot do are predicted: say how many, and which (issue 11 item 7).
      const predicted = r.instructions.filter((i) => i.kind === 'step' && i.predicted && (i.outcome === 'ran' || i.outcome === 'failed'));
      const done = r.instructions.filter((i) => i.kind === 'step' && !i.predicted && (i.outcome === 'ran' || i.outcome === 'failed')).length;
      if (opts.json) {
        printJson({
          result: r.result,
          exitCode: r.exitCode,
          failedAt: r.failedAt,
          reboots: r.reboots,
          log: log.path,
          journalWrites: journal.writes,
          stepsDone: done,
          stepsPredicted: predicted.length,
          predicted: predicted.map((i) => ({ path: i.path, assumed: i.assumed ?? [] })),
        });
      } else {
        print(
          `${r.result === 'success' ? 'SUCCESS' : `FAILURE (${r.message})`} (this run: ${done} step${done === 1 ? '' : 's'} done, ${predicted.length} only predicted, not done on this host); smsts.log: ${log.path}`,
        );
      }
      if (r.result !== 'success') throw new CliExit(EXIT_FINDINGS);
    });
}

/**
 * The simulation report as an admin reads it — and the report of a real run (`osd lab boot`), where
 * a step that was only predicted is marked as such, with what was assumed, and the summary counts
 * them: a run never reports as done what nobody did (issue 11 item 7).
 */
import { hex } from '../error-codes.js';
import { NO_PREDICTION } from './predicting-executor.js';
import type { InstructionOutcome, SimulatedInstruction, SimulationReport } from './simulate.js';

const MARK: Record<InstructionOutcome, string> = {
  ran: 'ran       ',
  failed: 'FAILED    ',
  skipped: 'skipped   ',
  disabled: 'disabled  ',
  notReached: 'not reached',
};

/** A step that ran or failed by being predicted. */
function predictedStep(i: SimulatedInstruction): boolean {
  return i.kind === 'step' && i.predicted === true && (i.outcome === 'ran' || i.outcome === 'failed');
}

export function renderSimulation(report: SimulationReport, title: string): string {
  const lines: string[] = [];
  lines.push(`${title}: starts in ${report.startedIn === 'WinPE' ? 'Windows PE' : 'the full OS'}`);
  lines.push('');
  for (const i of report.instructions) {
    const indent = '  '.repeat(i.path.split(' / ').length - 1);
    const label = i.kind === 'group' ? `▸ ${i.name}` : i.name;
    const code = i.exitCode !== undefined && i.outcome === 'ran' && i.exitCode !== 0 ? `  (exit ${i.exitCode})` : '';
    const runs = i.runs && i.runs > 1 ? `  (ran ${i.runs} times)` : '';
    // In a real run a predicted step is marked so; in a dry run everything is (said once, below).
    const mark = !report.dryRun && predictedStep(i) && i.outcome === 'ran' ? 'predicted ' : MARK[i.outcome];
    lines.push(`${mark.padEnd(12)}${indent}${label}${code}${runs}`);
    const why = i.outcome === 'ran' ? undefined : i.reason;
    // Children of a skipped/disabled group repeat its reason: show it once, on the group.
    if (why && !/^(in disabled group|group ".*" was skipped)/.test(why)) lines.push(`${' '.repeat(12)}${indent}  ↳ ${why}`);
    const assumed = (i.assumed ?? []).filter((a) => !report.dryRun || a !== NO_PREDICTION);
    if (!report.dryRun && predictedStep(i)) {
      lines.push(`${' '.repeat(12)}${indent}  ↳ not done, only predicted${assumed.length ? `: assumed ${assumed.join('; ')}` : ''}`);
    }
    for (const e of i.effects ?? []) lines.push(`${' '.repeat(12)}${indent}  · ${e}`);
    if (report.dryRun) for (const a of assumed) lines.push(`${' '.repeat(12)}${indent}  · assumed: ${a}`);
  }
  lines.push('');
  if (report.reboots.length) {
    lines.push(`Restarts (${report.reboots.length}):`);
    for (const r of report.reboots) lines.push(`  after "${r.after}" → ${r.target === 'WinPE' ? 'Windows PE' : 'the installed OS'}`);
    lines.push('');
  }
  const counts: Record<InstructionOutcome, number> = { ran: 0, failed: 0, skipped: 0, disabled: 0, notReached: 0 };
  for (const i of report.instructions) if (i.kind === 'step') counts[i.outcome]++;
  const tail = `${counts.failed} failed, ${counts.skipped} skipped, ${counts.disabled} disabled, ${counts.notReached} not reached`;
  if (report.dryRun) {
    lines.push(`Steps: ${counts.ran} ran, ${tail}`);
    const unpredicted = report.instructions.filter((i) => predictedStep(i) && i.assumed?.includes(NO_PREDICTION)).length;
    lines.push(
      `Simulated: nothing was done${unpredicted ? `; ${unpredicted} step${unpredicted === 1 ? ' has' : 's have'} no prediction of ${unpredicted === 1 ? 'its' : 'their'} own and ${unpredicted === 1 ? 'is' : 'are'} assumed to succeed without changing anything` : ''}`,
    );
  } else {
    const predicted = report.instructions.filter(predictedStep).length;
    const predictedRan = report.instructions.filter((i) => predictedStep(i) && i.outcome === 'ran').length;
    lines.push(`Steps: ${counts.ran - predictedRan} done, ${predictedRan} only predicted (not done), ${tail}`);
    if (predicted)
      lines.push(
        `Only predicted: ${predicted} step${predicted === 1 ? ' was' : 's were'} not done on this computer (no handler can do ${predicted === 1 ? 'it' : 'them'} here): see "not done" above`,
      );
  }
  lines.push(
    report.result === 'success'
      ? 'Result: SUCCESS (exit code 0)'
      : `Result: FAILURE, exit code ${hex(report.exitCode)} (${report.exitCode >>> 0})${report.failedAt ? ` at "${report.failedAt}"` : ''}${report.message && !report.message.startsWith('failed with') ? `\n  ${report.message}` : ''}`,
  );
  return lines.join('\n') + '\n';
}

export function renderVariables(variables: Record<string, string>): string {
  return Object.entries(variables)
    .map(([k, v]) => `  ${k} = ${v}`)
    .join('\n');
}

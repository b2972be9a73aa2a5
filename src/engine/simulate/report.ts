/** The simulation report as an admin reads it. */
import { hex } from '../error-codes.js';
import type { InstructionOutcome, SimulationReport } from './simulate.js';

const MARK: Record<InstructionOutcome, string> = {
  ran: 'ran       ',
  failed: 'FAILED    ',
  skipped: 'skipped   ',
  disabled: 'disabled  ',
  notReached: 'not reached',
};

export function renderSimulation(report: SimulationReport, title: string): string {
  const lines: string[] = [];
  lines.push(`${title}: starts in ${report.startedIn === 'WinPE' ? 'Windows PE' : 'the full OS'}`);
  lines.push('');
  for (const i of report.instructions) {
    const indent = '  '.repeat(i.path.split(' / ').length - 1);
    const label = i.kind === 'group' ? `▸ ${i.name}` : i.name;
    const code = i.exitCode !== undefined && i.outcome === 'ran' && i.exitCode !== 0 ? `  (exit ${i.exitCode})` : '';
    const runs = i.runs && i.runs > 1 ? `  (ran ${i.runs} times)` : '';
    lines.push(`${MARK[i.outcome].padEnd(12)}${indent}${label}${code}${runs}`);
    const why = i.outcome === 'ran' ? undefined : i.reason;
    // Children of a skipped/disabled group repeat its reason: show it once, on the group.
    if (why && !/^(in disabled group|group ".*" was skipped)/.test(why)) lines.push(`${' '.repeat(12)}${indent}  ↳ ${why}`);
    for (const e of i.effects ?? []) lines.push(`${' '.repeat(12)}${indent}  · ${e}`);
  }
  lines.push('');
  if (report.reboots.length) {
    lines.push(`Restarts (${report.reboots.length}):`);
    for (const r of report.reboots) lines.push(`  after "${r.after}" → ${r.target === 'WinPE' ? 'Windows PE' : 'the installed OS'}`);
    lines.push('');
  }
  const counts: Record<InstructionOutcome, number> = { ran: 0, failed: 0, skipped: 0, disabled: 0, notReached: 0 };
  for (const i of report.instructions) if (i.kind === 'step') counts[i.outcome]++;
  lines.push(`Steps: ${counts.ran} ran, ${counts.failed} failed, ${counts.skipped} skipped, ${counts.disabled} disabled, ${counts.notReached} not reached`);
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

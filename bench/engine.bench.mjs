#!/usr/bin/env node
// Engine benchmark (issue #3): simulation of the largest corpus file and of a generated
// 10,000-step sequence with a condition on every step; engine overhead per instruction; journal
// writes per instruction with fsync (the real journal) and without (the baseline, same run).
// Method (bench/lib-ab.mjs, issue 16): per sequence up to two comparisons, each A B A B, at least
// five pairs (OSD_BENCH_PAIRS), a GC before every run:
//   - journal: baseline `simulate` with the in-memory journal, ours with FileJournal { fsync: false }:
//     what writing the journal file after every instruction costs;
//   - fsync: baseline FileJournal { fsync: false }, ours FileJournal (fsync, the runner's): what fsync
//     adds. The generated sequence's fsync comparison (20,000 fsynced writes: minutes per run on a
//     shared disk) runs only with OSD_BENCH_ENGINE_FSYNC_10K=1; the per-write cost is the corpus file's.
// Figures: µs per instruction with the in-memory journal (median over the pairs; goal < 1000 µs),
// ms per journal write. Results: .tmp/bench/engine.json.
//   node bench/engine.bench.mjs            (after `make build`)
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTaskSequence } from '../dist/sequence/codec/load.js';
import { stepSimulators } from '../dist/actions/handlers/index.js';
import { loadMachineProfile } from '../dist/engine/machine-profile/index.js';
import { simulate } from '../dist/engine/simulate/simulate.js';
import { FileJournal } from '../dist/runner/file-journal.js';
import { benchRun, collectGarbage, comparePairs, pairCount } from './lib-ab.mjs';

const corpus = process.env.OSD_CORPUS ?? new URL('../../shared/corpus/public/', import.meta.url).pathname;
const machines = new URL('../examples/machines/', import.meta.url).pathname;
const laptop = loadMachineProfile(join(machines, 'uefi-x64-laptop-bare-metal.json'));
const refresh = loadMachineProfile(join(machines, 'win10-x64-refresh.json'));

function generated(steps) {
  const cond = (i) =>
    i % 3 === 0
      ? `<expression type="SMS_TaskSequence_VariableConditionExpression"><variable name="Operator">notEquals</variable><variable name="Value">skip</variable><variable name="Variable">Mode${i % 11}</variable></expression>`
      : i % 3 === 1
        ? `<expression type="SMS_TaskSequence_WMIConditionExpression"><variable name="Namespace">root\\cimv2</variable><variable name="Query">SELECT * FROM Win32_ComputerSystem WHERE Manufacturer LIKE '%Dell%'</variable></expression>`
        : `<operator type="or"><expression type="SMS_TaskSequence_VariableConditionExpression"><variable name="Operator">equals</variable><variable name="Value">true</variable><variable name="Variable">_SMSTSBootUEFI</variable></expression><expression type="SMS_TaskSequence_FolderConditionExpression"><variable name="Path">C:\\Windows</variable></expression></operator>`;
  let body = '';
  for (let g = 0; g < steps / 100; g++) {
    body += `<group name="Group ${g}" description="">`;
    for (let i = 0; i < 100; i++) {
      const n = g * 100 + i;
      body += `<step type="SMS_TaskSequence_SetVariableAction" name="Step ${n}" description="" runIn="WinPEandFullOS" successCodeList="0"><condition>${cond(n)}</condition><action>tsenv.exe "V${n % 50}=${n}"</action><defaultVarList><variable name="VariableName" property="VariableName" hidden="true">V${n % 50}</variable><variable name="VariableValue" property="VariableValue" hidden="true">${n}</variable></defaultVarList></step>`;
    }
    body += '</group>';
  }
  return `<sequence version="3.10">${body}</sequence>`;
}

/**
 * One sample: `k` simulations timed together (a fresh journal from makeJournal for each), as ms per
 * simulation, with the CPU time per simulation and the last simulation's journal figures. The corpus
 * file simulates in ~10 ms, too short to be a sample alone (see sampleLoop in bench/lib-ab.mjs), so
 * its k makes a sample last ~250 ms; the generated sequence's k is 1.
 */
async function simulateSample(ts, profile, makeJournal, k = 1) {
  collectGarbage();
  let report;
  let journal;
  const cpu0 = process.cpuUsage();
  const t = performance.now();
  for (let i = 0; i < k; i++) {
    journal = makeJournal?.();
    report = await simulate(ts, { profile, journal, steps: stepSimulators() });
  }
  const value = (performance.now() - t) / k;
  const cpu = process.cpuUsage(cpu0);
  return {
    value,
    iterations: k,
    cpuMs: (cpu.user + cpu.system) / 1000 / k,
    instructions: report.instructions.length,
    writes: journal?.writes ?? 0,
    writeMs: journal?.writeMs ?? 0,
    result: report.result,
  };
}

const largest = readdirSync(corpus)
  .filter((f) => f.endsWith('.xml'))
  .map((f) => ({ f, size: statSync(join(corpus, f)).size }))
  .sort((a, b) => b.size - a.size)[0];
const largestTs = loadTaskSequence(readFileSync(join(corpus, largest.f)), largest.f).sequence;
const bigTs = loadTaskSequence(Buffer.from(generated(10000)), 'generated.xml').sequence;

const run = benchRun('engine');
const pairs = pairCount();
console.log(`OpenOSD engine benchmark (${pairs} A B pairs per comparison, this machine, this run)\n`);
const dir = mkdtempSync(join(tmpdir(), 'osd-bench-'));
let n = 0;
const fileJournal = (options) => new FileJournal(join(dir, `j${n++}`, 'journal.json'), options);
try {
  for (const [key, label, ts, profile] of [
    ['largest corpus file', `largest corpus file (${largest.f})`, largestTs, refresh],
    ['generated 10,000 steps', 'generated 10,000 steps, a condition on each', bigTs, laptop],
  ]) {
    await simulateSample(ts, profile); // warm-up, unrecorded
    const first = await simulateSample(ts, profile);
    const k = Math.max(1, Math.round(250 / first.value));
    console.log(`${label}: ${first.instructions} instructions, result ${first.result}; ${k} simulation${k > 1 ? 's' : ''} per sample`);
    const journal = run.add(
      await comparePairs({
        name: `${key}: journal`,
        baseline: { label: 'simulate, in-memory journal', run: () => simulateSample(ts, profile, undefined, k) },
        ours: { label: 'simulate, FileJournal { fsync: false }', run: () => simulateSample(ts, profile, () => fileJournal({ fsync: false }), k) },
        unit: 'ms',
        better: 'lower',
        pairs,
      }),
    );
    const perInstructionUs = (journal.baselineSpread.median / first.instructions) * 1000;
    const noSync = journal.pairs.at(-1).ours;
    console.log(
      `  simulation, in-memory journal: median ${journal.baselineSpread.median.toFixed(0)} ms = ${perInstructionUs.toFixed(1)} µs per instruction (goal < 1000 µs: ${perInstructionUs < 1000 ? 'met' : 'NOT met'})`,
    );
    console.log(
      `  FileJournal: ${noSync.writes} writes, ${(noSync.writes / noSync.instructions).toFixed(2)} per instruction, ${(noSync.writeMs / noSync.writes).toFixed(3)} ms per write without fsync`,
    );
    run.figure(`${key}: µs per instruction, in-memory journal`, perInstructionUs, 'µs', 'lower');
    run.figure(`${key}: ms per FileJournal write without fsync`, noSync.writeMs / noSync.writes, 'ms', 'lower');
    if (key === 'largest corpus file' || process.env.OSD_BENCH_ENGINE_FSYNC_10K === '1') {
      const fsync = run.add(
        await comparePairs({
          name: `${key}: fsync`,
          baseline: { label: 'FileJournal { fsync: false }', run: () => simulateSample(ts, profile, () => fileJournal({ fsync: false }), k) },
          ours: { label: 'FileJournal (fsync)', run: () => simulateSample(ts, profile, () => fileJournal(), k) },
          unit: 'ms',
          better: 'lower',
          pairs,
        }),
      );
      const synced = fsync.pairs.at(-1).ours;
      console.log(`  FileJournal with fsync: ${(synced.writeMs / synced.writes).toFixed(3)} ms per write`);
      run.figure(`${key}: ms per FileJournal write with fsync`, synced.writeMs / synced.writes, 'ms', 'lower');
    }
    console.log('');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
run.finish();

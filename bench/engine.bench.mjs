#!/usr/bin/env node
// Engine benchmark (issue #3): simulation of the largest corpus file and of a generated
// 10,000-step sequence with a condition on every step; engine overhead per instruction; journal
// writes per instruction with fsync (the real journal) and without (the baseline, same run).
//   node bench/engine.bench.mjs            (after `make build`)
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTaskSequence } from '../dist/sequence/codec/load.js';
import { stepSimulators } from '../dist/actions/handlers/index.js';
import { loadMachineProfile } from '../dist/engine/machine-profile/index.js';
import { simulate } from '../dist/engine/simulate/simulate.js';
import { FileJournal } from '../dist/runner/file-journal.js';

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

async function measure(name, ts, profile, journalFactory) {
  const runs = [];
  let report;
  let instructions = 0;
  let writes = 0;
  let writeMs = 0;
  for (let k = 0; k < 3; k++) {
    const journal = journalFactory?.();
    const t = performance.now();
    report = await simulate(ts, { profile, journal, steps: stepSimulators() });
    runs.push(performance.now() - t);
    instructions = report.instructions.length;
    if (journal) {
      writes = journal.writes;
      writeMs = journal.writeMs;
    }
  }
  runs.sort((a, b) => a - b);
  const ms = runs[1];
  return { name, ms, instructions, perInstruction: ms / instructions, writes, writeMs, result: report.result };
}

const largest = readdirSync(corpus)
  .filter((f) => f.endsWith('.xml'))
  .map((f) => ({ f, size: statSync(join(corpus, f)).size }))
  .sort((a, b) => b.size - a.size)[0];
const largestTs = loadTaskSequence(readFileSync(join(corpus, largest.f)), largest.f).sequence;
const bigTs = loadTaskSequence(Buffer.from(generated(10000)), 'generated.xml').sequence;

console.log('OpenOSD engine benchmark (median of 3 runs, this machine, this run)\n');
for (const [label, ts, profile] of [
  [`largest corpus file (${largest.f})`, largestTs, refresh],
  ['generated 10,000 steps, a condition on each', bigTs, laptop],
]) {
  const mem = await measure(label, ts, profile);
  console.log(`${label}: ${mem.instructions} instructions, result ${mem.result}`);
  console.log(
    `  simulation, in-memory journal: ${mem.ms.toFixed(0)} ms = ${(mem.perInstruction * 1000).toFixed(1)} µs per instruction (goal < 1000 µs: ${mem.perInstruction < 1 ? 'met' : 'NOT met'})`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'osd-bench-'));
  let n = 0;
  const nofsync = await measure(label, ts, profile, () => new FileJournal(join(dir, `a${n++}`, 'journal.json'), { fsync: false }));
  const fsync = await measure(label, ts, profile, () => new FileJournal(join(dir, `b${n++}`, 'journal.json')));
  rmSync(dir, { recursive: true, force: true });
  console.log(
    `  file journal without fsync (baseline): ${nofsync.ms.toFixed(0)} ms, ${nofsync.writes} writes, ${(nofsync.writeMs / nofsync.writes).toFixed(3)} ms per write`,
  );
  console.log(
    `  file journal with fsync (real):         ${fsync.ms.toFixed(0)} ms, ${fsync.writes} writes, ${(fsync.writeMs / fsync.writes).toFixed(3)} ms per write; ratio to baseline ${(fsync.ms / nofsync.ms).toFixed(2)}x; ${(fsync.writes / fsync.instructions).toFixed(2)} writes per instruction\n`,
  );
}

#!/usr/bin/env node
// Import + export round trip, measured against a bare fast-xml-parser parse + build of the same
// text in the same run (issue #2), with the method of bench/lib-ab.mjs (issue 16): baseline and ours
// alternate, A B A B, at least five pairs; each sample is N calls timed together (N calibrated so a
// sample lasts ~250 ms, after a warm-up of both sides and a GC before each sample). One call per
// sample made the ratio of the 100 KiB file swing 0.11–1.16× on a loaded machine: a 2 ms call is as
// short as a scheduler time slice, a GC pause or a JIT tier-up, and the two sides were measured one
// after the other (all of A, then all of B), so a busy spell fell on one side only.
// Prints times and ratios and writes .tmp/bench/round-trip.json; never fails on a number.
//   node bench/round-trip.bench.mjs            (after `make build`; OSD_BENCH_PAIRS=N for N pairs)
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { loadTaskSequence } from '../dist/sequence/codec/load.js';
import { exportXmlText } from '../dist/sequence/codec/xml-export.js';
import { benchRun, calibrate, comparePairs, pairCount, sampleLoop } from './lib-ab.mjs';

const corpus = process.env.OSD_CORPUS ?? new URL('../../shared/corpus/public/', import.meta.url).pathname;

const fxpOptions = {
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  commentPropName: '#comment',
  cdataPropName: '#cdata',
};
function bare(text) {
  const tree = new XMLParser(fxpOptions).parse(text);
  return new XMLBuilder({ ...fxpOptions, suppressEmptyNode: true }).build(tree);
}
function ours(text) {
  const { sequence } = loadTaskSequence(Buffer.from(text, 'utf8'), 'bench.xml');
  return exportXmlText(sequence);
}

function generated(steps) {
  const step = (i) =>
    `<step type="SMS_TaskSequence_RunCommandLineAction" name="Step ${i}" description="" runIn="WinPEandFullOS" successCodeList="0 3010" retryCount="0" runFromNet="false">` +
    `<condition><expression type="SMS_TaskSequence_VariableConditionExpression"><variable name="Operator">equals</variable><variable name="Value">true</variable><variable name="Variable">Run${i % 7}</variable></expression></condition>` +
    `<action>smsswd.exe /run: cmd.exe /c echo ${i}</action><defaultVarList><variable name="CommandLine" property="CommandLine" hidden="true">cmd.exe /c echo ${i}</variable><variable name="SMSTSDisableWow64Redirection" property="DisableWow64Redirection">false</variable><variable name="SuccessCodes" property="SuccessCodes" hidden="true">0 3010</variable></defaultVarList></step>`;
  let body = '';
  for (let g = 0; g < steps / 100; g++) {
    body += `<group name="Group ${g}" description="">`;
    for (let i = 0; i < 100; i++) body += step(g * 100 + i);
    body += '</group>';
  }
  return `<sequence version="3.10">${body}</sequence>`;
}

const largest = readdirSync(corpus)
  .filter((f) => f.endsWith('.xml'))
  .map((f) => ({ f, size: statSync(join(corpus, f)).size }))
  .sort((a, b) => b.size - a.size)[0];

const cases = [
  {
    key: 'largest corpus file',
    name: `largest corpus file (${largest.f}, ${(largest.size / 1024).toFixed(0)} KiB)`,
    text: readFileSync(join(corpus, largest.f), 'utf8'),
  },
  { key: 'generated 10,000 steps', name: 'generated 10,000-step task sequence', text: generated(10000) },
];

const run = benchRun('round-trip');
const pairs = pairCount();
const sampleMs = Number(process.env.OSD_BENCH_SAMPLE_MS ?? 250);
console.log(`OpenOSD round-trip benchmark (${pairs} A B pairs, each sample ~${sampleMs} ms of repeated calls; this machine, this run)\n`);
for (const c of cases) {
  const baseline = () => bare(c.text);
  const mine = () => ours(c.text);
  // Both sides are warmed up before either is measured; values are ms per call, so each side has its own N.
  const n = Math.max(await calibrate(baseline, { sampleMs }), 1);
  const m = Math.max(await calibrate(mine, { sampleMs }), 1);
  console.log(`${c.name}: ${(c.text.length / 1048576).toFixed(2)} MiB; ${n} baseline calls and ${m} OpenOSD calls per sample`);
  const isGenerated = c.name.startsWith('generated');
  const r = run.add(
    await comparePairs({
      name: c.key,
      baseline: { label: 'fast-xml-parser parse+build', run: () => sampleLoop(baseline, n) },
      ours: { label: 'OpenOSD import+export', run: () => sampleLoop(mine, m) },
      unit: 'ms',
      better: 'lower',
      goal: { op: '<=', value: 2 },
      pairs,
    }),
  );
  if (isGenerated) {
    const ms = r.oursSpread.median;
    run.figure('generated 10,000 steps: OpenOSD import+export ms', ms, 'ms', 'lower');
    console.log(`  10,000 steps goal < 1000 ms: ${ms < 1000 ? 'met' : 'NOT met'} (median ${ms.toFixed(1)} ms)`);
  }
  console.log('');
}

// 100 MB: measured in a child process so its peak RSS is its own.
const child = `
  import { loadTaskSequence } from ${JSON.stringify(new URL('../dist/sequence/codec/load.js', import.meta.url).href)};
  import { exportXmlText } from ${JSON.stringify(new URL('../dist/sequence/codec/xml-export.js', import.meta.url).href)};
  import { countItems } from ${JSON.stringify(new URL('../dist/sequence/model/walk.js', import.meta.url).href)};
  const step = '<step type="SMS_TaskSequence_RunCommandLineAction" name="S" description="" runIn="WinPEandFullOS" successCodeList="0 3010" retryCount="0" runFromNet="false"><action>smsswd.exe /run: cmd.exe /c echo hello</action><defaultVarList><variable name="CommandLine" property="CommandLine" hidden="true">cmd.exe /c echo hello</variable><variable name="SuccessCodes" property="SuccessCodes" hidden="true">0 3010</variable></defaultVarList></step>';
  const group = '<group name="G" description="">' + step.repeat(100) + '</group>';
  const n = Math.ceil(100 * 1048576 / group.length);
  const bytes = Buffer.from('<sequence version="3.10">' + group.repeat(n) + '</sequence>');
  const before = process.memoryUsage().rss;
  const t0 = performance.now();
  const { sequence } = loadTaskSequence(bytes, 'big.xml');
  const t1 = performance.now();
  const out = exportXmlText(sequence);
  const t2 = performance.now();
  console.log(JSON.stringify({ mib: bytes.length / 1048576, steps: countItems(sequence).steps, importMs: t1 - t0, exportMs: t2 - t1, outMib: out.length / 1048576, rssBeforeMib: before / 1048576, peakRssMib: process.resourceUsage().maxRSS / 1024 }));
`;
const r = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', child], { encoding: 'utf8', maxBuffer: 1 << 20 }));
console.log(`100 MB task sequence (${r.mib.toFixed(1)} MiB, ${r.steps.toLocaleString('en')} steps):`);
console.log(`  import ${r.importMs.toFixed(0)} ms, export ${r.exportMs.toFixed(0)} ms`);
console.log(
  `  RSS with the input held: ${r.rssBeforeMib.toFixed(0)} MiB; peak RSS: ${r.peakRssMib.toFixed(0)} MiB   (goal < 1024 MiB: ${r.peakRssMib < 1024 ? 'met' : 'NOT met'})`,
);
run.figure('100 MB: import ms', r.importMs, 'ms', 'lower');
run.figure('100 MB: export ms', r.exportMs, 'ms', 'lower');
run.figure('100 MB: peak RSS MiB', r.peakRssMib, 'MiB', 'lower');
run.finish({ corpusFile: largest.f });

#!/usr/bin/env node
// Runs the whole test suite with vitest and ends with one line "N passed, N failed" (CI reads it;
// a run that executed no test shows as "0 passed, 0 failed" and fails).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';

mkdirSync('.tmp', { recursive: true });
const report = '.tmp/vitest-report.json';
if (existsSync(report)) rmSync(report);
const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)];
const run = spawnSync('npx', args, { stdio: 'inherit', env: { ...process.env, FORCE_COLOR: process.env.CI ? '0' : process.env.FORCE_COLOR } });

let passed = 0;
let failed = 0;
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed = r.numPassedTests ?? 0;
  failed = (r.numFailedTests ?? 0) + (r.numTotalTestSuites && r.success === false && r.numFailedTests === 0 ? (r.numFailedTestSuites ?? 0) : 0);
} else {
  failed = 1;
}
const line = `${passed} passed, ${failed} failed`;
writeFileSync('.tmp/test-summary.txt', `${line}\n`);
console.log(line);
const code = run.status ?? 1;
process.exit(code !== 0 ? code : passed === 0 ? 1 : failed > 0 ? 1 : 0);

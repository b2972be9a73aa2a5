// The runner's side of smsts.log (docs/smsts-log.md): a Run Command Line step as a real process
// writes the engine's and smsswd.exe's process lines; the log on disk rolls over to
// smsts-<timestamp>.log in the log's own local time, and lists its files for upload.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCmTrace } from '../../src/engine/log/cmtrace.js';
import { ProcessExecutor } from '../../src/runner/process-executor.js';
import { SmstsLog } from '../../src/runner/smsts-log.js';
import { cmd, runOnce, ScriptedExecutor, sequence } from '../engine/helpers.js';
import { tempDir } from '../helpers/temp.js';

describe('a Run Command Line step as a process', () => {
  it('"Executing command line: … with options (0, 4)", the output as smsswd.exe lines, "Command line … returned N", "Process completed with exit code N"', async () => {
    const ts = sequence(cmd('Exit 3', { action: 'smsswd.exe /run: echo hello; exit 3', codes: '0 3' }));
    const r = await runOnce(ts, new ProcessExecutor(new ScriptedExecutor()));
    const around = r.log.filter((e) => e.file === 'process-executor.ts').map((e) => [e.component, e.severity, e.message]);
    expect(around).toEqual([
      ['TSManager', 'info', 'Executing command line: smsswd.exe /run: echo hello; exit 3 with options (0, 4)'],
      ['InstallSoftware', 'info', 'hello'],
      ['InstallSoftware', 'info', 'Command line echo hello; exit 3 returned 3'],
      ['TSManager', 'info', 'Process completed with exit code 3'],
    ]);
    expect(r.log.map((e) => e.message)).toContain('Successfully completed the action (Exit 3) with the exit win32 code 3');
  });
});

describe('smsts.log on disk', () => {
  it('rolls over to smsts-YYYYMMDD-HHMMSS.log in the local time of its entries, and lists its files oldest first', () => {
    const dir = tempDir('smsts-runner-');
    // A clock at UTC+4 (bias -240).
    const log = new SmstsLog(dir, { maxBytes: 600, utcOffsetMinutes: 240, thread: 1 });
    const t0 = Date.UTC(2019, 9, 18, 22, 30, 0);
    for (let i = 0; i < 8; i++)
      log.write({ time: new Date(t0 + i * 1000), component: 'TSManager', severity: 'info', message: `entry ${i} ${'x'.repeat(150)}`, file: 'engine.ts' });
    const rolled = readdirSync(dir).filter((f) => f !== 'smsts.log');
    expect(rolled.length).toBeGreaterThan(0);
    // 22:30 UTC on 18 Oct is 02:30 on 19 Oct at UTC+4.
    for (const f of rolled) expect(f).toMatch(/^smsts-20191019-0230\d\d(-\d+)?\.log$/);
    const files = log.files();
    expect(files.at(-1)).toBe(join(dir, 'smsts.log'));
    expect(files.slice(0, -1)).toEqual([...files.slice(0, -1)].sort());
    const all = files.flatMap((f) => parseCmTrace(readFileSync(f, 'utf8')).map((e) => e.message.slice(0, 7)));
    expect(all).toEqual(['entry 0', 'entry 1', 'entry 2', 'entry 3', 'entry 4', 'entry 5', 'entry 6', 'entry 7'].slice(-all.length));
  });
});

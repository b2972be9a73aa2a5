// kill -9 at every step boundary and in the middle of steps: a new process resumes without
// re-running completed steps and without losing variables (issue #3). Real child processes.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/osd.js');
const PROFILE = join(ROOT, 'examples/machines/uefi-x64-laptop-bare-metal.json');

function taskSequence(log: string, stepSeconds: number): string {
  const run = (name: string, extra = '') =>
    `<step type="SMS_TaskSequence_RunCommandLineAction" name="${name}" description="" runIn="WinPEandFullOS" successCodeList="0" retryCount="50"><action>smsswd.exe /run: echo "start ${name}" &gt;&gt; ${log}; sleep ${stepSeconds}; echo "end ${name}${extra}" &gt;&gt; ${log}</action></step>`;
  const setVar = (name: string, value: string) =>
    `<step type="SMS_TaskSequence_SetVariableAction" name="Set ${name}" description="" runIn="WinPEandFullOS" successCodeList="0"><action>tsenv.exe "${name}=${value}"</action><defaultVarList><variable name="VariableName" property="VariableName" hidden="true">${name}</variable><variable name="VariableValue" property="VariableValue" hidden="true">${value}</variable></defaultVarList></step>`;
  const restart = `<step type="SMS_TaskSequence_RebootAction" name="Restart in Windows PE" description="" runIn="WinPEandFullOS" successCodeList="0"><action>smsboot.exe /target:WinPE</action><defaultVarList><variable name="SMSRebootTarget" property="Target" hidden="true">WinPE</variable></defaultVarList></step>`;
  return `<sequence version="3.10"><group name="Work" description="">${run('Step 1')}${setVar('Colour', 'blue')}${run('Step 2', ' %Colour%')}${restart}${run('Step 3', ' %Colour%')}${setVar('Size', 'XL')}${run('Step 4', ' %Colour% %Size%')}${run('Step 5')}</group></sequence>`;
}

const STEPS = ['Step 1', 'Step 2', 'Step 3', 'Step 4', 'Step 5'];

function check(log: string): void {
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  const starts = lines.filter((l) => l.startsWith('start ')).map((l) => STEPS.indexOf(l.slice(6)));
  // Never back to an earlier step: a completed step never runs again.
  for (let i = 1; i < starts.length; i++) expect(starts[i]).toBeGreaterThanOrEqual(starts[i - 1]);
  for (const s of STEPS) expect(lines.filter((l) => l.startsWith(`end ${s}`)).length, s).toBeGreaterThanOrEqual(1);
  // Variables set before a crash are there after it.
  expect(lines).toContain('end Step 2 blue');
  expect(lines).toContain('end Step 3 blue');
  expect(lines).toContain('end Step 4 blue XL');
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('build first: make build');
});

describe('crash and resume with a real child process', () => {
  it('kill -9 right after each journal write (every step boundary), then a new process finishes the run', () => {
    const run = (dir: string, ts: string, killAfter?: number) =>
      spawnSync(process.execPath, [BIN, 'ts', 'run', ts, '--state', join(dir, 'state'), '--machine', PROFILE, '--json'], {
        encoding: 'utf8',
        env: { ...process.env, OSD_FAULT_KILL_AFTER_JOURNAL_WRITE: killAfter === undefined ? '' : String(killAfter) },
      });
    const fresh = () => {
      const dir = tempDir('osd-crash-');
      const log = join(dir, 'steps.log');
      const ts = join(dir, 'ts.xml');
      writeFileSync(ts, taskSequence(log, 0));
      return { dir, log, ts };
    };
    // A clean run counts the durable writes: each one is a boundary to crash at.
    const clean = fresh();
    const first = run(clean.dir, clean.ts);
    expect(first.status, first.stderr).toBe(0);
    const writes = JSON.parse(first.stdout).journalWrites as number;
    expect(writes).toBeGreaterThanOrEqual(16);
    for (let n = 1; n < writes; n++) {
      const t = fresh();
      const killed = run(t.dir, t.ts, n);
      expect(killed.signal, `write ${n}`).toBe('SIGKILL');
      const resumed = run(t.dir, t.ts);
      expect(resumed.status, `after a kill at write ${n}: ${resumed.stderr}`).toBe(0);
      expect(JSON.parse(resumed.stdout).result).toBe('success');
      check(t.log);
      const lines = readFileSync(t.log, 'utf8').trim().split('\n');
      // Killed only at boundaries: every step ran exactly once.
      for (const s of STEPS)
        expect(
          lines.filter((l) => l === `start ${s}`),
          `${s} after a kill at write ${n}`,
        ).toHaveLength(1);
    }
  }, 120_000);

  it('kill -9 at random moments, also in the middle of a step, resumes correctly', async () => {
    const dir = tempDir('osd-crash-');
    const log = join(dir, 'steps.log');
    const ts = join(dir, 'ts.xml');
    writeFileSync(ts, taskSequence(log, 0.15));
    let seed = 12345;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    let done = false;
    let kills = 0;
    for (let i = 0; i < 60 && !done; i++) {
      const child = spawn(process.execPath, [BIN, 'ts', 'run', ts, '--state', join(dir, 'state'), '--machine', PROFILE, '--json'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      let out = '';
      child.stdout.on('data', (b) => (out += b));
      // The kill is armed once this process has visibly started working (a line added to the steps'
      // log), then lands at a random moment up to 0.6 s later — in a step or between steps. Timing
      // from the spawn instead never let a run make progress on a loaded machine, where starting the
      // CLI alone can take longer than the whole window.
      const before = existsSync(log) ? readFileSync(log, 'utf8').length : 0;
      let killer: NodeJS.Timeout | undefined;
      const kill = (): void => {
        try {
          process.kill(-child.pid!, 'SIGKILL'); // the runner and the step it is running
        } catch {
          /* finished already */
        }
      };
      const watch = setInterval(() => {
        if (killer || !existsSync(log) || readFileSync(log, 'utf8').length === before) return;
        killer = setTimeout(kill, rnd() * 600);
      }, 10);
      const [code, signal] = await new Promise<[number | null, string | null]>((res) => child.on('close', (c, s) => res([c, s])));
      clearInterval(watch);
      clearTimeout(killer);
      if (signal) kills++;
      if (!signal) {
        expect(code).toBe(0);
        expect(JSON.parse(out).result).toBe('success');
        done = true;
      }
    }
    expect(done).toBe(true);
    expect(kills, 'runs killed before the one that finished').toBeGreaterThan(0);
    check(log);
  }, 120_000);
});

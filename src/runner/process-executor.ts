/**
 * Runs Run Command Line steps as real processes (through /bin/sh on this platform), with their
 * working directory, exit code and time-out; every other step type goes to a fallback executor
 * (in the lab, the step handlers; then the predictions of those no handler can do here).
 * The `smsswd.exe /run:[PackageID]` prefix ConfigMgr saves in front of the command is removed.
 */
import { spawn } from 'node:child_process';
import type { Executor, StepExecution, StepResult } from '../engine/ports.js';
import { runCommandLine, stepTypeOf } from '../sequence/catalog/index.js';

const RUN_PREFIX = /^\s*smsswd\.exe\s+\/run:\S*\s?/i;

export class ProcessExecutor implements Executor {
  constructor(
    private readonly fallback: Executor,
    private readonly options: { shell?: string; cwd?: string } = {},
  ) {}

  async execute(x: StepExecution): Promise<StepResult> {
    if (stepTypeOf(x.step.type) !== runCommandLine) return this.fallback.execute(x);
    const command = x.commandLine.replace(RUN_PREFIX, '');
    const cwd = x.properties.WorkingDirectory ? x.variables.expand(x.properties.WorkingDirectory) : this.options.cwd;
    x.processLog?.started('process-executor.ts');
    return new Promise<StepResult>((resolve) => {
      const child = spawn(this.options.shell ?? '/bin/sh', ['-c', command], {
        cwd: cwd || undefined,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let tail = '';
      const keep = (b: Buffer): void => {
        tail = (tail + b.toString('utf8')).slice(-1000);
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      // The child stays in our process group: if this process dies, so does the step (as on a real restart).
      const onAbort = (): void => {
        child.kill('SIGKILL');
      };
      x.signal.addEventListener('abort', onAbort, { once: true });
      child.on('error', (e) => resolve({ exitCode: 0x80070002, message: `cannot start the command: ${e.message}` }));
      child.on('close', (code, signal) => {
        x.signal.removeEventListener('abort', onAbort);
        // Last 1,000 characters of output into a variable, if asked (§8.12, 1910+).
        const out = x.properties.SMSTSRunCommandLineOutputVariableName;
        if (out) x.variables.set(out, tail);
        // The output's lines, each an entry of smsswd.exe's, as ConfigMgr logs them (the last 1,000 characters).
        for (const l of tail.split(/\r?\n/)) if (l.trim()) x.log(l, 'info', { component: 'InstallSoftware', file: 'process-executor.ts' });
        const result = signal ? { exitCode: 0x80004004, message: `the command was stopped (${signal})` } : { exitCode: code ?? 0 };
        // smsswd.exe's line, then the engine's (corpus: InstallSoftware runcommandline.cpp, TSManager CommandLine.cpp).
        x.processLog?.returned(command, result.exitCode, 'process-executor.ts');
        x.processLog?.completed(result.exitCode, 'process-executor.ts');
        resolve(result);
      });
    });
  }
}

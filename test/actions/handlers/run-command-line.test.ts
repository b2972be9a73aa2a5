// Run Command Line and Run PowerShell Script in the full OS of a computer in folders: real
// processes, their files on C:, their .reg files in the registry, output in the log and the
// output variable, run-as refused, pwsh required (never pretended), Windows PE left to the runner.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ContentLibrary } from '../../../src/actions/content.js';
import type { DirectoryComputer } from '../../../src/actions/directory-computer.js';
import { failureResult } from '../../../src/actions/errors.js';
import { ActionExecutor } from '../../../src/actions/executor.js';
import { runCommandLineHandler, runPowerShellScriptHandler } from '../../../src/actions/handlers/run-command-line.js';
import { OfflineRegistry } from '../../../src/actions/os/registry.js';
import { writeWindowsTree } from '../../../src/lab/test-content/windows-tree.js';
import { runCommandLine, runPowerShellScript } from '../../../src/sequence/catalog/index.js';
import { encodeSourceScript } from '../../../src/sequence/catalog/steps/run-powershell-script.js';
import { directoryComputer, execution, profile, step } from './helpers.js';

const cleanups: Array<() => void> = [];
afterAll(() => cleanups.forEach((c) => c()));
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'osd-rcl-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
};
const PATH = process.env.PATH;
afterEach(() => {
  process.env.PATH = PATH;
});

async function installed(): Promise<{ computer: DirectoryComputer; root: string }> {
  const c = directoryComputer(profile('win10-x64-refresh.json'));
  cleanups.push(c.cleanup);
  const [v] = await c.computer.writeLayout(0, { style: 'gpt', partitions: [{ kind: 'primary', name: 'Windows' }] });
  await c.computer.format(v, 'NTFS', 'Windows');
  const tree = tmp();
  await writeWindowsTree(tree, { index: 1, name: 'Windows 10 Enterprise', editionId: 'Enterprise' }, 'x64', 0);
  await (await c.computer.files(v)).copyIn(tree, '');
  c.computer.setDrives([{ letter: 'C:', disk: 0, partition: 1 }]);
  return { computer: c.computer, root: join(c.computer.root, 'disk0', 'p1') };
}

function library(files: Record<string, string>): ContentLibrary {
  const root = tmp();
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return new ContentLibrary(root);
}

describe('Run Command Line in the full OS', () => {
  it("runs in the package's folder, writes into C:, imports its .reg file, logs its output and keeps its tail", async () => {
    const { computer, root } = await installed();
    const content = library({
      'PKG00001/install.sh': [
        'echo "installing $1"',
        'mkdir -p "$ProgramFiles/Contoso"',
        'echo 1.0 > "$ProgramFiles/Contoso/version.txt"',
        `printf 'REGEDIT4\\r\\n[HKEY_LOCAL_MACHINE\\\\SOFTWARE\\\\Contoso]\\r\\n"Version"="1.0"\\r\\n' > "$OSD_REGISTRY_DROP/contoso.reg"`,
        'echo 3010 > "$OSD_EXIT_CODE_FILE"',
      ].join('\n'),
    });
    const s = step(runCommandLine, { commandLine: 'sh install.sh fast', packageId: 'PKG00001', outputVariableName: 'OUT' });
    const m = execution(s, { environment: 'FullOS' });
    const r = await runCommandLineHandler.run!({ x: m.x, computer, content });
    expect(r).toEqual({ exitCode: 3010 });
    expect(readFileSync(join(root, 'Program Files/Contoso/version.txt'), 'utf8')).toBe('1.0\n');
    expect(await (await OfflineRegistry.open(await computer.files({ disk: 0, partition: 1 }))).getString('HKLM\\SOFTWARE\\Contoso', 'Version')).toBe('1.0');
    expect(m.logs).toContain('info: installing fast');
    expect(m.logs).toContain('info: Imported contoso.reg into the registry of C: (1 change(s))');
    expect(m.vars().OUT).toBe('installing fast\n');
  });

  it('maps Start in to the drive, refuses run-as, and leaves Windows PE to the runner', async () => {
    const { computer, root } = await installed();
    const content = library({});
    const s = step(runCommandLine, { commandLine: 'pwd > here.txt', workingDirectory: 'C:\\Temp' });
    const m = execution(s, { environment: 'FullOS' });
    expect(await runCommandLineHandler.run!({ x: m.x, computer, content })).toEqual({ exitCode: 0 });
    expect(readFileSync(join(root, 'Temp/here.txt'), 'utf8')).toMatch(/\/drive\/Temp\n$/);

    const runAs = execution(step(runCommandLine, { commandLine: 'true', runAsUser: true, userName: 'CONTOSO\\svc', userPassword: 'x' }), {
      environment: 'FullOS',
    });
    expect(await runCommandLineHandler.run!({ x: runAs.x, computer, content }).catch(failureResult)).toMatchObject({
      exitCode: 0x80070032,
      message: expect.stringMatching(/"Run this step as the following account" \(CONTOSO\\svc\) cannot be honoured/),
    });

    // Windows PE: the fallback (the runner's ProcessExecutor), as before.
    const seen: string[] = [];
    const executor = new ActionExecutor(computer, content, { execute: async (x) => (seen.push(x.environment), { exitCode: 0 }) });
    await executor.execute(execution(s, { environment: 'WinPE' }).x);
    expect(seen).toEqual(['WinPE']);
  });

  it('a time-out (the engine aborts the signal) kills the process tree', async () => {
    const { computer } = await installed();
    const m = execution(step(runCommandLine, { commandLine: 'sleep 30 & sleep 30; wait' }), { environment: 'FullOS' });
    const ac = new AbortController();
    m.x.signal = ac.signal;
    setTimeout(() => ac.abort(), 300);
    const t0 = Date.now();
    const r = await runCommandLineHandler.run!({ x: m.x, computer, content: library({}) });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r).toMatchObject({ exitCode: 0x80004004, message: expect.stringMatching(/stopped: the step was cancelled/) });
  });
});

describe('Run PowerShell Script in the full OS', () => {
  it('fails naming pwsh when it is not installed', async () => {
    const { computer } = await installed();
    process.env.PATH = tmp();
    const m = execution(step(runPowerShellScript, { sourceScript: 'Write-Output hi' }), { environment: 'FullOS' });
    expect(await runPowerShellScriptHandler.run!({ x: m.x, computer, content: library({}) }).catch(failureResult)).toMatchObject({
      exitCode: 0x80070002,
      message: expect.stringMatching(/needs PowerShell, and the program pwsh is not installed on this host/),
    });
  });

  it('runs the package script or the typed one with pwsh (a stand-in pwsh on PATH), with its parameters', async () => {
    const { computer, root } = await installed();
    const bin = tmp();
    // A stand-in for pwsh: records its arguments and runs nothing else.
    writeFileSync(join(bin, 'pwsh'), '#!/bin/sh\nfor a in "$@"; do echo "arg: $a"; done\nshift 3\ncat "$1" > "$SystemRoot/Temp/ran.ps1"\nexit 7\n');
    chmodSync(join(bin, 'pwsh'), 0o755);
    process.env.PATH = `${bin}:${PATH}`;
    const content = library({ 'PKG00002/scripts/set.ps1': 'Set-Content C:\\x.txt 1\n' });
    const m = execution(
      step(runPowerShellScript, { packageId: 'PKG00002', scriptName: 'scripts\\set.ps1', parameters: '-Name "a b"', outputVariableName: 'PSOUT' }),
      {
        environment: 'FullOS',
      },
    );
    expect(await runPowerShellScriptHandler.run!({ x: m.x, computer, content })).toEqual({ exitCode: 7 });
    expect(m.logs).toContain('info: arg: -NonInteractive');
    expect(m.logs).toContain('info: arg: a b');
    expect(readFileSync(join(root, 'Windows/Temp/ran.ps1'), 'utf8')).toBe('Set-Content C:\\x.txt 1\n');

    const typed = execution(step(runPowerShellScript, { sourceScript: 'Write-Output typed' }), { environment: 'FullOS' });
    expect(typed.x.properties.OSDRunPowerShellScriptSourceScript).toBe(encodeSourceScript('Write-Output typed'));
    expect(await runPowerShellScriptHandler.run!({ x: typed.x, computer, content })).toEqual({ exitCode: 7 });
    expect(readFileSync(join(root, 'Windows/Temp/ran.ps1'), 'utf8')).toBe('Write-Output typed');

    const none = execution(step(runPowerShellScript, {}), { environment: 'FullOS' });
    expect(await runPowerShellScriptHandler.run!({ x: none.x, computer, content }).catch(failureResult)).toMatchObject({ exitCode: 0x80070057 });
  });
});

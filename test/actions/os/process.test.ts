// Real processes "in the full OS" of a volume: a staging folder stands for C:, what the process
// leaves there reaches the volume with its times, .reg files it drops reach the registry, its output
// arrives line by line, a time-out kills the whole process tree.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROCESS_ABORTED, PROCESS_TIMEOUT, PROGRAM_NOT_FOUND, runInFullOs } from '../../../src/actions/os/process.js';
import { OfflineRegistry } from '../../../src/actions/os/registry.js';
import { writeWindowsTree } from '../../../src/lab/test-content/windows-tree.js';
import { DirectoryVolume } from '../../../src/storage/volume/directory.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'osd-proc-'));
  dirs.push(d);
  return d;
};

async function testOs(): Promise<{ root: string; vol: DirectoryVolume }> {
  const root = tmp();
  await writeWindowsTree(root, { index: 1, name: 'Windows 11 Enterprise', editionId: 'Enterprise' }, 'x64', 0);
  return { root, vol: new DirectoryVolume(root) };
}

describe('runInFullOs', () => {
  it('runs in the package folder, writes new files into the volume with their times, and logs each line', async () => {
    const { root, vol } = await testOs();
    const pkg = tmp();
    writeFileSync(
      join(pkg, 'install.sh'),
      'echo "installing from $(basename "$PWD")"\nmkdir -p "$ProgramFiles/Contoso"\nprintf "v1\\r\\n" > "$ProgramFiles/Contoso/app.txt"\ntouch -d "2024-01-02T03:04:05Z" "$ProgramFiles/Contoso/app.txt"\necho warn >&2\nprintf "no newline"\nexit 3\n',
    );
    const lines: string[] = [];
    const r = await runInFullOs({ volume: vol, command: 'sh ./install.sh', content: pkg, workDir: tmp(), onLine: (l, s) => lines.push(`${s}: ${l}`) });
    expect(r.exitCode).toBe(3);
    expect(r.stopped).toBeUndefined();
    expect(lines).toEqual([expect.stringMatching(/^stdout: installing from content$/), 'stderr: warn', 'stdout: no newline']);
    expect(r.written).toEqual(['Program Files/Contoso/app.txt']);
    expect(readFileSync(join(root, 'Program Files/Contoso/app.txt'), 'utf8')).toBe('v1\r\n');
    expect(statSync(join(root, 'Program Files/Contoso/app.txt')).mtime.toISOString()).toBe('2024-01-02T03:04:05.000Z');
    // Nothing else of the OS was touched; the package's files were not written back.
    expect(r.removed).toEqual([]);
    expect(statSync(join(root, 'install.sh'), { throwIfNoEntry: false })).toBeUndefined();
  });

  it('maps C:\\ working folders and the environment into the staging drive, stages files and mirrors deletions', async () => {
    const { root, vol } = await testOs();
    await vol.writeFile('Temp/keep.txt', 'keep');
    await vol.writeFile('Temp/old.txt', 'old');
    const r = await runInFullOs({
      volume: vol,
      command:
        'pwd > where.txt; cat keep.txt >> where.txt; rm old.txt; echo "$SystemRoot|$TEMP|$COMPUTERNAME|$OSD_SYSTEMDRIVE_LETTER" > "$SystemRoot/Temp/env.txt"',
      workingDirectory: 'C:\\Temp',
      stage: ['Temp'],
      computerName: 'PC-1',
      workDir: tmp(),
    });
    expect(r.exitCode).toBe(0);
    expect(r.written).toEqual(['Temp/where.txt', 'Windows/Temp/env.txt']);
    expect(r.removed).toEqual(['Temp/old.txt']);
    expect(readFileSync(join(root, 'Temp/where.txt'), 'utf8')).toMatch(/osd-fullos-\w+\/drive\/Temp\nkeep$/);
    expect(readFileSync(join(root, 'Windows/Temp/env.txt'), 'utf8')).toMatch(/\/drive\/Windows\|.*\/drive\/Windows\/Temp\|PC-1\|C:\n$/);
    expect(readFileSync(join(root, 'Temp/keep.txt'), 'utf8')).toBe('keep');
    await expect(runInFullOs({ volume: vol, command: 'true', workingDirectory: 'D:\\Data' })).rejects.toThrow(/not on the system drive C:/);
    await expect(runInFullOs({ volume: vol, command: 'true', workingDirectory: 'C:\\..\\..' })).rejects.toThrow(/leaves the drive/);
  });

  it('imports the .reg files the process drops, in name order', async () => {
    const { vol } = await testOs();
    const reg = await OfflineRegistry.open(vol);
    const r = await runInFullOs({
      volume: vol,
      registry: reg,
      command: `printf 'REGEDIT4\\r\\n[HKEY_LOCAL_MACHINE\\\\SOFTWARE\\\\Contoso]\\r\\n"V"="1"\\r\\n' > "$OSD_REGISTRY_DROP/b.reg"; printf 'REGEDIT4\\r\\n[HKEY_LOCAL_MACHINE\\\\SOFTWARE\\\\Contoso]\\r\\n"V"="0"\\r\\n"W"=dword:00000002\\r\\n' > "$OSD_REGISTRY_DROP/a.reg"`,
    });
    expect(r.exitCode).toBe(0);
    expect(r.registryImports).toEqual([
      { file: 'a.reg', changes: 2 },
      { file: 'b.reg', changes: 1 },
    ]);
    expect(await reg.getString('HKLM\\SOFTWARE\\Contoso', 'V')).toBe('1');
    expect(await reg.getDword('HKLM\\SOFTWARE\\Contoso', 'W')).toBe(2);
    await expect(runInFullOs({ volume: vol, registry: reg, command: `printf 'garbage' > "$OSD_REGISTRY_DROP/x.reg"` })).rejects.toThrow(
      /x\.reg .* line 1: not a registry export/,
    );
  });

  it('kills the whole process tree at the time-out, and on abort', async () => {
    const { vol } = await testOs();
    const pidFile = join(tmp(), 'pid');
    const t0 = Date.now();
    const r = await runInFullOs({ volume: vol, command: `sleep 30 & echo $! > ${pidFile}; echo started; wait`, timeoutMs: 500 });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r.exitCode).toBe(PROCESS_TIMEOUT);
    expect(r.stopped).toMatch(/timed out after 0.5 s/);
    expect(r.output).toBe('started\n');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((res) => setTimeout(res, 100));
    // Gone, or a zombie waiting for init to reap it (no longer running).
    let state = 'gone';
    try {
      state = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '')[0];
    } catch {
      // gone
    }
    expect(['gone', 'Z', 'X']).toContain(state);

    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const a = await runInFullOs({ volume: vol, command: 'sleep 30', signal: ac.signal });
    expect(a.exitCode).toBe(PROCESS_ABORTED);
  });

  it('takes a Windows exit code from OSD_EXIT_CODE_FILE (a POSIX status is 8 bits)', async () => {
    const { vol } = await testOs();
    expect((await runInFullOs({ volume: vol, command: 'echo 0x80070005 > "$OSD_EXIT_CODE_FILE"; exit 1' })).exitCode).toBe(0x80070005);
    expect((await runInFullOs({ volume: vol, command: 'echo 3010 > "$OSD_EXIT_CODE_FILE"' })).exitCode).toBe(3010);
    await expect(runInFullOs({ volume: vol, command: 'echo soon > "$OSD_EXIT_CODE_FILE"' })).rejects.toThrow(/wrote "soon" to OSD_EXIT_CODE_FILE/);
  });

  it('makes its work folder when it does not exist yet', async () => {
    const { vol } = await testOs();
    const work = join(tmp(), 'not', 'yet');
    expect((await runInFullOs({ volume: vol, command: 'true', workDir: work })).exitCode).toBe(0);
  });

  it('names a program that does not exist', async () => {
    const { vol } = await testOs();
    const r = await runInFullOs({ volume: vol, argv: ['osd-no-such-program', '-x'] });
    expect(r.exitCode).toBe(PROGRAM_NOT_FOUND);
    expect(r.stopped).toMatch(/cannot start osd-no-such-program/);
  });

  it('refuses a symbolic link the process leaves', async () => {
    const { vol } = await testOs();
    await expect(runInFullOs({ volume: vol, command: 'ln -s /etc/passwd "$SystemDrive/link"' })).rejects.toThrow(/left link, which is not a file or a folder/);
  });
});

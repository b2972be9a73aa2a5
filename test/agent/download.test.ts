// Downloads into the client cache: a connection dropped half way resumes with Range (it does not
// start over), a file whose hash does not match never lands (0x80091007), a cached file is hashed
// again and not fetched twice, and on-demand content arrives the first time a step asks.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DownloadingContentLibrary, downloadPackage } from '../../src/agent/download.js';
import { AgentState } from '../../src/agent/state.js';
import { tempDir } from '../helpers/temp.js';
import { FakeMp, type FakePackage } from './fake-mp.js';

let mp: FakeMp;
const wim = randomBytes(3 * 1024 * 1024 + 17);
const pkg: FakePackage = {
  packageId: 'PS100010',
  name: 'Windows 11',
  sourceVersion: 2,
  files: [
    { path: 'install.wim', bytes: wim },
    { path: 'sub dir/readme.txt', bytes: Buffer.from('hello') },
  ],
};

beforeEach(async () => {
  mp = await new FakeMp().start();
  mp.policy.deployments = [{ deploymentId: 'PS120003' } as never];
  mp.packages.set('PS120003', [pkg]);
});
afterEach(() => mp.stop());

const contentPackage = () => mp.content('PS120003').packages[0]!;

describe('downloadPackage', () => {
  it('fetches every file into cache/<packageId>/<sourceVersion>/ with progress', async () => {
    const state = new AgentState(tempDir('osd-agent-'));
    const progress: number[] = [];
    const r = await downloadPackage(state, contentPackage(), { onProgress: (p) => progress.push(p.done) });
    expect(r.folder).toBe(join(state.cacheDir, 'PS100010', '2'));
    expect(readFileSync(join(r.folder, 'install.wim')).equals(wim)).toBe(true);
    expect(readFileSync(join(r.folder, 'sub dir', 'readme.txt'), 'utf8')).toBe('hello');
    expect(r.fetchedBytes).toBe(wim.length + 5);
    expect(progress.at(-1)).toBe(wim.length + 5);
    expect(progress.length).toBeGreaterThan(2);
  });

  it('resumes a connection dropped half way with Range instead of starting over', async () => {
    const state = new AgentState(tempDir('osd-agent-'));
    const half = Math.floor(wim.length / 2);
    mp.dropAfter = [half];
    const lines: string[] = [];
    const r = await downloadPackage(state, contentPackage(), { log: (l) => lines.push(l), resumeWaitMs: 10 });
    expect(readFileSync(join(r.folder, 'install.wim')).equals(wim)).toBe(true);
    // The DP sent the first half once and the rest once: nothing twice.
    expect(mp.dpBytes).toBe(wim.length + 5);
    expect(r.fetchedBytes).toBe(wim.length + 5);
    expect(mp.requests.filter((q) => q.endsWith('/install.wim'))).toHaveLength(2);
    expect(lines.join('\n')).toMatch(/resuming \(attempt 1 of 10\)/);
  });

  it('a file whose hash does not match never lands: 0x80091007', async () => {
    const state = new AgentState(tempDir('osd-agent-'));
    mp.corrupt.add('install.wim');
    const err = await downloadPackage(state, contentPackage()).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'AgentError', kind: 'step-failed', exitCode: 0x80091007 });
    expect((err as Error).message).toMatch(/package PS100010 file install\.wim: content hash is .* \(0x80091007, hash mismatch\)/);
    const folder = join(state.cacheDir, 'PS100010', '2');
    expect(existsSync(join(folder, 'install.wim'))).toBe(false);
    expect(existsSync(join(folder, 'install.wim.partial'))).toBe(false);
  });

  it('finds a cached file by its hash and fetches nothing twice; a damaged cached file is fetched again', async () => {
    const state = new AgentState(tempDir('osd-agent-'));
    await downloadPackage(state, contentPackage());
    const before = mp.dpBytes;
    const again = await downloadPackage(state, contentPackage());
    expect(again).toMatchObject({ fetchedBytes: 0, cachedFiles: 2 });
    expect(mp.dpBytes).toBe(before);
    writeFileSync(join(again.folder, 'sub dir', 'readme.txt'), 'HELLO');
    const repaired = await downloadPackage(state, contentPackage());
    expect(repaired).toMatchObject({ fetchedBytes: 5, cachedFiles: 1 });
    expect(readFileSync(join(again.folder, 'sub dir', 'readme.txt'), 'utf8')).toBe('hello');
  });
});

describe('DownloadingContentLibrary', () => {
  it('a package is fetched the first time it is needed, once, and only then has a folder', async () => {
    const state = new AgentState(tempDir('osd-agent-'));
    const lib = new DownloadingContentLibrary(state, [contentPackage()]);
    expect(() => lib.packageFolder('PS100010')).toThrow(/has not been downloaded/);
    expect(() => lib.packageFolder('PS199999')).toThrow(/not in this deployment's content/);
    await Promise.all([lib.ensure(['ps100010']), lib.ensure(['PS100010'])]);
    expect(lib.packageFolder('PS100010')).toBe(join(state.cacheDir, 'PS100010', '2'));
    expect(readdirSync(lib.packageFolder('PS100010')).sort()).toEqual(['install.wim', 'sub dir']);
    expect(lib.fetchedBytes).toBe(wim.length + 5);
    expect(mp.requests.filter((q) => q.endsWith('/install.wim'))).toHaveLength(1);
  });
});

// Issue 14 item 1: a pipable WIM streams from the distribution point straight into wimlib on the
// partition node (src/bootenv/guest/stream-apply.ts) — no byte through the agent, nothing cached —
// against a real HTTP DP (test/agent/fake-mp.ts) and a disk-image file whose partition is a loop
// device (root only). Success (files read back with ntfscat, the "streamed … not cached" line), a
// hash that does not match (0x80091007, what was applied removed), a DP that breaks off (applied
// again from the start, then the DP's error), and a non-pipable WIM downloaded into the cache first.
// With the site's stream anchor (header, XML, metadata): applied with only those bytes hashed; an
// anchor that does not match gives wimlib none of the files; file data changed behind an intact
// anchor is caught by wimlib's SHA-1 check — both 0x80091007 with what was applied removed.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentLibrary, type StreamableImage } from '../../src/actions/content.js';
import { failureResult } from '../../src/actions/errors.js';
import { applyOperatingSystemHandler } from '../../src/actions/handlers/apply-operating-system.js';
import { DownloadingContentLibrary } from '../../src/agent/download.js';
import { OnDemandExecutor } from '../../src/agent/run.js';
import { AgentState } from '../../src/agent/state.js';
import { BlockDeviceComputer } from '../../src/bootenv/guest/block-device-computer.js';
import { guestProfile, readGuestHardware } from '../../src/bootenv/guest/facts.js';
import { applyOperatingSystem } from '../../src/sequence/catalog/index.js';
import type { PartitionInfo } from '../../src/storage/disk/partition-table.js';
import { pipableWimAnchor, readPipableWimStart } from '../../src/storage/pipable-wim.js';
import { execution, step } from '../actions/handlers/helpers.js';
import { FakeMp } from '../agent/fake-mp.js';
import { fakeSysfs } from '../helpers/guest-sysfs.js';
import { tempDir } from '../helpers/temp.js';

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'loop devices need root';
  for (const tool of ['wimlib-imagex', 'mkntfs', 'ntfscat', 'busybox', 'losetup']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`]);
    } catch {
      return `${tool} is not installed`;
    }
  }
  const probe = join(tempDir('osd-loop-'), 'p.img');
  try {
    execFileSync('truncate', ['-s', '1M', probe]);
    const l = execFileSync('losetup', ['-f', '--show', probe], { encoding: 'utf8' }).trim();
    execFileSync('losetup', ['-d', l]);
    return undefined;
  } catch (e) {
    return `no loop device here (${(e as Error).message.split('\n')[0]})`;
  }
}
const SKIP = skipReason();

const PIPABLE = 'PS100020';
const PLAIN = 'PS100021';
const ANCHORED = 'PS100022';
const TAMPERED = 'PS100023';
const DEPLOYMENT = 'PS120009';
let dir: string;
let mp: FakeMp;
let pipableWim: Buffer;
let anchor: { bytes: number; sha256: string };
const loops: string[] = [];

beforeAll(async () => {
  if (SKIP) return;
  dir = tempDir('osd-stream-apply-');
  const tree = join(dir, 'tree');
  mkdirSync(join(tree, 'Windows/System32'), { recursive: true });
  writeFileSync(join(tree, 'Windows/System32/kernel32.dll'), 'not really a DLL\n');
  writeFileSync(join(tree, 'hello.txt'), 'streamed from the DP\n');
  // Incompressible, so the stream is long enough to break off in the middle.
  writeFileSync(join(tree, 'big.bin'), randomBytes(2 << 20));
  execFileSync('wimlib-imagex', ['capture', tree, join(dir, 'plain.wim'), 'Stream test OS', '--compress=none'], { stdio: 'ignore' });
  execFileSync('wimlib-imagex', ['export', join(dir, 'plain.wim'), '1', join(dir, 'pipable.wim'), '--pipable'], { stdio: 'ignore' });
  pipableWim = readFileSync(join(dir, 'pipable.wim'));
  anchor = (await pipableWimAnchor(join(dir, 'pipable.wim')))!;
  // One byte of big.bin's data changed, past the anchor: the header, XML and metadata still match.
  const tampered = Buffer.from(pipableWim);
  const at = tampered.indexOf(readFileSync(join(tree, 'big.bin')).subarray(0, 64));
  expect(at).toBeGreaterThan(anchor.bytes);
  tampered[at + 4096] ^= 0xff;
  mp = await new FakeMp().start();
  mp.packages.set(DEPLOYMENT, [
    { packageId: PIPABLE, name: 'Stream test OS (pipable)', sourceVersion: 1, files: [{ path: 'install.wim', bytes: pipableWim }] },
    {
      packageId: ANCHORED,
      name: 'Stream test OS (pipable, anchored)',
      sourceVersion: 1,
      files: [{ path: 'install.wim', bytes: pipableWim }],
      streamAnchor: { file: 'install.wim', ...anchor },
    },
    {
      packageId: TAMPERED,
      name: 'Stream test OS (pipable, changed after the anchor)',
      sourceVersion: 1,
      files: [{ path: 'install.wim', bytes: tampered }],
      streamAnchor: { file: 'install.wim', ...anchor },
    },
    { packageId: PLAIN, name: 'Stream test OS', sourceVersion: 1, files: [{ path: 'install.wim', bytes: readFileSync(join(dir, 'plain.wim')) }] },
  ]);
}, 60_000);
afterAll(async () => {
  // Only the loop devices this file made.
  for (const l of loops.splice(0)) execFileSync('losetup', ['-d', l]);
  await mp?.stop();
});

function library(stream = true): { lib: DownloadingContentLibrary; state: AgentState } {
  const state = new AgentState(tempDir('osd-agent-'));
  const lib = new DownloadingContentLibrary(state, mp.content(DEPLOYMENT).packages, { resumeWaitMs: 10 });
  lib.streamImages = stream;
  return { lib, state };
}

/** A 256 MB disk-image file standing for /dev/vda, one NTFS partition C: whose node is a loop device. */
async function computer(name: string) {
  const disk = join(dir, `${name}.img`);
  execFileSync('truncate', ['-s', '256M', disk]);
  const roots = fakeSysfs(join(dir, `${name}-root`), { firmware: 'uefi', macs: ['52:54:00:AA:BB:09'], disks: {} });
  const profile = guestProfile({ ...readGuestHardware(roots, 'x64'), disks: [{ name: 'vda', device: disk, sizeBytes: 256 << 20, bus: 'scsi' }] }, name);
  let node = '';
  const c = new BlockDeviceComputer({
    name,
    profile,
    disks: [{ index: 0, device: disk, bus: 'scsi' }],
    workDir: join(dir, `${name}-work`),
    drivesFile: join(dir, `${name}-state`, 'drives.json'),
    partitionNode: async (_d: unknown, p: PartitionInfo) => {
      if (!node) {
        node = execFileSync('losetup', ['-f', '--show', '-o', String(p.offsetBytes), '--sizelimit', String(p.sizeBytes), disk], { encoding: 'utf8' }).trim();
        loops.push(node);
      }
      return node;
    },
  });
  const [v] = await c.writeLayout(0, { style: 'gpt', partitions: [{ kind: 'primary', name: 'Windows' }] });
  await c.format(v, 'NTFS', 'Windows');
  c.setDrives([{ letter: 'C:', disk: 0, partition: 1 }]);
  return { c, node: () => node };
}

const settings = (imagePackageId: string) => ({ imagePackageId, imageIndex: 1, destination: { kind: 'next-available' as const } });

async function applyThrough(c: BlockDeviceComputer, lib: ContentLibrary & Partial<Pick<DownloadingContentLibrary, 'ensure' | 'knows'>>, packageId: string) {
  const m = execution(step(applyOperatingSystem, settings(packageId)));
  const inner = { execute: (x: typeof m.x) => applyOperatingSystemHandler.run!({ x, computer: c, content: lib }).catch(failureResult) };
  const result = lib instanceof DownloadingContentLibrary ? await new OnDemandExecutor(inner, lib).execute(m.x) : await inner.execute(m.x);
  await c.flush();
  return { result, logs: m.logs };
}

function ntfscat(node: string, path: string): string | undefined {
  try {
    return execFileSync('ntfscat', [node, path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
}

describe.skipIf(SKIP)(`streaming a pipable WIM from the DP into wimlib${SKIP ? ` (skipped: ${SKIP})` : ''}`, () => {
  it('reads the images from the first bytes of a pipable WIM; a plain WIM is not pipable', () => {
    const r = readPipableWimStart(pipableWim.subarray(0, 64 << 10));
    expect(r).toMatchObject({ kind: 'pipable', images: [{ index: 1, name: 'Stream test OS' }] });
    expect(readPipableWimStart(pipableWim.subarray(0, 230))).toMatchObject({ kind: 'short' });
    expect(readPipableWimStart(readFileSync(join(dir, 'plain.wim')).subarray(0, 4096))).toEqual({ kind: 'not-pipable' });
  });

  it('the library names a pipable WIM as a stream (URL, hash, size, images); a plain WIM, or streaming off, is downloaded as before', async () => {
    const { lib } = library();
    const s = await lib.imageStream(PIPABLE);
    expect(s).toMatchObject({ file: 'install.wim', size: pipableWim.length, urls: [`${mp.url}/content/${PIPABLE}/install.wim`], images: [{ index: 1 }] });
    expect(await lib.imageStream(PLAIN)).toBeUndefined();
    expect(await library(false).lib.imageStream(PIPABLE)).toBeUndefined();
  });

  it('Apply Operating System streams it onto the NTFS node: files there, the "streamed … not cached" line, nothing in the cache', async () => {
    const { lib, state } = library();
    const { c, node } = await computer('ok');
    const before = mp.dpBytes;
    const { result, logs } = await applyThrough(c, lib, PIPABLE);
    expect(result, logs.join('\n')).toEqual({ exitCode: 0 });
    expect(ntfscat(node(), 'hello.txt')).toBe('streamed from the DP\n');
    expect(ntfscat(node(), 'Windows/System32/kernel32.dll')).toBe('not really a DLL\n');
    expect(ntfscat(node(), 'Windows/Panther/Unattend/Unattend.xml')).toMatch(/<unattend/);
    const url = `${mp.url}/content/${PIPABLE}/install.wim`;
    expect(logs.join('\n')).toContain(`The image was streamed from ${url} and not cached: ${pipableWim.length} bytes`);
    // The whole file went through the pipeline once (wimlib's early exit did not stop the hashing).
    expect(mp.dpBytes - before).toBeGreaterThanOrEqual(pipableWim.length);
    expect(existsSync(state.packageDir(PIPABLE, 1))).toBe(false);
  }, 60_000);

  it('a hash that does not match fails the step with 0x80091007 and removes what was applied', async () => {
    const { lib } = library();
    const real = (await lib.imageStream(PIPABLE))!;
    const wrong = new (class extends ContentLibrary {
      override async imageStream(): Promise<StreamableImage> {
        return { ...real, sha256: '0'.repeat(64) };
      }
    })(dir);
    const { c, node } = await computer('badhash');
    const { result, logs } = await applyThrough(c, wrong, PIPABLE);
    expect(result.exitCode >>> 0, logs.join('\n')).toBe(0x80091007);
    expect((result as { message?: string }).message).toMatch(/expected 0{64} \(0x80091007, hash mismatch\)/);
    expect(ntfscat(node(), 'hello.txt')).toBeUndefined();
  }, 60_000);

  it('a DP that breaks off mid-way is streamed again from the start; one that keeps breaking fails the step with its error', async () => {
    const { lib } = library();
    await lib.imageStream(PIPABLE); // the probe's request is not the one to break
    const { c, node } = await computer('retry');
    mp.dropAfter = [1 << 20];
    const once = await applyThrough(c, lib, PIPABLE);
    expect(once.result, once.logs.join('\n')).toEqual({ exitCode: 0 });
    expect(once.logs.join('\n')).toMatch(/broke off .*of \d+ bytes.*applying again from the start onto a freshly prepared volume \(attempt 2 of 3\)/);
    expect(ntfscat(node(), 'hello.txt')).toBe('streamed from the DP\n');

    mp.dropAfter = [1 << 20, 1 << 20, 1 << 20];
    const { c: c2 } = await computer('broken');
    const failed = await applyThrough(c2, lib, PIPABLE);
    expect(failed.result.exitCode >>> 0).toBe(0x80004005);
    expect((failed.result as { message?: string }).message).toMatch(/streaming PS100020 from the distribution point failed 3 times: .*broke off/);
  }, 90_000);

  it('a non-pipable WIM takes the old path: downloaded into the cache, then applied', async () => {
    const { lib, state } = library();
    const { c, node } = await computer('plain');
    const { result, logs } = await applyThrough(c, lib, PLAIN);
    expect(result, logs.join('\n')).toEqual({ exitCode: 0 });
    expect(logs.join('\n')).not.toMatch(/streamed/i);
    expect(existsSync(join(state.packageDir(PLAIN, 1), 'install.wim'))).toBe(true);
    expect(ntfscat(node(), 'hello.txt')).toBe('streamed from the DP\n');
  }, 60_000);

  it("with the site's anchor only the header, XML and metadata are hashed, and the step says how the image was verified", async () => {
    const { lib, state } = library();
    expect(await lib.imageStream(ANCHORED)).toMatchObject({ anchor });
    const { c, node } = await computer('anchored');
    const { result, logs } = await applyThrough(c, lib, ANCHORED);
    expect(result, logs.join('\n')).toEqual({ exitCode: 0 });
    expect(ntfscat(node(), 'hello.txt')).toBe('streamed from the DP\n');
    expect(logs.join('\n')).toContain(
      ` of ${pipableWim.length} bytes read (wimlib had the image by then); its header, XML and metadata (${anchor.bytes} bytes) matched the site's SHA-256 ${anchor.sha256}, and wimlib verified every file`,
    );
    expect(existsSync(state.packageDir(ANCHORED, 1))).toBe(false);
  }, 60_000);

  it('an anchor that does not match gives wimlib none of the files: 0x80091007, nothing left on the volume', async () => {
    const { lib } = library();
    const real = (await lib.imageStream(ANCHORED))!;
    const wrong = new (class extends ContentLibrary {
      override async imageStream(): Promise<StreamableImage> {
        return { ...real, anchor: { bytes: anchor.bytes, sha256: 'f'.repeat(64) } };
      }
    })(dir);
    const { c, node } = await computer('badanchor');
    const { result, logs } = await applyThrough(c, wrong, ANCHORED);
    expect(result.exitCode >>> 0, logs.join('\n')).toBe(0x80091007);
    expect((result as { message?: string }).message).toMatch(
      /first \d+ bytes \(header, XML and metadata\) is [0-9a-f]{64}, expected f{64}; wimlib was given none of its files/,
    );
    expect(ntfscat(node(), 'hello.txt')).toBeUndefined();
  }, 60_000);

  it("file data changed behind an intact anchor is caught by wimlib's SHA-1 check: 0x80091007, what was applied removed", async () => {
    const { lib } = library();
    const { c, node } = await computer('tampered');
    const { result, logs } = await applyThrough(c, lib, TAMPERED);
    expect(result.exitCode >>> 0, logs.join('\n')).toBe(0x80091007);
    expect((result as { message?: string }).message).toMatch(/holds a file whose data does not match the SHA-1 its metadata names/);
    expect(ntfscat(node(), 'hello.txt')).toBeUndefined();
  }, 60_000);

  it('with an anchor, a DP that breaks off before wimlib has the image is streamed again; wimlib leaving early is not a break', async () => {
    const { lib } = library();
    await lib.imageStream(ANCHORED);
    const { c, node } = await computer('anchored-retry');
    mp.dropAfter = [1 << 20];
    const once = await applyThrough(c, lib, ANCHORED);
    expect(once.result, once.logs.join('\n')).toEqual({ exitCode: 0 });
    expect(once.logs.join('\n')).toMatch(/broke off .*applying again from the start onto a freshly prepared volume \(attempt 2 of 3\)/);
    expect(ntfscat(node(), 'hello.txt')).toBe('streamed from the DP\n');
  }, 60_000);
});

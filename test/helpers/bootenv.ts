/**
 * The boot environment for tests, built once and shared by every test worker (vitest runs test
 * files in parallel processes): `buildBootEnvForTests()` builds into `<cache>/bootenv-tests/x64`
 * under a lock file, so parallel workers wait for one build. A folder already holding a build of the
 * same inputs (kernel, tools, agent bundle: the builder's fingerprint) is used as it is, so only the
 * first run after a change pays the ~30 s.
 *
 * `bootEnvSkipReason()` says why the boot environment cannot be built on this machine (tests skip
 * with it; they never pass without running).
 */
import { existsSync, openSync, closeSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { arch } from 'node:os';
import { join } from 'node:path';
import type { BootImageManifest } from '../../src/common/boot-image-manifest.js';
import { buildBootEnv, cacheRoot } from '../../src/bootenv/build/index.js';
import { findNativeHelper } from '../../src/storage/volume/ntfsfs.js';
import { findTool } from '../../src/storage/tools.js';

export function bootEnvSkipReason(): string | undefined {
  if (arch() !== 'x64') return `the boot environment is built from this machine's x64 binaries; this machine is ${arch()}`;
  for (const [tool, pkg] of [
    ['busybox', 'busybox-static'],
    ['zstd', 'zstd'],
    ['apt-get', 'apt'],
    ['dpkg-deb', 'dpkg'],
    ['wimlib-imagex', 'wimtools'],
    ['mkntfs', 'ntfs-3g'],
    ['mcopy', 'mtools'],
    ['sfdisk', 'fdisk'],
  ])
    if (!findTool(tool!)) return `${tool} is not installed (Debian package ${pkg}; scripts/system-packages.sh installs it as root)`;
  for (const h of ['ntfsfs', 'ntfsmkdir', 'streamcheck']) if (!findNativeHelper(h)) return `the native ${h} helper is not built (make deps)`;
  return undefined;
}

export function bootEnvTestDir(): string {
  return join(cacheRoot(), 'bootenv-tests', 'x64');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock file (waiting while a live process holds it; a dead holder's lock is taken over). */
async function lock(file: string): Promise<() => void> {
  const started = Date.now();
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder: number;
    try {
      holder = Number(readFileSync(file, 'utf8'));
    } catch {
      continue;
    }
    let age: number;
    try {
      age = Date.now() - statSync(file).mtimeMs;
    } catch {
      continue;
    }
    // A holder that died, or a lock older than any build takes: stale.
    if ((Number.isInteger(holder) && holder > 0 && !alive(holder)) || age > 15 * 60_000) {
      rmSync(file, { force: true });
      continue;
    }
    if (Date.now() - started > 10 * 60_000) throw new Error(`waited 10 minutes for the boot environment build lock ${file} (held by pid ${holder})`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

let memo: Promise<{ dir: string; manifest: BootImageManifest }> | undefined;

export function buildBootEnvForTests(): Promise<{ dir: string; manifest: BootImageManifest }> {
  memo ??= (async () => {
    const dir = bootEnvTestDir();
    await mkdir(join(dir, '..'), { recursive: true });
    const unlock = await lock(`${dir}.lock`);
    try {
      const r = await buildBootEnv({
        arch: 'x64',
        outDir: dir,
        log: process.env.OSD_TEST_VERBOSE ? (l) => process.stderr.write(`bootenv: ${l}\n`) : undefined,
      });
      if (!existsSync(join(dir, r.manifest.initrd.file))) throw new Error(`the boot environment build left no ${r.manifest.initrd.file} in ${dir}`);
      return { dir, manifest: r.manifest };
    } finally {
      unlock();
    }
  })();
  memo.catch(() => (memo = undefined));
  return memo;
}

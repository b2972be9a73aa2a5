/** Shared bits of the machine-layer tests: temp dirs, running the verification tools, dd. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PartitionInfo } from '../../src/storage/disk/partition-table.js';

const ENV = { ...process.env, PATH: `${process.env.PATH}:/usr/local/sbin:/usr/sbin:/sbin`, LC_ALL: 'C.UTF-8', MTOOLS_SKIP_CHECK: '1' };

/** Runs a verification tool and returns its standard output (throws on a non-zero exit). */
export function sh(tool: string, args: string[], input?: string): string {
  return execFileSync(tool, args, { env: ENV, input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs a tool and returns its exit code and output, whatever the exit code. */
export function shStatus(tool: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(tool, args, { env: ENV, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Copies a partition out of a disk image with dd — independent of the code under test. */
export function ddPartition(disk: string, p: PartitionInfo, out: string): string {
  sh('dd', [`if=${disk}`, `of=${out}`, 'bs=4M', `skip=${p.offsetBytes}`, `count=${p.sizeBytes}`, 'iflag=skip_bytes,count_bytes', 'conv=sparse', 'status=none']);
  return out;
}

/** A fresh temp directory, and a function that removes it. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `openosd-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Builds the native ntfsmkdir helper (and checks the Debian tools) the way `make deps` does. */
export function ensureMachineDeps(): void {
  execFileSync(fileURLToPath(new URL('../../scripts/system-packages.sh', import.meta.url)), { stdio: 'inherit' });
}

export const MiB = 1024 * 1024;

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection<E = Error>(p: Promise<unknown>): Promise<E> {
  try {
    await p;
  } catch (e) {
    return e as E;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

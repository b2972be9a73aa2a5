/**
 * Real `osd server` processes for a fleet run: the first creates (or migrates) the site, the others
 * join it — sharing its PostgreSQL database and key file, as a scaled-out site does (docs/site.md).
 * Each is watched for its peak memory (VmHWM in /proc/<pid>/status, what the kernel says the
 * process's resident set reached).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OsdError } from '../common/errors.js';

export interface FleetServer {
  index: number;
  url: string;
  pid: number;
  proc: ChildProcessWithoutNullStreams;
  stderr: () => string;
}

export interface ServerStartOptions {
  /** bin/osd.js of this checkout. */
  osd: string;
  /** A folder per server is made below it. */
  root: string;
  /** PostgreSQL URL; without it the one server uses the embedded database. */
  database?: string;
  /** Content may be added by path from here (the fleet's boot image). */
  sourceRoot: string;
  /** The first server's key file, for the others (servers sharing a database share its key). */
  keyFile?: string;
  /** Node.js options before the script (e.g. `--cpu-prof`: NODE_OPTIONS does not take it). */
  nodeArgs?: string[];
}

const START_TIMEOUT_MS = 120_000;

export function startFleetServer(index: number, o: ServerStartOptions): Promise<FleetServer> {
  const args = [...(o.nodeArgs ?? []), o.osd, 'server', '--data', join(o.root, `server-${index}`), '--port', '0', '--json', '--source-root', o.sourceRoot];
  if (o.database) args.push('--database', o.database);
  if (o.keyFile) args.push('--key-file', o.keyFile);
  const proc = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, OSD_DATABASE_URL: '', OSD_DATA: '' } });
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new OsdError('unavailable', { input: `server ${index}`, rule: `did not start within ${START_TIMEOUT_MS / 1000} s`, hint: err.slice(-2000) }));
    }, START_TIMEOUT_MS);
    proc.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.length > 1 << 20) err = err.slice(-(1 << 19));
    });
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      try {
        const facts = JSON.parse(out.slice(0, nl)) as { url: string };
        resolve({ index, url: facts.url, pid: proc.pid!, proc, stderr: () => err });
      } catch {
        reject(new OsdError('fault', { input: `server ${index}`, rule: `its start-up line is not JSON: ${out.slice(0, 200)}` }));
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(
        new OsdError('unavailable', {
          input: `server ${index}`,
          rule: `exited with code ${code} while starting`,
          hint: err.trim().split('\n').slice(-5).join('\n'),
        }),
      );
    });
  });
}

/** The peak resident memory of a process, in bytes (undefined once it has exited or off Linux). */
export async function peakMemory(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export async function stopFleetServer(s: FleetServer): Promise<void> {
  if (s.proc.exitCode !== null || s.proc.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const t = setTimeout(() => s.proc.kill('SIGKILL'), 10_000);
    s.proc.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    s.proc.kill('SIGTERM');
  });
}

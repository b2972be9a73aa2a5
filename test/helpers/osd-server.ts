/**
 * `osd server` as a real process for tests: started on a free port with --json, its token read
 * from the data folder, its stderr kept, stopped or killed; calls to its admin API; a fresh
 * PostgreSQL database in the run's throw-away cluster. One copy for every process-level test.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { expect, inject } from 'vitest';
import { postgresUrlFor } from '../site/helpers/site.js';

export const OSD = resolve('bin/osd.js');

export interface StartedServer {
  proc: ChildProcessWithoutNullStreams;
  url: string;
  /** The first administrator's token (empty when the site has none in admin.token). */
  token: string;
  stderr(): string;
}

export interface StartOptions {
  env?: Record<string, string>;
  /** The command before `node bin/osd.js …` (e.g. a shell that sets the umask, setpriv). */
  wrap?: (command: string[]) => string[];
}

/**
 * Starts `osd server --data DIR --port 0 --json ARGS…` and resolves with its URL once it printed
 * its start-up facts; rejects with its exit code and stderr when it stops first.
 */
export function startServer(dataDir: string, args: string[] = [], options: StartOptions = {}): Promise<StartedServer> {
  const osd = [process.execPath, OSD, 'server', '--data', dataDir, '--port', '0', '--json', ...args];
  const command = options.wrap ? options.wrap(osd) : osd;
  const proc = spawn(command[0]!, command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  let err = '';
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise<StartedServer>((resolveStarted, reject) => {
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      try {
        const facts = JSON.parse(out.slice(0, nl)) as { url: string };
        const tokenFile = join(dataDir, 'admin.token');
        resolveStarted({ proc, url: facts.url, token: existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : '', stderr: () => err });
      } catch {
        // Not the start-up facts (with --json, a refusal is printed as JSON too): the exit tells.
      }
    });
    proc.on('exit', (code) => reject(Object.assign(new Error(`osd server exited with ${code}: ${err}`), { exitCode: code, stderr: err })));
  });
}

/** Sends a signal (SIGKILL by default; a stopped process is continued first) and waits for the exit. */
export function stopServer(proc: ChildProcessWithoutNullStreams, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    proc.once('exit', () => r());
    proc.kill('SIGCONT');
    proc.kill(signal);
  });
}

/** A call to the server's admin API with a token (the server's first administrator's by default). */
export async function callServer<T = any>(
  s: Pick<StartedServer, 'url' | 'token'>,
  method: string,
  path: string,
  body?: unknown,
  token = s.token,
): Promise<{ status: number; json: T }> {
  const res = await fetch(`${s.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(60_000),
  });
  return { status: res.status, json: (await res.json()) as T };
}

/** A new, empty database in the run's PostgreSQL cluster, as a URL. */
export async function newPostgresDatabase(prefix = 'srv'): Promise<string> {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${randomBytes(2).toString('hex')}`;
  const admin = new pg.Client({ connectionString: inject('postgresUrl') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return postgresUrlFor(name);
}

/** Runs `osd ARGS…` to its end (no site from the environment) and answers its exit code and output. */
export function runOsd(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runOsdWith({}, ...args);
}

/** `runOsd` with more environment (OSD_LAB_DIR …). */
export function runOsdWith(env: Record<string, string>, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((r) => {
    const p = spawn(process.execPath, [OSD, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, OSD_DATABASE_URL: '', OSD_DATA: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => r({ code, stdout, stderr }));
  });
}

/**
 * The administrator's tools against a started server, each expected to succeed: `osd …` with the
 * server's URL and token (its standard output), and an admin API call (its JSON). `server` is read
 * at each call, so a test that restarts its server keeps using them.
 */
export function adminTools(server: () => StartedServer): {
  osd: (...args: string[]) => Promise<string>;
  api: (method: string, path: string, body?: unknown) => Promise<any>;
} {
  return {
    async osd(...args) {
      const s = server();
      const r = await runOsd(...args, '--server', s.url, '--token', s.token);
      expect(r.code, `osd ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
      return r.stdout;
    },
    async api(method, path, body) {
      const r = await callServer(server(), method, path, body);
      expect(r.status, `${method} ${path}: ${JSON.stringify(r.json)}`).toBeLessThan(300);
      return r.json;
    },
  };
}

/** `osd lab …` (or any command) in a lab folder: exit status and output, as the lab tests read them. */
export async function runLab(labDir: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const r = await runOsdWith({ OSD_LAB_DIR: labDir }, ...args);
  return { status: r.code, stdout: r.stdout, stderr: r.stderr };
}

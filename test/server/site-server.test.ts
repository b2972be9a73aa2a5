/**
 * The site server as a real process: `osd server` started, used, killed with SIGKILL in the middle
 * of a content import, and started again — on PGlite and on PostgreSQL. Nothing acknowledged is
 * lost and nothing half-written is left (issue 6, security acceptance).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { DB_KINDS, postgresUrlFor, type DbKind } from '../site/helpers/site.js';

const OSD = resolve('bin/osd.js');

interface Started {
  proc: ChildProcessWithoutNullStreams;
  url: string;
  token: string;
}

async function startServer(dataDir: string, database?: string): Promise<Started> {
  const args = [OSD, 'server', '--data', dataDir, '--port', '0', '--json', ...(database ? ['--database', database] : [])];
  const proc = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const line = await new Promise<string>((resolveLine, reject) => {
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolveLine(out.slice(0, nl));
    });
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    proc.on('exit', (code) => reject(new Error(`osd server exited with ${code}: ${err}`)));
  });
  const facts = JSON.parse(line) as { url: string };
  return { proc, url: facts.url, token: readFileSync(join(dataDir, 'admin.token'), 'utf8').trim() };
}

async function api<T = any>(s: Started, method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(`${s.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${s.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: (await res.json()) as T };
}

function kill9(proc: ChildProcessWithoutNullStreams): Promise<void> {
  return new Promise((r) => {
    proc.once('exit', () => r());
    proc.kill('SIGKILL');
  });
}

async function newPostgresDatabase(): Promise<string> {
  const name = `srv_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: inject('postgresUrl') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return postgresUrlFor(name);
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.each(DB_KINDS)('osd server process on %s', (kind: DbKind) => {
  it('keeps acknowledged content and leaves no half-written import after SIGKILL', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), `openosd-server-${kind}-`));
    dirs.push(dataDir);
    const database = kind === 'postgres' ? await newPostgresDatabase() : undefined;
    let s = await startServer(dataDir, database);
    try {
      const src = join(dataDir, 'ack.bin');
      writeFileSync(src, randomBytes(100_000));
      const ack = await api(s, 'POST', '/content', { sourcePath: src });
      expect(ack.status).toBe(201);

      // A large upload, killed half-way: the server dies while the bytes are being written.
      const path = new URL(`${s.url}/api/v1/uploads?path=big.wim`);
      const req = request({ host: path.hostname, port: path.port, path: path.pathname + path.search, method: 'PUT', headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/octet-stream', 'content-length': 256 * 1024 * 1024 } });
      req.on('error', () => {});
      const chunk = randomBytes(1024 * 1024);
      for (let i = 0; i < 64; i++) {
        if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
      }
      // Wait until the server has written part of it to its tmp folder.
      const tmp = join(dataDir, 'content', 'tmp');
      for (let i = 0; i < 100 && !(existsSync(tmp) && readdirSync(tmp).length); i++) await new Promise((r) => setTimeout(r, 50));
      expect(readdirSync(tmp).length).toBeGreaterThan(0);
      await kill9(s.proc);
      req.destroy();

      s = await startServer(dataDir, database);
      const list = await api<Array<{ id: string; fileCount: number }>>(s, 'GET', '/content');
      expect(list.json.map((c) => c.id)).toEqual([ack.json.id]);
      expect(readdirSync(tmp)).toEqual([]);
      const blobs = join(dataDir, 'content', 'blobs');
      expect(readdirSync(blobs).flatMap((d) => readdirSync(join(blobs, d)))).toHaveLength(1);
      // The restarted server works normally.
      expect((await api(s, 'GET', '/site')).json.database).toBe(kind);
    } finally {
      await kill9(s.proc).catch(() => {});
    }
  });
});

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
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DB_KINDS, type DbKind } from '../site/helpers/site.js';
import { OSD, callServer, newPostgresDatabase, startServer as startOsdServer, stopServer, type StartedServer } from '../helpers/osd-server.js';

type Started = StartedServer;

/** The tests' package sources live in folders of their own under the temporary folder. */
function startServer(dataDir: string, database?: string): Promise<Started> {
  return startOsdServer(dataDir, ['--source-root', tmpdir(), ...(database ? ['--database', database] : [])]);
}

const api = callServer;
const kill9 = (proc: ChildProcessWithoutNullStreams): Promise<void> => stopServer(proc, 'SIGKILL');

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
      // Sources live outside the data folder (the site refuses its own data as content).
      const srcDir = mkdtempSync(join(tmpdir(), 'openosd-server-src-'));
      dirs.push(srcDir);
      const src = join(srcDir, 'ack.bin');
      writeFileSync(src, randomBytes(100_000));
      const ack = await api(s, 'POST', '/content', { sourcePath: src });
      expect(ack.status).toBe(201);

      // A large upload, killed half-way: the server dies while the bytes are being written.
      const path = new URL(`${s.url}/api/v1/uploads?path=big.wim`);
      const req = request({
        host: path.hostname,
        port: path.port,
        path: path.pathname + path.search,
        method: 'PUT',
        headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/octet-stream', 'content-length': 256 * 1024 * 1024 },
      });
      req.on('error', () => {});
      const chunk = randomBytes(1024 * 1024);
      for (let i = 0; i < 64; i++) {
        if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
      }
      // Wait until the server has written part of it to its tmp folder (tmp/<host>.<pid>.<random>/).
      const tmp = join(dataDir, 'content', 'tmp');
      const tmpFiles = (): string[] =>
        existsSync(tmp)
          ? readdirSync(tmp, { recursive: true, withFileTypes: true })
              .filter((e) => e.isFile())
              .map((e) => e.name)
          : [];
      for (let i = 0; i < 100 && !tmpFiles().length; i++) await new Promise((r) => setTimeout(r, 50));
      expect(tmpFiles().length).toBeGreaterThan(0);
      await kill9(s.proc);
      req.destroy();

      s = await startServer(dataDir, database);
      const list = await api<Array<{ id: string; fileCount: number }>>(s, 'GET', '/content');
      expect(list.json.map((c) => c.id)).toEqual([ack.json.id]);
      expect(tmpFiles()).toEqual([]);
      const blobs = join(dataDir, 'content', 'blobs');
      expect(readdirSync(blobs).flatMap((d) => readdirSync(join(blobs, d)))).toHaveLength(1);
      // The restarted server works normally.
      expect((await api(s, 'GET', '/site')).json.database).toBe(kind);
    } finally {
      await kill9(s.proc).catch(() => {});
    }
  });
});

describe.each(DB_KINDS)('osd server process on %s, killed while saving revisions', (kind: DbKind) => {
  it('keeps every acknowledged revision and no half-written one', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), `openosd-server-rev-${kind}-`));
    dirs.push(dataDir);
    const database = kind === 'postgres' ? await newPostgresDatabase() : undefined;
    let s = await startServer(dataDir, database);
    try {
      const xml =
        '<sequence version="3.10"><group name="G"><step type="SMS_TaskSequence_RunCommandLineAction" name="Step 0" action="smsswd.exe /run: cmd /c exit 0"><defaultVarList><variable name="CommandLine" property="CommandLine">cmd /c exit 0</variable></defaultVarList></step></group></sequence>';
      const created = await api(s, 'POST', '/task-sequences', { name: 'Crash test', format: 'xml', content: xml });
      expect(created.status).toBe(201);
      const id = created.json.taskSequence.id as string;
      const base = (await api(s, 'GET', `/task-sequences/${id}`)).json.sequence;
      // Save revisions back to back; kill the server after a while, mid-request.
      let acknowledged = 1;
      let stop = false;
      const saver = (async () => {
        for (let i = 1; !stop; i++) {
          const seq = structuredClone(base);
          seq.sequence.items[0].items[0].name = `Step ${i}`;
          try {
            const r = await api(s, 'PUT', `/task-sequences/${id}`, { baseRevision: acknowledged, message: `edit ${i}`, sequence: seq });
            if (r.status !== 200) throw new Error(`save answered ${r.status}`);
            acknowledged = r.json.revision.revision;
          } catch {
            return;
          }
        }
      })();
      await new Promise((r) => setTimeout(r, 1500));
      await kill9(s.proc);
      stop = true;
      await saver;
      expect(acknowledged).toBeGreaterThan(2);

      s = await startServer(dataDir, database);
      const history = await api<Array<{ revision: number }>>(s, 'GET', `/task-sequences/${id}/revisions`);
      const revisions = history.json.map((h) => h.revision).sort((a, b) => a - b);
      // Every acknowledged revision is there; at most one more (committed, then killed before the answer).
      expect(revisions.slice(0, acknowledged)).toEqual(Array.from({ length: acknowledged }, (_, i) => i + 1));
      expect(revisions.length - acknowledged).toBeLessThanOrEqual(1);
      const current = await api(s, 'GET', `/task-sequences/${id}`);
      expect(current.json.currentRevision).toBe(revisions[revisions.length - 1]);
      expect(current.json.revision.revision).toBe(current.json.currentRevision);
      // Each revision is whole: its body names its own step.
      for (const rev of revisions) {
        const r = await api(s, 'GET', `/task-sequences/${id}/revisions/${rev}`);
        expect(r.status).toBe(200);
        expect(JSON.stringify(r.json.sequence)).toContain(`"Step ${rev - 1}"`);
      }
      // And the site takes the next save.
      const seq = structuredClone(base);
      const next = await api(s, 'PUT', `/task-sequences/${id}`, { baseRevision: current.json.currentRevision, message: 'after restart', sequence: seq });
      expect(next.status).toBe(200);
    } finally {
      await kill9(s.proc).catch(() => {});
    }
  });
});

describe('osd server request log', () => {
  it('logs requests as JSON without tokens, bodies or secret values', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'openosd-server-log-'));
    dirs.push(dataDir);
    const proc = spawn(process.execPath, [OSD, 'server', '--data', dataDir, '--port', '0'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, OSD_LOG: 'json' },
    });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      for (let i = 0; i < 600 && !/listening on (http:\S+)/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
      const url = /listening on (http:\S+)/.exec(out)![1]!;
      const s: Started = { proc, url, token: readFileSync(join(dataDir, 'admin.token'), 'utf8').trim(), stderr: () => '' };
      const secret = 'Log-Secret-Value-123';
      expect((await api(s, 'PUT', '/collections/SMS000US/variables/OSDSecret', { value: secret, masked: true })).status).toBe(200);
      expect((await api(s, 'POST', '/tokens', { name: 'x', role: 'nope' })).status).toBe(400);
      await new Promise((r) => setTimeout(r, 300));
      const requestLines = out.split('\n').filter((l) => l.startsWith('{') && l.includes('"req'));
      expect(requestLines.length).toBeGreaterThan(0);
      for (const l of requestLines) expect(() => JSON.parse(l)).not.toThrow();
      expect(out).not.toContain(secret);
      expect(out).not.toContain(s.token);
    } finally {
      await kill9(proc as ChildProcessWithoutNullStreams);
    }
  });
});

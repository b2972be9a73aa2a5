/**
 * Issue 10 item 6, as real processes: a site whose every Full Administrator token is revoked or
 * expired is recovered with `osd token recover` on the server machine. On PGlite it is refused
 * while `osd server` holds the database and works once it is stopped; on PostgreSQL it works while
 * the server runs. A wrong key file and a missing folder are refused (exit 2).
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';
import { DB_KINDS, type DbKind } from '../site/helpers/site.js';
import {
  callServer,
  runOsd,
  newPostgresDatabase as newDatabase,
  startServer as startOsdServer,
  stopServer,
  type StartedServer,
} from '../helpers/osd-server.js';

const newPostgresDatabase = (): Promise<string> => newDatabase('recover');

type Started = StartedServer;
const startServer = (dataDir: string, args: string[]): Promise<Started> => startOsdServer(dataDir, args);
const stop = (proc: ChildProcessWithoutNullStreams, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => stopServer(proc, signal);

const osd = runOsd;

const call = (s: Started, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> =>
  callServer(s, method, path, body, token);

const servers: ChildProcessWithoutNullStreams[] = [];
afterAll(async () => {
  for (const p of servers) await stop(p, 'SIGKILL');
});

/**
 * Locks the site out the way an administrator could: the only other administrator token expires
 * after the first one was revoked (revoking the last one is refused, expiring is not).
 */
async function lockOut(s: Started, initial: string): Promise<void> {
  const short = await call(s, initial, 'POST', '/tokens', {
    name: 'short-lived admin',
    role: 'full-administrator',
    expiresAt: new Date(Date.now() + 2500).toISOString(),
  });
  expect(short.status).toBe(201);
  const initialId = ((await call(s, initial, 'GET', '/tokens')).json as Array<{ id: string; name: string }>).find(
    (t) => t.name === 'initial administrator',
  )!.id;
  expect((await call(s, short.json.token, 'DELETE', `/tokens/${initialId}`)).status).toBe(200);
  expect((await call(s, short.json.token, 'DELETE', `/tokens/${short.json.info.id}`)).status).toBe(409);
  await new Promise((r) => setTimeout(r, 2600));
  expect((await call(s, short.json.token, 'GET', '/site')).status).toBe(401);
  expect((await call(s, initial, 'GET', '/site')).status).toBe(401);
}

describe.each(DB_KINDS)('osd token recover on %s', (kind: DbKind) => {
  it('gives a working Full Administrator token when every token is revoked or expired; refuses a wrong key and a missing folder', async () => {
    const dataDir = tempDir(`openosd-recover-${kind}-`);
    const database = kind === 'postgres' ? await newPostgresDatabase() : undefined;
    const dbArgs = database ? ['--database', database] : [];
    let s = await startServer(dataDir, dbArgs);
    servers.push(s.proc);
    const initial = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
    await lockOut(s, initial);

    const wrongKey = join(tempDir('openosd-recover-key-'), 'wrong.key');
    writeFileSync(wrongKey, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    const missing = await osd('token', 'recover', '--data', join(dataDir, 'no-such-folder'), ...dbArgs);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--data: .*no-such-folder is not a folder/);

    if (kind === 'pglite') {
      // The embedded database belongs to the running server.
      const busy = await osd('token', 'recover', '--data', dataDir);
      expect(busy.code).toBe(2);
      expect(busy.stderr).toContain(`in use by process ${s.proc.pid}`);
      expect(busy.stderr).toMatch(/stop that site server first/);
      await stop(s.proc);
    }
    const wrong = await osd('token', 'recover', '--data', dataDir, '--key-file', wrongKey, ...dbArgs);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('the key does not match this site');

    const recovered = await osd('token', 'recover', '--data', dataDir, ...dbArgs, ...(kind === 'postgres' ? ['--print', '--name', 'break glass'] : []));
    expect(recovered.code, recovered.stderr).toBe(0);
    const file = join(dataDir, 'admin.token');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const token = readFileSync(file, 'utf8').trim();
    expect(token).toMatch(/^osd_/);
    expect(token).not.toBe(initial);
    expect(recovered.stderr).toContain(`written to ${file}`);
    // Printed only when asked for.
    if (kind === 'postgres') expect(recovered.stdout.trim()).toBe(token);
    else expect(recovered.stdout).not.toContain(token);

    // PostgreSQL: the running server accepts it at once; PGlite: after the server starts again.
    if (kind === 'pglite') {
      s = await startServer(dataDir, dbArgs);
      servers.push(s.proc);
    }
    const site = await call(s, token, 'GET', '/site');
    expect(site.status).toBe(200);
    expect(site.json.you).toMatchObject({ role: 'full-administrator', name: kind === 'postgres' ? 'break glass' : 'recovered administrator' });
    const audit = (await call(s, token, 'GET', '/audit?objectType=token')).json as Array<{ action: string; actor: string; details: Record<string, unknown> }>;
    expect(audit[0]).toMatchObject({ action: 'recover', details: { note: 'recovered by the server machine' } });
    expect(audit[0]!.actor).toMatch(/^recovery on /);
    await stop(s.proc);
  });
});

/**
 * Issue 10 §0 and §7 against `osd server` as a real process, on both databases:
 * - no input ends the process: sources the server may not read (permission denied on a file, a
 *   file inside a folder, a sub-folder) are each the caller's 400, and the server answers the next
 *   request;
 * - everything under the data folder is owner-only, even when the server was started with umask
 *   000; files other users could reach are fixed at start with a warning; a data folder owned by
 *   another user is refused.
 *
 * "May not read" as root: the server runs without the capabilities that let root read anyone's
 * files (setpriv drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH), so a file of another user with
 * mode 0600 is unreadable to it, as it would be to a server running as its own user.
 */
import { spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';
import { DB_KINDS, type DbKind } from '../site/helpers/site.js';
import { callServer, newPostgresDatabase, startServer as startOsdServer, stopServer, type StartedServer } from '../helpers/osd-server.js';
import { makeWim } from '../site/objects/fixtures.js';

const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;
const setprivAvailable = asRoot && spawnSync('setpriv', ['--version']).status === 0;

const running: ChildProcessWithoutNullStreams[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) await stopServer(p);
});

/** `osd server` started with umask 000 and, as root, without the capabilities to read others' files. */
async function startServer(dataDir: string, args: string[], options: { dropCaps?: boolean } = {}): Promise<StartedServer> {
  const wrap = (osd: string[]): string[] => {
    const command = options.dropCaps && setprivAvailable ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--', ...osd] : osd;
    return ['/bin/sh', '-c', 'umask 000 && exec "$@"', 'sh', ...command];
  };
  const s = await startOsdServer(dataDir, args, { wrap });
  running.push(s.proc);
  return s;
}

const call = callServer;

async function database(kind: DbKind): Promise<string[]> {
  return kind === 'pglite' ? [] : ['--database', await newPostgresDatabase('hard')];
}

/** A file the server may not read: another user's 0600 file (as root), or a mode 000 file. */
function unreadable(path: string, content: string | Buffer = 'no access'): void {
  writeFileSync(path, content);
  if (asRoot) {
    chownSync(path, NOBODY, NOBODY);
    chmodSync(path, 0o600);
  } else chmodSync(path, 0o000);
}

/** Every entry below `dir` (links not followed) whose mode gives group or others any access. */
function sharedEntries(dir: string): string[] {
  const out: string[] = [];
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop()!;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) continue;
      if (st.mode & 0o077) out.push(`${p} ${(st.mode & 0o777).toString(8)}`);
      if (st.isDirectory()) stack.push(p);
    }
  }
  return out;
}

describe.each(DB_KINDS)('osd server process hardening on %s', (kind) => {
  it.skipIf(asRoot && !setprivAvailable)(
    'answers a 400 for every source it may not read, and keeps answering; everything it writes is owner-only',
    async () => {
      const dataDir = tempDir(`openosd-hard-${kind}-`);
      const sources = tempDir('openosd-hard-src-');
      // A readable package, and each way a source can be unreadable.
      mkdirSync(join(sources, 'ok'));
      writeFileSync(join(sources, 'ok', 'setup.cmd'), 'exit /b 0');
      unreadable(join(sources, 'secret.txt'));
      mkdirSync(join(sources, 'folder-with-secret'));
      writeFileSync(join(sources, 'folder-with-secret', 'a.txt'), 'a');
      unreadable(join(sources, 'folder-with-secret', 'b.txt'));
      mkdirSync(join(sources, 'folder-with-closed-sub', 'sub'), { recursive: true });
      writeFileSync(join(sources, 'folder-with-closed-sub', 'a.txt'), 'a');
      if (asRoot) chownSync(join(sources, 'folder-with-closed-sub', 'sub'), NOBODY, NOBODY);
      chmodSync(join(sources, 'folder-with-closed-sub', 'sub'), 0o700);
      if (!asRoot) chmodSync(join(sources, 'folder-with-closed-sub', 'sub'), 0o000);
      const wim = await makeWim(join(sources, 'img'), 'install.wim', [
        { name: 'Windows 11 Enterprise', description: 'ent', payload: 'x', properties: { 'WINDOWS/ARCH': 9 } },
      ]);
      unreadable(join(sources, 'closed.wim'), readFileSync(wim));

      const s = await startServer(dataDir, ['--source-root', sources, ...(await database(kind))], { dropCaps: true });
      const attempts: Array<[string, string, unknown]> = [
        ['POST', '/content', { sourcePath: join(sources, 'secret.txt') }],
        ['POST', '/content', { sourcePath: join(sources, 'folder-with-secret') }],
        ['POST', '/content', { sourcePath: join(sources, 'folder-with-closed-sub') }],
        ['POST', '/packages', { name: 'p', sourcePath: join(sources, 'secret.txt') }],
        ['POST', '/os-images', { sourcePath: join(sources, 'closed.wim') }],
        ['POST', '/boot-images', { sourcePath: join(sources, 'closed.wim'), imageIndex: 1 }],
        ['POST', '/drivers/import', { sourcePath: join(sources, 'folder-with-secret') }],
        ['POST', '/applications', { name: 'a', sourcePath: join(sources, 'folder-with-secret') }],
      ];
      for (const [method, path, body] of attempts) {
        const r = await call(s, method, path, body);
        expect.soft(r.status, `${path} ${JSON.stringify(body)}`).toBe(400);
        expect.soft(r.json.rule, `${path} ${JSON.stringify(body)}`).toMatch(/may not read it|permission denied/);
        expect.soft(r.json.input, path).toContain('body.sourcePath');
        // The server is still there after each one.
        expect((await call(s, 'GET', '/site')).status).toBe(200);
        expect(s.proc.exitCode).toBeNull();
      }
      // And it still works: a readable package goes in and out.
      expect((await call(s, 'POST', '/packages', { name: 'ok', sourcePath: join(sources, 'ok') })).status).toBe(201);
      expect(s.stderr()).not.toMatch(/Unhandled|internal error/);

      // umask 000, and still nothing under the data folder is reachable by other users.
      expect(sharedEntries(dataDir)).toEqual([]);
    },
  );

  it('makes a data folder that other users could reach owner-only at start, with a warning', async () => {
    const dataDir = tempDir(`openosd-perm-${kind}-`);
    const db = await database(kind);
    const first = await startServer(dataDir, db);
    first.proc.kill('SIGTERM');
    await new Promise((r) => first.proc.once('exit', r));
    // What a careless copy or an old version leaves: a world-writable folder and files.
    chmodSync(dataDir, 0o777);
    chmodSync(join(dataDir, 'admin.token'), 0o666);
    chmodSync(join(dataDir, 'content'), 0o755);
    writeFileSync(join(dataDir, 'content', 'notes.txt'), 'x', { mode: 0o644 });
    chmodSync(join(dataDir, 'content', 'notes.txt'), 0o644);
    const s = await startServer(dataDir, db);
    expect(s.stderr()).toMatch(/could be read or written by other users .*; they are owner-only now/);
    expect(sharedEntries(dataDir)).toEqual([]);
    expect(lstatSync(dataDir).mode & 0o777).toBe(0o700);
  });

  it.skipIf(!asRoot)('refuses a data folder that belongs to another user (exit 2, naming both user ids)', async () => {
    const dataDir = tempDir(`openosd-owner-${kind}-`);
    chownSync(dataDir, NOBODY, NOBODY);
    const err = await startServer(dataDir, await database(kind)).then(
      () => undefined,
      (e: { exitCode?: number; stderr?: string }) => e,
    );
    expect(err?.exitCode).toBe(2);
    expect(err?.stderr).toContain(`belongs to user id ${NOBODY}`);
  });
});

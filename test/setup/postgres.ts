/**
 * vitest global setup: a throw-away PostgreSQL cluster for the whole test run (toolchain.md §4:
 * initdb + pg_ctl take about a second). Tests get its URL through `inject('postgresUrl')` and make
 * their own database in it. Stopped and deleted when the run ends.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, chownSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { processAlive } from '../../src/storage/process-alive.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions.length) {
    throw new Error(
      'PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb). Run "make deps" as root, which installs the Debian package postgresql, or: apt-get install postgresql',
    );
  }
  return join(root, versions[0]!, 'bin');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export default async function setup(project: TestProject): Promise<() => void> {
  const bin = postgresBin();
  const asRoot = process.getuid?.() === 0;
  // A run that was killed never tore its cluster down: stop and remove those whose run is gone.
  for (const name of readdirSync(tmpdir()).filter((n) => n.startsWith('openosd-pg-'))) {
    const stale = join(tmpdir(), name);
    const owner = Number(existsSync(join(stale, 'owner.pid')) ? readFileSync(join(stale, 'owner.pid'), 'utf8') : 0);
    if (processAlive(owner)) continue;
    const cmd = asRoot
      ? (['runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), '-D', join(stale, 'data'), '-m', 'immediate', '-w', 'stop']] as const)
      : ([join(bin, 'pg_ctl'), ['-D', join(stale, 'data'), '-m', 'immediate', '-w', 'stop']] as const);
    if (existsSync(join(stale, 'data', 'postmaster.pid'))) spawnSync(cmd[0], [...cmd[1]], { encoding: 'utf8' });
    rmSync(stale, { recursive: true, force: true });
  }
  const dir = mkdtempSync(join(tmpdir(), 'openosd-pg-'));
  writeFileSync(join(dir, 'owner.pid'), String(process.pid));
  // initdb refuses to run as root: run the cluster as the postgres user the package created.
  const run = (cmd: string, args: string[]): void => {
    const full = asRoot ? (['runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]] as const) : ([join(bin, cmd), args] as const);
    const r = spawnSync(full[0], [...full[1]], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr || r.stdout}`);
  };
  if (asRoot) {
    const ids = execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim();
    const gid = execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim();
    chownSync(dir, Number(ids), Number(gid));
  }
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  run('pg_ctl', [
    '-D',
    data,
    '-l',
    join(dir, 'server.log'),
    '-w',
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=300`,
    'start',
  ]);
  project.provide('postgresUrl', `postgres://postgres@127.0.0.1:${port}/postgres`);
  return () => {
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

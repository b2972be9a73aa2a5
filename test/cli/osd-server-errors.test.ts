/**
 * `osd server` and `osd token recover` refusing to start, as an administrator meets it: the site's
 * errors (in the site's words: data folder, database, key file) said with the option the user typed,
 * and the exit code of their kind — 2 for what the user can correct, 69 when the database does not
 * answer.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';
import { runOsd } from '../helpers/osd-server.js';

const osd = runOsd;

describe('osd server start-up errors', () => {
  it('a database that does not answer: --database, exit 69 (unavailable)', async () => {
    const r = await osd('server', '--data', tempDir('openosd-start-'), '--port', '0', '--database', 'postgres://osd@127.0.0.1:1/site');
    expect(r.stderr).toMatch(/^osd: --database: cannot connect to the database postgres:\/\/osd@127\.0\.0\.1:1\/site/);
    expect(r.stderr).toMatch(/hint: check that PostgreSQL runs/);
    expect(r.code).toBe(69);
  });

  it('a database URL the server refuses, or that is not PostgreSQL: --database, exit 2', async () => {
    const url = new URL(inject('postgresUrl'));
    url.pathname = '/no_such_site_database';
    const refused = await osd('server', '--data', tempDir('openosd-start-'), '--port', '0', '--database', url.toString());
    expect(refused.stderr).toMatch(/^osd: --database: cannot connect to the database/);
    expect(refused.code).toBe(2);
    const mysql = await osd('server', '--data', tempDir('openosd-start-'), '--port', '0', '--database', 'mysql://x@db/site');
    expect(mysql.stderr).toMatch(/^osd: --database: db\/site: only postgres:\/\/ and postgresql:\/\/ URLs are supported/);
    expect(mysql.code).toBe(2);
  });

  it('a bad site code, a broken or wrong key file: the option, exit 2', async () => {
    const code = await osd('server', '--data', tempDir('openosd-start-'), '--port', '0', '--site-code', 'TOOLONG');
    expect(code.stderr).toMatch(/^osd: --site-code: "TOOLONG" is not a site code\n {2}hint: /);
    expect(code.code).toBe(2);
    const dir = tempDir('openosd-start-');
    const short = join(dir, 'short.key');
    writeFileSync(short, 'c2hvcnQ=\n');
    const broken = await osd('server', '--data', join(dir, 'site'), '--port', '0', '--key-file', short);
    expect(broken.stderr).toMatch(/^osd: --key-file: .*short\.key: the key file must hold 32 bytes in base64, it holds 5/);
    expect(broken.code).toBe(2);
  });

  it('osd token recover: the data folder and the key file as options', async () => {
    const missing = await osd('token', 'recover', '--data', join(tempDir('openosd-recover-'), 'none'));
    expect(missing.stderr).toMatch(/^osd: --data: .*none is not a folder\n {2}hint: give the site's data folder/);
    expect(missing.code).toBe(2);
    const dir = tempDir('openosd-recover-');
    const key = join(dir, 'other.key');
    writeFileSync(key, `${randomBytes(32).toString('base64')}\n`);
    const noSite = await osd('token', 'recover', '--data', dir, '--key-file', key);
    expect(noSite.stderr).toMatch(/^osd: --data: .* holds no embedded site database/);
    expect(noSite.code).toBe(2);
    for (const r of [missing, noSite]) expect(r.stderr).not.toMatch(/osd server|--key-file of/);
  });
});

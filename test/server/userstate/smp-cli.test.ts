/**
 * `osd smp show|set` and `osd userstate stores|show|recovery|delete` against a listening server
 * (PGlite: the API paths run on both databases in smp.test.ts): what they print, --json, and a
 * refused input named in the command's words.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseDeletion, parseFolderSpec, registerSmpCommands } from '../../../src/cli/site/smp-commands.js';
import { setRunningCommand } from '../../../src/cli/site/field-words.js';
import { reportError } from '../../../src/cli/output.js';
import { requestStore } from '../../../src/site/userstate/stores.js';
import { startTestApi, type TestApi } from '../../site/helpers/site.js';
import { addCollection } from '../../site/task-sequences/fixtures.js';

describe('osd smp and osd userstate', () => {
  let api: TestApi;
  let server: string;
  let root: string;

  async function osd(...args: string[]): Promise<{ out: string; err: string; error?: Error }> {
    const program = new Command('osd').exitOverride().hook('preAction', (_p, action) => setRunningCommand(action));
    registerSmpCommands(program);
    const override = (c: Command): void => {
      c.exitOverride();
      for (const s of c.commands) override(s);
    };
    override(program);
    const out: string[] = [];
    const err: string[] = [];
    const so = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (out.push(String(c)), true));
    const se = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (err.push(String(c)), true));
    try {
      await program.parseAsync(['node', 'osd', ...args, '--server', server, '--token', api.tokens['full-administrator']]);
      return { out: out.join(''), err: err.join('') };
    } catch (e) {
      reportError(e, false);
      return { out: out.join(''), err: err.join(''), error: e as Error };
    } finally {
      so.mockRestore();
      se.mockRestore();
    }
  }

  beforeAll(async () => {
    api = await startTestApi('pglite');
    server = await api.app.listen({ port: 0, host: '127.0.0.1' });
    root = mkdtempSync(join(tmpdir(), 'openosd-smp-cli-'));
    await addCollection(api.site, 'Lab', [{ name: 'PC-CLI' }]);
  });
  afterAll(async () => {
    await api?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('parses folder specs and deletion times, refusing what is not one', () => {
    expect(parseFolderSpec('/srv/a,max-clients=5,min-free=10GB')).toEqual({ path: '/srv/a', maxClients: 5, minFree: { value: 10, unit: 'GB' } });
    expect(parseFolderSpec('/srv/b,min-free=5%')).toEqual({ path: '/srv/b', maxClients: 100, minFree: { value: 5, unit: 'Percent' } });
    expect(() => parseFolderSpec('/srv/c,clients=5')).toThrow(/max-clients=N or min-free=AMOUNT/);
    expect(() => parseFolderSpec('/srv/c,min-free=10TB')).toThrow(/500MB, 10GB or 5%/);
    expect(parseDeletion('12h')).toEqual({ mode: 'after', value: 12, unit: 'hours' });
    expect(parseDeletion('immediately')).toEqual({ mode: 'immediate' });
    expect(() => parseDeletion('soon')).toThrow(/1d, 12h or immediately/);
  });

  it('sets and shows the state migration point; lists a store, its recovery information, deletes it', async () => {
    // A new site's state migration point [I]: no storage folder (captures refused), deletion a day after the restore.
    const fresh = await osd('smp', 'show');
    expect(fresh.out).toContain('storage folders: none (captures are refused: no-capacity)');
    expect(fresh.out).toContain('deletion: 1 day after the restore is released');
    expect(fresh.out).toContain('restore-only: off');
    const set = await osd(
      'smp',
      'set',
      '--folder',
      `${join(root, 'one')},max-clients=2,min-free=1MB`,
      `${join(root, 'two')},min-free=1%`,
      '--delete-after',
      '2d',
    );
    expect(set.error, set.err).toBeUndefined();
    expect(set.out).toContain(join(root, 'one'));
    expect(set.out).toContain('deletion: 2 days after the restore is released');
    const show = await osd('smp', 'show', '--json');
    expect(JSON.parse(show.out)).toMatchObject({ storageFolders: [{ maxClients: 2 }, { minFree: { value: 1, unit: 'Percent' } }], restoreOnly: false });
    expect((await osd('smp', 'set', '--restore-only', 'on')).out).toContain('restore-only: on');
    await osd('smp', 'set', '--restore-only', 'off');

    const bad = await osd('smp', 'set', '--folder', 'relative/path');
    expect(bad.error).toBeDefined();
    expect(bad.err).toContain('--folder');
    expect(bad.err).toContain('is not an absolute path');

    const { rows } = await api.site.db.query<{ resource_id: string }>("SELECT resource_id FROM devices WHERE name = 'PC-CLI'");
    const grant = await requestStore(
      api.site,
      { resourceId: Number(rows[0]!.resource_id), name: 'PC-CLI', unknown: false, approval: 'approved' },
      { type: 'capture' },
    );
    const stores = await osd('userstate', 'stores', '--device', 'PC-CLI');
    expect(stores.out).toMatch(new RegExp(`${grant.storeId}\\s+requested\\s+PC-CLI`));
    expect(stores.out).not.toContain(grant.key);
    const rec = await osd('userstate', 'recovery', grant.storeId);
    expect(rec.out).toContain(`key: ${grant.key}`);
    expect(rec.out).toContain(join(root, 'one', grant.storeId));
    const busy = await osd('userstate', 'delete', grant.storeId);
    expect(busy.error).toBeDefined();
    expect(busy.err).toContain('a computer is using it');
    expect((await osd('userstate', 'delete', grant.storeId, '--force')).out).toContain(`deleted store ${grant.storeId}`);
    expect((await osd('userstate', 'show', grant.storeId)).out).toContain(`store ${grant.storeId}: deleted`);
    expect((await osd('userstate', 'stores', '--state', 'sometimes')).err).toContain('--state');
  });
});

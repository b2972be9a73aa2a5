import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerCollectionCommands } from '../../../src/cli/site/collection-commands.js';
import { startTestApi, type TestApi } from '../helpers/site.js';

// The CLI only calls the API: one database kind is enough here.
describe('osd collection / device / association commands', () => {
  let api: TestApi;
  let server: string;
  let dir: string;
  beforeAll(async () => {
    api = await startTestApi('pglite');
    server = await api.app.listen({ port: 0, host: '127.0.0.1' });
    dir = mkdtempSync(join(tmpdir(), 'openosd-cli-collections-'));
  });
  afterAll(async () => {
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function osd(...args: string[]): Promise<string> {
    const program = new Command('osd').exitOverride();
    registerCollectionCommands(program);
    let out = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    try {
      await program.parseAsync(['node', 'osd', ...args, '--server', server, '--token', api.tokens['full-administrator']]);
    } finally {
      spy.mockRestore();
    }
    return out;
  }

  it('imports computers from CSV and singly, builds a collection, sets a masked variable', async () => {
    const csv = join(dir, 'computers.csv');
    writeFileSync(csv, 'Computer,Address\nLAB-01,00-15-5D-00-00-01\nLAB-02,00155D000002\n');
    expect(await osd('device', 'import', '--csv', csv, '--map', 'name=Computer', '--map', 'mac=Address')).toContain('imported 2 computers');
    const one = JSON.parse(await osd('device', 'import', '--name', 'LAB-03', '--mac', '0015.5d00.0003', '--json'));
    expect(one.device.macAddresses).toEqual(['00:15:5D:00:00:03']);
    const list = JSON.parse(await osd('device', 'list', '--search', 'LAB-', '--json'));
    expect(list.total).toBe(3);

    const created = JSON.parse(await osd('collection', 'create', 'Lab', '--query', "select * from SMS_R_System where Name like 'LAB-0[12]'", '--json'));
    const id = created.collection.collectionId;
    expect(created.collection.memberCount).toBe(2);
    expect(await osd('collection', 'add-rule', id, '--direct', String(one.device.resourceId))).toContain(`${id}: 3`);
    expect(await osd('collection', 'members', id)).toContain('3 of 3');
    expect(await osd('collection', 'set-variable', id, 'OSDDomainPassword', 'hunter2', '--masked')).toBe('OSDDomainPassword = ******** (masked)\n');
    const shown = await osd('collection', 'show', id, '--json');
    expect(shown).not.toContain('hunter2');
    expect(JSON.parse(shown).rules).toHaveLength(2);
    expect(await osd('collection', 'evaluate', id)).toContain(`${id}: 3 members`);
    expect(await osd('collection', 'list')).toContain('Lab');
    expect(await osd('device', 'set-variable', String(one.device.resourceId), 'OSDComputerName', 'LAB-03')).toContain('OSDComputerName = LAB-03');
    expect(await osd('device', 'show', String(one.device.resourceId))).toContain(`${id} Lab`);

    const assoc = await osd(
      'association',
      'create',
      '--source',
      String(list.devices[0].resourceId),
      '--destination',
      String(one.device.resourceId),
      '--account',
      'CONTOSO\\bob',
    );
    expect(assoc).toMatch(/created association \d+: LAB-01 → LAB-03 \(capture-restore-specified\)/);
    expect(await osd('association', 'list')).toContain('CONTOSO\\bob');
  });
});

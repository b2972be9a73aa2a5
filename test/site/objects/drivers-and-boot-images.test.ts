import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driverCatalog, DRIVER_CATEGORIES } from '../../../src/lab/test-content/index.js';
import { writeDrivers } from '../../../src/lab/test-content/drivers.js';
import { manifestHash } from '../../../src/site/content/store.js';
import { DB_KINDS, startTestApi, type TestApi } from '../helpers/site.js';
import { makeWim, WINPE_PROPERTIES } from './fixtures.js';

let work: string;
let driversDir: string;
let winpe10: string;
let winpe5: string;
let winpeArm: string;
let notPe: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'openosd-objects-drv-'));
  driversDir = join(work, 'drivers');
  await writeDrivers(driversDir);
  await rm(join(driversDir, 'catalog.json'));
  winpe10 = await makeWim(join(work, 'pe10'), 'boot.wim', [
    { name: 'Microsoft Windows PE (x64)', description: 'WinPE 10', payload: 'pe', properties: WINPE_PROPERTIES(9, [10, 0, 22621]) },
    {
      name: 'Microsoft Windows Setup (x64)',
      description: 'setup',
      payload: 'setup',
      properties: { ...WINPE_PROPERTIES(9, [10, 0, 22621]), 'WINDOWS/INSTALLATIONTYPE': 'Client' },
    },
  ]);
  winpe5 = await makeWim(join(work, 'pe5'), 'boot.wim', [
    { name: 'Microsoft Windows PE (x86)', description: 'WinPE 5', payload: 'pe5', properties: WINPE_PROPERTIES(0, [6, 3, 9600]) },
  ]);
  winpeArm = await makeWim(join(work, 'pearm'), 'boot.wim', [
    { name: 'Microsoft Windows PE (arm64)', description: 'arm', payload: 'arm', properties: WINPE_PROPERTIES(12, [10, 0, 22621]) },
  ]);
  notPe = join(work, 'pe10', 'boot.wim');
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const catalog = driverCatalog();
const byInf = (inf: string) => catalog.drivers.find((d) => d.inf.endsWith(`/${inf}`))!;

describe.each(DB_KINDS)('driver catalog, driver packages and boot images on %s', (kind) => {
  let api: TestApi;
  const ids: Record<string, number> = {};
  beforeAll(async () => {
    api = await startTestApi(kind);
  });
  afterAll(async () => api?.close());

  it('imports a driver folder recursively with what each INF declares', async () => {
    const r = await api.call('POST', '/api/v1/drivers/import', { body: { sourcePath: driversDir, categories: ['Desktops'] } });
    expect(r.status).toBe(201);
    expect(r.json.imported).toHaveLength(catalog.drivers.length);
    expect(r.json.skipped).toEqual([]);
    for (const d of r.json.imported) ids[d.infFile] = d.ciId;
    for (const expected of catalog.drivers) {
      const inf = expected.inf.split('/').pop()!;
      const got = r.json.imported.find((d: { infFile: string }) => d.infFile === inf);
      expect(got).toMatchObject({
        name: expected.name,
        provider: expected.provider,
        class: expected.class,
        version: expected.version,
        date: expected.date,
        signed: true,
        platforms: expected.platforms,
        hardwareIds: expected.hardwareIds,
        categories: ['Desktops'],
        enabled: true,
      });
      // The driver's content is its folder: the INF, the .sys and the .cat.
      const files = (await api.site.db.query<{ files: Array<{ path: string }> }>('SELECT files FROM content WHERE id = $1', [got.contentId])).rows[0]!.files;
      expect(files.map((f) => f.path).sort()).toEqual(
        [inf, inf.replace('.inf', '.cat'), expected.inf.includes('igdlh64') ? 'igdkmd64.sys' : inf.replace('.inf', '.sys')].sort(),
      );
    }
    // Hardware and compatible IDs, lower-cased, for the management point's lookup.
    const hw = await api.site.db.query<{ hardware_id: string }>('SELECT hardware_id FROM driver_hardware_ids WHERE ci_id = $1 ORDER BY 1', [
      ids['secnvme.inf'],
    ]);
    expect(hw.rows.map((r) => r.hardware_id)).toEqual(
      [...byInf('secnvme.inf').hardwareIds, ...byInf('secnvme.inf').compatibleIds].map((h) => h.toLowerCase()).sort(),
    );
    const cats = await api.call('GET', '/api/v1/driver-categories');
    expect(cats.json).toEqual([{ name: 'Desktops', driverCount: catalog.drivers.length }]);
    const byHw = await api.call('GET', `/api/v1/drivers?hardwareId=${encodeURIComponent('PCI\\VEN_8086&DEV_156F&SUBSYS_06DB1028')}`);
    expect(byHw.json.map((d: { infFile: string }) => d.infFile)).toEqual(['e1d68x64.inf']);
  });

  it('handles duplicates as the wizard does: append, keep, overwrite, skip', async () => {
    const nvme = join(driversDir, 'samsung-nvme', 'secnvme.inf');
    // The same driver found under another path is the same driver (content hash + INF name).
    const copy = join(work, `copy-${kind}`, 'nvme');
    await mkdir(join(work, `copy-${kind}`), { recursive: true });
    await cp(join(driversDir, 'samsung-nvme'), copy, { recursive: true });
    const append = await api.call('POST', '/api/v1/drivers/import', { body: { sourcePath: join(copy, 'secnvme.inf'), categories: ['Laptops'] } });
    expect(append.status).toBe(201);
    expect(append.json.imported).toEqual([]);
    expect(append.json.duplicates).toEqual([{ ciId: ids['secnvme.inf'], name: 'Samsung NVMe Controller', action: 'categories-appended' }]);
    const get = async () => (await api.call('GET', `/api/v1/drivers/${ids['secnvme.inf']}`)).json.categories;
    expect(await get()).toEqual(['Desktops', 'Laptops']);
    await api.call('POST', '/api/v1/drivers/import', { body: { sourcePath: nvme, categories: ['Servers'], duplicates: 'keep-categories' } });
    expect(await get()).toEqual(['Desktops', 'Laptops']);
    await api.call('POST', '/api/v1/drivers/import', { body: { sourcePath: nvme, categories: ['laptops'], duplicates: 'overwrite-categories' } });
    expect(await get()).toEqual(['Laptops']); // the category's existing spelling
    const skip = await api.call('POST', '/api/v1/drivers/import', { body: { sourcePath: nvme, categories: ['Servers'], duplicates: 'skip' } });
    expect(skip.json.duplicates[0].action).toBe('skipped');
    expect(await get()).toEqual(['Laptops']);
    expect((await api.call('GET', '/api/v1/drivers')).json).toHaveLength(catalog.drivers.length);
    // A changed driver folder is a new driver.
    await writeFile(join(copy, 'readme.txt'), 'extra file');
    const changed = await api.call('POST', '/api/v1/drivers/import', { body: { sourcePath: copy } });
    expect(changed.json.imported).toHaveLength(1);
    const removed = await api.call('DELETE', `/api/v1/drivers/${changed.json.imported[0].ciId}`);
    expect(removed.status).toBe(200);
  });

  it('refuses an import source that is not an INF or a folder', async () => {
    const r = await api.call('POST', '/api/v1/drivers/import', { body: { sourcePath: join(driversDir, 'samsung-nvme', 'secnvme.sys') } });
    expect(r.status).toBe(400);
    expect(r.json.rule).toContain('not an .inf');
    const r2 = await api.call('POST', '/api/v1/drivers/import', { body: { sourcePath: join(work, 'nothing-here') } });
    expect(r2.status).toBe(400);
    expect(r2.json.input).toBe('body.sourcePath');
    const r3 = await api.call('POST', '/api/v1/drivers/import', { body: { sourcePath: driversDir, duplicates: 'merge' } });
    expect(r3.status).toBe(400);
    expect(r3.json.input).toBe('body.duplicates');
  });

  it('edits drivers: enable/disable, categories, applicability; filters the list', async () => {
    const gfx = ids['igdlh64.inf']!;
    const r = await api.call('PATCH', `/api/v1/drivers/${gfx}`, { body: { enabled: false, categories: ['Graphics', 'desktops'], platforms: ['x64', 'x86'] } });
    expect(r.json).toMatchObject({ enabled: false, categories: ['Graphics', 'Desktops'], platforms: ['x64', 'x86'] });
    const disabled = await api.call('GET', '/api/v1/drivers?enabled=false');
    expect(disabled.json.map((d: { ciId: number }) => d.ciId)).toEqual([gfx]);
    const graphics = await api.call('GET', '/api/v1/drivers?category=graphics');
    expect(graphics.json.map((d: { ciId: number }) => d.ciId)).toEqual([gfx]);
    const bad = await api.call('PATCH', `/api/v1/drivers/${gfx}`, { body: { platforms: [] } });
    expect(bad.status).toBe(400);
    expect(bad.json.input).toBe('body.platforms');
  });

  it('composes driver package content from its drivers and bumps the source version; disabled drivers are refused', async () => {
    const nic = ids['e1d68x64.inf']!;
    const nvme = ids['secnvme.inf']!;
    const created = await api.call('POST', '/api/v1/driver-packages', {
      body: { name: DRIVER_CATEGORIES.laptop, manufacturer: 'Dell', model: 'Latitude E7270', ciIds: [nic] },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      packageType: 3,
      manufacturer: 'Dell',
      sourceVersion: 1,
      properties: { model: 'Latitude E7270' },
      drivers: [{ ciId: nic }],
    });
    const nicFiles = (
      await api.site.db.query<{ files: Array<{ path: string; size: number; sha256: string }> }>(
        'SELECT c.files FROM drivers d JOIN content c ON c.id = d.content_id WHERE d.ci_id = $1',
        [nic],
      )
    ).rows[0]!.files;
    const expected1 = nicFiles.map((f) => ({ ...f, path: `${nic}/${f.path}` }));
    expect(created.json.contentId).toBe(manifestHash(expected1));
    const pkg = created.json.packageId;
    const added = await api.call('POST', `/api/v1/driver-packages/${pkg}/drivers`, { body: { ciIds: [nvme] } });
    expect(added.json.sourceVersion).toBe(2);
    expect(added.json.contentFileCount).toBe(6);
    const files = (await api.site.db.query<{ files: Array<{ path: string }> }>('SELECT files FROM content WHERE id = $1', [added.json.contentId])).rows[0]!
      .files;
    expect(files.map((f) => f.path)).toEqual(expect.arrayContaining([`${nic}/e1d68x64.inf`, `${nvme}/secnvme.inf`]));
    // Adding the same driver again changes nothing.
    const again = await api.call('POST', `/api/v1/driver-packages/${pkg}/drivers`, { body: { ciIds: [nvme] } });
    expect(again.json.sourceVersion).toBe(2);
    const disabled = await api.call('POST', `/api/v1/driver-packages/${pkg}/drivers`, { body: { ciIds: [ids['igdlh64.inf']] } });
    expect(disabled.status).toBe(400);
    expect(disabled.json).toMatchObject({ input: 'body.ciIds[0]' });
    expect(disabled.json.rule).toContain('disabled');
    const removed = await api.call('DELETE', `/api/v1/driver-packages/${pkg}/drivers/${nvme}`);
    expect(removed.json).toMatchObject({ sourceVersion: 3, contentId: created.json.contentId });
    // Importing with driverPackageIds adds the drivers and recomposes the package.
    const imp = await api.call('POST', '/api/v1/drivers/import', {
      body: { sourcePath: join(driversDir, 'realtek-rtl8168'), driverPackageIds: [pkg.toLowerCase()] },
    });
    expect(imp.status).toBe(201);
    const after = await api.call('GET', `/api/v1/driver-packages/${pkg}`);
    expect(after.json.drivers.map((d: { ciId: number }) => d.ciId)).toEqual([nic, ids['rt640x64.inf']].sort((a, b) => a - b));
    expect(after.json.sourceVersion).toBe(4);
    // A driver in a package cannot be deleted.
    const del = await api.call('DELETE', `/api/v1/drivers/${nic}`);
    expect(del.status).toBe(409);
    expect(del.json.rule).toContain(`driver package ${pkg}`);
  });

  it('answers Auto Apply Drivers from the catalog: enabled, platform, in a package, best match', async () => {
    const laptopNic = {
      name: 'NIC',
      hardwareIds: ['PCI\\VEN_8086&DEV_156F&SUBSYS_06DB1028&REV_21', 'PCI\\VEN_8086&DEV_156F&SUBSYS_06DB1028'],
      compatibleIds: ['PCI\\VEN_8086&DEV_156F'],
    };
    const r = await api.call('POST', '/api/v1/drivers/match', { body: { devices: [laptopNic], platform: 'x64', bestMatch: true } });
    expect(r.status).toBe(200);
    expect(r.json.selected.map((d: { ciId: number }) => d.ciId)).toEqual([ids['e1d68x64.inf']]);
    const x86 = await api.call('POST', '/api/v1/drivers/match', { body: { devices: [laptopNic], platform: 'x86', bestMatch: true } });
    expect(x86.json.selected).toEqual([]);
    expect(x86.json.excluded.map((e: { reason: string }) => e.reason)).toContain('platform');
  });

  it('adds a WinPE 10 boot image read from the WIM, and customises it', async () => {
    const r = await api.call('POST', '/api/v1/boot-images', { body: { sourcePath: winpe10, pxeEnabled: true } });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({
      packageType: 258,
      name: 'Microsoft Windows PE (x64)',
      properties: {
        wimFile: 'boot.wim',
        imageIndex: 1,
        architecture: 'x64',
        osVersion: '10.0.22621.1',
        winPeVersion: '10',
        pxeEnabled: true,
        scratchSpaceMb: 512,
        commandSupport: false,
      },
    });
    const id = r.json.packageId;
    const c = await api.call('PATCH', `/api/v1/boot-images/${id}`, {
      body: { scratchSpaceMb: 128, commandSupport: true, optionalComponents: ['WinPE-PowerShell'], prestartCommand: 'cmd /c prestart.cmd' },
    });
    expect(c.status).toBe(200);
    expect(c.json.properties).toMatchObject({
      scratchSpaceMb: 128,
      commandSupport: true,
      optionalComponents: ['WinPE-PowerShell'],
      prestartCommand: 'cmd /c prestart.cmd',
      pxeEnabled: true,
    });
    const badCmd = await api.call('PATCH', `/api/v1/boot-images/${id}`, { body: { prestartCommand: 'powershell -f x.ps1' } });
    expect(badCmd.status).toBe(400);
    expect(badCmd.json.input).toBe('body.prestartCommand');
    const badScratch = await api.call('PATCH', `/api/v1/boot-images/${id}`, { body: { scratchSpaceMb: 100 } });
    expect(badScratch.status).toBe(400);
    expect(badScratch.json.input).toBe('body.scratchSpaceMb');
  });

  it('refuses boot images that are not WinPE, are arm64, or name a missing index; WinPE 5 is added but not customisable', async () => {
    const setup = await api.call('POST', '/api/v1/boot-images', { body: { sourcePath: notPe, imageIndex: 2 } });
    expect(setup.status).toBe(400);
    expect(setup.json.rule).toContain('not a Windows PE image');
    const arm = await api.call('POST', '/api/v1/boot-images', { body: { sourcePath: winpeArm } });
    expect(arm.status).toBe(400);
    expect(arm.json.rule).toContain('arm64');
    const missing = await api.call('POST', '/api/v1/boot-images', { body: { sourcePath: winpe10, imageIndex: 7 } });
    expect(missing.status).toBe(400);
    expect(missing.json.input).toBe('body.imageIndex');
    const pe5 = await api.call('POST', '/api/v1/boot-images', { body: { sourcePath: winpe5 } });
    expect(pe5.status).toBe(201);
    expect(pe5.json.properties).toMatchObject({ architecture: 'x86', osVersion: '6.3.9600.1', winPeVersion: '5' });
    const custom = await api.call('PATCH', `/api/v1/boot-images/${pe5.json.packageId}`, { body: { commandSupport: true } });
    expect(custom.status).toBe(400);
    expect(custom.json.rule).toContain('only WinPE 10');
    const pe5custom = await api.call('POST', '/api/v1/boot-images', { body: { sourcePath: winpe5, scratchSpaceMb: 256 } });
    expect(pe5custom.status).toBe(400);
  });

  it('adds drivers to a boot image with architecture and class warnings, or refuses non-network/storage drivers', async () => {
    const boot = (await api.call('GET', '/api/v1/boot-images')).json.find((b: { properties: { winPeVersion: string } }) => b.properties.winPeVersion === '10');
    const broadcomX86 = (await api.call('POST', '/api/v1/drivers/import', { body: { sourcePath: join(driversDir, 'broadcom-netxtreme-x86', 'b57nd60x.inf') } }))
      .json;
    const bcm = ids['b57nd60x.inf'] ?? broadcomX86.duplicates[0]?.ciId ?? broadcomX86.imported[0].ciId;
    const r = await api.call('POST', `/api/v1/boot-images/${boot.packageId}/drivers`, { body: { ciIds: [ids['e1d68x64.inf'], bcm, ids['igdlh64.inf']] } });
    expect(r.status).toBe(200);
    expect(r.json.drivers).toHaveLength(3);
    expect(r.json.warnings).toHaveLength(2);
    expect(r.json.warnings.join('\n')).toMatch(/b57nd60x|Broadcom/);
    expect(r.json.warnings.find((w: string) => w.includes('class "Display"'))).toBeDefined();
    expect(r.json.warnings.find((w: string) => w.includes('not for this x64 boot image'))).toBeDefined();
    const strict = await api.call('POST', `/api/v1/boot-images/${boot.packageId}/drivers`, {
      body: { ciIds: [ids['igdlh64.inf']], onlyNetworkAndStorage: true },
    });
    expect(strict.status).toBe(400);
    expect(strict.json.rule).toContain('not a network or storage driver');
    const del = await api.call('DELETE', `/api/v1/drivers/${ids['igdlh64.inf']}`);
    expect(del.status).toBe(409);
    expect(del.json.rule).toContain(`boot image ${boot.packageId}`);
    const rm1 = await api.call('DELETE', `/api/v1/boot-images/${boot.packageId}/drivers/${ids['igdlh64.inf']}`);
    expect(rm1.json.drivers).toHaveLength(2);
    const show = await api.call('GET', `/api/v1/boot-images/${boot.packageId}`);
    expect(show.json.drivers.map((d: { ciId: number }) => d.ciId).sort()).toEqual([ids['e1d68x64.inf'], bcm].sort());
    expect((await api.call('DELETE', `/api/v1/drivers/${ids['igdlh64.inf']}`)).status).toBe(200);
  });

  it('checks permissions: OSD manager may import drivers, the analyst may not', async () => {
    const osd = await api.call('POST', '/api/v1/driver-categories', { token: api.tokens['osd-manager'], body: { name: 'Servers' } });
    expect(osd.status).toBe(201);
    const analyst = await api.call('POST', '/api/v1/drivers/import', { token: api.tokens['read-only-analyst'], body: { sourcePath: driversDir } });
    expect(analyst.status).toBe(403);
    expect((await api.call('GET', '/api/v1/drivers', { token: api.tokens['read-only-analyst'] })).status).toBe(200);
    // The INF on disk is unchanged by any of this.
    expect((await readFile(join(driversDir, 'samsung-nvme', 'secnvme.inf'), 'utf8')).startsWith(';')).toBe(true);
  });
});

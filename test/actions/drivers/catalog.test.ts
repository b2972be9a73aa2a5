// The driver catalog file (docs/driver-catalog.md) and the Import Driver wizard (osd-features §2.6).
import { writeFileSync, cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkDriverFiles,
  driverCatalogSchema,
  formatDriverCatalog,
  importDriverFolder,
  loadDriverCatalog,
  parseDriverCatalog,
  type DriverCatalog,
} from '../../../src/actions/drivers/index.js';
import { InputError } from '../../../src/sequence/input-error.js';
import { inputError } from '../../helpers/errors.js';
import { tempDir } from '../../helpers/temp.js';

const FIXTURES = join(__dirname, 'fixtures');

const EXAMPLE = {
  schema: 'openosd.driver-catalog/v1',
  drivers: [
    {
      id: 'DRV00001',
      name: 'Intel(R) Ethernet Connection I219-LM',
      inf: 'intel-i219/e1d68x64.inf',
      folder: 'intel-i219',
      provider: 'Intel',
      class: 'Net',
      version: '12.19.2.45',
      date: '2023-05-17',
      hardwareIds: ['PCI\\VEN_8086&DEV_15BB'],
      compatibleIds: [],
      platforms: ['x64'],
      categories: ['Dell Latitude 7420'],
      enabled: true,
    },
  ],
  packages: [{ id: 'PS100020', name: 'Dell Latitude 7420 drivers', drivers: ['DRV00001'] }],
};

const withDriver = (patch: Record<string, unknown>) => JSON.stringify({ ...EXAMPLE, drivers: [{ ...EXAMPLE.drivers[0], ...patch }] });

describe('driver catalog format', () => {
  it('accepts the documented example as is', () => {
    expect(parseDriverCatalog(JSON.stringify(EXAMPLE), 'catalog.json')).toEqual(EXAMPLE);
  });

  it('fills defaults: compatibleIds, categories, enabled, packages', () => {
    const { compatibleIds: _c, categories: _k, enabled: _e, ...bare } = EXAMPLE.drivers[0];
    const c = parseDriverCatalog(JSON.stringify({ schema: EXAMPLE.schema, drivers: [bare] }), 'c.json');
    expect(c.drivers[0]).toMatchObject({ compatibleIds: [], categories: [], enabled: true });
    expect(c.packages).toEqual([]);
  });

  it.each([
    ['the schema name', JSON.stringify({ ...EXAMPLE, schema: 'openosd.driver-catalog/v2' }), 'schema'],
    ['a missing hardwareIds', withDriver({ hardwareIds: undefined }), 'drivers[0] (DRV00001).hardwareIds'],
    ['an unknown platform', withDriver({ platforms: ['amd64'] }), 'drivers[0] (DRV00001).platforms[0]'],
    ['no platform', withDriver({ platforms: [] }), 'a driver supports at least one platform'],
    ['an absolute inf path', withDriver({ inf: 'C:\\drivers\\x.inf' }), 'relative to the catalog folder'],
    ['a folder leaving the catalog folder', withDriver({ folder: '../elsewhere' }), 'drivers[0] (DRV00001).folder'],
    ['a date that is not yyyy-mm-dd', withDriver({ date: '05/17/2023' }), 'a driver date is yyyy-mm-dd'],
    ['a misspelt key', withDriver({ hardwareID: [] }), 'hardwareID'],
    ['a bad PackageID', JSON.stringify({ ...EXAMPLE, packages: [{ id: 'P1', name: 'x', drivers: [] }] }), 'packages[0] (P1).id'],
  ])('refuses %s', (_what, text, expected) => {
    const e = inputError(() => parseDriverCatalog(text, 'catalog.json'));
    expect(e.input).toBe('catalog.json');
    expect(e.message).toContain('not a valid driver catalog');
    expect(e.message).toContain(expected);
  });

  it('refuses duplicate driver ids and packages naming unknown drivers', () => {
    const dup = JSON.stringify({ ...EXAMPLE, drivers: [EXAMPLE.drivers[0], { ...EXAMPLE.drivers[0], id: 'drv00001' }] });
    expect(inputError(() => parseDriverCatalog(dup, 'c.json')).message).toContain('duplicate driver id drv00001');
    const missing = JSON.stringify({ ...EXAMPLE, packages: [{ id: 'PS100020', name: 'p', drivers: ['DRV00009'] }] });
    expect(inputError(() => parseDriverCatalog(missing, 'c.json')).message).toContain('package PS100020 names driver DRV00009, which is not in the catalog');
  });

  it('refuses malformed JSON with an InputError', () => {
    expect(inputError(() => parseDriverCatalog('{ "schema": ', 'c.json')).rule).toContain('malformed JSON');
  });

  it('loads a file: root is its folder; a missing file is an InputError', async () => {
    const dir = tempDir('osd-catalog-');
    writeFileSync(join(dir, 'catalog.json'), JSON.stringify(EXAMPLE));
    const { catalog, root } = await loadDriverCatalog(join(dir, 'catalog.json'));
    expect(root).toBe(dir);
    expect(catalog.drivers[0].id).toBe('DRV00001');
    await expect(loadDriverCatalog(join(dir, 'nope.json'))).rejects.toThrow(InputError);
    await expect(loadDriverCatalog(join(dir, 'nope.json'))).rejects.toThrow(/driver catalog not found/);
  });

  it('checkDriverFiles lists the drivers whose INF or folder is missing', () => {
    const c = driverCatalogSchema.parse({
      ...EXAMPLE,
      drivers: [
        EXAMPLE.drivers[0],
        { ...EXAMPLE.drivers[0], id: 'DRV00002', inf: 'intel-i219/missing.inf' },
        { ...EXAMPLE.drivers[0], id: 'DRV00003', folder: 'gone' },
        { ...EXAMPLE.drivers[0], id: 'DRV00004', inf: 'storage-vmd\\iaStorVD.inf', folder: 'storage-vmd' },
      ],
      packages: [],
    });
    expect(checkDriverFiles(c, FIXTURES).map((d) => d.id)).toEqual(['DRV00002', 'DRV00003']);
  });
});

describe('importDriverFolder (Import Driver wizard)', () => {
  it('imports the fixtures: one entry per INF, ids in path order, the bad INF skipped with its reason', async () => {
    const r = await importDriverFolder(FIXTURES, { categories: ['Dell Latitude 7420'] });
    expect(r.catalog.drivers.map((d) => [d.id, d.inf, d.folder])).toEqual([
      ['DRV00001', 'intel-i219/e1d68x64.inf', 'intel-i219'],
      ['DRV00002', 'realtek-audio/HDXRT.inf', 'realtek-audio'],
      ['DRV00003', 'storage-vmd/iaStorVD.inf', 'storage-vmd'],
    ]);
    expect(r.skipped).toEqual([{ inf: 'bad/broken.inf', reason: expect.stringContaining('bad/broken.inf:7:1: unterminated section header') }]);
    expect(r.catalog.drivers[0]).toEqual({
      id: 'DRV00001',
      name: 'Intel(R) Ethernet Connection I219-LM',
      inf: 'intel-i219/e1d68x64.inf',
      folder: 'intel-i219',
      provider: 'Intel',
      class: 'Net',
      version: '12.19.2.45',
      date: '2023-05-17',
      hardwareIds: ['PCI\\VEN_8086&DEV_15BB', 'PCI\\VEN_8086&DEV_15BB&SUBSYS_0A1F1028', 'PCI\\VEN_8086&DEV_15BC'],
      compatibleIds: [],
      platforms: ['x64'],
      categories: ['Dell Latitude 7420'],
      enabled: true,
    });
    expect(r.catalog.drivers[1]).toMatchObject({ name: 'Realtek High Definition Audio', platforms: ['x86', 'x64'] });
    expect(r.catalog.drivers[2]).toMatchObject({ name: 'Intel RST VMD Controller 9A0B', platforms: ['x64', 'arm64'], class: 'SCSIAdapter' });
    // What it builds is a valid catalog, and formats back to itself.
    expect(parseDriverCatalog(formatDriverCatalog(r.catalog), 'c.json')).toEqual(r.catalog);
  });

  it('imports a sub-folder into a catalog rooted higher up; the imported drivers disabled on request', async () => {
    const r = await importDriverFolder(join(FIXTURES, 'storage-vmd'), { root: FIXTURES, enabled: false });
    expect(r.catalog.drivers).toHaveLength(1);
    expect(r.catalog.drivers[0]).toMatchObject({ inf: 'storage-vmd/iaStorVD.inf', folder: 'storage-vmd', enabled: false });
    await expect(importDriverFolder(FIXTURES, { root: join(FIXTURES, 'storage-vmd') })).rejects.toThrow(/not inside the catalog folder/);
    await expect(importDriverFolder(join(FIXTURES, 'nope'))).rejects.toThrow(/driver folder not found/);
  });

  it('adds to an existing catalog: ids continue, duplicates follow the wizard choice', async () => {
    const first = await importDriverFolder(FIXTURES, { categories: ['Desktops'] });
    const existing: DriverCatalog = structuredClone(first.catalog);
    existing.drivers.push({ ...existing.drivers[0], id: 'DRV00041', inf: 'old/old.inf', folder: 'old' });

    const append = await importDriverFolder(join(FIXTURES, 'intel-i219'), { root: FIXTURES, existing, categories: ['Laptops'] });
    expect(append.catalog.drivers.find((d) => d.id === 'DRV00001')!.categories).toEqual(['Desktops', 'Laptops']);
    expect(append.catalog.drivers).toHaveLength(4);
    expect(existing.drivers[0].categories).toEqual(['Desktops']); // the input is not modified

    const overwrite = await importDriverFolder(join(FIXTURES, 'intel-i219'), {
      root: FIXTURES,
      existing,
      categories: ['Laptops'],
      duplicates: 'overwrite-categories',
    });
    expect(overwrite.catalog.drivers[0].categories).toEqual(['Laptops']);
    const keep = await importDriverFolder(join(FIXTURES, 'intel-i219'), { root: FIXTURES, existing, categories: ['Laptops'], duplicates: 'keep-categories' });
    expect(keep.catalog.drivers[0].categories).toEqual(['Desktops']);
    const skip = await importDriverFolder(join(FIXTURES, 'intel-i219'), { root: FIXTURES, existing, duplicates: 'skip' });
    expect(skip.imported).toEqual([]);
    expect(skip.skipped).toEqual([{ inf: 'intel-i219/e1d68x64.inf', reason: 'already in the catalog as DRV00001' }]);

    // A new INF gets the next id after the highest DRVnnnnn.
    const dir = tempDir('osd-import-');
    cpSync(FIXTURES, dir, { recursive: true });
    mkdirSync(join(dir, 'extra'));
    writeFileSync(
      join(dir, 'extra', 'x.inf'),
      '[Version]\nSignature="$Windows NT$"\n[Manufacturer]\nContoso=M,NTamd64\n[M.NTamd64]\n"Contoso Sensor"=I,ACPI\\CSO0001\n',
    );
    const more = await importDriverFolder(join(dir, 'extra'), { root: dir, existing });
    expect(more.imported.map((d) => [d.id, d.name, d.folder])).toEqual([['DRV00042', 'Contoso Sensor', 'extra']]);
  });

  it('skips an INF that declares no device', async () => {
    const dir = tempDir('osd-import-');
    writeFileSync(join(dir, 'ext.inf'), '[Version]\nSignature="$Windows NT$"\nClass=Extension\n');
    const r = await importDriverFolder(dir);
    expect(r.catalog.drivers).toEqual([]);
    expect(r.skipped).toEqual([{ inf: 'ext.inf', reason: 'the INF declares no device for x86, x64 or arm64' }]);
  });
});

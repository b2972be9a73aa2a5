/**
 * The test content builder: a real multi-image WIM (checked with wimlib and an independent XML
 * parser), a driver catalog whose INFs and hardware IDs match the example machines, a valid site
 * manifest that agrees with the WIM, and an idempotent, atomic build.
 */
import { LAB_SITE_CODE } from '../../../src/common/reserved-ids.js';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Command } from 'commander';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadMachineProfile } from '../../../src/engine/machine-profile/index.js';
import type { MachineProfile } from '../../../src/engine/machine-profile/index.js';
import { registerTestContentCommand } from '../../../src/cli/test-content-command.js';
import { makeTestContent, resolvePackageFolder, type DriverCatalog, type DriverCatalogEntry, type TestContent } from '../../../src/lab/test-content/index.js';
import { writePseudoRandomFile } from '../../../src/lab/test-content/windows-tree.js';
import { runTool } from '../../../src/storage/tools.js';
import { InputError } from '../../../src/sequence/input-error.js';
import { loadSiteManifest, parseSiteManifest } from '../../../src/sequence/site-manifest.js';

const repo = join(import.meta.dirname, '../../..');
const machine = (name: string): MachineProfile => loadMachineProfile(join(repo, 'examples/machines', `${name}.json`));
const laptop = machine('uefi-x64-laptop-bare-metal');
const biosDesktop = machine('bios-x86-desktop');
const hpDesktop = machine('win10-x64-refresh');
const machines = [laptop, biosDesktop, hpDesktop];

let work: string;
let content: TestContent;
let catalog: DriverCatalog;
const logLines: string[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'openosd-test-content-'));
  content = await makeTestContent(join(work, 'lib'), { log: (l) => logLines.push(l) });
  catalog = JSON.parse(await readFile(content.driverCatalogPath, 'utf8')) as DriverCatalog;
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

interface XmlImage {
  INDEX: string;
  NAME: string;
  DESCRIPTION: string;
  DISPLAYNAME: string;
  FLAGS: string;
  WINDOWS: {
    ARCH: number;
    EDITIONID: string;
    INSTALLATIONTYPE: string;
    PRODUCTTYPE: string;
    VERSION: { MAJOR: number; MINOR: number; BUILD: number; SPBUILD: number };
    LANGUAGES: { LANGUAGE: string; DEFAULT: string };
  };
}

/** The WIM's XML (UTF-16LE with a BOM) parsed with fast-xml-parser, independently of the builder's reader. */
async function wimXml(wim: string): Promise<XmlImage[]> {
  const file = join(work, `xml-${Date.now()}-${Math.random()}.xml`);
  await runTool('wimlib-imagex', ['info', wim, '--extract-xml', file]);
  const bytes = await readFile(file);
  expect([bytes[0], bytes[1]]).toEqual([0xff, 0xfe]);
  const text = new TextDecoder('utf-16le').decode(bytes).replace(/^\uFEFF/, '');
  const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => n === 'IMAGE' }).parse(text) as {
    WIM: { IMAGE: XmlImage[] };
  };
  return parsed.WIM.IMAGE;
}

const ids = (list: string[]): Set<string> => new Set(list.map((s) => s.toUpperCase()));
const allDevices = (m: MachineProfile) => m.pnpDevices;
type Device = MachineProfile['pnpDevices'][number];

/** How a catalog driver matches a device: through one of the device's hardware IDs, only a compatible ID, or not at all. */
function match(d: DriverCatalogEntry, device: Device): 'hardware' | 'compatible' | undefined {
  const supported = ids([...d.hardwareIds, ...d.compatibleIds]);
  if (device.hardwareIds.some((h) => supported.has(h.toUpperCase()))) return 'hardware';
  if (device.compatibleIds.some((c) => supported.has(c.toUpperCase()))) return 'compatible';
  return undefined;
}

const driver = (id: string): DriverCatalogEntry => {
  const d = catalog.drivers.find((x) => x.id === id);
  if (!d) throw new Error(`no driver ${id}`);
  return d;
};
const deviceOf = (m: MachineProfile, pnpId: string): Device => {
  const d = m.pnpDevices.find((x) => x.deviceId.toUpperCase() === pnpId.toUpperCase());
  if (!d) throw new Error(`${m.name} has no device ${pnpId}`);
  return d;
};

describe('install.wim', () => {
  it('has three editions with names, editions and x64 architecture in its XML metadata', async () => {
    const images = await wimXml(content.wimPath);
    expect(images.map((i) => [Number(i.INDEX), i.NAME, i.WINDOWS.EDITIONID, Number(i.WINDOWS.ARCH)])).toEqual([
      [1, 'Windows 11 Education', 'Education', 9],
      [2, 'Windows 11 Enterprise', 'Enterprise', 9],
      [3, 'Windows 11 Pro', 'Professional', 9],
    ]);
    for (const i of images) {
      expect(i.DISPLAYNAME).toBe(i.NAME);
      expect(i.DESCRIPTION).toBe(i.NAME);
      expect(i.FLAGS).toBe(i.WINDOWS.EDITIONID);
      expect(i.WINDOWS.INSTALLATIONTYPE).toBe('Client');
      expect(i.WINDOWS.PRODUCTTYPE).toBe('WinNT');
      expect(i.WINDOWS.VERSION).toEqual({ MAJOR: 10, MINOR: 0, BUILD: 22631, SPBUILD: 2428 });
      expect(i.WINDOWS.LANGUAGES).toEqual({ LANGUAGE: 'en-US', DEFAULT: 'en-US' });
    }
    expect(content.images).toEqual([
      { index: 1, name: 'Windows 11 Education', edition: 'Education', architecture: 'x64' },
      { index: 2, name: 'Windows 11 Enterprise', edition: 'Enterprise', architecture: 'x64' },
      { index: 3, name: 'Windows 11 Pro', edition: 'Professional', architecture: 'x64' },
    ]);
  });

  it('image 2 holds a Windows-like tree, including \\Windows\\Panther', async () => {
    const listing = (await runTool('wimlib-imagex', ['dir', content.wimPath, '2'])).stdout.split('\n');
    for (const path of [
      '/Windows/Panther',
      '/Windows/System32/kernel32.dll',
      '/Windows/System32/ntoskrnl.exe',
      '/Windows/System32/config/SOFTWARE',
      '/Windows/System32/config/SYSTEM',
      '/Windows/INF',
      '/Windows/System32/DriverStore/FileRepository',
      '/Program Files',
      '/Users/Default/NTUSER.DAT',
      '/Users/Public',
      '/edition.txt',
    ]) {
      expect(listing, path).toContain(path);
    }
  });

  it('editions differ in their files and name themselves', async () => {
    const edition = async (index: number): Promise<string> =>
      (await runTool('wimlib-imagex', ['extract', content.wimPath, String(index), '/edition.txt', '--to-stdout'])).stdout;
    expect(await edition(2)).toContain('Name=Windows 11 Enterprise');
    expect(await edition(3)).toContain('EditionID=Professional');
    const kernel = (await runTool('wimlib-imagex', ['extract', content.wimPath, '1', '/Windows/System32/kernel32.dll', '--to-stdout'])).stdout;
    expect(kernel).toContain('OpenOSD test image: Windows 11 Education');
    const pro = (await runTool('wimlib-imagex', ['dir', content.wimPath, '3', '--path=/Windows/System32/spp/tokens/skus'])).stdout;
    expect(pro).toContain('/Windows/System32/spp/tokens/skus/Professional');
    expect(pro).not.toContain('/Enterprise');
  });
});

describe('driver catalog', () => {
  it('has the documented shape, and every inf and folder exists', async () => {
    expect(catalog.schema).toBe('openosd.driver-catalog/v1');
    expect(Object.keys(catalog)).toEqual(['schema', 'drivers', 'packages']);
    expect(catalog.drivers.length).toBeGreaterThanOrEqual(5);
    expect(catalog.drivers.length).toBeLessThanOrEqual(6);
    const driversDir = join(content.root, 'drivers');
    for (const d of catalog.drivers) {
      expect(Object.keys(d)).toEqual([
        'id',
        'name',
        'inf',
        'folder',
        'provider',
        'class',
        'version',
        'date',
        'hardwareIds',
        'compatibleIds',
        'platforms',
        'categories',
        'enabled',
      ]);
      expect(d.id).toMatch(/^DRV\d{5}$/);
      expect(d.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(d.version).toMatch(/^\d+(\.\d+){3}$/);
      expect(d.hardwareIds.length).toBeGreaterThan(0);
      expect(d.platforms.every((p) => p === 'x64' || p === 'x86')).toBe(true);
      expect(d.inf.startsWith(`${d.folder}/`)).toBe(true);
      expect((await stat(join(driversDir, d.folder))).isDirectory()).toBe(true);
      expect((await stat(join(driversDir, d.inf))).isFile()).toBe(true);
      const files = await readdir(join(driversDir, d.folder));
      expect(files.some((f) => f.endsWith('.sys'))).toBe(true);
      expect(files.some((f) => f.endsWith('.cat'))).toBe(true);
    }
    const known = new Set(catalog.drivers.map((d) => d.id));
    for (const p of catalog.packages) {
      expect(Object.keys(p)).toEqual(['id', 'name', 'drivers']);
      expect(p.drivers.every((id) => known.has(id))).toBe(true);
    }
    // Auto Apply only uses drivers that are in some package.
    expect(new Set(catalog.packages.flatMap((p) => p.drivers))).toEqual(known);
  });

  it('each INF has a [Version] section and model lines with the catalog hardware ids', async () => {
    for (const d of catalog.drivers) {
      const inf = await readFile(join(content.root, 'drivers', d.inf), 'utf8');
      const section = (name: string): string[] => {
        const m = new RegExp(`^\\[${name.replace(/\./g, '\\.')}\\]\\r?\\n([\\s\\S]*?)(?=^\\[|$(?![\\s\\S]))`, 'm').exec(inf);
        return m
          ? m[1]
              .split(/\r?\n/)
              .map((l) => l.replace(/;.*$/, '').trim())
              .filter(Boolean)
          : [];
      };
      const version = section('Version');
      expect(version, d.inf).toContain('Signature   = "$WINDOWS NT$"');
      expect(version).toContain(`Class       = ${d.class}`);
      expect(version.some((l) => /^ClassGuid\s*=\s*\{[0-9a-f-]{36}\}$/.test(l))).toBe(true);
      expect(version).toContain('Provider    = %ProviderName%');
      const [y, mo, da] = d.date.split('-');
      expect(version).toContain(`DriverVer   = ${mo}/${da}/${y},${d.version}`);
      const catalogFile = version
        .find((l) => l.startsWith('CatalogFile'))!
        .split('=')[1]
        .trim();
      expect(existsSync(join(content.root, 'drivers', d.folder, catalogFile))).toBe(true);

      const decorations = d.platforms.map((p) => (p === 'x64' ? 'NTamd64' : 'NTx86'));
      expect(section('Manufacturer')).toEqual([`%Mfg% = Models, ${decorations.join(', ')}`]);
      for (const decoration of decorations) {
        const models = section(`Models.${decoration}`).map((l) =>
          l
            .split('=')[1]
            .split(',')
            .map((s) => s.trim()),
        );
        expect(models.every((m) => m[0] === 'Install')).toBe(true);
        expect(models.map((m) => m[1])).toEqual(d.hardwareIds);
        expect(new Set(models.flatMap((m) => m.slice(2)))).toEqual(new Set(d.compatibleIds));
      }
      expect(section('Strings').some((l) => l.startsWith('ProviderName') && l.includes(`"${d.provider}"`))).toBe(true);
    }
  });

  it("matches the example machines' devices as designed", () => {
    const laptopNic = deviceOf(laptop, laptop.networkAdapters[0].pnpDeviceId!);
    expect(laptopNic.hardwareIds.some((h) => catalog.drivers.some((d) => d.hardwareIds.includes(h)))).toBe(true);
    // Best match (a hardware ID) and all compatible (also a compatible-ID-only driver) differ.
    expect(match(driver('DRV00001'), laptopNic)).toBe('hardware');
    expect(match(driver('DRV00002'), laptopNic)).toBe('compatible');
    expect(driver('DRV00002').date > driver('DRV00001').date).toBe(true);
    const laptopStorage = deviceOf(laptop, laptop.disks[0].controller!);
    expect(match(driver('DRV00003'), laptopStorage)).toBe('hardware');
    const desktopNic = deviceOf(biosDesktop, biosDesktop.networkAdapters[0].pnpDeviceId!);
    expect(match(driver('DRV00004'), desktopNic)).toBe('hardware');
    expect(driver('DRV00004').platforms).toEqual(['x86']);
    const laptopDisplay = laptop.pnpDevices.find((d) => d.class === 'Display')!;
    expect(match(driver('DRV00005'), laptopDisplay)).toBe('hardware');
    expect(driver('DRV00005').enabled).toBe(false);
    const hpNic = deviceOf(hpDesktop, hpDesktop.networkAdapters[0].pnpDeviceId!);
    expect(match(driver('DRV00002'), hpNic)).toBe('compatible');
    for (const m of machines) for (const dev of allDevices(m)) expect(match(driver('DRV00006'), dev), `${m.name}: ${dev.name}`).toBeUndefined();
    // Categories are model names, and the laptop's drivers are one package.
    expect(driver('DRV00001').categories).toEqual(['Dell Latitude E7270']);
    expect(catalog.packages.find((p) => p.id === 'LAB00020')).toEqual({
      id: 'LAB00020',
      name: 'Dell Latitude E7270 drivers',
      drivers: ['DRV00001', 'DRV00002', 'DRV00003', 'DRV00005'],
    });
  });
});

describe('site manifest and content index', () => {
  it('parses, and its images are the WIM metadata', async () => {
    const manifest = parseSiteManifest(await readFile(content.siteManifestPath, 'utf8'), content.siteManifestPath);
    expect(manifest.bootImages).toEqual([{ id: 'LAB00005', name: 'Boot image (x64)', architecture: 'x64', pxeEnabled: true }]);
    const pkg = manifest.imagePackages.find((p) => p.id === content.imagePackageId)!;
    expect(pkg.name).toBe('Windows 11 23H2');
    const xml = await wimXml(content.wimPath);
    expect(pkg.images.map((i) => ({ index: i.index, name: i.name, edition: i.edition, architecture: i.architecture, version: i.version }))).toEqual(
      xml.map((x) => ({
        index: Number(x.INDEX),
        name: x.NAME,
        edition: x.WINDOWS.EDITIONID,
        architecture: 'x64',
        version: `${x.WINDOWS.VERSION.MAJOR}.${x.WINDOWS.VERSION.MINOR}.${x.WINDOWS.VERSION.BUILD}.${x.WINDOWS.VERSION.SPBUILD}`,
      })),
    );
    expect(manifest.clientPackages).toEqual([expect.objectContaining({ id: 'LAB00002', name: 'Configuration Manager Client Package' })]);
    expect(manifest.usmtPackages).toEqual([expect.objectContaining({ id: 'LAB00003', name: 'User State Migration Tool for Windows' })]);
    expect(manifest.driverPackages.map((p) => p.id)).toContain('LAB00020');
    const example = loadSiteManifest(join(repo, 'examples/wizard/site.json'));
    expect(manifest.applications).toEqual(example.applications);
  });

  it('maps every PackageID to a folder that exists, with the packages in it', async () => {
    const index = JSON.parse(await readFile(join(content.root, 'content.json'), 'utf8')) as { schema: string; packages: Record<string, string> };
    expect(index.schema).toBe('openosd.test-content/v1');
    const manifest = loadSiteManifest(content.siteManifestPath);
    const manifestIds = [
      ...manifest.bootImages,
      ...manifest.imagePackages,
      ...manifest.clientPackages,
      ...manifest.usmtPackages,
      ...manifest.driverPackages,
    ].map((p) => p.id);
    expect(Object.keys(index.packages).sort()).toEqual([...manifestIds].sort());
    for (const id of manifestIds) expect(existsSync(join(content.root, index.packages[id])), id).toBe(true);
    expect(await resolvePackageFolder(content.root, 'lab00010')).toBe(join(content.root, 'LAB00010'));
    expect(await resolvePackageFolder(content.root, 'LAB00020')).toBe(join(content.root, 'drivers'));
    expect(await resolvePackageFolder(content.root, 'LAB000FF')).toBeUndefined();
    // The lab's own prefix, which no site may take as its site code: never a site's id (common/reserved-ids.ts).
    expect(manifest.site).toBe(LAB_SITE_CODE);
    for (const id of manifestIds) expect(id).toMatch(/^LAB[0-9A-F]{5}$/);

    const boot = JSON.parse(await readFile(join(content.root, content.bootImageId, 'boot.json'), 'utf8'));
    expect(boot).toEqual({
      id: 'LAB00005',
      name: 'Boot image (x64)',
      architecture: 'x64',
      winpeVersion: '10.0.22621.1',
      pxeEnabled: true,
      note: "record only: OpenOSD's lab runs the WinPE phase itself",
    });
    for (const f of ['ccmsetup.exe', 'client/x64/client.msi', 'client/i386/client.msi'])
      expect(existsSync(join(content.root, content.clientPackageId, f)), f).toBe(true);
    for (const f of ['amd64/scanstate.exe', 'amd64/loadstate.exe', 'amd64/MigApp.xml', 'amd64/MigDocs.xml', 'x86/scanstate.exe', 'x86/MigDocs.xml']) {
      expect(existsSync(join(content.root, content.usmtPackageId, f)), f).toBe(true);
    }
    // No staging or build trees are left behind.
    expect((await readdir(work)).filter((e) => e.startsWith('.'))).toEqual([]);
    expect(existsSync(join(content.root, '.trees'))).toBe(false);
  });
});

describe('building', () => {
  it('a second call is fast and does not rebuild', async () => {
    const before = (await stat(content.wimPath)).mtimeMs;
    const lines: string[] = [];
    const started = Date.now();
    const again = await makeTestContent(content.root, { log: (l) => lines.push(l) });
    expect(Date.now() - started).toBeLessThan(500);
    expect(again).toEqual(content);
    expect((await stat(content.wimPath)).mtimeMs).toBe(before);
    expect(lines).toEqual([`test content in ${content.root} is up to date`]);
    expect(logLines.some((l) => l.startsWith('captured image 3'))).toBe(true);
  });

  it('--image-size-mb grows the WIM with incompressible payload; other options rebuild, --force rebuilds', async () => {
    const dir = join(work, 'sized');
    const sized = await makeTestContent(dir, { imageSizeMB: 3 });
    const size = (await stat(sized.wimPath)).size;
    expect(size).toBeGreaterThan(2.5 * 1024 * 1024 * 3); // three distinct 3 MiB payloads, stored uncompressed
    expect(size).toBeLessThan(10.5 * 1024 * 1024);
    expect((await stat(content.wimPath)).size).toBeLessThan(size);

    const first = JSON.parse(await readFile(join(dir, 'content.json'), 'utf8')).createdAt;
    await makeTestContent(dir, { imageSizeMB: 3, force: true });
    expect(JSON.parse(await readFile(join(dir, 'content.json'), 'utf8')).createdAt).not.toBe(first);
    const x86 = await makeTestContent(dir, { imageSizeMB: 0, architecture: 'x86' });
    expect(x86.images.every((i) => i.architecture === 'x86')).toBe(true);
    expect(x86.bootImageId).toBe('LAB00004');
    expect((await wimXml(x86.wimPath)).map((i) => Number(i.WINDOWS.ARCH))).toEqual([0, 0, 0]);
    expect(existsSync(join(dir, 'LAB00005'))).toBe(false);
  });

  it('removes the staging folder a killed build left behind', async () => {
    const parent = join(work, 'killed');
    const stale = join(parent, '.lib.building-2147483646-0badcafe');
    await mkdir(join(stale, 'LAB00010'), { recursive: true });
    await writeFile(join(stale, 'LAB00010', 'install.wim'), 'half a WIM');
    const built = await makeTestContent(join(parent, 'lib'), { imageSizeMB: 0 });
    expect(await readdir(parent)).toEqual(['lib']);
    expect((await stat(built.wimPath)).size).toBeGreaterThan(1000);
  });

  it('the payload is reproducible and incompressible', async () => {
    const a = join(work, 'a.bin');
    const b = join(work, 'b.bin');
    const c = join(work, 'c.bin');
    await writePseudoRandomFile(a, 300_000, 'seed');
    await writePseudoRandomFile(b, 300_000, 'seed');
    await writePseudoRandomFile(c, 300_000, 'other');
    const [ba, bb, bc] = await Promise.all([readFile(a), readFile(b), readFile(c)]);
    expect(ba.length).toBe(300_000);
    expect(ba.equals(bb)).toBe(true);
    expect(ba.equals(bc)).toBe(false);
    expect(gzipSync(ba).length).toBeGreaterThan(ba.length * 0.99);
  });

  it('refuses to replace a folder that is not test content, and bad options', async () => {
    const foreign = join(work, 'foreign');
    await mkdir(foreign);
    await writeFile(join(foreign, 'precious.txt'), 'keep me');
    await expect(makeTestContent(foreign)).rejects.toThrow(InputError);
    expect(await readFile(join(foreign, 'precious.txt'), 'utf8')).toBe('keep me');
    await expect(makeTestContent(join(work, 'bad'), { imageSizeMB: -1 })).rejects.toThrow(/imageSizeMB/);
    await expect(makeTestContent(join(work, 'bad'), { architecture: 'arm64' as 'x64' })).rejects.toThrow(/architecture/);
  });

  it('the content command prints the library as JSON', async () => {
    const lab = new Command('lab').exitOverride().configureOutput({ writeErr: () => undefined });
    registerTestContentCommand(lab);
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await lab.parseAsync(['content', content.root, '--json'], { from: 'user' });
    } finally {
      spy.mockRestore();
      err.mockRestore();
    }
    expect(JSON.parse(out.join(''))).toEqual(content);
    await expect(lab.parseAsync(['content', content.root, '--image-size-mb', 'lots'], { from: 'user' })).rejects.toThrow(/size in MiB/);
  });
});

// Install Software Updates on a computer in folders (C: holds the test OS: Windows 11 Enterprise,
// build 22631, its hives as .reg text): the site's deployed updates come from a catalog in memory,
// their payloads from a package folder. Mandatory vs All, applicability (build range, architecture,
// product), supersedence, the record in the OS (a second run installs none), a payload whose hash
// does not match (0x80091007, nothing recorded), a restart-required update (the step restarts and
// scans again), a bad target, and the prediction.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ContentLibrary } from '../../../src/actions/content.js';
import type { DirectoryComputer } from '../../../src/actions/directory-computer.js';
import type { HandlerContext } from '../../../src/actions/handler.js';
import { installSoftwareUpdatesHandler, PAYLOAD_HASH_MISMATCH } from '../../../src/actions/handlers/install-software-updates.js';
import { OfflineRegistry } from '../../../src/actions/os/registry.js';
import type { SoftwareUpdateCatalog, SoftwareUpdateOffer } from '../../../src/actions/services.js';
import { CBS_PACKAGES } from '../../../src/actions/software/updates.js';
import { DirectoryVolume } from '../../../src/storage/volume/directory.js';
import { installSoftwareUpdates } from '../../../src/sequence/catalog/index.js';
import { execution, simulation, step, type MockExecution } from './helpers.js';
import { installedComputer, packageFolder, tempDirs } from './software-fixtures.js';

const { tmp, cleanup } = tempDirs('osd-upd-');
const cleanups: Array<() => void> = [cleanup];
afterAll(() => cleanups.forEach((c) => c()));

const PKG = 'SUP00001';
const payloads: Record<string, string> = {
  'kb1.msu': 'cumulative update',
  'kb2.msu': 'servicing stack',
  'kb3.msu': 'old one',
  'kb4.msu': 'x86 only',
  'kb5.msu': 'windows 10 only',
};
const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const id = (n: number) => `${n}${n}${n}${n}${n}${n}${n}${n}-0000-4000-8000-00000000000${n}`;

function offer(n: number, purpose: 'required' | 'available', extra: Partial<SoftwareUpdateOffer> = {}): SoftwareUpdateOffer {
  const file = `kb${n}.msu`;
  return {
    updateId: id(n),
    articleId: `500000${n}`,
    title: `Update ${n}`,
    products: ['Windows 11'],
    purpose,
    deadline: purpose === 'required' ? '2026-12-31T00:00:00.000Z' : null,
    applicability: { minOsBuild: 22621, maxOsBuild: 22631, architectures: ['x64'] },
    supersedes: [],
    packageId: PKG,
    files: [{ name: file, size: Buffer.byteLength(payloads[file]!), sha256: sha(payloads[file]!) }],
    restartRequired: false,
    ...extra,
  };
}

class FakeUpdates implements SoftwareUpdateCatalog {
  fetched = 0;
  constructor(
    private readonly offers: SoftwareUpdateOffer[],
    private readonly folder = packageFolder(tmp, payloads),
  ) {}
  async deployed(): Promise<SoftwareUpdateOffer[]> {
    return this.offers;
  }
  async content(packageId: string): Promise<string> {
    expect(packageId).toBe(PKG);
    this.fetched++;
    return this.folder;
  }
}

async function os(): Promise<DirectoryComputer> {
  const c = await installedComputer(tmp);
  cleanups.push(c.cleanup);
  return c.computer;
}

const volumeRoot = (c: DirectoryComputer) => join(c.root, 'disk0', 'p1');
const ctx = (m: MockExecution, computer: DirectoryComputer, catalog: SoftwareUpdateCatalog): HandlerContext => ({
  x: m.x,
  computer,
  content: new ContentLibrary(tmp()),
  services: { softwareUpdates: catalog, workDir: tmp() },
});
const updatesStep = (target?: 'Mandatory' | 'All') => step(installSoftwareUpdates, { target, retryCount: 2 });

async function recorded(c: DirectoryComputer): Promise<string[]> {
  const reg = await OfflineRegistry.open(new DirectoryVolume(volumeRoot(c)));
  return (await reg.subkeys(CBS_PACKAGES)).filter((k) => k.startsWith('Package_for_'));
}

describe('Install Software Updates', () => {
  it('installs only required updates with Mandatory, required and available with All; records them so a second run installs none', async () => {
    const computer = await os();
    const offers = [offer(1, 'required'), offer(2, 'available')];
    const m = execution(updatesStep('Mandatory'), { environment: 'FullOS' });
    expect((await installSoftwareUpdatesHandler.run!(ctx(m, computer, new FakeUpdates(offers)))).exitCode).toBe(0);
    expect(await recorded(computer)).toEqual(['Package_for_KB5000001~31bf3856ad364e35~amd64~~10.0.1.0']);
    expect(m.logs.join('\n')).toContain("2 update(s) deployed to this computer's collections; 1 required (Mandatory)");

    const all = execution(updatesStep('All'), { environment: 'FullOS' });
    expect((await installSoftwareUpdatesHandler.run!(ctx(all, computer, new FakeUpdates(offers)))).exitCode).toBe(0);
    expect((await recorded(computer)).sort()).toEqual([
      'Package_for_KB5000001~31bf3856ad364e35~amd64~~10.0.1.0',
      'Package_for_KB5000002~31bf3856ad364e35~amd64~~10.0.1.0',
    ]);
    expect(all.logs.join('\n')).toContain('KB5000001 Update 1');
    expect(all.logs.join('\n')).toContain('installed already');
    // The payload in the servicing store, the record as Windows servicing keeps it.
    expect(readFileSync(join(volumeRoot(computer), 'Windows/servicing/Packages/Package_for_KB5000002~31bf3856ad364e35~amd64~~10.0.1.0/kb2.msu'), 'utf8')).toBe(
      'servicing stack',
    );
    const reg = await OfflineRegistry.open(new DirectoryVolume(volumeRoot(computer)));
    const key = `${CBS_PACKAGES}\\Package_for_KB5000002~31bf3856ad364e35~amd64~~10.0.1.0`;
    expect(await reg.getDword(key, 'CurrentState')).toBe(0x70);
    expect(await reg.getString(key, 'UpdateId')).toBe(id(2));

    // A second run: nothing to install, nothing downloaded.
    const catalog = new FakeUpdates(offers);
    const again = execution(updatesStep('All'), { environment: 'FullOS' });
    expect((await installSoftwareUpdatesHandler.run!(ctx(again, computer, catalog))).exitCode).toBe(0);
    expect(again.logs.join('\n')).toContain('No update to install');
    expect(catalog.fetched).toBe(0);
  });

  it('evaluates applicability against the OS when it runs: build range, architecture, product; and supersedence', async () => {
    const computer = await os();
    const offers = [
      offer(1, 'required', { applicability: { minOsBuild: 22000, maxOsBuild: 22621, architectures: [] } }),
      offer(2, 'required', { supersedes: [id(3)] }),
      offer(3, 'required'),
      offer(4, 'required', { applicability: { architectures: ['x86'] } }),
      offer(5, 'required', { products: ['Windows 10'] }),
    ];
    const m = execution(updatesStep(), { environment: 'FullOS' });
    expect((await installSoftwareUpdatesHandler.run!(ctx(m, computer, new FakeUpdates(offers)))).exitCode).toBe(0);
    expect(await recorded(computer)).toEqual(['Package_for_KB5000002~31bf3856ad364e35~amd64~~10.0.1.0']);
    const log = m.logs.join('\n');
    expect(log).toContain('The OS: Windows 11 Enterprise, build 22631.2428, x64');
    expect(log).toContain('KB5000001 Update 1 (' + id(1) + '): not applicable (the OS build 22631 is above 22621)');
    expect(log).toContain('not applicable (it is for x86, the OS is x64)');
    expect(log).toContain('not applicable (it is for Windows 10, the OS is Windows 11 Enterprise)');
    expect(log).toContain(`KB5000003 Update 3 (${id(3)}): superseded by KB5000002 Update 2`);
  });

  it('refuses a payload whose hash does not match with 0x80091007 and records nothing', async () => {
    const computer = await os();
    const folder = packageFolder(tmp, payloads);
    writeFileSync(join(folder, 'kb2.msu'), 'servicing stacK'); // same size, other bytes
    const m = execution(updatesStep('All'), { environment: 'FullOS' });
    const r = await installSoftwareUpdatesHandler.run!(ctx(m, computer, new FakeUpdates([offer(1, 'required'), offer(2, 'available')], folder))).catch(
      (e) => e,
    );
    expect(r.code ?? r.exitCode).toBe(PAYLOAD_HASH_MISMATCH);
    expect(r.message).toContain('the payload kb2.msu of SUP00001 has the SHA-256');
    expect(r.message).toContain('0x80091007');
    expect(await recorded(computer)).toEqual([]);
  });

  it('restarts when an update requires it and scans again afterwards, installing nothing twice', async () => {
    const computer = await os();
    const offers = [offer(1, 'required', { restartRequired: true }), offer(2, 'required')];
    const m = execution(updatesStep(), { environment: 'FullOS' });
    const r = await installSoftwareUpdatesHandler.run!(ctx(m, computer, new FakeUpdates(offers)));
    expect(r).toMatchObject({ exitCode: 0, restart: { target: 'HD', rerun: true } });
    expect(r.restart!.reason).toContain('KB5000001 Update 1');
    expect(await recorded(computer)).toHaveLength(2);
    const again = execution(updatesStep(), { environment: 'FullOS' });
    again.x.resumed = { stepState: JSON.parse(JSON.stringify(r.restart!.stepState)) };
    const r2 = await installSoftwareUpdatesHandler.run!(ctx(again, computer, new FakeUpdates(offers)));
    expect(r2).toEqual({ exitCode: 0 });
    expect(again.logs.join('\n')).toContain('scans again after the restart (pass 2)');
    expect(again.logs.join('\n')).toContain('No update to install (2 installed before the restart)');
  });

  it('refuses a target other than Mandatory or All; runs only with a site and predicts honestly', async () => {
    const computer = await os();
    const s = updatesStep();
    const bad = execution(s, { environment: 'FullOS', variables: { SMSInstallUpdateTarget: 'Some' } });
    const r = await installSoftwareUpdatesHandler.run!(ctx(bad, computer, new FakeUpdates([]))).catch((e) => e);
    expect(r.code).toBe(0x80070057);
    expect(r.message).toContain('SMSInstallUpdateTarget is "Some"');

    const m = execution(s, { environment: 'FullOS' });
    expect(installSoftwareUpdatesHandler.canRun!({ x: m.x, computer, content: new ContentLibrary(tmp()) })).toBe(false);
    const { ctx: sim, notes } = simulation(m);
    const p = await installSoftwareUpdatesHandler.simulate!(sim);
    expect(p.predicted?.assumed.join(' ')).toContain('only known when the step runs');
    expect(notes[0]).toContain('required (Mandatory)');
  });
});

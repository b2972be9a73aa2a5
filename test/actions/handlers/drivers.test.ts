// Auto Apply Drivers and Apply Driver Package through the Computer port: the drivers the catalog
// gives the laptop are staged on C: and listed; missing files fail with 0x80070002; the preview.
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentLibrary } from '../../../src/actions/content.js';
import { failureResult } from '../../../src/actions/errors.js';
import { ANSWER_FILE } from '../../../src/actions/handlers/answer-file.js';
import { applyDriverPackageHandler, autoApplyDriversHandler } from '../../../src/actions/handlers/drivers.js';
import { UnattendDocument } from '../../../src/actions/unattend/index.js';
import { makeTestContent, type TestContent } from '../../../src/lab/test-content/index.js';
import { applyDriverPackage, autoApplyDrivers } from '../../../src/sequence/catalog/index.js';
import type { Step } from '../../../src/sequence/model/task-sequence.js';
import type { StepHandler } from '../../../src/actions/handler.js';
import { directoryComputer, execution, simulation, step } from './helpers.js';

let dir: string;
let content: TestContent;
const cleanups: Array<() => void> = [];
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'osd-drivers-'));
  content = await makeTestContent(join(dir, 'content'));
}, 120_000);
afterAll(() => {
  cleanups.forEach((c) => c());
  rmSync(dir, { recursive: true, force: true });
});

async function run(handler: StepHandler<never>, s: Step, root = content.root) {
  const c = directoryComputer();
  cleanups.push(c.cleanup);
  const [v] = await c.computer.writeLayout(0, { style: 'gpt', partitions: [{ kind: 'primary', name: 'Windows' }] });
  await c.computer.format(v, 'NTFS', 'Windows');
  const files = await c.computer.files(v);
  await files.writeFile(ANSWER_FILE, UnattendDocument.create('amd64').toXml());
  c.computer.setDrives([{ letter: 'C:', disk: 0, partition: 1 }]);
  const m = execution(s, { variables: { OSDTargetSystemDrive: 'C:' } });
  const result = await handler.run!({ x: m.x, computer: c.computer, content: new ContentLibrary(root) }).catch(failureResult);
  return { result, m, files };
}

describe('Auto Apply Drivers', () => {
  it('stages the best match per device of the laptop and lists them for offline servicing', async () => {
    const { result, m, files } = await run(autoApplyDriversHandler as never, step(autoApplyDrivers, {}));
    expect(result).toEqual({ exitCode: 0 });
    expect((await files.list('_SMSTaskSequence/drivers')).length).toBeGreaterThan(0);
    expect((await files.readFile('_SMSTaskSequence/PkgMgrTemp/drivers.xml')).toString()).toMatch(/C:\\_SMSTaskSequence\\drivers\\1/);
    expect((await files.readFile(ANSWER_FILE)).toString()).toMatch(/drivers/i);
    expect(m.logs.some((l) => /Staged driver DRV00001/.test(l))).toBe(true);
    expect(m.logs.some((l) => /DRV00002/.test(l) && /Staged/.test(l))).toBe(false);
  });

  it('a matched driver whose files are missing fails with 0x80070002, naming it', async () => {
    const broken = join(dir, 'broken');
    cpSync(content.root, broken, { recursive: true });
    const catalog = JSON.parse(readFileSync(join(broken, 'drivers/catalog.json'), 'utf8')) as { drivers: Array<{ id: string; folder: string }> };
    rmSync(join(broken, 'drivers', catalog.drivers.find((d) => d.id === 'DRV00001')!.folder), { recursive: true });
    const { result } = await run(autoApplyDriversHandler as never, step(autoApplyDrivers, {}), broken);
    expect(result).toMatchObject({ exitCode: 0x80070002, message: expect.stringMatching(/driver files are missing for DRV00001/) });
  });

  it('no catalog: 0x80070002', async () => {
    const empty = join(dir, 'empty');
    cpSync(join(content.root, content.imagePackageId), join(empty, content.imagePackageId), { recursive: true });
    expect((await run(autoApplyDriversHandler as never, step(autoApplyDrivers, {}), empty)).result).toMatchObject({
      exitCode: 0x80070002,
      message: expect.stringMatching(/no driver catalog/),
    });
  });

  it('previews with checks and a catalog; says so without', async () => {
    const withCatalog = simulation(execution(step(autoApplyDrivers, {})), { checks: true, content: new ContentLibrary(content.root) });
    expect(await autoApplyDriversHandler.simulate!(withCatalog.ctx)).toEqual({ exitCode: 0 });
    expect(withCatalog.notes.join('\n')).toMatch(/I219-LM: DRV00001/);
    const without = simulation(execution(step(autoApplyDrivers, {})), { checks: true });
    await autoApplyDriversHandler.simulate!(without.ctx);
    expect(without.notes).toEqual(['drivers not previewed: no driver catalog (--content)']);
    const unchecked = simulation(execution(step(autoApplyDrivers, {})), { content: new ContentLibrary(content.root) });
    await autoApplyDriversHandler.simulate!(unchecked.ctx);
    expect(unchecked.notes).toEqual([]);
  });
});

describe('Apply Driver Package', () => {
  it('stages every driver of the package', async () => {
    const { result, m } = await run(applyDriverPackageHandler as never, step(applyDriverPackage, { driverPackageId: 'LAB00021' }));
    expect(result).toEqual({ exitCode: 0 });
    expect(m.logs.some((l) => /Driver package LAB00021 .*: 1 driver\(s\)/.test(l))).toBe(true);
  });

  it('a package the catalog does not have: 0x80070002; none named: 0x80070057', async () => {
    expect((await run(applyDriverPackageHandler as never, step(applyDriverPackage, { driverPackageId: 'PS999999' }))).result).toMatchObject({
      exitCode: 0x80070002,
      message: expect.stringMatching(/not in the driver catalog/),
    });
    expect((await run(applyDriverPackageHandler as never, step(applyDriverPackage, {}))).result.exitCode).toBe(0x80070057);
  });

  it("previews the package's drivers with checks, and predicts its failure", async () => {
    const lib = new ContentLibrary(content.root);
    const ok = simulation(execution(step(applyDriverPackage, { driverPackageId: 'LAB00021' })), { checks: true, content: lib });
    expect(await applyDriverPackageHandler.simulate!(ok.ctx)).toEqual({ exitCode: 0 });
    expect(ok.notes[0]).toMatch(/^driver package LAB00021 \(".*" in the driver catalog\): DRV00004 /);
    const missing = simulation(execution(step(applyDriverPackage, { driverPackageId: 'PS999999' })), { checks: true, content: lib });
    await expect(Promise.resolve(applyDriverPackageHandler.simulate!(missing.ctx))).rejects.toMatchObject({ exitCode: 0x80070002 });
  });
});

/**
 * A driver package made on the site applies on the lab machine whose model it targets (issue 12
 * item 5). It used to fail with "driver package PS1000xx is not in the driver catalog": Apply
 * Driver Package looked only in the lab's driver catalog file, never at the package's own content
 * (the folders the distribution point serves for its PackageID, `<driver CI id>/<files>`), which
 * is what ConfigMgr stages (DISM /recurse). The lab's content and the site's package sit side by
 * side here, as on a lab machine booted against a site with the lab's library at hand.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentLibrary } from '../../src/actions/content.js';
import { failureResult } from '../../src/actions/errors.js';
import { ANSWER_FILE } from '../../src/actions/handlers/answer-file.js';
import { applyDriverPackageHandler } from '../../src/actions/handlers/drivers.js';
import { UnattendDocument } from '../../src/actions/unattend/index.js';
import { loadMachineProfile } from '../../src/engine/machine-profile/index.js';
import { DRIVER_PACKAGES, makeTestContent, type TestContent } from '../../src/lab/test-content/index.js';
import { driverCatalog } from '../../src/lab/test-content/index.js';
import { applyDriverPackage } from '../../src/sequence/catalog/index.js';
import { exportXmlText } from '../../src/sequence/codec/xml-export.js';
import { importXmlText } from '../../src/sequence/codec/xml-import.js';
import type { Group, TaskSequence } from '../../src/sequence/model/task-sequence.js';
import { loadSiteManifest } from '../../src/sequence/site-manifest.js';
import { answersSchema } from '../../src/sequence/wizard/answers.js';
import { generateInstallImageSequence } from '../../src/sequence/wizard/generate/index.js';
import { stepSimulators } from '../../src/actions/handlers/index.js';
import { simulate } from '../../src/engine/simulate/simulate.js';
import { bootLab } from '../../src/lab/boot.js';
import { createLab } from '../../src/lab/create.js';
import { directoryComputer, execution, simulation, step } from '../actions/handlers/helpers.js';
import { startTestApi, type TestApi } from '../site/helpers/site.js';

const LAPTOP = 'examples/machines/uefi-x64-laptop-bare-metal.json';
const DESKTOP = 'examples/machines/bios-x64-desktop-bare-metal.json';

/**
 * The wizard's sequence for the lab's image, with the site's driver package applied after the
 * wizard's own driver step, only on the model it is for (a WMI condition, as admins write it).
 */
function withModelDriverPackage(id: string, model: string): TaskSequence {
  const answers = answersSchema.parse({
    taskSequence: { name: 'Lab install with model drivers', bootImageId: content.bootImageId },
    installWindows: { imagePackageId: content.imagePackageId, imageIndex: 2, configureBitLocker: false },
    configureNetwork: { join: 'workgroup', workgroup: 'LABWG' },
    stateMigration: { captureUserSettings: false, captureNetworkSettings: false, captureWindowsSettings: false },
    includeUpdates: 'none',
  });
  const ts = generateInstallImageSequence(answers, loadSiteManifest(content.siteManifestPath));
  (ts.items.find((i) => i.kind === 'group' && i.name === 'Setup Operating System') as Group).disable = true;
  const xml = exportXmlText(ts);
  const at = xml.indexOf('</step>', xml.indexOf('name="Apply Device Drivers"')) + '</step>'.length;
  const step =
    `<step type="SMS_TaskSequence_ApplyDriverPackageAction" name="Apply ${model} drivers" successCodeList="0 3010">` +
    `<condition><expression type="SMS_TaskSequence_WMIConditionExpression"><variable name="Namespace">root\\cimv2</variable>` +
    `<variable name="Query">SELECT * FROM Win32_ComputerSystem WHERE Model LIKE "%${model}%"</variable></expression></condition>` +
    `<action>osddriverclient.exe /install:${id} /unsigned:False</action>` +
    `<defaultVarList><variable name="OSDApplyDriverDriverPackageID" property="DriverPackageID">${id}</variable></defaultVarList></step>`;
  return importXmlText(xml.slice(0, at) + step + xml.slice(at)).sequence;
}

let dir: string;
let content: TestContent;
let api: TestApi;
let packageId: string;
const cleanups: Array<() => void> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'osd-site-drivers-'));
  content = await makeTestContent(join(dir, 'content'));
  api = await startTestApi('pglite');
  // The admin imports the lab's drivers into the site and makes a driver package for the laptop's model.
  const imported = await api.call('POST', '/api/v1/drivers/import', { body: { sourcePath: join(content.root, 'drivers') } });
  expect(imported.status, JSON.stringify(imported.json)).toBe(201);
  // The laptop's drivers: those of the lab's own package for it, recognised by their hardware IDs.
  const laptopIds = DRIVER_PACKAGES[0]!.drivers.map((id) =>
    driverCatalog()
      .drivers.find((d) => d.id === id)!
      .hardwareIds.join('|'),
  );
  const ciIds = (imported.json.imported as Array<{ ciId: number; hardwareIds: string[] }>)
    .filter((d) => laptopIds.includes(d.hardwareIds.join('|')))
    .map((d) => d.ciId);
  expect(ciIds).toHaveLength(laptopIds.length);
  const profile = loadMachineProfile(LAPTOP);
  const created = await api.call('POST', '/api/v1/driver-packages', { body: { name: `${profile.model} drivers`, model: profile.model, ciIds } });
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  packageId = created.json.packageId;
  // The package's content as a distribution point serves it, beside the lab's library.
  const files = (await api.call('GET', `/api/v1/content/${created.json.contentId}`)).json.files as Array<{ path: string; sha256: string }>;
  for (const f of files) {
    const target = join(content.root, packageId, ...f.path.split('/'));
    mkdirSync(dirname(target), { recursive: true });
    cpSync(api.site.content.blobPath(f.sha256), target);
  }
}, 180_000);
afterAll(async () => {
  cleanups.forEach((c) => c());
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function laptop() {
  const c = directoryComputer(loadMachineProfile(LAPTOP));
  cleanups.push(c.cleanup);
  const [v] = await c.computer.writeLayout(0, { style: 'gpt', partitions: [{ kind: 'primary', name: 'Windows' }] });
  await c.computer.format(v, 'NTFS', 'Windows');
  const files = await c.computer.files(v);
  await files.writeFile(ANSWER_FILE, UnattendDocument.create('amd64').toXml());
  c.computer.setDrives([{ letter: 'C:', disk: 0, partition: 1 }]);
  return { computer: c.computer, files };
}

async function applyOn(id: string, on?: Awaited<ReturnType<typeof laptop>>) {
  const { computer, files } = on ?? (await laptop());
  const m = execution(step(applyDriverPackage, { driverPackageId: id }), { variables: { OSDTargetSystemDrive: 'C:' } });
  const result = await applyDriverPackageHandler.run!({ x: m.x, computer, content: new ContentLibrary(content.root) }).catch(failureResult);
  return { result, m, files };
}

describe("Apply Driver Package with a site's driver package", () => {
  it("stages the package's drivers from its content, though the lab's catalog does not list it", async () => {
    expect(packageId).toMatch(/^PS1[0-9A-F]{5}$/);
    const { result, m, files } = await applyOn(packageId);
    expect(result, m.logs.join('\n')).toEqual({ exitCode: 0 });
    expect(m.logs.join('\n')).toMatch(new RegExp(`Driver package ${packageId} \\(content .*\\): 4 driver\\(s\\)`));
    const driversXml = await files.readFile('_SMSTaskSequence/PkgMgrTemp/drivers.xml');
    for (let i = 1; i <= 4; i++) {
      expect(driversXml.toString()).toContain(`C:\\_SMSTaskSequence\\drivers\\${i}`);
      const staged = await files.list(`_SMSTaskSequence/drivers/${i}`);
      expect(
        staged.some((f) => /\.inf$/i.test(typeof f === 'string' ? f : (f as { name: string }).name)),
        JSON.stringify(staged),
      ).toBe(true);
    }
    expect((await files.readFile(ANSWER_FILE)).toString()).toContain('_SMSTaskSequence');
  });

  it("the same drivers as the lab's own package for that model (its catalog entry still works)", async () => {
    const lab = await applyOn(DRIVER_PACKAGES[0]!.id);
    expect(lab.result).toEqual({ exitCode: 0 });
    expect(lab.m.logs.join('\n')).toMatch(/in the driver catalog\): 4 driver\(s\)/);
  });

  it('two driver steps on one computer: the second numbers on after the first, and the list holds both', async () => {
    const pc = await laptop();
    expect((await applyOn(DRIVER_PACKAGES[1]!.id, pc)).result).toEqual({ exitCode: 0 }); // 1 driver
    const second = await applyOn(packageId, pc); // 4 drivers
    expect(second.result).toEqual({ exitCode: 0 });
    const folders = (await pc.files.list('_SMSTaskSequence/drivers')).map((e) => e.name).sort();
    expect(folders).toEqual(['1', '2', '3', '4', '5']);
    const xml = (await pc.files.readFile('_SMSTaskSequence/PkgMgrTemp/drivers.xml')).toString();
    for (let i = 1; i <= 5; i++) expect(xml).toContain(`C:\\_SMSTaskSequence\\drivers\\${i}<`);
  });

  it('previews the site package from its content', async () => {
    const sim = simulation(execution(step(applyDriverPackage, { driverPackageId: packageId })), { checks: true, content: new ContentLibrary(content.root) });
    expect(await applyDriverPackageHandler.simulate!(sim.ctx)).toEqual({ exitCode: 0 });
    expect(sim.notes[0]).toMatch(new RegExp(`^driver package ${packageId} \\(content .*\\): DRV00001 .*DRV00004 `));
  });

  it('a package whose content is not there: 0x80070002 naming both places looked at', async () => {
    const { result } = await applyOn('PS1FFFF0');
    expect(result).toMatchObject({
      exitCode: 0x80070002,
      message: expect.stringMatching(
        /driver package PS1FFFF0 is not available: not in the driver catalog, and the content of package PS1FFFF0 is not available/,
      ),
    });
  });

  it('a package folder without any driver: 0x80070002', async () => {
    mkdirSync(join(content.root, 'PS1FFFF1', 'readme'), { recursive: true });
    const { result } = await applyOn('PS1FFFF1');
    expect(result).toMatchObject({ exitCode: 0x80070002, message: expect.stringMatching(/holds no driver/) });
  });
});

describe("the site's driver package in a task sequence, on the lab machines", () => {
  it("applies on the lab laptop whose model it targets: staged on its Windows volume beside the wizard's drivers", async () => {
    const model = loadMachineProfile(LAPTOP).model!;
    const lab = await createLab(join(dir, 'labs'), 'laptop', { profilePath: LAPTOP, disks: ['2G'] });
    const r = await bootLab(lab, {
      sequence: withModelDriverPackage(packageId, model),
      sequenceName: 'model drivers',
      content: new ContentLibrary(content.root),
    });
    expect(r.result, `${r.message}\n${r.log.slice(-3000)}`).toBe('success');
    const applied = r.instructions.find((i) => i.name === `Apply ${model} drivers`)!;
    expect(applied).toMatchObject({ outcome: 'ran', exitCode: 0 });
    expect(applied.predicted).toBeFalsy();
    expect(r.log).toContain(`Driver package ${packageId} (content `);
    const windows = lab.drives().find((d) => d.letter === 'C:')!;
    const files = await lab.files((await lab.volumes(windows.disk)).find((v) => v.partition === windows.partition)!);
    const staged = (await files.list('_SMSTaskSequence/drivers')).map((e) => e.name);
    // The wizard's Auto Apply Drivers staged the laptop's best matches first; the package's 4 follow.
    expect(staged.length).toBeGreaterThanOrEqual(5);
    const xml = (await files.readFile('_SMSTaskSequence/PkgMgrTemp/drivers.xml')).toString();
    expect(xml.match(/<Path>/g)?.length ?? (xml.match(/_SMSTaskSequence\\drivers\\\d+/g) ?? []).length).toBe(staged.length);
  }, 240_000);

  it('is skipped on a machine of another model, by its condition', async () => {
    const model = loadMachineProfile(LAPTOP).model!;
    const desktop = loadMachineProfile(DESKTOP);
    expect(desktop.model).not.toContain(model);
    const r = await simulate(withModelDriverPackage(packageId, model), {
      profile: desktop,
      steps: stepSimulators({ content: new ContentLibrary(content.root) }),
    });
    const step = r.instructions.find((i) => i.name === `Apply ${model} drivers`)!;
    expect(step.outcome).toBe('skipped');
    expect(step.reason).toMatch(/Win32_ComputerSystem/);
  });
});

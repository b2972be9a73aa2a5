// Apply Operating System through the Computer port (a computer in folders, the image applied by
// wimlib): the image, the answer file, OSDTargetSystemDrive; the failures with their codes; its
// prediction with and without content.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentLibrary } from '../../../src/actions/content.js';
import { failureResult } from '../../../src/actions/errors.js';
import { applyOperatingSystemHandler } from '../../../src/actions/handlers/apply-operating-system.js';
import { makeTestContent, type TestContent } from '../../../src/lab/test-content/index.js';
import { applyOperatingSystem } from '../../../src/sequence/catalog/index.js';
import type { ApplyOperatingSystemSettings } from '../../../src/sequence/catalog/steps/apply-operating-system.js';
import { directoryComputer, execution, simulation, step } from './helpers.js';

let dir: string;
let content: TestContent;
let library: ContentLibrary;
const cleanups: Array<() => void> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'osd-apply-'));
  content = await makeTestContent(join(dir, 'content'));
  library = new ContentLibrary(content.root);
}, 120_000);
afterAll(() => {
  cleanups.forEach((c) => c());
  rmSync(dir, { recursive: true, force: true });
});

/** A computer whose disk 0 has the usual UEFI layout, Windows formatted NTFS as C:. */
async function prepared() {
  const c = directoryComputer();
  cleanups.push(c.cleanup);
  const { computer } = c;
  const v = await computer.writeLayout(0, {
    style: 'gpt',
    partitions: [
      { kind: 'efi', sizeBytes: 100 * 1024 * 1024 },
      { kind: 'msr', sizeBytes: 16 * 1024 * 1024 },
      { kind: 'primary', name: 'Windows' },
    ],
  });
  await computer.format(v[0], 'FAT32', 'SYSTEM');
  await computer.format(v[2], 'NTFS', 'Windows');
  await computer.files(v[2]).then((f) => f.writeFile('old-file.txt', 'from before'));
  computer.setDrives([{ letter: 'C:', disk: 0, partition: 3 }]);
  return computer;
}

const settings = (over: Partial<ApplyOperatingSystemSettings> = {}): ApplyOperatingSystemSettings => ({
  imagePackageId: content.imagePackageId,
  imageIndex: 2,
  destination: { kind: 'next-available' },
  ...over,
});

async function run(s: ApplyOperatingSystemSettings, computer?: Awaited<ReturnType<typeof prepared>>, variables: Record<string, string> = {}) {
  const c = computer ?? (await prepared());
  const m = execution(step(applyOperatingSystem, s), { variables });
  const result = await applyOperatingSystemHandler.run!({ x: m.x, computer: c, content: library }).catch(failureResult);
  return { result, m, computer: c };
}

describe('Apply Operating System', () => {
  it('applies the image to the next available NTFS partition (formatted again first), writes the answer file', async () => {
    const { result, m, computer } = await run(settings());
    expect(result).toEqual({ exitCode: 0 });
    const files = await computer.files({ disk: 0, partition: 3 });
    expect(await files.exists('Windows/System32/kernel32.dll')).toBe(true);
    expect((await files.readFile('edition.txt')).toString()).toMatch(/Enterprise/);
    expect(await files.exists('old-file.txt')).toBe(false);
    expect((await files.readFile('Windows/Panther/Unattend/Unattend.xml')).toString()).toMatch(/processorArchitecture="amd64"/);
    expect(m.vars()).toMatchObject({ OSDTargetSystemDrive: 'C:', OSDAnswerFilePath: 'C:\\Windows\\Panther\\Unattend\\Unattend.xml' });
    expect(m.logs.some((l) => /Applying image 2 "Windows 11 Enterprise" .* to C: \(disk 0 partition 3\)/.test(l))).toBe(true);
  });

  it("goes to the drive a variable names, and merges the package's answer file", async () => {
    const pkg = join(content.root, 'PSANSWER');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(
      join(pkg, 'unattend.xml'),
      '<?xml version="1.0"?><unattend xmlns="urn:schemas-microsoft-com:unattend"><settings pass="oobeSystem"><component name="Microsoft-Windows-International-Core" processorArchitecture="amd64" publicKeyToken="31bf3856ad364e35" language="neutral" versionScope="nonSxS"><UILanguage>fr-FR</UILanguage></component></settings></unattend>',
    );
    const { result, computer } = await run(
      settings({ imageIndex: 3, destination: { kind: 'variable', variable: 'OSDisk' }, configFilePackage: 'PSANSWER', configFileName: 'unattend.xml' }),
      undefined,
      { OSDisk: 'C:' },
    );
    expect(result).toEqual({ exitCode: 0 });
    const files = await computer.files({ disk: 0, partition: 3 });
    expect((await files.readFile('edition.txt')).toString()).toMatch(/Professional/);
    expect((await files.readFile('Windows/Panther/Unattend/Unattend.xml')).toString()).toMatch(/fr-FR/);
  });

  it('fails with the codes ConfigMgr reports', async () => {
    // An index the WIM does not have: 0x80070490, naming the ones it has.
    expect((await run(settings({ imageIndex: 7 }))).result).toMatchObject({
      exitCode: 0x80070490,
      message: expect.stringMatching(/image index 7 does not exist .*1 - Windows 11 Education/),
    });
    // A package that is not there: 0x80070002.
    expect((await run(settings({ imagePackageId: 'PS999999' }))).result.exitCode).toBe(0x80070002);
    // A destination variable that is not set: 0x80070057.
    expect((await run(settings({ destination: { kind: 'variable', variable: 'Nowhere' } }))).result.exitCode).toBe(0x80070057);
    // No formatted partition: 0x80070490.
    const blank = directoryComputer();
    cleanups.push(blank.cleanup);
    expect((await run(settings(), blank.computer as never)).result).toMatchObject({
      exitCode: 0x80070490,
      message: expect.stringMatching(/no formatted partition/),
    });
    // A malformed answer file in the package: bad input, 0x8007000D (it used to be 0x80004005).
    const bad = join(content.root, 'PSBADXML');
    mkdirSync(bad, { recursive: true });
    writeFileSync(join(bad, 'unattend.xml'), '<unattend><settings>');
    expect((await run(settings({ configFilePackage: 'PSBADXML' }))).result.exitCode).toBe(0x8007000d);
  });

  it('predicts OSDTargetSystemDrive; with checks and content, the image', async () => {
    const m = execution(step(applyOperatingSystem, settings({ imageIndex: 7 })));
    const { ctx, notes } = simulation(m, { content: library });
    expect(await applyOperatingSystemHandler.simulate!(ctx)).toEqual({ exitCode: 0 });
    expect(m.vars().OSDTargetSystemDrive).toBe('C:');
    expect(notes).toEqual(['sets OSDTargetSystemDrive']);

    const checked = simulation(execution(step(applyOperatingSystem, settings())), { content: library, checks: true });
    await applyOperatingSystemHandler.simulate!(checked.ctx);
    expect(checked.notes[1]).toMatch(/^image 2 "Windows 11 Enterprise" \(x64, \d+ MB\) of LAB00010$/);
    const missing = simulation(execution(step(applyOperatingSystem, settings({ imageIndex: 7 }))), { content: library, checks: true });
    await expect(Promise.resolve(applyOperatingSystemHandler.simulate!(missing.ctx))).rejects.toMatchObject({ exitCode: 0x80070490 });
    const noContent = simulation(execution(step(applyOperatingSystem, settings())), { checks: true });
    await applyOperatingSystemHandler.simulate!(noContent.ctx);
    expect(noContent.notes[1]).toMatch(/not checked: no --content/);
  });
});

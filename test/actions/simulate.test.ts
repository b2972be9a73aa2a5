// The handlers' simulator answers: layouts checked against the profile's disk, images against the
// content, drivers previewed from the catalog — before touching a computer.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentLibrary } from '../../src/actions/content.js';
import { stepSimulators } from '../../src/actions/handlers/index.js';
import { loadMachineProfile } from '../../src/engine/machine-profile/index.js';
import type { MachineProfile } from '../../src/engine/machine-profile/schema.js';
import { simulate } from '../../src/engine/simulate/simulate.js';
import { makeTestContent, type TestContent } from '../../src/lab/test-content/index.js';
import { loadSiteManifest } from '../../src/sequence/site-manifest.js';
import { answersSchema } from '../../src/sequence/wizard/answers.js';
import { generateInstallImageSequence } from '../../src/sequence/wizard/generate/index.js';

const MACHINES = resolve(__dirname, '../../examples/machines');
let dir: string;
let content: TestContent;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'osd-sim-'));
  content = await makeTestContent(join(dir, 'content'));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sequence(imageIndex = 2) {
  const answers = answersSchema.parse({
    taskSequence: { name: 'Preview', bootImageId: content.bootImageId },
    installWindows: { imagePackageId: content.imagePackageId, imageIndex, configureBitLocker: false },
    stateMigration: { captureUserSettings: false, captureNetworkSettings: false, captureWindowsSettings: false },
  });
  return generateInstallImageSequence(answers, loadSiteManifest(content.siteManifestPath));
}

async function run(profile: MachineProfile, imageIndex = 2, withContent = true) {
  const lib = withContent ? new ContentLibrary(content.root) : undefined;
  return simulate(sequence(imageIndex), { profile, steps: stepSimulators({ content: lib, checks: true }) });
}
const effects = (r: Awaited<ReturnType<typeof run>>, name: string) => r.instructions.find((i) => i.name === name)?.effects ?? [];

describe("the handlers' simulate answers", () => {
  it('previews the drivers the laptop would get: best match per device, and why others are not used', async () => {
    const r = await run(loadMachineProfile(join(MACHINES, 'uefi-x64-laptop-bare-metal.json')));
    expect(r.result).toBe('success');
    const drivers = effects(r, 'Apply Device Drivers').join('\n');
    expect(drivers).toMatch(/I219-LM: DRV00001/);
    expect(drivers).not.toMatch(/DRV00002/); // a compatible-ID match loses to the exact one
    expect(drivers).toMatch(/not used: DRV00005 .*\(disabled\)/);
    expect(effects(r, 'Apply Operating System').join('\n')).toMatch(/image 2 "Windows 11 Enterprise" \(x64/);
    expect(effects(r, 'Partition Disk 0 - UEFI').join('\n')).toMatch(/GPT on disk 0: efi 500 MB, msr 128 MB, Windows \d+ MB, Recovery \d+ MB/);
  });

  it('an image index the package does not have fails Apply Operating System with 0x80070490', async () => {
    const r = await run(loadMachineProfile(join(MACHINES, 'uefi-x64-laptop-bare-metal.json')), 9);
    expect(r.result).toBe('failure');
    expect(r.exitCode >>> 0).toBe(0x80070490);
    expect(r.failedAt).toMatch(/Apply Operating System/);
  });

  it('a disk too small for the layout fails the partition step with 0x80070070, naming the sizes', async () => {
    const profile = loadMachineProfile(join(MACHINES, 'uefi-x64-laptop-bare-metal.json'));
    const small = { ...profile, disks: [{ ...profile.disks[0], size: 512 * 1024 * 1024 }] };
    const r = await run(small);
    expect(r.exitCode >>> 0).toBe(0x80070070);
    expect(r.message).toMatch(/Partition Disk 0 - UEFI/);
    const ins = r.instructions.find((i) => i.name === 'Partition Disk 0 - UEFI')!;
    expect(ins.outcome).toBe('failed');
  });

  it('without content it says what it could not check, and predicts success', async () => {
    const r = await run(loadMachineProfile(join(MACHINES, 'uefi-x64-laptop-bare-metal.json')), 9, false);
    expect(r.result).toBe('success');
    expect(effects(r, 'Apply Operating System').join('\n')).toMatch(/not checked: no --content/);
  });
});

// The wizard's task sequence (issue #4) simulates on a BIOS and a UEFI example machine, with the
// partition step for the other firmware skipped on each.
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stepSimulators } from '../../../src/actions/handlers/index.js';
import { loadMachineProfile } from '../../../src/engine/machine-profile/index.js';
import { simulate } from '../../../src/engine/simulate/simulate.js';
import { loadSiteManifest } from '../../../src/sequence/site-manifest.js';
import { parseAnswers } from '../../../src/sequence/wizard/load-answers.js';
import { generateInstallImageSequence } from '../../../src/sequence/wizard/generate/index.js';
import { readInputText } from '../../../src/sequence/read-input.js';

const ROOT = resolve(__dirname, '../../..');
const site = loadSiteManifest(join(ROOT, 'examples/wizard/site.json'));
const answers = (name: string) => parseAnswers(readInputText(join(ROOT, 'examples/wizard', name)), name);
const machine = (name: string) => loadMachineProfile(join(ROOT, 'examples/machines', name));

describe("the wizard's task sequence on example machines", () => {
  it.each([
    ['bios-x86-desktop.json', 'Partition Disk 0 - UEFI', 'Partition Disk 0 - BIOS'],
    ['uefi-x64-laptop-bare-metal.json', 'Partition Disk 0 - BIOS', 'Partition Disk 0 - UEFI'],
  ])('on %s: "%s" is skipped and "%s" runs', async (profile, skipped, ran) => {
    const ts = generateInstallImageSequence(answers('minimal-workgroup.yaml'), site);
    const r = await simulate(ts, { profile: machine(profile), steps: stepSimulators(), mediaType: 'PXE' });
    const byName = (n: string) => r.instructions.find((i) => i.name === n)!;
    expect(byName(skipped)).toMatchObject({ outcome: 'skipped', reason: expect.stringMatching(/_SMSTSBootUEFI/) });
    expect(byName(ran).outcome).toBe('ran');
    expect(byName('Restart in Windows PE').outcome).toBe('skipped');
    expect(byName('Apply Operating System').outcome).toBe('ran');
    expect(r.result).toBe('success');
    expect(r.reboots.at(-1)?.target).toBe('HD');
  });
});

describe("the wizard's refresh task sequence on a Windows 10 computer (started from Software Center)", () => {
  it('captures in the full OS, restarts into Windows PE, keeps the disk, restores after setup', async () => {
    const ts = generateInstallImageSequence(answers('user-state-smp.yaml'), site);
    const r = await simulate(ts, { profile: machine('win10-x64-refresh.json'), steps: stepSimulators() });
    const outcome = (n: string, nth = 0) => r.instructions.filter((i) => i.name === n)[nth]?.outcome;
    expect(outcome('Capture Files and Settings')).toBe('ran');
    expect(outcome('Request User State Storage')).toBe('ran');
    expect(outcome('Capture User Files and Settings', 1)).toBe('ran');
    expect(outcome('Restart in Windows PE')).toBe('ran');
    // Content is in the client cache (§5.4): both partition steps keep the disk.
    for (const n of ['Partition Disk 0 - BIOS', 'Partition Disk 0 - UEFI']) {
      expect(r.instructions.find((i) => i.name === n)).toMatchObject({ outcome: 'skipped', reason: expect.stringMatching(/_SMSTSClientCache/) });
    }
    expect(outcome('Apply Operating System')).toBe('ran');
    expect(outcome('Restore User Files and Settings', 1)).toBe('ran');
    expect(outcome('Release User State Storage', 1)).toBe('ran');
    expect(r.result).toBe('success');
  });
});

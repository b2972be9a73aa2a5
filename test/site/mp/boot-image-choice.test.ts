/** §5.1 step 3: which boot image a computer boots among the offered deployments' boot images. */
import { describe, expect, it } from 'vitest';
import { chooseBootImage, noBootImageReason, type BootImageCandidate } from '../../../src/site/mp/boot-image-choice.js';

const c = (deploymentId: string, architecture: string): BootImageCandidate => ({ deploymentId, packageId: `BOOT-${deploymentId}`, architecture });

describe('boot image choice (osd-features §5.1)', () => {
  it('takes the exact architecture first, the highest deployment id among several (string compare: ZZZ beats AAA)', () => {
    const all = [c('AAA00009', 'x64'), c('ZZZ00001', 'x64'), c('PS100005', 'x86')];
    const r = chooseBootImage(all, { architecture: 'x64', firmware: 'uefi' });
    expect(r).toMatchObject({ deploymentId: 'ZZZ00001', architecture: 'x64' });
    expect(r!.rule).toContain('highest deployment id');
    expect(chooseBootImage(all, { architecture: 'x86', firmware: 'bios' })).toMatchObject({ deploymentId: 'PS100005', architecture: 'x86' });
  });

  it('falls back to a compatible architecture: x64 BIOS can use x86; x86 BIOS, UEFI and arm64 only their own', () => {
    const x86only = [c('PS100001', 'x86')];
    expect(chooseBootImage(x86only, { architecture: 'x64', firmware: 'bios' })).toMatchObject({ architecture: 'x86' });
    expect(chooseBootImage(x86only, { architecture: 'x64', firmware: 'uefi' })).toBeNull();
    expect(noBootImageReason(x86only, { architecture: 'x64', firmware: 'uefi' })).toContain('UEFI boots only a boot image of its own architecture');
    const x64only = [c('PS100002', 'x64')];
    expect(chooseBootImage(x64only, { architecture: 'x86', firmware: 'bios' })).toBeNull();
    expect(noBootImageReason(x64only, { architecture: 'x86', firmware: 'bios' })).toContain('x86 BIOS boots only x86');
    expect(chooseBootImage(x64only, { architecture: 'arm64', firmware: 'uefi' })).toBeNull();
  });

  it('answers null with a reason when nothing is offered', () => {
    expect(chooseBootImage([], { architecture: 'x64', firmware: 'uefi' })).toBeNull();
    expect(noBootImageReason([], { architecture: 'x64', firmware: 'uefi' })).toContain('no offered deployment');
  });
});

/**
 * Whether this computer can run the deployment at all, decided before anything is written to it:
 * its processor and firmware must start the task sequence's boot image (osd-features §5.1: UEFI
 * boots only its own architecture; BIOS x64 boots x86 or x64; x86 only x86) and run the OS image
 * each enabled Apply Operating System step applies (an x86-only processor cannot run an x64 image;
 * 64-bit UEFI firmware cannot start 32-bit Windows; arm64 runs arm64 images). A run that fails here
 * is `refused` with the reason, never started.
 */
import { readSettings, stepTypeOf, applyOperatingSystem } from '../sequence/catalog/index.js';
import type { ApplyOperatingSystemSettings } from '../sequence/catalog/steps/apply-operating-system.js';
import type { TaskSequence } from '../sequence/model/task-sequence.js';
import { pathText, walkItems } from '../sequence/model/walk.js';
import { osImageProblem } from '../actions/os/architecture.js';
import type { DeploymentContent, MachineFacts } from './protocol.js';

/** Why this computer cannot run the deployment; empty when it can. */
export function incompatibilities(facts: Pick<MachineFacts, 'architecture' | 'firmware'>, content: DeploymentContent, sequence: TaskSequence): string[] {
  const out: string[] = [];
  const boot = content.bootImage;
  if (boot) {
    const why = bootImageProblem(facts, boot.architecture.toLowerCase());
    if (why) out.push(`the boot image ${boot.packageId} is ${boot.architecture}: ${why}`);
  }
  for (const visit of walkItems(sequence)) {
    if (visit.item.kind !== 'step' || visit.underDisabled || stepTypeOf(visit.item.type) !== applyOperatingSystem) continue;
    const s = readSettings<ApplyOperatingSystemSettings>(visit.item)?.settings;
    if (!s?.imagePackageId || s.imagePackageId.includes('%')) continue;
    const pkg = content.packages.find((p) => p.packageId.toUpperCase() === s.imagePackageId!.toUpperCase());
    const index = s.imageIndex ?? 1;
    const arch = (pkg?.images?.find((i) => i.index === index)?.architecture ?? pkg?.architecture ?? '').toLowerCase();
    if (!arch) continue;
    const why = osImageProblem(facts, arch);
    if (why) out.push(`"${pathText(visit.path)}" applies image ${index} of ${s.imagePackageId}, an ${arch} operating system: ${why}`);
  }
  return out;
}

function bootImageProblem(m: Pick<MachineFacts, 'architecture' | 'firmware'>, bootArch: string): string | undefined {
  if (m.firmware === 'uefi') {
    return bootArch === m.architecture ? undefined : `UEFI firmware starts only a boot image of its own architecture (${m.architecture})`;
  }
  if (m.architecture === 'x64') return bootArch === 'x64' || bootArch === 'x86' ? undefined : 'a BIOS x64 computer starts x86 or x64 boot images only';
  return bootArch === m.architecture ? undefined : `this computer's processor is ${m.architecture} only and cannot start it`;
}

/**
 * Which boot image a computer boots (osd-features §5.1 step 3), among the boot images of the task
 * sequences of the deployments offered to it: an exact architecture match first, the highest
 * deployment id among several (string compare, so site code "ZZZ" beats "AAA"); otherwise a
 * compatible architecture — x64 BIOS can use x86 or x64, x86 BIOS only x86, UEFI only the exact
 * architecture (arm64 likewise, exact only [I]).
 */

export interface BootImageCandidate {
  deploymentId: string;
  packageId: string;
  /** The boot image's architecture: x86 | x64 | arm64. */
  architecture: string;
}

export interface BootImageChoice {
  packageId: string;
  architecture: string;
  deploymentId: string;
  rule: string;
}

function compatible(bootArch: string, machineArch: string, firmware: string): boolean {
  if (bootArch === machineArch) return true;
  return firmware === 'bios' && machineArch === 'x64' && bootArch === 'x86';
}

export function chooseBootImage(
  candidates: readonly BootImageCandidate[],
  machine: { architecture: string | null; firmware: string | null },
): BootImageChoice | null {
  if (!candidates.length) return null;
  const byDeployment = [...candidates].sort((a, b) => (a.deploymentId < b.deploymentId ? 1 : a.deploymentId > b.deploymentId ? -1 : 0));
  const arch = machine.architecture;
  const firmware = machine.firmware;
  if (!arch || !firmware) {
    const c = byDeployment[0]!;
    return { ...c, rule: `the computer did not say its architecture and firmware: the highest deployment id's boot image (${c.deploymentId})` };
  }
  const exact = byDeployment.find((c) => c.architecture === arch);
  if (exact) {
    const several = byDeployment.filter((c) => c.architecture === arch).length > 1;
    return {
      ...exact,
      rule: `exact architecture ${arch}${several ? `, highest deployment id (${exact.deploymentId})` : ` (deployment ${exact.deploymentId})`}`,
    };
  }
  const other = byDeployment.find((c) => compatible(c.architecture, arch, firmware));
  if (other)
    return { ...other, rule: `no ${arch} boot image; ${firmware.toUpperCase()} ${arch} can use ${other.architecture} (deployment ${other.deploymentId})` };
  return null;
}

/** Why no boot image was chosen, in the §5.1 rule's words. */
export function noBootImageReason(candidates: readonly BootImageCandidate[], machine: { architecture: string | null; firmware: string | null }): string {
  if (!candidates.length) return 'no offered deployment has a task sequence with a boot image';
  const arches = [...new Set(candidates.map((c) => c.architecture))].join(', ');
  const rule =
    machine.firmware === 'uefi'
      ? 'UEFI boots only a boot image of its own architecture'
      : machine.architecture === 'x64'
        ? 'x64 BIOS boots x86 or x64 boot images'
        : `${machine.architecture ?? '?'} BIOS boots only ${machine.architecture ?? '?'} boot images`;
  return `the offered boot images are ${arches}; ${rule}`;
}

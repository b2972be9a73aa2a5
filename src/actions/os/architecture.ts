/**
 * Which Windows architectures a computer can run (osd-features §5.1): an x86-only processor runs
 * x86 only; 64-bit UEFI firmware cannot start 32-bit Windows; arm64 runs arm64. Used before a run
 * starts (src/agent/compatibility.ts, from the site's content answer) and by Setup Windows and
 * ConfigMgr (from the applied OS's SYSTEM hive), so both refuse for the same reasons.
 */

/** Why this computer cannot run an OS of `osArch` (x86, x64, arm64); undefined when it can. */
export function osImageProblem(m: { architecture: string; firmware: string }, osArch: string): string | undefined {
  if (m.architecture === 'x86') return osArch === 'x86' ? undefined : `this computer's processor is x86 (32-bit) only`;
  if (m.architecture === 'arm64') return osArch === 'arm64' ? undefined : 'this computer is arm64';
  if (osArch === 'x64') return undefined;
  if (osArch === 'x86') return m.firmware === 'uefi' ? '64-bit UEFI firmware cannot start 32-bit Windows' : undefined;
  return `an x64 computer cannot run ${osArch}`;
}

/** PROCESSOR_ARCHITECTURE (AMD64, x86, ARM64) as x64, x86, arm64; undefined for anything else. */
export function archOfProcessorArchitecture(value: string | undefined): 'x64' | 'x86' | 'arm64' | undefined {
  switch (value?.trim().toUpperCase()) {
    case 'AMD64':
      return 'x64';
    case 'X86':
      return 'x86';
    case 'ARM64':
      return 'arm64';
    default:
      return undefined;
  }
}

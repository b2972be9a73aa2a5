/**
 * For tests that boot a VM: whether QEMU can run here, and the Debian kernel the boot environment
 * builder caches (one download for every worker: src/bootenv/build/debian.ts renames into place).
 *
 *   describe.skipIf(qemuSkipReason())('…', …)   — or it.skipIf; the reason names what is missing,
 *   and the test is counted as skipped, never as passed.
 */
import { fetchDebianKernel } from '../../src/bootenv/build/debian.js';
import { vmUnavailableReason } from '../../src/lab/vm/firmware.js';

/** Why a VM cannot run here (no qemu-system-x86_64, OVMF, SeaBIOS or the iPXE ROMs), or undefined. */
export function qemuSkipReason(): string | undefined {
  return vmUnavailableReason();
}

let kernel: Promise<string> | undefined;

/** The path of a Debian vmlinuz (downloaded and unpacked once into the cache, `.tmp/cache/`). */
export function kernelForTests(): Promise<string> {
  kernel ??= fetchDebianKernel().then((k) => k.vmlinuz);
  return kernel;
}

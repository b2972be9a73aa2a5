/**
 * The boot environment builder (issue 14; docs/boot-environment.md): what other parts use.
 * - `buildBootEnv` — the whole folder (`osd boot-image build`).
 * - `fetchDebianKernel` — the Debian kernel unpacked with its module index, cached (the VM lab's test OS uses it too).
 * - `InitramfsTree`, `LibraryResolver`, `writeCpio` — an initramfs of one's own, reproducibly.
 * - `readModuleIndex`, `moduleClosure` — kernel modules and what they depend on.
 */
export { buildBootEnv, checkArch, planInitramfs, readBootEnvManifest, BOOT_ENV_TOOLS, type BuildBootEnvOptions, type BuildBootEnvResult } from './build.js';
export { fetchDebianKernel, resolveKernelPackage, downloadDeb, owningPackages, type KernelTree, type Log } from './debian.js';
export { InitramfsTree, LibraryResolver } from './tree.js';
export { writeCpio, sourceDateEpoch, type CpioEntry } from './cpio.js';
export { DEFAULT_MODULES, readModuleIndex, moduleClosure, readDriversDir, readModinfo, moduleName } from './modules.js';
export { bundleAgent, findAgentEntry, PLACEHOLDER_AGENT } from './agent-bundle.js';
export { AGENT_PATH, NODE_PATH, NATIVE_DIR, initScript, UDHCPC_SCRIPT } from './init-script.js';
export { cacheRoot, projectRoot } from './cache.js';

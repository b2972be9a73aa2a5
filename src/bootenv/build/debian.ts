/**
 * Debian packages for the boot environment (netboot.md §2, "What the project's own scripts must
 * build"): the kernel is never installed on this machine, only downloaded (`apt-get download`),
 * unpacked (`dpkg-deb -x`) and indexed (`busybox depmod -b`), all cached by package version. The
 * kernel's ABI name changes with Debian point releases, so it is resolved from the meta package
 * `linux-image-amd64` each time (`apt-cache depends`), falling back to the newest one in the cache
 * when apt cannot answer (offline).
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OsdError } from '../../common/errors.js';
import { MissingToolError, runTool } from '../../storage/tools.js';
import { cacheRoot } from './cache.js';

export type Log = (line: string) => void;

export interface KernelTree {
  /** `linux-image-6.1.0-50-amd64` */
  packageName: string;
  /** The Debian package version, `6.1.176-1`. */
  version: string;
  /** `6.1.0-50-amd64` (`uname -r` inside the boot environment). */
  release: string;
  /** The unpacked package's root. */
  root: string;
  /** `<root>/boot/vmlinuz-<release>` */
  vmlinuz: string;
  /** `<root>/lib/modules/<release>`, with modules.dep written by depmod. */
  modulesDir: string;
}

/** The packages that provide the tools this module runs. */
const PACKAGES: Record<string, string> = { 'apt-get': 'apt', 'apt-cache': 'apt', 'dpkg-deb': 'dpkg', 'dpkg-query': 'dpkg', busybox: 'busybox-static' };

function unavailable(rule: string, hint: string, cause?: unknown): OsdError {
  return new OsdError('unavailable', { input: 'Debian packages', rule, hint, cause });
}

async function tool(name: string, args: string[], options: { cwd?: string; okCodes?: number[] } = {}): Promise<string> {
  try {
    return (await runTool(name, args, { ...options, env: { LC_ALL: 'C' } })).stdout;
  } catch (e) {
    if (e instanceof MissingToolError && PACKAGES[name])
      throw new OsdError('fault', { input: name, rule: `${name} is not installed`, hint: `install the Debian package ${PACKAGES[name]}` });
    throw e;
  }
}

/** `linux-image-6.1.0-50-amd64` and its candidate version, from the meta package. */
export async function resolveKernelPackage(meta = 'linux-image-amd64'): Promise<{ packageName: string; version: string }> {
  // One look-up when the meta package pins its kernel (Debian's does: `Depends: linux-image-6.1.0-50-amd64 (= 6.1.176-1)`).
  const meta1 = await tool('apt-cache', ['show', '--no-all-versions', meta]);
  const pinned = /^Depends:.*?\b(linux-image-[0-9][^\s,]*) \(= ([^)\s]+)\)/m.exec(meta1);
  if (pinned) return { packageName: pinned[1]!, version: pinned[2]! };
  const deps = await tool('apt-cache', ['depends', meta]);
  const m = /Depends:\s*(linux-image-[0-9][^\s]*)/.exec(deps);
  if (!m) throw unavailable(`apt-cache depends ${meta} names no kernel package`, 'run `apt-get update` (as root) so apt knows the current kernel');
  const packageName = m[1]!;
  const show = await tool('apt-cache', ['show', '--no-all-versions', packageName]);
  const v = /^Version:\s*(\S+)/m.exec(show);
  if (!v) throw unavailable(`apt-cache show ${packageName} gives no version`, 'run `apt-get update` (as root)');
  return { packageName, version: v[1]! };
}

/** A .deb's file name as apt-get download writes it (an epoch's colon as %3a). */
export function debFileName(packageName: string, version: string, arch = 'amd64'): string {
  return `${packageName}_${version.replace(/:/g, '%3a')}_${arch}.deb`;
}

/** The package's .deb in the cache (`<cache>/debs/`), downloaded with `apt-get download` when not there yet. */
export async function downloadDeb(packageName: string, version: string, log: Log = () => {}, debsDir = join(cacheRoot(), 'debs')): Promise<string> {
  const file = join(debsDir, debFileName(packageName, version));
  if (existsSync(file)) return file;
  const work = join(debsDir, `.download-${process.pid}-${Date.now()}`);
  await mkdir(work, { recursive: true });
  try {
    log(`downloading ${packageName} ${version} (apt-get download)`);
    try {
      await tool('apt-get', ['download', '-q', `${packageName}=${version}`], { cwd: work });
    } catch (e) {
      throw unavailable(
        `apt-get download ${packageName}=${version} failed: ${(e as Error).message.split('\n').slice(-2).join(' ')}`,
        'check the machine reaches its Debian mirror; `apt-get update` (as root) if the version is gone',
        e,
      );
    }
    const got = (await readdir(work)).find((f) => f.endsWith('.deb'));
    if (!got) throw unavailable(`apt-get download ${packageName}=${version} wrote no .deb`, 'check the apt configuration');
    await rename(join(work, got), file);
    return file;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Kernel trees already unpacked in the cache, newest version first (for working offline). */
async function cachedKernels(kernelDir: string): Promise<Array<{ packageName: string; version: string }>> {
  let names: string[];
  try {
    names = await readdir(kernelDir);
  } catch {
    return [];
  }
  return names
    .filter((n) => !n.startsWith('.') && existsSync(join(kernelDir, n, '.complete')))
    .map((n) => {
      const i = n.indexOf('_');
      return { packageName: n.slice(0, i), version: n.slice(i + 1) };
    })
    .sort((a, b) => b.version.localeCompare(a.version, 'en', { numeric: true }));
}

/**
 * The Debian kernel, unpacked with its module index, from the cache or fetched: resolves the
 * current `linux-image-<abi>-amd64`, downloads it, `dpkg-deb -x`, `busybox depmod -b` (kmod is not
 * needed), and keeps the tree under `<cache>/kernel/<package>_<version>/`.
 */
export async function fetchDebianKernel(options: { log?: Log; cacheDir?: string } = {}): Promise<KernelTree> {
  const log = options.log ?? (() => {});
  const cache = options.cacheDir ?? cacheRoot();
  const kernelDir = join(cache, 'kernel');
  let pkg: { packageName: string; version: string };
  try {
    pkg = await resolveKernelPackage();
  } catch (e) {
    const cached = await cachedKernels(kernelDir);
    if (!cached.length) throw e;
    pkg = cached[0]!;
    log(`apt cannot name the current kernel (${(e as Error).message}); using ${pkg.packageName} ${pkg.version} from the cache`);
  }
  const release = pkg.packageName.replace(/^linux-image-/, '');
  const root = join(kernelDir, `${pkg.packageName}_${pkg.version}`);
  const tree: KernelTree = {
    ...pkg,
    release,
    root,
    vmlinuz: join(root, 'boot', `vmlinuz-${release}`),
    modulesDir: join(root, 'lib', 'modules', release),
  };
  if (existsSync(join(root, '.complete'))) return tree;
  const deb = await downloadDeb(pkg.packageName, pkg.version, log, join(cache, 'debs'));
  const work = join(kernelDir, `.unpack-${process.pid}-${Date.now()}`);
  await mkdir(work, { recursive: true });
  try {
    log(`unpacking ${pkg.packageName} ${pkg.version} (dpkg-deb -x)`);
    await tool('dpkg-deb', ['-x', deb, work]);
    log(`indexing its modules (busybox depmod -b … ${release})`);
    await tool('busybox', ['depmod', '-b', work, release]);
    if (!existsSync(join(work, 'boot', `vmlinuz-${release}`)) || !existsSync(join(work, 'lib', 'modules', release, 'modules.dep')))
      throw unavailable(`${pkg.packageName} ${pkg.version} has no boot/vmlinuz-${release} or module index`, 'is it a Debian kernel image package?');
    await writeFile(join(work, '.complete'), `${pkg.packageName} ${pkg.version}\n`);
    try {
      await rename(work, root);
    } catch (e) {
      // Another build unpacked the same version at the same time: use theirs.
      if (!existsSync(join(root, '.complete'))) throw e;
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return tree;
}

/** Which installed Debian package owns each path (dpkg-query -S), and the packages' versions. */
export async function owningPackages(paths: readonly string[]): Promise<Array<{ name: string; version: string }>> {
  const names = new Set<string>();
  // Merged /usr: dpkg may know a file as /sbin/mkntfs or /lib/…/libc.so.6 while it is found as /usr/sbin/… (or the other way).
  const aliases = (p: string): string[] => {
    const m = /^\/usr(\/(?:s?bin|lib|lib64)\/.*)$/.exec(p) ?? /^(\/(?:s?bin|lib|lib64)\/.*)$/.exec(p);
    if (!m) return [p];
    return [p, p.startsWith('/usr/') ? m[1]! : `/usr${m[1]}`];
  };
  const unique = [...new Set(paths.flatMap(aliases))];
  for (let i = 0; i < unique.length; i += 200) {
    let out: string;
    try {
      out = await tool('dpkg-query', ['-S', ...unique.slice(i, i + 200)], { okCodes: [0, 1] });
    } catch {
      continue;
    }
    for (const line of out.split('\n')) {
      const m = /^([^:\s,]+)(?::[a-z0-9]+)?(?:, [^:]+)*: \//.exec(line);
      if (m) names.add(m[1]!);
    }
  }
  if (!names.size) return [];
  const out = await tool('dpkg-query', ['-W', '-f', '${Package}\\t${Version}\\n', ...[...names].sort()], { okCodes: [0, 1] });
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [name, version] = l.split('\t');
      return { name: name!, version: version! };
    })
    .filter((p) => p.version)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

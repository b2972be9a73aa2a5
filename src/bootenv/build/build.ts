/**
 * `osd boot-image build`: the boot environment folder (team contract C2) from Debian packages only
 * (netboot.md §2): the Debian kernel, and an initramfs holding busybox (static), the kernel modules
 * the boot environment needs (with any added drivers), /init (C3), the disk tools the storage layer
 * drives with their libraries, Node, and the agent bundled into one file. The initramfs is a newc
 * cpio written here (same inputs → same bytes) and compressed with `zstd -10 -T2`.
 *
 * Same inputs, same output: the folder keeps the fingerprint of what went in (`inputs`); a build
 * whose fingerprint is already there leaves the folder as it is (`force` rebuilds).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, openSync, closeSync, readFileSync, statSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { arch as hostArch } from 'node:os';
import { join, resolve } from 'node:path';
import { OsdError } from '../../common/errors.js';
import {
  BOOT_ENV_ARCHITECTURES,
  BOOT_ENV_INITRD_FILE,
  BOOT_ENV_KERNEL_FILE,
  BOOT_ENV_MANIFEST_FILE,
  BOOT_ENV_SCHEMA,
  type BootEnvArchitecture,
  type BootImageManifest,
  parseBootImageManifest,
} from '../../common/boot-image-manifest.js';
import { InputError } from '../../sequence/input-error.js';
import { findNativeHelper } from '../../storage/volume/ntfsfs.js';
import { findTool } from '../../storage/tools.js';
import { bundleAgent } from './agent-bundle.js';
import { writeCpio, sourceDateEpoch } from './cpio.js';
import { type KernelTree, type Log, fetchDebianKernel, owningPackages } from './debian.js';
import { AGENT_PATH, MODULES_LIST, NATIVE_DIR, NODE_PATH, TOOLS_LIST, UDHCPC_SCRIPT, initScript } from './init-script.js';

/** The native helpers copied into the boot environment (native/*.c, built into .tmp/native by `make deps`). */
const NATIVE_HELPERS = ['ntfsfs', 'ntfsmkdir', 'streamcheck'] as const;
import { DEFAULT_MODULES, type AddedDriver, driverFiles, moduleClosure, moduleName, readDriversDir, readModuleIndex } from './modules.js';
import { InitramfsTree, LibraryResolver } from './tree.js';

/** Bumped when the builder's output changes for the same packages (part of the fingerprint). */
const BUILDER_FORMAT = 'osd-bootenv-builder/2';
const ZSTD_ARGS = ['-10', '-T2', '-q', '-c'];

/** The disk tools the storage layer drives inside the boot environment, and the Debian package of each. */
export const BOOT_ENV_TOOLS: ReadonlyArray<{ tool: string; pkg: string; host?: string; at?: string; optional?: boolean }> = [
  { tool: 'sfdisk', pkg: 'fdisk' },
  { tool: 'sgdisk', pkg: 'gdisk' },
  { tool: 'wipefs', pkg: 'util-linux' },
  { tool: 'blockdev', pkg: 'util-linux' },
  { tool: 'partx', pkg: 'util-linux', optional: true },
  { tool: 'mkfs.fat', pkg: 'dosfstools' },
  { tool: 'fsck.fat', pkg: 'dosfstools' },
  { tool: 'mke2fs', pkg: 'e2fsprogs' },
  { tool: 'mkntfs', pkg: 'ntfs-3g' },
  { tool: 'ntfsls', pkg: 'ntfs-3g' },
  { tool: 'ntfscat', pkg: 'ntfs-3g' },
  { tool: 'ntfscp', pkg: 'ntfs-3g' },
  { tool: 'ntfsinfo', pkg: 'ntfs-3g' },
  { tool: 'ntfsfix', pkg: 'ntfs-3g' },
  { tool: 'ntfslabel', pkg: 'ntfs-3g', optional: true },
  { tool: 'wimlib-imagex', pkg: 'wimtools' },
  ...['mformat', 'mcopy', 'mmd', 'mdir', 'mtype', 'mdel', 'mdeltree', 'mattrib', 'mlabel'].map((tool) => ({ tool, pkg: 'mtools' })),
  { tool: 'grub-bios-setup', pkg: 'grub-pc-bin', host: '/usr/lib/grub/i386-pc/grub-bios-setup', at: '/usr/sbin/grub-bios-setup' },
];

export interface BuildBootEnvOptions {
  arch: string;
  /** A folder of added kernel modules (.ko), its subfolders too. */
  driversDir?: string;
  /** Where the folder is written (created; its three files replaced). */
  outDir: string;
  /** Build even when the folder already holds a build of the same inputs. */
  force?: boolean;
  /** Progress lines. */
  log?: Log;
  /** The agent's entry, relative to the project or absolute (tests); default src/bootenv/guest/main.ts, else a placeholder. */
  agentEntry?: string;
  cacheDir?: string;
}

export interface BuildBootEnvResult {
  dir: string;
  manifest: BootImageManifest;
  /** false: the folder already held this build. */
  built: boolean;
  seconds: number;
}

function sha256File(path: string): Promise<string> {
  return new Promise((res, rej) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (b) => h.update(b))
      .on('error', rej)
      .on('end', () => res(h.digest('hex')));
  });
}

export function checkArch(arch: string): BootEnvArchitecture {
  if (!(BOOT_ENV_ARCHITECTURES as readonly string[]).includes(arch))
    throw new InputError({
      input: `--arch ${arch}`,
      rule: `is not an architecture a boot environment can be built for (${BOOT_ENV_ARCHITECTURES.join(', ')})`,
      hint: 'use --arch x64',
    });
  if (hostArch() !== 'x64')
    throw new InputError({
      input: `--arch ${arch}`,
      rule: `the x64 boot environment takes its tools from this machine, which is ${hostArch()}`,
      hint: 'build it on an x64 Debian machine',
    });
  return arch as BootEnvArchitecture;
}

/** The archive path of a host tool: real tools live in /usr/sbin and /usr/bin (busybox's applets are in /bin). */
function toolPath(host: string): string {
  return host.replace(/^\/(s?bin)\//, '/usr/$1/').replace(/^\/usr\/local\//, '/usr/');
}

async function modulesInto(tree: InitramfsTree, kernel: KernelTree, drivers: AddedDriver[], driversDir: string | undefined, log: Log): Promise<string[]> {
  const index = await readModuleIndex(kernel.modulesDir);
  const wanted = DEFAULT_MODULES.filter((m) => index.byName.has(m) || index.builtin.has(m));
  for (const m of DEFAULT_MODULES) if (!wanted.includes(m)) log(`the kernel ${kernel.release} has no module ${m}: left out`);
  const depNames = drivers.flatMap((d) => d.depends.filter((n) => !drivers.some((x) => x.name === n)));
  const base = moduleClosure(index, [...wanted, ...depNames]);
  // The graph of everything carried: kernel modules by path, then the added drivers.
  const deps = new Map<string, string[]>();
  for (const m of index.byName.values()) deps.set(m.path, m.deps);
  const driverPath = new Map(drivers.map((d) => [d.name, d.path]));
  const pathOf = (name: string): string | undefined => driverPath.get(name) ?? index.byName.get(name)?.path;
  for (const d of drivers)
    deps.set(
      d.path,
      d.depends.map(pathOf).filter((p): p is string => !!p),
    );
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (p: string): void => {
    if (seen.has(p)) return;
    seen.add(p);
    for (const d of deps.get(p) ?? []) visit(d);
    order.push(p);
  };
  for (const p of base.paths) visit(p);
  // An added driver with the name of a kernel module replaces it.
  const replaced = new Set(drivers.map((d) => index.byName.get(d.name)?.path).filter((p): p is string => !!p));
  for (const d of drivers) visit(d.path);
  const carried = order.filter((p) => !replaced.has(p));
  const mdir = `/lib/modules/${kernel.release}`;
  const depLines: string[] = [];
  for (const p of carried) {
    // modules.dep lists every module a module needs, the one to load first last (as depmod writes it).
    const closure: string[] = [];
    const s = new Set<string>();
    const walk = (q: string): void => {
      for (const d of deps.get(q) ?? []) {
        const dd = replaced.has(d) ? (driverPath.get(moduleName(d)) ?? d) : d;
        if (s.has(dd)) continue;
        s.add(dd);
        walk(dd);
        closure.push(dd);
      }
    };
    walk(p);
    depLines.push(`${p}:${closure.length ? ` ${closure.reverse().join(' ')}` : ''}`);
    const driver = drivers.find((d) => d.path === p);
    tree.file(`${mdir}/${p}`, driver ? driver.source : join(kernel.modulesDir, p), 0o644);
  }
  tree.data(`${mdir}/modules.dep`, `${depLines.join('\n')}\n`);
  for (const f of ['modules.builtin', 'modules.builtin.modinfo', 'modules.order'])
    if (existsSync(join(kernel.modulesDir, f))) tree.file(`${mdir}/${f}`, join(kernel.modulesDir, f), 0o644);
  // Firmware the added drivers may ask for: the drivers folder's firmware/ first, then this machine's
  // /lib/firmware (Debian's firmware-* packages). A missing one is said, not an error: a driver
  // lists the firmware of every chip it knows, and most chips need none or only one.
  for (const d of drivers) {
    const missing: string[] = [];
    for (const f of d.firmware) {
      const candidates = [...(driversDir ? [join(driversDir, 'firmware', f)] : []), join('/lib/firmware', f)];
      const found = candidates.find((p) => existsSync(p) && statSync(p).isFile());
      if (!found) missing.push(f);
      else if (!tree.has(`/lib/firmware/${f}`)) tree.file(`/lib/firmware/${f}`, found, 0o644);
    }
    if (missing.length)
      log(
        `${d.name}: ${missing.length} of its ${d.firmware.length} firmware file(s) are neither in the drivers folder's firmware/ nor in /lib/firmware, left out: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`,
      );
  }
  const names = carried.map(moduleName);
  // Load order: the defaults and the added drivers by name (modprobe brings their dependencies).
  tree.data(MODULES_LIST, `${[...new Set([...wanted.filter((m) => index.byName.has(m)), ...drivers.map((d) => d.name)])].join('\n')}\n`);
  return [...new Set(names)].sort();
}

async function toolsInto(tree: InitramfsTree, libs: LibraryResolver, log: Log): Promise<string[]> {
  const listed: string[] = [];
  for (const t of BOOT_ENV_TOOLS) {
    const host = t.host && existsSync(t.host) ? t.host : findTool(t.tool);
    if (!host) {
      if (t.optional) {
        log(`${t.tool} is not installed here (Debian package ${t.pkg}): left out`);
        continue;
      }
      throw new OsdError('fault', {
        input: t.tool,
        rule: `the boot environment needs ${t.tool}, which is not installed`,
        hint: `install the Debian package ${t.pkg} (scripts/system-packages.sh does it as root)`,
      });
    }
    const at = t.at ?? toolPath(host);
    await tree.program(at, host, libs);
    listed.push(at);
  }
  if (findTool('mke2fs') && existsSync('/etc/mke2fs.conf')) tree.file('/etc/mke2fs.conf', '/etc/mke2fs.conf', 0o644);
  // mtools converts every FAT name and label to the DOS code page through glibc's iconv: without the
  // gconv module mformat fails ("Error converting to codepage 850") and so does Format and Partition
  // Disk's ESP. The cache names the modules; IBM850 is mtools' default, IBM437 the other one in use.
  for (const name of ['gconv-modules.cache', 'IBM850.so', 'IBM437.so']) {
    const host = `${GCONV_DIR}/${name}`;
    if (!existsSync(host)) log(`${host} is not here (glibc's gconv modules, Debian package libc6): mtools cannot convert FAT names without it`);
    else if (name.endsWith('.so')) await tree.program(host, host, libs);
    else tree.file(host, host, 0o644);
  }
  return listed;
}

/** glibc's iconv modules (mtools): the same path inside the initramfs as here. */
const GCONV_DIR = '/usr/lib/x86_64-linux-gnu/gconv';

/**
 * Plans the initramfs: everything it will hold, by path (nothing is copied yet), and the facts the
 * manifest needs.
 */
export async function planInitramfs(options: { kernel: KernelTree; drivers: AddedDriver[]; driversDir?: string; agentEntry?: string; log: Log }) {
  const { kernel, drivers, log } = options;
  const tree = new InitramfsTree();
  const libs = new LibraryResolver();
  for (const d of ['/bin', '/sbin', '/usr/bin', '/usr/sbin', '/etc', '/proc', '/sys', '/dev', '/run', '/tmp', '/mnt', '/root', '/var', '/opt/osd']) tree.dir(d);
  tree.dir('/tmp', 0o1777);
  tree.chardev('/dev/console', 5, 1, 0o600);
  tree.chardev('/dev/null', 1, 3, 0o666);

  const busybox = findTool('busybox');
  if (!busybox) throw new OsdError('fault', { input: 'busybox', rule: 'busybox is not installed', hint: 'install the Debian package busybox-static' });
  if ((await libs.of(busybox)).length)
    throw new OsdError('fault', { input: busybox, rule: 'is not a static busybox', hint: 'install the Debian package busybox-static (not busybox)' });
  tree.file('/bin/busybox', busybox, 0o755);
  tree.symlink('/bin/sh', 'busybox');
  tree.data('/init', initScript(kernel.release), 0o755);
  tree.data('/etc/udhcpc.script', UDHCPC_SCRIPT, 0o755);
  tree.data('/etc/passwd', 'root:x:0:0:root:/run/osd:/bin/sh\n');
  tree.data('/etc/group', 'root:x:0:\n');
  tree.data('/etc/hostname', 'osd-bootenv\n');

  const driverNames = await modulesInto(tree, kernel, drivers, options.driversDir, log);
  const tools = await toolsInto(tree, libs, log);

  const node = process.execPath;
  await tree.program(NODE_PATH, node, libs);
  // ntfsfs/ntfsmkdir: the NTFS helpers; streamcheck: the streamed apply's check (src/bootenv/guest/stream-apply.ts).
  for (const helper of NATIVE_HELPERS) {
    const found = findNativeHelper(helper);
    if (!found)
      throw new OsdError('fault', {
        input: helper,
        rule: `the ${helper} helper (native/${helper}.c) is not built`,
        hint: `run \`make deps\` (gcc and ntfs-3g-dev build .tmp/native/${helper}), or set OSD_${helper.toUpperCase()}`,
      });
    await tree.program(`${NATIVE_DIR}/${helper}`, found, libs);
  }
  tree.data(TOOLS_LIST, `${[...tools, NODE_PATH, ...NATIVE_HELPERS.map((h) => `${NATIVE_DIR}/${h}`)].join('\n')}\n`);

  const agent = await bundleAgent({ entry: options.agentEntry });
  log(
    agent.placeholder
      ? 'agent: src/bootenv/guest/main.ts is not there yet: a placeholder that fails says so'
      : `agent: ${agent.entry} bundled (${(agent.code.length / 1024).toFixed(0)} KiB)`,
  );
  tree.data(AGENT_PATH, agent.code, 0o755);
  return { tree, agent, driverNames, busybox, node };
}

function compressInto(tree: InitramfsTree, file: string, mtime: number): Promise<number> {
  return new Promise((res, rej) => {
    const fd = openSync(file, 'w');
    const zstd = findTool('zstd');
    if (!zstd) {
      closeSync(fd);
      rej(new OsdError('fault', { input: 'zstd', rule: 'zstd is not installed', hint: 'install the Debian package zstd' }));
      return;
    }
    const child = spawn(zstd, ZSTD_ARGS, { stdio: ['pipe', fd, 'pipe'] });
    closeSync(fd);
    const stdin = child.stdin!;
    let err = '';
    child.stderr!.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-2000)));
    let written = 0;
    let failed: unknown;
    stdin.on('error', (e) => (failed ??= e));
    writeCpio(tree.list(), stdin, mtime)
      .then((n) => {
        written = n;
        stdin.end();
      })
      .catch((e) => {
        failed = e;
        child.kill();
      });
    child.on('error', rej);
    child.on('close', (code) => {
      if (failed) rej(failed);
      else if (code !== 0) rej(new OsdError('fault', { input: 'zstd', rule: `zstd ${ZSTD_ARGS.join(' ')} exited with code ${code}: ${err.trim()}` }));
      else res(written);
    });
  });
}

/** Reads the manifest of a boot environment folder (bad input naming the folder when it is not one). */
export async function readBootEnvManifest(dir: string): Promise<BootImageManifest> {
  const file = join(dir, BOOT_ENV_MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new InputError({ input: dir, rule: `holds no ${BOOT_ENV_MANIFEST_FILE}`, hint: 'build one with `osd boot-image build --out DIR`' });
  }
  return parseBootImageManifest(text, file);
}

function upToDate(dir: string, inputs: string): BootImageManifest | undefined {
  try {
    const m = parseBootImageManifest(readFileSync(join(dir, BOOT_ENV_MANIFEST_FILE), 'utf8'));
    if (m.inputs !== inputs) return undefined;
    if (statSync(join(dir, m.kernel.file)).size !== m.kernel.bytes || statSync(join(dir, m.initrd.file)).size !== m.initrd.bytes) return undefined;
    return m;
  } catch {
    return undefined;
  }
}

export async function buildBootEnv(options: BuildBootEnvOptions): Promise<BuildBootEnvResult> {
  const t0 = Date.now();
  const log = options.log ?? (() => {});
  const arch = checkArch(options.arch);
  const outDir = resolve(options.outDir);
  if (existsSync(outDir) && !statSync(outDir).isDirectory())
    throw new InputError({ input: `--out ${options.outDir}`, rule: 'is a file, not a folder', hint: 'name a folder (it is created)' });
  const since = (t: number): string => `${((Date.now() - t) / 1000).toFixed(1)} s`;

  // The drivers folder's own faults (missing, empty) before any download.
  if (options.driversDir) await driverFiles(options.driversDir);
  let t = Date.now();
  const kernel = await fetchDebianKernel({ log, cacheDir: options.cacheDir });
  log(`kernel: ${kernel.packageName} ${kernel.version} (${since(t)})`);
  const drivers = options.driversDir ? await readDriversDir(options.driversDir, kernel.release, await readModuleIndex(kernel.modulesDir)) : [];
  for (const d of drivers) log(`driver: ${d.name} from ${d.source}${d.depends.length ? ` (needs ${d.depends.join(', ')})` : ''}`);

  t = Date.now();
  const plan = await planInitramfs({ kernel, drivers, driversDir: options.driversDir, agentEntry: options.agentEntry, log });
  const mtime = sourceDateEpoch();
  const kst = statSync(kernel.vmlinuz);
  const inputs = plan.tree.fingerprint([
    BUILDER_FORMAT,
    arch,
    `${kernel.packageName} ${kernel.version}`,
    `${kst.size} ${kst.mtimeMs}`,
    `mtime ${mtime}`,
    ZSTD_ARGS.join(' '),
  ]);
  log(`initramfs planned: ${plan.tree.list().length} entries (${since(t)})`);

  const existing = options.force ? undefined : upToDate(outDir, inputs);
  if (existing) {
    log(`${outDir} already holds this build (inputs ${inputs.slice(0, 12)}): nothing to do`);
    return { dir: outDir, manifest: existing, built: false, seconds: (Date.now() - t0) / 1000 };
  }

  await mkdir(outDir, { recursive: true });
  const tmp = (f: string): string => join(outDir, `.${f}.${process.pid}.tmp`);
  try {
    t = Date.now();
    log(`writing the initramfs (cpio newc | zstd ${ZSTD_ARGS.slice(0, 2).join(' ')})`);
    const raw = await compressInto(plan.tree, tmp(BOOT_ENV_INITRD_FILE), mtime);
    const initrdBytes = statSync(tmp(BOOT_ENV_INITRD_FILE)).size;
    log(`initramfs: ${(raw / 1048576).toFixed(1)} MiB → ${(initrdBytes / 1048576).toFixed(1)} MiB (${since(t)})`);
    await copyFile(kernel.vmlinuz, tmp(BOOT_ENV_KERNEL_FILE));
    const [kernelSha, initrdSha] = await Promise.all([sha256File(tmp(BOOT_ENV_KERNEL_FILE)), sha256File(tmp(BOOT_ENV_INITRD_FILE))]);
    const hostFiles = [...plan.tree.hostFiles].filter((f) => !f.startsWith(kernel.root));
    const packages = [{ name: kernel.packageName, version: kernel.version }, ...(await owningPackages(hostFiles))]
      .filter((p, i, all) => all.findIndex((q) => q.name === p.name) === i)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const manifest: BootImageManifest = {
      schema: BOOT_ENV_SCHEMA,
      name: `OpenOSD boot environment (${arch})`,
      architecture: arch,
      version: `${kernel.version}+osd.${plan.agent.sha256.slice(0, 8)}`,
      kernel: { file: BOOT_ENV_KERNEL_FILE, bytes: kst.size, sha256: kernelSha, release: kernel.release },
      initrd: { file: BOOT_ENV_INITRD_FILE, bytes: initrdBytes, sha256: initrdSha },
      agent: { sha256: plan.agent.sha256, ...(plan.agent.placeholder ? { placeholder: true } : {}) },
      drivers: plan.driverNames,
      packages,
      inputs,
      built: new Date().toISOString(),
    };
    await rename(tmp(BOOT_ENV_KERNEL_FILE), join(outDir, BOOT_ENV_KERNEL_FILE));
    await rename(tmp(BOOT_ENV_INITRD_FILE), join(outDir, BOOT_ENV_INITRD_FILE));
    await writeFile(tmp(BOOT_ENV_MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    await rename(tmp(BOOT_ENV_MANIFEST_FILE), join(outDir, BOOT_ENV_MANIFEST_FILE));
    log(`boot environment ${manifest.version} written to ${outDir} (${since(t0)})`);
    return { dir: outDir, manifest, built: true, seconds: (Date.now() - t0) / 1000 };
  } finally {
    for (const f of [BOOT_ENV_KERNEL_FILE, BOOT_ENV_INITRD_FILE, BOOT_ENV_MANIFEST_FILE]) await rm(tmp(f), { force: true });
  }
}

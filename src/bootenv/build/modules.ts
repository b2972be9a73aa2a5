/**
 * Kernel modules for the initramfs (netboot.md §2): Debian builds virtio, ext4 and vfat as modules,
 * so the initramfs carries them and everything they depend on — the closure read from the kernel's
 * modules.dep — in an order busybox modprobe can load. Added drivers (`--drivers DIR`) are checked
 * (an ELF kernel module built for this kernel's release) and their own dependencies are added too.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { InputError } from '../../sequence/input-error.js';

/**
 * The modules every boot environment loads: virtual hardware (virtio PCI, network, disks, SCSI),
 * common real disk controllers and network cards, the file systems the agent may mount, and
 * efivarfs. crc32c is named because ext4 asks for it by crypto name, not through modules.dep.
 */
export const DEFAULT_MODULES = [
  'virtio_pci',
  'virtio_net',
  'virtio_blk',
  'virtio_scsi',
  'sd_mod',
  'ahci',
  'nvme',
  'e1000',
  'e1000e',
  'crc32c_generic',
  'crc32c_intel',
  'ext4',
  'vfat',
  'nls_cp437',
  'nls_iso8859_1',
  'nls_utf8',
  'efivarfs',
] as const;

/** A module's name as the kernel spells it: the file name without .ko, dashes as underscores. */
export function moduleName(file: string): string {
  return basename(file)
    .replace(/\.ko(\.(xz|zst|gz))?$/, '')
    .replace(/-/g, '_');
}

export interface ModuleIndex {
  /** module name → its path relative to the modules folder, and the paths it depends on. */
  byName: Map<string, { path: string; deps: string[] }>;
  /** names of modules built into the kernel (modprobe needs nothing for them). */
  builtin: Set<string>;
}

export function parseModulesDep(text: string, builtinText = ''): ModuleIndex {
  const byName = new Map<string, { path: string; deps: string[] }>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const path = line.slice(0, i).trim();
    const deps = line
      .slice(i + 1)
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    byName.set(moduleName(path), { path, deps });
  }
  const builtin = new Set(
    builtinText
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .map(moduleName),
  );
  return { byName, builtin };
}

export async function readModuleIndex(modulesDir: string): Promise<ModuleIndex> {
  const dep = await readFile(join(modulesDir, 'modules.dep'), 'utf8');
  let builtin = '';
  try {
    builtin = await readFile(join(modulesDir, 'modules.builtin'), 'utf8');
  } catch {
    /* a kernel without built-ins listed */
  }
  return parseModulesDep(dep, builtin);
}

/**
 * The module paths (relative to the modules folder) to carry for `names`, each after the modules it
 * depends on, in a stable order. Built-in names need nothing; an unknown name is an error naming it.
 */
export function moduleClosure(index: ModuleIndex, names: readonly string[], input = 'modules'): { paths: string[]; loaded: string[]; builtin: string[] } {
  const paths: string[] = [];
  const seen = new Set<string>();
  const loaded: string[] = [];
  const builtin: string[] = [];
  const byPath = new Map([...index.byName.values()].map((m) => [m.path, m]));
  const visit = (path: string): void => {
    if (seen.has(path)) return;
    seen.add(path);
    for (const d of byPath.get(path)?.deps ?? []) visit(d);
    paths.push(path);
  };
  for (const raw of names) {
    const name = raw.replace(/-/g, '_');
    const m = index.byName.get(name);
    if (m) {
      visit(m.path);
      loaded.push(name);
    } else if (index.builtin.has(name)) builtin.push(name);
    else
      throw new InputError({
        input,
        rule: `the kernel has no module named ${raw}`,
        hint: 'name a module of the Debian kernel (lib/modules/<release>/modules.dep)',
      });
  }
  return { paths, loaded, builtin };
}

/** What a kernel module's .modinfo section says (the NUL-separated `key=value` strings). */
export function readModinfo(bytes: Buffer): { name?: string; vermagic?: string; depends: string[]; firmware: string[] } {
  const all = (key: string): string[] => {
    const needle = Buffer.from(`\0${key}=`);
    const out: string[] = [];
    for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) {
      const start = at + needle.length;
      const end = bytes.indexOf(0, start);
      out.push(bytes.toString('latin1', start, end < 0 ? bytes.length : end));
    }
    return out;
  };
  const depends = (all('depends')[0] ?? '')
    .split(',')
    .map((d) => d.trim())
    .filter(Boolean);
  // Firmware names are relative paths under /lib/firmware; anything else is not taken.
  const firmware = [...new Set(all('firmware'))].filter((f) => /^[\w.+-]+(\/[\w.+-]+)*$/.test(f) && !f.split('/').includes('..')).sort();
  return { name: all('name')[0], vermagic: all('vermagic')[0], depends, firmware };
}

export interface AddedDriver {
  /** The module's name. */
  name: string;
  /** Its file on this machine. */
  source: string;
  /** Where it goes under the modules folder: `updates/osd/<file>.ko`. */
  path: string;
  /** The names it depends on. */
  depends: string[];
  /** The firmware files it may ask for (`firmware=` in its .modinfo), relative to /lib/firmware. */
  firmware: string[];
}

async function koFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && e.name.endsWith('.ko')) out.push(p);
    }
  };
  await walk(dir);
  return out;
}

/**
 * The `.ko` files of a drivers folder (its subfolders too), each checked: an ELF file whose
 * vermagic names this kernel's release, whose dependencies the kernel or the folder provides. Bad
 * input names the folder or the file, the rule and a fix.
 */
export async function readDriversDir(dir: string, release: string, index: ModuleIndex, input = '--drivers'): Promise<AddedDriver[]> {
  const files = await driverFiles(dir, release, input);
  return checkDrivers(files, dir, release, index, input);
}

/** The folder's .ko files (the checks that need no kernel: it exists, is a folder, holds at least one). */
export async function driverFiles(dir: string, release?: string, input = '--drivers'): Promise<string[]> {
  let st;
  try {
    st = await stat(dir);
  } catch {
    throw new InputError({ input: `${input} ${dir}`, rule: 'the folder does not exist', hint: 'name a folder holding kernel modules (.ko files)' });
  }
  if (!st.isDirectory()) throw new InputError({ input: `${input} ${dir}`, rule: 'is not a folder', hint: 'name a folder holding kernel modules (.ko files)' });
  const files = await koFiles(dir);
  if (!files.length)
    throw new InputError({
      input: `${input} ${dir}`,
      rule: 'the folder holds no kernel module (.ko file)',
      hint: `put the drivers' .ko files built for ${release ? `Linux ${release}` : "the boot environment's kernel"} there (compressed .ko.xz/.ko.zst: unpack them first)`,
    });
  return files;
}

async function checkDrivers(files: string[], dir: string, release: string, index: ModuleIndex, input: string): Promise<AddedDriver[]> {
  const drivers: AddedDriver[] = [];
  const names = new Map<string, string>();
  for (const source of files) {
    const bytes = await readFile(source);
    const shown = `${input} ${source}`;
    if (bytes.length < 64 || bytes.readUInt32BE(0) !== 0x7f454c46)
      throw new InputError({ input: shown, rule: 'is not a kernel module (not an ELF file)', hint: 'give .ko files built for the boot environment’s kernel' });
    const info = readModinfo(bytes);
    if (!info.vermagic)
      throw new InputError({
        input: shown,
        rule: 'is not a kernel module (no vermagic in its .modinfo)',
        hint: 'give .ko files built for the boot environment’s kernel',
      });
    const built = info.vermagic.split(' ')[0];
    if (built !== release)
      throw new InputError({
        input: shown,
        rule: `was built for Linux ${built}, not for the boot environment's kernel ${release}`,
        hint: `rebuild it against linux-headers-${release}`,
      });
    const name = info.name ?? moduleName(source);
    if (names.has(name))
      throw new InputError({ input: shown, rule: `a second module named ${name} (the first: ${names.get(name)})`, hint: 'keep one of them' });
    names.set(name, source);
    drivers.push({ name, source, path: `updates/osd/${relative(dir, source).replace(/[\\/]/g, '_')}`, depends: info.depends, firmware: info.firmware });
  }
  for (const d of drivers)
    for (const dep of d.depends)
      if (!names.has(dep) && !index.byName.has(dep) && !index.builtin.has(dep))
        throw new InputError({
          input: `${input} ${d.source}`,
          rule: `depends on the module ${dep}, which neither the kernel ${release} nor the folder has`,
          hint: `add ${dep}.ko to the folder`,
        });
  return drivers;
}

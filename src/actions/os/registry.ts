/**
 * The installed OS's registry, offline: the hives of a Windows volume as handlers read and change
 * them (Setup Windows records the answer file's settings, Capture Windows Settings reads them, an
 * installer's `.reg` file is imported). The lab's test OS keeps its hives as `.reg` TEXT exports
 * (src/lab/test-content/windows-tree.ts) at the hive files' real paths; this module parses and
 * writes that form — never the binary regf format (docs/full-os.md "The registry").
 *
 * Key paths are written as `reg.exe` takes them: `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion`
 * (or `HKEY_LOCAL_MACHINE\…`). The hive files:
 *
 * | key                       | file on the OS volume                  |
 * |---------------------------|----------------------------------------|
 * | HKLM\SOFTWARE             | Windows\System32\config\SOFTWARE       |
 * | HKLM\SYSTEM               | Windows\System32\config\SYSTEM         |
 * | HKLM\SAM                  | Windows\System32\config\SAM            |
 * | HKLM\SECURITY             | Windows\System32\config\SECURITY       |
 * | HKU\.DEFAULT              | Windows\System32\config\DEFAULT        |
 * | HKU\<profile folder>      | Users\<profile folder>\NTUSER.DAT      |
 * | HKCR                      | HKLM\SOFTWARE\Classes                  |
 *
 * `HKLM\SYSTEM\CurrentControlSet` is the control set `HKLM\SYSTEM\Select` "Current" names
 * (ControlSet001 when there is none), as Windows maps it at boot. Hives are read when first used;
 * SOFTWARE and SYSTEM must exist (the volume is an installed Windows). A machine hive that does not
 * exist yet (SAM on the test OS) is empty and is created when something is written to it; a user
 * hive must exist to be written. Names are case-insensitive and keep the case they were created
 * with. `save()` writes back only the hives that changed, keys depth first in case-insensitive order,
 * values in the order they were created, in the format and encoding the file had (REGEDIT4 as
 * UTF-8, version 5.00 as UTF-16LE with a BOM when it had one); comments before the first key are
 * kept, later ones are not.
 */
import { OsdError } from '../../common/errors.js';
import type { VolumeFiles } from '../computer.js';

/** ERROR_BADDB as an HRESULT: "The configuration registry database is corrupt." */
export const REGISTRY_CORRUPT = 0x800703f1;
/** ERROR_BADKEY as an HRESULT: "The configuration registry key is invalid." */
export const REGISTRY_BAD_KEY = 0x800703f2;
/** ERROR_FILE_NOT_FOUND as an HRESULT. */
const FILE_NOT_FOUND = 0x80070002;

/** A hive file larger than this is refused (the test OS's are a few KB; a real SOFTWARE export is ~100 MB of text). */
export const MAX_HIVE_BYTES = 64 * 1024 * 1024;
/** Windows' limits: a key name 255 characters, a value name 16,383, nesting 512 levels. */
const MAX_KEY_NAME = 255;
const MAX_VALUE_NAME = 16_383;
const MAX_DEPTH = 512;

export type RegistryValue =
  | { type: 'REG_SZ'; data: string }
  | { type: 'REG_EXPAND_SZ'; data: string }
  | { type: 'REG_MULTI_SZ'; data: string[] }
  | { type: 'REG_DWORD'; data: number }
  | { type: 'REG_QWORD'; data: bigint }
  | { type: 'REG_BINARY'; data: Buffer }
  /** Any other type (REG_NONE = 0, REG_LINK = 6, …): its number and raw bytes. */
  | { type: 'REG_RAW'; kind: number; data: Buffer };

export type RegistryType = RegistryValue['type'];

/** A registry fault or a malformed hive: names the hive file and line, carries ConfigMgr's code. */
export class RegistryError extends OsdError {
  readonly code: number;

  constructor(message: string, code: number, input?: string) {
    super('fault', { input, rule: message, exitCode: code }, input ? `${input}: ${message}` : message);
    this.name = 'RegistryError';
    this.code = code >>> 0;
  }
}

interface Value {
  name: string;
  value: RegistryValue;
}

class Key {
  readonly subkeys = new Map<string, Key>();
  readonly values = new Map<string, Value>();
  constructor(public name: string) {}

  child(name: string, create: boolean): Key | undefined {
    const k = name.toLowerCase();
    let c = this.subkeys.get(k);
    if (!c && create) {
      c = new Key(name);
      this.subkeys.set(k, c);
    }
    return c;
  }
}

type Format = 'REGEDIT4' | 'v5';

interface Hive {
  /** How callers name its root: `HKLM\SOFTWARE`, `HKU\alice`. */
  label: string;
  /** The file on the volume, `/`-separated. */
  file: string;
  /** `HKEY_LOCAL_MACHINE\SOFTWARE`: how its keys are written in the file. */
  prefix: string;
  /** Other prefixes accepted when reading (a user hive exported from HKEY_USERS\<name>). */
  aliases: string[];
  /** A machine hive may be created; a user hive must exist. */
  creatable: boolean;
  root: Key;
  format: Format;
  bom: boolean;
  header: string[];
  exists: boolean;
  dirty: boolean;
}

const CONFIG = 'Windows/System32/config';
const MACHINE_HIVES = ['SOFTWARE', 'SYSTEM', 'SAM', 'SECURITY'] as const;

const ROOTS: Record<string, string> = {
  HKLM: 'HKLM',
  HKEY_LOCAL_MACHINE: 'HKLM',
  HKU: 'HKU',
  HKEY_USERS: 'HKU',
  HKCR: 'HKCR',
  HKEY_CLASSES_ROOT: 'HKCR',
  HKCU: 'HKCU',
  HKEY_CURRENT_USER: 'HKCU',
};

/** `a\b\\c\` → ['a', 'b', 'c']. */
function splitKey(path: string): string[] {
  return path.split('\\').filter((p) => p !== '');
}

/** The registry of one installed Windows volume. */
export class OfflineRegistry {
  private readonly hives = new Map<string, Hive>();
  private currentControlSet: string | undefined;

  private constructor(readonly volume: VolumeFiles) {}

  /** The registry of an installed Windows on `volume`: RegistryError when it has no SOFTWARE or SYSTEM hive. */
  static async open(volume: VolumeFiles): Promise<OfflineRegistry> {
    for (const h of ['SOFTWARE', 'SYSTEM'])
      if (!(await volume.exists(`${CONFIG}/${h}`)))
        throw new RegistryError(
          `there is no installed Windows here: the ${h} hive (Windows\\System32\\config\\${h}) does not exist`,
          FILE_NOT_FOUND,
          volume.description,
        );
    return new OfflineRegistry(volume);
  }

  /** Whether a key exists. */
  async keyExists(key: string): Promise<boolean> {
    return (await this.find(key, false)) !== undefined;
  }

  /** A value; undefined when the key or the value does not exist. `''` is the key's default value. */
  async get(key: string, value: string): Promise<RegistryValue | undefined> {
    return (await this.find(key, false))?.key.values.get(value.toLowerCase())?.value;
  }

  /** A string value (REG_SZ, REG_EXPAND_SZ unexpanded, a REG_DWORD/QWORD in decimal, REG_MULTI_SZ joined by newlines). */
  async getString(key: string, value: string): Promise<string | undefined> {
    const v = await this.get(key, value);
    if (!v) return undefined;
    switch (v.type) {
      case 'REG_SZ':
      case 'REG_EXPAND_SZ':
        return v.data;
      case 'REG_DWORD':
      case 'REG_QWORD':
        return String(v.data);
      case 'REG_MULTI_SZ':
        return v.data.join('\n');
      default:
        return undefined;
    }
  }

  /** A REG_DWORD value (a REG_SZ holding a decimal number too); undefined otherwise. */
  async getDword(key: string, value: string): Promise<number | undefined> {
    const v = await this.get(key, value);
    if (v?.type === 'REG_DWORD') return v.data;
    if (v?.type === 'REG_SZ' && /^\d+$/.test(v.data.trim())) return Number(v.data.trim());
    return undefined;
  }

  /** The names of a key's subkeys, in case-insensitive order; [] when it does not exist. */
  async subkeys(key: string): Promise<string[]> {
    const found = await this.find(key, false);
    if (!found) return [];
    return sortedKeys(found.key).map((k) => k.name);
  }

  /** A key's values in the order they were created; [] when it does not exist. */
  async values(key: string): Promise<Array<{ name: string } & RegistryValue>> {
    const found = await this.find(key, false);
    if (!found) return [];
    return [...found.key.values.values()].map((v) => ({ name: v.name, ...v.value }));
  }

  /** Creates a key (and its parents); nothing when it exists. */
  async createKey(key: string): Promise<void> {
    const found = await this.find(key, true);
    if (found && !found.existed) found.hive.dirty = true;
  }

  /**
   * Sets a value (creating the key). `data` as its type needs it: a string (REG_SZ, REG_EXPAND_SZ), a
   * string[] (REG_MULTI_SZ), a number (REG_DWORD, 0…0xFFFFFFFF), a bigint or number (REG_QWORD), a
   * Buffer (REG_BINARY). The type defaults from the data: string → REG_SZ, number → REG_DWORD.
   */
  async set(key: string, value: string, data: string | string[] | number | bigint | Buffer, type?: RegistryType): Promise<void> {
    const v = toValue(data, type, `${key}\\${value}`);
    if (value.length > MAX_VALUE_NAME) throw new RegistryError(`the value name is longer than ${MAX_VALUE_NAME} characters`, REGISTRY_BAD_KEY, key);
    await this.setValue(key, value, v);
  }

  /** Sets a value as `get` returns it. */
  async setValue(key: string, value: string, v: RegistryValue): Promise<void> {
    const found = (await this.find(key, true))!;
    const existing = found.key.values.get(value.toLowerCase());
    if (existing && sameValue(existing.value, v)) return;
    found.key.values.set(value.toLowerCase(), { name: existing?.name ?? value, value: v });
    found.hive.dirty = true;
  }

  /** Deletes a value; true when it existed. */
  async deleteValue(key: string, value: string): Promise<boolean> {
    const found = await this.find(key, false);
    if (!found?.key.values.delete(value.toLowerCase())) return false;
    found.hive.dirty = true;
    return true;
  }

  /** Deletes a key and everything below it; true when it existed. A hive's root cannot be deleted. */
  async deleteKey(key: string): Promise<boolean> {
    const { hive, parts } = await this.resolve(key);
    if (parts.length === 0) throw new RegistryError(`a hive's root cannot be deleted`, REGISTRY_BAD_KEY, key);
    let k: Key | undefined = hive.root;
    for (const p of parts.slice(0, -1)) {
      k = k.child(p, false);
      if (!k) return false;
    }
    if (!k.subkeys.delete(parts[parts.length - 1].toLowerCase())) return false;
    hive.dirty = true;
    return true;
  }

  /**
   * Applies a `.reg` file's text (what `reg import` does): keys and values set, `[-KEY]` and
   * `"name"=-` delete. Its keys name their hive in full (`HKEY_LOCAL_MACHINE\SOFTWARE\…`,
   * `HKEY_USERS\<profile>\…`); HKEY_CURRENT_USER only with `currentUser` (a profile folder name).
   * Returns how many changes it made. RegistryError naming `source` and the line for bad text.
   */
  async import(text: string | Buffer, source: string, options: { currentUser?: string } = {}): Promise<number> {
    const parsed = parseReg(decode(text), source);
    let changes = 0;
    for (const op of parsed.ops) {
      let path = op.key;
      if (/^(HKEY_CURRENT_USER|HKCU)(\\|$)/i.test(path)) {
        if (!options.currentUser)
          throw new RegistryError(
            `HKEY_CURRENT_USER cannot be imported here: there is no user logged on (name HKEY_USERS\\<profile> instead)`,
            REGISTRY_BAD_KEY,
            `${source} line ${op.line}`,
          );
        path = path.replace(/^[^\\]+/, `HKU\\${options.currentUser}`);
      }
      try {
        if (op.kind === 'deleteKey') {
          if (await this.deleteKey(path)) changes++;
        } else if (op.kind === 'key') await this.createKey(path);
        else if (op.kind === 'deleteValue') {
          if (await this.deleteValue(path, op.name)) changes++;
        } else {
          await this.setValue(path, op.name, op.value);
          changes++;
        }
      } catch (e) {
        if (e instanceof RegistryError && !e.message.startsWith(source)) throw new RegistryError(e.message, e.code, `${source} line ${op.line}`);
        throw e;
      }
    }
    return changes;
  }

  /** The hive files that changed since they were read (or saved), `/`-separated. */
  changedHives(): string[] {
    return [...this.hives.values()].filter((h) => h.dirty).map((h) => h.file);
  }

  /** Writes the hives that changed back to the volume, in a fixed order (by file path). */
  async save(): Promise<string[]> {
    const changed = [...this.hives.values()].filter((h) => h.dirty).sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    for (const h of changed) {
      await this.volume.writeFile(h.file, serialize(h));
      h.dirty = false;
      h.exists = true;
    }
    return changed.map((h) => h.file);
  }

  /** The text a hive would be saved as (for tests and `osd` inspection). */
  async exportHive(root: string): Promise<string> {
    const { hive } = await this.resolve(root);
    return serialize(hive).toString(hive.format === 'v5' && hive.bom ? 'utf16le' : 'utf8');
  }

  // ——— resolution ———

  private async find(key: string, create: boolean): Promise<{ hive: Hive; key: Key; existed: boolean } | undefined> {
    const { hive, parts } = await this.resolve(key);
    if (parts.length + splitKey(hive.prefix).length > MAX_DEPTH)
      throw new RegistryError(`the key is nested deeper than ${MAX_DEPTH} levels`, REGISTRY_BAD_KEY, key);
    if (create && !hive.exists && !hive.creatable)
      throw new RegistryError(`the user hive ${hive.file.replace(/\//g, '\\')} does not exist (the profile has not been created)`, FILE_NOT_FOUND, key);
    let k = hive.root;
    let existed = true;
    for (const p of parts) {
      if (p.length > MAX_KEY_NAME) throw new RegistryError(`a key name is longer than ${MAX_KEY_NAME} characters`, REGISTRY_BAD_KEY, key);
      const c = k.child(p, false);
      if (!c) {
        if (!create) return undefined;
        existed = false;
      }
      k = c ?? k.child(p, true)!;
    }
    return { hive, key: k, existed };
  }

  /** The hive a key path is in and the path below the hive's root. */
  private async resolve(key: string): Promise<{ hive: Hive; parts: string[] }> {
    const all = splitKey(key);
    const root = ROOTS[(all[0] ?? '').toUpperCase()];
    if (!root) throw new RegistryError(`a key path starts with HKLM, HKEY_LOCAL_MACHINE, HKU or HKEY_USERS`, REGISTRY_BAD_KEY, key);
    let rest = all.slice(1);
    if (root === 'HKCU')
      throw new RegistryError(`HKEY_CURRENT_USER has no meaning offline (no user is logged on): name HKU\\<profile folder>`, REGISTRY_BAD_KEY, key);
    if (root === 'HKCR') rest = ['SOFTWARE', 'Classes', ...rest];
    if (root !== 'HKU' && root !== 'HKCR' && root !== 'HKLM') throw new RegistryError(`unknown root`, REGISTRY_BAD_KEY, key);
    if (rest.length === 0) throw new RegistryError(`the path names no hive (HKLM\\SOFTWARE, HKLM\\SYSTEM, HKU\\<profile> …)`, REGISTRY_BAD_KEY, key);
    const name = rest[0];
    let hive: Hive;
    if (root === 'HKU') {
      if (/[/:*?"<>|]/.test(name) || name === '..' || name === '.') throw new RegistryError(`"${name}" is not a profile folder name`, REGISTRY_BAD_KEY, key);
      hive =
        name.toUpperCase() === '.DEFAULT'
          ? await this.hive(`HKU\\.DEFAULT`, `${CONFIG}/DEFAULT`, 'HKEY_USERS\\.DEFAULT', [], true)
          : await this.hive(`HKU\\${name}`, `Users/${name}/NTUSER.DAT`, 'HKEY_CURRENT_USER', [`HKEY_USERS\\${name}`], false);
    } else {
      const machine = MACHINE_HIVES.find((h) => h === name.toUpperCase());
      if (!machine) throw new RegistryError(`HKLM\\${name} is not a hive on disk (SOFTWARE, SYSTEM, SAM, SECURITY are)`, REGISTRY_BAD_KEY, key);
      hive = await this.hive(`HKLM\\${machine}`, `${CONFIG}/${machine}`, `HKEY_LOCAL_MACHINE\\${machine}`, [], true);
    }
    let parts = rest.slice(1);
    if (hive.label === 'HKLM\\SYSTEM' && parts[0]?.toLowerCase() === 'currentcontrolset') parts = [await this.controlSet(hive), ...parts.slice(1)];
    return { hive, parts };
  }

  private async controlSet(system: Hive): Promise<string> {
    if (this.currentControlSet) return this.currentControlSet;
    const current = system.root.child('Select', false)?.values.get('current')?.value;
    const n = current?.type === 'REG_DWORD' && current.data > 0 && current.data < 1000 ? current.data : 1;
    this.currentControlSet = `ControlSet${String(n).padStart(3, '0')}`;
    return this.currentControlSet;
  }

  private async hive(label: string, file: string, prefix: string, aliases: string[], creatable: boolean): Promise<Hive> {
    const id = label.toLowerCase();
    const known = this.hives.get(id);
    if (known) return known;
    const hive: Hive = { label, file, prefix, aliases, creatable, root: new Key(''), format: 'REGEDIT4', bom: false, header: [], exists: false, dirty: false };
    const where = `${this.volume.description}: ${file.replace(/\//g, '\\')}`;
    const meta = await statOrExists(this.volume, file);
    if (meta && meta.type !== 'file') throw new RegistryError(`the hive is not a file`, REGISTRY_CORRUPT, where);
    if (meta) {
      if (meta.size > MAX_HIVE_BYTES) throw new RegistryError(`the hive is ${meta.size} bytes, over the limit of ${MAX_HIVE_BYTES}`, REGISTRY_CORRUPT, where);
      const bytes = await this.volume.readFile(file);
      if (bytes.length > MAX_HIVE_BYTES)
        throw new RegistryError(`the hive is ${bytes.length} bytes, over the limit of ${MAX_HIVE_BYTES}`, REGISTRY_CORRUPT, where);
      if (bytes.subarray(0, 4).toString('latin1') === 'regf')
        throw new RegistryError(`the hive is in the binary regf format; only .reg text exports are read here (docs/full-os.md)`, REGISTRY_CORRUPT, where);
      hive.bom = bytes[0] === 0xff && bytes[1] === 0xfe;
      const parsed = parseReg(decode(bytes), where);
      hive.format = parsed.format;
      hive.header = parsed.header;
      hive.exists = true;
      const prefixes = [prefix, ...aliases];
      for (const op of parsed.ops) {
        const rel = relativeTo(op.key, prefixes);
        // A user hive exported from HKEY_USERS\<name> is written back the way it was read.
        if (rel !== undefined && op === parsed.ops[0]) hive.prefix = prefixes.find((p) => relativeTo(op.key, [p]) !== undefined)!;
        if (rel === undefined)
          throw new RegistryError(`the key ${op.key} is not in this hive (its keys start with ${prefix})`, REGISTRY_CORRUPT, `${where} line ${op.line}`);
        if (rel.length + splitKey(prefix).length > MAX_DEPTH)
          throw new RegistryError(`the key is nested deeper than ${MAX_DEPTH} levels`, REGISTRY_CORRUPT, `${where} line ${op.line}`);
        if (rel.some((p) => p.length > MAX_KEY_NAME))
          throw new RegistryError(`a key name is longer than ${MAX_KEY_NAME} characters`, REGISTRY_CORRUPT, `${where} line ${op.line}`);
        applyOp(hive.root, rel, op);
      }
    } else if (!creatable) {
      hive.format = 'REGEDIT4';
    } else {
      hive.format = 'REGEDIT4';
      hive.header = [`; created by OpenOSD: the ${label} hive as a .reg export`];
    }
    this.hives.set(id, hive);
    return hive;
  }
}

/** A file's type and size; where a volume cannot stat (a back end without metadata), whether it exists. */
async function statOrExists(volume: VolumeFiles, file: string): Promise<{ type: string; size: number } | undefined> {
  try {
    return await volume.stat(file);
  } catch (e) {
    if ((e as { exitCode?: number }).exitCode !== 0x80070032) throw e;
    return (await volume.exists(file)) ? { type: 'file', size: 0 } : undefined;
  }
}

function applyOp(root: Key, rel: string[], op: RegOp): void {
  if (op.kind === 'deleteKey') {
    if (rel.length === 0) return;
    let k: Key | undefined = root;
    for (const p of rel.slice(0, -1)) k = k?.child(p, false);
    k?.subkeys.delete(rel[rel.length - 1].toLowerCase());
    return;
  }
  let k = root;
  for (const p of rel) k = k.child(p, true)!;
  if (op.kind === 'deleteValue') k.values.delete(op.name.toLowerCase());
  else if (op.kind === 'value') {
    const existing = k.values.get(op.name.toLowerCase());
    k.values.set(op.name.toLowerCase(), { name: existing?.name ?? op.name, value: op.value });
  }
}

function relativeTo(key: string, prefixes: string[]): string[] | undefined {
  const parts = splitKey(key);
  for (const p of prefixes) {
    const pp = splitKey(p);
    if (pp.length <= parts.length && pp.every((x, i) => x.toLowerCase() === parts[i].toLowerCase())) return parts.slice(pp.length);
  }
  return undefined;
}

function sortedKeys(k: Key): Key[] {
  return [...k.subkeys.values()].sort((a, b) => {
    const x = a.name.toLowerCase();
    const y = b.name.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

function sameValue(a: RegistryValue, b: RegistryValue): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'REG_RAW' && b.type === 'REG_RAW') return a.kind === b.kind && a.data.equals(b.data);
  if (Buffer.isBuffer(a.data) && Buffer.isBuffer(b.data)) return a.data.equals(b.data);
  if (Array.isArray(a.data) && Array.isArray(b.data)) return a.data.length === b.data.length && a.data.every((s, i) => s === (b.data as string[])[i]);
  return a.data === b.data;
}

function toValue(data: string | string[] | number | bigint | Buffer, type: RegistryType | undefined, what: string): RegistryValue {
  const t =
    type ??
    (typeof data === 'string'
      ? 'REG_SZ'
      : typeof data === 'number'
        ? 'REG_DWORD'
        : Array.isArray(data)
          ? 'REG_MULTI_SZ'
          : typeof data === 'bigint'
            ? 'REG_QWORD'
            : 'REG_BINARY');
  const bad = (): RegistryError =>
    new RegistryError(
      `${t} cannot hold ${Array.isArray(data) ? 'a list' : typeof data === 'object' ? 'bytes' : `the ${typeof data} ${String(data)}`}`,
      REGISTRY_BAD_KEY,
      what,
    );
  switch (t) {
    case 'REG_SZ':
    case 'REG_EXPAND_SZ':
      if (typeof data !== 'string') throw bad();
      return { type: t, data };
    case 'REG_MULTI_SZ':
      if (!Array.isArray(data) || data.some((s) => typeof s !== 'string' || s.includes('\0'))) throw bad();
      return { type: t, data: [...data] };
    case 'REG_DWORD':
      if (typeof data !== 'number' || !Number.isInteger(data) || data < 0 || data > 0xffffffff) throw bad();
      return { type: t, data };
    case 'REG_QWORD': {
      const n = typeof data === 'number' && Number.isInteger(data) ? BigInt(data) : data;
      if (typeof n !== 'bigint' || n < 0n || n > 0xffffffffffffffffn) throw bad();
      return { type: t, data: n };
    }
    case 'REG_BINARY':
      if (!Buffer.isBuffer(data)) throw bad();
      return { type: t, data: Buffer.from(data) };
    default:
      throw new RegistryError(`set cannot write ${t} values (use setValue)`, REGISTRY_BAD_KEY, what);
  }
}

// ——— the .reg text format ———

type RegOp =
  | { kind: 'key'; key: string; line: number }
  | { kind: 'deleteKey'; key: string; line: number }
  | { kind: 'value'; key: string; name: string; value: RegistryValue; line: number }
  | { kind: 'deleteValue'; key: string; name: string; line: number };

interface Parsed {
  format: Format;
  header: string[];
  ops: RegOp[];
}

/** A .reg file's text: UTF-16LE with a BOM (what regedit writes for version 5.00), else UTF-8. */
function decode(bytes: string | Buffer): string {
  if (typeof bytes === 'string') return bytes.replace(/^\uFEFF/, '');
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.subarray(3).toString('utf8');
  return bytes.toString('utf8');
}

const V5 = 'Windows Registry Editor Version 5.00';

/** Parses a .reg text into its operations, in order. `where` names the file in errors (with the line). */
export function parseReg(text: string, where: string): Parsed {
  const lines = text.split(/\r\n|\n|\r/);
  const fail = (line: number, rule: string): RegistryError => new RegistryError(rule, REGISTRY_CORRUPT, `${where} line ${line}`);
  let i = 0;
  while (i < lines.length && lines[i].trim() === '') i++;
  const first = lines[i]?.trim();
  let format: Format;
  if (first === 'REGEDIT4') format = 'REGEDIT4';
  else if (first === V5) format = 'v5';
  else throw fail(i + 1, `not a registry export: the first line must be "REGEDIT4" or "${V5}"`);
  i++;
  const header: string[] = [];
  const ops: RegOp[] = [];
  let key: string | undefined;
  for (; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i];
    const t = line.trim();
    if (t === '') continue;
    if (t.startsWith(';')) {
      if (key === undefined) header.push(t);
      continue;
    }
    if (t.startsWith('[')) {
      if (!t.endsWith(']')) throw fail(lineNo, 'a key line must end with "]"');
      const inner = t.slice(1, -1);
      if (inner.startsWith('-')) {
        const k = inner.slice(1);
        if (splitKey(k).length === 0) throw fail(lineNo, 'a key line names no key');
        ops.push({ kind: 'deleteKey', key: k, line: lineNo });
        // Values after a deleted key have no key to go to.
        key = '\0deleted';
        continue;
      }
      if (splitKey(inner).length === 0) throw fail(lineNo, 'a key line names no key');
      key = inner;
      ops.push({ kind: 'key', key, line: lineNo });
      continue;
    }
    if (key === undefined) throw fail(lineNo, 'a value before the first [key] line');
    if (key === '\0deleted') throw fail(lineNo, 'a value under a deleted key ([-…])');
    // The value name: @ (the default value) or a quoted string.
    let name: string;
    let pos: number;
    line = line.replace(/^\s+/, '');
    if (line.startsWith('@')) {
      name = '';
      pos = 1;
    } else if (line.startsWith('"')) {
      const s = readQuoted(
        line,
        0,
        () => fail(lineNo, "the value name's quoted string is not closed"),
        (c) => fail(lineNo, `"\\${c}" is not an escape of a .reg string (\\\\ and \\" are)`),
      );
      name = s.text;
      pos = s.end;
    } else throw fail(lineNo, 'a value line starts with a quoted name or @');
    while (line[pos] === ' ' || line[pos] === '\t') pos++;
    if (line[pos] !== '=') throw fail(lineNo, 'the value name must be followed by "="');
    pos++;
    while (line[pos] === ' ' || line[pos] === '\t') pos++;
    let data = line.slice(pos);
    if (data.trim() === '-') {
      ops.push({ kind: 'deleteValue', key, name, line: lineNo });
      continue;
    }
    if (data.startsWith('"')) {
      const s = readQuoted(
        data,
        0,
        () => fail(lineNo, "the string value's quotes are not closed"),
        (c) => fail(lineNo, `"\\${c}" is not an escape of a .reg string (\\\\ and \\" are)`),
      );
      const after = data.slice(s.end).trim();
      if (after !== '' && !after.startsWith(';')) throw fail(lineNo, `text after the string value: ${after.slice(0, 20)}`);
      ops.push({ kind: 'value', key, name, value: { type: 'REG_SZ', data: s.text }, line: lineNo });
      continue;
    }
    const dword = /^dword:([0-9a-fA-F]{1,8})\s*$/.exec(data);
    if (dword) {
      ops.push({ kind: 'value', key, name, value: { type: 'REG_DWORD', data: parseInt(dword[1], 16) }, line: lineNo });
      continue;
    }
    if (/^dword:/i.test(data)) throw fail(lineNo, 'a dword is 1 to 8 hexadecimal digits');
    const hex = /^hex(?:\(([0-9a-fA-F]{1,8})\))?:/.exec(data);
    if (!hex) throw fail(lineNo, 'the data must be a "string", dword:XXXXXXXX, hex:…, hex(N):… or -');
    // Continuation lines: a hex list that ends with a backslash goes on on the next line.
    data = data.slice(hex[0].length);
    while (/\\\s*$/.test(data)) {
      data = data.replace(/\\\s*$/, '');
      i++;
      if (i >= lines.length || lines[i].trim() === '') throw fail(lineNo, 'the hex data ends with "\\" but the file ends (or a blank line follows)');
      data += lines[i].trim();
    }
    const bytes = parseHex(data, () => fail(lineNo, 'hex data is two-digit bytes separated by commas'));
    const kind = hex[1] === undefined ? 3 : parseInt(hex[1], 16);
    ops.push({
      kind: 'value',
      key,
      name,
      value: fromBytes(kind, bytes, format, () => fail(lineNo, `the bytes do not make a value of type ${kind}`)),
      line: lineNo,
    });
  }
  return { format, header, ops };
}

function readQuoted(s: string, start: number, unclosed: () => Error, badEscape: (c: string) => Error): { text: string; end: number } {
  let out = '';
  let i = start + 1;
  for (; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      const n = s[i + 1];
      if (n === '\\' || n === '"') {
        out += n;
        i++;
        continue;
      }
      throw badEscape(n ?? '');
    }
    if (c === '"') return { text: out, end: i + 1 };
    out += c;
  }
  throw unclosed();
}

function parseHex(s: string, bad: () => Error): Buffer {
  const t = s.replace(/\s+/g, '');
  if (t === '') return Buffer.alloc(0);
  const parts = t.split(',');
  if (parts[parts.length - 1] === '') parts.pop();
  const out = Buffer.alloc(parts.length);
  parts.forEach((p, i) => {
    if (!/^[0-9a-fA-F]{1,2}$/.test(p)) throw bad();
    out[i] = parseInt(p, 16);
  });
  return out;
}

/** Strings in hex(2)/hex(7) data: UTF-16LE in a version 5.00 file, ANSI bytes in a REGEDIT4 one. */
function decodeStrings(bytes: Buffer, format: Format): string {
  return format === 'v5' ? bytes.subarray(0, bytes.length - (bytes.length % 2)).toString('utf16le') : bytes.toString('latin1');
}

function encodeStrings(s: string, format: Format): Buffer {
  return format === 'v5' ? Buffer.from(s, 'utf16le') : Buffer.from(s, 'latin1');
}

function fromBytes(kind: number, bytes: Buffer, format: Format, bad: () => Error): RegistryValue {
  switch (kind) {
    case 1:
    case 2: {
      const s = decodeStrings(bytes, format).replace(/\0+$/, '');
      return { type: kind === 1 ? 'REG_SZ' : 'REG_EXPAND_SZ', data: s };
    }
    case 7: {
      const s = decodeStrings(bytes, format).replace(/\0\0?$/, '');
      return { type: 'REG_MULTI_SZ', data: s === '' ? [] : s.replace(/\0$/, '').split('\0') };
    }
    case 3:
      return { type: 'REG_BINARY', data: bytes };
    case 4:
      if (bytes.length !== 4) throw bad();
      return { type: 'REG_DWORD', data: bytes.readUInt32LE(0) };
    case 11:
      if (bytes.length !== 8) throw bad();
      return { type: 'REG_QWORD', data: bytes.readBigUInt64LE(0) };
    default:
      return { type: 'REG_RAW', kind, data: bytes };
  }
}

function escapeString(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/** hex lists wrapped as regedit does (about 80 columns, continuation lines indented two spaces). */
function hexLine(prefix: string, bytes: Buffer): string[] {
  const out: string[] = [];
  let line = prefix;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i].toString(16).padStart(2, '0') + (i < bytes.length - 1 ? ',' : '');
    if (line.length + b.length > 77 && i < bytes.length) {
      out.push(`${line}\\`);
      line = '  ';
    }
    line += b;
  }
  out.push(line);
  return out;
}

function valueLines(v: Value, format: Format): string[] {
  const name = v.name === '' ? '@' : `"${escapeString(v.name)}"`;
  const x = v.value;
  switch (x.type) {
    case 'REG_SZ':
      // A string with a line break or NUL is written as hex(1) so each value stays on its lines.
      if (/[\r\n\0]/.test(x.data)) return hexLine(`${name}=hex(1):`, encodeStrings(`${x.data}\0`, format));
      return [`${name}="${escapeString(x.data)}"`];
    case 'REG_EXPAND_SZ':
      return hexLine(`${name}=hex(2):`, encodeStrings(`${x.data}\0`, format));
    case 'REG_MULTI_SZ':
      return hexLine(`${name}=hex(7):`, encodeStrings(x.data.map((s) => `${s}\0`).join('') + '\0', format));
    case 'REG_DWORD':
      return [`${name}=dword:${x.data.toString(16).padStart(8, '0')}`];
    case 'REG_QWORD': {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(x.data);
      return hexLine(`${name}=hex(b):`, b);
    }
    case 'REG_BINARY':
      return hexLine(`${name}=hex:`, x.data);
    case 'REG_RAW':
      return hexLine(`${name}=hex(${x.kind.toString(16)}):`, x.data);
  }
}

function serialize(h: Hive): Buffer {
  const lines: string[] = [h.format === 'v5' ? V5 : 'REGEDIT4', ...h.header];
  const walk = (k: Key, path: string): void => {
    // Keys with values, and empty leaves (an empty key exists only by its line); parents are implied.
    if (k.values.size > 0 || k.subkeys.size === 0) {
      lines.push('', `[${path}]`);
      for (const v of k.values.values()) lines.push(...valueLines(v, h.format));
    }
    for (const c of sortedKeys(k)) walk(c, `${path}\\${c.name}`);
  };
  walk(h.root, h.prefix);
  const text = `${lines.join('\r\n')}\r\n`;
  if (h.format === 'v5' && h.bom) return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  return Buffer.from(text, 'utf8');
}

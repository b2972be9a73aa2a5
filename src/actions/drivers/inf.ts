/**
 * Reading a driver INF the way ConfigMgr's Import Driver wizard does (osd-features §2.6): provider,
 * class, version, signature, catalog file, the supported hardware IDs and platforms.
 *
 * INF syntax handled: `[Section]` headers (names case-insensitive, same-named sections merged), `;`
 * comments outside quotes, `\` line continuation, `key = v1, v2` entries (keys case-insensitive),
 * quoted fields with `""` escapes, `%token%` substitution from `[Strings]` (`%%` = `%`), Manufacturer
 * TargetOSVersion decorations (`NTamd64`, `NTx86.6.1`, `NTarm64.10.0...16299`), and UTF-16 / UTF-8 /
 * ANSI files (`parseInfBytes`).
 */
import { InputError } from '../../sequence/input-error.js';

export type InfPlatform = 'x86' | 'x64' | 'arm64';
export const INF_PLATFORMS: readonly InfPlatform[] = ['x86', 'x64', 'arm64'];

export interface InfModel {
  /** The device description (`%Desc%` substituted). */
  description: string;
  manufacturer: string;
  /** The models section the line is in (`Intel.NTamd64.10.0`). */
  section: string;
  installSection: string;
  /** The first ID of the model line. */
  hardwareId: string;
  /** The other IDs of the model line. */
  compatibleIds: string[];
  /** The platform of the decorated models section; undefined = every platform (undecorated, or `NT` alone). */
  platform?: InfPlatform;
}

export interface InfInfo {
  signature?: string;
  provider?: string;
  class?: string;
  classGuid?: string;
  /** From `DriverVer=mm/dd/yyyy[,version]`; `date` as `yyyy-mm-dd`. */
  driverVer?: { date: string; version?: string };
  catalogFile?: string;
  /** Every model's hardware ID, first spelling kept, no duplicates (case-insensitive). */
  hardwareIds: string[];
  /** Every model's other IDs that are not also a hardware ID. */
  compatibleIds: string[];
  /** Platforms with at least one model, in the order x86, x64, arm64. */
  platforms: InfPlatform[];
  models: InfModel[];
  /** Things Windows would object to that do not stop us reading the file (missing sections, unknown strings). */
  warnings: string[];
}

interface Entry {
  key?: string;
  /** Fields after `=` (or the whole line), unquoted, not yet substituted. */
  fields: RawField[];
  /** The text after `=` with quotes removed (for [Strings], where commas do not split). */
  whole: string;
  line: number;
}

interface RawField {
  /** Trimmed and unquoted. */
  text: string;
}

interface Section {
  name: string;
  line: number;
  entries: Entry[];
}

// ------------------------------------------------------------------ bytes → text

/** Decodes an INF: UTF-16LE/BE or UTF-8 by BOM, UTF-16LE by byte pattern, else UTF-8, else ANSI (Windows-1252) [I]. */
export function decodeInfBytes(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return new TextDecoder('utf-8').decode(bytes.subarray(3));
  if (bytes.length >= 4 && bytes[0] !== 0 && bytes[1] === 0 && bytes[2] !== 0 && bytes[3] === 0) return new TextDecoder('utf-16le').decode(bytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('windows-1252').decode(bytes);
  }
}

export function parseInfBytes(bytes: Uint8Array, input: string): InfInfo {
  return parseInf(decodeInfBytes(bytes), input);
}

// ------------------------------------------------------------------ text → sections

function readSections(text: string, input: string): Map<string, Section> {
  const sections = new Map<string, Section>();
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split(/\r\n|\n|\r/);
  let current: Section | undefined;
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let logical = stripComment(lines[i]).trimEnd();
    // `\` at the end of a line continues it on the next one.
    while (logical.endsWith('\\') && i + 1 < lines.length) {
      i++;
      logical = logical.slice(0, -1) + stripComment(lines[i]).trimEnd();
    }
    const trimmed = logical.trim();
    if (trimmed === '') continue;
    const line = start + 1;
    if (trimmed.startsWith('[')) {
      const close = trimmed.indexOf(']');
      if (close === -1) {
        throw new InputError({
          input,
          location: { line, column: logical.indexOf('[') + 1 },
          rule: 'unterminated section header: expected "]"',
          hint: 'a section header looks like [Version]',
        });
      }
      const name = trimmed.slice(1, close).trim();
      if (name === '') throw new InputError({ input, location: { line, column: logical.indexOf('[') + 1 }, rule: 'empty section name "[]"' });
      const key = name.toLowerCase();
      current = sections.get(key);
      if (!current) {
        current = { name, line, entries: [] };
        sections.set(key, current);
      }
      continue;
    }
    if (!current) {
      throw new InputError({ input, location: { line, column: 1 }, rule: 'text before the first section header', hint: 'an INF file starts with [Version]' });
    }
    current.entries.push(readEntry(logical, line, input));
  }
  return sections;
}

/** Drops a `;` comment that is not inside quotes. */
function stripComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (c === ';' && !quoted) return line.slice(0, i);
  }
  return line;
}

function readEntry(line: string, lineNo: number, input: string): Entry {
  // The first `=` outside quotes separates the key.
  let eq = -1;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '"') quoted = !quoted;
    else if (line[i] === '=' && !quoted) {
      eq = i;
      break;
    }
  }
  if ((line.split('"').length - 1) % 2 !== 0) {
    throw new InputError({ input, location: { line: lineNo, column: line.lastIndexOf('"') + 1 }, rule: 'unterminated quoted string: expected a closing "' });
  }
  const value = eq === -1 ? line : line.slice(eq + 1);
  const key = eq === -1 ? undefined : unquote(line.slice(0, eq).trim());
  return { key, fields: splitFields(value), whole: unquote(value.trim()), line: lineNo };
}

/** Splits on commas outside quotes; each field is trimmed, then unquoted. */
function splitFields(value: string): RawField[] {
  const raw: string[] = [];
  let from = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '"') quoted = !quoted;
    else if (value[i] === ',' && !quoted) {
      raw.push(value.slice(from, i));
      from = i + 1;
    }
  }
  raw.push(value.slice(from));
  return raw.map((r) => ({ text: unquote(r.trim()) }));
}

/** Removes quotes (`""` inside quotes is one `"`), keeping unquoted parts as written. */
function unquote(s: string): string {
  if (s.indexOf('"') === -1) return s;
  let out = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      if (quoted && s[i + 1] === '"') {
        out += '"';
        i++;
      } else quoted = !quoted;
    } else out += c;
  }
  return out;
}

// ------------------------------------------------------------------ sections → InfInfo

const DECORATION = /^NT(x86|amd64|arm64|arm|ia64)?(?:\.|$)/i;
const PLATFORM_OF: Record<string, InfPlatform | null> = { x86: 'x86', amd64: 'x64', arm64: 'arm64', arm: null, ia64: null };

export function parseInf(text: string, input: string): InfInfo {
  const sections = readSections(text, input);
  const warnings: string[] = [];
  const strings = collectStrings(sections);
  const warned = new Set<string>();
  const substitute = (s: string, line: number): string =>
    s.indexOf('%') === -1
      ? s
      : s.replace(/%([^%]*)%/g, (whole, token: string) => {
          if (token === '') return '%';
          const v = strings.get(token.toLowerCase());
          if (v !== undefined) return v;
          if (!warned.has(token.toLowerCase())) {
            warned.add(token.toLowerCase());
            warnings.push(`${input}:${line}: %${token}% is not defined in [Strings]`);
          }
          return whole;
        });
  const field = (e: Entry, i: number): string => {
    const f = e.fields[i];
    return f ? substitute(f.text, e.line).trim() : '';
  };

  const version = sections.get('version');
  if (!version)
    throw new InputError({
      input,
      rule: 'not an INF file: there is no [Version] section',
      hint: 'a driver INF starts with [Version] and Signature="$Windows NT$"',
    });
  const versionKey = (name: string): Entry | undefined => version.entries.find((e) => e.key?.toLowerCase() === name);
  const info: InfInfo = { hardwareIds: [], compatibleIds: [], platforms: [], models: [], warnings };

  const sig = versionKey('signature');
  if (sig) info.signature = field(sig, 0);
  if (!info.signature) warnings.push(`${input}: [Version] has no Signature`);
  else if (!/^\$(windows nt|chicago|windows 95)\$$/i.test(info.signature)) warnings.push(`${input}:${sig!.line}: unusual Signature ${info.signature}`);
  for (const [key, prop] of [
    ['provider', 'provider'],
    ['class', 'class'],
    ['classguid', 'classGuid'],
  ] as const) {
    const e = versionKey(key);
    if (e && field(e, 0)) info[prop] = field(e, 0);
  }
  const cat = versionKey('catalogfile') ?? version.entries.find((e) => e.key?.toLowerCase().startsWith('catalogfile.'));
  if (cat && field(cat, 0)) info.catalogFile = field(cat, 0);
  const driverVer = versionKey('driverver');
  if (driverVer) info.driverVer = readDriverVer(field(driverVer, 0), field(driverVer, 1), input, driverVer.line);

  const manufacturer = sections.get('manufacturer');
  if (!manufacturer) warnings.push(`${input}: there is no [Manufacturer] section (no devices)`);
  for (const e of manufacturer?.entries ?? []) {
    const base = field(e, 0);
    if (!base) continue;
    const name = e.key !== undefined ? substitute(e.key, e.line) : base;
    const decorations = e.fields
      .slice(1)
      .map((f) => substitute(f.text, e.line).trim())
      .filter((d) => d !== '');
    // Which section serves which platform: decorated sections their own; [I] the undecorated section
    // every platform no decorated section claims (all of them when there are no decorations).
    const claimed = new Set<InfPlatform>();
    const targets: Array<{ section: string; platform?: InfPlatform }> = [];
    for (const d of decorations) {
      const m = DECORATION.exec(d);
      if (!m) {
        warnings.push(`${input}:${e.line}: unknown TargetOSVersion decoration "${d}"`);
        continue;
      }
      const arch = m[1]?.toLowerCase();
      if (arch === undefined) {
        for (const p of INF_PLATFORMS) claimed.add(p);
        targets.push({ section: `${base}.${d}` });
        continue;
      }
      const platform = PLATFORM_OF[arch];
      if (platform === null) continue; // ia64 / 32-bit ARM: not platforms we deploy
      claimed.add(platform);
      targets.push({ section: `${base}.${d}`, platform });
    }
    const unclaimed = INF_PLATFORMS.filter((p) => !claimed.has(p));
    if (unclaimed.length === INF_PLATFORMS.length) targets.push({ section: base });
    else if (unclaimed.length && sections.has(base.toLowerCase())) for (const p of unclaimed) targets.push({ section: base, platform: p });

    for (const t of targets) {
      const section = sections.get(t.section.toLowerCase());
      if (!section) {
        warnings.push(`${input}:${e.line}: the models section [${t.section}] is missing`);
        continue;
      }
      for (const m of section.entries) {
        const ids = m.fields
          .slice(1)
          .map((_, i) => field(m, i + 1))
          .filter((id) => id !== '');
        if (m.key === undefined || ids.length === 0) {
          warnings.push(`${input}:${m.line}: a model line needs "description = install-section, hardware-id[, compatible-id…]"`);
          continue;
        }
        info.models.push({
          description: substitute(m.key, m.line).trim(),
          manufacturer: name,
          section: section.name,
          installSection: field(m, 0),
          hardwareId: ids[0],
          compatibleIds: ids.slice(1),
          ...(t.platform ? { platform: t.platform } : {}),
        });
      }
    }
  }

  const hw = new Map<string, string>();
  const compat = new Map<string, string>();
  const platforms = new Set<InfPlatform>();
  for (const m of info.models) {
    if (!hw.has(m.hardwareId.toUpperCase())) hw.set(m.hardwareId.toUpperCase(), m.hardwareId);
    for (const c of m.compatibleIds) if (!compat.has(c.toUpperCase())) compat.set(c.toUpperCase(), c);
    for (const p of m.platform ? [m.platform] : INF_PLATFORMS) platforms.add(p);
  }
  info.hardwareIds = [...hw.values()];
  info.compatibleIds = [...compat.entries()].filter(([k]) => !hw.has(k)).map(([, v]) => v);
  info.platforms = INF_PLATFORMS.filter((p) => platforms.has(p));
  return info;
}

/** [Strings] first, then [Strings.0409], then any other localized [Strings.xxxx] for keys still missing [I]. */
function collectStrings(sections: Map<string, Section>): Map<string, string> {
  const order = [...sections.values()].filter((s) => /^strings(\..*)?$/i.test(s.name)).sort((a, b) => rankStrings(a.name) - rankStrings(b.name));
  const out = new Map<string, string>();
  for (const s of order) {
    for (const e of s.entries) {
      if (e.key === undefined) continue;
      const k = e.key.trim().toLowerCase();
      if (!out.has(k)) out.set(k, e.whole.trim());
    }
  }
  return out;
}

function rankStrings(name: string): number {
  const n = name.toLowerCase();
  return n === 'strings' ? 0 : n === 'strings.0409' ? 1 : 2;
}

function readDriverVer(date: string, version: string, input: string, line: number): { date: string; version?: string } {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(date);
  if (!m) throw new InputError({ input, location: { line, column: 1 }, rule: `DriverVer date "${date}" is not mm/dd/yyyy` });
  const [month, day, year] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1 || day > 31)
    throw new InputError({ input, location: { line, column: 1 }, rule: `DriverVer date "${date}" is not a valid date` });
  if (version !== '' && !/^\d+(\.\d+){0,3}$/.test(version))
    throw new InputError({ input, location: { line, column: 1 }, rule: `DriverVer version "${version}" is not w.x.y.z` });
  const iso = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  return version === '' ? { date: iso } : { date: iso, version };
}

/**
 * Value syntaxes a machine profile accepts (sizes, MAC and IP addresses, GUIDs, SIDs, language
 * tags) and the WMI spellings they turn into (DMTF dates, upper-case colon MACs).
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/**
 * Bytes from a number of bytes or a string such as "256 GiB" / "512 GB" / "1.5TiB". Decimal units
 * are powers of 1000 (as disk vendors print them), binary units powers of 1024. Returns an error
 * message instead of throwing so the schema can attach it to the right path.
 */
export function parseSize(v: number | string): { bytes: number } | { error: string } {
  const bad = `${JSON.stringify(v)} is not a size; write bytes or e.g. "256 GiB"`;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) return { error: `${v} is not a size in bytes (a whole number ≥ 0); or write e.g. "256 GiB"` };
    return { bytes: v };
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(v);
  if (!m) return { error: bad };
  const unit = m[2].toLowerCase() || 'b';
  const factor = UNITS[unit];
  if (factor === undefined) return { error: `${bad} (units: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)` };
  const bytes = Math.round(Number(m[1]) * factor);
  if (!Number.isSafeInteger(bytes)) return { error: `${JSON.stringify(v)} is too large` };
  return { bytes };
}

export const MiB = 2 ** 20;
export const GiB = 2 ** 30;

/** "8c-ec-4b-12-34-56", "8CEC4B123456" → "8C:EC:4B:12:34:56" (Win32_NetworkAdapter's spelling). */
export function normalizeMac(v: string): string | undefined {
  const hex = v.replace(/[:\-.]/g, '');
  if (!/^[0-9a-fA-F]{12}$/.test(hex)) return undefined;
  if (!/^[0-9a-fA-F]{2}([:-]?)[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$/.test(v) && !/^[0-9a-fA-F]{4}(\.[0-9a-fA-F]{4}){2}$/.test(v)) return undefined;
  return hex.toUpperCase().match(/../g)!.join(':');
}

export interface IpWithPrefix {
  address: string;
  prefixLength: number;
  family: 4 | 6;
}

/** "10.1.2.3/24" or "fe80::1/64"; without a prefix IPv4 gets /24 and IPv6 /64. */
export function parseIpWithPrefix(v: string): IpWithPrefix | undefined {
  const [address, prefix, extra] = v.trim().split('/');
  if (extra !== undefined) return undefined;
  const family = isIP(address);
  if (family !== 4 && family !== 6) return undefined;
  const max = family === 4 ? 32 : 128;
  const prefixLength = prefix === undefined ? (family === 4 ? 24 : 64) : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
  if (!(prefixLength >= 0 && prefixLength <= max)) return undefined;
  return { address, prefixLength, family };
}

/** WMI's IPSubnet spelling: a dotted mask for IPv4, the prefix length as text for IPv6. */
export function subnetText(ip: IpWithPrefix): string {
  if (ip.family === 6) return String(ip.prefixLength);
  const mask = ip.prefixLength === 0 ? 0 : (0xffffffff << (32 - ip.prefixLength)) >>> 0;
  return [24, 16, 8, 0].map((s) => (mask >>> s) & 255).join('.');
}

export const GUID = /^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$/;

/** Upper case, no braces — Win32_ComputerSystemProduct.UUID's spelling. */
export function bareGuid(v: string): string {
  return v.replace(/[{}]/g, '').toUpperCase();
}

/** Upper case in braces — the spelling of MSI product and upgrade codes. */
export function bracedGuid(v: string): string {
  return `{${bareGuid(v)}}`;
}

export const SID = /^S-1-\d+(-\d+)+$/;

/** Deterministic bytes from a seed: generated identifiers stay stable between runs. */
export function digest(seed: string): Buffer {
  return createHash('sha256').update(seed).digest();
}

export function guidFrom(seed: string): string {
  const h = digest(seed).toString('hex').toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Upper-case letters and digits, as WinPE's MININT- names and OEM serial numbers use. */
export function alnumFrom(seed: string, length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const bytes = digest(seed);
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[bytes[i % bytes.length] % alphabet.length];
  return out;
}

export function uint32From(seed: string): number {
  return digest(seed).readUInt32BE(0);
}

/** ISO 8601 (date or date-time) → DMTF `yyyymmddHHMMSS.mmmmmm+000`, in UTC. */
export function dmtf(iso: string): string {
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(iso) ? `${iso}T00:00:00Z` : iso);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds() * 1000, 6)}+000`;
}

export function isIsoDateTime(v: string): boolean {
  return (
    /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(v) && !Number.isNaN(new Date(/T/.test(v) ? v : `${v}T00:00:00Z`).getTime())
  );
}

/**
 * Windows LCIDs of the languages Windows ships as display languages (plus a few common regional
 * variants). A tag not listed needs an explicit `lcid` in the profile.
 */
export const LCIDS: Record<string, number> = {
  'ar-sa': 1025,
  'bg-bg': 1026,
  'ca-es': 1027,
  'zh-tw': 1028,
  'cs-cz': 1029,
  'da-dk': 1030,
  'de-de': 1031,
  'el-gr': 1032,
  'en-us': 1033,
  'fi-fi': 1035,
  'fr-fr': 1036,
  'he-il': 1037,
  'hu-hu': 1038,
  'is-is': 1039,
  'it-it': 1040,
  'ja-jp': 1041,
  'ko-kr': 1042,
  'nl-nl': 1043,
  'nb-no': 1044,
  'pl-pl': 1045,
  'pt-br': 1046,
  'ro-ro': 1048,
  'ru-ru': 1049,
  'hr-hr': 1050,
  'sk-sk': 1051,
  'sv-se': 1053,
  'th-th': 1054,
  'tr-tr': 1055,
  'id-id': 1057,
  'uk-ua': 1058,
  'sl-si': 1060,
  'et-ee': 1061,
  'lv-lv': 1062,
  'lt-lt': 1063,
  'vi-vn': 1066,
  'eu-es': 1069,
  'hi-in': 1081,
  'ms-my': 1086,
  'gl-es': 1110,
  'zh-cn': 2052,
  'de-ch': 2055,
  'en-gb': 2057,
  'es-mx': 2058,
  'fr-be': 2060,
  'it-ch': 2064,
  'nl-be': 2067,
  'nn-no': 2068,
  'pt-pt': 2070,
  'sr-latn-cs': 2074,
  'zh-hk': 3076,
  'de-at': 3079,
  'en-au': 3081,
  'es-es': 3082,
  'fr-ca': 3084,
  'sr-cyrl-cs': 3098,
  'zh-sg': 4100,
  'de-lu': 4103,
  'en-ca': 4105,
  'fr-ch': 4108,
  'en-nz': 5129,
  'fr-lu': 5132,
  'en-ie': 6153,
  'en-za': 7177,
  'en-in': 16393,
  'en-sg': 18441,
  'sr-latn-rs': 9242,
  'sr-cyrl-rs': 10266,
};

export function lcidOf(tag: string): number | undefined {
  return LCIDS[tag.toLowerCase()];
}

/** NetBIOS computer name rules (unattend.md §4 OSDComputerName): 1–15 characters, no spaces or punctuation beyond '-' and '_', not all digits. */
export function computerNameProblem(name: string): string | undefined {
  if (name.length < 1 || name.length > 15) return `"${name}" is not a computer name: 1 to 15 characters`;
  if (!/^[A-Za-z0-9_-]+$/.test(name)) return `"${name}" is not a computer name: letters, digits, '-' and '_' only`;
  if (/^\d+$/.test(name)) return `"${name}" is not a computer name: it cannot be all digits`;
  return undefined;
}

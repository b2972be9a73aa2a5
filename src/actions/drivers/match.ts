/**
 * Auto Apply Drivers matching (osd-features §2.6): the computer's PnP hardware and compatible IDs
 * against the catalog. Only enabled drivers, for the target platform, in the chosen categories
 * (OR-ed; none = all), whose content is available. "Best match" keeps one driver per device, "all
 * compatible" keeps every candidate and lets Windows Setup choose.
 *
 * Ranking follows Windows' driver ranking in spirit [I for the details]:
 *   tier  device hardware ID = driver hardware ID       (best)
 *         device hardware ID = driver compatible ID
 *         device compatible ID = driver hardware ID
 *         device compatible ID = driver compatible ID   (worst)
 *   then  the more specific matched ID (more `&` parts — SUBSYS_, REV_ — then longer)
 *   then  the newer driver date, then the higher version, then the catalog id (stable).
 * IDs compare case-insensitively.
 */
import type { Driver, DriverCatalog } from './catalog.js';

export type DriverPlatform = 'x86' | 'x64' | 'arm64';

export interface Device {
  name?: string;
  hardwareIds: string[];
  compatibleIds?: string[];
}

export type MatchKind = 'hardware' | 'hardware-to-compatible' | 'compatible-to-hardware' | 'compatible';

export interface DriverMatch {
  driver: Driver;
  /** The device's ID that matched (as the device reports it). */
  matchedId: string;
  kind: MatchKind;
  /** Higher is better; comparable across devices. */
  rank: number;
}

export interface MatchOptions {
  architecture: DriverPlatform;
  bestMatch: boolean;
  /** OR-ed, case-insensitive; undefined or empty = every category (and uncategorized drivers). */
  categories?: string[];
  /** Content availability (a package on a reachable distribution point); default: every driver is available. */
  available?: (driver: Driver) => boolean;
}

export type ExclusionReason = 'disabled' | 'platform' | 'category' | 'unavailable';

export interface MatchResult {
  perDevice: Array<{ device: Device; drivers: DriverMatch[] }>;
  /** The drivers to stage: each kept driver once, in device order. */
  selected: Driver[];
  /** Drivers whose IDs matched a device but that a filter removed (for the log), each once. */
  excluded: Array<{ driver: Driver; reason: ExclusionReason }>;
}

const TIER: Record<MatchKind, number> = { hardware: 3, 'hardware-to-compatible': 2, 'compatible-to-hardware': 1, compatible: 0 };

/** [I] tier × 1e6 + `&`-parts × 1e3 + length: the tier always dominates, then specificity. */
export function matchRank(kind: MatchKind, id: string): number {
  const afterBus = id.includes('\\') ? id.slice(id.indexOf('\\') + 1) : id;
  const parts = afterBus.split('&').filter((p) => p !== '').length;
  return TIER[kind] * 1_000_000 + Math.min(parts, 99) * 1_000 + Math.min(id.length, 999);
}

export function matchDrivers(catalog: DriverCatalog, devices: Device[], options: MatchOptions): MatchResult {
  // ID (upper case) → drivers that declare it, and whether as a hardware or compatible ID.
  const index = new Map<string, Array<{ driver: Driver; asHardware: boolean }>>();
  const add = (id: string, driver: Driver, asHardware: boolean): void => {
    const key = id.trim().toUpperCase();
    const list = index.get(key);
    if (list) list.push({ driver, asHardware });
    else index.set(key, [{ driver, asHardware }]);
  };
  for (const d of catalog.drivers) {
    for (const id of d.hardwareIds) add(id, d, true);
    for (const id of d.compatibleIds) add(id, d, false);
  }

  const wanted = (options.categories ?? []).map((c) => c.trim().toLowerCase()).filter((c) => c !== '');
  const exclusionCache = new Map<Driver, ExclusionReason | null>();
  const exclusion = (d: Driver): ExclusionReason | null => {
    let r = exclusionCache.get(d);
    if (r !== undefined) return r;
    if (!d.enabled) r = 'disabled';
    else if (!d.platforms.includes(options.architecture)) r = 'platform';
    else if (wanted.length && !d.categories.some((c) => wanted.includes(c.toLowerCase()))) r = 'category';
    else if (options.available && !options.available(d)) r = 'unavailable';
    else r = null;
    exclusionCache.set(d, r);
    return r;
  };

  const excluded = new Map<Driver, ExclusionReason>();
  const perDevice: MatchResult['perDevice'] = [];
  const selected: Driver[] = [];
  const chosen = new Set<Driver>();

  for (const device of devices) {
    const best = new Map<Driver, DriverMatch>();
    const consider = (ids: string[] | undefined, fromHardware: boolean): void => {
      for (const id of ids ?? []) {
        for (const { driver, asHardware } of index.get(id.trim().toUpperCase()) ?? []) {
          const why = exclusion(driver);
          if (why) {
            if (!excluded.has(driver)) excluded.set(driver, why);
            continue;
          }
          const kind: MatchKind = fromHardware ? (asHardware ? 'hardware' : 'hardware-to-compatible') : asHardware ? 'compatible-to-hardware' : 'compatible';
          const rank = matchRank(kind, id.trim());
          const prev = best.get(driver);
          if (!prev || rank > prev.rank) best.set(driver, { driver, matchedId: id.trim(), kind, rank });
        }
      }
    };
    consider(device.hardwareIds, true);
    consider(device.compatibleIds, false);

    const ranked = [...best.values()].sort(compareMatches);
    const kept = options.bestMatch ? ranked.slice(0, 1) : ranked;
    perDevice.push({ device, drivers: kept });
    for (const m of kept) {
      if (chosen.has(m.driver)) continue;
      chosen.add(m.driver);
      selected.push(m.driver);
    }
  }
  return { perDevice, selected, excluded: [...excluded].map(([driver, reason]) => ({ driver, reason })) };
}

/** Better first: rank, then [I] newer date, higher version, catalog id. */
export function compareMatches(a: DriverMatch, b: DriverMatch): number {
  if (a.rank !== b.rank) return b.rank - a.rank;
  const da = a.driver.date ?? '';
  const db = b.driver.date ?? '';
  if (da !== db) return da < db ? 1 : -1;
  const v = compareVersions(b.driver.version, a.driver.version);
  if (v !== 0) return v;
  return a.driver.id < b.driver.id ? -1 : a.driver.id > b.driver.id ? 1 : 0;
}

/** Numeric, part by part (`10.2` > `9.30`); a missing version is the lowest. */
export function compareVersions(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

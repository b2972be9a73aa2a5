/**
 * The management point's answer to Auto Apply Drivers (osd-features §2.6 steps 2–3): the catalog
 * drivers whose supported IDs match the computer's devices, only enabled ones, for the target
 * platform, in the chosen categories (OR-ed), and only drivers in some driver package (their
 * content must be on a distribution point; which DPs hold which package is the distribution
 * layer's concern). Ranking and best match are src/actions/drivers/match.ts, as in the lab.
 */
import type { Queryable } from '../db/database.js';
import { matchDrivers, type Device, type Driver, type DriverCatalog, type MatchKind } from '../../actions/drivers/index.js';
import { PACKAGE_TYPE } from './package-types.js';

export interface MatchCatalogInput {
  devices: Array<{ name?: string; hardwareIds: string[]; compatibleIds?: string[] }>;
  platform: 'x86' | 'x64' | 'arm64';
  categories?: string[];
  bestMatch: boolean;
}

export interface MatchCatalogResult {
  devices: Array<{ name?: string; drivers: Array<{ ciId: number; name: string; matchedId: string; kind: MatchKind }> }>;
  /** Each driver to stage once, with the content to download and the driver packages holding it. */
  selected: Array<{ ciId: number; name: string; infFile: string; contentId: string; driverPackages: string[] }>;
  excluded: Array<{ ciId: number; name: string; reason: string }>;
}

interface Row {
  ci_id: number;
  name: string;
  inf_file: string;
  version: string;
  driver_date: string;
  platforms: Array<'x86' | 'x64' | 'arm64'>;
  hardware_ids: string[];
  categories: string[];
  enabled: boolean;
  content_id: string;
  all_ids: string[];
  driver_packages: string[] | null;
}

export async function matchCatalogDrivers(db: Queryable, input: MatchCatalogInput): Promise<MatchCatalogResult> {
  const ids = [...new Set(input.devices.flatMap((d) => [...d.hardwareIds, ...(d.compatibleIds ?? [])]).map((i) => i.trim().toLowerCase()))];
  const { rows } = await db.query<Row>(
    `SELECT d.ci_id, d.name, d.inf_file, d.version, d.driver_date, d.platforms, d.hardware_ids, d.categories, d.enabled, d.content_id,
            (SELECT array_agg(h.hardware_id) FROM driver_hardware_ids h WHERE h.ci_id = d.ci_id) AS all_ids,
            (SELECT array_agg(pd.package_id ORDER BY pd.package_id) FROM package_drivers pd JOIN packages p ON p.package_id = pd.package_id
              WHERE pd.ci_id = d.ci_id AND p.package_type = ${PACKAGE_TYPE.driverPackage}) AS driver_packages
       FROM drivers d
      WHERE d.ci_id IN (SELECT h.ci_id FROM driver_hardware_ids h WHERE h.hardware_id IN (SELECT jsonb_array_elements_text($1::jsonb)))
      ORDER BY d.ci_id`,
    [JSON.stringify(ids)],
  );
  const byDriver = new Map<Driver, Row>();
  const drivers: Driver[] = rows.map((r) => {
    const hw = new Set(r.hardware_ids.map((h) => h.toLowerCase()));
    const d: Driver = {
      id: String(Number(r.ci_id)),
      name: r.name,
      inf: r.inf_file,
      folder: '.',
      ...(r.version ? { version: r.version } : {}),
      ...(r.driver_date ? { date: r.driver_date } : {}),
      hardwareIds: r.hardware_ids,
      // What driver_hardware_ids holds beyond the hardware IDs are the INF's compatible IDs.
      compatibleIds: (r.all_ids ?? []).filter((id) => !hw.has(id)),
      platforms: r.platforms.length ? r.platforms : ['x64'],
      categories: r.categories,
      enabled: r.enabled,
    };
    byDriver.set(d, r);
    return d;
  });
  const catalog: DriverCatalog = { schema: 'openosd.driver-catalog/v1', drivers, packages: [] };
  const devices: Device[] = input.devices.map((d) => ({
    ...(d.name ? { name: d.name } : {}),
    hardwareIds: d.hardwareIds,
    compatibleIds: d.compatibleIds ?? [],
  }));
  const result = matchDrivers(catalog, devices, {
    architecture: input.platform,
    bestMatch: input.bestMatch,
    categories: input.categories,
    available: (d) => (byDriver.get(d)!.driver_packages ?? []).length > 0,
  });
  const ref = (d: Driver) => byDriver.get(d)!;
  return {
    devices: result.perDevice.map((p) => ({
      ...(p.device.name ? { name: p.device.name } : {}),
      drivers: p.drivers.map((m) => ({ ciId: Number(ref(m.driver).ci_id), name: m.driver.name, matchedId: m.matchedId, kind: m.kind })),
    })),
    selected: result.selected.map((d) => {
      const r = ref(d);
      return { ciId: Number(r.ci_id), name: r.name, infFile: r.inf_file, contentId: r.content_id, driverPackages: r.driver_packages ?? [] };
    }),
    excluded: result.excluded.map((e) => ({ ciId: Number(ref(e.driver).ci_id), name: e.driver.name, reason: e.reason })),
  };
}

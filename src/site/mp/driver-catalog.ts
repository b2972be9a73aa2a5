/**
 * The driver catalog a computer's Auto Apply Drivers step chooses from (osd-features §2.6, §3.6:
 * the management point answers driver catalog matching). ConfigMgr's client sends its Plug and Play
 * IDs and downloads the chosen drivers from driver packages on a distribution point; a driver that
 * is in no package on a DP cannot be applied ("Auto Apply Drivers picks drivers from any package on
 * reachable DPs", osd-features §7).
 *
 * Choice [I], documented in docs/management-point.md: the site sends the catalog of every enabled
 * driver for the computer's architecture that some driver package holds on a distribution point, in
 * the lab's catalog format (docs/driver-catalog.md) with each driver's folder inside its package's
 * content (`<packageId>/<ciId>`, as driver package content is laid out), plus those packages' files
 * and locations. The agent matches with the same code the lab uses (src/actions/drivers/match.ts),
 * so a preview (`osd ts simulate`), the lab and a deployment choose alike, and downloads only the
 * packages of the drivers that match.
 */
import type { Site } from '../site.js';
import { badInput } from '../errors.js';
import type { ContentFile } from '../content/store.js';
import { PACKAGE_TYPE } from '../objects/package-types.js';
import type { MpDevice } from './credentials.js';
import { packageUrl, type ContentLocation } from './deployment-content.js';
import { ARCHITECTURES } from './registration.js';

export interface CatalogDriver {
  id: string;
  name: string;
  inf: string;
  folder: string;
  provider?: string;
  class?: string;
  version?: string;
  date?: string;
  hardwareIds: string[];
  platforms: string[];
  categories: string[];
  enabled: boolean;
}

export interface DriverCatalogPackage {
  packageId: string;
  name: string;
  sourceVersion: number;
  sizeBytes: number;
  files: ContentFile[];
  locations: ContentLocation[];
}

export interface DeviceDriverCatalog {
  architecture: string;
  catalog: { schema: 'openosd.driver-catalog/v1'; drivers: CatalogDriver[]; packages: [] };
  packages: DriverCatalogPackage[];
  /** Enabled drivers of this architecture the computer cannot get: in no driver package on a distribution point. */
  unavailable: number;
}

interface Row {
  ci_id: string | number;
  name: string;
  inf_file: string;
  provider: string;
  class: string;
  version: string;
  driver_date: string;
  platforms: string[];
  hardware_ids: string[];
  categories: string[];
  package_id: string | null;
}

export async function deviceDriverCatalog(site: Site, _device: MpDevice, architecture: string | undefined): Promise<DeviceDriverCatalog> {
  if (!architecture || !(ARCHITECTURES as readonly string[]).includes(architecture)) {
    throw badInput(
      'query.architecture',
      `"${String(architecture ?? '').slice(0, 40)}" is not one of ${ARCHITECTURES.join(', ')}`,
      "give the computer's architecture",
    );
  }
  // Per driver, the first driver package (by id) whose current version is on a distribution point.
  const { rows } = await site.db.query<Row>(
    `SELECT d.ci_id, d.name, d.inf_file, d.provider, d.class, d.version, d.driver_date, d.platforms, d.hardware_ids, d.categories,
       (SELECT p.package_id FROM package_drivers pd JOIN packages p ON p.package_id = pd.package_id
          WHERE pd.ci_id = d.ci_id AND p.package_type = $2 AND p.content_id IS NOT NULL
            AND EXISTS (SELECT 1 FROM distribution_status s WHERE s.package_id = p.package_id AND s.state = 'success' AND s.source_version = p.source_version)
          ORDER BY p.package_id LIMIT 1) AS package_id
     FROM drivers d WHERE d.enabled AND d.platforms ? $1 ORDER BY d.ci_id`,
    [architecture, PACKAGE_TYPE.driverPackage],
  );
  const available = rows.filter((r) => r.package_id !== null);
  const packageIds = [...new Set(available.map((r) => r.package_id!))];
  const packages: DriverCatalogPackage[] = [];
  if (packageIds.length) {
    const { rows: pkgs } = await site.db.query<{ package_id: string; name: string; source_version: number; files: ContentFile[]; size: string | number }>(
      `SELECT p.package_id, p.name, p.source_version, c.files, c.size FROM packages p JOIN content c ON c.id = p.content_id
        WHERE p.package_id = ANY($1::text[]) ORDER BY p.package_id`,
      [packageIds],
    );
    const { rows: where } = await site.db.query<{ package_id: string; name: string; url: string }>(
      `SELECT s.package_id, dp.name, COALESCE(dp.client_url, dp.url) AS url FROM distribution_status s JOIN distribution_points dp ON dp.name = s.dp_name JOIN packages p ON p.package_id = s.package_id
        WHERE s.package_id = ANY($1::text[]) AND s.state = 'success' AND s.source_version = p.source_version ORDER BY dp.name`,
      [packageIds],
    );
    for (const p of pkgs) {
      packages.push({
        packageId: p.package_id,
        name: p.name,
        sourceVersion: p.source_version,
        sizeBytes: Number(p.size),
        files: p.files.map((f) => ({ path: f.path, size: Number(f.size), sha256: f.sha256 })),
        locations: where.filter((w) => w.package_id === p.package_id).map((w) => ({ dp: w.name, url: packageUrl(w.url, p.package_id) })),
      });
    }
  }
  const drivers: CatalogDriver[] = available.map((r) => {
    const folder = `${r.package_id}/${Number(r.ci_id)}`;
    return {
      id: String(Number(r.ci_id)),
      name: r.name,
      inf: `${folder}/${r.inf_file}`,
      folder,
      ...(r.provider ? { provider: r.provider } : {}),
      ...(r.class ? { class: r.class } : {}),
      ...(r.version ? { version: r.version } : {}),
      ...(r.driver_date ? { date: r.driver_date } : {}),
      hardwareIds: r.hardware_ids,
      platforms: r.platforms,
      categories: r.categories,
      enabled: true,
    };
  });
  return { architecture, catalog: { schema: 'openosd.driver-catalog/v1', drivers, packages: [] }, packages, unavailable: rows.length - available.length };
}

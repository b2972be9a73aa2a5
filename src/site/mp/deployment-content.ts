/**
 * The content of one of a device's deployments, for this machine (docs/management-point.md): the
 * deployment content manifest (deployments/content-manifest.ts: packages, pre-cache, the boot
 * image's PXE compatibility) plus, per package, its files (path, size, SHA-256 from the content
 * library) and its locations — the distribution points holding the package's current version, each
 * with the URL its files are fetched from (`<url><path>`, the DP's own content route; the DP's client
 * URL when it has one). Only a
 * deployment in the device's policy.
 */
import type { Queryable } from '../db/database.js';
import { badInput } from '../errors.js';
import type { Site } from '../site.js';
import type { ContentFile } from '../content/store.js';
import { deploymentContentManifest, type DeploymentContentManifest, type ManifestPackage, type MachineAttributes } from '../deployments/content-manifest.js';
import { checkText } from '../text-rules.js';
import { PACKAGE_TYPE } from '../objects/package-types.js';
import type { MpDevice } from './credentials.js';
import { deploymentOfDevice } from './policy.js';
import { notThisDevicesDeployment } from './deployment-sequence.js';
import { ARCHITECTURES, FIRMWARES } from './registration.js';
import { MAX_ATTRIBUTE_LENGTH } from './limits.js';

export interface ContentLocation {
  dp: string;
  /** Ends with "/": a file is at `<url><path>` (path segments percent-encoded). */
  url: string;
}

export interface DeviceContentPackage extends ManifestPackage {
  /** The package's Architecture attribute (an OS image: its images' own when they all share one); absent when not set. */
  architecture?: string;
  /** An OS image package's images, so the agent can refuse a computer that cannot run the one applied. */
  images?: Array<{ index: number; name: string; architecture: string }>;
  /** An OS image whose WIM is pipable: the SHA-256 of its header, XML and metadata (checked while it streams). */
  streamAnchor?: { file: string; bytes: number; sha256: string };
  files: ContentFile[];
  locations: ContentLocation[];
}

export interface DeviceContent extends Omit<DeploymentContentManifest, 'packages'> {
  packages: DeviceContentPackage[];
}

export interface MachineQuery {
  architecture?: string;
  language?: string;
  model?: string;
  firmware?: string;
}

function checkMachine(q: MachineQuery): MachineAttributes {
  const out: MachineAttributes = {};
  if (q.architecture !== undefined && q.architecture !== '') {
    if (!(ARCHITECTURES as readonly string[]).includes(q.architecture))
      throw badInput('query.architecture', `"${q.architecture.slice(0, 40)}" is not one of ${ARCHITECTURES.join(', ')}`);
    out.architecture = q.architecture;
  }
  if (q.firmware !== undefined && q.firmware !== '') {
    if (!(FIRMWARES as readonly string[]).includes(q.firmware))
      throw badInput('query.firmware', `"${q.firmware.slice(0, 40)}" is not one of ${FIRMWARES.join(', ')}`);
    out.firmware = q.firmware as 'bios' | 'uefi';
  }
  for (const key of ['language', 'model'] as const) {
    const v = q[key];
    if (v === undefined || v === '') continue;
    if (v.length > MAX_ATTRIBUTE_LENGTH) throw badInput(`query.${key}`, `${v.length} characters; at most ${MAX_ATTRIBUTE_LENGTH}`);
    out[key] = checkText(v, `query.${key}`);
  }
  return out;
}

/** `base` with exactly one trailing slash, then the DP's content route for the package. */
export function packageUrl(dpUrl: string, packageId: string): string {
  return `${dpUrl.replace(/\/+$/, '')}/content/${encodeURIComponent(packageId)}/`;
}

async function filesOf(db: Queryable, contentIds: readonly string[]): Promise<Map<string, ContentFile[]>> {
  const out = new Map<string, ContentFile[]>();
  if (!contentIds.length) return out;
  const { rows } = await db.query<{ id: string; files: ContentFile[] }>('SELECT id, files FROM content WHERE id = ANY($1::text[])', [contentIds]);
  for (const r of rows)
    out.set(
      r.id,
      r.files.map((f) => ({ path: f.path, size: Number(f.size), sha256: f.sha256 })),
    );
  return out;
}

interface ArchitectureFacts {
  architecture?: string;
  images?: Array<{ index: number; name: string; architecture: string }>;
  streamAnchor?: { file: string; bytes: number; sha256: string };
}

/** Architecture, OS images and a pipable WIM's stream anchor of each package, from its properties (what the agent checks before writing anything). */
async function architecturesOf(db: Queryable, packageIds: readonly string[]): Promise<Map<string, ArchitectureFacts>> {
  const out = new Map<string, ArchitectureFacts>();
  if (!packageIds.length) return out;
  const { rows } = await db.query<{ package_id: string; package_type: number; properties: Record<string, unknown> }>(
    'SELECT package_id, package_type, properties FROM packages WHERE package_id = ANY($1::text[])',
    [packageIds],
  );
  for (const r of rows) {
    const facts: ArchitectureFacts = {};
    const raw = r.properties?.images;
    if (r.package_type === PACKAGE_TYPE.osImage && Array.isArray(raw)) {
      facts.images = raw
        .filter((i): i is Record<string, unknown> => typeof i === 'object' && i !== null)
        .map((i) => ({ index: Number(i.index), name: String(i.name ?? ''), architecture: String(i.architecture ?? '') }));
      const anchor = r.properties?.streamAnchor as { bytes?: unknown; sha256?: unknown } | undefined;
      const wimFile = r.properties?.wimFile;
      if (anchor && typeof wimFile === 'string' && typeof anchor.bytes === 'number' && typeof anchor.sha256 === 'string')
        facts.streamAnchor = { file: wimFile, bytes: anchor.bytes, sha256: anchor.sha256 };
    }
    const own = typeof r.properties?.architecture === 'string' ? r.properties.architecture : '';
    const shared = facts.images?.length && facts.images.every((i) => i.architecture === facts.images![0]!.architecture) ? facts.images[0]!.architecture : '';
    if (own || shared) facts.architecture = own || shared;
    out.set(r.package_id, facts);
  }
  return out;
}

export async function deploymentContent(site: Site, device: MpDevice, deploymentId: string, query: MachineQuery): Promise<DeviceContent> {
  const machine = checkMachine(query);
  const d = await deploymentOfDevice(site.db, device, deploymentId);
  if (!d) throw notThisDevicesDeployment(deploymentId);
  const manifest = await deploymentContentManifest(site.db, d.deploymentId, machine);
  const files = await filesOf(
    site.db,
    manifest.packages.map((p) => p.contentId).filter((id): id is string => id !== null),
  );
  const architectures = await architecturesOf(
    site.db,
    manifest.packages.map((p) => p.packageId),
  );
  // Computers fetch from the DP's client URL when it has one (issue 14, C4), e.g. 10.0.2.2 for a VM.
  const { rows: dps } = await site.db.query<{ name: string; url: string }>(
    'SELECT name, COALESCE(client_url, url) AS url FROM distribution_points ORDER BY name',
  );
  const dpUrl = new Map(dps.map((r) => [r.name, r.url]));
  return {
    ...manifest,
    packages: manifest.packages.map((p) => ({
      ...p,
      ...architectures.get(p.packageId),
      files: p.contentId ? (files.get(p.contentId) ?? []) : [],
      locations: p.distributionPoints.filter((n) => dpUrl.has(n)).map((n) => ({ dp: n, url: packageUrl(dpUrl.get(n)!, p.packageId) })),
    })),
  };
}

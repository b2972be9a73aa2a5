/**
 * The content a deployment needs on one machine: every package its revision references (the
 * boot image, packages named by steps, applications' content), with size and file count from the
 * content library, whether pre-cache downloads it for this machine, and the distribution points
 * that hold its current version.
 *
 * Choices (osd-features §4.4, §5.1):
 * - Pre-cache applies only to an Available deployment with pre-download ticked that is offered to
 *   clients (a machine starting from PXE or media has no client cache): `preCacheApplies`.
 * - Per package, `preCache.matches` says whether §4.4 selects it for this machine: OS images, OS
 *   upgrade packages and packages by Architecture and Language (case-insensitive equality),
 *   driver packages by Model (the machine's model contains the package's Model, case-insensitive,
 *   like `Name LIKE "%Model%"`), everything else in full. An empty attribute on the package matches
 *   every machine [I]; an attribute the request does not give matches only empty ones.
 *   `preCached` = preCacheApplies && matches.
 * - A DP holds a package when its distribution status is 'success' for the package's current
 *   source version.
 * - The boot image is the task sequence's current one; with firmware and architecture given, it
 *   says whether this machine can boot it from PXE (UEFI: exact architecture; BIOS x64: x86 or x64;
 *   BIOS x86: x86 only).
 */
import type { Queryable } from '../db/database.js';
import { PACKAGE_TYPE, PACKAGE_TYPE_NAMES } from '../objects/package-types.js';
import { readTaskSequenceRow } from '../task-sequences/model.js';
import { revisionReferences } from '../task-sequences/revisions.js';
import { getDeployment } from './deployments.js';

export interface MachineAttributes {
  architecture?: string;
  language?: string;
  model?: string;
  firmware?: 'uefi' | 'bios';
}

export interface ManifestPackage {
  packageId: string;
  name: string;
  type: string;
  packageType: number;
  /** How the task sequence uses it: 'boot image', 'step', or 'application "<name>"'. */
  referencedAs: string;
  sourceVersion: number;
  contentId: string | null;
  sizeBytes: number;
  fileCount: number;
  preCache: { matches: boolean; rule: string };
  preCached: boolean;
  distributionPoints: string[];
}

export interface DeploymentContentManifest {
  deploymentId: string;
  taskSequenceId: string;
  revision: number;
  machine: MachineAttributes;
  preCacheApplies: boolean;
  preCacheRule: string;
  bootImage: { packageId: string; architecture: string; pxeCompatible: boolean | null; rule: string } | null;
  packages: ManifestPackage[];
  totals: {
    packages: number;
    totalBytes: number;
    preCacheBytes: number;
    notDistributed: string[];
    withoutContent: string[];
  };
}

interface PackageRow {
  package_id: string;
  name: string;
  package_type: number;
  language: string;
  source_version: number;
  content_id: string | null;
  properties: Record<string, unknown>;
  size: number | null;
  file_count: number | null;
}

function sameText(a: string, b: string | undefined): boolean {
  return b !== undefined && a.toLowerCase() === b.trim().toLowerCase();
}

function attributeMatch(label: string, packageValue: string, machineValue: string | undefined): { ok: boolean; text: string } {
  if (packageValue === '') return { ok: true, text: `${label} not set (matches every machine)` };
  if (machineValue === undefined || machineValue.trim() === '') return { ok: false, text: `${label} ${packageValue}, machine's not given` };
  const ok = sameText(packageValue, machineValue);
  return { ok, text: `${label} ${packageValue} ${ok ? '=' : '≠'} ${machineValue}` };
}

export function preCacheMatch(p: Pick<PackageRow, 'package_type' | 'properties' | 'language'>, m: MachineAttributes): { matches: boolean; rule: string } {
  const props = p.properties ?? {};
  switch (p.package_type) {
    case PACKAGE_TYPE.osImage:
    case PACKAGE_TYPE.osUpgradePackage:
    case PACKAGE_TYPE.package: {
      const arch = attributeMatch('Architecture', String(props.architecture ?? ''), m.architecture);
      const lang = attributeMatch('Language', String(props.language ?? '') || p.language, m.language);
      return { matches: arch.ok && lang.ok, rule: `${arch.text}; ${lang.text}` };
    }
    case PACKAGE_TYPE.driverPackage: {
      const model = String(props.model ?? '');
      if (model === '') return { matches: true, rule: 'Model not set (matches every machine)' };
      if (!m.model) return { matches: false, rule: `Model "${model}", machine's not given` };
      const ok = m.model.toLowerCase().includes(model.toLowerCase());
      return { matches: ok, rule: `machine model "${m.model}" ${ok ? 'contains' : 'does not contain'} "${model}"` };
    }
    default:
      return { matches: true, rule: 'no pre-cache attribute: downloaded in full' };
  }
}

function pxeCompatible(bootArch: string, m: MachineAttributes): { ok: boolean | null; rule: string } {
  const arch = m.architecture?.toLowerCase();
  if (!arch || !m.firmware) return { ok: null, rule: 'give architecture and firmware to check PXE boot compatibility' };
  if (m.firmware === 'uefi') {
    const ok = arch === bootArch;
    return { ok, rule: `UEFI boots only a boot image of its own architecture (${arch}); this one is ${bootArch}` };
  }
  const ok = arch === 'x64' ? bootArch === 'x64' || bootArch === 'x86' : arch === bootArch;
  return { ok, rule: `BIOS ${arch} boots ${arch === 'x64' ? 'x86 or x64' : arch} boot images; this one is ${bootArch}` };
}

export async function deploymentContentManifest(db: Queryable, deploymentId: string, machine: MachineAttributes): Promise<DeploymentContentManifest> {
  const d = await getDeployment(db, deploymentId);
  const ts = await readTaskSequenceRow(db, d.taskSequenceId);
  const refs = await revisionReferences(db, d.taskSequenceId, d.revision);
  const referencedAs = new Map<string, string>();
  if (ts.boot_image_id) referencedAs.set(ts.boot_image_id, 'boot image');
  for (const r of refs) if (r.refKind === 'package' && !referencedAs.has(r.refId)) referencedAs.set(r.refId, 'step');
  const appNames = refs.filter((r) => r.refKind === 'application').map((r) => r.refId);
  if (appNames.length) {
    const apps = await db.query<{ name: string; package_id: string | null }>('SELECT name, package_id FROM applications WHERE model_name = ANY($1::text[])', [
      appNames,
    ]);
    for (const a of apps.rows) if (a.package_id && !referencedAs.has(a.package_id)) referencedAs.set(a.package_id, `application "${a.name}"`);
  }
  const { rows } = await db.query<PackageRow>(
    `SELECT p.package_id, p.name, p.package_type, p.language, p.source_version, p.content_id, p.properties, c.size, c.file_count
     FROM packages p LEFT JOIN content c ON c.id = p.content_id WHERE p.package_id = ANY($1::text[]) ORDER BY p.package_id`,
    [[...referencedAs.keys()]],
  );
  const dps = await db.query<{ package_id: string; dp_name: string }>(
    `SELECT s.package_id, s.dp_name FROM distribution_status s JOIN packages p ON p.package_id = s.package_id
     WHERE s.package_id = ANY($1::text[]) AND s.state = 'success' AND s.source_version = p.source_version ORDER BY s.dp_name`,
    [rows.map((r) => r.package_id)],
  );
  const byPackage = new Map<string, string[]>();
  for (const r of dps.rows) (byPackage.get(r.package_id) ?? byPackage.set(r.package_id, []).get(r.package_id)!).push(r.dp_name);

  const s = d.settings;
  const preCacheApplies = d.purpose === 'available' && s.preDownload && (s.availability === 'clients' || s.availability === 'clients-media-pxe');
  const preCacheRule = preCacheApplies
    ? `pre-download is on: clients start downloading at ${s.availableAt}`
    : d.purpose !== 'available'
      ? 'pre-cache applies only to Available deployments'
      : !s.preDownload
        ? 'pre-download is off for this deployment'
        : 'the deployment is not offered to clients; machines starting from PXE or media download content as the task sequence needs it';

  const packages: ManifestPackage[] = rows
    // Only the task sequence's current boot image: a boot image left in an old reference list is not downloaded.
    .filter((r) => r.package_type !== PACKAGE_TYPE.bootImage || r.package_id === ts.boot_image_id)
    .map((r) => {
      const match = preCacheMatch(r, machine);
      return {
        packageId: r.package_id,
        name: r.name,
        type: PACKAGE_TYPE_NAMES[r.package_type] ?? `PackageType ${r.package_type}`,
        packageType: r.package_type,
        referencedAs: referencedAs.get(r.package_id) ?? 'step',
        sourceVersion: r.source_version,
        contentId: r.content_id,
        sizeBytes: Number(r.size ?? 0),
        fileCount: Number(r.file_count ?? 0),
        preCache: match,
        preCached: preCacheApplies && match.matches,
        distributionPoints: byPackage.get(r.package_id) ?? [],
      };
    });

  let bootImage: DeploymentContentManifest['bootImage'] = null;
  const boot = rows.find((r) => r.package_id === ts.boot_image_id);
  if (boot) {
    const arch = String(boot.properties.architecture ?? 'x64');
    const c = pxeCompatible(arch, machine);
    bootImage = { packageId: boot.package_id, architecture: arch, pxeCompatible: c.ok, rule: c.rule };
  }
  return {
    deploymentId: d.id,
    taskSequenceId: d.taskSequenceId,
    revision: d.revision,
    machine,
    preCacheApplies,
    preCacheRule,
    bootImage,
    packages,
    totals: {
      packages: packages.length,
      totalBytes: packages.reduce((n, p) => n + p.sizeBytes, 0),
      preCacheBytes: packages.filter((p) => p.preCached).reduce((n, p) => n + p.sizeBytes, 0),
      notDistributed: packages.filter((p) => p.distributionPoints.length === 0).map((p) => p.packageId),
      withoutContent: packages.filter((p) => p.contentId === null).map((p) => p.packageId),
    },
  };
}

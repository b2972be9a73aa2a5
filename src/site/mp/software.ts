/**
 * What the Install Application and Install Software Updates steps ask the management point
 * (osd-features §2.7, §2.8; docs/software-updates.md; docs/management-point.md "Applications and
 * software updates"):
 *
 * - `deviceApplications`: the applications a step names — by model name (`ApplicationName`) or by
 *   the exact, case-sensitive display name a dynamic variable list holds (§2.7) — with their
 *   dependencies (transitively, each before the one that needs it), deployment types, content
 *   PackageIDs and distribution point locations. Only applications fit for a task sequence are
 *   answered; the others are `refused` with §2.7's reasons, unknown names listed as `unknown`.
 *   [I] A dependency needs a task-sequence-installable deployment type but not "allow this
 *   application to be installed from the Install Application task sequence action": ConfigMgr
 *   installs dependencies as part of the application the step names.
 * - `deviceSoftwareUpdates`: the updates deployed (enabled, available now) to the collections the
 *   computer is a member of — its membership re-evaluated first, an unknown computer's through its
 *   unknown-computer object, as for task sequence policy — each with its purpose (Required wins when
 *   several deployments name it; Required is the step's "Mandatory"), deadline, applicability
 *   rules, payload files and their package's locations. Expired updates are left out (named in `notOffered`).
 */
import type { Queryable } from '../db/database.js';
import { badInput } from '../errors.js';
import type { Site } from '../site.js';
import type { ContentFile } from '../content/store.js';
import { taskSequenceReadiness, type DeploymentType } from '../objects/applications.js';
import type { UpdateApplicability, UpdateFile } from '../objects/software-updates.js';
import type { MpDevice } from './credentials.js';
import { packageUrl, type ContentLocation } from './deployment-content.js';
import { evaluateDeviceMembership } from './device-membership.js';
import { deviceFacts, policyTarget } from './policy.js';

/** The most names one request may carry (a step lists a handful; ConfigMgr once allowed 9 per step). */
export const MAX_APPLICATION_NAMES = 100;

export interface MpContentPackage {
  packageId: string;
  name: string;
  sourceVersion: number;
  sizeBytes: number;
  files: ContentFile[];
  locations: ContentLocation[];
}

export interface MpDeploymentType {
  name: string;
  technology: string;
  installCommand: string;
  successCodes: number[];
  restartCodes: number[];
  detectionMethod: DeploymentType['detectionMethod'];
}

export interface MpApplication {
  modelName: string;
  name: string;
  softwareVersion: string;
  allowTaskSequenceInstall: boolean;
  packageId: string | null;
  /** Model names, installed first in this order. */
  dependencies: string[];
  deploymentTypes: MpDeploymentType[];
}

export interface DeviceApplications {
  applications: MpApplication[];
  refused: Array<{ name: string; modelName: string; reasons: string[] }>;
  unknown: string[];
  packages: MpContentPackage[];
}

interface AppRow {
  ci_id: string | number;
  model_name: string;
  name: string;
  software_version: string;
  allow_task_sequence_install: boolean;
  retired: boolean;
  deployment_types: DeploymentType[];
  package_id: string | null;
  dependencies: string[] | null;
}

const APP_SELECT = `SELECT a.ci_id, a.model_name, a.name, a.software_version, a.allow_task_sequence_install, a.retired, a.deployment_types, a.package_id,
  (SELECT array_agg(o.model_name ORDER BY d.position) FROM application_dependencies d JOIN applications o ON o.ci_id = d.depends_on WHERE d.ci_id = a.ci_id) AS dependencies
  FROM applications a`;

export async function deviceApplications(site: Site, _device: MpDevice, names: string[]): Promise<DeviceApplications> {
  if (names.length > MAX_APPLICATION_NAMES) throw badInput('body.names', `${names.length} names; at most ${MAX_APPLICATION_NAMES}`);
  const db = site.db;
  const unknown: string[] = [];
  const refused = new Map<string, { name: string; modelName: string; reasons: string[] }>();
  const answered = new Map<string, MpApplication>();
  const rowsByModel = new Map<string, AppRow>();

  const load = async (where: string, value: string): Promise<AppRow | undefined> => {
    const { rows } = await db.query<AppRow>(`${APP_SELECT} WHERE ${where} ORDER BY a.ci_id LIMIT 1`, [value]);
    if (rows[0]) rowsByModel.set(rows[0].model_name, rows[0]);
    return rows[0];
  };

  /** The problems keeping `row` (and what it depends on) from a task sequence; [] when it can be installed. */
  const check = async (row: AppRow, asDependency: boolean, path: string[]): Promise<string[]> => {
    if (path.includes(row.model_name)) return [`its dependencies form a cycle through ${row.name}`];
    const dts = row.deployment_types.map((dt) => ({ ...dt, successCodes: dt.successCodes ?? [0, 1707], restartCodes: dt.restartCodes ?? [3010, 1641] }));
    let problems = taskSequenceReadiness({
      allowTaskSequenceInstall: row.allow_task_sequence_install,
      retired: row.retired,
      deploymentTypes: dts,
    }).problems;
    if (asDependency) problems = problems.filter((p) => !p.startsWith('"Allow this application'));
    for (const dep of row.dependencies ?? []) {
      const d = rowsByModel.get(dep) ?? (await load('a.model_name = $1', dep));
      if (!d) {
        problems.push(`its dependency ${dep} no longer exists`);
        continue;
      }
      const depProblems = await check(d, true, [...path, row.model_name]);
      if (depProblems.length) problems.push(`its dependency ${d.name}: ${depProblems.join('; ')}`);
    }
    if (!problems.length && !answered.has(row.model_name)) {
      answered.set(row.model_name, {
        modelName: row.model_name,
        name: row.name,
        softwareVersion: row.software_version,
        allowTaskSequenceInstall: row.allow_task_sequence_install,
        packageId: row.package_id,
        dependencies: row.dependencies ?? [],
        deploymentTypes: dts.map((dt) => ({
          name: dt.name,
          technology: dt.technology,
          installCommand: dt.installCommand,
          successCodes: dt.successCodes,
          restartCodes: dt.restartCodes,
          detectionMethod: dt.detectionMethod,
        })),
      });
    }
    return problems;
  };

  for (const raw of names) {
    const name = raw.trim();
    // A model name, else the display name exactly (§2.7: dynamic list values are case-sensitive).
    const row = (await load('a.model_name = $1', name)) ?? (await load('a.name = $1', name));
    if (!row) {
      unknown.push(raw);
      continue;
    }
    const problems = await check(row, false, []);
    if (problems.length) refused.set(row.model_name, { name: row.name, modelName: row.model_name, reasons: problems });
  }
  // Dependencies of refused applications stay only when something else needs them.
  const needed = new Set<string>();
  const visit = (model: string): void => {
    if (needed.has(model)) return;
    needed.add(model);
    for (const d of answered.get(model)?.dependencies ?? []) visit(d);
  };
  for (const raw of names) {
    const row = [...rowsByModel.values()].find((r) => r.model_name === raw.trim() || r.name === raw.trim());
    if (row && answered.has(row.model_name)) visit(row.model_name);
  }
  const applications = [...answered.values()].filter((a) => needed.has(a.modelName));
  const packageIds = [...new Set(applications.map((a) => a.packageId).filter((p): p is string => p !== null))];
  return { applications, refused: [...refused.values()], unknown, packages: await contentPackages(db, packageIds) };
}

/** Packages' files (current content) and the distribution points holding their current version. */
export async function contentPackages(db: Queryable, packageIds: string[]): Promise<MpContentPackage[]> {
  if (!packageIds.length) return [];
  const { rows: pkgs } = await db.query<{
    package_id: string;
    name: string;
    source_version: number;
    files: ContentFile[] | null;
    size: string | number | null;
  }>(
    `SELECT p.package_id, p.name, p.source_version, c.files, c.size FROM packages p LEFT JOIN content c ON c.id = p.content_id
      WHERE p.package_id = ANY($1::text[]) ORDER BY p.package_id`,
    [packageIds],
  );
  const { rows: where } = await db.query<{ package_id: string; name: string; url: string }>(
    `SELECT s.package_id, dp.name, COALESCE(dp.client_url, dp.url) AS url FROM distribution_status s JOIN distribution_points dp ON dp.name = s.dp_name JOIN packages p ON p.package_id = s.package_id
      WHERE s.package_id = ANY($1::text[]) AND s.state = 'success' AND s.source_version = p.source_version ORDER BY dp.name`,
    [packageIds],
  );
  return pkgs.map((p) => ({
    packageId: p.package_id,
    name: p.name,
    sourceVersion: Number(p.source_version),
    sizeBytes: Number(p.size ?? 0),
    files: (p.files ?? []).map((f) => ({ path: f.path, size: Number(f.size), sha256: f.sha256 })),
    locations: where.filter((w) => w.package_id === p.package_id).map((w) => ({ dp: w.name, url: packageUrl(w.url, p.package_id) })),
  }));
}

export interface MpSoftwareUpdate {
  updateId: string;
  articleId: string;
  title: string;
  classification: string;
  products: string[];
  /** Required (a deadline: the step's "Mandatory") or Available. */
  purpose: 'required' | 'available';
  /** The earliest deadline of the Required deployments naming it. */
  deadline: string | null;
  deployments: string[];
  applicability: UpdateApplicability;
  supersedes: string[];
  packageId: string | null;
  files: UpdateFile[];
  restartRequired: boolean;
}

export interface DeviceSoftwareUpdates {
  updates: MpSoftwareUpdate[];
  packages: MpContentPackage[];
  /** Deployed updates left out, and why (expired, metadata gone). */
  notOffered: Array<{ updateId: string; reason: string }>;
  notes: string[];
}

interface UpdateRow {
  update_id: string;
  article_id: string;
  title: string;
  classification: string;
  products: string[];
  expired: boolean;
  applicability: UpdateApplicability;
  supersedes: string[];
  files: UpdateFile[];
  restart_required: boolean;
  package_id: string | null;
}

export async function deviceSoftwareUpdates(site: Site, device: MpDevice, now: Date = new Date()): Promise<DeviceSoftwareUpdates> {
  const facts = await site.db.transaction(async (tx) => {
    await evaluateDeviceMembership(tx, device.resourceId);
    return deviceFacts(tx, device.resourceId);
  });
  const target = policyTarget(device, facts);
  const notes: string[] = [];
  if (target === null) {
    notes.push(`unknown computer of architecture ${facts.architecture ?? 'unknown'}: no unknown-computer object, so no deployments`);
    return { updates: [], packages: [], notOffered: [], notes };
  }
  if (target !== device.resourceId) notes.push('unknown computer: updates deployed to collections holding its unknown-computer object');
  const { rows: deployments } = await site.db.query<{ deployment_id: string; purpose: string; deadline: Date | null; update_ids: string[] }>(
    `SELECT d.deployment_id, d.purpose, d.deadline, d.update_ids FROM software_update_deployments d
       JOIN collection_members m ON m.collection_id = d.collection_id AND m.resource_id = $1
      WHERE d.enabled AND d.available_at <= $2 ORDER BY d.deployment_id`,
    [target, now],
  );
  const offers = new Map<string, { purpose: 'required' | 'available'; deadline: Date | null; deployments: string[] }>();
  for (const d of deployments) {
    for (const id of d.update_ids) {
      const o = offers.get(id) ?? { purpose: 'available' as const, deadline: null, deployments: [] };
      o.deployments.push(d.deployment_id);
      if (d.purpose === 'required') {
        o.purpose = 'required';
        if (d.deadline && (!o.deadline || d.deadline < o.deadline)) o.deadline = d.deadline;
      }
      offers.set(id, o);
    }
  }
  const ids = [...offers.keys()];
  const { rows } = ids.length
    ? await site.db.query<UpdateRow>(
        `SELECT update_id, article_id, title, classification, products, expired, applicability, supersedes, files, restart_required, package_id
           FROM software_updates WHERE update_id = ANY($1::text[]) ORDER BY ci_id`,
        [ids],
      )
    : { rows: [] as UpdateRow[] };
  const notOffered: Array<{ updateId: string; reason: string }> = [];
  const updates: MpSoftwareUpdate[] = [];
  for (const r of rows) {
    if (r.expired) {
      notOffered.push({ updateId: r.update_id, reason: 'expired' });
      continue;
    }
    const o = offers.get(r.update_id)!;
    updates.push({
      updateId: r.update_id,
      articleId: r.article_id,
      title: r.title,
      classification: r.classification,
      products: r.products,
      purpose: o.purpose,
      deadline: o.deadline ? o.deadline.toISOString() : null,
      deployments: o.deployments,
      applicability: { ...r.applicability, architectures: r.applicability.architectures ?? [] },
      supersedes: r.supersedes,
      packageId: r.package_id,
      files: r.files.map((f) => ({ name: f.name, size: Number(f.size), sha256: f.sha256 })),
      restartRequired: r.restart_required,
    });
  }
  for (const id of ids) if (!rows.some((r) => r.update_id === id)) notOffered.push({ updateId: id, reason: "the update's metadata is no longer on the site" });
  const packageIds = [...new Set(updates.map((u) => u.packageId).filter((p): p is string => p !== null))];
  return { updates, packages: await contentPackages(site.db, packageIds), notOffered, notes };
}

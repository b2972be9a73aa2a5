/**
 * Applications (osd-features §2.7): deployment types, content (a PackageType 8 package), the
 * "allow this application to be installed from the Install Application task sequence action
 * without being deployed" flag, supersedence and retirement. Task sequences reference an
 * application by its model name, `ScopeId_<site scope>/Application_<GUID>`; the scope GUID is made
 * once per site and kept in site_settings ('scope_id').
 *
 * `taskSequenceReady` applies §2.7's rules for Install Application: every deployment type must be
 * Windows Installer or Script, install for system, run whether or not a user is logged on, allow
 * no user interaction, not restart on its own (return 3010 instead) and not check for running
 * executables; the flag must be set and the application not retired. [I] Every deployment type,
 * not just the first, because the step installs whichever one applies on the computer.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { objectName } from '../name-schema.js';
import { audit } from '../audit.js';
import type { Queryable } from '../db/database.js';
import { badInput, conflict, inUse, notFound } from '../errors.js';
import { nextSteps } from '../next-steps.js';
import type { Actor } from '../security/roles.js';
import type { Site } from '../site.js';
import { describeUses, taskSequencesUsing } from './in-use.js';
import { PACKAGE_TYPE } from './package-types.js';
import { insertPackage, requireOneSource, resolveContent, setContentInTx } from './packages.js';

export const deploymentTypeSchema = z.object({
  name: objectName(256),
  technology: z.enum(['msi', 'script', 'appv', 'appx', 'macos', 'web-application']),
  installCommand: z.string().max(1024).default(''),
  uninstallCommand: z.string().max(1024).default(''),
  /**
   * How the step finds out whether it is installed (docs/software-updates.md "Applications"):
   * `file` / `folder` a path on the OS volume (`%ProgramFiles%\App\app.exe`, `%SystemDrive%` …),
   * `registry` a key (`HKEY_LOCAL_MACHINE\SOFTWARE\…`, with `valueName` a value under it and with
   * `equals` its data), `msi-product-code` a product code found under the Uninstall key, `script` a
   * shell script: detected when it exits 0 and writes something to standard output (ConfigMgr's rule).
   */
  detectionMethod: z.object({
    kind: z.enum(['msi-product-code', 'file', 'folder', 'registry', 'script']),
    value: z.string().min(1).max(4096),
    valueName: z.string().max(256).optional(),
    equals: z.string().max(1024).optional(),
  }),
  /** Return codes meaning success ([I] ConfigMgr's defaults: 0 and 1707) and success with a restart (3010 soft, 1641 hard). */
  successCodes: z.array(z.number().int()).max(64).default([0, 1707]),
  restartCodes: z.array(z.number().int()).max(64).default([3010, 1641]),
  /** Installation behavior: "Install for system" or "Install for user". */
  runAs: z.enum(['system', 'user']).default('system'),
  logonRequirement: z.enum(['whether-or-not', 'only-when-logged-on', 'only-when-not-logged-on']).default('whether-or-not'),
  /** "Allow users to view and interact with the program installation". */
  userInteraction: z.boolean().default(false),
  /** Install behavior: check for running executables (fails in a task sequence). */
  checkRunningExecutables: z.boolean().default(false),
  /** After installation: restarts on its own ('program-restarts') is not allowed in a task sequence. */
  postInstallBehavior: z.enum(['no-action', 'program-restarts', 'configmgr-restarts', 'force-logoff']).default('no-action'),
});
export type DeploymentType = z.infer<typeof deploymentTypeSchema>;

const applicationFields = {
  name: objectName(256),
  publisher: z.string().max(256).optional(),
  softwareVersion: z.string().max(64).optional(),
  description: z.string().max(2048).optional(),
  allowTaskSequenceInstall: z.boolean().optional(),
  deploymentTypes: z.array(deploymentTypeSchema).optional(),
  /** Content: a folder the server reads, or uploaded content. */
  sourcePath: z.string().min(1).optional(),
  contentId: z.string().min(1).optional(),
  /** Applications this one supersedes (their CI ids). */
  supersedes: z.array(z.number().int().positive()).optional(),
  /** Applications this one depends on (their CI ids), installed first by the Install Application step, in this order. */
  dependencies: z.array(z.number().int().positive()).max(64).optional(),
};
export const createApplicationSchema = z.object(applicationFields);
export const updateApplicationSchema = z.object({ ...applicationFields, name: applicationFields.name.optional() });
export type CreateApplicationInput = z.input<typeof createApplicationSchema>;
export type UpdateApplicationInput = z.input<typeof updateApplicationSchema>;

export interface ApplicationRef {
  ciId: number;
  modelName: string;
  name: string;
}

export interface TaskSequenceReadiness {
  ok: boolean;
  problems: string[];
}

export interface ApplicationView {
  ciId: number;
  modelName: string;
  name: string;
  publisher: string;
  softwareVersion: string;
  description: string;
  allowTaskSequenceInstall: boolean;
  retired: boolean;
  supersededBy: string | null;
  supersedes: string[];
  /** What it depends on, in install order. */
  dependencies: ApplicationRef[];
  deploymentTypes: DeploymentType[];
  packageId: string | null;
  taskSequenceReady: TaskSequenceReadiness;
  createdAt: string;
  updatedAt: string;
}

interface AppRow {
  ci_id: number;
  model_name: string;
  name: string;
  publisher: string;
  software_version: string;
  description: string;
  allow_task_sequence_install: boolean;
  retired: boolean;
  superseded_by: string | null;
  deployment_types: DeploymentType[];
  package_id: string | null;
  created_at: Date;
  updated_at: Date;
  supersedes: string[] | null;
  dependencies: ApplicationRef[] | null;
}

const TECHNOLOGY_NAMES: Record<DeploymentType['technology'], string> = {
  msi: 'Windows Installer',
  script: 'Script Installer',
  appv: 'App-V',
  appx: 'Windows app package (appx)',
  macos: 'Mac OS X',
  'web-application': 'Web Application',
};

/** §2.7: what keeps the Install Application step from installing it. */
export function taskSequenceReadiness(app: { allowTaskSequenceInstall: boolean; retired: boolean; deploymentTypes: DeploymentType[] }): TaskSequenceReadiness {
  const problems: string[] = [];
  if (!app.allowTaskSequenceInstall) {
    problems.push('"Allow this application to be installed from the Install Application task sequence action without being deployed" is not set');
  }
  if (app.retired) problems.push('the application is retired');
  if (!app.deploymentTypes.length) problems.push('the application has no deployment type');
  for (const dt of app.deploymentTypes) {
    const p = `deployment type "${dt.name}"`;
    if (dt.technology !== 'msi' && dt.technology !== 'script')
      problems.push(`${p} is ${TECHNOLOGY_NAMES[dt.technology]}; a task sequence installs only Windows Installer or Script deployment types`);
    if (dt.runAs !== 'system') problems.push(`${p} installs for the user; a task sequence needs "Install for system"`);
    if (dt.logonRequirement !== 'whether-or-not')
      problems.push(
        `${p} runs ${dt.logonRequirement === 'only-when-logged-on' ? 'only when a user is logged on' : 'only when no user is logged on'}; a task sequence needs "Whether or not a user is logged on"`,
      );
    if (dt.userInteraction) problems.push(`${p} allows user interaction; a task sequence needs none`);
    if (dt.checkRunningExecutables) problems.push(`${p} checks for running executables, which fails in a task sequence`);
    if (dt.postInstallBehavior === 'program-restarts')
      problems.push(`${p} restarts the computer itself; return 3010 and let the task sequence restart instead`);
  }
  return { ok: problems.length === 0, problems };
}

function toView(r: AppRow): ApplicationView {
  const base = {
    ciId: Number(r.ci_id),
    modelName: r.model_name,
    name: r.name,
    publisher: r.publisher,
    softwareVersion: r.software_version,
    description: r.description,
    allowTaskSequenceInstall: r.allow_task_sequence_install,
    retired: r.retired,
    supersededBy: r.superseded_by,
    supersedes: r.supersedes ?? [],
    dependencies: (r.dependencies ?? []).map((d) => ({ ciId: Number(d.ciId), modelName: d.modelName, name: d.name })),
    deploymentTypes: r.deployment_types.map(withCodeDefaults),
    packageId: r.package_id,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
  return { ...base, taskSequenceReady: taskSequenceReadiness(base) };
}

const SELECT = `SELECT a.*, (SELECT array_agg(o.model_name ORDER BY o.ci_id) FROM applications o WHERE o.superseded_by = a.model_name) AS supersedes,
  (SELECT jsonb_agg(jsonb_build_object('ciId', o.ci_id, 'modelName', o.model_name, 'name', o.name) ORDER BY d.position)
     FROM application_dependencies d JOIN applications o ON o.ci_id = d.depends_on WHERE d.ci_id = a.ci_id) AS dependencies
  FROM applications a`;

/** Deployment types stored before the codes existed (issue 13) get ConfigMgr's defaults. */
function withCodeDefaults(dt: DeploymentType): DeploymentType {
  return { ...dt, successCodes: dt.successCodes ?? [0, 1707], restartCodes: dt.restartCodes ?? [3010, 1641] };
}

export async function getApplication(db: Queryable, ciId: number): Promise<ApplicationView> {
  const { rows } = await db.query<AppRow>(`${SELECT} WHERE a.ci_id = $1`, [ciId]);
  if (!rows[0]) throw notFound('application', ciId, 'list the applications to find its id', nextSteps('list-applications'));
  return toView(rows[0]);
}

export async function listApplications(db: Queryable, filter: { retired?: boolean } = {}): Promise<ApplicationView[]> {
  const { rows } = await db.query<AppRow>(
    `${SELECT} ${filter.retired === undefined ? '' : 'WHERE a.retired = $1'} ORDER BY lower(a.name)`,
    filter.retired === undefined ? [] : [filter.retired],
  );
  return rows.map(toView);
}

/** The site's scope id, `ScopeId_<GUID>`, made on first use (concurrent servers agree on one). */
export async function siteScopeId(db: Queryable): Promise<string> {
  await db.query(`INSERT INTO site_settings (key, value) VALUES ('scope_id', $1) ON CONFLICT (key) DO NOTHING`, [
    JSON.stringify(`ScopeId_${randomUUID().toUpperCase()}`),
  ]);
  const { rows } = await db.query<{ value: string }>(`SELECT value FROM site_settings WHERE key = 'scope_id'`);
  return rows[0]!.value;
}

async function checkNameFree(db: Queryable, name: string, exceptCiId?: number): Promise<void> {
  const { rows } = await db.query<{ ci_id: number }>('SELECT ci_id FROM applications WHERE lower(name) = lower($1) AND ci_id IS DISTINCT FROM $2', [
    name,
    exceptCiId ?? null,
  ]);
  if (rows.length)
    throw conflict(
      'body.name',
      `an application is already named "${name}" (CI id ${Number(rows[0]!.ci_id)})`,
      'application names are unique: task sequences and dynamic lists name them exactly',
    );
}

function checkDeploymentTypes(dts: DeploymentType[]): void {
  const seen = new Set<string>();
  dts.forEach((dt, i) => {
    const both = dt.successCodes.filter((c) => dt.restartCodes.includes(c));
    if (both.length)
      throw badInput(
        `body.deploymentTypes[${i}].restartCodes`,
        `${both.join(', ')} is both a success code and a restart code`,
        'a return code means one thing: list it once',
      );
    if (dt.detectionMethod.kind !== 'registry' && (dt.detectionMethod.valueName !== undefined || dt.detectionMethod.equals !== undefined))
      throw badInput(
        `body.deploymentTypes[${i}].detectionMethod`,
        `valueName and equals belong to a registry detection method, not ${dt.detectionMethod.kind}`,
      );
    if (dt.detectionMethod.kind === 'registry' && !/^(HKEY_LOCAL_MACHINE|HKLM)\\/i.test(dt.detectionMethod.value))
      throw badInput(
        `body.deploymentTypes[${i}].detectionMethod.value`,
        `"${dt.detectionMethod.value.slice(0, 80)}" is not a key under HKEY_LOCAL_MACHINE`,
        'a deployment type installs for the system: detect it under HKEY_LOCAL_MACHINE\\SOFTWARE\\…',
      );
    if (seen.has(dt.name.toLowerCase())) throw badInput(`body.deploymentTypes[${i}].name`, `a second deployment type is named "${dt.name}"`);
    seen.add(dt.name.toLowerCase());
    if ((dt.technology === 'msi' || dt.technology === 'script') && !dt.installCommand) {
      throw badInput(
        `body.deploymentTypes[${i}].installCommand`,
        `a ${TECHNOLOGY_NAMES[dt.technology]} deployment type needs an installation program`,
        'e.g. msiexec /i app.msi /qn',
      );
    }
  });
}

/** Sets superseded_by on the applications this one supersedes (inside the transaction). */
async function setSupersedence(tx: Queryable, modelName: string, selfCiId: number, supersedes: number[]): Promise<void> {
  for (const [i, ciId] of supersedes.entries()) {
    if (ciId === selfCiId) throw badInput(`body.supersedes[${i}]`, 'an application cannot supersede itself');
    const { rows } = await tx.query<{ model_name: string }>('SELECT model_name FROM applications WHERE ci_id = $1', [ciId]);
    if (!rows[0]) throw badInput(`body.supersedes[${i}]`, `no application has the CI id ${ciId}`);
    // A chain back to this application would make each supersede the other.
    let cursor: string | null = modelName;
    for (let hops = 0; cursor && hops < 100; hops++) {
      if (cursor === rows[0].model_name)
        throw badInput(`body.supersedes[${i}]`, `application ${ciId} already supersedes this one (directly or through others)`);
      const up: { rows: Array<{ superseded_by: string | null }> } = await tx.query('SELECT superseded_by FROM applications WHERE model_name = $1', [cursor]);
      cursor = up.rows[0]?.superseded_by ?? null;
    }
  }
  await tx.query('UPDATE applications SET superseded_by = NULL, updated_at = now() WHERE superseded_by = $1', [modelName]);
  if (supersedes.length) {
    await tx.query('UPDATE applications SET superseded_by = $1, updated_at = now() WHERE ci_id IN (SELECT jsonb_array_elements_text($2::jsonb)::bigint)', [
      modelName,
      JSON.stringify(supersedes),
    ]);
  }
}

/** Replaces the application's dependencies (inside the transaction): known applications, never itself, no cycle. */
async function setDependencies(tx: Queryable, selfCiId: number, dependencies: number[]): Promise<void> {
  const seen = new Set<number>();
  for (const [i, ciId] of dependencies.entries()) {
    if (ciId === selfCiId) throw badInput(`body.dependencies[${i}]`, 'an application cannot depend on itself');
    if (seen.has(ciId)) throw badInput(`body.dependencies[${i}]`, `application ${ciId} is listed twice`);
    seen.add(ciId);
    const { rows } = await tx.query<{ name: string }>('SELECT name FROM applications WHERE ci_id = $1', [ciId]);
    if (!rows[0]) throw badInput(`body.dependencies[${i}]`, `no application has the CI id ${ciId}`, 'list the applications to find its id');
    // What the dependency depends on, transitively: reaching this application would be a cycle.
    const stack = [ciId];
    const visited = new Set<number>();
    while (stack.length) {
      const at = stack.pop()!;
      if (visited.has(at)) continue;
      visited.add(at);
      const { rows: next } = await tx.query<{ depends_on: string | number }>('SELECT depends_on FROM application_dependencies WHERE ci_id = $1', [at]);
      for (const n of next) {
        if (Number(n.depends_on) === selfCiId)
          throw badInput(`body.dependencies[${i}]`, `${rows[0].name} (${ciId}) already depends on this application (directly or through others)`);
        stack.push(Number(n.depends_on));
      }
    }
  }
  await tx.query('DELETE FROM application_dependencies WHERE ci_id = $1', [selfCiId]);
  for (const [position, ciId] of dependencies.entries()) {
    await tx.query('INSERT INTO application_dependencies (ci_id, depends_on, position) VALUES ($1, $2, $3)', [selfCiId, ciId, position]);
  }
}

export async function createApplication(site: Site, actor: Actor, raw: CreateApplicationInput): Promise<ApplicationView> {
  const input = createApplicationSchema.parse(raw);
  const dts = input.deploymentTypes ?? [];
  checkDeploymentTypes(dts);
  await checkNameFree(site.db, input.name);
  const content = requireOneSource(input, 'body', true) ? await resolveContent(site, input) : undefined;
  const ciId = await site.db.transaction(async (tx) => {
    const scope = await siteScopeId(tx);
    const modelName = `${scope}/Application_${randomUUID()}`;
    await checkNameFree(tx, input.name);
    const packageId = content
      ? await insertPackage(tx, site.siteCode, {
          packageType: PACKAGE_TYPE.application,
          name: input.name,
          version: input.softwareVersion,
          manufacturer: input.publisher,
          sourcePath: content.sourcePath,
          contentId: content.contentId,
        })
      : null;
    const { rows } = await tx.query<{ ci_id: number }>(
      `INSERT INTO applications (model_name, name, publisher, software_version, description, allow_task_sequence_install, deployment_types, package_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ci_id`,
      [
        modelName,
        input.name,
        input.publisher ?? '',
        input.softwareVersion ?? '',
        input.description ?? '',
        input.allowTaskSequenceInstall ?? false,
        JSON.stringify(dts),
        packageId,
      ],
    );
    const id = Number(rows[0]!.ci_id);
    if (input.supersedes?.length) await setSupersedence(tx, modelName, id, input.supersedes);
    if (input.dependencies?.length) await setDependencies(tx, id, input.dependencies);
    await audit(tx, actor, 'create', 'application', id, { name: input.name, modelName, packageId });
    return id;
  });
  return getApplication(site.db, ciId);
}

export async function updateApplication(site: Site, actor: Actor, ciId: number, raw: UpdateApplicationInput): Promise<ApplicationView> {
  const input = updateApplicationSchema.parse(raw);
  const current = await getApplication(site.db, ciId);
  if (input.deploymentTypes) checkDeploymentTypes(input.deploymentTypes);
  if (input.name !== undefined) await checkNameFree(site.db, input.name, ciId);
  const content = requireOneSource(input, 'body', true) ? await resolveContent(site, input) : undefined;
  await site.db.transaction(async (tx) => {
    const sets: string[] = [];
    const params: unknown[] = [ciId];
    if (input.name !== undefined) sets.push(`name = $${params.push(input.name)}`);
    if (input.publisher !== undefined) sets.push(`publisher = $${params.push(input.publisher)}`);
    if (input.softwareVersion !== undefined) sets.push(`software_version = $${params.push(input.softwareVersion)}`);
    if (input.description !== undefined) sets.push(`description = $${params.push(input.description)}`);
    if (input.allowTaskSequenceInstall !== undefined) sets.push(`allow_task_sequence_install = $${params.push(input.allowTaskSequenceInstall)}`);
    if (input.deploymentTypes !== undefined) sets.push(`deployment_types = $${params.push(JSON.stringify(input.deploymentTypes))}`);
    if (content) {
      if (current.packageId) {
        await setContentInTx(tx, current.packageId, content.contentId, { sourcePath: content.sourcePath });
      } else {
        const packageId = await insertPackage(tx, site.siteCode, {
          packageType: PACKAGE_TYPE.application,
          name: input.name ?? current.name,
          sourcePath: content.sourcePath,
          contentId: content.contentId,
        });
        sets.push(`package_id = $${params.push(packageId)}`);
      }
    }
    sets.push('updated_at = now()');
    await tx.query(`UPDATE applications SET ${sets.join(', ')} WHERE ci_id = $1`, params);
    if (input.name !== undefined && current.packageId)
      await tx.query('UPDATE packages SET name = $2, updated_at = now() WHERE package_id = $1', [current.packageId, input.name]);
    if (input.supersedes !== undefined) await setSupersedence(tx, current.modelName, ciId, input.supersedes);
    if (input.dependencies !== undefined) await setDependencies(tx, ciId, input.dependencies);
    await audit(tx, actor, 'update', 'application', ciId, { changed: Object.keys(input).filter((k) => (input as Record<string, unknown>)[k] !== undefined) });
  });
  return getApplication(site.db, ciId);
}

/**
 * Retire (or reinstate). Allowed while task sequences reference it, with a warning: §2.7 says a
 * task sequence that references a retired application fails to start.
 */
export async function setApplicationRetired(
  site: Site,
  actor: Actor,
  ciId: number,
  retired: boolean,
): Promise<{ application: ApplicationView; warnings: string[] }> {
  const current = await getApplication(site.db, ciId);
  const warnings: string[] = [];
  await site.db.transaction(async (tx) => {
    await tx.query('UPDATE applications SET retired = $2, updated_at = now() WHERE ci_id = $1', [ciId, retired]);
    if (retired) {
      const uses = await taskSequencesUsing(tx, current.modelName, 'application');
      if (uses.length) warnings.push(`task sequences reference this application and will fail to start while it is retired: ${describeUses(uses)}`);
    }
    await audit(tx, actor, retired ? 'retire' : 'reinstate', 'application', ciId, { name: current.name });
  });
  return { application: await getApplication(site.db, ciId), warnings };
}

/** Refused while a task sequence references it or while it takes part in supersedence. Its content package goes with it. */
export async function deleteApplication(site: Site, actor: Actor, ciId: number): Promise<ApplicationView> {
  const current = await getApplication(site.db, ciId);
  return site.db.transaction(async (tx) => {
    const uses = await taskSequencesUsing(tx, current.modelName, 'application');
    if (uses.length)
      throw inUse(String(ciId), `task sequences reference this application: ${describeUses(uses)}`, 'remove it from those task sequences first', {
        taskSequences: uses,
      });
    const { rows: dependents } = await tx.query<{ name: string; ci_id: string | number }>(
      'SELECT a.name, a.ci_id FROM application_dependencies d JOIN applications a ON a.ci_id = d.ci_id WHERE d.depends_on = $1 ORDER BY a.ci_id',
      [ciId],
    );
    if (dependents.length)
      throw conflict(
        String(ciId),
        `applications depend on this one: ${dependents.map((d) => `${d.name} (${Number(d.ci_id)})`).join(', ')}`,
        'remove it from their dependencies first (PATCH dependencies)',
      );
    const { rows } = await tx.query<{ name: string }>('SELECT name FROM applications WHERE superseded_by = $1', [current.modelName]);
    if (rows.length || current.supersededBy) {
      throw conflict(
        String(ciId),
        `the application takes part in supersedence (${rows.length ? `it supersedes ${rows.map((r) => r.name).join(', ')}` : `it is superseded by ${current.supersededBy}`})`,
        'remove the supersedence relationship first (PATCH supersedes)',
      );
    }
    await tx.query('DELETE FROM applications WHERE ci_id = $1', [ciId]);
    if (current.packageId) {
      await tx.query('DELETE FROM packages WHERE package_id = $1', [current.packageId]);
    }
    await audit(tx, actor, 'delete', 'application', ciId, { name: current.name, modelName: current.modelName, packageId: current.packageId });
    return current;
  });
}

/**
 * Site-wide settings kept in the database (site_settings): the site code, Deployment
 * Verification (osd-features §4.5) and unknown computer support (§3.2, docs/management-point.md).
 */
import { z } from 'zod';
import type { Queryable } from './db/database.js';
import { badInput } from './errors.js';

export const deploymentVerificationSchema = z
  .object({
    /** Collections bigger than this are hidden by default and make a Required OSD deployment high-risk; 0 = ignore. */
    defaultSize: z.number().int().min(0).max(10_000_000),
    /** Collections bigger than this are always hidden (refused); 0 = ignore. Must exceed defaultSize. */
    maximumSize: z.number().int().min(0).max(10_000_000),
    /** Collections that hold a site system: block the deployment, or require verification. */
    siteSystems: z.enum(['block', 'verify']),
  })
  .strict();
export type DeploymentVerification = z.infer<typeof deploymentVerificationSchema>;

export const DEFAULT_DEPLOYMENT_VERIFICATION: DeploymentVerification = { defaultSize: 100, maximumSize: 0, siteSystems: 'block' };

export async function getSetting<T>(db: Queryable, key: string): Promise<T | undefined> {
  const { rows } = await db.query<{ value: T }>('SELECT value FROM site_settings WHERE key = $1', [key]);
  return rows[0]?.value;
}

export async function putSetting(db: Queryable, key: string, value: unknown): Promise<void> {
  await db.query('INSERT INTO site_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value', [key, JSON.stringify(value)]);
}

export async function getDeploymentVerification(db: Queryable): Promise<DeploymentVerification> {
  return (await getSetting<DeploymentVerification>(db, 'deployment_verification')) ?? DEFAULT_DEPLOYMENT_VERIFICATION;
}

export function checkDeploymentVerification(v: DeploymentVerification): DeploymentVerification {
  if (v.maximumSize !== 0 && v.maximumSize <= v.defaultSize) {
    throw badInput(
      'maximumSize',
      `the maximum size (${v.maximumSize}) must be greater than the default size (${v.defaultSize})`,
      'or set it to 0 to ignore it',
    );
  }
  return v;
}

/**
 * What the management point does with a computer the site does not know (§3.2): `auto` registers
 * and approves it, `manual` registers it pending an administrator's approval, `refuse` turns it away.
 */
export const UNKNOWN_COMPUTERS = ['auto', 'manual', 'refuse'] as const;
export type UnknownComputers = (typeof UNKNOWN_COMPUTERS)[number];
export const unknownComputersSchema = z.strictObject({ unknownComputers: z.enum(UNKNOWN_COMPUTERS) });
/** [I] ConfigMgr's "Enable unknown computer support" is off by default; the lab and the demo need it on. */
export const DEFAULT_UNKNOWN_COMPUTERS: UnknownComputers = 'auto';

export async function getUnknownComputers(db: Queryable): Promise<UnknownComputers> {
  const v = await getSetting<unknown>(db, 'unknown_computers');
  return (UNKNOWN_COMPUTERS as readonly unknown[]).includes(v) ? (v as UnknownComputers) : DEFAULT_UNKNOWN_COMPUTERS;
}

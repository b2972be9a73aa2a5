/**
 * High-risk deployment verification (osd-features §4.5). "High risk" = Required + an OS
 * deployment task sequence (boot image or Apply Operating System): it installs on its own and
 * wipes disks. Then, with the site's Deployment Verification settings:
 * - only custom collections and All Unknown Computers may be targeted (never All Systems or
 *   another built-in collection);
 * - a collection holding a site system is refused in "block" mode;
 * - a collection larger than the maximum size (≠ 0) is refused (the console never shows it);
 * - otherwise the admin must acknowledge a warning when the collection holds a site system
 *   ("verify" mode), exceeds the default size (≠ 0), or holds a server.
 * Membership is read once, at creation (member_count), and never re-evaluated.
 */
import type { Queryable } from '../db/database.js';
import { SiteError } from '../errors.js';
import { nextSteps } from '../next-steps.js';
import { ALL_UNKNOWN_COMPUTERS } from '../seed.js';
import { getDeploymentVerification } from '../settings.js';

export interface CollectionFacts {
  collectionId: string;
  name: string;
  builtIn: boolean;
  memberCount: number;
}

export interface HighRiskAssessment {
  highRisk: boolean;
  /** What the admin must acknowledge (empty: nothing to confirm). */
  reasons: string[];
}

const MAX_NAMED = 5;

function named(rows: Array<{ name: string }>): string {
  const list = rows
    .slice(0, MAX_NAMED)
    .map((r) => r.name)
    .join(', ');
  return rows.length > MAX_NAMED ? `${list} and ${rows.length - MAX_NAMED} more` : list;
}

/** Throws SiteError 'blocked' for a refusal; returns the reasons to confirm otherwise. */
export async function assessHighRisk(db: Queryable, collection: CollectionFacts, highRisk: boolean): Promise<HighRiskAssessment> {
  if (!highRisk) return { highRisk: false, reasons: [] };
  const input = 'body.collectionId';
  if (collection.builtIn && collection.collectionId !== ALL_UNKNOWN_COMPUTERS) {
    throw new SiteError('blocked', {
      input,
      rule: `a Required deployment of an OS deployment task sequence is high risk and can't target the built-in collection "${collection.name}" (${collection.collectionId})`,
      hint: 'deploy to a custom collection holding only the computers to reimage, or to All Unknown Computers',
    });
  }
  const verification = await getDeploymentVerification(db);
  const size = collection.memberCount;
  const { rows: special } = await db.query<{ name: string; is_site_system: boolean; is_server: boolean }>(
    `SELECT d.name, d.is_site_system, d.is_server FROM collection_members m JOIN devices d ON d.resource_id = m.resource_id
     WHERE m.collection_id = $1 AND (d.is_site_system OR d.is_server) ORDER BY d.name`,
    [collection.collectionId],
  );
  const siteSystems = special.filter((d) => d.is_site_system);
  const servers = special.filter((d) => d.is_server);
  if (siteSystems.length && verification.siteSystems === 'block') {
    throw new SiteError('blocked', {
      input,
      rule: `collection "${collection.name}" contains site system servers (${named(siteSystems)}); Deployment Verification blocks a high-risk deployment to it`,
      hint: 'deploy to a collection without site systems, or a Full Administrator sets "Collections with site system servers" to "require verification" in the Deployment Verification settings',
      details: { siteSystems: siteSystems.map((d) => d.name), ...nextSteps('set-deployment-verification') },
    });
  }
  if (verification.maximumSize !== 0 && size > verification.maximumSize) {
    throw new SiteError('blocked', {
      input,
      rule: `collection "${collection.name}" has ${size} members, more than the maximum size ${verification.maximumSize} for a high-risk deployment`,
      hint: 'deploy to a smaller collection (Deployment Verification › Maximum size)',
      details: { collectionSize: size, maximumSize: verification.maximumSize },
    });
  }
  const reasons: string[] = [];
  if (siteSystems.length) reasons.push(`the collection contains site system servers: ${named(siteSystems)}`);
  if (verification.defaultSize !== 0 && size > verification.defaultSize) {
    reasons.push(`the collection has ${size} members, more than the default size ${verification.defaultSize}`);
  }
  if (servers.length) reasons.push(`the collection contains servers: ${named(servers)}`);
  return { highRisk: true, reasons };
}

/**
 * Distribution points as the site knows them (osd-features §3.5): a name, the URL of its content
 * server and the push token the site uses to put content there (encrypted at rest, never returned),
 * and optionally the URL computers use (`clientUrl`, issue 14: ConfigMgr's DP FQDN for clients vs
 * the site's own connection — in the VM lab the guest reaches the host's loopback as 10.0.2.2).
 */
import type { Queryable } from '../db/database.js';
import { audit } from '../audit.js';
import { badInput, conflict, notFound } from '../errors.js';
import { nextSteps } from '../next-steps.js';
import type { Actor } from '../security/roles.js';
import type { Site } from '../site.js';
import { DistributionPointClient } from '../content/dp-client.js';

export interface DistributionPoint {
  name: string;
  url: string;
  /** The URL computers fetch content from; `url` unless set. */
  clientUrl: string;
  /** Whether clientUrl was set (false: it is `url`). */
  clientUrlSet: boolean;
  description: string;
  pxeEnabled: boolean;
  unknownComputerSupport: boolean;
  createdAt: string;
}

interface Row {
  name: string;
  url: string;
  client_url: string | null;
  push_token: string;
  description: string;
  pxe_enabled: boolean;
  unknown_computer_support: boolean;
  created_at: Date;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/;

function toDp(r: Row): DistributionPoint {
  return {
    name: r.name,
    url: r.url,
    clientUrl: r.client_url ?? r.url,
    clientUrlSet: r.client_url !== null,
    description: r.description,
    pxeEnabled: r.pxe_enabled,
    unknownComputerSupport: r.unknown_computer_support,
    createdAt: r.created_at.toISOString(),
  };
}

export interface DistributionPointInput {
  name: string;
  url: string;
  /** The URL computers use, when it differs from `url`. */
  clientUrl?: string;
  pushToken: string;
  description?: string;
  pxeEnabled?: boolean;
  unknownComputerSupport?: boolean;
  /** Check that the DP answers with this token before recording it (default true). */
  verify?: boolean;
}

function checkUrl(url: string, field = 'url'): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw badInput(field, `"${url}" is not a URL`, 'e.g. http://dp01.contoso.com:8451');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw badInput(field, `"${url}" is not http or https`, 'a distribution point serves content over HTTP(S)');
  return u.toString().replace(/\/+$/, '');
}

/** A client URL as given: '' clears it (computers use `url`), else it must be an http(s) URL. */
function checkClientUrl(url: string | undefined): string | null | undefined {
  if (url === undefined) return undefined;
  if (url.trim() === '') return null;
  return checkUrl(url, 'clientUrl');
}

export async function addDistributionPoint(site: Site, actor: Actor, input: DistributionPointInput): Promise<DistributionPoint> {
  if (!NAME.test(input.name))
    throw badInput('name', `"${input.name}" is not a distribution point name`, 'use the server name: letters, digits, dots and hyphens, up to 63 characters');
  const url = checkUrl(input.url);
  const clientUrl = checkClientUrl(input.clientUrl) ?? null;
  if (input.pushToken.length < 16)
    throw badInput('pushToken', 'the push token is shorter than 16 characters', 'use the push token the distribution point was started with');
  if (input.verify !== false) {
    try {
      await new DistributionPointClient(url, input.pushToken).listPackages();
    } catch (e) {
      throw badInput(
        'url',
        `the distribution point at ${url} does not answer with this push token: ${(e as Error).message.split('\n')[0]}`,
        'check that it runs and that the token matches, or add it without verifying',
        nextSteps('add-distribution-point-unverified'),
      );
    }
  }
  return site.db.transaction(async (tx) => {
    const exists = await tx.query('SELECT 1 FROM distribution_points WHERE lower(name) = lower($1)', [input.name]);
    if (exists.rows.length) throw conflict(input.name, 'a distribution point with this name exists', 'remove it first, or pick another name');
    const { rows } = await tx.query<Row>(
      `INSERT INTO distribution_points (name, url, push_token, description, pxe_enabled, unknown_computer_support, client_url)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [
        input.name,
        url,
        site.secrets.seal(input.pushToken),
        input.description ?? '',
        input.pxeEnabled ?? false,
        input.unknownComputerSupport ?? false,
        clientUrl,
      ],
    );
    await audit(tx, actor, 'create', 'distribution-point', input.name, { url, ...(clientUrl ? { clientUrl } : {}), pxeEnabled: input.pxeEnabled ?? false });
    return toDp(rows[0]!);
  });
}

export async function listDistributionPoints(db: Queryable): Promise<DistributionPoint[]> {
  const { rows } = await db.query<Row>('SELECT * FROM distribution_points ORDER BY name');
  return rows.map(toDp);
}

export async function getDistributionPoint(db: Queryable, name: string): Promise<DistributionPoint> {
  const { rows } = await db.query<Row>('SELECT * FROM distribution_points WHERE name = $1', [name]);
  if (!rows[0]) throw notFound('distribution point', name);
  return toDp(rows[0]);
}

export async function updateDistributionPoint(
  site: Site,
  actor: Actor,
  name: string,
  patch: { url?: string; clientUrl?: string; pushToken?: string; description?: string; pxeEnabled?: boolean; unknownComputerSupport?: boolean },
): Promise<DistributionPoint> {
  const url = patch.url === undefined ? undefined : checkUrl(patch.url);
  const clientUrl = checkClientUrl(patch.clientUrl);
  return site.db.transaction(async (tx) => {
    const { rows } = await tx.query<Row>(
      `UPDATE distribution_points SET url = COALESCE($2, url), push_token = COALESCE($3, push_token), description = COALESCE($4, description),
         pxe_enabled = COALESCE($5, pxe_enabled), unknown_computer_support = COALESCE($6, unknown_computer_support),
         client_url = CASE WHEN $7::boolean THEN $8 ELSE client_url END
       WHERE name = $1 RETURNING *`,
      [
        name,
        url ?? null,
        patch.pushToken ? site.secrets.seal(patch.pushToken) : null,
        patch.description ?? null,
        patch.pxeEnabled ?? null,
        patch.unknownComputerSupport ?? null,
        clientUrl !== undefined,
        clientUrl ?? null,
      ],
    );
    if (!rows[0]) throw notFound('distribution point', name);
    const { pushToken, ...shown } = patch;
    await audit(tx, actor, 'update', 'distribution-point', name, { ...shown, ...(pushToken ? { pushToken: 'changed' } : {}) });
    return toDp(rows[0]);
  });
}

/** Forgets a DP (its content status goes with it); the content on the server itself is left. */
export async function removeDistributionPoint(site: Site, actor: Actor, name: string): Promise<void> {
  await site.db.transaction(async (tx) => {
    const r = await tx.query('DELETE FROM distribution_points WHERE name = $1', [name]);
    if (!r.rowCount) throw notFound('distribution point', name);
    await audit(tx, actor, 'delete', 'distribution-point', name);
  });
}

/** The client the site pushes with (token decrypted here only). */
export async function dpClient(site: Site, name: string): Promise<DistributionPointClient> {
  const { rows } = await site.db.query<Row>('SELECT * FROM distribution_points WHERE name = $1', [name]);
  if (!rows[0]) throw notFound('distribution point', name);
  return new DistributionPointClient(rows[0].url, site.secrets.open(rows[0].push_token));
}

/**
 * "Clear Required PXE Deployments" (osd-features §3.2, §4.2, §5.1), per device or per collection:
 * a Required deployment that already ran on a device is offered again in WinPE once cleared. The
 * site keeps the time of the clear per device and deployment; a run that started before it no
 * longer counts (policy.ts).
 */
import type { Database, Queryable } from '../db/database.js';
import { audit } from '../audit.js';
import { notFound } from '../errors.js';
import { nextSteps } from '../next-steps.js';
import type { Actor } from '../security/roles.js';
import { checkResourceId } from '../devices/identity.js';

export interface ClearedRequired {
  /** Required deployments cleared, per device. */
  cleared: Array<{ resourceId: number; deploymentId: string }>;
  clearedAt: string;
}

/** Writes one clear for every Required deployment that targets a collection the device is a member of (or its unknown object's). */
async function clearFor(tx: Queryable, actor: Actor, resourceIds: readonly number[]): Promise<ClearedRequired> {
  if (!resourceIds.length) return { cleared: [], clearedAt: new Date().toISOString() };
  const { rows } = await tx.query<{ resource_id: string | number; deployment_id: string; cleared_at: Date }>(
    `INSERT INTO required_deployment_clears (resource_id, deployment_id, cleared_at, cleared_by)
     SELECT dev.resource_id, d.deployment_id, now(), $2
       FROM devices dev
       JOIN collection_members m ON m.resource_id = CASE WHEN dev.unknown THEN
            (SELECT u.resource_id FROM devices u WHERE u.unknown_computer = CASE WHEN dev.architecture = 'x86' THEN 'x86' WHEN dev.architecture = 'x64' THEN 'x64' END)
            ELSE dev.resource_id END
       JOIN deployments d ON d.collection_id = m.collection_id AND d.purpose = 'required'
      WHERE dev.resource_id = ANY($1::bigint[])
     ON CONFLICT (resource_id, deployment_id) DO UPDATE SET cleared_at = EXCLUDED.cleared_at, cleared_by = EXCLUDED.cleared_by
     RETURNING resource_id, deployment_id, cleared_at`,
    [resourceIds, actor.name],
  );
  const cleared = rows.map((r) => ({ resourceId: Number(r.resource_id), deploymentId: r.deployment_id }));
  cleared.sort((a, b) => a.resourceId - b.resourceId || a.deploymentId.localeCompare(b.deploymentId));
  const clearedAt = (rows[0]?.cleared_at ?? new Date()).toISOString();
  return { cleared, clearedAt };
}

export async function clearRequiredForDevice(db: Database, actor: Actor, resourceId: number): Promise<ClearedRequired> {
  checkResourceId(resourceId, 'params.resourceId');
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ name: string }>('SELECT name FROM devices WHERE resource_id = $1 AND unknown_computer IS NULL', [resourceId]);
    if (!rows[0]) throw notFound('device', resourceId, 'list the devices to find its ResourceID', nextSteps('list-devices'));
    const out = await clearFor(tx, actor, [resourceId]);
    await audit(tx, actor, 'clear-required', 'device', resourceId, { name: rows[0].name, deployments: out.cleared.map((c) => c.deploymentId) });
    return out;
  });
}

/** Every member of the collection (as evaluated now). */
export async function clearRequiredForCollection(db: Database, actor: Actor, collectionId: string): Promise<ClearedRequired> {
  const id = collectionId.toUpperCase();
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ name: string }>('SELECT name FROM collections WHERE collection_id = $1', [id]);
    if (!rows[0]) throw notFound('collection', collectionId, 'list the collections to find its id', nextSteps('list-collections'));
    const { rows: members } = await tx.query<{ resource_id: string | number }>(
      `SELECT m.resource_id FROM collection_members m JOIN devices d ON d.resource_id = m.resource_id
       WHERE m.collection_id = $1 AND d.unknown_computer IS NULL`,
      [id],
    );
    const out = await clearFor(
      tx,
      actor,
      members.map((m) => Number(m.resource_id)),
    );
    await audit(tx, actor, 'clear-required', 'collection', id, { name: rows[0].name, devices: members.length, clears: out.cleared.length });
    return out;
  });
}

/** Every clear of the device, by deployment id. */
export async function clearsOf(db: Queryable, resourceId: number): Promise<Map<string, Date>> {
  const { rows } = await db.query<{ deployment_id: string; cleared_at: Date }>(
    'SELECT deployment_id, cleared_at FROM required_deployment_clears WHERE resource_id = $1',
    [resourceId],
  );
  return new Map(rows.map((r) => [r.deployment_id, r.cleared_at]));
}

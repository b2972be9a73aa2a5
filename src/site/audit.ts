/**
 * The audit log: who changed what, when. Written with the same Queryable as the change, so inside
 * a transaction the entry commits (or rolls back) with it. Details never hold secret values.
 */
import type { Queryable } from './db/database.js';
import type { Actor } from './security/roles.js';

export async function audit(
  db: Queryable,
  actor: Actor,
  action: string,
  objectType: string,
  objectId: string | number,
  details: Record<string, unknown> = {},
): Promise<void> {
  await db.query('INSERT INTO audit_log (actor, role, action, object_type, object_id, details) VALUES ($1, $2, $3, $4, $5, $6)', [
    actor.name,
    actor.role,
    action,
    objectType,
    String(objectId),
    JSON.stringify(details),
  ]);
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  role: string;
  action: string;
  objectType: string;
  objectId: string;
  details: Record<string, unknown>;
}

export async function listAudit(
  db: Queryable,
  filter: { objectType?: string; objectId?: string; limit?: number; before?: number } = {},
): Promise<AuditEntry[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.objectType) where.push(`object_type = $${params.push(filter.objectType)}`);
  if (filter.objectId) where.push(`object_id = $${params.push(filter.objectId)}`);
  if (filter.before) where.push(`id < $${params.push(filter.before)}`);
  const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
  const { rows } = await db.query<{
    id: number;
    at: Date;
    actor: string;
    role: string;
    action: string;
    object_type: string;
    object_id: string;
    details: Record<string, unknown>;
  }>(
    `SELECT id, at, actor, role, action, object_type, object_id, details FROM audit_log
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${limit}`,
    params,
  );
  return rows.map((r) => ({
    id: r.id,
    at: r.at.toISOString(),
    actor: r.actor,
    role: r.role,
    action: r.action,
    objectType: r.object_type,
    objectId: r.object_id,
    details: r.details,
  }));
}

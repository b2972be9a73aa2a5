/**
 * Approving or refusing a device that registered on first contact (site setting
 * `unknownComputers` = manual, docs/management-point.md). A pending device's credential answers
 * only for its registration state; approved, it gets policy; refused, its credentials are revoked
 * and it cannot register again until an administrator approves it.
 */
import type { Database, Queryable } from '../db/database.js';
import { audit } from '../audit.js';
import { notFound } from '../errors.js';
import { nextSteps } from '../next-steps.js';
import type { Actor } from '../security/roles.js';
import { checkResourceId } from '../devices/identity.js';
import { forgetDeviceCredentials, revokeCredentials, type Approval, type MpDevice } from './credentials.js';

export interface DeviceApproval extends MpDevice {
  registeredAt: string | null;
  lastContactAt: string | null;
  architecture: string | null;
  firmware: string | null;
}

interface ApprovalRow {
  resource_id: string | number;
  name: string;
  unknown: boolean;
  approval: Approval;
  registered_at: Date | null;
  last_contact_at: Date | null;
  architecture: string | null;
  firmware: string | null;
}

const APPROVAL_COLUMNS = 'resource_id, name, unknown, approval, registered_at, last_contact_at, architecture, firmware';

/** At most this many devices in one answer of listRegistrations. */
export const MAX_REGISTRATIONS_LISTED = 1000;

function toApproval(r: ApprovalRow): DeviceApproval {
  return {
    resourceId: Number(r.resource_id),
    name: r.name,
    unknown: r.unknown,
    approval: r.approval,
    registeredAt: r.registered_at?.toISOString() ?? null,
    lastContactAt: r.last_contact_at?.toISOString() ?? null,
    architecture: r.architecture,
    firmware: r.firmware,
  };
}

async function readApproval(db: Queryable, resourceId: number, lock = false): Promise<DeviceApproval> {
  const { rows } = await db.query<ApprovalRow>(
    `SELECT ${APPROVAL_COLUMNS} FROM devices WHERE resource_id = $1 AND unknown_computer IS NULL${lock ? ' FOR UPDATE' : ''}`,
    [resourceId],
  );
  if (!rows[0]) throw notFound('device', resourceId, 'list the devices to find its ResourceID', nextSteps('list-devices'));
  return toApproval(rows[0]);
}

/**
 * Devices that registered at the management point (or wait to), newest contact first: all of them,
 * or those of one approval state (`pending`: what an administrator has to decide).
 */
export async function listRegistrations(db: Queryable, filter: { approval?: Approval } = {}): Promise<DeviceApproval[]> {
  const params: unknown[] = [];
  const where = ['unknown_computer IS NULL', '(registered_at IS NOT NULL OR approval <> $1)'];
  params.push('approved');
  if (filter.approval) where.push(`approval = $${params.push(filter.approval)}`);
  const { rows } = await db.query<ApprovalRow>(
    `SELECT ${APPROVAL_COLUMNS} FROM devices WHERE ${where.join(' AND ')}
     ORDER BY last_contact_at DESC NULLS LAST, resource_id LIMIT ${MAX_REGISTRATIONS_LISTED}`,
    params,
  );
  return rows.map(toApproval);
}

/** A device's registration and approval as the site has it now. */
export async function registrationState(db: Queryable, resourceId: number): Promise<DeviceApproval> {
  checkResourceId(resourceId, 'resourceId');
  return readApproval(db, resourceId);
}

async function setApproval(db: Database, actor: Actor, resourceId: number, approval: 'approved' | 'refused'): Promise<DeviceApproval> {
  checkResourceId(resourceId, 'params.resourceId');
  // The management point checks the approval from memory (credentials.ts): forgotten here at once.
  try {
    return await changeApproval(db, actor, resourceId, approval);
  } finally {
    forgetDeviceCredentials();
  }
}

function changeApproval(db: Database, actor: Actor, resourceId: number, approval: 'approved' | 'refused'): Promise<DeviceApproval> {
  return db.transaction(async (tx) => {
    const before = await readApproval(tx, resourceId, true);
    if (before.approval === approval) return before;
    await tx.query('UPDATE devices SET approval = $2, updated_at = now() WHERE resource_id = $1', [resourceId, approval]);
    forgetDeviceCredentials();
    let revoked = 0;
    if (approval === 'refused') revoked = await revokeCredentials(tx, actor, resourceId);
    await audit(tx, actor, approval === 'approved' ? 'approve' : 'refuse', 'device', resourceId, {
      name: before.name,
      was: before.approval,
      revokedCredentials: revoked,
    });
    return { ...before, approval };
  });
}

/** Approves a pending (or refused) device: its credential gets policy from now on. */
export function approveDevice(db: Database, actor: Actor, resourceId: number): Promise<DeviceApproval> {
  return setApproval(db, actor, resourceId, 'approved');
}

/** Refuses a device: its credentials are revoked and registering again is refused. */
export function refuseDevice(db: Database, actor: Actor, resourceId: number): Promise<DeviceApproval> {
  return setApproval(db, actor, resourceId, 'refused');
}

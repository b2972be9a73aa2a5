/**
 * Collection and device variables (osd-features §3.3). Names: 1–256 characters, letters, digits,
 * `_` and `-`, starting with a letter (so never a read-only `_` built-in), unique whatever their
 * case. Values: at most 4,000 characters. At most 1,000 variables per device.
 *
 * "Do not display this value" (masked): the value is stored sealed with the site's secret key and
 * no API answer ever holds it (value null, masked true). It can be replaced; unmasking needs a new
 * value, because the old one is never shown. Only `variablesForDevice`, for the management point's
 * policy, opens them.
 */
import type { Database, Queryable } from '../db/database.js';
import { audit } from '../audit.js';
import { badInput, notFound } from '../errors.js';
import { nextSteps } from '../next-steps.js';
import type { Actor } from '../security/roles.js';
import type { Site } from '../site.js';
import { requireCollection } from './rules.js';
import { checkResourceId } from '../devices/identity.js';
import { checkName, checkText } from '../text-rules.js';

export const MAX_VALUE_LENGTH = 4000;
export const MAX_DEVICE_VARIABLES = 1000;
const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,255}$/;

export interface Variable {
  name: string;
  /** null when masked: the value never leaves the site. */
  value: string | null;
  masked: boolean;
}

export interface VariableInput {
  /** Required for a new variable and when unmasking; absent keeps the current value. */
  value?: string;
  masked?: boolean;
}

export type VariableOwner = { kind: 'collection'; collectionId: string } | { kind: 'device'; resourceId: number };

const TABLE = { collection: { table: 'collection_variables', key: 'collection_id' }, device: { table: 'device_variables', key: 'resource_id' } } as const;
const ownerId = (o: VariableOwner): string | number => (o.kind === 'collection' ? o.collectionId : o.resourceId);

export function checkVariableName(name: string, input: string): void {
  checkName(name, input);
  if (name.startsWith('_')) throw badInput(input, `"${name}" starts with "_": such names are read-only built-in variables`, 'start the name with a letter');
  if (!NAME.test(name)) {
    throw badInput(
      input,
      `"${name.length > 40 ? `${name.slice(0, 40)}…` : name}" is not a variable name`,
      'a name has 1–256 letters, digits, _ or -, starts with a letter and has no spaces',
    );
  }
}

async function requireOwner(db: Queryable, owner: VariableOwner): Promise<void> {
  if (owner.kind === 'collection') await requireCollection(db, owner.collectionId);
  else {
    checkResourceId(owner.resourceId, 'params.resourceId');
    const { rows } = await db.query('SELECT 1 FROM devices WHERE resource_id = $1', [owner.resourceId]);
    if (!rows.length) throw notFound('device', owner.resourceId, 'list the devices to find its ResourceID', nextSteps('list-devices'));
  }
}

const shown = (r: { name: string; value: string; masked: boolean }): Variable => ({ name: r.name, value: r.masked ? null : r.value, masked: r.masked });

export async function listVariables(db: Queryable, owner: VariableOwner): Promise<Variable[]> {
  await requireOwner(db, owner);
  const t = TABLE[owner.kind];
  const { rows } = await db.query<{ name: string; value: string; masked: boolean }>(
    `SELECT name, value, masked FROM ${t.table} WHERE ${t.key} = $1 ORDER BY lower(name)`,
    [ownerId(owner)],
  );
  return rows.map(shown);
}

export async function getVariable(db: Queryable, owner: VariableOwner, name: string): Promise<Variable> {
  checkText(name, 'params.name');
  await requireOwner(db, owner);
  const t = TABLE[owner.kind];
  const { rows } = await db.query<{ name: string; value: string; masked: boolean }>(
    `SELECT name, value, masked FROM ${t.table} WHERE ${t.key} = $1 AND lower(name) = lower($2)`,
    [ownerId(owner), name],
  );
  if (!rows[0])
    throw notFound(
      'variable',
      name,
      'list the variables to find its name',
      nextSteps(
        owner.kind === 'collection'
          ? { step: 'list-collection-variables', ids: { collectionId: owner.collectionId } }
          : { step: 'list-device-variables', ids: { resourceId: String(owner.resourceId) } },
      ),
    );
  return shown(rows[0]);
}

/** Creates or replaces a variable (PUT). The name keeps the spelling it was created with. */
export async function setVariable(
  site: Site,
  actor: Actor,
  owner: VariableOwner,
  name: string,
  input: VariableInput,
): Promise<Variable & { created: boolean }> {
  checkVariableName(name, 'params.name');
  if (input.value !== undefined) checkText(input.value, 'body.value');
  if (input.value !== undefined && input.value.length > MAX_VALUE_LENGTH) {
    throw badInput('body.value', `the value is ${input.value.length} characters; at most ${MAX_VALUE_LENGTH}`, 'keep large data in a package, not a variable');
  }
  return site.db.transaction(async (tx) => {
    await requireOwner(tx, owner);
    const t = TABLE[owner.kind];
    const id = ownerId(owner);
    // One change at a time per device or collection: two first-time PUTs of the same name would
    // otherwise both see nothing and both insert (the API benchmark found it on PostgreSQL).
    await tx.query(`SELECT 1 FROM ${owner.kind === 'device' ? 'devices' : 'collections'} WHERE ${t.key} = $1 FOR UPDATE`, [id]);
    const { rows } = await tx.query<{ name: string; value: string; masked: boolean }>(
      `SELECT name, value, masked FROM ${t.table} WHERE ${t.key} = $1 AND lower(name) = lower($2)`,
      [id, name],
    );
    const existing = rows[0];
    const masked = input.masked ?? existing?.masked ?? false;
    let stored: string;
    if (input.value !== undefined) stored = masked ? site.secrets.seal(input.value) : input.value;
    else if (!existing) throw badInput('body.value', `the variable "${name}" does not exist yet, so it needs a value`);
    else if (existing.masked && !masked)
      throw badInput(
        'body.value',
        `unmasking "${existing.name}" needs a new value`,
        'its masked value is never shown, so give the value it should have from now on',
      );
    else if (!existing.masked && masked) stored = site.secrets.seal(existing.value);
    else stored = existing.value;
    if (!existing && owner.kind === 'device') {
      const { rows: n } = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM device_variables WHERE resource_id = $1', [id]);
      if (Number(n[0].n) >= MAX_DEVICE_VARIABLES)
        throw badInput(
          'params.name',
          `the device already has ${MAX_DEVICE_VARIABLES} variables, the most a device can have`,
          'delete one first, or use a collection variable',
        );
    }
    const finalName = existing?.name ?? name;
    if (existing) await tx.query(`UPDATE ${t.table} SET value = $3, masked = $4 WHERE ${t.key} = $1 AND name = $2`, [id, finalName, stored, masked]);
    else await tx.query(`INSERT INTO ${t.table} (${t.key}, name, value, masked) VALUES ($1, $2, $3, $4)`, [id, finalName, stored, masked]);
    // Never the value in the audit log (masked or not: it may still be sensitive).
    await audit(tx, actor, existing ? 'update-variable' : 'create-variable', owner.kind, id, { name: finalName, masked });
    return { name: finalName, value: masked ? null : (input.value ?? existing!.value), masked, created: !existing };
  });
}

export async function deleteVariable(db: Database, actor: Actor, owner: VariableOwner, name: string): Promise<Variable> {
  return db.transaction(async (tx) => {
    const v = await getVariable(tx, owner, name);
    const t = TABLE[owner.kind];
    await tx.query(`DELETE FROM ${t.table} WHERE ${t.key} = $1 AND name = $2`, [ownerId(owner), v.name]);
    await audit(tx, actor, 'delete-variable', owner.kind, ownerId(owner), { name: v.name });
    return v;
  });
}

export interface EffectiveVariable {
  name: string;
  /** The clear value (internal use only: policy for the device; never an API answer). */
  value: string;
  masked: boolean;
  source: { kind: 'collection'; collectionId: string; priority: number } | { kind: 'device' };
}

/**
 * The variables a device starts a task sequence with, in the order they are applied, later
 * entries winning (§3.3): collection variables of every collection it is a member of, by the
 * collection's priority 1 (lowest) → 9 (highest), ties by collection id so the order is stable;
 * then its device variables. An unknown computer (§3.2) gets collection variables only — for it,
 * pass the unknown-computer object's ResourceID. Masked values are opened here.
 * One entry per name (case-insensitive): the winning one, at the position where it is applied.
 */
export async function variablesForDevice(site: Site, resourceId: number, options: { unknownComputer: boolean }): Promise<EffectiveVariable[]> {
  const { rows: cv } = await site.db.query<{ collection_id: string; variable_priority: number; name: string; value: string; masked: boolean }>(
    `SELECT c.collection_id, c.variable_priority, v.name, v.value, v.masked
     FROM collection_members m JOIN collections c ON c.collection_id = m.collection_id
     JOIN collection_variables v ON v.collection_id = c.collection_id
     WHERE m.resource_id = $1 ORDER BY c.variable_priority, c.collection_id, lower(v.name)`,
    [resourceId],
  );
  const applied: EffectiveVariable[] = cv.map((r) => ({
    name: r.name,
    value: r.masked ? site.secrets.open(r.value) : r.value,
    masked: r.masked,
    source: { kind: 'collection', collectionId: r.collection_id, priority: r.variable_priority },
  }));
  if (!options.unknownComputer) {
    const { rows: dv } = await site.db.query<{ name: string; value: string; masked: boolean }>(
      'SELECT name, value, masked FROM device_variables WHERE resource_id = $1 ORDER BY lower(name)',
      [resourceId],
    );
    for (const r of dv) applied.push({ name: r.name, value: r.masked ? site.secrets.open(r.value) : r.value, masked: r.masked, source: { kind: 'device' } });
  }
  // Keep the last (winning) entry of each name.
  const last = new Map<string, number>();
  applied.forEach((v, i) => last.set(v.name.toLowerCase(), i));
  return applied.filter((v, i) => last.get(v.name.toLowerCase()) === i);
}

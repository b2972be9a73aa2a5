/**
 * Computer associations (osd-features §3.4): which computer's user state is captured (source) and
 * restored on which (destination), and whose accounts. "Capture and restore specified accounts" is
 * the default and forbids more than one association for the same source computer.
 */
import type { Database, Queryable } from '../db/database.js';
import { audit } from '../audit.js';
import { badInput, conflict, notFound } from '../errors.js';
import { nextSteps } from '../next-steps.js';
import type { Actor } from '../security/roles.js';
import { checkName, quoteForMessage } from '../text-rules.js';
import { checkResourceId } from './identity.js';
import { MAX_ACCOUNT_LENGTH, MAX_ACCOUNTS } from './limits.js';

export const USER_ACCOUNT_MODES = ['capture-restore-all', 'capture-all-restore-specified', 'capture-restore-specified'] as const;
export type UserAccountMode = (typeof USER_ACCOUNT_MODES)[number];
export const DEFAULT_USER_ACCOUNTS: UserAccountMode = 'capture-restore-specified';

export interface ComputerAssociation {
  id: number;
  sourceResourceId: number;
  sourceName: string;
  destinationResourceId: number;
  destinationName: string;
  userAccounts: UserAccountMode;
  accounts: string[];
  createdAt: string;
}

export interface AssociationInput {
  sourceResourceId: number;
  destinationResourceId: number;
  userAccounts?: UserAccountMode;
  accounts?: string[];
}

const SELECT = `SELECT a.id, a.source_resource_id, s.name AS source_name, a.destination_resource_id, t.name AS destination_name, a.user_accounts, a.accounts, a.created_at
  FROM computer_associations a JOIN devices s ON s.resource_id = a.source_resource_id JOIN devices t ON t.resource_id = a.destination_resource_id`;

interface Row {
  id: number;
  source_resource_id: number;
  source_name: string;
  destination_resource_id: number;
  destination_name: string;
  user_accounts: UserAccountMode;
  accounts: string[];
  created_at: Date;
}

const toAssociation = (r: Row): ComputerAssociation => ({
  id: Number(r.id),
  sourceResourceId: Number(r.source_resource_id),
  sourceName: r.source_name,
  destinationResourceId: Number(r.destination_resource_id),
  destinationName: r.destination_name,
  userAccounts: r.user_accounts,
  accounts: r.accounts,
  createdAt: r.created_at.toISOString(),
});

export async function listAssociations(db: Queryable, filter: { resourceId?: number } = {}): Promise<ComputerAssociation[]> {
  if (filter.resourceId !== undefined) checkResourceId(filter.resourceId, 'query.resourceId');
  const params: unknown[] = [];
  const where = filter.resourceId !== undefined ? `WHERE a.source_resource_id = $${params.push(filter.resourceId)} OR a.destination_resource_id = $1` : '';
  const { rows } = await db.query<Row>(`${SELECT} ${where} ORDER BY a.id`, params);
  return rows.map(toAssociation);
}

/** `DOMAIN\user` (or a local `user`) — the form USMT's /ui takes. */
const ACCOUNT = /^(?:[^\\/:*?"<>|\s]+\\)?[^\\/[\]:;|=,+*?<>"@]+$/;

/** Checks the user-accounts choice; throws naming `at.userAccounts` / `at.accounts[i]`. */
export function checkUserAccounts(
  mode: UserAccountMode | undefined,
  accounts: readonly string[] | undefined,
  at: string,
): { mode: UserAccountMode; accounts: string[] } {
  const m = mode ?? DEFAULT_USER_ACCOUNTS;
  if ((accounts ?? []).length > MAX_ACCOUNTS)
    throw badInput(`${at}accounts`, `an association names at most ${MAX_ACCOUNTS} user accounts`, 'choose capture-restore-all to keep every account');
  const list = (accounts ?? []).map((a, i) => checkName(a.trim(), `${at}accounts[${i}]`));
  if (m === 'capture-restore-all') {
    if (list.length)
      throw badInput(
        `${at}accounts`,
        'accounts are named only when capturing or restoring specified accounts',
        'drop "accounts", or choose capture-restore-specified',
      );
  } else if (!list.length) {
    throw badInput(`${at}accounts`, `"${m}" needs the user accounts to restore`, 'name them as DOMAIN\\user, or choose capture-restore-all');
  }
  const seen = new Set<string>();
  for (const [i, a] of list.entries()) {
    if (a.length > MAX_ACCOUNT_LENGTH) throw badInput(`${at}accounts[${i}]`, `the account name is ${a.length} characters; at most ${MAX_ACCOUNT_LENGTH}`);
    if (!ACCOUNT.test(a)) throw badInput(`${at}accounts[${i}]`, `${quoteForMessage(a)} is not a user account name`, 'write DOMAIN\\user or a local user name');
    if (seen.has(a.toLowerCase())) throw badInput(`${at}accounts[${i}]`, `"${a}" is listed twice`);
    seen.add(a.toLowerCase());
  }
  return { mode: m, accounts: list };
}

/**
 * Checks and inserts an association in `tx` (no audit: the caller's change records it).
 * `at` prefixes the input names (`body.` or `body.csv row 3 `).
 */
export async function insertAssociation(tx: Queryable, input: AssociationInput, at: string): Promise<ComputerAssociation> {
  checkResourceId(input.sourceResourceId, `${at}sourceResourceId`);
  checkResourceId(input.destinationResourceId, `${at}destinationResourceId`);
  const { mode, accounts } = checkUserAccounts(input.userAccounts, input.accounts, at);
  for (const [field, id] of [
    ['sourceResourceId', input.sourceResourceId],
    ['destinationResourceId', input.destinationResourceId],
  ] as const) {
    const { rows } = await tx.query<{ unknown_computer: string | null }>('SELECT unknown_computer FROM devices WHERE resource_id = $1', [id]);
    if (!rows[0]) throw badInput(`${at}${field}`, `no device has ResourceID ${id}`, 'list the devices to find its ResourceID', nextSteps('list-devices'));
    if (rows[0].unknown_computer) throw badInput(`${at}${field}`, 'an unknown-computer object has no user state', 'import the computer first');
  }
  const { rows: existing } = await tx.query<{ id: number; user_accounts: string }>(
    'SELECT id, user_accounts FROM computer_associations WHERE source_resource_id = $1',
    [input.sourceResourceId],
  );
  const blocking = existing.find((e) => e.user_accounts === 'capture-restore-specified') ?? (mode === 'capture-restore-specified' ? existing[0] : undefined);
  if (blocking) {
    throw conflict(
      `${at}sourceResourceId`,
      `ResourceID ${input.sourceResourceId} already has association ${blocking.id}, and "capture and restore specified accounts" allows only one association per source computer`,
      'delete the other association, or use another user-accounts choice for both',
    );
  }
  const { rows } = await tx.query<{ id: number }>(
    'INSERT INTO computer_associations (source_resource_id, destination_resource_id, user_accounts, accounts) VALUES ($1, $2, $3, $4) RETURNING id',
    [input.sourceResourceId, input.destinationResourceId, mode, JSON.stringify(accounts)],
  );
  const { rows: out } = await tx.query<Row>(`${SELECT} WHERE a.id = $1`, [rows[0].id]);
  return toAssociation(out[0]);
}

export async function createAssociation(db: Database, actor: Actor, input: AssociationInput): Promise<ComputerAssociation> {
  return db.transaction(async (tx) => {
    const a = await insertAssociation(tx, input, 'body.');
    await audit(tx, actor, 'create', 'computer-association', a.id, {
      source: a.sourceResourceId,
      destination: a.destinationResourceId,
      userAccounts: a.userAccounts,
      accounts: a.accounts,
    });
    return a;
  });
}

export async function deleteAssociation(db: Database, actor: Actor, id: number): Promise<ComputerAssociation> {
  checkResourceId(id, 'params.id');
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<Row>(`${SELECT} WHERE a.id = $1`, [id]);
    if (!rows[0]) throw notFound('computer association', id, 'list the computer associations to find its id', nextSteps('list-computer-associations'));
    await tx.query('DELETE FROM computer_associations WHERE id = $1', [id]);
    await audit(tx, actor, 'delete', 'computer-association', id, {
      source: Number(rows[0].source_resource_id),
      destination: Number(rows[0].destination_resource_id),
    });
    return toAssociation(rows[0]);
  });
}

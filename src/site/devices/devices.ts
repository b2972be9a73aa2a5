/**
 * Devices (osd-features §3.2): Import Computer Information (one computer, or many from CSV text),
 * list, show, change and delete; and the MAC / SMBIOS GUID lookup the management point and PXE
 * responder use to tell a known computer from an unknown one.
 *
 * Import, as the console's wizard and SMS_Site.ImportMachineEntry do it: every entry is checked
 * first and every problem reported at once (with CSV row numbers); then all of them are written in
 * one transaction, or none. A MAC or SMBIOS GUID that another record already has is a conflict
 * unless overwriteExisting is set, in which case that record is updated in place (same ResourceID,
 * so its memberships and variables stay). New devices join All Systems straight away and, if asked,
 * a chosen collection through a direct rule; query-based collections pick them up at their next
 * evaluation (POST /collections/:id/evaluate), as ConfigMgr's scheduled evaluation would.
 */
import type { Database, Queryable } from '../db/database.js';
import { audit } from '../audit.js';
import { badInput, conflict, notFound, SiteError } from '../errors.js';
import { nextSteps } from '../next-steps.js';
import { nextNumber } from '../ids.js';
import { containsPattern } from '../db/like.js';
import { ALL_SYSTEMS } from '../seed.js';
import type { Actor } from '../security/roles.js';
import { EVALUATION_LOCK, evaluateDevices, evaluateOne, evaluateWithDependents } from '../collections/evaluate.js';
import { builtInRefused } from '../collections/rules.js';
import { insertAssociation, type ComputerAssociation, type UserAccountMode } from './associations.js';
import { checkPageNumber, checkSearch } from '../collections/collections.js';
import { decodeDeviceCursor, encodeDeviceCursor } from './cursor.js';
import { checkName, checkText, quoteForMessage, textProblem } from '../text-rules.js';
import { checkResourceId, MAC_FORMATS, macProblem, netbiosNameProblem, normaliseMac, normaliseSmbiosGuid, smbiosGuidProblem } from './identity.js';
import { MAX_IMPORT_COMPUTERS, MAX_MACS_PER_COMPUTER } from './limits.js';
import { checkProperties, type PropertyValue } from './properties.js';

export interface Device {
  resourceId: number;
  name: string;
  smbiosGuid: string | null;
  macAddresses: string[];
  /** 'x86' | 'x64' for the two unknown-computer objects, else null. */
  unknownComputer: string | null;
  isSiteSystem: boolean;
  isServer: boolean;
  client: boolean;
  properties: Record<string, PropertyValue>;
  createdAt: string;
  updatedAt: string;
}

interface Row {
  resource_id: number;
  name: string;
  smbios_guid: string | null;
  mac_addresses: string[];
  unknown_computer: string | null;
  is_site_system: boolean;
  is_server: boolean;
  client: boolean;
  properties: Record<string, PropertyValue>;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'resource_id, name, smbios_guid, mac_addresses, unknown_computer, is_site_system, is_server, client, properties, created_at, updated_at';

const toDevice = (r: Row): Device => ({
  resourceId: Number(r.resource_id),
  name: r.name,
  smbiosGuid: r.smbios_guid,
  macAddresses: r.mac_addresses,
  unknownComputer: r.unknown_computer,
  isSiteSystem: r.is_site_system,
  isServer: r.is_server,
  client: r.client,
  properties: r.properties,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

/**
 * One device with the collections it is a member of, in one statement (a device read is a hot
 * path of the admin API: on PGlite each statement costs about half a millisecond of its own,
 * issue 16 item 3), prepared once per connection on PostgreSQL.
 */
export async function getDevice(db: Queryable, resourceId: number): Promise<Device & { collections: { collectionId: string; name: string }[] }> {
  checkResourceId(resourceId, 'params.resourceId');
  const { rows } = await db.query<Row & { member_of: { collectionId: string; name: string }[] }>(
    `SELECT ${COLUMNS},
       (SELECT coalesce(json_agg(json_build_object('collectionId', c.collection_id, 'name', c.name) ORDER BY lower(c.name), c.collection_id), '[]'::json)
          FROM collection_members m JOIN collections c ON c.collection_id = m.collection_id WHERE m.resource_id = d.resource_id) AS member_of
     FROM devices d WHERE d.resource_id = $1`,
    [resourceId],
    { name: 'osd_get_device' },
  );
  if (!rows[0]) throw notFound('device', resourceId, 'list the devices to find its ResourceID', nextSteps('list-devices'));
  return { ...toDevice(rows[0]), collections: rows[0].member_of };
}

/** An instant as Date.prototype.toISOString writes it (UTC, milliseconds truncated as the drivers do). */
const isoSql = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * GET /devices/:resourceId's answer as JSON text, written by the database (the admin API's hot
 * read, issue 16 item 3): the same values as getDevice, in the same field order, with nothing to
 * parse into objects, check and serialise again per request (a third of the read's CPU on PGlite).
 * It lists exactly the fields of the route's response schema (collection-routes.ts), which the
 * tests hold it to. The text differs from JSON.stringify of getDevice only in spacing and in how
 * the inventory properties' numbers and keys are spelled (PostgreSQL's jsonb: `1.0` kept, keys by
 * length); parsed, the two are equal (test/site/devices/device-json.test.ts).
 */
export async function getDeviceJson(db: Queryable, resourceId: number): Promise<string> {
  checkResourceId(resourceId, 'params.resourceId');
  const { rows } = await db.query<{ answer: string }>(
    `SELECT json_build_object(
       'resourceId', d.resource_id, 'name', d.name, 'smbiosGuid', d.smbios_guid, 'macAddresses', d.mac_addresses,
       'unknownComputer', d.unknown_computer, 'isSiteSystem', d.is_site_system, 'isServer', d.is_server, 'client', d.client,
       'properties', d.properties, 'createdAt', ${isoSql('d.created_at')}, 'updatedAt', ${isoSql('d.updated_at')},
       'collections', (SELECT coalesce(json_agg(json_build_object('collectionId', c.collection_id, 'name', c.name) ORDER BY lower(c.name), c.collection_id), '[]'::json)
          FROM collection_members m JOIN collections c ON c.collection_id = m.collection_id WHERE m.resource_id = d.resource_id))::text AS answer
     FROM devices d WHERE d.resource_id = $1`,
    [resourceId],
    { name: 'osd_get_device_json' },
  );
  if (!rows[0]) throw notFound('device', resourceId, 'list the devices to find its ResourceID', nextSteps('list-devices'));
  return rows[0].answer;
}

/**
 * Devices in name order. Page with `cursor` (the previous answer's nextCursor): it costs the same
 * on page 1 and page 2,000, where `offset` makes the database walk past every earlier device.
 * The total comes with the first page (no cursor) only.
 */
export async function listDevices(
  db: Queryable,
  filter: { search?: string; limit?: number; offset?: number; cursor?: string } = {},
): Promise<{ total: number | null; devices: Device[]; nextCursor: string | null }> {
  const params: unknown[] = [];
  const conditions: string[] = [];
  const limit = Math.min(Math.max(checkPageNumber(filter.limit ?? 100, 'query.limit'), 1), 1000);
  const offset = checkPageNumber(filter.offset ?? 0, 'query.offset');
  if (filter.search) {
    const s = checkSearch(filter.search, 'query.search').trim();
    const mac = normaliseMac(s);
    const guid = normaliseSmbiosGuid(s);
    let search = `name ILIKE $${params.push(containsPattern(s))}`;
    if (mac) search += ` OR resource_id IN (SELECT resource_id FROM device_macs WHERE mac = $${params.push(mac)})`;
    if (guid) search += ` OR smbios_guid = $${params.push(guid)}`;
    if (/^\d+$/.test(s) && Number.isSafeInteger(Number(s))) search += ` OR resource_id = $${params.push(Number(s))}`;
    conditions.push(`(${search})`);
  }
  const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
  // The total is counted for the first page only: counting 100,000 rows is most of a page's cost.
  const total = filter.cursor ? null : Number((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM devices ${where}`, params)).rows[0]!.n);
  let page: string;
  if (filter.cursor) {
    const [name, id] = decodeDeviceCursor(filter.cursor);
    const after = `(lower(name), resource_id) > ($${params.push(name)}, $${params.push(id)})`;
    page = `${where ? `${where} AND` : 'WHERE'} ${after} ORDER BY lower(name), resource_id LIMIT ${limit}`;
  } else {
    page = `${where} ORDER BY lower(name), resource_id LIMIT ${limit} OFFSET ${offset}`;
  }
  const { rows } = await db.query<Row & { sort_key: string }>(`SELECT ${COLUMNS}, lower(name) AS sort_key FROM devices ${page}`, params);
  return { total, devices: rows.map(toDevice), nextCursor: rows.length === limit ? encodeDeviceCursor(rows[rows.length - 1]!) : null };
}

/**
 * The device record a booting computer matches (§3.2): by SMBIOS GUID first, then by any of its
 * MACs; undefined means an unknown computer. MACs and GUID may be in any accepted spelling.
 */
export async function findDeviceByIdentity(db: Queryable, identity: { macs?: readonly string[]; smbiosGuid?: string }): Promise<Device | undefined> {
  const guid = identity.smbiosGuid ? normaliseSmbiosGuid(identity.smbiosGuid) : undefined;
  if (guid && !smbiosGuidProblem(guid)) {
    const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM devices WHERE smbios_guid = $1 ORDER BY resource_id LIMIT 1`, [guid]);
    if (rows[0]) return toDevice(rows[0]);
  }
  const macs = (identity.macs ?? []).map(normaliseMac).filter((m): m is string => !!m && !macProblem(m));
  for (const mac of macs) {
    const { rows } = await db.query<Row>(
      `SELECT ${COLUMNS} FROM devices WHERE resource_id IN (SELECT resource_id FROM device_macs WHERE mac = $1) ORDER BY resource_id LIMIT 1`,
      [mac],
    );
    if (rows[0]) return toDevice(rows[0]);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Import Computer Information

export interface ComputerEntry {
  name: string;
  mac?: string;
  macAddresses?: string[];
  smbiosGuid?: string;
  /** Name or ResourceID of the computer whose user state this one receives (a computer association). */
  sourceComputer?: string;
  properties?: Record<string, unknown>;
}

export interface ImportOptions {
  collectionId?: string;
  overwriteExisting?: boolean;
  /** User accounts of the association made for a source computer; [I] capture-restore-all by default here. */
  userAccounts?: UserAccountMode;
  accounts?: string[];
}

export interface ImportProblem {
  /** CSV row number (the header is row 1); absent for a single computer. */
  row?: number;
  input: string;
  rule: string;
  /** 'conflict' when the entry clashes with an existing record. */
  kind: 'invalid' | 'conflict';
  hint?: string;
}

export interface ImportedComputer {
  device: Device;
  overwritten: boolean;
  association?: ComputerAssociation;
}

interface CheckedEntry {
  name: string;
  macs: string[];
  guid: string | null;
  source?: string;
  properties?: Record<string, PropertyValue>;
  row?: number;
  at: (field: string) => string;
}

/** Where each entry's fields are named in errors: `body.mac` or `body.csv row 3 column "MAC"`. */
export type FieldNamer = (index: number, field: keyof ComputerEntry) => string;

/**
 * Imports computers: all checked first (every problem reported in one error, nothing written),
 * then written in one transaction. Used by the single-computer and CSV imports.
 */
export async function importComputers(
  db: Database,
  actor: Actor,
  entries: readonly ComputerEntry[],
  options: ImportOptions,
  naming: { field: FieldNamer; row?: (index: number) => number; collectionInput: string },
): Promise<ImportedComputer[]> {
  if (entries.length > MAX_IMPORT_COMPUTERS) {
    throw badInput(
      naming.field(MAX_IMPORT_COMPUTERS, 'name'),
      `one import holds at most ${MAX_IMPORT_COMPUTERS} computers; this one has ${entries.length}`,
      'split the list into several imports',
    );
  }
  if (options.collectionId !== undefined) checkText(options.collectionId, naming.collectionInput);
  const problems: ImportProblem[] = [];
  const checked: CheckedEntry[] = [];
  entries.forEach((e, i) => {
    const row = naming.row?.(i);
    const at = (f: string): string => naming.field(i, f as keyof ComputerEntry);
    const add = (field: string, rule: string, kind: ImportProblem['kind'] = 'invalid', hint?: string): void => {
      problems.push({ ...(row !== undefined ? { row } : {}), input: at(field), rule, kind, ...(hint ? { hint } : {}) });
    };
    /** The text rules first, so no later message quotes a NUL, a lone surrogate or a control character. */
    const clean = (field: string, value: string | undefined, kind: 'text' | 'name'): boolean => {
      const p = value === undefined ? undefined : textProblem(value, kind);
      if (p) add(field, p.rule, 'invalid', p.hint);
      return !p;
    };
    const name = (e.name ?? '').trim();
    if (clean('name', name, 'name')) {
      const nameProblem = netbiosNameProblem(name);
      if (nameProblem) add('name', nameProblem);
    }
    const macs: string[] = [];
    const rawMacs = [...(e.mac !== undefined && e.mac.trim() !== '' ? [e.mac] : []), ...(e.macAddresses ?? [])];
    if (rawMacs.length > MAX_MACS_PER_COMPUTER)
      add(e.macAddresses?.length ? 'macAddresses' : 'mac', `a computer has at most ${MAX_MACS_PER_COMPUTER} MAC addresses; ${rawMacs.length} were given`);
    const seenMacs = new Set<string>();
    for (const raw of rawMacs.length > MAX_MACS_PER_COMPUTER ? [] : rawMacs) {
      const field = e.mac === raw ? 'mac' : 'macAddresses';
      if (!clean(field, raw, 'text')) continue;
      const mac = normaliseMac(raw);
      if (!mac) add(field, `${quoteForMessage(raw)} is not a MAC address (write ${MAC_FORMATS})`);
      else if (macProblem(mac)) add(field, macProblem(mac)!);
      else if (!seenMacs.has(mac)) {
        seenMacs.add(mac);
        macs.push(mac);
      }
    }
    let guid: string | null = null;
    if (e.smbiosGuid !== undefined && !clean('smbiosGuid', e.smbiosGuid, 'text')) {
      // reported
    } else if (e.smbiosGuid !== undefined && e.smbiosGuid.trim() !== '') {
      guid = normaliseSmbiosGuid(e.smbiosGuid) ?? null;
      if (!guid) add('smbiosGuid', `${quoteForMessage(e.smbiosGuid)} is not an SMBIOS GUID (8-4-4-4-12 hexadecimal digits)`);
      else if (smbiosGuidProblem(guid)) add('smbiosGuid', smbiosGuidProblem(guid)!);
    }
    if (!rawMacs.length && (e.smbiosGuid ?? '').trim() === '') add('mac', 'a computer needs a MAC address or an SMBIOS GUID');
    let properties: Record<string, PropertyValue> | undefined;
    if (e.properties !== undefined) {
      try {
        properties = checkProperties(e.properties, at('properties'));
      } catch (err) {
        if (!(err instanceof SiteError)) throw err;
        problems.push({ ...(row !== undefined ? { row } : {}), input: err.input ?? at('properties'), rule: err.rule, kind: 'invalid' });
      }
    }
    const sourceText = e.sourceComputer?.trim();
    const source = clean('sourceComputer', sourceText, 'name') ? sourceText || undefined : undefined;
    checked.push({ name, macs, guid, source, properties, row, at });
  });
  // The same MAC or GUID twice in one import.
  const firstMac = new Map<string, number>();
  const firstGuid = new Map<string, number>();
  checked.forEach((c, i) => {
    const rowText = (j: number): string => (checked[j].row !== undefined ? `row ${checked[j].row}` : `entry ${j + 1}`);
    for (const mac of c.macs) {
      const j = firstMac.get(mac);
      if (j !== undefined)
        problems.push({ ...(c.row !== undefined ? { row: c.row } : {}), input: c.at('mac'), rule: `MAC ${mac} is also on ${rowText(j)}`, kind: 'invalid' });
      else firstMac.set(mac, i);
    }
    if (c.guid) {
      const j = firstGuid.get(c.guid);
      if (j !== undefined)
        problems.push({
          ...(c.row !== undefined ? { row: c.row } : {}),
          input: c.at('smbiosGuid'),
          rule: `SMBIOS GUID ${c.guid} is also on ${rowText(j)}`,
          kind: 'invalid',
        });
      else firstGuid.set(c.guid, i);
    }
  });

  return db.transaction(async (tx) => {
    // Checks against the database, still before any write.
    if (options.collectionId !== undefined) {
      const { rows } = await tx.query<{ name: string; built_in: boolean }>('SELECT name, built_in FROM collections WHERE collection_id = $1', [
        options.collectionId,
      ]);
      if (!rows[0])
        problems.push({
          input: naming.collectionInput,
          rule: `no collection has the id ${options.collectionId}`,
          hint: 'list the collections to find its id',
          kind: 'invalid',
        });
      else if (rows[0].built_in && options.collectionId !== ALL_SYSTEMS)
        problems.push({ input: naming.collectionInput, rule: `"${rows[0].name}" is a built-in collection whose rules cannot be changed`, kind: 'invalid' });
    }
    const targets: (number | undefined)[] = [];
    const sources: (number | undefined)[] = [];
    for (const c of checked) {
      const add = (field: string, rule: string, kind: ImportProblem['kind']): void => {
        problems.push({ ...(c.row !== undefined ? { row: c.row } : {}), input: c.at(field), rule, kind });
      };
      const matches = new Map<number, string[]>();
      if (c.macs.length) {
        const { rows } = await tx.query<{ mac: string; resource_id: number; name: string }>(
          'SELECT m.mac, m.resource_id, d.name FROM device_macs m JOIN devices d ON d.resource_id = m.resource_id WHERE m.mac = ANY($1::text[])',
          [c.macs],
        );
        for (const r of rows)
          matches.set(Number(r.resource_id), [...(matches.get(Number(r.resource_id)) ?? []), `MAC ${r.mac} ("${r.name}", ResourceID ${r.resource_id})`]);
      }
      if (c.guid) {
        const { rows } = await tx.query<{ resource_id: number; name: string }>('SELECT resource_id, name FROM devices WHERE smbios_guid = $1', [c.guid]);
        for (const r of rows)
          matches.set(Number(r.resource_id), [
            ...(matches.get(Number(r.resource_id)) ?? []),
            `SMBIOS GUID ${c.guid} ("${r.name}", ResourceID ${r.resource_id})`,
          ]);
      }
      let target: number | undefined;
      if (matches.size && !options.overwriteExisting) {
        add(
          c.macs.length && [...matches.values()].flat().some((m) => m.startsWith('MAC')) ? 'mac' : 'smbiosGuid',
          `a record already has ${[...matches.values()].flat().join(' and ')}`,
          'conflict',
        );
      } else if (matches.size > 1) {
        add('mac', `the MAC and SMBIOS GUID match different records (${[...matches.values()].flat().join('; ')}); overwriting cannot merge them`, 'conflict');
      } else if (matches.size === 1) target = [...matches.keys()][0];
      targets.push(target);
      let source: number | undefined;
      if (c.source) {
        const byId = /^\d+$/.test(c.source);
        // A ResourceID beyond 2^53 cannot exist (and beyond bigint the database would refuse it).
        const { rows } =
          byId && !Number.isSafeInteger(Number(c.source))
            ? { rows: [] }
            : await tx.query<{ resource_id: number }>(
                byId
                  ? 'SELECT resource_id FROM devices WHERE resource_id = $1 AND unknown_computer IS NULL'
                  : 'SELECT resource_id FROM devices WHERE lower(name) = lower($1) AND unknown_computer IS NULL',
                [byId ? Number(c.source) : c.source],
              );
        if (!rows.length) add('sourceComputer', byId ? `no device has ResourceID ${quoteForMessage(c.source)}` : `no device is named "${c.source}"`, 'invalid');
        else if (rows.length > 1) add('sourceComputer', `${rows.length} devices are named "${c.source}"`, 'invalid');
        else source = Number(rows[0].resource_id);
      }
      sources.push(source);
    }
    if (problems.length) throw importError(problems);

    // Every entry is good: write them all.
    const { rows: asState } = await tx.query<{ evaluated_at: Date | null }>('SELECT evaluated_at FROM collections WHERE collection_id = $1', [ALL_SYSTEMS]);
    const allSystemsEvaluated = !!asState[0]?.evaluated_at;
    const out: ImportedComputer[] = [];
    let added = 0;
    for (const [i, c] of checked.entries()) {
      let id = targets[i];
      const overwritten = id !== undefined;
      if (id === undefined) {
        id = await nextNumber(tx, 'resource');
        await tx.query(`INSERT INTO devices (resource_id, name, smbios_guid, mac_addresses, properties) VALUES ($1, $2, $3, $4, $5)`, [
          id,
          c.name,
          c.guid,
          JSON.stringify(c.macs),
          JSON.stringify(c.properties ?? {}),
        ]);
        if (allSystemsEvaluated) {
          await tx.query('INSERT INTO collection_members (collection_id, resource_id) VALUES ($1, $2)', [ALL_SYSTEMS, id]);
          added++;
        }
      } else {
        // Imported over a record the management point made on first contact: a known computer now.
        await tx.query(
          `UPDATE devices SET name = $2, smbios_guid = COALESCE($3, smbios_guid), mac_addresses = CASE WHEN $4::jsonb = '[]'::jsonb THEN mac_addresses ELSE $4::jsonb END,
             properties = COALESCE($5::jsonb, properties), unknown = false, updated_at = now() WHERE resource_id = $1`,
          [id, c.name, c.guid, JSON.stringify(c.macs), c.properties ? JSON.stringify(c.properties) : null],
        );
        if (c.macs.length) await tx.query('DELETE FROM device_macs WHERE resource_id = $1', [id]);
      }
      for (const mac of c.macs) await tx.query('INSERT INTO device_macs (mac, resource_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [mac, id]);
      let association: ComputerAssociation | undefined;
      if (sources[i] !== undefined) {
        association = await insertAssociation(
          tx,
          { sourceResourceId: sources[i]!, destinationResourceId: id, userAccounts: options.userAccounts ?? 'capture-restore-all', accounts: options.accounts },
          `${c.at('sourceComputer')}: `,
        );
      }
      await audit(tx, actor, overwritten ? 'overwrite' : 'import', 'device', id, {
        name: c.name,
        macAddresses: c.macs,
        smbiosGuid: c.guid,
        association: association?.id,
      });
      const { rows } = await tx.query<Row>(`SELECT ${COLUMNS} FROM devices WHERE resource_id = $1`, [id]);
      out.push({ device: toDevice(rows[0]), overwritten, ...(association ? { association } : {}) });
    }
    if (allSystemsEvaluated) {
      if (added) await tx.query('UPDATE collections SET member_count = member_count + $2 WHERE collection_id = $1', [ALL_SYSTEMS, added]);
    } else {
      await evaluateOne(tx, ALL_SYSTEMS);
    }
    // The query (and other) collections these devices now belong to, at once (issue 16 item 4).
    await evaluateDevices(
      tx,
      out.map((d) => d.device.resourceId),
    );
    if (options.collectionId !== undefined && options.collectionId !== ALL_SYSTEMS) {
      for (const d of out) {
        await tx.query(
          `INSERT INTO collection_rules (collection_id, kind, name, resource_id) SELECT $1, 'direct', $2, $3
           WHERE NOT EXISTS (SELECT 1 FROM collection_rules WHERE collection_id = $1 AND kind = 'direct' AND resource_id = $3)`,
          [options.collectionId, d.device.name, d.device.resourceId],
        );
      }
      await audit(tx, actor, 'add-rule', 'collection', options.collectionId, {
        kind: 'direct',
        resourceIds: out.map((d) => d.device.resourceId).slice(0, 100),
        count: out.length,
      });
      await evaluateWithDependents(tx, [options.collectionId]);
    }
    return out;
  });
}

/** Problems found before anything was written, as one error: a conflict when all are conflicts, else a 400. */
export function importError(problems: ImportProblem[]): SiteError {
  const onlyConflicts = problems.every((p) => p.kind === 'conflict');
  const first = problems[0];
  const rule =
    problems.length === 1
      ? first.rule
      : `${problems.length} problems${problems.some((p) => p.row !== undefined) ? ` in ${new Set(problems.map((p) => p.row)).size} rows` : ''}; nothing was imported`;
  const hint = onlyConflicts
    ? 'import again, overwriting the existing records'
    : problems.length > 1
      ? 'fix every problem listed and import again'
      : (first.hint ?? (/mac/i.test(first.input) ? `accepted MAC spellings: ${MAC_FORMATS}` : undefined));
  return new SiteError(onlyConflicts ? 'conflict' : 'bad-input', {
    input: first.input,
    rule,
    hint,
    details: { problems, ...(onlyConflicts ? nextSteps('import-computers-overwriting') : {}) },
  });
}

/** Import Computer Information for one computer. */
export async function importComputer(db: Database, actor: Actor, entry: ComputerEntry, options: ImportOptions): Promise<ImportedComputer> {
  const [one] = await importComputers(db, actor, [entry], options, { field: (_i, f) => `body.${f}`, collectionInput: 'body.collectionId' });
  return one;
}

// ---------------------------------------------------------------------------------------------
// Change and delete

export interface UpdateDeviceInput {
  name?: string;
  macAddresses?: string[];
  smbiosGuid?: string | null;
  properties?: Record<string, unknown>;
  isSiteSystem?: boolean;
  isServer?: boolean;
  client?: boolean;
}

export async function updateDevice(db: Database, actor: Actor, resourceId: number, input: UpdateDeviceInput): Promise<Device> {
  checkResourceId(resourceId, 'params.resourceId');
  const name = input.name === undefined ? undefined : checkName(input.name.trim(), 'body.name');
  if (name !== undefined && netbiosNameProblem(name)) throw badInput('body.name', netbiosNameProblem(name)!);
  let macs: string[] | undefined;
  if (input.macAddresses) {
    if (input.macAddresses.length > MAX_MACS_PER_COMPUTER) {
      throw badInput('body.macAddresses', `a computer has at most ${MAX_MACS_PER_COMPUTER} MAC addresses; ${input.macAddresses.length} were given`);
    }
    macs = [];
    const seen = new Set<string>();
    for (const [i, raw] of input.macAddresses.entries()) {
      checkText(raw, `body.macAddresses[${i}]`);
      const mac = normaliseMac(raw);
      if (!mac) throw badInput(`body.macAddresses[${i}]`, `${quoteForMessage(raw)} is not a MAC address`, `write ${MAC_FORMATS}`);
      if (macProblem(mac)) throw badInput(`body.macAddresses[${i}]`, macProblem(mac)!);
      if (!seen.has(mac)) {
        seen.add(mac);
        macs.push(mac);
      }
    }
  }
  let guid: string | null | undefined = input.smbiosGuid;
  if (typeof input.smbiosGuid === 'string') {
    checkText(input.smbiosGuid, 'body.smbiosGuid');
    guid = normaliseSmbiosGuid(input.smbiosGuid);
    if (!guid) throw badInput('body.smbiosGuid', `${quoteForMessage(input.smbiosGuid)} is not an SMBIOS GUID (8-4-4-4-12 hexadecimal digits)`);
    if (smbiosGuidProblem(guid)) throw badInput('body.smbiosGuid', smbiosGuidProblem(guid)!);
  }
  const properties = input.properties === undefined ? undefined : checkProperties(input.properties, 'body.properties');
  return db.transaction(async (tx) => {
    const before = await getDevice(tx, resourceId);
    if (before.unknownComputer && (name !== undefined || macs !== undefined || guid !== undefined)) {
      throw builtInRefused(String(resourceId), before.name, 'an unknown-computer object keeps its name and has no MAC or SMBIOS GUID');
    }
    const finalMacs = macs ?? before.macAddresses;
    const finalGuid = guid === undefined ? before.smbiosGuid : guid;
    if (!finalMacs.length && !finalGuid && !before.unknownComputer)
      throw badInput(macs ? 'body.macAddresses' : 'body.smbiosGuid', 'a computer needs a MAC address or an SMBIOS GUID');
    if (macs?.length) {
      const { rows } = await tx.query<{ mac: string; resource_id: number }>(
        'SELECT mac, resource_id FROM device_macs WHERE mac = ANY($1::text[]) AND resource_id <> $2',
        [macs, resourceId],
      );
      if (rows[0]) throw conflict('body.macAddresses', `ResourceID ${rows[0].resource_id} already has MAC ${rows[0].mac}`, 'a MAC identifies one computer');
    }
    if (guid) {
      const { rows } = await tx.query<{ resource_id: number }>('SELECT resource_id FROM devices WHERE smbios_guid = $1 AND resource_id <> $2', [
        guid,
        resourceId,
      ]);
      if (rows[0])
        throw conflict('body.smbiosGuid', `ResourceID ${rows[0].resource_id} already has SMBIOS GUID ${guid}`, 'an SMBIOS GUID identifies one computer');
    }
    await tx.query(
      `UPDATE devices SET name = $2, mac_addresses = $3, smbios_guid = $4, properties = $5, is_site_system = COALESCE($6, is_site_system),
         is_server = COALESCE($7, is_server), client = COALESCE($8, client), updated_at = now() WHERE resource_id = $1`,
      [
        resourceId,
        name ?? before.name,
        JSON.stringify(finalMacs),
        finalGuid,
        JSON.stringify(properties ?? before.properties),
        input.isSiteSystem ?? null,
        input.isServer ?? null,
        input.client ?? null,
      ],
    );
    if (macs) {
      await tx.query('DELETE FROM device_macs WHERE resource_id = $1', [resourceId]);
      for (const mac of macs) await tx.query('INSERT INTO device_macs (mac, resource_id) VALUES ($1, $2)', [mac, resourceId]);
    }
    // Its collections follow the change at once (issue 16 item 4).
    await evaluateDevices(tx, [resourceId]);
    await audit(tx, actor, 'update', 'device', resourceId, { fields: Object.keys(input) });
    const { rows } = await tx.query<Row>(`SELECT ${COLUMNS} FROM devices WHERE resource_id = $1`, [resourceId]);
    return toDevice(rows[0]);
  });
}

export async function deleteDevice(db: Database, actor: Actor, resourceId: number): Promise<Device> {
  checkResourceId(resourceId, 'params.resourceId');
  return db.transaction(async (tx) => {
    const before = await getDevice(tx, resourceId);
    if (before.unknownComputer) throw builtInRefused(String(resourceId), before.name, 'the unknown-computer objects cannot be deleted');
    // Its direct rules, variables and associations go with it (ON DELETE CASCADE), its memberships
    // by a trigger (migration 015); the member counts follow. Under the evaluation lock, so no
    // evaluation writes a membership of it after.
    await tx.query('SELECT pg_advisory_xact_lock($1)', [EVALUATION_LOCK]);
    await tx.query(
      `UPDATE collections SET member_count = member_count - 1 WHERE collection_id IN (SELECT collection_id FROM collection_members WHERE resource_id = $1)`,
      [resourceId],
    );
    await tx.query('DELETE FROM devices WHERE resource_id = $1', [resourceId]);
    await audit(tx, actor, 'delete', 'device', resourceId, { name: before.name });
    const { collections: _c, ...device } = before;
    return device;
  });
}

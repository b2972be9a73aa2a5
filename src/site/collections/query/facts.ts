/**
 * What the JS predicate (predicate.ts) reads of a device: one row of DEVICE_FACTS_SQL and its
 * device_macs rows as DeviceFacts, with the inventory properties the compiled predicates name
 * placed in slots (FactsLayout). Exact where it is offered: deviceFacts returns undefined for a
 * device the JS could not judge as the SQL would (text outside ASCII, where lower(), ILIKE and ~*
 * follow the database's locale; a resource id beyond 2^53; inventory that is not flat), and such a
 * device is left to the SQL.
 */
import type { Decimal } from '../../../engine/conditions/wql/decimal.js';
import type { Column } from './attributes.js';
import { parseFlatJsonObject } from './json.js';

/** A text value and its lower-case form. */
export interface TextValue {
  text: string;
  lower: string;
  /** The value as a decimal when it passes NUMERIC_TEXT_RE (null when not), computed on first use. */
  numeric?: Decimal | null;
}

/** What the SQL condition reads of a device (ASCII text only). */
export interface DeviceFacts {
  resourceId: number;
  /** resource_id::text */
  resourceIdText: TextValue;
  name: TextValue;
  smbiosGuid: TextValue | null;
  unknownComputer: boolean;
  client: boolean;
  isSiteSystem: boolean;
  isServer: boolean;
  /** The elements of mac_addresses (LIKE, orderings and IS NULL read the jsonb array). */
  macAddresses: readonly string[];
  /** The device_macs rows (= and IN read that table, as the SQL does). */
  macRows: readonly string[];
  /**
   * The inventory properties the predicates read, by FactsLayout slot: properties->>key for a
   * canonical key, the first key in jsonb order with the lower-case name for another (undefined
   * when missing, null for a JSON null).
   */
  slots: (TextValue | null | undefined)[];
}

/** Where deviceFacts puts each property the predicates compiled with this layout read. */
export class FactsLayout {
  readonly exact = new Map<string, number>();
  readonly lower = new Map<string, number>();
  /** Equal property values share one TextValue, so lower() and the decimal are computed once. */
  readonly values = new Map<string, TextValue>();
  private size = 0;
  slot(c: Column & { kind: 'property' }): number {
    const [map, name] = c.key !== undefined ? [this.exact, c.key] : [this.lower, c.lowerName];
    let n = map.get(name);
    if (n === undefined) map.set(name, (n = this.size++));
    return n;
  }
  value(text: string): TextValue {
    let v = this.values.get(text);
    if (!v) this.values.set(text, (v = textValue(text)));
    return v;
  }
}

/** A row of DEVICE_FACTS_SQL. */
export interface DeviceRow {
  resource_id: number;
  name: string;
  smbios_guid: string | null;
  unknown: boolean;
  client: boolean;
  is_site_system: boolean;
  is_server: boolean;
  macs: string;
  props: string;
}

export const DEVICE_FACTS_SQL = `SELECT d.resource_id, d.name, d.smbios_guid, d.unknown_computer IS NOT NULL AS unknown, d.client, d.is_site_system, d.is_server,
  d.mac_addresses::text AS macs, d.properties::text AS props FROM devices d`;

export const ASCII = /^[\x00-\x7f]*$/;
export const textValue = (text: string): TextValue => ({ text, lower: text.toLowerCase() });

/**
 * A device's facts from its row and device_macs rows, or undefined when the JS predicate could not
 * be exact for it (text outside ASCII, a resource id beyond 2^53, non-string MACs, inventory
 * values that are objects or arrays): such a device is left to the SQL.
 */
export function deviceFacts(row: DeviceRow, macRows: readonly string[], layout: FactsLayout): DeviceFacts | undefined {
  const rid = Number(row.resource_id);
  if (!Number.isSafeInteger(rid)) return undefined;
  if (!ASCII.test(row.name) || (row.smbios_guid !== null && !ASCII.test(row.smbios_guid)) || !ASCII.test(row.macs) || !ASCII.test(row.props)) return undefined;
  const macs: unknown = JSON.parse(row.macs);
  if (!Array.isArray(macs) || !macs.every((m) => typeof m === 'string')) return undefined;
  const pairs = parseFlatJsonObject(row.props);
  if (!pairs) return undefined;
  const slots: (TextValue | null | undefined)[] = [];
  for (const [key, value] of pairs) {
    const exact = layout.exact.get(key);
    const lower = layout.lower.size ? layout.lower.get(key.toLowerCase()) : undefined;
    if (exact === undefined && lower === undefined) continue;
    const v = value === null ? null : layout.value(value);
    if (exact !== undefined) slots[exact] = v;
    if (lower !== undefined && slots[lower] === undefined) slots[lower] = v;
  }
  return {
    resourceId: rid,
    resourceIdText: textValue(String(rid)),
    name: textValue(row.name),
    smbiosGuid: row.smbios_guid === null ? null : textValue(row.smbios_guid),
    unknownComputer: row.unknown,
    client: row.client,
    isSiteSystem: row.is_site_system,
    isServer: row.is_server,
    macAddresses: macs as string[],
    macRows,
    slots,
  };
}

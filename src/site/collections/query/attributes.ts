/**
 * The attributes of SMS_R_System a query rule can name, and where each lives in the devices table:
 * ResourceId, Name, NetbiosName, SMBIOSGUID, MACAddresses (multi-valued: true when any address
 * matches), Client, IsSiteSystem, IsServer [I], and any inventory property of the device by name
 * (case-insensitive). Both compilers (sql.ts, predicate.ts) read a name through `column`, so they
 * agree on what it is.
 */
import { canonicalPropertyKey } from '../../devices/properties.js';

export type Column =
  | { kind: 'number'; sql: string }
  | { kind: 'text'; sql: string; field: 'name' | 'smbiosGuid' }
  | { kind: 'boolean'; sql: string; field: 'client' | 'isSiteSystem' | 'isServer' }
  | { kind: 'mac' }
  /** An inventory property: `key` is its canonical spelling (an exact jsonb key), else found by `lowerName`. */
  | { kind: 'property'; sql: string; key?: string; lowerName: string };

const COLUMNS: Record<string, Column> = {
  resourceid: { kind: 'number', sql: 'd.resource_id' },
  name: { kind: 'text', sql: 'd.name', field: 'name' },
  netbiosname: { kind: 'text', sql: 'd.name', field: 'name' },
  smbiosguid: { kind: 'text', sql: 'd.smbios_guid', field: 'smbiosGuid' },
  macaddresses: { kind: 'mac' },
  client: { kind: 'boolean', sql: 'd.client', field: 'client' },
  issitesystem: { kind: 'boolean', sql: 'd.is_site_system', field: 'isSiteSystem' },
  isserver: { kind: 'boolean', sql: 'd.is_server', field: 'isServer' },
};

/** The column an attribute name (as written, any case) reads over `devices d`. */
export function column(name: string): Column {
  const known = COLUMNS[name.toLowerCase()];
  if (known) return known;
  const key = canonicalPropertyKey(name);
  if (key) return { kind: 'property', sql: `(d.properties->>'${key}')`, key, lowerName: name.toLowerCase() };
  // Any other inventory property: found by name, case-insensitively. Names are WQL identifiers
  // ([A-Za-z_][A-Za-z0-9_]*), so quoting them as a literal is safe.
  return {
    kind: 'property',
    sql: `(SELECT e.value FROM jsonb_each_text(d.properties) AS e WHERE lower(e.key) = '${name.toLowerCase()}' LIMIT 1)`,
    lowerName: name.toLowerCase(),
  };
}

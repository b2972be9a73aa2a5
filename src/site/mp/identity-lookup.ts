/**
 * Which device record a computer is, from what it reports (docs/management-point.md, §3.2): a GUID
 * that matches exactly one device wins; else a MAC that matches exactly one device wins (MACs in the
 * order the computer gives them; MACs naming different devices are not used); an identifier that
 * several devices share (a dock's NIC, a firmware's placeholder GUID copied to many boards) is
 * ignored and said in `notes`; the all-zero / all-F placeholders never match. The two
 * unknown-computer objects are never matched.
 */
import type { Queryable } from '../db/database.js';
import { macProblem, smbiosGuidProblem } from '../devices/identity.js';

export interface LookupResult {
  /** The matching device's ResourceID, or undefined for an unknown computer. */
  resourceId?: number;
  /** How it matched: 'smbios-guid', 'mac', or undefined. */
  matchedBy?: 'smbios-guid' | 'mac';
  notes: string[];
}

/**
 * `macs` and `smbiosGuid` already in the site's form (normaliseMac / normaliseSmbiosGuid);
 * placeholders are skipped here with a note.
 */
export async function lookupComputer(db: Queryable, identity: { macs: readonly string[]; smbiosGuid?: string }): Promise<LookupResult> {
  const notes: string[] = [];
  const guid = identity.smbiosGuid;
  if (guid) {
    const problem = smbiosGuidProblem(guid);
    if (problem) notes.push(`${problem}: not used to find the computer`);
    else {
      const { rows } = await db.query<{ resource_id: string | number }>(
        'SELECT resource_id FROM devices WHERE smbios_guid = $1 AND unknown_computer IS NULL ORDER BY resource_id LIMIT 2',
        [guid],
      );
      if (rows.length === 1) return { resourceId: Number(rows[0]!.resource_id), matchedBy: 'smbios-guid', notes };
      if (rows.length > 1) notes.push(`SMBIOS GUID ${guid} is shared by several devices: not used to find the computer`);
    }
  }
  const usable: string[] = [];
  for (const mac of identity.macs) {
    const problem = macProblem(mac);
    if (problem) notes.push(`${problem}: not used to find the computer`);
    else if (!usable.includes(mac)) usable.push(mac);
  }
  if (!usable.length) return { notes };
  const { rows } = await db.query<{ mac: string; resource_id: string | number }>(
    `SELECT m.mac, m.resource_id FROM device_macs m JOIN devices d ON d.resource_id = m.resource_id
     WHERE m.mac = ANY($1::text[]) AND d.unknown_computer IS NULL ORDER BY m.resource_id`,
    [usable],
  );
  const byMac = new Map<string, number[]>();
  for (const r of rows) (byMac.get(r.mac) ?? byMac.set(r.mac, []).get(r.mac)!).push(Number(r.resource_id));
  const unique: Array<[string, number]> = [];
  for (const mac of usable) {
    const ids = byMac.get(mac) ?? [];
    if (ids.length > 1) notes.push(`MAC ${mac} is shared by ${ids.length} devices: not used to find the computer`);
    else if (ids.length === 1) unique.push([mac, ids[0]!]);
  }
  const devices = new Set(unique.map(([, id]) => id));
  if (devices.size > 1) {
    notes.push(`the MACs name different devices (${unique.map(([mac, id]) => `${mac} → ${id}`).join(', ')}): none is used to find the computer`);
    return { notes };
  }
  if (devices.size === 1) return { resourceId: [...devices][0]!, matchedBy: 'mac', notes };
  return { notes };
}

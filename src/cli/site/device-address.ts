/**
 * A device as an administrator names it on the command line: its ResourceID (digits) or its name
 * (case-insensitive, as ConfigMgr's console finds it). A name several devices share is refused with
 * their ResourceIDs, so the admin picks one.
 */
import { InputError } from '../../sequence/input-error.js';
import type { AdminClient } from './admin-client.js';

export interface AddressedDevice {
  resourceId: number;
  name: string;
}

/** The most devices a name lookup reads (names are not unique on a site, but rarely shared by more). */
const NAME_MATCHES = 100;

export async function resolveDevice(api: AdminClient, text: string, input = '<device>'): Promise<AddressedDevice> {
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const d = await api.get<AddressedDevice>(`/devices/${t}`);
    return { resourceId: d.resourceId, name: d.name };
  }
  if (t === '') throw new InputError({ input, rule: 'give a device name or ResourceID' });
  const r = await api.get<{ devices: AddressedDevice[] }>(`/devices?search=${encodeURIComponent(t)}&limit=${NAME_MATCHES}`);
  const named = r.devices.filter((d) => d.name.toLowerCase() === t.toLowerCase());
  if (named.length === 1) return { resourceId: named[0]!.resourceId, name: named[0]!.name };
  if (named.length === 0) {
    throw new InputError({
      input,
      rule: `no device is named "${t}"`,
      hint: `osd device list --search ${JSON.stringify(t)} lists the devices whose name, MAC or SMBIOS GUID holds it`,
    });
  }
  throw new InputError({
    input,
    rule: `${named.length} devices are named "${t}": ResourceID ${named.map((d) => d.resourceId).join(', ')}`,
    hint: 'give the ResourceID of the one you mean',
  });
}

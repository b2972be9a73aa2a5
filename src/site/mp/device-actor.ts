/**
 * Who the audit log names when a computer acts through the management point (registers, rotates
 * its credential): the device itself, never an administrator's token.
 */
import type { Actor, Role } from '../security/roles.js';

export function deviceActor(device: { resourceId: number; name: string }): Actor {
  // The audit log keeps the role as text; a device has no administrative role, so it says "device".
  return { tokenId: `device:${device.resourceId}`, name: `device ${device.name} (${device.resourceId})`, role: 'device' as Role };
}

/** A computer not known yet (before its record exists). */
export const UNREGISTERED_ACTOR: Actor = { tokenId: 'device:new', name: 'management point (registration)', role: 'device' as Role };

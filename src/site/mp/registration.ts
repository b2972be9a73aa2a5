/**
 * Registration of a computer at the management point (docs/management-point.md § Identity and
 * credentials, osd-features §3.2): the computer says its MACs, SMBIOS GUID, architecture and
 * firmware; the site finds its record (identity-lookup.ts) or, for an unknown computer, does what
 * the site setting `unknownComputers` says — register it approved (`auto`), register it pending an
 * administrator's approval (`manual`), or refuse it (`refuse`, no record). Either way a new device
 * credential is issued and the device's older ones are revoked (a wiped disk lost its credential).
 * Checked first, then written in one transaction with its audit entries.
 */
import { randomInt } from 'node:crypto';
import { z } from 'zod';
import type { Queryable } from '../db/database.js';
import { audit } from '../audit.js';
import { badInput, SiteError } from '../errors.js';
import { inputProblemsError } from '../input-problems.js';
import { nextNumber } from '../ids.js';
import { ALL_SYSTEMS } from '../seed.js';
import { evaluateOne } from '../collections/evaluate.js';
import { MAC_FORMATS, macProblem, netbiosNameProblem, normaliseMac, normaliseSmbiosGuid, smbiosGuidProblem } from '../devices/identity.js';
import { getUnknownComputers } from '../settings.js';
import { forgetDeviceCredentials, issueCredential, type Approval } from './credentials.js';
import { deviceActor, UNREGISTERED_ACTOR } from './device-actor.js';
import { lookupComputer } from './identity-lookup.js';
import { MAX_IDENTIFIER_LENGTH, MAX_REGISTER_MACS, MAX_REGISTRATION_PASSWORD_LENGTH } from './limits.js';
import { checkRegistrationPassword } from './registration-password.js';
import type { Site } from '../site.js';

export const ARCHITECTURES = ['x86', 'x64', 'arm64'] as const;
export type MachineArchitecture = (typeof ARCHITECTURES)[number];
export const FIRMWARES = ['bios', 'uefi'] as const;
export type Firmware = (typeof FIRMWARES)[number];
export const ENVIRONMENTS = ['winpe', 'os'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export const registrationSchema = z.strictObject({
  macAddresses: z.array(z.string().max(MAX_IDENTIFIER_LENGTH)).max(MAX_REGISTER_MACS).default([]),
  smbiosGuid: z.string().max(MAX_IDENTIFIER_LENGTH).optional(),
  architecture: z.enum(ARCHITECTURES),
  firmware: z.enum(FIRMWARES),
  name: z.string().max(MAX_IDENTIFIER_LENGTH).optional(),
  environment: z.enum(ENVIRONMENTS),
  /** The site's registration password, when it has one. */
  password: z.string().max(MAX_REGISTRATION_PASSWORD_LENGTH).optional(),
});
export type RegistrationInput = z.input<typeof registrationSchema>;

export interface Registration {
  resourceId: number;
  name: string;
  /** The site knew the computer (a record it did not make on first contact). */
  known: boolean;
  /** The unknown-computer object whose deployments it gets, for a device registered on first contact. */
  unknownComputer: 'x86' | 'x64' | null;
  approval: Exclude<Approval, 'refused'>;
  credential: string;
  credentialExpiresAt: string;
  notes: string[];
}

/** Serialises registrations (two first contacts of one computer must not make two records). */
const REGISTRATION_LOCK = 0x4f534d50; // "OSMP"

/**
 * The unknown-computer object for hardware of this architecture (§3.2): x86-only hardware is the
 * "x86 Unknown Computer", x64-capable hardware the "x64 Unknown Computer". ConfigMgr has no object
 * for arm64 [I]: an arm64 computer registered on first contact gets no unknown-computer deployments.
 */
export function unknownObjectFor(architecture: string | null): 'x86' | 'x64' | null {
  if (architecture === 'x86') return 'x86';
  if (architecture === 'x64') return 'x64';
  return null;
}

/** WinPE's own name for itself: MININT- and seven letters or digits. */
function miniNtName(): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let s = 'MININT-';
  for (let i = 0; i < 7; i++) s += chars[randomInt(chars.length)];
  return s;
}

interface Checked {
  macs: string[];
  guid?: string;
  name?: string;
  architecture: MachineArchitecture;
  firmware: Firmware;
  environment: Environment;
  password?: string;
}

function check(raw: unknown): Checked {
  const parsed = registrationSchema.safeParse(raw);
  if (!parsed.success) throw inputProblemsError(parsed.error, 'body', { schema: registrationSchema, value: raw });
  const input = parsed.data;
  const macs: string[] = [];
  input.macAddresses.forEach((text, i) => {
    const mac = normaliseMac(text);
    if (!mac) throw badInput(`body.macAddresses.${i}`, `"${text.slice(0, MAX_IDENTIFIER_LENGTH)}" is not a MAC address`, `use ${MAC_FORMATS}`);
    if (!macs.includes(mac)) macs.push(mac);
  });
  let guid: string | undefined;
  if (input.smbiosGuid !== undefined && input.smbiosGuid.trim() !== '') {
    guid = normaliseSmbiosGuid(input.smbiosGuid);
    if (!guid) throw badInput('body.smbiosGuid', `"${input.smbiosGuid}" is not an SMBIOS GUID`, 'use 8-4-4-4-12 hexadecimal digits');
  }
  if (!(guid && !smbiosGuidProblem(guid)) && !macs.some((m) => !macProblem(m))) {
    throw badInput(
      'body.macAddresses',
      'the computer gives neither a MAC address nor an SMBIOS GUID that identifies it (placeholders such as 00:00:00:00:00:00 do not)',
      'send the MAC addresses of its network adapters and its SMBIOS GUID',
    );
  }
  let name: string | undefined;
  if (input.name !== undefined && input.name.trim() !== '') {
    name = input.name.trim();
    const problem = netbiosNameProblem(name);
    if (problem) throw badInput('body.name', problem, 'leave the name out and the site names it as WinPE does (MININT-…)');
  }
  return { macs, guid, name, architecture: input.architecture, firmware: input.firmware, environment: input.environment, password: input.password };
}

/** Adds a new device to All Systems (every device is a member, §3.1) the way an import does. */
async function joinAllSystems(tx: Queryable, resourceId: number): Promise<void> {
  const { rows } = await tx.query<{ evaluated_at: Date | null }>('SELECT evaluated_at FROM collections WHERE collection_id = $1', [ALL_SYSTEMS]);
  if (rows[0]?.evaluated_at) {
    await tx.query('INSERT INTO collection_members (collection_id, resource_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [ALL_SYSTEMS, resourceId]);
    await tx.query('UPDATE collections SET member_count = member_count + 1 WHERE collection_id = $1', [ALL_SYSTEMS]);
  } else await evaluateOne(tx, ALL_SYSTEMS);
}

export async function registerComputer(site: Site, raw: unknown): Promise<Registration> {
  const c = check(raw);
  await checkRegistrationPassword(site, site.db, c.password);
  const { registration, replaced } = await registerIn(site, c);
  // Registering again revoked the device's older credentials (checked from memory, credentials.ts).
  if (replaced) forgetDeviceCredentials();
  return registration;
}

async function registerIn(site: Site, c: ReturnType<typeof check>): Promise<{ registration: Registration; replaced: boolean }> {
  return site.db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [REGISTRATION_LOCK]);
    const found = await lookupComputer(tx, { macs: c.macs, smbiosGuid: c.guid });
    if (found.resourceId !== undefined) {
      const { rows } = await tx.query<{ name: string; unknown: boolean; approval: Approval }>(
        `UPDATE devices SET architecture = $2, firmware = $3, last_contact_at = now(), registered_at = COALESCE(registered_at, now())
         WHERE resource_id = $1 RETURNING name, unknown, approval`,
        [found.resourceId, c.architecture, c.firmware],
      );
      const d = rows[0]!;
      if (d.approval === 'refused') {
        throw new SiteError('forbidden', {
          input: 'body',
          rule: `device-refused: an administrator refused the device ${d.name} (ResourceID ${found.resourceId})`,
          hint: 'ask an administrator to approve the device',
          details: { reason: 'device-refused' },
        });
      }
      const device = { resourceId: found.resourceId, name: d.name };
      const issued = await issueCredential(tx, deviceActor(device), found.resourceId, { replaceOthers: true, action: 'register' });
      const registration: Registration = {
        resourceId: found.resourceId,
        name: d.name,
        known: !d.unknown,
        unknownComputer: d.unknown ? unknownObjectFor(c.architecture) : null,
        approval: d.approval,
        credential: issued.credential,
        credentialExpiresAt: issued.expiresAt,
        notes: [...found.notes, `found by ${found.matchedBy === 'mac' ? 'MAC address' : 'SMBIOS GUID'}`],
      };
      return { registration, replaced: true };
    }
    const policy = await getUnknownComputers(tx);
    if (policy === 'refuse') {
      throw new SiteError('forbidden', {
        input: 'body',
        rule: 'unknown-computers-refused: the site does not know this computer and does not accept unknown computers',
        hint: 'import the computer information (MAC address or SMBIOS GUID), or ask an administrator to accept unknown computers',
        details: { reason: 'unknown-computers-refused', ...(found.notes.length ? { notes: found.notes } : {}) },
      });
    }
    const approval = policy === 'auto' ? 'approved' : 'pending';
    const resourceId = await nextNumber(tx, 'resource');
    const name = c.name ?? miniNtName();
    await tx.query(
      `INSERT INTO devices (resource_id, name, smbios_guid, mac_addresses, unknown, approval, architecture, firmware, registered_at, last_contact_at)
       VALUES ($1, $2, $3, $4, true, $5, $6, $7, now(), now())`,
      [resourceId, name, c.guid && !smbiosGuidProblem(c.guid) ? c.guid : null, JSON.stringify(c.macs), approval, c.architecture, c.firmware],
    );
    for (const mac of c.macs.filter((m) => !macProblem(m))) {
      await tx.query('INSERT INTO device_macs (mac, resource_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [mac, resourceId]);
    }
    await joinAllSystems(tx, resourceId);
    const unknownComputer = unknownObjectFor(c.architecture);
    await audit(tx, UNREGISTERED_ACTOR, 'register-unknown', 'device', resourceId, {
      name,
      macAddresses: c.macs,
      smbiosGuid: c.guid ?? null,
      architecture: c.architecture,
      firmware: c.firmware,
      environment: c.environment,
      approval,
    });
    const issued = await issueCredential(tx, deviceActor({ resourceId, name }), resourceId, { replaceOthers: false });
    const notes = [...found.notes];
    if (!unknownComputer) notes.push(`no unknown-computer object exists for ${c.architecture} hardware: deployments to unknown computers do not reach it`);
    if (approval === 'pending') notes.push('registered as an unknown computer, waiting for an administrator to approve it');
    else notes.push('registered as an unknown computer');
    const registration: Registration = {
      resourceId,
      name,
      known: false,
      unknownComputer,
      approval,
      credential: issued.credential,
      credentialExpiresAt: issued.expiresAt,
      notes,
    };
    return { registration, replaced: false };
  });
}

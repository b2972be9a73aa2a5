/**
 * What a computer that network-boots is told to do (osd-features §5.1; docs/network-boot.md): the
 * site's side of `GET /boot/v1/pxe.ipxe`. The computer is found by SMBIOS GUID or MAC as the
 * management point finds it (identity-lookup.ts); its deployments are the policy's (policy.ts:
 * collection membership, media-and-PXE availability, the window, Required already run until
 * cleared), or those of its architecture's unknown-computer object when the site does not know it.
 * Then:
 *
 * - an offered deployment whose task sequence has a PXE-enabled boot environment suited to the
 *   firmware → that boot image, chosen by §5.1 (exact architecture first, highest deployment id;
 *   x64 BIOS may use x86, UEFI only its own architecture); a Required one boots at once, only
 *   Available ones ask for a key press first (the prompt's time-out is a site setting);
 * - nothing offered (nothing deployed, a Required deployment already run, outside its window …) →
 *   the computer boots its disk;
 * - boot images offered but none suited to the firmware → refused before any download, the reason
 *   said on the console, then the disk.
 *
 * Every decision is audited with its reason (object type `pxe`, the MAC as the object id).
 */
import { audit } from '../audit.js';
import { badInput } from '../errors.js';
import type { Actor, Role } from '../security/roles.js';
import type { Site } from '../site.js';
import { getUnknownComputers } from '../settings.js';
import { UNKNOWN_X64_RESOURCE_ID, UNKNOWN_X86_RESOURCE_ID } from '../seed.js';
import { MAC_FORMATS, macProblem, normaliseMac, normaliseSmbiosGuid, smbiosGuidProblem } from '../devices/identity.js';
import { lookupComputer } from '../mp/identity-lookup.js';
import { evaluateDeviceMembership } from '../mp/device-membership.js';
import { deploymentsFor, deviceFacts, offer, policyTarget, type DeploymentRow } from '../mp/policy.js';
import { lastRunsOf, type LastRun } from '../mp/last-run.js';
import { clearsOf } from '../mp/required-clears.js';
import { chooseBootImage, noBootImageReason, type BootImageCandidate } from '../mp/boot-image-choice.js';
import type { Approval } from '../mp/credentials.js';
import type { BootImageProperties } from '../objects/package-types.js';
import { isBootEnvironment } from './boot-environments.js';
import { getNetworkBootSettings } from './settings.js';

/** iPXE's `${platform}`. */
export const PXE_PLATFORMS = ['pcbios', 'efi'] as const;
/** iPXE's `${buildarch}`: the build's architecture (a BIOS iPXE is an i386 build even on x64 hardware). */
export const PXE_BUILD_ARCHES = ['i386', 'x86_64', 'arm32', 'arm64'] as const;

export interface PxeQueryInput {
  mac?: string;
  uuid?: string;
  platform?: string;
  buildarch?: string;
  /** What the TFTP stub found with iPXE's `cpuid` (x64 when the CPU has long mode), when it could. */
  arch?: string;
}

export interface PxeQuery {
  mac: string;
  smbiosGuid?: string;
  firmware: 'bios' | 'uefi';
  /** x86 | x64 | arm64, or null when the computer could not say (a BIOS iPXE without cpuid). */
  architecture: string | null;
  platform: string;
  buildarch: string;
}

const MAX_FIELD = 64;

function field(value: string | undefined, name: string): string {
  const v = (value ?? '').trim();
  if (v.length > MAX_FIELD) throw badInput(`query.${name}`, `${v.length} characters; at most ${MAX_FIELD}`);
  return v;
}

/** The query iPXE sends, checked: a 400 naming the field for anything else. */
export function checkPxeQuery(q: PxeQueryInput): PxeQuery {
  const macText = field(q.mac, 'mac');
  if (!macText) throw badInput('query.mac', 'missing', 'the boot script sends mac=${net0/mac}');
  const mac = normaliseMac(macText);
  if (!mac) throw badInput('query.mac', `"${macText}" is not a MAC address`, `use ${MAC_FORMATS}`);
  const uuidText = field(q.uuid, 'uuid');
  let smbiosGuid: string | undefined;
  if (uuidText) {
    smbiosGuid = normaliseSmbiosGuid(uuidText);
    if (!smbiosGuid) throw badInput('query.uuid', `"${uuidText}" is not an SMBIOS GUID`, 'use 8-4-4-4-12 hexadecimal digits, or leave it empty');
  }
  const platform = field(q.platform, 'platform');
  if (!(PXE_PLATFORMS as readonly string[]).includes(platform))
    throw badInput('query.platform', `"${platform}" is not one of ${PXE_PLATFORMS.join(', ')}`, 'the boot script sends platform=${platform}');
  const buildarch = field(q.buildarch, 'buildarch');
  if (!(PXE_BUILD_ARCHES as readonly string[]).includes(buildarch))
    throw badInput('query.buildarch', `"${buildarch}" is not one of ${PXE_BUILD_ARCHES.join(', ')}`, 'the boot script sends buildarch=${buildarch}');
  const arch = field(q.arch, 'arch');
  if (arch && arch !== 'x86' && arch !== 'x64') throw badInput('query.arch', `"${arch}" is not x86 or x64`, 'leave it empty when unknown');
  const firmware = platform === 'efi' ? 'uefi' : 'bios';
  let architecture: string | null;
  if (buildarch === 'x86_64') architecture = 'x64';
  else if (buildarch === 'arm64') architecture = 'arm64';
  else if (buildarch === 'arm32') architecture = 'arm';
  // An i386 iPXE: 32-bit UEFI firmware, or any BIOS machine (only cpuid tells x64-capable ones apart).
  else architecture = firmware === 'uefi' ? 'x86' : arch || null;
  return { mac, smbiosGuid, firmware, architecture, platform, buildarch };
}

export interface PxeBootFile {
  file: string;
  sha256: string;
  bytes: number;
}

export type PxeAction = 'boot' | 'prompt' | 'local';

export interface PxeDecision {
  action: PxeAction;
  /** Why, in one line (said on the console and in the audit log). */
  reason: string;
  device: { resourceId: number | null; name: string | null; unknown: boolean; matchedBy: string | null };
  firmware: 'bios' | 'uefi';
  architecture: string | null;
  /** The boot image to boot (boot and prompt). */
  bootImage?: {
    packageId: string;
    name: string;
    architecture: string;
    deploymentId: string;
    rule: string;
    kernel: PxeBootFile;
    initrd: PxeBootFile;
  };
  /** Available only: how long the key-press prompt waits, and for what. */
  prompt?: { timeoutMs: number; deployments: string[] };
  /** Every deployment looked at, with whether it is offered and why. */
  deployments: Array<{ deploymentId: string; name: string; purpose: string; offered: boolean; reason: string; bootImageId: string | null }>;
  notes: string[];
}

/** Who the audit log names for a network boot's decision. */
export const PXE_ACTOR: Actor = { tokenId: 'pxe', name: 'network boot (PXE)', role: 'device' as Role };

interface BootImageRow {
  package_id: string;
  name: string;
  properties: Partial<BootImageProperties>;
}

async function bootImagesOf(site: Site, ids: readonly string[]): Promise<Map<string, BootImageRow>> {
  if (!ids.length) return new Map();
  const { rows } = await site.db.query<BootImageRow>('SELECT package_id, name, properties FROM packages WHERE package_id = ANY($1::text[])', [[...ids]]);
  return new Map(rows.map((r) => [r.package_id, r]));
}

/** The decision for one network boot, audited (`preview`: what it would be, not audited — the admin's question). */
export async function decidePxeBoot(site: Site, query: PxeQuery, options: { now?: Date; preview?: boolean } = {}): Promise<PxeDecision> {
  const decision = await decide(site, query, options.now ?? new Date());
  if (options.preview) return decision;
  await audit(site.db, PXE_ACTOR, `pxe-${decision.action}`, 'pxe', query.mac, {
    reason: decision.reason,
    mac: query.mac,
    smbiosGuid: query.smbiosGuid ?? null,
    firmware: query.firmware,
    architecture: query.architecture,
    resourceId: decision.device.resourceId,
    ...(decision.bootImage ? { bootImage: decision.bootImage.packageId, deploymentId: decision.bootImage.deploymentId } : {}),
  });
  return decision;
}

async function decide(site: Site, query: PxeQuery, now: Date): Promise<PxeDecision> {
  const notes: string[] = [];
  const base = { firmware: query.firmware, architecture: query.architecture, notes };
  const found = await lookupComputer(site.db, { macs: macProblem(query.mac) ? [] : [query.mac], smbiosGuid: query.smbiosGuid });
  notes.push(...found.notes);
  if (query.smbiosGuid && smbiosGuidProblem(query.smbiosGuid)) notes.push(`${smbiosGuidProblem(query.smbiosGuid)}: found by MAC only`);
  if (query.architecture === null) notes.push('the computer did not say whether it is x64-capable (its iPXE has no cpuid command)');
  const local = (reason: string, device: PxeDecision['device'], deployments: PxeDecision['deployments'] = []): PxeDecision => ({
    action: 'local',
    reason,
    device,
    deployments,
    ...base,
  });

  let target: number | null;
  let device: PxeDecision['device'];
  let lastRuns = new Map<string, LastRun>();
  if (found.resourceId !== undefined) {
    const resourceId = found.resourceId;
    const { rows } = await site.db.query<{ name: string; approval: Approval }>('SELECT name, approval FROM devices WHERE resource_id = $1', [resourceId]);
    const row = rows[0]!;
    const facts = await site.db.transaction(async (tx) => {
      await evaluateDeviceMembership(tx, resourceId);
      return deviceFacts(tx, resourceId);
    });
    device = { resourceId, name: row.name, unknown: facts.unknown, matchedBy: found.matchedBy ?? null };
    if (row.approval === 'refused')
      return local(`an administrator refused the device ${row.name} (ResourceID ${resourceId}): no network boot, the disk boots`, device);
    // A device first registered as unknown keeps its unknown-computer object's deployments; its architecture is what it says now.
    target = policyTarget({ resourceId }, { ...facts, architecture: facts.unknown ? (query.architecture ?? facts.architecture) : facts.architecture });
    lastRuns = await lastRunsOf(site.db, resourceId);
  } else {
    device = { resourceId: null, name: null, unknown: true, matchedBy: null };
    if ((await getUnknownComputers(site.db)) === 'refuse')
      return local('the site does not know this computer and does not accept unknown computers: the disk boots', device);
    // §3.2: x86-only hardware is the x86 Unknown Computer, x64-capable hardware the x64 one.
    const arch = query.architecture ?? 'x64';
    if (query.architecture === null) notes.push('unknown computer of unknown architecture: treated as x64-capable');
    target = arch === 'x86' ? UNKNOWN_X86_RESOURCE_ID : arch === 'x64' ? UNKNOWN_X64_RESOURCE_ID : null;
    if (target === null) return local(`unknown computer of architecture ${arch}: no unknown-computer object exists for it, the disk boots`, device);
    notes.push(`unknown computer: deployments to collections holding the ${arch} Unknown Computer`);
  }
  if (target === null) return local('no unknown-computer object exists for this architecture: the disk boots', device);

  const rows = await deploymentsFor(site.db, target);
  const clears =
    device.resourceId !== null && rows.some((d) => d.purpose === 'required' && lastRuns.has(d.deployment_id))
      ? await clearsOf(site.db, device.resourceId)
      : new Map<string, Date>();
  const images = await bootImagesOf(site, [...new Set(rows.map((d) => d.boot_image_id).filter((id): id is string => id !== null))]);
  const deployments: PxeDecision['deployments'] = [];
  const offered: DeploymentRow[] = [];
  const candidates: BootImageCandidate[] = [];
  for (const d of rows) {
    const o = offer(d, 'winpe', now, lastRuns.get(d.deployment_id) ?? null, clears.get(d.deployment_id) ?? null);
    let { offered: isOffered, reason } = o;
    const image = d.boot_image_id ? images.get(d.boot_image_id) : undefined;
    if (isOffered) {
      if (!d.boot_image_id || !image) {
        isOffered = false;
        reason = `${reason}; its task sequence has no boot image, so it cannot start from PXE`;
      } else if (!isBootEnvironment(image.properties)) {
        isOffered = false;
        reason = `${reason}; its boot image ${image.package_id} is a Windows PE image, which this site cannot network-boot (only boot environments)`;
      } else if (!image.properties.pxeEnabled) {
        isOffered = false;
        reason = `${reason}; its boot image ${image.package_id} is not enabled for PXE ("Deploy this boot image from the PXE-enabled distribution point")`;
      }
    }
    deployments.push({ deploymentId: d.deployment_id, name: d.name, purpose: d.purpose, offered: isOffered, reason, bootImageId: d.boot_image_id });
    if (isOffered) {
      offered.push(d);
      candidates.push({ deploymentId: d.deployment_id, packageId: image!.package_id, architecture: image!.properties.architecture ?? 'x64' });
    }
  }
  if (!offered.length) {
    const why = deployments.length
      ? deployments.map((d) => `${d.deploymentId} (${d.name}): ${d.reason}`).join('; ')
      : 'no task sequence is deployed to this computer';
    return local(`nothing to run from PXE: ${why}; the disk boots`, device, deployments);
  }
  const machine = { architecture: query.architecture, firmware: query.firmware };
  const choice = chooseBootImage(candidates, machine);
  if (!choice) {
    // §5.1: refused before the computer downloads anything.
    return local(
      `no boot image suits this ${query.firmware.toUpperCase()} ${query.architecture ?? ''} computer: ${noBootImageReason(candidates, machine)}; nothing is downloaded, the disk boots`.replace(
        /\s+:/,
        ':',
      ),
      device,
      deployments,
    );
  }
  const image = images.get(choice.packageId)!;
  const env = image.properties.bootEnvironment!;
  const bootImage = {
    packageId: image.package_id,
    name: image.name,
    architecture: choice.architecture,
    deploymentId: choice.deploymentId,
    rule: choice.rule,
    kernel: { file: env.kernel.file, sha256: env.kernel.sha256, bytes: env.kernel.bytes },
    initrd: { file: env.initrd.file, sha256: env.initrd.sha256, bytes: env.initrd.bytes },
  };
  // The deployments this boot image starts; one Required among them boots without asking (§5.1 step 5).
  const usable = offered.filter((d) => d.boot_image_id === image.package_id);
  const required = usable.filter((d) => d.purpose === 'required');
  if (required.length) {
    return {
      action: 'boot',
      reason: `Required deployment ${required.map((d) => `${d.deployment_id} (${d.name})`).join(', ')}: boot image ${image.package_id} (${choice.rule})`,
      device,
      bootImage,
      deployments,
      ...base,
    };
  }
  const { promptTimeoutSeconds } = await getNetworkBootSettings(site.db);
  return {
    action: 'prompt',
    reason: `Available deployment ${usable.map((d) => `${d.deployment_id} (${d.name})`).join(', ')}: a key press boots ${image.package_id} (${choice.rule}), else the disk boots after ${promptTimeoutSeconds} s`,
    device,
    bootImage,
    prompt: { timeoutMs: promptTimeoutSeconds * 1000, deployments: usable.map((d) => d.deployment_id) },
    deployments,
    ...base,
  };
}

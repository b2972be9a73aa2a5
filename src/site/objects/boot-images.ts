/**
 * Boot images (PackageType 258, osd-features §2.2): a Windows PE WIM and one image index in it.
 * Architecture and versions are read from the image; only WinPE 10 can be customised (§2.2: WinPE
 * 3.1 and 5 can be added but not customised). arm64 boot images are refused: the documentation
 * read covers x86 and x64 only, so we treat arm64 as not supported [I].
 *
 * Drivers tab: drivers from the catalog, with the console's warnings — architecture mismatch, and
 * a class other than network or storage (NETWORK_AND_STORAGE_CLASSES) — or, with
 * `onlyNetworkAndStorage`, a refusal instead of the class warning.
 */
import { z } from 'zod';
import { objectName } from '../name-schema.js';
import { audit } from '../audit.js';
import type { Queryable } from '../db/database.js';
import { badInput, notFound } from '../errors.js';
import { nextSteps } from '../next-steps.js';
import type { Actor } from '../security/roles.js';
import type { Site } from '../site.js';
import { PACKAGE_TYPE, SCRATCH_SPACE_MB, type BootImageProperties, type ImageInformation } from './package-types.js';
import { getPackage, insertPackage, prioritySchema, type PackageView } from './packages.js';
import { locateWim, readImageInformation } from './wim-source.js';

/** Driver classes the console calls network or storage [I: INF Class names, compared case-insensitively]. */
export const NETWORK_AND_STORAGE_CLASSES = ['Net', 'SCSIAdapter', 'HDC'] as const;

export const bootImageCustomisationSchema = z.object({
  /** Data Source: "Deploy this boot image from the PXE-enabled distribution point". */
  pxeEnabled: z.boolean().optional(),
  scratchSpaceMb: z
    .number()
    .int()
    .refine((n) => (SCRATCH_SPACE_MB as readonly number[]).includes(n), { message: `scratch space is one of ${SCRATCH_SPACE_MB.join(', ')} MB` })
    .optional(),
  /** "Enable command support (testing only)": F8 opens a command prompt. */
  commandSupport: z.boolean().optional(),
  /** Optional components added to the always-present ones (BOOT_IMAGE_BASE_COMPONENTS). */
  optionalComponents: z.array(z.string().regex(/^WinPE-[A-Za-z0-9_.-]+$/, 'an optional component is named WinPE-…, e.g. WinPE-PowerShell')).optional(),
  /** Must start with "cmd /c" (§2.2); empty for none. */
  prestartCommand: z.string().max(1024).optional(),
  clientVersion: z.string().max(64).optional(),
});
export type BootImageCustomisation = z.infer<typeof bootImageCustomisationSchema>;

export const addBootImageSchema = bootImageCustomisationSchema.extend({
  sourcePath: z.string().min(1).optional(),
  contentId: z.string().min(1).optional(),
  imageIndex: z.number().int().min(1).default(1),
  name: objectName(256).optional(),
  version: z.string().max(64).optional(),
  description: z.string().max(512).optional(),
  priority: prioritySchema.optional(),
});
export type AddBootImageInput = z.input<typeof addBootImageSchema>;

export interface BootImageView extends PackageView {
  properties: BootImageProperties;
}

/** ImageOSVersion → the WinPE version ConfigMgr shows (§2.2); undefined for versions it does not support. */
export function winPeVersionOf(osVersion: string): string | undefined {
  const [major, minor] = osVersion.split('.').map(Number);
  if (major === 10) return '10';
  if (major === 6 && minor === 3) return '5';
  if (major === 6 && minor === 2) return '4';
  if (major === 6 && minor === 1) return '3.1';
  return undefined;
}

/** What a boot image takes from its WinPE image; refused when it is not a WinPE image this site can use. */
function bootImageFacts(image: ImageInformation, input: string): Pick<BootImageProperties, 'architecture' | 'osVersion' | 'winPeVersion'> {
  if (image.installationType.toLowerCase() !== 'windowspe') {
    throw badInput(
      input,
      `image ${image.index} (${image.name}) is not a Windows PE image (its installation type is "${image.installationType || 'not set'}")`,
      "a boot image is a WinPE WIM such as the ADK's winpe.wim; add Windows images as OS images",
    );
  }
  const arch = image.architecture;
  if (arch === 'arm64' || arch === 'arm') {
    throw badInput(
      input,
      `image ${image.index} is a ${arch} Windows PE image; only x86 and x64 boot images are supported`,
      'use the x64 or x86 WinPE from the ADK',
    );
  }
  if (arch !== 'x86' && arch !== 'x64')
    throw badInput(input, `image ${image.index} does not say its architecture (WINDOWS/ARCH)`, 'use a WinPE image from the ADK');
  const winPeVersion = winPeVersionOf(image.version);
  if (!winPeVersion) {
    throw badInput(
      input,
      `image ${image.index} is Windows PE version "${image.version || 'unknown'}", which Configuration Manager does not support`,
      'use WinPE 10 from the current ADK (WinPE 3.1 and 5 can be added but not customised)',
    );
  }
  return { architecture: arch, osVersion: image.version, winPeVersion };
}

function checkCustomisation(c: BootImageCustomisation, winPeVersion: string, prefix: string): void {
  const given = (Object.keys(c) as Array<keyof BootImageCustomisation>).filter((k) => c[k] !== undefined);
  if (given.length && winPeVersion !== '10') {
    throw badInput(
      `${prefix}.${given[0]}`,
      `only WinPE 10 boot images can be customised; this one is WinPE ${winPeVersion}`,
      'use a WinPE 10 boot image from the current ADK',
    );
  }
  if (c.prestartCommand && !/^cmd \/c\s/i.test(c.prestartCommand)) {
    throw badInput(`${prefix}.prestartCommand`, 'a prestart command must start with "cmd /c"', 'e.g. cmd /c X:\\Prestart\\set-language.cmd');
  }
}

export async function getBootImage(site: Site, packageId: string): Promise<BootImageView> {
  return (await getPackage(site.db, packageId, PACKAGE_TYPE.bootImage)) as BootImageView;
}

export async function addBootImage(site: Site, actor: Actor, raw: AddBootImageInput): Promise<BootImageView> {
  const input = addBootImageSchema.parse(raw);
  const location = await locateWim(site, input);
  const images = await readImageInformation(location);
  const image = images.find((i) => i.index === input.imageIndex);
  if (!image) {
    throw badInput(
      'body.imageIndex',
      `${location.input} has no image ${input.imageIndex}; its images are ${images.map((i) => `${i.index} (${i.name})`).join(', ')}`,
    );
  }
  const facts = bootImageFacts(image, location.input);
  const { sourcePath: _s, contentId: _c, imageIndex, name, version, description, priority, ...customisation } = input;
  checkCustomisation(customisation, facts.winPeVersion, 'body');
  await location.record();
  const contentId = location.contentId;
  const properties: BootImageProperties = {
    wimFile: location.wimFile,
    imageIndex,
    ...facts,
    pxeEnabled: customisation.pxeEnabled ?? false,
    // §2.2: 512 MB unless the device has 1 GB of memory or less; we cannot know, so 512 [I].
    scratchSpaceMb: customisation.scratchSpaceMb ?? 512,
    commandSupport: customisation.commandSupport ?? false,
    optionalComponents: customisation.optionalComponents ?? [],
    prestartCommand: customisation.prestartCommand ?? '',
    clientVersion: customisation.clientVersion ?? '',
  };
  const packageName = name ?? (image.name || `Boot image (${facts.architecture})`);
  const id = await site.db.transaction(async (tx) => {
    const packageId = await insertPackage(tx, site.siteCode, {
      packageType: PACKAGE_TYPE.bootImage,
      name: packageName,
      version,
      description,
      sourcePath: input.sourcePath,
      contentId,
      priority,
      properties,
    });
    await audit(tx, actor, 'create', 'boot-image', packageId, {
      name: packageName,
      wimFile: location.wimFile,
      imageIndex,
      architecture: facts.architecture,
      contentId,
    });
    return packageId;
  });
  return getBootImage(site, id);
}

/** Customisation and the PXE flag (WinPE 10 only). */
export async function updateBootImage(site: Site, actor: Actor, packageId: string, patch: BootImageCustomisation): Promise<BootImageView> {
  const current = await getBootImage(site, packageId);
  if (current.properties.kind === 'boot-environment') {
    // A boot environment (issue 14) has no WinPE customisation: only its PXE flag changes here.
    const other = (Object.keys(patch) as Array<keyof BootImageCustomisation>).find((k) => k !== 'pxeEnabled' && patch[k] !== undefined);
    if (other)
      throw badInput(
        `body.${other}`,
        'a boot environment (Linux kernel + initramfs) is not a Windows PE image: only its PXE flag can be changed',
        'build the boot environment again and register it to change what it holds',
      );
  } else checkCustomisation(patch, current.properties.winPeVersion, 'body');
  const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
  const properties: BootImageProperties = { ...current.properties, ...defined };
  await site.db.transaction(async (tx) => {
    await tx.query('UPDATE packages SET properties = $2, updated_at = now() WHERE package_id = $1', [current.packageId, JSON.stringify(properties)]);
    await audit(tx, actor, 'update', 'boot-image', current.packageId, { changed: Object.keys(defined) });
  });
  return getBootImage(site, current.packageId);
}

export interface BootImageDriver {
  ciId: number;
  name: string;
  class: string;
  platforms: string[];
  enabled: boolean;
}

export async function listBootImageDrivers(db: Queryable, packageId: string): Promise<BootImageDriver[]> {
  const { rows } = await db.query<{ ci_id: number; name: string; class: string; platforms: string[]; enabled: boolean }>(
    `SELECT d.ci_id, d.name, d.class, d.platforms, d.enabled FROM package_drivers pd JOIN drivers d ON d.ci_id = pd.ci_id
      WHERE pd.package_id = $1 ORDER BY d.ci_id`,
    [packageId],
  );
  return rows.map((r) => ({ ciId: Number(r.ci_id), name: r.name, class: r.class, platforms: r.platforms, enabled: r.enabled }));
}

export function isNetworkOrStorage(driverClass: string): boolean {
  return NETWORK_AND_STORAGE_CLASSES.some((c) => c.toLowerCase() === driverClass.toLowerCase());
}

/** Drivers tab › add: returns the boot image's drivers and the console's warnings. */
export async function addBootImageDrivers(
  site: Site,
  actor: Actor,
  packageId: string,
  input: { ciIds: number[]; onlyNetworkAndStorage?: boolean },
): Promise<{ drivers: BootImageDriver[]; warnings: string[] }> {
  const image = await getBootImage(site, packageId);
  const arch = image.properties.architecture;
  const warnings: string[] = [];
  await site.db.transaction(async (tx) => {
    for (const [i, ciId] of input.ciIds.entries()) {
      const { rows } = await tx.query<{ name: string; class: string; platforms: string[] }>('SELECT name, class, platforms FROM drivers WHERE ci_id = $1', [
        ciId,
      ]);
      const d = rows[0];
      if (!d) throw badInput(`body.ciIds[${i}]`, `no driver has the id ${ciId}`, 'list the drivers in the catalog to find its id', nextSteps('list-drivers'));
      if (!isNetworkOrStorage(d.class)) {
        if (input.onlyNetworkAndStorage) {
          throw badInput(
            `body.ciIds[${i}]`,
            `driver ${ciId} (${d.name}) is of class "${d.class || 'none'}", not a network or storage driver (${NETWORK_AND_STORAGE_CLASSES.join(', ')})`,
            'add only network and storage drivers to boot images',
          );
        }
        warnings.push(`driver ${ciId} (${d.name}) is of class "${d.class || 'none'}": boot images need only network and storage drivers`);
      }
      if (!d.platforms.includes(arch)) {
        warnings.push(`driver ${ciId} (${d.name}) is for ${d.platforms.join(', ') || 'no platform'}, not for this ${arch} boot image`);
      }
      await tx.query('INSERT INTO package_drivers (package_id, ci_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [image.packageId, ciId]);
    }
    await audit(tx, actor, 'add-drivers', 'boot-image', image.packageId, { ciIds: input.ciIds, warnings: warnings.length });
  });
  return { drivers: await listBootImageDrivers(site.db, image.packageId), warnings };
}

export async function removeBootImageDriver(site: Site, actor: Actor, packageId: string, ciId: number): Promise<{ drivers: BootImageDriver[] }> {
  const image = await getBootImage(site, packageId);
  await site.db.transaction(async (tx) => {
    const r = await tx.query('DELETE FROM package_drivers WHERE package_id = $1 AND ci_id = $2', [image.packageId, ciId]);
    if (r.rowCount === 0)
      throw notFound(
        `driver in boot image ${image.packageId}`,
        ciId,
        'the boot image lists its drivers',
        nextSteps({ step: 'show-boot-image', ids: { packageId: image.packageId } }),
      );
    await audit(tx, actor, 'remove-driver', 'boot-image', image.packageId, { ciId });
  });
  return { drivers: await listBootImageDrivers(site.db, image.packageId) };
}

/**
 * OS image packages (PackageType 257, osd-features §2.3): the Add Operating System Image wizard and
 * the Images tab's Reload. Every image's fields come from the WIM's own XML metadata, read before
 * the content is added so a file that is not a WIM leaves nothing behind.
 */
import { basename } from 'node:path';
import { z } from 'zod';
import { objectName } from '../name-schema.js';
import { audit } from '../audit.js';
import { contentFilePath } from '../content/library.js';
import { badInput } from '../errors.js';
import type { Actor } from '../security/roles.js';
import type { Site } from '../site.js';
import { architectureSchema, PACKAGE_TYPE, type ImageInformation, type OsImageProperties } from './package-types.js';
import { getPackage, insertPackage, prioritySchema, type PackageView } from './packages.js';
import { locateWim, readImageInformation } from './wim-source.js';
import { pipableWimAnchor } from '../../storage/pipable-wim.js';

export const addOsImageSchema = z.object({
  sourcePath: z.string().min(1).optional(),
  contentId: z.string().min(1).optional(),
  /** Defaults to the WIM file name (§2.3). */
  name: objectName(256).optional(),
  /** Free text, not the OS version (§2.3). */
  version: z.string().max(64).optional(),
  description: z.string().max(512).optional(),
  /** Pre-cache only (§4.4); defaults to the images' architecture when they all share one. */
  architecture: z.union([architectureSchema, z.literal('')]).optional(),
  /** Pre-cache only; defaults to the images' default language when they all share one. */
  language: z.string().max(64).optional(),
  priority: prioritySchema.optional(),
});
export type AddOsImageInput = z.infer<typeof addOsImageSchema>;

export interface OsImageView extends PackageView {
  properties: OsImageProperties;
}

function common<T>(values: T[]): T | undefined {
  return values.length > 0 && values.every((v) => v === values[0]) ? values[0] : undefined;
}

function defaultArchitecture(images: ImageInformation[]): OsImageProperties['architecture'] {
  const a = common(images.map((i) => i.architecture));
  return a === 'x86' || a === 'x64' || a === 'arm64' ? a : '';
}

export async function getOsImage(site: Site, packageId: string): Promise<OsImageView> {
  return (await getPackage(site.db, packageId, PACKAGE_TYPE.osImage)) as OsImageView;
}

/** Add Operating System Image: read the images, then add the content, then record the package. */
export async function addOsImage(site: Site, actor: Actor, input: AddOsImageInput): Promise<OsImageView> {
  const location = await locateWim(site, input);
  const images = await readImageInformation(location);
  const streamAnchor = await pipableWimAnchor(location.readPath);
  await location.record();
  const contentId = location.contentId;
  const language = input.language ?? common(images.map((i) => i.defaultLanguage)) ?? '';
  const properties: OsImageProperties = {
    wimFile: location.wimFile,
    architecture: input.architecture ?? defaultArchitecture(images),
    language,
    images,
    ...(streamAnchor ? { streamAnchor } : {}),
  };
  const name = input.name ?? basename(location.wimFile);
  const id = await site.db.transaction(async (tx) => {
    const packageId = await insertPackage(tx, site.siteCode, {
      packageType: PACKAGE_TYPE.osImage,
      name,
      version: input.version,
      description: input.description,
      language,
      sourcePath: input.sourcePath,
      contentId,
      priority: input.priority,
      properties,
    });
    await audit(tx, actor, 'create', 'os-image', packageId, { name, wimFile: location.wimFile, images: images.length, contentId });
    return packageId;
  });
  return getOsImage(site, id);
}

/** Images tab › Reload: re-read the images from the package's WIM as the library holds it. */
export async function reloadOsImage(site: Site, actor: Actor, packageId: string): Promise<OsImageView> {
  const current = await getOsImage(site, packageId);
  if (!current.contentId) throw badInput(packageId, 'the OS image package has no content', 'set its content first');
  const wim = current.properties.wimFile;
  const readPath = await contentFilePath(site, current.contentId, wim);
  const images = await readImageInformation({ readPath, input: `${current.packageId}/${wim}` });
  const streamAnchor = await pipableWimAnchor(readPath);
  await site.db.transaction(async (tx) => {
    // The images, and the stream anchor of a pipable WIM (removed when the WIM is not, or no longer, pipable).
    await tx.query(
      `UPDATE packages SET properties = jsonb_set(properties - 'streamAnchor', '{images}', $2::jsonb) || $3::jsonb, updated_at = now() WHERE package_id = $1`,
      [current.packageId, JSON.stringify(images), JSON.stringify(streamAnchor ? { streamAnchor } : {})],
    );
    await audit(tx, actor, 'reload', 'os-image', current.packageId, { images: images.length });
  });
  return getOsImage(site, current.packageId);
}

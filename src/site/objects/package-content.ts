/**
 * A package's content after creation (osd-features §2.1): "Update Distribution Points" re-reads the
 * package source path; setting new content (the built-in client and USMT packages, or any package
 * moved to another source). A changed manifest gives a new content id, source version + 1 and a
 * new source date; the same files change nothing. OS images and boot images re-read their WIM
 * (before the content is added, as on creation); driver packages recompose from their drivers.
 */
import { audit } from '../audit.js';
import { badInput } from '../errors.js';
import { nextSteps } from '../next-steps.js';
import type { Actor } from '../security/roles.js';
import type { Site } from '../site.js';
import { recomposeDriverPackage } from './driver-packages.js';
import { PACKAGE_TYPE, type BootImageProperties, type OsImageProperties } from './package-types.js';
import { getPackage, resolveContent, setContentInTx, type ContentSource, type PackageView } from './packages.js';
import { locateWim, readImageInformation } from './wim-source.js';
import { winPeVersionOf } from './boot-images.js';
import { isBootEnvironment, readBootEnvironment } from '../boot/boot-environments.js';
import { pipableWimAnchor } from '../../storage/pipable-wim.js';

export interface ContentUpdate {
  package: PackageView;
  /** False when the source held exactly the content the package already had. */
  changed: boolean;
}

/** Reads type-specific facts from the new source, then adds it; returns the content id and the new properties. */
async function bring(
  site: Site,
  current: PackageView,
  source: ContentSource,
  prefix: string,
): Promise<{ contentId: string; sourcePath: string; properties?: Record<string, unknown> }> {
  if (current.packageType === PACKAGE_TYPE.bootImage && isBootEnvironment(current.properties)) {
    // A boot environment (issue 14): its bootimage.json read again and its files checked.
    const p = current.properties as BootImageProperties;
    const next = await readBootEnvironment(site, source, prefix);
    if (next.manifest.architecture !== p.architecture) {
      throw badInput(
        `${prefix}.${source.sourcePath !== undefined ? 'sourcePath' : 'contentId'}`,
        `the boot environment is ${next.manifest.architecture}, but this boot image is ${p.architecture}`,
        'add a new boot image for another architecture',
      );
    }
    await next.record();
    const properties = { ...p, bootEnvironment: next.facts, osVersion: next.manifest.kernel.release, clientVersion: next.manifest.version };
    return { contentId: next.contentId, sourcePath: source.sourcePath ?? '', properties };
  }
  if (current.packageType === PACKAGE_TYPE.osImage || current.packageType === PACKAGE_TYPE.bootImage) {
    const location = await locateWim(site, source, prefix);
    const images = await readImageInformation(location);
    let properties: Record<string, unknown>;
    if (current.packageType === PACKAGE_TYPE.osImage) {
      const { streamAnchor: _old, ...rest } = current.properties as OsImageProperties;
      const streamAnchor = await pipableWimAnchor(location.readPath);
      properties = { ...rest, wimFile: location.wimFile, images, ...(streamAnchor ? { streamAnchor } : {}) };
    } else {
      const p = current.properties as BootImageProperties;
      const image = images.find((i) => i.index === p.imageIndex);
      if (!image || image.installationType.toLowerCase() !== 'windowspe') {
        throw badInput(location.input, `has no Windows PE image ${p.imageIndex}, which this boot image uses`, "give the boot image's WinPE WIM");
      }
      if (image.architecture !== p.architecture) {
        throw badInput(
          location.input,
          `image ${p.imageIndex} is ${image.architecture || 'of no stated architecture'}, but this boot image is ${p.architecture}`,
          'add a new boot image for another architecture',
        );
      }
      const winPeVersion = winPeVersionOf(image.version);
      if (!winPeVersion) throw badInput(location.input, `image ${p.imageIndex} is Windows PE version "${image.version}", which is not supported`);
      properties = { ...p, wimFile: location.wimFile, osVersion: image.version, winPeVersion };
    }
    await location.record();
    const contentId = location.contentId;
    return { contentId, sourcePath: source.sourcePath ?? '', properties };
  }
  const c = await resolveContent(site, source, prefix);
  return { contentId: c.contentId, sourcePath: c.sourcePath };
}

/** Update Distribution Points: re-import from the package source path (driver packages: from their drivers). */
export async function updatePackageContent(site: Site, actor: Actor, packageId: string): Promise<ContentUpdate> {
  const current = await getPackage(site.db, packageId);
  if (current.packageType === PACKAGE_TYPE.driverPackage) {
    const changed = await site.db.transaction(async (tx) => {
      const c = await recomposeDriverPackage(tx, current.packageId);
      await audit(tx, actor, 'update-content', 'package', current.packageId, { changed: c });
      return c;
    });
    return { package: await getPackage(site.db, current.packageId), changed };
  }
  if (!current.sourcePath) {
    throw badInput(
      current.packageId,
      'the package has no source path to re-read (its content was uploaded)',
      "set the package's content anew instead",
      nextSteps({ step: 'set-package-content', ids: { packageId: current.packageId } }),
    );
  }
  const next = await bring(site, current, { sourcePath: current.sourcePath }, 'package.sourcePath');
  const changed = await site.db.transaction(async (tx) => {
    const c = await setContentInTx(tx, current.packageId, next.contentId, { properties: next.properties });
    await audit(tx, actor, 'update-content', 'package', current.packageId, { changed: c, contentId: next.contentId });
    return c;
  });
  return { package: await getPackage(site.db, current.packageId), changed };
}

/** New content for a package, from a source path or uploaded content. */
export async function setPackageContent(site: Site, actor: Actor, packageId: string, source: ContentSource): Promise<ContentUpdate> {
  const current = await getPackage(site.db, packageId);
  if (current.packageType === PACKAGE_TYPE.driverPackage) {
    throw badInput(
      current.packageId,
      "a driver package's content is its drivers",
      'add or remove its drivers instead',
      nextSteps({ step: 'add-driver-package-drivers', ids: { packageId: current.packageId } }),
    );
  }
  const next = await bring(site, current, source, 'body');
  const changed = await site.db.transaction(async (tx) => {
    const c = await setContentInTx(tx, current.packageId, next.contentId, { sourcePath: next.sourcePath, properties: next.properties });
    await audit(tx, actor, 'set-content', 'package', current.packageId, { changed: c, contentId: next.contentId, sourcePath: next.sourcePath });
    return c;
  });
  return { package: await getPackage(site.db, current.packageId), changed };
}

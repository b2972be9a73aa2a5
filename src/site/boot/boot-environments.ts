/**
 * Boot images of kind "boot environment" (issue 14, docs/network-boot.md): the folder `osd
 * boot-image build` writes (contract C2: bootimage.json + vmlinuz + initrd.cpio.zst) registered as
 * a boot image (PackageType 258, osd-features §2.2) — architecture, version, size and the PXE flag
 * like a WinPE one — and distributed like any content. ConfigMgr's boot image is Windows PE, which
 * cannot be built here; ours is a Linux kernel and initramfs that carries the agent.
 *
 * bootimage.json is read from the content itself and every file it names is checked against the
 * content's own size and SHA-256 before anything is recorded; those hashes are what the boot files
 * are checked against again before they are served (src/server/boot/).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { BOOT_ENV_MANIFEST_FILE, parseBootImageManifest, type BootImageManifest } from '../../common/boot-image-manifest.js';
import { OsdError } from '../../common/errors.js';
import { audit } from '../audit.js';
import { getContent, importSource, recordContent } from '../content/library.js';
import type { ContentFile } from '../../transfer/hash.js';
import { badInput } from '../errors.js';
import { nextSteps } from '../next-steps.js';
import { objectName } from '../name-schema.js';
import { getBootImage, type BootImageView } from '../objects/boot-images.js';
import { PACKAGE_TYPE, type BootEnvironmentFacts, type BootImageProperties } from '../objects/package-types.js';
import { checkSourcePath, insertPackage, prioritySchema, requireOneSource } from '../objects/packages.js';
import type { Actor } from '../security/roles.js';
import type { Site } from '../site.js';

export const BOOT_ENVIRONMENT_KIND = 'boot-environment';

export const addBootEnvironmentSchema = z.strictObject({
  /** The boot environment folder on the site server (below a source root). */
  sourcePath: z.string().min(1).optional(),
  /** The folder uploaded first (POST /content). */
  contentId: z.string().min(1).optional(),
  name: objectName(256).optional(),
  version: z.string().max(64).optional(),
  description: z.string().max(512).optional(),
  priority: prioritySchema.optional(),
  /** "Deploy this boot image from the PXE-enabled distribution point" (§2.2). */
  pxeEnabled: z.boolean().optional(),
});
export type AddBootEnvironmentInput = z.input<typeof addBootEnvironmentSchema>;

/** Whether a boot image's properties are a boot environment's (and so can be network-booted here). */
export function isBootEnvironment(p: Partial<BootImageProperties> | Record<string, unknown>): boolean {
  return (p as Partial<BootImageProperties>).kind === BOOT_ENVIRONMENT_KIND && (p as Partial<BootImageProperties>).bootEnvironment !== undefined;
}

/** The facts the site keeps of a boot environment, after checking its files against the content. */
export function bootEnvironmentFacts(manifest: BootImageManifest, files: readonly ContentFile[], input: string): BootEnvironmentFacts {
  for (const [what, entry] of [
    ['kernel', manifest.kernel],
    ['initrd', manifest.initrd],
  ] as const) {
    const file = files.find((f) => f.path === entry.file);
    if (!file) {
      throw badInput(
        `${input}/${BOOT_ENV_MANIFEST_FILE} ${what}.file`,
        `names ${entry.file}, which is not in the folder (it holds ${files.map((f) => f.path).join(', ')})`,
        'register the whole boot environment folder as its build wrote it',
      );
    }
    if (file.sha256 !== entry.sha256 || file.size !== entry.bytes) {
      throw badInput(
        `${input}/${entry.file}`,
        `does not match ${BOOT_ENV_MANIFEST_FILE}: the file has ${file.size} bytes and SHA-256 ${file.sha256}, the manifest says ${entry.bytes} bytes and ${entry.sha256}`,
        'build the boot environment again; a changed kernel or initramfs is never registered',
      );
    }
  }
  return {
    schema: manifest.schema,
    version: manifest.version,
    kernel: { ...manifest.kernel },
    initrd: { ...manifest.initrd },
    agentSha256: manifest.agent.sha256,
    agentPlaceholder: manifest.agent.placeholder ?? false,
    drivers: [...manifest.drivers],
    packages: manifest.packages.map((p) => ({ name: p.name, version: p.version })),
  };
}

/** The boot environment's content (imported from a source path, or uploaded) and its bootimage.json. */
async function locate(
  site: Site,
  input: { sourcePath?: string; contentId?: string },
  prefix: string,
): Promise<{ contentId: string; files: ContentFile[]; record(): Promise<void>; where: string; field: string }> {
  const which = requireOneSource(input, prefix);
  const field = `${prefix}.${which}`;
  if (which === 'sourcePath') {
    if ((await checkSourcePath(input.sourcePath!, field)).isFile) {
      throw badInput(
        field,
        `${input.sourcePath} is a file`,
        `give the boot environment folder (it holds ${BOOT_ENV_MANIFEST_FILE}, the kernel and the initramfs)`,
      );
    }
    const manifest = await importSource(site, input.sourcePath!, {}, field);
    return { contentId: manifest.sha256, files: manifest.files, record: () => recordContent(site.db, manifest), where: input.sourcePath!, field };
  }
  const content = await getContent(site.db, input.contentId!).catch(() => {
    throw badInput(
      field,
      `no content has the id ${input.contentId}`,
      'upload the boot environment folder first, or give a source path the site can read',
      nextSteps('upload-content'),
    );
  });
  return { contentId: content.id, files: content.files, record: async () => undefined, where: `content ${content.id}`, field };
}

export interface BootEnvironmentSource {
  contentId: string;
  manifest: BootImageManifest;
  facts: BootEnvironmentFacts;
  /** Records the content row (a no-op for uploaded content); call once the boot environment is accepted. */
  record(): Promise<void>;
}

/**
 * A boot environment folder (a source path or uploaded content): its bootimage.json read and every
 * file it names checked against the content. Also used when a boot image's content is set anew.
 */
export async function readBootEnvironment(site: Site, input: { sourcePath?: string; contentId?: string }, prefix = 'body'): Promise<BootEnvironmentSource> {
  const located = await locate(site, input, prefix);
  const manifestFile = located.files.find((f) => f.path === BOOT_ENV_MANIFEST_FILE);
  if (!manifestFile) {
    throw badInput(
      located.field,
      `${located.where} holds no ${BOOT_ENV_MANIFEST_FILE}, so it is not a boot environment folder`,
      'build a boot environment and register its folder; a Windows PE .wim is added as a boot image of its own',
    );
  }
  let manifest: BootImageManifest;
  try {
    manifest = parseBootImageManifest(await readFile(site.content.blobPath(manifestFile.sha256), 'utf8'), `${located.where}/${BOOT_ENV_MANIFEST_FILE}`);
  } catch (e) {
    // The common layer's bad input, in the site's own error (its status and next steps).
    if (e instanceof OsdError && e.kind === 'bad-input') throw badInput(e.input ?? BOOT_ENV_MANIFEST_FILE, e.rule, e.hint);
    throw e;
  }
  const facts = bootEnvironmentFacts(manifest, located.files, located.where);
  return { contentId: located.contentId, manifest, facts, record: located.record };
}

export async function addBootEnvironment(site: Site, actor: Actor, raw: AddBootEnvironmentInput): Promise<BootImageView> {
  const input = addBootEnvironmentSchema.parse(raw);
  const { contentId, manifest, facts, record } = await readBootEnvironment(site, input);
  const properties: BootImageProperties = {
    kind: BOOT_ENVIRONMENT_KIND,
    bootEnvironment: facts,
    wimFile: '',
    imageIndex: 1,
    architecture: manifest.architecture,
    // The kernel release stands where a WinPE image's version would; there is no WinPE version.
    osVersion: manifest.kernel.release,
    winPeVersion: '',
    pxeEnabled: input.pxeEnabled ?? false,
    scratchSpaceMb: 512,
    commandSupport: false,
    optionalComponents: [],
    prestartCommand: '',
    clientVersion: manifest.version,
  };
  await record();
  const name = input.name ?? manifest.name;
  const id = await site.db.transaction(async (tx) => {
    const packageId = await insertPackage(tx, site.siteCode, {
      packageType: PACKAGE_TYPE.bootImage,
      name,
      version: input.version ?? manifest.version,
      description: input.description,
      sourcePath: input.sourcePath,
      contentId,
      priority: input.priority,
      properties,
    });
    await audit(tx, actor, 'create', 'boot-image', packageId, {
      name,
      kind: BOOT_ENVIRONMENT_KIND,
      architecture: manifest.architecture,
      version: manifest.version,
      kernel: manifest.kernel.release,
      pxeEnabled: properties.pxeEnabled,
      contentId,
    });
    return packageId;
  });
  return getBootImage(site, id);
}

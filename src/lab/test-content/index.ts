/**
 * Small but real test content, so tests and the demo need nothing from outside: a ConfigMgr-like
 * content library with one folder per PackageID (osd-features.md §2.2–§2.6).
 *
 *   LAB00010/install.wim   three editions captured with wimlib from Windows-like trees
 *   LAB00012/testos.wim    with `bootableOs`: the bootable test OS (bootable-os.ts), two images that
 *                          really boot (GRUB + Linux) and print DEPLOYED-OK with their marker
 *   LAB00005/boot.json     the boot image record (LAB00004 for x86; there is no real WinPE)
 *   LAB00002/              Configuration Manager client package (placeholders)
 *   LAB00003/              USMT package (amd64/, x86/)
 *   drivers/               catalog.json + one folder per driver (INF, .sys, .cat)
 *   site.json              the site manifest naming all of it
 *   content.json           PackageID → folder, and the options the library was built with
 *
 * The build runs in a sibling staging folder that is renamed into place at the end, so a killed
 * build never leaves a half library; a second call with the same options returns at once.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../../sequence/input-error.js';
import { parseSiteManifest } from '../../sequence/site-manifest.js';
import { requireTools } from '../../storage/tools.js';
import { DRIVER_CATALOG_FILE, DRIVER_PACKAGES, writeDrivers } from './drivers.js';
import { PACKAGE_IDS, buildSiteManifest, writeBootImage, writeClientPackage, writeUsmtPackage } from './packages.js';
import { readWimImages, type WimImageInfo } from '../../storage/wim.js';
import { WIM_ARCH_CODES, captureImage, setImageProperties } from './wim.js';
import { MiB, WINDOWS_BUILD, writeWindowsTree, type EditionSpec, type TestArchitecture } from './windows-tree.js';
import { processAlive } from '../../storage/process-alive.js';
import { fetchDebianKernel } from '../../bootenv/build/debian.js';
import { BOOTABLE_OS_EDITIONS, buildBootableOsWim, sha256File, type BootableOsImage } from './bootable-os.js';

export { DRIVER_CATALOG_SCHEMA, DRIVER_CATEGORIES, DRIVER_PACKAGES, driverCatalog } from './drivers.js';
export type { DriverCatalog, DriverCatalogEntry, DriverPackageEntry } from './drivers.js';
export { PACKAGE_IDS } from './packages.js';
export type { WimImageInfo } from '../../storage/wim.js';
export type { TestArchitecture } from './windows-tree.js';
export { BOOTABLE_OS_EDITIONS, BOOTABLE_OS_FILES, DEPLOYED_MARKER, bootableOsMarker } from './bootable-os.js';
export type { BootableOsImage } from './bootable-os.js';

export interface TestContentOptions {
  /** Approximate incompressible payload per edition, in MiB (default 2). Editions differ, so the WIM holds about 3×. */
  imageSizeMB?: number;
  architecture?: TestArchitecture;
  /**
   * Add the bootable test OS (bootable-os.ts) as its own image package: `true` takes the Debian
   * kernel the boot environment builder caches (src/bootenv/build/debian.ts), `{ kernel }` a vmlinuz.
   */
  bootableOs?: boolean | { kernel: string };
  /** Rebuild even when the library is up to date. */
  force?: boolean;
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface TestContent {
  root: string;
  siteManifestPath: string;
  imagePackageId: string;
  wimPath: string;
  bootImageId: string;
  clientPackageId: string;
  usmtPackageId: string;
  driverCatalogPath: string;
  images: Array<{ index: number; name: string; edition: string; architecture: string }>;
  /** The bootable test OS, when the library was built with it. */
  bootableOs?: { packageId: string; wimPath: string; images: BootableOsImage[] };
}

export const TEST_CONTENT_SCHEMA = 'openosd.test-content/v1';
/** Bumped when the builder's output changes, so older libraries are rebuilt (2: the lab's own LAB… PackageIDs). */
const BUILDER_VERSION = 2;
const DEFAULT_IMAGE_SIZE_MB = 2;
/** A sanity limit on the payload (per edition): 64 GiB. */
const MAX_IMAGE_SIZE_MB = 64 * 1024;

export const CONTENT_INDEX_FILE = 'content.json';
const SITE_MANIFEST_FILE = 'site.json';
const DRIVERS_FOLDER = 'drivers';
const WIM_FILE = 'install.wim';
const BOOTABLE_OS_WIM_FILE = 'testos.wim';

/** The editions of the test install.wim, in index order. */
export const TEST_EDITIONS: readonly EditionSpec[] = [
  { index: 1, name: 'Windows 11 Education', editionId: 'Education' },
  { index: 2, name: 'Windows 11 Enterprise', editionId: 'Enterprise' },
  { index: 3, name: 'Windows 11 Pro', editionId: 'Professional' },
];

/** content.json: what a content lookup needs, and the options the library was built with. */
interface ContentIndex {
  schema: typeof TEST_CONTENT_SCHEMA;
  builder: number;
  options: { imageSizeMB: number; architecture: TestArchitecture; bootableOsKernel?: string };
  createdAt: string;
  siteManifest: string;
  driverCatalog: string;
  wim: string;
  bootImageId: string;
  imagePackageId: string;
  clientPackageId: string;
  usmtPackageId: string;
  images: TestContent['images'];
  bootableOs?: { packageId: string; wim: string; images: BootableOsImage[] };
  /** PackageID → folder, relative to the library root. */
  packages: Record<string, string>;
}

interface ResolvedOptions {
  imageSizeMB: number;
  architecture: TestArchitecture;
  /** The kernel of the bootable test OS and its SHA-256 (the library is rebuilt when it changes). */
  bootableOs?: { kernel: string; sha256: string };
  force: boolean;
  log: (line: string) => void;
}

async function resolveOptions(options: TestContentOptions): Promise<ResolvedOptions> {
  const imageSizeMB = options.imageSizeMB ?? DEFAULT_IMAGE_SIZE_MB;
  if (typeof imageSizeMB !== 'number' || !Number.isFinite(imageSizeMB) || imageSizeMB < 0 || imageSizeMB > MAX_IMAGE_SIZE_MB) {
    throw new InputError({ input: 'imageSizeMB', rule: `${String(imageSizeMB)} is not a payload size in MiB from 0 to ${MAX_IMAGE_SIZE_MB}` });
  }
  const architecture = options.architecture ?? 'x64';
  if (architecture !== 'x64' && architecture !== 'x86') {
    throw new InputError({ input: 'architecture', rule: `"${String(architecture)}" is not x64 or x86` });
  }
  const log = options.log ?? (() => undefined);
  let bootableOs: ResolvedOptions['bootableOs'];
  if (options.bootableOs) {
    if (architecture !== 'x64') throw new InputError({ input: 'bootableOs', rule: 'the bootable test OS is x64 only', hint: 'build it with architecture x64' });
    const kernel = options.bootableOs === true ? (await fetchDebianKernel({ log })).vmlinuz : resolve(options.bootableOs.kernel);
    let sha256: string;
    try {
      sha256 = await sha256File(kernel);
    } catch (e) {
      throw new InputError({ input: kernel, rule: `cannot be read as the test OS's kernel: ${(e as Error).message}`, hint: 'give a vmlinuz file' });
    }
    bootableOs = { kernel, sha256 };
  }
  return { imageSizeMB, architecture, bootableOs, force: options.force ?? false, log };
}

/** Builds the test content library in `dir`, or returns the one already there when it is up to date. */
export async function makeTestContent(dir: string, options: TestContentOptions = {}): Promise<TestContent> {
  const opts = await resolveOptions(options);
  const root = resolve(dir);
  if (!opts.force) {
    const existing = await upToDate(root, opts);
    if (existing) {
      opts.log(`test content in ${root} is up to date`);
      return existing;
    }
  }
  requireTools('wimlib-imagex');
  await assertReplaceable(root);
  const parent = dirname(root);
  await mkdir(parent, { recursive: true });
  await removeStaleFolders(parent, basename(root));
  const staging = join(parent, `.${basename(root)}.building-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(staging);
  try {
    const started = Date.now();
    const index = await build(staging, opts);
    // Another process may have built the same library meanwhile: keep the one in place.
    const existing = opts.force ? undefined : await upToDate(root, opts);
    if (existing) {
      await rm(staging, { recursive: true, force: true });
      opts.log(`test content in ${root} was built meanwhile by another process; keeping it`);
      return existing;
    }
    await swapIntoPlace(staging, root);
    opts.log(`test content ready in ${root} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return contentFrom(root, index);
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    throw e;
  }
}

/** Reads a library's content.json; undefined when there is none or it is not one of ours. */
export async function loadTestContent(dir: string): Promise<TestContent | undefined> {
  const root = resolve(dir);
  const index = await readIndex(root);
  return index && contentFrom(root, index);
}

/** The folder holding a package's content, from content.json; undefined for an unknown PackageID. */
export async function resolvePackageFolder(dir: string, packageId: string): Promise<string | undefined> {
  const root = resolve(dir);
  const index = await readIndex(root);
  const wanted = packageId.toUpperCase();
  const entry = index && Object.entries(index.packages).find(([id]) => id.toUpperCase() === wanted);
  return entry ? join(root, entry[1]) : undefined;
}

async function build(staging: string, opts: ResolvedOptions): Promise<ContentIndex> {
  const { architecture: arch, imageSizeMB, log } = opts;
  const payloadBytes = Math.round(imageSizeMB * MiB);
  log(`building test content: ${TEST_EDITIONS.length} editions, ${arch}, ~${imageSizeMB} MiB payload each`);

  const imageFolder = join(staging, PACKAGE_IDS.imagePackage);
  await mkdir(imageFolder);
  const wim = join(imageFolder, WIM_FILE);
  const trees = join(staging, '.trees');
  for (const edition of TEST_EDITIONS) {
    const tree = join(trees, `image${edition.index}`);
    await writeWindowsTree(tree, edition, arch, payloadBytes);
    await captureImage(wim, tree, edition.name, edition.name, edition.editionId, edition.index > 1);
    await rm(tree, { recursive: true, force: true });
    log(`captured image ${edition.index}: ${edition.name}`);
  }
  await rm(trees, { recursive: true, force: true });

  const { major, minor, build: osBuild, spBuild } = WINDOWS_BUILD;
  for (const edition of TEST_EDITIONS) {
    await setImageProperties(wim, edition.index, {
      'WINDOWS/ARCH': WIM_ARCH_CODES[arch],
      'WINDOWS/EDITIONID': edition.editionId,
      'WINDOWS/PRODUCTNAME': 'Microsoft® Windows® Operating System',
      'WINDOWS/INSTALLATIONTYPE': 'Client',
      'WINDOWS/PRODUCTTYPE': 'WinNT',
      'WINDOWS/VERSION/MAJOR': major,
      'WINDOWS/VERSION/MINOR': minor,
      'WINDOWS/VERSION/BUILD': osBuild,
      'WINDOWS/VERSION/SPBUILD': spBuild,
      'WINDOWS/LANGUAGES/LANGUAGE': 'en-US',
      'WINDOWS/LANGUAGES/DEFAULT': 'en-US',
      DISPLAYNAME: edition.name,
      DESCRIPTION: edition.name,
    });
  }
  const images = verifyImages(await readWimImages(wim), arch);
  log(`install.wim: ${images.length} images, ${((await stat(wim)).size / MiB).toFixed(1)} MiB`);

  const boot = await writeBootImage(staging, arch);
  await writeClientPackage(staging);
  await writeUsmtPackage(staging);
  await writeDrivers(join(staging, DRIVERS_FOLDER));
  log('wrote the boot image record, client, USMT and driver packages');

  const manifest = buildSiteManifest(boot, images, DRIVER_PACKAGES);
  let bootableOs: ContentIndex['bootableOs'];
  if (opts.bootableOs) {
    const packageId = PACKAGE_IDS.bootableOsPackage;
    const wimRel = `${packageId}/${BOOTABLE_OS_WIM_FILE}`;
    const osImages = await buildBootableOsWim(join(staging, wimRel), { kernel: opts.bootableOs.kernel, packageId, log });
    bootableOs = { packageId, wim: wimRel, images: osImages };
    const read = await readWimImages(join(staging, wimRel));
    manifest.imagePackages!.push({
      id: packageId,
      name: 'OpenOSD bootable test OS',
      version: '1',
      images: read.map((i) => ({
        index: i.index,
        name: i.name,
        ...(i.architecture !== undefined && i.architecture !== 'arm' && { architecture: i.architecture }),
        ...(i.edition !== undefined && { edition: i.edition }),
        ...(i.version !== undefined && { version: i.version }),
        ...(i.languages?.length && { languages: i.languages }),
      })),
    });
    if (read.length !== BOOTABLE_OS_EDITIONS.length)
      throw new Error(`the bootable test OS WIM holds ${read.length} images, not ${BOOTABLE_OS_EDITIONS.length}`);
    log(`bootable test OS: ${wimRel}, ${((await stat(join(staging, wimRel))).size / MiB).toFixed(1)} MiB`);
  }
  const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
  parseSiteManifest(manifestText, SITE_MANIFEST_FILE); // the manifest must satisfy its own schema
  await writeFile(join(staging, SITE_MANIFEST_FILE), manifestText);

  const packages: Record<string, string> = {
    [boot.id]: boot.id,
    [PACKAGE_IDS.imagePackage]: PACKAGE_IDS.imagePackage,
    [PACKAGE_IDS.clientPackage]: PACKAGE_IDS.clientPackage,
    [PACKAGE_IDS.usmtPackage]: PACKAGE_IDS.usmtPackage,
    ...(bootableOs && { [bootableOs.packageId]: bootableOs.packageId }),
  };
  for (const p of DRIVER_PACKAGES) packages[p.id] = DRIVERS_FOLDER;
  const index: ContentIndex = {
    schema: TEST_CONTENT_SCHEMA,
    builder: BUILDER_VERSION,
    options: { imageSizeMB, architecture: arch, ...(opts.bootableOs && { bootableOsKernel: opts.bootableOs.sha256 }) },
    createdAt: new Date().toISOString(),
    siteManifest: SITE_MANIFEST_FILE,
    driverCatalog: `${DRIVERS_FOLDER}/${DRIVER_CATALOG_FILE}`,
    wim: `${PACKAGE_IDS.imagePackage}/${WIM_FILE}`,
    bootImageId: boot.id,
    imagePackageId: PACKAGE_IDS.imagePackage,
    clientPackageId: PACKAGE_IDS.clientPackage,
    usmtPackageId: PACKAGE_IDS.usmtPackage,
    images: images.map((i) => ({ index: i.index, name: i.name, edition: i.edition ?? '', architecture: i.architecture ?? '' })),
    ...(bootableOs && { bootableOs }),
    packages,
  };
  await writeFile(join(staging, CONTENT_INDEX_FILE), `${JSON.stringify(index, null, 2)}\n`);
  return index;
}

/** Checks the WIM's metadata reads back as written (names, EDITIONID, ARCH). */
function verifyImages(images: WimImageInfo[], arch: TestArchitecture): WimImageInfo[] {
  const problems: string[] = [];
  if (images.length !== TEST_EDITIONS.length) problems.push(`${images.length} images instead of ${TEST_EDITIONS.length}`);
  for (const e of TEST_EDITIONS) {
    const img = images.find((i) => i.index === e.index);
    if (!img) continue;
    if (img.name !== e.name) problems.push(`image ${e.index} is named "${img.name}", not "${e.name}"`);
    if (img.edition !== e.editionId) problems.push(`image ${e.index} has EDITIONID ${img.edition ?? '(none)'}, not ${e.editionId}`);
    if (img.architecture !== arch) problems.push(`image ${e.index} has ARCH ${img.architecture ?? '(none)'}, not ${arch} (${WIM_ARCH_CODES[arch]})`);
  }
  if (problems.length > 0) throw new Error(`the test install.wim does not read back as written: ${problems.join('; ')}`);
  return images;
}

function contentFrom(root: string, index: ContentIndex): TestContent {
  return {
    root,
    siteManifestPath: join(root, index.siteManifest),
    imagePackageId: index.imagePackageId,
    wimPath: join(root, index.wim),
    bootImageId: index.bootImageId,
    clientPackageId: index.clientPackageId,
    usmtPackageId: index.usmtPackageId,
    driverCatalogPath: join(root, index.driverCatalog),
    images: index.images.map((i) => ({ ...i })),
    ...(index.bootableOs && {
      bootableOs: { packageId: index.bootableOs.packageId, wimPath: join(root, index.bootableOs.wim), images: index.bootableOs.images.map((i) => ({ ...i })) },
    }),
  };
}

async function readIndex(root: string): Promise<ContentIndex | undefined> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(join(root, CONTENT_INDEX_FILE), 'utf8'));
  } catch {
    return undefined;
  }
  const index = data as Partial<ContentIndex> | null;
  if (!index || index.schema !== TEST_CONTENT_SCHEMA || typeof index.packages !== 'object' || !Array.isArray(index.images)) return undefined;
  return index as ContentIndex;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The library in `root` when it was built by this builder version with the same options and is complete. */
async function upToDate(root: string, opts: ResolvedOptions): Promise<TestContent | undefined> {
  const index = await readIndex(root);
  if (!index || index.builder !== BUILDER_VERSION) return undefined;
  if (index.options?.imageSizeMB !== opts.imageSizeMB || index.options?.architecture !== opts.architecture) return undefined;
  if (index.options?.bootableOsKernel !== opts.bootableOs?.sha256) return undefined;
  const content = contentFrom(root, index);
  const files = [content.wimPath, content.siteManifestPath, content.driverCatalogPath, ...(content.bootableOs ? [content.bootableOs.wimPath] : [])];
  for (const path of files) if (!(await exists(path))) return undefined;
  return content;
}

/** Refuses to replace a folder that has something in it other than a test content library. */
async function assertReplaceable(root: string): Promise<void> {
  let entries: string[];
  try {
    const s = await stat(root);
    if (!s.isDirectory()) throw new InputError({ input: root, rule: 'exists and is not a folder', hint: 'name a new or empty folder for the test content' });
    entries = await readdir(root);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (entries.length > 0 && !(await readIndex(root))) {
    throw new InputError({
      input: root,
      rule: `is not empty and holds no test content (${CONTENT_INDEX_FILE}); refusing to replace it`,
      hint: 'name a new or empty folder for the test content',
    });
  }
}

/** Moves the finished staging folder to `root`, replacing an older library or an empty folder. */
async function swapIntoPlace(staging: string, root: string): Promise<void> {
  await assertReplaceable(root);
  let replaced: string | undefined;
  if (await exists(root)) {
    if ((await readdir(root)).length === 0) await rmdir(root);
    else {
      replaced = join(dirname(root), `.${basename(root)}.replaced-${process.pid}-${randomBytes(4).toString('hex')}`);
      await rename(root, replaced);
    }
  }
  await rename(staging, root);
  if (replaced) await rm(replaced, { recursive: true, force: true });
}

/** Removes staging and replaced folders left behind by builds that were killed. */
async function removeStaleFolders(parent: string, name: string): Promise<void> {
  const pattern = new RegExp(`^\\.${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(?:building|replaced)-(\\d+)-[0-9a-f]+$`);
  for (const entry of await readdir(parent)) {
    const m = pattern.exec(entry);
    if (m && Number(m[1]) !== process.pid && !processAlive(Number(m[1]))) await rm(join(parent, entry), { recursive: true, force: true });
  }
}

/**
 * The small packages of the test content library (osd-features.md §2.2, §2.5): the boot image
 * record, the Configuration Manager client package and the USMT package, and the site manifest
 * that names everything the library holds.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { z } from 'zod';
import type { siteManifestSchema } from '../../sequence/site-manifest.js';
import type { DriverPackageEntry } from './drivers.js';
import type { WimImageInfo } from '../../storage/wim.js';
import { WINDOWS_BUILD, type TestArchitecture } from './windows-tree.js';
import { LAB_SITE_CODE } from '../../common/reserved-ids.js';

/**
 * The PackageIDs of the library, the same as in examples/wizard/site.json: the lab's own prefix
 * (common/reserved-ids.ts), which no site may use as its site code, so they never collide with a
 * site's ids.
 */
export const PACKAGE_IDS = {
  bootImage: { x64: `${LAB_SITE_CODE}00005`, x86: `${LAB_SITE_CODE}00004` },
  imagePackage: `${LAB_SITE_CODE}00010`,
  /** The bootable test OS (bootable-os.ts), when the library is built with it. */
  bootableOsPackage: `${LAB_SITE_CODE}00012`,
  clientPackage: `${LAB_SITE_CODE}00002`,
  usmtPackage: `${LAB_SITE_CODE}00003`,
} as const;

export const IMAGE_PACKAGE_NAME = `Windows 11 ${WINDOWS_BUILD.displayVersion}`;
export const CLIENT_PACKAGE_NAME = 'Configuration Manager Client Package';
export const USMT_PACKAGE_NAME = 'User State Migration Tool for Windows';
const CLIENT_VERSION = '5.00.9122.1000';
const ADK_VERSION = '10.0.22621.1';

/** The applications of examples/wizard/site.json, so task sequences made from the examples lint clean. */
export const TEST_APPLICATIONS = [
  { modelName: 'ScopeId_9B1F2D3C-1111-2222-3333-444455556666/Application_5C2D1E0F-aaaa-bbbb-cccc-ddddeeeeffff', name: '7-Zip 23.01' },
  { modelName: 'ScopeId_9B1F2D3C-1111-2222-3333-444455556666/Application_0A1B2C3D-1234-5678-9abc-def012345678', name: 'Microsoft 365 Apps' },
  { modelName: 'ScopeId_9B1F2D3C-1111-2222-3333-444455556666/Application_FEDCBA98-7654-3210-fedc-ba9876543210', name: 'Notepad++ 8.6' },
  {
    modelName: 'ScopeId_9B1F2D3C-1111-2222-3333-444455556666/Application_11111111-2222-3333-4444-555555555555',
    name: 'Visio (user install)',
    allowTaskSequenceInstall: false,
  },
];

/** The boot image record (no real WinPE exists here). */
export interface BootImageRecord {
  id: string;
  name: string;
  architecture: TestArchitecture;
  winpeVersion: string;
  pxeEnabled: boolean;
  note: string;
}

async function put(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
}

function placeholder(packageName: string, file: string, what: string): string {
  return `OpenOSD test content: placeholder for ${file} (${what}), part of "${packageName}". Not a program.\r\n`;
}

/** Writes `<id>/boot.json` for the boot image of an architecture; returns the record. */
export async function writeBootImage(root: string, arch: TestArchitecture): Promise<BootImageRecord> {
  const record: BootImageRecord = {
    id: PACKAGE_IDS.bootImage[arch],
    name: `Boot image (${arch})`,
    architecture: arch,
    winpeVersion: ADK_VERSION,
    pxeEnabled: true,
    note: "record only: OpenOSD's lab runs the WinPE phase itself",
  };
  await put(join(root, record.id, 'boot.json'), `${JSON.stringify(record, null, 2)}\n`);
  return record;
}

/** The client package: ccmsetup.exe at the top, the MSIs per platform under client/. */
export async function writeClientPackage(root: string): Promise<void> {
  const dir = join(root, PACKAGE_IDS.clientPackage);
  const p = (file: string, what: string): string => placeholder(CLIENT_PACKAGE_NAME, file, what);
  await put(join(dir, 'ccmsetup.exe'), p('ccmsetup.exe', `Configuration Manager client bootstrapper ${CLIENT_VERSION}`));
  await put(join(dir, 'ccmsetup.cab'), p('ccmsetup.cab', 'signed ccmsetup manifest'));
  for (const platform of ['x64', 'i386']) {
    await put(join(dir, 'client', platform, 'client.msi'), p(`client/${platform}/client.msi`, `client installer, ${platform}`));
    await put(
      join(dir, 'client', platform, 'MicrosoftPolicyPlatformSetup.msi'),
      p(`client/${platform}/MicrosoftPolicyPlatformSetup.msi`, `prerequisite, ${platform}`),
    );
  }
}

function migrationXml(file: string, urlid: string): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<!-- OpenOSD test content: a placeholder for the USMT rule file ${file}. -->`,
    `<migration urlid="http://www.microsoft.com/migration/1.0/migxmlext/${urlid}">`,
    '  <_locDefinition><_locDefault _loc="locNone"/></_locDefinition>',
    '</migration>',
    '',
  ].join('\r\n');
}

/** The USMT package: the tools and rule files in a folder per platform (amd64, x86). */
export async function writeUsmtPackage(root: string): Promise<void> {
  const dir = join(root, PACKAGE_IDS.usmtPackage);
  for (const platform of ['amd64', 'x86']) {
    for (const tool of ['scanstate.exe', 'loadstate.exe', 'usmtutils.exe']) {
      await put(join(dir, platform, tool), placeholder(USMT_PACKAGE_NAME, `${platform}/${tool}`, `USMT ${ADK_VERSION}, ${platform}`));
    }
    await put(join(dir, platform, 'MigApp.xml'), migrationXml('MigApp.xml', 'migapp'));
    await put(join(dir, platform, 'MigDocs.xml'), migrationXml('MigDocs.xml', 'migdocs'));
    await put(join(dir, platform, 'MigUser.xml'), migrationXml('MigUser.xml', 'miguser'));
  }
}

export type SiteManifestDocument = z.input<typeof siteManifestSchema>;

/** The site manifest of the library; the images are the WIM's own metadata. */
export function buildSiteManifest(boot: BootImageRecord, images: WimImageInfo[], driverPackages: DriverPackageEntry[]): SiteManifestDocument {
  return {
    site: LAB_SITE_CODE,
    bootImages: [{ id: boot.id, name: boot.name, architecture: boot.architecture, pxeEnabled: boot.pxeEnabled }],
    imagePackages: [
      {
        id: PACKAGE_IDS.imagePackage,
        name: IMAGE_PACKAGE_NAME,
        version: `${WINDOWS_BUILD.build}.${WINDOWS_BUILD.spBuild}`,
        images: images.map((i) => ({
          index: i.index,
          name: i.name,
          ...(i.description !== undefined && { description: i.description }),
          ...(i.architecture !== undefined && i.architecture !== 'arm' && { architecture: i.architecture }),
          ...(i.edition !== undefined && { edition: i.edition }),
          ...(i.version !== undefined && { version: i.version }),
          ...(i.languages?.length && { languages: i.languages }),
        })),
      },
    ],
    upgradePackages: [],
    clientPackages: [{ id: PACKAGE_IDS.clientPackage, name: CLIENT_PACKAGE_NAME, version: CLIENT_VERSION }],
    usmtPackages: [{ id: PACKAGE_IDS.usmtPackage, name: USMT_PACKAGE_NAME, version: ADK_VERSION }],
    driverPackages: driverPackages.map((p) => ({ id: p.id, name: p.name })),
    packages: [],
    taskSequences: [],
    applications: TEST_APPLICATIONS.map((a) => ({ ...a })),
  };
}

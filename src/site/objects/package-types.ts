/**
 * PackageType numbers (osd-features §2.1) and the type-specific properties each kind of package
 * keeps in `packages.properties` (jsonb). One place, so the services that write them and the ones
 * that read them (content manifests, pre-cache, lint) agree.
 */
import { z } from 'zod';
import { objectName } from '../name-schema.js';

export const PACKAGE_TYPE = {
  package: 0,
  driverPackage: 3,
  taskSequence: 4,
  softwareUpdatePackage: 5,
  application: 8,
  osImage: 257,
  bootImage: 258,
  osUpgradePackage: 259,
} as const;
export type PackageTypeName = keyof typeof PACKAGE_TYPE;

export const PACKAGE_TYPE_NAMES: Record<number, string> = {
  0: 'package',
  3: 'driver package',
  4: 'task sequence',
  5: 'software update package',
  8: 'application',
  257: 'OS image package',
  258: 'boot image',
  259: 'OS upgrade package',
};

export const architectureSchema = z.enum(['x86', 'x64', 'arm64']);
export type Architecture = z.infer<typeof architectureSchema>;

/** One image of a WIM, as ConfigMgr's SMS_ImageInformation shows it (§2.3), read from the file. */
export const imageInformationSchema = z.object({
  index: z.number().int().min(1),
  name: z.string(),
  description: z.string(),
  displayName: z.string(),
  edition: z.string(), // EDITIONID, e.g. Enterprise
  architecture: z.string(), // x86 | x64 | arm64 | arm | '' when the WIM does not say
  version: z.string(), // MAJOR.MINOR.BUILD.SPBUILD, e.g. 10.0.22631.2428
  productName: z.string(),
  productType: z.string(), // WinNT | ServerNT
  installationType: z.string(), // Client | Server | Server Core | WindowsPE
  hal: z.string(),
  languages: z.array(z.string()),
  defaultLanguage: z.string(),
  sizeBytes: z.number(), // TOTALBYTES
  createdAt: z.string().nullable(), // CREATIONTIME, ISO
});
export type ImageInformation = z.infer<typeof imageInformationSchema>;

/** PackageType 257. architecture/language: the Data Source tab's values, used only for pre-cache (§4.4). */
export const osImagePropertiesSchema = z.object({
  wimFile: z.string(), // path of the WIM inside the package content
  architecture: z.union([architectureSchema, z.literal('')]),
  language: z.string(),
  images: z.array(imageInformationSchema).min(1),
  /**
   * A pipable WIM's stream anchor (src/storage/pipable-wim.ts): the SHA-256 of its header, XML and
   * metadata, given to computers that stream the image (docs/boot-environment-agent.md "Streaming").
   * Absent for a normal WIM, and for packages added before it existed (Reload adds it).
   */
  streamAnchor: z.object({ bytes: z.number(), sha256: z.string() }).optional(),
});
export type OsImageProperties = z.infer<typeof osImagePropertiesSchema>;

/**
 * What a boot image of kind `boot-environment` adds (issue 14; docs/network-boot.md): ours is a
 * Linux kernel + initramfs carrying the agent, built by `osd boot-image build` (contract C2,
 * src/common/boot-image-manifest.ts), not a Windows PE WIM. The hashes are what the boot files are
 * checked against before they are served.
 */
export const bootEnvironmentFactsSchema = z.object({
  schema: z.string(),
  version: z.string(),
  kernel: z.object({ file: z.string(), bytes: z.number(), sha256: z.string(), release: z.string() }),
  initrd: z.object({ file: z.string(), bytes: z.number(), sha256: z.string() }),
  agentSha256: z.string(),
  agentPlaceholder: z.boolean(),
  drivers: z.array(z.string()),
  packages: z.array(z.object({ name: z.string(), version: z.string() })),
});
export type BootEnvironmentFacts = z.infer<typeof bootEnvironmentFactsSchema>;

/** PackageType 258 (§2.2). */
export const bootImagePropertiesSchema = z.object({
  /** `winpe` (a Windows PE WIM, the default for rows made before issue 14) or `boot-environment`. */
  kind: z.enum(['winpe', 'boot-environment']).optional(),
  /** Only for kind `boot-environment`. */
  bootEnvironment: bootEnvironmentFactsSchema.optional(),
  wimFile: z.string(),
  imageIndex: z.number().int().min(1),
  architecture: z.enum(['x86', 'x64']),
  osVersion: z.string(), // the WinPE image's version, e.g. 10.0.22621.1
  winPeVersion: z.string(), // e.g. "10"
  pxeEnabled: z.boolean(), // "Deploy this boot image from the PXE-enabled distribution point"
  scratchSpaceMb: z.number().int(),
  commandSupport: z.boolean(), // F8, testing only
  optionalComponents: z.array(z.string()),
  prestartCommand: z.string(),
  clientVersion: z.string(),
});
export type BootImageProperties = z.infer<typeof bootImagePropertiesSchema>;

/** PackageType 3: Model drives pre-cache (§4.4); Manufacturer is the packages column. */
export const driverPackagePropertiesSchema = z.object({ model: z.string() });

/**
 * A program of a package (§2.9). allowTaskSequenceInstall: "Allow this program to be installed from
 * the Install Package task sequence without being deployed" (Advanced tab), needed for dynamic lists.
 */
export const programSchema = z.object({
  name: objectName(50),
  commandLine: z.string().min(1).max(1024),
  allowTaskSequenceInstall: z.boolean().default(false),
});
export type Program = z.infer<typeof programSchema>;

/** PackageType 0 (incl. the built-in client and USMT packages) and 259. */
export const plainPackagePropertiesSchema = z.object({
  architecture: z.union([architectureSchema, z.literal('')]).default(''),
  language: z.string().default(''),
  programs: z.array(programSchema).default([]),
  builtIn: z.enum(['client', 'usmt']).optional(),
});
export type PlainPackageProperties = z.infer<typeof plainPackagePropertiesSchema>;

/** Drivers (§2.6) may run on these platforms. */
export const driverPlatformSchema = z.enum(['x86', 'x64', 'arm64']);

/** Optional components every boot image has (§2.2); the admin adds others. */
export const BOOT_IMAGE_BASE_COMPONENTS = ['WinPE-Scripting', 'WinPE-SecureStartup', 'WinPE-WDS-Tools', 'WinPE-WMI'] as const;

/** Boot image scratch space choices in MB (§2.2). */
export const SCRATCH_SPACE_MB = [32, 64, 128, 256, 512] as const;

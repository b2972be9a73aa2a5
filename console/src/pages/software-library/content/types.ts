/**
 * The Software Library's content objects as the admin API answers them (src/server/api/routes/
 * objects-routes.ts and content-routes.ts; the OpenAPI document is the reference). Only the fields
 * the console's Software Library pages read.
 */

/** Every package type's general fields (GET /packages, /os-images, /boot-images, /driver-packages). */
export interface PackageInfo {
  packageId: string;
  packageType: number;
  typeName: string;
  name: string;
  version: string;
  description: string;
  language: string;
  manufacturer: string;
  sourcePath: string;
  sourceVersion: number;
  sourceDate: string;
  contentId: string | null;
  contentSize: number | null;
  contentFileCount: number | null;
  priority: string;
  copyToShare: boolean;
  persistInCache: boolean;
  builtIn: boolean;
  properties: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

/** One image of an OS image's WIM (Images tab). */
export interface ImageInformation {
  index: number;
  name: string;
  description: string;
  displayName?: string;
  edition: string;
  architecture: string;
  version: string;
  productName?: string;
  productType?: string;
  installationType?: string;
  hal?: string;
  languages: string[];
  defaultLanguage?: string;
  sizeBytes: number;
  createdAt?: string;
}

export interface OsImage extends PackageInfo {
  properties: { wimFile: string; architecture: string; language: string; images: ImageInformation[] };
}

export interface BootImageDriver {
  ciId: number;
  name: string;
  class: string;
  platforms: string[];
  enabled: boolean;
}

export interface BootImage extends PackageInfo {
  properties: {
    wimFile?: string;
    imageIndex?: number;
    architecture: string;
    osVersion?: string;
    winPeVersion?: string;
    pxeEnabled: boolean;
    scratchSpaceMb?: number;
    commandSupport?: boolean;
    optionalComponents?: string[];
    prestartCommand?: string;
    [more: string]: unknown;
  };
  drivers?: BootImageDriver[];
}

export interface Driver {
  ciId: number;
  name: string;
  infFile: string;
  provider: string;
  class: string;
  version: string;
  date: string;
  signed: boolean;
  platforms: string[];
  hardwareIds: string[];
  categories: string[];
  enabled: boolean;
  contentId: string;
  description: string;
  driverPackages: string[];
  bootImages: string[];
  createdAt: string;
}

export interface DriverCategory {
  name: string;
  driverCount: number;
}

export interface DriverPackage extends PackageInfo {
  drivers: Array<{ ciId: number; name: string; enabled: boolean }>;
}

export interface DeploymentType {
  name: string;
  technology: string;
  installCommand: string;
  uninstallCommand: string;
  detectionMethod: { kind: string; value: string; valueName?: string; equals?: string };
  successCodes: number[];
  restartCodes: number[];
  runAs: string;
  logonRequirement: string;
  userInteraction: boolean;
  checkRunningExecutables: boolean;
  postInstallBehavior: string;
}

export interface Application {
  ciId: number;
  modelName: string;
  name: string;
  publisher: string;
  softwareVersion: string;
  description: string;
  allowTaskSequenceInstall: boolean;
  retired: boolean;
  supersededBy: string | null;
  supersedes: string[];
  dependencies: Array<{ ciId: number; modelName: string; name: string }>;
  deploymentTypes: DeploymentType[];
  packageId: string | null;
  taskSequenceReady: { ok: boolean; problems: string[] };
  createdAt: string;
  updatedAt: string;
}

export interface SoftwareUpdate {
  ciId: number;
  updateId: string;
  articleId: string;
  bulletinId: string;
  title: string;
  classification: string;
  products: string[];
  severity: string;
  superseded: boolean;
  expired: boolean;
  applicability: { minOsBuild?: number; maxOsBuild?: number; architectures: string[] };
  supersedes: string[];
  files: Array<{ name: string; size: number; sha256: string }>;
  restartRequired: boolean;
  packageId: string | null;
  createdAt: string;
}

export interface Program {
  name: string;
  commandLine: string;
  allowTaskSequenceInstall: boolean;
}

export interface DistributionPoint {
  name: string;
  url: string;
  description: string;
  pxeEnabled: boolean;
}

export type DistributionState = 'pending' | 'in-progress' | 'success' | 'error' | 'removing';

/** GET /packages/:id/distribution: the package on one distribution point. */
export interface DistributionStatus {
  packageId: string;
  dpName: string;
  sourceVersion: number;
  currentSourceVersion: number;
  state: DistributionState;
  message: string;
  updatedAt: string;
  sizeBytes: number | null;
  copiedBytes: number;
  copyBytes: number | null;
}

/** PUT /uploads */
export interface ContentRecord {
  id: string;
  size: number;
  fileCount: number;
}

/** Architecture as the console shows it. */
export function architectureName(a: string | undefined): string {
  if (!a) return '';
  return a;
}

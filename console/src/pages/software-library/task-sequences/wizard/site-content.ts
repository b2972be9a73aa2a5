/**
 * What the wizard's pickers offer, read from the site (the same content the site's wizard checks the
 * answers against): boot images, OS image packages with their images, the packages a client or USMT
 * can come from (the built-in ones first), the applications a task sequence can install, the
 * software updates, and the task sequences' names (a name is unique at the site).
 */
import { api } from '../../../../api/client';
import type { TaskSequenceInfo } from '../../../../api/types';
import type { SiteContent } from './model';

interface PackageBase {
  packageId: string;
  name: string;
  version: string;
  description: string;
  builtIn: boolean;
}

/** GET /boot-images */
export interface BootImage extends PackageBase {
  properties: { architecture: 'x86' | 'x64'; osVersion: string };
}

/** GET /os-images: each image of the package as the WIM describes it. */
export interface OsImagePackage extends PackageBase {
  properties: {
    architecture: string;
    language: string;
    images: Array<{ index: number; name: string; edition: string; architecture: string; version: string; sizeBytes: number; languages: string[] }>;
  };
}

/** GET /packages?type=0 (a built-in package says which: properties.builtIn 'client' or 'usmt'). */
export interface ClientPackage extends PackageBase {
  properties: { builtIn?: string };
}

/** GET /applications */
export interface SiteApplication {
  ciId: number;
  modelName: string;
  name: string;
  publisher: string;
  softwareVersion: string;
  allowTaskSequenceInstall: boolean;
  retired: boolean;
  taskSequenceReady: { ok: boolean; problems: string[] };
}

export interface WizardSite extends SiteContent {
  /** How many software updates the site knows (Include Updates installs those deployed to the computer). */
  updateCount: number;
}

function builtInFirst(list: ClientPackage[], role: string): ClientPackage[] {
  return [...list.filter((p) => p.properties.builtIn === role), ...list.filter((p) => !p.builtIn)];
}

export async function loadSiteContent(signal?: AbortSignal): Promise<WizardSite> {
  const [bootImages, osImages, packages, applications, updates, taskSequences] = await Promise.all([
    api.get<BootImage[]>('/boot-images', undefined, signal),
    api.get<OsImagePackage[]>('/os-images', undefined, signal),
    api.get<ClientPackage[]>('/packages', { type: 0 }, signal),
    api.get<SiteApplication[]>('/applications', undefined, signal),
    api.get<unknown[]>('/software-updates', undefined, signal),
    api.get<TaskSequenceInfo[]>('/task-sequences', undefined, signal),
  ]);
  return {
    bootImages,
    // A package without images cannot be installed (the site does not offer it either).
    osImages: osImages.filter((p) => p.properties.images.length > 0),
    clientPackages: builtInFirst(packages, 'client'),
    usmtPackages: builtInFirst(packages, 'usmt'),
    applications: applications.filter((a) => !a.retired),
    taskSequenceNames: new Set(taskSequences.map((t) => t.name.trim().toLowerCase())),
    updateCount: updates.length,
  };
}

/** The built-in package of a role ('client', 'usmt'), the wizard's default (§1.2). */
export function builtInPackage(list: ClientPackage[], role: string): ClientPackage | undefined {
  return list.find((p) => p.properties.builtIn === role);
}

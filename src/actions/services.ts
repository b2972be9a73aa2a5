/**
 * What a step reaches on the site, through whoever hosts the engine: the agent answers these from
 * the management point and the distribution points (src/agent/); the lab without a site and `osd ts
 * run` have none, and a step that needs one fails with a clear reason (or, in a dry run, is
 * predicted). Ports, like `Computer` and `ContentLibrary`: the handlers never see HTTP.
 *
 * Issue 13 (the full-OS phase): the state migration point (user-state.md §2.5, §2.6), the
 * applications an Install Application step names (osd-features §2.7), the software updates deployed
 * to the computer's collections (§2.8).
 */
import type { Readable } from 'node:stream';

/** A store the state migration point granted (user-state.md §2.5 "requests"). */
export interface StateStoreGrant {
  storeId: string;
  type: 'capture' | 'restore';
  /** The store's data key, base64 of 32 bytes: kept only as the secret variable `_OSDStateStoreKey`. */
  key: string;
  /** Where the store lives, for OSDStateStorePath and the log (the SMP's URL of the store). */
  location: string;
  /** Restore: the accounts the computer association lets this computer restore ([] = all). */
  accounts?: string[];
  /** Restore: the association's user accounts mode. */
  userAccounts?: 'capture-restore-all' | 'capture-all-restore-specified' | 'capture-restore-specified';
  /** The key's id (user-state.md §2.4), when the state migration point says it. */
  keyId?: string;
  /** The computer the state was captured from. */
  sourceName?: string;
}

/** The state migration point as a step sees it; every failure is an error of the family with its code. */
export interface StateMigrationService {
  /** Request State Store: a store to capture into, or the store this computer may restore (by association). */
  request(type: 'capture' | 'restore', options?: { signal?: AbortSignal }): Promise<StateStoreGrant>;
  /** Uploads one file of a store (`store.json`, `manifest.osdm`, `packs/000001.osdp`): resumable, checked by its SHA-256. */
  putFile(storeId: string, name: string, source: { path: string; size: number; sha256: string }, options?: { signal?: AbortSignal }): Promise<void>;
  /** Downloads one file of a granted store into `destination` (resumable, checked by its SHA-256 when the SMP knows it). */
  getFile(storeId: string, name: string, destination: string, options?: { signal?: AbortSignal }): Promise<void>;
  /** Release State Store. */
  release(storeId: string, phase: 'capture' | 'restore', outcome: 'success' | 'failure', options?: { signal?: AbortSignal }): Promise<void>;
}

/** How an application's deployment type finds out whether it is installed (osd-features §2.7; docs/software-updates.md "Applications"). */
export interface DetectionMethod {
  kind: 'file' | 'folder' | 'registry' | 'msi-product-code' | 'script';
  /** A path (`%ProgramFiles%\App\app.exe`), a registry key (`HKEY_LOCAL_MACHINE\SOFTWARE\…`), a product code, or a script's text. */
  value: string;
  /** registry: a value under the key (absent: the key itself). */
  valueName?: string;
  /** registry: the value's data must equal this. */
  equals?: string;
}

export interface ApplicationDeploymentType {
  name: string;
  technology: string;
  installCommand: string;
  /** Exit codes meaning success (ConfigMgr's defaults 0, 1707) and success-but-restart (3010, 1641). */
  successCodes: number[];
  restartCodes: number[];
  detectionMethod: DetectionMethod;
}

/** An application as the Install Application step needs it. */
export interface ApplicationDefinition {
  /** `ScopeId_…/Application_…`, what the step's ApplicationName names. */
  modelName: string;
  /** The display name, what a dynamic variable list names (case-sensitive). */
  name: string;
  /** "Allow this application to be installed from the Install Application task sequence action without being deployed". */
  allowTaskSequenceInstall: boolean;
  /** The application's content (its PackageID), null when it has none. */
  packageId: string | null;
  /** Model names of the applications it depends on (installed first, in this order). */
  dependencies: string[];
  deploymentTypes: ApplicationDeploymentType[];
}

/** The site's answer for the names a step gives. */
export interface ApplicationLookup {
  /** The installable ones and their dependencies, each dependency before what needs it. */
  applications: ApplicationDefinition[];
  /** Named applications a task sequence may not install, with the reasons (§2.7). */
  refused: Array<{ name: string; modelName: string; reasons: string[] }>;
  /** Names the site does not know. */
  unknown: string[];
}

export interface ApplicationCatalog {
  /** The named applications (model names or exact display names) and their dependencies. */
  lookup(names: string[], options?: { signal?: AbortSignal }): Promise<ApplicationLookup>;
  /** A local folder holding the package's content, downloaded from a distribution point and hash-checked (0x80091007 otherwise). */
  content(packageId: string, options?: { signal?: AbortSignal }): Promise<string>;
  /** "Clear application content from cache after installing" (`OSDAppClearCache`): the package's cached files go. */
  clearContent?(packageId: string): Promise<void>;
}

/** What an update applies to (docs/software-updates.md "Applicability"). */
export interface UpdateApplicability {
  minOsBuild?: number;
  maxOsBuild?: number;
  /** x86 | x64 | arm64; [] = any. */
  architectures: string[];
}

/** A software update deployed to a collection the computer is in (osd-features §2.8). */
export interface SoftwareUpdateOffer {
  updateId: string;
  articleId: string;
  title: string;
  /** Products it is for ([] = any): matched against the installed OS's product (docs/software-updates.md). */
  products: string[];
  /** Required (a deadline: the step's "Mandatory") or Available. */
  purpose: 'required' | 'available';
  deadline: string | null;
  applicability: UpdateApplicability;
  /** Update ids it supersedes. */
  supersedes: string[];
  /** The deployment package holding its payload. */
  packageId: string | null;
  /** Its payload files in that package, each checked against its SHA-256 before it is installed. */
  files: { name: string; size: number; sha256: string }[];
  /** Installing it asks for a restart (3010). */
  restartRequired: boolean;
}

export interface SoftwareUpdateCatalog {
  /** The updates deployed to the computer's collections, as the site says when asked (the step asks when it runs). */
  deployed(options?: { signal?: AbortSignal }): Promise<SoftwareUpdateOffer[]>;
  /** A local folder holding the deployment package's content, downloaded and hash-checked. */
  content(packageId: string, options?: { signal?: AbortSignal }): Promise<string>;
}

/** The site services a host offers its steps (each absent where there is no site). */
export interface SiteServices {
  stateMigration?: StateMigrationService;
  applications?: ApplicationCatalog;
  softwareUpdates?: SoftwareUpdateCatalog;
  /** A folder on the host for a step's temporary files (a store's packs before upload …); the OS's temp folder otherwise. */
  workDir?: string;
}

/** A stream type re-exported for the ports' users. */
export type { Readable };

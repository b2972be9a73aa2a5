/**
 * The shapes of the management point protocol as the agent reads and writes them
 * (docs/management-point.md is the contract; the site side is src/site/mp/ and src/server/mp/).
 * Only what the agent uses is typed; the server may send more.
 */
import type { TaskSequence } from '../sequence/model/task-sequence.js';

export type Architecture = 'x86' | 'x64' | 'arm64';
export type Firmware = 'bios' | 'uefi';
export type AgentEnvironment = 'winpe' | 'os';

/** What the computer tells the site about itself (osd-features §3.2) and what the agent decides with. */
export interface MachineFacts {
  macAddresses: string[];
  smbiosGuid?: string;
  architecture: Architecture;
  firmware: Firmware;
  /** Win32_ComputerSystemProduct.Name: driver packages are pre-cached by it (§4.4). */
  model?: string;
  /** The language of the running OS (pre-cache of OS images and packages, §4.4), e.g. en-US. */
  language?: string;
  environment: AgentEnvironment;
  /** The name the computer already has (a known computer's OS); WinPE's MININT-… otherwise. */
  name?: string;
}

export interface RegisterRequest {
  macAddresses: string[];
  smbiosGuid?: string;
  architecture: Architecture;
  firmware: Firmware;
  name?: string;
  environment: AgentEnvironment;
}

export interface RegisterAnswer {
  resourceId: number;
  name: string;
  known: boolean;
  unknownComputer: 'x86' | 'x64' | null;
  approval: 'approved' | 'pending';
  credential: string;
  credentialExpiresAt?: string;
}

export type DeploymentPurpose = 'required' | 'available';
/** The deployment option for content (the site's words); anything but download-when-needed downloads all first. */
export type ContentOption = 'download-all-first' | 'download-when-needed' | 'access-from-dp' | (string & {});

export interface DeploymentPolicy {
  deploymentId: string;
  taskSequenceId: string;
  name: string;
  description?: string;
  revision: number;
  purpose: DeploymentPurpose;
  availability: string;
  availableAt?: string | null;
  expiresAt?: string | null;
  rerun?: string;
  contentOption: ContentOption;
  preDownload: boolean;
  showProgress?: boolean;
  collectionId?: string;
  offered: boolean;
  reason?: string;
  lastRun?: { runId: string; result: string; endedAt?: string } | null;
}

export interface PolicyVariable {
  name: string;
  value: string;
  secret: boolean;
  source?: string;
}

export interface Policy {
  device: { resourceId: number; name: string; unknown: boolean };
  deployments: DeploymentPolicy[];
  variables: PolicyVariable[];
  bootImage: { packageId: string; architecture: string; rule?: string } | null;
  notes?: string[];
}

export interface SequenceAnswer {
  deploymentId: string;
  taskSequenceId: string;
  revision: number;
  name: string;
  /** The task sequence's JSON model (docs/task-sequence-json.md). */
  sequence: unknown;
}

export interface ContentFileEntry {
  path: string;
  size: number;
  sha256: string;
}

export interface ContentLocation {
  dp: string;
  /** Ends with `/`: a file is `<url><path>`. */
  url: string;
}

export interface ContentPackage {
  packageId: string;
  name: string;
  type?: string;
  packageType?: number;
  /** 'boot image', 'step', 'application "<name>"'. */
  referencedAs?: string;
  sourceVersion: number;
  contentId?: string | null;
  sizeBytes: number;
  preCache?: { matches: boolean; rule: string };
  preCached?: boolean;
  /** The package's Architecture attribute (OS images: the images' own when they share one). */
  architecture?: string;
  /** An OS image package's images (index → architecture), to refuse a computer that cannot run the one applied. */
  images?: Array<{ index: number; name?: string; architecture: string }>;
  /**
   * An OS image package whose WIM is pipable: the SHA-256 of its first `bytes` (header, XML and the
   * images' metadata), checked while the WIM streams into wimlib (src/storage/pipable-wim.ts).
   */
  streamAnchor?: { file: string; bytes: number; sha256: string };
  files: ContentFileEntry[];
  locations: ContentLocation[];
}

/** GET /mp/v1/driver-catalog: drivers of the computer's architecture held by a driver package on a DP (docs/management-point.md "Drivers"). */
export interface DriverCatalogAnswer {
  architecture: string;
  /** The lab's catalog format (docs/driver-catalog.md); each driver's folder is `<packageId>/<ciId>`. */
  catalog: unknown;
  packages: Array<Pick<ContentPackage, 'packageId' | 'name' | 'sourceVersion' | 'sizeBytes' | 'files' | 'locations'>>;
  unavailable: number;
}

export interface DeploymentContent {
  deploymentId: string;
  taskSequenceId?: string;
  revision?: number;
  preCacheApplies?: boolean;
  bootImage: { packageId: string; architecture: string; pxeCompatible?: boolean | null; rule?: string } | null;
  packages: ContentPackage[];
}

export type StatusKind = 'run' | 'step' | 'group';
export type StatusMessageOutcome = 'started' | 'succeeded' | 'failed' | 'skipped' | 'restart-requested' | 'refused' | 'downloaded';

export interface StatusMessage {
  id: string;
  runId: string;
  deploymentId: string;
  time: string;
  kind: StatusKind;
  outcome: StatusMessageOutcome;
  /** ConfigMgr's message id (osd-features §4.7); null where ConfigMgr has none (a step started, content downloaded, a refusal). */
  messageId: number | null;
  step: { index: number; name: string; group: string | null; path: string; type: string | null } | null;
  exitCode?: number;
  reason?: string;
  actionOutput?: string;
  predicted?: boolean;
  bytes?: number;
  /** With `bytes`: how long fetching them took. */
  seconds?: number;
}

export interface StatusAnswer {
  stored: number;
  duplicates: number;
}

/** The sequence model the MP sent: typed as the engine takes it (validated by the JSON codec on receipt). */
export type PinnedSequence = TaskSequence;

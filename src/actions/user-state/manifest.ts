/**
 * The manifest of an `openosd.userstate/v1` store (user-state.md §2.3): who was captured, every
 * file with its target (a token and a relative path, so it lands in the user's folder on the new
 * OS), times, attributes, SHA-256 and frames; what was skipped and why. ACL-less by design (§2.1).
 */
import type { FileAttribute } from '../computer.js';
import type { FrameRef } from './store-format.js';

export interface ManifestUser {
  id: string;
  sid: string;
  /** DOMAIN\name (the computer name as DOMAIN for a local account). */
  account: string;
  kind: 'local' | 'domain';
  profilePath: string;
  ntuserModifiedUtc?: string;
  /** Resolved user tokens at capture (Documents → C:\Users\alice\Documents). */
  knownFolders: Record<string, string>;
}

export interface ManifestEntry {
  id: number;
  /** The captured user it belongs to; absent for a system component's file. */
  user?: string;
  component: string;
  type: 'file' | 'dir';
  /** Where it was, as the captured OS saw it (C:\Users\alice\Documents\a.docx). */
  source: string;
  target: { base: string; relative: string };
  size: number;
  createdUtc?: string;
  modifiedUtc: string;
  accessedUtc?: string;
  attributes: FileAttribute[];
  /** Plaintext SHA-256 (encrypted stores; a hard-link store does not read the files). */
  sha256?: string;
  frames?: FrameRef[];
  /** Hard-link store: the link's path under the USMT folder (File/C$/Users/…). */
  stored?: string;
  /** Other hard links of the same file, restored as links to it [I]. */
  alsoAt?: Array<{ source: string; target: { base: string; relative: string } }>;
}

export interface ManifestSkipped {
  source: string;
  reason: 'locked' | 'efs' | 'reparse' | 'hidden-system' | 'too-large' | 'error' | 'other-volume';
  code?: string;
  message?: string;
}

export interface Manifest {
  format: 'openosd.userstate/v1';
  storeId: string;
  source: {
    computerName: string;
    smbiosUuid?: string;
    osVersion?: string;
    arch?: string;
    capture: 'online' | 'offline';
    environment: 'fullos' | 'winpe';
    agentVersion?: string;
    systemDrive: string;
  };
  rules: { name: string; sha256: string; document: unknown };
  users: ManifestUser[];
  entries: ManifestEntry[];
  skipped: ManifestSkipped[];
  totals: { users: number; files: number; bytes: number; skipped: number };
}

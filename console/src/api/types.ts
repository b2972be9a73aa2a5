/**
 * The admin API's answers the console reads, as the site declares them (src/server/api/routes/*.ts;
 * the OpenAPI document at /api/v1/openapi.json is the reference). Only the fields the console uses.
 */

export type Role = 'full-administrator' | 'osd-manager' | 'read-only-analyst';

export type Permission =
  'read' | 'content.write' | 'task-sequence.write' | 'deployment.write' | 'device.write' | 'collection.write' | 'application.write' | 'site.write';

export const ROLE_NAMES: Record<Role, string> = {
  'full-administrator': 'Full Administrator',
  'osd-manager': 'Operating System Deployment Manager',
  'read-only-analyst': 'Read-only Analyst',
};

/** GET /site */
export interface SiteInfo {
  siteCode: string;
  database: 'pglite' | 'postgres';
  schemaVersion: number;
  you: { tokenId: string; name: string; role: Role };
}

/** GET /me: who is asking — the token, its role and every permission the role has. */
export interface Me {
  tokenId: string;
  /** The token's name: the actor the audit log records. */
  name: string;
  role: Role;
  roleName?: string;
  permissions: Permission[];
  expiresAt?: string | null;
  siteCode?: string;
}

/** GET /task-sequences */
export interface TaskSequenceInfo {
  id: string;
  name: string;
  description: string;
  bootImageId: string | null;
  type: number;
  currentRevision: number;
  properties: { maxRunTimeMinutes: number; highImpact: boolean; customText: unknown; disabled: boolean };
  deploymentCount: number;
  /** The console folder: names joined by "/", empty at the top. */
  folder?: string;
  createdAt: string;
  updatedAt: string;
}

/** GET /task-sequences/:id/revisions */
export interface RevisionInfo {
  revision: number;
  author: string;
  message: string;
  createdAt: string;
  sizeBytes: number;
  stepCount: number;
}

/** GET /task-sequences/:id */
export interface TaskSequenceDetail extends TaskSequenceInfo {
  revision: RevisionInfo;
  sequence: Record<string, unknown>;
  references: Array<{ refId: string; refKind: 'package' | 'application' }>;
}

/** POST /task-sequences, PUT /task-sequences/:id */
export interface SaveResult {
  taskSequence: TaskSequenceInfo;
  revision: RevisionInfo;
  references: Array<{ refId: string; refKind: string }>;
  warnings: string[];
}

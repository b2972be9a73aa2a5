/**
 * Role-based access, after ConfigMgr's built-in security roles. What each permission covers is in
 * docs/site-api.md; a route names the one permission it needs.
 */

export const ROLES = ['full-administrator', 'osd-manager', 'read-only-analyst'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_NAMES: Record<Role, string> = {
  'full-administrator': 'Full Administrator',
  'osd-manager': 'Operating System Deployment Manager',
  'read-only-analyst': 'Read-only Analyst',
};

/** Every permission, in the order the roles table of docs/site.md lists them. */
export const PERMISSIONS = [
  'read',
  'content.write',
  'task-sequence.write',
  'deployment.write',
  'device.write',
  'collection.write',
  'application.write',
  'site.write',
] as const;

export type Permission =
  | 'read' // every GET: objects, status, revisions, audit log
  | 'content.write' // boot images, OS images, packages, drivers, driver packages, content, distribution
  | 'task-sequence.write' // create, edit, import, revert task sequences
  | 'deployment.write' // deploy task sequences to collections
  | 'device.write' // import computer information, device variables, computer associations
  | 'collection.write' // collections, rules, collection variables
  | 'application.write' // applications and software updates (and their deployments)
  | 'site.write'; // tokens, distribution points, site settings

const GRANTS: Record<Role, ReadonlySet<Permission>> = {
  'full-administrator': new Set<Permission>([
    'read',
    'content.write',
    'task-sequence.write',
    'deployment.write',
    'device.write',
    'collection.write',
    'application.write',
    'site.write',
  ]),
  // ConfigMgr's OSD Manager: images, drivers, task sequences, deploying them, importing computers
  // and computer associations; not collections' membership, applications or site settings.
  'osd-manager': new Set<Permission>(['read', 'content.write', 'task-sequence.write', 'deployment.write', 'device.write']),
  'read-only-analyst': new Set<Permission>(['read']),
};

export function allows(role: Role, permission: Permission): boolean {
  return GRANTS[role].has(permission);
}

/** The permissions a role has, in PERMISSIONS order (the console offers only what they allow). */
export function permissionsOf(role: Role): Permission[] {
  return PERMISSIONS.filter((p) => GRANTS[role].has(p));
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Who is asking: the token's id and name, and its role. */
export interface Actor {
  tokenId: string;
  name: string;
  role: Role;
}

/** The site acting on its own (start-up seeding, migrations). */
export const SYSTEM_ACTOR: Actor = { tokenId: 'system', name: 'system', role: 'full-administrator' };

/**
 * The schema, as numbered migrations. A migration is never edited once released: a change is a
 * new file. Applied in order on start (see migrate.ts), each in its own transaction.
 */
import { sql as core } from './001-core.js';
import { sql as content } from './002-content.js';
import { sql as objects } from './003-objects.js';
import { sql as collections } from './004-collections.js';
import { sql as taskSequences } from './005-task-sequences.js';
import { sql as hardening } from './006-hardening.js';
import { sql as managementPoint } from './007-management-point.js';
import { sql as runs } from './008-runs.js';
import { sql as deploymentRevision } from './009-deployment-revision.js';
import { sql as distributionProgress } from './010-distribution-progress.js';
import { sql as stateMigrationPoint } from './011-state-migration-point.js';
import { sql as software } from './012-software.js';
import { sql as networkBoot } from './013-network-boot.js';
import { sql as taskSequenceFolders } from './014-task-sequence-folders.js';
import { sql as collectionMembersScale } from './015-collection-members-scale.js';
import { sql as collectionChanges } from './016-collection-changes.js';
import { sql as collectionChangesIndexes } from './017-collection-changes-indexes.js';
import { sql as collectionRulesByKind } from './018-collection-rules-by-kind.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'core', sql: core },
  { version: 2, name: 'content', sql: content },
  { version: 3, name: 'objects', sql: objects },
  { version: 4, name: 'collections', sql: collections },
  { version: 5, name: 'task-sequences', sql: taskSequences },
  { version: 6, name: 'hardening', sql: hardening },
  { version: 7, name: 'management-point', sql: managementPoint },
  { version: 8, name: 'runs', sql: runs },
  { version: 9, name: 'deployment-revision', sql: deploymentRevision },
  { version: 10, name: 'distribution-progress', sql: distributionProgress },
  { version: 11, name: 'state-migration-point', sql: stateMigrationPoint },
  { version: 12, name: 'software', sql: software },
  { version: 13, name: 'network-boot', sql: networkBoot },
  { version: 14, name: 'task-sequence-folders', sql: taskSequenceFolders },
  { version: 15, name: 'collection-members-scale', sql: collectionMembersScale },
  { version: 16, name: 'collection-changes', sql: collectionChanges },
  { version: 17, name: 'collection-changes-indexes', sql: collectionChangesIndexes },
  { version: 18, name: 'collection-rules-by-kind', sql: collectionRulesByKind },
];

/**
 * The admin API's answers about devices, collections, variables and computer associations as the
 * Assets and Compliance pages read them (src/server/api/routes/collection-routes.ts is the source).
 */

export type PropertyValue = string | number | boolean | null;

/** GET /devices, GET /devices/:resourceId */
export interface Device {
  resourceId: number;
  name: string;
  smbiosGuid: string | null;
  macAddresses: string[];
  unknownComputer: string | null;
  isSiteSystem: boolean;
  isServer: boolean;
  client: boolean;
  properties: Record<string, PropertyValue>;
  createdAt: string;
  updatedAt: string;
}

export interface DeviceDetail extends Device {
  collections: Array<{ collectionId: string; name: string }>;
}

export interface DevicePage {
  total: number | null;
  devices: Device[];
  nextCursor: string | null;
}

export type UserAccounts = 'capture-restore-all' | 'capture-all-restore-specified' | 'capture-restore-specified';

export interface Association {
  id: number;
  sourceResourceId: number;
  sourceName: string;
  destinationResourceId: number;
  destinationName: string;
  userAccounts: UserAccounts | string;
  accounts: string[];
  createdAt: string;
}

export interface ImportedComputer {
  device: Device;
  overwritten: boolean;
  association?: Association;
}

export interface CsvImportResult {
  imported: number;
  overwritten: number;
  computers: ImportedComputer[];
}

/** One problem of an import (the site's error answer's `problems`). */
export interface ImportProblem {
  row?: number;
  input: string;
  rule: string;
  kind: 'invalid' | 'conflict';
  hint?: string;
}

/** A variable; a masked one's value is always null. */
export interface Variable {
  name: string;
  value: string | null;
  masked: boolean;
}

export interface Collection {
  collectionId: string;
  name: string;
  comment: string;
  limitingCollectionId: string | null;
  limitingCollectionName: string | null;
  builtIn: boolean;
  variablePriority: number;
  memberCount: number;
  evaluatedAt: string | null;
  ruleCount: number;
  createdAt: string;
  updatedAt: string;
}

export type RuleKind = 'direct' | 'query' | 'include' | 'exclude';

export interface Rule {
  ruleId: number;
  kind: RuleKind;
  name: string;
  resourceId: number | null;
  query: string | null;
  collectionId: string | null;
}

export interface Member {
  resourceId: number;
  name: string;
  smbiosGuid: string | null;
  macAddresses: string[];
  unknownComputer: string | null;
  client: boolean;
}

export interface MemberPage {
  total: number;
  matching: number | null;
  nextCursor: string | null;
  members: Member[];
}

export interface Evaluated {
  evaluated: Array<{ collectionId: string; memberCount: number }>;
}

export interface QueryCheck {
  valid: boolean;
  problem: { rule: string; column: number | null; length: number | null; expected: string | null; hint: string | null } | null;
}

/** GET /devices/:resourceId/runs (the parts shown on a device). */
export interface DeviceRuns {
  resourceId: number;
  name: string;
  runs: Array<{
    runId: string;
    deploymentId: string;
    taskSequenceId: string;
    taskSequenceName: string;
    result: 'in-progress' | 'succeeded' | 'failed' | 'refused';
    startedAt: string;
    endedAt: string | null;
    durationSeconds: number;
  }>;
}

export const USER_ACCOUNT_NAMES: Record<UserAccounts, string> = {
  'capture-restore-specified': 'Capture and restore specified user accounts',
  'capture-all-restore-specified': 'Capture all user accounts and restore specified accounts',
  'capture-restore-all': 'Capture and restore all user accounts',
};

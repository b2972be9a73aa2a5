/** The site's answers the editor reads (the OpenAPI document is the reference). */
import type { Json } from './model';

export interface PropertyInfo {
  property: string;
  variable: string;
  default: string | null;
  hidden: boolean;
  secret: boolean;
  global: boolean;
  description: string;
}

export interface StepTypeInfo {
  type: string;
  displayName: string;
  aliases: string[];
  category: string;
  element: 'step' | 'subtasksequence';
  runIn: string;
  successCodes: string;
  retryCount: number;
  properties: PropertyInfo[];
  arrays: Array<{ countProperty: string; countVariable: string; elements: PropertyInfo[] }>;
  template: Json;
}

export interface RevisionInfo {
  revision: number;
  author: string;
  message: string;
  createdAt: string;
  sizeBytes: number;
  stepCount: number;
}

export interface TaskSequenceDetail {
  id: string;
  name: string;
  description: string;
  currentRevision: number;
  revision: RevisionInfo;
  sequence: Json;
}

export interface LintFinding {
  rule: string;
  severity: 'error' | 'warning' | 'info';
  path: string;
  message: string;
  hint: string;
}

export interface SaveResult {
  taskSequence: { id: string; currentRevision: number };
  revision: RevisionInfo;
  warnings: string[];
}

export interface MachineProfile {
  id: string;
  name: string;
  description: string;
  firmware: 'bios' | 'uefi';
  architecture: string;
  operatingSystem: string | null;
}

export type Outcome = 'run' | 'skipped' | 'disabled' | 'failed' | 'not-reached';

export interface SimulatedStep {
  index: number;
  path: string;
  name: string;
  kind: 'group' | 'step';
  type: string | null;
  outcome: Outcome;
  reason: string | null;
  exitCode: number | null;
  exitCodeHex: string | null;
  runs: number;
  effects: string[];
  assumed: string[];
}

export interface Simulation {
  machine: { source: 'profile' | 'device'; name: string; firmware: string; architecture: string; notes: string[] };
  startedIn: string;
  result: 'success' | 'failure';
  exitCode: number;
  exitCodeHex: string;
  failedAt: string | null;
  message: string | null;
  steps: SimulatedStep[];
  restarts: Array<{ after: string; into: string }>;
  counts: Record<Outcome, number>;
}

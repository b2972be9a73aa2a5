/**
 * The task sequence a device runs for one of its deployments (docs/management-point.md): the
 * revision the deployment pins — not the task sequence's current one — as the JSON model
 * (docs/task-sequence-json.md), with its sealed secret values opened for this device. Only a
 * deployment in the device's policy: any other is "not found", whether or not it exists.
 */
import { notFound } from '../errors.js';
import type { Site } from '../site.js';
import { loadRevision } from '../task-sequences/revisions.js';
import { readTaskSequenceRow, sequenceDocument } from '../task-sequences/model.js';
import type { SequenceItem, StepVariable, TaskSequence } from '../../sequence/model/task-sequence.js';
import type { MpDevice } from './credentials.js';
import { deploymentOfDevice } from './policy.js';

export interface DeploymentSequence {
  deploymentId: string;
  taskSequenceId: string;
  revision: number;
  name: string;
  /** The JSON model with the secret values in it (docs/task-sequence-json.md writes them empty in every other use). */
  sequence: Record<string, unknown>;
  /** Names of the variables whose values are secret: the engine masks them in its log. */
  secretVariables: string[];
}

type JsonObject = Record<string, unknown>;

/**
 * The canonical JSON document of `ts` with its secret variable values written in. The JSON codec
 * writes every secret empty (an export is an export); the device needs them, so they are put back
 * into the same places, walking the model and its document side by side.
 */
function documentWithSecrets(ts: TaskSequence): { document: JsonObject; secretVariables: string[] } {
  const document = sequenceDocument(ts);
  const names = new Set<string>();
  const fill = (vars: StepVariable[] | undefined, json: unknown): void => {
    if (!vars || !Array.isArray(json)) return;
    vars.forEach((v, i) => {
      if (!v.secret) return;
      const target = json[i] as JsonObject | undefined;
      if (target && target.name === v.name) {
        target.value = v.value;
        names.add(v.name);
      }
    });
  };
  const walk = (items: SequenceItem[], json: unknown): void => {
    if (!Array.isArray(json)) return;
    items.forEach((item, i) => {
      const j = json[i] as JsonObject | undefined;
      if (!j || item.kind === 'raw') return;
      if (item.kind === 'step') fill(item.variables, j.variables);
      else walk(item.items, j.items);
    });
  };
  const seq = document.sequence as JsonObject;
  fill(ts.globalVariables, seq.globalVariables);
  walk(ts.items, seq.items);
  return { document, secretVariables: [...names].sort() };
}

/** A deployment that is not this device's, in the same words whether it exists or not. */
export function notThisDevicesDeployment(deploymentId: string): Error {
  return notFound('deployment for this computer', deploymentId, 'ask for the policy to see the deployments for this computer');
}

export async function deploymentSequence(site: Site, device: MpDevice, deploymentId: string): Promise<DeploymentSequence> {
  const d = await deploymentOfDevice(site.db, device, deploymentId);
  if (!d) throw notThisDevicesDeployment(deploymentId);
  const loaded = await loadRevision(site, d.taskSequenceId, d.revision, { withSecrets: true });
  const ts = await readTaskSequenceRow(site.db, d.taskSequenceId);
  const filled = documentWithSecrets(loaded.sequence);
  return {
    deploymentId: d.deploymentId,
    taskSequenceId: d.taskSequenceId,
    revision: d.revision,
    name: ts.name,
    sequence: filled.document,
    secretVariables: filled.secretVariables,
  };
}

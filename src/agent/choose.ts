/**
 * Which deployment runs (osd-features §5.1–§5.3), decided from the policy's offered deployments:
 *
 * 1. `SMSTSPreferredAdvertID` (a collection, device or media variable) forces that one deployment
 *    and overrides every other, Required ones included (§5.2) — if the policy offers it.
 * 2. Otherwise a Required deployment runs with no interaction (the highest deployment id when
 *    there are several, as §5.1 picks among boot images; the log names the others).
 * 3. Otherwise an Available one runs only when the user starts it — on PXE by pressing F12, then the
 *    Task Sequence Wizard's "Select a task sequence" page when more than one is offered. In the lab,
 *    `--choose ID` or an answers file plays the user.
 *
 * The wizard's decisions are returned as log lines, so smsts.log shows them as the WinPE wizard's
 * own log would; "Edit task sequence variables" (§5.3) is the answers file's `variables`, filling
 * only deployed variables whose value is empty.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { AgentError } from './errors.js';
import type { DeploymentPolicy, PolicyVariable } from './protocol.js';

/** What the user answers in the wizard (the lab's `--answers FILE`). */
export interface WizardAnswers {
  /** The deployment to run (Select a task sequence). */
  deployment?: string;
  /** Values for deployed variables left empty (Edit task sequence variables). */
  variables?: Record<string, string>;
}

export interface ChooseInput {
  deployments: DeploymentPolicy[];
  variables: PolicyVariable[];
  /** `--choose ID`: the user picked this deployment. */
  choose?: string;
  answers?: WizardAnswers;
}

export interface Choice {
  deployment?: DeploymentPolicy;
  /** How it was chosen, or why nothing runs. */
  reason: string;
  /** The wizard's decisions, one line each, for smsts.log. */
  lines: string[];
  /** The policy's variables after the wizard's Edit page. */
  variables: PolicyVariable[];
}

export function chooseDeployment(input: ChooseInput): Choice {
  const lines: string[] = [];
  const offered = input.deployments.filter((d) => d.offered);
  const describe = (d: DeploymentPolicy): string => `${d.deploymentId} "${d.name}" (${d.purpose === 'required' ? 'Required' : 'Available'})`;
  lines.push(
    `Found ${input.deployments.length} deployment(s) in policy, ${offered.length} offered here${offered.length ? `: ${offered.map(describe).join(', ')}` : ''}`,
  );
  for (const d of input.deployments.filter((x) => !x.offered)) lines.push(`Deployment ${describe(d)} is not offered: ${d.reason ?? 'not available here'}`);
  const variables = applyAnswerVariables(input.variables, input.answers, lines);
  const done = (deployment: DeploymentPolicy | undefined, reason: string): Choice => {
    lines.push(deployment ? `Running deployment ${describe(deployment)}: ${reason}` : `No task sequence runs: ${reason}`);
    return { deployment, reason, lines, variables };
  };

  const preferred = variables.find((v) => v.name.toLowerCase() === 'smstspreferredadvertid')?.value.trim();
  if (preferred) {
    const d = offered.find((x) => x.deploymentId.toUpperCase() === preferred.toUpperCase());
    if (d) return done(d, `SMSTSPreferredAdvertID is ${preferred}: this deployment is forced and overrides the others`);
    return done(undefined, `SMSTSPreferredAdvertID is ${preferred}, but no deployment ${preferred} is offered to this computer here`);
  }

  const picked = input.choose ?? input.answers?.deployment;
  if (picked !== undefined) {
    const d = offered.find((x) => x.deploymentId.toUpperCase() === picked.trim().toUpperCase());
    if (!d) {
      const known = input.deployments.find((x) => x.deploymentId.toUpperCase() === picked.trim().toUpperCase());
      throw new AgentError('bad-input', {
        input: input.choose !== undefined ? `--choose ${picked}` : `answers: deployment ${picked}`,
        rule: known
          ? `deployment ${picked} is not offered to this computer here: ${known.reason ?? 'not available'}`
          : `no deployment ${picked} in this computer's policy`,
        hint: offered.length ? `choose one of ${offered.map((x) => x.deploymentId).join(', ')}` : 'no deployment is offered to this computer here',
      });
    }
    if (d.purpose === 'available') lines.push(`Task Sequence Wizard: the user selected ${describe(d)}`);
    return done(d, d.purpose === 'required' ? 'Required (chosen)' : 'Available, started by the user');
  }

  const required = offered.filter((d) => d.purpose === 'required').sort((a, b) => (a.deploymentId < b.deploymentId ? 1 : -1));
  if (required.length > 0) {
    if (required.length > 1)
      lines.push(
        `${required.length} Required deployments are offered; the highest deployment id runs first: ${required.map((d) => d.deploymentId).join(', ')}`,
      );
    return done(required[0], 'Required: runs with no interaction');
  }
  const available = offered.filter((d) => d.purpose === 'available');
  if (available.length > 0) {
    return done(
      undefined,
      `${available.length} Available deployment(s) offered (${available.map((d) => d.deploymentId).join(', ')}); nobody started one (the lab: --choose ID or an answers file)`,
    );
  }
  return done(undefined, 'no deployment is offered to this computer here');
}

function applyAnswerVariables(variables: PolicyVariable[], answers: WizardAnswers | undefined, lines: string[]): PolicyVariable[] {
  const out = variables.map((v) => ({ ...v }));
  const empty = out.filter((v) => v.value === '');
  if (empty.length) lines.push(`Task Sequence Wizard: Edit task sequence variables shows ${empty.map((v) => v.name).join(', ')}`);
  for (const [name, value] of Object.entries(answers?.variables ?? {})) {
    const v = out.find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (!v) lines.push(`Task Sequence Wizard: ${name} is not a deployed variable; ignored`);
    else if (v.value !== '') lines.push(`Task Sequence Wizard: ${v.name} already has a value; only empty deployed variables are edited, ignored`);
    else {
      v.value = String(value);
      lines.push(`Task Sequence Wizard: the user set ${v.name}${v.secret ? ' (secret)' : ` = ${v.value}`}`);
    }
  }
  return out;
}

/** An answers file (YAML or JSON): `deployment: ID`, `variables: { NAME: value }`. */
export function loadWizardAnswers(path: string): WizardAnswers {
  let data: unknown;
  try {
    data = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new AgentError('bad-input', { input: `--answers ${path}`, rule: `cannot be read as YAML or JSON (${(e as Error).message})` });
  }
  const o = (data ?? {}) as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => k !== 'deployment' && k !== 'variables');
  if (typeof o !== 'object' || Array.isArray(o) || unknown.length) {
    throw new AgentError('bad-input', {
      input: `--answers ${path}`,
      rule: unknown.length ? `unknown key(s) ${unknown.join(', ')}` : 'is not a map',
      hint: 'an answers file holds `deployment: ID` and `variables: { NAME: value }`',
    });
  }
  if (o.deployment !== undefined && typeof o.deployment !== 'string')
    throw new AgentError('bad-input', { input: `--answers ${path}`, rule: 'deployment is not a text' });
  const vars = o.variables as Record<string, unknown> | undefined;
  if (vars !== undefined && (typeof vars !== 'object' || Array.isArray(vars) || Object.values(vars).some((v) => typeof v !== 'string'))) {
    throw new AgentError('bad-input', { input: `--answers ${path}`, rule: 'variables is not a map of texts' });
  }
  return { deployment: o.deployment as string | undefined, variables: vars as Record<string, string> | undefined };
}

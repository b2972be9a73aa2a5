// Which deployment runs (osd-features §5.1–§5.3): SMSTSPreferredAdvertID forces one, Required runs,
// Available needs the user (--choose or an answers file); the wizard's decisions are log lines.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseDeployment, loadWizardAnswers } from '../../src/agent/choose.js';
import type { DeploymentPolicy, PolicyVariable } from '../../src/agent/protocol.js';
import { tempDir } from '../helpers/temp.js';

function deployment(id: string, purpose: 'required' | 'available', extra: Partial<DeploymentPolicy> = {}): DeploymentPolicy {
  return {
    deploymentId: id,
    taskSequenceId: 'PS100004',
    name: `Deployment ${id}`,
    revision: 1,
    purpose,
    availability: 'media-pxe',
    contentOption: 'download-all-first',
    preDownload: false,
    offered: true,
    ...extra,
  };
}
const v = (name: string, value: string, secret = false): PolicyVariable => ({ name, value, secret, source: 'device' });

describe('chooseDeployment', () => {
  it('runs the Required deployment with no interaction, and logs what it found', () => {
    const c = chooseDeployment({ deployments: [deployment('PS120001', 'available'), deployment('PS120002', 'required')], variables: [] });
    expect(c.deployment?.deploymentId).toBe('PS120002');
    expect(c.lines[0]).toBe(
      'Found 2 deployment(s) in policy, 2 offered here: PS120001 "Deployment PS120001" (Available), PS120002 "Deployment PS120002" (Required)',
    );
    expect(c.lines.at(-1)).toBe('Running deployment PS120002 "Deployment PS120002" (Required): Required: runs with no interaction');
  });

  it('takes the highest deployment id among several Required ones and says so', () => {
    const c = chooseDeployment({ deployments: [deployment('PS120002', 'required'), deployment('PS120009', 'required')], variables: [] });
    expect(c.deployment?.deploymentId).toBe('PS120009');
    expect(c.lines).toContain('2 Required deployments are offered; the highest deployment id runs first: PS120009, PS120002');
  });

  it('SMSTSPreferredAdvertID forces its deployment over a Required one', () => {
    const c = chooseDeployment({
      deployments: [deployment('PS120002', 'required'), deployment('PS120005', 'available')],
      variables: [v('SMSTSPreferredAdvertID', 'ps120005')],
    });
    expect(c.deployment?.deploymentId).toBe('PS120005');
    expect(c.reason).toMatch(/SMSTSPreferredAdvertID is ps120005: this deployment is forced/);
  });

  it('SMSTSPreferredAdvertID naming a deployment not offered runs nothing', () => {
    const c = chooseDeployment({ deployments: [deployment('PS120002', 'required')], variables: [v('SMSTSPreferredAdvertID', 'PS129999')] });
    expect(c.deployment).toBeUndefined();
    expect(c.reason).toMatch(/no deployment PS129999 is offered/);
  });

  it('an Available deployment runs only when the user starts it', () => {
    const deployments = [deployment('PS120001', 'available'), deployment('PS120003', 'available')];
    const none = chooseDeployment({ deployments, variables: [] });
    expect(none.deployment).toBeUndefined();
    expect(none.reason).toMatch(/2 Available deployment\(s\) offered \(PS120001, PS120003\); nobody started one/);
    const chosen = chooseDeployment({ deployments, variables: [], choose: 'PS120003' });
    expect(chosen.deployment?.deploymentId).toBe('PS120003');
    expect(chosen.lines).toContain('Task Sequence Wizard: the user selected PS120003 "Deployment PS120003" (Available)');
  });

  it('refuses a choice that is not offered, naming what is', () => {
    const deployments = [deployment('PS120001', 'available'), deployment('PS120004', 'available', { offered: false, reason: 'expired' })];
    expect(() => chooseDeployment({ deployments, variables: [], choose: 'PS120004' })).toThrow(
      /--choose PS120004: deployment PS120004 is not offered to this computer here: expired/,
    );
    expect(() => chooseDeployment({ deployments, variables: [], choose: 'PS12XXXX' })).toThrow(/no deployment PS12XXXX in this computer's policy/);
  });

  it('does not offer what the policy did not offer, and says why in the log', () => {
    const c = chooseDeployment({ deployments: [deployment('PS120002', 'required', { offered: false, reason: 'already ran (succeeded)' })], variables: [] });
    expect(c.deployment).toBeUndefined();
    expect(c.lines).toContain('Deployment PS120002 "Deployment PS120002" (Required) is not offered: already ran (succeeded)');
  });

  it('an answers file picks the deployment and fills empty deployed variables only (secrets not logged)', () => {
    const dir = tempDir('osd-answers-');
    const file = join(dir, 'answers.yaml');
    writeFileSync(file, 'deployment: PS120001\nvariables:\n  OSDComputerName: LAB-07\n  OSDJoinPassword: s3cret!\n  Other: x\n');
    const answers = loadWizardAnswers(file);
    const c = chooseDeployment({
      deployments: [deployment('PS120001', 'available')],
      variables: [v('OSDComputerName', ''), v('OSDJoinPassword', '', true), v('OSDTimeZone', 'UTC')],
      answers,
    });
    expect(c.deployment?.deploymentId).toBe('PS120001');
    expect(c.variables.find((x) => x.name === 'OSDComputerName')?.value).toBe('LAB-07');
    expect(c.lines).toContain('Task Sequence Wizard: the user set OSDComputerName = LAB-07');
    expect(c.lines).toContain('Task Sequence Wizard: the user set OSDJoinPassword (secret)');
    expect(c.lines.join('\n')).not.toContain('s3cret!');
    expect(c.lines).toContain('Task Sequence Wizard: Other is not a deployed variable; ignored');
  });

  it('refuses an answers file with unknown keys', () => {
    const dir = tempDir('osd-answers-');
    const file = join(dir, 'a.json');
    writeFileSync(file, '{"deploymnet": "PS120001"}');
    expect(() => loadWizardAnswers(file)).toThrow(/unknown key\(s\) deploymnet/);
  });
});

/**
 * The admin API for the console's task sequence editor (issue 15 item 3): the step catalog with a
 * new step of each type, command lines rebuilt after an edit, lint of an unsaved sequence.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../site/helpers/site.js';
import { addSiteObjects, type SiteObjects, wizardAnswers } from '../../site/task-sequences/fixtures.js';

describe('the admin API for the task sequence editor', () => {
  let api: TestApi;
  let o: SiteObjects;
  let ts: string;

  beforeAll(async () => {
    api = await startTestApi('pglite');
    o = await addSiteObjects(api.site);
    const r = await api.call('POST', '/api/v1/task-sequences/wizard/install-image', { body: wizardAnswers(o) });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    ts = r.json.taskSequence.id;
  });
  afterAll(async () => api?.close());

  it('lists the step types by category, with property definitions and a new step of each', async () => {
    const r = await api.call('GET', '/api/v1/step-types', { token: api.tokens['read-only-analyst'] });
    expect(r.status).toBe(200);
    const restart = r.json.find((t: { displayName: string }) => t.displayName === 'Restart Computer');
    expect(restart).toMatchObject({ category: 'General', runIn: 'WinPEandFullOS', successCodes: '0', aliases: ['Restart in Windows PE'] });
    expect(restart.properties.find((p: { variable: string }) => p.variable === 'SMSRebootTimeout')).toMatchObject({ default: '60', hidden: false });
    expect(restart.template).toMatchObject({ kind: 'step', name: 'Restart Computer', successCodeList: '0', action: 'smsboot.exe /target:WinPE' });
    const categories = new Set(r.json.map((t: { category: string }) => t.category));
    expect([...categories]).toEqual(['General', 'Disks', 'User State', 'Images', 'Drivers', 'Settings', 'Software']);
    // A secret default is never part of a template.
    for (const t of r.json)
      for (const v of t.template.variables ?? []) expect(t.properties.find((p: { variable: string }) => p.variable === v.name)?.secret).not.toBe(true);
  });

  it("rebuilds a step's command line from its properties, and leaves someone's own command alone", async () => {
    const restart = {
      type: 'SMS_TaskSequence_RebootAction',
      action: 'smsboot.exe /target:WinPE',
      variables: [{ name: 'SMSRebootTarget', property: 'Target', value: 'HD' }],
    };
    const own = { ...restart, action: 'cscript.exe ZTIRestart.wsf' };
    const r = await api.call('POST', '/api/v1/step-types/actions', { body: { steps: [restart, own, { type: 'BDD_Gather' }] } });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.actions).toEqual(['smsboot.exe /target:HD', null, null]);
    const bad = await api.call('POST', '/api/v1/step-types/actions', { body: { steps: [{ type: 1 }] } });
    expect(bad.status).toBe(400);
    expect(bad.json.input).toMatch(/^body\.steps/);
  });

  it('lints an unsaved sequence as a stored one, and names the field of a bad document', async () => {
    const stored = await api.call('GET', `/api/v1/task-sequences/${ts}`);
    const doc = stored.json.sequence;
    const storedLint = await api.call('GET', `/api/v1/task-sequences/${ts}/lint`);
    const same = await api.call('POST', '/api/v1/task-sequences/lint', { body: { sequence: doc }, token: api.tokens['read-only-analyst'] });
    expect(same.status, JSON.stringify(same.json)).toBe(200);
    expect(same.json.findings).toEqual(storedLint.json.findings);
    // An empty group and a variable condition without a variable: found on their paths.
    const edited = structuredClone(doc);
    edited.sequence.items.push({ kind: 'group', name: 'Empty', items: [] });
    edited.sequence.items[0].items[0].condition = {
      operands: [
        {
          kind: 'expression',
          type: 'SMS_TaskSequence_VariableConditionExpression',
          properties: [
            { name: 'Operator', value: 'equals' },
            { name: 'Value', value: 'x' },
            { name: 'Variable', value: '' },
          ],
        },
      ],
    };
    const r = await api.call('POST', '/api/v1/task-sequences/lint', { body: { sequence: edited } });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.findings).toEqual(expect.arrayContaining([expect.objectContaining({ rule: 'empty-group', path: 'Empty' })]));
    const firstStep = `${doc.sequence.items[0].name} / ${doc.sequence.items[0].items[0].name}`;
    expect(r.json.findings.some((f: { path: string; severity: string }) => f.path === firstStep && f.severity === 'error')).toBe(true);
    const bad = await api.call('POST', '/api/v1/task-sequences/lint', { body: { sequence: { format: 'nope' } } });
    expect(bad.status).toBe(400);
    expect(bad.json.input).toBe('body.sequence');
  });
});

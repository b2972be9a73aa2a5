/**
 * What the web console needs of the admin API (issue 15): who is asking and what the role allows,
 * the simulator on the server (a stored revision or an unsaved sequence, on an example machine
 * profile or a device), the example machine profiles.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeStatusBatch } from '../../../src/site/mp/status.js';
import { PERMISSIONS } from '../../../src/site/security/roles.js';
import { simulateTaskSequence } from '../../../src/site/task-sequences/simulate.js';
import { DB_KINDS, startTestApi, type TestApi } from '../../site/helpers/site.js';
import { addCollection, addSiteObjects, expectNoSecret, type SiteObjects, wizardAnswers } from '../../site/task-sequences/fixtures.js';

describe.each(DB_KINDS)('the admin API for the console on %s', (kind) => {
  let api: TestApi;
  let o: SiteObjects;
  let ts: string;
  let device: number;

  beforeAll(async () => {
    api = await startTestApi(kind);
    o = await addSiteObjects(api.site);
    const r = await api.call('POST', '/api/v1/task-sequences/wizard/install-image', { body: wizardAnswers(o) });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    ts = r.json.taskSequence.id;
    await addCollection(api.site, 'Lab', [{ name: 'LAB01' }]);
    device = Number((await api.site.db.query<{ resource_id: string }>("SELECT resource_id FROM devices WHERE name = 'LAB01'")).rows[0]!.resource_id);
  });
  afterAll(async () => api?.close());

  describe('GET /me', () => {
    it("answers the token's name, id, role and the permissions of the role", async () => {
      const admin = await api.call('GET', '/api/v1/me');
      expect(admin.status).toBe(200);
      expect(admin.json).toMatchObject({ name: 'test full-administrator', role: 'full-administrator', roleName: 'Full Administrator', expiresAt: null });
      expect(admin.json.tokenId).toMatch(/\S/);
      expect(admin.json.permissions).toEqual([...PERMISSIONS]);
      const reader = await api.call('GET', '/api/v1/me', { token: api.tokens['read-only-analyst'] });
      expect(reader.json).toMatchObject({ role: 'read-only-analyst', permissions: ['read'], siteCode: api.site.siteCode });
      const osd = await api.call('GET', '/api/v1/me', { token: api.tokens['osd-manager'] });
      expect(osd.json.permissions).toEqual(['read', 'content.write', 'task-sequence.write', 'deployment.write', 'device.write']);
    });
  });

  describe('devices and members at scale', () => {
    it("pages a collection's members with a cursor, searches their names, and counts what matches", async () => {
      const names = Array.from({ length: 25 }, (_, i) => ({ name: `PAGE${String(i).padStart(2, '0')}` }));
      const id = await addCollection(api.site, 'Paging', [...names, { name: 'OTHER-PC' }]);
      const seen: string[] = [];
      let cursor: string | null = null;
      let first = true;
      do {
        const q: string = `/api/v1/collections/${id}/members?limit=10&search=page${cursor ? `&cursor=${cursor}` : ''}`;
        const r = await api.call('GET', q);
        expect(r.status, JSON.stringify(r.json)).toBe(200);
        expect(r.json.total).toBe(26);
        expect(r.json.matching).toBe(first ? 25 : null);
        seen.push(...r.json.members.map((m: { name: string }) => m.name));
        cursor = r.json.nextCursor;
        first = false;
      } while (cursor);
      expect(seen).toEqual(names.map((n) => n.name));
      const all = await api.call('GET', `/api/v1/collections/${id}/members?limit=1000`);
      expect(all.json).toMatchObject({ total: 26, matching: null, nextCursor: null });
      expect((await api.call('GET', `/api/v1/collections/${id}/members?cursor=bm9wZQ`)).json.input).toBe('query.cursor');
    });
  });

  describe('monitoring', () => {
    let deployment: string;
    const ids: Record<string, number> = {};
    const base = Date.now() - 2 * 60 * 60 * 1000;
    const at = (minutes: number): string => new Date(base + minutes * 60_000).toISOString();
    const message = (runId: string, minutes: number, kind: string, outcome: string, extra: Record<string, unknown> = {}) => ({
      id: randomUUID(),
      runId,
      deploymentId: deployment,
      time: at(minutes),
      kind,
      outcome,
      ...extra,
    });
    const step = (index: number, name: string) => ({ index, name, group: 'Install', path: `Install / ${name}`, type: 'SMS_TaskSequence_RunCommandLineAction' });

    beforeAll(async () => {
      const collection = await addCollection(api.site, 'Monitored', [{ name: 'MON-A' }, { name: 'MON-B' }, { name: 'MON-C' }]);
      const r = await api.call('POST', '/api/v1/deployments', {
        body: { taskSequenceId: ts, collectionId: collection, purpose: 'required', availability: 'media-pxe', schedules: ['asap'] },
      });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      deployment = r.json.deployment.id;
      for (const n of ['MON-A', 'MON-B', 'MON-C'])
        ids[n] = Number((await api.site.db.query<{ resource_id: string }>('SELECT resource_id FROM devices WHERE name = $1', [n])).rows[0]!.resource_id);
      const a = randomUUID();
      const b1 = randomUUID();
      const b2 = randomUUID();
      await storeStatusBatch(api.site.db, { resourceId: ids['MON-A']! }, {
        messages: [
          message(a, 10, 'run', 'started'),
          message(a, 11, 'run', 'downloaded', { bytes: 50 * 1024 * 1024, seconds: 55 }),
          message(a, 12, 'step', 'started', { step: step(1, 'First') }),
          message(a, 14, 'step', 'succeeded', { step: step(1, 'First'), exitCode: 0 }),
          message(a, 15, 'step', 'started', { step: step(2, 'Setup') }),
          message(a, 16, 'step', 'restart-requested', { step: step(2, 'Setup') }),
          message(a, 20, 'step', 'started', { step: step(2, 'Setup') }),
          message(a, 25, 'step', 'succeeded', { step: step(2, 'Setup'), exitCode: 0 }),
          message(a, 30, 'run', 'succeeded'),
        ],
      } as never);
      await storeStatusBatch(api.site.db, { resourceId: ids['MON-B']! }, {
        messages: [message(b1, 20, 'run', 'started'), message(b1, 40, 'run', 'failed', { exitCode: 1 })],
      } as never);
      await storeStatusBatch(api.site.db, { resourceId: ids['MON-B']! }, { messages: [message(b2, 50, 'run', 'started')] } as never);
      (ids as Record<string, unknown>).runA = a;
    });

    it("gives a deployment's counts per category at the end of each bucket", async () => {
      const r = await api.call('GET', `/api/v1/deployments/${deployment}/status/history?bucket=10m&from=${at(0)}&to=${at(60)}`);
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect(r.json.bucketSeconds).toBe(600);
      const rows = r.json.points.map((p: Record<string, number>) => [p.success, p['in-progress'], p.error, p.unknown, p.total]);
      expect(rows).toEqual([
        [0, 0, 0, 3, 3],
        [0, 1, 0, 2, 3],
        [0, 2, 0, 1, 3],
        [1, 1, 0, 1, 3],
        [1, 0, 1, 1, 3],
        [1, 1, 0, 1, 3],
        [1, 1, 0, 1, 3],
      ]);
      expect(r.json.points[0].at).toBe(at(0));
      // The last point agrees with the status now.
      const now = await api.call('GET', `/api/v1/deployments/${deployment}/status`);
      const last = (await api.call('GET', `/api/v1/deployments/${deployment}/status/history`)).json.points.at(-1);
      for (const c of ['success', 'in-progress', 'error', 'requirements-not-met', 'unknown', 'total']) expect(last[c], c).toBe(now.json.counts[c]);
    });

    it("draws a device's run as a timeline: bars, the restart and its gap, the download before the steps", async () => {
      const runA = (ids as Record<string, unknown>).runA as string;
      const r = await api.call('GET', `/api/v1/devices/${ids['MON-A']}/runs/${runA}/timeline`);
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect(r.json).toMatchObject({ result: 'succeeded', startedAt: at(10), endedAt: at(30), failedAt: null });
      const bars = r.json.bars.map((b: { name: string; outcome: string; durationSeconds: number | null }) => [b.name, b.outcome, b.durationSeconds]);
      expect(bars).toEqual([
        ['First', 'succeeded', 120],
        ['Setup', 'restart-requested', 60],
        ['Setup', 'succeeded', 300],
      ]);
      expect(r.json.restarts).toEqual([{ at: at(16), path: 'Install / Setup', name: 'Setup', backAt: at(20), downSeconds: 240 }]);
      expect(r.json.downloads).toEqual([
        expect.objectContaining({ reportedAt: at(11), bytes: 50 * 1024 * 1024, seconds: 55, when: 'before-steps', endedAt: at(11) }),
      ]);
      expect(r.json.downloads[0].startedAt).toBe(new Date(base + 11 * 60_000 - 55_000).toISOString());
      expect((await api.call('GET', `/api/v1/devices/${ids['MON-B']}/runs/${runA}/timeline`)).status).toBe(404);
    });

    it("gives every deployment's counts at once, the same as each deployment's status", async () => {
      const all = await api.call('GET', '/api/v1/deployment-status');
      expect(all.status, JSON.stringify(all.json)).toBe(200);
      const mine = all.json.find((d: { deploymentId: string }) => d.deploymentId === deployment);
      const one = await api.call('GET', `/api/v1/deployments/${deployment}/status?limit=0`);
      expect(mine.counts).toEqual(one.json.counts);
      expect(mine.counts).toMatchObject({ success: 1, 'in-progress': 1, unknown: 1, total: 3 });
      const filtered = await api.call('GET', `/api/v1/deployment-status?taskSequenceId=${ts}`);
      expect(filtered.json.map((d: { deploymentId: string }) => d.deploymentId)).toContain(deployment);
      expect((await api.call('GET', '/api/v1/deployment-status?collectionId=NONE0000')).json).toEqual([]);
    });

    it('refuses too many buckets, a bad bucket and an empty span, naming the field', async () => {
      const many = await api.call('GET', `/api/v1/deployments/${deployment}/status/history?bucket=1s&from=${at(0)}&to=${at(60)}`);
      expect(many.status).toBe(400);
      expect(many.json.input).toBe('query.bucket');
      expect(many.json.rule).toContain('at most 1000');
      expect((await api.call('GET', `/api/v1/deployments/${deployment}/status/history?bucket=soon`)).json.input).toBe('query.bucket');
      expect((await api.call('GET', `/api/v1/deployments/${deployment}/status/history?from=${at(60)}&to=${at(0)}`)).json.input).toBe('query.to');
    });
  });

  describe('task sequence folders', () => {
    it('moves a task sequence into a folder, lists the folder tree and the task sequences of one folder', async () => {
      expect((await api.call('GET', `/api/v1/task-sequences/${ts}`)).json.folder).toBe('');
      const moved = await api.call('PATCH', `/api/v1/task-sequences/${ts}`, { body: { folder: ' Windows 11 / Pilot/ ' } });
      expect(moved.status, JSON.stringify(moved.json)).toBe(200);
      expect(moved.json.folder).toBe('Windows 11/Pilot');
      expect((await api.call('GET', '/api/v1/task-sequence-folders')).json).toEqual([
        { path: 'Windows 11', name: 'Windows 11', parent: '', taskSequenceCount: 0, totalCount: 1 },
        { path: 'Windows 11/Pilot', name: 'Pilot', parent: 'Windows 11', taskSequenceCount: 1, totalCount: 1 },
      ]);
      const inPilot = await api.call('GET', `/api/v1/task-sequences?folder=${encodeURIComponent('windows 11/pilot')}`);
      expect(inPilot.json.map((t: { id: string }) => t.id)).toEqual([ts]);
      expect((await api.call('GET', '/api/v1/task-sequences?folder=')).json).toEqual([]);
      const audit = await api.call('GET', `/api/v1/audit?objectType=task-sequence&objectId=${ts}&limit=1`);
      expect(audit.json[0].details.changed).toEqual({ folder: 'Windows 11/Pilot' });
      for (const bad of ['a//b', 'a\\b', 'x'.repeat(101), Array.from({ length: 11 }, () => 'f').join('/'), 'bad\u0007name']) {
        const r = await api.call('PATCH', `/api/v1/task-sequences/${ts}`, { body: { folder: bad } });
        expect.soft(r.status, bad).toBe(400);
        expect.soft(r.json.input, bad).toBe('body.folder');
      }
      expect((await api.call('PATCH', `/api/v1/task-sequences/${ts}`, { token: api.tokens['read-only-analyst'], body: { folder: '' } })).status).toBe(403);
      expect((await api.call('PATCH', `/api/v1/task-sequences/${ts}`, { body: { folder: '' } })).json.folder).toBe('');
      expect((await api.call('GET', '/api/v1/task-sequence-folders')).json).toEqual([]);
    });
    it('creates a task sequence in the selected folder: the wizard and an import', async () => {
      const w = await api.call('POST', '/api/v1/task-sequences/wizard/install-image?folder=Lab%2FWizard', { body: wizardAnswers(o, 'In a folder') });
      expect(w.status, JSON.stringify(w.json)).toBe(201);
      expect(w.json.taskSequence.folder).toBe('Lab/Wizard');
      const doc = (await api.call('GET', `/api/v1/task-sequences/${ts}`)).json.sequence;
      const i = await api.call('POST', '/api/v1/task-sequences', {
        body: { name: 'Imported in a folder', format: 'json', content: JSON.stringify(doc), folder: 'Lab' },
      });
      expect(i.status, JSON.stringify(i.json)).toBe(201);
      expect(i.json.taskSequence.folder).toBe('Lab');
      expect((await api.call('GET', '/api/v1/task-sequence-folders')).json.map((f: { path: string; totalCount: number }) => [f.path, f.totalCount])).toEqual([
        ['Lab', 2],
        ['Lab/Wizard', 1],
      ]);
      const bad = await api.call('POST', '/api/v1/task-sequences/wizard/install-image?folder=a%2F%2Fb', { body: wizardAnswers(o, 'Not made') });
      expect(bad.status).toBe(400);
      expect(bad.json.input).toBe('query.folder');
      for (const id of [w.json.taskSequence.id, i.json.taskSequence.id]) expect((await api.call('DELETE', `/api/v1/task-sequences/${id}`)).status).toBe(200);
    });
  });

  describe('simulation', () => {
    it('lists the example machine profiles with their firmware and architecture', async () => {
      const r = await api.call('GET', '/api/v1/machine-profiles');
      expect(r.status).toBe(200);
      const bios = r.json.find((p: { id: string }) => p.id === 'bios-x64-desktop-bare-metal');
      expect(bios).toMatchObject({ firmware: 'bios', architecture: 'x64', operatingSystem: null });
      expect(r.json.find((p: { id: string }) => p.id === 'win10-x64-refresh').operatingSystem).toMatch(/Windows 10/);
    });

    it('simulates the current revision on a BIOS profile: the UEFI partition step is skipped with the condition that was false', async () => {
      const r = await api.call('POST', `/api/v1/task-sequences/${ts}/simulate`, { body: { profile: 'bios-x64-desktop-bare-metal' } });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect(r.json).toMatchObject({ taskSequenceId: ts, revision: 1, startedIn: 'WinPE', machine: { source: 'profile', firmware: 'bios' } });
      const uefi = r.json.steps.find((s: { name: string }) => /UEFI/.test(s.name));
      const bios = r.json.steps.find((s: { name: string }) => /BIOS/.test(s.name));
      expect(uefi).toMatchObject({ kind: 'step', outcome: 'skipped' });
      expect(uefi.reason).toMatch(/_SMSTSBootUEFI/);
      expect(bios).toMatchObject({ outcome: 'run', predicted: true, reason: null });
      expect(r.json.counts.skipped).toBeGreaterThan(0);
      expect(r.json.steps.every((s: { index: number }, i: number) => s.index === i)).toBe(true);
      expectNoSecret(r.body, 'the simulation');
      // On UEFI, the other way round.
      const u = await api.call('POST', `/api/v1/task-sequences/${ts}/simulate`, { body: { profile: 'uefi-x64-laptop-bare-metal', revision: 1 } });
      expect(u.json.steps.find((s: { name: string }) => /UEFI/.test(s.name)).outcome).toBe('run');
      expect(u.json.steps.find((s: { name: string }) => /BIOS/.test(s.name)).outcome).toBe('skipped');
    });

    it('simulates an unsaved sequence (the JSON document), and a forced failure leaves the rest not reached', async () => {
      const doc = (await api.call('GET', `/api/v1/task-sequences/${ts}`)).json.sequence;
      const apply = (await api.call('POST', `/api/v1/task-sequences/${ts}/simulate`, { body: { profile: 'bios-x64-desktop-bare-metal' } })).json.steps.find(
        (s: { type: string | null }) => s.type === 'SMS_TaskSequence_ApplyOperatingSystemAction',
      );
      const r = await api.call('POST', '/api/v1/task-sequences/simulate', {
        body: { sequence: doc, profile: 'bios-x64-desktop-bare-metal', fail: [{ step: apply.path, exitCode: 0x80070002 }] },
      });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect(r.json).toMatchObject({ taskSequenceId: null, revision: null, result: 'failure', exitCodeHex: '0x80070002', failedAt: apply.path });
      expect(r.json.steps.find((s: { path: string }) => s.path === apply.path)).toMatchObject({ outcome: 'failed', exitCodeHex: '0x80070002' });
      expect(r.json.counts['not-reached']).toBeGreaterThan(0);
    });

    it('simulates a device with its firmware, refusing one whose firmware the site does not know unless told', async () => {
      const unknown = await api.call('POST', `/api/v1/task-sequences/${ts}/simulate`, { body: { resourceId: device } });
      expect(unknown.status).toBe(400);
      expect(unknown.json.input).toBe('body.firmware');
      await api.site.db.query("UPDATE devices SET firmware = 'uefi', architecture = 'x64' WHERE resource_id = $1", [device]);
      await api.call('PUT', `/api/v1/devices/${device}/variables/OSDSecretThing`, { body: { value: 'Very-Secret-Value-1', masked: true } });
      const r = await api.call('POST', `/api/v1/task-sequences/${ts}/simulate`, { body: { resourceId: device } });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect(r.json.machine).toMatchObject({ source: 'device', name: 'LAB01', resourceId: device, firmware: 'uefi', architecture: 'x64' });
      expect(r.json.steps.find((s: { name: string }) => /BIOS/.test(s.name)).outcome).toBe('skipped');
      expectNoSecret(r.body, 'a device simulation', ['Very-Secret-Value-1']);
      // Told otherwise, it is simulated as told, and says so.
      const told = await api.call('POST', `/api/v1/task-sequences/${ts}/simulate`, { body: { resourceId: device, firmware: 'bios' } });
      expect(told.json.steps.find((s: { name: string }) => /UEFI/.test(s.name)).outcome).toBe('skipped');
      expect(told.json.machine.notes.join(' ')).toMatch(/firmware bios as asked/);
    });

    it('refuses what it cannot run before any work, naming the field', async () => {
      const cases: [unknown, string][] = [
        [{}, 'body.profile'],
        [{ profile: 'bios-x64-desktop-bare-metal', resourceId: device }, 'body.profile'],
        [{ profile: 'no-such-machine' }, 'body.profile'],
        [{ profile: 'bios-x64-desktop-bare-metal', firmware: 'uefi' }, 'body.firmware'],
        [{ profile: 'bios-x64-desktop-bare-metal', variables: Array.from({ length: 501 }, (_, i) => ({ name: `V${i}`, value: '' })) }, 'body.variables'],
        [{ profile: 'bios-x64-desktop-bare-metal', fail: [{ step: 'No Such Step', exitCode: 1 }] }, 'body.fail'],
        [{ profile: 'bios-x64-desktop-bare-metal', revision: 9 }, '9'],
      ];
      for (const [body, input] of cases) {
        const r = await api.call('POST', `/api/v1/task-sequences/${ts}/simulate`, { body });
        expect.soft(r.status, JSON.stringify(body).slice(0, 80)).toBeGreaterThanOrEqual(400);
        expect.soft(r.status).toBeLessThan(500);
        expect.soft(JSON.stringify(r.json), JSON.stringify(body).slice(0, 80)).toContain(input);
      }
      const big = await api.call('POST', '/api/v1/task-sequences/simulate', {
        body: { profile: 'bios-x64-desktop-bare-metal', sequence: { schema: 'openosd.task-sequence/v1', pad: 'x'.repeat(5 * 1024 * 1024) } },
      });
      expect(big.status).toBe(413);
      expect(big.json.input).toBe('body.sequence');
      const bad = await api.call('POST', '/api/v1/task-sequences/simulate', { body: { profile: 'bios-x64-desktop-bare-metal', sequence: { steps: 'no' } } });
      expect(bad.status).toBe(400);
      expect(bad.json.input).toMatch(/^body\.sequence/);
    });

    it('keeps to its budget: a 2,000-step sequence simulates while the server answers; past a budget it stops with 422', async () => {
      const step = (i: number) => ({
        kind: 'step',
        type: 'SMS_TaskSequence_SetVariableAction',
        name: `Set ${i}`,
        description: '',
        action: 'tsenv.exe',
        variables: [
          { name: 'VariableName', property: 'VariableName', value: 'Counter' },
          { name: 'VariableValue', property: 'VariableValue', value: String(i) },
        ],
      });
      const groups = Array.from({ length: 10 }, (_, g) => ({
        kind: 'group',
        name: `G${g}`,
        description: '',
        items: Array.from({ length: 200 }, (_, i) => step(g * 1000 + i)),
      }));
      const sequence = { format: 'openosd.task-sequence', formatVersion: 1, sequence: { version: '3.10', items: groups } };
      const pending = api.call('POST', '/api/v1/task-sequences/simulate', { body: { sequence, profile: 'uefi-x64-laptop-bare-metal' } });
      // The server answers other requests meanwhile (the run yields to the event loop).
      const me = await api.call('GET', '/api/v1/me');
      expect(me.status).toBe(200);
      const r = await pending;
      expect(r.status, JSON.stringify(r.json).slice(0, 400)).toBe(200);
      expect(r.json.counts.run).toBe(2000);
      expect(r.json.variables.Counter).toBe('9199');
      expect(r.json.budget.instructions).toBeGreaterThan(2000);
      const byCount = await simulateTaskSequence(api.site, ts, { profile: 'bios-x64-desktop-bare-metal' }, { instructions: 5 }).catch((e: unknown) => e);
      expect(byCount).toMatchObject({ status: 422, input: 'revision current' });
      expect((byCount as Error).message).toMatch(/more than 5 instructions/);
      const byTime = await simulateTaskSequence(api.site, null, { sequence, profile: 'bios-x64-desktop-bare-metal' }, { milliseconds: 1 }).catch(
        (e: unknown) => e,
      );
      expect(byTime).toMatchObject({ status: 422, input: 'body.sequence' });
      expect((byTime as Error).message).toMatch(/ran longer than 0.001 s/);
    });

    it('gives a read-only token the simulation (it changes nothing)', async () => {
      const r = await api.call('POST', `/api/v1/task-sequences/${ts}/simulate`, {
        token: api.tokens['read-only-analyst'],
        body: { profile: 'bios-x86-desktop' },
      });
      expect(r.status).toBe(200);
    });
  });
});

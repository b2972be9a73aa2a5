/**
 * The site takes the agent's status messages as the agent makes them: the wizard's task sequence,
 * as the site deployed it, run by the simulator on a lab machine profile with the agent's status
 * sink (src/agent/status.ts), the run's own messages around it, sent in batches as the outbox
 * does — every message stored, the history's steps one per instruction that ran or was skipped,
 * in ConfigMgr's words. PGlite only: this is about the shape of the messages, which the database
 * does not change (both databases are covered by monitoring.test.ts).
 */
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stepSimulators } from '../../../src/actions/handlers/index.js';
import { runMessage, statusSinkOf } from '../../../src/agent/status.js';
import type { StatusMessage } from '../../../src/agent/protocol.js';
import { loadMachineProfile } from '../../../src/engine/machine-profile/index.js';
import { simulate } from '../../../src/engine/simulate/simulate.js';
import { storeStatusBatch } from '../../../src/site/mp/status.js';
import { bodyToSequence, readRevisionRow } from '../../../src/site/task-sequences/model.js';
import { startTestApi, type TestApi } from '../helpers/site.js';
import { addCollection, addSiteObjects, wizardAnswers } from '../task-sequences/fixtures.js';

const MACHINES = resolve(__dirname, '../../../examples/machines');

describe("the agent's status messages, stored and read back", () => {
  let api: TestApi;
  let deployment: string;
  let taskSequence: string;
  let resourceId: number;

  beforeAll(async () => {
    api = await startTestApi('pglite');
    const o = await addSiteObjects(api.site);
    taskSequence = (await api.call('POST', '/api/v1/task-sequences/wizard/install-image', { body: wizardAnswers(o) })).json.taskSequence.id;
    const lab = await addCollection(api.site, 'Lab', [{ name: 'LAPTOP01' }]);
    const r = await api.call('POST', '/api/v1/deployments', {
      body: { taskSequenceId: taskSequence, collectionId: lab, purpose: 'required', availability: 'media-pxe', schedules: ['asap'] },
    });
    deployment = r.json.deployment.id;
    resourceId = Number((await api.site.db.query<{ resource_id: string }>("SELECT resource_id FROM devices WHERE name = 'LAPTOP01'")).rows[0]!.resource_id);
  });
  afterAll(async () => api?.close());

  it('stores a whole simulated run of the wizard task sequence, and the history tells each instruction', async () => {
    const revision = await readRevisionRow(api.site.db, taskSequence, 1);
    const run = { runId: randomUUID(), deploymentId: deployment };
    const outbox: StatusMessage[] = [runMessage(run, 'started'), runMessage(run, 'downloaded', { bytes: 123_456_789 })];
    const report = await simulate(bodyToSequence(revision.body), {
      profile: loadMachineProfile(join(MACHINES, 'uefi-x64-laptop-bare-metal.json')),
      steps: stepSimulators(),
      status: statusSinkOf((m) => outbox.push(m), run),
    });
    expect(report.result).toBe('success');
    // As the outbox sends them: in order, a few at a time.
    let stored = 0;
    for (let i = 0; i < outbox.length; i += 7) {
      const answer = await storeStatusBatch(api.site.db, { resourceId }, { messages: JSON.parse(JSON.stringify(outbox.slice(i, i + 7))) });
      expect(answer.duplicates).toBe(0);
      stored += answer.stored;
    }
    expect(stored).toBe(outbox.length);

    const history = await api.call('GET', `/api/v1/devices/${resourceId}/runs`);
    expect(history.status).toBe(200);
    const r = history.json.runs[0];
    expect(r).toMatchObject({ runId: run.runId, result: 'succeeded', bytesDownloaded: 123_456_789, messageCount: outbox.length });
    expect(r.lastMessage.messageId).toBe(11143);
    const reached = report.instructions.filter((ins) => ins.outcome !== 'notReached');
    // Every instruction that ran or was skipped has its entries; a step that restarts and completes
    // after the restart (Setup Windows and ConfigMgr) has its run, its restart and its run again.
    expect([...new Set(r.steps.map((s: { index: number }) => s.index))]).toEqual(reached.map((i) => i.index));
    const setup = r.steps.filter((s: { name: string }) => s.name === 'Setup Windows and Configuration Manager');
    expect(setup.map((s: { outcome: string }) => s.outcome)).toEqual(['succeeded', 'restart-requested', 'succeeded']);
    expect(setup[1].messageId).toBe(11142);
    expect(r.restarts).toBe(1);
    // A group's start and completion (11124, 11127) are one entry with both times.
    const groups = r.steps.filter((s: { kind: string }) => s.kind === 'group');
    expect(groups.length).toBeGreaterThan(0);
    for (const g of groups) expect(g, JSON.stringify(g)).toMatchObject({ outcome: 'succeeded', messageId: 11127 });
    expect(groups.every((g: { startedAt: string | null; endedAt: string | null }) => g.startedAt && g.endedAt)).toBe(true);
    expect(groups[0].description).toBe('The task sequence execution engine successfully completed the group (Install Operating System).');
    const steps = r.steps.filter((s: { kind: string }) => s.kind === 'step');
    expect(r.stepCounts.skipped).toBe(steps.filter((s: { outcome: string }) => s.outcome === 'skipped').length);
    for (const s of r.steps) {
      expect(s.description, JSON.stringify(s)).toMatch(
        /^The task sequence execution engine (started|successfully completed|failed executing|skipped|performed a system reboot)/,
      );
    }
    const skipped = steps.find((s: { outcome: string; messageId: number }) => s.outcome === 'skipped' && s.messageId === 11130);
    if (skipped) expect(skipped.description).toContain('because the condition was evaluated to be false');
    const status = await api.call('GET', `/api/v1/deployments/${deployment}/status`);
    expect(status.json.counts).toMatchObject({ success: 1, total: 1 });
  });
});

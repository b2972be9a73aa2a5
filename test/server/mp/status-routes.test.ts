/**
 * The management point's status and log routes over HTTP (docs/management-point.md "Runs and
 * status") on both databases: a batch stored once however often it is sent, a malformed or
 * oversized batch or log refused with a 4xx that names the field and nothing stored, a device
 * writing only its own runs, and what it sent read back through the admin API.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueCredential } from '../../../src/site/mp/credentials.js';
import { MAX_LOG_BYTES } from '../../../src/site/mp/logs.js';
import { SYSTEM_ACTOR } from '../../../src/site/security/roles.js';
import { DB_KINDS, startTestApi, type TestApi } from '../../site/helpers/site.js';
import { addCollection, addSiteObjects, wizardAnswers } from '../../site/task-sequences/fixtures.js';

describe.each(DB_KINDS)('the management point status and log routes on %s', (kind) => {
  let api: TestApi;
  let deployment: string;
  const device: Record<string, { resourceId: number; credential: string }> = {};

  const message = (runId: string, extra: Record<string, unknown> = {}) => ({
    id: randomUUID(),
    runId,
    deploymentId: deployment,
    time: new Date().toISOString(),
    kind: 'run',
    outcome: 'started',
    messageId: 11140,
    step: null,
    ...extra,
  });
  const send = (name: string, messages: unknown[]) => api.call('POST', '/mp/v1/status', { token: device[name]!.credential, body: { messages } });
  const upload = (name: string, runId: string, log: string, payload: string | Buffer = 'log line\n') =>
    api.call('PUT', `/mp/v1/runs/${runId}/logs/${log}`, { token: device[name]!.credential, headers: { 'content-type': 'text/plain; charset=utf-8' }, payload });
  const messageCount = async () => Number((await api.site.db.query<{ n: string }>('SELECT count(*) AS n FROM status_messages')).rows[0]!.n);

  beforeAll(async () => {
    api = await startTestApi(kind);
    const o = await addSiteObjects(api.site);
    const ts = (await api.call('POST', '/api/v1/task-sequences/wizard/install-image', { body: wizardAnswers(o) })).json.taskSequence.id;
    const lab = await addCollection(api.site, 'Lab', [{ name: 'PC01' }, { name: 'PC02' }]);
    const r = await api.call('POST', '/api/v1/deployments', {
      body: { taskSequenceId: ts, collectionId: lab, purpose: 'required', availability: 'media-pxe', schedules: ['asap'] },
    });
    deployment = r.json.deployment.id;
    const { rows } = await api.site.db.query<{ name: string; resource_id: string }>("SELECT name, resource_id FROM devices WHERE name LIKE 'PC0%'");
    for (const row of rows) {
      const resourceId = Number(row.resource_id);
      device[row.name] = { resourceId, credential: (await issueCredential(api.site.db, SYSTEM_ACTOR, resourceId, { replaceOthers: true })).credential };
    }
  });
  afterAll(async () => api?.close());

  it('stores a batch once and answers what it stored; the agent’s shape (null message ids, null group) is taken', async () => {
    const runId = randomUUID();
    const batch = [
      message(runId),
      message(runId, {
        kind: 'step',
        outcome: 'started',
        messageId: null,
        step: { index: 0, name: 'Partition', group: null, path: 'Partition', type: null },
      }),
      message(runId, { kind: 'run', outcome: 'downloaded', messageId: null, bytes: 1000, seconds: 0.5 }),
    ];
    const first = await send('PC01', batch);
    expect(first.status, first.body).toBe(200);
    expect(first.json).toEqual({ stored: 3, duplicates: 0 });
    expect((await send('PC01', batch)).json).toEqual({ stored: 0, duplicates: 3 });
    const history = await api.call('GET', `/api/v1/devices/${device.PC01!.resourceId}/runs`);
    expect(history.json.runs[0]).toMatchObject({ runId, result: 'in-progress', bytesDownloaded: 1000, messageCount: 3 });
  });

  it('refuses malformed and oversized batches with a 4xx naming the field, storing nothing', async () => {
    const before = await messageCount();
    const runId = randomUUID();
    const tooMany = await send(
      'PC01',
      Array.from({ length: 501 }, () => message(runId)),
    );
    expect(tooMany.status).toBe(400);
    expect(tooMany.json.input).toBe('body.messages');

    // Over 1 MiB: refused before it is read.
    const big = Array.from({ length: 20 }, () =>
      message(runId, {
        kind: 'step',
        outcome: 'succeeded',
        exitCode: 0,
        actionOutput: 'x'.repeat(60 * 1024),
        step: { index: 1, name: 'S', group: '', path: 'S', type: '' },
      }),
    );
    const huge = await send('PC01', big);
    expect(huge.status).toBe(413);

    const badOutcome = await send('PC01', [message(runId), message(runId, { outcome: 'exploded' })]);
    expect(badOutcome.status).toBe(400);
    expect(badOutcome.json.input).toBe('body.messages.1.outcome');

    const unknown = await send('PC01', [message(runId), message(runId, { deploymentId: 'PS1FFFFF' })]);
    expect(unknown.status).toBe(400);
    expect(unknown.json.input).toBe('body.messages[1].deploymentId');

    const notJson = await api.call('POST', '/mp/v1/status', {
      token: device.PC01!.credential,
      headers: { 'content-type': 'application/json' },
      payload: '{"messages": [',
    });
    expect(notJson.status).toBe(400);
    expect(await messageCount()).toBe(before);
  });

  it('lets a device write only its own runs, and only with its credential', async () => {
    const runId = randomUUID();
    expect((await send('PC01', [message(runId)])).status).toBe(200);
    const other = await send('PC02', [message(runId, { outcome: 'succeeded', messageId: 11143 })]);
    expect(other.status).toBe(404);
    expect(other.json.input).toBe('body.messages[0].runId');
    expect((await upload('PC02', runId, 'smsts.log')).status).toBe(404);
    const admin = await api.call('POST', '/mp/v1/status', { body: { messages: [message(runId)] } });
    expect(admin.status).toBe(401);
    // A device credential cannot read the admin API's monitoring.
    const read = await api.call('GET', `/api/v1/devices/${device.PC01!.resourceId}/runs`, { token: device.PC01!.credential });
    expect(read.status).toBe(401);
  });

  it('takes logs as text within their limits; the same name replaces the log', async () => {
    const runId = randomUUID();
    await send('PC02', [message(runId), message(runId, { outcome: 'failed', messageId: 11141, exitCode: -2147467259 })]);
    const first = await upload('PC02', runId, 'smsts.log', '<![LOG[one]LOG]!>\n');
    expect(first.status, first.body).toBe(201);
    expect(first.json).toMatchObject({ name: 'smsts.log', size: 18, replaced: false });
    const again = await upload('PC02', runId, 'smsts.log', '<![LOG[one]LOG]!>\n<![LOG[two]LOG]!>\n');
    expect(again.status).toBe(200);
    expect(again.json.replaced).toBe(true);
    expect((await upload('PC02', runId, 'smsts-20261207-081500.log')).status).toBe(201);

    const badName = await upload('PC02', runId, 'notes.txt');
    expect(badName.status).toBe(400);
    expect(badName.json.input).toBe('params.name');
    const badRun = await upload('PC02', 'not-a-uuid', 'smsts.log');
    expect(badRun.status).toBe(400);
    expect(badRun.json.input).toBe('params.runId');
    const tooBig = await upload('PC02', runId, 'smsts.log', Buffer.alloc(MAX_LOG_BYTES + 1, 0x61));
    expect(tooBig.status).toBe(413);

    const text = await api.call('GET', `/api/v1/devices/${device.PC02!.resourceId}/runs/${runId}/logs/smsts.log`);
    expect(text.body).toBe('<![LOG[one]LOG]!>\n<![LOG[two]LOG]!>\n');
    const status = await api.call('GET', `/api/v1/deployments/${deployment}/status`);
    expect(status.json.counts).toMatchObject({ error: 1, 'in-progress': 1, total: 2 });
  });
});

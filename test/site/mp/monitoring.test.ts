/**
 * Runs, status messages, logs and monitoring (issue 12, docs/management-point.md "Runs and status",
 * "Monitoring") on both databases: a batch stored once however often it is sent, refused whole when
 * any message breaks a rule, a run's result from its messages, logs within their limits, the
 * deployment's status in the console's categories, a device's history in ConfigMgr's words, and a
 * duration estimate.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeStatusBatch, MAX_STATUS_MESSAGES } from '../../../src/site/mp/status.js';
import { MAX_LOG_BYTES, storeRunLog } from '../../../src/site/mp/logs.js';
import { DEFAULT_THROUGHPUT_BYTES_PER_SECOND } from '../../../src/site/mp/estimate.js';
import { ALL_UNKNOWN_COMPUTERS } from '../../../src/site/seed.js';
import { DB_KINDS, startTestApi, type TestApi } from '../helpers/site.js';
import { addCollection, addSiteObjects, type SiteObjects, wizardAnswers } from '../task-sequences/fixtures.js';

type Message = Record<string, unknown>;

/** The messages of a run as the agent sends them. */
class RunReport {
  readonly runId = randomUUID();
  private clock = Date.now() - 60 * 60 * 1000;
  constructor(readonly deploymentId: string) {}

  message(kind: string, outcome: string, extra: Message = {}): Message {
    this.clock += 1000;
    return { id: randomUUID(), runId: this.runId, deploymentId: this.deploymentId, time: new Date(this.clock).toISOString(), kind, outcome, ...extra };
  }

  step(index: number, name: string, outcome: string, extra: Message = {}, group = 'Install Operating System'): Message {
    return this.message('step', outcome, {
      step: { index, name, group, path: `${group} / ${name}`, type: 'SMS_TaskSequence_RunCommandLineAction' },
      ...extra,
    });
  }
}

describe.each(DB_KINDS)('runs, status and monitoring on %s', (kind) => {
  let api: TestApi;
  let o: SiteObjects;
  let deployment: string;
  let otherDeployment: string;
  let ts: string;
  const device: Record<string, number> = {};

  const countRows = async (table: string): Promise<number> => Number((await api.site.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
  const store = (name: string, messages: Message[]) => storeStatusBatch(api.site.db, { resourceId: device[name]! }, { messages });
  const refusal = async (p: Promise<unknown>): Promise<{ status: number; input?: string; rule: string }> => {
    const e = (await p.then(
      () => undefined,
      (x: unknown) => x,
    )) as { status: number; input?: string; rule: string } | undefined;
    expect(e, 'refused').toBeDefined();
    return e!;
  };

  beforeAll(async () => {
    api = await startTestApi(kind);
    o = await addSiteObjects(api.site);
    ts = (await api.call('POST', '/api/v1/task-sequences/wizard/install-image', { body: wizardAnswers(o) })).json.taskSequence.id as string;
    const lab = await addCollection(
      api.site,
      'Lab',
      ['LAB01', 'LAB02', 'LAB03', 'LAB04', 'LAB05'].map((name) => ({ name })),
    );
    const other = await addCollection(api.site, 'Other', [{ name: 'OTHER01' }]);
    const deploy = async (collectionId: string): Promise<string> => {
      const r = await api.call('POST', '/api/v1/deployments', {
        body: { taskSequenceId: ts, collectionId, purpose: 'required', availability: 'media-pxe', schedules: ['asap'] },
      });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      return r.json.deployment.id;
    };
    deployment = await deploy(lab);
    otherDeployment = await deploy(other);
    const { rows } = await api.site.db.query<{ name: string; resource_id: string }>('SELECT name, resource_id FROM devices');
    for (const r of rows) device[r.name] = Number(r.resource_id);
  });
  afterAll(async () => api?.close());

  it('stores a batch once: the same batch again is counted as duplicates, not stored twice', async () => {
    const run = new RunReport(deployment);
    const batch = [run.message('run', 'started'), run.step(1, 'Partition', 'started'), run.step(1, 'Partition', 'succeeded', { exitCode: 0 })];
    expect(await store('LAB05', batch)).toEqual({ stored: 3, duplicates: 0 });
    expect(await store('LAB05', batch)).toEqual({ stored: 0, duplicates: 3 });
    // A repeat inside one batch, and a batch that mixes old and new messages.
    const next = run.step(2, 'Apply', 'started');
    expect(await store('LAB05', [batch[0]!, next, next])).toEqual({ stored: 1, duplicates: 2 });
    const r = await api.site.db.query<{ message_count: number; result: string }>('SELECT message_count, result FROM runs WHERE run_id = $1', [run.runId]);
    expect(r.rows[0]).toEqual({ message_count: 4, result: 'in-progress' });
    expect(Number((await api.site.db.query<{ n: string }>('SELECT count(*) AS n FROM status_messages WHERE run_id = $1', [run.runId])).rows[0]!.n)).toBe(4);
    await api.site.db.query('DELETE FROM runs WHERE run_id = $1', [run.runId]);
  });

  it('stores a batch sent twice at once (a retry while the first is still being stored) once', async () => {
    const run = new RunReport(deployment);
    const batch = [run.message('run', 'started'), run.step(1, 'Partition', 'started'), run.step(1, 'Partition', 'succeeded', { exitCode: 0 })];
    const answers = await Promise.all([store('LAB05', batch), store('LAB05', batch), store('LAB05', batch)]);
    expect(answers.reduce((n, a) => n + a.stored, 0)).toBe(3);
    expect(answers.reduce((n, a) => n + a.duplicates, 0)).toBe(6);
    const r = await api.site.db.query<{ message_count: number }>('SELECT message_count FROM runs WHERE run_id = $1', [run.runId]);
    expect(r.rows[0]!.message_count).toBe(3);
    await api.site.db.query('DELETE FROM runs WHERE run_id = $1', [run.runId]);
  });

  it('refuses a whole batch when any message breaks a rule, storing nothing', async () => {
    const before = [await countRows('status_messages'), await countRows('runs')];
    const run = new RunReport(deployment);
    const good = () => run.step(1, 'Partition', 'succeeded', { exitCode: 0 });

    const many = Array.from({ length: MAX_STATUS_MESSAGES + 1 }, good);
    const tooMany = await refusal(store('LAB01', many));
    expect(tooMany).toMatchObject({ status: 400, input: 'body.messages' });
    expect(tooMany.rule).toContain('at most 500');

    const badOutcome = await refusal(store('LAB01', [good(), run.message('run', 'exploded')]));
    expect(badOutcome).toMatchObject({ status: 400, input: 'body.messages.1.outcome' });
    const wrongPair = await refusal(
      store('LAB01', [good(), run.message('group', 'restart-requested', { step: { index: 1, name: 'G', group: '', path: 'G', type: '' } })]),
    );
    expect(wrongPair).toMatchObject({ status: 400, input: 'body.messages[1].outcome' });

    const unknown = await refusal(store('LAB01', [good(), good(), { ...good(), deploymentId: 'PS1FFFFF' }]));
    expect(unknown).toMatchObject({ status: 400, input: 'body.messages[2].deploymentId' });
    expect(unknown.rule).toContain('no deployment PS1FFFFF');

    const notTargeted = await refusal(store('LAB01', [good(), { ...good(), deploymentId: otherDeployment }]));
    expect(notTargeted).toMatchObject({ status: 400, input: 'body.messages[1].deploymentId' });
    expect(notTargeted.rule).toContain('does not target this device');

    const output = await refusal(store('LAB01', [good(), run.step(2, 'Script', 'failed', { exitCode: 1, actionOutput: 'x'.repeat(64 * 1024 + 1) })]));
    expect(output).toMatchObject({ status: 413, input: 'body.messages[1].actionOutput' });
    const future = await refusal(store('LAB01', [{ ...good(), time: new Date(Date.now() + 3 * 86_400_000).toISOString() }]));
    expect(future).toMatchObject({ status: 400, input: 'body.messages[0].time' });

    expect([await countRows('status_messages'), await countRows('runs')]).toEqual(before);
  });

  it('answers a run of another device as no run (404), storing nothing of the batch', async () => {
    const run = new RunReport(deployment);
    await store('LAB04', [run.message('run', 'started')]);
    const before = await countRows('status_messages');
    const e = await refusal(store('LAB03', [new RunReport(deployment).message('run', 'started'), run.step(1, 'Partition', 'started')]));
    expect(e).toMatchObject({ status: 404, input: 'body.messages[1].runId' });
    expect(await countRows('status_messages')).toBe(before);
    const log = await refusal(storeRunLog(api.site.db, { resourceId: device.LAB03! }, run.runId, 'smsts.log', 'not mine'));
    expect(log).toMatchObject({ status: 404, input: 'params.runId' });
    const read = await api.call('GET', `/api/v1/devices/${device.LAB03}/runs/${run.runId}`);
    expect(read.status).toBe(404);
    await api.site.db.query('DELETE FROM runs WHERE run_id = $1', [run.runId]);
  });

  it("keeps a run's result, times, download and restarts from its messages, in any order of arrival", async () => {
    const run = new RunReport(deployment);
    const started = run.message('run', 'started');
    const downloaded = run.message('run', 'downloaded', { bytes: 50_000_000, seconds: 4 });
    const restart = run.step(3, 'Setup Windows and ConfigMgr', 'restart-requested', { messageId: 11142 });
    const ended = run.message('run', 'succeeded');
    // The end first (an outbox sends what it has), then the rest.
    await store('LAB01', [ended]);
    await store('LAB01', [started, downloaded, restart]);
    const { rows } = await api.site.db.query<Record<string, unknown>>(
      'SELECT result, started_at, ended_at, bytes_downloaded, download_seconds, restarts, last_message_id FROM runs WHERE run_id = $1',
      [run.runId],
    );
    expect(rows[0]).toMatchObject({ result: 'succeeded', restarts: 1, download_seconds: 4, last_message_id: 11143 });
    expect(Number(rows[0]!.bytes_downloaded)).toBe(50_000_000);
    expect((rows[0]!.started_at as Date).toISOString()).toBe(started.time);
    expect((rows[0]!.ended_at as Date).toISOString()).toBe(ended.time);
  });

  it('takes a download report without seconds as lasting from the start of its run', async () => {
    const run = new RunReport(deployment);
    const started = run.message('run', 'started');
    const downloaded = run.message('run', 'downloaded', { bytes: 1000 }); // one second later
    await store('LAB02', [started]);
    await store('LAB02', [downloaded]);
    const { rows } = await api.site.db.query<{ download_seconds: number }>('SELECT download_seconds FROM runs WHERE run_id = $1', [run.runId]);
    expect(rows[0]!.download_seconds).toBe(1);
    await api.site.db.query('DELETE FROM runs WHERE run_id = $1', [run.runId]);
  });

  it('keeps logs within their limits; the same name replaces the stored log', async () => {
    const run = new RunReport(deployment);
    await store('LAB03', [run.message('run', 'started'), run.message('run', 'failed', { exitCode: -2147467259 })]);
    const dev = { resourceId: device.LAB03! };
    const first = await storeRunLog(api.site.db, dev, run.runId, 'smsts.log', '<![LOG[first]LOG]!>\n');
    expect(first).toMatchObject({ name: 'smsts.log', size: 20, replaced: false });
    const second = await storeRunLog(api.site.db, dev, run.runId, 'smsts.log', '<![LOG[first]LOG]!>\n<![LOG[second]LOG]!>\n');
    expect(second.replaced).toBe(true);
    const logs = await api.call('GET', `/api/v1/devices/${dev.resourceId}/runs/${run.runId}/logs`);
    expect(logs.json.map((l: { name: string }) => l.name)).toEqual(['smsts.log']);
    const text = await api.call('GET', `/api/v1/devices/${dev.resourceId}/runs/${run.runId}/logs/smsts.log`);
    expect(text.status).toBe(200);
    expect(text.headers['content-type']).toContain('text/plain');
    expect(text.headers['x-content-type-options']).toBe('nosniff');
    expect(text.body).toBe('<![LOG[first]LOG]!>\n<![LOG[second]LOG]!>\n');

    const badName = await refusal(storeRunLog(api.site.db, dev, run.runId, '../etc/passwd', 'x'));
    expect(badName).toMatchObject({ status: 400, input: 'params.name' });
    const big = await refusal(storeRunLog(api.site.db, dev, run.runId, 'smsts-20261207-080000.log', Buffer.alloc(MAX_LOG_BYTES + 1, 0x61)));
    expect(big).toMatchObject({ status: 413, input: 'body' });
    // 64 MiB per run: three more full parts fit beside smsts.log only while the total stays within it.
    const full = Buffer.alloc(MAX_LOG_BYTES, 0x61);
    for (const n of [1, 2, 3]) await storeRunLog(api.site.db, dev, run.runId, `smsts-20261207-08000${n}.log`, full);
    const over = await refusal(storeRunLog(api.site.db, dev, run.runId, 'smsts-20261207-080004.log', full));
    expect(over).toMatchObject({ status: 413 });
    expect(over.rule).toContain('64 MiB');
    // Replacing a part by one of the same size stays within it.
    await storeRunLog(api.site.db, dev, run.runId, 'smsts-20261207-080003.log', full);
    const names = (await api.call('GET', `/api/v1/devices/${dev.resourceId}/runs/${run.runId}/logs`)).json.map((l: { name: string }) => l.name);
    expect(names).toEqual(['smsts.log', 'smsts-20261207-080003.log', 'smsts-20261207-080002.log', 'smsts-20261207-080001.log']);
    await api.site.db.query("DELETE FROM run_logs WHERE run_id = $1 AND name <> 'smsts.log'", [run.runId]);
  });

  it("shows a deployment's status in the console's categories, Unknown for members with no run", async () => {
    // LAB01 succeeded and LAB03 failed (above); LAB02 in progress; LAB04 refused; LAB05 never ran.
    const inProgress = new RunReport(deployment);
    await store('LAB02', [inProgress.message('run', 'started'), inProgress.step(4, 'Apply Operating System', 'started')]);
    const refused = new RunReport(deployment);
    await store('LAB04', [refused.message('run', 'refused', { reason: 'This computer runs x86 programs only; the boot image is x64.' })]);

    const r = await api.call('GET', `/api/v1/deployments/${deployment}/status`);
    expect(r.status).toBe(200);
    expect(r.json.counts).toEqual({ success: 1, 'in-progress': 1, error: 1, 'requirements-not-met': 1, unknown: 1, total: 5 });
    const byName = Object.fromEntries(r.json.devices.map((d: { name: string }) => [d.name, d]));
    expect(byName.LAB01).toMatchObject({ category: 'success', result: 'succeeded' });
    expect(byName.LAB01.lastMessage.description).toBe('The task sequence execution engine successfully completed a task sequence.');
    expect(byName.LAB02.lastMessage.description).toBe(
      'The task sequence execution engine started the action (Apply Operating System) in the group (Install Operating System).',
    );
    expect(byName.LAB03).toMatchObject({ category: 'error' });
    expect(byName.LAB03.lastMessage.description).toContain('The error code is 2147500037');
    expect(byName.LAB04.lastMessage.description).toContain('the boot image is x64');
    expect(byName.LAB05).toMatchObject({ category: 'unknown', runId: null, lastMessage: null });

    const errors = await api.call('GET', `/api/v1/deployments/${deployment}/status?category=error`);
    expect(errors.json.devices.map((d: { name: string }) => d.name)).toEqual(['LAB03']);
    expect(errors.json.counts.total).toBe(5);
    expect((await api.call('GET', `/api/v1/deployments/PS1FFFFF/status`)).status).toBe(404);
  });

  it("tells a device's history step by step in ConfigMgr's words", async () => {
    const run = new RunReport(deployment);
    await store('LAB05', [
      run.message('run', 'started'),
      run.step(1, 'Format and Partition Disk', 'started'),
      run.step(1, 'Format and Partition Disk', 'succeeded', { exitCode: 0, actionOutput: 'Created 3 partitions' }),
      run.step(2, 'Apply Driver Package', 'skipped', { reason: 'Condition: Model equals "Surface Pro 7" (it is "OptiPlex 7010")' }),
      run.step(3, 'Disabled Step', 'skipped', { messageId: 11128 }),
      run.step(4, 'Run Script', 'started'),
      run.step(4, 'Run Script', 'failed', { exitCode: -2147467259, actionOutput: 'Access denied' }),
      run.message('run', 'failed', { exitCode: -2147467259 }),
    ]);
    const h = await api.call('GET', `/api/v1/devices/${device.LAB05}/runs`);
    expect(h.status).toBe(200);
    expect(h.json.name).toBe('LAB05');
    const latest = h.json.runs[0];
    expect(latest).toMatchObject({ runId: run.runId, result: 'failed', deploymentId: deployment, stepCounts: { run: 2, skipped: 2, failed: 1 } });
    const [partition, driver, disabled, script] = latest.steps;
    expect(partition).toMatchObject({ outcome: 'succeeded', exitCode: 0, exitCodeHex: '0x00000000' });
    expect(partition.startedAt < partition.endedAt).toBe(true);
    expect(partition.description).toBe(
      'The task sequence execution engine successfully completed the action (Format and Partition Disk) in the group (Install Operating System) with exit code 0.',
    );
    expect(driver.description).toBe(
      'The task sequence execution engine skipped the action (Apply Driver Package) in the group (Install Operating System) because the condition was evaluated to be false. Condition: Model equals "Surface Pro 7" (it is "OptiPlex 7010")',
    );
    expect(driver.messageId).toBe(11130);
    expect(disabled.description).toBe(
      'The task sequence execution engine skipped the disabled action (Disabled Step) in the group (Install Operating System).',
    );
    expect(script).toMatchObject({ outcome: 'failed', exitCode: 2147500037, exitCodeHex: '0x80004005', messageId: 11135 });
    expect(script.description).toBe(
      'The task sequence execution engine failed executing the action (Run Script) in the group (Install Operating System) with the error code 2147500037. Action output: Access denied',
    );

    // One run in full: every message, the action output in its words.
    const one = await api.call('GET', `/api/v1/devices/${device.LAB05}/runs/${run.runId}`);
    expect(one.status).toBe(200);
    expect(one.json.messages).toHaveLength(8);
    expect(one.json.messages[6].description).toContain('with the error code 2147500037. Action output: Access denied');
    expect((await api.call('GET', `/api/v1/devices/${device.LAB05}/runs?limit=1000`)).status).toBe(400);
  });

  it("takes an unknown computer's status for deployments to its unknown-computer object, as its policy has them", async () => {
    const r = await api.call('POST', '/api/v1/deployments', {
      body: { taskSequenceId: ts, collectionId: ALL_UNKNOWN_COMPUTERS, purpose: 'available', availability: 'media-pxe' },
    });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    const unknownDeployment = r.json.deployment.id as string;
    await api.site.db.query(
      "INSERT INTO devices (resource_id, name, unknown, architecture, firmware) VALUES (16799999, 'MININT-ABC1234', true, 'x64', 'uefi')",
    );
    device['MININT-ABC1234'] = 16799999;
    const run = new RunReport(unknownDeployment);
    expect(await store('MININT-ABC1234', [run.message('run', 'started')])).toEqual({ stored: 1, duplicates: 0 });
    const lab = await refusal(store('MININT-ABC1234', [new RunReport(deployment).message('run', 'started')]));
    expect(lab).toMatchObject({ status: 400, input: 'body.messages[0].deploymentId' });
    // The unknown-computer objects never run: the status lists the computer that did.
    const status = (await api.call('GET', `/api/v1/deployments/${unknownDeployment}/status`)).json;
    expect(status.counts).toMatchObject({ 'in-progress': 1, total: 1 });
    expect(status.devices[0]).toMatchObject({ name: 'MININT-ABC1234', category: 'in-progress' });
  });

  it('estimates the duration from content, measured throughput and restarts, saying what it assumed', async () => {
    const fresh = await api.call('GET', `/api/v1/deployments/${otherDeployment}/estimate?resourceId=${device.OTHER01}`);
    expect(fresh.status).toBe(200);
    const e = fresh.json;
    expect(e.content.bytes).toBeGreaterThan(0);
    expect(e.restarts.count).toBeGreaterThanOrEqual(1);
    expect(e.restarts.steps.map((s: { type: string }) => s.type)).toContain('Setup Windows and ConfigMgr');
    // Other devices have downloaded (LAB01: 50 MB in 4 s): the site's throughput, said so.
    expect(e.throughput).toMatchObject({ source: 'site', bytesPerSecond: 12_500_000 });
    expect(e.steps.seconds).toBeNull();
    expect(e.notes.join(' ')).toContain('no earlier successful run');
    expect(e.totalSeconds).toBeCloseTo(e.content.bytes / 12_500_000 + e.restarts.seconds, 3);

    // LAB01 measured its own downloads, and its deployment has a successful run to learn from.
    const mine = (await api.call('GET', `/api/v1/deployments/${deployment}/estimate?resourceId=${device.LAB01}`)).json;
    expect(mine.throughput.source).toBe('device');
    expect(mine.steps.runs).toBe(1);
    expect(typeof mine.steps.seconds).toBe('number');

    // No download anywhere yet: the default, said so.
    await api.site.db.query('UPDATE runs SET download_seconds = 0');
    const none = (await api.call('GET', `/api/v1/deployments/${otherDeployment}/estimate?resourceId=${device.OTHER01}`)).json;
    expect(none.throughput).toMatchObject({ source: 'default', bytesPerSecond: DEFAULT_THROUGHPUT_BYTES_PER_SECOND });
    expect(none.throughput.basis).toContain('default');
    expect((await api.call('GET', `/api/v1/deployments/${deployment}/estimate?resourceId=999999`)).status).toBe(404);
  });
});

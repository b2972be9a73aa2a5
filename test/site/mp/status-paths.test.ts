/**
 * The ways a status batch is stored (src/site/mp/status.ts) leave the same rows: a run's messages
 * sent in one batch beside another run's (the careful way, one transaction), in one batch alone (a
 * new run: one statement) and one at a time (the start, then a run under way: a statement each) — times out of order, equal
 * times, a download report without seconds (after the run's earliest message in both, so the time
 * since the run began is the same), a restart, a result followed by an older one, and a
 * message sent twice. A batch for a run of another device, or of another deployment, sent the
 * one-statement way is refused as the careful way refuses it, and stores nothing.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeStatusBatch } from '../../../src/site/mp/status.js';
import { DB_KINDS, startTestApi, type TestApi } from '../helpers/site.js';
import { addCollection, addSiteObjects, wizardAnswers } from '../task-sequences/fixtures.js';

type Message = Record<string, unknown>;

/** A run's messages with edge cases, at fixed times relative to `t0`. */
function messagesOf(runId: string, deploymentId: string, t0: number): Message[] {
  const at = (s: number): string => new Date(t0 + s * 1000).toISOString();
  const step = (index: number, name: string) => ({ index, name, group: 'G', path: `G / ${name}`, type: 'SMS_TaskSequence_RunCommandLineAction' });
  const m = (s: number, kind: string, outcome: string, extra: Message = {}): Message => ({
    id: randomUUID(),
    runId,
    deploymentId,
    time: at(s),
    kind,
    outcome,
    ...extra,
  });
  return [
    m(10, 'run', 'started'),
    // Earlier than the run's start (a computer's clock): the run begins here.
    m(5, 'group', 'started', { step: { index: 0, name: 'G', group: null, path: 'G', type: null } }),
    m(40, 'run', 'downloaded', { bytes: 1_000_000 }),
    m(45, 'run', 'downloaded', { bytes: 500, seconds: 2.5 }),
    m(50, 'step', 'started', { step: step(1, 'A') }),
    m(50, 'step', 'succeeded', { step: step(1, 'A'), exitCode: 0 }),
    m(60, 'step', 'restart-requested', { step: step(2, 'B') }),
    m(70, 'step', 'failed', { step: step(3, 'C'), exitCode: -2147467259, actionOutput: 'out' }),
    m(90, 'run', 'failed', { exitCode: -2147467259 }),
    m(80, 'run', 'succeeded'),
    m(85, 'step', 'skipped', { step: step(4, 'D'), reason: 'condition false' }),
  ];
}

describe.each(DB_KINDS)('status batches stored both ways on %s', (kind) => {
  let api: TestApi;
  let deployment: string;
  let otherDeployment: string;
  const device: Record<string, number> = {};

  beforeAll(async () => {
    api = await startTestApi(kind);
    const o = await addSiteObjects(api.site);
    const ts = (await api.call('POST', '/api/v1/task-sequences/wizard/install-image', { body: wizardAnswers(o) })).json.taskSequence.id as string;
    const lab = await addCollection(api.site, 'Lab', [{ name: 'P1' }, { name: 'P2' }]);
    const deploy = async (): Promise<string> => {
      const r = await api.call('POST', '/api/v1/deployments', {
        body: { taskSequenceId: ts, collectionId: lab, purpose: 'required', availability: 'media-pxe', schedules: ['asap'] },
      });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      return r.json.deployment.id;
    };
    deployment = await deploy();
    otherDeployment = await deploy();
    const { rows } = await api.site.db.query<{ name: string; resource_id: string }>('SELECT name, resource_id FROM devices');
    for (const r of rows) device[r.name] = Number(r.resource_id);
  });
  afterAll(async () => api?.close());

  const runRow = async (runId: string): Promise<Record<string, unknown>> => {
    const { rows } = await api.site.db.query<Record<string, unknown>>(
      `SELECT r.started_at, r.ended_at, r.result, r.last_message_id, r.last_message_at, r.bytes_downloaded, r.download_seconds, r.restarts,
         r.message_count, s.time AS last_time, s.outcome AS last_outcome
       FROM runs r LEFT JOIN status_messages s ON s.id = r.last_status_id WHERE r.run_id = $1`,
      [runId],
    );
    return rows[0]!;
  };
  const messagesOfRun = async (runId: string): Promise<string[]> =>
    (
      await api.site.db.query<{ m: string }>(
        `SELECT kind || ':' || outcome || ':' || time::text || ':' || coalesce(exit_code::text, '-') AS m FROM status_messages WHERE run_id = $1 ORDER BY seq`,
        [runId],
      )
    ).rows.map((r) => r.m);

  it('leave the same run row and messages', async () => {
    const t0 = Date.now() - 60 * 60 * 1000;
    const whole = randomUUID();
    const split = randomUUID();
    const a = messagesOf(whole, deployment, t0);
    const b = messagesOf(split, deployment, t0);
    // The careful way: a batch of two runs (one transaction), the other run's start beside it.
    const careful = randomUUID();
    const c = messagesOf(careful, deployment, t0);
    const beside = messagesOf(randomUUID(), deployment, t0)[0]!;
    expect(await storeStatusBatch(api.site.db, { resourceId: device.P1! }, { messages: [...c, beside] })).toEqual({ stored: c.length + 1, duplicates: 0 });
    // A new run in one batch: one statement.
    expect(await storeStatusBatch(api.site.db, { resourceId: device.P1! }, { messages: a })).toEqual({ stored: a.length, duplicates: 0 });
    // One at a time: the run's start, then the run under way — one statement each, no transaction.
    let transactions = 0;
    let statements = 0;
    const db = api.site.db;
    const counted: typeof db = {
      ...db,
      query: (...q: Parameters<typeof db.query>) => (statements++, db.query(...q)),
      transaction: (fn) => (transactions++, db.transaction(fn)),
    };
    for (const m of b) expect(await storeStatusBatch(counted, { resourceId: device.P1! }, { messages: [m] })).toEqual({ stored: 1, duplicates: 0 });
    expect({ transactions, statements }).toEqual({ transactions: 0, statements: b.length });
    // Sent again (a lost answer), with one new message: the repeat changes nothing.
    const late = { ...b[4]!, id: randomUUID(), time: new Date(t0 + 200_000).toISOString() };
    expect(await storeStatusBatch(api.site.db, { resourceId: device.P1! }, { messages: [b[5], b[6], late] })).toEqual({ stored: 1, duplicates: 2 });
    expect(await storeStatusBatch(api.site.db, { resourceId: device.P1! }, { messages: [{ ...late, id: randomUUID() }, late] })).toEqual({
      stored: 1,
      duplicates: 1,
    });
    for (const [x, run] of [
      [a, whole],
      [c, careful],
    ] as const) {
      const lateToo = { ...x[4]!, id: randomUUID(), time: late.time };
      await storeStatusBatch(api.site.db, { resourceId: device.P1! }, { messages: [x[5], x[6], lateToo, { ...lateToo, id: randomUUID() }] });
      expect(await messagesOfRun(run)).toHaveLength(x.length + 2);
    }

    const w = await runRow(whole);
    const s = await runRow(split);
    expect(s).toEqual(w);
    expect(await runRow(careful)).toEqual(w);
    expect(w).toMatchObject({ result: 'failed', restarts: 1, message_count: a.length + 2, bytes_downloaded: 1_000_500, last_outcome: 'started' });
    // The report without seconds took the time since the run began (its earliest message, 5 s): 35 s, plus 2.5 s.
    expect(w.download_seconds).toBeCloseTo(37.5, 9);
    expect((w.ended_at as Date).getTime()).toBe(t0 + 90_000);
    expect((w.started_at as Date).getTime()).toBe(t0 + 5_000);
    expect(await messagesOfRun(split)).toEqual(await messagesOfRun(whole));
    expect(await messagesOfRun(careful)).toEqual(await messagesOfRun(whole));
    // A run's start sent again (a lost answer) is a duplicate, counted by the careful way.
    expect(await storeStatusBatch(api.site.db, { resourceId: device.P1! }, { messages: [a[0]] })).toEqual({ stored: 0, duplicates: 1 });
  });

  it('refuses a run under way of another device or of another deployment, storing nothing', async () => {
    const runId = randomUUID();
    const msgs = messagesOf(runId, deployment, Date.now() - 60_000);
    await storeStatusBatch(api.site.db, { resourceId: device.P1! }, { messages: [msgs[0]] });
    const before = await runRow(runId);
    const refused = (p: Promise<unknown>) =>
      p.then(
        () => ({ status: 0, input: '' }),
        (e: { status: number; input: string }) => e,
      );
    expect(await refused(storeStatusBatch(api.site.db, { resourceId: device.P2! }, { messages: [msgs[4]] }))).toMatchObject({
      status: 404,
      input: 'body.messages[0].runId',
    });
    expect(
      await refused(storeStatusBatch(api.site.db, { resourceId: device.P1! }, { messages: [{ ...msgs[4], deploymentId: otherDeployment }] })),
    ).toMatchObject({
      status: 400,
      input: 'body.messages[0].deploymentId',
    });
    expect(await runRow(runId)).toEqual(before);
    expect(await messagesOfRun(runId)).toHaveLength(1);
  });
});

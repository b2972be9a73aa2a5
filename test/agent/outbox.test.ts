// The outbox: a status message is on the disk before put() returns, leaves only once the site
// acknowledged it, and a repeat after a lost answer is harmless (the message's id).
import { randomUUID } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MpClient } from '../../src/agent/mp-client.js';
import { MAX_BATCH_MESSAGES, Outbox } from '../../src/agent/outbox.js';
import type { StatusMessage } from '../../src/agent/protocol.js';
import { runMessage } from '../../src/agent/status.js';
import { tempDir } from '../helpers/temp.js';
import { FakeMp } from './fake-mp.js';

let mp: FakeMp;
let client: MpClient;
const run = { runId: randomUUID(), deploymentId: 'PS120003' };

beforeEach(async () => {
  mp = await new FakeMp().start();
  client = new MpClient({ siteUrl: mp.url, retryForMs: 0 });
  client.credential = (await client.register({ macAddresses: ['00:11:22:33:44:55'], architecture: 'x64', firmware: 'uefi', environment: 'winpe' })).credential;
});
afterEach(() => mp.stop());

function messages(n: number): StatusMessage[] {
  return Array.from({ length: n }, (_, i) => runMessage(run, 'downloaded', { bytes: i }));
}

describe('Outbox', () => {
  it('writes each message as its own owner-only file before put returns', () => {
    const dir = tempDir('osd-outbox-');
    const box = new Outbox(dir);
    const [m] = messages(1);
    box.put(m!);
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(new RegExp(`^000000000001-${m!.id}\\.json$`));
    expect(statSync(join(dir, files[0]!)).mode & 0o777).toBe(0o600);
    expect(box.pending()).toEqual([m]);
  });

  it('keeps what was written when the process dies before sending, and a new process sends it in order', async () => {
    const dir = tempDir('osd-outbox-');
    const first = new Outbox(dir);
    const sent = messages(3);
    for (const m of sent) first.put(m);
    // "crash": the first outbox object is dropped without a send; a new one over the same folder.
    const second = new Outbox(dir);
    second.put(messages(1)[0]!);
    const r = await second.flush(client);
    expect(r).toMatchObject({ sent: 4, duplicates: 0, pending: 0 });
    expect(mp.messages.slice(0, 3).map((m) => m.id)).toEqual(sent.map((m) => m.id));
    expect(second.count()).toBe(0);
  });

  it('leaves the files while the site is unreachable and delivers them once it answers', async () => {
    const dir = tempDir('osd-outbox-');
    const box = new Outbox(dir);
    for (const m of messages(5)) box.put(m);
    mp.down = true;
    await expect(box.flush(client)).rejects.toMatchObject({ kind: 'unavailable', code: 'mp-unreachable' });
    expect(box.count()).toBe(5);
    mp.down = false;
    expect(await box.flush(client)).toMatchObject({ sent: 5, pending: 0 });
    expect(mp.messages).toHaveLength(5);
  });

  it('sends a batch again when the answer was lost, and the site counts each message once', async () => {
    const dir = tempDir('osd-outbox-');
    const box = new Outbox(dir);
    for (const m of messages(4)) box.put(m);
    mp.loseAnswers = 1;
    await expect(box.flush(client)).rejects.toMatchObject({ code: 'mp-unreachable' });
    expect(box.count()).toBe(4); // stored by the site, but not acknowledged: still here
    expect(await box.flush(client)).toMatchObject({ sent: 0, duplicates: 4, pending: 0 });
    expect(mp.messages).toHaveLength(4);
  });

  it('waits out a short outage with backoff when asked to (drain)', async () => {
    const dir = tempDir('osd-outbox-');
    const box = new Outbox(dir);
    for (const m of messages(2)) box.put(m);
    mp.down = true;
    setTimeout(() => (mp.down = false), 700);
    const patient = new MpClient({ siteUrl: mp.url, credential: client.credential });
    expect(await box.drain(patient, 20_000)).toMatchObject({ sent: 2, pending: 0 });
  });

  it(`sends in batches of at most ${MAX_BATCH_MESSAGES}`, async () => {
    const dir = tempDir('osd-outbox-');
    const box = new Outbox(dir);
    for (const m of messages(1001)) box.put(m);
    expect(await box.flush(client)).toMatchObject({ sent: 1001, pending: 0 });
    expect(mp.statusBatchSizes).toEqual([500, 500, 1]);
  });

  it('moves a batch the site refuses (4xx) aside, never to be sent again', async () => {
    const dir = tempDir('osd-outbox-');
    const refused: number[] = [];
    const box = new Outbox(dir, { onRejected: (ms) => refused.push(ms.length) });
    for (const m of messages(2)) box.put(m);
    const sender = { sendStatus: () => client.request<never>('GET', '/no-such-route') };
    expect(await box.flush(sender)).toMatchObject({ rejected: 2, pending: 0 });
    expect(refused).toEqual([2]);
    expect(readdirSync(join(dir, 'rejected'))).toHaveLength(2);
  });
});

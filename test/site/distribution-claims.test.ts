/**
 * Issue 10 item 5, in process: which in-progress distribution rows a manager takes over (owner
 * gone, lease expired) and which it leaves (a live owner renewing its claim), and the periodic
 * pass that runs without any request. The real-process kills are in
 * test/server/distribution-resume.test.ts.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';
import { startDistributionPoint, type RunningDistributionPoint } from '../../src/server/distribution-point/server.js';
import { DistributionManager } from '../../src/site/distribution/distribution.js';
import { DB_KINDS, startTestApi, type TestApi } from './helpers/site.js';

const PUSH_TOKEN = 'claims-test-push-token-0123456789';

describe.each(DB_KINDS)('distribution claims on %s', (kind) => {
  let api: TestApi;
  let dp: RunningDistributionPoint;
  let packageId: string;

  beforeAll(async () => {
    api = await startTestApi(kind);
    const work = tempDir(`openosd-claims-${kind}-`);
    dp = await startDistributionPoint({ root: join(work, 'dp'), pushToken: PUSH_TOKEN });
    // Uploaded, so the test does not depend on which folders the site reads sources from.
    const up = await api.call('PUT', '/api/v1/uploads?path=a.bin', {
      payload: Buffer.from('a'.repeat(3000)),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(up.status, up.body).toBe(201);
    packageId = ((await api.call('GET', '/api/v1/packages')).json as Array<{ packageId: string; name: string }>).find(
      (p) => p.name === 'Configuration Manager Client Package',
    )!.packageId;
    const put = await api.call('PUT', `/api/v1/packages/${packageId}/content`, { body: { contentId: up.json.id } });
    expect(put.status, put.body).toBe(200);
    expect((await api.call('POST', '/api/v1/distribution-points', { body: { name: 'DP01', url: dp.url, pushToken: PUSH_TOKEN } })).status).toBe(201);
    const d = await api.call('POST', '/api/v1/distributions', { body: { packageIds: [packageId], distributionPoints: ['DP01'], wait: true } });
    expect(d.json[0].state).toBe('success');
  });
  afterAll(async () => {
    await dp?.close();
    await api?.close();
  });

  const row = async (): Promise<{ state: string; message: string; claimed_by: string | null; heartbeat_at: Date | null }> =>
    (
      await api.site.db.query<{ state: string; message: string; claimed_by: string | null; heartbeat_at: Date | null }>(
        'SELECT state, message, claimed_by, heartbeat_at FROM distribution_status WHERE package_id = $1',
        [packageId],
      )
    ).rows[0]!;

  /** Makes the row look like a copy `owner` is doing, last heard of `ageSeconds` ago. */
  const claimedBy = async (owner: string, ageSeconds: number): Promise<void> => {
    await api.site.db.query(
      `UPDATE distribution_status SET state = 'in-progress', message = 'copying', claimed_by = $2, heartbeat_at = now() - make_interval(secs => $3::double precision) WHERE package_id = $1`,
      [packageId, owner, ageSeconds],
    );
  };

  it('takes over what a dead owner or an expired lease left, and leaves a live owner alone', async () => {
    const m = new DistributionManager(api.site, { leaseMs: 30_000 });
    const host = hostname();
    // A process of this host that is gone (SIGKILL): taken over at once, whatever its heartbeat says.
    await claimedBy(`${host}.999999999.0badf00d`, 0);
    expect(await m.reclaimOrphans()).toBe(1);
    expect(await row()).toMatchObject({ state: 'pending', claimed_by: null, message: expect.stringMatching(/^resumed: /) });
    // This pid in an earlier life (a container restarted as pid 1 again): gone too.
    await claimedBy(`${host}.${process.pid}.0badf00d`, 0);
    expect(await m.reclaimOrphans()).toBe(1);
    // Another host, heartbeat older than the lease: its owner stopped renewing.
    await claimedBy('elsewhere.example.4242.0badf00d', 31);
    expect(await m.reclaimOrphans()).toBe(1);

    // A live owner renewing its claim: on PostgreSQL it is another server at work; the embedded
    // database has one process, so anything another process left is orphaned.
    await claimedBy('elsewhere.example.4242.0badf00d', 1);
    expect(await m.reclaimOrphans()).toBe(kind === 'pglite' ? 1 : 0);
    await claimedBy(`${host}.${process.ppid}.0badf00d`, 1);
    expect(await m.reclaimOrphans()).toBe(kind === 'pglite' ? 1 : 0);
    if (kind === 'postgres') expect(await row()).toMatchObject({ state: 'in-progress', claimed_by: `${host}.${process.ppid}.0badf00d` });

    // Resumed, the copy completes and the claim is cleared.
    await claimedBy(`${host}.999999999.0badf00d`, 0);
    expect(await m.runOnce()).toBe(1);
    expect(await row()).toMatchObject({ state: 'success', claimed_by: null, heartbeat_at: null });
  });

  it('runs a pass by itself every interval once started, and no more after settle', async () => {
    const m = new DistributionManager(api.site, { passIntervalMs: 100 });
    await claimedBy(`${hostname()}.999999999.0badf00d`, 0);
    m.start();
    const t0 = Date.now();
    while ((await row()).state !== 'success' && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 50));
    expect((await row()).state).toBe('success');
    await m.settle();
    await api.site.db.query(`UPDATE distribution_status SET state = 'pending' WHERE package_id = $1`, [packageId]);
    await new Promise((r) => setTimeout(r, 400));
    expect((await row()).state).toBe('pending');
    expect(await m.kick()).toBe(0);
    // Leave the row as it was for the next test file run.
    await new DistributionManager(api.site).runOnce();
    expect((await row()).state).toBe('success');
  });
});

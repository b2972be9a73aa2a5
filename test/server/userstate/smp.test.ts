/**
 * The state migration point (docs/state-migration-point.md; user-state.md §2.5, §2.8 #6–#9) on both
 * databases, through the management point's HTTP routes and the admin API: settings, capture into
 * the first folder that meets both limits (else 503 no-capacity; restore-only refuses captures),
 * resumable uploads that take only the missing bytes and check the SHA-256 at the end, release,
 * restore by a computer association only (a third computer refused and audited), downloads with
 * Range, retention with a fake clock (immediate and after a day), recovery, deletion, and bad input
 * answered 4xx naming the field.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { issueCredential } from '../../../src/site/mp/credentials.js';
import { SYSTEM_ACTOR } from '../../../src/site/security/roles.js';
import { keyIdOf, releaseStore, requestStore, sweepStores, uploadStoreFile } from '../../../src/site/userstate/stores.js';
import { SiteError } from '../../../src/site/errors.js';
import { Readable } from 'node:stream';
import { DB_KINDS, startTestApi, type TestApi } from '../../site/helpers/site.js';
import { addCollection } from '../../site/task-sequences/fixtures.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe.each(DB_KINDS)('the state migration point on %s', (kind) => {
  let api: TestApi;
  let root: string;
  const dev: Record<string, { resourceId: number; credential: string; name: string }> = {};

  const mp = (name: string, method: string, path: string, options: { body?: unknown; headers?: Record<string, string>; payload?: Buffer | string } = {}) =>
    api.call(method, `/mp/v1${path}`, { token: dev[name]!.credential, ...options });
  const put = (name: string, storeId: string, file: string, bytes: Buffer, range?: { start: number; total: number; sha256?: string }) =>
    mp(name, 'PUT', `/userstate/stores/${storeId}/files/${encodeURIComponent(file)}`, {
      headers: {
        'content-type': 'application/octet-stream',
        'x-content-sha256': range?.sha256 ?? sha(bytes),
        ...(range ? { 'content-range': `bytes ${range.start}-${range.start + bytes.length - 1}/${range.total}` } : {}),
      },
      payload: bytes,
    });
  const settings = (body: unknown) => api.call('PUT', '/api/v1/state-migration-point', { body });
  const audits = async (storeId?: string) =>
    (
      await api.site.db.query<{ action: string; actor: string; object_id: string; details: Record<string, unknown> }>(
        `SELECT action, actor, object_id, details FROM audit_log WHERE object_type = 'state-store' ${storeId ? 'AND object_id = $1' : ''} ORDER BY id`,
        storeId ? [storeId] : [],
      )
    ).rows;

  /** A complete capture: store.json, manifest, one pack; released. */
  async function capture(name: string): Promise<{ storeId: string; key: string; files: Record<string, Buffer> }> {
    const r = await mp(name, 'POST', '/userstate/requests', { body: { type: 'capture' } });
    expect(r.status, r.body).toBe(200);
    const files = {
      'store.json': Buffer.from(JSON.stringify({ format: 'openosd.userstate/v1', storeId: r.json.storeId })),
      'manifest.osdm': Buffer.from(`manifest of ${name}`),
      'packs/000001.osdp': Buffer.alloc(300_000, 7),
    };
    for (const [f, b] of Object.entries(files)) expect((await put(name, r.json.storeId, f, b)).json.complete).toBe(true);
    const released = await mp(name, 'POST', `/userstate/stores/${r.json.storeId}/release`, { body: { phase: 'capture', outcome: 'success' } });
    expect(released.json.state, released.body).toBe('captured');
    return { storeId: r.json.storeId, key: r.json.key, files };
  }

  beforeAll(async () => {
    api = await startTestApi(kind);
    root = mkdtempSync(join(tmpdir(), 'openosd-smp-'));
    await addCollection(
      api.site,
      'Lab',
      ['OLD-PC', 'NEW-PC', 'THIRD-PC', 'REFRESH-PC', 'SPEC-PC', 'SPEC-SRC', 'SPEC-NEW'].map((n) => ({ name: n })),
    );
    const { rows } = await api.site.db.query<{ name: string; resource_id: string }>('SELECT name, resource_id FROM devices');
    for (const row of rows) {
      const resourceId = Number(row.resource_id);
      dev[row.name] = {
        resourceId,
        name: row.name,
        credential: (await issueCredential(api.site.db, SYSTEM_ACTOR, resourceId, { replaceOthers: true })).credential,
      };
    }
  });
  afterAll(async () => {
    await api?.close();
    rmSync(root, { recursive: true, force: true });
  });
  beforeEach(async () => {
    const r = await settings({
      storageFolders: [{ path: join(root, 'a'), maxClients: 100, minFree: { value: 1, unit: 'MB' } }],
      deletion: { mode: 'after', value: 1, unit: 'days' },
      restoreOnly: false,
    });
    expect(r.status, r.body).toBe(200);
  });

  it('settings: folders made owner-only, read back; bad input names the field and the rule', async () => {
    const got = await api.call('GET', '/api/v1/state-migration-point');
    expect(got.json).toEqual({
      storageFolders: [{ path: join(root, 'a'), maxClients: 100, minFree: { value: 1, unit: 'MB' } }],
      deletion: { mode: 'after', value: 1, unit: 'days' },
      restoreOnly: false,
    });
    expect(statSync(join(root, 'a')).mode & 0o777).toBe(0o700);
    const cases: [unknown, string][] = [
      [{ storageFolders: [{ path: 'relative/x', maxClients: 1, minFree: { value: 1, unit: 'MB' } }] }, 'body.storageFolders.0.path'],
      [{ storageFolders: [{ path: join(root, 'x'), maxClients: 0, minFree: { value: 1, unit: 'MB' } }] }, 'body.storageFolders.0.maxClients'],
      [{ storageFolders: [{ path: join(root, 'x'), maxClients: 100000, minFree: { value: 1, unit: 'MB' } }] }, 'body.storageFolders.0.maxClients'],
      [{ storageFolders: [{ path: join(root, 'x'), maxClients: 5, minFree: { value: 101, unit: 'Percent' } }] }, 'body.storageFolders.0.minFree.value'],
      [{ storageFolders: [{ path: join(root, 'x'), maxClients: 5, minFree: { value: 1, unit: 'TB' } }] }, 'body.storageFolders.0.minFree.unit'],
      [
        {
          storageFolders: [
            { path: join(root, 'x'), maxClients: 5, minFree: { value: 1, unit: 'MB' } },
            { path: join(root, 'x', 'y'), maxClients: 5, minFree: { value: 1, unit: 'MB' } },
          ],
        },
        'body.storageFolders.1.path',
      ],
      [{ storageFolders: [{ path: '/proc/smp', maxClients: 5, minFree: { value: 1, unit: 'MB' } }] }, 'body.storageFolders.0.path'],
      [{ deletion: { mode: 'after', value: 0, unit: 'days' } }, 'body.deletion'],
      [{ restoreOnly: 'yes' }, 'body.restoreOnly'],
    ];
    for (const [body, input] of cases) {
      const r = await settings(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(String(r.json.input ?? JSON.stringify(r.json))).toContain(input);
    }
  });

  it('§2.8 #7 capacity: folder A under its minimum free space → B; both full → 503 no-capacity; restore-only refuses capture, not restore', async () => {
    await settings({
      storageFolders: [
        // 100 % free is never met on a disk in use: A is under its minimum free space (statfs on the folder).
        { path: join(root, 'full'), maxClients: 100, minFree: { value: 100, unit: 'Percent' } },
        { path: join(root, 'b'), maxClients: 1, minFree: { value: 1, unit: 'MB' } },
      ],
    });
    const first = await mp('OLD-PC', 'POST', '/userstate/requests', { body: { type: 'capture' } });
    expect(first.status, first.body).toBe(200);
    expect(first.json.location).toMatch(new RegExp(`/mp/v1/userstate/stores/${first.json.storeId}$`));
    expect(first.json.storeId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Buffer.from(first.json.key, 'base64')).toHaveLength(32);
    expect(first.json.keyId).toBe(keyIdOf(Buffer.from(first.json.key, 'base64')));
    expect(existsSync(join(root, 'b', first.json.storeId, 'USMT'))).toBe(true);
    expect(statSync(join(root, 'b', first.json.storeId)).mode & 0o777).toBe(0o700);
    // The same computer asking again gets the same store (a lost answer, the step run again).
    expect((await mp('OLD-PC', 'POST', '/userstate/requests', { body: { type: 'capture' } })).json.storeId).toBe(first.json.storeId);
    // B holds one client at most: another computer finds no capacity.
    const none = await mp('THIRD-PC', 'POST', '/userstate/requests', { body: { type: 'capture' } });
    expect(none.status).toBe(503);
    expect(none.json.rule).toMatch(/^no-capacity: every storage folder/);
    expect(none.json.rule).toContain('under its minimum of 100 Percent');
    expect(none.json.rule).toContain('1 of 1 clients');
    expect(none.json.reason).toBe('NO_CAPACITY');
    expect((await audits()).some((a) => a.action === 'userstate-request-refused' && a.actor.includes('THIRD-PC'))).toBe(true);
    await mp('OLD-PC', 'POST', `/userstate/stores/${first.json.storeId}/release`, { body: { phase: 'capture', outcome: 'failure' } });
    await api.call('DELETE', `/api/v1/userstate/stores/${first.json.storeId}`);

    const captured = await capture('REFRESH-PC');
    await settings({ restoreOnly: true });
    const refused = await mp('THIRD-PC', 'POST', '/userstate/requests', { body: { type: 'capture' } });
    expect(refused.status).toBe(503);
    expect(refused.json.rule).toContain('restore-only');
    const restore = await mp('REFRESH-PC', 'POST', '/userstate/requests', { body: { type: 'restore' } });
    expect(restore.status, restore.body).toBe(200);
    expect(restore.json.storeId).toBe(captured.storeId);
    await mp('REFRESH-PC', 'POST', `/userstate/stores/${captured.storeId}/release`, { body: { phase: 'restore', outcome: 'success' } });
  });

  it('§2.8 #6 resume: an upload cut at 60 % continues from the bytes received; only the missing range is written; the SHA-256 is checked at the end', async () => {
    const r = await mp('SPEC-PC', 'POST', '/userstate/requests', { body: { type: 'capture' } });
    const storeId = r.json.storeId as string;
    const pack = Buffer.alloc(1_000_000);
    for (let i = 0; i < pack.length; i++) pack[i] = (i * 31) & 0xff;
    const total = pack.length;
    // 60 % in a first request that "breaks": the server keeps what arrived.
    const cut = 600_000;
    const first = await put('SPEC-PC', storeId, 'packs/000001.osdp', pack.subarray(0, cut), { start: 0, total, sha256: sha(pack) });
    expect(first.status, first.body).toBe(200);
    expect(first.json).toMatchObject({ received: cut, complete: false, written: cut });
    const listed = await mp('SPEC-PC', 'GET', `/userstate/stores/${storeId}/files`);
    expect(listed.json.files).toEqual([{ name: 'packs/000001.osdp', size: total, sha256: sha(pack), received: cut, complete: false }]);
    // Sending from the wrong place is refused with what the store has.
    const wrong = await put('SPEC-PC', storeId, 'packs/000001.osdp', pack.subarray(0, 1000), { start: 0, total, sha256: sha(pack) });
    expect(wrong.status).toBe(409);
    expect(wrong.json.rule).toMatch(/^range-not-contiguous/);
    expect(wrong.json.received).toBe(cut);
    const rest = await put('SPEC-PC', storeId, 'packs/000001.osdp', pack.subarray(cut), { start: cut, total, sha256: sha(pack) });
    expect(rest.json).toMatchObject({ received: total, complete: true, written: total - cut });
    const path = readdirSync(join(root, 'a', storeId, 'USMT', 'packs'));
    expect(path).toEqual(['000001.osdp']);
    expect(sha(readFileSync(join(root, 'a', storeId, 'USMT', 'packs', '000001.osdp')))).toBe(sha(pack));
    // A file whose bytes do not match its SHA-256 is discarded (422), never kept.
    const bad = Buffer.from('not the manifest');
    const mismatch = await put('SPEC-PC', storeId, 'manifest.osdm', bad, { start: 0, total: bad.length, sha256: sha(Buffer.from('other')) });
    expect(mismatch.status).toBe(422);
    expect(mismatch.json.rule).toMatch(/^hash-mismatch/);
    expect(existsSync(join(root, 'a', storeId, 'USMT', 'manifest.osdm'))).toBe(false);
    // Release as captured needs the whole store.
    const early = await mp('SPEC-PC', 'POST', `/userstate/stores/${storeId}/release`, { body: { phase: 'capture', outcome: 'success' } });
    expect(early.status).toBe(409);
    expect(early.json.rule).toContain('store.json missing');
    await mp('SPEC-PC', 'POST', `/userstate/stores/${storeId}/release`, { body: { phase: 'capture', outcome: 'failure' } });
    expect((await audits(storeId)).map((a) => a.action)).toEqual(expect.arrayContaining(['userstate-request', 'userstate-upload', 'userstate-release']));
  });

  it('HTTP bad input → 4xx naming the field: file names, ranges, hashes, sizes, request types', async () => {
    const r = await mp('THIRD-PC', 'POST', '/userstate/requests', { body: { type: 'capture' } });
    const storeId = r.json.storeId as string;
    const b = Buffer.from('x');
    const name = (n: string) =>
      mp('THIRD-PC', 'PUT', `/userstate/stores/${storeId}/files/${encodeURIComponent(n)}`, {
        headers: { 'content-type': 'application/octet-stream', 'x-content-sha256': sha(b) },
        payload: b,
      });
    for (const n of ['../../etc/passwd', 'packs/1.osdp', 'store.JSON', 'packs/../store.json', 'USMT.MIG']) {
      const res = await name(n);
      expect(res.status, n).toBe(400);
      expect(res.json.input).toBe('params.name');
    }
    const noHash = await mp('THIRD-PC', 'PUT', `/userstate/stores/${storeId}/files/store.json`, {
      headers: { 'content-type': 'application/octet-stream' },
      payload: b,
    });
    expect(noHash.status).toBe(400);
    expect(noHash.json.input).toBe('headers.x-content-sha256');
    const badRange = await mp('THIRD-PC', 'PUT', `/userstate/stores/${storeId}/files/store.json`, {
      headers: { 'content-type': 'application/octet-stream', 'x-content-sha256': sha(b), 'content-range': 'bytes 5-1/10' },
      payload: b,
    });
    expect(badRange.status).toBe(400);
    expect(badRange.json.input).toBe('headers.content-range');
    const tooBig = await mp('THIRD-PC', 'PUT', `/userstate/stores/${storeId}/files/store.json`, {
      headers: { 'content-type': 'application/octet-stream', 'x-content-sha256': sha(b), 'content-range': `bytes 0-0/${64 * 1024 * 1024}` },
      payload: b,
    });
    expect(tooBig.status).toBe(413);
    expect(tooBig.json.input).toBe('headers.content-range');
    const pack = await mp('THIRD-PC', 'PUT', `/userstate/stores/${storeId}/files/${encodeURIComponent('packs/000002.osdp')}`, {
      headers: { 'content-type': 'application/octet-stream', 'x-content-sha256': sha(b), 'content-range': `bytes 0-0/${300 * 1024 * 1024}` },
      payload: b,
    });
    expect(pack.status).toBe(413);
    const type = await mp('THIRD-PC', 'POST', '/userstate/requests', { body: { type: 'backup' } });
    expect(type.status).toBe(400);
    expect(JSON.stringify(type.json)).toContain('body.type');
    const extra = await mp('THIRD-PC', 'POST', '/userstate/requests', { body: { type: 'capture', deviceId: 5 } });
    expect(extra.status).toBe(400);
    const huge = await mp('THIRD-PC', 'POST', '/userstate/requests', { body: { type: 'capture', deploymentId: 'x'.repeat(10_000) } });
    expect(huge.status).toBe(413);
    const phase = await mp('THIRD-PC', 'POST', `/userstate/stores/${storeId}/release`, { body: { phase: 'capture', outcome: 'maybe' } });
    expect(phase.status).toBe(400);
    expect(JSON.stringify(phase.json)).toContain('body.outcome');
    const id = await mp('THIRD-PC', 'GET', '/userstate/stores/not-hex/files');
    expect(id.status).toBe(400);
    expect(id.json.input).toBe('params.storeId');
    // No credential: 401.
    expect((await api.call('GET', `/mp/v1/userstate/stores/${storeId}/files`, { token: null })).status).toBe(401);
    await mp('THIRD-PC', 'POST', `/userstate/stores/${storeId}/release`, { body: { phase: 'capture', outcome: 'failure' } });
  });

  it('§2.8 #9 replace: restore only through an association; a third computer is refused (audited); downloads with Range for the restorer only', async () => {
    const { storeId, key, files } = await capture('OLD-PC');
    // A released capture is read-only.
    const again = await put('OLD-PC', storeId, 'store.json', Buffer.from('changed'));
    expect(again.status).toBe(409);
    // No association names NEW-PC yet.
    const before = await mp('NEW-PC', 'POST', '/userstate/requests', { body: { type: 'restore' } });
    expect(before.status).toBe(409);
    expect(before.json.rule).toMatch(/^no-association/);
    const assoc = await api.call('POST', '/api/v1/computer-associations', {
      body: {
        sourceResourceId: dev['OLD-PC']!.resourceId,
        destinationResourceId: dev['NEW-PC']!.resourceId,
        userAccounts: 'capture-all-restore-specified',
        accounts: ['CONTOSO\\alice'],
      },
    });
    expect(assoc.status, assoc.body).toBe(201);
    const grant = await mp('NEW-PC', 'POST', '/userstate/requests', { body: { type: 'restore' } });
    expect(grant.status, grant.body).toBe(200);
    expect(grant.json).toMatchObject({
      storeId,
      key,
      type: 'restore',
      sourceName: 'OLD-PC',
      userAccounts: 'capture-all-restore-specified',
      accounts: ['CONTOSO\\alice'],
    });
    // The third computer: no association → refused and audited; its attempts at the store's files are 404 and audited.
    const third = await mp('THIRD-PC', 'POST', '/userstate/requests', { body: { type: 'restore' } });
    expect(third.status).toBe(409);
    expect(third.json.reason).toBe('NO_ASSOCIATION');
    const peek = await mp('THIRD-PC', 'GET', `/userstate/stores/${storeId}/files/store.json`);
    expect(peek.status).toBe(404);
    expect(peek.body).not.toContain('openosd.userstate');
    const list = await mp('THIRD-PC', 'GET', `/userstate/stores/${storeId}/files`);
    expect(list.status).toBe(404);
    const refusals = (await audits(storeId)).filter((a) => a.action === 'userstate-refused' && a.actor.includes('THIRD-PC'));
    expect(refusals.length).toBe(2);
    expect((await audits()).some((a) => a.action === 'userstate-request-refused' && a.actor.includes('THIRD-PC') && a.details.type === 'restore')).toBe(true);
    // The source computer cannot read it back either once released.
    expect((await mp('OLD-PC', 'GET', `/userstate/stores/${storeId}/files/store.json`)).status).toBe(404);
    // The restorer downloads, whole and by range.
    const whole = await mp('NEW-PC', 'GET', `/userstate/stores/${storeId}/files/${encodeURIComponent('packs/000001.osdp')}`);
    expect(whole.status).toBe(200);
    expect(whole.headers.etag).toBe(`"${sha(files['packs/000001.osdp']!)}"`);
    const part = await mp('NEW-PC', 'GET', `/userstate/stores/${storeId}/files/${encodeURIComponent('packs/000001.osdp')}`, {
      headers: { range: 'bytes=100-199' },
    });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 100-199/300000`);
    expect((await audits(storeId)).filter((a) => a.action === 'userstate-download').length).toBe(2);
    // Nothing in the audit log holds the key.
    const { rows } = await api.site.db.query<{ details: unknown }>('SELECT details FROM audit_log');
    expect(JSON.stringify(rows)).not.toContain(key);
    // Recovery information: the key and the location, audited.
    const rec = await api.call('GET', `/api/v1/userstate/stores/${storeId}/recovery`);
    expect(rec.json).toMatchObject({ storeId, key, path: join(root, 'a', storeId), sourceName: 'OLD-PC' });
    expect((await api.call('GET', `/api/v1/userstate/stores/${storeId}/recovery`, { token: api.tokens['read-only-analyst'] })).status).toBe(403);
    expect((await audits(storeId)).some((a) => a.action === 'userstate-recovery')).toBe(true);
    const released = await mp('NEW-PC', 'POST', `/userstate/stores/${storeId}/release`, { body: { phase: 'restore', outcome: 'success' } });
    expect(released.json.state).toBe('restored');
    await api.call('DELETE', `/api/v1/computer-associations/${assoc.json.id}`);
  });

  it('§2.8 #9 "capture and restore specified accounts" forbids a second association for the same source', async () => {
    const one = await api.call('POST', '/api/v1/computer-associations', {
      body: { sourceResourceId: dev['SPEC-SRC']!.resourceId, destinationResourceId: dev['SPEC-NEW']!.resourceId, accounts: ['CONTOSO\\bob'] },
    });
    expect(one.status, one.body).toBe(201);
    expect(one.json.userAccounts).toBe('capture-restore-specified');
    const two = await api.call('POST', '/api/v1/computer-associations', {
      body: { sourceResourceId: dev['SPEC-SRC']!.resourceId, destinationResourceId: dev['THIRD-PC']!.resourceId, userAccounts: 'capture-restore-all' },
    });
    expect(two.status).toBe(409);
    expect(two.json.input).toBe('body.sourceResourceId');
    // Its capture takes only the association's accounts.
    const cap = await mp('SPEC-SRC', 'POST', '/userstate/requests', { body: { type: 'capture' } });
    expect(cap.json).toMatchObject({ userAccounts: 'capture-restore-specified', accounts: ['CONTOSO\\bob'] });
    await mp('SPEC-SRC', 'POST', `/userstate/stores/${cap.json.storeId}/release`, { body: { phase: 'capture', outcome: 'failure' } });
    await api.call('DELETE', `/api/v1/userstate/stores/${cap.json.storeId}`);
    await api.call('DELETE', `/api/v1/computer-associations/${one.json.id}`);
  });

  it('§2.8 #8 retention: immediate → deleted at release(restore); after 1 day → deleted by the sweeper at +24 h, not before; stale captures abandoned after 24 h', async () => {
    // In-place refresh: REFRESH-PC has no association; the capture request makes one to itself.
    const t0 = new Date('2030-01-01T00:00:00Z');
    let now = t0;
    const clock = { now: () => now };
    const device = { resourceId: dev['REFRESH-PC']!.resourceId, name: 'REFRESH-PC', unknown: false, approval: 'approved' as const };
    const { storeId } = await capture('REFRESH-PC');
    const restore = await requestStore(api.site, device, { type: 'restore' }, clock);
    expect(restore.storeId).toBe(storeId);
    const released = await releaseStore(api.site, device, storeId, { phase: 'restore', outcome: 'success' }, clock);
    expect(released.state).toBe('restored');
    expect(released.expiresAt).toBe('2030-01-02T00:00:00.000Z');
    now = new Date(t0.getTime() + 24 * 3600_000 - 1000);
    expect((await sweepStores(api.site, clock)).deleted).not.toContain(storeId);
    expect(existsSync(join(root, 'a', storeId))).toBe(true);
    now = new Date(t0.getTime() + 24 * 3600_000);
    expect((await sweepStores(api.site, clock)).deleted).toContain(storeId);
    expect(existsSync(join(root, 'a', storeId))).toBe(false);
    const gone = await api.call('GET', `/api/v1/userstate/stores/${storeId}`);
    expect(gone.json).toMatchObject({ state: 'deleted', deletedAt: now.toISOString() });
    expect((await api.call('GET', `/api/v1/userstate/stores/${storeId}/recovery`)).status).toBe(409);
    expect((await audits(storeId)).some((a) => a.action === 'userstate-delete' && a.actor === 'state migration point (retention)')).toBe(true);

    // Immediate: deleted as the restore is released.
    await settings({ deletion: { mode: 'immediate' } });
    const second = await capture('REFRESH-PC');
    await requestStore(api.site, device, { type: 'restore' }, clock);
    const at = await releaseStore(api.site, device, second.storeId, { phase: 'restore', outcome: 'success' }, clock);
    expect(at.state).toBe('deleted');
    expect(existsSync(join(root, 'a', second.storeId))).toBe(false);

    // A capture never released: abandoned after 24 h, then deleted after its retention.
    await settings({ deletion: { mode: 'after', value: 2, unit: 'hours' } });
    const stale = await requestStore(api.site, device, { type: 'capture' }, clock);
    now = new Date(now.getTime() + 23 * 3600_000);
    expect((await sweepStores(api.site, clock)).abandoned).not.toContain(stale.storeId);
    now = new Date(now.getTime() + 3600_000);
    expect((await sweepStores(api.site, clock)).abandoned).toContain(stale.storeId);
    now = new Date(now.getTime() + 2 * 3600_000);
    expect((await sweepStores(api.site, clock)).deleted).toContain(stale.storeId);
  });

  it("the folder's minimum free space is kept: an upload that would go below it is refused (507) before a byte is written", async () => {
    const device = { resourceId: dev['THIRD-PC']!.resourceId, name: 'THIRD-PC', unknown: false, approval: 'approved' as const };
    const grant = await requestStore(api.site, device, { type: 'capture' });
    // A disk of 1 GiB with 1 MiB + 100 KiB free, a minimum of 1 MB: 200 KiB more does not fit.
    const freeSpace = async () => ({ free: 1024 * 1024 + 100 * 1024, total: 1024 ** 3 });
    const body = Buffer.alloc(200 * 1024, 1);
    const refused = await uploadStoreFile(
      api.site,
      device,
      grant.storeId,
      'packs/000001.osdp',
      { contentLength: body.length, sha256: createHash('sha256').update(body).digest('hex') },
      Readable.from([body]),
      { freeSpace },
    ).catch((e: unknown) => e as SiteError);
    expect(refused).toBeInstanceOf(SiteError);
    expect((refused as SiteError).status).toBe(507);
    expect((refused as SiteError).rule).toMatch(/^folder-full: /);
    expect(existsSync(join(root, 'a', grant.storeId, 'USMT', 'packs', '000001.osdp.partial'))).toBe(false);
    const fits = await uploadStoreFile(
      api.site,
      device,
      grant.storeId,
      'packs/000001.osdp',
      { contentLength: 50 * 1024, sha256: sha(body.subarray(0, 50 * 1024)) },
      Readable.from([body.subarray(0, 50 * 1024)]),
      {
        freeSpace,
      },
    );
    expect(fits.complete).toBe(true);
    await releaseStore(api.site, device, grant.storeId, { phase: 'capture', outcome: 'failure' });
  });

  it('admin: list stores (never the key), delete one in use only with force', async () => {
    const r = await mp('THIRD-PC', 'POST', '/userstate/requests', { body: { type: 'capture' } });
    const list = await api.call('GET', '/api/v1/userstate/stores?state=requested');
    expect(list.json.some((s: { storeId: string }) => s.storeId === r.json.storeId)).toBe(true);
    expect(list.body).not.toContain(r.json.key);
    const busy = await api.call('DELETE', `/api/v1/userstate/stores/${r.json.storeId}`);
    expect(busy.status).toBe(409);
    const forced = await api.call('DELETE', `/api/v1/userstate/stores/${r.json.storeId}?force=true`);
    expect(forced.json.state).toBe('deleted');
    const doc = await api.call('GET', '/api/v1/openapi.json');
    expect(Object.keys(doc.json.paths)).toEqual(
      expect.arrayContaining([
        '/mp/v1/userstate/requests',
        '/mp/v1/userstate/stores/{storeId}/files/{name}',
        '/api/v1/userstate/stores/{storeId}/recovery',
        '/api/v1/state-migration-point',
      ]),
    );
  });
});

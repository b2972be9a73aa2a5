/**
 * A server checks device credentials from memory (src/site/mp/credentials.ts): two `osd server`
 * processes sharing one PostgreSQL database, a credential used on both, revoked through the first —
 * the first refuses it at once, the second within DEVICE_CREDENTIAL_CACHE_MS (what it read of the
 * credential is trusted that long). The same for an administrator's refusal of the device, and for a
 * credential the device rotated.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_CREDENTIAL_CACHE_MS } from '../../../src/site/mp/limits.js';
import { callServer, newPostgresDatabase, startServer, stopServer, type StartedServer } from '../../helpers/osd-server.js';

describe('device credentials checked from memory, two servers sharing PostgreSQL', () => {
  let dir: string;
  let a: StartedServer;
  let b: StartedServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'osd-cred-cache-'));
    const database = await newPostgresDatabase('credcache');
    a = await startServer(join(dir, 'a'), ['--database', database]);
    b = await startServer(join(dir, 'b'), ['--database', database, '--key-file', join(dir, 'a', 'site.key')]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a && stopServer(a.proc, 'SIGTERM'), b && stopServer(b.proc, 'SIGTERM')]);
    rmSync(dir, { recursive: true, force: true });
  });

  const mp = async (s: StartedServer, method: string, path: string, credential?: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const res = await fetch(`${s.url}/mp/v1${path}`, {
      method,
      headers: { ...(credential ? { authorization: `Bearer ${credential}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, json: await res.json() };
  };
  const register = async (mac: string): Promise<{ resourceId: number; credential: string }> => {
    const r = await mp(a, 'POST', '/register', undefined, { macAddresses: [mac], architecture: 'x64', firmware: 'uefi', environment: 'winpe' });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    return r.json;
  };
  /** Milliseconds until `s` refuses the credential with `status` (polled), at most the bound and a second more. */
  const refusedWithin = async (s: StartedServer, credential: string, status: number): Promise<number> => {
    const t0 = Date.now();
    for (;;) {
      const r = await mp(s, 'GET', '/registration', credential);
      if (r.status === status) return Date.now() - t0;
      expect(r.status).toBe(200);
      if (Date.now() - t0 > DEVICE_CREDENTIAL_CACHE_MS + 1000) throw new Error(`still accepted after ${Date.now() - t0} ms`);
      await new Promise((res) => setTimeout(res, 100));
    }
  };

  it('a revoked credential: refused at once where revoked, within the bound on the other server', async () => {
    const d = await register('02:CC:00:00:00:01');
    expect((await mp(a, 'GET', '/registration', d.credential)).status).toBe(200);
    expect((await mp(b, 'GET', '/registration', d.credential)).status).toBe(200);
    expect((await callServer(a, 'DELETE', `/devices/${d.resourceId}/credentials`)).status).toBe(200);
    const now = await mp(a, 'GET', '/registration', d.credential);
    expect(now.status).toBe(401);
    expect(now.json.details?.reason ?? now.json.reason).toBe('credential-revoked');
    expect(await refusedWithin(b, d.credential, 401)).toBeLessThanOrEqual(DEVICE_CREDENTIAL_CACHE_MS + 1000);
  });

  it('a refused device and a rotated credential: the same', async () => {
    const d = await register('02:CC:00:00:00:02');
    expect((await mp(b, 'GET', '/registration', d.credential)).status).toBe(200);
    expect((await callServer(a, 'POST', `/devices/${d.resourceId}/refuse`)).status).toBe(200);
    expect((await mp(a, 'GET', '/registration', d.credential)).status).toBe(401);
    expect(await refusedWithin(b, d.credential, 401)).toBeLessThanOrEqual(DEVICE_CREDENTIAL_CACHE_MS + 1000);

    const e = await register('02:CC:00:00:00:03');
    expect((await mp(b, 'GET', '/registration', e.credential)).status).toBe(200);
    const rotated = await mp(a, 'POST', '/credential/rotate', e.credential);
    expect(rotated.status).toBe(200);
    expect((await mp(a, 'GET', '/registration', e.credential)).status).toBe(401);
    expect((await mp(a, 'GET', '/registration', rotated.json.credential)).status).toBe(200);
    expect((await mp(b, 'GET', '/registration', rotated.json.credential)).status).toBe(200);
    expect(await refusedWithin(b, e.credential, 401)).toBeLessThanOrEqual(DEVICE_CREDENTIAL_CACHE_MS + 1000);
  });
});

/**
 * Issue 10 acceptance: arbitrary strings, numbers and nested structures thrown at every declared
 * route's path parameters, query and body, with a valid Full Administrator token, over a real
 * socket, on both databases. Never a 500, never an answer outside the site's JSON error format,
 * never a request that takes longer than a bound; and meanwhile a second client keeps asking
 * GET /site, which must keep answering quickly (nothing blocks the event loop).
 *
 * Values are shaped by the route's own schema where it has one (its body and query keys get
 * arbitrary values), so requests get past "unknown key" and reach the services, and are sometimes
 * entirely arbitrary. Source paths can only reach an empty folder (the site's source root here).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_ROUTES } from '../../../src/server/api/routes/index.js';
import type { AnyRoute } from '../../../src/server/api/route.js';
import { tempDir } from '../../helpers/temp.js';
import { corpusText } from '../../helpers/corpus.js';
import { DB_KINDS, startTestApi, type TestApi } from '../../site/helpers/site.js';

/** No single request may take longer than this (a hang is a failure, not a slow pass). */
const REQUEST_BOUND_MS = 15_000;
/** GET /site, asked all along, must answer within this even while hostile requests run. */
const PING_BOUND_MS = 3_000;
const RUNS_PER_ROUTE = Number(process.env.OSD_FUZZ_RUNS ?? 12);

const odd = fc.constantFrom(
  '',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udc00y',
  '\u001b[31m',
  '\u202eexe.txt',
  '../../etc/passwd',
  '/proc/self/environ',
  '/',
  '%00',
  '%ff',
  "'; DROP TABLE packages; --",
  "' OR 1=1 --",
  '[a-a-a]',
  '[z-a]%',
  '${jndi:ldap://x}',
  "SELECT * FROM SMS_R_System WHERE Name LIKE '[a-a-a]'",
  'x'.repeat(5000),
  '9223372036854775808',
  '1e300',
  '-1',
  'NaN',
  'PS100001',
  'SMS00001',
  'osd_fake',
);
const text = fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 40 }), odd);
const number = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1, 2 ** 31, 2 ** 53, 2 ** 63, 1e300, -1e300, Number.MAX_VALUE, Number.MIN_VALUE, 1.5, -0),
);
const scalar = fc.oneof(text, number, fc.boolean(), fc.constant(null));
const anyValue = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string(), odd), tie('v'), { maxKeys: 4 }),
  ),
})).v;

/** The keys of a zod object schema (unwrapped through optional/default/effects), or []. */
function keysOf(schema: z.ZodType | undefined): string[] {
  let s = schema as unknown as { shape?: Record<string, unknown>; def?: { innerType?: unknown; in?: unknown; schema?: unknown } } | undefined;
  for (let i = 0; s && !s.shape && i < 5; i++) s = (s.def?.innerType ?? s.def?.in ?? s.def?.schema) as typeof s;
  return s?.shape ? Object.keys(s.shape) : [];
}

/** A body for the route: its own keys with arbitrary values, or anything at all. */
function bodyFor(r: AnyRoute): fc.Arbitrary<unknown> {
  const keys = keysOf(r.body);
  const shaped = keys.length ? fc.record(Object.fromEntries(keys.map((k) => [k, anyValue])), { requiredKeys: [] }) : anyValue;
  return fc.oneof({ weight: 4, arbitrary: shaped }, { weight: 1, arbitrary: anyValue });
}

function queryFor(r: AnyRoute): fc.Arbitrary<Array<[string, string]>> {
  const keys = keysOf(r.query);
  const key = keys.length ? fc.oneof(fc.constantFrom(...keys), fc.string()) : fc.string();
  return fc.array(fc.tuple(key, fc.oneof(text, number.map(String))), { maxLength: 4 });
}

/** Path values: arbitrary, or the id of an object that exists (so the request reaches it). */
function pathFor(r: AnyRoute, ids: string[]): fc.Arbitrary<string> {
  const names = [...r.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!);
  const value = fc.oneof(text, number.map(String), fc.constantFrom(...ids));
  return fc.tuple(...names.map(() => value)).map((values) => {
    let i = 0;
    return r.path.replace(/:([A-Za-z]+)/g, () => encode(String(values[i++] ?? '')) || 'x');
  });
}

/**
 * encodeURIComponent, except that a lone surrogate (which it refuses) is sent as the bytes a
 * careless client would send for it (CESU-8, ED A0 80…): the server must refuse those too.
 */
function encode(value: string): string {
  return value.replace(/[\ud800-\udbff][\udc00-\udfff]|[\s\S]/g, (c) => {
    const code = c.charCodeAt(0);
    if (c.length === 1 && code >= 0xd800 && code <= 0xdfff)
      return `%ED%${(0xa0 | ((code >> 6) & 0x1f)).toString(16).toUpperCase()}%${(0x80 | (code & 0x3f)).toString(16).toUpperCase()}`;
    return encodeURIComponent(c);
  });
}

function encodeQuery(pairs: Array<[string, string]>): string {
  const q = pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&');
  return q ? `?${q}` : '';
}

describe.each(DB_KINDS)('every route under arbitrary input, on %s', (kind) => {
  let api: TestApi;
  let base: string;
  let root: string;
  const slowPings: number[] = [];
  let pinging = true;
  let pinger: Promise<void>;

  beforeAll(async () => {
    root = tempDir('openosd-fuzz-src-');
    writeFileSync(join(root, 'readme.txt'), 'the only file a fuzzed source path can reach');
    api = await startTestApi(kind, { sourceRoots: [root], maxImportBytes: 1024 * 1024 });
    base = await api.app.listen({ port: 0, host: '127.0.0.1' });
    const token = api.tokens['full-administrator'];
    pinger = (async () => {
      while (pinging) {
        const started = Date.now();
        const res = await fetch(`${base}/api/v1/site`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(REQUEST_BOUND_MS) });
        await res.arrayBuffer();
        const took = Date.now() - started;
        if (res.status !== 200 || took > PING_BOUND_MS) slowPings.push(res.status !== 200 ? -res.status : took);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
  });
  afterAll(async () => {
    pinging = false;
    await pinger;
    await api?.close();
  });

  it(`never answers 500 or hangs, and the server keeps answering meanwhile (${RUNS_PER_ROUTE} requests per route)`, { timeout: 600_000 }, async () => {
    const token = api.tokens['full-administrator'];
    // A few real objects, so that arbitrary bodies also reach existing packages, devices,
    // collections and task sequences, not only "no such id".
    const seeded = [
      (await api.call('POST', '/api/v1/packages', { body: { name: 'Fuzz target', sourcePath: join(root, 'readme.txt') } })).json.packageId,
      String((await api.call('POST', '/api/v1/devices', { body: { name: 'FUZZ-PC', macAddresses: ['00:15:5D:00:00:01'] } })).json.device?.resourceId),
      (await api.call('POST', '/api/v1/collections', { body: { name: 'Fuzz collection' } })).json.collection?.collectionId,
      (
        await api.call('POST', '/api/v1/task-sequences?name=Fuzz', {
          payload: corpusText('cm-export-module-bios-update.xml'),
          headers: { 'content-type': 'application/xml' },
        })
      ).json.taskSequence?.id,
      'SMS00001',
      'local',
      'OSDComputerName',
    ].filter((x): x is string => typeof x === 'string' && x !== 'undefined');
    expect(seeded.length).toBe(7);
    // Routes that end the test's own access are left out: revoking tokens (the admin's own token is
    // protected as the last administrator, others' are ours to keep for the run).
    const routes = ALL_ROUTES.filter((r) => !(r.method === 'DELETE' && r.path.startsWith('/tokens')));
    const failures: string[] = [];
    let requests = 0;
    for (const r of routes) {
      await fc
        .assert(
          fc.asyncProperty(pathFor(r, seeded), queryFor(r), bodyFor(r), async (path, query, body) => {
            const url = `${base}/api/v1${path}${encodeQuery(query)}`;
            const hasBody = r.method !== 'GET' && r.method !== 'DELETE';
            const isUpload = r.bodyKind === 'stream';
            // JSON.stringify writes a lone surrogate as \\udXXX: the server sees it as such.
            const payload = !hasBody ? undefined : isUpload ? Buffer.from(JSON.stringify(body) ?? '') : (JSON.stringify(body) ?? 'null');
            const started = Date.now();
            requests++;
            let status: number;
            let text: string;
            try {
              const res = await fetch(url, {
                method: r.method,
                headers: {
                  authorization: `Bearer ${token}`,
                  ...(hasBody ? { 'content-type': isUpload ? 'application/octet-stream' : 'application/json' } : {}),
                },
                body: payload,
                signal: AbortSignal.timeout(REQUEST_BOUND_MS),
              });
              status = res.status;
              text = await res.text();
            } catch (e) {
              failures.push(`${r.method} ${r.path}: no answer within ${REQUEST_BOUND_MS} ms (${(e as Error).message}) for ${url.slice(0, 200)}`);
              return false;
            }
            const took = Date.now() - started;
            let json: { error?: unknown } | undefined;
            try {
              json = JSON.parse(text) as { error?: unknown };
            } catch {
              json = undefined;
            }
            const raw = r.raw !== undefined && status < 400;
            if (status >= 500 || (!raw && status >= 400 && typeof json?.error !== 'string')) {
              failures.push(
                `${r.method} ${r.path} → ${status} in ${took} ms: ${text.slice(0, 300)} for ${url.slice(0, 200)} body ${String(payload).slice(0, 200)}`,
              );
              return false;
            }
            return true;
          }),
          { numRuns: RUNS_PER_ROUTE, seed: Number(process.env.OSD_FUZZ_SEED ?? 20261207), endOnFailure: true },
        )
        .catch((e: unknown) => {
          // A failure above is collected with its request; anything else (the test itself) is one too.
          if (!failures.length) failures.push(`${r.method} ${r.path}: ${(e as Error).message.split('\n')[0]}`);
        });
    }
    expect(failures).toEqual([]);
    // Every route was really exercised (a property that stopped early would show here).
    expect(requests).toBe(routes.length * RUNS_PER_ROUTE);
    expect(slowPings, 'GET /site took longer than the bound (or failed) while the fuzzed requests ran').toEqual([]);
    // The server still answers after all of it.
    expect((await fetch(`${base}/api/v1/site`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });
});

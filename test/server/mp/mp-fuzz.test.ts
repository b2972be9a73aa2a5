/**
 * Arbitrary path parameters, queries and bodies thrown at every management point route with a
 * valid device credential (and at register with none), on both databases: never a 500, never an
 * answer outside the site's JSON error format, never a hang.
 */
import fc from 'fast-check';
import type { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MP_ROUTE_MODULES } from '../../../src/server/mp/routes/index.js';
import type { AnyMpRoute } from '../../../src/server/mp/route.js';
import { DB_KINDS, startTestApi, type TestApi } from '../../site/helpers/site.js';

const REQUEST_BOUND_MS = 15_000;
const RUNS_PER_ROUTE = Number(process.env.OSD_FUZZ_RUNS ?? 12);

const odd = fc.constantFrom(
  '',
  '\u0000',
  '\ud800',
  '\u202eexe.txt',
  '../../etc/passwd',
  '%00',
  "' OR 1=1 --",
  'x'.repeat(5000),
  '1e300',
  '-1',
  'PS100001',
  'osd-dev-x',
);
const text = fc.oneof(fc.string(), odd);
const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(2 ** 53, 1e300, -0, 1.5));
const scalar = fc.oneof(text, number, fc.boolean(), fc.constant(null));
const anyValue = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(fc.oneof(fc.string(), odd), tie('v'), { maxKeys: 4 })),
})).v;

function keysOf(schema: z.ZodType | undefined): string[] {
  let s = schema as unknown as { shape?: Record<string, unknown>; def?: { innerType?: unknown; in?: unknown; schema?: unknown } } | undefined;
  for (let i = 0; s && !s.shape && i < 5; i++) s = (s.def?.innerType ?? s.def?.in ?? s.def?.schema) as typeof s;
  return s?.shape ? Object.keys(s.shape) : [];
}

const encode = (v: string): string => {
  try {
    return encodeURIComponent(v);
  } catch {
    return '%ED%A0%80';
  }
};

describe.each(DB_KINDS)('every management point route under arbitrary input, on %s', (kind) => {
  let api: TestApi;
  let base: string;

  beforeAll(async () => {
    api = await startTestApi(kind);
    base = await api.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => api?.close());

  it(`never answers 500 or hangs (${RUNS_PER_ROUTE} requests per route)`, { timeout: 600_000 }, async () => {
    const reg = await api.call('POST', '/mp/v1/register', {
      token: null,
      body: { macAddresses: ['00:15:5D:F0:00:01'], architecture: 'x64', firmware: 'uefi', environment: 'winpe' },
    });
    expect(reg.status).toBe(201);
    const credential = reg.json.credential as string;
    const routes: AnyMpRoute[] = MP_ROUTE_MODULES.flatMap((m) => m({ app: api.app, site: api.site })).filter((r) => r.path !== '/credential/rotate');
    const failures: string[] = [];
    for (const r of routes) {
      const names = [...r.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!);
      const pathArb = fc.tuple(...names.map(() => fc.oneof(text, number.map(String)))).map((values) => {
        let i = 0;
        return r.path.replace(/:([A-Za-z]+)/g, () => encode(String(values[i++] ?? '')) || 'x');
      });
      const qKeys = keysOf(r.query);
      const queryArb = fc.array(fc.tuple(qKeys.length ? fc.oneof(fc.constantFrom(...qKeys), fc.string()) : fc.string(), fc.oneof(text, number.map(String))), {
        maxLength: 4,
      });
      const bKeys = keysOf(r.body);
      const bodyArb = bKeys.length ? fc.oneof(fc.record(Object.fromEntries(bKeys.map((k) => [k, anyValue])), { requiredKeys: [] }), anyValue) : anyValue;
      await fc.assert(
        fc.asyncProperty(pathArb, queryArb, bodyArb, async (path, query, body) => {
          const q = query.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&');
          const hasBody = r.method !== 'GET' && r.method !== 'DELETE';
          const contentType = r.bodyKind === 'text' ? 'text/plain' : 'application/json';
          const payload = !hasBody ? undefined : r.bodyKind === 'text' && typeof body === 'string' ? body : (JSON.stringify(body) ?? 'null');
          const res = await fetch(`${base}/mp/v1${path}${q ? `?${q}` : ''}`, {
            method: r.method,
            headers: { ...(r.auth === 'none' ? {} : { authorization: `Bearer ${credential}` }), ...(hasBody ? { 'content-type': contentType } : {}) },
            body: payload,
            signal: AbortSignal.timeout(REQUEST_BOUND_MS),
          });
          const answer = await res.text();
          if (res.status >= 500) failures.push(`${r.method} ${path}?${q} → ${res.status} ${answer.slice(0, 300)}`);
          else if (res.status >= 400 && !/"error"\s*:/.test(answer))
            failures.push(`${r.method} ${path} → ${res.status} not in the error format: ${answer.slice(0, 200)}`);
        }),
        { numRuns: RUNS_PER_ROUTE },
      );
    }
    expect(failures).toEqual([]);
  });
});

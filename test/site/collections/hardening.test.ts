/**
 * Issue 10 "Site hardening" for collections, query rules and devices, on both databases: bad input
 * is a 400 naming the field and the rule (never a database error, never silently changed), every
 * limit is checked before the work it bounds, and nothing is quadratic or recursive without bound.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileLike } from '../../../src/engine/conditions/wql/like.js';
import { addRule, insertRules, removeRule } from '../../../src/site/collections/rules.js';
import { loadCollectionGraph } from '../../../src/site/collections/graph.js';
import { createCollection, evaluateCollection, getCollection, listCollections, updateCollection } from '../../../src/site/collections/collections.js';
import { evaluateWithDependents } from '../../../src/site/collections/evaluate.js';
import {
  MAX_IN_VALUES,
  MAX_LIKE_PATTERN_LENGTH,
  MAX_LIKE_SETS,
  MAX_QUERY_CONDITIONS,
  MAX_QUERY_DEPTH,
  MAX_QUERY_LENGTH,
  MAX_QUERY_RULES_PER_COLLECTION,
  MAX_RULES_PER_COLLECTION,
} from '../../../src/site/collections/limits.js';
import { checkCollectionQuery, likeToPosixRegex, parseCollectionQuery } from '../../../src/site/collections/query/index.js';
import { getVariable, setVariable } from '../../../src/site/collections/variables.js';
import { createAssociation, listAssociations } from '../../../src/site/devices/associations.js';
import { importComputersFromCsv } from '../../../src/site/devices/csv-import.js';
import { getDevice, importComputer, listDevices, updateDevice } from '../../../src/site/devices/devices.js';
import { MAX_CSV_COLUMNS, MAX_CSV_LENGTH, MAX_IMPORT_COMPUTERS, MAX_MACS_PER_COMPUTER } from '../../../src/site/devices/limits.js';
import { SiteError } from '../../../src/site/errors.js';
import { SYSTEM_ACTOR } from '../../../src/site/security/roles.js';
import { checkName, checkText, quoteForMessage, textProblem } from '../../../src/site/text-rules.js';
import { WqlError } from '../../../src/engine/conditions/wql/errors.js';
import { DB_KINDS, openTestSite, startTestApi, type TestApi, type TestSite } from '../helpers/site.js';

/** The SiteError a call throws (failing the test when it does not). */
async function refusal(f: () => unknown): Promise<SiteError> {
  try {
    await f();
  } catch (e) {
    if (e instanceof SiteError) return e;
    throw e;
  }
  throw new Error('expected a SiteError');
}

const NUL = '\u0000';
const HIGH = '\ud800';
const LOW = '\udc00';
/** What no stored text may hold. */
const NOT_TEXT = [NUL, HIGH, LOW, `x${LOW}${HIGH}`];
/** What no name may hold besides: C0, DEL, C1, bidi overrides and isolates, zero-width and other invisible format characters, separators. */
const NOT_NAME = [
  '\u0007',
  '\t',
  '\n',
  '\u007f',
  '\u0085',
  '\u009b',
  '\u202e',
  '\u202a',
  '\u2066',
  '\u2069',
  '\u200b',
  '\u200d',
  '\u200f',
  '\ufeff',
  '\u2028',
  '\u2029',
  '\u00ad',
  '\u{e0041}',
];

describe('text rules (src/site/text-rules.ts)', () => {
  it('refuses NUL and lone surrogates in text, naming the field, the character and where it is', () => {
    for (const bad of NOT_TEXT) {
      const p = textProblem(`ab${bad}c`);
      expect(p, JSON.stringify(bad)).toBeDefined();
      expect(p!.index).toBe(2 + (bad.startsWith('x') ? 1 : 0));
      expect(() => checkText(`ab${bad}c`, 'body.comment')).toThrow(SiteError);
    }
    try {
      checkText('abc\u0000', 'body.comment');
    } catch (e) {
      expect((e as SiteError).toJSON()).toMatchObject({ error: 'bad-input', input: 'body.comment', rule: 'contains a NUL character (U+0000) at character 4' });
    }
    expect(textProblem(`a${HIGH}`)!.rule).toBe('contains a lone surrogate (U+D800), which is not valid Unicode at character 2');
    // Pairs, tabs, line breaks, bidi characters and emoji are text.
    for (const ok of ['😀 x', 'a\tb\nc', 'שלום \u202e', '\u{10ffff}', '']) expect(textProblem(ok), ok).toBeUndefined();
  });

  it('refuses in names also controls, bidirectional and invisible formatting characters', () => {
    for (const bad of [...NOT_TEXT, ...NOT_NAME]) {
      expect(textProblem(`PC${bad}1`, 'name'), JSON.stringify(bad)).toBeDefined();
      expect(() => checkName(`PC${bad}1`, 'body.name'), JSON.stringify(bad)).toThrow(/body\.name: contains/);
    }
    expect(textProblem('a\u202eb', 'name')!.rule).toBe('contains the bidirectional formatting character U+202E at character 2');
    expect(textProblem('a\u0007', 'name')!.rule).toBe('contains the control character U+0007 at character 2');
    expect(textProblem('a\u200bb', 'name')!.rule).toBe('contains the invisible formatting character U+200B at character 2');
    for (const ok of ['Dell Latitude 7440', 'École – Zürich', 'Ünïcödé 😀', '東京']) expect(checkName(ok, 'x')).toBe(ok);
  });

  it('quotes refused values without passing the characters on', () => {
    expect(quoteForMessage('a\u202eb\u0000c')).toBe('"a\\u202eb\\u0000c"');
    expect(quoteForMessage('x'.repeat(100), 10)).toBe(`"${'x'.repeat(10)}…"`);
    expect(quoteForMessage(`${'x'.repeat(9)}😀`, 10)).toBe(`"${'x'.repeat(9)}\\ud83d…"`);
  });

  it('is linear: a 4 MiB string is checked in milliseconds', () => {
    const big = 'a'.repeat(4 * 1024 * 1024);
    const t = Date.now();
    expect(textProblem(big, 'name')).toBeUndefined();
    expect(textProblem(`${big}${NUL}`)!.index).toBe(big.length);
    expect(Date.now() - t).toBeLessThan(500);
  });
});

describe('collection query limits (src/site/collections/limits.ts), checked while parsing', () => {
  const where = (w: string): string => `select * from SMS_R_System where ${w}`;
  const wqlError = (text: string): WqlError => {
    try {
      parseCollectionQuery(text);
    } catch (e) {
      if (e instanceof WqlError) return e;
      throw e;
    }
    throw new Error('expected a WqlError');
  };
  const accepted = (text: string): void => {
    expect(() => checkCollectionQuery(text, 'body.query')).not.toThrow();
  };

  it(`length: ${MAX_QUERY_LENGTH} characters`, () => {
    const pad = (n: number): string => where(`Name = '${'x'.repeat(n - where("Name = ''").length)}'`);
    accepted(pad(MAX_QUERY_LENGTH));
    expect(wqlError(pad(MAX_QUERY_LENGTH + 1)).message).toMatch(/at most 16000/);
    expect(wqlError('x'.repeat(10_000_000)).column).toBe(MAX_QUERY_LENGTH + 1);
  });

  it(`nesting: ${MAX_QUERY_DEPTH} levels of parentheses and NOT; 7,000 levels refused without overflowing the stack`, () => {
    accepted(where(`${'('.repeat(MAX_QUERY_DEPTH)}Name = 'x'${')'.repeat(MAX_QUERY_DEPTH)}`));
    accepted(where(`${'not '.repeat(MAX_QUERY_DEPTH)}Name = 'x'`));
    accepted(where(`${'not ('.repeat(MAX_QUERY_DEPTH / 2)}Name = 'x'${')'.repeat(MAX_QUERY_DEPTH / 2)}`));
    for (const text of [
      where(`${'('.repeat(MAX_QUERY_DEPTH + 1)}Name = 'x'${')'.repeat(MAX_QUERY_DEPTH + 1)}`),
      where(`${'not '.repeat(MAX_QUERY_DEPTH + 1)}Name = 'x'`),
      where(`${'('.repeat(7000)}Name = 'x'${')'.repeat(7000)}`),
      where(`${'not '.repeat(3500)}Name = 'x'`),
    ]) {
      const e = wqlError(text);
      expect(e.message).toMatch(/nests deeper than 100 levels/);
      expect(e.column).toBeGreaterThan(text.indexOf('where'));
    }
  });

  it(`comparisons: ${MAX_QUERY_CONDITIONS}; IN values: ${MAX_IN_VALUES}`, () => {
    const ors = (n: number): string => where(Array.from({ length: n }, (_, i) => `a=${i % 10}`).join(' or '));
    accepted(ors(MAX_QUERY_CONDITIONS));
    expect(wqlError(ors(MAX_QUERY_CONDITIONS + 1)).message).toMatch(/more than 1000 comparisons/);
    const ins = (n: number): string => where(`ResourceId in (${Array.from({ length: n }, () => '1').join(',')})`);
    accepted(ins(MAX_IN_VALUES));
    expect(wqlError(ins(MAX_IN_VALUES + 1)).message).toMatch(/at most 5000 values/);
  });

  it(`LIKE: ${MAX_LIKE_PATTERN_LENGTH} characters per pattern, ${MAX_LIKE_SETS} [sets] per query`, () => {
    accepted(where(`Name like '${'_'.repeat(MAX_LIKE_PATTERN_LENGTH)}'`));
    expect(wqlError(where(`Name like '${'_'.repeat(MAX_LIKE_PATTERN_LENGTH + 1)}'`)).message).toMatch(/at most 1000/);
    accepted(where(`Name like '${'[a]'.repeat(MAX_LIKE_SETS / 2)}' or Model like '${'[^b]'.repeat(MAX_LIKE_SETS / 2)}'`));
    expect(wqlError(where(`Name like '${'[a]'.repeat(MAX_LIKE_SETS / 2)}' or Model like '${'[^b]'.repeat(MAX_LIKE_SETS / 2 + 1)}'`)).message).toMatch(
      /more than 100 \[sets\]/,
    );
  });

  it('numbers: at most 1,000 digits; no NaN, no arithmetic', () => {
    accepted(where('ResourceId = 1e999'));
    accepted(where('ResourceId > -1e-999'));
    for (const [w, message] of [
      ['ResourceId = 1e1000', /at most 1000 digits/],
      ['ResourceId = 1e-1001', /at most 1000 digits/],
      ['ResourceId = 1e99999999999', /at most 1000 digits/],
      [`ResourceId = ${'9'.repeat(1001)}`, /at most 1000 digits/],
      [`ResourceId = '${'9'.repeat(1001)}'`, /more than 1000 digits/],
      ['ResourceId = 2^63', /unexpected character/],
      ['ResourceId = NaN', /comparing two attributes/],
      ['ResourceId = Infinity', /comparing two attributes/],
      ['ResourceId = 1 - 2', /arithmetic/],
      ['Client = 1e300', /true\/false/],
    ] as const) {
      const e = (() => {
        try {
          checkCollectionQuery(where(w), 'body.query');
        } catch (err) {
          return err as SiteError;
        }
        throw new Error(`expected ${w} to be refused`);
      })();
      expect(e, w).toBeInstanceOf(SiteError);
      expect(e.input).toBe('body.query');
      expect(e.rule, w).toMatch(message);
      expect(e.rule).toMatch(/^column \d+: /);
    }
  });

  it('NUL and lone surrogates in a string literal are refused with their column', () => {
    for (const bad of NOT_TEXT) {
      const text = where(`Name = 'a${bad}'`);
      const e = wqlError(text);
      expect(e.column).toBe(textProblem(text)!.index + 1);
      expect(e.message).toMatch(/NUL|lone surrogate/);
    }
  });

  it('LIKE patterns become PostgreSQL regexes whose every special character is escaped', () => {
    expect(likeToPosixRegex('[a-c]x%_.')).toBe('^[a-c]x.*.\\.$');
    expect(likeToPosixRegex('[^]')).toBe('^[\\^]$');
    expect(likeToPosixRegex('[^]]')).toBe('^[^\\]]$');
    expect(likeToPosixRegex('[[:alpha:]]')).toBe('^[\\[\\:alpha\\:]\\]$');
    expect(likeToPosixRegex('[]-a\\]')).toBe('^[\\]-a\\\\]$');
    expect(likeToPosixRegex('[a-c-]')).toBe('^[a-c\\-]$');
    expect(() => likeToPosixRegex('[a-a-a]')).toThrow(/ambiguous/);
  });
});

describe.each(DB_KINDS)('site services refuse bad text and numbers on %s', (kind) => {
  let t: TestSite;
  let rid: number;
  beforeAll(async () => {
    t = await openTestSite(kind);
    rid = (await importComputer(t.site.db, SYSTEM_ACTOR, { name: 'PC-1', mac: '00:11:22:33:44:01', properties: { model: 'M1' } }, {})).device.resourceId;
  });
  afterAll(async () => t?.close());
  const db = (): TestSite['site']['db'] => t.site.db;

  it('collections: names, comments, ids, searches and pages', async () => {
    for (const bad of NOT_TEXT) {
      expect((await refusal(() => createCollection(db(), SYSTEM_ACTOR, 'PS1', { name: `C${bad}` }))).toJSON()).toMatchObject({
        error: 'bad-input',
        input: 'body.name',
      });
      expect((await refusal(() => createCollection(db(), SYSTEM_ACTOR, 'PS1', { name: 'C ok', comment: `c${bad}` }))).input).toBe('body.comment');
      expect((await refusal(() => createCollection(db(), SYSTEM_ACTOR, 'PS1', { name: 'C ok', limitingCollectionId: `SMS${bad}` }))).input).toBe(
        'body.limitingCollectionId',
      );
      expect((await refusal(() => getCollection(db(), `SMS${bad}`))).input).toBe('params.collectionId');
      expect((await refusal(() => updateCollection(db(), SYSTEM_ACTOR, `SMS${bad}`, { comment: 'x' }))).input).toBe('params.collectionId');
      expect((await refusal(() => listCollections(db(), { search: `a${bad}` }))).input).toBe('query.search');
    }
    for (const bad of NOT_NAME) {
      const e = await refusal(() => createCollection(db(), SYSTEM_ACTOR, 'PS1', { name: `Admin${bad}istrators` }));
      expect(e.input).toBe('body.name');
      expect(e.rule).toMatch(/^contains the (control|bidirectional|invisible|line)/);
    }
    // Surrounding white space is still trimmed; tabs and line breaks are fine in a comment.
    const { collection } = await createCollection(db(), SYSTEM_ACTOR, 'PS1', { name: '\t Trimmed \n', comment: 'line 1\nline 2\ttab' });
    expect(collection.name).toBe('Trimmed');
    for (const [filter, input] of [
      [{ limit: 1.5 }, 'query.limit'],
      [{ limit: Number.NaN }, 'query.limit'],
      [{ offset: 1e300 }, 'query.offset'],
      [{ offset: -1 }, 'query.offset'],
    ] as const) {
      expect((await refusal(() => listCollections(db(), filter))).input).toBe(input);
    }
    expect((await refusal(() => listCollections(db(), { search: 'x'.repeat(257) }))).rule).toMatch(/at most 256/);
  });

  it('rules: query text, rule names, ids', async () => {
    const { collection } = await createCollection(db(), SYSTEM_ACTOR, 'PS1', { name: 'Rules' });
    const id = collection.collectionId;
    for (const bad of NOT_TEXT) {
      const e = await refusal(() => addRule(db(), SYSTEM_ACTOR, id, { kind: 'query', query: `select * from SMS_R_System where Name = 'a${bad}'` }));
      expect(e.input).toBe('body.query');
      expect(e.rule).toMatch(/^column 4[34]: the query contains (a NUL|a lone surrogate)/);
      expect((await refusal(() => addRule(db(), SYSTEM_ACTOR, id, { kind: 'include', collectionId: `SMS${bad}` }))).input).toBe('body.collectionId');
    }
    for (const bad of NOT_NAME) {
      expect((await refusal(() => addRule(db(), SYSTEM_ACTOR, id, { kind: 'direct', resourceId: rid, name: `r${bad}` }))).input).toBe('body.name');
    }
    for (const n of [0, -1, 1.5, 2 ** 63, 1e300, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect((await refusal(() => addRule(db(), SYSTEM_ACTOR, id, { kind: 'direct', resourceId: n }))).input).toBe('body.resourceId');
      expect((await refusal(() => removeRule(db(), SYSTEM_ACTOR, id, n))).input).toBe('params.ruleId');
    }
    expect((await getCollection(db(), id)).ruleCount).toBe(0);
  });

  it('devices: names, MACs, GUIDs, source computers, properties, searches, cursors and ids', async () => {
    const importing = (entry: Record<string, unknown>): Promise<SiteError> =>
      refusal(() => importComputer(db(), SYSTEM_ACTOR, { name: 'PC-OK', mac: '00:11:22:33:44:99', ...entry } as never, {}));
    for (const bad of NOT_TEXT) {
      for (const [entry, input] of [
        [{ name: `PC${bad}` }, 'body.name'],
        [{ mac: `00:11:22:33:44:9${bad}` }, 'body.mac'],
        [{ mac: undefined, macAddresses: [`00:11:22:33:44:98${bad}`] }, 'body.macAddresses'],
        [{ smbiosGuid: `4C4C4544-0042-3510-8051-B4C04F4A4D3${bad}` }, 'body.smbiosGuid'],
        [{ sourceComputer: `PC${bad}` }, 'body.sourceComputer'],
        [{ properties: { model: `M${bad}` } }, 'body.properties.model'],
      ] as const) {
        const e = await importing(entry);
        expect(e.input, `${JSON.stringify(bad)} ${input}`).toBe(input);
        expect(e.rule).toMatch(/NUL|lone surrogate/);
        expect(e.message).not.toContain(bad);
      }
      expect((await refusal(() => updateDevice(db(), SYSTEM_ACTOR, rid, { name: `PC${bad}` }))).input).toBe('body.name');
      expect((await refusal(() => updateDevice(db(), SYSTEM_ACTOR, rid, { macAddresses: [`00:11:22:33:44:01${bad}`] }))).input).toBe('body.macAddresses[0]');
      expect((await refusal(() => updateDevice(db(), SYSTEM_ACTOR, rid, { properties: { model: bad } }))).input).toBe('body.properties.model');
      expect((await refusal(() => listDevices(db(), { search: `PC${bad}` }))).input).toBe('query.search');
    }
    for (const bad of NOT_NAME) {
      expect((await importing({ name: `PC${bad}1` })).input).toBe('body.name');
      expect((await refusal(() => updateDevice(db(), SYSTEM_ACTOR, rid, { name: `PC${bad}2` }))).input).toBe('body.name');
      expect((await importing({ properties: { [`key${bad}`]: 'x' } })).rule).toMatch(/^the property name contains/);
    }
    expect((await importing({ properties: { build: Number.NaN } })).input).toBe('body.properties.build');
    expect(
      (await importing({ macAddresses: Array.from({ length: MAX_MACS_PER_COMPUTER + 1 }, (_, i) => `00:11:22:33:${String(i % 100).padStart(2, '0')}:00`) }))
        .rule,
    ).toMatch(/at most 100 MAC/);
    // A ResourceID beyond 2^53 as a source computer is "no such device", not a database error.
    expect((await importing({ sourceComputer: '99999999999999999999999' })).rule).toMatch(/no device has ResourceID/);
    for (const n of [0, -1, 1.5, 2 ** 63, 1e300, Number.NaN]) {
      expect((await refusal(() => getDevice(db(), n))).input).toBe('params.resourceId');
      expect((await refusal(() => updateDevice(db(), SYSTEM_ACTOR, n, { client: true }))).input).toBe('params.resourceId');
      expect((await refusal(() => listDevices(db(), { offset: n === 0 ? -1 : n }))).input).toBe('query.offset');
    }
    // A huge number as a search is not a ResourceID (bigint would overflow): it finds nothing.
    expect((await listDevices(db(), { search: '99999999999999999999999' })).devices).toEqual([]);
    // Cursors: only what the server handed out, whatever a forged one decodes to.
    const forged = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
    for (const cursor of [
      forged(['pc\u0000', 1]),
      forged([`pc${HIGH}`, 1]),
      forged(['pc', 1e300]),
      forged(['pc', 2 ** 63]),
      forged(['pc', -1]),
      forged(['pc', 1.5]),
      forged(['pc']),
      'not base64 at all!',
      `x${NUL}`,
    ]) {
      const e = await refusal(() => listDevices(db(), { cursor, limit: 1 }));
      expect(e.input, cursor).toBe('query.cursor');
    }
    const page = await listDevices(db(), { limit: 1 });
    expect((await listDevices(db(), { limit: 1, cursor: page.nextCursor! })).devices.length).toBe(1);
  });

  it('variables: names and values; a lone surrogate is refused, never stored as U+FFFD', async () => {
    const owner = { kind: 'device' as const, resourceId: rid };
    for (const bad of NOT_TEXT) {
      expect((await refusal(() => setVariable(t.site, SYSTEM_ACTOR, owner, 'OSDValue', { value: `v${bad}` }))).input).toBe('body.value');
      expect((await refusal(() => setVariable(t.site, SYSTEM_ACTOR, owner, 'OSDValue', { value: `v${bad}`, masked: true }))).input).toBe('body.value');
      expect((await refusal(() => getVariable(db(), owner, `OSD${bad}`))).input).toBe('params.name');
    }
    for (const bad of NOT_NAME) expect((await refusal(() => setVariable(t.site, SYSTEM_ACTOR, owner, `OSD${bad}`, { value: 'v' }))).input).toBe('params.name');
    expect((await refusal(() => getVariable(db(), owner, 'OSDValue'))).code).toBe('not-found');
    expect((await refusal(() => setVariable(t.site, SYSTEM_ACTOR, { kind: 'device', resourceId: 1e300 }, 'OSDValue', { value: 'v' }))).input).toBe(
      'params.resourceId',
    );
    const { rows } = await db().query<{ n: number }>("SELECT count(*)::int AS n FROM device_variables WHERE value LIKE '%' || chr(65533) || '%'");
    expect(rows[0].n).toBe(0);
  });

  it('computer associations: account names and ids', async () => {
    const other = (await importComputer(db(), SYSTEM_ACTOR, { name: 'PC-2', mac: '00:11:22:33:44:02' }, {})).device.resourceId;
    for (const bad of [...NOT_TEXT, ...NOT_NAME]) {
      const e = await refusal(() =>
        createAssociation(db(), SYSTEM_ACTOR, { sourceResourceId: rid, destinationResourceId: other, accounts: ['CONTOSO\\ok', `CONTOSO\\u${bad}x`] }),
      );
      expect(e.input, JSON.stringify(bad)).toBe('body.accounts[1]');
    }
    expect(
      (
        await refusal(() =>
          createAssociation(db(), SYSTEM_ACTOR, { sourceResourceId: rid, destinationResourceId: other, accounts: [`CONTOSO\\${'u'.repeat(300)}`] }),
        )
      ).rule,
    ).toMatch(/at most 256/);
    expect(
      (
        await refusal(() =>
          createAssociation(db(), SYSTEM_ACTOR, { sourceResourceId: 2 ** 63, destinationResourceId: other, userAccounts: 'capture-restore-all' }),
        )
      ).input,
    ).toBe('body.sourceResourceId');
    expect((await refusal(() => listAssociations(db(), { resourceId: -1 }))).input).toBe('query.resourceId');
  });

  it('CSV import: every cell, the size, the rows and the columns', async () => {
    const csv = (rows: string[]): string => ['Name,MAC,Notes', ...rows].join('\n');
    for (const bad of NOT_TEXT) {
      const e = await refusal(() =>
        importComputersFromCsv(db(), SYSTEM_ACTOR, { csv: csv(['PC-10,00:11:22:33:45:10,fine', `PC-11,00:11:22:33:45:11,n${bad}`]) }),
      );
      expect(e.input).toBe('body.csv row 3 column "Notes"');
      expect(e.rule).toMatch(/NUL|lone surrogate/);
      expect(
        (await refusal(() => importComputersFromCsv(db(), SYSTEM_ACTOR, { csv: csv(['PC-10,00:11:22:33:45:10,x']), mapping: { name: `Name${bad}` } }))).input,
      ).toBe('body.mapping.name');
    }
    const bidi = await refusal(() =>
      importComputersFromCsv(db(), SYSTEM_ACTOR, { csv: csv(['PC-10,00:11:22:33:45:10,x', 'PC\u202e-11,00:11:22:33:45:11,x']) }),
    );
    expect(bidi.input).toBe('body.csv row 3 column "Name"');
    expect(bidi.rule).toMatch(/U\+202E/);
    // Limits, checked before anything is looked up.
    const many = csv(Array.from({ length: MAX_IMPORT_COMPUTERS + 1 }, (_, i) => `PC-${i},${(0x001122000000 + i).toString(16).padStart(12, '0')},`));
    let started = Date.now();
    expect((await refusal(() => importComputersFromCsv(db(), SYSTEM_ACTOR, { csv: many }))).rule).toMatch(/more than 10000 computers/);
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await refusal(() => importComputersFromCsv(db(), SYSTEM_ACTOR, { csv: `Name,MAC\n${'x'.repeat(MAX_CSV_LENGTH)}` }))).rule).toMatch(
      /at most 4194304/,
    );
    expect(
      (await refusal(() => importComputersFromCsv(db(), SYSTEM_ACTOR, { csv: `Name,MAC${',x'.repeat(MAX_CSV_COLUMNS)}\nPC-1,001122334455` }))).rule,
    ).toMatch(/more than 100 columns/);
    const macs = Array.from({ length: MAX_MACS_PER_COMPUTER + 1 }, (_, i) => (0x001122330000 + i).toString(16).padStart(12, '0')).join(';');
    expect((await refusal(() => importComputersFromCsv(db(), SYSTEM_ACTOR, { csv: `Name,MAC\nPC-1,${macs}` }))).rule).toMatch(/at most 100 MAC/);
    // A cell of 300,000 separators is not quadratic.
    started = Date.now();
    expect((await refusal(() => importComputersFromCsv(db(), SYSTEM_ACTOR, { csv: `Name,MAC\nPC-1,${';'.repeat(300_000)}` }))).rule).toMatch(
      /MAC address or an SMBIOS GUID/,
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await listDevices(db(), { search: 'PC-1' })).devices.map((d) => d.name)).toEqual(['PC-1']);
  });
});

describe.each(DB_KINDS)('query rules: LIKE sets and numbers on %s', (kind) => {
  let api: TestApi;
  const names = ['^CARET', ']BR', '[BL', '-DASH', 'PC%1', 'PC_1', 'PCX1', '=EQ', 'D.OT', 'A!B', 'a~b', 'B', 'Z'];
  const rids: Record<string, number> = {};
  beforeAll(async () => {
    api = await startTestApi(kind);
    for (const [i, name] of names.entries()) {
      const r = await api.call('POST', '/api/v1/devices', {
        body: { name, mac: `00:11:22:33:55:${String(i).padStart(2, '0')}`, properties: { build: i % 2 ? 19045 : '22631', serialNumber: `S${i}` } },
      });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      rids[name] = r.json.device.resourceId;
    }
  });
  afterAll(async () => api?.close());

  let n = 0;
  const rule = async (where: string): Promise<{ status: number; json: any; members?: string[] }> => {
    const r = await api.call('POST', '/api/v1/collections', {
      body: { name: `Q${n++}`, rules: [{ kind: 'query', query: `select * from SMS_R_System where ${where}` }] },
    });
    if (r.status !== 201) return r;
    const m = await api.call('GET', `/api/v1/collections/${r.json.collection.collectionId}/members?limit=1000`);
    return { ...r, members: m.json.members.map((x: { name: string }) => x.name).sort() };
  };

  it('refuses every invalid LIKE set with a 400 naming body.rules[0].query, the column and the rule', async () => {
    for (const [pattern, message] of [
      ['[a-a-a]', /ambiguous/],
      ['[0-9-z]%', /ambiguous/],
      ['[z-a]', /backwards/],
      ['[]', /unterminated/],
      ['[^', /unterminated/],
      ['[', /unterminated/],
      ['%[', /unterminated/],
      ['ab[cd', /unterminated/],
      ['[😀]', /U\+FFFF/],
    ] as const) {
      const r = await rule(`Name like '${pattern}'`);
      expect(r.status, pattern).toBe(400);
      expect(r.json.input).toBe('body.rules[0].query');
      expect(r.json.rule, pattern).toMatch(message);
      expect(r.json.rule).toMatch(/^column \d+: /);
    }
  });

  it('runs every accepted tricky set on the database, with the members the JS matcher gives', async () => {
    for (const pattern of [
      '[^]%',
      '[^]]%',
      '[]]%',
      '[]-a]%',
      '[[]%',
      '[[:alpha:]]%',
      '[.a.]%',
      '[=e=]%',
      '[\\]%',
      '%[a-c-]%',
      '[!-/]%',
      '[%_]%',
      '%[^^]%',
      '[-]%',
      '[\\-^]%',
      '_[:]_',
      'pc[%_x]1',
      '[^a-z]%',
      '[Z-a]%',
    ]) {
      const r = await rule(`Name like '${pattern.replace(/\\/g, '\\\\')}'`);
      expect(r.status, `${pattern}: ${JSON.stringify(r.json)}`).toBe(201);
      const re = compileLike(pattern);
      expect(r.members, pattern).toEqual(names.filter((x) => re.test(x)).sort());
    }
  });

  it('compares numbers exactly and never hands the database a number it refuses', async () => {
    const pc1 = rids['PC_1'];
    expect((await rule(`ResourceId = 1e300`)).members).toEqual([]);
    expect((await rule(`ResourceId > -1e309`)).members).toEqual([...names].sort());
    expect((await rule(`ResourceId < 1e999`)).members).toEqual([...names].sort());
    expect((await rule(`ResourceId = '9223372036854775808'`)).members).toEqual([]);
    expect((await rule(`ResourceId in (99999999999999999999999, ${pc1})`)).members).toEqual(['PC_1']);
    // 2^53 + 1 and a fraction beyond double precision: exact, not rounded to a neighbour.
    expect((await rule(`ResourceId = ${pc1}.0000000000000000000001`)).members).toEqual([]);
    expect((await rule(`ResourceId <= ${pc1}.0000000000000000000001 and ResourceId >= ${pc1}`)).members).toEqual(['PC_1']);
    expect((await rule(`ResourceId = 9007199254740993`)).members).toEqual([]);
    expect((await rule(`Build > 1e300`)).members).toEqual([]);
    expect((await rule(`Build < 1e300`)).members).toEqual([...names].sort());
    expect((await rule(`Build = 19045.000000000000000000000001`)).members).toEqual([]);
    expect((await rule(`Client = 1.0`)).members).toEqual([]);
    for (const [where, message] of [
      ['ResourceId = 1e1000', /at most 1000 digits/],
      ['ResourceId = 2^63', /unexpected character/],
      ['ResourceId = NaN', /comparing two attributes/],
      ['Client = 1e300', /true\/false/],
      ['Client = 1.00000000000000000001', /true\/false/],
    ] as const) {
      const r = await rule(where);
      expect(r.status, where).toBe(400);
      expect(r.json.rule, where).toMatch(message);
    }
  });

  it('JS and SQL evaluation agree on exact numbers and LIKE sets', async () => {
    const { collection } = await createCollection(api.site.db, SYSTEM_ACTOR, api.site.siteCode, {
      name: 'Both ways',
      rules: [
        { kind: 'query', query: `select * from SMS_R_System where ResourceId = ${rids['PC_1']}.0000000000000000000001 or Name like '[^]]%'` },
        { kind: 'query', query: `select * from SMS_R_System where Build >= 19045.00000000000000000001 or Name like '[]-a]%'` },
        { kind: 'query', query: `select * from SMS_R_System where ResourceId in (${rids['B']}, 1e300) and Name like '[[:a-z]'` },
        { kind: 'query', query: `select * from SMS_R_System where SerialNumber like 's[0-9-]' and not Name like '%[%_]%'` },
      ],
    });
    const memberSet = async (): Promise<string[]> =>
      (
        await api.site.db.query<{ r: number }>('SELECT resource_id AS r FROM collection_members WHERE collection_id = $1 ORDER BY 1', [collection.collectionId])
      ).rows.map((r) => String(r.r));
    const results: string[][] = [];
    for (const queries of ['js', 'sql'] as const) {
      await api.site.db.transaction((tx) => evaluateWithDependents(tx, [collection.collectionId], { queries }));
      results.push(await memberSet());
    }
    expect(results[0]).toEqual(results[1]);
    expect(results[0].length).toBeGreaterThan(3);
  });

  it('a stored rule that no longer passes is a conflict naming it, not a server error', async () => {
    const { collection } = await createCollection(api.site.db, SYSTEM_ACTOR, api.site.siteCode, { name: 'Stored before' });
    const { rows } = await api.site.db.query<{ id: number }>(
      `INSERT INTO collection_rules (collection_id, kind, query) VALUES ($1, 'query', $2) RETURNING id`,
      [collection.collectionId, "select * from SMS_R_System where Name like '[a-a-a]'"],
    );
    const r = await api.call('POST', `/api/v1/collections/${collection.collectionId}/evaluate`);
    expect(r.status).toBe(409);
    expect(r.json.input).toBe(`collection ${collection.collectionId} rule ${rows[0].id}`);
    expect(r.json.rule).toMatch(/ambiguous/);
    expect((await api.call('DELETE', `/api/v1/collections/${collection.collectionId}/rules/${rows[0].id}`)).status).toBe(200);
  });
});

describe.each(DB_KINDS)('limits that need the database on %s', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(kind);
    for (let i = 0; i < 3; i++)
      expect(
        (await api.call('POST', '/api/v1/devices', { body: { name: `PC-${i}`, mac: `00:11:22:33:66:0${i}`, properties: { model: `Model ${i}` } } })).status,
      ).toBe(201);
  });
  afterAll(async () => api?.close());
  const create = (body: Record<string, unknown>) => api.call('POST', '/api/v1/collections', { body });

  it('the largest accepted query rules run on the database in reasonable time', async () => {
    const where = (w: string): string => `select * from SMS_R_System where ${w}`;
    const queries = [
      // MAX_QUERY_CONDITIONS comparisons, of every kind, OR'ed.
      where(
        Array.from(
          { length: MAX_QUERY_CONDITIONS },
          (_, i) => [`Name='${i % 10}'`, `Build>${i % 10}`, `Name like '%${i % 10}'`, `MACAddresses='${i % 10}'`][i % 4],
        ).join(' or '),
      ),
      // MAX_QUERY_DEPTH levels of NOT and parentheses.
      where(`${'not ('.repeat(MAX_QUERY_DEPTH / 2)}Name = 'PC-1'${')'.repeat(MAX_QUERY_DEPTH / 2)}`),
      // MAX_LIKE_SETS case-insensitive sets over the whole Basic Multilingual Plane (the costliest to compile).
      where(`Name like '%${'[\u0100-\uffff]'.repeat(MAX_LIKE_SETS)}%'`),
      // The longest LIKE patterns, as long regular expressions.
      where(`Name like '[p]${'_'.repeat(MAX_LIKE_PATTERN_LENGTH - 3)}'`),
      where(`Name like '[p]${'%c'.repeat((MAX_LIKE_PATTERN_LENGTH - 3) / 2)}'`),
      where(`ResourceId in (${Array.from({ length: MAX_IN_VALUES }, (_, i) => i % 10).join(',')})`),
    ];
    for (const query of queries) {
      expect(query.length).toBeLessThanOrEqual(MAX_QUERY_LENGTH);
      const started = Date.now();
      const r = await create({ name: `Big ${started}`, rules: [{ kind: 'query', query }] });
      expect(r.status, `${query.slice(0, 100)}: ${JSON.stringify(r.json).slice(0, 300)}`).toBe(201);
      expect(Date.now() - started, query.slice(0, 100)).toBeLessThan(15_000);
    }
    // The database is still fine afterwards (PGlite aborts on regexes far beyond these limits).
    expect((await api.call('GET', '/api/v1/devices')).json.total).toBe(5);
  });

  it(`at most ${MAX_QUERY_RULES_PER_COLLECTION} query rules and ${MAX_RULES_PER_COLLECTION} rules per collection`, async () => {
    const q = (i: number) => ({ kind: 'query', query: `select * from SMS_R_System where Name = 'PC-${i}'` });
    const ok = await create({ name: 'Fifty', rules: Array.from({ length: MAX_QUERY_RULES_PER_COLLECTION }, (_, i) => q(i)) });
    expect(ok.status).toBe(201);
    const more = await api.call('POST', `/api/v1/collections/${ok.json.collection.collectionId}/rules`, { body: q(99) });
    expect(more.status).toBe(400);
    expect(more.json.input).toBe('body.query');
    expect(more.json.rule).toMatch(/at most 50 query rules/);
    const { collection } = await createCollection(api.site.db, SYSTEM_ACTOR, api.site.siteCode, { name: 'Direct' });
    const direct = Array.from({ length: MAX_RULES_PER_COLLECTION + 1 }, (_, i) => ({ kind: 'direct' as const, resourceId: 16777220 + i }));
    const started = Date.now();
    const e = await refusal(() =>
      api.site.db.transaction(async (tx) => insertRules(tx, collection.collectionId, direct, (i) => `body.rules[${i}]`, await loadCollectionGraph(tx))),
    );
    expect(e.input).toBe('body.rules');
    expect(e.rule).toMatch(/at most 10000 rules/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('many direct rules are checked in one lookup, duplicates found in a set', async () => {
    const { rows } = await api.site.db.query<{ resource_id: number }>('SELECT resource_id FROM devices WHERE unknown_computer IS NULL');
    // 2,000 direct rules: the existing devices, then missing ones (refused, naming the first).
    const ids = rows.map((r) => Number(r.resource_id));
    const started = Date.now();
    const missing = await create({
      name: 'Direct many',
      rules: [...ids, ...Array.from({ length: 2000 }, (_, i) => 90_000_000 + i)].map((resourceId) => ({ kind: 'direct', resourceId })),
    });
    expect(missing.status).toBe(400);
    expect(missing.json.input).toBe(`body.rules[${ids.length}].resourceId`);
    const dup = await create({ name: 'Direct dup', rules: [...ids, ids[0]].map((resourceId) => ({ kind: 'direct', resourceId })) });
    expect(dup.status).toBe(409);
    expect(dup.json.input).toBe(`body.rules[${ids.length}].resourceId`);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a 10,000-deep include chain: a cycle is found in linear time and described briefly; evaluation does not recurse', async () => {
    const db = api.site.db;
    const N = 10_000;
    await db.query(
      `INSERT INTO collections (collection_id, name, limiting_collection_id) SELECT 'CH' || lpad(i::text, 6, '0'), 'Chain ' || i, 'SMS00001' FROM generate_series(1, $1::int) i`,
      [N],
    );
    await db.query(
      `INSERT INTO collection_rules (collection_id, kind, ref_collection_id) SELECT 'CH' || lpad(i::text, 6, '0'), 'include', 'CH' || lpad((i + 1)::text, 6, '0') FROM generate_series(1, $1::int - 1) i`,
      [N],
    );
    let started = Date.now();
    const cycle = await api.call('POST', `/api/v1/collections/CH${String(N).padStart(6, '0')}/rules`, { body: { kind: 'include', collectionId: 'CH000001' } });
    expect(cycle.status).toBe(400);
    expect(cycle.json.rule).toMatch(/^this rule would make a cycle: CH010000 "Chain 10000" includes CH000001 "Chain 1", which includes CH000002 "Chain 2"/);
    expect(cycle.json.rule).toMatch(/, … 9979 more …, /);
    expect(cycle.json.rule.length).toBeLessThan(2000);
    const limiting = await api.call('PATCH', '/api/v1/collections/CH010000', { body: { limitingCollectionId: 'CH000001' } });
    expect(limiting.status).toBe(400);
    expect(Date.now() - started).toBeLessThan(10_000);
    // Adding an include to the tail re-evaluates the whole chain, dependencies first.
    started = Date.now();
    const evaluated = await api.call('POST', `/api/v1/collections/CH${String(N).padStart(6, '0')}/rules`, {
      body: { kind: 'include', collectionId: 'SMS00001' },
    });
    expect(evaluated.status, JSON.stringify(evaluated.json).slice(0, 300)).toBe(201);
    expect(evaluated.json.evaluated).toHaveLength(N);
    expect(evaluated.json.evaluated[0].collectionId).toBe('CH010000');
    expect(evaluated.json.evaluated.every((e: { memberCount: number }) => e.memberCount === 5)).toBe(true);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect((await evaluateCollection(db, SYSTEM_ACTOR, 'SMS00001')).length).toBeGreaterThan(N);
  });
});

describe.each(DB_KINDS)('the admin API answers bad numbers and text with a 400 on %s', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(kind);
  });
  afterAll(async () => api?.close());

  it('ids, pages and cursors out of range', async () => {
    for (const [method, path, input] of [
      ['GET', '/api/v1/devices/9223372036854775808', 'params.resourceId'],
      ['GET', '/api/v1/devices/1e300', 'params.resourceId'],
      ['GET', '/api/v1/devices/-1', 'params.resourceId'],
      ['GET', '/api/v1/devices/1.5', 'params.resourceId'],
      ['GET', '/api/v1/devices/NaN', 'params.resourceId'],
      ['DELETE', '/api/v1/devices/0', 'params.resourceId'],
      ['GET', '/api/v1/devices/1e300/variables', 'params.resourceId'],
      ['GET', '/api/v1/devices?offset=1e300', 'query.offset'],
      ['GET', '/api/v1/devices?offset=-1', 'query.offset'],
      ['GET', '/api/v1/devices?limit=1.5', 'query.limit'],
      ['GET', `/api/v1/devices?cursor=${Buffer.from('["x",1e300]').toString('base64url')}`, 'query.cursor'],
      ['GET', `/api/v1/devices?cursor=${Buffer.from('["x\\u0000",1]').toString('base64url')}`, 'query.cursor'],
      ['GET', `/api/v1/devices?search=${'x'.repeat(257)}`, 'query.search'],
      ['GET', '/api/v1/collections?offset=1e300&limit=5', 'query.offset'],
      ['DELETE', '/api/v1/collections/SMS00001/rules/1e300', 'params.ruleId'],
      ['DELETE', '/api/v1/collections/SMS00001/rules/-5', 'params.ruleId'],
      ['GET', '/api/v1/computer-associations?resourceId=-1', 'query.resourceId'],
      ['DELETE', '/api/v1/computer-associations/9223372036854775808', 'params.id'],
    ] as const) {
      const r = await api.call(method, path);
      expect(r.status, `${method} ${path}: ${JSON.stringify(r.json)}`).toBe(400);
      expect(r.json.input, path).toBe(input);
    }
    for (const body of [
      { sourceResourceId: 2 ** 63, destinationResourceId: 1 },
      { sourceResourceId: 1.5, destinationResourceId: 1 },
      { sourceResourceId: -1, destinationResourceId: 1 },
    ]) {
      const r = await api.call('POST', '/api/v1/computer-associations', { body });
      expect(r.status).toBe(400);
      expect(r.json.input).toBe('body.sourceResourceId');
    }
    const direct = await api.call('POST', '/api/v1/collections', { body: { name: 'D', rules: [{ kind: 'direct', resourceId: 1e300 }] } });
    expect(direct.status).toBe(400);
    expect(direct.json.input).toBe('body.rules.0.resourceId');
  });

  it('NUL, lone surrogates and invisible characters: the same 400 naming the field on every route', async () => {
    for (const bad of ['\\u0000', '\\ud800', '\\udfff']) {
      for (const [method, path, payload, input] of [
        ['POST', '/api/v1/collections', `{"name":"C${bad}"}`, 'body.name'],
        [
          'POST',
          '/api/v1/collections',
          `{"name":"C","rules":[{"kind":"query","query":"select * from SMS_R_System where Name = 'a${bad}'"}]}`,
          'body.rules[0].query',
        ],
        ['POST', '/api/v1/devices', `{"name":"PC${bad}","mac":"00:11:22:33:77:01"}`, 'body.name'],
        ['POST', '/api/v1/devices/import-csv', `{"csv":"Name,MAC\\nPC${bad},001122337701"}`, 'body.csv'],
        ['PUT', '/api/v1/collections/SMS00001/variables/OSDX', `{"value":"v${bad}"}`, 'body.value'],
      ] as const) {
        const r = await api.call(method, path, { payload, headers: { 'content-type': 'application/json' } });
        expect(r.status, `${path} ${payload}: ${JSON.stringify(r.json)}`).toBe(400);
        expect(r.json.input, `${path} ${payload}`).toMatch(new RegExp(`^${input.replace(/[[\]().]/g, '\\$&')}`));
        expect(r.json.rule).toMatch(/NUL|lone surrogate/);
      }
    }
    const search = await api.call('GET', '/api/v1/devices?search=a%00b');
    expect(search.status).toBe(400);
    expect(search.json.input).toBe('query.search');
    // Invisible and control characters in names (the request check lets them through; the services do not).
    for (const bad of ['\u202e', '\u200b', '\u0007', '\ufeff']) {
      const c = await api.call('POST', '/api/v1/collections', { body: { name: `Adm${bad}in` } });
      expect(c.status).toBe(400);
      expect(c.json.input).toBe('body.name');
      const d = await api.call('POST', '/api/v1/devices', { body: { name: `PC${bad}1`, mac: '00:11:22:33:77:02' } });
      expect(d.status).toBe(400);
      expect(d.json.input).toBe('body.name');
    }
    // Nothing was stored, and nothing as U+FFFD.
    expect((await api.call('GET', '/api/v1/collections/SMS00001/variables')).json).toEqual([]);
    expect((await api.call('GET', '/api/v1/devices')).json.total).toBe(2);
  });
});

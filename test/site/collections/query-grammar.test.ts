/**
 * Collection query rules and task sequence conditions are one WQL parser with two grammars
 * (src/engine/conditions/wql/grammar.ts, src/site/collections/query/grammar.ts): the same text is
 * accepted by one and refused by the other with a message naming the column, and each grammar's
 * limits accept their boundary and refuse one more.
 */
import { describe, expect, it } from 'vitest';
import {
  CONDITION_GRAMMAR,
  MAX_WQL_DEPTH,
  parseWql,
  printWql,
  tryParseWql,
  type WqlError,
  type WqlGrammar,
  type WqlQuery,
} from '../../../src/engine/conditions/wql/index.js';
import {
  MAX_IN_VALUES,
  MAX_LIKE_PATTERN_LENGTH,
  MAX_LIKE_SETS,
  MAX_NUMBER_DIGITS,
  MAX_QUERY_CONDITIONS,
  MAX_QUERY_DEPTH,
  MAX_QUERY_LENGTH,
} from '../../../src/site/collections/limits.js';
import { COLLECTION_QUERY_GRAMMAR, compileCollectionQuery, parseCollectionQuery } from '../../../src/site/collections/query/index.js';

const SITE = COLLECTION_QUERY_GRAMMAR;
const ENGINE = CONDITION_GRAMMAR;

function refusal(text: string, grammar: WqlGrammar): WqlError {
  const r = tryParseWql(text, grammar);
  if (r.ok) throw new Error(`expected ${JSON.stringify(text.slice(0, 80))} to be refused`);
  expect(r.error.codeName).toBe('WBEM_E_INVALID_QUERY');
  return r.error;
}
const col = (text: string, at: string): number => text.indexOf(at) + 1;

/** The AST without positions. */
function strip(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(strip);
  if (x && typeof x === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x))
      if (!['start', 'end', 'text', 'classSpan'].includes(k) || (k === 'text' && (x as { kind?: string }).kind === 'number')) out[k] = strip(v);
    return out;
  }
  return x;
}

describe('one parser, two grammars: accepted by one, refused by the other', () => {
  it('a console-written query rule: qualified names and IN', () => {
    const text = "select SMS_R_System.ResourceId, SMS_R_System.* from SMS_R_System where SMS_R_System.Model in ('A', 'B') and not SMS_R_System.Name like 'X%'";
    const q = parseCollectionQuery(text);
    expect(q).toEqual(parseWql(text, SITE));
    expect(q.where).toMatchObject({
      kind: 'and',
      operands: [
        { kind: 'in', property: { name: 'Model', qualifier: { name: 'SMS_R_System' } } },
        { kind: 'not', operand: { kind: 'like' } },
      ],
    });
    const e = refusal(text, ENGINE);
    expect(e).toMatchObject({ column: col(text, '.ResourceId'), message: 'embedded-object properties (a.b) are not supported' });
    expect(e.hint).toMatch(/task sequence conditions/);
    const plain = "SELECT * FROM SMS_R_System WHERE Model IN ('A', 'B')";
    expect(refusal(plain, ENGINE)).toMatchObject({
      column: col(plain, 'IN'),
      message: 'expected a comparison after Model, found "IN"',
      hint: expect.stringMatching(/write Model = … OR Model = …/),
    });
  });

  it('a task sequence condition: any class', () => {
    const text = "SELECT * FROM Win32_ComputerSystem WHERE Model LIKE '%Latitude%'";
    expect(parseWql(text).className).toBe('Win32_ComputerSystem');
    expect(refusal(text, SITE)).toMatchObject({
      column: 15,
      message: 'collection queries read SMS_R_System, not Win32_ComputerSystem',
      expected: 'SMS_R_System',
      hint: 'write "select * from SMS_R_System where …"',
    });
  });

  it('booleans ordered: text comparison in a query rule, refused in a condition', () => {
    const text = 'select * from SMS_R_System where Manufacturer > TRUE';
    expect(parseWql(text, SITE).where).toMatchObject({ kind: 'compare', op: '>', value: { kind: 'boolean', value: true } });
    expect(refusal(text, ENGINE)).toMatchObject({ column: col(text, 'TRUE'), message: /booleans can only be compared with =, <> or !=/ });
  });

  it('keywords: WQL reserves GROUP, OF, ISA …; collection queries reserve IN', () => {
    const group = "select * from SMS_R_System where Group = 'x' and Of is null";
    expect(parseWql(group, SITE).where).toMatchObject({ operands: [{ property: { name: 'Group' } }, { property: { name: 'Of' } }] });
    expect(refusal(group, ENGINE)).toMatchObject({ column: col(group, 'Group'), message: 'Group is a WQL keyword, not a property name' });
    const inName = 'SELECT * FROM SMS_R_System WHERE In = 1';
    expect(parseWql(inName).where).toMatchObject({ property: { name: 'In' } });
    expect(refusal(inName, SITE)).toMatchObject({
      column: col(inName, 'In ='),
      message: 'In is a WQL keyword, not an attribute name',
      expected: 'an attribute of SMS_R_System',
    });
  });

  it('unsupported clauses, each grammar its own list and hint', () => {
    const join = 'select * from SMS_R_System inner join SMS_G_System_COMPUTER_SYSTEM on x = y';
    expect(refusal(join, SITE)).toMatchObject({
      column: 28,
      message: 'INNER is not supported in a collection query',
      hint: expect.stringMatching(/query SMS_R_System alone/),
    });
    expect(refusal(join, ENGINE)).toMatchObject({ column: 28, message: 'unexpected "inner"' });
    const within = 'SELECT * FROM SMS_R_System WITHIN 5';
    expect(refusal(within, SITE).message).toBe('WITHIN is not supported in a collection query');
    expect(refusal(within, ENGINE).message).toBe('WITHIN is not supported');
    const qualifiedJoin = "select * from SMS_R_System where SMS_G_System_PC_BIOS.Version = 'x'";
    expect(refusal(qualifiedJoin, SITE)).toMatchObject({
      column: 34,
      message: 'SMS_G_System_PC_BIOS is not SMS_R_System; a collection query reads one class',
      expected: 'SMS_R_System',
      hint: expect.stringMatching(/joins to inventory classes/),
    });
  });

  it('the words of the messages follow the grammar', () => {
    const two = 'SELECT * FROM SMS_R_System WHERE Name = Model';
    expect(refusal(two, SITE)).toMatchObject({ column: col(two, 'Model'), message: 'comparing two attributes is not supported' });
    expect(refusal(two, ENGINE)).toMatchObject({ column: col(two, 'Model'), message: 'comparing two properties is not supported' });
    const empty = 'SELECT * FROM SMS_R_System WHERE';
    expect(refusal(empty, SITE)).toMatchObject({
      column: 33,
      message: 'expected an attribute name but found the end of the query',
      expected: 'an attribute of SMS_R_System, NOT or (',
    });
    expect(refusal(empty, ENGINE)).toMatchObject({
      column: 33,
      message: 'expected a property name but found the end of the query',
      expected: 'a property name, NOT or (',
    });
  });

  it('what both refuse, both refuse alike', () => {
    for (const [text, at, message] of [
      ['SELECT * FROM SMS_R_System WHERE Name = NULL', 'NULL', /NULL can only be tested with IS NULL/],
      ["SELECT * FROM SMS_R_System WHERE Name LIKE 'a[z-a]'", 'z-a', /backwards/],
      ['SELECT * FROM SMS_R_System WHERE Name = ‘x’', '‘', /typographic quote/],
      ['SELECT * FROM SMS_R_System WHERE Name = 1 + 2', '+', /arithmetic/],
      ["SELECT * FROM SMS_R_System WHERE Name ISA 'x'", 'ISA', /ISA \(embedded-object queries\) is not supported/],
      ['SELECT * FROM SMS_R_System, Other', ',', /one class at a time/],
      ['ASSOCIATORS OF {SMS_R_System.ResourceId=1}', 'ASSOCIATORS', /ASSOCIATORS OF is not supported/],
    ] as const) {
      for (const g of [SITE, ENGINE]) {
        const e = refusal(text, g);
        expect(e.column, text).toBe(col(text, at));
        expect(e.message, text).toMatch(message);
      }
    }
  });

  it('prints back: parse(print(q)) is q in the grammar it was parsed in', () => {
    for (const text of [
      "select SMS_R_System.Name, SMS_R_System.* from SMS_R_System where SMS_R_System.Name not in ('a\\'', 'b\\\\c', 1.50, TRUE) or not (Client = 1 and MACAddresses is not null)",
      "select * from SMS_R_System where 19041 <= Build and Model not like '[[]x%' and Group != 'x'",
    ]) {
      const q: WqlQuery = parseWql(text, SITE);
      const back = parseWql(printWql(q), SITE);
      expect(strip(back)).toEqual(strip(q));
      const params: unknown[] = [];
      const again: unknown[] = [];
      expect(compileCollectionQuery(back, again)).toBe(compileCollectionQuery(q, params));
      expect(again).toEqual(params);
    }
  });
});

describe('each grammar bounds what it reads: the boundary accepted, one more refused at its column', () => {
  const where = (w: string): string => `select * from SMS_R_System where ${w}`;
  const accepted = (text: string, g: WqlGrammar): void => {
    const r = tryParseWql(text, g);
    expect(r.ok, r.ok ? '' : r.error.describe()).toBe(true);
  };

  it(`nesting: ${MAX_WQL_DEPTH} (conditions) and ${MAX_QUERY_DEPTH} (query rules)`, () => {
    for (const [g, max, noun] of [
      [ENGINE, MAX_WQL_DEPTH, 'condition'],
      [SITE, MAX_QUERY_DEPTH, 'query'],
    ] as const) {
      accepted(where(`${'('.repeat(max)}Name = 'x'${')'.repeat(max)}`), g);
      accepted(where(`${'not '.repeat(max)}Name = 'x'`), g);
      const text = where(`${'not '.repeat(max)}(Name = 'x')`);
      const e = refusal(text, g);
      expect(e.column).toBe(col(text, '(Name'));
      expect(e.message).toBe(`the ${noun} nests deeper than ${max} levels of parentheses and NOT`);
    }
  });

  it('query rules bound length, comparisons, IN values, LIKE patterns and sets, and digits; conditions do not', () => {
    const ors = (n: number): string => where(Array.from({ length: n }, (_, i) => `a = ${i}`).join(' or '));
    const cases: [string, string, string, RegExp][] = [
      [ors(MAX_QUERY_CONDITIONS), ors(MAX_QUERY_CONDITIONS + 1), `a = ${MAX_QUERY_CONDITIONS}`, /more than 1000 comparisons/],
      [
        where(`ResourceId in (${Array(MAX_IN_VALUES).fill('1').join(',')})`),
        where(
          `ResourceId in (${Array(MAX_IN_VALUES + 1)
            .fill('1')
            .join(',')})`,
        ),
        ',1)',
        /at most 5000 values/,
      ],
      [
        where(`Name like '${'_'.repeat(MAX_LIKE_PATTERN_LENGTH)}'`),
        where(`Name like '${'_'.repeat(MAX_LIKE_PATTERN_LENGTH + 1)}'`),
        "'_",
        /the LIKE pattern is 1001 characters; at most 1000/,
      ],
      [
        where(`Name like '${'[a]'.repeat(MAX_LIKE_SETS)}'`),
        where(`Name like '${'[a]'.repeat(MAX_LIKE_SETS)}' or Name like '[b]'`),
        "'[b]",
        /more than 100 \[sets\]/,
      ],
      [
        where(`ResourceId = 1e${MAX_NUMBER_DIGITS - 1}`),
        where(`ResourceId = 1e${MAX_NUMBER_DIGITS}`),
        '1e',
        /a number in a collection query has at most 1000 digits/,
      ],
    ];
    for (const [ok, bad, at, message] of cases) {
      accepted(ok, SITE);
      if (!bad.includes(' in (')) accepted(bad, ENGINE);
      const e = refusal(bad, SITE);
      expect(e.message).toMatch(message);
      expect(e.column).toBe(at === ',1)' ? bad.lastIndexOf(',') + 1 : bad.lastIndexOf(at) + 1);
    }
    const long = where(`Name = '${'x'.repeat(MAX_QUERY_LENGTH - where("Name = ''").length)}'`);
    accepted(long, SITE);
    expect(refusal(`${long} `, SITE)).toMatchObject({
      column: MAX_QUERY_LENGTH + 1,
      message: `the query is ${MAX_QUERY_LENGTH + 1} characters; a collection query has at most ${MAX_QUERY_LENGTH}`,
    });
    accepted(`${long} `, ENGINE);
  });

  it("query rules apply the site's text rules before tokenising; conditions leave text to their callers", () => {
    const text = where("Name = 'a\u0000'");
    expect(refusal(text, SITE)).toMatchObject({ column: col(text, '\u0000'), message: /the query contains a NUL character/ });
    accepted(text, ENGINE);
  });
});

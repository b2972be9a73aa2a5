import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseWql,
  printWql,
  tryParseWql,
  WqlError,
  WQL_KEYWORDS,
  type WqlCompareOp,
  type WqlConstant,
  type WqlExpr,
  type WqlQuery,
} from '../../../src/engine/conditions/index.js';

function parseError(q: string): WqlError {
  const r = tryParseWql(q);
  if (r.ok) throw new Error(`expected a parse error for ${q}`);
  return r.error;
}

/** The AST without positions and source text, for structural comparison. */
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

describe('WQL parser (conditions-wql §2.1)', () => {
  it('parses SELECT *, a select list, and a WHERE clause; keywords are case-insensitive', () => {
    const q = parseWql("select * from WIN32_computersystem where model = 'HP ProBook 445 G6'");
    expect(q.select).toBe('*');
    expect(q.className).toBe('WIN32_computersystem');
    expect(q.where).toMatchObject({ kind: 'compare', op: '=', property: { name: 'model' }, value: { kind: 'string', value: 'HP ProBook 445 G6' } });
    const q2 = parseWql('SELECT OsLanguage, Version FROM Win32_OperatingSystem');
    expect(q2.select).toMatchObject([{ name: 'OsLanguage' }, { name: 'Version' }]);
    expect(q2.where).toBeUndefined();
  });

  it('OR binds looser than AND; NOT binds tighter; parentheses group', () => {
    const q = parseWql("SELECT * FROM C WHERE a = 'HP' OR b LIKE 'Dell%' AND c = 1");
    expect(q.where?.kind).toBe('or');
    const or = q.where as Extract<WqlExpr, { kind: 'or' }>;
    expect(or.operands.map((o) => o.kind)).toEqual(['compare', 'and']);
    const q2 = parseWql('SELECT * FROM C WHERE NOT a = 1 AND b = 2');
    expect((q2.where as Extract<WqlExpr, { kind: 'and' }>).operands[0].kind).toBe('not');
    const q3 = parseWql('SELECT * FROM C WHERE NOT (a = 1 AND b = 2)');
    expect(q3.where).toMatchObject({ kind: 'not', operand: { kind: 'and' } });
    const q4 = parseWql('SELECT * FROM C WHERE (a = 1 OR b = 2) AND c = 3');
    expect(q4.where).toMatchObject({ kind: 'and', operands: [{ kind: 'or' }, { kind: 'compare' }] });
  });

  it('whitespace is optional around operators; newlines are whitespace', () => {
    const q = parseWql("select * from Win32_DiskPartition where DiskIndex = 0 and Type<>'Installable File System' and\n  Type<>'NTFS'");
    expect(q.where).toMatchObject({ kind: 'and', operands: [{ op: '=' }, { op: '<>' }, { op: '<>' }] });
    expect(parseWql('select * from Win32_LogicalDisk where DriveType=3').where).toMatchObject({ value: { kind: 'number', text: '3', value: 3 } });
  });

  it('constants on either side: 3 = DriveType', () => {
    expect(parseWql('SELECT * FROM Win32_LogicalDisk WHERE 3 = DriveType').where).toMatchObject({
      kind: 'compare',
      constantFirst: true,
      property: { name: 'DriveType' },
    });
  });

  it('IS [NOT] NULL, [NOT] LIKE, NOT before a predicate, __CLASS', () => {
    expect(parseWql('SELECT * FROM C WHERE a IS NULL').where).toMatchObject({ kind: 'isNull', negated: false });
    expect(parseWql('SELECT * FROM C WHERE a IS NOT NULL').where).toMatchObject({ kind: 'isNull', negated: true });
    expect(parseWql("SELECT * FROM C WHERE a NOT LIKE 'x%'").where).toMatchObject({ kind: 'like', negated: true });
    expect(parseWql('SELECT * FROM C WHERE NOT PortName LIKE "%10.%"').where).toMatchObject({ kind: 'not', operand: { kind: 'like', negated: false } });
    expect(parseWql('SELECT * FROM C WHERE NOT __class < "Win32"').where).toMatchObject({
      kind: 'not',
      operand: { kind: 'compare', property: { name: '__class' } },
    });
  });

  it('strings: single and double quotes; backslash escapes \\\\, \\\' and \\"; other backslashes are literal', () => {
    const v = (q: string): string =>
      (parseWql(q).where as Extract<WqlExpr, { kind: 'compare' }>).value.kind === 'string'
        ? ((parseWql(q).where as Extract<WqlExpr, { kind: 'compare' }>).value as { value: string }).value
        : '';
    expect(v(`SELECT * FROM C WHERE a = 'it\\'s'`)).toBe("it's");
    expect(v(`SELECT * FROM C WHERE a = "say \\"hi\\""`)).toBe('say "hi"');
    expect(v(`SELECT * FROM C WHERE a = '%\\\\%'`)).toBe('%\\%');
    expect(v(`SELECT * FROM C WHERE a = 'C:\\Windows'`)).toBe('C:\\Windows');
    expect(v(`SELECT * FROM C WHERE a = "it's"`)).toBe("it's");
  });

  it('numbers: sign, fraction, exponent; TRUE/FALSE', () => {
    const c = (q: string): WqlConstant => (parseWql(q).where as Extract<WqlExpr, { kind: 'compare' }>).value;
    expect(c('SELECT * FROM C WHERE a = -12')).toMatchObject({ kind: 'number', text: '-12', value: -12 });
    expect(c('SELECT * FROM C WHERE a >= +1.5e3')).toMatchObject({ kind: 'number', value: 1500 });
    expect(c('SELECT * FROM C WHERE a = TRUE')).toMatchObject({ kind: 'boolean', value: true });
    expect(c('SELECT * FROM C WHERE a <> false')).toMatchObject({ kind: 'boolean', value: false });
    expect(c('SELECT * FROM C WHERE a > 18446744073709551615')).toMatchObject({ kind: 'number', text: '18446744073709551615' });
  });
});

describe('WQL syntax errors: WBEM_E_INVALID_QUERY with column, expectation and hint', () => {
  const cases: Array<[string, Partial<{ column: number; expected: string; hint: RegExp; message: RegExp }>]> = [
    ['SELECT * FROM Win32_ComputerSystem WHERE Manufacturer = ‘Dell Inc.’', { column: 57, hint: /smart quotes/, message: /typographic quote/ }],
    ['SELECT * FROM Win32_ComputerSystem WHERE Model = “Latitude”', { column: 50, hint: /smart quotes/ }],
    ['SELECT * Win32_ComputerSystem', { column: 10, expected: 'FROM' }],
    ['SELEC * FROM X', { column: 1, expected: 'SELECT' }],
    ["SELECT * FROM X WHERE a = 'open", { column: 27, expected: "a closing '" }],
    ['SELECT * FROM X WHERE a =', { column: 26, message: /expected a constant/ }],
    ['SELECT * FROM X WHERE a = 1 b = 2', { column: 29, expected: 'AND, OR or the end of the query' }],
    ['SELECT * FROM X WHERE (a = 1', { column: 29, expected: ')' }],
    ['SELECT * FROM X WHERE a = b', { column: 27, message: /two properties/ }],
    ['SELECT * FROM X WHERE 1 = 2', { column: 27, message: /must be a property/ }],
    ['SELECT * FROM X WHERE a = NULL', { column: 27, message: /IS NULL/, hint: /a IS NULL/ }],
    ['SELECT * FROM X WHERE a >= NULL', { column: 28, message: /IS NULL/ }],
    ['SELECT * FROM X WHERE a > TRUE', { column: 27, message: /booleans/ }],
    ["SELECT * FROM X WHERE a IS 'x'", { column: 28, expected: 'NULL' }],
    ['SELECT * FROM X WHERE a LIKE 5', { column: 30, expected: 'a string pattern' }],
    ["SELECT * FROM X WHERE a LIKE 'ab[cd'", { column: 33, expected: ']' }],
    ["SELECT * FROM X WHERE a LIKE 'a[z-a]'", { column: 33, message: /backwards/ }],
    ['SELECT * FROM X WHERE a = 1 + 2', { column: 29, message: /arithmetic/ }],
    ['SELECT * FROM X WHERE a.b = 1', { column: 24, message: /embedded-object/ }],
    ['SELECT * FROM X WHERE Group = 1', { column: 23, message: /keyword/ }],
    ['SELECT * FROM X, Y', { column: 16, message: /one class/ }],
    ['SELECT * FROM X WHERE a = 1;', { column: 28, message: /unexpected character/ }],
    ['', { column: 1, expected: 'SELECT' }],
  ];
  for (const [q, want] of cases) {
    it(q || '(empty query)', () => {
      const e = parseError(q);
      expect(e).toBeInstanceOf(WqlError);
      expect(e.code).toBe(0x80041017);
      expect(e.codeHex).toBe('0x80041017');
      expect(e.codeName).toBe('WBEM_E_INVALID_QUERY');
      if (want.column !== undefined) expect(e.column).toBe(want.column);
      if (want.expected !== undefined) expect(e.expected).toBe(want.expected);
      if (want.hint) expect(e.hint).toMatch(want.hint);
      if (want.message) expect(e.message).toMatch(want.message);
      expect(e.describe()).toMatch(/^0x80041017 WBEM_E_INVALID_QUERY at column \d+: /);
    });
  }

  it('unsupported constructs say so, with a hint', () => {
    for (const q of [
      'ASSOCIATORS OF {Win32_LogicalDisk.DeviceID="C:"}',
      'REFERENCES OF {Win32_LogicalDisk.DeviceID="C:"}',
      'SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA "Win32_Process"',
      'SELECT * FROM meta_class',
      'SELECT * FROM Win32_Process WITHIN 5',
      'SELECT * FROM Win32_Process WHERE a = 1 GROUP WITHIN 10',
      "SELECT * FROM Win32_Process WHERE TargetInstance ISA 'Win32_Process'",
    ]) {
      const e = parseError(q);
      expect(e.codeName, q).toBe('WBEM_E_INVALID_QUERY');
      expect(e.message, q).toMatch(/not supported/);
      expect(e.hint, q).toMatch(/not supported in task sequence conditions/);
    }
    expect(parseError('ASSOCIATORS OF {x}').column).toBe(1);
  });

  it('keywords are the WQL list', () => {
    for (const k of [
      'SELECT',
      'FROM',
      'WHERE',
      'AND',
      'OR',
      'NOT',
      'LIKE',
      'IS',
      'NULL',
      'ISA',
      'TRUE',
      'FALSE',
      'ASSOCIATORS',
      'REFERENCES',
      'OF',
      'WITHIN',
      'GROUP',
      'HAVING',
      'KEYSONLY',
    ]) {
      expect(WQL_KEYWORDS.has(k)).toBe(true);
    }
  });
});

// ---------------------------------------------------------------- printer round trip

const NAMES = ['Manufacturer', 'Model', 'DriveType', 'x', '_y', '__CLASS', 'Type2'];
const name = fc.constantFrom(...NAMES);
const prop = name.map((n) => ({ name: n, start: 0, end: 0 }));
const str = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', "'", '"', '\\', '%', '_', '[', ']', '‘', 'é', '\n'), maxLength: 8 });
const num = fc.oneof(
  fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }).map((b) => b.toString()),
  fc
    .double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 })
    .map((d) => String(d))
    .filter((s) => /^[+-]?\d+(\.\d+)?(e[+-]?\d+)?$/.test(s)),
);
const constant: fc.Arbitrary<WqlConstant> = fc.oneof(
  str.map((value) => ({ kind: 'string' as const, value, start: 0, end: 0 })),
  num.map((text) => ({ kind: 'number' as const, text, value: Number(text), start: 0, end: 0 })),
  fc.boolean().map((value) => ({ kind: 'boolean' as const, value, start: 0, end: 0 })),
);
const likePattern = fc
  .array(fc.constantFrom('%', '_', 'a', 'B', '[ab]', '[^x-z]', '[%]', '[_]', '[[]', "'", '\\', '"'), { maxLength: 5 })
  .map((p) => p.join(''));
const ops: WqlCompareOp[] = ['=', '<>', '!=', '<', '>', '<=', '>='];
const leafExpr: fc.Arbitrary<WqlExpr> = fc.oneof(
  fc.record({ property: prop, op: fc.constantFrom(...ops), value: constant, constantFirst: fc.boolean() }).map((r) => ({
    kind: 'compare' as const,
    ...r,
    // Booleans only with =, <>, != (§2.1).
    op: r.value.kind === 'boolean' && !['=', '<>', '!='].includes(r.op) ? ('=' as const) : r.op,
    start: 0,
    end: 0,
  })),
  fc.record({ property: prop, negated: fc.boolean() }).map((r) => ({ kind: 'isNull' as const, ...r, start: 0, end: 0 })),
  fc.record({ property: prop, negated: fc.boolean(), pattern: likePattern }).map((r) => ({
    kind: 'like' as const,
    property: r.property,
    negated: r.negated,
    pattern: { kind: 'string' as const, value: r.pattern, start: 0, end: 0 },
    start: 0,
    end: 0,
  })),
);
const expr: fc.Arbitrary<WqlExpr> = fc.letrec<{ e: WqlExpr }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafExpr,
    fc.array(tie('e'), { minLength: 2, maxLength: 3 }).map((operands) => ({ kind: 'and' as const, operands, start: 0, end: 0 })),
    fc.array(tie('e'), { minLength: 2, maxLength: 3 }).map((operands) => ({ kind: 'or' as const, operands, start: 0, end: 0 })),
    tie('e').map((operand) => ({ kind: 'not' as const, operand, start: 0, end: 0 })),
  ),
})).e;
const query: fc.Arbitrary<WqlQuery> = fc
  .record({
    select: fc.oneof(fc.constant('*' as const), fc.array(prop, { minLength: 1, maxLength: 3 })),
    className: fc.constantFrom('Win32_ComputerSystem', 'C', 'Vendor_Class1'),
    where: fc.option(expr, { nil: undefined }),
  })
  .map((r) => ({ kind: 'select' as const, ...r, classSpan: { start: 0, end: 0 }, text: '' }));

describe('printWql', () => {
  it('parse(print(ast)) gives the same tree (positions aside)', () => {
    fc.assert(
      fc.property(query, (q) => {
        const text = printWql(q);
        const back = parseWql(text);
        expect(strip(back)).toEqual(strip(q));
        expect(printWql(back)).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('canonical form of a corpus query', () => {
    expect(printWql(parseWql("select * from Win32_DiskPartition where DiskIndex = 0 and Type<>'Installable File System' and Type<>'NTFS'"))).toBe(
      "SELECT * FROM Win32_DiskPartition WHERE DiskIndex = 0 AND Type <> 'Installable File System' AND Type <> 'NTFS'",
    );
    expect(printWql(parseWql('SELECT * FROM C WHERE (a = 1 OR b = 2) AND NOT (c = 3 AND d = 4)'))).toBe(
      'SELECT * FROM C WHERE (a = 1 OR b = 2) AND NOT (c = 3 AND d = 4)',
    );
  });
});

describe('the parser never throws anything but WqlError', () => {
  const fragments = fc.constantFrom(
    'SELECT',
    '*',
    'FROM',
    'Win32_X',
    'WHERE',
    'a',
    '=',
    '<>',
    'LIKE',
    "'x%'",
    '"y"',
    '(',
    ')',
    'AND',
    'OR',
    'NOT',
    'IS',
    'NULL',
    '3',
    '-',
    ',',
    '.',
    '‘',
    "'",
    '[',
    'ISA',
    'ASSOCIATORS',
  );
  it('on random fragments and arbitrary strings', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(fragments, { maxLength: 12 }).map((a) => a.join(' ')),
          fc.string({ maxLength: 60 }),
          fc.string({ unit: 'grapheme', maxLength: 30 }),
        ),
        (q) => {
          const r = tryParseWql(q);
          if (!r.ok) {
            expect(r.error).toBeInstanceOf(WqlError);
            expect(r.error.code).toBe(0x80041017);
            expect(r.error.column).toBeGreaterThanOrEqual(1);
            expect(r.error.column).toBeLessThanOrEqual(q.length + 1);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

/**
 * The grammar options of the one WQL parser (src/engine/conditions/wql/grammar.ts), on grammars
 * derived from task sequence conditions' own: each option turns one construct on or off, each
 * limit accepts its boundary and refuses one more with a message naming the column.
 */
import { describe, expect, it } from 'vitest';
import {
  CONDITION_GRAMMAR,
  evaluateWql,
  parseWql,
  printWql,
  tryParseWql,
  WQL_KEYWORDS,
  WqlError,
  type WqlGrammar,
  type WqlLimits,
} from '../../../src/engine/conditions/index.js';
import { exampleInventory } from './fixtures.js';

function refusal(text: string, grammar: WqlGrammar = CONDITION_GRAMMAR): WqlError {
  const r = tryParseWql(text, grammar);
  if (r.ok) throw new Error(`expected ${JSON.stringify(text.slice(0, 80))} to be refused`);
  expect(r.error.codeName).toBe('WBEM_E_INVALID_QUERY');
  expect(r.error.column).toBeGreaterThanOrEqual(1);
  return r.error;
}

const withLimits = (limits: Partial<WqlLimits>): WqlGrammar => ({ ...CONDITION_GRAMMAR, limits: { ...CONDITION_GRAMMAR.limits, ...limits } });

describe('the condition grammar is the default', () => {
  it('parseWql(text) and parseWql(text, CONDITION_GRAMMAR) are the same parse', () => {
    const text = "SELECT * FROM Win32_ComputerSystem WHERE Model LIKE '%Latitude%' AND NOT PCSystemType = 1";
    expect(parseWql(text)).toEqual(parseWql(text, CONDITION_GRAMMAR));
    expect(refusal('SELECT * FROM C WHERE a IN (1, 2)').message).toBe(refusal('SELECT * FROM C WHERE a IN (1, 2)', CONDITION_GRAMMAR).message);
  });
});

describe('allowIn', () => {
  const IN = { ...CONDITION_GRAMMAR, allowIn: true };
  const text = "SELECT * FROM Win32_ComputerSystem WHERE Model IN ('Latitude E7270', 'OptiPlex 7090')";

  it('off: IN is refused at the IN, saying what to write instead', () => {
    const e = refusal(text);
    expect(e.column).toBe(text.indexOf('IN (') + 1);
    expect(e.message).toBe('expected a comparison after Model, found "IN"');
    expect(e.expected).toBe('=, <>, !=, <, >, <=, >=, LIKE, NOT LIKE or IS [NOT] NULL');
    expect(e.hint).toMatch(/IN \(…\) is not supported in a task sequence condition: write Model = … OR Model = …/);
    expect(refusal(text.replace(' IN ', ' NOT IN ')).hint).toMatch(/IN \(…\) is not supported/);
  });

  it('on: [NOT] IN (…) parses to an in node, prints back, and the engine evaluates it', () => {
    const q = parseWql(text, IN);
    expect(q.where).toMatchObject({
      kind: 'in',
      negated: false,
      property: { name: 'Model' },
      values: [{ value: 'Latitude E7270' }, { value: 'OptiPlex 7090' }],
    });
    expect(printWql(q)).toBe(text);
    expect(parseWql(text.replace(' IN ', ' NOT IN '), IN).where).toMatchObject({ kind: 'in', negated: true });
    expect(evaluateWql('root\\cimv2', q, exampleInventory()).matched).toBe(true);
    expect(evaluateWql('root\\cimv2', parseWql(text.replace(' IN ', ' NOT IN '), IN), exampleInventory()).matched).toBe(false);
    expect(evaluateWql('root\\cimv2', parseWql('SELECT * FROM Win32_ComputerSystem WHERE PCSystemType IN (1, 3)', IN), exampleInventory()).matched).toBe(false);
    // A constant of the wrong type for the property is an error naming it, as for =.
    expect(
      evaluateWql('root\\cimv2', parseWql("SELECT * FROM Win32_ComputerSystem WHERE PCSystemType IN (2, 'x')", IN), exampleInventory()).error?.message,
    ).toMatch(/not a number/);
  });

  it('on: the list is constants only, never NULL, and closed', () => {
    const where = (w: string): string => `SELECT * FROM C WHERE ${w}`;
    expect(refusal(where('a IN 1'), IN)).toMatchObject({ column: 28, expected: '(' });
    expect(refusal(where('a IN (1 2)'), IN)).toMatchObject({ column: 31, expected: ', or )' });
    expect(refusal(where('a IN (b)'), IN)).toMatchObject({ column: 29, message: 'expected a constant but found "b"' });
    expect(refusal(where('a IN (1, NULL)'), IN)).toMatchObject({ column: 32, message: /NULL can only be tested with IS NULL/, hint: 'write "a IS NULL"' });
    expect(refusal(where('a NOT IN (NULL)'), IN)).toMatchObject({ hint: 'write "a IS NOT NULL"' });
  });
});

describe('qualifiedNames', () => {
  const Q = { ...CONDITION_GRAMMAR, qualifiedNames: { joinHint: 'name the property directly' } };

  it('off: Class.Name is an embedded-object property, refused at the dot', () => {
    const e = refusal("SELECT * FROM Win32_BIOS WHERE Win32_BIOS.Version = 'x'");
    expect(e.column).toBe(42);
    expect(e.message).toMatch(/embedded-object/);
  });

  it('on: Class.Name of the FROM class (any case) and Class.* in the select list', () => {
    const text = "SELECT WIN32_BIOS.*, Win32_BIOS.Version FROM Win32_BIOS WHERE win32_bios.Version = 'x'";
    const q = parseWql(text, Q);
    expect(q.select).toMatchObject([
      { name: '*', qualifier: { name: 'WIN32_BIOS' } },
      { name: 'Version', qualifier: { name: 'Win32_BIOS' } },
    ]);
    // The name's span is the name's; the comparison's starts at the qualifier.
    const at = text.indexOf('win32_bios.');
    expect(q.where).toMatchObject({ kind: 'compare', property: { name: 'Version', start: at + 11, qualifier: { name: 'win32_bios', start: at } }, start: at });
    expect(printWql(q)).toBe(text);
  });

  it('on: any other class before the dot is a join, refused at its name, naming the class expected', () => {
    const inWhere = refusal("SELECT * FROM Win32_BIOS WHERE Win32_OperatingSystem.Version = 'x'", Q);
    expect(inWhere).toMatchObject({ column: 32, expected: 'Win32_BIOS', hint: 'name the property directly' });
    expect(inWhere.message).toBe('Win32_OperatingSystem is not Win32_BIOS; a task sequence condition reads one class');
    // In the select list the class is not known yet: refused once FROM names it.
    expect(refusal('SELECT Other.Version FROM Win32_BIOS', Q)).toMatchObject({ column: 8, expected: 'Win32_BIOS' });
    expect(refusal("SELECT * FROM Win32_BIOS WHERE Win32_BIOS.* = 'x'", Q)).toMatchObject({
      column: 43,
      message: /expected a property name after "Win32_BIOS\."/,
    });
  });
});

describe('orderBooleans, keywords and classes', () => {
  it('orderBooleans: refused (conditions) or read like any other constant', () => {
    expect(refusal('SELECT * FROM C WHERE a > TRUE')).toMatchObject({ column: 27, message: /booleans can only be compared with =, <> or !=/ });
    expect(parseWql('SELECT * FROM C WHERE a > TRUE', { ...CONDITION_GRAMMAR, orderBooleans: true }).where).toMatchObject({
      kind: 'compare',
      op: '>',
      value: { kind: 'boolean', value: true },
    });
  });

  it('keywords: a word is a name exactly when the grammar does not reserve it', () => {
    expect(refusal("SELECT * FROM C WHERE Group = 'x'")).toMatchObject({ column: 23, message: 'Group is a WQL keyword, not a property name' });
    const fewer = { ...CONDITION_GRAMMAR, keywords: new Set([...WQL_KEYWORDS].filter((k) => k !== 'GROUP')) };
    expect(parseWql("SELECT * FROM C WHERE Group = 'x'", fewer).where).toMatchObject({ property: { name: 'Group' } });
  });

  it("classes: any other class is refused at its name with the grammar's hint; event classes stay refused", () => {
    const only = { ...CONDITION_GRAMMAR, classes: { names: ['Win32_BIOS'], readers: 'BIOS conditions', hint: 'query Win32_BIOS' } };
    expect(parseWql('select * from WIN32_bios', only).className).toBe('WIN32_bios');
    expect(refusal('SELECT * FROM Win32_Processor', only)).toMatchObject({
      column: 15,
      message: 'BIOS conditions read Win32_BIOS, not Win32_Processor',
      expected: 'Win32_BIOS',
      hint: 'query Win32_BIOS',
    });
    expect(refusal('SELECT * FROM', only)).toMatchObject({ column: 14, expected: 'Win32_BIOS' });
    expect(refusal('SELECT * FROM __InstanceCreationEvent')).toMatchObject({ message: /event or schema query/ });
  });
});

describe('limits: the boundary is accepted, one more is refused at its column', () => {
  it('maxDepth', () => {
    const g = withLimits({ maxDepth: 3 });
    expect(tryParseWql("SELECT * FROM C WHERE NOT ((a = 'x'))", g).ok).toBe(true);
    const text = "SELECT * FROM C WHERE NOT (((a = 'x')))";
    const e = refusal(text, g);
    expect(e).toMatchObject({ column: text.indexOf('((a') + 2, message: 'the condition nests deeper than 3 levels of parentheses and NOT' });
    expect(e.hint).toMatch(/^simplify the condition/);
  });

  it('maxConditions', () => {
    const g = withLimits({ maxConditions: 3 });
    expect(tryParseWql('SELECT * FROM C WHERE a = 1 OR b = 2 AND NOT c IS NULL', g).ok).toBe(true);
    const text = 'SELECT * FROM C WHERE a = 1 OR b = 2 AND NOT c IS NULL OR d = 4';
    expect(refusal(text, g)).toMatchObject({
      column: text.indexOf('d = 4') + 1,
      message: 'the condition has more than 3 comparisons',
      hint: 'split it into several conditions',
    });
  });

  it('maxInValues', () => {
    const g = { ...withLimits({ maxInValues: 3 }), allowIn: true };
    expect(tryParseWql('SELECT * FROM C WHERE a IN (1, 2, 3)', g).ok).toBe(true);
    const text = 'SELECT * FROM C WHERE a IN (1, 2, 3, 4)';
    expect(refusal(text, g)).toMatchObject({ column: text.indexOf(', 4') + 1, message: 'an IN list holds at most 3 values' });
  });

  it('maxLikePatternLength and maxLikeSets', () => {
    const g = withLimits({ maxLikePatternLength: 6, maxLikeSets: 2 });
    expect(tryParseWql("SELECT * FROM C WHERE a LIKE '123456'", g).ok).toBe(true);
    expect(refusal("SELECT * FROM C WHERE a LIKE '1234567'", g)).toMatchObject({ column: 30, message: 'the LIKE pattern is 7 characters; at most 6' });
    expect(tryParseWql("SELECT * FROM C WHERE a LIKE '[a]' OR b LIKE '[^b]%'", g).ok).toBe(true);
    const text = "SELECT * FROM C WHERE a LIKE '[a]' OR b LIKE '[b][c]'";
    expect(refusal(text, g)).toMatchObject({ column: text.indexOf("'[b]") + 1, message: "the condition's LIKE patterns hold more than 2 [sets]" });
  });

  it('maxNumberDigits (the exponent applied)', () => {
    const g = withLimits({ maxNumberDigits: 3 });
    for (const ok of ['999', '1e2', '-1.25', '0.001', '12.5e-1']) expect(tryParseWql(`SELECT * FROM C WHERE a = ${ok}`, g).ok, ok).toBe(true);
    for (const bad of ['1000', '1e3', '0.0001', '1.2345']) {
      expect(refusal(`SELECT * FROM C WHERE a = ${bad}`, g), bad).toMatchObject({
        column: 27,
        message: `the number ${bad} is out of range: a number in a task sequence condition has at most 3 digits`,
      });
    }
    // Without the limit, numbers keep their text exactly, however long.
    expect(parseWql(`SELECT * FROM C WHERE a = 1${'0'.repeat(2000)}`).where).toMatchObject({ value: { text: `1${'0'.repeat(2000)}` } });
  });

  it('maxLength, before tokenising', () => {
    const g = withLimits({ maxLength: 30 });
    expect(tryParseWql('SELECT * FROM C WHERE a = 1234', g).ok).toBe(true);
    const e = refusal(`SELECT * FROM C WHERE a = 12345${'‘'.repeat(1000)}`, g);
    expect(e).toMatchObject({ column: 31, message: 'the condition is 1031 characters; a task sequence condition has at most 30' });
    expect(e.query).toHaveLength(100);
  });

  it('textRule, after the length and before tokenising', () => {
    const g: WqlGrammar = {
      ...CONDITION_GRAMMAR,
      textRule: (t) => (t.includes('~') ? { rule: 'contains a tilde', index: t.indexOf('~'), hint: 'remove it' } : undefined),
    };
    expect(refusal("SELECT * FROM C WHERE a = '~'", g)).toMatchObject({ column: 28, message: 'the condition contains a tilde', hint: 'remove it' });
  });

  it('task sequence conditions bound only nesting', () => {
    expect(CONDITION_GRAMMAR.limits).toEqual({ maxDepth: 100 });
  });
});

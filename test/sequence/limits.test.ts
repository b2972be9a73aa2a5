// The input limits (src/sequence/limits.ts) and linear behaviour on hostile input: what is at a
// limit is accepted and can be read, exported, linted, compared, shown and simulated; one step
// past it is refused at every entrance with an InputError naming the input, the rule and the
// limit, before any deep work; shapes that used to be quadratic (or worse) stay fast.
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stepSimulators } from '../../src/actions/handlers/index.js';
import { loadMachineProfile } from '../../src/engine/machine-profile/index.js';
import { simulate } from '../../src/engine/simulate/simulate.js';
import { conditionWarnings, validateCondition } from '../../src/engine/conditions/index.js';
import { isIgnorableRaw } from '../../src/engine/conditions/evaluate.js';
import { readSettings } from '../../src/sequence/catalog/index.js';
import { exportJsonText, importJsonText } from '../../src/sequence/codec/json.js';
import { loadTaskSequence } from '../../src/sequence/codec/load.js';
import { exportXmlText } from '../../src/sequence/codec/xml-export.js';
import { importConditionXml, importXmlText, rootElementName } from '../../src/sequence/codec/xml-import.js';
import { conditionKey, describeCondition } from '../../src/sequence/condition/describe.js';
import { diffSequences } from '../../src/sequence/diff/index.js';
import { InputError } from '../../src/sequence/input-error.js';
import {
  MAX_CONDITION_DEPTH,
  MAX_GROUP_DEPTH,
  MAX_IMPORT_WARNINGS,
  MAX_PATH_LENGTH,
  MAX_SITE_ITEMS,
  validateSequenceLimits,
} from '../../src/sequence/limits.js';
import { lintSequence } from '../../src/sequence/lint/lint.js';
import type { Condition, ConditionNode, Group, SequenceItem, Step, TaskSequence } from '../../src/sequence/model/task-sequence.js';
import { countItems, walkItems } from '../../src/sequence/model/walk.js';
import { renderTree, summarize } from '../../src/sequence/present/tree.js';
import { secretRuleMatches } from '../../src/sequence/secrets.js';
import { parseAnswers } from '../../src/sequence/wizard/load-answers.js';
import { consoleExportZip } from '../helpers/console-export.js';
import { nestedCondition, nestedGroupsJson, nestedGroupsXml, wrapped } from '../helpers/deep-sequence.js';
import { inputError } from '../helpers/errors.js';

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');
const LAPTOP = loadMachineProfile(resolve(__dirname, '../../examples/machines/uefi-x64-laptop-bare-metal.json'));

/** Milliseconds `fn` takes (generous bounds below: the machine is shared). */
function ms(fn: () => unknown): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

function renameInnermost(ts: TaskSequence): TaskSequence {
  const copy = structuredClone(ts);
  for (const v of walkItems(copy)) if (v.item.name === 'Innermost') v.item.name = 'Innermost (renamed)';
  return copy;
}

/** A model built in code (as the wizard or an API client does): groups nested `depth` deep. */
function modelWithDepth(depth: number): TaskSequence {
  let items: SequenceItem[] = [{ kind: 'step', name: 'leaf' } as Step];
  for (let i = depth; i >= 1; i--) items = [{ kind: 'group', name: `G${i}`, items } as Group];
  return { version: '3.10', items };
}

describe('nesting at the limits: accepted, and everything works on it', () => {
  const xml = nestedGroupsXml(MAX_GROUP_DEPTH, MAX_CONDITION_DEPTH);
  const { sequence } = importXmlText(xml, 'deep.xml');

  it('imports 64 groups deep with a condition 32 operators deep', () => {
    expect(countItems(sequence)).toEqual({ groups: MAX_GROUP_DEPTH, steps: MAX_GROUP_DEPTH + 1 });
    const innermost = [...walkItems(sequence)].find((v) => v.item.name === 'Innermost')!;
    expect(innermost.depth).toBe(MAX_GROUP_DEPTH);
    let depth = 0;
    for (let n: ConditionNode | undefined = innermost.item.condition!.operands[0]; n?.kind === 'operator'; n = n.operands[0]) depth++;
    expect(depth).toBe(MAX_CONDITION_DEPTH);
  });

  it('exports to XML and JSON and reads them back to the same model, in every container', () => {
    expect(importXmlText(exportXmlText(sequence), 'again.xml').sequence).toEqual(sequence);
    expect(importXmlText(exportXmlText(sequence, { layout: 'indented' }), 'indented.xml').sequence.items).toEqual(sequence.items);
    expect(importJsonText(exportJsonText(sequence), 'deep.json')).toEqual(sequence);
    expect(loadTaskSequence(bytes(wrapped(xml)), 'wrapper.xml').sequence.items).toEqual(sequence.items);
    const zip = consoleExportZip([{ packageId: 'PS100001', name: 'Deep', xml }]);
    expect(loadTaskSequence(zip, 'deep.zip').sequence.items).toEqual(sequence.items);
    expect(() => validateSequenceLimits(sequence, 'deep.xml', { maxItems: MAX_SITE_ITEMS })).not.toThrow();
  });

  it("lints (with the engine's condition checks), diffs and shows", () => {
    const findings = lintSequence(sequence, {
      checkCondition: (c) => [...validateCondition(c), ...conditionWarnings(c)].map((e) => ({ severity: e.severity, message: e.message })),
    });
    expect(findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(diffSequences(sequence, sequence)).toEqual([]);
    const changes = diffSequences(sequence, renameInnermost(sequence));
    expect(changes.map((c) => c.kind)).toEqual(['renamed']);
    expect(changes[0]!.pathB).toMatch(/^G1 \/ G2 \/ .* \/ G64 \/ Innermost \(renamed\)$/);
    const text = renderTree(summarize(sequence), { actions: true });
    expect(text).toContain('Innermost');
    const innermost = [...walkItems(sequence)].find((v) => v.item.name === 'Innermost')!.item;
    expect(describeCondition(innermost.condition!)).toContain('Deep equals "yes"');
  });

  it('simulates', async () => {
    const report = await simulate(sequence, { profile: LAPTOP, steps: stepSimulators(), variables: [{ name: 'Deep', value: 'yes' }] });
    expect(report.result).toBe('success');
    expect(report.instructions.find((i) => i.name === 'Innermost')!.outcome).toBe('ran');
  });
});

describe('one level more is refused at every entrance, before deep work', () => {
  const over = nestedGroupsXml(MAX_GROUP_DEPTH + 1);

  it('XML, the wrapper and a console export name the input, the rule, the limit and the place', () => {
    const e = inputError(() => loadTaskSequence(bytes(over), 'over.xml'));
    expect(e.input).toBe('over.xml');
    expect(e.rule).toMatch(/^groups nest more than 64 deep.*at most 64 groups within groups are allowed/);
    expect(e.location).toEqual({ line: 1, column: over.indexOf('<group name="G65"') + 1 });
    expect(inputError(() => loadTaskSequence(bytes(wrapped(over)), 'over-wrapper.xml')).rule).toMatch(/groups nest more than 64 deep/);
    const zip = consoleExportZip([{ packageId: 'PS100001', name: 'Deep', xml: over }]);
    const z = inputError(() => loadTaskSequence(zip, 'over.zip'));
    expect(z.input).toBe('over.zip!SMS_TaskSequencePackage/PS100001/object.xml (Sequence property)');
    expect(z.rule).toMatch(/groups nest more than 64 deep/);
  });

  it('canonical JSON and a model built in code (wizard, API) are refused the same way', () => {
    const j = inputError(() => loadTaskSequence(bytes(nestedGroupsJson(MAX_GROUP_DEPTH + 1)), 'over.json'));
    expect(j.input).toBe('over.json');
    expect(j.rule).toMatch(/groups nest more than 64 deep \(at "G1 \/ G2 \/ .*….* G63 \/ G64 \/ G65"\)/);
    expect(() => importJsonText(nestedGroupsJson(MAX_GROUP_DEPTH), 'ok.json')).not.toThrow();
    const m = inputError(() => validateSequenceLimits(modelWithDepth(MAX_GROUP_DEPTH + 1), 'body.sequence'));
    expect(m.input).toBe('body.sequence');
    expect(m.rule).toMatch(/groups nest more than 64 deep/);
    expect(() => validateSequenceLimits(modelWithDepth(MAX_GROUP_DEPTH), 'body.sequence')).not.toThrow();
  });

  it('a million levels of XML or JSON are refused at once, not by a stack overflow', () => {
    const n = 1_000_000;
    const deepXml = `<sequence version="3.10">${'<group name="g">'.repeat(n)}${'</group>'.repeat(n)}</sequence>`;
    expect(ms(() => expect(inputError(() => loadTaskSequence(bytes(deepXml), 'deep.xml')).rule).toMatch(/groups nest more than 64 deep/))).toBeLessThan(2000);
    const deepJson = `{"format":"openosd.task-sequence","formatVersion":1,"sequence":{"version":"3.10","items":${'[{"kind":"group","name":"g","items":'.repeat(n / 10)}[]${'}]'.repeat(n / 10)}}}`;
    expect(
      ms(() => expect(inputError(() => importJsonText(deepJson, 'deep.json')).rule).toMatch(/nests objects and arrays more than 224 levels deep/)),
    ).toBeLessThan(3000);
    const elements = `<sequence version="3.10"><step name="s"><x>${'<y>'.repeat(n)}${'</y>'.repeat(n)}</x></step></sequence>`;
    expect(inputError(() => importXmlText(elements, 'elements.xml')).rule).toMatch(/elements nest more than 256 deep/);
  });
});

describe('conditions nest at most 32 operators deep', () => {
  const stepWith = (condition: string): string => `<sequence version="3.10"><step name="s">${condition}</step></sequence>`;

  it('33 are refused in XML, in a rule condition on its own, in JSON and in a model', () => {
    expect(() => importXmlText(stepWith(nestedCondition(MAX_CONDITION_DEPTH)), 'ok.xml')).not.toThrow();
    const e = inputError(() => importXmlText(stepWith(nestedCondition(MAX_CONDITION_DEPTH + 1)), 'cond.xml'));
    expect(e.input).toBe('cond.xml');
    expect(e.rule).toMatch(/a condition nests operators \(and\/or\/not\) more than 32 deep.*at most 32 are allowed/);
    expect(e.location?.line).toBe(1);
    expect(inputError(() => importConditionXml(nestedCondition(MAX_CONDITION_DEPTH + 1), 'rules')).rule).toMatch(/more than 32 deep/);
    const model = importXmlText(stepWith(nestedCondition(MAX_CONDITION_DEPTH)), 'ok.xml').sequence;
    const deeper = structuredClone(model);
    const c = (deeper.items[0] as Step).condition!;
    c.operands = [{ kind: 'operator', operator: 'not', operands: c.operands }];
    expect(inputError(() => importJsonText(exportJsonText(deeper), 'cond.json')).rule).toMatch(/more than 32 deep \(on step "s"\)/);
    expect(inputError(() => validateSequenceLimits(deeper, 'body.sequence')).rule).toMatch(/more than 32 deep/);
  });

  it('a thousand levels are refused while the step is read, and wide conditions stay linear', () => {
    expect(inputError(() => importXmlText(stepWith(nestedCondition(100)), 'cond.xml')).rule).toMatch(/a condition nests operators .* more than 32 deep/);
    // Deeper still, the XML's own nesting limit stops it before the step is complete.
    expect(inputError(() => importXmlText(stepWith(nestedCondition(1000)), 'cond.xml')).rule).toMatch(/elements nest more than 256 deep/);
    // 200,000 operands in one `and` inside another: flattened without spreading them as arguments.
    const operands: ConditionNode[] = Array.from({ length: 200_000 }, (_, i) => ({
      kind: 'expression',
      type: 'SMS_TaskSequence_VariableConditionExpression',
      properties: [
        { name: 'Variable', value: `V${i}` },
        { name: 'Operator', value: 'equals' },
        { name: 'Value', value: 'x' },
      ],
    }));
    const wide: Condition = { operands: [{ kind: 'operator', operator: 'and', operands: [{ kind: 'operator', operator: 'and', operands }] }] };
    const ts: TaskSequence = { version: '3.10', items: [{ kind: 'step', name: 's', condition: wide } as Step] };
    expect(ms(() => expect(conditionKey(wide).length).toBeGreaterThan(200_000))).toBeLessThan(3000);
    expect(ms(() => lintSequence(ts))).toBeLessThan(3000);
  });
});

describe("item paths and the site's item count", () => {
  it('a path over 1,024 characters is refused by every importer and the validator', () => {
    const name = 'n'.repeat(200);
    let xml = '<step name="leaf"/>';
    for (let i = 0; i < 6; i++) xml = `<group name="${name}${i}">${xml}</group>`;
    const e = inputError(() => importXmlText(`<sequence version="3.10">${xml}</sequence>`, 'long.xml'));
    expect(e.rule).toMatch(/^the path of an item is 1,221 characters \("n+…n+0"\); at most 1,024 are allowed/);
    // Five levels: the leaf's path is 5 × 201 + 5 × 3 + 4 = 1,024 characters, at the limit.
    const five = importXmlText(
      `<sequence version="3.10">${xml.replace(`<group name="${name}5">`, '').replace(/<\/group>$/, '')}</sequence>`,
      'ok.xml',
    ).sequence;
    expect(() => importJsonText(exportJsonText(five), 'ok.json')).not.toThrow();
    (five.items[0] as Group).name = 'n'.repeat(MAX_PATH_LENGTH);
    expect(inputError(() => importJsonText(exportJsonText(five), 'long.json')).rule).toMatch(/the path of an item is/);
  });

  it('the site allows 10,000 groups and steps; the CLI reads any number', () => {
    const many = (n: number): TaskSequence => ({ version: '3.10', items: Array.from({ length: n }, (_, i) => ({ kind: 'step', name: `s${i}` }) as Step) });
    expect(() => validateSequenceLimits(many(MAX_SITE_ITEMS), 'body.content', { maxItems: MAX_SITE_ITEMS })).not.toThrow();
    expect(inputError(() => validateSequenceLimits(many(MAX_SITE_ITEMS + 1), 'body.content', { maxItems: MAX_SITE_ITEMS })).rule).toMatch(
      /more than 10,000 groups and steps; at most 10,000 are allowed at the site/,
    );
    expect(() => validateSequenceLimits(many(MAX_SITE_ITEMS + 1), 'big.xml')).not.toThrow();
  });
});

describe('linear on hostile input', () => {
  it('warnings on every step are capped, with a count of the rest', () => {
    const n = 50_000;
    let r!: ReturnType<typeof importXmlText>;
    expect(ms(() => (r = importXmlText(`<sequence version="3.10">${'<step type="T"/>\n'.repeat(n)}</sequence>`, 'nameless.xml')))).toBeLessThan(3000);
    expect(r.warnings).toHaveLength(MAX_IMPORT_WARNINGS + 1);
    expect(r.warnings[1]!.at).toBe('2:1');
    expect(r.warnings.at(-1)!.message).toBe(`… and ${(n - MAX_IMPORT_WARNINGS).toLocaleString('en-US')} more warnings (the first 1,000 are listed)`);
  });

  it('recorded orders from JSON cost no more than the items they place', () => {
    const ts = importXmlText('<sequence version="3.10"><group name="g"><step name="a"/><condition/><step name="b"/></group></sequence>', 'x.xml').sequence;
    const doc = JSON.parse(exportJsonText(ts));
    doc.sequence.items[0].xml.children = 'item*999999999 condition*999999999 constructor __proto__ item';
    doc.sequence.items[0].xml.attributes = Array.from({ length: 100_000 }, (_, i) => `a${i}`).join(' ');
    let out = '';
    expect(ms(() => (out = exportXmlText(importJsonText(JSON.stringify(doc), 'order.json'))))).toBeLessThan(2000);
    expect(out).toBe('<sequence version="3.10"><group name="g"><step name="a"/><step name="b"/><condition/></group></sequence>');
    doc.sequence.xml = { indent: ' '.repeat(1_000_000) };
    expect(inputError(() => importJsonText(JSON.stringify(doc), 'indent.json')).rule).toMatch(/sequence\.xml\.indent/);
  });

  it('the root element is found in one pass over a head full of unterminated "<?"', () => {
    expect(ms(() => expect(rootElementName(`${'<?'.repeat(32_000)}<sequence/>`)).toBe('sequence'))).toBeLessThan(500);
    expect(ms(() => expect(rootElementName(`${'<!--'.repeat(16_000)}`)).toBeUndefined())).toBeLessThan(500);
    expect(rootElementName('<?xml version="1.0"?><!-- <INSTANCE> --><sequence version="3.10"/>')).toBe('sequence');
    expect(rootElementName('<!-- open <?pi ?> --><?x <!-- ?><SmsTaskSequencePackage/>')).toBe('SmsTaskSequencePackage');
  });

  it('comment-only raw nodes are recognised without exponential backtracking', () => {
    const hostile = `${'<!---->'.repeat(40)}x`;
    const cond: Condition = {
      operands: [
        { kind: 'raw', xml: hostile },
        { kind: 'raw', xml: ' <!-- a --> <!-- b --> ' },
      ],
    };
    expect(
      ms(() => {
        expect(conditionKey(cond)).toBe(JSON.stringify(['raw', hostile]));
        expect(isIgnorableRaw({ kind: 'raw', xml: hostile })).toBe(false);
        expect(isIgnorableRaw({ kind: 'raw', xml: ' <!-- a --> <!-- b --> ' })).toBe(true);
        validateCondition(cond);
      }),
    ).toBeLessThan(500);
  });

  it('folding white space over lines is linear in a long run of spaces', () => {
    const spaces = ' '.repeat(300_000);
    const wmi: Condition = {
      operands: [
        {
          kind: 'expression',
          type: 'SMS_TaskSequence_WMIConditionExpression',
          properties: [
            { name: 'Namespace', value: 'root\\cimv2' },
            { name: 'Query', value: `SELECT *${spaces}x\n  FROM Win32_BIOS` },
          ],
        },
      ],
    };
    expect(ms(() => expect(describeCondition(wmi)).toMatch(/x FROM Win32_BIOS$/))).toBeLessThan(1000);
    const a: TaskSequence = { version: '3.10', items: [{ kind: 'step', name: 's', description: `a${spaces}b` } as Step] };
    const b: TaskSequence = { version: '3.10', items: [{ kind: 'step', name: 's', description: `a${spaces}c\n d` } as Step] };
    expect(ms(() => expect(diffSequences(a, b)[0]!.message).toMatch(/description of step "s" changed/))).toBeLessThan(1000);
  });

  it('many captures and restores, requests and releases, and repeated variable names stay linear', () => {
    const step = (type: string, i: number, vars = ''): string =>
      `<step type="SMS_TaskSequence_${type}" name="${type} ${i}"><defaultVarList>${vars}</defaultVarList></step>`;
    const n = 3000;
    const body = Array.from(
      { length: n },
      (_, i) => step('CaptureUserStateAction', i) + step('RestoreUserStateAction', i) + step('RequestStateStoreAction', i),
    ).join('');
    const ts = importXmlText(`<sequence version="3.10">${body}</sequence>`, 'state.xml').sequence;
    let findings: ReturnType<typeof lintSequence> = [];
    expect(ms(() => (findings = lintSequence(ts)))).toBeLessThan(3000);
    expect(findings.filter((f) => f.rule === 'capture-all-profiles-without-local-accounts')).toHaveLength(n);
    expect(findings.find((f) => f.rule === 'capture-all-profiles-without-local-accounts')!.message).toMatch(
      /^"CaptureUserStateAction 0" \(and 2999 other capture steps\) captures all user profiles/,
    );
    expect(findings.filter((f) => f.rule === 'state-store-not-released')).toHaveLength(n);
    const vars = (v: string): string => Array.from({ length: 50_000 }, () => `<variable name="Same">${v}</variable>`).join('');
    const a = importXmlText(`<sequence version="3.10">${step('RunCommandLineAction', 0, vars('a'))}</sequence>`, 'a.xml').sequence;
    const b = importXmlText(`<sequence version="3.10">${step('RunCommandLineAction', 0, vars('b'))}</sequence>`, 'b.xml').sequence;
    expect(ms(() => expect(diffSequences(a, b)).toHaveLength(50_000))).toBeLessThan(3000);
  });

  it('secret values in Set Dynamic Variables rules are found as the regex found them, in one pass', () => {
    const regex = /(<Variable\b[^>]*\bIsSecret\s*=\s*["']true["'][^>]*>)([^<]*)(<\/Variable>)/gi;
    const piece = fc.constantFrom(
      '<Variable',
      '<variable ',
      ' IsSecret="true"',
      " isSecret = 'TRUE'",
      'IsSecret="false"',
      'xIsSecret="true"',
      '>',
      '<',
      '</Variable>',
      '</variable>',
      'pw',
      ' ',
      'Name="a"',
      '<Rules>',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 24 }), (parts) => {
        const text = parts.join('');
        const want = [...text.matchAll(regex)].map((m) => [m.index, m[1], m[2], m[3]]);
        expect(secretRuleMatches(text).map((m) => [m.start, m.open, m.inner, m.close])).toEqual(want);
      }),
      { numRuns: 2000 },
    );
    // A megabyte of `<Variable ` (the regex needs minutes for it) and of secret tags.
    expect(ms(() => expect(secretRuleMatches(`<Rules>${'<Variable '.repeat(100_000)}`)).toEqual([]))).toBeLessThan(1000);
    expect(ms(() => expect(secretRuleMatches(`<Rules>${'<Variable IsSecret="true" '.repeat(40_000)}>pw</Variable>`)).toHaveLength(1))).toBeLessThan(1000);
  });

  it('a declared array count of a billion is reported and not built', () => {
    const ts = importXmlText(
      '<sequence version="3.10"><step type="SMS_TaskSequence_PartitionDiskAction" name="p"><defaultVarList><variable name="OSDPartitions" property="Partitions">999999999</variable><variable name="OSDPartitions0Type" property="Partitions0Type">Primary</variable></defaultVarList></step></sequence>',
      'p.xml',
    ).sequence;
    let read: ReturnType<typeof readSettings<{ partitions: unknown[] }>>;
    expect(ms(() => (read = readSettings<{ partitions: unknown[] }>(ts.items[0] as Step)))).toBeLessThan(500);
    expect(read!.settings.partitions).toHaveLength(1);
    expect(read!.issues.join('\n')).toMatch(/OSDPartitions="999999999" is more than 10,000 elements; not used/);
  });

  it('diffs of 20,000 edited steps and of 5,000 renamed groups finish (linear past the work budget)', () => {
    const flat = (prefix: string): TaskSequence => ({
      version: '3.10',
      items: Array.from(
        { length: 20_000 },
        (_, i) => ({ kind: 'step', name: 'Run', type: 'SMS_TaskSequence_RunCommandLineAction', action: `${prefix}${i}` }) as Step,
      ),
    });
    let changes: ReturnType<typeof diffSequences> = [];
    expect(ms(() => (changes = diffSequences(flat('a'), flat('b'))))).toBeLessThan(8000);
    expect(changes.every((c) => c.kind === 'action-changed' || c.kind === 'added' || c.kind === 'removed')).toBe(true);
    const grouped = (prefix: string): TaskSequence => ({
      version: '3.10',
      items: Array.from(
        { length: 5000 },
        (_, i) => ({ kind: 'group', name: `${prefix}${i}`, items: [{ kind: 'step', name: `s${i}`, action: `x${i}` } as Step] }) as Group,
      ),
    });
    expect(ms(() => expect(diffSequences(grouped('G'), grouped('H')).filter((c) => c.kind === 'renamed')).toHaveLength(5000))).toBeLessThan(8000);
    const same = flat('a');
    expect(diffSequences(same, structuredClone(same))).toEqual([]);
  });
});

describe('answers files', () => {
  it('are at most 256 KiB, and duplicate keys are found in one pass', () => {
    expect(inputError(() => parseAnswers(`a: "${'x'.repeat(300 * 1024)}"`, 'big.yaml')).rule).toMatch(
      /^the answers file is 307,205 bytes; at most 256 KiB are allowed/,
    );
    const keys = Array.from({ length: 20_000 }, (_, i) => `k${i}: 1`).join('\n');
    expect(ms(() => expect(inputError(() => parseAnswers(keys, 'keys.yaml'))).toBeInstanceOf(InputError))).toBeLessThan(5000);
    const dup = inputError(() => parseAnswers('taskSequence:\n  name: a\n  name: b\n', 'dup.yaml'));
    expect(dup.rule).toMatch(/Map keys must be unique \("name" appears twice\)/);
    expect(dup.location).toEqual({ line: 3, column: 3 });
  });
});

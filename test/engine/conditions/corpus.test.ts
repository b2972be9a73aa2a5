/**
 * The corpus (conditions-wql §3): every WMI query parses and gives the expected answer on the §5
 * example inventory; every condition validates and evaluates without throwing; the HP step's
 * empty `<operator type="or"/>` (vector 19) reads literally and is flagged.
 */
import { describe, expect, it } from 'vitest';
import { conditionWarnings, evaluateCondition, evaluateWql, explainFalse, parseWql, validateCondition } from '../../../src/engine/conditions/index.js';
import { importConditionXml, importXmlText } from '../../../src/sequence/codec/xml-import.js';
import { pathText, walkItems } from '../../../src/sequence/model/walk.js';
import type { Condition, ConditionNode, Step, TaskSequence } from '../../../src/sequence/model/task-sequence.js';
import { corpusFiles, corpusText } from '../../helpers/corpus.js';
import { context, exampleInventory, hpInventory } from './fixtures.js';

const sequences: Array<[string, TaskSequence]> = corpusFiles().map((f) => [f, importXmlText(corpusText(f), f).sequence]);

function conditions(): Array<{ file: string; path: string; condition: Condition }> {
  const out: Array<{ file: string; path: string; condition: Condition }> = [];
  for (const [file, ts] of sequences) {
    for (const v of walkItems(ts)) if (v.item.condition) out.push({ file, path: pathText(v.path), condition: v.item.condition });
  }
  return out;
}

function wmiQueries(nodes: ConditionNode[]): Array<{ namespace: string; query: string }> {
  const out: Array<{ namespace: string; query: string }> = [];
  for (const n of nodes) {
    if (n.kind === 'operator') out.push(...wmiQueries(n.operands));
    else if (n.kind === 'expression' && /WMIConditionExpression$/i.test(n.type)) {
      const get = (k: string): string => n.properties.find((p) => p.name.toLowerCase() === k)?.value ?? '';
      out.push({ namespace: get('namespace'), query: get('query') });
    }
  }
  return out;
}

const unescapeXml = (s: string): string =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

/** Queries straight from the XML text, also those the importer keeps as raw XML (a <condition> after a group's children). */
function queriesInText(): string[] {
  const out: string[] = [];
  for (const f of corpusFiles()) {
    for (const m of corpusText(f).matchAll(/<variable name="Query">([\s\S]*?)<\/variable>/g)) out.push(unescapeXml(m[1]));
  }
  return out;
}

/** §3 table, each answered on the §5 example inventory (a Dell Latitude E7270 in WinPE). */
const EXPECTED: Record<string, boolean> = {
  "SELECT * FROM Win32_ComputerSystem WHERE Manufacturer LIKE '%DELL%'": true,
  "SELECT * FROM Win32_ComputerSystem WHERE Manufacturer LIKE '%HP%'": false,
  "SELECT * FROM Win32_ComputerSystem WHERE Manufacturer LIKE '%Hewlett-Packard%'": false,
  "SELECT * FROM Win32_ComputerSystem WHERE Manufacturer LIKE '%Lenovo%'": false,
  "SELECT * FROM Win32_ComputerSystem WHERE Manufacturer LIKE '%Microsoft%'": false,
  "SELECT * FROM Win32_ComputerSystem WHERE Model LIKE '%Latitude E7270%'": true,
  "SELECT * FROM Win32_ComputerSystem WHERE Model LIKE '%EliteBook 8560w%'": false,
  "SELECT * FROM Win32_ComputerSystem WHERE Model = 'HP ProBook 445 G6'": false,
  "select * from WIN32_computersystem where model = 'HP ProBook 445 G6'": false,
  "select * from Win32_LogicalDisk where DriveType=3 and DeviceID != 'X:' and FileSystem = 'NTFS'": true,
  "select * from Win32_DiskPartition where DiskIndex = 0 and Type<>'Installable File System' and Type<>'NTFS'": true,
  "select * from Win32_LogicalDisk where DriveType=3 and DeviceID != 'X:'": true,
};

describe('corpus WMI queries (conditions-wql §3)', () => {
  it('the XML holds the twelve queries of the §3 table', () => {
    const text = queriesInText();
    expect(text).toHaveLength(12);
    expect(new Set(text)).toEqual(new Set(Object.keys(EXPECTED)));
  });

  it('every query in the imported conditions is one of them, in root\\cimv2', () => {
    const found = conditions().flatMap((c) => wmiQueries(c.condition.operands));
    // The "HP 445 G6 Fix" group's condition follows its children and is kept as raw XML by the importer.
    expect(found.length).toBeGreaterThanOrEqual(11);
    for (const q of found) {
      expect(Object.keys(EXPECTED)).toContain(q.query);
      expect(q.namespace).toBe('root\\cimv2');
    }
  });

  for (const [query, want] of Object.entries(EXPECTED)) {
    it(`${want ? 'true ' : 'false'}: ${query}`, () => {
      expect(() => parseWql(query)).not.toThrow();
      const r = evaluateWql('root\\cimv2', query, exampleInventory());
      expect(r.error).toBeUndefined();
      expect(r.matched).toBe(want);
    });
  }

  it('on an HP profile the vendor queries flip', () => {
    const hp = hpInventory();
    expect(evaluateWql('root\\cimv2', "SELECT * FROM Win32_ComputerSystem WHERE Manufacturer LIKE '%HP%'", hp).matched).toBe(true);
    expect(evaluateWql('root\\cimv2', "SELECT * FROM Win32_ComputerSystem WHERE Manufacturer LIKE '%DELL%'", hp).matched).toBe(false);
  });
});

describe('every corpus condition', () => {
  it('validates without errors', () => {
    for (const c of conditions()) expect(validateCondition(c.condition), `${c.file}: ${c.path}`).toEqual([]);
  });

  it('evaluates without errors in WinPE and in the full OS', () => {
    for (const c of conditions()) {
      for (const vars of <Array<Record<string, string>>>[
        { _SMSTSInWinPE: 'true', _SMSTSMediaType: 'BootMedia' },
        { _SMSTSInWinPE: 'false', OSDStateStorePath: 'C:\\StateStore', ScriptRoot: 'C:\\MDT\\Scripts' },
      ]) {
        const o = evaluateCondition(c.condition, context(vars));
        expect(o.errors, `${c.file}: ${c.path}`).toEqual([]);
        // `<condition/>` with no operands occurs in MDT files: true, nothing to trace.
        expect(o.trace.length > 0).toBe(c.condition.operands.some((n) => n.kind !== 'raw'));
        if (!c.condition.operands.length) expect(o.value).toBe(true);
        if (!o.value) expect(explainFalse(o)).not.toBe('the condition is false');
      }
    }
  });

  it('"Partition if necessary" (MDT SCCM client template): skipped when C: already holds NTFS, explained', () => {
    const c = conditions().find((x) => x.file === 'mdt8456-sccm-client-template.xml' && x.path.endsWith('Initialization / Partition if necessary'))!;
    const o = evaluateCondition(c.condition, context({ _SMSTSInWinPE: 'true', _SMSTSMediaType: 'BootMedia' }));
    expect(o.value).toBe(false);
    expect(explainFalse(o)).toMatch(
      /^NOT is false because WMI root\\cimv2: select \* from Win32_LogicalDisk .* is true \(Win32_LogicalDisk instance matched: DeviceID "C:", DriveType 3, FileSystem "NTFS"\)$/,
    );
    const blank = exampleInventory();
    blank.wmi['root\\cimv2'].Win32_LogicalDisk.instances = [{ DeviceID: 'X:', DriveType: 3, FileSystem: 'NTFS' }];
    expect(evaluateCondition(c.condition, context({ _SMSTSInWinPE: 'TRUE', _SMSTSMediaType: 'BootMedia' }, blank)).value).toBe(true);
  });

  it('19: the HP BIOS step (empty <operator type="or"/> + two siblings) is false on an HP profile, with a lint warning', () => {
    const c = conditions().find((x) => x.path.endsWith('Run HP BIOS Update'))!;
    expect(c.condition.operands.map((n) => n.kind)).toEqual(['operator', 'expression', 'expression']);
    const o = evaluateCondition(c.condition, context({}, hpInventory()));
    expect(o.value).toBe(false);
    expect(o.trace.map((t) => t.result)).toEqual([false, true, false]);
    expect(explainFalse(o)).toBe('an empty OR is always false');
    expect(conditionWarnings(c.condition).map((w) => w.rule)).toEqual(['COND_EMPTY_OPERATOR_WITH_SIBLINGS']);
    // The reading the author meant: the siblings inside the or.
    const meant: Condition = { operands: [{ kind: 'operator', operator: 'or', operands: c.condition.operands.slice(1) }] };
    expect(evaluateCondition(meant, context({}, hpInventory())).value).toBe(true);
  });

  it('the Set Dynamic Variables rule of the step catalog (Computer condition, AssetTag "s")', () => {
    const [, ts] = sequences.find(([f]) => f === 'cm-export-all-step-types-catalog.xml')!;
    const step = [...walkItems(ts)].map((v) => v.item).find((i): i is Step => i.kind === 'step' && i.type === 'SMS_TaskSequence_SetDynamicVariablesAction')!;
    const rules = step.variables!.find((v) => v.name === 'OSDSetDynamicVariablesRules')!.value;
    const xml = /<condition>[\s\S]*?<\/condition>/.exec(rules)![0];
    const condition = importConditionXml(xml, 'rules');
    expect(evaluateCondition(condition, context()).value).toBe(false);
    expect(evaluateCondition(condition, context({ _SMSTSAssetTag: 's' })).value).toBe(true);
    expect(validateCondition(condition)).toEqual([]);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exportJsonText, importJsonText } from '../../../src/sequence/codec/json.js';
import { loadTaskSequence } from '../../../src/sequence/codec/load.js';
import { exportXmlText } from '../../../src/sequence/codec/xml-export.js';
import { importXmlText } from '../../../src/sequence/codec/xml-import.js';
import type { Step } from '../../../src/sequence/model/task-sequence.js';
import { allSteps, countItems } from '../../../src/sequence/model/walk.js';
import { canonicalXml } from '../../../src/sequence/xml/canonical.js';
import { encodeText } from '../../../src/sequence/xml/decode.js';
import { parseXml } from '../../../src/sequence/xml/reader.js';
import { corpusFiles, corpusText } from '../../helpers/corpus.js';

const canon = (xml: string): string => canonicalXml(parseXml(xml).root);

describe('every corpus file round-trips without loss', () => {
  const files = corpusFiles();
  it('has the corpus', () => expect(files.length).toBeGreaterThanOrEqual(16));

  it.each(files)('%s: XML → model → XML', (file) => {
    const src = corpusText(file);
    const { sequence } = importXmlText(src, file);
    expect(canon(exportXmlText(sequence))).toBe(canon(src));
  });

  it.each(files)('%s: XML → JSON → XML, and JSON is stable', (file) => {
    const src = corpusText(file);
    const { sequence } = importXmlText(src, file);
    const json = exportJsonText(sequence);
    const back = importJsonText(json, `${file}.json`);
    expect(canon(exportXmlText(back))).toBe(canon(src));
    expect(exportJsonText(back)).toBe(json);
    expect(back).toEqual(JSON.parse(JSON.stringify(sequence)));
  });

  it.each(files)('%s: re-laid-out XML (compact / indented) still imports to the same XML', (file) => {
    const src = corpusText(file);
    const { sequence } = importXmlText(src, file);
    for (const layout of ['compact', 'indented'] as const) {
      const again = importXmlText(exportXmlText(sequence, { layout }), file).sequence;
      expect(canon(exportXmlText(again))).toBe(canon(src));
    }
  });
});

describe('what real files carry', () => {
  it('keeps typeless MDT steps and unknown step types word for word', () => {
    const src = `<sequence version="3.00"><step name="Tattoo" disable="false" continueOnError="false" successCodeList="0 3010" description="" startIn=""><action>cscript.exe "%SCRIPTROOT%\\ZTITatoo.wsf"</action><defaultVarList><variable name="X" property="X">1</variable></defaultVarList></step><step type="Contoso_FutureAction" name="Future" futureAttr="7"><futureChild a="1"><deep/></futureChild><action>future.exe</action></step></sequence>`;
    const { sequence } = importXmlText(src);
    const [tattoo, future] = sequence.items as Step[];
    expect(tattoo.type).toBeUndefined();
    expect(tattoo.startIn).toBe('');
    expect(future.extraAttributes).toEqual({ futureAttr: '7' });
    expect(future.xml?.extra?.[0]).toContain('<futureChild a="1"><deep/></futureChild>');
    expect(canon(exportXmlText(sequence))).toBe(canon(src));
  });

  it('models groups, conditions with nested operators, options and properties', () => {
    const { sequence } = importXmlText(corpusText('mdt8456-sccm-client-template.xml'));
    expect(sequence.envelope?.kind).toBe('package');
    expect(countItems(sequence)).toEqual({ groups: 22, steps: 99 });
    expect(sequence.globalVariables?.map((v) => v.name)).toEqual([
      'OSDStateSMPRetryCount',
      'OSDStateSMPRetryTime',
      'OSDEnableTCPIPFiltering',
      'OSDAdapterCount',
    ]);
    const top = sequence.items[0];
    expect(top.kind === 'group' && top.continueOnError).toBe(true);
    const partition = top.kind === 'group' ? top.items[0] : undefined;
    expect(partition?.kind === 'group' && partition.items[0].kind === 'group' && partition.items[0].condition?.operands[0]).toMatchObject({
      kind: 'operator',
      operator: 'and',
    });
    const hidden = allSteps(sequence)
      .flatMap((s) => s.variables ?? [])
      .filter((v) => v.hidden);
    expect(hidden.length).toBeGreaterThan(10);
  });

  it("a group condition written after the group's steps is still the group's condition", () => {
    const { sequence } = importXmlText(corpusText('mdt-deployshare-client-002-ts.xml'));
    const find = (items: typeof sequence.items): unknown => {
      for (const i of items) {
        if (i.kind !== 'group') continue;
        if (i.name === 'HP 445 G6 Fix') return i;
        const f = find(i.items);
        if (f) return f;
      }
      return undefined;
    };
    const g = find(sequence.items) as { condition?: unknown; items: Array<{ kind: string }> };
    expect(g.condition).toBeDefined();
    expect(g.items.every((i) => i.kind !== 'raw')).toBe(true);
  });

  it('keeps a stray <expression> under a step, with a warning', () => {
    const src =
      '<sequence version="3.00"><step name="a" successCodeList="0"><action>x</action><expression type="SMS_TaskSequence_VariableConditionExpression"><variable name="Variable">A</variable></expression></step></sequence>';
    const r = importXmlText(src, 'stray.xml');
    expect(r.warnings[0].message).toMatch(/<expression> is not expected inside <step> "a"/);
    expect(canon(exportXmlText(r.sequence))).toBe(canon(src));
  });

  it('keeps comments, CDATA values, odd boolean spellings and child order', () => {
    const src = `<?xml version="1.0" encoding="utf-8"?>
<!-- exported by hand -->
<sequence version="3.00">
  <!-- first group -->
  <group name="G" disable="False" continueOnError="TRUE" expand="true" description="d">
    <step name="S" successCodeList="0  3010" runIn="WinPE" timeout="900">
      <defaultVarList>
        <!-- why this value -->
        <variable name="A" property="A" hidden="True"><![CDATA[a < b & c]]></variable>
      </defaultVarList>
      <action>cmd /c echo %A%</action>
      <condition><operator type="not"><expression type="SMS_TaskSequence_FolderConditionExpression"><variable name="Path">C:\\x</variable></expression></operator></condition>
    </step>
  </group>
</sequence>
`;
    const { sequence } = importXmlText(src);
    const g = sequence.items[1];
    expect(sequence.items[0]).toEqual({ kind: 'raw', xml: '<!-- first group -->' });
    expect(g.kind === 'group' && g.disable === false && g.continueOnError === true).toBe(true);
    const s = g.kind === 'group' ? (g.items[0] as Step) : undefined;
    expect(s?.variables?.[0].value).toBe('a < b & c');
    expect(s?.timeout).toBe(900);
    const out = exportXmlText(sequence);
    expect(canon(out)).toBe(canon(src));
    expect(out).toContain('<!-- exported by hand -->');
    expect(out).toContain('<!-- why this value -->');
    expect(out).toContain('disable="False"');
    expect(out.indexOf('<defaultVarList>')).toBeLessThan(out.indexOf('<action>'));
    // An edit wins over the stale raw spelling.
    if (g.kind === 'group') g.disable = true;
    expect(exportXmlText(sequence)).toContain('disable="true"');
  });

  it('reads UTF-16 files and CRLF files', () => {
    const src = corpusText('mdt8456-lti-oem-template.xml').replace(/\n/g, '\r\n').replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="utf-16"?>');
    const r = loadTaskSequence(encodeText(src, 'utf-16le', true), 'oem-utf16.xml');
    expect(r.sequence.xml?.encoding).toBe('utf-16le');
    expect(r.sequence.xml?.newline).toBe('\r\n');
    const out = exportXmlText(r.sequence);
    expect(out).toContain('\r\n');
    expect(canon(out)).toBe(canon(src));
  });

  it('writes a fresh model in ConfigMgr style', () => {
    const out = exportXmlText({
      version: '3.10',
      items: [
        {
          kind: 'step',
          type: 'SMS_TaskSequence_RunCommandLineAction',
          name: 'Hi',
          description: '',
          disable: true,
          runIn: 'WinPEandFullOS',
          successCodeList: '0 3010',
          retryCount: 0,
          runFromNet: false,
          action: 'smsswd.exe /run: cmd /c echo hi',
          variables: [{ name: 'CommandLine', property: 'CommandLine', hidden: true, value: 'cmd /c echo hi' }],
        },
      ],
    });
    expect(out).toBe(
      '<sequence version="3.10"><step type="SMS_TaskSequence_RunCommandLineAction" name="Hi" description="" disable="true" runIn="WinPEandFullOS" successCodeList="0 3010" retryCount="0" runFromNet="false"><action>smsswd.exe /run: cmd /c echo hi</action><defaultVarList><variable name="CommandLine" property="CommandLine" hidden="true">cmd /c echo hi</variable></defaultVarList></step></sequence>',
    );
  });
});

/** Files we have never seen: corpus files with their formatting perturbed the ways editors do. */
describe('unseen files: formatting perturbations of the corpus (property)', () => {
  const files = corpusFiles();
  const perturb = (src: string, seed: number): string => {
    let n = seed;
    const rnd = (): number => (n = (n * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    // Reverse attribute order of some start tags, add comments and whitespace, switch quote style.
    return src.replace(/<([A-Za-z]+)((?:\s+[A-Za-z_:][\w:.-]*="[^"]*")+)(\s*\/?)>/g, (_m, name: string, attrs: string, end: string) => {
      let list = attrs.trim().split(/(?<=")\s+/);
      if (rnd() < 0.5) list = list.reverse();
      if (rnd() < 0.3) list = list.map((a) => (a.includes("'") ? a : a.replace(/="(.*)"$/, "='$1'")));
      const pre = rnd() < 0.05 ? '<!-- c -->' : '';
      return `${pre}<${name} ${list.join(rnd() < 0.5 ? ' ' : '\n   ')}${end}>`;
    });
  };
  it('round-trips every perturbation', () => {
    fc.assert(
      fc.property(fc.constantFrom(...files), fc.integer({ min: 1, max: 1e9 }), (file, seed) => {
        const src = perturb(corpusText(file), seed);
        const { sequence } = importXmlText(src, file);
        expect(canon(exportXmlText(sequence))).toBe(canon(src));
        expect(canon(exportXmlText(importJsonText(exportJsonText(sequence))))).toBe(canon(src));
      }),
      { numRuns: 60 },
    );
  });
});

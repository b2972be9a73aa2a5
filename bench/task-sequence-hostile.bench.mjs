#!/usr/bin/env node
// Hostile task sequences through the site's services (issue 10, site hardening): how long the
// event loop is held by an import of an 8 MiB hostile-but-valid document (the API's body limit),
// and by every read of the largest documents the site accepts. Prints times; never fails.
// Method (bench/lib-ab.mjs, issue 16): each hostile document's parse is a comparison, A B A B, at
// least five pairs (OSD_BENCH_PAIRS): baseline the bare parser a site without our checks would run on
// the same text (`new XMLParser({ ignoreAttributes: false, preserveOrder: true }).parse(text)` of
// fast-xml-parser; JSON.parse for the JSON document), ours readSequenceContent (parse, model, limits,
// refusal). The whole service call (import through the site, refused or stored) and the reads of the
// accepted documents are single-run figures. Results: .tmp/bench/task-sequence-hostile.json.
//   node bench/task-sequence-hostile.bench.mjs            (after `make build`)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { exportJsonText } from '../dist/sequence/codec/json.js';
import { importXmlText } from '../dist/sequence/codec/xml-import.js';
import { openPglite } from '../dist/site/db/pglite.js';
import { SYSTEM_ACTOR } from '../dist/site/security/roles.js';
import { openSite } from '../dist/site/site.js';
import { compareRevisions } from '../dist/site/task-sequences/diff.js';
import { exportTaskSequence } from '../dist/site/task-sequences/export.js';
import { lintTaskSequence } from '../dist/site/task-sequences/lint.js';
import { getTaskSequence, importTaskSequence, readSequenceContent, saveTaskSequence } from '../dist/site/task-sequences/task-sequences.js';
import { benchRun, collectGarbage, comparePairs, pairCount } from './lib-ab.mjs';

const MiB = 1024 * 1024;
const fill = (unit, bytes) => unit.repeat(Math.ceil(bytes / unit.length));
const count = (unit, n) => unit.repeat(n);
const attrs = Array.from({ length: 250 }, (_, i) => ` x${i}="v"`).join('');
const run = (name) => `<step name="${name}" type="SMS_TaskSequence_RunCommandLineAction"><action>a</action></step>`;
const chain = (n) => '<group name="g">'.repeat(n) + run('s') + '</group>'.repeat(n);
const condition = (n) =>
  `<condition>${'<operator type="or">'.repeat(n)}<expression type="SMS_TaskSequence_VariableConditionExpression"><variable name="Variable">A</variable><variable name="Operator">equals</variable><variable name="Value">1</variable></expression>${'</operator>'.repeat(n)}</condition>`;

/** 8 MiB each: parsed in full, then refused (too large, or too many items) — the worst an upload can do. */
const hostile = {
  'many steps': `<sequence version="3.10"><group name="G">${fill(run('s'), 8 * MiB)}</group></sequence>`,
  'a warning on every step': `<sequence version="3.10">${fill('<step type="T"/>\n', 8 * MiB)}</sequence>`,
  '250 attributes on every step': `<sequence version="3.10">${fill(`<step name="s"${attrs}/>`, 8 * MiB)}</sequence>`,
  'groups 64 deep, repeated': `<sequence version="3.10">${fill(chain(64), 8 * MiB)}</sequence>`,
  'conditions 32 deep, repeated': `<sequence version="3.10">${fill(`<step name="s">${condition(32)}</step>`, 8 * MiB)}</sequence>`,
  'entities everywhere': `<sequence version="3.10"><group name="G"><step name="s&amp;&lt;&#x41;"><action>${fill('&amp;&lt;&gt;&#65;&#x42;&quot;', 8 * MiB)}</action></step></group></sequence>`,
  'comments everywhere': `<sequence version="3.10"><group name="G">${fill('<!-- c --><step name="s"/>', 8 * MiB)}</group></sequence>`,
  'many steps, as JSON (8 MiB)': exportJsonText(
    importXmlText(`<sequence version="3.10"><group name="G">${fill(run('s'), 2.8 * MiB)}</group></sequence>`, 'x').sequence,
  ),
};

/** The largest the site accepts, each in two revisions (every name edited): then every read. */
const chainOpen = Array.from({ length: 62 }, (_, i) => `<group name="G${i}-nnnnnnnnn">`).join('');
const accepted = {
  '9,990 steps in one group': (v) => `<sequence version="3.10"><group name="G">${count(`<step name="s${v}"/>`, 9990)}</group></sequence>`,
  '9,900 groups at depth 64 (paths of 1,000 characters)': (v) =>
    `<sequence version="3.10">${chainOpen}<group name="deep">${count(`<group name="e${v}"/>`, 9900)}</group>${'</group>'.repeat(62)}</sequence>`,
  'one step, 30,000 secret variables, a 200 KB command line': (v) =>
    `<sequence version="3.10"><group name="G"><step name="s" type="SMS_TaskSequence_RunCommandLineAction"><action>${'x'.repeat(200_000)}</action><defaultVarList>${count(`<variable name="OSDJoinPassword${v}">pw${v}</variable>`, 30_000)}</defaultVarList></step></group></sequence>`,
};

const bench = benchRun('task-sequence-hostile');
const pairs = pairCount();

/** Runs fn once: its time as text for the report; recorded as the figure `key` (ms) when given. */
async function time(fn, key) {
  const t = performance.now();
  let text;
  try {
    const note = await fn();
    text = `${(performance.now() - t).toFixed(0)} ms${note ? ` (${note})` : ''}`;
  } catch (e) {
    text = `${(performance.now() - t).toFixed(0)} ms → ${e.status ?? e.name} ${(e.rule ?? e.message).slice(0, 70)}`;
  }
  if (key) bench.figure(key, performance.now() - t, 'ms', 'lower');
  return text;
}

/** One timed call that may throw (a refusal is a result): { value: ms, refused }. */
async function attempt(fn) {
  collectGarbage();
  const t = performance.now();
  try {
    await fn();
    return { value: performance.now() - t, refused: false };
  } catch {
    return { value: performance.now() - t, refused: true };
  }
}
const bareXml = (text) => new XMLParser({ ignoreAttributes: false, preserveOrder: true }).parse(text);

const dataDir = mkdtempSync(join(tmpdir(), 'osd-hostile-bench-'));
const site = await openSite({ dataDir, database: await openPglite(undefined) });
let n = 0;
try {
  console.log(`Imports of 8 MiB hostile documents: parse against the bare parser (${pairs} A B pairs), then the whole service call once\n`);
  for (const [name, text] of Object.entries(hostile)) {
    const format = text.startsWith('{') ? 'json' : 'xml';
    console.log(`  ${name}, ${(text.length / MiB).toFixed(1)} MiB:`);
    bench.add(
      await comparePairs({
        name: `${name}: parse`,
        baseline:
          format === 'json'
            ? { label: 'JSON.parse', run: () => attempt(() => JSON.parse(text)) }
            : { label: 'fast-xml-parser XMLParser.parse', run: () => attempt(() => bareXml(text)) },
        ours: { label: 'readSequenceContent', run: () => attempt(() => readSequenceContent({ format, content: text }, 'body.content')) },
        unit: 'ms',
        better: 'lower',
        pairs,
        log: (l) => console.log(`  ${l}`),
      }),
    );
    const service = await time(() => importTaskSequence(site, SYSTEM_ACTOR, { format, content: text, name: `hostile ${n++}` }), `${name}: service import`);
    console.log(`    service ${service}`);
  }
  console.log('\nThe largest documents the site accepts: import, save, every read\n');
  for (const [name, make] of Object.entries(accepted)) {
    let id;
    const lines = [];
    lines.push(
      `import ${await time(async () => {
        const r = await importTaskSequence(site, SYSTEM_ACTOR, { format: 'xml', content: make('a'), name: `accepted ${n++}` });
        id = r.taskSequence.id;
        return `${r.revision.sizeBytes.toLocaleString('en-US')} bytes`;
      }, `${name}: import`)}`,
    );
    if (id) {
      lines.push(
        `save ${await time(async () => void (await saveTaskSequence(site, SYSTEM_ACTOR, id, { baseRevision: 1, file: { format: 'xml', content: make('b') } })), `${name}: save`)}`,
      );
      lines.push(`get ${await time(async () => `${(JSON.stringify(await getTaskSequence(site, id)).length / MiB).toFixed(1)} MiB`, `${name}: get`)}`);
      for (const f of ['xml', 'json', 'wrapper', 'zip'])
        lines.push(
          `export ${f} ${await time(async () => `${((await exportTaskSequence(site, id, f)).bytes.length / MiB).toFixed(1)} MiB`, `${name}: export ${f}`)}`,
        );
      lines.push(`lint ${await time(async () => `${(JSON.stringify(await lintTaskSequence(site, id)).length / MiB).toFixed(1)} MiB`, `${name}: lint`)}`);
      lines.push(`diff ${await time(async () => `${(JSON.stringify(await compareRevisions(site, id, 1, 2)).length / MiB).toFixed(1)} MiB`, `${name}: diff`)}`);
    }
    console.log(`  ${name}:\n    ${lines.join('\n    ')}`);
  }
} finally {
  await site.close();
  rmSync(dataDir, { recursive: true, force: true });
}
bench.finish();

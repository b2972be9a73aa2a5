#!/usr/bin/env node
// Compares two benchmark runs (issue 16 item 1): `node bench/compare.mjs OLD NEW`, where OLD and NEW
// are each a result file written by bench/lib-ab.mjs (.tmp/bench/<name>.json, format
// openosd.bench/v1) or a folder of them. Benchmarks are matched by their `bench` name, comparisons
// by their `name`, figures by their key.
//
// For each comparison it prints the median ratio (ours / baseline) of OLD and of NEW with their
// min..max, the change of the median (NEW / OLD, and whether that is better or worse in the
// comparison's own direction), and whether the two min..max ranges overlap: when they do, the
// change is within the noise of the runs and proves nothing ("may be noise").
//
// Exit status: 0 when the runs were compared (a worse figure is not an error: this is a report),
// 2 on bad input (usage, a missing or unreadable path, a file that is not JSON or breaks the
// openosd.bench/v1 format), with a message naming the file and the rule it breaks.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

const FORMAT = 'openosd.bench/v1';

class InputError extends Error {}

function fail(file, rule) {
  throw new InputError(`${file}: ${rule}`);
}

const isNum = (x) => typeof x === 'number' && Number.isFinite(x);
// JSON has no NaN: lib-ab's spread() of no finite values gives NaN, which JSON.stringify writes as null.
const isNumOrNull = (x) => x === null || isNum(x);

function checkSpread(file, where, s) {
  if (!s || typeof s !== 'object') fail(file, `${where} must be an object { min, median, max }`);
  for (const k of ['min', 'median', 'max']) if (!isNumOrNull(s[k])) fail(file, `${where}.${k} must be a finite number (or null when no value was finite)`);
  if (isNum(s.min) && isNum(s.median) && isNum(s.max) && !(s.min <= s.median && s.median <= s.max))
    fail(file, `${where} must satisfy min ≤ median ≤ max (got ${s.min}, ${s.median}, ${s.max})`);
}

/** Checks one parsed result file against the openosd.bench/v1 format; returns it. */
export function validate(file, doc) {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) fail(file, 'a result file must hold a JSON object');
  if (doc.format !== FORMAT) fail(file, `"format" must be "${FORMAT}" (got ${JSON.stringify(doc.format)}): not a result of bench/lib-ab.mjs`);
  if (typeof doc.bench !== 'string' || !doc.bench) fail(file, '"bench" must be a non-empty string (the benchmark\'s name)');
  if (!Array.isArray(doc.comparisons)) fail(file, '"comparisons" must be an array');
  const names = new Set();
  doc.comparisons.forEach((c, i) => {
    const at = `comparisons[${i}]`;
    if (!c || typeof c !== 'object') fail(file, `${at} must be an object`);
    if (typeof c.name !== 'string' || !c.name) fail(file, `${at}.name must be a non-empty string`);
    if (names.has(c.name)) fail(file, `${at}.name "${c.name}" appears twice: comparisons are matched by name, so names must be unique`);
    names.add(c.name);
    if (typeof c.unit !== 'string') fail(file, `${at}.unit must be a string`);
    if (c.better !== 'lower' && c.better !== 'higher') fail(file, `${at}.better must be "lower" or "higher"`);
    checkSpread(file, `${at}.ratio`, c.ratio);
    if (c.baselineSpread !== undefined) checkSpread(file, `${at}.baselineSpread`, c.baselineSpread);
    if (c.oursSpread !== undefined) checkSpread(file, `${at}.oursSpread`, c.oursSpread);
    if (c.cpuRatio !== undefined) checkSpread(file, `${at}.cpuRatio`, c.cpuRatio);
    if (c.goal !== undefined && (!c.goal || (c.goal.op !== '<=' && c.goal.op !== '>=') || !isNum(c.goal.value)))
      fail(file, `${at}.goal must be { op: "<=" | ">=", value: number }`);
  });
  const figures = doc.figures ?? {};
  if (typeof figures !== 'object' || Array.isArray(figures)) fail(file, '"figures" must be an object { key: { value, unit } }');
  for (const [k, f] of Object.entries(figures)) {
    if (!f || typeof f !== 'object' || !isNumOrNull(f.value)) fail(file, `figures["${k}"].value must be a finite number`);
    if (typeof f.unit !== 'string') fail(file, `figures["${k}"].unit must be a string`);
    if (f.better !== undefined && f.better !== 'lower' && f.better !== 'higher') fail(file, `figures["${k}"].better must be "lower" or "higher" when given`);
  }
  return { ...doc, figures };
}

function readResult(file) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    fail(file, `cannot be read (${e.code ?? e.message})`);
  }
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    fail(file, `must be JSON (${e.message})`);
  }
  return validate(file, doc);
}

/**
 * Loads OLD or NEW: one file, or every *.json file of a folder. In a folder, JSON files of another
 * format (e.g. a benchmark's diagnostic dump next to its result) are skipped and named on stderr; a
 * file that claims the format but breaks it is an error, as is a file that is not JSON at all.
 * @returns {Map<string, object>} bench name → result
 */
export function load(path, warn = (l) => process.stderr.write(`${l}\n`)) {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    fail(path, `does not exist or cannot be read (${e.code ?? e.message}); give a result file (.tmp/bench/NAME.json) or a folder of them`);
  }
  const results = new Map();
  const add = (file, r) => {
    const prev = results.get(r.bench);
    if (prev) fail(file, `holds benchmark "${r.bench}", which ${prev.file} holds too: one result per benchmark in a folder`);
    results.set(r.bench, { ...r, file });
  };
  if (st.isDirectory()) {
    const files = readdirSync(path)
      .filter((f) => f.endsWith('.json'))
      .sort();
    for (const f of files) {
      const file = join(path, f);
      if (!statSync(file).isFile()) continue;
      let doc;
      try {
        doc = JSON.parse(readFileSync(file, 'utf8'));
      } catch (e) {
        fail(file, `must be JSON (${e.message})`);
      }
      if (!doc || typeof doc !== 'object' || doc.format !== FORMAT) {
        warn(`skipped ${file}: not an ${FORMAT} result`);
        continue;
      }
      add(file, validate(file, doc));
    }
    if (results.size === 0) fail(path, `holds no ${FORMAT} result file (*.json written by bench/lib-ab.mjs)`);
  } else {
    add(path, readResult(path));
  }
  return results;
}

const fmt = (x, d = 2) => (isNum(x) ? x.toFixed(d) : '–');
const range = (s) => `${fmt(s.median)} [${fmt(s.min)}..${fmt(s.max)}]`;
const pct = (x) => (isNum(x) ? `${x >= 1 ? '+' : ''}${((x - 1) * 100).toFixed(1)} %` : '–');

/** Whether two closed ranges [min, max] overlap (unknown bounds count as overlapping: nothing is proved). */
export function overlaps(a, b) {
  if (![a.min, a.max, b.min, b.max].every(isNum)) return true;
  return a.min <= b.max && b.min <= a.max;
}

/** The verdict of one change of a median, in the comparison's own direction. */
function verdict(oldMedian, newMedian, better, noise) {
  if (!isNum(oldMedian) || !isNum(newMedian)) return 'no value';
  if (oldMedian === newMedian) return 'same';
  const improved = better === 'lower' ? newMedian < oldMedian : newMedian > oldMedian;
  return `${improved ? 'better' : 'worse'}${noise ? ', may be noise (ranges overlap)' : ''}`;
}

function goalText(c) {
  if (!c.goal) return '';
  const m = c.goal.op === '<=' ? c.ratio.median <= c.goal.value : c.ratio.median >= c.goal.value;
  return `; goal ${c.goal.op === '<=' ? '≤' : '≥'} ${c.goal.value}: ${isNum(c.ratio.median) ? (m ? 'met' : 'NOT met') : 'unknown'}`;
}

/** The report of OLD → NEW, as lines. */
export function compare(olds, news) {
  const out = [];
  const benches = [...new Set([...olds.keys(), ...news.keys()])].sort();
  for (const b of benches) {
    const o = olds.get(b);
    const n = news.get(b);
    if (!o || !n) {
      out.push(`${b}: only in ${o ? 'OLD' : 'NEW'} (${(o ?? n).file})`, '');
      continue;
    }
    out.push(`${b}: ${o.commit ?? '?'} (${o.started ?? '?'}) → ${n.commit ?? '?'} (${n.started ?? '?'})`);
    const load = (r) =>
      r.machine?.loadavgBefore ? `load ${r.machine.loadavgBefore[0]}→${r.machine.loadavgAfter?.[0]} on ${r.machine.cpus} cores` : 'load unknown';
    out.push(`  machine: OLD ${load(o)}, NEW ${load(n)}`);
    const oc = new Map(o.comparisons.map((c) => [c.name, c]));
    const nc = new Map(n.comparisons.map((c) => [c.name, c]));
    for (const name of [...new Set([...oc.keys(), ...nc.keys()])]) {
      const a = oc.get(name);
      const z = nc.get(name);
      if (!a || !z) {
        out.push(`  ${name}: only in ${a ? 'OLD' : 'NEW'}`);
        continue;
      }
      const label = `ours / ${z.baseline ?? 'baseline'}`;
      if (a.better !== z.better || a.unit !== z.unit) {
        out.push(`  ${name}: not comparable (OLD ${a.unit}, ${a.better} is better; NEW ${z.unit}, ${z.better} is better)`);
        continue;
      }
      const noise = overlaps(a.ratio, z.ratio);
      const change = isNum(a.ratio.median) && isNum(z.ratio.median) && a.ratio.median !== 0 ? z.ratio.median / a.ratio.median : NaN;
      out.push(`  ${name} (ratio ${label}, ${z.better} is better${goalText(z)}):`);
      out.push(
        `    OLD ${range(a.ratio)}  NEW ${range(z.ratio)}  change ${fmt(change)}× (${pct(change)}): ${verdict(a.ratio.median, z.ratio.median, z.better, noise)}`,
      );
      if (a.cpuRatio && z.cpuRatio)
        out.push(`    CPU-time ratio OLD ${range(a.cpuRatio)}  NEW ${range(z.cpuRatio)}${overlaps(a.cpuRatio, z.cpuRatio) ? ' (ranges overlap)' : ''}`);
      if (a.oursSpread && z.oursSpread)
        out.push(
          `    ours ${range(a.oursSpread)} → ${range(z.oursSpread)} ${z.unit}; baseline ${range(a.baselineSpread ?? {})} → ${range(z.baselineSpread ?? {})} ${z.unit}`,
        );
    }
    const keys = [...new Set([...Object.keys(o.figures), ...Object.keys(n.figures)])];
    for (const k of keys) {
      const a = o.figures[k];
      const z = n.figures[k];
      if (!a || !z) {
        out.push(`  figure ${k}: only in ${a ? 'OLD' : 'NEW'}`);
        continue;
      }
      if (a.unit !== z.unit) {
        out.push(`  figure ${k}: not comparable (OLD ${a.unit}, NEW ${z.unit})`);
        continue;
      }
      const change = isNum(a.value) && isNum(z.value) && a.value !== 0 ? z.value / a.value : NaN;
      // A figure is one value per run, without a spread: whether a change is noise cannot be told.
      const v = z.better ? verdict(a.value, z.value, z.better, false) : 'no direction given';
      out.push(`  figure ${k}: OLD ${fmt(a.value)} NEW ${fmt(z.value)} ${z.unit}  change ${fmt(change)}× (${pct(change)}): ${v}; one value per run, no spread`);
    }
    out.push('');
  }
  return out;
}

function main(argv) {
  if (argv.length !== 2 || argv.some((a) => a === '-h' || a === '--help')) {
    throw new InputError(
      `usage: node bench/compare.mjs OLD NEW  (each a result file .tmp/bench/NAME.json or a folder of them; got ${argv.length} argument${argv.length === 1 ? '' : 's'})`,
    );
  }
  const [oldPath, newPath] = argv;
  const olds = load(oldPath);
  const news = load(newPath);
  console.log(`compare ${oldPath} (OLD) → ${newPath} (NEW); ratios are ours / baseline, median [min..max] over the pairs\n`);
  for (const l of compare(olds, news)) console.log(l);
}

if (process.argv[1] && basename(process.argv[1]) === 'compare.mjs') {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    process.stderr.write(`compare.mjs: ${e.message}\n`);
    process.exit(2);
  }
}

/** `osd ts …`: show, export, lint, diff and the step catalog — thin wrappers over `sequence/`. */
import { registerSiteTaskSequenceCommands } from './site/ts-site-commands.js';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { LoadResult } from '../sequence/codec/load-core.js';
import type { ImportWarning } from '../sequence/codec/xml-import.js';
import { InputError } from '../sequence/input-error.js';
import type { Severity } from '../sequence/lint/finding.js';
import { registerEngineCommands } from './engine-commands.js';
import { registerWizardCommands } from './wizard-commands.js';
import { CliExit, EXIT_FINDINGS, print, printJson, showable, writeFileAtomic } from './output.js';

// Each action imports what it uses when it runs: defining the commands loads no codec, catalog or
// engine, so `osd ts show` pays only for reading and printing a sequence (issue 16 item 2).

interface LoadFlags {
  packageId?: string;
  quiet?: boolean;
  json?: boolean;
}

async function load(file: string, flags: LoadFlags): Promise<LoadResult> {
  // The JSON reader (zod) loads only for a JSON file (load-core.ts).
  const { loadTaskSequenceFileLazily } = await import('../sequence/codec/load-core.js');
  const result = await loadTaskSequenceFileLazily(file, { packageId: flags.packageId });
  if (!flags.quiet && !flags.json) printWarnings(file, result.warnings);
  return result;
}

function printWarnings(file: string, warnings: ImportWarning[]): void {
  for (const w of warnings) process.stderr.write(`osd: warning: ${file}${w.at ? `:${w.at}` : ''}: ${w.message}\n`);
}

const packageIdOption = new Option('--package-id <id>', 'which task sequence to take from a console export holding several');

export function registerTaskSequenceCommands(program: Command): void {
  const ts = program
    .command('ts')
    .description('task sequences: show, export, lint and diff ConfigMgr/MDT task sequence files; push, pull and compare revisions on a site');

  ts.command('show')
    .description('print the task sequence as a tree, with conditions in words and disabled / continue-on-error items marked')
    .argument('<file>', 'task sequence: .xml (sequence or SmsTaskSequencePackage), console export .zip or object.xml, or .json')
    .option('--json', 'print the tree as JSON')
    .option('--variables', "list each step's properties (secrets masked)")
    .option('--actions', "show each step's command line")
    .option('--depth <n>', 'show groups only down to this depth (0 = top level)', parseDepth)
    .option('-q, --quiet', 'do not print import warnings')
    .addOption(packageIdOption)
    .action(async (file: string, opts: LoadFlags & { variables?: boolean; actions?: boolean; depth?: number }) => {
      const { sequence, warnings } = await load(file, opts);
      const { renderTree, summarize } = await import('../sequence/present/tree.js');
      const summary = summarize(sequence, file);
      if (opts.json) printJson({ file, ...summary, warnings });
      else process.stdout.write(showable(renderTree(summary, { variables: opts.variables, actions: opts.actions, depth: opts.depth })));
    });

  ts.command('export')
    .description('write the task sequence as ConfigMgr-compatible XML or as canonical JSON (lossless both ways)')
    .argument('<file>', 'task sequence file (.xml, .zip, object.xml or .json)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['xml', 'json']).makeOptionMandatory())
    .option('-o, --out <file>', 'write to this file (atomically) instead of standard output')
    .addOption(new Option('--layout <layout>', 'XML layout').choices(['as-read', 'compact', 'indented']).default('as-read'))
    .option('--bare', 'XML: write the bare <sequence> even if it came in an SmsTaskSequencePackage wrapper')
    .option('--json', 'print a JSON summary of what was written (with --out)')
    .option('-q, --quiet', 'do not print import warnings')
    .addOption(packageIdOption)
    .action(async (file: string, opts: LoadFlags & { format: 'xml' | 'json'; out?: string; layout: 'as-read' | 'compact' | 'indented'; bare?: boolean }) => {
      const { sequence } = await load(file, { ...opts, json: false });
      const { exportJsonText } = await import('../sequence/codec/json.js');
      const { exportXmlText } = await import('../sequence/codec/xml-export.js');
      const { encodeText } = await import('../sequence/xml/decode.js');
      let bytes: Buffer;
      if (opts.format === 'json') {
        bytes = Buffer.from(exportJsonText(sequence), 'utf8');
      } else {
        let xml = exportXmlText(sequence, { layout: opts.layout, bare: opts.bare });
        const enc = sequence.xml?.encoding ?? 'utf-8';
        if (opts.out && enc !== 'utf-8') {
          bytes = encodeText(xml, enc, sequence.xml?.bom === true);
        } else {
          // Standard output is UTF-8: make the declaration say so.
          if (enc !== 'utf-8') xml = xml.replace(/^(<\?xml[^>]*\bencoding\s*=\s*["'])[^"']*(["'])/, '$1utf-8$2');
          bytes = encodeText(xml, 'utf-8', sequence.xml?.bom === true && !!opts.out);
        }
      }
      if (opts.out) {
        writeFileAtomic(opts.out, bytes);
        if (opts.json) printJson({ file, out: opts.out, format: opts.format, bytes: bytes.length });
        else process.stderr.write(`osd: wrote ${opts.out} (${opts.format}, ${bytes.length} bytes)\n`);
      } else {
        process.stdout.write(bytes);
      }
    });

  ts.command('lint')
    .description('check a task sequence for mistakes an admin would otherwise find on a destination computer')
    .argument('[file]', 'task sequence file')
    .option('-m, --manifest <file>', 'site manifest (JSON) to check content references against')
    .addOption(new Option('--min-severity <severity>', 'report only findings at least this severe').choices(['error', 'warning', 'info']).default('info'))
    .option('--list-rules', 'list the rules and exit')
    .option('--json', 'print findings as JSON')
    .option('-q, --quiet', 'do not print import warnings')
    .addOption(packageIdOption)
    .action(async (file: string | undefined, opts: LoadFlags & { manifest?: string; minSeverity: Severity; listRules?: boolean }) => {
      const { hasErrors, LINT_RULES, lintSequence } = await import('../sequence/lint/lint.js');
      if (opts.listRules) {
        if (opts.json) printJson(LINT_RULES);
        else for (const r of LINT_RULES) print(`${r.id.padEnd(46)} ${r.severity.padEnd(8)} ${r.summary}`);
        return;
      }
      if (!file)
        throw new InputError({ input: 'osd ts lint', rule: 'missing the task sequence file argument', hint: 'osd ts lint FILE [--manifest SITE.json]' });
      const { loadSiteManifest } = await import('../sequence/site-manifest.js');
      const { conditionWarnings, validateCondition } = await import('../engine/conditions/index.js');
      const { SEVERITY_ORDER } = await import('../sequence/lint/finding.js');
      const manifest = opts.manifest ? loadSiteManifest(opts.manifest) : undefined;
      const { sequence, warnings } = await load(file, opts);
      const all = lintSequence(sequence, {
        manifest,
        checkCondition: (c) =>
          [...validateCondition(c), ...conditionWarnings(c)]
            // Operators and variable conditions are lint's own rules already; keep what only the engine can tell.
            .filter((e) => (e.construct !== 'operator' && e.construct !== 'logical operator') || e.rule !== undefined)
            .map((e) => ({
              severity: e.severity,
              rule: e.rule,
              message: `${e.construct}: ${e.message}${e.column ? ` (column ${e.column})` : ''} in ${e.text}`,
              hint: e.hint,
            })),
      });
      const findings = all.filter((f) => SEVERITY_ORDER[f.severity] <= SEVERITY_ORDER[opts.minSeverity]);
      const counts = { error: 0, warning: 0, info: 0 };
      for (const f of findings) counts[f.severity]++;
      if (opts.json) {
        printJson({ file, findings, counts, importWarnings: warnings });
      } else {
        for (const f of findings) {
          print(`${f.severity.toUpperCase().padEnd(7)} ${f.rule}  ${f.path || '(task sequence)'}\n        ${f.message}\n        hint: ${f.hint}`);
        }
        print(`${file}: ${counts.error} error(s), ${counts.warning} warning(s), ${counts.info} note(s)`);
      }
      if (hasErrors(findings)) throw new CliExit(EXIT_FINDINGS);
    });

  ts.command('diff')
    .description("semantic diff of two task sequences in an admin's terms (added, removed, moved, renamed, options, properties, conditions)")
    .argument('<a>', 'the old task sequence')
    .argument('<b>', 'the new task sequence')
    .option('--json', 'print the changes as JSON')
    .option('-q, --quiet', 'do not print import warnings')
    .action(async (a: string, b: string, opts: LoadFlags) => {
      const left = (await load(a, opts)).sequence;
      const right = (await load(b, opts)).sequence;
      const { diffSequences, formatChanges } = await import('../sequence/diff/index.js');
      const changes = diffSequences(left, right);
      if (opts.json) printJson({ a, b, changes });
      else if (changes.length === 0) print('no differences');
      else process.stdout.write(showable(formatChanges(changes).replace(/\n?$/, '\n')));
      if (changes.length > 0) throw new CliExit(EXIT_FINDINGS);
    });

  registerEngineCommands(ts);
  registerWizardCommands(ts);

  ts.command('types')
    .description('list the step types OpenOSD knows (the step catalog)')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { STEP_TYPES } = await import('../sequence/catalog/index.js');
      if (opts.json) {
        printJson(
          STEP_TYPES.map((t) => ({
            type: t.type,
            displayName: t.displayName,
            runIn: t.runIn,
            executable: t.executable,
            successCodes: t.successCodes,
            properties: t.properties,
            arrays: t.arrays,
          })),
        );
        return;
      }
      for (const t of STEP_TYPES) print(`${t.displayName.padEnd(36)} ${t.runIn.padEnd(15)} ${t.type}`);
    });

  registerSiteTaskSequenceCommands(ts);
}

function parseDepth(v: string): number {
  if (!/^\d+$/.test(v)) throw new InputError({ input: '--depth', rule: `"${v}" is not a whole number`, hint: 'e.g. --depth 1' });
  return Number(v);
}

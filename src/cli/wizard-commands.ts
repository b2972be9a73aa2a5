/** `osd ts new install-image`: the Create Task Sequence Wizard from an answers file (docs/wizard-answers.md). */
import type { Command } from 'commander';
import { Option } from 'commander';
import { InputError } from '../sequence/input-error.js';
import type { TaskSequence } from '../sequence/model/task-sequence.js';
import { CliExit, EXIT_BAD_INPUT, printJson, writeFileAtomic } from './output.js';

// The wizard, its answer checks (YAML) and the codecs load when the command runs, not when osd
// starts (issue 16 item 2).

interface NewFlags {
  answers: string;
  site?: string;
  out?: string;
  format: 'xml' | 'json';
  wrapper?: boolean;
  json?: boolean;
}

export function registerWizardCommands(ts: Command): void {
  const create = ts.command('new').description('create a task sequence with a wizard of the ConfigMgr console');
  create
    .command('install-image')
    .description('Create Task Sequence Wizard, "Install an existing image package", from an answers file (JSON or YAML; docs/wizard-answers.md)')
    .requiredOption('-a, --answers <file>', 'the answers to the wizard pages (JSON or YAML)')
    .option('-s, --site <manifest>', 'site manifest with the boot images, image packages, client/USMT packages and applications (docs/site-manifest.md)')
    .option('-o, --out <file>', 'write the task sequence here (atomically) instead of standard output')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['xml', 'json']).default('xml'))
    .option('--wrapper', 'XML: write the <SmsTaskSequencePackage> wrapper so the name, description and boot image travel with the sequence')
    .option('--json', 'print a JSON summary (or, on bad answers, every problem) for scripts')
    .action(async (opts: NewFlags) => {
      const { exportJsonText } = await import('../sequence/codec/json.js');
      const { exportXmlText } = await import('../sequence/codec/xml-export.js');
      const { readInputText } = await import('../sequence/read-input.js');
      const { loadSiteManifest } = await import('../sequence/site-manifest.js');
      const { generateInstallImageSequence, wizardPackageProperties } = await import('../sequence/wizard/generate/index.js');
      const { checkAnswers } = await import('../sequence/wizard/check-answers.js');
      const { MAX_LISTED_PROBLEMS, readAnswersDocument } = await import('../sequence/wizard/load-answers.js');
      const { formatWizardErrors } = await import('../sequence/wizard/validate.js');
      const doc = readAnswersDocument(readInputText(opts.answers, 'answers file'), opts.answers);
      const site = opts.site ? loadSiteManifest(opts.site) : undefined;
      // Every problem at once: unknown keys and wrong types together with the wizard's own rules.
      const { answers, problems } = checkAnswers(doc.value, site, doc.locate);
      const errors = problems.filter((p) => p.severity === 'error');
      const warnings = problems.filter((p) => p.severity === 'warning');
      if (errors.length || !answers) {
        // Every problem at once, and nothing written (issue #4).
        if (opts.json) {
          printJson({ answers: opts.answers, errors, warnings });
          process.stderr.write(`osd: ${opts.answers}: ${errors.length} answer${errors.length === 1 ? ' is' : 's are'} not valid (nothing written)\n`);
          throw new CliExit(EXIT_BAD_INPUT);
        }
        throw new InputError({
          input: opts.answers,
          rule: `${errors.length} answer${errors.length === 1 ? ' is' : 's are'} not valid, nothing was written:\n${formatWizardErrors(problems, MAX_LISTED_PROBLEMS)}`,
          hint: opts.site
            ? 'fix the answers (docs/wizard-answers.md) and run the wizard again'
            : "fix the answers (docs/wizard-answers.md); --site SITE.json also checks them against the site's content",
        });
      }
      if (warnings.length && !opts.json) process.stderr.write(`osd: ${opts.answers}: warnings:\n${formatWizardErrors(warnings)}\n`);

      const pkg = wizardPackageProperties(answers);
      let sequence = generateInstallImageSequence(answers, site);
      if (opts.wrapper) sequence = await withWrapper(sequence, pkg);
      const out = opts.format === 'json' ? exportJsonText(sequence) : exportXmlText(sequence, { layout: 'indented' });
      if (opts.out) {
        writeFileAtomic(opts.out, out);
        if (opts.json) printJson({ answers: opts.answers, out: opts.out, format: opts.format, package: pkg, warnings });
        else process.stderr.write(`osd: wrote ${opts.out}: task sequence "${pkg.Name}", boot image ${pkg.BootImageID} (${opts.format})\n`);
      } else {
        process.stdout.write(out);
      }
    });
}

/** The `<SmsTaskSequencePackage>` wrapper, so the package properties are not lost in an XML file. */
async function withWrapper(sequence: TaskSequence, pkg: Record<string, string>): Promise<TaskSequence> {
  const { element, text } = await import('../sequence/xml/nodes.js');
  const { writeFragment } = await import('../sequence/xml/writer.js');
  const root = element('SmsTaskSequencePackage', [
    ['xmlns:xsi', 'http://www.w3.org/2001/XMLSchema-instance'],
    ['xmlns:xsd', 'http://www.w3.org/2001/XMLSchema'],
  ]);
  const properties = { BootImageID: pkg.BootImageID, Description: pkg.Description, Name: pkg.Name };
  for (const [k, v] of Object.entries(properties)) root.children.push(element(k, [], v ? [text(v)] : []));
  root.children.push(element('SequenceData', [], [element('sequence')]));
  return { ...sequence, envelope: { kind: 'package', wrapperXml: writeFragment(root), properties } };
}

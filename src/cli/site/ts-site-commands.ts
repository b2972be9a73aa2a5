/**
 * `osd ts push | pull | history | revert | compare | create-install-image`: task sequences on a
 * site, under revision history (osd-features §2.10). Thin calls to the admin API; the server
 * validates, keeps the history and never returns a secret value.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { InputError } from '../../sequence/input-error.js';
import type { WizardProblem } from '../../sequence/wizard/validate.js';
import { CliExit, EXIT_FINDINGS, print, printJson, writeFileAtomic } from '../output.js';
import { AdminClient, ApiError, type ConnectionOptions, withConnection } from './admin-client.js';

// The wizard's answer reading (YAML) and checks load in the action that needs them, not when osd
// starts (issue 16 item 2).

interface Json extends ConnectionOptions {
  json?: boolean;
}

interface SaveOut {
  taskSequence: { id: string; name: string; currentRevision: number; bootImageId: string | null };
  revision: { revision: number; author: string; message: string; createdAt: string; sizeBytes: number; stepCount: number };
  references: Array<{ refId: string; refKind: string }>;
  warnings: string[];
  problems?: WizardProblem[];
}

function positiveInt(what: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < 1)
      throw new InputError({ input: what, rule: `"${v}" is not a revision number`, hint: 'revisions are numbered from 1' });
    return Number(v);
  };
}

/** The file as the import/save request carries it: its format from its content, zip as base64. */
async function fileBody(file: string): Promise<{ format: 'xml' | 'json' | 'zip'; content: string; encoding: 'text' | 'base64' }> {
  const { readInputBytes } = await import('../../sequence/read-input.js');
  const bytes = readInputBytes(file, 'task sequence file');
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) {
    return { format: 'zip', content: bytes.toString('base64'), encoding: 'base64' };
  }
  // XML may be UTF-16: base64 keeps the bytes exactly, the server decodes them.
  const head = bytes
    .subarray(0, 4096)
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  return { format: head.startsWith('{') ? 'json' : 'xml', content: bytes.toString('base64'), encoding: 'base64' };
}

function printSaved(r: SaveOut, verb: string): void {
  print(`${verb} ${r.taskSequence.id} "${r.taskSequence.name}" revision ${r.revision.revision} (${r.revision.stepCount} steps, ${r.revision.sizeBytes} bytes)`);
  for (const w of r.warnings) process.stderr.write(`osd: warning: ${w}\n`);
}

interface TaskSequenceListed {
  id: string;
  name: string;
  currentRevision: number;
  bootImageId: string | null;
  deploymentCount: number;
}

export function registerSiteTaskSequenceCommands(ts: Command): void {
  withConnection(ts.command('list'))
    .description("the site's task sequences: id, current revision, boot image, deployments, name")
    .option('--search <text>', 'only those whose name or id contains this text (any case)')
    .option('--json', 'print JSON')
    .action(async (o: Json & { search?: string }) => {
      const r = await AdminClient.fromOptions(o).get<TaskSequenceListed[]>(`/task-sequences${o.search ? `?search=${encodeURIComponent(o.search)}` : ''}`);
      if (o.json) return printJson(r);
      if (!r.length) {
        process.stderr.write(o.search ? `osd: no task sequence matches "${o.search}"\n` : 'osd: the site has no task sequence yet\n');
        return;
      }
      print(`${'ID'.padEnd(8)}  ${'REVISION'.padStart(8)}  ${'BOOT IMAGE'.padEnd(10)}  ${'DEPLOYMENTS'.padStart(11)}  NAME`);
      for (const t of r)
        print(
          `${t.id.padEnd(8)}  ${String(t.currentRevision).padStart(8)}  ${(t.bootImageId ?? '-').padEnd(10)}  ${String(t.deploymentCount).padStart(11)}  ${t.name}`,
        );
    });

  withConnection(ts.command('push'))
    .description('import a task sequence file to the site (revision 1), or with --id save it as a new revision')
    .argument('<file>', 'task sequence: .xml (sequence or SmsTaskSequencePackage), console export .zip, or .json')
    .option('--name <name>', 'name (default: from the file)')
    .option('--description <text>', 'description (new task sequence only)')
    .option('--boot-image <packageId>', 'boot image (new task sequence only)')
    .option('-m, --message <text>', 'what changed (the revision message)')
    .option('--id <packageId>', 'save a new revision of this task sequence')
    .option(
      '--base-revision <n>',
      'with --id: the revision your file was pulled from (a save on top of a newer one is refused)',
      positiveInt('--base-revision'),
    )
    .option('--json', 'print JSON')
    .action(
      async (file: string, o: Json & { name?: string; description?: string; bootImage?: string; message?: string; id?: string; baseRevision?: number }) => {
        const client = AdminClient.fromOptions(o);
        const body = await fileBody(file);
        let r: SaveOut;
        if (o.id) {
          if (o.baseRevision === undefined)
            throw new InputError({
              input: '--base-revision',
              rule: 'saving a revision needs the revision the file was pulled from',
              hint: `osd ts history ${o.id} shows the current revision`,
            });
          if (o.name || o.description || o.bootImage)
            throw new InputError({
              input: '--name',
              rule: 'name, description and boot image are properties, not part of a revision',
              hint: 'change them with the API (PATCH /task-sequences/{id})',
            });
          r = await client.put<SaveOut>(`/task-sequences/${encodeURIComponent(o.id)}`, { baseRevision: o.baseRevision, message: o.message, ...body });
        } else {
          r = await client.post<SaveOut>('/task-sequences', {
            name: o.name,
            description: o.description,
            bootImageId: o.bootImage,
            message: o.message,
            ...body,
          });
        }
        if (o.json) return printJson(r);
        printSaved(r, o.id ? 'saved' : 'imported');
      },
    );

  withConnection(ts.command('pull'))
    .description('export a task sequence revision from the site (passwords and secret values are empty, as in a ConfigMgr export)')
    .argument('<id>', 'task sequence PackageID')
    .option('--revision <n>', 'revision (default: the current one)', positiveInt('--revision'))
    .addOption(
      new Option('-f, --format <format>', 'xml (bare sequence), wrapper (SmsTaskSequencePackage), json, zip (console export)')
        .choices(['xml', 'wrapper', 'json', 'zip'])
        .default('xml'),
    )
    .option('-o, --out <file>', 'write to this file (atomically) instead of standard output')
    .option('--json', 'with --out: print a JSON summary')
    .action(async (id: string, o: Json & { revision?: number; format: string; out?: string }) => {
      const q = new URLSearchParams({ format: o.format });
      if (o.revision) q.set('revision', String(o.revision));
      const bytes = await AdminClient.fromOptions(o).request<Buffer>('GET', `/task-sequences/${encodeURIComponent(id)}/export?${q}`, undefined, { raw: true });
      if (!o.out) {
        if (o.format === 'zip' && process.stdout.isTTY)
          throw new InputError({ input: '--out', rule: 'a zip is not written to a terminal', hint: 'give --out FILE.zip' });
        process.stdout.write(bytes);
        return;
      }
      writeFileAtomic(o.out, bytes);
      if (o.json) printJson({ id, out: o.out, format: o.format, revision: o.revision ?? 'current', bytes: bytes.length });
      else process.stderr.write(`osd: wrote ${o.out} (${o.format}, ${bytes.length} bytes)\n`);
    });

  withConnection(ts.command('history'))
    .description('the revisions of a task sequence, newest first')
    .argument('<id>', 'task sequence PackageID')
    .option('--json', 'print JSON')
    .action(async (id: string, o: Json) => {
      const r = await AdminClient.fromOptions(o).get<SaveOut['revision'][]>(`/task-sequences/${encodeURIComponent(id)}/revisions`);
      if (o.json) return printJson(r);
      for (const v of r)
        print(`${String(v.revision).padStart(4)}  ${v.createdAt}  ${v.author.padEnd(24)} ${String(v.stepCount).padStart(4)} steps  ${v.message}`);
    });

  withConnection(ts.command('revert'))
    .description('"Revert to revision N": a new revision equal to N')
    .argument('<id>', 'task sequence PackageID')
    .argument('<revision>', 'the revision to go back to', positiveInt('<revision>'))
    .option('-m, --message <text>', 'revision message (default "Revert to revision N")')
    .option('--json', 'print JSON')
    .action(async (id: string, revision: number, o: Json & { message?: string }) => {
      const r = await AdminClient.fromOptions(o).post<SaveOut>(`/task-sequences/${encodeURIComponent(id)}/revert`, { revision, message: o.message });
      if (o.json) return printJson(r);
      printSaved(r, 'reverted');
    });

  withConnection(ts.command('compare'))
    .description('compare two revisions of a task sequence on the site (exit 1 when they differ)')
    .argument('<id>', 'task sequence PackageID')
    .argument('<fromRev>', 'the older revision', positiveInt('<fromRev>'))
    .argument('<toRev>', 'the newer revision', positiveInt('<toRev>'))
    .option('--json', 'print the changes as JSON')
    .action(async (id: string, from: number, to: number, o: Json) => {
      const r = await AdminClient.fromOptions(o).get<{ changes: unknown[]; secretChanges: unknown[]; text: string }>(
        `/task-sequences/${encodeURIComponent(id)}/diff?from=${from}&to=${to}`,
      );
      if (o.json) printJson(r);
      else process.stdout.write(r.text.replace(/\n?$/, '\n'));
      if (r.changes.length || r.secretChanges.length) throw new CliExit(EXIT_FINDINGS);
    });

  withConnection(ts.command('create-install-image'))
    .description('Create Task Sequence Wizard on the site, "Install an existing image package", from an answers file (JSON or YAML; docs/wizard-answers.md)')
    .requiredOption('-a, --answers <file>', 'the answers to the wizard pages')
    .option('--json', 'print JSON')
    .action(async (o: Json & { answers: string }) => {
      // Read here for syntax errors and the lines of problems; the site checks the answers (their
      // shape and the wizard's rules against its content) and lists every problem.
      const { readInputText } = await import('../../sequence/read-input.js');
      const { withLines } = await import('../../sequence/wizard/check-answers.js');
      const { MAX_LISTED_PROBLEMS, readAnswersDocument } = await import('../../sequence/wizard/load-answers.js');
      const { formatWizardErrors } = await import('../../sequence/wizard/validate.js');
      const doc = readAnswersDocument(readInputText(o.answers, 'answers file'), o.answers);
      let r: SaveOut;
      try {
        r = await AdminClient.fromOptions(o).post<SaveOut>('/task-sequences/wizard/install-image', doc.value);
      } catch (e) {
        const problems = e instanceof ApiError ? (e.body.problems as WizardProblem[] | undefined) : undefined;
        if (!problems?.length || !problems[0]!.page || o.json) throw e;
        // The list once, in the file's words (paths and lines), instead of the site's summary of it.
        const total = (e as ApiError).body.problemCount;
        const count = typeof total === 'number' ? total : problems.filter((p) => p.severity === 'error').length;
        const more = typeof total === 'number' && total > problems.length ? `\n  … and ${total - problems.length} more` : '';
        throw new InputError({
          input: o.answers,
          rule: `${count} answer${count === 1 ? ' is' : 's are'} not valid, nothing was created:\n${formatWizardErrors(withLines(problems, doc.locate), MAX_LISTED_PROBLEMS)}${more}`,
          hint: 'fix the answers (docs/wizard-answers.md) and run the wizard again',
        });
      }
      if (o.json) return printJson(r);
      printSaved(r, 'created');
      if (r.problems?.length) process.stderr.write(`${formatWizardErrors(r.problems)}\n`);
    });
}

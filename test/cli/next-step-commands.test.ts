/**
 * The CLI's words for the site's next steps (issue 11 item 5): every command the table names is one
 * `osd` has, and an error the server answers is shown with the site's hint and the `osd` command —
 * not the API's route — and every problem when the server listed several.
 */
import type { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { ApiError } from '../../src/cli/site/admin-client.js';
import { cliHint, NEXT_STEP_COMMANDS, stepInCliWords } from '../../src/cli/site/next-step-commands.js';
import { cliInputWords } from '../../src/cli/site/field-words.js';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp.js';
import { runOsd, startServer, stopServer } from '../helpers/osd-server.js';

/** The command a line of words names, or undefined ("osd package set-content <packageId> <path>" → set-content). */
function commandOf(program: Command, line: string): Command | undefined {
  let at: Command | undefined = program;
  for (const w of line.split(' ').slice(1)) {
    if (w.startsWith('<') || w.startsWith('-')) break;
    const sub: Command | undefined = at.commands.find((c) => c.name() === w);
    // A word after a command without subcommands is prose ("osd server, or …"); one where subcommands are expected must be one.
    if (!sub) return at === program || at.commands.length ? undefined : at;
    at = sub;
  }
  return at;
}

describe('the CLI words of the site next steps', () => {
  it('name only commands osd has, and options it has', async () => {
    const program = await buildProgram();
    const top = new Set(program.commands.map((c) => c.name()));
    const everyOption = new Set<string>();
    const walk = (c: Command): void => {
      for (const o of c.options) if (o.long) everyOption.add(o.long);
      c.commands.forEach(walk);
    };
    walk(program);
    for (const [step, words] of Object.entries(NEXT_STEP_COMMANDS)) {
      if (!words) continue;
      // "osd <command> …" where <command> is one of osd's: a command to type; otherwise words ("let osd upload it").
      for (const m of words.matchAll(/osd ([a-z-]+)((?: [a-z][a-z-]*)*)/g)) {
        if (!top.has(m[1]!)) continue;
        const cmd = commandOf(program, `osd ${m[1]}${m[2]}`);
        expect(cmd, `${step}: ${m[0]}`).toBeDefined();
      }
      for (const flag of words.match(/--[a-z-]+/g) ?? []) expect(everyOption.has(flag), `${step}: ${flag}`).toBe(true);
    }
    expect(commandOf(program, 'osd server')!.options.map((o) => o.long)).toContain('--source-root');
    expect(commandOf(program, 'osd deploy')!.options.map((o) => o.long)).toContain('--confirm-high-risk');
  });

  it('fill in the ids and follow the site hint', () => {
    expect(stepInCliWords({ step: 'set-package-content', ids: { packageId: 'PS100005' } })).toBe('osd package set-content PS100005 <path>');
    expect(cliHint('list the drivers in the catalog to find its id', [{ step: 'list-drivers' }])).toBe(
      'list the drivers in the catalog to find its id: osd driver list',
    );
    expect(cliHint('delete the application instead', [{ step: 'delete-application', ids: { ciId: '3' } }])).toBe('delete the application instead');
  });

  it('an answer of the server: input, rule, the site hint with the command; every problem when there are several', () => {
    const one = new ApiError(
      400,
      {
        error: 'bad-input',
        input: 'packageIds[0]',
        rule: 'the package PS100003 has no content yet',
        hint: "set the package's content first",
        next: [{ step: 'set-package-content', ids: { packageId: 'PS100003' } }],
        see: 'PUT /api/v1/packages/PS100003/content',
      },
      'POST /distributions',
    );
    expect(one.message).toBe(
      "packageIds[0]: the package PS100003 has no content yet\n  hint: set the package's content first: osd package set-content PS100003 <path>",
    );
    expect(one.kind).toBe('bad-input');
    const many = new ApiError(
      400,
      {
        error: 'bad-input',
        input: 'body.nmae',
        rule: 'unknown key "nmae"',
        hint: 'did you mean "name"?; 2 problems in all, each listed',
        problems: [
          { input: 'body.nmae', rule: 'unknown key "nmae"', hint: 'did you mean "name"?' },
          { input: 'body.comment', rule: 'Invalid input: expected string, received number' },
        ],
      },
      'POST /collections',
    );
    expect(many.message).toBe('2 problems:\n  nmae: unknown key "nmae" (did you mean "name"?)\n  comment: Invalid input: expected string, received number');
    const csv = new ApiError(
      400,
      {
        input: 'body.csv row 2 column "MAC"',
        rule: '2 problems in 2 rows; nothing was imported',
        hint: 'fix every problem listed and import again',
        problems: [
          { row: 2, input: 'body.csv row 2 column "MAC"', rule: 'not a MAC address' },
          { row: 3, input: 'body.csv row 3 column "Name"', rule: 'empty' },
        ],
      },
      'POST /devices/import-csv',
    );
    expect(csv.message).toBe('2 problems in 2 rows; nothing was imported:\n  csv row 2 column "MAC": not a MAC address\n  csv row 3 column "Name": empty');
    const again = new ApiError(
      409,
      {
        input: 'body.csv row 2',
        rule: 'a device with this MAC exists',
        hint: 'import again, overwriting the existing records',
        next: [{ step: 'import-computers-overwriting' }],
      },
      'POST /devices/import-csv',
    );
    expect(again.message).toBe(
      'csv row 2: a device with this MAC exists\n  hint: import again, overwriting the existing records: add --overwrite to the same osd device import',
    );
    const failed = new ApiError(
      500,
      { error: 'internal', message: 'internal error (request 7); the server log has the details', rule: 'unexpected failure' },
      'GET /site',
    );
    expect(failed.message).toBe('GET /site: internal error (request 7); the server log has the details');
    expect(failed.kind).toBe('unavailable');
  });
});

describe("a refused request's inputs in the words of the command that sent it", () => {
  let program: Command;
  beforeAll(async () => {
    program = await buildProgram();
  });
  const find = (line: string): Command => commandOf(program, line)!;

  it('names the argument or option the user typed, not the request field', () => {
    expect(cliInputWords('body.sourcePath', find('osd image add'))).toBe('<wim>');
    expect(cliInputWords('body.contentId', find('osd driver import'))).toBe('<path>');
    expect(cliInputWords('body.collectionId', find('osd device import'))).toBe('--collection');
    expect(cliInputWords('body.csv row 2 column "MAC"', find('osd device import'))).toBe('--csv row 2 column "MAC"');
    expect(cliInputWords('body.smbiosGuid', find('osd device import'))).toBe('--smbios-guid');
    expect(cliInputWords('body.collectionId', find('osd deploy'))).toBe('--collection');
    expect(cliInputWords('body.schedules[1]', find('osd deploy'))).toBe('--schedule ([1])');
    expect(cliInputWords('params.id', find('osd collection show'))).toBe('<id>');
  });

  it('says which command sent a field it has no word for, and leaves other inputs alone', () => {
    expect(cliInputWords('body.frobnicate', find('osd device import'))).toBe('frobnicate (a field of what `osd device import` sent to the site)');
    expect(cliInputWords('PS100003', find('osd deploy'))).toBe('PS100003');
    expect(cliInputWords('body.rules[2].query', undefined)).toBe('rules[2].query');
  });

  it('is what a real run of osd prints against a real server', async () => {
    const data = tempDir('osd-field-words-');
    const s = await startServer(join(data, 'site'));
    try {
      // --server-path sends the path; it lies outside the server's source roots, and the server names the request field.
      const r = await runOsd('image', 'add', join(data, 'elsewhere.wim'), '--server-path', '--server', s.url, '--token', s.token);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^osd: <wim>: /m);
      expect(r.stderr).not.toMatch(/body\./);
    } finally {
      await stopServer(s.proc);
    }
  });
});

/**
 * `osd` loads the modules of the command it runs and nothing else (issue 16 item 2): `osd ts show`
 * of an XML file loads no web server, database driver, embedded database, schema library or YAML
 * parser. The CLI runs as a real process with a preload that records every module it loads
 * (test/helpers/module-trace.mjs); nothing here is timed (bench/cli.bench.mjs measures the time).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProgram, commandModulesFor, COMMAND_MODULES } from '../../src/cli/main.js';
import { corpusPath } from '../helpers/corpus.js';
import { tempDir } from '../helpers/temp.js';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/osd.js');
const TRACE = join(ROOT, 'test/helpers/module-trace.mjs');
/** Packages a task sequence file never needs: the server's (Fastify, PostgreSQL, PGlite) and zod / YAML. */
const HEAVY = ['fastify', 'pg', '@electric-sql/pglite', 'zod', 'yaml'];

let dir: string;
beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('build first: make build (the CLI runs from dist/)');
  dir = tempDir('osd-startup-');
});

/** Runs osd with the module trace; returns its result and the packages (node_modules names) it loaded. */
function traced(name: string, ...args: string[]): { code: number; stdout: string; stderr: string; packages: Set<string>; modules: string[] } {
  const file = join(dir, `${name}.modules`);
  const r = spawnSync(process.execPath, ['--import', TRACE, BIN, ...args], {
    encoding: 'utf8',
    cwd: ROOT,
    env: { ...process.env, OSD_TEST_MODULE_TRACE: file },
  });
  const modules = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  const packages = new Set<string>();
  for (const url of modules) {
    const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (m) packages.add(m[1]!);
  }
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, packages, modules };
}

describe('osd start-up loads only the command it runs', () => {
  it('osd ts show FILE.xml: no fastify, pg, PGlite, zod or yaml', () => {
    const r = traced('ts-show', 'ts', 'show', corpusPath('mdt8456-lti-oem-template.xml'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Litetouch OEM Task Sequence — /);
    // The trace works: it saw the command line's own modules and its argument parser.
    expect(r.modules.some((u) => u.endsWith('/dist/cli/main.js'))).toBe(true);
    expect(r.modules.some((u) => u.endsWith('/dist/sequence/present/tree.js'))).toBe(true);
    expect(r.packages.has('commander')).toBe(true);
    expect(HEAVY.filter((p) => r.packages.has(p))).toEqual([]);
  });

  it('osd ts show --json, and osd --help: none of them either', () => {
    const json = traced('ts-show-json', 'ts', 'show', '--json', corpusPath('mdt8456-lti-oem-template.xml'));
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).steps).toBe(6);
    expect(HEAVY.filter((p) => json.packages.has(p))).toEqual([]);
    const help = traced('help', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: osd /);
    expect(HEAVY.filter((p) => help.packages.has(p))).toEqual([]);
  });

  it('a command that needs the schema library still loads it when it runs (the JSON reader)', () => {
    const out = join(dir, 'oem.json');
    expect(traced('export', 'ts', 'export', '-f', 'json', '-o', out, corpusPath('mdt8456-lti-oem-template.xml')).code).toBe(0);
    const r = traced('ts-show-json-file', 'ts', 'show', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Litetouch OEM Task Sequence — /);
    expect(r.packages.has('zod')).toBe(true);
  });
});

/** Every command under c with its help text (its description, arguments and options), by path. */
function helpTree(c: Command, path: string, into = new Map<string, string>()): Map<string, string> {
  into.set(path, c.helpInformation());
  for (const sub of c.commands) helpTree(sub, `${path} ${sub.name()}`, into);
  return into;
}

describe('the command modules osd imports for a command (main.ts COMMAND_MODULES)', () => {
  it('define every top-level command exactly as the whole program does', async () => {
    const full = await buildProgram();
    const names = full.commands.map((c) => c.name()).filter((n) => n !== 'help');
    // The table names every command, and nothing osd does not have.
    expect(new Set(COMMAND_MODULES.flatMap((m) => m.commands))).toEqual(new Set(names));
    for (const name of names) {
      const only = await buildProgram([name, '--help']);
      expect(only.commands.length, name).toBeLessThanOrEqual(full.commands.length);
      const mine = only.commands.find((c) => c.name() === name)!;
      expect(helpTree(mine, `osd ${name}`), name).toEqual(
        helpTree(
          full.commands.find((c) => c.name() === name)!,
          `osd ${name}`,
        ),
      );
    }
  });

  it('take all of them for no command, help, or a command osd does not know; none for --version', () => {
    for (const args of [[], ['--help'], ['--version', '--help'], ['help', 'ts'], ['tss', 'show']])
      expect(commandModulesFor(args), args.join(' ')).toBe(COMMAND_MODULES);
    expect(commandModulesFor(['--version'])).toEqual([]);
    expect(commandModulesFor(['ts', 'show', 'x.xml'])).toHaveLength(1);
    // Monitoring adds to deploy and device, so it comes with the modules that define them.
    expect(commandModulesFor(['deploy', 'status']).flatMap((m) => m.commands)).toEqual(expect.arrayContaining(['deploy', 'device', 'collection']));
  });
});

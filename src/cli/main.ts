/**
 * `osd`: the command line. It composes the layers below and has no logic of its own.
 * Exit codes: 0 success, 1 findings (lint errors, diff differences), 2 bad input or usage.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { CliExit, EXIT_BAD_INPUT, EXIT_OK, reportError } from './output.js';
import { setRunningCommand } from './site/field-words.js';

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

type Register = (program: Command) => void;

/**
 * The modules that define osd's commands, in the order they register (the order of `osd --help`),
 * with the top-level commands each defines or adds to, and those it adds to that another module
 * must have defined first. `osd X …` imports only the modules of X (and what they need): a command
 * does not pay for the definitions of the others (issue 16 item 2); each command's action imports
 * its implementation in turn. test/cli/startup-modules.test.ts checks that every command is
 * defined the same with only its modules as with all of them.
 */
export const COMMAND_MODULES: ReadonlyArray<{ commands: readonly string[]; needs?: readonly string[]; load: () => Promise<Register> }> = [
  { commands: ['ts'], load: async () => (await import('./ts-commands.js')).registerTaskSequenceCommands },
  { commands: ['lab'], load: async () => (await import('./lab-commands.js')).registerLabCommands },
  { commands: ['server', 'dp', 'token'], load: async () => (await import('./site/server-commands.js')).registerServerCommands },
  { commands: ['pxe', 'dp'], load: async () => (await import('./network-boot-commands.js')).registerNetworkBootCommands },
  { commands: ['content', 'distribute'], load: async () => (await import('./site/content-commands.js')).registerContentCommands },
  {
    commands: ['image', 'boot-image', 'driver', 'driver-package', 'package', 'app', 'update'],
    load: async () => (await import('./site/object-commands.js')).registerObjectCommands,
  },
  { commands: ['boot-image'], load: async () => (await import('./boot-image-commands.js')).registerBootImageBuildCommand },
  { commands: ['deploy'], load: async () => (await import('./site/deploy-commands.js')).registerDeployCommands },
  { commands: ['collection', 'device', 'association'], load: async () => (await import('./site/collection-commands.js')).registerCollectionCommands },
  { commands: ['deploy', 'device'], needs: ['deploy', 'device'], load: async () => (await import('./site/monitoring-commands.js')).registerMonitoringCommands },
  { commands: ['device', 'collection', 'site'], load: async () => (await import('./site/mp-commands.js')).registerManagementPointCommands },
  { commands: ['smp', 'userstate'], load: async () => (await import('./site/smp-commands.js')).registerSmpCommands },
  { commands: ['bench'], load: async () => (await import('./bench-commands.js')).registerBenchCommands },
  { commands: ['userstate'], load: async () => (await import('./userstate-commands.js')).registerUserStateExtractCommand },
  { commands: ['media'], load: async () => (await import('./media-commands.js')).registerMediaCommands },
];

/**
 * The command modules `osd ARGS…` needs: those of its top-level command (the first argument that is
 * not an option), with what they need; none for `osd --version`; all of them for no command, `help`,
 * or a name osd does not know (the full list, and commander's "did you mean …?").
 */
export function commandModulesFor(args: readonly string[]): typeof COMMAND_MODULES {
  const first = args.find((a) => !a.startsWith('-'));
  // `osd --version` prints the version and stops: no command is defined for it.
  if (first === undefined && args.length > 0 && args.every((a) => a === '--version' || a === '-V')) return [];
  if (first === undefined || !COMMAND_MODULES.some((m) => m.commands.includes(first))) return COMMAND_MODULES;
  const names = new Set([first]);
  const chosen = new Set<(typeof COMMAND_MODULES)[number]>();
  for (let grew = true; grew;) {
    grew = false;
    for (const m of COMMAND_MODULES) {
      if (chosen.has(m) || !m.commands.some((c) => names.has(c))) continue;
      chosen.add(m);
      for (const n of m.needs ?? []) names.add(n);
      grew = true;
    }
  }
  return COMMAND_MODULES.filter((m) => chosen.has(m));
}

/** The `osd` program; with `args` (the arguments after `osd`), only the commands they name (commandModulesFor). */
export async function buildProgram(args?: readonly string[]): Promise<Command> {
  const program = new Command('osd')
    .description('OpenOSD: operating system deployment with task sequences')
    .version(version())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    // The command about to run, so an API problem names its arguments and options (field-words.ts).
    .hook('preAction', (_program, action) => setRunningCommand(action));
  const modules = args ? commandModulesFor(args) : COMMAND_MODULES;
  // Imported together, registered in the table's order.
  for (const register of await Promise.all(modules.map((m) => m.load()))) register(program);
  // Every level (`osd ts new install-image` is three deep) reports usage errors through main's exit codes.
  const override = (c: Command): void => {
    c.exitOverride();
    for (const sub of c.commands) override(sub);
  };
  override(program);
  return program;
}

/**
 * A reader that stops early (`osd … | head`) closes the pipe: like any Unix tool, osd then stops
 * quietly instead of dying on EPIPE with a stack trace.
 */
function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(EXIT_OK);
    process.nextTick(() => {
      throw e;
    });
  });
}

export async function main(argv: string[]): Promise<number> {
  quietOnClosedPipe(process.stdout);
  quietOnClosedPipe(process.stderr);
  const json = argv.includes('--json');
  let program: Command;
  try {
    program = await buildProgram(argv.slice(2));
  } catch (e) {
    return reportError(e, json);
  }
  try {
    await program.parseAsync(argv);
    return EXIT_OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help / --version end "with an error" of exit code 0.
      return e.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT;
    }
    if (e instanceof CliExit) return e.code;
    return reportError(e, json);
  }
}

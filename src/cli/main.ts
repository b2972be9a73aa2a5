/**
 * `osd`: the command line. It composes the layers below and has no logic of its own.
 * Exit codes: 0 success, 1 findings (lint errors, diff differences), 2 bad input or usage.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { CliExit, EXIT_BAD_INPUT, EXIT_OK, reportError } from './output.js';
import { registerLabCommands } from './lab-commands.js';
import { registerTaskSequenceCommands } from './ts-commands.js';
import { registerServerCommands } from './site/server-commands.js';
import { registerContentCommands } from './site/content-commands.js';
import { registerObjectCommands } from './site/object-commands.js';
import { registerDeployCommands } from './site/deploy-commands.js';
import { registerCollectionCommands } from './site/collection-commands.js';
import { registerMonitoringCommands } from './site/monitoring-commands.js';
import { registerManagementPointCommands } from './site/mp-commands.js';
import { registerSmpCommands } from './site/smp-commands.js';
import { registerBenchCommands } from './bench-commands.js';
import { registerUserStateExtractCommand } from './userstate-commands.js';
import { setRunningCommand } from './site/field-words.js';
import { registerNetworkBootCommands } from './network-boot-commands.js';
import { registerMediaCommands } from './media-commands.js';
import { registerBootImageBuildCommand } from './boot-image-commands.js';

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

export function buildProgram(): Command {
  const program = new Command('osd')
    .description('OpenOSD: operating system deployment with task sequences')
    .version(version())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    // The command about to run, so an API problem names its arguments and options (field-words.ts).
    .hook('preAction', (_program, action) => setRunningCommand(action));
  registerTaskSequenceCommands(program);
  registerLabCommands(program);
  registerServerCommands(program);
  registerNetworkBootCommands(program);
  registerContentCommands(program);
  registerObjectCommands(program);
  registerBootImageBuildCommand(program);
  registerDeployCommands(program);
  registerCollectionCommands(program);
  registerMonitoringCommands(program);
  registerManagementPointCommands(program);
  registerSmpCommands(program);
  registerBenchCommands(program);
  registerUserStateExtractCommand(program);
  registerMediaCommands(program);
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
  const program = buildProgram();
  const json = argv.includes('--json');
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

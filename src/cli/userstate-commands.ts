/** `osd userstate extract`: a user state store's files onto this computer with its recovery key (user-state.md §2.4). */
import type { Command } from 'commander';
import { InputError } from '../sequence/input-error.js';
import { CliExit, EXIT_FINDINGS, print } from './output.js';

/** The `userstate` command group (shared with the state migration point's admin commands, whoever registers first). */
function group(program: Command): Command {
  return program.commands.find((c) => c.name() === 'userstate') ?? program.command('userstate').description('user state migration: stores, recovery');
}

export function registerUserStateExtractCommand(program: Command): void {
  group(program)
    .command('extract')
    .description("a store's files into a folder, decrypted with the store's key (the recovery information): OUT/C/Users/…")
    .requiredOption('--store <dir>', 'the store folder (holding store.json, or its parent with USMT\\)')
    .option('--key <base64>', 'the data key, base64 of 32 bytes (not needed for a hard-link store)')
    .requiredOption('--out <dir>', 'where the files go')
    .option('--user <DOMAIN\\name>', 'only this user (wildcards *; repeat for several)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option(
      '--include <glob>',
      'only files whose captured path matches (e.g. **\\Documents\\*.docx; repeat for several)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .action(async (o: { store: string; key?: string; out: string; user: string[]; include: string[] }) => {
      // Loaded when the command runs, not when osd starts (issue 16 item 2).
      const { extractStore } = await import('../actions/user-state/extract.js');
      const { UserStateError } = await import('../actions/user-state/errors.js');
      let r;
      try {
        r = await extractStore({ store: o.store, key: o.key, out: o.out, users: o.user, include: o.include, log: (l) => process.stderr.write(`${l}\n`) });
      } catch (e) {
        // A wrong key, a store cut short, no store: the user's input to correct (exit 2).
        if (e instanceof UserStateError) throw new InputError({ input: e.errorName === 'USERSTATE_WRONG_KEY' ? '--key' : '--store', rule: e.message });
        throw e;
      }
      print(`extracted ${r.files} file(s), ${r.bytes} bytes into ${o.out}${r.failed.length ? `; ${r.failed.length} failed their integrity check` : ''}`);
      if (r.failed.length) throw new CliExit(EXIT_FINDINGS);
    });
}

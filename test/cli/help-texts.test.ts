/**
 * `--help` speaks to someone who has only `osd` (issue 11 item 6): no command's help cites a section
 * of the specification (§2.3, osd-features …), which a user does not have.
 */
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';

describe('osd --help', () => {
  it('cites no specification section in any command, argument or option', async () => {
    const cited: string[] = [];
    const walk = (c: Command, path: string): void => {
      const help = c.helpInformation();
      if (/§|osd-features|engine-semantics|task-sequence-format|spec\//.test(help)) cited.push(`${path}:\n${help}`);
      for (const sub of c.commands) walk(sub, `${path} ${sub.name()}`);
    };
    walk(await buildProgram(), 'osd');
    expect(cited).toEqual([]);
  });
});

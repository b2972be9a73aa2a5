/**
 * The admin API names a refused input by its place in the request (`body.sourcePath`,
 * `query.limit`, `params.id`); a person at the command line typed an argument or an option. This
 * turns the first into the second for the command being run: an explicit word the command declared
 * (`fieldWords(cmd, { sourcePath: '<wim>' })`), else the option of the same name (`name` →
 * `--name`, `bootImageId` → `--boot-image-id`), else the argument of the same name, else the field
 * as the site names it, said to be part of what the command sent.
 */
import type { Command } from 'commander';

const declared = new WeakMap<Command, Record<string, string>>();
let running: Command | undefined;

/** Declares, for one command, the CLI words of request fields whose names differ from its options. */
export function fieldWords<C extends Command>(cmd: C, words: Record<string, string>): C {
  declared.set(cmd, { ...declared.get(cmd), ...words });
  return cmd;
}

/** main.ts records the command about to run (commander's preAction hook). */
export function setRunningCommand(cmd: Command | undefined): void {
  running = cmd;
}

/** `body.deploymentTypes[2].name` → { top: 'deploymentTypes', rest: '[2].name' }. */
function split(field: string): { where: string; top: string; rest: string } | undefined {
  const m = /^(body|query|params)\.([A-Za-z_$][\w$]*)(.*)$/s.exec(field);
  return m ? { where: m[1]!, top: m[2]!, rest: m[3]! } : undefined;
}

/** The words of `input` for `cmd` (the running command unless given); inputs that are not request fields pass through. */
export function cliInputWords(input: string, cmd: Command | undefined = running): string {
  const f = split(input);
  if (!f || !cmd) return f ? `${f.top}${f.rest}` : input;
  // `[2].name` is a place inside the value (said in brackets); ` row 3 column "MAC"` reads on from the word.
  const rest = f.rest.replace(/^\./, '');
  const withRest = (word: string): string => (!rest ? word : /^\s/.test(rest) ? `${word}${rest}` : `${word} (${rest})`);
  const own = declared.get(cmd)?.[f.top];
  if (own) return withRest(own);
  const option = cmd.options.find((o) => o.attributeName() === f.top && !o.negate);
  if (option) return withRest(option.long ?? option.flags);
  const argument = cmd.registeredArguments.find((a) => a.name().toLowerCase() === f.top.toLowerCase());
  if (argument) return withRest(argument.required ? `<${argument.name()}>` : `[${argument.name()}]`);
  return `${f.top}${f.rest} (a field of what \`osd ${commandPath(cmd)}\` sent to the site)`;
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c && c.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * What the agent in the boot environment does first when it was started from boot media
 * (docs/boot-media.md "In the boot environment"), in ConfigMgr's order (osd-features §5.3): the
 * media password, then the prestart command, then — the caller's part — policy from the site with
 * the media variables. One call for src/bootenv/guest/: `startFromMedia()`.
 */
import { spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { InitialVariable } from '../../engine/engine.js';
import { readMediaConfig, verifyMediaPassword, type MediaConfig } from './media-config.js';
import { runPrestartCommand, type PrestartOptions } from './prestart.js';

/** How many times the password may be typed wrong before the boot environment gives up. */
export const PASSWORD_TRIES = 3;

export type MediaStart =
  | {
      ok: true;
      /** The media settings; undefined: no /osd/media.json (started by PXE). */
      config?: MediaConfig;
      /** The media variables, then the prestart command's (later entries win): runAgent's mediaVariables. */
      variables: InitialVariable[];
    }
  | { ok: false; reason: string };

export interface MediaStartOptions {
  /** The boot environment's root (default /). */
  root?: string;
  /** A console line (the agent's `OSD-AGENT: ` lines). */
  say: (line: string) => void;
  /** Asks for the password once (default: the console, not echoed); undefined: no answer (end of input). */
  askPassword?: (prompt: string) => Promise<string | undefined>;
  /** For the prestart command (tests: a root, 'pipe'). */
  prestart?: Omit<PrestartOptions, 'root'>;
}

/** Reads one line from the console with echo off (busybox stty), as the media password prompt. */
export async function askOnConsole(prompt: string): Promise<string | undefined> {
  const stty = (arg: string): void => {
    spawnSync('stty', [arg], { stdio: ['inherit', 'ignore', 'ignore'] });
  };
  process.stdout.write(prompt);
  stty('-echo');
  const rl = createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const line of rl) return line.replace(/\r$/, '');
    return undefined;
  } finally {
    rl.close();
    stty('echo');
    process.stdout.write('\n');
  }
}

/**
 * The media password (when the media have one), the prestart command (when there is one) and the
 * variables. `ok: false` with the reason when the boot environment must stop (C3's FAILED line).
 */
export async function startFromMedia(options: MediaStartOptions): Promise<MediaStart> {
  const say = options.say;
  let config: MediaConfig | undefined;
  try {
    config = readMediaConfig(options.root ?? '/');
  } catch (e) {
    return { ok: false, reason: `the media settings cannot be read: ${(e as Error).message}` };
  }
  if (!config) return { ok: true, variables: [] };
  say(`boot media for the site ${config.site} (${config.bootEnvironment.name} ${config.bootEnvironment.version})`);

  if (config.password) {
    const ask = options.askPassword ?? askOnConsole;
    let accepted = false;
    for (let i = 1; i <= PASSWORD_TRIES && !accepted; i++) {
      const typed = await ask('Media password: ');
      if (typed === undefined) return { ok: false, reason: 'media password not given (no console input)' };
      accepted = verifyMediaPassword(config, typed);
      if (!accepted) say(`the media password is not correct${i < PASSWORD_TRIES ? '; try again' : ''}`);
    }
    if (!accepted) return { ok: false, reason: `media password wrong ${PASSWORD_TRIES} times` };
    say('media password accepted');
  }

  const variables: InitialVariable[] = config.variables.map((v) => ({ name: v.name, value: v.value }));
  if (config.prestart) {
    say(`running the prestart command: ${config.prestart.command}`);
    const r = await runPrestartCommand(config, { ...options.prestart, root: options.root ?? '/' });
    for (const line of r.ignored) say(`prestart variables: ignored the line "${line}" (not NAME=value)`);
    if (r.exitCode !== 0) return { ok: false, reason: `prestart command failed (exit code ${r.exitCode ?? 'none: stopped or could not start'})` };
    if (r.variables.length) say(`the prestart command set ${r.variables.map((v) => v.name).join(', ')}`);
    variables.push(...r.variables);
  }
  return { ok: true, config, variables };
}

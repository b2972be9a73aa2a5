/**
 * The media's prestart command (docs/boot-media.md "Prestart command"), run by the agent in the
 * boot environment before it asks the site for policy — as ConfigMgr runs a boot media's prestart
 * command before the Task Sequence Wizard chooses a task sequence (osd-features §5.2, §5.3).
 *
 * It runs as `/bin/sh -c COMMAND` with the console as its terminal (so it may ask questions), in
 * the prestart folder when the media carry files for it. ConfigMgr's prestart commands set task
 * sequence variables through the TS environment; ours writes `NAME=value` lines into the file named
 * by `$OSD_PRESTART_VARIABLES` (e.g. `echo OSDComputerName=PC042 >> "$OSD_PRESTART_VARIABLES"`,
 * or `SMSTSPreferredAdvertID` to choose a deployment). A non-zero exit stops the boot environment,
 * as a failing prestart command stops ConfigMgr's.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MEDIA_PRESTART_DIR, MEDIA_VARIABLE_NAME, type MediaConfig } from './media-config.js';

export interface PrestartResult {
  /** The command's exit code (null: it was stopped by a signal or could not start). */
  exitCode: number | null;
  /** The variables it set, in the order it wrote them (a later line for the same name wins in the engine). */
  variables: Array<{ name: string; value: string }>;
  /** Lines of the variables file that were not `NAME=value` with a valid name (ignored, to be logged). */
  ignored: string[];
}

export interface PrestartOptions {
  /** The boot environment's root (tests: a folder standing for it). */
  root?: string;
  /** Where the variables file goes (default: a new folder under the temporary folder, /run/osd in the boot environment). */
  workDir?: string;
  /** More environment for the command (the site URL is always there as OSD_SITE). */
  env?: Record<string, string>;
  /** The shell (default /bin/sh). */
  shell?: string;
  /** 'inherit' in the boot environment (the console); 'pipe' in tests to see its output. */
  stdio?: 'inherit' | 'pipe';
  onOutput?: (text: string) => void;
}

/** Parses the variables file the prestart command wrote. */
export function parsePrestartVariables(text: string): Pick<PrestartResult, 'variables' | 'ignored'> {
  const variables: PrestartResult['variables'] = [];
  const ignored: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const name = eq > 0 ? line.slice(0, eq) : '';
    if (!MEDIA_VARIABLE_NAME.test(name)) {
      ignored.push(line);
      continue;
    }
    variables.push({ name, value: line.slice(eq + 1) });
  }
  return { variables, ignored };
}

/** Runs the media's prestart command (none: exit code 0 and no variables). */
export async function runPrestartCommand(config: MediaConfig, options: PrestartOptions = {}): Promise<PrestartResult> {
  if (!config.prestart) return { exitCode: 0, variables: [], ignored: [] };
  const root = options.root ?? '/';
  const filesDir = join(root, MEDIA_PRESTART_DIR);
  const cwd = config.prestart.files && existsSync(filesDir) ? filesDir : root;
  const made = options.workDir ? undefined : mkdtempSync(join(tmpdir(), 'osd-prestart-'));
  const varsFile = join(options.workDir ?? made!, 'prestart-variables');
  try {
    const exitCode = await new Promise<number | null>((resolve) => {
      const child = spawn(options.shell ?? '/bin/sh', ['-c', config.prestart!.command], {
        cwd,
        env: { ...process.env, ...options.env, OSD_SITE: config.site, OSD_PRESTART_VARIABLES: varsFile },
        stdio: options.stdio === 'pipe' ? ['ignore', 'pipe', 'pipe'] : 'inherit',
      });
      child.stdout?.on('data', (b: Buffer) => options.onOutput?.(b.toString('utf8')));
      child.stderr?.on('data', (b: Buffer) => options.onOutput?.(b.toString('utf8')));
      child.on('error', (e) => {
        options.onOutput?.(`${e.message}\n`);
        resolve(null);
      });
      child.on('close', (code) => resolve(code));
    });
    let text = '';
    try {
      text = readFileSync(varsFile, 'utf8');
    } catch {
      /* it set no variables */
    }
    return { exitCode, ...parsePrestartVariables(text) };
  } finally {
    if (made) rmSync(made, { recursive: true, force: true });
  }
}

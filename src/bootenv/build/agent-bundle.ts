/**
 * The agent as one JavaScript file for the boot environment (`/opt/osd/agent.mjs`): the program
 * `src/bootenv/guest/main.ts` with everything it imports, bundled by rolldown (the bundler vitest
 * already brings). Until that program exists a placeholder takes its place, which says so and fails
 * (`OSD-AGENT FAILED no agent yet`), so the boot environment can be built and booted meanwhile.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { OsdError } from '../../common/errors.js';
import { projectRoot } from './cache.js';

export interface AgentBundle {
  code: Buffer;
  sha256: string;
  /** The entry bundled (relative to the project, or absolute); undefined for the placeholder. */
  entry?: string;
  placeholder: boolean;
}

/** The stand-in program (team contract C3's last line, with a reason). */
export const PLACEHOLDER_AGENT = `// OpenOSD boot environment: placeholder agent (src/bootenv/guest/main.ts was not there to bundle).
import { readFileSync } from 'node:fs';
let cmdline = '';
try { cmdline = readFileSync(process.env.OSD_CMDLINE ?? '/proc/cmdline', 'utf8').trim(); } catch {}
const site = /(?:^|\\s)osd\\.site=(\\S+)/.exec(cmdline)?.[1] ?? '(none)';
console.log('OSD-AGENT: placeholder agent, node ' + process.version + ', site ' + site);
console.log('OSD-AGENT FAILED no agent yet');
process.exit(1);
`;

/** The guest program's entry: the TypeScript source in a checkout, else the compiled one. */
export function findAgentEntry(root = projectRoot()): string | undefined {
  if (!root) return undefined;
  for (const rel of ['src/bootenv/guest/main.ts', 'dist/bootenv/guest/main.js']) if (existsSync(join(root, rel))) return rel;
  return undefined;
}

export async function bundleAgent(options: { entry?: string; root?: string } = {}): Promise<AgentBundle> {
  const root = options.root ?? projectRoot();
  const entry = options.entry ?? findAgentEntry(root);
  if (!entry || !root) {
    const code = Buffer.from(PLACEHOLDER_AGENT, 'utf8');
    return { code, sha256: createHash('sha256').update(code).digest('hex'), placeholder: true };
  }
  let rolldown: typeof import('rolldown');
  try {
    rolldown = await import('rolldown');
  } catch (e) {
    throw new OsdError('fault', {
      input: 'rolldown',
      rule: `the bundler is not installed (${(e as Error).message})`,
      hint: 'run `npm ci` in the OpenOSD checkout (rolldown comes with its development packages)',
    });
  }
  let out;
  try {
    out = await rolldown.build({
      input: resolve(root, entry),
      // Paths in the bundle's comments are relative to this folder: the same checkout anywhere gives the same bytes.
      cwd: root,
      platform: 'node',
      write: false,
      logLevel: 'warn',
      treeshake: true,
      output: { format: 'esm', codeSplitting: false, comments: false },
    });
  } catch (e) {
    throw new OsdError('fault', { input: entry, rule: `could not be bundled: ${(e as Error).message}`, hint: 'does `npx tsc --noEmit -p .` pass?', cause: e });
  }
  const chunks = out.output.filter((o) => o.type === 'chunk');
  if (chunks.length !== 1) throw new OsdError('fault', { input: entry, rule: `bundled into ${chunks.length} files, not one`, hint: 'report this' });
  const code = Buffer.from(`#!/usr/bin/node\n${chunks[0]!.code}`, 'utf8');
  return { code, sha256: createHash('sha256').update(code).digest('hex'), entry, placeholder: false };
}

/**
 * The web console in a real browser (docs/console.md "Browser tests"): a real `osd server` (the built
 * console in dist/console, run `make build` first), Debian's chromium driven by playwright-core,
 * sign-in with a token, every browser console error and page error collected (a test fails on any),
 * screenshots in .tmp/console-screenshots/<name>.png, and an axe-core check that fails on serious
 * or critical accessibility violations.
 *
 *   const c = await openConsole();            // server + browser, signed out
 *   await c.signIn();                         // the first administrator's token
 *   await c.goto('/software-library/task-sequences');
 *   await c.screenshot('task-sequences');
 *   await c.checkAccessibility('task sequences list');
 *   c.expectNoErrors();
 *   await c.close();
 *
 * Tests skip (never pass) when chromium is missing: `describe.skipIf(!!CONSOLE_SKIP)(… CONSOLE_SKIP …)`.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { callServer, startServer, stopServer, type StartedServer } from '../helpers/osd-server.js';
import { tempDir } from '../helpers/temp.js';

/** Debian's chromium binary (not the /usr/bin wrapper, which prints a shell warning); OSD_CHROMIUM overrides. */
export const CHROMIUM = process.env.OSD_CHROMIUM ?? '/usr/lib/chromium/chromium';
export const CONSOLE_DIST = resolve('dist/console/index.html');
export const SCREENSHOTS = resolve('.tmp/console-screenshots');

/** Why the browser tests cannot run here, or undefined when they can. */
export const CONSOLE_SKIP: string | undefined = existsSync(CHROMIUM)
  ? undefined
  : `chromium is not installed (${CHROMIUM}): run \`make deps\` as root, or apt-get install chromium`;

const require = createRequire(import.meta.url);
let axeSource: string | undefined;
function axe(): string {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  return axeSource;
}

export interface BrowserProblem {
  kind: 'console' | 'pageerror' | 'requestfailed' | 'response';
  text: string;
  url?: string;
}

export interface ConsoleSession {
  server: StartedServer;
  context: BrowserContext;
  page: Page;
  /** Problems the browser reported so far: console errors, uncaught exceptions, failed requests, 5xx answers, 4xx outside /api. */
  problems: BrowserProblem[];
  /** The site's admin API with a token (the first administrator's by default). */
  api<T = any>(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; json: T }>;
  /** A new API token with a role (`read-only-analyst`, `osd-manager`, `full-administrator`). */
  createToken(role: string, name?: string): Promise<string>;
  /** Loads a console path (`/software-library/task-sequences`) and waits for the page's heading. */
  goto(path: string): Promise<void>;
  /** Signs in through the sign-in page (the first administrator's token by default) and waits for the shell. */
  signIn(token?: string): Promise<void>;
  signOut(): Promise<void>;
  /** .tmp/console-screenshots/<name>.png of the whole page. */
  screenshot(name: string): Promise<string>;
  /** axe-core on the current page; fails on serious or critical violations (`where` names the page in the message). */
  checkAccessibility(where: string): Promise<void>;
  /** Fails when the browser reported any problem (call at the end of each test). */
  expectNoErrors(): void;
  close(): Promise<void>;
}

export interface OpenConsoleOptions {
  /** More `osd server` arguments. */
  serverArgs?: string[];
  /** An already started server (its owner stops it). */
  server?: StartedServer;
  viewport?: { width: number; height: number };
}

/** Starts `osd server` (unless given one) and chromium on the console's sign-in page. */
export async function openConsole(options: OpenConsoleOptions = {}): Promise<ConsoleSession> {
  if (!existsSync(CONSOLE_DIST)) throw new Error(`the console is not built (${CONSOLE_DIST} is missing): run \`make build\` first`);
  const ownServer = !options.server;
  const server = options.server ?? (await startServer(tempDir('openosd-console-'), options.serverArgs ?? []));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(tempDir('openosd-chromium-'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: options.viewport ?? { width: 1360, height: 860 },
      acceptDownloads: true,
      args: ['--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check'],
    });
  } catch (e) {
    if (ownServer) await stopServer(server.proc);
    throw e;
  }
  context.setDefaultTimeout(15_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: BrowserProblem[] = [];
  const watch = (p: Page) => {
    p.on('console', (m) => {
      if (m.type() !== 'error') return;
      // Chromium logs every 4xx/5xx answer as "Failed to load resource"; the site's answers are
      // judged below by their URL instead (a refusal the page shows is the test's business).
      if (/^Failed to load resource: the server responded with a status of \d+/.test(m.text())) return;
      problems.push({ kind: 'console', text: m.text(), url: m.location().url });
    });
    p.on('response', (r) => {
      const path = new URL(r.url()).pathname;
      if (r.status() >= 500 || (r.status() >= 400 && !path.startsWith('/api/')))
        problems.push({ kind: 'response', text: `${r.status()} ${r.request().method()} ${r.url()}` });
    });
    p.on('pageerror', (e) => problems.push({ kind: 'pageerror', text: e.stack ?? e.message }));
    p.on('requestfailed', (r) => {
      // A download the browser saved, or a request aborted because the page moved on, is not a failure.
      const failure = r.failure()?.errorText ?? '';
      if (/ERR_ABORTED/.test(failure)) return;
      problems.push({ kind: 'requestfailed', text: `${r.method()} ${r.url()}: ${failure}` });
    });
  };
  watch(page);
  context.on('page', watch);
  mkdirSync(SCREENSHOTS, { recursive: true });

  const session: ConsoleSession = {
    server,
    context,
    page,
    problems,
    api: (method, path, body, token) => callServer(server, method, path, body, token),
    async createToken(role, name = `console-test-${role}-${Date.now().toString(36)}`) {
      const r = await callServer<{ token: string }>(server, 'POST', '/tokens', { name, role });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      return r.json.token;
    },
    async goto(path) {
      await page.goto(`${server.url}${path}`);
      await page.locator('h1').first().waitFor();
    },
    async signIn(token = server.token) {
      if (!page.url().startsWith(server.url)) await page.goto(`${server.url}/`);
      await page.getByLabel('API token').fill(token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('navigation', { name: 'Workspaces' }).waitFor();
    },
    async signOut() {
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByLabel('API token').waitFor();
    },
    async screenshot(name) {
      const file = join(SCREENSHOTS, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async checkAccessibility(where) {
      // Evaluated through the DevTools protocol, so the console's Content-Security-Policy stays on.
      await page.evaluate(axe());
      const result = (await page.evaluate(async () => {
        const w = window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<unknown> } };
        return w.axe.run(document, { resultTypes: ['violations'] });
      })) as { violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[]; failureSummary?: string }> }> };
      const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      const text = serious.map(
        (v) => `${v.impact} ${v.id}: ${v.help}\n${v.nodes.map((n) => `    ${n.target.join(' ')}: ${n.failureSummary ?? ''}`).join('\n')}`,
      );
      expect(text, `accessibility violations on ${where}`).toEqual([]);
    },
    expectNoErrors() {
      expect(
        problems.map((p) => `${p.kind}: ${p.text}${p.url ? ` (${p.url})` : ''}`),
        'the browser reported errors',
      ).toEqual([]);
    },
    async close() {
      await context.close().catch(() => {});
      if (ownServer) await stopServer(server.proc);
    },
  };
  return session;
}

/** A file of the shared corpus of real task sequences (/work/shared/corpus/public), when it is here. */
export function corpusFile(name: string): string | undefined {
  for (const dir of [process.env.OSD_CORPUS, resolve('../shared/corpus/public'), '/work/shared/corpus/public']) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

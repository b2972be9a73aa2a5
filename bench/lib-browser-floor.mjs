// The baseline of the web console's benchmarks (bench/console-*.bench.mjs, issue 16 item 1): the
// browser's floor. No outside tool does what the console does, so each timed console span is paired
// with the least any page costs in the same browser on the same machine at that moment: a new
// Chromium profile (launched outside the timed span, as the console runs do) navigating to a bare
// `node:http` page of a few hundred bytes with one input field, timed from navigation to the field
// visible and enabled. Run A B A B with the console's runs, the floor's own spread shows how noisy
// the machine was, and the ratio console / floor is what the console adds in multiples of a blank page.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const FLOOR_LABEL = 'browser floor: bare node:http page, one input field (same Chromium, new profile)';

const PAGE =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>floor</title></head><body><label>API token <input name="token"></label></body></html>';

/** A bare HTTP server of one page, on a free port of 127.0.0.1: { url, close() }. */
export async function startFloorServer() {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(PAGE) });
    res.end(PAGE);
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((done) => server.close(done)) };
}

/** One floor run: { value: ms from navigation to the input field visible and enabled }. */
export async function floorRun(floor, executablePath) {
  const profile = mkdtempSync(join(tmpdir(), 'openosd-floor-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: { width: 1360, height: 860 },
    args: ['--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check'],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const t0 = performance.now();
    await page.goto(floor.url, { waitUntil: 'commit' });
    const field = page.getByLabel('API token');
    await field.waitFor({ state: 'visible' });
    if (!(await field.isEnabled())) throw new Error('the floor page drew its field disabled');
    return { value: performance.now() - t0 };
  } finally {
    await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  }
}

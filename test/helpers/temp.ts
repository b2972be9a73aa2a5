/**
 * Temporary folders for tests, removed after the test file has run (whatever the outcome), so a
 * test run leaves nothing behind in the system's temporary folder. Import it at the top of a test
 * file: the clean-up hook is registered when the file is collected.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];
afterAll(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

#!/usr/bin/env node
// OpenOSD command line. The TypeScript sources are compiled to dist/ by `npm install` (prepare)
// or `make build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write(
    `osd: OpenOSD is not built yet (missing ${fileURLToPath(entry)}).\n` +
      `  run "npm install" or "make build" in ${fileURLToPath(new URL('..', import.meta.url))}\n`,
  );
  process.exit(2);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);

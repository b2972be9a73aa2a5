// Preloaded into a process (`node --import <this file> …`) with OSD_TEST_MODULE_TRACE=FILE: every
// module the process loads is appended to FILE, one URL a line — ES modules through a load hook
// (module.register; on Node 20 the hook runs on its own thread, hence a file), and CommonJS modules
// (a package's require()s) from the require cache when the process exits. Used by
// test/cli/startup-modules.test.ts to check what `osd` loads for a command (issue 16 item 2).
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

const out = process.env.OSD_TEST_MODULE_TRACE;
if (!out) throw new Error('module-trace.mjs: set OSD_TEST_MODULE_TRACE to the file that receives the loaded modules');

register(
  'data:text/javascript,' +
    encodeURIComponent(`
      import { appendFileSync } from 'node:fs';
      export async function load(url, context, next) {
        appendFileSync(${JSON.stringify(out)}, url + '\\n');
        return next(url, context);
      }`),
  import.meta.url,
);

const require = createRequire(import.meta.url);
process.on('exit', () => {
  const cjs = Object.keys(require.cache).map((path) => pathToFileURL(path).href);
  if (cjs.length) appendFileSync(out, `${cjs.join('\n')}\n`);
});

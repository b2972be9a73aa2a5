/**
 * The site speaks of its own things (issue 11 item 5): no rule, hint or warning of src/site names an
 * admin API route, a CLI option or an `osd` command — the interfaces add those from the error's next
 * steps (server/api/next-step-routes.ts, cli/site/next-step-commands.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const INTERFACE_WORDS = /\b(GET|POST|PUT|PATCH|DELETE) \/|\/api\/v1|(^|[\s'"`(])--[a-z][a-z-]+|\bosd [a-z]/;

/** The server process's own log lines name the process ("osd server: …"), as every start-up warning does. */
const ALLOWED = /process\.stderr\.write\(`osd server: /;

function files(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) files(p, out);
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

describe("the site's messages", () => {
  it('name no route, option or command of an interface', () => {
    const found: string[] = [];
    for (const file of files('src/site')) {
      const lines = readFileSync(file, 'utf8').split('\n');
      let inComment = false;
      lines.forEach((line, i) => {
        const t = line.trim();
        if (inComment) {
          if (t.includes('*/')) inComment = false;
          return;
        }
        if (t.startsWith('/*') && !t.includes('*/')) {
          inComment = true;
          return;
        }
        if (t.startsWith('//') || t.startsWith('*') || t.startsWith('/*') || file.includes('/migrations/')) return;
        if (INTERFACE_WORDS.test(line) && !ALLOWED.test(line)) found.push(`${file}:${i + 1}: ${t}`);
      });
    }
    expect(found).toEqual([]);
  });
});

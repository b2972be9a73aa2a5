/**
 * The web console (console/, docs/console.md) is a client of the admin API: it imports nothing from
 * src/ (the site's rules reach it only through the API's answers), no Node module, and only the
 * packages it is built with; and nothing in src/ imports the console.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';

const CONSOLE = 'console/src';
/** The packages the console's code may import (its build tools are in console/vite.config.ts only). */
const PACKAGES = /^(react|react-dom|react-dom\/client|react\/jsx-runtime)$/;

function files(dir: string, test: RegExp, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) files(p, test, out);
    else if (test.test(e.name)) out.push(p);
  }
  return out;
}

function importsOf(file: string): Array<{ spec: string; line: number }> {
  const text = readFileSync(file, 'utf8');
  const re = /(?:^|\n)[ \t]*(?:import|export)\b[^;'"`]*?\bfrom\s*['"]([^'"]+)['"]|(?:^|\n)[ \t]*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
  return [...text.matchAll(re)].map((m) => ({ spec: m[1] ?? m[2] ?? m[3]!, line: text.slice(0, m.index).split('\n').length }));
}

describe('the web console', () => {
  const consoleFiles = files(CONSOLE, /\.tsx?$/);

  it('imports only its own modules and React', () => {
    expect(consoleFiles.length).toBeGreaterThan(5);
    const wrong: string[] = [];
    for (const f of consoleFiles) {
      for (const i of importsOf(f)) {
        if (i.spec.startsWith('.')) {
          const to = normalize(join(dirname(f), i.spec));
          if (!to.startsWith(`${CONSOLE}/`))
            wrong.push(`${f}:${i.line} imports ${i.spec} (outside ${CONSOLE}: the console talks to the site through the admin API only)`);
        } else if (!PACKAGES.test(i.spec)) wrong.push(`${f}:${i.line} imports ${i.spec}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('is imported by nothing in src/', () => {
    const wrong = files('src', /\.ts$/).flatMap((f) =>
      importsOf(f)
        .filter((i) => i.spec.startsWith('.') && normalize(join(dirname(f), i.spec)).startsWith('console/'))
        .map((i) => `${f}:${i.line} imports ${i.spec}`),
    );
    expect(wrong).toEqual([]);
  });
});

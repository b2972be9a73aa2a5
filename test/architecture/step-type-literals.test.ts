/**
 * A step type's id string (`SMS_TaskSequence_…Action`) lives in its definition only
 * (src/sequence/catalog/steps/): the wizard, lint, engine, handlers, agent and site refer to the
 * definition (`partitionDisk.type`), so renaming or adding a type touches one file (issue 11).
 * Comments may name a type as an example; code may not spell one.
 *
 * One mirror is allowed: src/sequence/catalog/display-names.ts, the types' names without the zod
 * schemas the definitions build when they load (the CLI's `ts show` loads only what it uses, issue 16
 * item 2). test/sequence/catalog/display-names.test.ts fails, naming the type, whenever it differs
 * from the definitions, so a rename cannot leave it behind unnoticed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = 'src';
const DEFINITIONS = join(SRC, 'sequence', 'catalog', 'steps');
const MIRRORS = new Set([join(SRC, 'sequence', 'catalog', 'display-names.ts')]);

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sourceFiles(p, out);
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** The text of a TypeScript file without its comments (line and block), strings kept. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

describe('step type ids', () => {
  it('are spelled only in their definitions', () => {
    const found: string[] = [];
    for (const file of sourceFiles(SRC)) {
      if (file.startsWith(DEFINITIONS) || MIRRORS.has(file)) continue;
      const code = withoutComments(readFileSync(file, 'utf8'));
      for (const m of code.matchAll(/SMS_TaskSequence_\w+Action/g)) found.push(`${file}: ${m[0]}`);
    }
    expect(found).toEqual([]);
  });

  it('the check sees a literal in code (it is not vacuous)', () => {
    const code = withoutComments("const t = 'SMS_TaskSequence_PartitionDiskAction'; // SMS_TaskSequence_ApplyOperatingSystemAction");
    expect([...code.matchAll(/SMS_TaskSequence_\w+Action/g)].map((m) => m[0])).toEqual(['SMS_TaskSequence_PartitionDiskAction']);
  });
});

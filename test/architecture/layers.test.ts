/**
 * The layers of docs/ARCHITECTURE.md, checked on every import of src/: a module imports only from
 * its own layer and the layers below it, and the pure layers (common, sequence, engine) do no I/O
 * of their own (no file system, sockets, processes). A new top-level folder fails here until it is
 * given its place in LAYERS and in ARCHITECTURE.md.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = 'src';

/** Each layer and the layers it may import (its own is always allowed). */
const LAYERS: Record<string, readonly string[]> = {
  common: [],
  sequence: ['common'],
  engine: ['common', 'sequence'],
  storage: ['common', 'sequence', 'engine'],
  actions: ['common', 'sequence', 'engine', 'storage'],
  transfer: ['common'],
  runner: ['common', 'sequence', 'engine', 'storage', 'actions'],
  agent: ['common', 'sequence', 'engine', 'storage', 'actions', 'runner', 'transfer'],
  // The boot environment: built on the host from Debian packages, and the program inside it (the agent on a real disk).
  bootenv: ['common', 'sequence', 'engine', 'storage', 'actions', 'runner', 'transfer', 'agent'],
  lab: ['common', 'sequence', 'engine', 'storage', 'actions', 'runner', 'bootenv'],
  site: ['common', 'sequence', 'engine', 'storage', 'actions', 'transfer'],
  server: ['common', 'sequence', 'engine', 'storage', 'actions', 'transfer', 'site'],
  // Simulated computers against real servers: it talks to them over HTTP and starts them as processes, never importing them.
  fleet: ['common', 'sequence', 'engine', 'storage', 'transfer', 'agent'],
  cli: ['common', 'sequence', 'engine', 'storage', 'actions', 'transfer', 'runner', 'lab', 'agent', 'bootenv', 'site', 'server', 'fleet'],
};

/** Layers that never touch a disk, a socket or a process themselves (DESIGN.md: the engine calls its ports). */
const PURE = new Set(['common', 'sequence', 'engine']);
const IO_MODULES = /^(node:)?(fs|fs\/promises|net|http|https|http2|child_process|dgram|dns|tls|cluster|worker_threads|readline)$/;

/** The deliberate exceptions, each with its reason. */
const IO_ALLOWED: Record<string, string> = {
  // The CLI's one way to read a task sequence file by name (ARCHITECTURE: "no I/O except reading a named file").
  'src/sequence/read-input.ts node:fs': 'reads the named input file for the codecs',
  // isIP only: a pure function that happens to live in node:net.
  'src/engine/machine-profile/values.ts node:net': 'isIP',
};

interface Import {
  file: string;
  spec: string;
  line: number;
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sourceFiles(p, out);
    else if (/\.tsx?$/.test(e.name)) out.push(p);
  }
  return out;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const out: Import[] = [];
  const re = /(?:^|\n)[ \t]*(?:import|export)\b[^;'"`]*?\bfrom\s*['"]([^'"]+)['"]|(?:^|\n)[ \t]*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of text.matchAll(re)) {
    const spec = m[1] ?? m[2] ?? m[3]!;
    out.push({ file, spec, line: text.slice(0, m.index).split('\n').length + (m[0].startsWith('\n') ? 1 : 0) });
  }
  return out;
}

function layerOf(file: string): string {
  return relative(SRC, file).split('/')[0]!;
}

const files = sourceFiles(SRC);
const imports = files.flatMap(importsOf);

describe('the layers of docs/ARCHITECTURE.md', () => {
  it('knows every top-level folder of src/', () => {
    const unknown = [...new Set(files.map(layerOf))].filter((l) => !(l in LAYERS) && !l.endsWith('.ts'));
    expect(unknown, 'give the new folder its place in LAYERS (test/architecture/layers.test.ts) and in docs/ARCHITECTURE.md').toEqual([]);
  });

  it('finds the imports it checks', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(imports.filter((i) => i.spec.startsWith('.')).length).toBeGreaterThan(500);
  });

  it('has no import running up the layers', () => {
    const wrong: string[] = [];
    for (const i of imports) {
      if (!i.spec.startsWith('.')) continue;
      const from = layerOf(i.file);
      const to = layerOf(normalize(join(dirname(i.file), i.spec)));
      if (to === from || !(from in LAYERS)) continue;
      if (!LAYERS[from]!.includes(to)) wrong.push(`${i.file}:${i.line} (${from}) imports ${i.spec} (${to})`);
    }
    expect(wrong).toEqual([]);
  });

  it('keeps the pure layers free of I/O', () => {
    const wrong: string[] = [];
    for (const i of imports) {
      const layer = layerOf(i.file);
      if (!PURE.has(layer) || !IO_MODULES.test(i.spec)) continue;
      const key = `${i.file} ${i.spec.startsWith('node:') ? i.spec : `node:${i.spec}`}`;
      if (!(key in IO_ALLOWED)) wrong.push(`${i.file}:${i.line} (${layer}) imports ${i.spec}`);
    }
    expect(wrong).toEqual([]);
  });

  it('catches a violation (the check itself works)', () => {
    const fake: Import = { file: 'src/sequence/x.ts', spec: '../site/site.js', line: 1 };
    const to = layerOf(normalize(join(dirname(fake.file), fake.spec)));
    expect(LAYERS[layerOf(fake.file)]!.includes(to)).toBe(false);
    expect(IO_MODULES.test('node:child_process')).toBe(true);
  });
});

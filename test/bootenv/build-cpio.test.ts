// The initramfs archive writer against GNU cpio: what it lists and extracts, byte-identical rewrites, SOURCE_DATE_EPOCH.
import { spawnSync } from 'node:child_process';
import { createWriteStream, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { InitramfsTree, writeCpio } from '../../src/bootenv/build/index.js';
import { findTool } from '../../src/storage/tools.js';
import { tempDir } from '../helpers/temp.js';

const noCpio = findTool('cpio') ? undefined : 'GNU cpio is not installed (Debian package cpio)';

async function archive(tree: InitramfsTree, file: string, mtime?: number): Promise<Buffer> {
  const out = createWriteStream(file);
  await writeCpio(tree.list(), out, mtime);
  out.end();
  await once(out, 'close');
  return readFileSync(file);
}

function cpio(file: string, ...args: string[]): string {
  const r = spawnSync('cpio', ['--quiet', ...args], { input: readFileSync(file), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`cpio ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function sampleTree(dir: string): InitramfsTree {
  const exe = join(dir, 'tool');
  writeFileSync(exe, '#!/bin/sh\necho hi\n');
  chmodSync(exe, 0o755);
  const odd = join(dir, 'odd');
  writeFileSync(odd, Buffer.from([1, 2, 3, 4, 5])); // not a multiple of 4: padding
  return new InitramfsTree()
    .data('/init', '#!/bin/sh\n', 0o755)
    .file('/usr/bin/tool', exe)
    .file('/etc/odd', odd)
    .symlink('/bin/sh', 'busybox')
    .dir('/tmp', 0o1777)
    .chardev('/dev/console', 5, 1);
}

describe.skipIf(noCpio)('writeCpio (newc)', () => {
  it('writes what GNU cpio lists and extracts: sorted, parents first, root-owned, one time, contents and links intact', async () => {
    const dir = tempDir('osd-cpio-');
    const file = join(dir, 'a.cpio');
    const bytes = await archive(sampleTree(dir), file, 0);
    expect(bytes.length % 512).toBe(0);
    const names = cpio(file, '-it').trim().split('\n');
    expect(names).toEqual(['bin', 'bin/sh', 'dev', 'dev/console', 'etc', 'etc/odd', 'init', 'tmp', 'usr', 'usr/bin', 'usr/bin/tool']);
    const long = cpio(file, '-itv');
    expect(long).toMatch(/^crw------- +1 root +root +5, +1 .*1970 dev\/console$/m);
    expect(long).toMatch(/^lrwxrwxrwx .* bin\/sh -> busybox$/m);
    expect(long).toMatch(/^-rwxr-xr-x +1 root +root +18 .*1970 usr\/bin\/tool$/m);
    expect(long).toMatch(/^-rw-r--r-- +1 root +root +5 .*1970 etc\/odd$/m);
    expect(long).toMatch(/^drwxrwxrwt .* tmp$/m);
    expect(cpio(file, '-i', '--to-stdout', 'usr/bin/tool')).toBe('#!/bin/sh\necho hi\n');
    expect(Buffer.from(cpio(file, '-i', '--to-stdout', 'etc/odd'), 'latin1')).toEqual(Buffer.from([1, 2, 3, 4, 5]));
    expect(cpio(file, '-i', '--to-stdout', 'init')).toBe('#!/bin/sh\n');
  });

  it('gives the same bytes for the same tree, and other bytes for another SOURCE_DATE_EPOCH', async () => {
    const dir = tempDir('osd-cpio-');
    const a = await archive(sampleTree(dir), join(dir, 'a.cpio'), 0);
    const b = await archive(sampleTree(dir), join(dir, 'b.cpio'), 0);
    expect(b.equals(a)).toBe(true);
    const c = await archive(sampleTree(dir), join(dir, 'c.cpio'), 1_700_000_000);
    expect(c.equals(a)).toBe(false);
    expect(c.length).toBe(a.length);
    expect(cpio(join(dir, 'c.cpio'), '-itv')).toMatch(/Nov 14 +2023 init/);
  });

  it('refuses a file that changed size after it was listed', async () => {
    const dir = tempDir('osd-cpio-');
    const tree = sampleTree(dir);
    writeFileSync(join(dir, 'odd'), 'longer than before');
    await expect(archive(tree, join(dir, 'x.cpio'))).rejects.toThrow(/changed while the archive was written/);
  });
});

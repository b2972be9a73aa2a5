import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clearRange, extractRange, spliceRange } from '../../src/storage/disk/byte-range.js';
import { MiB, tempDir } from './helpers.js';

const tmp = tempDir('range');
afterAll(tmp.cleanup);

function sparseFile(path: string, size: number, chunks: [number, Buffer][]): void {
  writeFileSync(path, '');
  truncateSync(path, size);
  const fd = openSync(path, 'r+');
  for (const [at, data] of chunks) writeSync(fd, data, 0, data.length, at);
  closeSync(fd);
}

const hash = (path: string, start: number, end: number) => createHash('sha256').update(readFileSync(path).subarray(start, end)).digest('hex');

describe('spliceRange / extractRange', () => {
  it('make the disk range byte-identical to the partition image, zeroing old data under its holes', async () => {
    const disk = join(tmp.dir, 'disk.img');
    const part = join(tmp.dir, 'part.img');
    const offset = 3 * MiB;
    const length = 40 * MiB + 512; // not a multiple of the 4 MiB block
    // Old data on the disk: before, inside (where the partition image has holes and data) and after the range.
    sparseFile(disk, 64 * MiB, [
      [0, randomBytes(MiB)],
      [offset + 5 * MiB, randomBytes(6 * MiB)],
      [offset + 30 * MiB + 100, randomBytes(1000)],
      [offset + length, randomBytes(MiB)],
    ]);
    sparseFile(part, length, [
      [0, randomBytes(4096)],
      [9 * MiB, randomBytes(3 * MiB)],
      [length - 512, randomBytes(512)],
    ]);
    const before = hash(disk, 0, offset);
    const after = hash(disk, offset + length, 64 * MiB);

    await spliceRange(part, disk, offset, length);
    expect(hash(disk, offset, offset + length)).toBe(hash(part, 0, length));
    expect(hash(disk, 0, offset)).toBe(before);
    expect(hash(disk, offset + length, 64 * MiB)).toBe(after);
    expect(statSync(disk).size).toBe(64 * MiB);

    const out = join(tmp.dir, 'out.img');
    await extractRange(disk, offset, length, out);
    expect(statSync(out).size).toBe(length);
    expect(hash(out, 0, length)).toBe(hash(part, 0, length));
    expect(statSync(out).blocks * 512).toBeLessThan(16 * MiB); // holes stay holes
  });

  it('refuse a partition image of the wrong size and a range past the end of the disk', async () => {
    const disk = join(tmp.dir, 'd2.img');
    const part = join(tmp.dir, 'p2.img');
    sparseFile(disk, 8 * MiB, []);
    sparseFile(part, 2 * MiB, []);
    await expect(spliceRange(part, disk, MiB, 3 * MiB)).rejects.toThrow(/must be exactly the partition size/);
    await expect(spliceRange(part, disk, 7 * MiB, 2 * MiB)).rejects.toThrow(/runs past the end of the disk image/);
    await expect(extractRange(disk, 7 * MiB, 2 * MiB, join(tmp.dir, 'x.img'))).rejects.toThrow(/runs past the end/);
  });

  it('clearRange zeroes a range', async () => {
    const disk = join(tmp.dir, 'd3.img');
    sparseFile(disk, 4 * MiB, [[MiB, randomBytes(2 * MiB)]]);
    await clearRange(disk, MiB + 10, MiB);
    const b = readFileSync(disk);
    expect(b.subarray(MiB + 10, 2 * MiB + 10).every((x) => x === 0)).toBe(true);
    expect(b.subarray(2 * MiB + 10, 3 * MiB).some((x) => x !== 0)).toBe(true);
  });
});

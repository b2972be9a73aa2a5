/**
 * Reading a lab machine's disk as the lab tests do, with the tools an admin would use: the partition
 * table by `sfdisk --json`, one partition copied out with `dd`, and files read from its NTFS with
 * `ntfscat` — never through the code under test.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export interface DiskTable {
  label: string;
  partitions: Array<{ start: number; size: number }>;
}

export function partitionTable(diskPath: string): DiskTable {
  return (JSON.parse(execFileSync('sfdisk', ['--json', diskPath], { encoding: 'utf8' })) as { partitiontable: DiskTable }).partitiontable;
}

/** Partition `index` (0-based in the table) of the disk, copied to `<dir>/<name>`; returns a reader of its NTFS files. */
export function ntfsPartition(diskPath: string, index: number, dir: string, name: string): { table: DiskTable; read: (path: string) => string } {
  const table = partitionTable(diskPath);
  const p = table.partitions[index]!;
  const image = join(dir, name);
  execFileSync('dd', [
    `if=${diskPath}`,
    `of=${image}`,
    'bs=1M',
    `skip=${p.start * 512}`,
    `count=${p.size * 512}`,
    'iflag=skip_bytes,count_bytes',
    'status=none',
  ]);
  return { table, read: (path) => execFileSync('ntfscat', [image, path], { encoding: 'utf8' }) };
}

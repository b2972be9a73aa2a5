// The storage layer's faults are the project's one error family, each with the code Windows would
// report (issue 11 item 3): a step failing on them shows 0x80070070, 0x80070003 …, not 0x80004005.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OsdError } from '../../src/common/errors.js';
import { failureResult, StepFailure } from '../../src/actions/errors.js';
import { UnattendError } from '../../src/actions/unattend/index.js';
import { createDiskImage, DiskTooSmallError, writePartitionTable } from '../../src/storage/disk/partition-table.js';
import { codeOfErrno, StorageError, WIN32 } from '../../src/storage/errors.js';
import { MissingToolError, runTool, ToolError } from '../../src/storage/tools.js';
import { DirectoryVolume } from '../../src/storage/volume/directory.js';
import { openVolume } from '../../src/storage/volume/open.js';
import { VolumeError } from '../../src/storage/volume/volume.js';
import { readWimImages, WimError } from '../../src/storage/wim.js';
import { InputError } from '../../src/sequence/input-error.js';
import { MiB, rejection, tempDir } from './helpers.js';

const tmp = tempDir('errors');
afterAll(tmp.cleanup);

describe('machine errors carry their Win32 code', () => {
  it('volume paths: a missing file 0x80070002, a missing folder 0x80070003, a folder read as a file 0x80070005, a bad name 0x8007007B', async () => {
    mkdirSync(join(tmp.dir, 'vol'));
    const v = new DirectoryVolume(join(tmp.dir, 'vol'));
    await v.writeFile('a/file.txt', 'x');
    const missingFile = await rejection<VolumeError>(v.readFile('a/none.txt'));
    expect(missingFile).toBeInstanceOf(OsdError);
    expect(missingFile.exitCode).toBe(0x80070002);
    expect(missingFile.kind).toBe('not-found');
    expect((await rejection<VolumeError>(v.list('a/none'))).exitCode).toBe(0x80070003);
    expect((await rejection<VolumeError>(v.list('a/file.txt'))).exitCode).toBe(0x80070003);
    expect((await rejection<VolumeError>(v.readFile('a'))).exitCode).toBe(0x80070005);
    const bad = await rejection<VolumeError>(v.writeFile('../x', 'y'));
    expect(bad.exitCode).toBe(0x8007007b);
    expect(bad.kind).toBe('bad-input');
  });

  it('a disk too small: DiskTooSmallError is 0x80070070; a layout that cannot exist is bad input 0x80070057', async () => {
    const disk = join(tmp.dir, 'small.img');
    await createDiskImage(disk, 8 * MiB);
    const small = await rejection<DiskTooSmallError>(writePartitionTable(disk, 'gpt', [{ kind: 'primary', sizeBytes: 64 * MiB }]));
    expect(small).toBeInstanceOf(DiskTooSmallError);
    expect(small.exitCode).toBe(0x80070070);
    const mbr = await rejection<StorageError>(writePartitionTable(disk, 'mbr', [{ kind: 'msr', sizeBytes: MiB }]));
    expect(mbr.kind).toBe('bad-input');
    expect(mbr.exitCode).toBe(0x80070057);
    const none = await rejection<StorageError>(writePartitionTable(join(tmp.dir, 'none.img'), 'gpt', [{ kind: 'primary' }]));
    expect(none.exitCode).toBe(0x80070002);
  });

  it('a partition without a file system: ERROR_UNRECOGNIZED_VOLUME 0x800703ED', async () => {
    const disk = join(tmp.dir, 'blank.img');
    await createDiskImage(disk, 8 * MiB);
    const table = await writePartitionTable(disk, 'gpt', [{ kind: 'primary' }]);
    const e = await rejection<StorageError>(openVolume(disk, table.partitions[0], join(tmp.dir, 'work')));
    expect(e.exitCode).toBe(0x800703ed);
    expect(e.message).toMatch(/holds no NTFS or FAT file system/);
  });

  it('tools: missing 0x80070002 naming the package; a full disk in its output 0x80070070; otherwise 0x80004005', async () => {
    const missing = await rejection<MissingToolError>(runTool('no-such-tool-openosd', []));
    expect(missing.exitCode).toBe(0x80070002);
    expect(new ToolError('wimlib-imagex', [], 1, 'ERROR: write error: No space left on device', 'wimlib failed').exitCode).toBe(0x80070070);
    expect(new ToolError('ntfscp', [], 1, 'Permission denied', 'ntfscp failed').exitCode).toBe(0x80070005);
    const other = new ToolError('sfdisk', [], 1, 'something odd', 'sfdisk failed');
    expect(other.exitCode).toBe(0x80004005);
    expect(other.toolExitCode).toBe(1);
  });

  it('WIM files: missing 0x80070002, not a WIM 0x80070570', async () => {
    expect((await rejection<WimError>(readWimImages(join(tmp.dir, 'nope.wim')))).exitCode).toBe(0x80070002);
    const garbage = join(tmp.dir, 'garbage.wim');
    writeFileSync(garbage, 'not a WIM at all');
    const corrupt = await rejection<WimError>(readWimImages(garbage));
    expect(corrupt.code).toBe('corrupt');
    expect(corrupt.exitCode).toBe(0x80070570);
  });

  it('errno of a file-system call → Windows code', () => {
    expect(codeOfErrno('ENOENT')).toBe(WIN32.fileNotFound);
    expect(codeOfErrno('ENOTDIR')).toBe(WIN32.pathNotFound);
    expect(codeOfErrno('EACCES')).toBe(WIN32.accessDenied);
    expect(codeOfErrno('ENOSPC')).toBe(WIN32.diskFull);
    expect(codeOfErrno('EWHATEVER')).toBeUndefined();
  });
});

describe("a handler's error as the step's result: by code, else kind, never by class", () => {
  it('keeps the code of any error of the family', () => {
    expect(failureResult(new StepFailure(0x80070490, 'no image 7'))).toEqual({ exitCode: 0x80070490, message: 'no image 7' });
    expect(failureResult(new UnattendError(0x80070057, 'bad adapter')).exitCode).toBe(0x80070057);
    expect(failureResult(new DiskTooSmallError('d.img', 1, 2, 1, 'too small')).exitCode).toBe(0x80070070);
  });

  it('codes that used to be the generic 0x80004005', () => {
    // A malformed answer file in a package (InputError, bad input): ERROR_INVALID_DATA.
    expect(failureResult(new InputError({ input: 'unattend.xml', rule: 'not well-formed' })).exitCode).toBe(0x8007000d);
    // A file-system call that failed.
    const enoent = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
    expect(failureResult(enoent).exitCode).toBe(0x80070002);
    const eacces = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    expect(failureResult(eacces).exitCode).toBe(0x80070005);
    const enospc = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    expect(failureResult(enospc).exitCode).toBe(0x80070070);
    // Anything else stays generic.
    expect(failureResult(new Error('boom'))).toEqual({ exitCode: 0x80004005, message: 'boom' });
  });
});

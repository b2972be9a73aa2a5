// Format and Partition Disk through the Computer port (a computer in folders): the layout, the
// formats, the drive letters and their variables; the failures with their codes; its prediction.
import { afterAll, describe, expect, it } from 'vitest';
import { failureResult } from '../../../src/actions/errors.js';
import { partitionDiskHandler } from '../../../src/actions/handlers/partition-disk.js';
import { partitionDisk } from '../../../src/sequence/catalog/index.js';
import type { PartitionDiskSettings } from '../../../src/sequence/catalog/steps/partition-disk.js';
import { directoryComputer, execution, profile, simulation, step } from './helpers.js';

const GiB = 1024 ** 3;
const uefiLayout = partitionDisk.examples![0].settings;
const dataDisk = partitionDisk.examples![1].settings;
const cleanups: Array<() => void> = [];
afterAll(() => cleanups.forEach((c) => c()));

function computerWith(sizes: number[]) {
  const p = profile();
  const c = directoryComputer({ ...p, disks: sizes.map((size, index) => ({ ...p.disks[0], index, size })) });
  cleanups.push(c.cleanup);
  return c.computer;
}

async function run(settings: PartitionDiskSettings, computer = computerWith([64 * GiB]), variables: Record<string, string> = {}) {
  const m = execution(step(partitionDisk, settings), { variables });
  const result = await partitionDiskHandler.run!({ x: m.x, computer, content: undefined as never }).catch(failureResult);
  return { result, m, computer };
}

describe('Format and Partition Disk', () => {
  it("writes the wizard's UEFI layout, formats it and gives Windows C: in OSDisk", async () => {
    const { result, m, computer } = await run(uefiLayout);
    expect(result).toEqual({ exitCode: 0 });
    const volumes = await computer.volumes(0);
    expect(volumes.map((v) => [v.kind, v.fileSystem])).toEqual([
      ['efi', 'FAT32'],
      ['msr', undefined],
      ['primary', 'NTFS'],
      ['recovery', 'NTFS'],
    ]);
    expect(volumes[0].sizeBytes).toBe(500 * 1024 * 1024);
    expect((await computer.disks())[0]).toMatchObject({ index: 0, style: 'gpt', firmware: 'uefi' });
    expect(computer.drives()).toEqual([{ letter: 'C:', disk: 0, partition: 3 }]);
    expect(m.vars().OSDisk).toBe('C:');
    expect(m.logs).toContain('info: Assigned C: to partition 3 (variable OSDisk)');
    // A fresh file system: nothing on it.
    expect(await (await computer.files(volumes[2])).list('')).toEqual([]);
  });

  it("takes the disk number from a variable, and keeps the other disks' letters", async () => {
    const computer = computerWith([64 * GiB, 8 * GiB]);
    await run(uefiLayout, computer);
    const { result, m } = await run(dataDisk, computer, { DataDisk: '1' });
    expect(result).toEqual({ exitCode: 0 });
    expect(computer.drives()).toEqual([
      { letter: 'C:', disk: 0, partition: 3 },
      { letter: 'D:', disk: 1, partition: 1 },
    ]);
    expect(m.vars().DataDrive).toBe('D:');
  });

  it('fails with the codes ConfigMgr reports', async () => {
    // Too small a disk: 0x80070070, naming the sizes.
    const small = await run(uefiLayout, computerWith([512 * 1024 * 1024]));
    expect(small.result.exitCode).toBe(0x80070070);
    expect(small.result.message).toMatch(/too small for the GPT layout/);
    // No such disk: 0x80070490.
    expect((await run({ ...uefiLayout, diskIndex: 3 })).result).toMatchObject({
      exitCode: 0x80070490,
      message: expect.stringMatching(/disk 3 does not exist/),
    });
    // The disk variable is not set: 0x80070057.
    expect((await run(dataDisk)).result).toMatchObject({ exitCode: 0x80070057, message: expect.stringMatching(/DataDisk is not set/) });
    // A partition type the lab cannot make: 0x80070032.
    expect((await run({ partitionStyle: 'MBR', partitions: [{ type: 'Extended', size: 100, sizeUnits: 'Percent' }] })).result.exitCode).toBe(0x80070032);
    // No partitions at all: 0x80070057.
    expect((await run({ partitionStyle: 'GPT', partitions: [] })).result.exitCode).toBe(0x80070057);
  });

  it("predicts the letters; with checks, the layout against the profile's disk", async () => {
    const m = execution(step(partitionDisk, uefiLayout));
    const { ctx, notes } = simulation(m);
    expect(await partitionDiskHandler.simulate!(ctx)).toEqual({ exitCode: 0 });
    expect(m.vars().OSDisk).toBe('C:');
    expect(notes).toEqual(['sets OSDisk']);

    const checked = execution(step(partitionDisk, uefiLayout));
    const c = simulation(checked, { checks: true });
    await partitionDiskHandler.simulate!(c.ctx);
    expect(c.notes[1]).toMatch(/^GPT on disk 0: efi 500 MB, msr 128 MB, Windows \d+ MB, Recovery \d+ MB$/);

    const p = profile();
    const tiny = simulation(execution(step(partitionDisk, uefiLayout)), {
      checks: true,
      profile: { ...p, disks: [{ ...p.disks[0], size: 512 * 1024 * 1024 }] },
    });
    await expect(Promise.resolve(partitionDiskHandler.simulate!(tiny.ctx))).rejects.toMatchObject({ exitCode: 0x80070070 });
    const none = simulation(execution(step(partitionDisk, { ...uefiLayout, diskIndex: 4 })), { checks: true });
    await expect(Promise.resolve(partitionDiskHandler.simulate!(none.ctx))).rejects.toMatchObject({ exitCode: 0x80070490 });
  });
});

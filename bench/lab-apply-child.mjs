#!/usr/bin/env node
// One "ours" run of the lab benchmark in its own process: a lab machine with one disk, the UEFI layout
// written, then — timed — Format (NTFS) + Apply Operating System (image 2) + flush into the Windows
// partition, as the task sequence's steps do them. Prints JSON: the time, the partition's size, whether
// the volume was direct (offsetio shim) or used a side image, and the process's peak RSS.
// Usage: node bench/lab-apply-child.mjs DIST_DIR WIM LAB_ROOT NAME DISK_SIZE
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [dist, wim, labRoot, name, disk] = process.argv.slice(2);
const load = (m) => import(pathToFileURL(join(dist, m)).href);
const { createLab } = await load('lab/create.js');
const { NtfsVolume } = await load('storage/volume/ntfs.js');
const machines = new URL('../examples/machines/', import.meta.url).pathname;

const lab = await createLab(labRoot, name, { profilePath: join(machines, 'uefi-x64-laptop-bare-metal.json'), disks: [disk] });
const volumes = await lab.writeLayout(0, {
  style: 'gpt',
  partitions: [{ kind: 'efi', sizeBytes: 100 * 1048576 }, { kind: 'msr', sizeBytes: 16 * 1048576 }, { kind: 'primary' }],
});
const ref = { disk: 0, partition: 3 };
const t = performance.now();
await lab.format(ref, 'NTFS', 'Windows');
await lab.applyImage(ref, wim, 2);
await lab.flush();
const value = performance.now() - t;
const vol = await lab.volume(ref);
if (!(await vol.exists('Windows/System32'))) throw new Error(`${vol.description}: the applied image has no Windows\\System32`);
process.stdout.write(
  JSON.stringify({
    value,
    partitionBytes: volumes[2].sizeBytes,
    direct: vol instanceof NtfsVolume && vol.map !== undefined,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
  }),
);

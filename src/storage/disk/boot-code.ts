/**
 * A disk's BIOS boot code: GRUB's i386-pc `boot.img` in sector 0 and its `core.img` embedded after
 * it — what `grub-bios-setup --no-rs-codes DISK` writes, done here on a disk-image file or a block
 * device alike. grub-bios-setup itself cannot be used on either: it insists on finding the device
 * of its `-d` folder, which fails for the boot environment's initramfs and for a folder beside a
 * disk-image file (netboot.md "What failed": `failed to get canonical path of 'rootfs'`).
 *
 * Where core.img goes (GRUB's embedding): on an MBR disk the gap between sector 0 and the first
 * partition (1 MiB with our alignment, so up to 2,047 sectors); on a GPT disk its BIOS boot
 * partition (type 21686148-6449-6E6F-744E-656564454649). Without a place, nothing is written.
 *
 * What is patched (GRUB 2.06 util/setup.c, include/grub/i386/pc/boot.h):
 * - boot.img: the BIOS parameter block (0x03–0x59) and the partition table with the disk signature
 *   (0x1B8–0x1FD) stay the disk's own; the kernel sector (0x5C, 64-bit LBA of core.img's first
 *   sector); the boot drive (0x64) 0xFF; the floppy drive check (0x66) becomes two NOPs.
 * - core.img's first sector (diskboot.img): its block list, which ends the sector and grows down —
 *   one entry {start = first sector + 1, length = the other sectors, segment 0x820}, then a zero
 *   entry that ends the list.
 */
import { open } from 'node:fs/promises';
import { fault, refused, WIN32 } from '../errors.js';
import type { PartitionTable } from './partition-table.js';

export const BIOS_BOOT_PARTITION_TYPE = '21686148-6449-6E6F-744E-656564454649';

const SECTOR = 512;
const BPB_START = 0x03;
const BPB_END = 0x5a;
const KERNEL_SECTOR = 0x5c;
const BOOT_DRIVE = 0x64;
const DRIVE_CHECK = 0x66;
const WINDOWS_NT_MAGIC = 0x1b8;
const PART_END = 0x1fe;
/** A block list entry: start (u64), length in sectors (u16), load segment (u16). */
const BLOCKLIST_ENTRY = 12;
/** GRUB_BOOT_I386_PC_KERNEL_SEG + one sector (0x800 + 0x20): where the rest of core.img is loaded. */
const FIRST_SEGMENT = 0x820;
/** GRUB loads core.img below 0x78000 from 0x8000: at most this many sectors. */
const MAX_CORE_SECTORS = (0x78000 - 0x8000) / SECTOR;

export interface BootCode {
  /** GRUB's boot.img: one 512-byte sector ending in 55 AA. */
  bootImage: Buffer;
  /** GRUB's core.img for i386-pc (grub-mkimage -O i386-pc), starting with diskboot.img. */
  coreImage: Buffer;
}

export interface BootCodeResult {
  /** The first sector of the embedded core.img and how many sectors it takes. */
  coreSector: number;
  coreSectors: number;
  /** Where it went, for the log: "the MBR gap (sectors 1–2047)" or "the BIOS boot partition 1". */
  where: string;
}

/**
 * Writes boot.img and core.img onto a disk (file or block device) whose partition table is `table`
 * (as read from it). Bad images and a disk with no room for core.img are refused before anything
 * is written.
 */
export async function writeBootCode(diskPath: string, table: PartitionTable, code: BootCode): Promise<BootCodeResult> {
  const { bootImage, coreImage } = code;
  if (bootImage.length !== SECTOR || bootImage[510] !== 0x55 || bootImage[511] !== 0xaa) {
    throw refused(
      `the boot image is ${bootImage.length} bytes${bootImage.length === SECTOR ? ' without the 55 AA signature' : ''}: GRUB's boot.img is one 512-byte sector ending in 55 AA`,
      WIN32.invalidData,
    );
  }
  const coreSectors = Math.ceil(coreImage.length / SECTOR);
  if (coreSectors < 2 || coreSectors > MAX_CORE_SECTORS) {
    throw refused(
      `the core image is ${coreImage.length} bytes: GRUB's i386-pc core.img takes 2 to ${MAX_CORE_SECTORS} sectors (make it with grub-mkimage -O i386-pc)`,
      WIN32.invalidData,
    );
  }
  const first = coreImage.readBigUInt64LE(SECTOR - BLOCKLIST_ENTRY);
  if (coreImage.readUInt16LE(SECTOR - BLOCKLIST_ENTRY + 10) !== FIRST_SEGMENT || first > 0xffffffffn) {
    throw refused(
      "the core image does not start with GRUB's diskboot sector (its block list is not where GRUB puts it): make it with grub-mkimage -O i386-pc",
      WIN32.invalidData,
    );
  }

  // Where core.img goes.
  let start: number;
  let room: number;
  let where: string;
  if (table.style === 'mbr') {
    const firstPartition = Math.min(...table.partitions.map((p) => p.startSector), Math.floor(table.diskSizeBytes / SECTOR));
    start = 1;
    room = firstPartition - 1;
    where = `the gap after the MBR (sectors 1–${firstPartition - 1})`;
  } else {
    const bbp = table.partitions.find((p) => p.typeId.toUpperCase() === BIOS_BOOT_PARTITION_TYPE);
    if (!bbp) {
      throw fault(
        WIN32.notSupported,
        'the GPT disk has no BIOS boot partition (type 21686148-6449-6E6F-744E-656564454649), so the BIOS boot code has nowhere to go: partition the disk MBR for BIOS computers',
      );
    }
    start = bbp.startSector;
    room = bbp.sizeSectors;
    where = `the BIOS boot partition ${bbp.number}`;
  }
  if (room < coreSectors) {
    throw fault(WIN32.diskFull, `GRUB's core image needs ${coreSectors} sectors but ${where} has ${Math.max(0, room)}`);
  }

  const core = Buffer.alloc(coreSectors * SECTOR);
  coreImage.copy(core);
  // Clear the block list (GRUB's own loop: entries from the end of the sector down, until a zero length).
  for (let at = SECTOR - BLOCKLIST_ENTRY; at > 0 && core.readUInt16LE(at + 8) !== 0; at -= BLOCKLIST_ENTRY) core.fill(0, at, at + BLOCKLIST_ENTRY);
  let entry = SECTOR - BLOCKLIST_ENTRY;
  if (coreSectors > 1) {
    core.writeBigUInt64LE(BigInt(start + 1), entry);
    core.writeUInt16LE(coreSectors - 1, entry + 8);
    core.writeUInt16LE(FIRST_SEGMENT, entry + 10);
  }
  entry -= BLOCKLIST_ENTRY;
  core.fill(0, entry, entry + BLOCKLIST_ENTRY); // the terminator

  const fh = await open(diskPath, 'r+');
  try {
    const mbr = Buffer.alloc(SECTOR);
    await fh.read(mbr, 0, SECTOR, 0);
    const boot = Buffer.from(bootImage);
    mbr.copy(boot, BPB_START, BPB_START, BPB_END);
    boot.writeBigUInt64LE(BigInt(start), KERNEL_SECTOR);
    boot[BOOT_DRIVE] = 0xff;
    boot[DRIVE_CHECK] = 0x90;
    boot[DRIVE_CHECK + 1] = 0x90;
    mbr.copy(boot, WINDOWS_NT_MAGIC, WINDOWS_NT_MAGIC, PART_END);
    await fh.write(core, 0, core.length, start * SECTOR);
    await fh.write(boot, 0, SECTOR, 0);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return { coreSector: start, coreSectors, where };
}

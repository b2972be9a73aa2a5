/**
 * The "destination" of Apply Operating System Image, Apply Data Image and Pre-provision BitLocker:
 * next available partition, a disk and partition, a logical drive letter, or a variable holding
 * one of those. Four properties (DestinationDisk/Partition/LogicalDrive/Variable), at most one
 * set (SDK remarks; task-sequence-format §8.3).
 */
import { z } from 'zod';
import type { SlotReader, SlotWriter } from '../settings-codec.js';

export const destinationSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('next-available') }),
  z.object({
    kind: z.literal('disk-partition'),
    disk: z.number().int().min(0).max(99),
    /** Undefined only when a file names a disk without a partition (reported as an issue). */
    partition: z.number().int().min(1).max(99).optional(),
  }),
  z.object({ kind: z.literal('logical-drive'), drive: z.string() }),
  /** Name of a variable holding "disk,partition" or "C:" (e.g. OSDisk from Format and Partition Disk). */
  z.object({ kind: z.literal('variable'), variable: z.string() }),
]);
export type Destination = z.infer<typeof destinationSchema>;

export function readDestination(r: SlotReader): Destination {
  const variable = r.string('DestinationVariable');
  const drive = r.string('DestinationLogicalDrive');
  const disk = r.int('DestinationDisk', { min: 0, max: 99 });
  const found: Destination[] = [];
  if (variable) found.push({ kind: 'variable', variable });
  if (drive) found.push({ kind: 'logical-drive', drive });
  if (disk !== undefined) {
    const partition = r.int('DestinationPartition', { min: 1, max: 99 });
    if (partition === undefined) {
      r.issues.push(`${r.index.variableName('DestinationDisk')}=${disk} has no ${r.index.variableName('DestinationPartition')}`);
    }
    found.push({ kind: 'disk-partition', disk, partition });
  }
  if (found.length > 1) {
    r.issues.push(`several destinations are set (${found.map((d) => d.kind).join(', ')}); using ${found[0].kind}`);
  }
  return found[0] ?? { kind: 'next-available' };
}

export function writeDestination(d: Destination, w: SlotWriter): void {
  switch (d.kind) {
    case 'variable':
      w.string('DestinationVariable', d.variable);
      break;
    case 'logical-drive':
      w.string('DestinationLogicalDrive', d.drive);
      break;
    case 'disk-partition':
      w.int('DestinationDisk', d.disk);
      w.int('DestinationPartition', d.partition);
      break;
    case 'next-available':
      break;
  }
}

/** MOF fragments `<?6: /target:%6,%7><?8: /target:%8><?9: /target:%%%9%%>` (task-sequence-format §7). */
export function targetArgument(d: Destination): string {
  switch (d.kind) {
    case 'variable':
      return ` /target:%${d.variable}%`;
    case 'logical-drive':
      return ` /target:${d.drive}`;
    case 'disk-partition':
      return ` /target:${d.disk},${d.partition ?? ''}`;
    case 'next-available':
      return '';
  }
}

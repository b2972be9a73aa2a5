/**
 * Runs a volume's operations one after another. Two mtools or ntfs-3g processes editing the same
 * image at once would corrupt it, and callers may well `Promise.all` their writes.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

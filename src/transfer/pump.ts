/**
 * Feeds a stream's chunks to a consumer that may ask to wait. For Node streams this uses 'data'
 * events and pauses only while the consumer's promise is pending — on a multi-gigabyte transfer that
 * is one promise per 1 MiB block instead of one per 64 KiB chunk with for-await. Other async
 * iterables are read with for-await.
 */
import type { Readable } from 'node:stream';

export type ChunkConsumer = (chunk: Uint8Array) => Promise<void> | undefined;

export async function pump(source: NodeJS.ReadableStream | AsyncIterable<Uint8Array | string>, consume: ChunkConsumer): Promise<void> {
  if (!isNodeReadable(source)) {
    for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
      const wait = consume(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      if (wait) await wait;
    }
    return;
  }
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (e?: unknown) => {
      if (settled) return;
      settled = true;
      source.off('data', onData);
      if (e === undefined) resolve();
      else {
        source.destroy();
        reject(e);
      }
    };
    const onData = (chunk: Buffer | string) => {
      if (settled) return;
      try {
        const wait = consume(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
        if (wait) {
          source.pause();
          wait.then(() => !settled && source.resume(), finish);
        }
      } catch (e) {
        finish(e);
      }
    };
    source.on('data', onData);
    source.once('end', () => finish());
    // `on`, not `once`: a stream may emit a second error while it is torn down, and an 'error'
    // event with no listener stops the process.
    source.on('error', finish);
    // A stream destroyed without an error (e.g. a request whose client went away) never ends.
    source.once('close', () => finish(Object.assign(new Error('the stream closed before its end'), { code: 'ECONNRESET' })));
  });
}

function isNodeReadable(s: unknown): s is Readable {
  return typeof (s as Readable)?.on === 'function' && typeof (s as Readable).pause === 'function' && typeof (s as Readable).resume === 'function';
}

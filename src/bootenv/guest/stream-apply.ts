/**
 * A pipable WIM applied as it streams from a distribution point (issue 14 item 1; netboot.md: 65 s
 * streamed natively vs 88 s through Node for a 177 MB image): one native pipeline, no byte through
 * the agent —
 *
 *   busybox wget -q -O - URL | busybox tee HASH.fifo COUNT.fifo | { wimlib-imagex apply - INDEX TARGET; cat >/dev/null; }
 *
 * with `busybox sha256sum < HASH.fifo` and `busybox wc -c < COUNT.fifo` beside it. wimlib exits
 * once it has the image, before the WIM's trailing metadata (netboot.md "What failed": EPIPE); here
 * `cat` drains the rest of the pipe instead, so tee never meets a closed pipe and the whole file is
 * hashed and counted. busybox's applets are used on the host and in the boot environment alike (no
 * curl needed; wget sends no keep-alive: one connection per apply, to the DP's IP URL).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ImageStreamBrokeOffError, type ImageStreamResult, type ImageStreamSource } from '../../actions/computer.js';
import { WimError } from '../../storage/wim.js';

const SCRIPT = `
W="$1"; URL="$2"; IDX="$3"; TARGET="$4"
busybox mkfifo "$W/hash.fifo" "$W/count.fifo" || exit 90
busybox sha256sum < "$W/hash.fifo" > "$W/sha256" &
hp=$!
busybox wc -c < "$W/count.fifo" > "$W/bytes" &
cp=$!
{ busybox wget -q -O - "$URL"; echo $? > "$W/wget.rc"; } \\
  | busybox tee "$W/hash.fifo" "$W/count.fifo" \\
  | { wimlib-imagex apply - "$IDX" "$TARGET" > "$W/wimlib.out" 2>&1; echo $? > "$W/wimlib.rc"; busybox cat > /dev/null; }
wait $hp $cp
exit 0
`;

export interface StreamApplyOptions {
  signal?: AbortSignal;
  /** A folder for the FIFOs and the tools' answers (the agent's work folder on /run/osd). */
  workDir: string;
}

/**
 * Streams `source.url` into `wimlib-imagex apply - index target` (target: an NTFS partition node or
 * image, freshly formatted: NTFS-3G mode). Resolves with the bytes and SHA-256 of the whole stream
 * when wget and wimlib both succeeded; a download that failed or came short is an
 * ImageStreamBrokeOffError; wimlib's failure (with the DP fine) a WimError `apply-failed`.
 */
export async function streamApplyWim(source: ImageStreamSource, index: number, target: string, options: StreamApplyOptions): Promise<ImageStreamResult> {
  options.signal?.throwIfAborted();
  const work = mkdtempSync(join(options.workDir, 'stream-'));
  try {
    const child = spawn('/bin/sh', ['-c', SCRIPT, 'osd-stream', work, source.url, String(index), target], {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
    const onAbort = (): void => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (c) => resolve(c));
    }).finally(() => options.signal?.removeEventListener('abort', onAbort));
    if (options.signal?.aborted) throw options.signal.reason;
    const read = (name: string): string => {
      try {
        return readFileSync(join(work, name), 'utf8').trim();
      } catch {
        return '';
      }
    };
    if (code !== 0) throw new WimError('apply-failed', source.url, `the streaming pipeline for ${source.url} could not run (exit ${code}): ${stderr.trim()}`);
    const wgetRc = read('wget.rc');
    const bytes = Number(read('bytes') || '0');
    const sha256 = read('sha256').split(/\s+/)[0] ?? '';
    const wimlibRc = read('wimlib.rc');
    if (wgetRc !== '0' || bytes !== source.size) {
      throw new ImageStreamBrokeOffError(
        source.url,
        `${source.url}: the distribution point's stream broke off or failed (wget exit ${wgetRc || '?'}, ${bytes} of ${source.size} bytes${stderr.trim() ? `: ${stderr.trim().split('\n').pop()}` : ''})`,
      );
    }
    if (wimlibRc !== '0') {
      const out = read('wimlib.out').split(/\r|\n/).filter(Boolean).slice(-3).join(' ');
      throw new WimError('apply-failed', source.url, `wimlib-imagex apply - ${index} (streamed from ${source.url}) failed (exit ${wimlibRc || '?'}): ${out}`);
    }
    return { bytes, sha256 };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * A pipable WIM applied as it streams from a distribution point (issue 14 item 1; netboot.md: 65 s
 * streamed natively vs 88 s through Node for a 177 MB image): one native pipeline, no byte through
 * the agent —
 *
 *   busybox wget -q -O - URL | streamcheck --report R [--anchor-bytes N --anchor-sha256 H | --sha256] | wimlib-imagex apply - INDEX TARGET
 *
 * `streamcheck` (native/streamcheck.c) moves the bytes in large blocks (pipe to pipe with splice
 * past the anchor) and checks them: with the site's stream anchor, the SHA-256 of the WIM's header,
 * XML and metadata, whose last block it holds back until they match — wimlib then checks every file
 * it extracts against the SHA-1 those verified metadata name (exit 28 when one does not match);
 * without an anchor, the whole stream's SHA-256. wimlib exits once it has the image (netboot.md "What
 * failed", EPIPE), before the WIM's trailing tables and the files of images it does not apply: with
 * a matching anchor streamcheck stops then too, as the bare `wget | wimlib-imagex apply -` does
 * (wimlib checked every file it used); without one it reads and counts the rest for the hash.
 * docs/vm-lab.md has the measurements that chose this over busybox tee into sha256sum and wc -c
 * (13× slower than the bare pipe under emulation).
 * busybox wget sends no keep-alive: one connection per apply, to the DP's IP URL.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ImageStreamBrokeOffError, ImageStreamHashMismatchError, type ImageStreamResult, type ImageStreamSource } from '../../actions/computer.js';
import { WimError } from '../../storage/wim.js';
import { requireNativeHelper } from '../../storage/volume/ntfsfs.js';

const SCRIPT = `
W="$1"; URL="$2"; IDX="$3"; TARGET="$4"; CHECK="$5"; shift 5
{ busybox wget -q -O - "$URL"; echo $? > "$W/wget.rc"; } \\
  | { "$CHECK" --report "$W/check" "$@"; echo $? > "$W/check.rc"; } \\
  | { wimlib-imagex apply - "$IDX" "$TARGET" > "$W/wimlib.out" 2>&1; echo $? > "$W/wimlib.rc"; }
exit 0
`;

/** wimlib-imagex's exit status for WIMLIB_ERR_INVALID_RESOURCE_HASH: a file's data does not match the SHA-1 the metadata names. */
const WIMLIB_INVALID_RESOURCE_HASH = '28';

export interface StreamApplyOptions {
  signal?: AbortSignal;
  /** A folder for the tools' answers (the agent's work folder on /run/osd). */
  workDir: string;
}

/** streamcheck's report: key=value lines. */
function parseReport(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out.set(line.slice(0, eq), line.slice(eq + 1).trim());
  }
  return out;
}

/**
 * Streams `source.url` into `wimlib-imagex apply - index target` (target: an NTFS partition node or
 * image, freshly formatted: NTFS-3G mode). Resolves when wget, the check and wimlib all succeeded
 * and the whole file arrived. Bytes that do not match the anchor, or a file wimlib found corrupt,
 * are an ImageStreamHashMismatchError; a download that failed or came short an
 * ImageStreamBrokeOffError; wimlib's failure (with the DP fine) a WimError `apply-failed`.
 */
export async function streamApplyWim(source: ImageStreamSource, index: number, target: string, options: StreamApplyOptions): Promise<ImageStreamResult> {
  options.signal?.throwIfAborted();
  const check = requireNativeHelper('streamcheck');
  const checkArgs = source.anchor ? ['--anchor-bytes', String(source.anchor.bytes), '--anchor-sha256', source.anchor.sha256.toLowerCase()] : ['--sha256'];
  const work = mkdtempSync(join(options.workDir, 'stream-'));
  try {
    const child = spawn('/bin/sh', ['-c', SCRIPT, 'osd-stream', work, source.url, String(index), target, check, ...checkArgs], {
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
    const checkRc = read('check.rc');
    const report = parseReport(read('check'));
    const bytes = Number(report.get('bytes') ?? '0');
    const wimlibRc = read('wimlib.rc');
    const wimlibOut = (): string => read('wimlib.out').split(/\r|\n/).filter(Boolean).slice(-3).join(' ');
    const anchor = report.get('anchor');
    if (source.anchor && anchor === 'mismatch') {
      throw new ImageStreamHashMismatchError(
        source.url,
        `the image streamed from ${source.url} does not match the site's record: the SHA-256 of its first ${source.anchor.bytes} bytes (header, XML and metadata) is ${report.get('anchor_sha256') ?? '?'}, expected ${source.anchor.sha256}; wimlib was given none of its files`,
      );
    }
    if (wimlibRc === WIMLIB_INVALID_RESOURCE_HASH) {
      throw new ImageStreamHashMismatchError(
        source.url,
        `the image streamed from ${source.url} holds a file whose data does not match the SHA-1 its metadata names (wimlib-imagex: ${wimlibOut()})`,
      );
    }
    // With an anchor, wimlib leaving early ends the stream on purpose (streamcheck stops, wget meets
    // EPIPE): then wimlib's own status decides. A stream that ended while wimlib still read is the DP's.
    const wimlibLeftEarly = Boolean(source.anchor) && anchor === 'ok' && report.get('downstream') === 'closed';
    if (!wimlibLeftEarly && (wgetRc !== '0' || bytes !== source.size || anchor === 'short' || !['0', '3'].includes(checkRc))) {
      throw new ImageStreamBrokeOffError(
        source.url,
        `${source.url}: the distribution point's stream broke off or failed (wget exit ${wgetRc || '?'}, ${bytes} of ${source.size} bytes${
          report.get('error') ? `; ${report.get('error')}` : ''
        }${stderr.trim() ? `: ${stderr.trim().split('\n').pop()}` : ''})`,
      );
    }
    if (wimlibRc !== '0') {
      throw new WimError(
        'apply-failed',
        source.url,
        `wimlib-imagex apply - ${index} (streamed from ${source.url}) failed (exit ${wimlibRc || '?'}): ${wimlibOut()}`,
      );
    }
    if (source.anchor) {
      if (anchor !== 'ok') throw new WimError('apply-failed', source.url, `the stream check of ${source.url} gave no verdict (exit ${checkRc || '?'})`);
      return { bytes, verified: 'anchor' };
    }
    if (checkRc !== '0') throw new WimError('apply-failed', source.url, `the stream check of ${source.url} failed (exit ${checkRc || '?'})`);
    const sha256 = report.get('sha256');
    if (!sha256) throw new WimError('apply-failed', source.url, `the stream check of ${source.url} gave no SHA-256 (exit ${checkRc || '?'})`);
    return { bytes, verified: 'sha256', sha256 };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

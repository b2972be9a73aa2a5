/**
 * WIM files through wimlib-imagex (toolchain.md §3.1): the images a WIM holds, from its XML
 * metadata, and applying one image to a directory or straight into an NTFS partition image
 * (wimlib's NTFS-3G mode, §3.2).
 */
import { mkdir, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { readBytes } from './disk/byte-range.js';
import { codeOfToolOutput, StorageError, WIN32 } from './errors.js';
import { runTool, ToolError } from './tools.js';
import { type OffsetMap, offsetioEnv } from './volume/offsetio.js';

export interface WimImageInfo {
  index: number;
  name: string;
  description?: string;
  displayName?: string;
  architecture?: 'x86' | 'x64' | 'arm64' | 'arm';
  edition?: string;
  installationType?: string;
  productType?: string;
  /** major.minor.build.spbuild */
  version?: string;
  languages?: string[];
  defaultLanguage?: string;
  totalBytes?: number;
  fileCount?: number;
  /** WINDOWS/PRODUCTNAME, e.g. "Microsoft® Windows® Operating System". */
  productName?: string;
  /** WINDOWS/HAL, e.g. acpiapic (older images only). */
  hal?: string;
  /** CREATIONTIME (a FILETIME) as an ISO date. */
  createdAt?: string;
}

export type WimErrorCode = 'not-found' | 'corrupt' | 'no-such-image' | 'apply-failed';

/** The code ConfigMgr's Apply Operating System reports for each (osd-features §6.5). */
const WIM_ERROR_CODES: Record<WimErrorCode, number> = {
  'not-found': WIN32.fileNotFound,
  'no-such-image': WIN32.notFound,
  corrupt: WIN32.fileCorrupt,
  'apply-failed': WIN32.fileCorrupt,
};

const WIM_ERROR_KINDS: Record<WimErrorCode, 'not-found' | 'bad-input' | 'fault'> = {
  'not-found': 'not-found',
  'no-such-image': 'not-found',
  corrupt: 'bad-input',
  'apply-failed': 'fault',
};

/** A WIM that is missing, damaged, lacks the image asked for, or could not be applied; `exitCode` is its Win32 code. */
export class WimError extends StorageError {
  constructor(
    readonly code: WimErrorCode,
    readonly wimPath: string,
    message: string,
    /** wimlib-imagex's exit code (its WIMLIB_ERR_* number), when it ran. */
    readonly toolExitCode?: number,
    /** A code the cause names (a full disk during apply), instead of the usual one for `code`. */
    exitCode?: number,
  ) {
    super(WIM_ERROR_KINDS[code], exitCode ?? WIM_ERROR_CODES[code], message, { input: wimPath });
    this.name = 'WimError';
  }
}

/**
 * Where an image is applied: a directory, or an NTFS partition image — a side image, a partition in
 * place, or (with `map`) the placeholder the offsetio shim maps onto a partition's byte range of a
 * disk image, wimlib then running under the shim (NtfsVolume.applyTarget).
 */
export type WimApplyTarget = { kind: 'directory'; path: string } | { kind: 'ntfs-image'; path: string; map?: OffsetMap };

export interface WimApplyOptions {
  signal?: AbortSignal;
  /** 0…1, from wimlib's "Extracting file data: X of Y (N%) done" lines. */
  onProgress?: (fraction: number) => void;
}

/** WINDOWS/ARCH values (PROCESSOR_ARCHITECTURE_*). */
const ARCHITECTURES: Record<string, WimImageInfo['architecture']> = { '0': 'x86', '5': 'arm', '9': 'x64', '12': 'arm64' };

/** wimlib exit codes (WIMLIB_ERR_*) measured for a damaged or non-WIM file. */
const CORRUPT_EXIT_CODES = new Set([43 /* NOT_A_WIM_FILE */, 65 /* UNEXPECTED_END_OF_FILE */]);
const CORRUPT_MESSAGE = /magic characters|decompress|integrity|unexpected end|XML data|invalid (resource|metadata|lookup|chunk|header)|hash|unknown version/i;
const NO_SUCH_IMAGE_EXIT_CODE = 18; // INVALID_IMAGE
const NTFS_3G_EXIT_CODE = 46; // NTFS_3G

async function requireWimFile(wimPath: string): Promise<void> {
  const s = await stat(wimPath).catch(() => undefined);
  if (!s) throw new WimError('not-found', wimPath, `${wimPath} does not exist: check the OS image package's content (the WIM file's path)`);
  if (!s.isFile()) throw new WimError('corrupt', wimPath, `${wimPath} is not a file, so it cannot be a WIM image`);
}

/** wimlib's own explanation: its "[ERROR] …" lines and the reason after "Exiting with error code N:". */
function wimlibSays(e: ToolError): string {
  return e.output
    .split('\n')
    .map((l) =>
      l
        .trim()
        .replace(/^\[ERROR\]\s*/, '')
        .replace(/\.$/, ''),
    )
    .filter((l) => l && !/^ERROR: Exiting with error code/.test(l))
    .join('; ');
}

function toWimError(e: unknown, wimPath: string, fallback: WimErrorCode, doing: string): unknown {
  if (!(e instanceof ToolError) || e.toolExitCode === null) return e;
  const said = wimlibSays(e);
  const code: WimErrorCode =
    e.toolExitCode === NO_SUCH_IMAGE_EXIT_CODE ? 'no-such-image' : CORRUPT_EXIT_CODES.has(e.toolExitCode) || CORRUPT_MESSAGE.test(said) ? 'corrupt' : fallback;
  const hint =
    code === 'corrupt'
      ? ' The file is damaged or not a WIM: copy it again from the source (wimlib-imagex verify checks it).'
      : e.toolExitCode === NTFS_3G_EXIT_CODE && /File exists/.test(said)
        ? ' wimlib cannot apply over folders that already exist on an NTFS volume (toolchain.md §3.3): format the volume first.'
        : '';
  return new WimError(
    code,
    wimPath,
    `${doing} ${wimPath} failed (wimlib-imagex exit code ${e.toolExitCode}): ${said}.${hint}`,
    e.toolExitCode,
    code === 'apply-failed' ? codeOfToolOutput(said) : undefined,
  );
}

function text(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object') {
    const t = (v as Record<string, unknown>)['#text'];
    return t === undefined ? undefined : String(t);
  }
  const s = String(v).trim();
  return s === '' ? undefined : s;
}

function num(v: unknown): number | undefined {
  const s = text(v);
  if (s === undefined) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

type XmlNode = Record<string, unknown>;

function imageInfo(img: XmlNode): WimImageInfo {
  const windows = (img.WINDOWS ?? {}) as XmlNode;
  const version = (windows.VERSION ?? {}) as XmlNode;
  const langs = (windows.LANGUAGES ?? {}) as XmlNode;
  const major = num(version.MAJOR);
  const info: WimImageInfo = { index: num(img.INDEX) ?? 0, name: text(img.NAME) ?? '' };
  const set = <K extends keyof WimImageInfo>(k: K, v: WimImageInfo[K] | undefined) => {
    if (v !== undefined) info[k] = v;
  };
  set('description', text(img.DESCRIPTION));
  set('displayName', text(img.DISPLAYNAME));
  set('architecture', ARCHITECTURES[text(windows.ARCH) ?? '']);
  set('edition', text(windows.EDITIONID));
  set('installationType', text(windows.INSTALLATIONTYPE));
  set('productType', text(windows.PRODUCTTYPE));
  if (major !== undefined) {
    set('version', [major, num(version.MINOR) ?? 0, num(version.BUILD) ?? 0, num(version.SPBUILD) ?? 0].join('.'));
  }
  const languages = ((langs.LANGUAGE as unknown[] | undefined) ?? []).map(text).filter((l): l is string => l !== undefined);
  if (languages.length) set('languages', languages);
  set('defaultLanguage', text(langs.DEFAULT));
  set('totalBytes', num(img.TOTALBYTES));
  set('fileCount', num(img.FILECOUNT));
  set('productName', text(windows.PRODUCTNAME));
  set('hal', text(windows.HAL));
  set('createdAt', fileTime(img.CREATIONTIME));
  return info;
}

/** FILETIME (100 ns since 1601-01-01, as HIGHPART/LOWPART hex) → ISO date; undefined if absent or unreadable. */
function fileTime(v: unknown): string | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const high = text((v as XmlNode).HIGHPART);
  const low = text((v as XmlNode).LOWPART);
  if (high === undefined || low === undefined) return undefined;
  try {
    const ticks = (BigInt(high) << 32n) | BigInt(low);
    const ms = Number(ticks / 10_000n) - 11_644_473_600_000;
    const d = new Date(ms);
    return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
  } catch {
    return undefined;
  }
}

/** Parses `wimlib-imagex info --xml` output (UTF-16LE with a BOM, toolchain.md §3.1). */
export function parseWimXml(bytes: Buffer): WimImageInfo[] {
  const xml = bytes[0] === 0xff && bytes[1] === 0xfe ? new TextDecoder('utf-16le').decode(bytes.subarray(2)) : bytes.toString('utf8').replace(/^\uFEFF/, '');
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseTagValue: false,
    parseAttributeValue: false,
    isArray: (name) => name === 'IMAGE' || name === 'LANGUAGE',
  });
  const doc = parser.parse(xml) as { WIM?: { IMAGE?: XmlNode[] } };
  return (doc.WIM?.IMAGE ?? []).map(imageInfo).sort((a, b) => a.index - b.index);
}

/** The images in a WIM file, by index. */
export async function readWimImages(wimPath: string): Promise<WimImageInfo[]> {
  await requireWimFile(wimPath);
  let bytes: Buffer;
  try {
    ({ stdoutBytes: bytes = Buffer.alloc(0) } = await runTool('wimlib-imagex', ['info', resolve(wimPath), '--xml']));
  } catch (e) {
    throw toWimError(e, wimPath, 'corrupt', 'reading the image list of');
  }
  try {
    return parseWimXml(bytes);
  } catch (e) {
    throw new WimError('corrupt', wimPath, `${wimPath}: the WIM's XML metadata cannot be read (${(e as Error).message}); the file is damaged`);
  }
}

function describeImages(images: readonly WimImageInfo[]): string {
  return images.length ? images.map((i) => `${i.index} (${i.name || 'no name'})`).join(', ') : 'none';
}

/** Follows wimlib's "\r"-separated progress lines ("Extracting file data: 32 KiB of 2929 KiB (1%) done"). */
function progressParser(onProgress: (fraction: number) => void): (chunk: Buffer) => void {
  let pending = '';
  let last = -1;
  return (chunk) => {
    pending += chunk.toString('utf8');
    const lines = pending.split(/[\r\n]/);
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const m = /Extracting file data: (\d+) \S+ of (\d+) \S+/.exec(line);
      if (!m) continue;
      const total = Number(m[2]);
      const fraction = total > 0 ? Math.min(1, Number(m[1]) / total) : 1;
      if (fraction !== last) {
        last = fraction;
        onProgress(fraction);
      }
    }
  };
}

/**
 * Applies image `index` of a WIM: into a directory (created if missing), or into an NTFS partition
 * image (NtfsVolume.sideImagePath), which must be freshly formatted — wimlib's NTFS mode fails on
 * folders that already exist (toolchain.md §3.3). Cancelling through `signal` stops wimlib and
 * rejects with the signal's reason.
 */
export async function applyWimImage(wimPath: string, index: number, target: WimApplyTarget, options: WimApplyOptions = {}): Promise<void> {
  const { signal, onProgress } = options;
  signal?.throwIfAborted();
  const images = await readWimImages(wimPath);
  if (!Number.isInteger(index) || !images.some((i) => i.index === index)) {
    throw new WimError('no-such-image', wimPath, `${wimPath} has no image ${index}; its images are ${describeImages(images)}`);
  }
  if (target.kind === 'directory') {
    await mkdir(target.path, { recursive: true });
  } else {
    const oem = await (target.map ? readBytes(target.map.diskPath, target.map.offset + 3, 8) : readBytes(target.path, 3, 8)).catch(() => undefined);
    if (oem?.toString('latin1') !== 'NTFS    ') {
      throw new WimError(
        'apply-failed',
        wimPath,
        `cannot apply ${wimPath} to ${target.path}: it is not an NTFS image (format the partition with NtfsVolume.format first)`,
      );
    }
  }
  try {
    // Mapped: the placeholder exactly as the shim's map names it (it is absolute already).
    const to = target.kind === 'ntfs-image' && target.map ? target.map.placeholder : resolve(target.path);
    await runTool('wimlib-imagex', ['apply', resolve(wimPath), String(index), to], {
      ...(target.kind === 'ntfs-image' && target.map ? { env: offsetioEnv(target.map) } : {}),
      signal,
      captureStdout: false,
      ...(onProgress ? { onStdout: progressParser(onProgress) } : {}),
    });
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    throw toWimError(e, wimPath, 'apply-failed', `applying image ${index} of`);
  }
  onProgress?.(1);
}

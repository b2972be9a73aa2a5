/**
 * Content paths: the relative, '/'-separated names of the files of a package. They end up as file
 * names on Windows clients and distribution points, so they follow the strictest rules of both worlds;
 * anything that could climb out of a package folder (absolute paths, drive letters, `..`, backslashes)
 * or that Windows cannot create is refused rather than repaired, so what the admin sees is what lands.
 */
import { ContentPathError } from './errors.js';
import { textProblem } from '../text-rules.js';

export const MAX_CONTENT_PATH = 1024;
export const MAX_SEGMENT = 255;

// Windows device names are reserved with any extension (`CON.txt` opens the console). The digit
// forms include 0 and the superscripts ¹²³, which Windows also treats as device names.
const RESERVED = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])$/i;
const CONTROL = /[\u0000-\u001f\u007f]/;
const FORBIDDEN = /[<>:"|?*]/;
// A lone UTF-16 surrogate cannot be written as UTF-8 (JSON, HTTP, Linux file names).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Checks one content path and returns its normal form (Unicode NFC, so a name typed on macOS and
 * one typed on Windows compare equal). `input` names where the path came from, for the message.
 */
export function validateContentPath(path: string, input: string): string {
  const bad = (rule: string, hint: string): never => {
    throw new ContentPathError(input, path, rule, hint);
  };
  if (typeof path !== 'string' || path.length === 0) bad('is empty', 'name the file relative to the package root, e.g. "sources/install.wim"');
  if (LONE_SURROGATE.test(path)) bad('is not valid Unicode (lone surrogate)', 'rename the file');
  const p = path.normalize('NFC');
  if (p.length > MAX_CONTENT_PATH) bad(`is longer than ${MAX_CONTENT_PATH} characters`, 'use a shallower folder structure or shorter names');
  if (CONTROL.test(p)) bad('contains a control character (NUL, tab, newline…)', 'rename the file without control characters');
  // C1 controls and invisible or direction-changing characters: a right-to-left override makes
  // "txt.exe" show as "exe.txt" in a console (issue 10 §9).
  const odd = textProblem(p, 'name');
  if (odd) bad(odd.rule, 'rename the file with visible characters only');
  if (p.includes('\\')) bad('contains a backslash', 'separate folders with "/" (content paths are always written with forward slashes)');
  if (p.startsWith('/')) bad('is absolute', 'name the file relative to the package root, without a leading "/"');
  if (/^[A-Za-z]:/.test(p)) bad('starts with a drive letter', 'name the file relative to the package root, without "C:"');
  for (const seg of p.split('/')) {
    if (seg === '') bad('has an empty segment ("//" or a trailing "/")', 'remove the doubled or trailing "/"');
    if (seg === '.' || seg === '..') bad(`has a "${seg}" segment`, 'name the file directly; "." and ".." are not allowed in content paths');
    if (seg.length > MAX_SEGMENT) bad(`has a segment longer than ${MAX_SEGMENT} characters`, 'shorten the file or folder name');
    if (FORBIDDEN.test(seg)) bad(`has a character Windows does not allow in file names (one of < > : " | ? *) in "${seg}"`, 'rename the file or folder');
    if (/[. ]$/.test(seg)) bad(`has a segment ending with a dot or a space ("${seg}"), which Windows silently drops`, 'rename the file or folder');
    if (RESERVED.test(seg.split('.')[0].trimEnd()))
      bad(`uses the Windows device name "${seg}"`, 'rename it: CON, PRN, AUX, NUL, COM0-9 and LPT0-9 are reserved on Windows, with any extension');
  }
  return p;
}

/** The key two paths share when Windows would see them as the same file. */
export function caseFoldPath(path: string): string {
  return path.toLowerCase();
}

/**
 * Refuses a set of paths that cannot coexist on a case-insensitive file system: two files differing
 * only by case, or a file whose name is also used as a folder (`a` and `A/b`).
 */
export function checkPathsCoexist(paths: Iterable<string>, input: string): void {
  const files = new Map<string, string>();
  const folders = new Map<string, string>();
  for (const p of paths) {
    const key = caseFoldPath(p);
    const other = files.get(key);
    if (other !== undefined) {
      throw new ContentPathError(
        input,
        p,
        `collides with ${JSON.stringify(other)} (paths differing only by case are the same file on Windows)`,
        'rename one of the two files',
      );
    }
    files.set(key, p);
    const segs = key.split('/');
    for (let i = 1; i < segs.length; i++) {
      const folder = segs.slice(0, i).join('/');
      if (!folders.has(folder)) folders.set(folder, p);
    }
  }
  for (const [key, p] of files) {
    const under = folders.get(key);
    if (under !== undefined) {
      throw new ContentPathError(input, p, `is a file but ${JSON.stringify(under)} uses it as a folder`, 'rename the file or the folder');
    }
  }
}

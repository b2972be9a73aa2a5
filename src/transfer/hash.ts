/**
 * Content identity: blobs are named by their SHA-256 (lowercase hex) and a package's manifest is
 * named by the hash of its canonical JSON, so the same files give the same manifest hash wherever
 * and whenever they were imported (no timestamps, no source paths, a fixed order and key order).
 */
import { createHash } from 'node:crypto';
import { ContentError } from './errors.js';

export interface ContentFile {
  /** Relative, '/'-separated, validated by `validateContentPath`. */
  path: string;
  size: number;
  sha256: string;
}

export interface ContentManifest {
  /** Sorted by path (UTF-16 code unit order, the same in every JavaScript runtime). */
  files: ContentFile[];
  size: number;
  sha256: string;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

export function isSha256(value: unknown): value is string {
  return typeof value === 'string' && SHA256_HEX.test(value);
}

/** Returns `value` if it is a lowercase SHA-256 hex digest, else throws a 400 ContentError naming `input`. */
export function checkSha256(value: string, input: string): string {
  if (!isSha256(value)) {
    throw new ContentError({
      code: 'content-hash-invalid',
      status: 400,
      input,
      rule: `${JSON.stringify(String(value).slice(0, 80))} is not a SHA-256 digest (64 lowercase hex characters)`,
      hint: 'pass the hash as `sha256sum` prints it, in lowercase',
    });
  }
  return value;
}

export function compareContentPaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortContentFiles(files: Iterable<ContentFile>): ContentFile[] {
  return [...files].map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 })).sort((a, b) => compareContentPaths(a.path, b.path));
}

/** SHA-256 of the canonical JSON of the files: sorted by path, keys in the order path, size, sha256. */
export function manifestHash(files: ContentFile[]): string {
  return createHash('sha256')
    .update(JSON.stringify(sortContentFiles(files)))
    .digest('hex');
}

export function makeManifest(files: Iterable<ContentFile>): ContentManifest {
  const sorted = sortContentFiles(files);
  return { files: sorted, size: sorted.reduce((n, f) => n + f.size, 0), sha256: manifestHash(sorted) };
}

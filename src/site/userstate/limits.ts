/**
 * The state migration point's input limits (docs/state-migration-point.md), checked before any
 * work: names of a store's files, their sizes, the storage folders.
 */

/** At most this many storage folders. */
export const MAX_STORAGE_FOLDERS = 32;
/** A storage folder's path, in characters. */
export const MAX_FOLDER_PATH = 1024;

/**
 * A store's id: a random UUID in lower case [I] — the store format's own `storeId` (user-state.md §2.3:
 * the 16 bytes every frame's AAD starts with), so the site, the store's folder name and store.json
 * name a store alike. (ConfigMgr names its store folders with 64 hex characters, §1.2.)
 */
export const STORE_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The only file names a store holds (user-state.md §2.3): its header, its manifest and its packs. */
export const STORE_FILE_PATTERN = /^(?:store\.json|manifest\.osdm|packs\/[0-9]{6}\.osdp)$/;

const MiB = 1024 * 1024;
/** Frames of a file cut into 4 MiB pieces: 40-byte header + 16-byte tag each (user-state.md §2.3). */
const frameOverhead = (bytes: number): number => Math.ceil(bytes / (4 * MiB)) * 56;
/** A pack: at most 256 MiB of frames' plaintext plus their headers and tags (deflate can grow a frame a little: 64 KiB more). */
export const MAX_PACK_BYTES = 256 * MiB + frameOverhead(256 * MiB) + 64 * 1024;
/** The manifest: the same frames, up to 1 GiB (one entry per file: millions of files). */
export const MAX_MANIFEST_BYTES = 1024 * MiB + frameOverhead(1024 * MiB) + 64 * 1024;
/** store.json: a header with one line per pack. */
export const MAX_HEADER_BYTES = 4 * MiB;
/** Files in one store (store.json, manifest.osdm, packs). */
export const MAX_STORE_FILES = 100_000;

export function maxBytesOf(name: string): number {
  if (name === 'store.json') return MAX_HEADER_BYTES;
  if (name === 'manifest.osdm') return MAX_MANIFEST_BYTES;
  return MAX_PACK_BYTES;
}

/** A capture that has not been released after this long is abandoned (user-state.md §2.5: "stale 24h"). */
export const STALE_CAPTURE_MS = 24 * 3600 * 1000;

/** How often `osd server` deletes expired stores and abandons stale captures. */
export const SWEEP_INTERVAL_MS = 5 * 60 * 1000;

/** At most this many stores listed at once. */
export const MAX_LISTED_STORES = 10_000;

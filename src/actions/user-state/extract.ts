/**
 * `osd userstate extract` (user-state.md §2.4 "Recovery"): a store's files onto this computer with
 * the recovery key — what `usmtutils /extract /decrypt /key:` does for a USMT store. Files land
 * under `<out>\<drive>\<path as captured>` (out/C/Users/alice/Documents/a.docx) with their times
 * and read-only attribute; each is checked against its SHA-256; one that fails is reported and
 * not left behind.
 */
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryVolume } from '../../storage/volume/directory.js';
import { UserStateError } from './errors.js';
import type { Manifest, ManifestEntry } from './manifest.js';
import { accountMatches } from './rules.js';
import { HostStoreDir, parseKey, StoreReader } from './store-format.js';
import { createHash } from 'node:crypto';
import { parseTime } from './times.js';

export interface ExtractOptions {
  store: string;
  key?: string;
  out: string;
  users?: string[];
  include?: string[];
  log?: (line: string) => void;
}

export interface ExtractResult {
  files: number;
  bytes: number;
  failed: Array<{ path: string; message: string }>;
}

function globRe(glob: string): RegExp {
  const body = glob
    .replace(/\//g, '\\')
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\\\\\*\*\\\\/g, '\\\\(?:.*\\\\)?')
    .replace(/\*\*/g, '.*')
    .replace(/\*/g, '[^\\\\]*')
    .replace(/\?/g, '[^\\\\]');
  return new RegExp(`(^|\\\\)${body}$`, 's');
}

/** The folder holding store.json: `--store` itself or its USMT sub-folder (OSDStateStorePath). */
export function storeFolder(dir: string): string {
  if (existsSync(join(dir, 'store.json'))) return dir;
  if (existsSync(join(dir, 'USMT', 'store.json'))) return join(dir, 'USMT');
  throw new UserStateError('USERSTATE_NO_STORE', `${dir} holds no store (no store.json there or in its USMT folder)`, { kind: 'bad-input', input: '--store' });
}

export async function extractStore(o: ExtractOptions): Promise<ExtractResult> {
  const folder = storeFolder(o.store);
  const source = new HostStoreDir(folder);
  const header = await StoreReader.header(source);
  const key = header.mode === 'encrypted' ? parseKey(o.key ?? '', '--key') : undefined;
  const reader = await StoreReader.open<Manifest>(source, key);
  await reader.checkPacks();
  const m = reader.manifest;
  const users = new Set(m.users.filter((u) => !o.users?.length || o.users.some((p) => accountMatches(p, u.account, m.source.computerName))).map((u) => u.id));
  const includes = (o.include ?? []).map(globRe);
  const wanted = (e: ManifestEntry): boolean => {
    if (o.users?.length && (!e.user || !users.has(e.user))) return false;
    return !includes.length || includes.some((r) => r.test(e.source.toLowerCase()));
  };
  const out = new DirectoryVolume(o.out);
  const result: ExtractResult = { files: 0, bytes: 0, failed: [] };
  for (const e of m.entries) {
    if (!wanted(e)) continue;
    const path = e.source.replace(/^([A-Za-z]):\\?/, '$1/').replace(/\\/g, '/');
    if (e.type === 'dir') {
      await out.mkdirp(path);
      continue;
    }
    const meta = { modifiedMs: parseTime(e.modifiedUtc), attributes: e.attributes };
    try {
      if (header.mode === 'plain') {
        await out.writeStream(path, createReadStream(join(folder, ...(e.stored ?? '').split('/'))), meta);
      } else {
        const hash = createHash('sha256');
        const frames = reader.readFrames(e.frames ?? [], e.source);
        async function* data(): AsyncGenerator<Buffer> {
          for await (const c of frames) {
            hash.update(c);
            yield c;
          }
          if (hash.digest('hex') !== e.sha256) throw new UserStateError('USERSTATE_INTEGRITY', `${e.source}: SHA-256 differs from the manifest`);
        }
        await out.writeStream(path, data(), meta);
      }
      result.files++;
      result.bytes += e.size;
    } catch (err) {
      await out.remove(path).catch(() => undefined);
      result.failed.push({ path: e.source, message: (err as Error).message });
      o.log?.(`failed: ${e.source}: ${(err as Error).message}`);
    }
  }
  reader.close();
  return result;
}

/**
 * Capture (user-state.md §2.6 "Capture User State" steps 3–5): the profiles of the OS volume, the
 * users chosen (§2.2 users + /ui /ue /uel), the files the rules take, streamed into a store
 * (encrypted: frames into packs; hard-link: links under `<store>\USMT\File\C$\…` and a plain
 * manifest). Files that cannot be read are skipped with their reason, or fail the capture when
 * OSDMigrateContinueOnLockedFiles is false. The store folder is never captured.
 */
import { createHash } from 'node:crypto';
import { DirectoryVolume } from '../../storage/volume/directory.js';
import type { FileMeta, VolumeFiles } from '../computer.js';
import { UserStateError } from './errors.js';
import type { Manifest, ManifestEntry, ManifestSkipped, ManifestUser } from './manifest.js';
import { type VolumeProfile, volumePathOf } from './profiles.js';
import { RuleEngine, selectUsers, systemTokens, userFolders, USER_TOKENS, type SystemToken, type UserSelection, type UserStateRules } from './rules.js';
import { NativeFileError } from './native-store.js';
import type { StoredFile, StoreWriter } from './store-format.js';
import { isoTime } from './times.js';

export interface CaptureOptions {
  volume: VolumeFiles;
  /** The drive the captured OS calls its own ("C:"), whatever letter Windows PE gave it. */
  systemDrive: string;
  profiles: VolumeProfile[];
  rules: UserStateRules;
  /** The rules' users merged with /ui /ue /uel of OSDMigrateAdditionalCaptureOptions. */
  users: UserSelection;
  /** OSDStateStorePath as a Windows path on the captured OS (excluded). */
  storePath?: string;
  continueOnLockedFiles: boolean;
  skipEncryptedFiles: boolean;
  verbose?: boolean;
  log: (message: string, severity?: 'info' | 'warning' | 'error' | 'verbose') => void;
  /** Encrypted (or plain) store writer, or hard links into a folder of the same volume. */
  target: { kind: 'store'; writer: StoreWriter } | { kind: 'hardlink'; folder: string };
  storeId: string;
  source: Omit<Manifest['source'], 'systemDrive'>;
  nowMs?: number;
  signal?: AbortSignal;
}

/** The token a path lies under (the most specific), for the entry's target: `{Documents}` + `a\b.docx`. */
function targetOf(path: string, bases: Array<[string, string]>, systemDrive: string): { base: string; relative: string } {
  const lower = path.toLowerCase();
  let best: [string, string] | undefined;
  for (const [token, folder] of bases) {
    const f = folder.toLowerCase().replace(/\\+$/, '');
    if ((lower === f || lower.startsWith(`${f}\\`)) && (!best || folder.length > best[1].length)) best = [token, folder];
  }
  if (!best) return { base: '{SystemDrive}', relative: path.slice(systemDrive.length).replace(/^\\+/, '') };
  return { base: `{${best[0]}}`, relative: path.slice(best[1].replace(/\\+$/, '').length).replace(/^\\+/, '') };
}

// To the 100 ns (times.ts), not Date#toISOString's millisecond.
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : isoTime(ms));

/** A lower-cased root like ['c:', 'users', 'alice'] as the volume spells it ('Users/alice'), or undefined when absent. */
async function realPath(volume: VolumeFiles, segs: string[]): Promise<string | undefined> {
  let at = '';
  for (const s of segs) {
    const entries = await volume.list(at).catch(() => undefined);
    const hit = entries?.find((e) => e.name.toLowerCase() === s && e.type === 'directory');
    if (!hit) return undefined;
    at = at ? `${at}/${hit.name}` : hit.name;
  }
  return at;
}

export interface CaptureResult {
  manifest: Manifest;
  users: Array<{ account: string; selected: boolean; reason: string }>;
}

export async function captureUserFiles(o: CaptureOptions): Promise<CaptureResult> {
  try {
    return await capture(o);
  } catch (e) {
    if (o.target.kind === 'store') await o.target.writer.abandon();
    throw e;
  }
}

/** Files the native helper has been given and has not answered yet, at most so many. */
const NATIVE_PENDING = 256;

async function capture(o: CaptureOptions): Promise<CaptureResult> {
  const drive = o.systemDrive.toUpperCase();
  const now = o.nowMs ?? Date.now();
  const choice = selectUsers(o.profiles, o.users, { computerName: o.source.computerName, nowMs: now });
  for (const c of choice) o.log(`${c.selected ? 'Capturing' : 'Not capturing'} ${c.profile.account} (${c.profile.sid}): ${c.reason}`);
  const chosen = choice.filter((c) => c.selected).map((c) => c.profile);
  const users: ManifestUser[] = chosen.map((p, i) => {
    const folders = userFolders(p.profilePath, p.shellFolders);
    return {
      id: `u${i + 1}`,
      sid: p.sid,
      account: p.account,
      kind: p.kind,
      profilePath: p.profilePath,
      ...(p.ntuserModifiedMs !== undefined ? { ntuserModifiedUtc: iso(p.ntuserModifiedMs) } : {}),
      knownFolders: folders,
    };
  });
  const sys = systemTokens(drive, { stateStore: o.storePath });
  const engine = new RuleEngine(
    o.rules,
    sys,
    users.map((u) => ({ id: u.id, folders: u.knownFolders as ReturnType<typeof userFolders> })),
  );
  if (o.storePath) engine.excludeAlways(o.storePath);
  // The task sequence's own working folder (logs, state, the local user state folder) [I].
  engine.excludeAlways(`${drive}\\_SMSTaskSequence`);
  if (o.target.kind === 'hardlink') engine.excludeAlways(`${drive}\\${o.target.folder.replace(/\//g, '\\')}`);

  const systemBases: Array<[string, string]> = (Object.entries(sys) as Array<[SystemToken, string[]]>)
    .filter(([t]) => t !== 'FixedDriveRoots' && t !== 'SystemDrive' && t !== 'StateStore')
    .map(([t, v]) => [t, v[0]]);
  const userBases = new Map(users.map((u) => [u.id, USER_TOKENS.map((t) => [t, u.knownFolders[t]] as [string, string])]));

  const entries: ManifestEntry[] = [];
  const skipped: ManifestSkipped[] = [];
  const byFileId = new Map<string, ManifestEntry>();
  let bytes = 0;
  const walked = new Set<string>();

  /** A file in the store (or linked): its entry, its other links found by its file id. */
  const captured = (entry: ManifestEntry, meta: FileMeta, win: string): void => {
    entries.push(entry);
    if (meta.links > 1) byFileId.set(meta.fileId, entry);
    bytes += entry.size;
    if (o.verbose) o.log(`Captured ${win} (${entry.size} bytes) as ${entry.target.base}\\${entry.target.relative}`, 'verbose');
  };
  /** A file that could not be captured: skipped with its reason, or the capture fails. */
  const failed = (win: string, e: unknown): void => {
    const message = (e as Error).message;
    const code = (e as { exitCode?: number }).exitCode;
    if (!o.continueOnLockedFiles) {
      throw new UserStateError('USERSTATE_LOCKED_FILE', `${win} could not be captured (${message}) and OSDMigrateContinueOnLockedFiles is false`, {
        cause: e,
      });
    }
    o.log(`Skipped ${win}: ${message}`, 'warning');
    skipped.push({ source: win, reason: 'locked', ...(code !== undefined ? { code: `0x${(code >>> 0).toString(16).toUpperCase()}` } : {}), message });
  };

  // The native data path (native-store.ts): a folder volume's files into a store on this host (a
  // volume whose reads are not the folder's own — a wrapper, a test's locked file — keeps the Node path).
  const native =
    o.target.kind === 'store' &&
    o.volume instanceof DirectoryVolume &&
    o.volume.openRead === DirectoryVolume.prototype.openRead &&
    o.target.writer.canAddHostFiles()
      ? { writer: o.target.writer, volume: o.volume }
      : undefined;
  const pending: Array<{ fields: Omit<ManifestEntry, 'id'>; meta: FileMeta; win: string; host: string; stored: Promise<StoredFile> }> = [];
  const settleOne = async (): Promise<void> => {
    const p = pending.shift()!;
    let stored: StoredFile;
    try {
      stored = await p.stored;
    } catch (e) {
      failed(p.win, e instanceof NativeFileError ? e.asVolumeError(o.volume.description, p.meta.path, p.host) : e);
      return;
    }
    captured({ id: entries.length + 1, ...p.fields, size: stored.size, sha256: stored.sha256, frames: stored.frames }, p.meta, p.win);
  };
  const settleAll = async (): Promise<void> => {
    while (pending.length) await settleOne();
  };

  for (const root of engine.roots()) {
    if (root[0] !== drive.toLowerCase()) {
      o.log(`${root.join('\\')} is not on ${drive}: only the OS volume is captured in v1`, 'warning');
      continue;
    }
    const rootPath = await realPath(o.volume, root.slice(1));
    if (rootPath === undefined) {
      if (o.verbose) o.log(`${root.join('\\')} does not exist`, 'verbose');
      continue;
    }
    if ([...walked].some((w) => w === '' || rootPath === w || rootPath.startsWith(`${w}/`))) continue;
    walked.add(rootPath);
    const skippedDirs = new Set<string>();
    const emptyCandidates = new Map<string, { meta: import('../computer.js').FileMeta; path: string }>();
    if (rootPath !== '' && engine.canSkipFolder(`${drive}\\${rootPath.replace(/\//g, '\\')}`)) continue;
    for await (const meta of o.volume.walk(rootPath)) {
      if (o.signal?.aborted) throw o.signal.reason ?? new Error('aborted');
      const slash = meta.path.lastIndexOf('/');
      const parent = slash < 0 ? '' : meta.path.slice(0, slash);
      if (skippedDirs.has(parent)) {
        if (meta.type === 'directory') skippedDirs.add(meta.path);
        continue;
      }
      emptyCandidates.delete(parent);
      const win = `${drive}\\${meta.path.replace(/\//g, '\\')}`;
      if (meta.type === 'directory') {
        if (engine.canSkipFolder(win)) skippedDirs.add(meta.path);
        else emptyCandidates.set(meta.path, { meta, path: win });
        continue;
      }
      const d = engine.decide(win);
      if (!d.included) {
        if (o.verbose) o.log(`Excluded ${win}: ${d.reason}`, 'verbose');
        continue;
      }
      if (meta.type === 'other') {
        skipped.push({ source: win, reason: 'reparse', message: 'a reparse point or link: never followed' });
        continue;
      }
      if (o.rules.options.skipHiddenSystemFiles && meta.attributes.includes('hidden') && meta.attributes.includes('system')) {
        skipped.push({ source: win, reason: 'hidden-system' });
        continue;
      }
      if (o.rules.options.maxFileSizeBytes !== null && meta.size > o.rules.options.maxFileSizeBytes) {
        skipped.push({ source: win, reason: 'too-large', message: `${meta.size} bytes > maxFileSizeBytes ${o.rules.options.maxFileSizeBytes}` });
        continue;
      }
      const target = targetOf(win, d.user ? (userBases.get(d.user) ?? []) : systemBases, drive);
      // A file with several hard links is stored once (§2.3): the files before it settled first.
      if (native && meta.links > 1) await settleAll();
      const first = meta.links > 1 ? byFileId.get(meta.fileId) : undefined;
      if (first) {
        (first.alsoAt ??= []).push({ source: win, target });
        continue;
      }
      const fields: Omit<ManifestEntry, 'id'> = {
        ...(d.user ? { user: d.user } : {}),
        component: d.component ?? '',
        type: 'file',
        source: win,
        target,
        size: meta.size,
        ...(meta.createdMs !== undefined ? { createdUtc: iso(meta.createdMs) } : {}),
        modifiedUtc: iso(meta.modifiedMs)!,
        ...(meta.accessedMs !== undefined ? { accessedUtc: iso(meta.accessedMs) } : {}),
        attributes: meta.attributes,
      };
      if (native) {
        // Read, hashed, compressed, encrypted and written by the helper while the walk goes on; the
        // entry is made when it answers, in walk order (ids, errors and logs as on the Node path).
        const host = native.volume.hostPath(meta.path);
        let stored: Promise<StoredFile>;
        try {
          ({ stored } = await native.writer.addHostFile(host));
        } catch (e) {
          await settleAll();
          failed(win, e);
          continue;
        }
        pending.push({ fields, meta, win, host, stored });
        if (meta.links > 1 || pending.length >= NATIVE_PENDING) await (meta.links > 1 ? settleAll() : settleOne());
        continue;
      }
      const entry: ManifestEntry = { id: entries.length + 1, ...fields };
      try {
        if (o.target.kind === 'store') {
          const stream = await o.volume.openRead(meta.path);
          // The file's last frames may still be compressing: the writer's flush (below) completes `frames`.
          const stored = await o.target.writer.addFile(stream, { wait: false });
          entry.size = stored.size;
          entry.sha256 = stored.sha256;
          entry.frames = stored.frames;
        } else {
          entry.stored = `File/${drive[0]}$/${meta.path}`;
          await o.volume.link(meta.path, `${o.target.folder}/${entry.stored}`);
        }
      } catch (e) {
        failed(win, e);
        continue;
      }
      captured(entry, meta, win);
    }
    await settleAll();
    // Folders that were empty on the source, when the rules take what would be in them (§2.3).
    for (const { meta, path } of emptyCandidates.values()) {
      const d = engine.decide(`${path}\\\u0001`);
      if (!d.included) continue;
      entries.push({
        id: entries.length + 1,
        ...(d.user ? { user: d.user } : {}),
        component: d.component ?? '',
        type: 'dir',
        source: path,
        target: targetOf(path, d.user ? (userBases.get(d.user) ?? []) : systemBases, drive),
        size: 0,
        ...(meta.createdMs !== undefined ? { createdUtc: iso(meta.createdMs) } : {}),
        modifiedUtc: iso(meta.modifiedMs)!,
        attributes: meta.attributes,
      });
    }
  }
  if (o.target.kind === 'store') await o.target.writer.flush();
  const rulesText = JSON.stringify(o.rules);
  const manifest: Manifest = {
    format: 'openosd.userstate/v1',
    storeId: o.storeId,
    source: { ...o.source, systemDrive: drive },
    rules: { name: o.rules.metadata.name, sha256: createHash('sha256').update(rulesText).digest('hex'), document: o.rules },
    users,
    entries,
    skipped,
    totals: { users: users.length, files: entries.filter((e) => e.type === 'file').length, bytes, skipped: skipped.length },
  };
  o.log(
    `Captured ${manifest.totals.files} files (${bytes} bytes) of ${users.length} user(s)${skipped.length ? `; ${skipped.length} skipped` : ''} (v1 migrates files only: no registry settings or ACLs)`,
  );
  return { manifest, users: choice.map((c) => ({ account: c.profile.account, selected: c.selected, reason: c.reason })) };
}

export { volumePathOf };

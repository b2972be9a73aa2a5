/**
 * Restore (user-state.md §2.6 "Restore User State" steps 2–7): the users a restore may take (the
 * computer association's accounts, /ui /ue, /md /mu), the local-accounts rule (fail
 * USERSTATE_LOCAL_ACCOUNTS_REQUIRE_PASSWORD unless allowed; then create them), each user's profile
 * on the new OS, then every file written with its times and attributes and checked against its
 * SHA-256 — or, from a hard-link store, linked back. A collision is renamed `Name(1).ext` by
 * default. With OSDMigrateContinueOnRestore an error is recorded and the rest goes on; without it
 * the first one stops the restore. A file that fails is never left half-written.
 */
import { createHash } from 'node:crypto';
import { DirectoryVolume } from '../../storage/volume/directory.js';
import type { VolumeFiles } from '../computer.js';
import { UserStateError } from './errors.js';
import type { Manifest, ManifestEntry, ManifestUser } from './manifest.js';
import { ensureProfile, volumePathOf } from './profiles.js';
import type { OfflineRegistry } from '../os/registry.js';
import { accountMatches, remapAccount, selectUsers, systemTokens, userFolders, type UsmtOptions } from './rules.js';
import type { StoreReader } from './store-format.js';
import { parseTime } from './times.js';

export interface RestoreOptions {
  volume: VolumeFiles;
  /** The new OS's drive as it calls itself ("C:"). */
  systemDrive: string;
  computerName: string;
  manifest: Manifest;
  /** Encrypted store reader, or the hard-link store's USMT folder on `volume`. */
  source: { kind: 'store'; reader: StoreReader<Manifest> } | { kind: 'hardlink'; folder: string };
  registry?: OfflineRegistry;
  /** The computer association's accounts ([] or absent: all). */
  accounts?: string[];
  usmt: Pick<UsmtOptions, 'ui' | 'ue' | 'md' | 'mu' | 'lac' | 'lae'>;
  /** OSDMigrateLocalAccounts and its password. */
  localAccounts: boolean;
  localAccountPassword?: string;
  continueOnRestore: boolean;
  collision: 'rename' | 'sourceWins' | 'destinationWins';
  verbose?: boolean;
  log: (message: string, severity?: 'info' | 'warning' | 'error' | 'verbose') => void;
  signal?: AbortSignal;
}

export interface RestoreResult {
  users: Array<{ account: string; restoredAs?: string; selected: boolean; reason: string }>;
  files: number;
  bytes: number;
  errors: Array<{ path: string; message: string; code: number }>;
  renamed: number;
}

/** `a\b.txt` taken → `a\b(1).txt`, `(2)` … (USMT's default collision rule [D]). */
async function freeName(volume: VolumeFiles, path: string): Promise<string> {
  const slash = path.lastIndexOf('/');
  const dir = path.slice(0, slash + 1);
  const name = path.slice(slash + 1);
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  for (let i = 1; ; i++) {
    const candidate = `${dir}${stem}(${i})${ext}`;
    if (!(await volume.exists(candidate))) return candidate;
  }
}

const ms = (t: string | undefined): number | undefined => (t ? parseTime(t) : undefined);

export async function restoreUserFiles(o: RestoreOptions): Promise<RestoreResult> {
  try {
    return await restore(o);
  } catch (e) {
    // The native helper stopped before the failure is reported: nothing is written after it.
    if (o.source.kind === 'store') await o.source.reader.stopNative();
    throw e;
  }
}

async function restore(o: RestoreOptions): Promise<RestoreResult> {
  const m = o.manifest;
  const drive = o.systemDrive.toUpperCase();
  // 2. Which users: the association's accounts, then /ui /ue (include beats exclude) [D].
  const accounts = o.accounts ?? [];
  const candidates = m.users.map((u) => ({ ...u, folderName: u.profilePath.split('\\').pop() ?? '', user: u }));
  const sel = selectUsers(
    candidates,
    { include: o.usmt.ui, exclude: o.usmt.ue, loggedOnWithinDays: null },
    { computerName: m.source.computerName, nowMs: Date.now() },
  );
  const result: RestoreResult = { users: [], files: 0, bytes: 0, errors: [], renamed: 0 };
  const chosen: Array<{ user: ManifestUser; account: string }> = [];
  for (const s of sel) {
    const u = s.profile.user;
    let selected = s.selected;
    let reason = s.reason;
    if (selected && accounts.length && !accounts.some((a) => accountMatches(a, u.account, m.source.computerName))) {
      selected = false;
      reason = 'not an account the computer association restores';
    }
    // A local account keeps its name on the new computer; a domain account may be remapped (/md /mu).
    const account = u.kind === 'local' ? `${o.computerName}\\${remapAccount(u.account, o.usmt).split('\\').pop()}` : remapAccount(u.account, o.usmt);
    result.users.push({ account: u.account, ...(selected ? { restoredAs: account } : {}), selected, reason });
    o.log(`${selected ? 'Restoring' : 'Not restoring'} ${u.account}${selected && account !== u.account ? ` as ${account}` : ''}: ${reason}`);
    if (selected) chosen.push({ user: u, account });
  }
  // 3. Local accounts need OSDMigrateLocalAccounts (/lac) [D] — checked before anything is written.
  const allowLocal = o.localAccounts || o.usmt.lac !== undefined;
  const password = o.localAccountPassword ?? o.usmt.lac?.password;
  const locals = chosen.filter((c) => c.user.kind === 'local');
  if (locals.length && !allowLocal) {
    throw new UserStateError(
      'USERSTATE_LOCAL_ACCOUNTS_REQUIRE_PASSWORD',
      `the store holds local account(s) ${locals.map((l) => l.user.account).join(', ')}, and local accounts are not restored (OSDMigrateLocalAccounts is not true)`,
      { hint: 'turn on "Restore local computer user profiles" with a password, or exclude the local accounts (/ue:%computername%\\*)' },
    );
  }
  if (locals.length && !password) {
    throw new UserStateError(
      'USERSTATE_INVALID_OPTIONS',
      'OSDMigrateLocalAccounts is true but OSDMigrateLocalAccountPassword is empty: restored local accounts need a password',
    );
  }
  // 4. Profiles on the new OS.
  const folders = new Map<string, ReturnType<typeof userFolders>>();
  for (const c of chosen) {
    const p = await ensureProfile(
      o.volume,
      o.registry,
      { sid: c.user.sid, account: c.account, kind: c.user.kind },
      { systemDrive: drive, password, enable: o.localAccounts || o.usmt.lae === true },
    );
    if (p.accountCreated) o.log(`Created the local account ${c.account} (${o.localAccounts || o.usmt.lae ? 'enabled' : 'disabled'})`);
    if (p.created) o.log(`Created the profile folder ${p.profilePath}${o.registry ? ' and its ProfileList entry' : ''}`);
    folders.set(c.user.id, userFolders(p.profilePath));
  }
  if (o.registry) await o.registry.save();
  const sys = systemTokens(drive);

  const resolve = (e: { user?: string }, target: ManifestEntry['target']): string | undefined => {
    const t = /^\{([A-Za-z0-9]+)\}$/.exec(target.base)?.[1];
    if (!t) return undefined;
    const base = e.user ? (folders.get(e.user) as Record<string, string> | undefined)?.[t] : (sys as Record<string, string[] | undefined>)[t]?.[0];
    if (!base) return undefined;
    const win = target.relative ? `${base.replace(/\\+$/, '')}\\${target.relative}` : base;
    return volumePathOf(win, drive);
  };

  const fail = (path: string, e: unknown): void => {
    const code = (e as { exitCode?: number }).exitCode ?? 0x80004005;
    const message = (e as Error).message;
    result.errors.push({ path, message, code });
    o.log(`Could not restore ${path}: ${message}`, 'error');
    if (!o.continueOnRestore) {
      throw e instanceof UserStateError
        ? e
        : new UserStateError('USERSTATE_RESTORE_FAILED', `${path}: ${message} (OSDMigrateContinueOnRestore is false)`, { cause: e });
    }
  };

  const wanted = (e: ManifestEntry): boolean => !e.user || folders.has(e.user);
  const dirs: Array<{ path: string; e: ManifestEntry }> = [];

  /** A file written: counted, its other hard links made. */
  const written = async (e: ManifestEntry, path: string): Promise<void> => {
    result.files++;
    result.bytes += e.size;
    if (o.verbose) o.log(`Restored ${path} (${e.size} bytes)`, 'verbose');
    for (const other of e.alsoAt ?? []) {
      const p = resolve(e, other.target);
      if (p === undefined || p === path) continue;
      try {
        await o.volume.link(path, p);
      } catch (err) {
        fail(p, err);
      }
    }
  };

  // Small files (one frame) are decoded and checked whole, then written while the next ones are
  // decoded: at most WINDOW writes in flight, settled in manifest order (errors and counts as
  // without the window). Anything else waits for them first.
  const WINDOW = 4;
  // The native helper (native-store.ts) writes new files of a folder volume from a host store:
  // requests go out in manifest order, up to NATIVE_WINDOW ahead, settled in order as above.
  // (A volume whose writes are not the folder's own keeps the Node path.)
  const native =
    o.source.kind === 'store' && o.volume instanceof DirectoryVolume && o.volume.writeStream === DirectoryVolume.prototype.writeStream
      ? o.source.reader.nativeRestore()
      : undefined;
  const NATIVE_WINDOW = 64;
  const inFlight: Array<{ e: ManifestEntry; path: string; done: Promise<void> }> = [];
  const inFlightPaths = new Set<string>();
  const settleOne = async (): Promise<void> => {
    const w = inFlight.shift()!;
    inFlightPaths.delete(w.path);
    try {
      await w.done;
    } catch (err) {
      fail(w.path, err);
      return;
    }
    await written(w.e, w.path);
  };
  const settleAll = async (): Promise<void> => {
    while (inFlight.length) await settleOne();
  };

  /** A file's plaintext, every frame authenticated and the whole checked against the manifest's size and SHA-256. */
  async function* verified(reader: StoreReader<Manifest>, e: ManifestEntry): AsyncGenerator<Buffer> {
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of reader.readFrames(e.frames ?? [], e.source)) {
      hash.update(chunk);
      size += chunk.length;
      yield chunk;
    }
    const got = hash.digest('hex');
    if (size !== e.size || got !== e.sha256)
      throw new UserStateError(
        'USERSTATE_INTEGRITY',
        `${e.source}: restored ${size} bytes with SHA-256 ${got}; the manifest says ${e.size} bytes, ${e.sha256}`,
      );
  }

  for (const e of m.entries) {
    if (o.signal?.aborted) {
      await settleAll().catch(() => undefined);
      throw o.signal.reason ?? new Error('aborted');
    }
    if (!wanted(e)) continue;
    let path = resolve(e, e.target);
    if (path === undefined) {
      await settleAll();
      fail(e.source, new UserStateError('USERSTATE_RESTORE_FAILED', `its target ${e.target.base}\\${e.target.relative} is not on ${drive}`));
      continue;
    }
    if (e.type === 'dir') {
      await o.volume.mkdirp(path);
      dirs.push({ path, e });
      continue;
    }
    const small = o.source.kind === 'store' && ((e.frames?.length ?? 0) <= 1 || native !== undefined);
    // A window write to the same path must land before this one looks for a collision.
    if (!small || inFlightPaths.has(path)) await settleAll();
    const meta = { createdMs: ms(e.createdUtc), modifiedMs: ms(e.modifiedUtc), accessedMs: ms(e.accessedUtc), attributes: e.attributes };
    const existing = await o.volume.stat(path);
    if (existing) {
      if (o.collision === 'destinationWins') {
        o.log(`Kept ${path}: it exists on the new OS (destinationWins)`, 'verbose');
        continue;
      }
      if (o.collision === 'rename') {
        path = await freeName(o.volume, path);
        result.renamed++;
        if (o.verbose) o.log(`${e.source} restored as ${path} (collision)`, 'verbose');
      }
    }
    if (native && !existing) {
      const target = path;
      const done = native
        .write({
          hostPath: (o.volume as DirectoryVolume).hostPath(target),
          size: e.size,
          sha256: e.sha256 ?? '',
          frames: e.frames ?? [],
          accessedMs: meta.accessedMs,
          modifiedMs: meta.modifiedMs,
          readonly: meta.attributes?.includes('readonly') ?? false,
          where: e.source,
        })
        .then(() => undefined);
      done.catch(() => undefined);
      inFlight.push({ e, path: target, done });
      inFlightPaths.add(target);
      if (inFlight.length >= NATIVE_WINDOW) await settleOne();
      continue;
    }
    if (native) await settleAll(); // an existing file replaced (sourceWins): the Node path, after the window
    if (small && o.source.kind === 'store' && (e.frames?.length ?? 0) <= 1) {
      const reader = o.source.reader;
      let data: Buffer[];
      try {
        await reader.prefetch(e.frames ?? []);
        data = [];
        for await (const c of verified(reader, e)) data.push(c);
      } catch (err) {
        await settleAll();
        fail(path, err);
        continue;
      }
      const target = path;
      const bytes = data;
      const done = o.volume
        .writeStream(
          target,
          (async function* () {
            yield* bytes;
          })(),
          meta,
        )
        .catch(async (err: unknown) => {
          await o.volume.remove(target).catch(() => undefined); // never half-restored
          throw err;
        });
      done.catch(() => undefined);
      inFlight.push({ e, path: target, done });
      inFlightPaths.add(target);
      if (inFlight.length >= WINDOW) await settleOne();
      continue;
    }
    try {
      if (o.source.kind === 'hardlink') {
        await o.volume.link(`${o.source.folder}/${e.stored}`, path);
        const st = await o.volume.stat(path);
        if (st?.size !== e.size) throw new UserStateError('USERSTATE_INTEGRITY', `${path} holds ${st?.size} bytes, the manifest says ${e.size}`);
      } else {
        const reader = o.source.reader;
        await reader.prefetch(e.frames ?? []);
        try {
          await o.volume.writeStream(path, verified(reader, e), meta);
        } catch (err) {
          await o.volume.remove(path).catch(() => undefined); // never half-restored
          throw err;
        }
      }
    } catch (err) {
      fail(path, err);
      continue;
    }
    await written(e, path);
  }
  await settleAll();
  if (native && o.source.kind === 'store') await o.source.reader.finishNative();
  // Folder times last: writing into a folder changes its time.
  for (const { path, e } of dirs) await o.volume.setMeta(path, { modifiedMs: ms(e.modifiedUtc), createdMs: ms(e.createdUtc) }).catch(() => undefined);
  o.log(
    `Restored ${result.files} files (${result.bytes} bytes)${result.renamed ? `, ${result.renamed} renamed on collision` : ''}${result.errors.length ? `; ${result.errors.length} error(s)` : ''}`,
  );
  return result;
}

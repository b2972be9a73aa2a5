/**
 * A real process run "in the full OS" of a computer whose OS volume this system cannot mount (the
 * lab's NTFS side image, a DirectoryComputer's folder): the process runs on this host against a
 * STAGING FOLDER that stands for the system drive, and what it leaves there is written into the OS
 * volume after it ends (docs/full-os.md "Processes in the full OS"):
 *
 * 1. `<work>/drive/` stands for `C:\`: `SystemDrive`, `SystemRoot`/`windir`, `ProgramFiles`,
 *    `ProgramFiles(x86)`, `ProgramData`/`ALLUSERSPROFILE`, `PUBLIC`, `TEMP`/`TMP` point into it
 *    (host paths), with `OSD_SYSTEMDRIVE`, `OSD_CONTENT` (the package's files), `OSD_REGISTRY_DROP`
 *    and `COMPUTERNAME`. Files the caller names (`stage`) are copied in from the volume first, with
 *    their times; nothing else of the OS is there (the volume is not mounted).
 * 2. The package's content is copied to `<work>/content/` (the working folder by default, as
 *    ConfigMgr runs a package's program from its downloaded folder); it is not written back.
 * 3. The command runs through `/bin/sh -c` (or an argv, e.g. `pwsh -File`), in its own process
 *    group, with a minimal environment (the host's PATH, LANG, TZ; HOME in the work folder). Its
 *    stdout and stderr reach `onLine` line by line (UTF-8, CR LF or LF), the last 1,000 characters
 *    are kept. A time-out or an abort kills the whole group (SIGKILL).
 * 4. After it ends, every file under `drive/` that is new or changed (size, modification time or
 *    inode against what was staged) is written to the volume with its times (writeStream), new
 *    folders are made, and staged files it deleted are removed from the volume.
 * 4a. Exit code: the process's own (0–255 on this host), or the number it wrote to the file
 *    `OSD_EXIT_CODE_FILE` names (decimal or 0x…), which stands for Windows' 32-bit codes (3010, 0x80070005).
 * 5. Registry: `*.reg` files the process left in `OSD_REGISTRY_DROP` are imported, in name order,
 *    into the OfflineRegistry (`reg import`), HKEY_CURRENT_USER refused (no user is logged on).
 *
 * Limits: no Windows program runs (a `.exe` is refused by the shell as a host program would be);
 * Windows paths in a command line are not rewritten (scripts use the variables above); symbolic
 * links and other special files a process leaves are refused, not copied; a process that outlives
 * its group leader is killed with the group.
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { OsdError } from '../../common/errors.js';
import { utimeSeconds } from '../../storage/volume/times.js';
import type { VolumeFiles } from '../computer.js';
import type { OfflineRegistry } from './registry.js';

/** ERROR_TIMEOUT as an HRESULT (the engine's code for a step that ran out of time). */
export const PROCESS_TIMEOUT = 0x800705b4;
/** E_ABORT: the process was stopped (the run was cancelled). */
export const PROCESS_ABORTED = 0x80004004;
/** ERROR_FILE_NOT_FOUND: the program does not exist. */
export const PROGRAM_NOT_FOUND = 0x80070002;

/** How much output is kept for the result (the Run Command Line output variable takes the last 1,000 characters, §8.12). */
const TAIL = 1000;
/** A single output line longer than this is cut into pieces (a runaway process cannot fill memory). */
const MAX_LINE = 64 * 1024;

export interface FullOsProcessOptions {
  /** The installed OS's volume (the system drive). */
  volume: VolumeFiles;
  /** What the command line is, for `/bin/sh -c`; or `argv` (program and arguments, no shell). */
  command?: string;
  argv?: string[];
  /** The shell for `command` (default /bin/sh). */
  shell?: string;
  /** The system drive's letter, for messages and the working folder ("C:"). */
  systemDrive?: string;
  /** A local folder whose files the command needs (the package's content): copied to the content folder. */
  content?: string;
  /**
   * The working folder: a Windows path on the system drive (`C:\Temp`, `%SystemRoot%`-expanded by the
   * caller) or relative to the content folder; default the content folder (or the drive's root).
   */
  workingDirectory?: string;
  /** Files or folders of the volume to copy into the staging drive first (what the command reads). */
  stage?: string[];
  /** Where the staging folder is made (default the host's temporary folder); it is removed afterwards. */
  workDir?: string;
  /** Kill the process tree after this many milliseconds (0/undefined: none). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Each line the process writes. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Imports the `.reg` files the process dropped (when given). */
  registry?: OfflineRegistry;
  /** More environment variables for the process. */
  env?: Record<string, string>;
  computerName?: string;
}

export interface FullOsProcessResult {
  /** The process's exit code (unsigned), or PROCESS_TIMEOUT / PROCESS_ABORTED / PROGRAM_NOT_FOUND. */
  exitCode: number;
  /** Why it did not exit by itself ("timed out after 5 s", "stopped by SIGTERM"), when so. */
  stopped?: string;
  /** The last 1,000 characters of its output (stdout and stderr, as they came). */
  output: string;
  /** Files written to the volume, `/`-separated, in order. */
  written: string[];
  /** Files removed from the volume (staged files the process deleted). */
  removed: string[];
  /** `.reg` files imported, in order, with the changes each made. */
  registryImports: Array<{ file: string; changes: number }>;
}

/** A fault of the staging (not of the process): names what, with a code. */
export class FullOsProcessError extends OsdError {
  readonly code: number;
  constructor(message: string, code: number) {
    super('fault', { rule: message, exitCode: code }, message);
    this.name = 'FullOsProcessError';
    this.code = code >>> 0;
  }
}

/** Process groups still running, killed if this process exits first (so a crash leaves none behind). */
const live = new Set<number>();
let exitHook = false;
function track(pid: number): void {
  live.add(pid);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const p of live) killGroup(p);
    });
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

interface Staged {
  size: number;
  mtimeMs: number;
  ino: number;
}

/** The staging layout's folders (relative to the drive) that always exist, as on an installed Windows. */
const SKELETON = ['Windows', 'Windows/Temp', 'Windows/System32', 'Program Files', 'Program Files (x86)', 'ProgramData', 'Users/Public'];

/** Runs one process in the full OS of a volume, as the header says. */
export async function runInFullOs(o: FullOsProcessOptions): Promise<FullOsProcessResult> {
  if (!o.command && !o.argv?.length) throw new FullOsProcessError('no command to run', 0x80070057);
  // The host's work folder may not exist yet (an agent's first step that stages anything).
  if (o.workDir) await mkdir(o.workDir, { recursive: true });
  const base = await mkdtemp(join(o.workDir ?? tmpdir(), 'osd-fullos-'));
  try {
    const drive = join(base, 'drive');
    const content = join(base, 'content');
    const drop = join(base, 'registry');
    const home = join(base, 'home');
    for (const d of [drive, content, drop, home]) await mkdir(d, { recursive: true });
    for (const d of SKELETON) await mkdir(join(drive, ...d.split('/')), { recursive: true });

    // 1. What the command needs from the volume, and the package's files.
    for (const p of o.stage ?? []) await stageFromVolume(o.volume, p, drive);
    if (o.content) await copyTree(o.content, content);
    const before = await snapshot(drive);

    const letter = (o.systemDrive ?? 'C:').toUpperCase();
    const cwd = workingFolder(o.workingDirectory, letter, drive, o.content ? content : drive);
    await mkdir(cwd, { recursive: true });
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: home,
      SystemDrive: drive,
      SystemRoot: join(drive, 'Windows'),
      windir: join(drive, 'Windows'),
      ProgramFiles: join(drive, 'Program Files'),
      'ProgramFiles(x86)': join(drive, 'Program Files (x86)'),
      ProgramData: join(drive, 'ProgramData'),
      ALLUSERSPROFILE: join(drive, 'ProgramData'),
      PUBLIC: join(drive, 'Users', 'Public'),
      TEMP: join(drive, 'Windows', 'Temp'),
      TMP: join(drive, 'Windows', 'Temp'),
      OSD_SYSTEMDRIVE: drive,
      OSD_SYSTEMDRIVE_LETTER: letter,
      OSD_CONTENT: content,
      OSD_REGISTRY_DROP: drop,
      ...(o.computerName ? { COMPUTERNAME: o.computerName } : {}),
      ...(process.env.LANG ? { LANG: process.env.LANG } : {}),
      ...(process.env.TZ ? { TZ: process.env.TZ } : {}),
      ...o.env,
    };

    // 2. The process. A POSIX exit status is 8 bits: a Windows code (3010, 0x80070005) is written to OSD_EXIT_CODE_FILE.
    const exitFile = join(base, 'exit-code');
    env.OSD_EXIT_CODE_FILE = exitFile;
    const run = await spawnGroup(o, cwd, env);
    if (!run.stopped) {
      const written = await readFile(exitFile, 'utf8').catch(() => undefined);
      if (written !== undefined) {
        const t = written.trim();
        if (!/^(?:-?\d+|0x[0-9a-f]{1,8})$/i.test(t))
          throw new FullOsProcessError(
            `the process wrote "${t.slice(0, 40)}" to OSD_EXIT_CODE_FILE: an exit code is a decimal or 0x hexadecimal number`,
            0x8007000d,
          );
        run.exitCode = Number(t) >>> 0;
      }
    }
    // 3. What it left: files into the volume, then the registry.
    const { written, removed } = await writeBack(o.volume, drive, before);
    const registryImports: FullOsProcessResult['registryImports'] = [];
    const drops = (await readdir(drop)).filter((f) => /\.reg$/i.test(f)).sort();
    if (drops.length > 0 && !o.registry)
      throw new FullOsProcessError(`the process left registry files (${drops.join(', ')}) but no registry was opened to import them`, 0x80004005);
    for (const f of drops) {
      const changes = await o.registry!.import(await readFile(join(drop, f)), `${f} (left by the process in OSD_REGISTRY_DROP)`);
      registryImports.push({ file: f, changes });
    }
    return { ...run, written, removed, registryImports };
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

/** `C:\Temp` → `<drive>/Temp`; a relative path → below the default; another drive is refused. */
function workingFolder(w: string | undefined, letter: string, drive: string, dflt: string): string {
  if (!w || w.trim() === '') return dflt;
  const t = w.trim().replace(/[\\/]+$/, '');
  const m = /^([A-Za-z]:)(?:[\\/](.*))?$/.exec(t);
  let path: string;
  if (m) {
    if (m[1].toUpperCase() !== letter)
      throw new FullOsProcessError(
        `the working folder ${w} is not on the system drive ${letter} (only the OS volume is there in the full OS here)`,
        0x80070003,
      );
    path = resolve(drive, ...(m[2] ?? '').split(/[\\/]+/).filter(Boolean));
    if (path !== drive && !path.startsWith(drive + sep)) throw new FullOsProcessError(`the working folder ${w} leaves the drive`, 0x80070003);
  } else if (/^[\\/]/.test(t) || t.includes(':')) {
    throw new FullOsProcessError(`the working folder ${w} is neither a path on ${letter} nor a folder of the package`, 0x80070003);
  } else {
    path = resolve(dflt, ...t.split(/[\\/]+/).filter(Boolean));
    if (path !== dflt && !path.startsWith(dflt + sep)) throw new FullOsProcessError(`the working folder ${w} leaves the package's folder`, 0x80070003);
  }
  return path;
}

function spawnGroup(o: FullOsProcessOptions, cwd: string, env: Record<string, string>): Promise<Pick<FullOsProcessResult, 'exitCode' | 'stopped' | 'output'>> {
  const [file, ...args] = o.argv?.length ? o.argv : [o.shell ?? '/bin/sh', '-c', o.command!];
  return new Promise((done) => {
    let tail = '';
    let stopped: string | undefined;
    let code: number | undefined;
    const child = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    if (child.pid) track(child.pid);
    const lines = (stream: 'stdout' | 'stderr') => {
      let pending = '';
      return {
        data: (b: Buffer): void => {
          const s = b.toString('utf8');
          tail = (tail + s).slice(-TAIL);
          pending += s;
          let i: number;
          while ((i = pending.indexOf('\n')) >= 0) {
            o.onLine?.(pending.slice(0, i).replace(/\r$/, ''), stream);
            pending = pending.slice(i + 1);
          }
          while (pending.length > MAX_LINE) {
            o.onLine?.(pending.slice(0, MAX_LINE), stream);
            pending = pending.slice(MAX_LINE);
          }
        },
        end: (): void => {
          if (pending !== '') o.onLine?.(pending.replace(/\r$/, ''), stream);
          pending = '';
        },
      };
    };
    const out = lines('stdout');
    const err = lines('stderr');
    child.stdout.on('data', out.data);
    child.stderr.on('data', err.data);
    const stop = (why: string, exitCode: number): void => {
      if (stopped) return;
      stopped = why;
      code = exitCode;
      if (child.pid) killGroup(child.pid);
    };
    const onAbort = (): void => stop('stopped: the step was cancelled', PROCESS_ABORTED);
    o.signal?.addEventListener('abort', onAbort, { once: true });
    if (o.signal?.aborted) onAbort();
    const timer =
      o.timeoutMs && o.timeoutMs > 0
        ? setTimeout(() => stop(`timed out after ${o.timeoutMs! / 1000} s: the process and its children were killed`, PROCESS_TIMEOUT), o.timeoutMs)
        : undefined;
    let failedToStart: Error | undefined;
    child.on('error', (e) => {
      failedToStart = e;
    });
    child.on('close', (exit, signal) => {
      if (timer) clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      if (child.pid) {
        // Whatever the leader left running in its group goes with it.
        killGroup(child.pid);
        live.delete(child.pid);
      }
      out.end();
      err.end();
      if (failedToStart) {
        const missing = (failedToStart as NodeJS.ErrnoException).code === 'ENOENT';
        done({ exitCode: missing ? PROGRAM_NOT_FOUND : 0x80004005, stopped: `cannot start ${file}: ${failedToStart.message}`, output: tail });
      } else if (stopped) done({ exitCode: code!, stopped, output: tail });
      else if (signal) done({ exitCode: PROCESS_ABORTED, stopped: `the process was ended by ${signal}`, output: tail });
      else done({ exitCode: (exit ?? 0) >>> 0, output: tail });
    });
  });
}

async function snapshot(root: string): Promise<Map<string, Staged>> {
  const out = new Map<string, Staged>();
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      const s = await lstat(p);
      if (s.isDirectory()) await walk(p);
      else if (s.isFile()) out.set(relative(root, p).split(sep).join('/'), { size: s.size, mtimeMs: s.mtimeMs, ino: s.ino });
    }
  };
  await walk(root);
  return out;
}

/** Copies a volume file or folder into the staging drive, with its modification and access times. */
async function stageFromVolume(volume: VolumeFiles, path: string, drive: string): Promise<void> {
  const rel = path.replace(/\\/g, '/').replace(/^\/+|\/+$/g, '');
  const meta = await volume.stat(rel);
  if (!meta) return;
  const put = async (p: string, m: { modifiedMs: number; accessedMs?: number }): Promise<void> => {
    const dest = join(drive, ...p.split('/'));
    await mkdir(join(dest, '..'), { recursive: true });
    await pipeline(await volume.openRead(p), createWriteStream(dest));
    await utimes(dest, utimeSeconds(m.accessedMs ?? m.modifiedMs), utimeSeconds(m.modifiedMs));
  };
  if (meta.type === 'file') return put(rel, meta);
  if (meta.type !== 'directory') return;
  await mkdir(join(drive, ...rel.split('/')), { recursive: true });
  for await (const m of volume.walk(rel)) {
    if (m.type === 'directory') await mkdir(join(drive, ...m.path.split('/')), { recursive: true });
    else if (m.type === 'file') await put(m.path, m);
  }
}

async function copyTree(from: string, to: string): Promise<void> {
  for (const e of await readdir(from, { withFileTypes: true })) {
    const s = join(from, e.name);
    const d = join(to, e.name);
    if (e.isDirectory()) {
      await mkdir(d, { recursive: true });
      await copyTree(s, d);
    } else if (e.isFile()) {
      await pipeline(createReadStream(s), createWriteStream(d));
      const st = await lstat(s);
      await utimes(d, st.atime, st.mtime);
    }
  }
}

/** Writes what the process created or changed under the staging drive into the volume. */
async function writeBack(volume: VolumeFiles, drive: string, before: Map<string, Staged>): Promise<{ written: string[]; removed: string[] }> {
  const written: string[] = [];
  const seen = new Set<string>();
  const skeleton = new Set(SKELETON.flatMap((d) => d.split('/').map((_, i, a) => a.slice(0, i + 1).join('/'))));
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(dir, e.name);
      const rel = relative(drive, p).split(sep).join('/');
      const s = await lstat(p);
      if (s.isDirectory()) {
        if (!skeleton.has(rel) && !(await volume.stat(rel))) await volume.mkdirp(rel);
        await walk(p);
      } else if (s.isFile()) {
        seen.add(rel);
        const b = before.get(rel);
        if (b && b.size === s.size && b.mtimeMs === s.mtimeMs && b.ino === s.ino) continue;
        await volume.writeStream(rel, createReadStream(p), { createdMs: s.birthtimeMs || s.mtimeMs, modifiedMs: s.mtimeMs, accessedMs: s.atimeMs });
        written.push(rel);
      } else {
        throw new FullOsProcessError(
          `the process left ${rel}, which is not a file or a folder (a link or a device): not written to ${volume.description}`,
          0x80070057,
        );
      }
    }
  };
  await walk(drive);
  const removed: string[] = [];
  for (const rel of before.keys())
    if (!seen.has(rel)) {
      await volume.remove(rel);
      removed.push(rel);
    }
  return { written, removed };
}

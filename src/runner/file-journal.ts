/**
 * The engine's journal on disk: one JSON file, replaced atomically (write a temporary file, fsync,
 * rename, fsync the folder), so a crash or kill -9 at any moment leaves either the old or the new
 * state, never a torn one (engine-semantics §7).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { JournalState, JournalStore } from '../engine/ports.js';
import { InputError } from '../sequence/input-error.js';

export class FileJournal implements JournalStore {
  writes = 0;
  /** Time spent in save(), milliseconds (reported by the benchmark). */
  writeMs = 0;

  constructor(
    readonly path: string,
    private readonly options: { fsync?: boolean } = {},
  ) {
    mkdirSync(dirname(path), { recursive: true });
  }

  async load(): Promise<JournalState | undefined> {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    try {
      const state = JSON.parse(text) as JournalState;
      if (state.format !== 'openosd.journal/v1') throw new Error(`unknown format ${String(state.format)}`);
      return state;
    } catch (e) {
      throw new InputError({
        input: this.path,
        rule: `the task sequence journal is not readable: ${(e as Error).message}`,
        hint: 'remove the state folder to start the task sequence afresh',
      });
    }
  }

  async save(state: JournalState): Promise<void> {
    const started = performance.now();
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify(state));
      if (this.options.fsync !== false) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    if (this.options.fsync !== false) {
      const dir = openSync(dirname(this.path), 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    }
    this.writes++;
    this.writeMs += performance.now() - started;
    // Fault injection for the crash tests: die right after the n-th durable write, like a power cut.
    if (process.env.OSD_FAULT_KILL_AFTER_JOURNAL_WRITE === String(this.writes)) process.kill(process.pid, 'SIGKILL');
  }
}

export function journalPath(stateDir: string): string {
  return join(stateDir, 'journal.json');
}

/** A journal kept in memory (simulator, tests). Saves are deep copies, as a file would be. */
import type { JournalState, JournalStore } from './ports.js';

export class MemoryJournal implements JournalStore {
  private state: string | undefined;
  saves = 0;

  async load(): Promise<JournalState | undefined> {
    return this.state === undefined ? undefined : (JSON.parse(this.state) as JournalState);
  }

  async save(state: JournalState): Promise<void> {
    this.state = JSON.stringify(state);
    this.saves++;
  }
}

/**
 * Status messages on their way to the site. Each message is written to its own file in `outbox/`
 * and fsync'd before `put` returns — the engine goes on only once its event would survive a power
 * cut — and the file is deleted only after the site acknowledged the batch holding it (the MP
 * answers only once the batch is committed). A message whose answer was lost is sent again; its id
 * makes the repeat harmless (the site counts it as a duplicate). Sending happens in the background
 * (`kick`), in file order, in batches of at most 500 messages and 1 MiB; while the site cannot be
 * reached the files wait, and the next send (this process's, or the next agent's after a restart)
 * delivers them.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncDirSync } from './fsync-dir.js';
import { AgentError } from './errors.js';
import type { StatusAnswer, StatusMessage } from './protocol.js';
import { writeFileDurable } from './state.js';

export const MAX_BATCH_MESSAGES = 500;
export const MAX_BATCH_BYTES = 1 << 20;

export interface StatusSender {
  sendStatus(messages: StatusMessage[], retryForMs?: number): Promise<StatusAnswer>;
}

export interface OutboxOptions {
  /** Told about a batch the site refused (4xx other than 401/429): it is moved to `outbox/rejected/`, never sent again. */
  onRejected?: (messages: StatusMessage[], error: AgentError) => void;
  /** Told when a background send stopped on an unreachable site (the messages stay). */
  onDeferred?: (pending: number, error: unknown) => void;
}

export interface FlushResult {
  sent: number;
  duplicates: number;
  rejected: number;
  pending: number;
}

export class Outbox {
  private sequence: number;
  private sending: Promise<FlushResult> | undefined;
  private again = false;

  constructor(
    readonly dir: string,
    private readonly options: OutboxOptions = {},
  ) {
    mkdirSync(dir, { recursive: true });
    // File names start with a counter so the order of sending is the order of events, across restarts.
    const last = this.files().at(-1);
    this.sequence = last ? Number.parseInt(last.slice(0, 12), 10) : 0;
  }

  /** Writes the message durably; returns once it is on the disk. */
  put(message: StatusMessage): void {
    this.sequence++;
    const name = `${String(this.sequence).padStart(12, '0')}-${message.id}.json`;
    writeFileDurable(join(this.dir, name), JSON.stringify(message), 0o600);
  }

  /** Messages not yet acknowledged, oldest first. */
  pending(): StatusMessage[] {
    return this.files().map((f) => this.load(f));
  }

  count(): number {
    return this.files().length;
  }

  /** Starts sending in the background (one send at a time; a kick during a send sends again after it). */
  kick(client: StatusSender, retryForMs = 0): void {
    if (this.sending) {
      this.again = true;
      return;
    }
    this.sending = this.flush(client, retryForMs)
      .catch((e: unknown) => {
        this.options.onDeferred?.(this.count(), e);
        return { sent: 0, duplicates: 0, rejected: 0, pending: this.count() };
      })
      .finally(() => {
        this.sending = undefined;
        if (this.again) {
          this.again = false;
          this.kick(client, retryForMs);
        }
      });
  }

  /** Waits for a background send, then sends what is left, trying an unreachable site for `retryForMs`. */
  async drain(client: StatusSender, retryForMs: number): Promise<FlushResult> {
    while (this.sending) {
      this.again = false;
      await this.sending;
    }
    return this.flush(client, retryForMs);
  }

  /**
   * Sends every pending message, batch by batch; a batch's files are deleted once acknowledged.
   * Throws (leaving the rest) when the site cannot be reached within `retryForMs`.
   */
  async flush(client: StatusSender, retryForMs = 0): Promise<FlushResult> {
    const result: FlushResult = { sent: 0, duplicates: 0, rejected: 0, pending: 0 };
    for (;;) {
      const batch = this.nextBatch();
      if (batch.length === 0) break;
      const messages = batch.map((b) => b.message);
      try {
        const answer = await client.sendStatus(messages, retryForMs);
        result.sent += answer.stored;
        result.duplicates += answer.duplicates;
        for (const b of batch) rmSync(join(this.dir, b.file), { force: true });
        fsyncDirSync(this.dir);
      } catch (e) {
        if (e instanceof AgentError && e.status >= 400 && e.status < 500 && e.status !== 401 && e.status !== 429 && e.status !== 408) {
          this.reject(batch.map((b) => b.file));
          result.rejected += batch.length;
          this.options.onRejected?.(messages, e);
          continue;
        }
        throw e;
      }
    }
    result.pending = this.count();
    return result;
  }

  private nextBatch(): Array<{ file: string; message: StatusMessage }> {
    const out: Array<{ file: string; message: StatusMessage }> = [];
    let bytes = 16;
    for (const file of this.files()) {
      const text = readFileSync(join(this.dir, file), 'utf8');
      if (out.length > 0 && (out.length >= MAX_BATCH_MESSAGES || bytes + text.length + 1 > MAX_BATCH_BYTES)) break;
      bytes += Buffer.byteLength(text) + 1;
      out.push({ file, message: JSON.parse(text) as StatusMessage });
    }
    return out;
  }

  private reject(files: string[]): void {
    const dir = join(this.dir, 'rejected');
    mkdirSync(dir, { recursive: true });
    for (const f of files) renameSync(join(this.dir, f), join(dir, f));
    fsyncDirSync(this.dir);
  }

  private load(file: string): StatusMessage {
    return JSON.parse(readFileSync(join(this.dir, file), 'utf8')) as StatusMessage;
  }

  private files(): string[] {
    return readdirSync(this.dir)
      .filter((f) => /^\d{12}-[^/]+\.json$/.test(f))
      .sort();
  }
}

/**
 * smsts.log on disk in CMTrace format, rolled over to `smsts-YYYYMMDD-HHMMSS.log` (the log's own
 * local time, as its entries) when it grows past the maximum size, keeping a bounded number of
 * history files (engine-semantics §11, osd-features §6.1 [I]). One folder for the whole run: the
 * folder Windows would use in each phase is `_SMSTSLogPath` (docs/smsts-log.md).
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { CmTraceOptions } from '../engine/log/cmtrace.js';
import { formatCmTrace } from '../engine/log/cmtrace.js';
import type { LogEntry, LogSink } from '../engine/ports.js';

const HISTORY = /^smsts-\d{8}-\d{6}(-\d+)?\.log$/;

export interface SmstsLogOptions extends CmTraceOptions {
  /** Roll over when the log exceeds this many bytes (ConfigMgr's default client log size is 1 MB … we use 5 MiB). */
  maxBytes?: number;
  /** History files to keep. */
  maxHistory?: number;
}

export class SmstsLog implements LogSink {
  readonly path: string;
  private size: number;

  constructor(
    readonly dir: string,
    private readonly options: SmstsLogOptions = {},
  ) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, 'smsts.log');
    this.size = existsSync(this.path) ? statSync(this.path).size : 0;
  }

  write(entry: LogEntry): void {
    const line = formatCmTrace(entry, this.options);
    const bytes = Buffer.byteLength(line);
    if (this.size > 0 && this.size + bytes > (this.options.maxBytes ?? 5 * 1024 * 1024)) this.rollOver(entry.time);
    appendFileSync(this.path, line);
    this.size += bytes;
  }

  /** The log's files, oldest first, smsts.log last: what to upload (issue 12 item 1). */
  files(): string[] {
    const history = readdirSync(this.dir)
      .filter((f) => HISTORY.test(f))
      .sort();
    return [...history.map((f) => join(this.dir, f)), ...(existsSync(this.path) ? [this.path] : [])];
  }

  private rollOver(at: Date): void {
    const offset = this.options.utcOffsetMinutes ?? -at.getTimezoneOffset();
    const stamp = new Date(at.getTime() + offset * 60_000).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    let target = join(this.dir, `smsts-${stamp}.log`);
    for (let n = 2; existsSync(target); n++) target = join(this.dir, `smsts-${stamp}-${n}.log`);
    renameSync(this.path, target);
    this.size = 0;
    const history = readdirSync(this.dir)
      .filter((f) => HISTORY.test(f))
      .sort();
    const keep = this.options.maxHistory ?? 5;
    for (const old of history.slice(0, Math.max(0, history.length - keep))) unlinkSync(join(this.dir, old));
  }
}

/**
 * smsts.log entries in CMTrace format, so CMTrace and OneTrace open our logs (engine-semantics §11):
 *
 *   <![LOG[message]LOG]!><time="HH:mm:ss.fff+BIAS" date="MM-dd-yyyy" component="TSManager" context="" type="1" thread="2000" file="engine.ts:120">
 *
 * bias = UTC − local in minutes with an explicit sign (UTC+1 → -60, UTC → +0). Lines end in CRLF.
 */
import type { LogEntry, LogSeverity } from '../ports.js';

const TYPE: Record<LogSeverity, number> = { verbose: 0, info: 1, warning: 2, error: 3 };
const SEVERITY: Record<string, LogSeverity> = { '0': 'verbose', '1': 'info', '2': 'warning', '3': 'error' };

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

export interface CmTraceOptions {
  /** Minutes east of UTC of the local clock (e.g. 60 for UTC+1); defaults to the host's. */
  utcOffsetMinutes?: number;
  thread?: number;
}

export function formatCmTrace(entry: LogEntry, options: CmTraceOptions = {}): string {
  const offset = options.utcOffsetMinutes ?? -entry.time.getTimezoneOffset();
  const local = new Date(entry.time.getTime() + offset * 60_000);
  const bias = -offset;
  const time = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}.${pad(local.getUTCMilliseconds(), 3)}${bias < 0 ? '-' : '+'}${Math.abs(bias)}`;
  const date = `${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}-${local.getUTCFullYear()}`;
  // "]LOG]!>" inside a message would end the entry early: break it up.
  const message = entry.message.replace(/\]LOG\]!>/g, '] LOG]!>').replace(/\r?\n/g, '\r\n');
  return `<![LOG[${message}]LOG]!><time="${time}" date="${date}" component="${entry.component}" context="" type="${TYPE[entry.severity]}" thread="${options.thread ?? process.pid}" file="${entry.file ?? ''}">\r\n`;
}

export interface ParsedCmTraceEntry {
  message: string;
  time: string;
  date: string;
  component: string;
  severity: LogSeverity;
  thread: number;
  file: string;
  /** The instant the entry was written (UTC), from time, date and bias. */
  instant: Date;
}

const ENTRY =
  /<!\[LOG\[([\s\S]*?)\]LOG\]!><time="(\d\d):(\d\d):(\d\d)\.(\d{3})([+-]\d+)" date="(\d\d)-(\d\d)-(\d{4})" component="([^"]*)" context="[^"]*" type="(\d)" thread="(\d+)" file="([^"]*)">\r?\n?/g;

/** Parses a CMTrace log (ours or ConfigMgr's) into entries. */
export function parseCmTrace(text: string): ParsedCmTraceEntry[] {
  const out: ParsedCmTraceEntry[] = [];
  for (const m of text.matchAll(ENTRY)) {
    const [, message, hh, mm, ss, ms, bias, mo, dd, yyyy, component, type, thread, file] = m;
    const localMs = Date.UTC(Number(yyyy), Number(mo) - 1, Number(dd), Number(hh), Number(mm), Number(ss), Number(ms));
    out.push({
      message: message.replace(/\r\n/g, '\n'),
      time: `${hh}:${mm}:${ss}.${ms}${bias}`,
      date: `${mo}-${dd}-${yyyy}`,
      component,
      severity: SEVERITY[type] ?? 'info',
      thread: Number(thread),
      file,
      instant: new Date(localMs + Number(bias) * 60_000),
    });
  }
  return out;
}

/**
 * smsts.log lines as CMTrace reads them (osd-features §6.2; the site's writer is
 * src/engine/log/cmtrace.ts — the console imports nothing from src/, so this is the reader's own copy):
 *
 *   <![LOG[message]LOG]!><time="HH:MM:SS.mmm+BIAS" date="MM-DD-YYYY" component="TSManager" context="" type="1" thread="5532" file="tsmanager.cpp:1009">
 *
 * type 1 = information, 2 = warning, 3 = error (0 = verbose). The bias is UTC − local in minutes.
 * A message may span lines. Text that is not an entry (a log another tool wrote) is kept line by
 * line, so nothing the computer uploaded is hidden; as in CMTrace, such a line is red when it says
 * "error" or "fail" and yellow when it says "warn".
 */

export type Severity = 'verbose' | 'info' | 'warning' | 'error';

export interface LogLine {
  /** 1-based, in the file's order. */
  n: number;
  message: string;
  component: string;
  /** As written: "17:05:40.744+0" (time) and "12-07-2026" (date). */
  time: string;
  date: string;
  /** The instant (UTC), when the time and date parse. */
  instant?: Date;
  severity: Severity;
  thread: string;
  file: string;
}

const SEVERITY: Record<string, Severity> = { '0': 'verbose', '1': 'info', '2': 'warning', '3': 'error' };

const ENTRY = /<!\[LOG\[([\s\S]*?)\]LOG\]!><([^>]*)>/g;
const ATTRIBUTE = /(\w+)="([^"]*)"/g;

function instantOf(time: string, date: string): Date | undefined {
  const t = /^(\d\d):(\d\d):(\d\d)(?:\.(\d{1,3}))?([+-]\d+)?$/.exec(time);
  const d = /^(\d\d)-(\d\d)-(\d{4})$/.exec(date);
  if (!t || !d) return undefined;
  const local = Date.UTC(Number(d[3]), Number(d[1]) - 1, Number(d[2]), Number(t[1]), Number(t[2]), Number(t[3]), Number((t[4] ?? '0').padEnd(3, '0')));
  return new Date(local + Number(t[5] ?? 0) * 60_000);
}

export function parseLog(text: string): LogLine[] {
  const out: LogLine[] = [];
  let last = 0;
  const plain = (chunk: string) => {
    for (const l of chunk.split(/\r?\n/)) {
      if (!l.trim()) continue;
      // As CMTrace highlights a plain text file: a line with "error" or "fail" red, with "warn" yellow.
      const severity: Severity = /error|fail/i.test(l) ? 'error' : /warn/i.test(l) ? 'warning' : 'info';
      out.push({ n: out.length + 1, message: l, component: '', time: '', date: '', severity, thread: '', file: '' });
    }
  };
  for (const m of text.matchAll(ENTRY)) {
    if (m.index! > last) plain(text.slice(last, m.index));
    last = m.index! + m[0].length;
    const attrs: Record<string, string> = {};
    for (const a of m[2]!.matchAll(ATTRIBUTE)) attrs[a[1]!] = a[2]!;
    const time = attrs.time ?? '';
    const date = attrs.date ?? '';
    out.push({
      n: out.length + 1,
      message: m[1]!.replace(/\r\n/g, '\n'),
      component: attrs.component ?? '',
      time,
      date,
      instant: instantOf(time, date),
      severity: SEVERITY[attrs.type ?? '1'] ?? 'info',
      thread: attrs.thread ?? '',
      file: attrs.file ?? '',
    });
  }
  if (last < text.length) plain(text.slice(last));
  return out;
}

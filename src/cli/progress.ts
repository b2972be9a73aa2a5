/**
 * Progress of long work (uploads, downloads, distribution, a lab machine's run), always on stderr so
 * stdout keeps the result alone:
 *
 * - on a terminal, one bar redrawn in place: label, bar, percent, done/total, rate and time left;
 * - otherwise (logs, CI, a pipe), plain lines: one at 25, 50, 75 and 100 %, and one every few
 *   seconds in between while the work is slow (or when its total is unknown);
 * - with `quiet` (a command's `--json`), nothing at all.
 *
 * ```ts
 * import { startProgress } from '../cli/progress.js';
 * const p = startProgress({ label: 'downloading install.wim', total: size, unit: 'bytes', quiet: o.json });
 * stream.on('data', (c) => p.add(c.length));
 * ...
 * p.done();        // or p.fail() when the work stopped early: the bar is closed, no 100 % line
 * ```
 *
 * The helper only draws: it never reads a stream or a clock of its own besides `now`, so tests give
 * it a fake stream and clock.
 */
import { showable } from './output.js';

/** Where progress is drawn: process.stderr, or a test's stand-in. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** What is being done, e.g. `uploading install.wim`. */
  label: string;
  /** The amount of work (bytes or items); unknown: no percent or time left, only what is done and the rate. */
  total?: number;
  /** `bytes` (shown in KiB/MiB/GiB with a rate per second) or `items` (counted, e.g. `3 of 8 copies`). */
  unit?: 'bytes' | 'items';
  /** The noun for items (`copies`, `files`); default `items`. */
  items?: string;
  /** Nothing is drawn (a command's --json: scripts read stdout and expect a quiet stderr). */
  quiet?: boolean;
  /** Default process.stderr. */
  stream?: ProgressStream;
  /** Default Date.now. */
  now?: () => number;
  /** Not a terminal: at most this long between lines while work goes on (default 5 s). */
  lineEveryMs?: number;
}

export interface Progress {
  /** The work done so far (absolute). */
  update(done: number): void;
  /** More work done (relative). */
  add(amount: number): void;
  /** The total, when it becomes known or changes. */
  setTotal(total: number): void;
  /** The work is finished: the bar at 100 % (or the last plain line) and a new line. */
  done(summary?: string): void;
  /** The work stopped early (an error): the bar's line is closed, nothing claims 100 %. */
  fail(): void;
}

/** A terminal bar is redrawn at most this often. */
const REDRAW_MS = 100;
/** The rate is measured over this much recent time (it follows changes in speed within seconds). */
const RATE_WINDOW_MS = 5_000;
const BAR_WIDTH = 24;

/** A progress display for long work; see the file's comment. */
export function startProgress(options: ProgressOptions): Progress {
  if (options.quiet) return NO_PROGRESS;
  // A file or package name cannot move the cursor or recolour the terminal (output.ts).
  options = { ...options, label: showable(options.label) };
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  const tty = stream.isTTY === true;
  const lineEvery = options.lineEveryMs ?? 5_000;
  const unit = options.unit ?? 'bytes';
  let total = options.total;
  let current = 0;
  const started = now();
  const samples: Array<[number, number]> = [[started, 0]];
  let lastDraw = 0;
  let drawn = false;
  let barWidth: number | undefined;
  let lastQuarter = 0;
  let lastLine = started;
  let finished = false;

  const amount = (n: number): string => (unit === 'bytes' ? formatBytes(n) : String(Math.round(n)));
  const rate = (): number | undefined => {
    const [t0, d0] = samples[0]!;
    const [t1, d1] = samples[samples.length - 1]!;
    return t1 - t0 >= 250 ? ((d1 - d0) * 1000) / (t1 - t0) : undefined;
  };
  const describe = (final: boolean): string => {
    const parts: string[] = [];
    const r = rate();
    if (total !== undefined && total > 0) parts.push(`${amount(current)} of ${amount(total)}${unit === 'items' ? ` ${options.items ?? 'items'}` : ''}`);
    else parts.push(`${amount(current)}${unit === 'items' ? ` ${options.items ?? 'items'}` : ''}`);
    if (final) {
      const secs = (now() - started) / 1000;
      parts.push(`in ${formatDuration(secs)}`);
      if (unit === 'bytes' && secs > 0.05) parts.push(`${formatBytes(current / secs)}/s`);
    } else if (r !== undefined) {
      if (unit === 'bytes') parts.push(`${formatBytes(r)}/s`);
      if (total !== undefined && r > 0 && current < total) parts.push(`${formatDuration((total - current) / r)} left`);
    }
    return parts.join(', ');
  };
  /** The terminal bar's words, shorter than a plain line's: `34.0/38.1 MiB  114.5 MiB/s  ETA 0:03`. */
  const compact = (final: boolean): string => {
    const done = total !== undefined && total > 0 ? pair(current, total) : amount(current);
    const noun = unit === 'items' ? ` ${options.items ?? 'items'}` : '';
    if (final) {
      const secs = (now() - started) / 1000;
      return `${done}${noun} in ${formatDuration(secs)}${unit === 'bytes' && secs > 0.05 ? `, ${formatBytes(current / secs)}/s` : ''}`;
    }
    const r = rate();
    const parts = [`${done}${noun}`];
    if (r !== undefined && unit === 'bytes') parts.push(`${formatBytes(r)}/s`);
    if (r !== undefined && r > 0 && total !== undefined && current < total) parts.push(`ETA ${formatDuration((total - current) / r)}`);
    return parts.join('  ');
  };
  /** `34.0/38.1 MiB` (one unit when both have it), `3/8`. */
  const pair = (a: number, b: number): string => {
    if (unit !== 'bytes') return `${Math.round(a)}/${Math.round(b)}`;
    const [fa, fb] = [formatBytes(a), formatBytes(b)];
    const ua = fa.split(' ')[1];
    return ua === fb.split(' ')[1] ? `${fa.split(' ')[0]}/${fb}` : `${fa}/${fb}`;
  };
  const percent = (): number | undefined => (total !== undefined && total > 0 ? Math.min(100, Math.floor((current / total) * 100)) : undefined);

  const drawBar = (final: boolean): void => {
    const p = percent();
    const info = compact(final);
    const pct = p === undefined ? '' : ` ${String(p).padStart(3)}%`;
    // A terminal that does not say its width (0, as some pseudo-terminals) is taken as 80 columns.
    const columns = stream.columns || 80;
    // The bar gives way first (narrower, then none), then the end of the line. Its width is set
    // once, for the longest line this work can draw, so it does not jump as the numbers change.
    if (barWidth === undefined) {
      const t = total ?? 0;
      const longest = `${pair(t, t)}${unit === 'items' ? ` ${options.items ?? 'items'}` : '  999.9 MiB/s'}  ETA 59:59`;
      barWidth = Math.min(BAR_WIDTH, columns - 1 - options.label.length - 5 - 2 - longest.length - 3);
    }
    const width = barWidth;
    const bar = p === undefined || width < 8 ? '' : ` [${'#'.repeat(Math.round((p / 100) * width)).padEnd(width, '.')}]`;
    let text = `${options.label}${bar}${pct}  ${info}`;
    if (text.length > columns - 1) text = text.slice(0, Math.max(0, columns - 2)) + '…';
    // \r back to the start, \x1b[K clears what a longer previous line left.
    stream.write(`\r${text}\x1b[K`);
    drawn = true;
  };
  const plainLine = (final: boolean): void => {
    const p = percent();
    stream.write(`${options.label}: ${p === undefined ? '' : `${p}% `}(${describe(final)})\n`);
  };

  const draw = (force: boolean): void => {
    const t = now();
    if (tty) {
      if (!force && drawn && t - lastDraw < REDRAW_MS) return;
      lastDraw = t;
      drawBar(false);
      return;
    }
    const p = percent();
    const quarter = p === undefined ? 0 : Math.floor(p / 25);
    // 100 % is the final line's, written by done().
    if (quarter > lastQuarter && quarter < 4) {
      lastQuarter = quarter;
      lastLine = t;
      plainLine(false);
    } else if (t - lastLine >= lineEvery) {
      lastLine = t;
      plainLine(false);
    }
  };

  const record = (): void => {
    const t = now();
    samples.push([t, current]);
    while (samples.length > 2 && t - samples[0]![0] > RATE_WINDOW_MS) samples.shift();
  };

  const update = (done: number): void => {
    if (finished) return;
    current = Math.max(0, done);
    record();
    draw(false);
  };

  return {
    update,
    add(n: number) {
      update(current + n);
    },
    setTotal(t: number) {
      total = t;
    },
    done(summary?: string) {
      if (finished) return;
      finished = true;
      if (total !== undefined) current = Math.max(current, total);
      if (tty) {
        drawBar(true);
        stream.write(summary ? `\n${summary}\n` : '\n');
      } else {
        plainLine(true);
        if (summary) stream.write(`${summary}\n`);
      }
    },
    fail() {
      if (finished) return;
      finished = true;
      if (tty && drawn) stream.write('\n');
    },
  };
}

/** Draws nothing (quiet mode). */
export const NO_PROGRESS: Progress = Object.freeze({
  update() {},
  add() {},
  setTotal() {},
  done() {},
  fail() {},
});

/** 1536 → `1.5 KiB`; whole bytes below 1 KiB. */
export function formatBytes(n: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  if (n < 1024) return `${Math.round(n)} B`;
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** 75 → `1:15`, 3725 → `1:02:05`, under a minute `12 s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * Runs `work` with a progress display and closes it whatever happens: done() after success (with
 * an optional summary), fail() when it throws.
 */
export async function withProgress<T>(options: ProgressOptions, work: (progress: Progress) => Promise<T>): Promise<T> {
  const progress = startProgress(options);
  try {
    const r = await work(progress);
    progress.done();
    return r;
  } catch (e) {
    progress.fail();
    throw e;
  }
}

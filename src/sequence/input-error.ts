import { OsdError } from '../common/errors.js';

/**
 * The error every codec throws for bad input. It names the input, where in it the problem is,
 * the rule that was broken and what to do about it; the CLI turns it into exit code 2.
 */
export interface InputLocation {
  line: number;
  column: number;
}

export class InputError extends OsdError {
  declare readonly input: string;
  readonly location?: InputLocation;

  constructor(opts: { input: string; rule: string; location?: InputLocation; hint?: string }) {
    const where = opts.location ? `${opts.input}:${opts.location.line}:${opts.location.column}` : opts.input;
    super('bad-input', { input: opts.input, rule: opts.rule, hint: opts.hint }, `${where}: ${opts.rule}${opts.hint ? `\n  hint: ${opts.hint}` : ''}`);
    this.name = 'InputError';
    this.location = opts.location;
  }

  override toJSON(): Record<string, unknown> {
    return {
      error: this.kind,
      message: this.message,
      input: this.input,
      line: this.location?.line,
      column: this.location?.column,
      rule: this.rule,
      hint: this.hint,
    };
  }
}

/** 1-based line and column of a character offset (columns count UTF-16 code units, as editors mostly do). */
export function locate(source: string, offset: number): InputLocation {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(Math.max(offset, 0), source.length);
  let i = source.indexOf('\n', 0);
  while (i !== -1 && i < end) {
    line++;
    lineStart = i + 1;
    i = source.indexOf('\n', lineStart);
  }
  return { line, column: end - lineStart + 1 };
}

/**
 * `locate` for many offsets into one source (warnings on every step of a large file): the line
 * starts are indexed once, then each lookup is a binary search, so n warnings cost n log n rather
 * than n times the file.
 */
export class LineIndex {
  private starts: number[] | undefined;

  constructor(private readonly source: string) {}

  locate(offset: number): InputLocation {
    if (!this.starts) {
      const starts = [0];
      let i = this.source.indexOf('\n');
      while (i !== -1) {
        starts.push(i + 1);
        i = this.source.indexOf('\n', i + 1);
      }
      this.starts = starts;
    }
    const starts = this.starts;
    const end = Math.min(Math.max(offset, 0), this.source.length);
    let lo = 0;
    let hi = starts.length - 1;
    // The last line start ≤ end (as locate: a newline at `end` itself still belongs to this line).
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= end && starts[mid] - 1 < end) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: end - starts[lo] + 1 };
  }
}

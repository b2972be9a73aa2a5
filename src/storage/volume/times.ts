/**
 * File times between a POSIX file system and a volume's milliseconds.
 *
 * A volume gives a time as milliseconds since 1970 in a double (NTFS's back end puts its 100 ns in
 * the fraction's digits; src/actions/user-state/times.ts keeps the digits through a store). Near
 * 2026 such a double resolves about 0.24 µs, so `ms / 1000` and Node's `mtimeMs` can fall on the
 * wrong side of a microsecond. A POSIX file here keeps its time to the microsecond — Node's
 * `utimes`/`futimes` go through libuv, which truncates the seconds' fraction to the microsecond — so:
 *
 * - reading (msFromNs): the nanoseconds of a bigint lstat, cut to the microsecond and written as
 *   that decimal, whose double converts back to the same shortest decimal until 2109 (when the
 *   double's step passes half a microsecond);
 * - writing (utimeSeconds): the microsecond read from the double's shortest decimal, given to
 *   libuv as its middle, half a microsecond from either edge, far beyond the double's error.
 *
 * A restored file 1 µs older than its source (a CI failure of test/actions/user-state/
 * native-store.test.ts) came from `utimes(p, ms / 1000)`: 8 % of times near 2026 lost a microsecond.
 */

const floorDiv = (a: bigint, b: bigint): bigint => (a >= 0n ? a / b : -((-a + b - 1n) / b));

/** Nanoseconds since 1970 as a volume's milliseconds, to the microsecond: `1733612345126.344` for …126_344_299 ns. */
export function msFromNs(ns: bigint): number {
  const us = floorDiv(ns, 1000n);
  const abs = us < 0n ? -us : us;
  const rest = abs % 1000n;
  const text = `${us < 0n ? '-' : ''}${abs / 1000n}${rest === 0n ? '' : `.${String(rest).padStart(3, '0')}`}`;
  return Number(text);
}

/** The microsecond holding `ms` (floor), read from the shortest decimal of the double, not by multiplying it. */
export function microsecondOf(ms: number): bigint {
  let s = String(Math.abs(ms));
  if (/e/i.test(s)) s = Math.abs(ms).toFixed(9);
  const dot = s.indexOf('.');
  const whole = BigInt(dot < 0 ? s : s.slice(0, dot));
  const frac = dot < 0 ? '' : s.slice(dot + 1);
  const abs = whole * 1000n + BigInt(frac.slice(0, 3).padEnd(3, '0'));
  if (ms >= 0) return abs;
  return /[1-9]/.test(frac.slice(3)) ? -abs - 1n : -abs;
}

/**
 * Seconds for `utimes`/`futimes` that set the microsecond holding `ms` exactly despite libuv's
 * truncation (toward zero, so before 1970 toward the later microsecond): that microsecond's middle.
 */
export function utimeSeconds(ms: number): number {
  if (!Number.isFinite(ms)) return ms;
  const us = microsecondOf(ms);
  if (us >= 0n) return Number(us / 1_000_000n) + (Number(us % 1_000_000n) + 0.5) / 1e6;
  const a = -us; // before 1970: the middle of (us - 1, us), which libuv rounds up to us
  return -(Number(a / 1_000_000n) + (Number(a % 1_000_000n) + 0.5) / 1e6);
}

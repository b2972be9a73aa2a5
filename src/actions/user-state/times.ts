/**
 * File times in a store's manifest (user-state.md §2.3 `createdUtc`, `modifiedUtc`, `accessedUtc`):
 * ISO 8601 UTC with up to 7 fractional digits, so NTFS's 100 ns survive a capture and restore
 * ("identical timestamps", issue 13). A volume gives times as milliseconds since 1970 with the
 * 100 ns as the fraction (src/storage/volume/ntfsfs.ts: the shortest decimal of the double is the
 * FILETIME's digits); `Date#toISOString` would keep only the millisecond.
 */

/** Milliseconds since 1970 (to the 100 ns) as ISO 8601 UTC: `2024-05-02T09:20:11.1234567Z`, or `….123Z` when whole. */
export function isoTime(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`the time ${ms} is not a number of milliseconds`);
  let s = String(ms);
  if (/e/i.test(s)) s = ms.toFixed(7);
  const dot = s.indexOf('.');
  if (dot < 0 || ms < 0) return new Date(Math.round(ms)).toISOString();
  let whole = Number(s.slice(0, dot));
  const frac = s.slice(dot + 1);
  let ticks = Number((frac + '0000').slice(0, 4)) + (frac.length > 4 && frac[4]! >= '5' ? 1 : 0);
  if (ticks === 10000) {
    whole += 1;
    ticks = 0;
  }
  const iso = new Date(whole).toISOString();
  return ticks === 0 ? iso : `${iso.slice(0, -1)}${String(ticks).padStart(4, '0')}Z`;
}

/** An ISO 8601 time as milliseconds since 1970, keeping digits past the millisecond (to the 100 ns); NaN when not a time. */
export function parseTime(text: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d\.\d{3})(\d{1,4})(Z|[+-]\d\d:?\d\d)$/.exec(text);
  if (!m) return Date.parse(text);
  const whole = Date.parse(`${m[1]}${m[3]}`);
  if (!Number.isFinite(whole)) return NaN;
  const digits = m[2]!.padEnd(4, '0');
  return whole < 0 ? whole + Number(digits) / 10000 : Number(`${whole}.${digits}`);
}

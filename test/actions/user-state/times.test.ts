// Manifest times keep NTFS's 100 ns (src/actions/user-state/times.ts): a FILETIME read as
// milliseconds, written to the manifest and read back, is the same time to the 100 ns.
import { describe, expect, it } from 'vitest';
import { isoTime, parseTime } from '../../../src/actions/user-state/times.js';
import { filetimeToMs, msToFiletime } from '../../../src/storage/volume/ntfsfs.js';

describe('manifest times', () => {
  it('keep the 100 ns of a FILETIME through ISO 8601', () => {
    for (const ft of [133_460_000_001_234_567n, 134_096_670_846_177_993n, 133_460_000_000_000_000n, 133_460_000_009_999_999n, 133_460_000_000_000_001n]) {
      const ms = filetimeToMs(ft);
      const text = isoTime(ms);
      expect(text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(\d{4})?Z$/);
      expect(parseTime(text)).toBe(ms);
      // The same FILETIME is written back as the one the volume's time stands for (a double holds about 0.25 µs).
      expect(msToFiletime(parseTime(text))).toBe(msToFiletime(ms));
    }
    expect(isoTime(filetimeToMs(134_096_670_846_177_993n))).toMatch(/\.6177993Z$/);
  });
  it('whole milliseconds as Date#toISOString writes them, and its strings read as before', () => {
    expect(isoTime(1714641611000)).toBe('2024-05-02T09:20:11.000Z');
    expect(parseTime('2024-05-02T09:20:11Z')).toBe(1714641611000);
    expect(parseTime('2024-05-02T09:20:11.123Z')).toBe(1714641611123);
    expect(parseTime('2024-05-02T09:20:11.1234567Z')).toBe(Number('1714641611123.4567'));
    expect(isoTime(Number('1714641611123.99996'))).toBe('2024-05-02T09:20:11.124Z');
    expect(Number.isNaN(parseTime('not a time'))).toBe(true);
  });
});

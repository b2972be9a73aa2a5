import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCmTrace, parseCmTrace } from '../../src/engine/log/cmtrace.js';
import { SmstsLog } from '../../src/runner/smsts-log.js';
import { tempDir } from '../helpers/temp.js';

describe('CMTrace log lines', () => {
  const at = new Date(Date.UTC(2022, 8, 7, 9, 35, 33, 39)); // 7 Sep 2022 09:35:33.039 UTC

  it('writes local time with the bias as UTC − local (UK summer → -60), MM-dd-yyyy, CRLF', () => {
    const line = formatCmTrace(
      { time: at, component: 'TSManager', severity: 'info', message: 'Start executing an instruction.', file: 'engine.ts:1' },
      { utcOffsetMinutes: 60, thread: 2000 },
    );
    expect(line).toBe(
      '<![LOG[Start executing an instruction.]LOG]!><time="10:35:33.039-60" date="09-07-2022" component="TSManager" context="" type="1" thread="2000" file="engine.ts:1">\r\n',
    );
    expect(formatCmTrace({ time: at, component: 'X', severity: 'error', message: 'm' }, { utcOffsetMinutes: -300, thread: 1 })).toContain(
      'time="04:35:33.039+300" date="09-07-2022"',
    );
    expect(formatCmTrace({ time: at, component: 'X', severity: 'warning', message: 'm' }, { utcOffsetMinutes: 0, thread: 1 })).toContain(
      'time="09:35:33.039+0"',
    );
  });

  it('parses what it writes (any message, any offset) back to the same instant and text', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }),
        fc.integer({ min: -720, max: 840 }),
        fc.string({ maxLength: 60 }),
        fc.constantFrom('verbose', 'info', 'warning', 'error') as fc.Arbitrary<'verbose' | 'info' | 'warning' | 'error'>,
        (time, offset, message, severity) => {
          const text = formatCmTrace({ time, component: 'TSManager', severity, message }, { utcOffsetMinutes: offset, thread: 7 });
          const [e] = parseCmTrace(text);
          expect(e.instant.getTime()).toBe(time.getTime());
          expect(e.severity).toBe(severity);
          expect(e.message).toBe(message.replace(/\]LOG\]!>/g, '] LOG]!>').replace(/\r\n/g, '\n'));
        },
      ),
    );
  });

  it('reads a real ConfigMgr line', () => {
    const real =
      '<![LOG[Start executing an instruction. Instruction name: \'Initialize\'. Pointer: 1. Type: \'\'. Disabled: 0]LOG]!><time="14:31:39.566+300" date="03-12-2021" component="TSManager" context="" type="1" thread="2000" file="engine.cxx:1022">';
    const [e] = parseCmTrace(real);
    expect(e).toMatchObject({ component: 'TSManager', thread: 2000, file: 'engine.cxx:1022', severity: 'info' });
    expect(e.instant.toISOString()).toBe('2021-03-12T19:31:39.566Z');
  });
});

describe('smsts.log on disk', () => {
  it('rolls over to smsts-YYYYMMDD-HHMMSS.log and keeps a bounded history', () => {
    const dir = tempDir('smsts-');
    const log = new SmstsLog(dir, { maxBytes: 2000, maxHistory: 2, utcOffsetMinutes: 0, thread: 1 });
    for (let i = 0; i < 100; i++)
      log.write({ time: new Date(Date.UTC(2024, 0, 1, 0, 0, i)), component: 'TSManager', severity: 'info', message: `line ${i} ${'x'.repeat(50)}` });
    const files = readdirSync(dir).sort();
    expect(files).toContain('smsts.log');
    expect(files.filter((f) => /^smsts-20240101-\d{6}(-\d+)?\.log$/.test(f))).toHaveLength(2);
    const current = parseCmTrace(readFileSync(join(dir, 'smsts.log'), 'utf8'));
    expect(current.at(-1)?.message).toMatch(/^line 99 /);
    expect(readFileSync(join(dir, 'smsts.log')).length).toBeLessThanOrEqual(2000);
  });
});

// Engine status events → the MP's status messages with ConfigMgr's message ids (osd-features §4.7).
import { describe, expect, it } from 'vitest';
import { MESSAGE_ID, runMessage, statusMessageOf } from '../../src/agent/status.js';
import type { StatusEvent } from '../../src/engine/ports.js';

const run = { runId: '6f0c6a7e-3d3c-4d4e-9a55-0a7c1b1e2f10', deploymentId: 'PS120003' };
const time = '2026-12-07T08:00:01.123Z';
const step = {
  pointer: 7,
  path: 'Install Operating System / Apply Operating System',
  name: 'Apply Operating System',
  kind: 'step' as const,
  type: 'SMS_TaskSequence_ApplyOperatingSystemAction',
};

describe('statusMessageOf', () => {
  it('maps each outcome to its message id', () => {
    const cases: Array<[StatusEvent, string, string, number | null]> = [
      [{ time, outcome: 'started', ...step }, 'step', 'started', null],
      [{ time, outcome: 'succeeded', exitCode: 0, ...step }, 'step', 'succeeded', MESSAGE_ID.stepSucceeded],
      [{ time, outcome: 'failed', exitCode: 0x80070070, ...step }, 'step', 'failed', MESSAGE_ID.stepFailed],
      [{ time, outcome: 'skipped', reason: 'disabled', ...step }, 'step', 'skipped', MESSAGE_ID.disabled],
      [{ time, outcome: 'skipped', reason: 'condition false: _SMSTSClientCache notExists', ...step }, 'step', 'skipped', MESSAGE_ID.skippedByCondition],
      [{ time, outcome: 'restart-requested', target: 'WinPE', ...step }, 'step', 'restart-requested', MESSAGE_ID.restart],
      [
        { time, outcome: 'started', pointer: 3, path: 'Install Operating System', name: 'Install Operating System', kind: 'group' },
        'group',
        'started',
        MESSAGE_ID.groupStarted,
      ],
      [
        { time, outcome: 'succeeded', pointer: 3, path: 'Install Operating System', name: 'Install Operating System', kind: 'group' },
        'group',
        'succeeded',
        MESSAGE_ID.groupCompleted,
      ],
      [{ time, outcome: 'sequence-succeeded', exitCode: 0 }, 'run', 'succeeded', MESSAGE_ID.runSucceeded],
      [{ time, outcome: 'sequence-failed', exitCode: 0x80004005, path: 'G / S', name: 'S' }, 'run', 'failed', MESSAGE_ID.runFailed],
    ];
    for (const [event, kind, outcome, messageId] of cases) {
      const m = statusMessageOf(event, run);
      expect({ kind: m.kind, outcome: m.outcome, messageId: m.messageId }, `${event.outcome} ${event.kind ?? ''}`).toEqual({ kind, outcome, messageId });
      expect(m).toMatchObject({ runId: run.runId, deploymentId: run.deploymentId, time });
    }
  });

  it("names the step, its group and path; exit codes signed as the engine's int", () => {
    const m = statusMessageOf({ time, outcome: 'failed', exitCode: 0x80070070, message: 'disk full', ...step }, run);
    expect(m.step).toEqual({ index: 7, name: 'Apply Operating System', group: 'Install Operating System', path: step.path, type: step.type });
    expect(m.exitCode).toBe(-2147024784);
    expect(m.actionOutput).toBe('disk full');
  });

  it('a failure the step continues past is 11138', () => {
    const m = statusMessageOf({ time, outcome: 'failed', exitCode: 1, ...step }, run, { continuesOnError: (p) => p === 7 });
    expect(m.messageId).toBe(MESSAGE_ID.failureIgnored);
  });

  it('a predicted step stays predicted, with what it assumed', () => {
    const m = statusMessageOf({ time, outcome: 'succeeded', exitCode: 0, predicted: true, assumed: ['Windows Setup completes'], ...step }, run);
    expect(m.predicted).toBe(true);
    expect(m.reason).toBe('not run: its outcome was predicted; assumed: Windows Setup completes');
    expect(statusMessageOf({ time, outcome: 'succeeded', exitCode: 0, ...step }, run).predicted).toBeUndefined();
  });

  it('a skip carries the reason, and every message its own id', () => {
    const a = statusMessageOf({ time, outcome: 'skipped', reason: 'condition false: x', ...step }, run);
    const b = statusMessageOf({ time, outcome: 'skipped', reason: 'condition false: x', ...step }, run);
    expect(a.reason).toBe('condition false: x');
    expect(a.id).not.toBe(b.id);
  });

  it('truncates a long action output to 64 KiB, keeping its end', () => {
    const m = statusMessageOf({ time, outcome: 'failed', exitCode: 1, message: `${'x'.repeat(100_000)}THE END`, ...step }, run);
    expect(Buffer.byteLength(m.actionOutput!)).toBeLessThanOrEqual(64 * 1024);
    expect(m.actionOutput!.endsWith('THE END')).toBe(true);
  });
});

describe('runMessage', () => {
  it('run started 11140; refused and downloaded have no ConfigMgr id', () => {
    expect(runMessage(run, 'started').messageId).toBe(11140);
    expect(runMessage(run, 'refused', { reason: 'x86 only' })).toMatchObject({ kind: 'run', outcome: 'refused', messageId: null, reason: 'x86 only' });
    expect(runMessage(run, 'downloaded', { bytes: 42 })).toMatchObject({ outcome: 'downloaded', bytes: 42, messageId: null });
  });
});

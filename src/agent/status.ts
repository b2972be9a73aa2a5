/**
 * The engine's status events (src/engine/ports.ts) as the management point's status messages
 * (docs/management-point.md "Runs and status"), with ConfigMgr's message ids (osd-features §4.7):
 *
 *   run started 11140 · run succeeded 11143 · run failed 11141
 *   group started 11124 · group completed 11127
 *   step succeeded 11134 · step failed 11135 (11138 when its failure was ignored: continue on error)
 *   skipped by a condition 11130 · disabled 11128 · restart requested 11142
 *
 * A step's "started", content "downloaded" and a "refused" run have no ConfigMgr message: their id
 * is null. A predicted step keeps `predicted: true` — never reported as done.
 */
import { randomUUID } from 'node:crypto';
import type { StatusEvent, StatusSink } from '../engine/ports.js';
import type { StatusMessage } from './protocol.js';

export const MESSAGE_ID = {
  runStarted: 11140,
  runSucceeded: 11143,
  runFailed: 11141,
  groupStarted: 11124,
  groupCompleted: 11127,
  stepSucceeded: 11134,
  stepFailed: 11135,
  failureIgnored: 11138,
  skippedByCondition: 11130,
  disabled: 11128,
  restart: 11142,
} as const;

/** ConfigMgr truncates a step's ActionOutput; the MP takes at most 64 KiB. */
export const MAX_ACTION_OUTPUT = 64 * 1024;

export interface RunIdentity {
  runId: string;
  deploymentId: string;
}

/** The message for one engine event (a fresh id each: every event is one message). */
export function statusMessageOf(event: StatusEvent, run: RunIdentity, options: { continuesOnError?: (pointer: number) => boolean } = {}): StatusMessage {
  const base = {
    id: randomUUID(),
    runId: run.runId,
    deploymentId: run.deploymentId,
    time: event.time,
  };
  if (event.outcome === 'sequence-succeeded' || event.outcome === 'sequence-failed') {
    const ok = event.outcome === 'sequence-succeeded';
    return {
      ...base,
      kind: 'run',
      outcome: ok ? 'succeeded' : 'failed',
      messageId: ok ? MESSAGE_ID.runSucceeded : MESSAGE_ID.runFailed,
      step: null,
      exitCode: signed(event.exitCode ?? 0),
      ...(ok ? {} : { reason: event.path ? `failed at "${event.path}"` : undefined }),
    };
  }
  const kind = event.kind === 'group' ? 'group' : 'step';
  const step = event.pointer === undefined ? null : stepOf(event);
  const common = { ...base, kind, step } as const;
  switch (event.outcome) {
    case 'started':
      return { ...common, outcome: 'started', messageId: kind === 'group' ? MESSAGE_ID.groupStarted : null };
    case 'succeeded':
      return {
        ...common,
        outcome: 'succeeded',
        messageId: kind === 'group' ? MESSAGE_ID.groupCompleted : MESSAGE_ID.stepSucceeded,
        exitCode: signed(event.exitCode ?? 0),
        ...actionOutput(event.message),
        ...(event.predicted ? { predicted: true, reason: assumedText(event.assumed) } : {}),
      };
    case 'failed': {
      const ignored = event.pointer !== undefined && options.continuesOnError?.(event.pointer) === true;
      return {
        ...common,
        outcome: 'failed',
        messageId: ignored ? MESSAGE_ID.failureIgnored : MESSAGE_ID.stepFailed,
        exitCode: signed(event.exitCode ?? 0),
        ...actionOutput(event.message),
        ...(event.predicted ? { predicted: true, reason: assumedText(event.assumed) } : {}),
      };
    }
    case 'skipped':
      return {
        ...common,
        outcome: 'skipped',
        messageId: event.reason === 'disabled' ? MESSAGE_ID.disabled : MESSAGE_ID.skippedByCondition,
        reason: event.reason,
      };
    case 'restart-requested':
      return {
        ...common,
        outcome: 'restart-requested',
        messageId: MESSAGE_ID.restart,
        reason: `restart into ${event.target === 'WinPE' ? 'Windows PE' : 'the installed operating system'}${event.message ? `: ${event.message}` : ''}`,
      };
  }
}

/** The agent's own run messages: started, refused, content downloaded. */
export function runMessage(
  run: RunIdentity,
  outcome: 'started' | 'refused' | 'downloaded' | 'failed',
  extra: { reason?: string; exitCode?: number; bytes?: number; seconds?: number; time?: Date } = {},
): StatusMessage {
  const messageId = outcome === 'started' ? MESSAGE_ID.runStarted : outcome === 'failed' ? MESSAGE_ID.runFailed : null;
  return {
    id: randomUUID(),
    runId: run.runId,
    deploymentId: run.deploymentId,
    time: (extra.time ?? new Date()).toISOString(),
    kind: 'run',
    outcome,
    messageId,
    step: null,
    ...(extra.exitCode === undefined ? {} : { exitCode: signed(extra.exitCode) }),
    ...(extra.reason === undefined ? {} : { reason: extra.reason }),
    ...(extra.bytes === undefined ? {} : { bytes: extra.bytes }),
    ...(extra.seconds === undefined ? {} : { seconds: Math.round(extra.seconds * 1000) / 1000 }),
  };
}

/** A StatusSink writing every event to the outbox (durably, before the engine goes on). */
export function statusSinkOf(put: (m: StatusMessage) => void, run: RunIdentity, options: Parameters<typeof statusMessageOf>[2] = {}): StatusSink {
  return { emit: (event) => put(statusMessageOf(event, run, options)) };
}

function stepOf(event: StatusEvent): NonNullable<StatusMessage['step']> {
  const path = event.path ?? event.name ?? '';
  const parts = path.split(' / ');
  return {
    index: event.pointer ?? 0,
    name: event.name ?? parts.at(-1) ?? '',
    group: parts.length > 1 ? parts[parts.length - 2]!.replace(/\[\d+\]$/, '') : null,
    path,
    type: event.type ?? null,
  };
}

function actionOutput(message: string | undefined): { actionOutput?: string } {
  if (!message) return {};
  if (Buffer.byteLength(message) <= MAX_ACTION_OUTPUT) return { actionOutput: message };
  // Keep the end: the last lines of a tool's output say why it failed.
  const tail = Buffer.from(message)
    .subarray(-MAX_ACTION_OUTPUT + 64)
    .toString('utf8');
  return { actionOutput: `…(truncated)\n${tail}` };
}

function assumedText(assumed: string[] | undefined): string {
  return `not run: its outcome was predicted${assumed?.length ? `; assumed: ${assumed.join('; ')}` : ''}`;
}

/** The engine's exit codes are unsigned 32-bit (HRESULTs); the message carries them signed, as the engine's int. */
function signed(code: number): number {
  return code | 0;
}

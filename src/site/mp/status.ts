/**
 * Status messages from the agents (docs/management-point.md "Runs and status"; osd-features §4.7):
 * a batch is checked whole — its size, every message's fields, every deployment and run it names —
 * before anything is written; then its messages and the runs they update are written in one
 * transaction. A message id already stored is counted as a duplicate and not stored again, so a
 * batch sent again after a lost answer changes nothing.
 *
 * Also the words of a message as ConfigMgr's deployment status shows them (11134, 11135, 11130 …)
 * and its exit code as admins read it (hex and unsigned decimal).
 *
 * Most batches are of one run already under way (an agent sends each message as it happens): those
 * are stored by one statement (`storeForKnownRun`) — it checks the run is this device's and of the
 * deployment the messages name, inserts the new messages and updates the run from those it stored,
 * all or nothing. A batch that starts a run is one statement too (`storeForNewRun`): the deployment
 * targets the device, the run and the messages are new, then the run is made with what its
 * messages say and they are stored. Anything else (several runs, a message sent again, a run that is
 * not this device's, a refusal) goes the careful way below: one transaction that locks the runs,
 * checks each message and says what is wrong. They give the same answers and leave the same rows.
 */
import { z } from 'zod';
import type { Database, Queryable } from '../db/database.js';
import { badInput, SiteError } from '../errors.js';
import { inputProblemsError } from '../input-problems.js';
import { UNKNOWN_X64_RESOURCE_ID, UNKNOWN_X86_RESOURCE_ID } from '../seed.js';
import { policyTarget } from './policy.js';

/** At most this many messages in one batch. */
export const MAX_STATUS_MESSAGES = 500;
/** The largest batch body in bytes (the route's body limit). */
export const MAX_STATUS_BATCH_BYTES = 1024 * 1024;
/** A message's action output, in UTF-8 bytes (ConfigMgr truncates ActionOutput too). */
export const MAX_ACTION_OUTPUT_BYTES = 64 * 1024;
/** A skip's or refusal's reason, in characters. */
export const MAX_REASON_LENGTH = 4096;
/** A message's time may be this far ahead of the site's clock (a computer's clock set to local time) … */
export const STATUS_TIME_AHEAD_MS = 24 * 60 * 60 * 1000;
/** … and this far behind it (messages queued on a computer that could not reach the site). */
export const STATUS_TIME_BEHIND_MS = 30 * 24 * 60 * 60 * 1000;

export const STATUS_KINDS = ['run', 'step', 'group'] as const;
export const STATUS_OUTCOMES = ['started', 'succeeded', 'failed', 'skipped', 'restart-requested', 'refused', 'downloaded'] as const;
export type StatusKind = (typeof STATUS_KINDS)[number];
export type StatusOutcome = (typeof STATUS_OUTCOMES)[number];

/** The outcomes each kind of message may have. */
const OUTCOMES_OF: Record<StatusKind, readonly StatusOutcome[]> = {
  run: ['started', 'succeeded', 'failed', 'refused', 'downloaded'],
  step: ['started', 'succeeded', 'failed', 'skipped', 'restart-requested'],
  group: ['started', 'succeeded', 'failed', 'skipped'],
};

/**
 * ConfigMgr's message ids (osd-features §4.7) a kind and outcome may carry; the first is the one
 * the site takes when the message gives none. A download report has none.
 */
const MESSAGE_IDS: Record<string, readonly number[]> = {
  'run:started': [11140],
  'run:succeeded': [11143, 11171],
  'run:failed': [11141, 11170],
  'run:refused': [11141, 11170],
  'run:downloaded': [],
  'step:started': [],
  'step:succeeded': [11134],
  'step:failed': [11135, 11138],
  'step:skipped': [11130, 11128],
  'step:restart-requested': [11142],
  'group:started': [11124],
  'group:succeeded': [11127],
  'group:failed': [11135, 11138],
  'group:skipped': [11130, 11128],
};

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export const runIdSchema = z.string().regex(UUID, 'a run id is a UUID the agent made, e.g. 0f8fad5b-d9cb-469f-a165-70867728950e');

const stepSchema = z.strictObject({
  index: z.number().int().min(0).max(1_000_000).describe("the instruction's index in the task sequence (the engine's instruction pointer)"),
  name: z.string().max(256),
  group: z.string().max(256).nullable().describe('the enclosing group; empty or null at the top'),
  path: z.string().max(4096).describe('names from the top, " / " between them'),
  type: z.string().max(128).nullable().describe('the step type (SMS_TaskSequence_…Action); empty or null for a group'),
});

export const statusMessageSchema = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9._:-]+$/, 'a message id is letters, digits and . _ : -')
    .describe('unique per message (a UUID): a repeated id is stored once'),
  runId: runIdSchema,
  deploymentId: z.string().regex(/^[A-Za-z0-9]{3}[0-9A-Fa-f]{5}$/, 'a deployment id is a 3-character site code and 5 hex digits, e.g. PS120003'),
  time: z.iso.datetime({ offset: true }),
  kind: z.enum(STATUS_KINDS),
  outcome: z.enum(STATUS_OUTCOMES),
  messageId: z
    .number()
    .int()
    .min(1)
    .max(99_999)
    .nullable()
    .optional()
    .describe("ConfigMgr's message id (11134 …); null where ConfigMgr has none; left out, the site takes the usual one"),
  step: stepSchema.nullable().optional(),
  exitCode: z.number().int().min(-2147483648).max(4294967295).optional().describe('signed 32-bit as the engine has it (an unsigned value is taken too)'),
  reason: z.string().max(MAX_REASON_LENGTH).optional(),
  actionOutput: z.string().optional().describe(`at most ${MAX_ACTION_OUTPUT_BYTES} bytes (UTF-8)`),
  predicted: z.boolean().optional(),
  bytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional().describe('run/downloaded: content bytes fetched'),
  seconds: z.number().min(0).max(1e7).optional().describe('run/downloaded: how long fetching them took'),
});
export type StatusMessageInput = z.infer<typeof statusMessageSchema>;

export const statusBatchSchema = z.strictObject({ messages: z.array(statusMessageSchema).min(1).max(MAX_STATUS_MESSAGES) });
export type StatusBatchInput = z.infer<typeof statusBatchSchema>;

export interface StoredBatch {
  /** Messages stored by this request. */
  stored: number;
  /** Messages whose id was already stored (or repeated in the batch): not stored again. */
  duplicates: number;
}

/** The device a batch comes from (the management point's authenticated device). */
export interface ReportingDevice {
  resourceId: number;
}

/** An exit code as admins read it: unsigned decimal (2147500037) and hex (0x80004005). */
export function exitCodeWords(code: number | null | undefined): { exitCode: number; exitCodeHex: string } | null {
  if (code === null || code === undefined) return null;
  const unsigned = code >>> 0;
  return { exitCode: unsigned, exitCodeHex: `0x${unsigned.toString(16).toUpperCase().padStart(8, '0')}` };
}

/** What a message says, in the words of ConfigMgr's status messages (osd-features §4.7). */
export interface StatusWordsInput {
  kind: string;
  outcome: string;
  messageId: number | null;
  stepName: string | null;
  stepGroup: string | null;
  exitCode: number | null;
  reason: string | null;
  actionOutput: string | null;
  predicted: boolean;
  bytes: number | null;
  seconds: number | null;
}

export function statusDescription(m: StatusWordsInput): string {
  const engine = 'The task sequence execution engine';
  const action = `the action (${m.stepName ?? ''}) in the group (${m.stepGroup ?? ''})`;
  const code = m.exitCode === null ? 0 : m.exitCode >>> 0;
  const output = m.actionOutput ? ` Action output: ${m.actionOutput}` : '';
  const reason = m.reason ? ` ${m.reason}` : '';
  const predicted = m.predicted ? ' (predicted: the action was not run)' : '';
  if (m.kind === 'run') {
    switch (m.outcome) {
      case 'started':
        return `${engine} started execution of a task sequence.`;
      case 'succeeded':
        return `${engine} successfully completed a task sequence.`;
      case 'failed':
        return `${engine} failed execution of a task sequence.${m.exitCode !== null ? ` The error code is ${code}.` : ''}${reason}`;
      case 'refused':
        return `The task sequence was not started on this computer.${reason}`;
      default: {
        const mb = ((m.bytes ?? 0) / 1024 / 1024).toFixed(1);
        return `Downloaded ${mb} MB of content${m.seconds ? ` in ${m.seconds.toFixed(1)} s` : ''}.`;
      }
    }
  }
  if (m.kind === 'group') {
    const group = `the group (${m.stepName ?? ''})`;
    switch (m.outcome) {
      case 'started':
        return `${engine} started ${group}.`;
      case 'succeeded':
        return `${engine} successfully completed ${group}.`;
      case 'failed':
        return `${engine} failed executing ${group} with the error code ${code}.${reason}`;
      default:
        return m.messageId === 11128
          ? `${engine} skipped the disabled group (${m.stepName ?? ''}).`
          : `${engine} skipped ${group} because the condition was evaluated to be false.${reason}`;
    }
  }
  switch (m.outcome) {
    case 'started':
      return `${engine} started ${action}.`;
    case 'succeeded':
      return `${engine} successfully completed ${action} with exit code ${code}.${predicted}${output}`;
    case 'failed':
      return m.messageId === 11138
        ? `${engine} ignored execution failure of ${action}.`
        : `${engine} failed executing ${action} with the error code ${code}.${predicted}${output}`;
    case 'restart-requested':
      return `${engine} performed a system reboot initiated by ${action}.`;
    default:
      return m.messageId === 11128
        ? `${engine} skipped the disabled action (${m.stepName ?? ''}) in the group (${m.stepGroup ?? ''}).`
        : `${engine} skipped ${action} because the condition was evaluated to be false.${reason}`;
  }
}

/** A message checked and brought to the form it is stored in. */
interface CheckedMessage {
  id: string;
  runId: string;
  deploymentId: string;
  time: Date;
  kind: StatusKind;
  outcome: StatusOutcome;
  messageId: number | null;
  step: { index: number; name: string; group: string; path: string; type: string } | null;
  exitCode: number | null;
  reason: string | null;
  actionOutput: string | null;
  predicted: boolean;
  bytes: number | null;
  seconds: number | null;
}

/** The rules between a message's fields, after its schema (each names the field). */
function checkMessage(m: StatusMessageInput, i: number, now: number): CheckedMessage {
  const at = (f: string): string => `body.messages[${i}].${f}`;
  if (!OUTCOMES_OF[m.kind].includes(m.outcome)) {
    throw badInput(at('outcome'), `a ${m.kind} message's outcome is one of ${OUTCOMES_OF[m.kind].join(', ')}; not "${m.outcome}"`);
  }
  const step = m.step ?? null;
  if (m.kind === 'run' && step) throw badInput(at('step'), 'a run message names no step', 'leave step out (or null)');
  if (m.kind !== 'run' && !step) throw badInput(at('step'), `a ${m.kind} message names its ${m.kind}: index, name, group, path, type`);
  const allowed = MESSAGE_IDS[`${m.kind}:${m.outcome}`] ?? [];
  if (m.messageId !== undefined && m.messageId !== null && !allowed.includes(m.messageId)) {
    throw badInput(
      at('messageId'),
      allowed.length
        ? `a ${m.kind} message "${m.outcome}" carries message id ${allowed.join(' or ')}; not ${m.messageId}`
        : `a ${m.kind} message "${m.outcome}" carries no ConfigMgr message id`,
      'leave messageId out to let the site take the usual one',
    );
  }
  const downloaded = m.kind === 'run' && m.outcome === 'downloaded';
  if (downloaded && m.bytes === undefined) throw badInput(at('bytes'), 'a download report says how many bytes it fetched');
  if (!downloaded && (m.bytes !== undefined || m.seconds !== undefined)) {
    throw badInput(at(m.bytes !== undefined ? 'bytes' : 'seconds'), 'bytes and seconds belong to a download report (kind "run", outcome "downloaded")');
  }
  if (m.actionOutput !== undefined && Buffer.byteLength(m.actionOutput, 'utf8') > MAX_ACTION_OUTPUT_BYTES) {
    throw new SiteError('too-large', {
      input: at('actionOutput'),
      rule: `an action output is at most ${MAX_ACTION_OUTPUT_BYTES} bytes (UTF-8); this one is ${Buffer.byteLength(m.actionOutput, 'utf8')}`,
      hint: 'keep its last 64 KiB, as ConfigMgr truncates ActionOutput',
    });
  }
  const time = new Date(Date.parse(m.time));
  if (time.getTime() > now + STATUS_TIME_AHEAD_MS || time.getTime() < now - STATUS_TIME_BEHIND_MS) {
    throw badInput(
      at('time'),
      `a message's time is at most a day ahead of the site's clock and at most 30 days behind it; ${m.time} is not (the site's clock says ${new Date(now).toISOString()})`,
      "check the computer's clock",
    );
  }
  return {
    id: m.id,
    runId: m.runId.toLowerCase(),
    deploymentId: m.deploymentId.toUpperCase(),
    time,
    kind: m.kind,
    outcome: m.outcome,
    messageId: m.messageId === undefined ? (allowed[0] ?? null) : m.messageId,
    step: step && { ...step, group: step.group ?? '', type: step.type ?? '' },
    // Stored signed, as the engine has it; shown unsigned.
    exitCode: m.exitCode === undefined ? null : m.exitCode | 0,
    reason: m.reason ?? null,
    actionOutput: m.actionOutput ?? null,
    predicted: m.predicted ?? false,
    bytes: m.bytes ?? null,
    seconds: m.seconds ?? null,
  };
}

/** The batch's messages, every one checked (a batch with too many messages is refused before any is read). */
export function checkStatusBatch(input: unknown, now = Date.now()): CheckedMessage[] {
  const count = (input as { messages?: unknown })?.messages;
  if (Array.isArray(count) && count.length > MAX_STATUS_MESSAGES) {
    throw badInput(
      'body.messages',
      `a batch holds at most ${MAX_STATUS_MESSAGES} status messages; this one holds ${count.length}`,
      `send them in batches of ${MAX_STATUS_MESSAGES} or fewer`,
    );
  }
  const parsed = statusBatchSchema.safeParse(input);
  if (!parsed.success) throw inputProblemsError(parsed.error, 'body', { schema: statusBatchSchema, value: input });
  return parsed.data.messages.map((m, i) => checkMessage(m, i, now));
}

/**
 * Which of `deploymentIds` exist, and which target the device — by the policy's rule
 * (policy.ts `policyTarget`): its collection has the device as a member, or for a device
 * registered as an unknown computer the unknown-computer object of its architecture
 * (osd-features §3.2).
 */
async function deploymentTargets(db: Queryable, resourceId: number, deploymentIds: string[]): Promise<Map<string, boolean>> {
  const facts = await db.query<{ unknown: boolean; architecture: string | null; firmware: string | null }>(
    'SELECT unknown, architecture, firmware FROM devices WHERE resource_id = $1',
    [resourceId],
  );
  const target = facts.rows[0] ? policyTarget({ resourceId }, facts.rows[0]) : null;
  const { rows } = await db.query<{ deployment_id: string; targets: boolean }>(
    `SELECT d.deployment_id, EXISTS (SELECT 1 FROM collection_members m WHERE m.collection_id = d.collection_id AND m.resource_id = $2) AS targets
     FROM deployments d WHERE d.deployment_id = ANY($1::text[])`,
    [deploymentIds, target],
  );
  return new Map(rows.map((r) => [r.deployment_id, r.targets]));
}

interface RunUpdate {
  startedAt: Date;
  last?: CheckedMessage;
  end?: CheckedMessage;
  bytes: number;
  seconds: number;
  restarts: number;
  count: number;
}

const later = (a: CheckedMessage | undefined, b: CheckedMessage): boolean => a === undefined || b.time.getTime() >= a.time.getTime();

/**
 * Stores a batch of status messages from `device` (docs/management-point.md). Refused whole, with
 * nothing stored: a batch over the limits, a message that breaks a rule, a deployment the site does
 * not have or that does not target the device (400 naming `messages[i].deploymentId`), a run of
 * another device (404 naming `messages[i].runId`). Answers once the batch is committed.
 */
export async function storeStatusBatch(db: Database, device: ReportingDevice, input: unknown): Promise<StoredBatch> {
  const messages = checkStatusBatch(input);
  const runIds = [...new Set(messages.map((m) => m.runId))];
  // A batch that starts a run is of a new run: no use trying the one-statement way first.
  const starts = messages.some((m) => m.kind === 'run' && m.outcome === 'started');
  if (runIds.length === 1) {
    const stored = starts ? await storeForNewRun(db, device, messages) : await storeForKnownRun(db, device, messages);
    if (stored) return stored;
  }
  return storeCarefully(db, device, messages, runIds);
}

/** The columns of status_messages a batch fills, in order, with their types and how a message gives each. */
const MESSAGE_COLUMNS: Array<[column: string, type: string, value: (m: CheckedMessage) => unknown]> = [
  ['id', 'text', (m) => m.id],
  ['run_id', 'text', (m) => m.runId],
  ['time', 'timestamptz', (m) => m.time.toISOString()],
  ['kind', 'text', (m) => m.kind],
  ['outcome', 'text', (m) => m.outcome],
  ['message_id', 'int', (m) => m.messageId],
  ['step_index', 'int', (m) => m.step?.index ?? null],
  ['step_name', 'text', (m) => m.step?.name ?? null],
  ['step_group', 'text', (m) => m.step?.group ?? null],
  ['step_path', 'text', (m) => m.step?.path ?? null],
  ['step_type', 'text', (m) => m.step?.type ?? null],
  ['exit_code', 'int', (m) => m.exitCode],
  ['reason', 'text', (m) => m.reason],
  ['action_output', 'text', (m) => m.actionOutput],
  ['predicted', 'boolean', (m) => m.predicted],
  ['bytes', 'bigint', (m) => m.bytes],
  ['seconds', 'float8', (m) => m.seconds],
];
const COLUMN_LIST = MESSAGE_COLUMNS.map(([c]) => c).join(', ');
const UNNEST = `unnest(${MESSAGE_COLUMNS.map(([, t], i) => `$${i + 1}::${t}[]`).join(', ')})`;
const messageArrays = (unique: CheckedMessage[]): unknown[][] => MESSAGE_COLUMNS.map(([, , f]) => unique.map(f));

/** The messages of a batch, a message id repeated in it taken once (its first). */
function uniqueMessages(messages: CheckedMessage[]): CheckedMessage[] {
  const fresh = new Map<string, CheckedMessage>();
  for (const m of messages) if (!fresh.has(m.id)) fresh.set(m.id, m);
  return [...fresh.values()];
}

/**
 * One statement for a batch of one run the site has: the run must be this device's and of the
 * messages' deployment, else nothing is written and the answer is undefined (the careful way then
 * says why). The messages not stored yet are inserted; the run is updated from those, as
 * `storeCarefully` does: its start, its result by its latest run message among succeeded, failed
 * and refused, its last message (the latest by time; of equal times the later in the batch), the
 * bytes and seconds of download reports (without `seconds`, the time since the run began), its
 * restarts and message count. The run's row is locked by the update, so batches of one run sent at
 * once add up. A run deleted meanwhile (its deployment was) is also left to the careful way.
 */
async function storeForKnownRun(db: Database, device: ReportingDevice, messages: CheckedMessage[]): Promise<StoredBatch | undefined> {
  const unique = uniqueMessages(messages);
  const runId = unique[0]!.runId;
  const deploymentId = unique[0]!.deploymentId;
  if (unique.some((m) => m.deploymentId !== deploymentId)) return undefined;
  const n = MESSAGE_COLUMNS.length;
  const first = unique.reduce((a, b) => (b.time < a.time ? b : a)).time;
  const sql = `
    WITH run AS (
      SELECT run_id, started_at FROM runs WHERE run_id = $${n + 1} AND resource_id = $${n + 2} AND deployment_id = $${n + 3}
    ),
    batch AS (
      SELECT * FROM ${UNNEST} WITH ORDINALITY AS b(${COLUMN_LIST}, ord)
    ),
    stored AS (
      INSERT INTO status_messages (${COLUMN_LIST})
      SELECT ${COLUMN_LIST} FROM batch WHERE EXISTS (SELECT 1 FROM run) ORDER BY ord
      ON CONFLICT (id) DO NOTHING RETURNING id
    ),
    fresh AS (SELECT batch.* FROM batch JOIN stored USING (id)),
    totals AS (
      SELECT min(f.time) AS started_at, count(*)::int AS n,
        count(*) FILTER (WHERE f.outcome = 'restart-requested')::int AS restarts,
        coalesce(sum(f.bytes) FILTER (WHERE f.outcome = 'downloaded'), 0)::bigint AS bytes,
        coalesce(sum(coalesce(f.seconds, extract(epoch FROM f.time - least(run.started_at, $${n + 4}::timestamptz))::float8))
          FILTER (WHERE f.outcome = 'downloaded'), 0)::float8 AS seconds
      FROM fresh f, run
    ),
    latest AS (SELECT id, time, message_id FROM fresh ORDER BY time DESC, ord DESC LIMIT 1),
    ended AS (
      SELECT outcome, time FROM fresh WHERE kind = 'run' AND outcome IN ('succeeded', 'failed', 'refused') ORDER BY time DESC, ord DESC LIMIT 1
    ),
    updated AS (
      UPDATE runs r SET
        started_at = least(r.started_at, t.started_at),
        result = CASE WHEN e.outcome IS NOT NULL AND (r.ended_at IS NULL OR e.time >= r.ended_at) THEN e.outcome ELSE r.result END,
        ended_at = CASE WHEN e.outcome IS NOT NULL AND (r.ended_at IS NULL OR e.time >= r.ended_at) THEN e.time ELSE r.ended_at END,
        last_status_id = CASE WHEN r.last_message_at IS NULL OR l.time >= r.last_message_at THEN l.id ELSE r.last_status_id END,
        last_message_id = CASE WHEN r.last_message_at IS NULL OR l.time >= r.last_message_at THEN l.message_id ELSE r.last_message_id END,
        last_message_at = CASE WHEN r.last_message_at IS NULL OR l.time >= r.last_message_at THEN l.time ELSE r.last_message_at END,
        bytes_downloaded = r.bytes_downloaded + t.bytes, download_seconds = r.download_seconds + t.seconds,
        restarts = r.restarts + t.restarts, message_count = r.message_count + t.n
      FROM totals t CROSS JOIN latest l LEFT JOIN ended e ON true
      WHERE r.run_id = $${n + 1} AND t.n > 0
      RETURNING r.run_id
    )
    SELECT EXISTS (SELECT 1 FROM run) AS known, (SELECT count(*) FROM stored)::int AS stored`;
  let rows: Array<{ known: boolean; stored: number }>;
  try {
    ({ rows } = await db.query<{ known: boolean; stored: number }>(
      sql,
      [...messageArrays(unique), runId, device.resourceId, deploymentId, first.toISOString()],
      { name: 'osd_mp_status_known_run' },
    ));
  } catch (e) {
    // 23503: the run went (its deployment or device was deleted) between the check and the insert.
    if ((e as { code?: unknown }).code === '23503') return undefined;
    throw e;
  }
  const r = rows[0]!;
  if (!r.known) return undefined;
  return { stored: r.stored, duplicates: messages.length - r.stored };
}

/**
 * One statement for a batch that starts a run (one run, its `run started` among the messages): when
 * the deployment exists and targets the device (policy.ts `policyTarget`, in SQL), the run is not
 * known yet and no message id is stored yet, the run is made with what its messages say — as the
 * careful way makes it and updates it — and the messages are stored; else nothing is written and
 * the answer is undefined. A batch sent twice at once: the second finds the run made (it waits for
 * the first) and is left to the careful way, which counts its duplicates; a message id stored
 * meanwhile by another request breaks the unique key and undoes the whole statement (23505), and
 * the careful way takes the batch.
 */
async function storeForNewRun(db: Database, device: ReportingDevice, messages: CheckedMessage[]): Promise<StoredBatch | undefined> {
  const unique = uniqueMessages(messages);
  const runId = unique[0]!.runId;
  const deploymentId = unique[0]!.deploymentId;
  if (unique.some((m) => m.deploymentId !== deploymentId)) return undefined;
  const n = MESSAGE_COLUMNS.length;
  const first = unique.reduce((a, b) => (b.time < a.time ? b : a)).time;
  const sql = `
    WITH target AS (
      SELECT CASE WHEN NOT unknown THEN resource_id WHEN architecture = 'x86' THEN $${n + 5}::bigint WHEN architecture = 'x64' THEN $${n + 6}::bigint END AS id
      FROM devices WHERE resource_id = $${n + 2}
    ),
    allowed AS (
      SELECT 1 FROM deployments d, target t
      WHERE d.deployment_id = $${n + 3}
        AND EXISTS (SELECT 1 FROM collection_members m WHERE m.collection_id = d.collection_id AND m.resource_id = t.id)
        AND NOT EXISTS (SELECT 1 FROM runs WHERE run_id = $${n + 1})
        AND NOT EXISTS (SELECT 1 FROM status_messages WHERE id = ANY($1::text[]))
    ),
    batch AS (
      SELECT * FROM ${UNNEST} WITH ORDINALITY AS b(${COLUMN_LIST}, ord)
    ),
    totals AS (
      SELECT min(time) AS started_at, count(*)::int AS n,
        count(*) FILTER (WHERE outcome = 'restart-requested')::int AS restarts,
        coalesce(sum(bytes) FILTER (WHERE outcome = 'downloaded'), 0)::bigint AS bytes,
        coalesce(sum(coalesce(seconds, extract(epoch FROM time - $${n + 4}::timestamptz)::float8)) FILTER (WHERE outcome = 'downloaded'), 0)::float8 AS seconds
      FROM batch
    ),
    latest AS (SELECT id, time, message_id FROM batch ORDER BY time DESC, ord DESC LIMIT 1),
    ended AS (
      SELECT outcome, time FROM batch WHERE kind = 'run' AND outcome IN ('succeeded', 'failed', 'refused') ORDER BY time DESC, ord DESC LIMIT 1
    ),
    made AS (
      INSERT INTO runs (run_id, resource_id, deployment_id, started_at, result, ended_at, last_status_id, last_message_id, last_message_at,
        bytes_downloaded, download_seconds, restarts, message_count)
      SELECT $${n + 1}, $${n + 2}, $${n + 3}, t.started_at, coalesce(e.outcome, 'in-progress'), e.time, l.id, l.message_id, l.time,
        t.bytes, t.seconds, t.restarts, t.n
      FROM totals t CROSS JOIN latest l LEFT JOIN ended e ON true
      WHERE EXISTS (SELECT 1 FROM allowed)
      ON CONFLICT (run_id) DO NOTHING RETURNING run_id
    ),
    stored AS (
      INSERT INTO status_messages (${COLUMN_LIST})
      SELECT ${COLUMN_LIST} FROM batch WHERE EXISTS (SELECT 1 FROM made) ORDER BY ord
      RETURNING id
    )
    SELECT (SELECT count(*) FROM made)::int AS made, (SELECT count(*) FROM stored)::int AS stored`;
  let rows: Array<{ made: number; stored: number }>;
  try {
    ({ rows } = await db.query<{ made: number; stored: number }>(
      sql,
      [...messageArrays(unique), runId, device.resourceId, deploymentId, first.toISOString(), UNKNOWN_X86_RESOURCE_ID, UNKNOWN_X64_RESOURCE_ID],
      { name: 'osd_mp_status_new_run' },
    ));
  } catch (e) {
    // 23505: a message id stored meanwhile; 23503: the device or deployment deleted meanwhile.
    const code = (e as { code?: unknown }).code;
    if (code === '23505' || code === '23503') return undefined;
    throw e;
  }
  const r = rows[0]!;
  if (!r.made) return undefined;
  return { stored: r.stored, duplicates: messages.length - r.stored };
}

/** The careful way: every run locked, every message checked against it, new runs made (one transaction). */
async function storeCarefully(db: Database, device: ReportingDevice, messages: CheckedMessage[], runIds: string[]): Promise<StoredBatch> {
  return db.transaction(async (tx) => {
    // Runs already known, locked so concurrent batches of one run add up.
    const existing = await tx.query<{ run_id: string; resource_id: string | number; deployment_id: string; started_at: Date }>(
      'SELECT run_id, resource_id, deployment_id, started_at FROM runs WHERE run_id = ANY($1::text[]) ORDER BY run_id FOR UPDATE',
      [runIds],
    );
    const runs = new Map(existing.rows.map((r) => [r.run_id, { resourceId: Number(r.resource_id), deploymentId: r.deployment_id, startedAt: r.started_at }]));
    // Whether a deployment targets the device matters for a new run only: a run already under way
    // is reported to its end even if the device has left the collection since (and most batches
    // are of runs under way, so they cost no targeting query).
    const newRunDeployments = [...new Set(messages.filter((m) => !runs.has(m.runId)).map((m) => m.deploymentId))];
    const targets = newRunDeployments.length ? await deploymentTargets(tx, device.resourceId, newRunDeployments) : new Map<string, boolean>();
    const deploymentOfRun = new Map<string, string>();
    messages.forEach((m, i) => {
      const run = runs.get(m.runId);
      if (run && run.resourceId !== device.resourceId) {
        throw new SiteError('not-found', {
          input: `body.messages[${i}].runId`,
          rule: `this device has no run ${m.runId}`,
          hint: 'a device reports only its own runs, under the run id it made',
        });
      }
      if (!run) {
        const target = targets.get(m.deploymentId);
        if (target === undefined) {
          throw badInput(`body.messages[${i}].deploymentId`, `the site has no deployment ${m.deploymentId}`, 'report only deployments of this device’s policy');
        }
        if (!target) {
          throw badInput(
            `body.messages[${i}].deploymentId`,
            `deployment ${m.deploymentId} does not target this device`,
            'report only deployments of this device’s policy',
          );
        }
      }
      const runDeployment = run?.deploymentId ?? deploymentOfRun.get(m.runId);
      if (runDeployment !== undefined && runDeployment !== m.deploymentId) {
        throw badInput(`body.messages[${i}].deploymentId`, `run ${m.runId} is a run of deployment ${runDeployment}, not of ${m.deploymentId}`);
      }
      deploymentOfRun.set(m.runId, m.deploymentId);
    });

    const unique = uniqueMessages(messages);
    // New runs start at their earliest message; the updates below keep them right. A run another
    // request made in the meantime (a batch sent again while the first is still being stored) is
    // taken if it is this device's run of the same deployment.
    for (const runId of runIds) {
      if (runs.has(runId)) continue;
      const first = unique.filter((m) => m.runId === runId).reduce((a, b) => (b.time < a.time ? b : a));
      const made = await tx.query(
        'INSERT INTO runs (run_id, resource_id, deployment_id, started_at) VALUES ($1, $2, $3, $4) ON CONFLICT (run_id) DO NOTHING RETURNING run_id',
        [runId, device.resourceId, first.deploymentId, first.time],
      );
      if (made.rows.length) continue;
      const other = await tx.query<{ resource_id: string | number; deployment_id: string }>(
        'SELECT resource_id, deployment_id FROM runs WHERE run_id = $1 FOR UPDATE',
        [runId],
      );
      const i = messages.findIndex((m) => m.runId === runId);
      if (Number(other.rows[0]?.resource_id) !== device.resourceId) {
        throw new SiteError('not-found', {
          input: `body.messages[${i}].runId`,
          rule: `this device has no run ${runId}`,
          hint: 'a device reports only its own runs, under the run id it made',
        });
      }
      if (other.rows[0]!.deployment_id !== first.deploymentId) {
        throw badInput(`body.messages[${i}].deploymentId`, `run ${runId} is a run of deployment ${other.rows[0]!.deployment_id}, not of ${first.deploymentId}`);
      }
    }
    const inserted = await tx.query<{ id: string }>(
      `INSERT INTO status_messages (${COLUMN_LIST}) SELECT * FROM ${UNNEST} ON CONFLICT (id) DO NOTHING RETURNING id`,
      messageArrays(unique),
    );
    const stored = new Set(inserted.rows.map((r) => r.id));

    // When each run began: its stored start, or its earliest message in this batch.
    const runStart = new Map<string, number>();
    for (const m of unique) {
      const known = runs.get(m.runId)?.startedAt.getTime() ?? Infinity;
      runStart.set(m.runId, Math.min(runStart.get(m.runId) ?? known, m.time.getTime()));
    }
    // What the stored messages change on their runs (a duplicate changes nothing).
    const updates = new Map<string, RunUpdate>();
    for (const m of unique) {
      if (!stored.has(m.id)) continue;
      let u = updates.get(m.runId);
      if (!u) updates.set(m.runId, (u = { startedAt: m.time, bytes: 0, seconds: 0, restarts: 0, count: 0 }));
      if (m.time < u.startedAt) u.startedAt = m.time;
      if (later(u.last, m)) u.last = m;
      if (m.kind === 'run' && (m.outcome === 'succeeded' || m.outcome === 'failed' || m.outcome === 'refused') && later(u.end, m)) u.end = m;
      if (m.outcome === 'downloaded') {
        u.bytes += m.bytes ?? 0;
        // Without `seconds`, a download report made before the engine starts ("download all
        // first") took about the time since the run began.
        u.seconds += m.seconds ?? Math.max(0, (m.time.getTime() - runStart.get(m.runId)!) / 1000);
      }
      if (m.outcome === 'restart-requested') u.restarts++;
      u.count++;
    }
    for (const [runId, u] of updates) {
      await tx.query(
        `UPDATE runs SET
           started_at = LEAST(started_at, $2),
           result = CASE WHEN $3::text IS NOT NULL AND (ended_at IS NULL OR $4 >= ended_at) THEN $3 ELSE result END,
           ended_at = CASE WHEN $3::text IS NOT NULL AND (ended_at IS NULL OR $4 >= ended_at) THEN $4 ELSE ended_at END,
           last_status_id = CASE WHEN last_message_at IS NULL OR $6 >= last_message_at THEN $5 ELSE last_status_id END,
           last_message_id = CASE WHEN last_message_at IS NULL OR $6 >= last_message_at THEN $7 ELSE last_message_id END,
           last_message_at = CASE WHEN last_message_at IS NULL OR $6 >= last_message_at THEN $6 ELSE last_message_at END,
           bytes_downloaded = bytes_downloaded + $8, download_seconds = download_seconds + $9,
           restarts = restarts + $10, message_count = message_count + $11
         WHERE run_id = $1`,
        [runId, u.startedAt, u.end?.outcome ?? null, u.end?.time ?? null, u.last!.id, u.last!.time, u.last!.messageId, u.bytes, u.seconds, u.restarts, u.count],
      );
    }
    return { stored: stored.size, duplicates: messages.length - stored.size };
  });
}

/**
 * Runs, status messages and uploaded logs (issue 12, docs/management-point.md "Runs and status"):
 * what the agents report, kept so the admin sees a deployment's status, each device's history step
 * by step, and its smsts.log (osd-features §4.7, §6).
 *
 * A run is one execution of one deployment on one device, identified by the UUID the agent made.
 * Its row is kept up to date from the status messages as they are stored (one transaction with
 * them), so the monitoring queries read one row per run, not every message.
 *
 * Logs are kept in the database (bytea, gzip-compressed), not in the content store: a log belongs to
 * its run and goes with it (ON DELETE CASCADE, no garbage collector to teach), every server process
 * sharing the database reads it without shared storage, and it is written in the same transaction
 * that checks the run's 64 MiB total. smsts.log compresses about tenfold.
 */
export const sql = `
CREATE TABLE runs (
  run_id text PRIMARY KEY,            -- the agent's UUID
  resource_id bigint NOT NULL REFERENCES devices(resource_id) ON DELETE CASCADE,
  -- A deployment deleted takes its status with it (as ConfigMgr's deployment status goes with it).
  deployment_id text NOT NULL REFERENCES deployments(deployment_id) ON DELETE CASCADE,
  started_at timestamptz NOT NULL,    -- the run-started message's time (else the earliest message's)
  ended_at timestamptz,               -- the time of the message that gave the result
  result text NOT NULL DEFAULT 'in-progress' CHECK (result IN ('in-progress', 'succeeded', 'failed', 'refused')),
  last_status_id text,                -- status_messages.id of the latest message (by its time)
  last_message_id integer,            -- its ConfigMgr message id (11134 …)
  last_message_at timestamptz,
  bytes_downloaded bigint NOT NULL DEFAULT 0,
  download_seconds double precision NOT NULL DEFAULT 0,  -- time those bytes took: throughput for estimates
  restarts integer NOT NULL DEFAULT 0,
  message_count integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX runs_device ON runs (resource_id, started_at DESC);
CREATE INDEX runs_deployment ON runs (deployment_id, resource_id, started_at DESC);

-- One row per status message (SMS_TaskSequenceExecutionStatus). id: the agent's message id, so a
-- batch sent again after a lost answer is stored once.
CREATE TABLE status_messages (
  id text PRIMARY KEY,
  run_id text NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  seq bigserial,                      -- arrival order, for messages of the same millisecond
  time timestamptz NOT NULL,
  kind text NOT NULL CHECK (kind IN ('run', 'step', 'group')),
  outcome text NOT NULL,
  message_id integer,                 -- ConfigMgr's (osd-features §4.7); null for a download report
  step_index integer,
  step_name text,
  step_group text,
  step_path text,
  step_type text,
  exit_code integer,                  -- signed 32-bit; shown as hex and unsigned decimal
  reason text,
  action_output text,                 -- at most 64 KiB
  predicted boolean NOT NULL DEFAULT false,
  bytes bigint,
  seconds double precision
);
CREATE INDEX status_messages_run ON status_messages (run_id, time, seq);

CREATE TABLE run_logs (
  run_id text NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  name text NOT NULL,                 -- smsts.log | smsts-<timestamp>.log
  content bytea NOT NULL,             -- gzip
  size bigint NOT NULL,               -- bytes as uploaded
  sha256 text NOT NULL,               -- of the bytes as uploaded
  uploaded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, name)
);
`;

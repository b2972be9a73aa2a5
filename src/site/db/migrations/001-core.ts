/** Site settings, id sequences, API tokens, the audit log. */
export const sql = `
CREATE TABLE site_settings (
  key text PRIMARY KEY,
  value jsonb NOT NULL
);

-- Sequences behind ConfigMgr-style ids: packages (site code + 5 hex, e.g. PS100014), collections,
-- deployments, device ResourceIDs. Sequences, not counter rows: nextval never waits for another
-- transaction, so concurrent imports do not queue on one locked row (a rolled-back id is skipped,
-- as ConfigMgr's ids have gaps too).
CREATE SEQUENCE package_id_seq START 1;
CREATE SEQUENCE collection_id_seq START 20;
CREATE SEQUENCE deployment_id_seq START 131072;
CREATE SEQUENCE resource_id_seq START 16777220;

CREATE TABLE api_tokens (
  id text PRIMARY KEY,
  name text NOT NULL,
  role text NOT NULL,
  token_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL,
  expires_at timestamptz,
  revoked_at timestamptz
);

-- Every change, written in the same transaction as the change itself.
CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  role text NOT NULL,
  action text NOT NULL,
  object_type text NOT NULL,
  object_id text NOT NULL,
  details jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id);
`;

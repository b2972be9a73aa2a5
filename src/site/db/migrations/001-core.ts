/** Site settings, id counters, API tokens, the audit log. */
export const sql = `
CREATE TABLE site_settings (
  key text PRIMARY KEY,
  value jsonb NOT NULL
);

-- Counters behind ConfigMgr-style ids: 'package' (site code + 5 hex, e.g. PS100014), 'collection',
-- 'deployment', 'resource' (device ResourceIDs).
CREATE TABLE id_counters (
  scope text PRIMARY KEY,
  next bigint NOT NULL
);

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

/**
 * The management point (issue 12, docs/management-point.md): devices that registered themselves,
 * their approval, their credentials (kept hashed, like API tokens) and the administrator's
 * "clear required deployments" per device and deployment (osd-features §4.2, §5.1).
 */
export const sql = `
-- A device that registered on first contact (an unknown computer the site did not know before).
ALTER TABLE devices ADD COLUMN unknown boolean NOT NULL DEFAULT false;
-- approved: may get policy; pending: waits for an administrator (unknownComputers = manual);
-- refused: an administrator refused it (its credentials are revoked, it cannot register again).
ALTER TABLE devices ADD COLUMN approval text NOT NULL DEFAULT 'approved' CHECK (approval IN ('approved', 'pending', 'refused'));
ALTER TABLE devices ADD COLUMN architecture text CHECK (architecture IN ('x86', 'x64', 'arm64'));
ALTER TABLE devices ADD COLUMN firmware text CHECK (firmware IN ('bios', 'uefi'));
ALTER TABLE devices ADD COLUMN registered_at timestamptz;
ALTER TABLE devices ADD COLUMN last_contact_at timestamptz;
CREATE INDEX devices_pending ON devices (approval) WHERE approval <> 'approved';

CREATE TABLE device_credentials (
  id text PRIMARY KEY,                 -- cred_<hex>
  resource_id bigint NOT NULL REFERENCES devices(resource_id) ON DELETE CASCADE,
  credential_hash text NOT NULL UNIQUE, -- SHA-256 of the bearer token; the token itself is never kept
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz
);
CREATE INDEX device_credentials_resource ON device_credentials (resource_id);

-- "Clear required PXE deployments": a Required deployment whose last run ended before cleared_at is
-- offered again. Whether it ran is derived from the runs.
CREATE TABLE required_deployment_clears (
  resource_id bigint NOT NULL REFERENCES devices(resource_id) ON DELETE CASCADE,
  deployment_id text NOT NULL REFERENCES deployments(deployment_id) ON DELETE CASCADE,
  cleared_at timestamptz NOT NULL DEFAULT now(),
  cleared_by text NOT NULL,
  PRIMARY KEY (resource_id, deployment_id)
);
`;

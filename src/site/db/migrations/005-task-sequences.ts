/** Task sequences under revision history, and their deployments (osd-features §2.10, §4). */
export const sql = `
CREATE TABLE task_sequences (
  package_id text PRIMARY KEY,        -- shares the package id counter (PackageType 4)
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  boot_image_id text REFERENCES packages(package_id),
  current_revision integer NOT NULL,
  properties jsonb NOT NULL DEFAULT '{}'::jsonb,      -- Duration, high impact, … (§4.6)
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX task_sequences_name ON task_sequences (lower(name));

-- Every save is a revision. body: canonical JSON with secret values emptied; secrets: the
-- secret values, encrypted (site secret box), so a revert restores them without ever exposing them.
CREATE TABLE task_sequence_revisions (
  package_id text NOT NULL REFERENCES task_sequences(package_id) ON DELETE CASCADE,
  revision integer NOT NULL,
  author text NOT NULL,
  message text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  body jsonb NOT NULL,
  secrets text,
  size_bytes integer NOT NULL,
  step_count integer NOT NULL,
  PRIMARY KEY (package_id, revision)
);

-- What each revision references (PackageIDs of boot image, images, packages, driver packages;
-- application model names), filled when the revision is saved: "in use" checks and content manifests.
CREATE TABLE task_sequence_references (
  package_id text NOT NULL,
  revision integer NOT NULL,
  ref_id text NOT NULL,
  ref_kind text NOT NULL,             -- package | application
  PRIMARY KEY (package_id, revision, ref_id),
  FOREIGN KEY (package_id, revision) REFERENCES task_sequence_revisions(package_id, revision) ON DELETE CASCADE
);
CREATE INDEX task_sequence_references_ref ON task_sequence_references (ref_id);

CREATE TABLE deployments (
  deployment_id text PRIMARY KEY,     -- site code + 5 hex (an advertisement id)
  task_sequence_id text NOT NULL REFERENCES task_sequences(package_id),
  revision integer NOT NULL,
  collection_id text NOT NULL REFERENCES collections(collection_id),
  purpose text NOT NULL,              -- available | required
  settings jsonb NOT NULL,            -- availability, schedules, rerun, content options, pre-cache, UX, …
  collection_size integer NOT NULL,   -- membership when created (§4.5: not re-evaluated)
  high_risk boolean NOT NULL DEFAULT false,
  enabled boolean NOT NULL DEFAULT true,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (task_sequence_id, revision) REFERENCES task_sequence_revisions(package_id, revision)
);
CREATE INDEX deployments_collection ON deployments (collection_id);

-- Software update deployments to collections (§2.8).
CREATE TABLE software_update_deployments (
  deployment_id text PRIMARY KEY,
  name text NOT NULL,
  collection_id text NOT NULL REFERENCES collections(collection_id),
  purpose text NOT NULL,
  update_ids jsonb NOT NULL,          -- software_updates.update_id values
  available_at timestamptz NOT NULL,
  deadline timestamptz,
  enabled boolean NOT NULL DEFAULT true,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
`;

/** Driver catalog and categories (§2.6), applications (§2.7), software updates (§2.8). */
export const sql = `
CREATE TABLE drivers (
  ci_id bigserial PRIMARY KEY,
  name text NOT NULL,                 -- named after the first supported device (§2.6)
  inf_file text NOT NULL,
  provider text NOT NULL DEFAULT '',
  class text NOT NULL DEFAULT '',
  version text NOT NULL DEFAULT '',
  driver_date text NOT NULL DEFAULT '',
  signed boolean NOT NULL DEFAULT false,
  platforms jsonb NOT NULL DEFAULT '[]'::jsonb,      -- ['x86','x64',…] (editable applicability)
  hardware_ids jsonb NOT NULL DEFAULT '[]'::jsonb,
  categories jsonb NOT NULL DEFAULT '[]'::jsonb,
  enabled boolean NOT NULL DEFAULT true,
  content_id text NOT NULL REFERENCES content(id),   -- the driver's folder
  content_hash text NOT NULL,                         -- identity for duplicate detection
  description text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (content_hash, inf_file)
);
-- For the management point's Auto Apply Drivers lookup (lower-cased ids).
CREATE TABLE driver_hardware_ids (
  ci_id bigint NOT NULL REFERENCES drivers(ci_id) ON DELETE CASCADE,
  hardware_id text NOT NULL,
  PRIMARY KEY (hardware_id, ci_id)
);
CREATE TABLE driver_categories (
  name text PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);
-- Drivers in a driver package (package_type 3) or added to a boot image (258).
CREATE TABLE package_drivers (
  package_id text NOT NULL REFERENCES packages(package_id) ON DELETE CASCADE,
  ci_id bigint NOT NULL REFERENCES drivers(ci_id) ON DELETE CASCADE,
  PRIMARY KEY (package_id, ci_id)
);

CREATE TABLE applications (
  ci_id bigserial PRIMARY KEY,
  model_name text NOT NULL UNIQUE,    -- ScopeId_…/Application_… as a task sequence references it
  name text NOT NULL UNIQUE,          -- display name
  publisher text NOT NULL DEFAULT '',
  software_version text NOT NULL DEFAULT '',
  description text NOT NULL DEFAULT '',
  allow_task_sequence_install boolean NOT NULL DEFAULT false,
  retired boolean NOT NULL DEFAULT false,
  superseded_by text,                 -- model name
  deployment_types jsonb NOT NULL DEFAULT '[]'::jsonb,
  package_id text REFERENCES packages(package_id),    -- the application's content (package_type 8)
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE software_updates (
  ci_id bigserial PRIMARY KEY,
  update_id text NOT NULL UNIQUE,     -- the update's GUID
  article_id text NOT NULL DEFAULT '',
  bulletin_id text NOT NULL DEFAULT '',
  title text NOT NULL,
  classification text NOT NULL DEFAULT '',
  products jsonb NOT NULL DEFAULT '[]'::jsonb,
  severity text NOT NULL DEFAULT '',
  superseded boolean NOT NULL DEFAULT false,
  expired boolean NOT NULL DEFAULT false,
  package_id text REFERENCES packages(package_id),    -- deployment package holding its files (type 5)
  created_at timestamptz NOT NULL DEFAULT now()
);
`;

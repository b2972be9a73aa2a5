/**
 * Content (SHA-256 addressed manifests), packages of every type (osd-features §2.1), distribution
 * points and the content status of each package on each DP (§3.5).
 */
export const sql = `
-- One row per distinct content manifest; id = the manifest's SHA-256 (ContentStore.manifestHash).
CREATE TABLE content (
  id text PRIMARY KEY,
  size bigint NOT NULL,
  file_count integer NOT NULL,
  files jsonb NOT NULL,              -- [{path, size, sha256}] sorted by path
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Every object with a PackageID: boot images (258), OS images (257), OS upgrade packages (259),
-- driver packages (3), packages incl. client and USMT (0), software update packages (5),
-- application content (8). Task sequences (4) have their own table but share the id counter.
CREATE TABLE packages (
  package_id text PRIMARY KEY,
  package_type integer NOT NULL,
  name text NOT NULL,
  version text NOT NULL DEFAULT '',
  description text NOT NULL DEFAULT '',
  language text NOT NULL DEFAULT '',
  manufacturer text NOT NULL DEFAULT '',
  source_path text NOT NULL DEFAULT '',
  source_version integer NOT NULL DEFAULT 1,
  source_date timestamptz NOT NULL DEFAULT now(),
  content_id text REFERENCES content(id),
  priority text NOT NULL DEFAULT 'medium',
  copy_to_share boolean NOT NULL DEFAULT false,
  persist_in_cache boolean NOT NULL DEFAULT false,
  built_in boolean NOT NULL DEFAULT false,
  properties jsonb NOT NULL DEFAULT '{}'::jsonb,   -- type-specific (architecture, images, model …)
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX packages_type ON packages (package_type);

CREATE TABLE distribution_points (
  name text PRIMARY KEY,
  url text NOT NULL,
  push_token text NOT NULL,          -- encrypted (site secret box)
  description text NOT NULL DEFAULT '',
  pxe_enabled boolean NOT NULL DEFAULT false,
  unknown_computer_support boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Content status per package per DP: pending | in-progress | success | error | removing.
CREATE TABLE distribution_status (
  package_id text NOT NULL REFERENCES packages(package_id) ON DELETE CASCADE,
  dp_name text NOT NULL REFERENCES distribution_points(name) ON DELETE CASCADE,
  source_version integer NOT NULL,
  state text NOT NULL,
  message text NOT NULL DEFAULT '',
  redistribute boolean NOT NULL DEFAULT false,   -- copy everything again, not only what is missing
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (package_id, dp_name)
);
`;

/** Devices, collections with rules, variables, computer associations (osd-features §3.1–§3.4). */
export const sql = `
CREATE TABLE devices (
  resource_id bigint PRIMARY KEY,
  name text NOT NULL,
  smbios_guid text,                   -- upper-case 8-4-4-4-12
  mac_addresses jsonb NOT NULL DEFAULT '[]'::jsonb,   -- colon format, upper-case (§3.2)
  unknown_computer text,              -- 'x86' | 'x64' for the two unknown-computer objects
  is_site_system boolean NOT NULL DEFAULT false,
  is_server boolean NOT NULL DEFAULT false,
  client boolean NOT NULL DEFAULT false,
  properties jsonb NOT NULL DEFAULT '{}'::jsonb,      -- inventory for query rules (manufacturer, model, OS …)
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX devices_name ON devices (lower(name), resource_id);  -- the device list's order
CREATE TABLE device_macs (
  mac text NOT NULL,
  resource_id bigint NOT NULL REFERENCES devices(resource_id) ON DELETE CASCADE,
  PRIMARY KEY (mac, resource_id)
);
CREATE INDEX devices_smbios ON devices (smbios_guid);

CREATE TABLE collections (
  collection_id text PRIMARY KEY,     -- SMS00001 (All Systems), SMS000US (All Unknown Computers), site code + 5 hex
  name text NOT NULL,
  comment text NOT NULL DEFAULT '',
  limiting_collection_id text REFERENCES collections(collection_id),
  built_in boolean NOT NULL DEFAULT false,
  variable_priority integer NOT NULL DEFAULT 1 CHECK (variable_priority BETWEEN 1 AND 9),
  member_count integer NOT NULL DEFAULT 0,
  evaluated_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX collections_name ON collections (lower(name));

-- kind: direct (resource_id) | query (query) | include / exclude (ref_collection_id)
CREATE TABLE collection_rules (
  id bigserial PRIMARY KEY,
  collection_id text NOT NULL REFERENCES collections(collection_id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('direct', 'query', 'include', 'exclude')),
  name text NOT NULL DEFAULT '',
  resource_id bigint REFERENCES devices(resource_id) ON DELETE CASCADE,
  query text,
  ref_collection_id text REFERENCES collections(collection_id) ON DELETE CASCADE
);
CREATE INDEX collection_rules_collection ON collection_rules (collection_id);

-- Evaluated membership.
CREATE TABLE collection_members (
  collection_id text NOT NULL REFERENCES collections(collection_id) ON DELETE CASCADE,
  resource_id bigint NOT NULL REFERENCES devices(resource_id) ON DELETE CASCADE,
  PRIMARY KEY (collection_id, resource_id)
);
CREATE INDEX collection_members_resource ON collection_members (resource_id);

-- Masked values ("Do not display this value") are kept encrypted in value and never returned.
CREATE TABLE collection_variables (
  collection_id text NOT NULL REFERENCES collections(collection_id) ON DELETE CASCADE,
  name text NOT NULL,
  value text NOT NULL,
  masked boolean NOT NULL DEFAULT false,
  PRIMARY KEY (collection_id, name)
);
CREATE UNIQUE INDEX collection_variables_name ON collection_variables (collection_id, lower(name));
CREATE TABLE device_variables (
  resource_id bigint NOT NULL REFERENCES devices(resource_id) ON DELETE CASCADE,
  name text NOT NULL,
  value text NOT NULL,
  masked boolean NOT NULL DEFAULT false,
  PRIMARY KEY (resource_id, name)
);
CREATE UNIQUE INDEX device_variables_name ON device_variables (resource_id, lower(name));

CREATE TABLE computer_associations (
  id bigserial PRIMARY KEY,
  source_resource_id bigint NOT NULL REFERENCES devices(resource_id) ON DELETE CASCADE,
  destination_resource_id bigint NOT NULL REFERENCES devices(resource_id) ON DELETE CASCADE,
  user_accounts text NOT NULL,        -- capture-restore-all | capture-all-restore-specified | capture-restore-specified
  accounts jsonb NOT NULL DEFAULT '[]'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
`;

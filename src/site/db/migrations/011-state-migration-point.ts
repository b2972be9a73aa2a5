/**
 * The state migration point (issue 13; user-state.md §1.2, §2.5; osd-features §3.4): its settings
 * (storage folders in order, each with a maximum number of clients and a minimum free space; the
 * deletion policy; restore-only mode) and one row per user state store with its life cycle
 * (requested → capturing → captured → restoring → restored → deleted; abandoned), its data key
 * sealed with the site key, its folder and its files (resumable uploads: the bytes received so far).
 * docs/state-migration-point.md.
 */
export const sql = `
CREATE TABLE smp_settings (
  id integer PRIMARY KEY CHECK (id = 1),
  -- Deletion policy: 'immediate' (value 0) after the restore is released, or after N days / hours
  -- (ConfigMgr's SMPStoreDeletionCycleTimeInMinutes, 0 = immediately). Default 1 day [I: osd-features §3.4].
  deletion_unit text NOT NULL DEFAULT 'days' CHECK (deletion_unit IN ('immediate', 'days', 'hours')),
  deletion_value integer NOT NULL DEFAULT 1 CHECK (deletion_value BETWEEN 0 AND 99999),
  restore_only boolean NOT NULL DEFAULT false,     -- SMPQuiesceState = 1
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO smp_settings (id) VALUES (1);

CREATE TABLE smp_storage_folders (
  position integer PRIMARY KEY,                   -- the order capture requests try them in
  path text NOT NULL UNIQUE,
  max_clients integer NOT NULL CHECK (max_clients BETWEEN 1 AND 99999),
  min_free_value integer NOT NULL CHECK (min_free_value BETWEEN 1 AND 99999),
  min_free_unit text NOT NULL CHECK (min_free_unit IN ('MB', 'GB', 'Percent'))
);

CREATE TABLE state_stores (
  store_id text PRIMARY KEY,                      -- a random UUID: the store format's storeId and the store's folder name
  state text NOT NULL CHECK (state IN ('requested', 'capturing', 'captured', 'restoring', 'restored', 'abandoned', 'deleted')),
  source_resource_id bigint REFERENCES devices(resource_id) ON DELETE SET NULL,
  source_name text NOT NULL,
  association_id bigint REFERENCES computer_associations(id) ON DELETE SET NULL,
  restore_resource_id bigint REFERENCES devices(resource_id) ON DELETE SET NULL,
  folder_path text NOT NULL,                      -- the storage folder (the store is <folder_path>/<store_id>)
  sealed_key text,                                -- the data key (base64), sealed with the site key; NULL once deleted
  key_id text NOT NULL,
  deployment_id text,
  bytes bigint NOT NULL DEFAULT 0,                -- files received completely
  requested_at timestamptz NOT NULL DEFAULT now(),
  last_activity_at timestamptz NOT NULL DEFAULT now(),
  captured_at timestamptz,
  restore_requested_at timestamptz,
  released_at timestamptz,
  restored_at timestamptz,
  abandoned_at timestamptz,
  expires_at timestamptz,                         -- restored or abandoned: when the sweeper deletes it
  deleted_at timestamptz
);
CREATE INDEX state_stores_source ON state_stores (source_resource_id, state);
CREATE INDEX state_stores_folder ON state_stores (folder_path, state);
CREATE INDEX state_stores_expiry ON state_stores (state, expires_at);

CREATE TABLE state_store_files (
  store_id text NOT NULL REFERENCES state_stores(store_id) ON DELETE CASCADE,
  name text NOT NULL,                             -- store.json | manifest.osdm | packs/NNNNNN.osdp
  size bigint NOT NULL,                           -- announced by the upload (Content-Range total)
  sha256 text NOT NULL,                           -- announced; checked when the last byte arrives
  received bigint NOT NULL DEFAULT 0,
  complete boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, name)
);
`;

-- The engine's own schema, shaped as Hasura v2 shapes it so that either engine can read it.
CREATE SCHEMA IF NOT EXISTS hdb_catalog;

CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_version (
  hasura_uuid UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  version TEXT NOT NULL,
  upgraded_on TIMESTAMPTZ NOT NULL,
  cli_state JSONB NOT NULL DEFAULT '{}'::jsonb,
  console_state JSONB NOT NULL DEFAULT '{}'::jsonb,
  ee_client_id TEXT,
  ee_client_secret TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS hdb_version_one_row ON hdb_catalog.hdb_version((version IS NOT NULL));

CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_metadata (
  id INTEGER PRIMARY KEY,
  metadata JSON NOT NULL,
  resource_version INTEGER NOT NULL DEFAULT 1 UNIQUE
);

-- Raised inside a mutation's statement when a row breaks a permission's check.
CREATE OR REPLACE FUNCTION hdb_catalog.check_violation(msg text) RETURNS boolean AS
$$
  BEGIN
    RAISE check_violation USING message = msg;
  END;
$$ LANGUAGE plpgsql;

CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_schema_notifications (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  notification JSON NOT NULL,
  resource_version INTEGER NOT NULL DEFAULT 1,
  instance_id UUID NOT NULL,
  updated_at TIMESTAMPTZ DEFAULT now()
);

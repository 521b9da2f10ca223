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

-- Asynchronous action calls and their results.
CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_action_log (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  action_name TEXT,
  input_payload JSONB NOT NULL,
  request_headers JSONB NOT NULL,
  session_variables JSONB NOT NULL,
  response_payload JSONB NULL,
  errors JSONB NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  response_received_at timestamptz NULL,
  status text NOT NULL,
  CHECK (status IN ('created', 'processing', 'completed', 'error'))
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

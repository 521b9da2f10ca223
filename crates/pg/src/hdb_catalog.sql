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

-- Event triggers: every captured change, and every delivery attempt (Hasura's layout).
CREATE OR REPLACE FUNCTION hdb_catalog.gen_hasura_uuid() RETURNS uuid AS
  'select gen_random_uuid()' LANGUAGE SQL;

CREATE TABLE IF NOT EXISTS hdb_catalog.event_log (
  id TEXT DEFAULT hdb_catalog.gen_hasura_uuid() PRIMARY KEY,
  schema_name TEXT NOT NULL,
  table_name TEXT NOT NULL,
  trigger_name TEXT NOT NULL,
  payload JSONB NOT NULL,
  delivered BOOLEAN NOT NULL DEFAULT FALSE,
  error BOOLEAN NOT NULL DEFAULT FALSE,
  tries INTEGER NOT NULL DEFAULT 0,
  created_at TIMESTAMP DEFAULT NOW(),
  locked TIMESTAMPTZ NULL,
  next_retry_at TIMESTAMP,
  archived BOOLEAN NOT NULL DEFAULT FALSE
);
-- Which live engine holds an event's claim (see rasura-events); Hasura ignores it.
ALTER TABLE hdb_catalog.event_log ADD COLUMN IF NOT EXISTS locked_by INTEGER NULL;
CREATE INDEX IF NOT EXISTS event_log_trigger_name ON hdb_catalog.event_log (trigger_name);
CREATE INDEX IF NOT EXISTS event_log_fetch_events
  ON hdb_catalog.event_log (locked NULLS FIRST, next_retry_at NULLS FIRST, created_at)
  WHERE delivered = 'f' AND error = 'f' AND archived = 'f';

CREATE TABLE IF NOT EXISTS hdb_catalog.event_invocation_logs (
  id TEXT DEFAULT hdb_catalog.gen_hasura_uuid() PRIMARY KEY,
  trigger_name TEXT,
  event_id TEXT,
  status INTEGER,
  request JSON,
  response JSON,
  created_at TIMESTAMP DEFAULT NOW()
);
CREATE INDEX IF NOT EXISTS event_invocation_logs_event_id ON hdb_catalog.event_invocation_logs (event_id);

-- Records one change. The engine sets hasura.user (session variables) and
-- hasura.tracecontext in its mutation transactions; writes from elsewhere leave them null.
CREATE OR REPLACE FUNCTION hdb_catalog.insert_event_log(
  schema_name text, table_name text, trigger_name text, op text, row_data json)
RETURNS text AS $$
DECLARE
  event_id text;
BEGIN
  event_id := hdb_catalog.gen_hasura_uuid()::text;
  INSERT INTO hdb_catalog.event_log (id, schema_name, table_name, trigger_name, payload)
  VALUES (event_id, schema_name, table_name, trigger_name, json_build_object(
    'op', op,
    'data', row_data,
    'session_variables', NULLIF(current_setting('hasura.user', true), '')::json,
    'trace_context', NULLIF(current_setting('hasura.tracecontext', true), '')::json));
  PERFORM pg_notify('rasura_event_log', '');
  RETURN event_id;
END;
$$ LANGUAGE plpgsql;

-- API rate limits (Rasura's own): one counter per role and unique parameters, shared by every
-- engine on this database; unlogged, as counters of the last two minutes need no crash safety.
CREATE UNLOGGED TABLE IF NOT EXISTS hdb_catalog.rasura_rate_limits (
  key TEXT PRIMARY KEY,
  window_start BIGINT NOT NULL,
  count INTEGER NOT NULL,
  previous INTEGER NOT NULL
);
ALTER TABLE hdb_catalog.rasura_rate_limits ADD COLUMN IF NOT EXISTS granted INTEGER NOT NULL DEFAULT 0;

-- Scheduled triggers (Hasura's layout): events of cron triggers, materialised ahead, and
-- one-off scheduled events, each with its delivery attempts. `locked_by` names the live engine
-- holding a claim (see rasura-scheduled); Hasura ignores it.
CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_cron_events (
  id TEXT DEFAULT hdb_catalog.gen_hasura_uuid() PRIMARY KEY,
  trigger_name TEXT NOT NULL,
  scheduled_time TIMESTAMPTZ NOT NULL,
  status TEXT NOT NULL DEFAULT 'scheduled',
  tries INTEGER NOT NULL DEFAULT 0,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  next_retry_at TIMESTAMPTZ,
  CONSTRAINT valid_status CHECK (status IN ('scheduled','locked','delivered','error','dead'))
);
ALTER TABLE hdb_catalog.hdb_cron_events ADD COLUMN IF NOT EXISTS locked_by INTEGER NULL;
CREATE INDEX IF NOT EXISTS hdb_cron_event_status ON hdb_catalog.hdb_cron_events (status);
CREATE UNIQUE INDEX IF NOT EXISTS hdb_cron_events_unique_scheduled
  ON hdb_catalog.hdb_cron_events (trigger_name, scheduled_time) WHERE status = 'scheduled';

CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_cron_event_invocation_logs (
  id TEXT DEFAULT hdb_catalog.gen_hasura_uuid() PRIMARY KEY,
  event_id TEXT,
  status INTEGER,
  request JSON,
  response JSON,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  FOREIGN KEY (event_id) REFERENCES hdb_catalog.hdb_cron_events (id)
    ON UPDATE CASCADE ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS hdb_cron_event_invocation_event_id
  ON hdb_catalog.hdb_cron_event_invocation_logs (event_id);

CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_scheduled_events (
  id TEXT DEFAULT hdb_catalog.gen_hasura_uuid() PRIMARY KEY,
  webhook_conf JSON NOT NULL,
  scheduled_time TIMESTAMPTZ NOT NULL,
  retry_conf JSON,
  payload JSON,
  header_conf JSON,
  status TEXT NOT NULL DEFAULT 'scheduled',
  tries INTEGER NOT NULL DEFAULT 0,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  next_retry_at TIMESTAMPTZ,
  comment TEXT,
  CONSTRAINT valid_status CHECK (status IN ('scheduled','locked','delivered','error','dead'))
);
ALTER TABLE hdb_catalog.hdb_scheduled_events ADD COLUMN IF NOT EXISTS locked_by INTEGER NULL;
ALTER TABLE hdb_catalog.hdb_scheduled_events ADD COLUMN IF NOT EXISTS request_transform JSON NULL;
ALTER TABLE hdb_catalog.hdb_scheduled_events ADD COLUMN IF NOT EXISTS response_transform JSON NULL;
CREATE INDEX IF NOT EXISTS hdb_scheduled_event_status ON hdb_catalog.hdb_scheduled_events (status);

CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_scheduled_event_invocation_logs (
  id TEXT DEFAULT hdb_catalog.gen_hasura_uuid() PRIMARY KEY,
  event_id TEXT,
  status INTEGER,
  request JSON,
  response JSON,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  FOREIGN KEY (event_id) REFERENCES hdb_catalog.hdb_scheduled_events (id)
    ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX IF NOT EXISTS hdb_scheduled_event_invocation_event_id
  ON hdb_catalog.hdb_scheduled_event_invocation_logs (event_id);

-- Engines alive, by lease: each delivery loop inserts its engine id here and renews the lease
-- every few seconds; claims (`locked_by`) of an engine without a live lease are taken back by
-- the others. (A lease, not a session lock: it survives poolers in transaction mode.)
CREATE TABLE IF NOT EXISTS hdb_catalog.rasura_engine_lease (
  engine_id INTEGER PRIMARY KEY,
  expires TIMESTAMPTZ NOT NULL
);

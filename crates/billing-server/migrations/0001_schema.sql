-- Version 1: the relational schema. Written once for both databases:
-- INT is a 64-bit integer and TEXT compares bytewise (see store/migrate.rs).
-- Every table with tenant data leads with tenant_id, and so does every index
-- a request uses; instants are Unix nanoseconds.
CREATE TABLE accounts (
  tenant_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  balance_cents INT NOT NULL,
  currency TEXT NOT NULL,
  msg_seq INT NOT NULL DEFAULT 0,
  pp_enabled INT NOT NULL DEFAULT 0,
  pp_last_enabled_at INT,
  pp_changed_at INT,
  pp_changed_by TEXT
);
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  postpaid_permission INT NOT NULL
);
CREATE INDEX users_tenant ON users (tenant_id, id);
CREATE TABLE resources (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  tab TEXT NOT NULL,
  source TEXT NOT NULL,
  total INT NOT NULL,
  used INT NOT NULL,
  effective_at INT NOT NULL,
  expires_at INT NOT NULL,
  model TEXT,
  refunded INT NOT NULL,
  -- Derived, kept by every write and by the sweep: the status as of the
  -- last time the row was brought up to date, usage in basis points, the
  -- deduction rank (free trial first), lower-cased id and name for search,
  -- and the next instant time alone changes anything (NULL: never).
  status TEXT NOT NULL,
  usage_bp INT NOT NULL,
  draw_rank INT NOT NULL,
  search TEXT NOT NULL,
  due_at INT,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX resources_tab_expiry ON resources (tenant_id, tab, expires_at, id);
CREATE INDEX resources_tab_status_expiry ON resources (tenant_id, tab, status, expires_at, id);
CREATE INDEX resources_tab_usage ON resources (tenant_id, tab, usage_bp, id);
CREATE INDEX resources_tab_status_usage ON resources (tenant_id, tab, status, usage_bp, id);
CREATE INDEX resources_status_expiry ON resources (tenant_id, status, expires_at);
CREATE INDEX resources_status_usage ON resources (tenant_id, status, usage_bp);
CREATE INDEX resources_draw ON resources (tenant_id, kind, status, draw_rank, expires_at, id);
CREATE INDEX resources_due ON resources (due_at, tenant_id);
CREATE INDEX resources_tenant_due ON resources (tenant_id, due_at);
-- Per-status counts per tab, kept by every write that changes a status.
CREATE TABLE status_counts (
  tenant_id TEXT NOT NULL,
  tab TEXT NOT NULL,
  status TEXT NOT NULL,
  n INT NOT NULL,
  PRIMARY KEY (tenant_id, tab, status)
);
CREATE TABLE knowledge (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  chars INT NOT NULL,
  created_at INT NOT NULL,
  state TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE TABLE postpaid_history (
  seq SERIAL_PK,
  tenant_id TEXT NOT NULL,
  at INT NOT NULL,
  by_user_id TEXT NOT NULL,
  by_name TEXT NOT NULL,
  from_enabled INT NOT NULL,
  to_enabled INT NOT NULL
);
CREATE INDEX postpaid_history_tenant ON postpaid_history (tenant_id, at, seq);
-- Metering idempotency: one row per (tenant, key), with what the request
-- was and what it did.
CREATE TABLE usage_keys (
  tenant_id TEXT NOT NULL,
  key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  deduction TEXT NOT NULL,
  PRIMARY KEY (tenant_id, key)
);
CREATE TABLE usage_records (
  seq SERIAL_PK,
  tenant_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  amount INT NOT NULL,
  at INT NOT NULL
);
CREATE INDEX usage_records_tenant ON usage_records (tenant_id, kind, at);
-- Once-only thresholds: the primary key is the guarantee.
CREATE TABLE fired (
  tenant_id TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  threshold TEXT NOT NULL,
  period_end INT NOT NULL,
  PRIMARY KEY (tenant_id, resource_id, threshold, period_end)
);
CREATE TABLE notices (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  resource_name TEXT NOT NULL,
  resource_kind TEXT NOT NULL,
  notice TEXT NOT NULL,
  at INT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX notices_tenant_at ON notices (tenant_id, at, id);
CREATE TABLE notice_reads (
  tenant_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  notice_id TEXT NOT NULL,
  PRIMARY KEY (tenant_id, user_id, notice_id)
);
CREATE TABLE outbox (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  resource_name TEXT NOT NULL,
  reminder TEXT NOT NULL,
  channels TEXT NOT NULL,
  at INT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX outbox_tenant_at ON outbox (tenant_id, at, id);
-- Sessions: only a SHA-256 of the cookie's value is stored.
CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  expires_at INT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

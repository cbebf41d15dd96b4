-- Postpaid usage per tenant, kind and UTC hour (Unix nanoseconds of the
-- hour's start). Open while settled_at is NULL; settlement prices it and
-- it becomes a bill line, once (the row is the line: it cannot be settled
-- twice, and a late draw into a settled hour goes to the next open one).
CREATE TABLE postpaid_hours (
  tenant_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  hour INT NOT NULL,
  units INT NOT NULL,
  amount_cents INT,
  settled_at INT,
  PRIMARY KEY (tenant_id, kind, hour)
);
-- What the settlement job looks for: only open rows are indexed.
CREATE INDEX postpaid_hours_open ON postpaid_hours (hour, tenant_id) WHERE settled_at IS NULL;
CREATE INDEX postpaid_hours_bills ON postpaid_hours (tenant_id, hour) WHERE settled_at IS NOT NULL;
-- The monthly postpaid budget (thresholds as JSON).
CREATE TABLE budgets (
  tenant_id TEXT PRIMARY KEY,
  amount_cents INT NOT NULL,
  thresholds TEXT NOT NULL,
  turn_off INT NOT NULL
);
-- Top-ups by idempotency key.
CREATE TABLE top_ups (
  tenant_id TEXT NOT NULL,
  key TEXT NOT NULL,
  amount_cents INT NOT NULL,
  balance_after_cents INT NOT NULL,
  at INT NOT NULL,
  PRIMARY KEY (tenant_id, key)
);
CREATE TABLE webhook_endpoints (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  created_at INT NOT NULL,
  created_by TEXT NOT NULL
);
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant_id, created_at);
CREATE TABLE webhook_events (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  at INT NOT NULL,
  body TEXT NOT NULL
);
-- One row per event and endpoint: pending until delivered or given up.
-- A sender claims a row by setting lease_until (PostgreSQL: FOR UPDATE SKIP
-- LOCKED), so each is attempted by one replica at a time.
CREATE TABLE webhook_deliveries (
  seq SERIAL_PK,
  tenant_id TEXT NOT NULL,
  endpoint_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INT NOT NULL,
  next_at INT NOT NULL,
  lease_until INT NOT NULL,
  last_attempt_at INT,
  last_status INT,
  last_error TEXT,
  UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at) WHERE state = 'Pending';
-- Retention: finished deliveries by age, events by age.
CREATE INDEX webhook_deliveries_done ON webhook_deliveries (last_attempt_at) WHERE state <> 'Pending';
CREATE INDEX webhook_events_at ON webhook_events (at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, seq);

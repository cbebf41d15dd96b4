-- Usage per tenant, kind and UTC hour (Unix nanoseconds of the hour's
-- start): the forecast's pace reads a week of it (at most 169 rows), never
-- the raw records.
CREATE TABLE usage_hours (
  tenant_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  hour INT NOT NULL,
  amount INT NOT NULL,
  PRIMARY KEY (tenant_id, kind, hour)
);
INSERT INTO usage_hours (tenant_id, kind, hour, amount)
  SELECT tenant_id, kind, at - at % 3600000000000, SUM(amount)
  FROM usage_records GROUP BY tenant_id, kind, at - at % 3600000000000;
-- The deduction ledger: one line per package drawn by a metering event, and
-- one for its postpaid part (resource_id NULL). Written in the deduction's
-- own transaction.
CREATE TABLE deductions (
  seq SERIAL_PK,
  tenant_id TEXT NOT NULL,
  at INT NOT NULL,
  event_key TEXT NOT NULL,
  kind TEXT NOT NULL,
  pool TEXT NOT NULL,
  resource_id TEXT,
  resource_name TEXT,
  amount INT NOT NULL,
  remaining_before INT,
  remaining_after INT,
  event_amount INT NOT NULL
);
CREATE INDEX deductions_tenant ON deductions (tenant_id, seq);
CREATE INDEX deductions_resource ON deductions (tenant_id, resource_id, seq);
CREATE INDEX deductions_kind_at ON deductions (tenant_id, kind, at);

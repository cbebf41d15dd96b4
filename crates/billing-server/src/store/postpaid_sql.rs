//! The SQL behind postpaid billing (hourly usage, bill lines, budgets,
//! top-ups) and webhooks (endpoints, events, deliveries), for
//! [`super::SqlStore`]'s [`billing_rules::store::Store`] methods and the
//! server's settlement and delivery jobs. Every statement names its tenant,
//! except the jobs' own "who has work" queries, which read partial indexes
//! of open work only.

use billing_rules::api::{BillPage, BillsRequest};
use billing_rules::billing::{BillLine, Budget, OpenHour, TopUpKey};
use billing_rules::forecast;
use billing_rules::model::ResourceKind;
use billing_rules::webhook::{Delivery, DeliveryState, Endpoint, Event, EventType};
use chrono::{DateTime, Duration, Utc};

use super::codec::*;
use super::sql::{DbError, Dialect, Row, Sql, V};

pub fn add_postpaid_units(
    c: &mut dyn Sql,
    tenant: &str,
    kind: ResourceKind,
    at: DateTime<Utc>,
    units: u64,
) -> Result<(), DbError> {
    let mut hour = forecast::hour_of(at);
    // A settled hour takes no more units: they go to the next open one.
    for _ in 0..48 {
        let n = c.exec(
            "INSERT INTO postpaid_hours (tenant_id, kind, hour, units) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tenant_id, kind, hour) DO UPDATE SET units = postpaid_hours.units + excluded.units \
             WHERE postpaid_hours.settled_at IS NULL",
            &[tenant.into(), tag(&kind).into(), ns(hour).into(), units.into()],
        )?;
        if n == 1 {
            return Ok(());
        }
        hour += Duration::hours(1);
    }
    Err(DbError::new(
        "no open hour for postpaid usage within 48 hours",
    ))
}

pub fn open_hours(c: &mut dyn Sql, tenant: &str) -> Result<Vec<OpenHour>, DbError> {
    c.rows(
        "SELECT hour, kind, units FROM postpaid_hours WHERE tenant_id = $1 AND settled_at IS NULL ORDER BY hour, kind",
        &[tenant.into()],
    )?
    .iter()
    .map(|r| {
        Ok(OpenHour {
            hour: from_ns(r.int("hour")),
            kind: untag(&r.text("kind"))?,
            units: r.u64("units"),
        })
    })
    .collect()
}

pub fn settle_hours(c: &mut dyn Sql, tenant: &str, lines: &[BillLine]) -> Result<(), DbError> {
    for l in lines {
        let n = c.exec(
            "UPDATE postpaid_hours SET amount_cents = $4, settled_at = $5 \
             WHERE tenant_id = $1 AND kind = $2 AND hour = $3 AND settled_at IS NULL",
            &[
                tenant.into(),
                tag(&l.kind).into(),
                ns(l.hour).into(),
                l.amount_cents.into(),
                ns(l.settled_at).into(),
            ],
        )?;
        if n != 1 {
            // Another settlement got here first: this one must not debit.
            return Err(DbError::new(format!(
                "hour {} of {tenant} was settled concurrently",
                l.hour
            )));
        }
    }
    Ok(())
}

pub fn billed_since(c: &mut dyn Sql, tenant: &str, from: DateTime<Utc>) -> Result<i64, DbError> {
    Ok(c.row(
        "SELECT CAST(COALESCE(SUM(amount_cents), 0) AS BIGINT) AS cents FROM postpaid_hours \
         WHERE tenant_id = $1 AND hour >= $2 AND settled_at IS NOT NULL",
        &[tenant.into(), ns(from).into()],
    )?
    .map(|r| r.int("cents"))
    .unwrap_or(0))
}

pub fn bills(
    c: &mut dyn Sql,
    tenant: &str,
    q: &BillsRequest,
    skip: usize,
    take: usize,
) -> Result<BillPage, DbError> {
    let mut filter = String::from("tenant_id = $1 AND settled_at IS NOT NULL");
    let mut params: Vec<V> = vec![tenant.into()];
    if let Some(f) = q.from {
        params.push(ns(f).into());
        filter.push_str(&format!(" AND hour >= ${}", params.len()));
    }
    if let Some(u) = q.until {
        params.push(ns(u).into());
        filter.push_str(&format!(" AND hour < ${}", params.len()));
    }
    let sums = c
        .row(
            &format!(
                "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(amount_cents), 0) AS BIGINT) AS cents FROM postpaid_hours WHERE {filter}"
            ),
            &params,
        )?
        .unwrap_or_default();
    params.push((skip.min(i64::MAX as usize) as i64).into());
    let rows = c.rows(
        &format!(
            "SELECT hour, kind, units, amount_cents, settled_at FROM postpaid_hours WHERE {filter} \
             ORDER BY hour DESC, kind DESC LIMIT {} OFFSET ${}",
            take.min(i64::MAX as usize),
            params.len()
        ),
        &params,
    )?;
    let items = rows
        .iter()
        .map(|r| {
            Ok(BillLine {
                hour: from_ns(r.int("hour")),
                kind: untag(&r.text("kind"))?,
                units: r.u64("units"),
                amount_cents: r.int("amount_cents"),
                settled_at: from_ns(r.int("settled_at")),
            })
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    Ok(BillPage {
        items,
        total: sums.u64("n"),
        total_cents: sums.int("cents"),
    })
}

/// Tenants with postpaid usage in an hour before `before` not settled yet
/// (at most `limit`): the partial index holds open rows only.
pub fn unsettled_tenants(
    c: &mut dyn Sql,
    before: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<String>, DbError> {
    Ok(c
        .rows(
            &format!(
                "SELECT DISTINCT tenant_id FROM postpaid_hours WHERE settled_at IS NULL AND hour < $1 LIMIT {limit}"
            ),
            &[ns(before).into()],
        )?
        .iter()
        .map(|r| r.text("tenant_id"))
        .collect())
}

pub fn budget(c: &mut dyn Sql, tenant: &str) -> Result<Option<Budget>, DbError> {
    c.row(
        "SELECT amount_cents, thresholds, turn_off FROM budgets WHERE tenant_id = $1",
        &[tenant.into()],
    )?
    .map(|r| {
        Ok(Budget {
            amount_cents: r.int("amount_cents"),
            thresholds: serde_json::from_str(&r.text("thresholds"))?,
            turn_off: r.int("turn_off") != 0,
        })
    })
    .transpose()
}

pub fn save_budget(c: &mut dyn Sql, tenant: &str, b: Option<&Budget>) -> Result<(), DbError> {
    c.exec("DELETE FROM budgets WHERE tenant_id = $1", &[tenant.into()])?;
    if let Some(b) = b {
        c.exec(
            "INSERT INTO budgets (tenant_id, amount_cents, thresholds, turn_off) VALUES ($1, $2, $3, $4)",
            &[
                tenant.into(),
                b.amount_cents.into(),
                serde_json::to_string(&b.thresholds)?.into(),
                b.turn_off.into(),
            ],
        )?;
    }
    Ok(())
}

pub fn top_up_key(c: &mut dyn Sql, tenant: &str, key: &str) -> Result<Option<TopUpKey>, DbError> {
    Ok(c.row(
        "SELECT amount_cents, balance_after_cents FROM top_ups WHERE tenant_id = $1 AND key = $2",
        &[tenant.into(), key.into()],
    )?
    .map(|r| TopUpKey {
        amount_cents: r.int("amount_cents"),
        balance_after_cents: r.int("balance_after_cents"),
    }))
}

pub fn save_top_up_key(
    c: &mut dyn Sql,
    tenant: &str,
    key: &str,
    k: &TopUpKey,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    c.exec(
        "INSERT INTO top_ups (tenant_id, key, amount_cents, balance_after_cents, at) VALUES ($1, $2, $3, $4, $5)",
        &[
            tenant.into(),
            key.into(),
            k.amount_cents.into(),
            k.balance_after_cents.into(),
            ns(at).into(),
        ],
    )?;
    Ok(())
}

pub fn endpoints(c: &mut dyn Sql, tenant: &str) -> Result<Vec<Endpoint>, DbError> {
    Ok(c
        .rows(
            "SELECT id, url, created_at, created_by FROM webhook_endpoints WHERE tenant_id = $1 ORDER BY created_at, id",
            &[tenant.into()],
        )?
        .iter()
        .map(|r| Endpoint {
            id: r.text("id"),
            tenant_id: tenant.to_string(),
            url: r.text("url"),
            created_at: from_ns(r.int("created_at")),
            created_by: r.text("created_by"),
        })
        .collect())
}

pub fn add_endpoint(c: &mut dyn Sql, e: &Endpoint, secret: &str) -> Result<(), DbError> {
    c.exec(
        "INSERT INTO webhook_endpoints (id, tenant_id, url, secret, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            e.id.as_str().into(),
            e.tenant_id.as_str().into(),
            e.url.as_str().into(),
            secret.into(),
            ns(e.created_at).into(),
            e.created_by.as_str().into(),
        ],
    )?;
    Ok(())
}

pub fn delete_endpoint(c: &mut dyn Sql, tenant: &str, id: &str) -> Result<(), DbError> {
    c.exec(
        "DELETE FROM webhook_deliveries WHERE tenant_id = $1 AND endpoint_id = $2",
        &[tenant.into(), id.into()],
    )?;
    c.exec(
        "DELETE FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2",
        &[tenant.into(), id.into()],
    )?;
    Ok(())
}

/// The event, and a pending delivery per endpoint; nothing at all for a
/// tenant without endpoints.
pub fn add_event(c: &mut dyn Sql, e: &Event, only: Option<&str>) -> Result<(), DbError> {
    let only_sql = if only.is_some() { " AND id = $5" } else { "" };
    let mut params: Vec<V> = vec![
        e.tenant_id.as_str().into(),
        e.id.as_str().into(),
        ns(e.at).into(),
        "Pending".into(),
    ];
    if let Some(o) = only {
        params.push(o.into());
    }
    let n = c.exec(
        &format!(
            "INSERT INTO webhook_deliveries (tenant_id, endpoint_id, event_id, state, attempts, next_at, lease_until) \
             SELECT $1, id, $2, $4, 0, $3, 0 FROM webhook_endpoints WHERE tenant_id = $1{only_sql}"
        ),
        &params,
    )?;
    if n > 0 {
        c.exec(
            "INSERT INTO webhook_events (id, tenant_id, kind, at, body) VALUES ($1, $2, $3, $4, $5)",
            &[
                e.id.as_str().into(),
                e.tenant_id.as_str().into(),
                tag(&e.kind).into(),
                ns(e.at).into(),
                serde_json::to_string(e)?.into(),
            ],
        )?;
    }
    Ok(())
}

const DELIVERY_COLS: &str = "d.endpoint_id, d.event_id, v.kind, v.at, d.state, d.attempts, d.last_attempt_at, d.last_status, d.last_error, d.next_at";

fn delivery(r: &Row) -> Result<Delivery, DbError> {
    let state: DeliveryState = untag(&r.text("state"))?;
    Ok(Delivery {
        endpoint_id: r.text("endpoint_id"),
        event_id: r.text("event_id"),
        event_kind: untag::<EventType>(&r.text("kind"))?,
        event_at: from_ns(r.int("at")),
        state,
        attempts: r.int("attempts").clamp(0, u32::MAX as i64) as u32,
        last_attempt_at: r.opt_int("last_attempt_at").map(from_ns),
        last_status: r.opt_int("last_status").map(|s| s.clamp(0, 999) as u16),
        last_error: r.opt_text("last_error"),
        next_attempt_at: (state == DeliveryState::Pending).then(|| from_ns(r.int("next_at"))),
    })
}

pub fn deliveries(
    c: &mut dyn Sql,
    tenant: &str,
    endpoint_id: &str,
    limit: usize,
) -> Result<Vec<Delivery>, DbError> {
    c.rows(
        &format!(
            "SELECT {DELIVERY_COLS} FROM webhook_deliveries d JOIN webhook_events v ON v.id = d.event_id \
             WHERE d.tenant_id = $1 AND d.endpoint_id = $2 ORDER BY d.seq DESC LIMIT {limit}"
        ),
        &[tenant.into(), endpoint_id.into()],
    )?
    .iter()
    .map(delivery)
    .collect()
}

/// A delivery claimed for one attempt.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub seq: i64,
    pub tenant_id: String,
    pub endpoint_id: String,
    pub url: String,
    pub secret: String,
    pub event_id: String,
    pub event_at: DateTime<Utc>,
    pub body: String,
    pub attempts: u32,
}

/// Claim up to `limit` deliveries due at `now` that nobody holds, for
/// `lease`: PostgreSQL skips rows another replica has locked; SQLite runs
/// one writer at a time. A sender that dies leaves its claim to expire.
pub fn claim_due(
    c: &mut dyn Sql,
    now: DateTime<Utc>,
    lease: Duration,
    limit: usize,
) -> Result<Vec<Claimed>, DbError> {
    let lock = match c.dialect() {
        Dialect::Postgres => " FOR UPDATE OF d SKIP LOCKED",
        Dialect::Sqlite => "",
    };
    let rows = c.rows(
        &format!(
            "SELECT d.seq, d.tenant_id, d.endpoint_id, e.url, e.secret, d.event_id, v.at, v.body, d.attempts \
             FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
             JOIN webhook_events v ON v.id = d.event_id \
             WHERE d.state = 'Pending' AND d.next_at <= $1 AND d.lease_until <= $1 \
             ORDER BY d.next_at LIMIT {limit}{lock}"
        ),
        &[ns(now).into()],
    )?;
    let until = ns(now + lease);
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        c.exec(
            "UPDATE webhook_deliveries SET lease_until = $2 WHERE seq = $1",
            &[r.int("seq").into(), until.into()],
        )?;
        out.push(Claimed {
            seq: r.int("seq"),
            tenant_id: r.text("tenant_id"),
            endpoint_id: r.text("endpoint_id"),
            url: r.text("url"),
            secret: r.text("secret"),
            event_id: r.text("event_id"),
            event_at: from_ns(r.int("at")),
            body: r.text("body"),
            attempts: r.int("attempts").clamp(0, u32::MAX as i64) as u32,
        });
    }
    Ok(out)
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub at: DateTime<Utc>,
    pub status: Option<u16>,
    pub error: Option<String>,
    /// Delivered, failed for good, or pending again at `next_at`.
    pub state: DeliveryState,
    pub next_at: DateTime<Utc>,
}

pub fn record_attempt(c: &mut dyn Sql, seq: i64, a: &Attempt) -> Result<(), DbError> {
    c.exec(
        "UPDATE webhook_deliveries SET state = $2, attempts = attempts + 1, next_at = $3, lease_until = 0, \
         last_attempt_at = $4, last_status = $5, last_error = $6 WHERE seq = $1 AND state = 'Pending'",
        &[
            seq.into(),
            tag(&a.state).into(),
            ns(a.next_at).into(),
            ns(a.at).into(),
            a.status.map(|s| s as i64).into(),
            a.error.clone().into(),
        ],
    )?;
    Ok(())
}

/// Forget deliveries finished (delivered or failed) before `before`, and
/// events older than that with no delivery left. Returns the deliveries
/// removed.
pub fn purge_deliveries(c: &mut dyn Sql, before: DateTime<Utc>) -> Result<u64, DbError> {
    let n = c.exec(
        "DELETE FROM webhook_deliveries WHERE state <> 'Pending' AND last_attempt_at < $1",
        &[ns(before).into()],
    )?;
    c.exec(
        "DELETE FROM webhook_events WHERE at < $1 AND NOT EXISTS \
         (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = webhook_events.id)",
        &[ns(before).into()],
    )?;
    Ok(n)
}

/// The earliest instant a pending delivery is due (for the sender's sleep).
pub fn next_due(c: &mut dyn Sql) -> Result<Option<DateTime<Utc>>, DbError> {
    Ok(c.row(
        "SELECT MIN(next_at) AS next_at FROM webhook_deliveries WHERE state = 'Pending'",
        &[],
    )?
    .and_then(|r| r.opt_int("next_at"))
    .map(from_ns))
}

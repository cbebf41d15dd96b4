//! Writing an in-memory ledger into the tables: the demo seed, the
//! benchmark generator; and the inserts the store shares with it.

use std::collections::BTreeMap;

use billing_rules::api::{ApiError, PostpaidChange};
use billing_rules::deduction::DeductionEntry;
use billing_rules::forecast;
use billing_rules::model::Resource;
use billing_rules::notify::{NoticeRecord, OutboxMessage, UsageRecord};
use billing_rules::reminders::{next_due, FiredKey};
use billing_rules::status::status;
use billing_rules::store::UsageKey;
use billing_rules::Ledger;
use chrono::{DateTime, Utc};

use super::codec::*;
use super::sql::{DbError, Sql};
use super::{db, Db};

/// How far an imported ledger has been brought up to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    /// Advanced to the instant given: only later instants are due.
    AdvancedTo(DateTime<Utc>),
    /// Never looked at: everything is due at once (the next request or
    /// sweep for its tenant brings it up to date, firing what is due).
    Raw(DateTime<Utc>),
}

impl Db {
    /// Write an in-memory ledger's rows into the database in one
    /// transaction (the benchmark generator). Accounts must be new;
    /// resources may join an existing tenant.
    pub fn import(&self, l: &Ledger, how: Imported) -> Result<(), ApiError> {
        self.write(None, |s| import(s.conn(), l, how).map_err(db))
            .map(|_| ())
    }
}

/// Write a whole in-memory ledger (the demo seed, a benchmark tenant) into
/// the tables.
pub fn import(conn: &mut dyn Sql, l: &Ledger, how: Imported) -> Result<(), DbError> {
    let at = match how {
        Imported::AdvancedTo(t) | Imported::Raw(t) => t,
    };
    let due = |r: &Resource| match how {
        Imported::AdvancedTo(t) => next_due(r, t),
        Imported::Raw(_) => billing_rules::reminders::first_due(r),
    };
    for a in &l.accounts {
        let p = l.postpaid_state(&a.tenant_id);
        conn.exec(
            "INSERT INTO accounts (tenant_id, name, balance_cents, currency, msg_seq, pp_enabled, pp_last_enabled_at, pp_changed_at, pp_changed_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                (&a.tenant_id).into(),
                (&a.name).into(),
                a.balance_cents.into(),
                (&a.currency).into(),
                l.message_seq.get(&a.tenant_id).copied().unwrap_or(0).into(),
                p.enabled.into(),
                p.last_enabled_at.map(ns).into(),
                p.changed_at.map(ns).into(),
                p.changed_by.as_deref().into(),
            ],
        )?;
    }
    for u in &l.users {
        conn.exec(
            &format!("INSERT INTO users ({USER_COLS}) VALUES ($1, $2, $3, $4, $5)"),
            &[
                (&u.id).into(),
                (&u.tenant_id).into(),
                (&u.name).into(),
                tag(&u.role).into(),
                u.postpaid_permission.into(),
            ],
        )?;
    }
    let mut counts: BTreeMap<(String, String, String), i64> = BTreeMap::new();
    for r in &l.resources {
        let s = status(r, at);
        *counts
            .entry((r.tenant_id.clone(), tag(&r.kind.tab()), tag(&s)))
            .or_default() += 1;
        conn.exec(
            &format!("INSERT INTO resources ({RES_COLS}, tab, status, usage_bp, draw_rank, search, due_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"),
            &resource_params(r, s, due(r)),
        )?;
    }
    for ((t, tab, s), n) in counts {
        conn.exec(
            "INSERT INTO status_counts (tenant_id, tab, status, n) VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, tab, status) DO UPDATE SET n = status_counts.n + excluded.n",
            &[t.into(), tab.into(), s.into(), n.into()],
        )?;
    }
    for k in &l.knowledge {
        conn.exec(
            "INSERT INTO knowledge (tenant_id, id, name, kind, chars, created_at, state) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                (&k.tenant_id).into(),
                (&k.id).into(),
                (&k.name).into(),
                tag(&k.kind).into(),
                k.chars.into(),
                ns(k.created_at).into(),
                tag(&k.state).into(),
            ],
        )?;
    }
    for c in &l.postpaid_history {
        insert_history(conn, c)?;
    }
    for (t, keys) in &l.usage_keys {
        for (k, v) in keys {
            insert_usage_key(conn, t, k, v)?;
        }
    }
    for r in &l.usage_records {
        insert_usage_record(conn, r)?;
    }
    for e in &l.deductions {
        insert_deduction(conn, e)?;
    }
    let tenant_of: BTreeMap<&str, &str> = l
        .resources
        .iter()
        .map(|r| (r.id.as_str(), r.tenant_id.as_str()))
        .collect();
    for k in &l.fired.0 {
        let t = tenant_of.get(k.resource_id.as_str()).copied().unwrap_or("");
        insert_fired(conn, t, k)?;
    }
    for n in &l.notices {
        insert_notice(conn, n)?;
        for u in &n.read_by {
            conn.exec(
                "INSERT INTO notice_reads (tenant_id, user_id, notice_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                &[(&n.tenant_id).into(), u.into(), (&n.id).into()],
            )?;
        }
    }
    for m in &l.outbox {
        insert_outbox(conn, m)?;
    }
    Ok(())
}

pub(super) fn insert_history(conn: &mut dyn Sql, c: &PostpaidChange) -> Result<u64, DbError> {
    conn.exec(
        "INSERT INTO postpaid_history (tenant_id, at, by_user_id, by_name, from_enabled, to_enabled) VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            (&c.tenant_id).into(),
            ns(c.at).into(),
            (&c.by_user_id).into(),
            (&c.by_name).into(),
            c.from.into(),
            c.to.into(),
        ],
    )
}

pub(super) fn insert_usage_key(
    conn: &mut dyn Sql,
    t: &str,
    key: &str,
    k: &UsageKey,
) -> Result<u64, DbError> {
    conn.exec(
        "INSERT INTO usage_keys (tenant_id, key, fingerprint, deduction) VALUES ($1, $2, $3, $4)",
        &[
            t.into(),
            key.into(),
            (&k.fingerprint).into(),
            serde_json::to_string(&k.deduction)?.into(),
        ],
    )
}

/// A metering record, and its hour's total for the forecast's pace.
pub(super) fn insert_usage_record(conn: &mut dyn Sql, r: &UsageRecord) -> Result<u64, DbError> {
    conn.exec(
        "INSERT INTO usage_hours (tenant_id, kind, hour, amount) VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, kind, hour) DO UPDATE SET amount = usage_hours.amount + excluded.amount",
        &[
            (&r.tenant_id).into(),
            tag(&r.kind).into(),
            ns(forecast::hour_of(r.at)).into(),
            r.amount.into(),
        ],
    )?;
    conn.exec(
        "INSERT INTO usage_records (tenant_id, kind, amount, at) VALUES ($1, $2, $3, $4)",
        &[
            (&r.tenant_id).into(),
            tag(&r.kind).into(),
            r.amount.into(),
            ns(r.at).into(),
        ],
    )
}

pub(super) fn insert_deduction(conn: &mut dyn Sql, e: &DeductionEntry) -> Result<u64, DbError> {
    conn.exec(
        "INSERT INTO deductions (tenant_id, at, event_key, kind, pool, resource_id, resource_name, amount, remaining_before, remaining_after, event_amount) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[
            (&e.tenant_id).into(),
            ns(e.at).into(),
            (&e.idempotency_key).into(),
            tag(&e.kind).into(),
            tag(&e.pool).into(),
            e.resource_id.as_deref().into(),
            e.resource_name.as_deref().into(),
            e.amount.into(),
            e.remaining_before.into(),
            e.remaining_after.into(),
            e.event_amount.into(),
        ],
    )
}

pub(super) fn insert_fired(conn: &mut dyn Sql, tenant: &str, k: &FiredKey) -> Result<u64, DbError> {
    conn.exec(
        "INSERT INTO fired (tenant_id, resource_id, threshold, period_end) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        &[
            tenant.into(),
            (&k.resource_id).into(),
            serde_json::to_string(&k.threshold)?.into(),
            k.period_end.map(ns).unwrap_or(i64::MIN).into(),
        ],
    )
}

pub(super) fn insert_notice(conn: &mut dyn Sql, n: &NoticeRecord) -> Result<u64, DbError> {
    conn.exec(
        "INSERT INTO notices (tenant_id, id, resource_id, resource_name, resource_kind, notice, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            (&n.tenant_id).into(),
            (&n.id).into(),
            (&n.resource_id).into(),
            (&n.resource_name).into(),
            tag(&n.resource_kind).into(),
            serde_json::to_string(&n.notice)?.into(),
            ns(n.at).into(),
        ],
    )
}

pub(super) fn insert_outbox(conn: &mut dyn Sql, m: &OutboxMessage) -> Result<u64, DbError> {
    conn.exec(
        "INSERT INTO outbox (tenant_id, id, resource_id, resource_name, reminder, channels, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            (&m.tenant_id).into(),
            (&m.id).into(),
            (&m.resource_id).into(),
            (&m.resource_name).into(),
            serde_json::to_string(&m.reminder)?.into(),
            serde_json::to_string(&m.channels)?.into(),
            ns(m.at).into(),
        ],
    )
}

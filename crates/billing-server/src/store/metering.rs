//! Idempotency keys, usage records and the deduction ledger, over SQL.

use billing_rules::api::{DeductionPage, DeductionsRequest};
use billing_rules::deduction::DeductionEntry;
use billing_rules::forecast::{self, UsageBasis};
use billing_rules::model::ResourceKind;
use billing_rules::notify::UsageRecord;
use billing_rules::store::*;
use chrono::{DateTime, Utc};

use super::codec::*;
use super::db;
use super::import::*;
use super::sql::V;
use super::SqlStore;

impl MeteringStore for SqlStore<'_> {
    fn usage_key(&mut self, tenant: &str, key: &str) -> StoreResult<Option<UsageKey>> {
        let row = self
            .conn
            .row(
                "SELECT fingerprint, deduction FROM usage_keys WHERE tenant_id = $1 AND key = $2",
                &[tenant.into(), key.into()],
            )
            .map_err(db)?;
        row.map(|r| {
            Ok(UsageKey {
                fingerprint: r.text("fingerprint"),
                deduction: serde_json::from_str(&r.text("deduction")).map_err(|e| db(e.into()))?,
            })
        })
        .transpose()
    }

    fn save_usage_key(&mut self, tenant: &str, key: &str, k: &UsageKey) -> StoreResult<()> {
        insert_usage_key(self.conn, tenant, key, k).map_err(db)?;
        Ok(())
    }

    fn add_usage_record(&mut self, r: &UsageRecord) -> StoreResult<()> {
        insert_usage_record(self.conn, r).map_err(db)?;
        Ok(())
    }

    fn usage_records(
        &mut self,
        tenant: &str,
        kind: ResourceKind,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<Vec<UsageRecord>> {
        let rows = self
            .conn
            .rows(
                "SELECT amount, at FROM usage_records WHERE tenant_id = $1 AND kind = $2 AND at >= $3 AND at < $4",
                &[tenant.into(), tag(&kind).into(), ns(from).into(), ns(until).into()],
            )
            .map_err(db)?;
        Ok(rows
            .iter()
            .map(|r| UsageRecord {
                tenant_id: tenant.to_string(),
                kind,
                amount: r.u64("amount"),
                at: from_ns(r.int("at")),
            })
            .collect())
    }

    fn usage_bases(
        &mut self,
        tenant: &str,
        kinds: &[ResourceKind],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<UsageBasis>> {
        if kinds.is_empty() {
            return Ok(Vec::new());
        }
        // One statement, one row per kind: its usage in each 24-hour block
        // counted back from the current hour (as `forecast::block_start`),
        // in the current hour so far, and its first hour. Each sum is an
        // index range summed inside the database: nothing but these
        // figures leaves it, however busy the tenant.
        let cur = forecast::hour_of(now);
        let days = forecast::PACE_WINDOW_DAYS as usize;
        // $2..: the block edges, oldest first, then the current hour.
        let edges: Vec<DateTime<Utc>> = (0..=days)
            .map(|i| cur - chrono::Duration::days((days - i) as i64))
            .collect();
        let first_kind = 2 + edges.len();
        let sum = |from: usize, until: Option<usize>| {
            match until {
            Some(u) => format!("(SELECT CAST(SUM(amount) AS BIGINT) FROM usage_hours WHERE tenant_id = $1 AND kind = $K AND hour >= ${from} AND hour < ${u})"),
            None => format!("(SELECT CAST(SUM(amount) AS BIGINT) FROM usage_hours WHERE tenant_id = $1 AND kind = $K AND hour >= ${from})"),
        }
        };
        // Named `h0`, `h1`, …, one per edge (the last: the current hour so
        // far), then `since`.
        let mut cols: Vec<String> = (0..days)
            .map(|i| format!("{} AS h{i}", sum(2 + i, Some(3 + i))))
            .collect();
        cols.push(format!("{} AS h{days}", sum(2 + days, None)));
        cols.push(
            "(SELECT MIN(hour) FROM usage_hours WHERE tenant_id = $1 AND kind = $K) AS since"
                .into(),
        );
        let row_sql = cols.join(", ");
        let sql = (0..kinds.len())
            .map(|i| {
                format!(
                    "SELECT {}",
                    row_sql.replace("$K", &format!("${}", first_kind + i))
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let mut params: Vec<V> = vec![tenant.into()];
        params.extend(edges.iter().map(|e| V::Int(ns(*e))));
        params.extend(kinds.iter().map(|k| V::from(tag(k))));
        let rows = self.conn.rows(&sql, &params).map_err(db)?;
        let out = rows
            .iter()
            .map(|r| UsageBasis {
                hours: edges
                    .iter()
                    .enumerate()
                    .filter_map(|(i, e)| r.opt_int(&format!("h{i}")).map(|n| (*e, n.max(0) as u64)))
                    .collect(),
                since: r.opt_int("since").map(from_ns),
            })
            .collect();
        Ok(out)
    }

    fn add_deductions(&mut self, entries: &[DeductionEntry]) -> StoreResult<()> {
        for e in entries {
            insert_deduction(self.conn, e).map_err(db)?;
        }
        Ok(())
    }

    fn deductions(
        &mut self,
        tenant: &str,
        q: &DeductionsRequest,
        skip: usize,
        take: usize,
    ) -> StoreResult<DeductionPage> {
        let mut filter = String::from("tenant_id = $1");
        let mut params: Vec<V> = vec![tenant.into()];
        let mut and = |sql: &str, v: V, params: &mut Vec<V>| {
            params.push(v);
            filter.push_str(&format!(" AND {sql} ${}", params.len()));
        };
        if let Some(id) = &q.resource_id {
            and("resource_id =", id.into(), &mut params);
        }
        if let Some(k) = q.kind {
            and("kind =", tag(&k).into(), &mut params);
        }
        if let Some(f) = q.from {
            and("at >=", ns(f).into(), &mut params);
        }
        if let Some(u) = q.until {
            and("at <", ns(u).into(), &mut params);
        }
        let total = self.count(
            &format!("SELECT COUNT(*) AS n FROM deductions WHERE {filter}"),
            &params,
        )?;
        let n = params.len();
        params.push((skip.min(i64::MAX as usize) as i64).into());
        let rows = self
            .conn
            .rows(
                &format!(
                    "SELECT tenant_id, at, event_key, kind, pool, resource_id, resource_name, amount, remaining_before, remaining_after, event_amount FROM deductions WHERE {filter} ORDER BY seq DESC LIMIT {} OFFSET ${}",
                    take.min(i64::MAX as usize),
                    n + 1
                ),
                &params,
            )
            .map_err(db)?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(DeductionEntry {
                    tenant_id: r.text("tenant_id"),
                    at: from_ns(r.int("at")),
                    idempotency_key: r.text("event_key"),
                    kind: untag(&r.text("kind"))?,
                    pool: untag(&r.text("pool"))?,
                    resource_id: r.opt_text("resource_id"),
                    resource_name: r.opt_text("resource_name"),
                    amount: r.u64("amount"),
                    remaining_before: r.opt_int("remaining_before").map(|n| n.max(0) as u64),
                    remaining_after: r.opt_int("remaining_after").map(|n| n.max(0) as u64),
                    event_amount: r.u64("event_amount"),
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(db)?;
        Ok(DeductionPage { items, total })
    }
}

//! The postpaid setting, hourly units, bill lines, the budget and top-up keys, over SQL.

use billing_rules::api::PostpaidChange;
use billing_rules::api::{BillPage, BillsRequest};
use billing_rules::billing::{BillLine, Budget, OpenHour, TopUpKey};
use billing_rules::model::ResourceKind;
use billing_rules::postpaid::PostpaidState;
use billing_rules::store::*;
use chrono::{DateTime, Utc};

use super::codec::*;
use super::db;
use super::import::*;
use super::postpaid_sql as ps;
use super::SqlStore;

impl BillingStore for SqlStore<'_> {
    fn postpaid(&mut self, tenant: &str) -> StoreResult<PostpaidState> {
        let r = self
            .conn
            .row(
                "SELECT pp_enabled, pp_last_enabled_at, pp_changed_at, pp_changed_by FROM accounts WHERE tenant_id = $1",
                &[tenant.into()],
            )
            .map_err(db)?
            .unwrap_or_default();
        Ok(PostpaidState {
            enabled: r.int("pp_enabled") != 0,
            last_enabled_at: r.opt_int("pp_last_enabled_at").map(from_ns),
            changed_at: r.opt_int("pp_changed_at").map(from_ns),
            changed_by: r.opt_text("pp_changed_by"),
        })
    }

    fn save_postpaid(
        &mut self,
        tenant: &str,
        s: &PostpaidState,
        change: &PostpaidChange,
    ) -> StoreResult<()> {
        self.conn
            .exec(
                "UPDATE accounts SET pp_enabled = $2, pp_last_enabled_at = $3, pp_changed_at = $4, pp_changed_by = $5 WHERE tenant_id = $1",
                &[
                    tenant.into(),
                    s.enabled.into(),
                    s.last_enabled_at.map(ns).into(),
                    s.changed_at.map(ns).into(),
                    s.changed_by.as_deref().into(),
                ],
            )
            .map_err(db)?;
        insert_history(self.conn, change).map_err(db)?;
        Ok(())
    }

    fn postpaid_history(&mut self, tenant: &str, limit: usize) -> StoreResult<Vec<PostpaidChange>> {
        let rows = self
            .conn
            .rows(
                &format!("SELECT tenant_id, at, by_user_id, by_name, from_enabled, to_enabled FROM postpaid_history WHERE tenant_id = $1 ORDER BY at DESC, seq ASC LIMIT {limit}"),
                &[tenant.into()],
            )
            .map_err(db)?;
        Ok(rows
            .iter()
            .map(|r| PostpaidChange {
                tenant_id: r.text("tenant_id"),
                at: from_ns(r.int("at")),
                by_user_id: r.text("by_user_id"),
                by_name: r.text("by_name"),
                from: r.int("from_enabled") != 0,
                to: r.int("to_enabled") != 0,
            })
            .collect())
    }

    fn add_postpaid_units(
        &mut self,
        tenant: &str,
        kind: ResourceKind,
        at: DateTime<Utc>,
        units: u64,
    ) -> StoreResult<()> {
        ps::add_postpaid_units(self.conn, tenant, kind, at, units).map_err(db)
    }

    fn open_hours(&mut self, tenant: &str) -> StoreResult<Vec<OpenHour>> {
        ps::open_hours(self.conn, tenant).map_err(db)
    }

    fn settle_hours(&mut self, tenant: &str, lines: &[BillLine]) -> StoreResult<()> {
        ps::settle_hours(self.conn, tenant, lines).map_err(db)
    }

    fn billed_since(&mut self, tenant: &str, from: DateTime<Utc>) -> StoreResult<i64> {
        ps::billed_since(self.conn, tenant, from).map_err(db)
    }

    fn bills(
        &mut self,
        tenant: &str,
        q: &BillsRequest,
        skip: usize,
        take: usize,
    ) -> StoreResult<BillPage> {
        ps::bills(self.conn, tenant, q, skip, take).map_err(db)
    }

    fn budget(&mut self, tenant: &str) -> StoreResult<Option<Budget>> {
        ps::budget(self.conn, tenant).map_err(db)
    }

    fn save_budget(&mut self, tenant: &str, b: Option<&Budget>) -> StoreResult<()> {
        ps::save_budget(self.conn, tenant, b).map_err(db)
    }

    fn top_up_key(&mut self, tenant: &str, key: &str) -> StoreResult<Option<TopUpKey>> {
        ps::top_up_key(self.conn, tenant, key).map_err(db)
    }

    fn save_top_up_key(
        &mut self,
        tenant: &str,
        key: &str,
        k: &TopUpKey,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        ps::save_top_up_key(self.conn, tenant, key, k, at).map_err(db)
    }
}

/// The settlement round's own statement.
impl SqlStore<'_> {
    /// Up to `limit` tenants with postpaid usage in an hour closed before
    /// `before` and not settled yet.
    pub fn unsettled_tenants(
        &mut self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<String>> {
        ps::unsettled_tenants(self.conn, before, limit).map_err(db)
    }
}

//! Alert endpoints, events and deliveries, over SQL.

use billing_rules::store::*;
use billing_rules::webhook::{Delivery, Endpoint, Event};
use chrono::{DateTime, Utc};

use super::db;
use super::postpaid_sql as ps;
use super::SqlStore;

impl WebhookStore for SqlStore<'_> {
    fn endpoints(&mut self, tenant: &str) -> StoreResult<Vec<Endpoint>> {
        ps::endpoints(self.conn, tenant).map_err(db)
    }

    fn add_endpoint(&mut self, e: &Endpoint, secret: &str) -> StoreResult<()> {
        ps::add_endpoint(self.conn, e, secret).map_err(db)
    }

    fn delete_endpoint(&mut self, tenant: &str, id: &str) -> StoreResult<()> {
        ps::delete_endpoint(self.conn, tenant, id).map_err(db)
    }

    fn add_event(&mut self, e: &Event, only: Option<&str>) -> StoreResult<()> {
        ps::add_event(self.conn, e, only).map_err(db)
    }

    fn deliveries(
        &mut self,
        tenant: &str,
        endpoint_id: &str,
        limit: usize,
    ) -> StoreResult<Vec<Delivery>> {
        ps::deliveries(self.conn, tenant, endpoint_id, limit).map_err(db)
    }
}

/// The webhook sender's own statements (not the engine's): claiming due
/// deliveries, recording attempts, forgetting old history.
impl SqlStore<'_> {
    /// Claim up to `limit` due deliveries for `lease` (SKIP LOCKED with
    /// PostgreSQL, so replicas claim different ones).
    pub fn claim_deliveries(
        &mut self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: usize,
    ) -> StoreResult<Vec<ps::Claimed>> {
        ps::claim_due(self.conn, now, lease, limit).map_err(db)
    }

    /// Record how one claimed delivery went.
    pub fn record_attempt(&mut self, seq: i64, a: &ps::Attempt) -> StoreResult<()> {
        ps::record_attempt(self.conn, seq, a).map_err(db)
    }

    /// Forget finished deliveries (and their events) older than `before`.
    pub fn purge_deliveries(&mut self, before: DateTime<Utc>) -> StoreResult<u64> {
        ps::purge_deliveries(self.conn, before).map_err(db)
    }
}

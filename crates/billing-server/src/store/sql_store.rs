//! [`SqlStore`]: the rules core's [`Store`] over one open transaction,
//! written once for SQLite and PostgreSQL.

use std::collections::BTreeSet;

use billing_rules::api::{
    ApiError, DeductionPage, DeductionsRequest, ErrorCode, ListResourcesRequest, NoticePage,
    NoticeView, NoticesRequest, OutboxPage, OutboxRequest, PostpaidChange, ResourcePage,
    ResourceRow, SortKey, StatusCounts,
};
use billing_rules::api::{BillPage, BillsRequest};
use billing_rules::billing::{BillLine, Budget, OpenHour, TopUpKey};
use billing_rules::deduction::DeductionEntry;
use billing_rules::forecast::{self, UsageBasis};
use billing_rules::knowledge::{KnowledgeItem, KnowledgeState};
use billing_rules::model::{Account, Resource, ResourceKind, User};
use billing_rules::notify::{NoticeRecord, OutboxMessage, UsageRecord};
use billing_rules::postpaid::PostpaidState;
use billing_rules::reminders::{next_due, FiredKey};
use billing_rules::status::{status, Status};
use billing_rules::store::{Change, Store, StoreResult, UsageKey};
use billing_rules::webhook::{Delivery, Endpoint, Event};
use chrono::{DateTime, Utc};

use super::codec::*;
use super::import::*;
use super::postpaid_sql as ps;
use super::sql::{Row, Sql, V};
use super::{db, Changes};

/// The rules core's [`Store`] over one open transaction.
pub struct SqlStore<'c> {
    pub(super) conn: &'c mut dyn Sql,
    pub(super) changes: Changes,
    pub(super) saved: Option<Changes>,
    /// The server's `--allow-private-webhooks`.
    pub(super) private_webhooks: bool,
}

impl SqlStore<'_> {
    pub fn conn(&mut self) -> &mut dyn Sql {
        self.conn
    }

    /// Mark the start of an action: [`SqlStore::undo_action`] rolls back to
    /// here (what time passing did before it stays).
    pub fn begin_action(&mut self) -> StoreResult<()> {
        self.conn.batch("SAVEPOINT action").map_err(db)?;
        self.saved = Some(self.changes.clone());
        Ok(())
    }

    pub fn undo_action(&mut self) -> StoreResult<()> {
        self.conn
            .batch("ROLLBACK TO SAVEPOINT action")
            .map_err(db)?;
        if let Some(c) = self.saved.take() {
            self.changes = c;
        }
        Ok(())
    }

    /// Whether any of the tenant's resources has a due instant by `now`, or
    /// an hour of its postpaid usage has closed unsettled: one statement of
    /// two indexed probes.
    pub fn has_due(&mut self, tenant: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        Ok(self
            .conn
            .row(
                "SELECT 1 WHERE EXISTS (SELECT 1 FROM resources WHERE tenant_id = $1 AND due_at <= $2) \
                 OR EXISTS (SELECT 1 FROM postpaid_hours WHERE tenant_id = $1 AND settled_at IS NULL AND hour < $3)",
                &[
                    tenant.into(),
                    ns(now).into(),
                    ns(forecast::hour_of(now)).into(),
                ],
            )
            .map_err(db)?
            .is_some())
    }

    /// Tenants with something due by `now` (at most `limit`).
    pub fn due_tenants(&mut self, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<String>> {
        let rows = self
            .conn
            .rows(
                "SELECT DISTINCT tenant_id FROM resources WHERE due_at <= $1 LIMIT $2",
                &[ns(now).into(), limit.into()],
            )
            .map_err(db)?;
        Ok(rows.iter().map(|r| r.text(0)).collect())
    }

    pub fn all_users(&mut self) -> StoreResult<Vec<User>> {
        let rows = self
            .conn
            .rows(&format!("SELECT {USER_COLS} FROM users ORDER BY id"), &[])
            .map_err(db)?;
        rows.iter().map(|r| user(r).map_err(db)).collect()
    }

    /// The user behind a live session, and when the session ends.
    pub fn session(&mut self, id_hash: &str, now: i64) -> StoreResult<Option<(String, i64)>> {
        Ok(self
            .conn
            .row(
                "SELECT user_id, expires_at FROM sessions WHERE id_hash = $1 AND expires_at > $2",
                &[id_hash.into(), now.into()],
            )
            .map_err(db)?
            .map(|r| (r.text(0), r.int(1))))
    }

    /// Start a session (`now` in Unix microseconds); the user's oldest
    /// sessions beyond `keep` end.
    pub fn create_session(
        &mut self,
        id_hash: &str,
        user: &User,
        now: i64,
        expires_at: i64,
        keep: i64,
    ) -> StoreResult<()> {
        self.conn
            .exec(
                "INSERT INTO sessions (id_hash, user_id, expires_at, created_at) VALUES ($1, $2, $3, $4)",
                &[id_hash.into(), user.id.as_str().into(), expires_at.into(), now.into()],
            )
            .map_err(db)?;
        let ended = self
            .conn
            .exec(
                "DELETE FROM sessions WHERE user_id = $1 AND id_hash NOT IN \
                 (SELECT id_hash FROM sessions WHERE user_id = $1 \
                  ORDER BY created_at DESC, id_hash LIMIT $2)",
                &[user.id.as_str().into(), keep.max(1).into()],
            )
            .map_err(db)?;
        if ended > 0 {
            self.changed(&user.tenant_id, Change::Session);
        }
        Ok(())
    }

    /// End one session (sign-out, or replaced by a new sign-in).
    pub fn delete_session(&mut self, id_hash: &str) -> StoreResult<()> {
        let gone = self
            .conn
            .row(
                "DELETE FROM sessions WHERE id_hash = $1 RETURNING user_id",
                &[id_hash.into()],
            )
            .map_err(db)?;
        if let Some(r) = gone {
            if let Some(u) = self.user(&r.text(0))? {
                self.changed(&u.tenant_id, Change::Session);
            }
        }
        Ok(())
    }

    /// End every session of a user ("sign out everywhere"); how many.
    pub fn delete_user_sessions(&mut self, user: &User) -> StoreResult<u64> {
        let n = self
            .conn
            .exec(
                "DELETE FROM sessions WHERE user_id = $1",
                &[user.id.as_str().into()],
            )
            .map_err(db)?;
        self.changed(&user.tenant_id, Change::Session);
        Ok(n)
    }

    pub fn purge_sessions(&mut self, now: i64) -> StoreResult<u64> {
        self.conn
            .exec("DELETE FROM sessions WHERE expires_at <= $1", &[now.into()])
            .map_err(db)
    }

    /// A `SELECT COUNT(*) …` figure.
    fn count(&mut self, sql: &str, params: &[V]) -> StoreResult<u64> {
        Ok(self
            .conn
            .row(sql, params)
            .map_err(db)?
            .map(|r| r.u64(0))
            .unwrap_or(0))
    }

    /// The user's unread notices.
    fn unread(&mut self, tenant: &str, user_id: &str) -> StoreResult<u64> {
        let all = self.count(
            "SELECT COUNT(*) FROM notices WHERE tenant_id = $1",
            &[tenant.into()],
        )?;
        let read = self.count(
            "SELECT COUNT(*) FROM notice_reads WHERE tenant_id = $1 AND user_id = $2",
            &[tenant.into(), user_id.into()],
        )?;
        Ok(all.saturating_sub(read))
    }

    fn resources_where(&mut self, sql_where: &str, params: &[V]) -> StoreResult<Vec<Resource>> {
        let rows = self
            .conn
            .rows(
                &format!("SELECT {RES_COLS} FROM resources WHERE {sql_where}"),
                params,
            )
            .map_err(db)?;
        resources(rows).map_err(db)
    }

    fn count_status(&mut self, tenant: &str, tab: &str, s: &str, delta: i64) -> StoreResult<()> {
        self.conn
            .exec(
                "INSERT INTO status_counts (tenant_id, tab, status, n) VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, tab, status) DO UPDATE SET n = status_counts.n + excluded.n",
                &[tenant.into(), tab.into(), s.into(), delta.into()],
            )
            .map_err(db)?;
        Ok(())
    }

    fn counts(
        &mut self,
        tenant: &str,
        q: &ListResourcesRequest,
        search: Option<&str>,
    ) -> StoreResult<StatusCounts> {
        let tab = tag(&q.tab);
        let rows = match search {
            // Maintained by every write: no scan.
            None => self.conn.rows(
                "SELECT status, n FROM status_counts WHERE tenant_id = $1 AND tab = $2",
                &[tenant.into(), tab.into()],
            ),
            // A search narrows by substring, which no index serves.
            Some(p) => self.conn.rows(
                "SELECT status, COUNT(*) FROM resources WHERE tenant_id = $1 AND tab = $2 AND search LIKE $3 ESCAPE '\\' GROUP BY status",
                &[tenant.into(), tab.into(), p.into()],
            ),
        }
        .map_err(db)?;
        let mut c = StatusCounts::default();
        for r in rows {
            let n = r.u64(1);
            match untag::<Status>(&r.text(0)).map_err(db)? {
                Status::Available => c.available += n,
                Status::Exhausted => c.exhausted += n,
                Status::Expired => c.expired += n,
                Status::NotYetEffective => c.not_yet_effective += n,
                Status::Refunded => c.refunded += n,
            }
            c.all += n;
        }
        Ok(c)
    }
}

/// `%text%` for LIKE, with `%`, `_` and `\` taken literally.
fn like_pattern(s: &str) -> String {
    let mut p = String::from("%");
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

impl Store for SqlStore<'_> {
    fn user(&mut self, user_id: &str) -> StoreResult<Option<User>> {
        let row = self
            .conn
            .row(
                &format!("SELECT {USER_COLS} FROM users WHERE id = $1"),
                &[user_id.into()],
            )
            .map_err(db)?;
        row.map(|r| user(&r).map_err(db)).transpose()
    }

    fn tenant_users(&mut self, tenant: &str) -> StoreResult<Vec<User>> {
        let rows = self
            .conn
            .rows(
                &format!("SELECT {USER_COLS} FROM users WHERE tenant_id = $1 ORDER BY id"),
                &[tenant.into()],
            )
            .map_err(db)?;
        rows.iter().map(|r| user(r).map_err(db)).collect()
    }

    fn set_postpaid_permission(
        &mut self,
        tenant: &str,
        user_id: &str,
        granted: bool,
    ) -> StoreResult<()> {
        self.conn
            .exec(
                "UPDATE users SET postpaid_permission = $3 WHERE tenant_id = $1 AND id = $2",
                &[tenant.into(), user_id.into(), granted.into()],
            )
            .map_err(db)?;
        Ok(())
    }

    fn account(&mut self, tenant: &str) -> StoreResult<Option<Account>> {
        Ok(self
            .conn
            .row(
                "SELECT tenant_id, name, balance_cents, currency FROM accounts WHERE tenant_id = $1",
                &[tenant.into()],
            )
            .map_err(db)?
            .map(|r| Account {
                tenant_id: r.text(0),
                name: r.text(1),
                balance_cents: r.int(2),
                currency: r.text(3),
            }))
    }

    fn set_balance(&mut self, tenant: &str, cents: i64) -> StoreResult<()> {
        self.conn
            .exec(
                "UPDATE accounts SET balance_cents = $2 WHERE tenant_id = $1",
                &[tenant.into(), cents.into()],
            )
            .map_err(db)?;
        Ok(())
    }

    fn resource(&mut self, tenant: &str, id: &str) -> StoreResult<Option<Resource>> {
        Ok(self
            .resources_where("tenant_id = $1 AND id = $2", &[tenant.into(), id.into()])?
            .into_iter()
            .next())
    }

    fn due_resources(&mut self, tenant: &str, now: DateTime<Utc>) -> StoreResult<Vec<Resource>> {
        self.resources_where(
            "tenant_id = $1 AND due_at <= $2 ORDER BY id",
            &[tenant.into(), ns(now).into()],
        )
    }

    fn save_resource(
        &mut self,
        r: &Resource,
        was: Option<Status>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let old = match was {
            Some(w) => Some(Row(vec![tag(&w).into(), tag(&r.kind.tab()).into()])),
            None => self
                .conn
                .row(
                    "SELECT status, tab FROM resources WHERE tenant_id = $1 AND id = $2",
                    &[(&r.tenant_id).into(), (&r.id).into()],
                )
                .map_err(db)?,
        };
        let s = status(r, now);
        let mut p = resource_params(r, s, next_due(r, now));
        // Key columns go last for the WHERE.
        let key = p.drain(0..2).collect::<Vec<_>>();
        p.extend(key);
        self.conn
            .exec(
                "UPDATE resources SET name = $1, kind = $2, source = $3, total = $4, used = $5, effective_at = $6, expires_at = $7, model = $8, refunded = $9, tab = $10, status = $11, usage_bp = $12, draw_rank = $13, search = $14, due_at = $15 WHERE tenant_id = $16 AND id = $17",
                &p,
            )
            .map_err(db)?;
        let new = tag(&s);
        if let Some(old) = old {
            let (was, tab) = (old.text(0), old.text(1));
            if was != new {
                self.count_status(&r.tenant_id, &tab, &was, -1)?;
                self.count_status(&r.tenant_id, &tab, &new, 1)?;
            }
        }
        Ok(())
    }

    fn drawable(
        &mut self,
        tenant: &str,
        kind: ResourceKind,
        need: u64,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Resource>> {
        const BATCH: i64 = 32;
        let mut out: Vec<Resource> = Vec::new();
        let mut covered = 0u64;
        loop {
            let batch = self.resources_where(
                &format!("tenant_id = $1 AND kind = $2 AND status = 'Available' AND used < total ORDER BY draw_rank, expires_at, id LIMIT {BATCH} OFFSET $3"),
                &[tenant.into(), tag(&kind).into(), (out.len() as i64).into()],
            )?;
            let last = (batch.len() as i64) < BATCH;
            for r in batch {
                if covered >= need {
                    return Ok(out);
                }
                // Stored status is current: the tenant was advanced to now.
                debug_assert_eq!(status(&r, now), Status::Available);
                covered = covered.saturating_add(r.remaining());
                out.push(r);
            }
            if last || covered >= need {
                return Ok(out);
            }
        }
    }

    fn drawable_page(
        &mut self,
        tenant: &str,
        kind: ResourceKind,
        after: Option<&Resource>,
        alive_at: DateTime<Utc>,
        limit: usize,
        _now: DateTime<Utc>,
    ) -> StoreResult<Vec<Resource>> {
        // The order is (draw_rank, expires_at, id), one index range per rank
        // starting at the later of `after` and `alive_at`.
        let mut out: Vec<Resource> = Vec::new();
        for r in after.map_or(0, draw_rank)..=1 {
            let (from, id) = match after {
                Some(a) if draw_rank(a) == r && a.expires_at >= alive_at => {
                    (a.expires_at, a.id.clone())
                }
                _ => (alive_at, String::new()),
            };
            let left = limit - out.len();
            out.extend(self.resources_where(
                &format!("tenant_id = $1 AND kind = $2 AND status = 'Available' AND used < total AND draw_rank = $3 AND (expires_at > $4 OR (expires_at = $4 AND id > $5)) ORDER BY expires_at, id LIMIT {left}"),
                &[tenant.into(), tag(&kind).into(), r.into(), ns(from).into(), id.into()],
            )?);
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    fn knowledge_capacity(
        &mut self,
        tenant: &str,
        _now: DateTime<Utc>,
    ) -> StoreResult<Vec<Resource>> {
        self.resources_where(
            "tenant_id = $1 AND kind = 'KnowledgeCapacity' AND status = 'Available'",
            &[tenant.into()],
        )
    }

    fn list(
        &mut self,
        tenant: &str,
        q: &ListResourcesRequest,
        now: DateTime<Utc>,
    ) -> StoreResult<ResourcePage> {
        let search = q.search.trim().to_lowercase();
        let pattern = (!search.is_empty()).then(|| like_pattern(&search));
        let counts = self.counts(tenant, q, pattern.as_deref())?;
        let total = counts.get(q.status);
        let mut params: Vec<V> = vec![tenant.into(), tag(&q.tab).into()];
        let mut filter = String::from("tenant_id = $1 AND tab = $2");
        if let Some(s) = q.status {
            params.push(tag(&s).into());
            filter.push_str(&format!(" AND status = ${}", params.len()));
        }
        if let Some(p) = pattern {
            params.push(p.into());
            filter.push_str(&format!(" AND search LIKE ${} ESCAPE '\\'", params.len()));
        }
        let order = match q.sort {
            SortKey::ExpiresAsc => "expires_at ASC, id ASC",
            SortKey::ExpiresDesc => "expires_at DESC, id ASC",
            SortKey::UsageDesc => "usage_bp DESC, id ASC",
            SortKey::UsageAsc => "usage_bp ASC, id ASC",
        };
        let offset = (q.page_number as i64 - 1).saturating_mul(q.page_size as i64);
        params.push(offset.into());
        let n = params.len();
        // The limit is written into the statement (a handful of page sizes):
        // SQLite plans `ORDER BY … LIMIT ?` several times slower.
        let rows = self.resources_where(
            &format!(
                "{filter} ORDER BY {order} LIMIT {} OFFSET ${n}",
                q.page_size
            ),
            &params,
        )?;
        let items = rows.into_iter().map(|r| ResourceRow::at(r, now)).collect();
        Ok(ResourcePage {
            items,
            total,
            counts,
            as_of: now,
        })
    }

    fn attention(&mut self, tenant: &str, now: DateTime<Utc>) -> StoreResult<Vec<Resource>> {
        let month = chrono::Duration::days(30);
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (w, p) in [
            ("status = 'Available' AND expires_at <= $2", ns(now + month)),
            ("status = 'Available' AND usage_bp >= $2", 9000),
            ("status = 'Exhausted' AND expires_at > $2", i64::MIN),
            ("status = 'Expired' AND expires_at >= $2", ns(now - month)),
        ] {
            for r in self.resources_where(
                &format!("tenant_id = $1 AND {w}"),
                &[tenant.into(), p.into()],
            )? {
                if seen.insert(r.id.clone()) {
                    out.push(r);
                }
            }
        }
        Ok(out)
    }

    fn knowledge(&mut self, tenant: &str) -> StoreResult<Vec<KnowledgeItem>> {
        let rows = self
            .conn
            .rows(
                "SELECT tenant_id, id, name, kind, chars, created_at, state FROM knowledge WHERE tenant_id = $1 ORDER BY id",
                &[tenant.into()],
            )
            .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(KnowledgeItem {
                    tenant_id: r.text(0),
                    id: r.text(1),
                    name: r.text(2),
                    kind: untag(&r.text(3)).map_err(db)?,
                    chars: r.u64(4),
                    created_at: from_ns(r.int(5)),
                    state: untag(&r.text(6)).map_err(db)?,
                })
            })
            .collect()
    }

    fn set_knowledge_state(
        &mut self,
        tenant: &str,
        ids: &[String],
        state: KnowledgeState,
    ) -> StoreResult<()> {
        for id in ids {
            self.conn
                .exec(
                    "UPDATE knowledge SET state = $3 WHERE tenant_id = $1 AND id = $2",
                    &[tenant.into(), id.into(), tag(&state).into()],
                )
                .map_err(db)?;
        }
        Ok(())
    }

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
            enabled: r.int(0) != 0,
            last_enabled_at: r.opt_int(1).map(from_ns),
            changed_at: r.opt_int(2).map(from_ns),
            changed_by: r.opt_text(3),
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
                tenant_id: r.text(0),
                at: from_ns(r.int(1)),
                by_user_id: r.text(2),
                by_name: r.text(3),
                from: r.int(4) != 0,
                to: r.int(5) != 0,
            })
            .collect())
    }

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
                fingerprint: r.text(0),
                deduction: serde_json::from_str(&r.text(1)).map_err(|e| db(e.into()))?,
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
                amount: r.u64(0),
                at: from_ns(r.int(1)),
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
        let mut cols: Vec<String> = (0..days).map(|i| sum(2 + i, Some(3 + i))).collect();
        cols.push(sum(2 + days, None));
        cols.push("(SELECT MIN(hour) FROM usage_hours WHERE tenant_id = $1 AND kind = $K)".into());
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
                    .filter_map(|(i, e)| r.opt_int(i).map(|n| (*e, n.max(0) as u64)))
                    .collect(),
                since: r.opt_int(days + 1).map(from_ns),
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
            &format!("SELECT COUNT(*) FROM deductions WHERE {filter}"),
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
                    tenant_id: r.text(0),
                    at: from_ns(r.int(1)),
                    idempotency_key: r.text(2),
                    kind: untag(&r.text(3))?,
                    pool: untag(&r.text(4))?,
                    resource_id: r.opt_text(5),
                    resource_name: r.opt_text(6),
                    amount: r.u64(7),
                    remaining_before: r.opt_int(8).map(|n| n.max(0) as u64),
                    remaining_after: r.opt_int(9).map(|n| n.max(0) as u64),
                    event_amount: r.u64(10),
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(db)?;
        Ok(DeductionPage { items, total })
    }

    fn mark_fired(&mut self, tenant: &str, key: &FiredKey) -> StoreResult<bool> {
        Ok(insert_fired(self.conn, tenant, key).map_err(db)? == 1)
    }

    fn next_message_seq(&mut self, tenant: &str) -> StoreResult<u64> {
        let r = self
            .conn
            .row(
                "UPDATE accounts SET msg_seq = msg_seq + 1 WHERE tenant_id = $1 RETURNING msg_seq",
                &[tenant.into()],
            )
            .map_err(db)?
            .ok_or_else(|| ApiError::new(ErrorCode::ResourceNotFound, "Unknown account."))?;
        Ok(r.u64(0))
    }

    fn add_notice(&mut self, n: &NoticeRecord) -> StoreResult<()> {
        insert_notice(self.conn, n).map_err(db)?;
        Ok(())
    }

    fn add_outbox(&mut self, m: &OutboxMessage) -> StoreResult<()> {
        insert_outbox(self.conn, m).map_err(db)?;
        Ok(())
    }

    fn notices(
        &mut self,
        tenant: &str,
        user_id: &str,
        req: &NoticesRequest,
        skip: usize,
        take: usize,
    ) -> StoreResult<NoticePage> {
        let base: [V; 2] = [tenant.into(), user_id.into()];
        let all = self.count(
            "SELECT COUNT(*) FROM notices WHERE tenant_id = $1",
            &base[..1],
        )?;
        let unread_count = self.unread(tenant, user_id)?;
        let only = if req.unread_only {
            " AND r.user_id IS NULL"
        } else {
            ""
        };
        let rows = self
            .conn
            .rows(
                &format!("SELECT n.id, n.resource_id, n.resource_name, n.resource_kind, n.notice, n.at, CASE WHEN r.user_id IS NULL THEN 0 ELSE 1 END AS is_read FROM notices n LEFT JOIN notice_reads r ON r.tenant_id = n.tenant_id AND r.user_id = $2 AND r.notice_id = n.id WHERE n.tenant_id = $1{only} ORDER BY is_read ASC, n.at DESC, n.id DESC LIMIT {take} OFFSET $3"),
                &[tenant.into(), user_id.into(), (skip as i64).into()],
            )
            .map_err(db)?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(NoticeView {
                    id: r.text(0),
                    resource_id: r.text(1),
                    resource_name: r.text(2),
                    resource_kind: untag(&r.text(3)).map_err(db)?,
                    notice: serde_json::from_str(&r.text(4)).map_err(|e| db(e.into()))?,
                    at: from_ns(r.int(5)),
                    read: r.int(6) != 0,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(NoticePage {
            items,
            total: if req.unread_only { unread_count } else { all },
            unread_count,
        })
    }

    fn unknown_notice(&mut self, tenant: &str, ids: &[String]) -> StoreResult<Option<String>> {
        for id in ids {
            if self
                .conn
                .row(
                    "SELECT 1 FROM notices WHERE tenant_id = $1 AND id = $2",
                    &[tenant.into(), id.into()],
                )
                .map_err(db)?
                .is_none()
            {
                return Ok(Some(id.clone()));
            }
        }
        Ok(None)
    }

    fn mark_read(
        &mut self,
        tenant: &str,
        user_id: &str,
        ids: Option<&[String]>,
    ) -> StoreResult<u64> {
        match ids {
            Some(ids) => {
                for id in ids {
                    self.conn
                        .exec(
                            "INSERT INTO notice_reads (tenant_id, user_id, notice_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                            &[tenant.into(), user_id.into(), id.into()],
                        )
                        .map_err(db)?;
                }
            }
            None => {
                self.conn
                    .exec(
                        "INSERT INTO notice_reads (tenant_id, user_id, notice_id) SELECT tenant_id, $2, id FROM notices WHERE tenant_id = $1 ON CONFLICT DO NOTHING",
                        &[tenant.into(), user_id.into()],
                    )
                    .map_err(db)?;
            }
        }
        self.unread(tenant, user_id)
    }

    fn outbox(
        &mut self,
        tenant: &str,
        _req: &OutboxRequest,
        skip: usize,
        take: usize,
    ) -> StoreResult<OutboxPage> {
        let total = self.count(
            "SELECT COUNT(*) FROM outbox WHERE tenant_id = $1",
            &[tenant.into()],
        )?;
        let rows = self
            .conn
            .rows(
                &format!("SELECT tenant_id, id, resource_id, resource_name, reminder, channels, at FROM outbox WHERE tenant_id = $1 ORDER BY at DESC, id DESC LIMIT {take} OFFSET $2"),
                &[tenant.into(), (skip as i64).into()],
            )
            .map_err(db)?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(OutboxMessage {
                    tenant_id: r.text(0),
                    id: r.text(1),
                    resource_id: r.text(2),
                    resource_name: r.text(3),
                    reminder: serde_json::from_str(&r.text(4)).map_err(|e| db(e.into()))?,
                    channels: serde_json::from_str(&r.text(5)).map_err(|e| db(e.into()))?,
                    at: from_ns(r.int(6)),
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(OutboxPage { items, total })
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

    fn endpoints(&mut self, tenant: &str) -> StoreResult<Vec<Endpoint>> {
        ps::endpoints(self.conn, tenant).map_err(db)
    }

    fn add_endpoint(&mut self, e: &Endpoint, secret: &str) -> StoreResult<()> {
        ps::add_endpoint(self.conn, e, secret).map_err(db)
    }

    fn delete_endpoint(&mut self, tenant: &str, id: &str) -> StoreResult<()> {
        ps::delete_endpoint(self.conn, tenant, id).map_err(db)
    }

    /// 244 random bits (two v4 UUIDs).
    fn new_secret(&mut self) -> String {
        format!(
            "whsec_{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        )
    }

    fn private_webhooks_allowed(&self) -> bool {
        self.private_webhooks
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

    fn changed(&mut self, tenant: &str, what: Change) {
        self.changes.insert((tenant.to_string(), what));
    }
}

//! [`SqlStore`]: the rules core's `Store` over one open transaction,
//! written once for SQLite and PostgreSQL: the struct, sessions, what is
//! due, the helpers the feature files share, and the request's
//! [`Context`]. Each feature's store is a file of its own beside this one
//! (accounts, resources, metering, notices, billing, webhook_store).

use billing_rules::api::{ListResourcesRequest, StatusCounts};
use billing_rules::forecast::{self};
use billing_rules::model::{Resource, User};
use billing_rules::status::Status;
use billing_rules::store::{AccountStore, Change, Context, StoreResult};
use chrono::{DateTime, Utc};

use super::codec::*;
use super::sql::{Sql, V};
use super::{db, Changes};

/// The rules core's [`Store`] over one open transaction.
pub struct SqlStore<'c> {
    pub(super) conn: &'c mut dyn Sql,
    pub(super) changes: Changes,
    /// The server's `--allow-private-webhooks`.
    pub(super) private_webhooks: bool,
}

impl SqlStore<'_> {
    /// The open connection, for the tests' and benchmarks' own figures;
    /// the server reaches SQL only through the store's methods.
    pub fn conn(&mut self) -> &mut dyn Sql {
        self.conn
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
        Ok(rows.iter().map(|r| r.text("tenant_id")).collect())
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
            .map(|r| (r.text("user_id"), r.int("expires_at"))))
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
            if let Some(u) = self.user(&r.text("user_id"))? {
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

    /// A `SELECT COUNT(*) AS n …` figure.
    pub(super) fn count(&mut self, sql: &str, params: &[V]) -> StoreResult<u64> {
        Ok(self
            .conn
            .row(sql, params)
            .map_err(db)?
            .map(|r| r.u64("n"))
            .unwrap_or(0))
    }

    /// The user's unread notices.
    pub(super) fn unread(&mut self, tenant: &str, user_id: &str) -> StoreResult<u64> {
        let all = self.count(
            "SELECT COUNT(*) AS n FROM notices WHERE tenant_id = $1",
            &[tenant.into()],
        )?;
        let read = self.count(
            "SELECT COUNT(*) AS n FROM notice_reads WHERE tenant_id = $1 AND user_id = $2",
            &[tenant.into(), user_id.into()],
        )?;
        Ok(all.saturating_sub(read))
    }

    pub(super) fn resources_where(
        &mut self,
        sql_where: &str,
        params: &[V],
    ) -> StoreResult<Vec<Resource>> {
        let rows = self
            .conn
            .rows(
                &format!("SELECT {RES_COLS} FROM resources WHERE {sql_where}"),
                params,
            )
            .map_err(db)?;
        resources(rows).map_err(db)
    }

    pub(super) fn count_status(
        &mut self,
        tenant: &str,
        tab: &str,
        s: &str,
        delta: i64,
    ) -> StoreResult<()> {
        self.conn
            .exec(
                "INSERT INTO status_counts (tenant_id, tab, status, n) VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, tab, status) DO UPDATE SET n = status_counts.n + excluded.n",
                &[tenant.into(), tab.into(), s.into(), delta.into()],
            )
            .map_err(db)?;
        Ok(())
    }

    pub(super) fn counts(
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
                "SELECT status, COUNT(*) AS n FROM resources WHERE tenant_id = $1 AND tab = $2 AND search LIKE $3 ESCAPE '\\' GROUP BY status",
                &[tenant.into(), tab.into(), p.into()],
            ),
        }
        .map_err(db)?;
        let mut c = StatusCounts::default();
        for r in rows {
            let n = r.u64("n");
            match untag::<Status>(&r.text("status")).map_err(db)? {
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
pub(super) fn like_pattern(s: &str) -> String {
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

impl Context for SqlStore<'_> {
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

    fn changed(&mut self, tenant: &str, what: Change) {
        self.changes.insert((tenant.to_string(), what));
    }
}

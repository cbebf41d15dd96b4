//! Storage: the database is the authority. Each request runs in one
//! transaction that reads and writes only its tenant's rows; writes to a
//! tenant are serialised by the database (SQLite: `BEGIN IMMEDIATE`;
//! PostgreSQL: `SELECT … FOR UPDATE` on the tenant's account row), so the
//! rules hold across server processes. [`SqlStore`] implements the rules
//! core's [`Store`] once for both databases.

pub mod migrate;
pub mod postgres;
pub mod sql;
pub mod sqlite;

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use billing_rules::api::{
    ApiError, ErrorCode, ListResourcesRequest, NoticePage, NoticeView, NoticesRequest, OutboxPage,
    OutboxRequest, PostpaidChange, ResourcePage, ResourceRow, SortKey, StatusCounts,
};
use billing_rules::engine;
use billing_rules::knowledge::{KnowledgeItem, KnowledgeState};
use billing_rules::model::{Account, Resource, ResourceKind, Source, User};
use billing_rules::notify::{NoticeRecord, OutboxMessage, UsageRecord};
use billing_rules::postpaid::PostpaidState;
use billing_rules::reminders::{next_due, FiredKey};
use billing_rules::status::{status, Status};
use billing_rules::store::{Change, Store, StoreResult, UsageKey};
use billing_rules::usage::used_basis_points;
use billing_rules::Ledger;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use sql::{DbError, Dialect, Row, Sql, V};

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// An SQLite file (created when missing): one server process, or several
    /// on one machine.
    Sqlite(PathBuf),
    /// A PostgreSQL URL: any number of stateless replicas.
    Postgres(String),
}

impl Database {
    /// `postgres://…` or `postgresql://…` is PostgreSQL; anything else is
    /// an SQLite path (`sqlite://` prefix optional).
    pub fn parse(s: &str) -> Database {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Database::Postgres(s.to_string())
        } else {
            Database::Sqlite(PathBuf::from(s.strip_prefix("sqlite://").unwrap_or(s)))
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Database::Sqlite(p) => format!("SQLite {}", p.display()),
            Database::Postgres(url) => {
                // Never print a password.
                let shown = url
                    .split_once('@')
                    .map(|(_, host)| format!("postgres://…@{host}"))
                    .unwrap_or_else(|| url.clone());
                format!("PostgreSQL {shown}")
            }
        }
    }
}

enum Pool {
    Sqlite(r2d2::Pool<sqlite::SqliteManager>),
    Postgres(r2d2::Pool<postgres::PgManager>),
}

/// The pool of connections, and how transactions are begun on it.
pub struct Db {
    pool: Pool,
    /// SQLite takes one writer at a time anyway; queueing writers here
    /// (instead of in SQLite's sleeping busy handler) keeps latency even.
    /// Other processes on the same file are still held off by
    /// `BEGIN IMMEDIATE` and the busy timeout.
    writer: Mutex<()>,
}

/// What a committed write changed, per tenant.
pub type Changes = BTreeSet<(String, Change)>;

pub fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(ErrorCode::InternalError, format!("Storage failed: {e}"))
}

fn db(e: DbError) -> ApiError {
    internal(e)
}

impl Db {
    pub fn open(database: &Database, pool_size: u32) -> Result<Db, DbError> {
        let pool = match database {
            Database::Sqlite(path) => Pool::Sqlite(
                r2d2::Pool::builder()
                    .max_size(pool_size)
                    .connection_timeout(Duration::from_secs(10))
                    // A local file does not go away between requests.
                    .test_on_check_out(false)
                    .build(sqlite::SqliteManager { path: path.clone() })?,
            ),
            Database::Postgres(url) => {
                let config: ::postgres::Config = url
                    .parse()
                    .map_err(|e| DbError(format!("postgres URL: {e}")))?;
                Pool::Postgres(
                    r2d2::Pool::builder()
                        .max_size(pool_size)
                        .connection_timeout(Duration::from_secs(10))
                        // No round trip per checkout: a broken connection
                        // is noticed (is_closed) and replaced.
                        .test_on_check_out(false)
                        // Open the rest as they are needed (a fast start).
                        .min_idle(Some(pool_size.min(2)))
                        .build(postgres::PgManager { config })?,
                )
            }
        };
        Ok(Db {
            pool,
            writer: Mutex::new(()),
        })
    }

    pub fn dialect(&self) -> Dialect {
        match self.pool {
            Pool::Sqlite(_) => Dialect::Sqlite,
            Pool::Postgres(_) => Dialect::Postgres,
        }
    }

    fn with_conn<T>(&self, f: impl FnOnce(&mut dyn Sql) -> T) -> Result<T, DbError> {
        Ok(match &self.pool {
            Pool::Sqlite(p) => f(&mut *p.get()?),
            Pool::Postgres(p) => f(&mut *p.get()?),
        })
    }

    /// Run `f` in one transaction that may write `tenant`'s rows (and, for
    /// the sweep and start-up, no tenant: `None`). Committed when `f`
    /// returns Ok, rolled back when it returns Err or panics. Returns what
    /// was changed, for live updates.
    pub fn write<T>(
        &self,
        tenant: Option<&str>,
        f: impl FnOnce(&mut SqlStore) -> Result<T, ApiError>,
    ) -> Result<(T, Changes), ApiError> {
        let _one_writer = match self.pool {
            Pool::Sqlite(_) => Some(self.writer.lock().unwrap_or_else(|p| p.into_inner())),
            Pool::Postgres(_) => None,
        };
        self.with_conn(|conn| {
            match conn.dialect() {
                Dialect::Sqlite => conn.batch("BEGIN IMMEDIATE").map_err(db)?,
                Dialect::Postgres => {
                    conn.batch("BEGIN").map_err(db)?;
                    if let Some(t) = tenant {
                        // Serialise this tenant's writes across replicas.
                        conn.rows(
                            "SELECT 1 FROM accounts WHERE tenant_id = $1 FOR UPDATE",
                            &[t.into()],
                        )
                        .map_err(|e| rollback(conn, e))?;
                    }
                }
            }
            finish(conn, true, f)
        })
        .map_err(db)?
    }

    /// Run `f` in one read-only transaction (a consistent snapshot).
    pub fn read<T>(
        &self,
        f: impl FnOnce(&mut SqlStore) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        self.with_conn(|conn| {
            match conn.dialect() {
                Dialect::Sqlite => conn.batch("BEGIN").map_err(db)?,
                Dialect::Postgres => conn
                    .batch("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .map_err(db)?,
            }
            finish(conn, false, f).map(|(v, _)| v)
        })
        .map_err(db)?
    }

    /// Bring `tenant` up to date with time at `now`, if anything of it is
    /// due: a cheap indexed check, and only then a short write.
    pub fn catch_up(&self, tenant: &str, now: DateTime<Utc>) -> Result<Changes, ApiError> {
        if self.read(|s| s.has_due(tenant, now))? {
            return Ok(self
                .write(Some(tenant), |s| engine::advance(s, tenant, now))?
                .1);
        }
        Ok(Changes::new())
    }

    /// The server's path for a change to `tenant` at `now`: the tenant is
    /// brought up to date with time first ([`Db::catch_up`]), then `f` runs
    /// in one transaction holding the tenant's lock. If `f` refuses, its
    /// transaction is rolled back (what time did stays, as in memory); so
    /// it is if storing fails or anything panics. The outer error is
    /// storage's, the inner the action's answer.
    #[allow(clippy::type_complexity)]
    pub fn act<T>(
        &self,
        tenant: &str,
        now: DateTime<Utc>,
        f: impl FnOnce(&mut SqlStore) -> Result<T, ApiError>,
    ) -> Result<(Result<T, ApiError>, Changes), ApiError> {
        let mut changes = self.catch_up(tenant, now)?;
        let mut refused = None;
        let out = self.write(Some(tenant), |s| {
            f(s).inspect_err(|e| refused = Some(e.clone()))
        });
        match (out, refused) {
            (Ok((v, c)), _) => {
                changes.extend(c);
                Ok((Ok(v), changes))
            }
            (Err(e), Some(r)) if e == r => Ok((Err(r), changes)),
            (Err(e), _) => Err(e),
        }
    }

    /// The server's path for a read of `tenant` at `now`: brought up to
    /// date first if anything is due, then `f` in one snapshot.
    pub fn look<T>(
        &self,
        tenant: &str,
        now: DateTime<Utc>,
        f: impl FnOnce(&mut SqlStore) -> Result<T, ApiError>,
    ) -> Result<(T, Changes), ApiError> {
        let changes = self.catch_up(tenant, now)?;
        Ok((self.read(f)?, changes))
    }

    /// A read for whoever `who` finds (the session's user), in one
    /// snapshot when nothing of their tenant is due (the common case):
    /// who it is, whether anything is due, and the answer.
    pub fn look_as<T>(
        &self,
        now: DateTime<Utc>,
        who: impl Fn(&mut SqlStore) -> Result<User, ApiError>,
        f: impl FnOnce(&mut SqlStore, &User) -> Result<T, ApiError>,
    ) -> Result<(T, Changes), ApiError> {
        let mut f = Some(f);
        let first = self.read(|s| {
            let user = who(s)?;
            if s.has_due(&user.tenant_id, now)? {
                return Ok(Err(user));
            }
            let f = f.take().expect("called once");
            f(s, &user).map(Ok)
        })?;
        match first {
            Ok(v) => Ok((v, Changes::new())),
            Err(user) => {
                let changes = self.catch_up(&user.tenant_id, now)?;
                let f = f.take().expect("not called yet");
                Ok((self.read(|s| f(s, &user))?, changes))
            }
        }
    }

    /// Whether the database answers and is migrated (for `/readyz`).
    pub fn ready(&self) -> Result<(), DbError> {
        self.with_conn(|c| {
            c.row("SELECT MAX(version) FROM schema_migrations", &[])
                .and_then(|r| match r.and_then(|r| r.opt_int(0)) {
                    Some(v) if v >= migrate::LATEST => Ok(()),
                    v => Err(DbError(format!(
                        "schema at {v:?}, want {}",
                        migrate::LATEST
                    ))),
                })
        })?
    }

    /// Create or migrate the schema (versioned, in one transaction; with
    /// PostgreSQL under an advisory lock, so replicas starting together
    /// migrate once), then seed `seed` into an empty database. Returns
    /// whether it seeded.
    pub fn migrate_and_seed(
        &self,
        seed: impl FnOnce() -> (Ledger, DateTime<Utc>),
    ) -> Result<bool, DbError> {
        let _one_writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        self.with_conn(|conn| -> Result<bool, DbError> {
            match conn.dialect() {
                Dialect::Sqlite => conn.batch("BEGIN IMMEDIATE")?,
                Dialect::Postgres => {
                    conn.batch("BEGIN")?;
                    conn.rows("SELECT pg_advisory_xact_lock(7301001)", &[])?;
                }
            }
            let out = (|| {
                migrate::run(conn)?;
                let empty = conn
                    .row("SELECT COUNT(*) FROM accounts", &[])?
                    .map(|r| r.int(0))
                    .unwrap_or(0)
                    == 0;
                if empty {
                    let (ledger, at) = seed();
                    import(conn, &ledger, Imported::AdvancedTo(at))?;
                }
                Ok(empty)
            })();
            match out {
                Ok(v) => {
                    conn.batch("COMMIT")?;
                    Ok(v)
                }
                Err(e) => {
                    let _ = conn.batch("ROLLBACK");
                    Err(e)
                }
            }
        })?
    }
}

fn rollback(conn: &mut dyn Sql, e: DbError) -> ApiError {
    let _ = conn.batch("ROLLBACK");
    db(e)
}

fn finish<T>(
    conn: &mut dyn Sql,
    write: bool,
    f: impl FnOnce(&mut SqlStore) -> Result<T, ApiError>,
) -> Result<(T, Changes), ApiError> {
    let mut store = SqlStore {
        conn: &mut *conn,
        changes: Changes::new(),
        saved: None,
    };
    let out = catch_unwind(AssertUnwindSafe(|| f(&mut store)));
    let changes = std::mem::take(&mut store.changes);
    drop(store);
    match out {
        Ok(Ok(v)) => {
            if write && conn.dialect() == Dialect::Postgres {
                // Delivered to every replica's listener when this commits:
                // one notification, a line per change.
                if !changes.is_empty() {
                    let payload: Vec<String> = changes
                        .iter()
                        .map(|(tenant, what)| format!("{tenant}\t{}", what.as_str()))
                        .collect();
                    conn.rows(
                        "SELECT pg_notify('billing_events', $1)",
                        &[payload.join("\n").into()],
                    )
                    .map_err(|e| rollback(conn, e))?;
                }
            }
            conn.batch("COMMIT").map_err(|e| rollback(conn, e))?;
            Ok((v, changes))
        }
        Ok(Err(e)) => {
            let _ = conn.batch("ROLLBACK");
            Err(e)
        }
        Err(_) => {
            let _ = conn.batch("ROLLBACK");
            Err(ApiError::new(
                ErrorCode::InternalError,
                "The request could not be completed; nothing was changed.",
            ))
        }
    }
}

/// Unix nanoseconds: exact for every instant from 1677 to 2262.
pub fn ns(t: DateTime<Utc>) -> i64 {
    t.timestamp_nanos_opt().unwrap_or(if t.timestamp() < 0 {
        i64::MIN
    } else {
        i64::MAX
    })
}

pub fn from_ns(n: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(n)
}

/// A fieldless enum as its name ("TokenPackage"), anything else as JSON.
fn tag<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn untag<T: DeserializeOwned>(s: &str) -> Result<T, DbError> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .or_else(|_| serde_json::from_str(s))
        .map_err(|e| DbError(format!("stored value {s:?}: {e}")))
}

/// Lower-cased id and name, as the list's search matches them.
pub fn search_key(r: &Resource) -> String {
    format!("{}\u{1}{}", r.id.to_lowercase(), r.name.to_lowercase())
}

const RES_COLS: &str =
    "tenant_id, id, name, kind, source, total, used, effective_at, expires_at, model, refunded";

fn resource(row: &Row) -> Result<Resource, DbError> {
    Ok(Resource {
        tenant_id: row.text(0),
        id: row.text(1),
        name: row.text(2),
        kind: untag(&row.text(3))?,
        source: untag(&row.text(4))?,
        total: row.u64(5),
        used: row.u64(6),
        effective_at: from_ns(row.int(7)),
        expires_at: from_ns(row.int(8)),
        model: row.opt_text(9),
        refunded: row.int(10) != 0,
    })
}

fn resources(rows: Vec<Row>) -> Result<Vec<Resource>, DbError> {
    rows.iter().map(resource).collect()
}

fn user(row: &Row) -> Result<User, DbError> {
    Ok(User {
        id: row.text(0),
        tenant_id: row.text(1),
        name: row.text(2),
        role: untag(&row.text(3))?,
        postpaid_permission: row.int(4) != 0,
    })
}

const USER_COLS: &str = "id, tenant_id, name, role, postpaid_permission";

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

fn resource_params(r: &Resource, s: Status, due: Option<DateTime<Utc>>) -> Vec<V> {
    vec![
        (&r.tenant_id).into(),
        (&r.id).into(),
        (&r.name).into(),
        tag(&r.kind).into(),
        tag(&r.source).into(),
        r.total.into(),
        r.used.into(),
        ns(r.effective_at).into(),
        ns(r.expires_at).into(),
        r.model.as_deref().into(),
        r.refunded.into(),
        tag(&r.kind.tab()).into(),
        tag(&s).into(),
        (used_basis_points(r.used, r.total) as i64).into(),
        ((r.source != Source::FreeTrial) as i64).into(),
        search_key(r).into(),
        due.map(ns).into(),
    ]
}

fn insert_history(conn: &mut dyn Sql, c: &PostpaidChange) -> Result<u64, DbError> {
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

fn insert_usage_key(conn: &mut dyn Sql, t: &str, key: &str, k: &UsageKey) -> Result<u64, DbError> {
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

fn insert_usage_record(conn: &mut dyn Sql, r: &UsageRecord) -> Result<u64, DbError> {
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

fn insert_fired(conn: &mut dyn Sql, tenant: &str, k: &FiredKey) -> Result<u64, DbError> {
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

fn insert_notice(conn: &mut dyn Sql, n: &NoticeRecord) -> Result<u64, DbError> {
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

fn insert_outbox(conn: &mut dyn Sql, m: &OutboxMessage) -> Result<u64, DbError> {
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

/// The rules core's [`Store`] over one open transaction.
pub struct SqlStore<'c> {
    conn: &'c mut dyn Sql,
    changes: Changes,
    saved: Option<Changes>,
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

    /// Whether any of the tenant's resources has a due instant by `now`.
    pub fn has_due(&mut self, tenant: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        Ok(self
            .conn
            .row(
                "SELECT 1 FROM resources WHERE tenant_id = $1 AND due_at <= $2 LIMIT 1",
                &[tenant.into(), ns(now).into()],
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

    pub fn session_user(&mut self, id_hash: &str, now: i64) -> StoreResult<Option<String>> {
        Ok(self
            .conn
            .row(
                "SELECT user_id FROM sessions WHERE id_hash = $1 AND expires_at > $2",
                &[id_hash.into(), now.into()],
            )
            .map_err(db)?
            .map(|r| r.text(0)))
    }

    pub fn create_session(
        &mut self,
        id_hash: &str,
        user_id: &str,
        expires_at: i64,
    ) -> StoreResult<()> {
        self.conn
            .exec(
                "INSERT INTO sessions (id_hash, user_id, expires_at) VALUES ($1, $2, $3)",
                &[id_hash.into(), user_id.into(), expires_at.into()],
            )
            .map_err(db)?;
        Ok(())
    }

    pub fn delete_session(&mut self, id_hash: &str) -> StoreResult<()> {
        self.conn
            .exec("DELETE FROM sessions WHERE id_hash = $1", &[id_hash.into()])
            .map_err(db)?;
        Ok(())
    }

    pub fn purge_sessions(&mut self, now: i64) -> StoreResult<u64> {
        self.conn
            .exec("DELETE FROM sessions WHERE expires_at <= $1", &[now.into()])
            .map_err(db)
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
                "tenant_id = $1 AND kind = $2 AND status = 'Available' AND used < total ORDER BY draw_rank, expires_at, id LIMIT $3 OFFSET $4",
                &[tenant.into(), tag(&kind).into(), BATCH.into(), (out.len() as i64).into()],
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
        params.push((q.page_size as i64).into());
        params.push(offset.into());
        let n = params.len();
        let rows = self.resources_where(
            &format!("{filter} ORDER BY {order} LIMIT ${} OFFSET ${n}", n - 1),
            &params,
        )?;
        let items = rows
            .into_iter()
            .map(|r| ResourceRow {
                status: status(&r, now),
                next_reminder: billing_rules::notify::next_reminder(&r, now),
                resource: r,
            })
            .collect();
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
                "SELECT tenant_id, at, by_user_id, by_name, from_enabled, to_enabled FROM postpaid_history WHERE tenant_id = $1 ORDER BY at DESC, seq ASC LIMIT $2",
                &[tenant.into(), (limit as i64).into()],
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
        let all = self
            .conn
            .row(
                "SELECT COUNT(*) FROM notices WHERE tenant_id = $1",
                &base[..1],
            )
            .map_err(db)?
            .map(|r| r.u64(0))
            .unwrap_or(0);
        let read = self
            .conn
            .row(
                "SELECT COUNT(*) FROM notice_reads WHERE tenant_id = $1 AND user_id = $2",
                &base,
            )
            .map_err(db)?
            .map(|r| r.u64(0))
            .unwrap_or(0);
        let unread_count = all.saturating_sub(read);
        let only = if req.unread_only {
            " AND r.user_id IS NULL"
        } else {
            ""
        };
        let rows = self
            .conn
            .rows(
                &format!("SELECT n.id, n.resource_id, n.resource_name, n.resource_kind, n.notice, n.at, CASE WHEN r.user_id IS NULL THEN 0 ELSE 1 END AS is_read FROM notices n LEFT JOIN notice_reads r ON r.tenant_id = n.tenant_id AND r.user_id = $2 AND r.notice_id = n.id WHERE n.tenant_id = $1{only} ORDER BY is_read ASC, n.at DESC, n.id DESC LIMIT $3 OFFSET $4"),
                &[tenant.into(), user_id.into(), (take as i64).into(), (skip as i64).into()],
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
        let all = self
            .conn
            .row(
                "SELECT COUNT(*) FROM notices WHERE tenant_id = $1",
                &[tenant.into()],
            )
            .map_err(db)?
            .map(|r| r.u64(0))
            .unwrap_or(0);
        let read = self
            .conn
            .row(
                "SELECT COUNT(*) FROM notice_reads WHERE tenant_id = $1 AND user_id = $2",
                &[tenant.into(), user_id.into()],
            )
            .map_err(db)?
            .map(|r| r.u64(0))
            .unwrap_or(0);
        Ok(all.saturating_sub(read))
    }

    fn outbox(
        &mut self,
        tenant: &str,
        _req: &OutboxRequest,
        skip: usize,
        take: usize,
    ) -> StoreResult<OutboxPage> {
        let total = self
            .conn
            .row(
                "SELECT COUNT(*) FROM outbox WHERE tenant_id = $1",
                &[tenant.into()],
            )
            .map_err(db)?
            .map(|r| r.u64(0))
            .unwrap_or(0);
        let rows = self
            .conn
            .rows(
                "SELECT tenant_id, id, resource_id, resource_name, reminder, channels, at FROM outbox WHERE tenant_id = $1 ORDER BY at DESC, id DESC LIMIT $2 OFFSET $3",
                &[tenant.into(), (take as i64).into(), (skip as i64).into()],
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

    fn changed(&mut self, tenant: &str, what: Change) {
        self.changes.insert((tenant.to_string(), what));
    }
}

//! Storage: the database is the authority. Each request runs in one
//! transaction that reads and writes only its tenant's rows; writes to a
//! tenant are serialised by the database (SQLite: `BEGIN IMMEDIATE`;
//! PostgreSQL: `SELECT … FOR UPDATE` on the tenant's account row), so the
//! rules hold across server processes. [`SqlStore`] implements the rules
//! core's [`Store`] once for both databases.

mod accounts;
mod billing;
mod codec;
mod import;
mod metering;
pub mod migrate;
mod notices;
pub mod postgres;
pub mod postpaid_sql;
mod resources;
pub mod sql;
mod sql_store;
pub mod sqlite;
mod webhook_store;

pub use codec::{from_ns, ns, search_key};
pub use import::{import, Imported};
pub use sql_store::SqlStore;

use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use billing_rules::api::{ApiError, ErrorCode};
use billing_rules::engine;
use billing_rules::model::User;
use billing_rules::store::Change;
use billing_rules::Ledger;
use chrono::{DateTime, Utc};

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
    /// Webhooks may go to private addresses and over http:// (tests).
    pub private_webhooks: bool,
}

/// What a committed write changed, per tenant.
pub type Changes = BTreeSet<(String, Change)>;

/// A storage failure: its cause goes to the log (in the request's span),
/// the caller learns only that nothing was changed.
pub fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(cause = %e, "storage failed");
    ApiError::new(
        ErrorCode::InternalError,
        "The service could not complete the request; nothing was changed. Try again.",
    )
}

/// A storage failure as the caller learns of it: the database away is
/// [`ErrorCode::ServiceUnavailable`] (503, retry), anything else an
/// internal error. Either way nothing was changed.
pub fn storage(e: DbError) -> ApiError {
    if e.away {
        tracing::warn!(cause = %e, "storage unavailable");
        return unavailable();
    }
    internal(e)
}

/// The database is briefly away: nothing was changed, try again.
pub fn unavailable() -> ApiError {
    ApiError::new(
        ErrorCode::ServiceUnavailable,
        "The service's storage is briefly unavailable; nothing was changed. Try again in a few seconds.",
    )
}

fn db(e: DbError) -> ApiError {
    storage(e)
}

// A transaction that failed to begin because the database is away is
// begun again on another connection: a failure before the transaction
// began (or before the caller's first statement) provably committed
// nothing, so retrying it is safe, for reads and writes alike. A pooled
// connection the database has closed (a restart, terminated backends)
// fails there and is discarded; after an outage every idle connection of
// the pool may be such, so it is tried up to the pool's size, and then a
// fresh connection once more.

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
                    .map_err(|e| DbError::new(format!("postgres URL: {e}")))?;
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
            private_webhooks: false,
        })
    }

    pub fn dialect(&self) -> Dialect {
        match self.pool {
            Pool::Sqlite(_) => Dialect::Sqlite,
            Pool::Postgres(_) => Dialect::Postgres,
        }
    }

    /// How often a transaction that could not begin is begun again (see
    /// the note above `impl Db`): every pooled connection may be dead after
    /// an outage. SQLite's file does not go away: no retry.
    fn begin_retries(&self) -> usize {
        match &self.pool {
            Pool::Sqlite(_) => 0,
            Pool::Postgres(p) => p.max_size() as usize,
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
        self.begun(
            "write",
            |conn| match conn.dialect() {
                Dialect::Sqlite => conn.batch("BEGIN IMMEDIATE"),
                Dialect::Postgres => conn.batch("BEGIN").and_then(|_| match tenant {
                    // Serialise this tenant's writes across replicas.
                    Some(t) => conn
                        .rows(
                            "SELECT 1 FROM accounts WHERE tenant_id = $1 FOR UPDATE",
                            &[t.into()],
                        )
                        .map(|_| ())
                        .inspect_err(|_| {
                            let _ = conn.batch("ROLLBACK");
                        }),
                    None => Ok(()),
                }),
            },
            |conn| finish(conn, true, self.private_webhooks, f),
        )
    }

    /// Begin a transaction with `begin` on a pooled connection, then `run`
    /// in it; if it could not begin because the database is away, again
    /// on another connection (see the note above `impl Db`).
    fn begun<R>(
        &self,
        what: &str,
        begin: impl Fn(&mut dyn Sql) -> Result<(), DbError>,
        run: impl FnOnce(&mut dyn Sql) -> Result<R, ApiError>,
    ) -> Result<R, ApiError> {
        let mut run = Some(run);
        let retries = self.begin_retries();
        for attempt in 0..=retries {
            let begun = self
                .with_conn(|conn| begin(conn).map(|()| run.take().expect("run once")(conn)))
                .and_then(|r| r);
            match begun {
                Ok(done) => return done,
                Err(e) if e.away && attempt < retries => {
                    tracing::warn!(cause = %e, "a {what} could not begin; again on a fresh connection");
                }
                Err(e) => return Err(db(e)),
            }
        }
        Err(unavailable())
    }

    /// Run `f` in one read-only transaction (a consistent snapshot).
    pub fn read<T>(
        &self,
        f: impl FnOnce(&mut SqlStore) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        self.begun(
            "read",
            |conn| match conn.dialect() {
                Dialect::Sqlite => conn.batch("BEGIN"),
                Dialect::Postgres => conn.batch("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"),
            },
            |conn| finish(conn, false, self.private_webhooks, f).map(|(v, _)| v),
        )
    }

    /// Bring `tenant` up to date with time at `now`, if anything of it is
    /// due: a cheap indexed check, and only then a short write.
    pub fn catch_up(&self, tenant: &str, now: DateTime<Utc>) -> Result<Changes, ApiError> {
        if self.read(|s| s.has_due(tenant, now))? {
            return Ok(self
                .write(Some(tenant), |s| engine::catch_up(s, tenant, now))?
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
            c.row("SELECT MAX(version) AS version FROM schema_migrations", &[])
                .and_then(|r| match r.and_then(|r| r.opt_int("version")) {
                    Some(v) if v >= migrate::LATEST => Ok(()),
                    v => Err(DbError::new(format!(
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
                    .row("SELECT COUNT(*) AS n FROM accounts", &[])?
                    .map(|r| r.int("n"))
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
    private_webhooks: bool,
    f: impl FnOnce(&mut SqlStore) -> Result<T, ApiError>,
) -> Result<(T, Changes), ApiError> {
    let mut store = SqlStore {
        conn: &mut *conn,
        changes: Changes::new(),
        private_webhooks,
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

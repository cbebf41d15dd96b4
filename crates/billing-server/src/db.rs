//! SQLite storage: the durable authority. Each entity is a row keyed by id
//! and tenant, its fields as JSON; the schema is created and migrated on
//! start, in WAL mode. Writes save only the rows a change touched, in one
//! IMMEDIATE transaction.

use std::collections::HashMap;
use std::path::Path;

use billing_rules::api::PostpaidChange;
use billing_rules::deduction::Deduction;
use billing_rules::Ledger;
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub const SCHEMA_VERSION: i64 = 2;

const MIGRATIONS: &[&str] = &["
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS accounts (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, data TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, data TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS resources (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, data TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS resources_tenant ON resources (tenant_id);
    CREATE TABLE IF NOT EXISTS knowledge (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, data TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS postpaid (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, data TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS postpaid_history (seq INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, data TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS usage_keys (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, data TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, expires_at INTEGER NOT NULL);
", "
    CREATE TABLE IF NOT EXISTS notices (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, data TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS outbox (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, data TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS fired (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, data TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS usage_records (seq INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, data TEXT NOT NULL);
"];

#[derive(Debug)]
pub struct DbError(pub String);

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        DbError(e.to_string())
    }
}

impl From<serde_json::Error> for DbError {
    fn from(e: serde_json::Error) -> Self {
        DbError(e.to_string())
    }
}

/// Open (creating if needed) and migrate.
pub fn open(path: &Path) -> Result<Connection, DbError> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (i, m) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        conn.execute_batch(m)?;
        conn.pragma_update(None, "user_version", (i + 1) as i64)?;
    }
    Ok(conn)
}

fn load_table<T: DeserializeOwned>(
    conn: &Connection,
    table: &str,
    order: &str,
) -> Result<Vec<T>, DbError> {
    let mut stmt = conn.prepare(&format!("SELECT data FROM {table} ORDER BY {order}"))?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for row in rows {
        out.push(serde_json::from_str(&row?)?);
    }
    Ok(out)
}

/// Whether the database holds any account yet.
pub fn is_empty(conn: &Connection) -> Result<bool, DbError> {
    Ok(conn.query_row("SELECT COUNT(*) FROM accounts", [], |r| r.get::<_, i64>(0))? == 0)
}

/// The whole ledger.
pub fn load(conn: &Connection) -> Result<Ledger, DbError> {
    let mut l = Ledger {
        accounts: load_table(conn, "accounts", "id")?,
        users: load_table(conn, "users", "id")?,
        resources: load_table(conn, "resources", "rowid")?,
        knowledge: load_table(conn, "knowledge", "rowid")?,
        postpaid_history: load_table(conn, "postpaid_history", "seq")?,
        notices: load_table(conn, "notices", "rowid")?,
        outbox: load_table(conn, "outbox", "rowid")?,
        usage_records: load_table(conn, "usage_records", "seq")?,
        ..Ledger::default()
    };
    l.fired = billing_rules::reminders::Fired(
        load_table::<billing_rules::reminders::FiredKey>(conn, "fired", "rowid")?
            .into_iter()
            .collect(),
    );
    let mut stmt = conn.prepare("SELECT tenant_id, data FROM postpaid")?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
        let (t, d) = row?;
        l.postpaid.insert(t, serde_json::from_str(&d)?);
    }
    let mut stmt = conn.prepare("SELECT id, data FROM usage_keys")?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
        let (k, d) = row?;
        l.usage_keys
            .insert(k, serde_json::from_str::<Deduction>(&d)?);
    }
    Ok(l)
}

fn upsert<T: Serialize>(
    tx: &Transaction,
    table: &str,
    id: &str,
    tenant: &str,
    v: &T,
) -> Result<(), DbError> {
    tx.execute(
        &format!("INSERT INTO {table} (id, tenant_id, data) VALUES (?1, ?2, ?3) ON CONFLICT(id) DO UPDATE SET tenant_id = excluded.tenant_id, data = excluded.data"),
        params![id, tenant, serde_json::to_string(v)?],
    )?;
    Ok(())
}

/// Rows of `after` that are new or differ from `before`, by key.
fn changed<'a, T: PartialEq>(
    before: &'a [T],
    after: &'a [T],
    key: impl Fn(&T) -> &str,
) -> Vec<&'a T> {
    let old: HashMap<&str, &T> = before.iter().map(|t| (key(t), t)).collect();
    after
        .iter()
        .filter(|t| old.get(key(t)) != Some(t))
        .collect()
}

/// Save what changed from `before` to `after` in one IMMEDIATE transaction.
pub fn save_changes(conn: &mut Connection, before: &Ledger, after: &Ledger) -> Result<(), DbError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    write_changes(&tx, before, after)?;
    tx.commit()?;
    Ok(())
}

fn write_changes(tx: &Transaction, before: &Ledger, after: &Ledger) -> Result<(), DbError> {
    for a in changed(&before.accounts, &after.accounts, |a| &a.tenant_id) {
        upsert(tx, "accounts", &a.tenant_id, &a.tenant_id, a)?;
    }
    for u in changed(&before.users, &after.users, |u| &u.id) {
        upsert(tx, "users", &u.id, &u.tenant_id, u)?;
    }
    for r in changed(&before.resources, &after.resources, |r| &r.id) {
        upsert(tx, "resources", &r.id, &r.tenant_id, r)?;
    }
    for k in changed(&before.knowledge, &after.knowledge, |k| &k.id) {
        upsert(tx, "knowledge", &k.id, &k.tenant_id, k)?;
    }
    for (t, st) in &after.postpaid {
        if before.postpaid.get(t) != Some(st) {
            upsert(tx, "postpaid", t, t, st)?;
        }
    }
    for n in changed(&before.notices, &after.notices, |n| &n.id) {
        upsert(tx, "notices", &n.id, &n.tenant_id, n)?;
    }
    for m in changed(&before.outbox, &after.outbox, |m| &m.id) {
        upsert(tx, "outbox", &m.id, &m.tenant_id, m)?;
    }
    for k in after.fired.0.difference(&before.fired.0) {
        let id = serde_json::to_string(k)?;
        upsert(tx, "fired", &id, "", k)?;
    }
    for r in after.usage_records.iter().skip(before.usage_records.len()) {
        tx.execute(
            "INSERT INTO usage_records (tenant_id, data) VALUES (?1, ?2)",
            params![r.tenant_id, serde_json::to_string(r)?],
        )?;
    }
    // History and metering keys only grow.
    for c in after
        .postpaid_history
        .iter()
        .skip(before.postpaid_history.len())
    {
        append_history(tx, c)?;
    }
    for (k, d) in &after.usage_keys {
        if !before.usage_keys.contains_key(k) {
            let tenant = k.split('/').next().unwrap_or_default();
            upsert(tx, "usage_keys", k, tenant, d)?;
        }
    }
    Ok(())
}

fn append_history(tx: &Transaction, c: &PostpaidChange) -> Result<(), DbError> {
    tx.execute(
        "INSERT INTO postpaid_history (tenant_id, data) VALUES (?1, ?2)",
        params![c.tenant_id, serde_json::to_string(c)?],
    )?;
    Ok(())
}

/// Store a whole ledger into an empty database (the demo seed).
pub fn seed(conn: &mut Connection, ledger: &Ledger) -> Result<(), DbError> {
    save_changes(conn, &Ledger::default(), ledger)
}

pub fn session_user(conn: &Connection, id: &str, now: i64) -> Result<Option<String>, DbError> {
    Ok(conn
        .query_row(
            "SELECT user_id FROM sessions WHERE id = ?1 AND expires_at > ?2",
            params![id, now],
            |r| r.get(0),
        )
        .optional()?)
}

pub fn create_session(
    conn: &Connection,
    id: &str,
    user_id: &str,
    expires_at: i64,
) -> Result<(), DbError> {
    conn.execute(
        "DELETE FROM sessions WHERE expires_at <= ?1",
        params![chrono::Utc::now().timestamp()],
    )?;
    conn.execute(
        "INSERT INTO sessions (id, user_id, expires_at) VALUES (?1, ?2, ?3)",
        params![id, user_id, expires_at],
    )?;
    Ok(())
}

pub fn delete_session(conn: &Connection, id: &str) -> Result<(), DbError> {
    conn.execute("DELETE FROM sessions WHERE id = ?1", params![id])?;
    Ok(())
}

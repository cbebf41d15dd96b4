//! The little both databases share: parameter and row values, and a
//! connection that runs one statement. SQL is written once with `$1, $2…`
//! placeholders (SQLite gets them as `?1, ?2…`); every integer column is a
//! 64-bit integer and every text column compares bytewise (PostgreSQL
//! columns are `COLLATE "C"`), so both sort exactly as the in-memory store.

use std::fmt;

/// A parameter or a column value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum V {
    Null,
    Int(i64),
    Text(String),
}

impl From<i64> for V {
    fn from(v: i64) -> Self {
        V::Int(v)
    }
}
impl From<u64> for V {
    fn from(v: u64) -> Self {
        V::Int(v.min(i64::MAX as u64) as i64)
    }
}
impl From<bool> for V {
    fn from(v: bool) -> Self {
        V::Int(v as i64)
    }
}
impl From<&str> for V {
    fn from(v: &str) -> Self {
        V::Text(v.to_string())
    }
}
impl From<String> for V {
    fn from(v: String) -> Self {
        V::Text(v)
    }
}
impl From<&String> for V {
    fn from(v: &String) -> Self {
        V::Text(v.clone())
    }
}
impl<T: Into<V>> From<Option<T>> for V {
    fn from(v: Option<T>) -> Self {
        v.map(Into::into).unwrap_or(V::Null)
    }
}

/// One result row: its values by column name (the statement's column or
/// its alias), never by position, so a reordered SELECT cannot shift a
/// field. Naming a column the statement does not have is a bug: it panics
/// (the transaction rolls back). An empty row (`Row::default()`, no
/// columns at all) reads as zeros and nothing.
#[derive(Debug, Clone, Default)]
pub struct Row {
    cols: std::sync::Arc<[String]>,
    vals: Vec<V>,
    /// Where the next lookup looks first: decoders read the columns in
    /// the statement's order, so each lookup is one comparison.
    next: std::cell::Cell<usize>,
}

impl Row {
    pub fn new(cols: std::sync::Arc<[String]>, vals: Vec<V>) -> Row {
        Row {
            cols,
            vals,
            next: std::cell::Cell::new(0),
        }
    }

    fn get(&self, col: &str) -> Option<&V> {
        if self.cols.is_empty() {
            return None;
        }
        let guess = self.next.get();
        let at = match self.cols.get(guess) {
            Some(c) if c == col => guess,
            _ => match self.cols.iter().position(|c| c == col) {
                Some(i) => i,
                None => panic!("no column {col:?} in {:?}", self.cols),
            },
        };
        self.next.set(at + 1);
        self.vals.get(at)
    }

    /// The value of a one-column row, whatever the column is called (a
    /// figure the tests and benchmarks ask for with their own SQL).
    pub fn figure(&self) -> i64 {
        assert!(
            self.cols.len() <= 1,
            "a figure is one column: {:?}",
            self.cols
        );
        match self.vals.first() {
            Some(V::Int(n)) => *n,
            Some(V::Text(s)) => s.parse().unwrap_or_default(),
            _ => 0,
        }
    }

    pub fn int(&self, col: &str) -> i64 {
        match self.get(col) {
            Some(V::Int(n)) => *n,
            Some(V::Text(s)) => s.parse().unwrap_or_default(),
            _ => 0,
        }
    }
    pub fn u64(&self, col: &str) -> u64 {
        self.int(col).max(0) as u64
    }
    pub fn opt_int(&self, col: &str) -> Option<i64> {
        match self.get(col) {
            Some(V::Int(n)) => Some(*n),
            _ => None,
        }
    }
    pub fn text(&self, col: &str) -> String {
        self.opt_text(col).unwrap_or_default()
    }
    pub fn opt_text(&self, col: &str) -> Option<String> {
        match self.get(col) {
            Some(V::Text(s)) => Some(s.clone()),
            Some(V::Int(n)) => Some(n.to_string()),
            _ => None,
        }
    }
}

/// A storage failure, with its cause (logged by the server, never sent).
#[derive(Debug)]
pub struct DbError {
    pub cause: String,
    /// The database is away (a connection lost or refused, the server
    /// shutting down, no connection free in time, a lock held past the
    /// busy timeout), not wrong: the same request may succeed shortly.
    pub away: bool,
}

impl DbError {
    pub fn new(cause: impl Into<String>) -> DbError {
        DbError {
            cause: cause.into(),
            away: false,
        }
    }
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.cause)
    }
}

impl std::error::Error for DbError {}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        // Busy past the busy timeout, or locked: another writer holds the
        // file; the same request may go through in a moment.
        let away = matches!(
            e.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        );
        DbError {
            cause: format!("sqlite: {e}"),
            away,
        }
    }
}

/// Whether a PostgreSQL failure means the server is away rather than the
/// statement wrong: a connection exception (class 08), an administrator's
/// or a crash's shutdown (57P01–57P03), too many connections (53300), or a
/// connection that closed or failed underneath (no SQLSTATE at all, an I/O
/// error or a closed client).
pub fn postgres_away(e: &postgres::Error) -> bool {
    match e.code() {
        Some(state) => {
            let code = state.code();
            code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
        }
        None => {
            e.is_closed()
                || std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
                || e.to_string().contains("connection")
        }
    }
}

impl From<postgres::Error> for DbError {
    fn from(e: postgres::Error) -> Self {
        DbError {
            away: postgres_away(&e),
            cause: format!("postgres: {e}"),
        }
    }
}

impl From<r2d2::Error> for DbError {
    /// No connection could be had in time: the database is away or
    /// overloaded.
    fn from(e: r2d2::Error) -> Self {
        DbError {
            cause: format!("connection pool: {e}"),
            away: true,
        }
    }
}

impl From<serde_json::Error> for DbError {
    fn from(e: serde_json::Error) -> Self {
        DbError::new(format!("stored JSON: {e}"))
    }
}

/// Which SQL dialect a connection speaks, where the two differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// One open connection (inside a transaction the caller began).
pub trait Sql {
    fn dialect(&self) -> Dialect;
    /// Run a statement; the number of rows it changed.
    fn exec(&mut self, sql: &str, params: &[V]) -> Result<u64, DbError>;
    fn rows(&mut self, sql: &str, params: &[V]) -> Result<Vec<Row>, DbError>;
    fn batch(&mut self, sql: &str) -> Result<(), DbError>;

    fn row(&mut self, sql: &str, params: &[V]) -> Result<Option<Row>, DbError> {
        Ok(self.rows(sql, params)?.into_iter().next())
    }
}

/// `$1` → `?1` (SQLite's numbered parameters); `$` inside quotes is left.
pub fn numbered_for_sqlite(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quoted = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            quoted = !quoted;
        }
        if c == '$' && !quoted && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_become_numbered_outside_quotes() {
        assert_eq!(
            super::numbered_for_sqlite("a = $1 AND b LIKE $12 ESCAPE '$1'"),
            "a = ?1 AND b LIKE ?12 ESCAPE '$1'"
        );
    }
}

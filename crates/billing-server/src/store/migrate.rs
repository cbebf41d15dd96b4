//! Versioned migrations, run on start. Each is written once (see
//! `migrations/`) and translated to the dialect: `INT` is a 64-bit integer,
//! `TEXT` compares bytewise, `SERIAL_PK` is an auto-numbered key.

use super::sql::{DbError, Dialect, Sql};

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/0001_schema.sql")),
    (2, include_str!("../../migrations/0002_sessions.sql")),
    (
        3,
        include_str!("../../migrations/0003_forecasts_and_deductions.sql"),
    ),
    (
        4,
        include_str!("../../migrations/0004_postpaid_billing_and_webhooks.sql"),
    ),
    (
        5,
        include_str!("../../migrations/0005_pascal_case_thresholds.sql"),
    ),
];

/// The schema version this build needs.
pub const LATEST: i64 = 5;

/// The migration text for one dialect.
pub fn translate(sql: &str, d: Dialect) -> String {
    let (int, text, serial) = match d {
        Dialect::Sqlite => ("INTEGER", "TEXT", "INTEGER PRIMARY KEY AUTOINCREMENT"),
        Dialect::Postgres => ("BIGINT", "TEXT COLLATE \"C\"", "BIGSERIAL PRIMARY KEY"),
    };
    sql.lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .map(|l| {
            l.split_inclusive(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .map(|w| {
                    let (word, rest) = w.split_at(
                        w.find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                            .unwrap_or(w.len()),
                    );
                    let word = match word {
                        "INT" => int,
                        "TEXT" => text,
                        "SERIAL_PK" => serial,
                        other => other,
                    };
                    format!("{word}{rest}")
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Apply what is missing, inside the caller's transaction.
pub fn run(conn: &mut dyn Sql) -> Result<(), DbError> {
    let d = conn.dialect();
    conn.batch(&translate(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INT PRIMARY KEY, applied_at TEXT NOT NULL);",
        d,
    ))?;
    let done = conn
        .row("SELECT MAX(version) AS version FROM schema_migrations", &[])?
        .and_then(|r| r.opt_int("version"))
        .unwrap_or(0);
    for (v, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > done) {
        conn.batch(&translate(sql, d))?;
        conn.exec(
            "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
            &[(*v).into(), chrono::Utc::now().to_rfc3339().into()],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_translate_per_dialect() {
        let s = "CREATE TABLE t (a INT NOT NULL, b TEXT, seq SERIAL_PK, INTx INT);";
        assert_eq!(
            translate(s, Dialect::Postgres),
            "CREATE TABLE t (a BIGINT NOT NULL, b TEXT COLLATE \"C\", seq BIGSERIAL PRIMARY KEY, INTx BIGINT);"
        );
        assert!(translate(s, Dialect::Sqlite).contains("seq INTEGER PRIMARY KEY AUTOINCREMENT"));
    }
}

//! PostgreSQL for tests: the server at `DATABASE_URL`, else at
//! 127.0.0.1:5432 (user postgres). Each test gets its own freshly created
//! database, named after this process; all of them are dropped when the
//! process exits, and any left by a process that died are dropped by the
//! next run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

pub fn selected() -> bool {
    std::env::var("BILLING_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

/// `postgres://user@host:port` (no database name).
pub fn server_url() -> String {
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", &url));
    let host = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{host}")
}

/// Run `sql` on the server's `postgres` database (on a thread of its own:
/// the blocking client must not run inside the tests' async runtime).
fn admin(sql: String) -> Vec<String> {
    let url = format!("{}/postgres", server_url());
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("PostgreSQL at {url}: {e}"));
        c.simple_query(&sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .into_iter()
            .filter_map(|m| match m {
                postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
                _ => None,
            })
            .collect()
    })
    .join()
    .unwrap()
}

static MADE: OnceLock<Mutex<HashMap<PathBuf, String>>> = OnceLock::new();

extern "C" fn drop_ours() {
    let names: Vec<String> = MADE
        .get()
        .map(|m| m.lock().unwrap().values().cloned().collect())
        .unwrap_or_default();
    for n in names {
        let _ =
            std::panic::catch_unwind(|| admin(format!("DROP DATABASE IF EXISTS {n} WITH (FORCE)")));
    }
}

fn made() -> &'static Mutex<HashMap<PathBuf, String>> {
    MADE.get_or_init(|| {
        // Databases of test processes that no longer run.
        for name in
            admin("SELECT datname FROM pg_database WHERE datname LIKE 'billing\\_test\\_%'".into())
        {
            let pid = name.split('_').nth(2).unwrap_or("");
            if !Path::new(&format!("/proc/{pid}")).exists() {
                admin(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
        unsafe {
            libc::atexit(drop_ours);
        }
        Mutex::new(HashMap::new())
    })
}

/// A URL to a database of this test's own, created on first use.
pub fn database_for(path: &Path) -> String {
    let mut m = made().lock().unwrap();
    let n = m.len();
    let name = m
        .entry(path.to_path_buf())
        .or_insert_with(|| {
            let name = format!("billing_test_{}_{n}", std::process::id());
            admin(format!("CREATE DATABASE {name}"));
            name
        })
        .clone();
    format!("{}/{name}", server_url())
}

/// A URL to a new empty database (for tests that start several servers
/// on one database).
pub fn fresh_database(label: &str) -> String {
    database_for(&PathBuf::from(format!("/fresh/{label}")))
}

//! The billing API server: a thin JSON API over SQLite that is the authority
//! for every rule (all of them from `billing-rules`), and serves the built
//! console from the same origin.

pub mod api;
pub mod db;
pub mod events;
pub mod openapi;
pub mod web;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use billing_rules::Ledger;
use chrono::Utc;
use rusqlite::Connection;

/// How users are identified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMode {
    /// A sign-in page lists the seeded users; a session cookie follows.
    Demo,
    /// An authenticating proxy in front sets this header to the user id.
    ProxyHeader(String),
}

#[derive(Debug, Clone)]
pub struct Config {
    pub db_path: PathBuf,
    /// The built client (Trunk's dist/); None serves the API only.
    pub dist: Option<PathBuf>,
    pub auth: AuthMode,
    /// Bearer token for ReportUsage (metering); None disables metering.
    pub operator_token: Option<String>,
    /// How often time-driven rules (expiry notices and reminders, knowledge
    /// isolation) are applied. Thresholds are whole days, so every 30 s is far
    /// finer than any of them needs, and a sweep of 100,000 resources costs
    /// milliseconds.
    pub sweep_every: Duration,
    /// The console's origin, e.g. "https://billing.example.com"; by default
    /// the request's own Host over http.
    pub public_origin: Option<String>,
    pub session_ttl_secs: i64,
}

impl Config {
    pub fn new(db_path: PathBuf) -> Self {
        Config {
            db_path,
            dist: None,
            auth: AuthMode::Demo,
            operator_token: None,
            sweep_every: Duration::from_secs(30),
            public_origin: None,
            session_ttl_secs: 8 * 3600,
        }
    }
}

pub struct AppState {
    pub config: Config,
    /// The working copy of the ledger; every change reaches `db` before it
    /// is answered.
    pub ledger: RwLock<Ledger>,
    pub db: Mutex<Connection>,
    /// The CSP, with the mtime of the index.html it was computed from.
    pub csp: Mutex<(Option<std::time::SystemTime>, String)>,
    /// API work is CPU-bound: at most one request per core runs at once;
    /// the rest wait without holding a thread.
    pub workers: tokio::sync::Semaphore,
    /// Changes, by tenant, for the live event streams.
    pub events: tokio::sync::broadcast::Sender<events::Event>,
}

pub type Shared = Arc<AppState>;

/// How the database was found at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    Seeded,
    Existing,
}

/// Open the database (seeding the demo data into an empty one) and load it.
pub fn open_state(config: Config) -> Result<(Shared, Opened), db::DbError> {
    let mut conn = db::open(&config.db_path)?;
    let opened = if db::is_empty(&conn)? {
        db::seed(&mut conn, &billing_rules::seed::demo(Utc::now()))?;
        Opened::Seeded
    } else {
        Opened::Existing
    };
    let ledger = db::load(&conn)?;
    let state = Arc::new(AppState {
        config,
        ledger: RwLock::new(ledger),
        db: Mutex::new(conn),
        csp: Mutex::new((None, String::new())),
        events: tokio::sync::broadcast::channel(1024).0,
        workers: tokio::sync::Semaphore::new(
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
        ),
    });
    // Catch up on time that passed while the server was down.
    api::sweep(&state).map_err(|e| db::DbError(e.message))?;
    Ok((state, opened))
}

/// Apply time-driven rules every `sweep_every` while the server runs.
pub fn spawn_sweeper(state: Shared) {
    let every = state.config.sweep_every;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let st = state.clone();
            let _ = tokio::task::spawn_blocking(move || api::sweep(&st)).await;
        }
    });
}

/// The whole HTTP application.
pub fn app(state: Shared) -> axum::Router {
    web::router(state)
}

//! The billing API server: a thin JSON API over a database that is the
//! authority for every rule (all of them from `billing-rules`), and serves
//! the built console from the same origin. SQLite is the embedded default;
//! PostgreSQL carries several stateless replicas.

pub mod api;
pub mod assets;
pub mod events;
pub mod failure;
pub mod openapi;
pub mod serve;
pub mod store;
pub mod trace;
pub mod web;
pub mod webhooks;

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use billing_rules::api::ApiError;
use billing_rules::engine;
use chrono::Utc;

pub use store::Database;
use store::{Changes, Db, DbError};

/// How users are identified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMode {
    /// A sign-in page lists the seeded users; a session cookie follows.
    Demo,
    /// An authenticating proxy in front sets a header to the user id.
    Proxy(ProxyTrust),
}

/// Whom the proxy's user header is believed from: peers whose address is in
/// `peers` (when any are given) that also present `secret` in
/// [`api::PROXY_SECRET_HEADER`] (when one is given). At least one of the two
/// is required; the server refuses to start otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyTrust {
    pub header: String,
    pub peers: Vec<ipnet::IpNet>,
    pub secret: Option<String>,
}

impl ProxyTrust {
    /// A proxy on this machine (the tests' and a sidecar's case).
    pub fn loopback(header: &str) -> Self {
        ProxyTrust {
            header: header.into(),
            peers: vec![
                "127.0.0.0/8".parse().expect("a CIDR"),
                "::1/128".parse().expect("a CIDR"),
            ],
            secret: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database: Database,
    /// The built client (Trunk's dist/); None serves the API only.
    pub dist: Option<PathBuf>,
    pub auth: AuthMode,
    /// Bearer token for ReportUsage (metering); None disables metering.
    pub operator_token: Option<String>,
    /// How often time-driven rules (expiry notices and reminders, knowledge
    /// isolation) are applied to the tenants that have something due. Each
    /// request also brings its own tenant up to date first, so this only
    /// bounds how late a notice reaches someone who is not looking.
    pub sweep_every: Duration,
    /// The console's origin, e.g. "https://billing.example.com"; by default
    /// the request's own Host over http.
    pub public_origin: Option<String>,
    pub session_ttl_secs: i64,
    /// Reads served at once (writes get their own slots; the pool holds a
    /// connection for each).
    pub pool_size: u32,
    /// Connections: how many, and how long each may dawdle.
    pub limits: serve::Limits,
    /// Live event streams one session may hold open at once.
    pub streams_per_session: usize,
    /// Live event streams this process holds open at once.
    pub max_streams: usize,
    /// Sessions one user may hold; signing in beyond it ends the oldest.
    pub sessions_per_user: i64,
    /// Writes per session: a burst of this many, then one every
    /// `write_every`.
    pub write_burst: u32,
    pub write_every: Duration,
    /// Alert delivery to webhooks.
    pub webhooks: webhooks::Settings,
    /// Seconds the server's clock runs ahead of real time: 0, except in
    /// tests that let hours pass (settlement, budgets).
    pub clock_skew: Arc<AtomicI64>,
    /// Run the sweep (time-driven rules, settlement) and the webhook
    /// sender in the background. The binary always does; tests choose.
    pub jobs: bool,
}

impl Config {
    /// An SQLite file.
    pub fn new(db_path: PathBuf) -> Self {
        Self::with_database(Database::Sqlite(db_path))
    }

    pub fn with_database(database: Database) -> Self {
        Config {
            database,
            dist: None,
            auth: AuthMode::Demo,
            operator_token: None,
            sweep_every: Duration::from_secs(30),
            public_origin: None,
            session_ttl_secs: 8 * 3600,
            pool_size: 8,
            limits: serve::Limits::default(),
            streams_per_session: 4,
            max_streams: 1000,
            sessions_per_user: 10,
            write_burst: 10,
            write_every: Duration::from_millis(500),
            webhooks: webhooks::Settings::default(),
            clock_skew: Arc::new(AtomicI64::new(0)),
            jobs: false,
        }
    }
}

pub struct AppState {
    pub config: Config,
    pub db: Db,
    /// The built client (with its CSP), loaded once per build.
    pub assets: std::sync::RwLock<Option<Arc<assets::Assets>>>,
    /// Reads running at once; the rest wait without holding a thread.
    pub readers: tokio::sync::Semaphore,
    /// Writes running (or waiting for the database's writer) at once, apart
    /// from the reads: queued writes never hold up reads.
    pub writers: tokio::sync::Semaphore,
    /// Changes, by tenant, for the live event streams. With SQLite this
    /// process's commits feed it; with PostgreSQL every replica's commits
    /// reach it through LISTEN/NOTIFY.
    pub events: tokio::sync::broadcast::Sender<events::Event>,
    /// Open event streams by caller ([`api::Caller::key`]).
    pub streams: Mutex<std::collections::HashMap<String, events::OpenStreams>>,
    /// Writes per caller (session, proxy user, or signing-in address).
    pub write_limiter: governor::DefaultKeyedRateLimiter<String>,
}

pub type Shared = Arc<AppState>;

impl AppState {
    /// The server's clock: real time, plus the configured skew.
    pub fn now(&self) -> chrono::DateTime<Utc> {
        Utc::now() + chrono::Duration::seconds(self.config.clock_skew.load(Ordering::Relaxed))
    }
}

/// How the database was found at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    Seeded,
    Existing,
}

/// Writes per caller: a burst of `write_burst`, then one every `write_every`.
fn write_limiter(config: &Config) -> governor::DefaultKeyedRateLimiter<String> {
    let every = config.write_every.max(Duration::from_millis(1));
    let burst = std::num::NonZeroU32::new(config.write_burst.max(1)).expect("at least 1");
    governor::RateLimiter::keyed(
        governor::Quota::with_period(every)
            .expect("a non-zero period")
            .allow_burst(burst),
    )
}

/// Open the database: migrate it, seed the demo data into an empty one,
/// and catch up on time that passed while no server ran.
pub fn open_state(config: Config) -> Result<(Shared, Opened), DbError> {
    // SQLite runs one writer at a time: two write slots keep the next one
    // ready. PostgreSQL writes to different tenants run side by side.
    let writers = match config.database {
        Database::Sqlite(_) => 2,
        Database::Postgres(_) => (config.pool_size / 2).max(1),
    };
    // Each request holds one connection at a time; the sweep one more.
    let mut db = Db::open(&config.database, config.pool_size + writers + 2)?;
    db.private_webhooks = config.webhooks.allow_private;
    let seeded = db.migrate_and_seed(|| {
        let now = Utc::now();
        (billing_rules::seed::demo(now), now)
    })?;
    let limiter = write_limiter(&config);
    let assets = config
        .dist
        .as_deref()
        .map(|d| Arc::new(assets::Assets::load(d)));
    let state = Arc::new(AppState {
        readers: tokio::sync::Semaphore::new(config.pool_size as usize),
        writers: tokio::sync::Semaphore::new(writers as usize),
        config,
        db,
        assets: std::sync::RwLock::new(assets),
        events: tokio::sync::broadcast::channel(1024).0,
        streams: Mutex::new(std::collections::HashMap::new()),
        write_limiter: limiter,
    });
    if let Database::Postgres(url) = &state.config.database {
        events::listen_postgres(url.clone(), state.events.clone());
    }
    sweep(&state).map_err(|e| DbError::new(e.message))?;
    Ok((
        state,
        if seeded {
            Opened::Seeded
        } else {
            Opened::Existing
        },
    ))
}

/// Tell this process's event streams what a commit changed. With
/// PostgreSQL the commit's NOTIFY does it, for every replica.
pub fn publish(state: &AppState, changes: &Changes) {
    if state.db.dialect() == store::Dialect::Sqlite {
        for (tenant, what) in changes {
            let _ = state.events.send(events::Event {
                tenant_id: tenant.clone(),
                kind: events::Signal::Changed(*what),
            });
        }
    }
}

/// Apply time-driven rules to every tenant with something due, tenant by
/// tenant, each in its own transaction; purge expired sessions. Several
/// replicas may sweep at once: each tenant is locked while it is brought up
/// to date, and every threshold fires once by its unique key.
pub fn sweep(state: &AppState) -> Result<usize, ApiError> {
    let now = state.now();
    let mut done = 0;
    loop {
        let tenants = state.db.read(|s| s.due_tenants(now, 500))?;
        if tenants.is_empty() {
            break;
        }
        for t in &tenants {
            let (_, changes) = state.db.write(Some(t), |s| engine::catch_up(s, t, now))?;
            publish(state, &changes);
        }
        done += tenants.len();
    }
    settle(state, now)?;
    // Delivery history is kept for the retention period, then forgotten.
    let (_, changes) = state.db.write(None, |s| {
        s.purge_deliveries(now - state.config.webhooks.retention)
    })?;
    publish(state, &changes);
    state
        .db
        .write(None, |s| s.purge_sessions(now.timestamp()))?;
    // Forget the rate of callers that have been quiet.
    state.write_limiter.retain_recent();
    Ok(done)
}

/// Settle every closed hour of postpaid usage, tenant by tenant, each in
/// its own transaction holding the tenant's lock. Replicas may settle at
/// once: an hour is settled by whichever locks the tenant first, and the
/// other finds it settled. Hours missed while no server ran are caught up
/// here. Returns the bill lines written.
pub fn settle(state: &AppState, now: chrono::DateTime<Utc>) -> Result<usize, ApiError> {
    let before = billing_rules::forecast::hour_of(now);
    let mut lines = 0;
    let mut seen = std::collections::BTreeSet::new();
    loop {
        let tenants = state.db.read(|s| s.unsettled_tenants(before, 500))?;
        // A tenant that stays open after its settlement (it cannot, unless
        // its account is gone) is not tried again in this round.
        let fresh: Vec<String> = tenants
            .into_iter()
            .filter(|t| seen.insert(t.clone()))
            .collect();
        if fresh.is_empty() {
            return Ok(lines);
        }
        for t in &fresh {
            let (written, changes) = state
                .db
                .write(Some(t), |s| engine::settle(s, t, now).map(|l| l.len()))?;
            lines += written;
            publish(state, &changes);
        }
    }
}

/// Start the background jobs: the sweep and the webhook sender.
pub fn spawn_jobs(state: Shared) {
    spawn_sweeper(state.clone());
    webhooks::spawn_sender(state);
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
            let _ = tokio::task::spawn_blocking(move || sweep(&st)).await;
        }
    });
}

/// Log to standard error as `tracing` events; `RUST_LOG` picks what (by
/// default `info`: refused and failed requests, not every answer).
pub fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour only for a person at a terminal, not in a log file.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

/// The whole HTTP application.
pub fn app(state: Shared) -> axum::Router {
    web::router(state)
}

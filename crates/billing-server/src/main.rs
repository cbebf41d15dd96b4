//! `billing-server`: serve the console and its API.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use billing_server::{app, open_state, spawn_sweeper, AuthMode, Config, Database, Opened};
use clap::Parser;

#[derive(Parser, Debug)]
#[command(
    about = "Billing resources console: JSON API over SQLite or PostgreSQL, serving the built client"
)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "BILLING_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// SQLite database file (created, migrated and seeded with demo data
    /// when empty). Ignored when --database is given.
    #[arg(long, env = "BILLING_DB", default_value = "billing.sqlite")]
    db: PathBuf,
    /// The database: `postgres://user@host/name` for PostgreSQL (several
    /// replicas may share it), or an SQLite path. Overrides --db.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database: Option<String>,
    /// Delete the SQLite database first, to start again from the demo seed.
    #[arg(long)]
    reset: bool,
    /// Reads served at once (writes have slots of their own).
    #[arg(long, env = "BILLING_POOL_SIZE", default_value_t = 8)]
    pool_size: u32,
    /// The built client (Trunk's dist/). Without it only the API is served.
    #[arg(long, env = "BILLING_DIST")]
    dist: Option<PathBuf>,
    /// Demo sign-in: anyone may sign in as any seeded user, with no
    /// password. For trying the console only; `scripts/serve.sh` passes it.
    #[arg(long, env = "BILLING_DEMO")]
    demo: bool,
    /// Take the user id from this header, set by an authenticating proxy in
    /// front (production).
    #[arg(long, env = "BILLING_TRUST_PROXY_HEADER")]
    trust_proxy_header: Option<String>,
    /// Operator bearer token for ReportUsage (metering).
    #[arg(long, env = "BILLING_OPERATOR_TOKEN", hide_env_values = true)]
    operator_token: Option<String>,
    /// Seconds between sweeps applying time-driven rules.
    #[arg(long, default_value_t = 30)]
    sweep_secs: u64,
    /// The console's public origin (e.g. https://billing.example.com).
    #[arg(long, env = "BILLING_PUBLIC_ORIGIN")]
    public_origin: Option<String>,
}

/// Say why the server will not start, and stop.
fn refuse(why: &str) -> ! {
    eprintln!("billing-server: {why} Refusing to start.");
    std::process::exit(2);
}

#[tokio::main]
async fn main() {
    let started = Instant::now();
    let args = Args::parse();
    let database = args
        .database
        .as_deref()
        .map(Database::parse)
        .unwrap_or_else(|| Database::Sqlite(args.db.clone()));
    if let (true, Database::Sqlite(path)) = (args.reset, &database) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
    let shown = database.describe();
    let mut config = Config::with_database(database);
    config.pool_size = args.pool_size.clamp(1, 256);
    config.dist = args.dist;
    // Fail closed: no way of identifying users is assumed.
    config.auth = match (args.trust_proxy_header.clone(), args.demo) {
        (Some(h), false) => AuthMode::ProxyHeader(h),
        (None, true) => AuthMode::Demo,
        (Some(_), true) => refuse("choose one of --demo and --trust-proxy-header, not both."),
        (None, false) => refuse(
            "say how users are identified: --demo (anyone may sign in as any seeded user, with no password; for trying the console) or --trust-proxy-header HEADER (an authenticating proxy in front sets the user id).",
        ),
    };
    if matches!(config.auth, AuthMode::ProxyHeader(_)) && args.public_origin.is_none() {
        refuse("--trust-proxy-header needs --public-origin https://… (state-changing requests must come from that origin; a request's own Host is trusted only on loopback).");
    }
    config.operator_token = args.operator_token;
    config.sweep_every = Duration::from_secs(args.sweep_secs.max(1));
    config.public_origin = args.public_origin;
    // Opening may block on the database (migrations, the seed, catching up).
    let (state, opened) = match tokio::task::spawn_blocking(move || open_state(config))
        .await
        .expect("open the database")
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("billing-server: cannot open {shown}: {e}");
            std::process::exit(1);
        }
    };
    match opened {
        Opened::Seeded => eprintln!("billing-server: new database {shown} seeded with the demo data"),
        Opened::Existing => eprintln!(
            "billing-server: kept the existing database {shown} (start with --reset to begin again from the demo seed)"
        ),
    }
    spawn_sweeper(state.clone());
    let listener = match tokio::net::TcpListener::bind(args.addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("billing-server: cannot listen on {}: {e}", args.addr);
            std::process::exit(1);
        }
    };
    eprintln!(
        "billing-server: listening on http://{} (ready in {} ms)",
        args.addr,
        started.elapsed().as_millis()
    );
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(e) = axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
    {
        eprintln!("billing-server: {e}");
    }
}

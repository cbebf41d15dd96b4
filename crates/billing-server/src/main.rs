//! `billing-server`: serve the console and its API.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use billing_server::serve::{serve, Limits};
use billing_server::{open_state, spawn_jobs, AuthMode, Config, Database, Opened, ProxyTrust};
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
    /// front (production). Needs --trusted-proxy or --proxy-secret.
    #[arg(long, env = "BILLING_TRUST_PROXY_HEADER")]
    trust_proxy_header: Option<String>,
    /// Believe the proxy's header only from peers in this network
    /// (e.g. 10.0.0.0/24; repeatable).
    #[arg(
        long = "trusted-proxy",
        value_name = "CIDR",
        env = "BILLING_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<ipnet::IpNet>,
    /// Believe the proxy's header only when the request also carries this
    /// secret in `X-Billing-Proxy-Secret`.
    #[arg(long, env = "BILLING_PROXY_SECRET", hide_env_values = true)]
    proxy_secret: Option<String>,
    /// Connections served at once; more wait to be accepted.
    #[arg(long, default_value_t = 1024)]
    max_connections: usize,
    /// Seconds a client has to send a request's headers, and its body.
    #[arg(long, default_value_t = 10)]
    read_timeout_secs: u64,
    /// Changes one session may make in a burst...
    #[arg(long, default_value_t = 10)]
    write_burst: u32,
    /// ...and then one every this many milliseconds.
    #[arg(long, default_value_t = 500)]
    write_interval_ms: u64,
    /// Seconds after which a connection on which nothing moved is closed.
    #[arg(long, default_value_t = 30)]
    idle_timeout_secs: u64,
    /// Operator bearer token for ReportUsage (metering).
    #[arg(long, env = "BILLING_OPERATOR_TOKEN", hide_env_values = true)]
    operator_token: Option<String>,
    /// Seconds between sweeps applying time-driven rules.
    #[arg(long, default_value_t = 30)]
    sweep_secs: u64,
    /// Let alert webhooks go to private, loopback and link-local addresses,
    /// and over plain http:// (tests; a receiver on the same network on
    /// purpose). Off by default: only https:// to public addresses.
    #[arg(long, env = "BILLING_ALLOW_PRIVATE_WEBHOOKS")]
    allow_private_webhooks: bool,
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
    billing_server::init_logging();
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
        (Some(header), false) => {
            if args.trusted_proxies.is_empty() && args.proxy_secret.is_none() {
                refuse("--trust-proxy-header needs --trusted-proxy CIDR (the proxy's addresses) or --proxy-secret (a secret it sends), or both: otherwise anyone who reaches this server could claim to be any user.");
            }
            AuthMode::Proxy(ProxyTrust {
                header,
                peers: args.trusted_proxies.clone(),
                secret: args.proxy_secret.clone().filter(|s| !s.is_empty()),
            })
        }
        (None, true) => AuthMode::Demo,
        (Some(_), true) => refuse("choose one of --demo and --trust-proxy-header, not both."),
        (None, false) => refuse(
            "say how users are identified: --demo (anyone may sign in as any seeded user, with no password; for trying the console) or --trust-proxy-header HEADER (an authenticating proxy in front sets the user id).",
        ),
    };
    if matches!(config.auth, AuthMode::Proxy(_)) && args.public_origin.is_none() {
        refuse("--trust-proxy-header needs --public-origin https://… (state-changing requests must come from that origin; a request's own Host is trusted only on loopback).");
    }
    config.operator_token = args.operator_token;
    config.webhooks.allow_private = args.allow_private_webhooks;
    config.sweep_every = Duration::from_secs(args.sweep_secs.max(1));
    config.public_origin = args.public_origin;
    config.write_burst = args.write_burst.max(1);
    config.write_every = Duration::from_millis(args.write_interval_ms.max(1));
    config.limits = Limits {
        max_connections: args.max_connections.max(1),
        header_timeout: Duration::from_secs(args.read_timeout_secs.max(1)),
        body_timeout: Duration::from_secs(args.read_timeout_secs.max(1)),
        idle_timeout: Duration::from_secs(args.idle_timeout_secs.max(1)),
    };
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
    spawn_jobs(state.clone());
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
    serve(listener, state, shutdown).await;
}

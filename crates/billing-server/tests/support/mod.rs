//! A real server on a free port over a real database: a temporary SQLite
//! file, or with `BILLING_TEST_BACKEND=postgres` a freshly created
//! PostgreSQL database (see `pg`).
#![allow(dead_code)]

pub mod pg;
pub mod receiver;

use std::path::{Path, PathBuf};

use billing_server::{open_state, AuthMode, Config, Database};
use serde_json::{json, Value};

pub const OPERATOR: &str = "test-operator-token";

pub struct Server {
    pub base: String,
    pub db: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    pub async fn start(db: &Path, dist: Option<PathBuf>, auth: AuthMode) -> Server {
        Self::start_at(db, dist, auth, "127.0.0.1:0").await
    }

    /// Start on a given address (a restart on the same port). The server has
    /// its own runtime on its own thread, so stopping it closes every
    /// connection, as a real process restart does.
    pub async fn start_at(db: &Path, dist: Option<PathBuf>, auth: AuthMode, addr: &str) -> Server {
        Self::start_configured(db, addr, move |c| {
            c.dist = dist;
            c.auth = auth;
        })
        .await
    }

    /// Start with the test defaults, then `configure`'s changes.
    pub async fn start_configured(
        db: &Path,
        addr: &str,
        configure: impl FnOnce(&mut Config),
    ) -> Server {
        let mut config = Config::with_database(database_for(db));
        config.operator_token = Some(OPERATOR.into());
        configure(&mut config);
        let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let addr = addr.to_string();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let (state, _) = tokio::task::spawn_blocking(move || open_state(config))
                    .await
                    .unwrap()
                    .expect("open state");
                if state.config.jobs {
                    billing_server::spawn_jobs(state.clone());
                }
                let mut listener = None;
                for _ in 0..100 {
                    match tokio::net::TcpListener::bind(&addr).await {
                        Ok(l) => {
                            listener = Some(l);
                            break;
                        }
                        Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
                    }
                }
                let listener = listener.unwrap_or_else(|| panic!("cannot bind {addr}"));
                let _ = addr_tx.send(listener.local_addr().unwrap());
                tokio::select! {
                    _ = billing_server::serve::serve(listener, state, std::future::pending()) => {}
                    _ = stop_rx => {}
                }
            });
            // Dropping the runtime ends every connection task.
            drop(rt);
        });
        let addr = addr_rx.await.expect("server started");
        Server {
            base: format!("http://{addr}"),
            db: db.to_path_buf(),
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// Stop serving, close every connection and release the database.
    pub async fn stop(mut self) {
        self.halt();
        if let Some(t) = self.thread.take() {
            tokio::task::spawn_blocking(move || t.join())
                .await
                .unwrap()
                .unwrap();
        }
    }

    fn halt(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }

    pub fn client(&self) -> Client {
        Client::with_jar(Default::default(), &self.base)
    }

    /// A client signed in as `user`.
    pub async fn signed_in(&self, user: &str) -> Client {
        let c = self.client();
        let (status, body) = c.call("SignIn", json!({ "UserId": user })).await;
        assert_eq!(status, 200, "sign in {user}: {body}");
        c
    }
}

#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    jar: std::sync::Arc<reqwest::cookie::Jar>,
}

impl Client {
    /// A client of `base` keeping its cookies in `jar` (clients of several
    /// replicas may share one).
    pub fn with_jar(jar: std::sync::Arc<reqwest::cookie::Jar>, base: &str) -> Client {
        Client {
            http: reqwest::Client::builder()
                .cookie_provider(jar.clone())
                .build()
                .unwrap(),
            base: base.to_string(),
            jar,
        }
    }

    /// The `Cookie` header this client sends now (its session).
    pub fn cookie(&self) -> String {
        use reqwest::cookie::CookieStore;
        self.jar
            .cookies(&self.base.parse().unwrap())
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }

    /// Open the live event stream (200 and `ready`), or the refusal.
    pub async fn events(&self) -> reqwest::Response {
        self.http
            .get(format!("{}/api/events", self.base))
            .send()
            .await
            .unwrap()
    }

    /// POST an action as the console does (JSON, same-origin Origin).
    pub async fn call(&self, action: &str, body: Value) -> (u16, Value) {
        self.send(action, body.to_string(), true, &[]).await
    }

    pub async fn send(
        &self,
        action: &str,
        body: String,
        origin: bool,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let mut req = self
            .http
            .post(format!("{}/api/{action}", self.base))
            .header("Content-Type", "application/json")
            .body(body);
        if origin {
            req = req.header("Origin", self.base.clone());
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let v: Value =
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
        assert!(
            v["Response"]["RequestId"].is_string(),
            "every answer has a RequestId: {v}"
        );
        (status, v)
    }

    pub async fn operator(&self, body: Value) -> (u16, Value) {
        self.operator_call("ReportUsage", body).await
    }

    /// An operator action (ReportUsage, TopUp) with the operator token.
    pub async fn operator_call(&self, action: &str, body: Value) -> (u16, Value) {
        let auth = format!("Bearer {OPERATOR}");
        self.send(
            action,
            body.to_string(),
            false,
            &[("Authorization", auth.as_str())],
        )
        .await
    }
}

pub fn code(v: &Value) -> Option<&str> {
    v["Response"]["Error"]["Code"].as_str()
}

pub fn list_body(tab: &str) -> Value {
    json!({ "Tab": tab, "PageNumber": 1, "PageSize": 50 })
}

impl Drop for Server {
    fn drop(&mut self) {
        self.halt();
    }
}

/// The database a test's SQLite path stands for on the chosen backend. The
/// same path always gives the same database (a restart keeps its data).
pub fn database_for(path: &Path) -> Database {
    if pg::selected() {
        Database::Postgres(pg::database_for(path))
    } else {
        Database::Sqlite(path.to_path_buf())
    }
}

/// Read a server-sent event stream until `want` appears (or `within` passes).
pub async fn events_until(
    resp: &mut reqwest::Response,
    want: &str,
    within: std::time::Duration,
) -> Option<String> {
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, resp.chunk()).await {
            Ok(Ok(Some(bytes))) => {
                seen.push_str(&String::from_utf8_lossy(&bytes));
                if seen.contains(want) {
                    return Some(seen);
                }
            }
            _ => return None,
        }
    }
}

/// Whether a stream ends (its body closes) within `within`.
pub async fn ends_within(resp: &mut reqwest::Response, within: std::time::Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, resp.chunk()).await {
            Ok(Ok(Some(_))) => continue,
            Ok(Ok(None)) | Ok(Err(_)) => return true,
            Err(_) => return false,
        }
    }
}

/// A port nothing listens on now (for a process started with `--addr`).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A figure straight from the database (on a thread of its own: the
/// blocking PostgreSQL client must not run inside the async runtime).
/// A connection the database closed under a statement is a 503: the
/// figure is asked again (a few times: after an outage every pooled
/// connection may be dead).
pub fn figure(db: &billing_server::store::Db, sql: &str) -> i64 {
    std::thread::scope(|t| {
        t.spawn(|| {
            let mut tries = 0;
            loop {
                let got = db.read(|s| {
                    Ok(s.conn()
                        .row(sql, &[])
                        .map_err(billing_server::store::storage)?
                        .map(|r| r.figure())
                        .unwrap_or(0))
                });
                match got {
                    Err(e)
                        if e.code == billing_rules::ErrorCode::ServiceUnavailable && tries < 5 =>
                    {
                        tries += 1
                    }
                    got => return got.unwrap(),
                }
            }
        })
        .join()
        .unwrap()
    })
}

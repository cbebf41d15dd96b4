//! Several real `billing-server` processes on one database (PostgreSQL
//! with `BILLING_TEST_BACKEND=postgres`, else one SQLite file): the rules
//! that must hold under concurrency hold across processes, and a replica
//! killed with SIGKILL mid-burst loses nothing it acknowledged and leaves
//! nothing half-applied.

mod support;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use billing_rules::seed::users::*;
use billing_server::store::Db;
use billing_server::Database;
use futures::StreamExt;
use serde_json::{json, Value};
use support::*;

struct Replica {
    child: Child,
    base: String,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start a replica and wait until it says it is ready.
async fn replica(database: &str) -> Replica {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_billing-server"))
        .args([
            "--demo",
            "--database",
            database,
            "--operator-token",
            OPERATOR,
        ])
        .args(["--addr", &format!("127.0.0.1:{port}"), "--sweep-secs", "1"])
        // The cooldown across replicas is under test, not the rate limit.
        .args(["--write-burst", "1000"])
        // Webhooks go to a receiver on loopback.
        .arg("--allow-private-webhooks")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start billing-server");
    let r = Replica {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(resp) = reqwest::get(format!("{}/readyz", r.base)).await {
            if resp.status() == 200 {
                return r;
            }
        }
        assert!(
            Instant::now() < deadline,
            "replica on {} never got ready",
            r.base
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A fresh database on the selected backend, as a `--database` value.
fn database(dir: &tempfile::TempDir, label: &str) -> String {
    match database_for(&dir.path().join(format!("{label}.sqlite"))) {
        Database::Sqlite(p) => p.display().to_string(),
        Database::Postgres(url) => url,
    }
}

/// Clients of each replica sharing one cookie jar (sessions live in the
/// database, so any replica knows them).
fn clients(rs: &[Replica]) -> Vec<Client> {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    rs.iter()
        .map(|r| Client::with_jar(jar.clone(), &r.base))
        .collect()
}

async fn sum_used(c: &Client, kind: &str) -> u64 {
    let (_, v) = c
        .call(
            "DescribeResources",
            json!({ "Tab": "PayAsYouGo", "PageNumber": 1, "PageSize": 50 }),
        )
        .await;
    v["Response"]["Items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["Resource"]["Kind"] == kind)
        .map(|r| r["Resource"]["Used"].as_u64().unwrap())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_keep_every_rule() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(&dir, "three");
    let first = replica(&db).await; // migrates and seeds
    let rs = vec![first, replica(&db).await, replica(&db).await];
    let cs = clients(&rs);
    let (st, _) = cs[0].call("SignIn", json!({ "UserId": ACME_MAIN })).await;
    assert_eq!(st, 200);

    // 200 concurrent enables spread over the replicas: one wins the hour.
    let enables = futures::future::join_all((0..200).map(|i| {
        let c = cs[i % 3].clone();
        async move {
            c.call("ModifyPostpaidSetting", json!({ "Enabled": true }))
                .await
        }
    }))
    .await;
    let ok = enables.iter().filter(|(st, _)| *st == 200).count();
    let limited: Vec<&Value> = enables
        .iter()
        .filter(|(st, v)| *st == 429 && code(v) == Some("RequestLimitExceeded"))
        .map(|(_, v)| v)
        .collect();
    assert_eq!((ok, limited.len()), (1, 199));
    assert!(limited
        .iter()
        .all(|v| v["Response"]["Error"]["NextAllowedAt"].is_string()));

    // A metering burst with every key sent three times, to three replicas:
    // each key deducts once, and the search trial's 90% notice is recorded once.
    let before = sum_used(&cs[0], "SearchPackage").await;
    let (_, v) = cs[0].call("DescribePostpaidSetting", json!({})).await;
    assert_eq!(v["Response"]["State"]["Enabled"], true);
    let burst = futures::future::join_all((0..90).map(|i| {
        let c = cs[i % 3].clone();
        let body = json!({ "TenantId": "t-acme", "Kind": "SearchPackage", "Amount": 30, "IdempotencyKey": format!("burst-{}", i / 3) });
        async move { c.operator(body).await }
    }))
    .await;
    assert!(burst.iter().all(|(st, _)| *st == 200), "{burst:?}");
    let (mut drawn, mut postpaid) = (0, 0);
    for key in burst.chunks(3) {
        let first = &key[0].1["Response"];
        assert!(key.iter().all(|(_, v)| v["Response"] == *first
            || (v["Response"]["Draws"] == first["Draws"]
                && v["Response"]["Postpaid"] == first["Postpaid"])));
        drawn += first["Draws"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["Amount"].as_u64().unwrap())
            .sum::<u64>();
        postpaid += first["Postpaid"].as_u64().unwrap();
    }
    // Each key counted once: packages first, the rest postpaid (it is on).
    assert_eq!(drawn + postpaid, 30 * 30);
    assert_eq!(sum_used(&cs[1], "SearchPackage").await, before + drawn);
    let (_, notices) = cs[2]
        .call(
            "DescribeNotices",
            json!({ "PageNumber": 1, "PageSize": 100 }),
        )
        .await;
    let nearly = notices["Response"]["Items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["ResourceId"] == "res-search-trial" && n["Notice"] == "NearlyExhausted")
        .count();
    assert_eq!(
        nearly, 1,
        "the threshold crossed during the burst is recorded once"
    );
    let exhausted = notices["Response"]["Items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["ResourceId"] == "res-search-trial" && n["Notice"] == "Exhausted")
        .count();
    assert_eq!(exhausted, 1);

    // PostgreSQL: a change through one replica reaches a stream on another.
    if pg::selected() {
        let mut resp = cs[2]
            .http
            .get(format!("{}/api/events", cs[2].base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        // The stream says "ready" first; then meter through replica 0.
        let within = Duration::from_secs(10);
        assert!(events_until(&mut resp, "event: ready", within)
            .await
            .is_some());
        let (st, _) = cs[0].operator(json!({ "TenantId": "t-acme", "Kind": "TokenPackage", "Amount": 5, "IdempotencyKey": "cross" })).await;
        assert_eq!(st, 200);
        assert!(
            events_until(&mut resp, "event: usage", within)
                .await
                .is_some(),
            "no usage event on replica 2"
        );
        // Signing out through replica 0 ends the stream on replica 2.
        assert_eq!(cs[0].call("SignOut", json!({})).await.0, 200);
        assert!(
            ends_within(&mut resp, Duration::from_secs(5)).await,
            "replica 2 kept streaming to a signed-out session"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_mid_burst_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let url = database(&dir, "kill");
    let victim = replica(&url).await;
    let survivor = replica(&url).await;
    let db = std::thread::scope(|t| {
        t.spawn(|| Db::open(&billing_server::Database::parse(&url), 1).unwrap())
            .join()
            .unwrap()
    });
    let keys = "SELECT COUNT(*) FROM usage_keys WHERE tenant_id = 't-acme'";
    let records =
        "SELECT COUNT(*) FROM usage_records WHERE tenant_id = 't-acme' AND kind = 'TokenPackage'";
    let used = "SELECT CAST(SUM(used) AS BIGINT) FROM resources WHERE tenant_id = 't-acme' AND kind = 'TokenPackage'";
    let (k0, r0, u0) = (figure(&db, keys), figure(&db, records), figure(&db, used));

    let vc = Client::with_jar(Default::default(), &victim.base);
    let acked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let burst = {
        let acked = acked.clone();
        tokio::spawn(async move {
            futures::stream::iter(0..400)
                .for_each_concurrent(16, |i| {
                    let c = vc.clone();
                    let acked = acked.clone();
                    async move {
                        let body = json!({ "TenantId": "t-acme", "Kind": "TokenPackage", "Amount": 1, "IdempotencyKey": format!("k-{i}") });
                        let sent = c
                            .http
                            .post(format!("{}/api/ReportUsage", c.base))
                            .header("Content-Type", "application/json")
                            .header("Authorization", format!("Bearer {OPERATOR}"))
                            .body(body.to_string())
                            .send()
                            .await;
                        if let Ok(r) = sent {
                            if r.status() == 200 && r.text().await.is_ok() {
                                acked.lock().unwrap().push(i);
                            }
                        }
                    }
                })
                .await
        })
    };
    // Kill the replica once some of the burst is acknowledged.
    let deadline = Instant::now() + Duration::from_secs(30);
    while acked.lock().unwrap().len() < 60 {
        assert!(Instant::now() < deadline, "the burst never got going");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let mut victim = victim;
    victim.child.kill().unwrap(); // SIGKILL
    victim.child.wait().unwrap();
    burst.await.unwrap();
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() < 400, "the kill came too late to test anything");

    // Every acknowledged key is stored: replayed through the survivor it
    // answers its stored result and deducts nothing more.
    let sc = survivor_client(&survivor);
    let (k1, r1, u1) = (figure(&db, keys), figure(&db, records), figure(&db, used));
    for i in &acked {
        let (st, _) = sc.operator(json!({ "TenantId": "t-acme", "Kind": "TokenPackage", "Amount": 1, "IdempotencyKey": format!("k-{i}") })).await;
        assert_eq!(st, 200);
    }
    assert_eq!(figure(&db, used), u1, "replays deducted nothing");
    // Nothing half-applied: each stored key has its usage record and its
    // deduction, and nothing else was drawn.
    assert!(k1 - k0 >= acked.len() as i64);
    assert_eq!(k1 - k0, r1 - r0);
    assert_eq!(k1 - k0, u1 - u0);
}

fn survivor_client(r: &Replica) -> Client {
    Client::with_jar(Default::default(), &r.base)
}

/// Run `sql` on the database (on a thread of its own).
fn exec(db: &Db, sql: &str) {
    std::thread::scope(|t| {
        t.spawn(|| {
            db.write(None, |s| {
                s.conn().batch(sql).map_err(billing_server::store::internal)
            })
            .unwrap()
        })
        .join()
        .unwrap()
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_settle_each_hour_once_and_deliver_each_event_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = database(&dir, "settle");
    let first = replica(&url).await; // migrates and seeds
    let db = std::thread::scope(|t| {
        t.spawn(|| Db::open(&billing_server::Database::parse(&url), 1).unwrap())
            .join()
            .unwrap()
    });
    let balance = |t: &str| {
        figure(
            &db,
            &format!("SELECT balance_cents FROM accounts WHERE tenant_id = '{t}'"),
        )
    };
    let before = [balance("t-acme"), balance("t-globex")];
    // Two days of postpaid usage nobody settled (as after an outage):
    // each hour 1M tokens (80 cents) and 1,000 search calls (400 cents).
    let hour = 3_600_000_000_000i64;
    let now_hour = chrono::Utc::now().timestamp_nanos_opt().unwrap() / hour * hour;
    let mut values = Vec::new();
    for t in ["t-acme", "t-globex"] {
        for h in 1..=48 {
            let at = now_hour - h * hour;
            values.push(format!("('{t}', 'TokenPackage', {at}, 1000000)"));
            values.push(format!("('{t}', 'SearchPackage', {at}, 1000)"));
        }
    }
    exec(
        &db,
        &format!(
            "INSERT INTO postpaid_hours (tenant_id, kind, hour, units) VALUES {}",
            values.join(", ")
        ),
    );
    // Two more replicas start at once; each settles on start and every
    // second, as does the first.
    let (a, b) = tokio::join!(replica(&url), replica(&url));
    let rs = [first, a, b];
    let open = "SELECT COUNT(*) FROM postpaid_hours WHERE settled_at IS NULL";
    let deadline = Instant::now() + Duration::from_secs(30);
    while figure(&db, open) > 0 {
        assert!(Instant::now() < deadline, "never settled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let each = 48 * (80 + 400);
    assert_eq!(
        [balance("t-acme"), balance("t-globex")],
        [before[0] - each, before[1] - each],
        "each hour debited once"
    );
    assert_eq!(
        figure(
            &db,
            "SELECT COUNT(*) FROM postpaid_hours WHERE settled_at IS NOT NULL"
        ),
        192
    );

    // Events queued through every replica reach the receiver once each,
    // whichever replica's sender claims them.
    let receiver = support::receiver::Receiver::start(0).await;
    let cs = clients(&rs);
    let (st, v) = cs[0].call("SignIn", json!({ "UserId": ACME_MAIN })).await;
    assert_eq!(st, 200, "{v}");
    let (st, v) = cs[0]
        .call("CreateWebhook", json!({ "Url": receiver.url() }))
        .await;
    assert_eq!(st, 200, "{v}");
    let id = v["Response"]["Endpoint"]["Id"]
        .as_str()
        .unwrap()
        .to_string();
    for i in 0..30 {
        let (st, v) = cs[i % 3]
            .call("SendTestWebhook", json!({ "EndpointId": id }))
            .await;
        assert_eq!(st, 200, "{v}");
    }
    let got = receiver.wait_for(30, Duration::from_secs(30)).await;
    assert_eq!(got.len(), 30);
    // Nothing is sent twice by another replica's sender. A duplicate needs
    // a second claim, and a claim needs a delivery still Pending with its
    // lease run out: once none is Pending, none can be claimed again, and a
    // sender records an outcome only after the receiver answered it.
    let pending = "SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'Pending'";
    let deadline = Instant::now() + Duration::from_secs(30);
    while figure(&db, pending) > 0 {
        assert!(Instant::now() < deadline, "deliveries never finished");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let got = receiver.got();
    let ids: std::collections::BTreeSet<&str> = got.iter().map(|r| r.event_id.as_str()).collect();
    assert_eq!((got.len(), ids.len()), (30, 30), "each event once");
}

/// Terminate every connection to the test database but the caller's (as a
/// restart of PostgreSQL would, without touching other databases).
fn terminate_connections(url: &str) -> usize {
    let name = url.rsplit('/').next().unwrap_or("").to_string();
    let admin = format!("{}/postgres", pg::server_url());
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
        c.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
            &[&name],
        )
        .unwrap()
        .len()
    })
    .join()
    .unwrap()
}

/// One metering call: its status, and whether a 503 said when to retry.
async fn meter(http: &reqwest::Client, base: &str, key: &str) -> (u16, bool) {
    let body =
        json!({ "TenantId": "t-acme", "Kind": "TokenPackage", "Amount": 1, "IdempotencyKey": key });
    let sent = http
        .post(format!("{base}/api/ReportUsage"))
        .header("Content-Type", "application/json")
        .header("Authorization", format!("Bearer {OPERATOR}"))
        .body(body.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{base} did not answer: {e}"));
    let status = sent.status().as_u16();
    let retry_after = sent.headers().contains_key("retry-after");
    let text = sent.text().await.unwrap();
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: {text}"));
    if status == 503 {
        assert_eq!(code(&v), Some("ServiceUnavailable"), "{v}");
    }
    (status, retry_after)
}

/// PostgreSQL goes away under load: two replicas take metering from eight
/// clients while every connection to the database is terminated, three
/// times. No request gets a 500 (a 503 with Retry-After instead); every
/// acknowledged event stays; replaying every key applies each exactly
/// once; both replicas meter again within 15 s of the last termination.
/// (PostgreSQL only: SQLite has no connections to lose.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_outage_is_a_503_and_loses_nothing() {
    if !pg::selected() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let url = database(&dir, "chaos");
    let rs = [replica(&url).await, replica(&url).await];
    let db = std::thread::scope(|t| {
        t.spawn(|| Db::open(&billing_server::Database::parse(&url), 1).unwrap())
            .join()
            .unwrap()
    });
    let used = "SELECT CAST(SUM(used) AS BIGINT) FROM resources WHERE tenant_id = 't-acme' AND kind = 'TokenPackage'";
    let keys = "SELECT COUNT(*) FROM usage_keys WHERE tenant_id = 't-acme'";
    let (u0, k0) = (figure(&db, used), figure(&db, keys));
    let http = reqwest::Client::new();
    let bases: Vec<String> = rs.iter().map(|r| r.base.clone()).collect();
    const EVENTS: usize = 1_200;
    let outcomes = Arc::new(std::sync::Mutex::new(Vec::new()));
    let started = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let load = {
        let (http, bases, outcomes, started) = (
            http.clone(),
            bases.clone(),
            outcomes.clone(),
            started.clone(),
        );
        tokio::spawn(async move {
            futures::stream::iter(0..EVENTS)
                .for_each_concurrent(8, |i| {
                    let (http, bases, outcomes, started) = (
                        http.clone(),
                        bases.clone(),
                        outcomes.clone(),
                        started.clone(),
                    );
                    async move {
                        started.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let key = format!("chaos-{i}");
                        let got = meter(&http, &bases[i % 2], &key).await;
                        outcomes.lock().unwrap().push((i, got));
                    }
                })
                .await
        })
    };
    // Terminate every connection three times while the load runs.
    let mut terminated = 0;
    for round in 1..=3 {
        let deadline = Instant::now() + Duration::from_secs(60);
        while started.load(std::sync::atomic::Ordering::Relaxed) < round * EVENTS / 4 {
            assert!(Instant::now() < deadline, "the load never got going");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        terminated += terminate_connections(&url);
    }
    let last_termination = Instant::now();
    assert!(terminated > 0, "no connection was terminated");
    // Both replicas meter again, within 15 s of the last termination.
    let mut back = Vec::new();
    for (n, base) in bases.iter().enumerate() {
        let deadline = last_termination + Duration::from_secs(15);
        loop {
            let (st, _) = meter(&http, base, &format!("probe-{n}")).await;
            if st == 200 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{base} not metering 15 s after the outage"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        back.push(last_termination.elapsed());
    }
    load.await.unwrap();
    let outcomes = outcomes.lock().unwrap().clone();
    let count = |s: u16| outcomes.iter().filter(|(_, (st, _))| *st == s).count();
    let (ok, unavailable) = (count(200), count(503));
    eprintln!(
        "chaos: {EVENTS} events, {ok} acknowledged, {unavailable} answered 503, {terminated} connections terminated; replicas metering again {:?} after the last termination",
        back
    );
    assert_eq!(
        ok + unavailable,
        EVENTS,
        "statuses other than 200 and 503: {outcomes:?}"
    );
    assert!(
        outcomes.iter().all(|(_, (st, retry))| *st != 503 || *retry),
        "every 503 says Retry-After"
    );
    let acked: Vec<usize> = outcomes
        .iter()
        .filter(|(_, (st, _))| *st == 200)
        .map(|(i, _)| *i)
        .collect();
    // Every acknowledged event is stored (its key is there).
    let listed: Vec<String> = acked.iter().map(|i| format!("'chaos-{i}'")).collect();
    assert_eq!(
        figure(
            &db,
            &format!(
                "SELECT COUNT(*) FROM usage_keys WHERE tenant_id = 't-acme' AND key IN ({})",
                listed.join(", ")
            ),
        ),
        acked.len() as i64,
        "an acknowledged event was lost"
    );
    // Replay every key (as a client retrying its 503s would): each applies
    // exactly once, whatever the first attempt's fate.
    for i in 0..EVENTS {
        let (st, _) = meter(&http, &bases[(i + 1) % 2], &format!("chaos-{i}")).await;
        assert_eq!(st, 200, "replay of chaos-{i}");
    }
    let applied = EVENTS as i64 + 2; // and the two probes
    assert_eq!(figure(&db, keys) - k0, applied, "one key per event");
    assert_eq!(figure(&db, used) - u0, applied, "each event deducted once");
}

//! Hardening, one test per finding: the server fails closed without a way
//! to identify users; the proxy's header is believed only from trusted
//! peers; a DNS-rebinding `Host` never stands in for the console's origin;
//! connections, streams, sessions and writes are bounded; a panicking write
//! leaves nothing behind.

mod support;

use std::process::Command;
use std::time::Duration;

use billing_rules::seed::users::*;
use billing_rules::seed::ACME;
use billing_rules::store::prelude::*;
use billing_server::api::is_loopback_host;
use billing_server::store::Db;
use billing_server::{AuthMode, ProxyTrust};
use serde_json::json;
use support::*;

fn start(args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.sqlite");
    Command::new(env!("CARGO_BIN_EXE_billing-server"))
        .args(["--db", db.to_str().unwrap(), "--addr", "127.0.0.1:0"])
        .args(args)
        .env_remove("BILLING_DEMO")
        .env_remove("BILLING_TRUST_PROXY_HEADER")
        .env_remove("BILLING_PUBLIC_ORIGIN")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap()
}

#[test]
fn the_server_refuses_to_start_without_a_mode() {
    let out = start(&[]);
    assert_eq!(out.status.code(), Some(2));
    let why = String::from_utf8_lossy(&out.stderr);
    assert!(
        why.contains("--demo") && why.contains("--trust-proxy-header"),
        "{why}"
    );
    let out = start(&["--demo", "--trust-proxy-header", "X-User"]);
    assert_eq!(out.status.code(), Some(2));
    // Behind a proxy the origin must be configured.
    let out = start(&[
        "--trust-proxy-header",
        "X-User",
        "--trusted-proxy",
        "10.0.0.0/8",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--public-origin"));
}

#[test]
fn only_loopback_hosts_stand_in_for_the_origin() {
    for h in [
        "127.0.0.1:8080",
        "localhost:8080",
        "LOCALHOST",
        "[::1]:8080",
        "127.9.9.9",
    ] {
        assert!(is_loopback_host(h), "{h}");
    }
    for h in [
        "evil.example:8080",
        "evil.example",
        "10.0.0.1:8080",
        "[2001:db8::1]:80",
        "localhost.evil.example",
    ] {
        assert!(!is_loopback_host(h), "{h}");
    }
}

#[tokio::test]
async fn a_rebinding_host_gets_403() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("r.sqlite"), None, AuthMode::Demo).await;
    let c = s.client();
    let evil = [
        ("Host", "evil.example:8080"),
        ("Origin", "http://evil.example:8080"),
    ];
    let (st, v) = c
        .send(
            "SignIn",
            format!(r#"{{"UserId":"{ACME_MAIN}"}}"#),
            false,
            &evil,
        )
        .await;
    assert_eq!((st, code(&v)), (403, Some("UnauthorizedOperation")), "{v}");
    // The same request from the console's own (loopback) origin works.
    let c = s.signed_in(ACME_MAIN).await;
    let (st, v) = c
        .send("MarkNoticesRead", r#"{"All":true}"#.into(), false, &evil)
        .await;
    assert_eq!((st, code(&v)), (403, Some("UnauthorizedOperation")), "{v}");
}

fn proxy(peers: &[&str], secret: Option<&str>) -> AuthMode {
    AuthMode::Proxy(ProxyTrust {
        header: "X-User".into(),
        peers: peers.iter().map(|p| p.parse().unwrap()).collect(),
        secret: secret.map(String::from),
    })
}

async fn identity(c: &Client, headers: &[(&str, &str)]) -> (u16, serde_json::Value) {
    c.send("DescribeIdentity", "{}".into(), false, headers)
        .await
}

#[tokio::test]
async fn a_spoofed_proxy_header_from_an_untrusted_peer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // The proxy is elsewhere: this test's loopback peer is not it.
    let s = Server::start(
        &dir.path().join("p.sqlite"),
        None,
        proxy(&["10.9.0.0/16"], None),
    )
    .await;
    let (st, v) = identity(&s.client(), &[("X-User", ACME_MAIN)]).await;
    assert_eq!(
        (st, code(&v)),
        (401, Some("AuthFailure.UnauthorizedOperation")),
        "{v}"
    );
    s.stop().await;

    // Trusted by address: one value is believed, two are refused.
    let s = Server::start(
        &dir.path().join("p.sqlite"),
        None,
        proxy(&["127.0.0.0/8"], None),
    )
    .await;
    let c = s.client();
    let (st, v) = identity(&c, &[("X-User", ACME_MAIN)]).await;
    assert_eq!(st, 200, "{v}");
    let (st, v) = identity(&c, &[("X-User", ACME_MAIN), ("X-User", ACME_SUB)]).await;
    assert_eq!(
        (st, code(&v)),
        (401, Some("AuthFailure.UnauthorizedOperation")),
        "{v}"
    );
    let both = format!("{ACME_SUB}, {ACME_MAIN}");
    let (st, _) = identity(&c, &[("X-User", both.as_str())]).await;
    assert_eq!(st, 401, "a folded list of users is refused too");
    s.stop().await;

    // Trusted by shared secret, from any address.
    let s = Server::start(
        &dir.path().join("p.sqlite"),
        None,
        proxy(&[], Some("s3cret-value")),
    )
    .await;
    let c = s.client();
    let (st, _) = identity(&c, &[("X-User", ACME_MAIN)]).await;
    assert_eq!(st, 401, "no secret");
    let (st, _) = identity(
        &c,
        &[
            ("X-User", ACME_MAIN),
            ("X-Billing-Proxy-Secret", "s3cret-valuf"),
        ],
    )
    .await;
    assert_eq!(st, 401, "a wrong secret");
    let (st, v) = identity(
        &c,
        &[
            ("X-User", ACME_MAIN),
            ("X-Billing-Proxy-Secret", "s3cret-value"),
        ],
    )
    .await;
    assert_eq!(st, 200, "{v}");
}

#[test]
fn proxy_mode_without_a_trusted_peer_or_secret_refuses_to_start() {
    let out = start(&[
        "--trust-proxy-header",
        "X-User",
        "--public-origin",
        "https://billing.example",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let why = String::from_utf8_lossy(&out.stderr);
    assert!(
        why.contains("--trusted-proxy") && why.contains("--proxy-secret"),
        "{why}"
    );
}

/// Read what the server sends until it closes the connection, or `within`.
async fn closed_within(tcp: &mut tokio::net::TcpStream, within: Duration) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, tcp.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(String::from_utf8_lossy(&got).into()),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => return None,
        }
    }
}

#[tokio::test]
async fn slow_and_idle_connections_are_closed_within_the_timeout() {
    use tokio::io::AsyncWriteExt;
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_configured(&dir.path().join("t.sqlite"), "127.0.0.1:0", |c| {
        c.limits.header_timeout = Duration::from_secs(1);
        c.limits.body_timeout = Duration::from_secs(1);
        c.limits.idle_timeout = Duration::from_secs(2);
    })
    .await;
    let addr = s.base.trim_start_matches("http://").to_string();
    let within = Duration::from_secs(8);

    // Headers that never finish.
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    assert!(
        closed_within(&mut tcp, within).await.is_some(),
        "slow headers: still open"
    );

    // A body that was announced and never sent.
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    tcp.write_all(
        b"POST /api/DescribeServerInfo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n",
    )
    .await
    .unwrap();
    let answer = closed_within(&mut tcp, within)
        .await
        .expect("missing body: still open");
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );

    // An idle keep-alive connection after a complete request.
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let answer = closed_within(&mut tcp, within)
        .await
        .expect("idle keep-alive: still open");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_to_be_accepted() {
    use tokio::io::AsyncWriteExt;
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_configured(&dir.path().join("c.sqlite"), "127.0.0.1:0", |c| {
        c.limits.max_connections = 2;
    })
    .await;
    let addr = s.base.trim_start_matches("http://").to_string();
    let _a = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut b = tokio::net::TcpStream::connect(&addr).await.unwrap();
    // Let the server accept both.
    b.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 256];
    use tokio::io::AsyncReadExt;
    let n = b.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    // A third is left in the backlog: no answer while two are open...
    let mut third = tokio::net::TcpStream::connect(&addr).await.unwrap();
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(500), third.read(&mut buf))
            .await
            .is_err(),
        "answered beyond the cap"
    );
    // ...and it is served once one closes.
    drop(b);
    let n = tokio::time::timeout(Duration::from_secs(10), third.read(&mut buf))
        .await
        .expect("served after a slot freed")
        .unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
}

async fn demo_server(dir: &tempfile::TempDir) -> Server {
    Server::start(&dir.path().join("d.sqlite"), None, AuthMode::Demo).await
}

/// A client sending `cookie` (another browser holding that session).
fn holding(s: &Server, cookie: &str) -> (Client, [(&'static str, String); 1]) {
    (s.client(), [("Cookie", cookie.to_string())])
}

async fn identity_with(s: &Server, cookie: &str) -> u16 {
    let (c, h) = holding(s, cookie);
    let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
    identity(&c, &h).await.0
}

#[tokio::test]
async fn a_stream_ends_within_seconds_of_sign_out() {
    let dir = tempfile::tempdir().unwrap();
    let s = demo_server(&dir).await;
    let c = s.signed_in(ACME_MAIN).await;
    let mut stream = c.events().await;
    assert_eq!(stream.status(), 200);
    assert!(events_until(&mut stream, "ready", Duration::from_secs(10))
        .await
        .is_some());
    // Another tenant's sign-out leaves it open.
    let other = s.signed_in(GLOBEX_MAIN).await;
    assert_eq!(other.call("SignOut", json!({})).await.0, 200);
    assert!(
        !ends_within(&mut stream, Duration::from_millis(700)).await,
        "closed by another tenant"
    );
    assert_eq!(c.call("SignOut", json!({})).await.0, 200);
    assert!(
        ends_within(&mut stream, Duration::from_secs(5)).await,
        "still streaming after sign-out"
    );
    assert_eq!(c.events().await.status(), 401);
}

#[tokio::test]
async fn a_stream_ends_when_its_session_expires() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_configured(&dir.path().join("x.sqlite"), "127.0.0.1:0", |c| {
        c.session_ttl_secs = 2;
    })
    .await;
    let c = s.signed_in(ACME_MAIN).await;
    let mut stream = c.events().await;
    assert!(events_until(&mut stream, "ready", Duration::from_secs(10))
        .await
        .is_some());
    assert!(
        ends_within(&mut stream, Duration::from_secs(8)).await,
        "still streaming after expiry"
    );
}

/// A session keeps at most four live streams: a fifth (a reload, a new tab)
/// takes the place of the oldest, which ends; it is never refused, so a
/// reload never logs an error. Each session has its own four.
#[tokio::test]
async fn a_fifth_stream_on_one_session_replaces_the_oldest() {
    let dir = tempfile::tempdir().unwrap();
    let s = demo_server(&dir).await;
    let c = s.signed_in(ACME_MAIN).await;
    let mut open = Vec::new();
    for _ in 0..4 {
        let mut r = c.events().await;
        assert_eq!(r.status(), 200);
        assert!(events_until(&mut r, "ready", Duration::from_secs(10))
            .await
            .is_some());
        open.push(r);
    }
    let mut fifth = c.events().await;
    assert_eq!(fifth.status(), 200);
    assert!(events_until(&mut fifth, "ready", Duration::from_secs(10))
        .await
        .is_some());
    assert!(
        ends_within(&mut open[0], Duration::from_secs(8)).await,
        "the oldest stream ended"
    );
    for r in &mut open[1..] {
        assert!(
            !ends_within(r, Duration::from_millis(300)).await,
            "the newer streams go on"
        );
    }
    // Another session has its own four.
    let other = s.signed_in(ACME_MAIN).await;
    assert_eq!(other.events().await.status(), 200);
}

#[tokio::test]
async fn signing_in_again_in_the_same_browser_ends_the_old_session() {
    let dir = tempfile::tempdir().unwrap();
    let s = demo_server(&dir).await;
    let c = s.signed_in(ACME_MAIN).await;
    let old = c.cookie();
    assert!(old.contains("billing_session="), "{old}");
    assert_eq!(c.call("SignIn", json!({ "UserId": ACME_SUB })).await.0, 200);
    let new = c.cookie();
    assert_ne!(old, new);
    assert_eq!(
        identity_with(&s, &old).await,
        401,
        "the old cookie still works"
    );
    assert_eq!(identity_with(&s, &new).await, 200);
}

#[tokio::test]
async fn a_user_holds_at_most_the_cap_of_sessions_and_can_end_them_all() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_configured(&dir.path().join("u.sqlite"), "127.0.0.1:0", |c| {
        c.sessions_per_user = 3;
    })
    .await;
    let mut cookies = Vec::new();
    for _ in 0..4 {
        cookies.push(s.signed_in(ACME_MAIN).await.cookie());
    }
    assert_eq!(
        identity_with(&s, &cookies[0]).await,
        401,
        "the oldest beyond the cap"
    );
    for c in &cookies[1..] {
        assert_eq!(identity_with(&s, c).await, 200);
    }
    let sub = s.signed_in(ACME_SUB).await;
    // Sign out everywhere, from one of them.
    let (c, h) = holding(&s, &cookies[3]);
    let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (st, v) = c.send("SignOutEverywhere", "{}".into(), true, &h).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["Response"]["EndedSessions"], 3);
    for c in &cookies {
        assert_eq!(identity_with(&s, c).await, 401);
    }
    assert_eq!(
        sub.call("DescribeIdentity", json!({})).await.0,
        200,
        "other users keep theirs"
    );
}

#[tokio::test]
async fn writes_beyond_the_rate_get_request_limit_exceeded() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_configured(&dir.path().join("w.sqlite"), "127.0.0.1:0", |c| {
        c.write_burst = 5;
        c.write_every = Duration::from_secs(60);
    })
    .await;
    let c = s.signed_in(ACME_MAIN).await;
    let mut codes = Vec::new();
    for i in 0..8 {
        let (st, v) = c
            .call(
                "ModifySubAccountPermission",
                json!({ "UserId": ACME_SUB, "PostpaidPermission": i % 2 == 0 }),
            )
            .await;
        codes.push((st, code(&v).map(String::from)));
    }
    assert!(codes[..5].iter().all(|(st, _)| *st == 200), "{codes:?}");
    assert!(
        codes[5..]
            .iter()
            .all(|(st, c)| *st == 429 && c.as_deref() == Some("RequestLimitExceeded")),
        "{codes:?}"
    );
    // Reads are not limited.
    assert_eq!(c.call("DescribeIdentity", json!({})).await.0, 200);
    // The refused toggles changed nothing: the fifth (granting) stands.
    let (_, v) = c.call("DescribeSubAccountPermissions", json!({})).await;
    let sub = v["Response"]["Data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["Id"] == ACME_SUB)
        .cloned()
        .unwrap();
    assert_eq!(sub["PostpaidPermission"], true, "{sub}");
}

#[tokio::test]
async fn restoring_knowledge_needs_the_main_account_or_the_grant() {
    let dir = tempfile::tempdir().unwrap();
    let s = demo_server(&dir).await;
    let sub = s.signed_in(ACME_SUB).await;
    let (st, v) = sub.call("RestoreKnowledge", json!({})).await;
    assert_eq!((st, code(&v)), (403, Some("UnauthorizedOperation")), "{v}");
    let (_, v) = sub.call("DescribeKnowledgeUsage", json!({})).await;
    assert_eq!(
        v["Response"]["RestoreBlocked"]["Code"], "UnauthorizedOperation",
        "{v}"
    );
    // The granted sub-account gets as far as the capacity check.
    let granted = s.signed_in(ACME_SUB_GRANTED).await;
    let (st, v) = granted.call("RestoreKnowledge", json!({})).await;
    assert_ne!(code(&v), Some("UnauthorizedOperation"), "{st} {v}");
}

#[test]
fn a_panic_inside_a_write_rolls_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&database_for(&dir.path().join("panic.sqlite")), 4).unwrap();
    let now = chrono::Utc::now();
    db.migrate_and_seed(|| (billing_rules::seed::demo(now), now))
        .unwrap();
    let user = db.read(|s| Ok(s.user(ACME_MAIN)?.unwrap())).unwrap();
    let (first, _) = db.write(Some(ACME), |s| s.next_message_seq(ACME)).unwrap();
    let out = db.write(Some(ACME), |s| {
        s.next_message_seq(ACME)?;
        s.create_session("half-made", &user, 0, i64::MAX, 10)?;
        panic!("a bug halfway through a write");
        #[allow(unreachable_code)]
        Ok(())
    });
    let err = out.expect_err("a panicking write fails");
    assert_eq!(err.code, billing_rules::ErrorCode::InternalError);
    // Neither half survived, and the database is still usable.
    let (next, _) = db.write(Some(ACME), |s| s.next_message_seq(ACME)).unwrap();
    assert_eq!(next, first + 1, "the counter moved");
    assert_eq!(
        db.read(|s| s.session("half-made", 0)).unwrap(),
        None,
        "the session stayed"
    );
}

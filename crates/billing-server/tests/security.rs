//! Hardening that holds today (issue 13 adds to this file): the server
//! fails closed without a way to identify users, and a DNS-rebinding
//! `Host` never stands in for the console's origin.

mod support;

use std::process::Command;

use billing_rules::seed::users::*;
use billing_server::api::is_loopback_host;
use billing_server::AuthMode;
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
    let out = start(&["--trust-proxy-header", "X-User"]);
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

//! HTTP tests against the real server with a real SQLite file.

mod support;

use billing_rules::actions::Action;
use billing_rules::seed::users::*;
use billing_server::{AuthMode, ProxyTrust};
use serde_json::{json, Value};
use support::*;

async fn server() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("billing.sqlite"), None, AuthMode::Demo).await;
    (dir, s)
}

fn ids(v: &Value) -> Vec<String> {
    v["Response"]["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Resource"]["Id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn envelope_openapi_and_security_headers() {
    let (_d, s) = server().await;
    let c = s.signed_in(ACME_MAIN).await;
    let (st, v) = c.call("DescribeResources", list_body("PayAsYouGo")).await;
    assert_eq!(st, 200);
    assert_eq!(v["Response"]["Counts"]["All"], 7);
    let resp = c
        .http
        .get(format!("{}/api/openapi.json", s.base))
        .send()
        .await
        .unwrap();
    for h in [
        "content-security-policy",
        "x-content-type-options",
        "x-frame-options",
        "referrer-policy",
    ] {
        assert!(resp.headers().contains_key(h), "{h} on every response");
    }
    assert!(resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    let doc: Value = resp.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for a in billing_rules::actions::Action::ALL.iter().map(|a| a.name()) {
        assert!(
            doc["paths"][format!("/api/{a}")]["post"].is_object(),
            "{a} documented"
        );
    }
    assert!(
        doc["components"]["schemas"]["ListResourcesRequest"]["properties"]["PageSize"].is_object()
    );
    // The webhook URL's pattern is the one the rules check by.
    assert_eq!(
        doc["components"]["schemas"]["CreateWebhookRequest"]["properties"]["Url"]["pattern"],
        billing_rules::webhook::URL_PATTERN
    );
    // Knowledge counts travel as strings, as on the platform.
    let (_, k) = c.call("DescribeKnowledgeUsage", json!({})).await;
    assert_eq!(k["Response"]["AvailableCharSize"], "10000000");
}

#[tokio::test]
async fn bad_input_gets_4xx_with_code_and_changes_nothing() {
    let (_d, s) = server().await;
    let c = s.signed_in(ACME_MAIN).await;
    let (_, before) = c.call("DescribePostpaidSetting", json!({})).await;
    let cases: Vec<(&str, String, u16, &str)> = vec![
        ("ModifyPostpaidSetting", "{".into(), 400, "InvalidParameter"),
        (
            "ModifyPostpaidSetting",
            "[true]".into(),
            400,
            "InvalidParameter",
        ),
        (
            "ModifyPostpaidSetting",
            r#"{"Enabled":"yes"}"#.into(),
            400,
            "InvalidParameter",
        ),
        (
            "ModifyPostpaidSetting",
            r#"{"Enabled":true,"Force":true}"#.into(),
            400,
            "InvalidParameter",
        ),
        (
            "ModifyPostpaidSetting",
            "{}".into(),
            400,
            "MissingParameter",
        ),
        (
            "RenewResource",
            r#"{"ResourceId":"res-conc-20d","Months":-1}"#.into(),
            400,
            "InvalidParameter",
        ),
        (
            "RenewResource",
            r#"{"ResourceId":"res-conc-20d","Months":100000}"#.into(),
            400,
            "InvalidParameterValue",
        ),
        (
            "RenewResource",
            r#"{"ResourceId":"res-conc-20d","Months":1e300}"#.into(),
            400,
            "InvalidParameter",
        ),
        (
            "DescribeResources",
            r#"{"Tab":"PayAsYouGo","PageNumber":0,"PageSize":10}"#.into(),
            400,
            "InvalidParameterValue",
        ),
        (
            "DescribeResources",
            r#"{"Tab":"PayAsYouGo","PageNumber":1,"PageSize":1000000}"#.into(),
            400,
            "InvalidParameterValue",
        ),
        (
            "DescribeResources",
            r#"{"Tab":"Nope","PageNumber":1,"PageSize":10}"#.into(),
            400,
            "InvalidParameter",
        ),
        (
            "DescribeResources",
            format!(
                r#"{{"Tab":"PayAsYouGo","PageNumber":1,"PageSize":10,"Search":"{}"}}"#,
                "x".repeat(500)
            ),
            400,
            "InvalidParameterValue",
        ),
        ("NoSuchAction", "{}".into(), 400, "InvalidParameter"),
        (
            "ModifyPostpaidSetting",
            format!(r#"{{"Enabled":true,"Pad":"{}"}}"#, "x".repeat(100_000)),
            413,
            "LimitExceeded",
        ),
    ];
    for (action, body, want_status, want_code) in cases {
        let (st, v) = c.send(action, body.clone(), true, &[]).await;
        assert_eq!(
            (st, code(&v)),
            (want_status, Some(want_code)),
            "{action} {}",
            &body[..body.len().min(80)]
        );
        assert!(v["Response"]["Error"]["Message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    // Wrong content type and wrong method.
    let resp = c
        .http
        .post(format!("{}/api/ModifyPostpaidSetting", s.base))
        .header("Origin", &s.base)
        .body(r#"{"Enabled":true}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 415);
    let resp = c
        .http
        .get(format!("{}/api/DescribeIdentity", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    assert_eq!(
        resp.headers()["allow"],
        "POST",
        "a 405 says what is allowed"
    );
    let (_, after) = c.call("DescribePostpaidSetting", json!({})).await;
    assert_eq!(
        before["Response"]["History"], after["Response"]["History"],
        "nothing changed"
    );
    assert_eq!(after["Response"]["State"]["Enabled"], false);
}

#[tokio::test]
async fn state_changes_need_same_origin_and_json() {
    let (_d, s) = server().await;
    let c = s.signed_in(ACME_MAIN).await;
    let body = r#"{"Enabled":true}"#.to_string();
    let (st, v) = c
        .send("ModifyPostpaidSetting", body.clone(), false, &[])
        .await;
    assert_eq!((st, code(&v)), (403, Some("UnauthorizedOperation")));
    let (st, _) = c
        .send(
            "ModifyPostpaidSetting",
            body.clone(),
            false,
            &[("Origin", "http://evil.example")],
        )
        .await;
    assert_eq!(st, 403);
    let (st, _) = c.send("DescribeIdentity", "{}".into(), false, &[]).await;
    assert_eq!(st, 200, "reads need no Origin");
    let (st, _) = c.send("ModifyPostpaidSetting", body, true, &[]).await;
    assert_eq!(st, 200);
}

#[derive(Clone, Copy, Debug)]
enum Who {
    Anonymous,
    Main,
    Sub,
    GrantedSub,
    OtherTenant,
}

/// Every action × every kind of caller, each on a fresh database.
#[tokio::test]
async fn authorization_matrix() {
    use Who::*;
    // Every action of the registry: a body to call it with, or why the
    // matrix leaves it to another test. The match is exhaustive, so a new
    // action cannot go without a case.
    let case = |a: Action| -> Option<Value> {
        Some(match a {
            Action::DescribeIdentity => json!({}),
            Action::DescribeResources => list_body("Concurrency"),
            Action::DescribeAccountSummary => json!({}),
            Action::DescribeKnowledgeUsage => json!({}),
            Action::RenewResource => json!({ "ResourceId": "res-conc-20d", "Months": 1 }),
            Action::RestoreKnowledge => json!({}),
            Action::DescribePostpaidSetting => json!({}),
            Action::ModifyPostpaidSetting => json!({ "Enabled": true }),
            Action::DescribeSubAccountPermissions => json!({}),
            Action::ModifySubAccountPermission => {
                json!({ "UserId": ACME_SUB, "PostpaidPermission": true })
            }
            Action::ReportUsage => {
                json!({ "TenantId": "t-acme", "Kind": "TokenPackage", "Amount": 10, "IdempotencyKey": "k" })
            }
            Action::DescribeNotices => json!({ "PageNumber": 1, "PageSize": 20 }),
            Action::MarkNoticesRead => json!({ "All": true }),
            Action::DescribeReminderOutbox => json!({ "PageNumber": 1, "PageSize": 20 }),
            Action::DescribeUsageHistory => json!({ "Kind": "TokenPackage", "Granularity": "Day" }),
            Action::DescribeDeductions => {
                json!({ "ResourceId": "res-tok-trial", "PageNumber": 1, "PageSize": 20 })
            }
            Action::DescribeBills => json!({ "PageNumber": 1, "PageSize": 20 }),
            Action::ModifyPostpaidBudget => json!({ "AmountCents": 5000 }),
            Action::DescribeWebhooks => json!({}),
            // A public address literal: no name to resolve.
            Action::CreateWebhook => json!({ "Url": "https://93.184.216.34/hook" }),
            Action::DeleteWebhook => json!({ "EndpointId": "whk-none" }),
            Action::SendTestWebhook => json!({ "EndpointId": "whk-none" }),
            Action::TopUp => {
                json!({ "TenantId": "t-acme", "AmountCents": 100, "IdempotencyKey": "k" })
            }
            Action::DescribeServerInfo => json!({}),
            // Sessions: signing in and out would change who the rest of
            // the row is; security.rs covers them (sign-in, sign-out,
            // sign-out everywhere, per caller).
            Action::SignIn | Action::SignOut | Action::SignOutEverywhere => return None,
        })
    };
    let actions: Vec<(&str, Value)> = Action::ALL
        .iter()
        .filter_map(|a| case(*a).map(|b| (a.name(), b)))
        .collect();
    let expect = |who: Who, action: &str| -> Option<&'static str> {
        let auth = Some("AuthFailure.UnauthorizedOperation");
        let forbidden = Some("UnauthorizedOperation");
        match (who, action) {
            (_, "ReportUsage" | "TopUp") => auth, // operator credential only
            (_, "DescribeServerInfo") => None,    // anyone
            (Anonymous, _) => auth,
            (
                Sub,
                "ModifyPostpaidBudget" | "CreateWebhook" | "DeleteWebhook" | "SendTestWebhook",
            ) => forbidden,
            // No such endpoint in the caller's tenant.
            (_, "DeleteWebhook" | "SendTestWebhook") => Some("ResourceNotFound"),
            (Main, "RestoreKnowledge") | (GrantedSub, "RestoreKnowledge") => {
                Some("ResourceInsufficient")
            }
            (OtherTenant, "RestoreKnowledge") => Some("ResourceNotFound"),
            (Main, _) => None,
            (
                Sub,
                "RenewResource"
                | "ModifyPostpaidSetting"
                | "DescribeSubAccountPermissions"
                | "ModifySubAccountPermission"
                | "RestoreKnowledge",
            ) => forbidden,
            (
                GrantedSub,
                "RenewResource" | "DescribeSubAccountPermissions" | "ModifySubAccountPermission",
            ) => forbidden,
            // Globex's main account reaches only Globex: Acme's ids are not found,
            // and its own postpaid is refused because Globex is overdue.
            (OtherTenant, "RenewResource" | "ModifySubAccountPermission") => {
                Some("ResourceNotFound")
            }
            (OtherTenant, "ModifyPostpaidSetting") => Some("FailedOperation.BalanceInsufficient"),
            // Another tenant's package's ledger is not found.
            (OtherTenant, "DescribeDeductions") => Some("ResourceNotFound"),
            _ => None,
        }
    };
    for who in [Anonymous, Main, Sub, GrantedSub, OtherTenant] {
        let (_d, s) = server().await;
        let c = match who {
            Anonymous => s.client(),
            Main => s.signed_in(ACME_MAIN).await,
            Sub => s.signed_in(ACME_SUB).await,
            GrantedSub => s.signed_in(ACME_SUB_GRANTED).await,
            OtherTenant => s.signed_in(GLOBEX_MAIN).await,
        };
        for (action, body) in &actions {
            let (st, v) = c.call(action, body.clone()).await;
            let want = expect(who, action);
            assert_eq!(code(&v), want, "{who:?} × {action}: {v}");
            assert_eq!(st == 200, want.is_none(), "{who:?} × {action} status {st}");
            // Whatever is read belongs to the caller's tenant.
            if st == 200 && *action == "DescribeResources" {
                let own = if matches!(who, OtherTenant) {
                    "res-gx-"
                } else {
                    "res-"
                };
                assert!(
                    ids(&v).iter().all(|id| id.starts_with(own)),
                    "{who:?}: {:?}",
                    ids(&v)
                );
                if matches!(who, OtherTenant) {
                    assert!(!ids(&v).iter().any(|id| id == "res-conc-20d"));
                }
            }
            if st == 200 && *action == "DescribeNotices" {
                let own = if matches!(who, OtherTenant) {
                    "res-gx-"
                } else {
                    "res-"
                };
                let items = v["Response"]["Items"].as_array().unwrap();
                assert!(!items.is_empty());
                assert!(items
                    .iter()
                    .all(|n| n["ResourceId"].as_str().unwrap().starts_with(own)));
                if !matches!(who, OtherTenant) {
                    assert!(items
                        .iter()
                        .all(|n| !n["ResourceId"].as_str().unwrap().starts_with("res-gx-")));
                }
            }
            if st == 200 && *action == "DescribeSubAccountPermissions" {
                let tenant = if matches!(who, OtherTenant) {
                    "t-globex"
                } else {
                    "t-acme"
                };
                assert!(v["Response"]["Data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|u| u["TenantId"] == tenant));
            }
        }
    }
}

#[tokio::test]
async fn two_hundred_concurrent_enables_one_success() {
    // The cooldown, not the per-session rate limit, is under test here.
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_configured(&dir.path().join("c.sqlite"), "127.0.0.1:0", |c| {
        c.write_burst = 1000;
    })
    .await;
    let main = s.signed_in(ACME_MAIN).await;
    let granted = s.signed_in(ACME_SUB_GRANTED).await;
    let calls = (0..200).map(|i| {
        let c = if i % 2 == 0 {
            main.clone()
        } else {
            granted.clone()
        };
        async move {
            c.call("ModifyPostpaidSetting", json!({ "Enabled": true }))
                .await
        }
    });
    let results = futures::future::join_all(calls).await;
    let ok = results.iter().filter(|(st, _)| *st == 200).count();
    let limited: Vec<&Value> = results
        .iter()
        .filter(|(st, _)| *st == 429)
        .map(|(_, v)| v)
        .collect();
    assert_eq!(ok, 1, "exactly one enable succeeds");
    assert_eq!(limited.len(), 199);
    let next = limited[0]["Response"]["Error"]["NextAllowedAt"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(limited
        .iter()
        .all(|v| code(v) == Some("RequestLimitExceeded")
            && v["Response"]["Error"]["NextAllowedAt"] == next.as_str()));
    let (_, view) = main.call("DescribePostpaidSetting", json!({})).await;
    let history = view["Response"]["History"].as_array().unwrap();
    assert_eq!(
        history.iter().filter(|c| c["To"] == true).count(),
        2,
        "the seed's enable and this one only"
    );
    // Disabling is never blocked, even now.
    let (st, _) = main
        .call("ModifyPostpaidSetting", json!({ "Enabled": false }))
        .await;
    assert_eq!(st, 200);
}

#[tokio::test]
async fn restart_keeps_every_acknowledged_change() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("billing.sqlite");
    let s = Server::start(&db, None, AuthMode::Demo).await;
    let main = s.signed_in(ACME_MAIN).await;
    assert_eq!(
        main.call("ModifyPostpaidSetting", json!({ "Enabled": true }))
            .await
            .0,
        200
    );
    assert_eq!(
        main.call(
            "ModifySubAccountPermission",
            json!({ "UserId": ACME_SUB, "PostpaidPermission": true })
        )
        .await
        .0,
        200
    );
    let (_, renewed) = main
        .call(
            "RenewResource",
            json!({ "ResourceId": "res-kb-expired", "Months": 2 }),
        )
        .await;
    let (_, restored) = main.call("RestoreKnowledge", json!({})).await;
    assert!(restored["Response"]["RestoredItems"].as_u64().unwrap() > 0);
    let (st, _) = main.operator(json!({ "TenantId": "t-acme", "Kind": "SearchPackage", "Amount": 5, "IdempotencyKey": "r1" })).await;
    assert_eq!(st, 200);
    let (_, summary_before) = main.call("DescribeAccountSummary", json!({})).await;
    let (_, list_before) = main
        .call(
            "DescribeResources",
            json!({ "Tab": "PayAsYouGo", "PageNumber": 1, "PageSize": 50 }),
        )
        .await;
    s.stop().await;

    let s = Server::start(&db, None, AuthMode::Demo).await;
    let main = s.signed_in(ACME_MAIN).await;
    let (_, pp) = main.call("DescribePostpaidSetting", json!({})).await;
    assert_eq!(pp["Response"]["State"]["Enabled"], true);
    let (_, subs) = main.call("DescribeSubAccountPermissions", json!({})).await;
    assert!(subs["Response"]["Data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["Id"] == ACME_SUB && u["PostpaidPermission"] == true));
    let (_, k) = main.call("DescribeKnowledgeUsage", json!({})).await;
    assert_eq!(
        k["Response"]["ExceedCharSize"], "0",
        "restored knowledge stays restored"
    );
    let (_, summary) = main.call("DescribeAccountSummary", json!({})).await;
    assert_eq!(
        summary["Response"]["Account"], summary_before["Response"]["Account"],
        "balance after renewal kept"
    );
    assert_eq!(
        renewed["Response"]["BalanceCents"],
        summary["Response"]["Account"]["BalanceCents"]
    );
    let (_, list) = main
        .call(
            "DescribeResources",
            json!({ "Tab": "PayAsYouGo", "PageNumber": 1, "PageSize": 50 }),
        )
        .await;
    // Forecasts move with the clock; the resources themselves are kept.
    let resources = |l: &serde_json::Value| {
        l["Response"]["Items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| (i["Resource"].clone(), i["Status"].clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(resources(&list), resources(&list_before), "usage kept");
    // The old session survives a restart too.
    assert_eq!(main.call("DescribeIdentity", json!({})).await.0, 200);
}

#[tokio::test]
async fn metering_is_operator_only_idempotent_and_in_order() {
    let (_d, s) = server().await;
    let main = s.signed_in(ACME_MAIN).await;
    let body = json!({ "TenantId": "t-acme", "Kind": "TokenPackage", "Amount": 700000, "IdempotencyKey": "batch-1" });
    // A console user cannot meter, even the main account.
    let (st, v) = main.call("ReportUsage", body.clone()).await;
    assert_eq!(
        (st, code(&v)),
        (401, Some("AuthFailure.UnauthorizedOperation"))
    );
    // Twenty retries of one key at once deduct once.
    let calls = (0..20).map(|_| {
        let c = main.clone();
        let b = body.clone();
        async move { c.operator(b).await }
    });
    let results = futures::future::join_all(calls).await;
    assert!(results
        .iter()
        .all(|(st, v)| *st == 200 && v["Response"]["Draws"] == results[0].1["Response"]["Draws"]));
    let draws = results[0].1["Response"]["Draws"].as_array().unwrap();
    // Free trial first (600,000 left), then the soonest-expiring purchased package.
    assert_eq!(
        draws[0],
        json!({ "ResourceId": "res-tok-trial", "Amount": 600000 })
    );
    assert_eq!(
        draws[1],
        json!({ "ResourceId": "res-tok-5d", "Amount": 100000 })
    );
    let (_, list) = main.call("DescribeResources", json!({ "Tab": "PayAsYouGo", "PageNumber": 1, "PageSize": 50, "Search": "res-tok-trial" })).await;
    assert_eq!(list["Response"]["Items"][0]["Resource"]["Used"], 1_000_000);
    // Postpaid off: more than the packages hold is refused whole.
    let (st, v) = main.operator(json!({ "TenantId": "t-acme", "Kind": "TokenPackage", "Amount": 999999999, "IdempotencyKey": "batch-2" })).await;
    assert_eq!((st, code(&v)), (409, Some("ResourceInsufficient")));
    // Overdue tenant: service stops.
    let (_, v) = main.operator(json!({ "TenantId": "t-globex", "Kind": "SearchPackage", "Amount": 1, "IdempotencyKey": "g1" })).await;
    assert_eq!(code(&v), Some("FailedOperation.BalanceInsufficient"));
    let (_, v) = main.operator(json!({ "TenantId": "t-acme", "Kind": "TokenPackage", "Amount": 0, "IdempotencyKey": "z" })).await;
    assert_eq!(code(&v), Some("InvalidParameterValue"));
    // The same key with another request is refused, never answered with
    // the first one's result.
    let other = json!({ "TenantId": "t-acme", "Kind": "TokenPackage", "Amount": 5, "IdempotencyKey": "batch-1" });
    let (st, v) = main.operator(other).await;
    assert_eq!((st, code(&v)), (409, Some("FailedOperation")));
    assert!(v["Response"]["Error"]["Message"]
        .as_str()
        .unwrap()
        .contains("batch-1"));
    // Keys belong to their tenant: "t-acme/sec" + "batch-1" is not t-acme's
    // "sec/batch-1" or "batch-1" (an unknown tenant is simply not found).
    let (st, v) = main.operator(json!({ "TenantId": "t-acme/sec", "Kind": "TokenPackage", "Amount": 700000, "IdempotencyKey": "batch-1" })).await;
    assert_eq!((st, code(&v)), (404, Some("ResourceNotFound")), "{v}");
}

#[tokio::test]
async fn health_and_readiness_for_load_balancers() {
    let (_d, s) = server().await;
    let http = reqwest::Client::new();
    for (path, body) in [("/healthz", "ok\n"), ("/readyz", "ready\n")] {
        let r = http.get(format!("{}{path}", s.base)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.text().await.unwrap(), body);
    }
}

#[tokio::test]
async fn proxy_header_mode_takes_the_user_from_the_proxy() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(
        &dir.path().join("b.sqlite"),
        None,
        AuthMode::Proxy(ProxyTrust::loopback("X-Authenticated-User")),
    )
    .await;
    let c = s.client();
    let (st, v) = c.call("DescribeIdentity", json!({})).await;
    assert_eq!(
        (st, code(&v)),
        (401, Some("AuthFailure.UnauthorizedOperation"))
    );
    let (st, v) = c
        .send(
            "DescribeIdentity",
            "{}".into(),
            false,
            &[("X-Authenticated-User", ACME_SUB)],
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(v["Response"]["User"]["Id"], ACME_SUB);
    let (st, _) = c
        .send(
            "DescribeIdentity",
            "{}".into(),
            false,
            &[("X-Authenticated-User", "u-nobody")],
        )
        .await;
    assert_eq!(st, 401);
    let (st, _) = c.call("SignIn", json!({ "UserId": ACME_MAIN })).await;
    assert_eq!(st, 403, "no demo sign-in behind a proxy");
    let (_, info) = c.call("DescribeServerInfo", json!({})).await;
    assert_eq!(info["Response"]["Mode"], "proxy");
    assert!(
        info["Response"].get("DemoUsers").is_none(),
        "no user list behind a proxy"
    );
}

/// The console's first request says who is signed in, refusing nothing:
/// nobody before sign-in and after sign-out, the user in between.
#[tokio::test]
async fn server_info_names_the_signed_in_user_without_refusing_anyone() {
    let (_d, s) = server().await;
    let c = s.client();
    let (st, info) = c.call("DescribeServerInfo", json!({})).await;
    assert_eq!(st, 200);
    assert!(info["Response"].get("Identity").is_none(), "{info}");
    assert_eq!(c.call("SignIn", json!({ "UserId": ACME_SUB })).await.0, 200);
    let (st, info) = c.call("DescribeServerInfo", json!({})).await;
    assert_eq!(st, 200);
    assert_eq!(info["Response"]["Identity"]["User"]["Id"], ACME_SUB);
    assert_eq!(c.call("SignOut", json!({})).await.0, 200);
    let (st, info) = c.call("DescribeServerInfo", json!({})).await;
    assert_eq!(st, 200);
    assert!(info["Response"].get("Identity").is_none(), "{info}");
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let (_d, s) = server().await;
    let c = s.signed_in(ACME_MAIN).await;
    assert_eq!(c.call("SignOut", json!({})).await.0, 200);
    let (st, v) = c.call("DescribeIdentity", json!({})).await;
    assert_eq!(
        (st, code(&v)),
        (401, Some("AuthFailure.UnauthorizedOperation"))
    );
    let (st, _) = c.call("SignIn", json!({ "UserId": "u-nobody" })).await;
    assert_eq!(st, 401);
}

#[tokio::test]
async fn notices_and_reminders_come_with_the_change_and_survive_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("billing.sqlite");
    let s = Server::start(&db, None, AuthMode::Demo).await;
    let main = s.signed_in(ACME_MAIN).await;
    let page = json!({ "PageNumber": 1, "PageSize": 100 });
    let (_, before) = main.call("DescribeNotices", page.clone()).await;
    let (_, outbox_before) = main.call("DescribeReminderOutbox", page.clone()).await;
    // 790 of the search trial's 880 remaining calls: nearly exhausted, 10%
    // left (its running-out notice came with the seed, and comes once).
    let (st, _) = main.operator(json!({ "TenantId": "t-acme", "Kind": "SearchPackage", "Amount": 790, "IdempotencyKey": "n1" })).await;
    assert_eq!(st, 200);
    let (_, after) = main.call("DescribeNotices", page.clone()).await;
    assert_eq!(
        after["Response"]["Total"].as_u64().unwrap(),
        before["Response"]["Total"].as_u64().unwrap() + 1
    );
    let newest = &after["Response"]["Items"][0];
    assert_eq!(newest["ResourceId"], "res-search-trial");
    assert_eq!(newest["Notice"], "NearlyExhausted");
    assert_eq!(newest["Read"], false);
    let (_, outbox) = main.call("DescribeReminderOutbox", page.clone()).await;
    assert_eq!(
        outbox["Response"]["Total"].as_u64().unwrap(),
        outbox_before["Response"]["Total"].as_u64().unwrap() + 1
    );
    assert_eq!(
        outbox["Response"]["Items"][0]["Reminder"],
        json!({ "RemainingPercent": { "Percent": 10 } })
    );
    assert_eq!(
        outbox["Response"]["Items"][0]["Channels"],
        json!(["InSiteMessage", "Sms", "Email"])
    );
    let (_, read) = main
        .call(
            "MarkNoticesRead",
            json!({ "NoticeIds": [newest["Id"].clone()] }),
        )
        .await;
    assert_eq!(read["Response"]["Error"], serde_json::Value::Null, "{read}");
    assert_eq!(
        read["Response"]["UnreadCount"].as_u64().unwrap(),
        after["Response"]["UnreadCount"].as_u64().unwrap() - 1
    );
    s.stop().await;

    let s = Server::start(&db, None, AuthMode::Demo).await;
    let main = s.signed_in(ACME_MAIN).await;
    let (_, again) = main.call("DescribeNotices", page.clone()).await;
    assert_eq!(
        again["Response"]["Total"], after["Response"]["Total"],
        "a restart creates no notice twice"
    );
    assert_eq!(
        again["Response"]["UnreadCount"], read["Response"]["UnreadCount"],
        "read state kept"
    );
    let (_, hist) = main
        .call(
            "DescribeUsageHistory",
            json!({ "Kind": "SearchPackage", "Granularity": "Hour" }),
        )
        .await;
    let points = hist["Response"]["Points"].as_array().unwrap();
    assert_eq!(points.len(), 48);
    assert!(
        points.last().unwrap()["Y"].as_u64().unwrap() >= 790,
        "the metered calls are in this hour's point"
    );
}

/// Read server-sent events until `want` arrives or the deadline passes.

#[tokio::test]
async fn event_stream_carries_only_the_users_tenant() {
    let (_d, s) = server().await;
    let acme = s.signed_in(ACME_MAIN).await;
    let globex = s.signed_in(GLOBEX_MAIN).await;
    let anon = s
        .client()
        .http
        .get(format!("{}/api/events", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status().as_u16(), 401);
    let mut a = acme
        .http
        .get(format!("{}/api/events", s.base))
        .send()
        .await
        .unwrap();
    let mut g = globex
        .http
        .get(format!("{}/api/events", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(a.headers()["content-type"], "text/event-stream");
    let wait = std::time::Duration::from_secs(5);
    assert!(events_until(&mut a, "event: ready", wait).await.is_some());
    assert!(events_until(&mut g, "event: ready", wait).await.is_some());
    let (st, _) = acme.operator(json!({ "TenantId": "t-acme", "Kind": "TokenPackage", "Amount": 1000, "IdempotencyKey": "e1" })).await;
    assert_eq!(st, 200);
    assert!(
        events_until(&mut a, "event: usage", wait).await.is_some(),
        "Acme hears its usage change"
    );
    assert_eq!(
        acme.call("ModifyPostpaidSetting", json!({ "Enabled": true }))
            .await
            .0,
        200
    );
    assert!(events_until(&mut a, "event: postpaid", wait)
        .await
        .is_some());
    // Globex hears nothing of Acme's changes.
    let leaked = events_until(&mut g, "event: ", std::time::Duration::from_millis(800)).await;
    assert!(
        leaked.is_none(),
        "another tenant's events reached the stream: {leaked:?}"
    );
}

#[tokio::test]
async fn metering_is_written_to_the_ledger_and_moves_the_forecast() {
    let (_d, s) = server().await;
    let main = s.signed_in(ACME_MAIN).await;
    let trial = |v: &Value| {
        v["Response"]["Items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["Resource"]["Id"] == "res-search-trial")
            .cloned()
            .unwrap()
    };
    let list = json!({ "Tab": "PayAsYouGo", "PageNumber": 1, "PageSize": 50 });
    let (_, before) = main.call("DescribeResources", list.clone()).await;
    let before = trial(&before)["Forecast"].clone();
    assert!(before["Outcome"]["RunsOut"]["At"].is_string(), "{before}");
    // 600 calls now: the trial (880 left) pays 600 of them.
    let (st, d) = main
        .operator(json!({ "TenantId": "t-acme", "Kind": "SearchPackage", "Amount": 600, "IdempotencyKey": "ledger-1" }))
        .await;
    assert_eq!(st, 200, "{d}");
    let (_, after) = main.call("DescribeResources", list).await;
    let after = trial(&after)["Forecast"].clone();
    assert!(
        after["PerDay"].as_u64() > before["PerDay"].as_u64()
            && after["Outcome"]["RunsOut"]["At"].as_str()
                < before["Outcome"]["RunsOut"]["At"].as_str(),
        "{before} then {after}"
    );
    let (st, page) = main
        .call(
            "DescribeDeductions",
            json!({ "ResourceId": "res-search-trial", "PageNumber": 1, "PageSize": 10 }),
        )
        .await;
    assert_eq!(st, 200, "{page}");
    let line = &page["Response"]["Items"][0];
    assert_eq!(line["IdempotencyKey"], "ledger-1");
    assert_eq!(line["Amount"], 600);
    assert_eq!(line["Pool"], "FreeTrial");
    assert_eq!(line["RemainingBefore"], 880);
    assert_eq!(line["RemainingAfter"], 280);
    // Filters: the account's search lines from now on hold just this one.
    let (_, since) = main
        .call(
            "DescribeDeductions",
            json!({ "Kind": "SearchPackage", "From": line["At"], "PageNumber": 1, "PageSize": 10 }),
        )
        .await;
    assert_eq!(since["Response"]["Total"], 1, "{since}");
    // An empty interval holds nothing.
    let (st, none) = main
        .call(
            "DescribeDeductions",
            json!({ "From": "2026-12-02T00:00:00Z", "Until": "2026-12-01T00:00:00Z", "PageNumber": 1, "PageSize": 10 }),
        )
        .await;
    assert_eq!(
        (st, none["Response"]["Total"].as_u64()),
        (200, Some(0)),
        "{none}"
    );
    // Bad filters are refused with a code, and change nothing.
    for (body, want) in [
        (
            json!({ "Kind": "ConcurrencyQuota", "PageNumber": 1, "PageSize": 10 }),
            "InvalidParameterValue",
        ),
        (
            json!({ "PageNumber": 0, "PageSize": 10 }),
            "InvalidParameterValue",
        ),
        (
            json!({ "From": "yesterday", "PageNumber": 1, "PageSize": 10 }),
            "InvalidParameter",
        ),
        (
            json!({ "ResourceId": "res-gx-tok", "PageNumber": 1, "PageSize": 10 }),
            "ResourceNotFound",
        ),
    ] {
        let (st, v) = main.call("DescribeDeductions", body.clone()).await;
        assert_eq!(code(&v), Some(want), "{body}: {v}");
        assert!((400..500).contains(&st));
    }
    // The postpaid page says when each kind's packages run out, and the cost after.
    let (_, pp) = main.call("DescribePostpaidSetting", json!({})).await;
    let search = pp["Response"]["Forecasts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["Kind"] == "SearchPackage")
        .cloned()
        .unwrap();
    assert_eq!(search["Forecast"], true);
    assert!(
        search["PostpaidCentsPerDay"].as_i64().unwrap() > 0,
        "{search}"
    );
}

/// The client's files: compressed once per build (copies written beside
/// them), served in the best encoding the browser accepts, hashed assets
/// cached for a year, the page revalidated, console paths answered with the
/// page, a missing file 404.
#[tokio::test]
async fn the_built_client_is_served_precompressed_with_cache_headers() {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    let script = "import init from '/app-0123456789abcdef.js'; init();";
    std::fs::write(
        dist.join("index.html"),
        format!("<!DOCTYPE html><html><head><script type=\"module\">{script}</script></head><body></body></html>"),
    )
    .unwrap();
    let wasm: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8 / 7).collect();
    std::fs::write(dist.join("app-0123456789abcdef_bg.wasm"), &wasm).unwrap();
    std::fs::write(
        dist.join("favicon.svg"),
        "<svg xmlns='http://www.w3.org/2000/svg'/>",
    )
    .unwrap();
    let s = Server::start(
        &dir.path().join("billing.sqlite"),
        Some(dist.clone()),
        AuthMode::Demo,
    )
    .await;
    assert!(
        dist.join("app-0123456789abcdef_bg.wasm.br").exists(),
        "brotli copy written"
    );
    assert!(
        dist.join("app-0123456789abcdef_bg.wasm.gz").exists(),
        "gzip copy written"
    );
    let get = |path: &str, accept: &'static str| {
        let req = s.client().http.get(format!("{}{path}", s.base));
        let req = if accept.is_empty() {
            req
        } else {
            req.header("accept-encoding", accept)
        };
        async move { req.send().await.unwrap() }
    };
    let r = get("/app-0123456789abcdef_bg.wasm", "gzip, deflate, br").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-encoding"], "br");
    assert_eq!(r.headers()["content-type"], "application/wasm");
    assert_eq!(r.headers()["vary"], "accept-encoding");
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let etag = r.headers()["etag"].clone();
    let br = r.bytes().await.unwrap();
    assert!(
        br.len() < wasm.len() / 4,
        "brotli at quality 11: {} bytes",
        br.len()
    );
    let r = get("/app-0123456789abcdef_bg.wasm", "gzip").await;
    assert_eq!(r.headers()["content-encoding"], "gzip");
    let r = get("/app-0123456789abcdef_bg.wasm", "").await;
    assert!(r.headers().get("content-encoding").is_none());
    assert_eq!(r.bytes().await.unwrap().len(), wasm.len());
    let r = s
        .client()
        .http
        .get(format!("{}/app-0123456789abcdef_bg.wasm", s.base))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304, "unchanged file revalidated without a body");

    // Any console path is the page, revalidated on every visit, with the CSP
    // that allows exactly its inline script.
    for path in ["/", "/pay-as-you-go", "/postpaid?x=1"] {
        let r = get(path, "br").await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["cache-control"], "no-cache", "{path}");
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let csp = r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        use base64::Engine;
        use sha2::Digest;
        let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script));
        assert!(csp.contains(&format!("'sha256-{hash}'")), "{csp}");
    }
    assert_eq!(
        get("/favicon.svg", "").await.headers()["cache-control"],
        "no-cache"
    );
    assert_eq!(
        get("/missing-0123456789abcdef.js", "br").await.status(),
        404
    );
    let post = s
        .client()
        .http
        .post(format!("{}/pay-as-you-go", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 405);
}

/// A database written before thresholds' inner fields became PascalCase
/// (`{"ExpiringSoon":{"days":7}}`): migration 5 rewrites the stored text,
/// so nothing fires again, and the notices read back in the new shape.
#[tokio::test]
async fn a_database_written_before_the_field_case_change_fires_nothing_again() {
    use billing_server::store::Db;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    let database = database_for(&path);
    let tables = [
        ("fired", "threshold"),
        ("notices", "notice"),
        ("outbox", "reminder"),
    ];
    let count = |db: &Db, what: &str| {
        tables
            .iter()
            // REPLACE is case-sensitive in both databases (SQLite's LIKE is not).
            .map(|(t, c)| {
                figure(
                    db,
                    &format!("SELECT COUNT(*) FROM {t} WHERE REPLACE({c}, '{what}', '') <> {c}"),
                )
            })
            .sum::<i64>()
    };
    let (notices, fired) = std::thread::scope(|t| {
        t.spawn(|| {
            let db = Db::open(&database, 1).unwrap();
            let now = chrono::Utc::now();
            db.migrate_and_seed(|| (billing_rules::seed::demo(now), now))
                .unwrap();
            // Back to how version 4 wrote them.
            db.write(None, |s| {
                for (t, c) in tables {
                    s.conn()
                        .batch(&format!(
                            "UPDATE {t} SET {c} = REPLACE(REPLACE({c}, '\"Days\":', '\"days\":'), '\"Percent\":', '\"percent\":')"
                        ))
                        .map_err(billing_server::store::internal)?;
                }
                s.conn()
                    .batch("DELETE FROM schema_migrations WHERE version = 5")
                    .map_err(billing_server::store::internal)
            })
            .unwrap();
            assert!(count(&db, "\"days\":") > 0, "the seed has expiry thresholds");
            (
                figure(&db, "SELECT COUNT(*) FROM notices"),
                figure(&db, "SELECT COUNT(*) FROM fired"),
            )
        })
        .join()
        .unwrap()
    });
    // The server migrates on start, then catches the tenant up on a request.
    let s = Server::start(&path, None, AuthMode::Demo).await;
    let c = s.signed_in(ACME_MAIN).await;
    let (st, v) = c
        .call(
            "DescribeNotices",
            json!({ "PageNumber": 1, "PageSize": 100 }),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let expiring: Vec<&Value> = v["Response"]["Items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["Notice"].get("ExpiringSoon"))
        .collect();
    assert!(!expiring.is_empty());
    assert!(expiring.iter().all(|e| e["Days"].is_u64()), "{expiring:?}");
    s.stop().await;
    std::thread::scope(|t| {
        t.spawn(|| {
            let db = Db::open(&database, 1).unwrap();
            assert_eq!(count(&db, "\"days\":") + count(&db, "\"percent\":"), 0);
            assert_eq!(
                figure(&db, "SELECT COUNT(*) FROM notices"),
                notices,
                "no notice again"
            );
            assert_eq!(
                figure(&db, "SELECT COUNT(*) FROM fired"),
                fired,
                "no threshold again"
            );
        })
        .join()
        .unwrap()
    });
}

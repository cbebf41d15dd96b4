//! Postpaid for real, against the real server over a real database:
//! hourly settlement, overdue and top-ups, the monthly budget, and alerts
//! delivered to webhook receivers on loopback. Hours pass by moving the
//! server's clock (its skew), never by sleeping.

mod support;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use billing_rules::seed::users::*;
use billing_server::AuthMode;
use serde_json::{json, Value};
use support::receiver::Receiver;
use support::*;

const HOUR: i64 = 3600;

struct Clock(Arc<AtomicI64>);

impl Clock {
    fn new() -> Clock {
        Clock(Arc::new(AtomicI64::new(0)))
    }
    fn pass(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

/// A server whose clock the test moves; `jobs` runs the sweep (every
/// 100 ms) and the webhook sender (fast retries) in the background.
async fn server_at(db: &std::path::Path, clock: &Clock, jobs: bool, retry_ms: u64) -> Server {
    let skew = clock.0.clone();
    Server::start_configured(db, "127.0.0.1:0", move |c| {
        c.auth = AuthMode::Demo;
        c.clock_skew = skew;
        c.jobs = jobs;
        c.sweep_every = Duration::from_millis(100);
        c.webhooks.allow_private = true;
        c.webhooks.poll = Duration::from_millis(50);
        c.webhooks.retry_base = Duration::from_millis(retry_ms);
        c.webhooks.retry_cap = Duration::from_millis(retry_ms * 8);
        c.webhooks.give_up_after = Duration::from_secs(120);
        // Tests change settings many times in a row.
        c.write_burst = 1000;
    })
    .await
}

/// Meter `amount` of `kind` for t-acme; the answer's Response.
async fn meter(c: &Client, kind: &str, amount: u64, key: &str) -> (u16, Value) {
    c.operator(
        json!({ "TenantId": "t-acme", "Kind": kind, "Amount": amount, "IdempotencyKey": key }),
    )
    .await
}

/// Use up every package of `kind` with postpaid off: the refusal says how
/// much the packages hold, and exactly that is drawn.
async fn drain(c: &Client, kind: &str) {
    let (st, v) = meter(c, kind, 1_000_000_000_000, &format!("probe-{kind}")).await;
    assert_eq!(st, 409, "postpaid is off: {v}");
    let msg = v["Response"]["Error"]["Message"].as_str().unwrap();
    let held: u64 = msg
        .strip_prefix("Packages hold ")
        .and_then(|m| m.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{msg}"));
    if held > 0 {
        let (st, v) = meter(c, kind, held, &format!("drain-{kind}")).await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["Response"]["Postpaid"], 0);
    }
}

async fn set_postpaid(c: &Client, on: bool) -> (u16, Value) {
    c.call("ModifyPostpaidSetting", json!({ "Enabled": on }))
        .await
}

async fn balance(c: &Client) -> i64 {
    let (_, v) = c.call("DescribePostpaidSetting", json!({})).await;
    v["Response"]["Account"]["BalanceCents"].as_i64().unwrap()
}

async fn bills(c: &Client) -> Value {
    let (st, v) = c
        .call("DescribeBills", json!({ "PageNumber": 1, "PageSize": 100 }))
        .await;
    assert_eq!(st, 200, "{v}");
    v["Response"].clone()
}

/// Poll until `f` holds for the bill page, or fail after 10 s.
async fn bills_until(c: &Client, f: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let b = bills(c).await;
        if f(&b) {
            return b;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "bills never got there: {b}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Drained tenant t-acme with postpaid on and money for postpaid.
async fn ready_for_postpaid(s: &Server) -> Client {
    let main = s.signed_in(ACME_MAIN).await;
    drain(&main, "TokenPackage").await;
    drain(&main, "SearchPackage").await;
    let (st, v) = set_postpaid(&main, true).await;
    assert_eq!(st, 200, "{v}");
    main
}

#[tokio::test]
async fn three_hours_of_postpaid_usage_give_three_bill_lines_per_kind_and_debit_their_sum() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::new();
    let s = server_at(&dir.path().join("b.sqlite"), &clock, true, 50).await;
    let main = ready_for_postpaid(&s).await;
    let start = balance(&main).await;
    let mut expected = 0i64;
    for h in 0..3u64 {
        let tokens = 1_000_000 * (h + 1) + 1; // rounds up a cent
        let (st, v) = meter(&main, "TokenPackage", tokens, &format!("t{h}")).await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["Response"]["Postpaid"], tokens);
        let calls = 100 * (h + 1);
        let (st, _) = meter(&main, "SearchPackage", calls, &format!("s{h}")).await;
        assert_eq!(st, 200);
        expected += ((tokens * 80).div_ceil(1_000_000) + (calls * 400).div_ceil(1_000)) as i64;
        clock.pass(HOUR);
        let want = 2 * (h as usize + 1);
        bills_until(&main, |b| b["Items"].as_array().unwrap().len() == want).await;
    }
    let b = bills(&main).await;
    let items = b["Items"].as_array().unwrap();
    assert_eq!(items.len(), 6, "{b}");
    for kind in ["TokenPackage", "SearchPackage"] {
        let hours: std::collections::BTreeSet<&str> = items
            .iter()
            .filter(|l| l["Kind"] == kind)
            .map(|l| l["Hour"].as_str().unwrap())
            .collect();
        assert_eq!(hours.len(), 3, "three hours of {kind}");
    }
    assert_eq!(items[0]["Kind"], "TokenPackage");
    assert_eq!(items[0]["Units"], 3_000_001);
    assert_eq!(items[0]["AmountCents"], 241);
    assert_eq!(b["TotalCents"], expected);
    assert_eq!(balance(&main).await, start - expected);
    // Later sweeps bill only new hours: the closed ones stay as they were.
    meter(&main, "TokenPackage", 1, "t3").await;
    clock.pass(HOUR);
    let b = bills_until(&main, |b| b["Total"] == 7).await;
    assert_eq!(b["TotalCents"], expected + 1);
    assert_eq!(balance(&main).await, start - expected - 1);
}

/// Bill lines in the database itself, read without a request.
fn settled_rows(path: &std::path::Path) -> i64 {
    db_figure(
        path,
        "SELECT COUNT(*) FROM postpaid_hours WHERE settled_at IS NOT NULL",
    )
}

/// A figure from the test's database itself, opened and closed off the
/// async runtime (the PostgreSQL client blocks).
fn db_figure(path: &std::path::Path, sql: &str) -> i64 {
    let database = database_for(path);
    let sql = sql.to_string();
    std::thread::spawn(move || {
        let db = billing_server::store::Db::open(&database, 1).unwrap();
        figure(&db, &sql)
    })
    .join()
    .unwrap()
}

#[tokio::test]
async fn a_restart_after_missed_hours_catches_up_without_billing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.sqlite");
    let clock = Clock::new();
    let s = server_at(&db, &clock, false, 50).await;
    let main = ready_for_postpaid(&s).await;
    let start = balance(&main).await;
    meter(&main, "TokenPackage", 5_000_000, "a").await;
    clock.pass(HOUR);
    meter(&main, "TokenPackage", 5_000_000, "b").await;
    // Each request settles its tenant's closed hours first: hour one is
    // billed by the second event's own request.
    assert_eq!(bills(&main).await["Total"], 1);
    s.stop().await;
    clock.pass(3 * HOUR);
    // The restart settles the missed hour before any request comes...
    let s = server_at(&db, &clock, false, 50).await;
    assert_eq!(settled_rows(&db), 2, "settled at start");
    // ...and once: the lines and the balance say so.
    let main = s.signed_in(ACME_MAIN).await;
    let b = bills(&main).await;
    assert_eq!(b["Total"], 2, "{b}");
    assert_eq!(b["TotalCents"], 800);
    assert_eq!(balance(&main).await, start - 800);
    s.stop().await;
    let s = server_at(&db, &clock, false, 50).await;
    let main = s.signed_in(ACME_MAIN).await;
    assert_eq!(bills(&main).await["Total"], 2);
    assert_eq!(balance(&main).await, start - 800, "billed once");
}

#[tokio::test]
async fn settlement_below_zero_stops_metering_until_a_top_up() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::new();
    let s = server_at(&dir.path().join("o.sqlite"), &clock, true, 50).await;
    let main = ready_for_postpaid(&s).await;
    let start = balance(&main).await;
    assert!(start > 0);
    // 2 billion tokens at $0.80 per million: $1,600, beyond the balance.
    let (st, _) = meter(&main, "TokenPackage", 2_000_000_000, "big").await;
    assert_eq!(st, 200);
    let mut stream = main.events().await;
    clock.pass(HOUR);
    bills_until(&main, |b| b["Total"] == 1).await;
    let overdue = balance(&main).await;
    assert_eq!(overdue, start - 160_000);
    assert!(overdue < 0);
    assert!(
        events_until(&mut stream, "postpaid", Duration::from_secs(5))
            .await
            .is_some(),
        "the console hears of it live"
    );
    let (st, v) = meter(&main, "TokenPackage", 10, "after").await;
    assert_eq!(
        (st, code(&v)),
        (409, Some("FailedOperation.BalanceInsufficient")),
        "{v}"
    );
    let (_, n) = main
        .call(
            "DescribeNotices",
            json!({ "PageNumber": 1, "PageSize": 10 }),
        )
        .await;
    assert!(
        n["Response"]["Items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["Notice"] == "AccountOverdue"),
        "{n}"
    );
    // Postpaid cannot be enabled again while overdue.
    set_postpaid(&main, false).await;
    let (st, v) = set_postpaid(&main, true).await;
    assert_eq!(
        code(&v),
        Some("FailedOperation.BalanceInsufficient"),
        "{st} {v}"
    );
    // A top-up to zero or more restores service; replaying it adds nothing.
    let top =
        json!({ "TenantId": "t-acme", "AmountCents": -overdue + 500, "IdempotencyKey": "pay-1" });
    let (st, v) = main.operator_call("TopUp", top.clone()).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["Response"]["BalanceCents"], 500);
    assert_eq!(v["Response"]["Overdue"], false);
    let (_, again) = main.operator_call("TopUp", top).await;
    assert_eq!(again["Response"]["BalanceCents"], 500);
    assert_eq!(balance(&main).await, 500);
    let (st, v) = main
        .operator_call(
            "TopUp",
            json!({ "TenantId": "t-acme", "AmountCents": 7, "IdempotencyKey": "pay-1" }),
        )
        .await;
    assert_eq!((st, code(&v)), (409, Some("FailedOperation")));
    let (st, v) = main
        .operator_call(
            "TopUp",
            json!({ "TenantId": "t-acme", "AmountCents": 1, "IdempotencyKey": "x" }),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    // Without the operator credential, no top-up.
    let (st, _) = main
        .call(
            "TopUp",
            json!({ "TenantId": "t-acme", "AmountCents": 1, "IdempotencyKey": "y" }),
        )
        .await;
    assert_eq!(st, 401);
    let (st, v) = set_postpaid(&main, true).await;
    assert_eq!(st, 200, "{v}");
    let (st, v) = meter(&main, "SearchPackage", 1, "works-again").await;
    assert_eq!(st, 200, "{v}");
}

#[tokio::test]
async fn budget_thresholds_fire_once_and_the_limit_turns_postpaid_off_within_one_event() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::new();
    let s = server_at(&dir.path().join("g.sqlite"), &clock, true, 50).await;
    let main = ready_for_postpaid(&s).await;
    // $10 a month, the default thresholds, off at the limit.
    let (st, v) = main
        .call(
            "ModifyPostpaidBudget",
            json!({ "AmountCents": 1000, "TurnOff": true }),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["Response"]["Budget"]["Thresholds"], json!([50, 80, 100]));
    let budget_notices = |v: &Value| -> Vec<u64> {
        let mut p: Vec<u64> = v["Response"]["Items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|i| i["Notice"]["BudgetReached"]["Percent"].as_u64())
            .collect();
        p.sort();
        p
    };
    let notices = || async {
        main.call(
            "DescribeNotices",
            json!({ "PageNumber": 1, "PageSize": 100 }),
        )
        .await
        .1
    };
    // $5.00 of tokens (6,250,000): 50% at once, unsettled as yet.
    meter(&main, "TokenPackage", 6_250_000, "m1").await;
    assert_eq!(budget_notices(&notices().await), vec![50]);
    meter(&main, "TokenPackage", 1, "m2").await;
    assert_eq!(budget_notices(&notices().await), vec![50], "once");
    // Settling the hour moves nothing across a threshold again.
    clock.pass(HOUR);
    bills_until(&main, |b| b["Total"] == 1).await;
    assert_eq!(budget_notices(&notices().await), vec![50]);
    // $3.00 more: 80%.
    meter(&main, "TokenPackage", 3_750_000, "m3").await;
    assert_eq!(budget_notices(&notices().await), vec![50, 80]);
    let (_, p) = main.call("DescribePostpaidSetting", json!({})).await;
    assert_eq!(p["Response"]["State"]["Enabled"], true);
    // The event that reaches $10 is served; postpaid is off right after it.
    let (st, _) = meter(&main, "TokenPackage", 2_500_000, "m4").await;
    assert_eq!(st, 200);
    assert_eq!(budget_notices(&notices().await), vec![50, 80, 100]);
    let (_, p) = main.call("DescribePostpaidSetting", json!({})).await;
    assert_eq!(p["Response"]["State"]["Enabled"], false, "{p}");
    assert_eq!(p["Response"]["ChangedByName"], "Monthly budget");
    assert!(p["Response"]["Month"]["SpentCents"].as_i64().unwrap() >= 1000);
    // The next event is refused: spending passed the budget by one event.
    let (st, _) = meter(&main, "TokenPackage", 1_000, "m5").await;
    assert_eq!(st, 409);
    // Enabled 1 h ago: re-enabling obeys the cooldown. Enable, let the
    // budget turn it off again, and re-enable at once: refused.
    let (st, v) = set_postpaid(&main, true).await;
    assert_eq!(st, 200, "{v}");
    meter(&main, "TokenPackage", 1, "m6").await;
    let (_, p) = main.call("DescribePostpaidSetting", json!({})).await;
    assert_eq!(p["Response"]["State"]["Enabled"], false);
    let (st, v) = set_postpaid(&main, true).await;
    assert_eq!((st, code(&v)), (429, Some("RequestLimitExceeded")), "{v}");
    // Still once each, and once a month.
    assert_eq!(budget_notices(&notices().await), vec![50, 80, 100]);
}

#[tokio::test]
async fn budgets_are_validated_and_only_managers_set_them() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::new();
    let s = server_at(&dir.path().join("v.sqlite"), &clock, false, 50).await;
    let main = s.signed_in(ACME_MAIN).await;
    for bad in [
        json!({ "AmountCents": 0 }),
        json!({ "AmountCents": 100, "Thresholds": [1, 2, 3, 4, 5, 6] }),
        json!({ "Thresholds": [201] }),
        json!({ "AmountCents": 100, "Thresholds": [] }),
        json!({ "AmountCents": 100, "Thresholds": [201] }),
    ] {
        let (st, v) = main.call("ModifyPostpaidBudget", bad.clone()).await;
        assert_eq!(
            (st, code(&v)),
            (400, Some("InvalidParameterValue")),
            "{bad}"
        );
    }
    let (st, _) = main
        .call("ModifyPostpaidBudget", json!({ "AmountCents": "x" }))
        .await;
    assert_eq!(st, 400);
    let sub = s.signed_in(ACME_SUB).await;
    let (st, v) = sub
        .call("ModifyPostpaidBudget", json!({ "AmountCents": 100 }))
        .await;
    assert_eq!((st, code(&v)), (403, Some("UnauthorizedOperation")));
    let granted = s.signed_in(ACME_SUB_GRANTED).await;
    let (st, v) = granted
        .call("ModifyPostpaidBudget", json!({ "AmountCents": 100 }))
        .await;
    assert_eq!(st, 200, "{v}");
    // Removing it.
    let (st, v) = main.call("ModifyPostpaidBudget", json!({})).await;
    assert_eq!(st, 200);
    assert!(v["Response"].get("Budget").is_none());
}

fn verify(secret: &str, r: &support::receiver::Received) {
    let want = billing_server::webhooks::signature(secret, r.timestamp.parse().unwrap(), &r.body);
    assert_eq!(r.signature, want, "a valid signature");
    let body: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(body["Id"], r.event_id.as_str());
}

async fn add_endpoint(c: &Client, url: &str) -> (String, String) {
    let (st, v) = c.call("CreateWebhook", json!({ "Url": url })).await;
    assert_eq!(st, 200, "{v}");
    (
        v["Response"]["Endpoint"]["Id"]
            .as_str()
            .unwrap()
            .to_string(),
        v["Response"]["Secret"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn each_event_reaches_each_endpoint_once_signed_and_retries_until_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::new();
    let s = server_at(&dir.path().join("w.sqlite"), &clock, true, 50).await;
    let main = s.signed_in(ACME_MAIN).await;
    let ok = Receiver::start(0).await;
    let flaky = Receiver::start(3).await;
    let (ok_id, ok_secret) = add_endpoint(&main, &ok.url()).await;
    let (flaky_id, flaky_secret) = add_endpoint(&main, &flaky.url()).await;
    // A test event goes to the one endpoint asked for.
    let (st, _) = main
        .call("SendTestWebhook", json!({ "EndpointId": ok_id }))
        .await;
    assert_eq!(st, 200);
    let got = ok.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1);
    verify(&ok_secret, &got[0]);
    assert!(got[0].body.contains("\"Type\":\"Test\""));
    // Answered 500 three times, the event arrives on the fourth attempt.
    main.call("SendTestWebhook", json!({ "EndpointId": flaky_id }))
        .await;
    let got = flaky.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(flaky.requests(), 4);
    verify(&flaky_secret, &got[0]);
    let (_, v) = main.call("DescribeWebhooks", json!({})).await;
    let flaky_view = v["Response"]["Endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["Endpoint"]["Id"] == flaky_id.as_str())
        .unwrap()
        .clone();
    let d = &flaky_view["Recent"][0];
    assert_eq!(d["State"], "Delivered", "{flaky_view}");
    assert_eq!(d["Attempts"], 4);
    assert_eq!(d["LastStatus"], 200);
    // Notices and reminders (the search packages used up) go to both.
    drain(&main, "SearchPackage").await;
    let alerts = |got: Vec<support::receiver::Received>| -> std::collections::BTreeSet<String> {
        got.into_iter()
            .filter(|r| !r.body.contains("\"Type\":\"Test\""))
            .map(|r| r.event_id)
            .collect()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (a, b) = (alerts(ok.got()), alerts(flaky.got()));
        if !a.is_empty() && a == b {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{a:?} vs {b:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    for r in &flaky.got() {
        verify(&flaky_secret, r);
    }
    // Nothing is delivered twice. A duplicate needs a second claim, and a
    // claim needs a delivery still Pending with its lease run out (the
    // lease is three request timeouts): once no delivery is Pending, none
    // can be claimed again, and the sender records an outcome only after
    // the receiver answered, so every send of every claim has arrived.
    let path = dir.path().join("w.sqlite");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while db_figure(
        &path,
        "SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'Pending'",
    ) > 0
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "deliveries never finished"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    for got in [ok.got(), flaky.got()] {
        let ids: std::collections::BTreeSet<&str> =
            got.iter().map(|r| r.event_id.as_str()).collect();
        assert_eq!(ids.len(), got.len(), "each event once per endpoint");
    }
}

#[tokio::test]
async fn delivery_history_is_kept_for_thirty_days_then_forgotten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.sqlite");
    let clock = Clock::new();
    let s = server_at(&path, &clock, true, 50).await;
    let main = s.signed_in(ACME_MAIN).await;
    let r = Receiver::start(0).await;
    let (id, _) = add_endpoint(&main, &r.url()).await;
    let test_event = || async {
        main.call("SendTestWebhook", json!({ "EndpointId": id }))
            .await;
        r.wait_for(r.got().len() + 1, Duration::from_secs(10))
            .await
            .last()
            .unwrap()
            .event_id
            .clone()
    };
    let kept = |event: &str| {
        db_figure(
            &path,
            &format!("SELECT COUNT(*) FROM webhook_deliveries WHERE event_id = '{event}'"),
        ) + db_figure(
            &path,
            &format!("SELECT COUNT(*) FROM webhook_events WHERE id = '{event}'"),
        )
    };
    let first = test_event().await;
    clock.pass(29 * 24 * HOUR);
    let second = test_event().await;
    assert_eq!(
        (kept(&first), kept(&second)),
        (2, 2),
        "both kept within 30 days"
    );
    clock.pass(2 * 24 * HOUR);
    // The sweep forgets the first (31 days old) and keeps the second.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while kept(&first) != 0 {
        assert!(tokio::time::Instant::now() < deadline, "never purged");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(kept(&second), 2);
}

#[tokio::test]
async fn a_receiver_that_was_down_gets_everything_when_it_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::new();
    let s = server_at(&dir.path().join("d.sqlite"), &clock, true, 100).await;
    let main = s.signed_in(ACME_MAIN).await;
    let mut r = Receiver::start(0).await;
    let (id, _) = add_endpoint(&main, &r.url()).await;
    r.down();
    for _ in 0..3 {
        main.call("SendTestWebhook", json!({ "EndpointId": id }))
            .await;
    }
    // Attempts fail while it is down (connection refused)...
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, v) = main.call("DescribeWebhooks", json!({})).await;
        let retried = v["Response"]["Endpoints"][0]["Recent"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["Attempts"].as_u64().unwrap_or(0) >= 2 && d["State"] == "Pending");
        if retried {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{v}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // ...and all three arrive once it is back.
    r.up().await;
    let got = r.wait_for(3, Duration::from_secs(20)).await;
    assert_eq!(got.len(), 3);
}

#[tokio::test]
async fn webhooks_refuse_private_addresses_without_the_flag_and_need_a_manager() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("p.sqlite"), None, AuthMode::Demo).await;
    let main = s.signed_in(ACME_MAIN).await;
    // Malformed for this server: plain http, credentials, an IPv6 literal.
    for url in [
        "http://example.com/hook",
        "https://user:pw@example.com/hook",
        "https://[::1]/hook",
    ] {
        let (st, v) = main.call("CreateWebhook", json!({ "Url": url })).await;
        assert_eq!(
            (st, code(&v)),
            (400, Some("InvalidParameterValue")),
            "{url}: {v}"
        );
    }
    // Well-formed, but the target is this machine or a private network.
    for url in [
        "https://127.0.0.1/hook",
        "https://localhost:8443/hook",
        "https://10.0.0.8/hook",
        "https://169.254.169.254/latest",
        "https://0.0.0.0/hook",
    ] {
        let (st, v) = main.call("CreateWebhook", json!({ "Url": url })).await;
        assert_eq!((st, code(&v)), (409, Some("FailedOperation")), "{url}: {v}");
    }
    let (_, v) = main.call("DescribeWebhooks", json!({})).await;
    assert_eq!(v["Response"]["Endpoints"], json!([]));
    assert_eq!(v["Response"]["PrivateAllowed"], false);
    let sub = s.signed_in(ACME_SUB).await;
    let (st, v) = sub.call("DescribeWebhooks", json!({})).await;
    assert_eq!(st, 200);
    assert_eq!(v["Response"]["MayManage"], false);
    let (st, _) = sub
        .call(
            "CreateWebhook",
            json!({ "Url": "https://hooks.example.com/x" }),
        )
        .await;
    assert_eq!(st, 403);
}

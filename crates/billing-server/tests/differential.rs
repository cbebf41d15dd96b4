//! One meaning for every action: the same random sequence of actions,
//! metering and clock moves runs against the in-memory store (the browser's
//! mock), SQLite, and with `BILLING_TEST_BACKEND=postgres` PostgreSQL too,
//! each through its real path (the server's `Db::act`/`Db::look_as`), and every
//! answer must be identical.

mod support;

use billing_rules::actions::{Access, Action, Route};
use billing_rules::api::{ApiError, DeductionsRequest, ReportUsageRequest, TopUpRequest};
use billing_rules::handlers;
use billing_rules::model::ResourceKind;
use billing_rules::seed::{self, users::*};
use billing_rules::store::prelude::*;
use billing_rules::Ledger;
use billing_server::store::Db;
use billing_server::Database;
use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{json, Value};

const USERS: [&str; 6] = [
    ACME_MAIN,
    ACME_SUB,
    ACME_SUB_GRANTED,
    GLOBEX_MAIN,
    GLOBEX_SUB,
    GLOBEX_SUB_GRANTED,
];

#[derive(Debug, Clone)]
enum Step {
    Act(usize, Action, Value),
    Meter(ReportUsageRequest),
    TopUp(TopUpRequest),
    Clock(i64),
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 8, 0, 0).unwrap() + Duration::nanoseconds(123_456_789)
}

fn resource_ids() -> Vec<String> {
    let mut ids: Vec<String> = seed::demo(t0())
        .resources
        .into_iter()
        .map(|r| r.id)
        .collect();
    ids.push("res-none".into());
    ids
}

fn body(action: Action) -> BoxedStrategy<Value> {
    match action {
        Action::DescribeResources => (
            prop::sample::select(vec!["PayAsYouGo", "Concurrency", "KnowledgeBase"]),
            prop::sample::select(vec![None, Some("Available"), Some("Exhausted"), Some("Expired"), Some("NotYetEffective")]),
            prop::sample::select(vec!["", "trial", "TOK", "%", "res-", "zz"]),
            prop::sample::select(vec!["ExpiresAsc", "ExpiresDesc", "UsageDesc", "UsageAsc"]),
            1u32..3,
            prop::sample::select(vec![10u32, 20, 50]),
        )
            .prop_map(|(tab, status, search, sort, page, size)| {
                let mut b = json!({"Tab": tab, "Search": search, "Sort": sort, "PageNumber": page, "PageSize": size});
                if let Some(s) = status {
                    b["Status"] = json!(s);
                }
                b
            })
            .boxed(),
        Action::RenewResource => (prop::sample::select(resource_ids()), 0u32..4)
            .prop_map(|(id, m)| json!({"ResourceId": id, "Months": m}))
            .boxed(),
        Action::ModifyPostpaidSetting => any::<bool>().prop_map(|e| json!({"Enabled": e})).boxed(),
        Action::ModifySubAccountPermission => (prop::sample::select(USERS.to_vec()), any::<bool>())
            .prop_map(|(u, g)| json!({"UserId": u, "PostpaidPermission": g}))
            .boxed(),
        Action::DescribeNotices => (1u32..3, prop::sample::select(vec![5u32, 20]), any::<bool>())
            .prop_map(|(p, s, u)| json!({"PageNumber": p, "PageSize": s, "UnreadOnly": u}))
            .boxed(),
        Action::MarkNoticesRead => prop_oneof![
            Just(json!({"All": true})),
            (1u32..25, prop::sample::select(vec!["t-acme", "t-globex"]))
                .prop_map(|(n, t)| json!({"NoticeIds": [format!("ntc-{t}-{n:08}")]})),
        ]
        .boxed(),
        Action::DescribeReminderOutbox => (1u32..3, prop::sample::select(vec![5u32, 20]))
            .prop_map(|(p, s)| json!({"PageNumber": p, "PageSize": s}))
            .boxed(),
        Action::DescribeUsageHistory => (
            prop::sample::select(vec!["TokenPackage", "SearchPackage", "ConcurrencyQuota"]),
            prop::sample::select(vec!["Day", "Hour"]),
            any::<bool>(),
        )
            .prop_map(|(k, g, p)| json!({"Kind": k, "Granularity": g, "ByPool": p}))
            .boxed(),
        Action::DescribeDeductions => (
            prop::sample::select(vec![None, Some("res-tok-trial"), Some("res-search-trial"), Some("res-none")]),
            prop::sample::select(vec![None, Some("TokenPackage"), Some("SearchPackage")]),
            prop::sample::select(vec![None, Some("2026-11-30T08:00:00Z"), Some("2026-12-20T00:00:00Z")]),
            1u32..3,
            prop::sample::select(vec![1u32, 5, 100]),
        )
            .prop_map(|(id, kind, from, p, s)| {
                let mut b = json!({"PageNumber": p, "PageSize": s});
                if let Some(id) = id {
                    b["ResourceId"] = json!(id);
                }
                if let Some(k) = kind {
                    b["Kind"] = json!(k);
                }
                if let Some(f) = from {
                    b["From"] = json!(f);
                }
                b
            })
            .boxed(),
        Action::DescribeBills => (1u32..3, prop::sample::select(vec![1u32, 5, 100]))
            .prop_map(|(p, s)| json!({"PageNumber": p, "PageSize": s}))
            .boxed(),
        Action::ModifyPostpaidBudget => (
            prop::sample::select(vec![None, Some(1i64), Some(100), Some(10_000), Some(1_000_000)]),
            prop::sample::select(vec![None, Some(vec![50u8, 100]), Some(vec![100, 50, 50]), Some(vec![])]),
            any::<bool>(),
        )
            .prop_map(|(a, t, off)| {
                let mut b = json!({"TurnOff": off});
                if let Some(a) = a {
                    b["AmountCents"] = json!(a);
                }
                if let Some(t) = t {
                    b["Thresholds"] = json!(t);
                }
                b
            })
            .boxed(),
        Action::CreateWebhook => prop::sample::select(vec![
            "https://93.184.216.34/hook",
            "https://93.184.216.35:8443/a?b",
            "https://127.0.0.1/hook",
            "http://hooks.example.com/",
        ])
        .prop_map(|u| json!({"Url": u}))
        .boxed(),
        Action::DeleteWebhook | Action::SendTestWebhook => (
            prop::sample::select(vec!["t-acme", "t-globex"]),
            1u32..60,
        )
            .prop_map(|(t, n)| json!({"EndpointId": format!("whk-{t}-{n:08}")}))
            .boxed(),
        Action::DescribeIdentity
        | Action::DescribeAccountSummary
        | Action::DescribeKnowledgeUsage
        | Action::RestoreKnowledge
        | Action::DescribePostpaidSetting
        | Action::DescribeSubAccountPermissions
        | Action::DescribeWebhooks => Just(json!({})).boxed(),
        // Operator actions: steps of their own (Meter, TopUp), with their
        // own generators.
        Action::ReportUsage | Action::TopUp => Just(json!({})).boxed(),
        // Answered by the server alone (sessions, its info): no in-memory
        // counterpart to compare with; the HTTP suites test them.
        Action::DescribeServerInfo | Action::SignIn | Action::SignOut | Action::SignOutEverywhere => {
            Just(json!({})).boxed()
        }
    }
}

/// The actions a signed-in user calls that the engine answers: every one
/// is in the random sequences.
fn user_actions() -> Vec<Action> {
    Action::ALL
        .iter()
        .copied()
        .filter(|a| a.access() == Access::User && matches!(a.route(), Route::Engine(_)))
        .collect()
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        5 => (0..USERS.len(), prop::sample::select(user_actions()))
            .prop_flat_map(|(u, a)| body(a).prop_map(move |b| Step::Act(u, a, b))),
        3 => (
            prop::sample::select(vec![seed::ACME, seed::GLOBEX, "t-acme/sec"]),
            prop::sample::select(ResourceKind::ALL.to_vec()),
            prop::sample::select(vec![1u64, 500, 5_000, 120_000, 3_000_000]),
            0u8..6,
        )
            .prop_map(|(t, kind, amount, k)| Step::Meter(ReportUsageRequest {
                tenant_id: t.into(),
                kind,
                amount,
                idempotency_key: format!("key-{k}"),
            })),
        1 => (
            prop::sample::select(vec![seed::ACME, seed::GLOBEX]),
            prop::sample::select(vec![1i64, 2_000, 500_000]),
            0u8..3,
        )
            .prop_map(|(t, amount_cents, k)| Step::TopUp(TopUpRequest {
                tenant_id: t.into(),
                amount_cents,
                idempotency_key: format!("pay-{k}"),
            })),
        2 => prop_oneof![Just(0i64), 1i64..3_600, 3_600i64..86_400, 86_400i64..(25 * 86_400)]
            .prop_map(Step::Clock),
    ]
}

fn outcome<T: serde::Serialize>(r: Result<T, ApiError>) -> Value {
    let v = match r {
        Ok(v) => match serde_json::to_value(v).unwrap() {
            // Actions answer JSON text.
            Value::String(text) => serde_json::from_str(&text).unwrap_or(Value::String(text)),
            v => v,
        },
        Err(e) => json!({ "Error": e }),
    };
    blank_secret(v)
}

/// A new endpoint's signing secret is random on the server (and a demo
/// string in memory): compared by form only.
fn blank_secret(mut v: Value) -> Value {
    if let Some(secret) = v.get_mut("Secret") {
        assert!(
            secret.as_str().unwrap_or("").starts_with("whsec_"),
            "{secret}"
        );
        *secret = json!("whsec_…");
    }
    v
}

/// The in-memory store, as the mock runs it: through the registry's
/// handlers, metering and top-ups included.
fn in_memory(l: &mut Ledger, s: &Step, now: DateTime<Utc>) -> Value {
    match s {
        Step::Act(u, a, b) => outcome(handlers::run(l, *a, USERS[*u], b.clone(), now)),
        Step::Meter(req) => outcome(handlers::run(
            l,
            Action::ReportUsage,
            "",
            serde_json::to_value(req).unwrap(),
            now,
        )),
        Step::TopUp(req) => outcome(handlers::run(
            l,
            Action::TopUp,
            "",
            serde_json::to_value(req).unwrap(),
            now,
        )),
        Step::Clock(_) => Value::Null,
    }
}

fn engine_action(a: Action) -> billing_rules::actions::EngineAction {
    match a.route() {
        Route::Engine(e) => e,
        Route::Server(_) => unreachable!("{a:?} is not in the sequences"),
    }
}

fn performed(p: billing_server::api::Performed) -> Result<String, ApiError> {
    p.and_then(|(out, _)| out)
}

/// A database, as the server runs it: the server's own dispatch
/// (`perform`: a read in one snapshot, a write under the tenant's lock),
/// without the HTTP layer's origin and rate checks.
fn in_database(db: &Db, s: &Step, now: DateTime<Utc>) -> Value {
    match s {
        Step::Act(u, a, b) => {
            let who = |s: &mut billing_server::store::SqlStore| {
                Ok(s.user(USERS[*u])?.expect("seeded user"))
            };
            outcome(performed(billing_server::api::perform(
                db,
                engine_action(*a),
                &who,
                |_| Ok(()),
                b.clone(),
                now,
            )))
        }
        Step::Meter(req) => outcome(performed(billing_server::api::perform_operator(
            db,
            engine_action(Action::ReportUsage),
            serde_json::to_value(req).unwrap(),
            now,
        ))),
        Step::TopUp(req) => outcome(performed(billing_server::api::perform_operator(
            db,
            engine_action(Action::TopUp),
            serde_json::to_value(req).unwrap(),
            now,
        ))),
        Step::Clock(_) => Value::Null,
    }
}

fn open(database: Database) -> Db {
    let db = Db::open(&database, 2).unwrap();
    db.migrate_and_seed(|| (seed::demo(t0()), t0())).unwrap();
    db
}

proptest! {
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(24), ..ProptestConfig::default() })]
    #[test]
    fn memory_and_databases_answer_alike(steps in prop::collection::vec(step(), 1..40)) {
        let dir = tempfile::tempdir().unwrap();
        let mut dbs = vec![("sqlite", open(Database::Sqlite(dir.path().join("d.sqlite"))))];
        if support::pg::selected() {
            let url = support::pg::fresh_database(&format!("{:?}", dir.path()));
            dbs.push(("postgres", open(Database::Postgres(url))));
        }
        let mut mem = seed::demo(t0());
        let mut now = t0();
        for (i, s) in steps.iter().enumerate() {
            if let Step::Clock(secs) = s {
                now += Duration::seconds(*secs);
                continue;
            }
            let want = in_memory(&mut mem, s, now);
            for (name, db) in &dbs {
                let got = in_database(db, s, now);
                prop_assert_eq!(&got, &want, "step {} {:?} on {}", i, s, name);
            }
        }
        // The ledger adds up on every backend, read back through the store.
        for (name, db) in &dbs {
            db.read(|s| adds_up(s, name)).unwrap();
        }
        adds_up(&mut mem, "memory").unwrap();
    }
}

/// For every package, its ledger lines sum to its usage; for every event,
/// its lines sum to the amount it reported.
fn adds_up<S: Store>(s: &mut S, name: &str) -> Result<(), ApiError> {
    use std::collections::BTreeMap;
    for tenant in [seed::ACME, seed::GLOBEX] {
        let mut lines = Vec::new();
        for page in 1.. {
            let q = DeductionsRequest {
                resource_id: None,
                kind: None,
                from: None,
                until: None,
                page_number: page,
                page_size: 100,
            };
            let got = s.deductions(tenant, &q, (page as usize - 1) * 100, 100)?;
            let n = got.items.len();
            lines.extend(got.items);
            if n < 100 {
                break;
            }
        }
        let mut by_package: BTreeMap<String, u64> = BTreeMap::new();
        let mut by_event: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for e in &lines {
            if let Some(id) = &e.resource_id {
                *by_package.entry(id.clone()).or_default() += e.amount;
            }
            let ev = by_event.entry(e.idempotency_key.clone()).or_default();
            ev.0 += e.amount;
            ev.1 = e.event_amount;
        }
        for id in resource_ids() {
            if let Some(r) = s.resource(tenant, &id)?.filter(|r| r.kind.is_package()) {
                assert_eq!(
                    by_package.get(&id).copied().unwrap_or(0),
                    r.used,
                    "{name}: {id}"
                );
            }
        }
        for (k, (sum, amount)) in by_event {
            if k != seed::OPENING_KEY {
                assert_eq!(sum, amount, "{name}: event {k}");
            }
        }
    }
    Ok(())
}

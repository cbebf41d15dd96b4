//! Postpaid billing over the in-memory store: settlement, top-ups and
//! their idempotency keys, as the mock store and the server run them.

use billing_rules::api::{ErrorCode, ReportUsageRequest, TopUpRequest};
use billing_rules::billing::OpenHour;
use billing_rules::engine;
use billing_rules::ledger::PostpaidHour;
use billing_rules::model::ResourceKind;
use billing_rules::seed;
use chrono::{Duration, TimeZone, Utc};

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 10, 20, 0).unwrap()
}

#[test]
fn keys_are_counted_in_characters_as_the_schema_says() {
    let mut l = seed::demo(t0());
    let top = |key: String| TopUpRequest {
        tenant_id: seed::ACME.into(),
        amount_cents: 1,
        idempotency_key: key,
    };
    assert!(engine::top_up(&mut l, &top("é".repeat(128)), t0()).is_ok());
    let e = engine::top_up(&mut l, &top("é".repeat(129)), t0()).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidParameterValue);
    let meter = ReportUsageRequest {
        tenant_id: seed::ACME.into(),
        kind: ResourceKind::SearchPackage,
        amount: 1,
        idempotency_key: "测".repeat(128),
    };
    assert!(engine::report_usage(&mut l, &meter, t0()).is_ok());
}

#[test]
fn a_closed_hour_is_settled_once_and_the_open_one_waits() {
    let mut l = seed::demo(t0());
    let hour = |h: i64| billing_rules::forecast::hour_of(t0()) - Duration::hours(h);
    for (ago, units) in [(1, 2_000_000u64), (0, 1_000_000)] {
        l.postpaid_hours.push(PostpaidHour {
            tenant_id: seed::ACME.into(),
            open: OpenHour {
                hour: hour(ago),
                kind: ResourceKind::TokenPackage,
                units,
            },
            bill: None,
        });
    }
    let before = l.account_of(seed::ACME).unwrap().balance_cents;
    let lines = engine::settle(&mut l, seed::ACME, t0()).unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].amount_cents, 160);
    assert!(
        engine::settle(&mut l, seed::ACME, t0()).unwrap().is_empty(),
        "once"
    );
    assert_eq!(
        l.account_of(seed::ACME).unwrap().balance_cents,
        before - 160
    );
    // The month's spend counts the open hour too, priced as it will be.
    let m = engine::month_spend(&mut l, seed::ACME, t0()).unwrap();
    assert_eq!(
        (m.billed_cents, m.unbilled_cents, m.spent_cents),
        (160, 80, 240)
    );
    // An hour later the other one closes.
    let later = t0() + Duration::hours(1);
    assert_eq!(engine::settle(&mut l, seed::ACME, later).unwrap().len(), 1);
    assert_eq!(
        l.account_of(seed::ACME).unwrap().balance_cents,
        before - 240
    );
}

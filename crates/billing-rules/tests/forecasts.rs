//! Run-out forecasts and the deduction ledger: examples a user would
//! check by hand, and properties over random packages, paces and metering.

use billing_rules::actions::{def, Empty};
use billing_rules::api::*;
use billing_rules::deduction::Pool;
use billing_rules::forecast::{self, Fate, Forecast, Outcome, UsageBasis};
use billing_rules::model::*;
use billing_rules::reminders::Notice;
use billing_rules::{engine, seed, Ledger};
use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()
}

fn package(id: &str, source: Source, total: u64, used: u64, days_left: i64) -> Resource {
    Resource {
        id: id.into(),
        tenant_id: "t".into(),
        name: id.into(),
        kind: ResourceKind::TokenPackage,
        source,
        total,
        used,
        effective_at: now() - Duration::days(30),
        expires_at: now() + Duration::days(days_left),
        model: None,
        refunded: false,
    }
}

/// `per_hour` units in each of the last `hours` hours (now is on the hour).
fn flat(per_hour: u64, hours: i64) -> UsageBasis {
    UsageBasis {
        hours: (1..=hours.min(170))
            .map(|k| (now() - Duration::hours(k), per_hour))
            .collect(),
        since: Some(now() - Duration::hours(hours)),
    }
}

fn one(rs: &[Resource], basis: &UsageBasis) -> Vec<Forecast> {
    let order: Vec<&Resource> = rs.iter().collect();
    forecast::forecasts(&order, forecast::pace(basis, now()), now()).0
}

#[test]
fn a_flat_pace_gives_the_expected_date() {
    // 50 an hour for a month: 1,200 a day over the last 7 days.
    let basis = flat(50, 30 * 24);
    let p = forecast::pace(&basis, now()).unwrap();
    assert!((p.per_day - 1_200.0).abs() < 1e-6, "{}", p.per_day);
    assert_eq!(p.basis_hours, 7 * 24);
    assert_eq!(p.range, None, "a flat pace has no range");
    // 18,000 left at 1,200 a day: 15 days.
    let f = one(
        &[package("p", Source::Purchased, 20_000, 2_000, 40)],
        &basis,
    );
    let Outcome::RunsOut {
        at,
        days_before_expiry,
        earliest,
        latest,
    } = f[0].outcome
    else {
        panic!("{:?}", f[0]);
    };
    assert_eq!(at, now() + Duration::days(15));
    assert_eq!(days_before_expiry, 25);
    assert_eq!((earliest, latest), (None, None));
    assert_eq!(f[0].per_day, 1_200);
}

#[test]
fn a_trial_ahead_in_the_order_delays_a_purchased_package() {
    let basis = flat(50, 30 * 24);
    let per_day = 1_200.0;
    let purchased = package("p", Source::Purchased, 10_000, 0, 60);
    let alone = one(std::slice::from_ref(&purchased), &basis);
    // The trial expires later than the purchase but is drawn first.
    let trial = package("t", Source::FreeTrial, 5_000, 0, 90);
    let both = [purchased.clone(), trial.clone()];
    let order = billing_rules::deduction::draw_order(&both, ResourceKind::TokenPackage, now());
    assert_eq!(order[0].id, "t");
    let (both, _) = forecast::forecasts(&order, forecast::pace(&basis, now()), now());
    let at = |f: &Forecast| match f.outcome {
        Outcome::RunsOut { at, .. } => at,
        ref o => panic!("{o:?}"),
    };
    let trial_out = at(&both[0]);
    assert_eq!(
        trial_out,
        now() + Duration::milliseconds((5_000.0 / per_day * 86_400_000.0) as i64)
    );
    assert_eq!(
        at(&both[1]) - at(&alone[0]),
        trial_out - now(),
        "the purchase starts where the trial ends"
    );
}

#[test]
fn no_forecast_without_a_day_of_history() {
    let basis = UsageBasis {
        hours: vec![(now() - Duration::hours(1), 50_000)],
        since: Some(now() - Duration::hours(23)),
    };
    let f = one(&[package("p", Source::Purchased, 100_000, 0, 30)], &basis);
    assert_eq!(f[0].outcome, Outcome::NotEnoughHistory { hours: 23 });
    let none = one(
        &[package("p", Source::Purchased, 100_000, 0, 30)],
        &UsageBasis::default(),
    );
    assert_eq!(none[0].outcome, Outcome::NotEnoughHistory { hours: 0 });
}

#[test]
fn a_short_history_is_the_pace_and_says_so() {
    // 36 hours of history, 3,000 used: 2,000 a day.
    let basis = UsageBasis {
        hours: vec![
            (now() - Duration::hours(30), 1_000),
            (now() - Duration::hours(2), 2_000),
        ],
        since: Some(now() - Duration::hours(36)),
    };
    let p = forecast::pace(&basis, now()).unwrap();
    assert_eq!(p.basis_hours, 36);
    assert!((p.per_day - 2_000.0).abs() < 1e-6, "{}", p.per_day);
}

#[test]
fn a_run_out_past_expiry_is_quota_unused_at_expiry() {
    let basis = flat(50, 30 * 24);
    // 10 days left, 100,000 remaining: 12,000 drawn by expiry.
    let f = one(&[package("p", Source::Purchased, 100_000, 0, 10)], &basis);
    let Outcome::UnusedAtExpiry { unused, percent } = f[0].outcome else {
        panic!("{:?}", f[0]);
    };
    assert_eq!(unused, 88_000);
    assert_eq!(percent, 88);
    // No usage at all in the week: all of it.
    let idle = UsageBasis {
        hours: vec![],
        since: Some(now() - Duration::days(40)),
    };
    let f = one(
        &[package("p", Source::Purchased, 100_000, 40_000, 10)],
        &idle,
    );
    assert_eq!(
        f[0].outcome,
        Outcome::UnusedAtExpiry {
            unused: 60_000,
            percent: 60
        }
    );
}

#[test]
fn a_pace_that_varies_a_lot_gives_a_range() {
    // Days of 3,600 and of 720, by turns.
    let basis = UsageBasis {
        hours: (1..=168i64)
            .map(|k| {
                (
                    now() - Duration::hours(k),
                    if ((k - 1) / 24) % 2 == 0 { 150 } else { 30 },
                )
            })
            .collect(),
        since: Some(now() - Duration::days(60)),
    };
    let p = forecast::pace(&basis, now()).unwrap();
    let (lo, hi) = p.range.expect("a range");
    assert!(lo < p.per_day && p.per_day < hi);
    let f = one(
        &[package("p", Source::Purchased, 50_000, 45_000, 60)],
        &basis,
    );
    let Outcome::RunsOut {
        at,
        earliest: Some(e),
        latest: Some(l),
        ..
    } = f[0].outcome
    else {
        panic!("{:?}", f[0]);
    };
    assert!(e < at && at < l, "{e} < {at} < {l}");
}

prop_compose! {
    fn packages()(specs in prop::collection::vec((any::<bool>(), 1u64..50_000, 0u64..=100, 1i64..90), 0..8)) -> Vec<Resource> {
        specs.into_iter().enumerate().map(|(i, (trial, total, pct, days))| {
            package(&format!("r{i}"), if trial { Source::FreeTrial } else { Source::Purchased }, total, total * pct / 100, days)
        }).collect()
    }
}

proptest! {
    #[test]
    fn forecasts_follow_the_order_and_never_pass_expiry(rs in packages(), per_day in 0.0f64..20_000.0) {
        let order = billing_rules::deduction::draw_order(&rs, ResourceKind::TokenPackage, now());
        let (fates, end) = forecast::simulate(&order, per_day, now());
        let mut last = now();
        let mut drawn = 0f64;
        for (r, f) in order.iter().zip(&fates) {
            match *f {
                Fate::RunsOut(at) => {
                    prop_assert!(at < r.expires_at, "runs out before it expires");
                    prop_assert!(at >= last, "in deduction order");
                    last = at;
                    drawn += r.remaining() as f64;
                }
                Fate::Unused(n) => {
                    prop_assert!(n <= r.remaining());
                    drawn += (r.remaining() - n) as f64;
                }
            }
        }
        // What the packages give up is what the pace asked for until the end.
        if let Some(end) = end {
            let asked = per_day * (end - now()).num_milliseconds() as f64 / 86_400_000.0;
            prop_assert!((asked - drawn).abs() <= order.len() as f64 + 1.0 + asked * 1e-9, "{asked} vs {drawn}");
        }
    }

    #[test]
    fn a_faster_pace_never_runs_out_later(rs in packages(), per_day in 1.0f64..10_000.0, more in 1.0f64..5.0) {
        let order = billing_rules::deduction::draw_order(&rs, ResourceKind::TokenPackage, now());
        let (slow, _) = forecast::simulate(&order, per_day, now());
        let (fast, _) = forecast::simulate(&order, per_day * more, now());
        for (s, f) in slow.iter().zip(&fast) {
            if let (Fate::RunsOut(s), Fate::RunsOut(f)) = (s, f) {
                prop_assert!(f <= s);
            }
            if let (Fate::RunsOut(_), Fate::Unused(_)) = (s, f) {
                // A faster pace can drain an earlier package sooner, so a later one
                // starts sooner: it cannot then last longer.
                prop_assert!(false, "ran out at the slow pace but not the fast one");
            }
        }
    }
}

// ---- The deduction ledger ------------------------------------------------

#[derive(Debug, Clone)]
enum Step {
    Meter(&'static str, ResourceKind, u64, u8),
    Renew(usize, u32),
    Postpaid(bool),
    Clock(i64),
}

fn ids() -> Vec<String> {
    seed::demo(now())
        .resources
        .into_iter()
        .map(|r| r.id)
        .collect()
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        5 => (
            prop::sample::select(vec![seed::ACME, seed::GLOBEX]),
            prop::sample::select(vec![ResourceKind::TokenPackage, ResourceKind::SearchPackage, ResourceKind::ConcurrencyQuota]),
            prop::sample::select(vec![1u64, 90, 5_000, 120_000, 3_000_000]),
            0u8..8,
        ).prop_map(|(t, k, a, key)| Step::Meter(t, k, a, key)),
        1 => (0usize..ids().len(), 1u32..3).prop_map(|(i, m)| Step::Renew(i, m)),
        1 => any::<bool>().prop_map(Step::Postpaid),
        2 => prop_oneof![1i64..3_600, 3_600i64..(3 * 86_400), 86_400i64..(20 * 86_400)].prop_map(Step::Clock),
    ]
}

/// Every package's lines add up to its usage; every event's lines add up
/// to the amount it reported.
fn assert_ledger_adds_up(l: &Ledger) {
    let mut by_package: BTreeMap<&str, u64> = BTreeMap::new();
    let mut by_event: BTreeMap<(&str, &str), (u64, u64)> = BTreeMap::new();
    for e in &l.deductions {
        if let Some(id) = &e.resource_id {
            *by_package.entry(id).or_default() += e.amount;
            assert_ne!(e.pool, Pool::Postpaid);
            assert_eq!(
                e.remaining_before.unwrap() - e.amount,
                e.remaining_after.unwrap()
            );
        } else {
            assert_eq!(e.pool, Pool::Postpaid);
        }
        let ev = by_event
            .entry((&e.tenant_id, &e.idempotency_key))
            .or_default();
        ev.0 += e.amount;
        ev.1 = e.event_amount;
    }
    for r in l.resources.iter().filter(|r| r.kind.is_package()) {
        assert_eq!(
            by_package.get(r.id.as_str()).copied().unwrap_or(0),
            r.used,
            "{}",
            r.id
        );
    }
    for ((t, k), (sum, amount)) in by_event {
        if k != seed::OPENING_KEY {
            assert_eq!(sum, amount, "event {t}/{k}");
        }
    }
}

proptest! {
    #[test]
    fn the_ledger_adds_up_after_any_metering(steps in prop::collection::vec(step(), 1..40)) {
        let mut l = seed::demo(now());
        assert_ledger_adds_up(&l);
        let ids = ids();
        let mut at = now();
        for s in steps {
            match s {
                Step::Meter(t, kind, amount, key) => {
                    let _ = engine::advance(&mut l, t, at).and_then(|_| engine::report_usage(&mut l, &ReportUsageRequest {
                        tenant_id: t.into(), kind, amount, idempotency_key: format!("k{key}-{amount}-{kind:?}"),
                    }, at));
                }
                Step::Renew(i, months) => {
                    let _ = l.act::<def::RenewResource>(seed::users::ACME_MAIN, &RenewRequest { resource_id: ids[i].clone(), months }, at);
                }
                Step::Postpaid(on) => {
                    let _ = l.act::<def::ModifyPostpaidSetting>(seed::users::ACME_MAIN, &ModifyPostpaidRequest { enabled: on }, at);
                }
                Step::Clock(secs) => at += Duration::seconds(secs),
            }
            assert_ledger_adds_up(&l);
        }
    }
}

/// The forecast in the list row of the package `id` (Acme's main account).
fn row_forecast(l: &mut Ledger, id: &str) -> Forecast {
    l.act::<def::DescribeResources>(
        seed::users::ACME_MAIN,
        &ListResourcesRequest {
            tab: Tab::PayAsYouGo,
            status: None,
            search: id.into(),
            sort: SortKey::ExpiresAsc,
            page_number: 1,
            page_size: 10,
        },
        now(),
    )
    .unwrap()
    .items[0]
        .forecast
        .clone()
        .expect("a forecast")
}

#[test]
fn metering_adds_ledger_lines_and_moves_the_forecast() {
    let mut l = seed::demo(now());
    let before = row_forecast(&mut l, "res-search-trial");
    l.act::<def::ReportUsage>(
        "",
        &ReportUsageRequest {
            tenant_id: seed::ACME.into(),
            kind: ResourceKind::SearchPackage,
            amount: 700,
            idempotency_key: "burst".into(),
        },
        now(),
    )
    .unwrap();
    let after = row_forecast(&mut l, "res-search-trial");
    assert!(after.per_day > before.per_day, "{before:?} then {after:?}");
    let page = engine::deductions(
        &mut l,
        seed::users::ACME_MAIN,
        &DeductionsRequest {
            resource_id: Some("res-search-trial".into()),
            kind: None,
            from: None,
            until: None,
            page_number: 1,
            page_size: 10,
        },
    )
    .unwrap();
    let e = &page.items[0];
    assert_eq!(
        (e.idempotency_key.as_str(), e.amount, e.pool),
        ("burst", 700, Pool::FreeTrial)
    );
    assert_eq!(
        e.remaining_before.unwrap() - 700,
        e.remaining_after.unwrap()
    );
    // The summary names it, and the notice fired once.
    let sum = l
        .act::<def::DescribeAccountSummary>(seed::users::ACME_MAIN, &Empty {}, now())
        .unwrap();
    assert!(sum
        .running_out
        .iter()
        .any(|r| r.resource.id == "res-search-trial"));
    let running: Vec<_> = l
        .notices
        .iter()
        .filter(|n| n.notice == Notice::RunningOut && n.resource_id == "res-search-trial")
        .collect();
    assert_eq!(running.len(), 1);
}

#[test]
fn deductions_are_refused_for_another_tenants_package_and_bad_filters() {
    let mut l = seed::demo(now());
    let q = |id: Option<&str>, kind: Option<ResourceKind>| DeductionsRequest {
        resource_id: id.map(Into::into),
        kind,
        from: None,
        until: None,
        page_number: 1,
        page_size: 20,
    };
    let globex_pkg = l
        .resources
        .iter()
        .find(|r| r.tenant_id == seed::GLOBEX)
        .unwrap()
        .id
        .clone();
    let e = engine::deductions(&mut l, seed::users::ACME_MAIN, &q(Some(&globex_pkg), None))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::ResourceNotFound);
    let e = engine::deductions(
        &mut l,
        seed::users::ACME_MAIN,
        &q(None, Some(ResourceKind::ConcurrencyQuota)),
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidParameterValue);
    // A sub-account reads the account's ledger too (read-only).
    let page = engine::deductions(&mut l, seed::users::ACME_SUB, &q(None, None)).unwrap();
    assert!(page.total > 0);
    assert!(page.items.iter().all(|e| e.tenant_id == seed::ACME));
}

#[test]
fn a_walk_through_very_many_packages_stops_and_says_so() {
    // 80 big search packages expiring an hour apart: at the seeded pace
    // each expires nearly unused, and usage flows on to the next. The walk
    // stops after 32 and says no more than "not reached before".
    let mut l = seed::demo(now());
    for i in 0..80 {
        let mut r = package(
            &format!("res-many-{i:02}"),
            Source::Purchased,
            1_000_000,
            0,
            40,
        );
        r.tenant_id = seed::ACME.into();
        r.kind = ResourceKind::SearchPackage;
        r.expires_at = now() + Duration::days(40) + Duration::hours(i);
        l.resources.push(r);
    }
    assert!(matches!(
        row_forecast(&mut l, "res-many-10").outcome,
        Outcome::UnusedAtExpiry { .. }
    ));
    let Outcome::NotReachedBefore { at } = row_forecast(&mut l, "res-many-79").outcome else {
        panic!("{:?}", row_forecast(&mut l, "res-many-79").outcome);
    };
    assert!(at > now() + Duration::days(40), "{at}");
}

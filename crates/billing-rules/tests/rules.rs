//! Each rule at its edges.

use billing_rules::actions::{def, Empty};
use billing_rules::api::*;
use billing_rules::deduction::{self, DeductionError};
use billing_rules::expiry::{badge, days_left, ExpiryBadge};
use billing_rules::knowledge::{
    self, KnowledgeItem, KnowledgeItemKind, KnowledgeState, RestoreRefusal,
};
use billing_rules::model::*;
use billing_rules::postpaid::{self, PostpaidState, Refusal};
use billing_rules::reminders::{self, Fired, Notice, Reminder, Threshold};
use billing_rules::seed::{self, users};
use billing_rules::status::{status, Status};
use billing_rules::usage::{alert_level, used_percent, AlertLevel};
use billing_rules::{format, query};
use chrono::{DateTime, Duration, TimeZone, Utc};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()
}

fn pkg(id: &str, source: Source, total: u64, used: u64, expires_in: Duration) -> Resource {
    Resource {
        id: id.into(),
        tenant_id: "t".into(),
        name: id.into(),
        kind: ResourceKind::TokenPackage,
        source,
        total,
        used,
        effective_at: t0() - Duration::days(1),
        expires_at: t0() + expires_in,
        model: None,
        refunded: false,
    }
}

#[test]
fn usage_alert_edges() {
    assert_eq!(
        alert_level(900, 1000),
        AlertLevel::Normal,
        "exactly 90% is not above 90%"
    );
    assert_eq!(alert_level(901, 1000), AlertLevel::NearlyExhausted);
    assert_eq!(alert_level(999, 1000), AlertLevel::NearlyExhausted);
    assert_eq!(
        alert_level(1000, 1000),
        AlertLevel::Exhausted,
        "exactly 100%"
    );
    assert_eq!(alert_level(0, 0), AlertLevel::Exhausted);
    assert_eq!(
        used_percent(999, 1000),
        99,
        "rounded down, never shows 100 before it is"
    );
    assert_eq!(used_percent(u64::MAX, u64::MAX), 100);
}

#[test]
fn status_precedence() {
    let now = t0();
    let mut r = pkg("a", Source::Purchased, 10, 3, Duration::days(3));
    assert_eq!(status(&r, now), Status::Available);
    r.used = 10;
    assert_eq!(status(&r, now), Status::Exhausted);
    assert_eq!(
        status(&r, r.expires_at),
        Status::Expired,
        "expired at the instant of expiry"
    );
    assert_eq!(
        status(&r, r.expires_at - Duration::seconds(1)),
        Status::Exhausted
    );
    r.effective_at = now + Duration::hours(1);
    r.used = 0;
    assert_eq!(status(&r, now), Status::NotYetEffective);
    r.refunded = true;
    assert_eq!(status(&r, now), Status::Refunded);
    // A prepaid quota at its ceiling stays in force.
    let mut q = pkg("q", Source::Purchased, 5, 5, Duration::days(3));
    q.kind = ResourceKind::ConcurrencyQuota;
    assert_eq!(status(&q, now), Status::Available);
    assert_eq!(Status::DEFAULT_FILTER, Status::Available);
}

#[test]
fn expiry_badge_edges() {
    let now = t0();
    let at = |d: Duration| badge(now + d, now);
    assert_eq!(
        at(Duration::days(30) + Duration::seconds(1)),
        ExpiryBadge::None
    );
    assert_eq!(
        at(Duration::days(30)),
        ExpiryBadge::Within30 { days: 30 },
        "exactly 30 days"
    );
    assert_eq!(
        at(Duration::days(7) + Duration::seconds(1)),
        ExpiryBadge::Within30 { days: 8 }
    );
    assert_eq!(at(Duration::days(7)), ExpiryBadge::Within7 { days: 7 });
    assert_eq!(
        at(Duration::days(1) + Duration::seconds(1)),
        ExpiryBadge::Within7 { days: 2 }
    );
    assert_eq!(at(Duration::days(1)), ExpiryBadge::Within1 { hours: 24 });
    assert_eq!(at(Duration::seconds(1)), ExpiryBadge::Within1 { hours: 1 });
    assert_eq!(at(Duration::zero()), ExpiryBadge::Expired);
    assert_eq!(
        days_left(now + Duration::days(29) + Duration::seconds(1), now),
        30
    );
    assert_eq!(days_left(now - Duration::days(2), now), 0);
}

#[test]
fn postpaid_cooldown_one_second_before_the_hour() {
    let main = User {
        id: "m".into(),
        tenant_id: "t".into(),
        name: "M".into(),
        role: Role::MainAccount,
        postpaid_permission: false,
    };
    let acct = Account {
        tenant_id: "t".into(),
        name: "T".into(),
        balance_cents: 100,
        currency: "USD".into(),
    };
    let mut st = PostpaidState {
        enabled: false,
        last_enabled_at: None,
        changed_at: None,
        changed_by: None,
    };
    let now = t0();
    assert_eq!(postpaid::check_change(&main, &acct, &st, true, now), Ok(()));
    assert!(postpaid::apply_change(&mut st, true, "m", now));
    assert_eq!(
        postpaid::check_change(&main, &acct, &st, false, now),
        Ok(()),
        "disabling is never blocked"
    );
    postpaid::apply_change(&mut st, false, "m", now + Duration::seconds(5));
    let next = now + Duration::hours(1);
    assert_eq!(
        postpaid::check_change(&main, &acct, &st, true, next - Duration::seconds(1)),
        Err(Refusal::Cooldown {
            next_allowed_at: next
        })
    );
    assert_eq!(
        postpaid::check_change(&main, &acct, &st, true, next),
        Ok(())
    );
    assert_eq!(postpaid::next_enable_at(&st, next), None);
}

#[test]
fn postpaid_permission_and_overdue() {
    let acct = Account {
        tenant_id: "t".into(),
        name: "T".into(),
        balance_cents: -5,
        currency: "USD".into(),
    };
    let st = PostpaidState {
        enabled: false,
        last_enabled_at: None,
        changed_at: None,
        changed_by: None,
    };
    let mut sub = User {
        id: "s".into(),
        tenant_id: "t".into(),
        name: "S".into(),
        role: Role::SubAccount,
        postpaid_permission: false,
    };
    assert_eq!(
        postpaid::check_change(&sub, &acct, &st, false, t0()),
        Err(Refusal::NotPermitted)
    );
    sub.postpaid_permission = true;
    assert_eq!(
        postpaid::check_change(&sub, &acct, &st, true, t0()),
        Err(Refusal::Overdue { balance_cents: -5 })
    );
    let on = PostpaidState {
        enabled: true,
        ..st.clone()
    };
    assert_eq!(
        postpaid::check_change(&sub, &acct, &on, false, t0()),
        Ok(()),
        "disable while overdue is allowed"
    );
    let other = User {
        tenant_id: "x".into(),
        ..sub
    };
    assert_eq!(
        postpaid::check_change(&other, &acct, &st, false, t0()),
        Err(Refusal::WrongTenant)
    );
}

#[test]
fn deduction_order_trial_then_soonest_purchased_then_postpaid() {
    let rs = vec![
        pkg("late", Source::Purchased, 100, 0, Duration::days(90)),
        pkg("soon", Source::Purchased, 100, 50, Duration::days(10)),
        pkg("trial", Source::FreeTrial, 100, 90, Duration::days(300)),
        pkg("gone", Source::Purchased, 100, 0, Duration::days(-1)),
    ];
    let d = deduction::plan(&rs, ResourceKind::TokenPackage, 200, true, false, t0()).unwrap();
    let ids: Vec<(&str, u64)> = d
        .draws
        .iter()
        .map(|x| (x.resource_id.as_str(), x.amount))
        .collect();
    assert_eq!(ids, vec![("trial", 10), ("soon", 50), ("late", 100)]);
    assert_eq!(d.postpaid, 40);
    assert_eq!(
        deduction::plan(&rs, ResourceKind::TokenPackage, 200, false, false, t0()),
        Err(DeductionError::Insufficient {
            available: 160,
            requested: 200
        })
    );
    assert_eq!(
        deduction::plan(&rs, ResourceKind::TokenPackage, 1, true, true, t0()),
        Err(DeductionError::Overdue)
    );
    assert!(matches!(
        deduction::plan(&rs, ResourceKind::KnowledgeCapacity, 1, true, false, t0()),
        Err(DeductionError::NotConsumable(_))
    ));
}

#[test]
fn reminders_fire_once_each_and_all_crossed_at_once() {
    let now = t0();
    let mut r = pkg("p", Source::Purchased, 1000, 0, Duration::days(40));
    let mut fired = Fired::default();
    assert!(reminders::fire(&mut fired, &r, now).is_empty());
    // From 0% to 99.5% used in one report: nearly exhausted, and 10/5/1% remaining.
    let before = r.clone();
    r.used = 995;
    let crossed = reminders::newly_crossed((&before, now), (&r, now));
    assert_eq!(
        crossed,
        vec![
            Threshold::Notice(Notice::NearlyExhausted),
            Threshold::Reminder(Reminder::RemainingPercent { percent: 10 }),
            Threshold::Reminder(Reminder::RemainingPercent { percent: 5 }),
            Threshold::Reminder(Reminder::RemainingPercent { percent: 1 }),
        ]
    );
    assert_eq!(reminders::fire(&mut fired, &r, now).len(), 4);
    assert!(
        reminders::fire(&mut fired, &r, now).is_empty(),
        "never twice"
    );
    // Exactly 10% remaining fires the 10% reminder.
    let mut ten = pkg("ten", Source::Purchased, 1000, 900, Duration::days(40));
    assert_eq!(
        reminders::due_reminders(&ten, now),
        vec![Reminder::RemainingPercent { percent: 10 }]
    );
    ten.used = 899;
    assert!(reminders::due_reminders(&ten, now).is_empty());
    // Time passing: exactly 30 days before expiry fires the 30-day notice.
    let later = r.expires_at - Duration::days(30);
    assert_eq!(
        reminders::fire(&mut fired, &r, later),
        vec![Threshold::Notice(Notice::ExpiringSoon { days: 30 })]
    );
    // Server down past the expiry: everything in between fires at once.
    let after = r.expires_at + Duration::hours(1);
    let all = reminders::fire(&mut fired, &r, after);
    assert!(all.contains(&Threshold::Notice(Notice::ExpiringSoon { days: 7 })));
    assert!(all.contains(&Threshold::Notice(Notice::Expired)));
    assert_eq!(
        all.iter()
            .filter(|t| matches!(t, Threshold::Reminder(Reminder::DaysBeforeExpiry { .. })))
            .count(),
        4
    );
}

#[test]
fn prepaid_reminders_are_by_days_only_and_renewal_rearms_them() {
    let now = t0();
    let mut q = pkg("q", Source::Purchased, 10, 10, Duration::days(6));
    q.kind = ResourceKind::ConcurrencyQuota;
    let mut fired = Fired::default();
    assert_eq!(
        reminders::fire(&mut fired, &q, now),
        vec![
            Threshold::Notice(Notice::ExpiringSoon { days: 30 }),
            Threshold::Notice(Notice::ExpiringSoon { days: 7 }),
            Threshold::Reminder(Reminder::DaysBeforeExpiry { days: 7 }),
        ]
    );
    q.expires_at = now + Duration::days(3);
    assert_eq!(
        reminders::fire(&mut fired, &q, now).len(),
        5,
        "a new period warns again"
    );
}

fn item(id: &str, chars: u64, day: i64, state: KnowledgeState) -> KnowledgeItem {
    KnowledgeItem {
        id: id.into(),
        tenant_id: "t".into(),
        name: id.into(),
        kind: KnowledgeItemKind::Document,
        chars,
        created_at: t0() + Duration::days(day),
        state,
    }
}

#[test]
fn knowledge_isolation_keeps_oldest_and_restores_what_fits() {
    use KnowledgeState::*;
    let items = vec![
        item("a", 40, 0, Active),
        item("b", 40, 1, Active),
        item("c", 40, 2, Active),
    ];
    assert_eq!(knowledge::to_isolate(&items, 100), vec!["c".to_string()]);
    assert_eq!(
        knowledge::to_isolate(&items, 120),
        Vec::<String>::new(),
        "exactly at capacity isolates nothing"
    );
    let isolated = vec![
        item("a", 40, 0, Active),
        item("b", 40, 1, Isolated),
        item("c", 30, 2, Isolated),
    ];
    assert_eq!(
        knowledge::restore_plan(&isolated, 60),
        Err(RestoreRefusal::InsufficientCapacity {
            free: 20,
            needed: 30
        })
    );
    assert_eq!(
        knowledge::restore_plan(&isolated, 75),
        Ok(vec!["c".to_string()])
    );
    assert_eq!(
        knowledge::restore_plan(&isolated, 110),
        Ok(vec!["b".to_string(), "c".to_string()])
    );
    assert_eq!(
        knowledge::restore_plan(&items, 1000),
        Err(RestoreRefusal::NothingIsolated)
    );
}

#[test]
fn formats() {
    assert_eq!(format::grouped(0), "0");
    assert_eq!(format::grouped(1_234_567), "1,234,567");
    assert_eq!(format::compact(9_500_000), "9.5M");
    assert_eq!(
        format::compact(1_999_999),
        "1.99M",
        "truncated, not rounded up"
    );
    assert_eq!(format::compact(999), "999");
    // Chinese readers count in 万 and 亿; below 万 the exact figure.
    assert_eq!(format::compact_wan(9_500_000), "950万");
    assert_eq!(format::compact_wan(125_000_000), "1.25亿");
    assert_eq!(
        format::compact_wan(19_999),
        "1.99万",
        "truncated, not rounded up"
    );
    assert_eq!(format::compact_wan(9_999), "9,999");
    assert_eq!(format::compact_wan(1_000_000_000_000), "10,000亿");
    assert_eq!(format::money(-1234, "USD"), "-$12.34");
    assert_eq!(format::money(125_000, "USD"), "$1,250.00");
}

#[test]
fn demo_seed_shows_every_state() {
    let now = t0();
    let mut l = seed::demo(now);
    let acme = l
        .act::<def::DescribeAccountSummary>(users::ACME_MAIN, &Empty {}, now)
        .unwrap();
    assert_eq!(
        acme.nearly_exhausted
            .iter()
            .map(|r| r.id.as_str())
            .collect::<Vec<_>>(),
        vec!["res-tok-95"]
    );
    assert_eq!(
        acme.exhausted
            .iter()
            .map(|r| r.id.as_str())
            .collect::<Vec<_>>(),
        vec!["res-search-out"]
    );
    assert_eq!(
        acme.expiring_7
            .iter()
            .map(|r| r.id.as_str())
            .collect::<Vec<_>>(),
        vec!["res-tok-5d"]
    );
    assert_eq!(
        acme.expiring_30.len(),
        2,
        "search trial (25 d) and concurrency quota (20 d)"
    );
    assert_eq!(acme.expired.len(), 2);
    assert!(
        acme.isolated_documents >= 1,
        "expired capacity isolates knowledge"
    );
    assert!(!acme.account.unwrap().is_overdue());
    let gx = l
        .act::<def::DescribeAccountSummary>(users::GLOBEX_MAIN, &Empty {}, now)
        .unwrap();
    assert!(gx.account.unwrap().is_overdue());
    assert_eq!(gx.expiring_1.len(), 1);
    let q = ListResourcesRequest {
        tab: Tab::PayAsYouGo,
        status: Some(Status::Available),
        search: String::new(),
        sort: SortKey::ExpiresAsc,
        page_number: 1,
        page_size: 10,
    };
    let page = l
        .act::<def::DescribeResources>(users::ACME_MAIN, &q, now)
        .unwrap();
    assert_eq!(
        page.counts,
        StatusCounts {
            available: 4,
            exhausted: 1,
            expired: 1,
            not_yet_effective: 1,
            refunded: 0,
            all: 7
        }
    );
    assert!(
        page.items
            .iter()
            .all(|r| r.resource.tenant_id == seed::ACME),
        "tenants never mix"
    );
    assert!(page
        .items
        .iter()
        .any(|r| r.resource.source == Source::FreeTrial));
    assert!(page
        .items
        .iter()
        .any(|r| r.resource.source == Source::Purchased));
}

#[test]
fn list_validates_filters_searches_and_pages() {
    let now = t0();
    let mut l = seed::demo(now);
    let mut q = ListResourcesRequest {
        tab: Tab::PayAsYouGo,
        status: None,
        search: "TRIAL".into(),
        sort: SortKey::UsageDesc,
        page_number: 1,
        page_size: 10,
    };
    let p = l
        .act::<def::DescribeResources>(users::ACME_MAIN, &q, now)
        .unwrap();
    assert_eq!(
        p.items
            .iter()
            .map(|r| r.resource.id.as_str())
            .collect::<Vec<_>>(),
        vec!["res-tok-trial", "res-search-trial"]
    );
    q.search = String::new();
    q.page_number = 2;
    q.page_size = 10;
    assert!(l
        .act::<def::DescribeResources>(users::ACME_MAIN, &q, now)
        .unwrap()
        .items
        .is_empty());
    q.page_size = 7;
    assert_eq!(
        query::validate(&q).unwrap_err().code,
        ErrorCode::InvalidParameterValue
    );
    q.page_size = 10;
    q.page_number = 0;
    assert_eq!(
        query::validate(&q).unwrap_err().code,
        ErrorCode::InvalidParameterValue
    );
}

#[test]
fn ledger_postpaid_renew_restore_and_metering() {
    let now = t0();
    let mut l = seed::demo(now);
    // Ungranted sub-account is refused, granted one may enable.
    assert_eq!(
        l.act::<def::ModifyPostpaidSetting>(
            users::ACME_SUB,
            &ModifyPostpaidRequest { enabled: true },
            now
        )
        .unwrap_err()
        .code,
        ErrorCode::UnauthorizedOperation
    );
    let v = l
        .act::<def::ModifyPostpaidSetting>(
            users::ACME_SUB_GRANTED,
            &ModifyPostpaidRequest { enabled: true },
            now,
        )
        .unwrap();
    assert!(v.state.enabled);
    assert_eq!(v.history[0].by_name, "Carol Wu (finance)");
    l.act::<def::ModifyPostpaidSetting>(
        users::ACME_MAIN,
        &ModifyPostpaidRequest { enabled: false },
        now,
    )
    .unwrap();
    let e = l
        .act::<def::ModifyPostpaidSetting>(
            users::ACME_MAIN,
            &ModifyPostpaidRequest { enabled: true },
            now + Duration::minutes(59),
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::RequestLimitExceeded);
    assert_eq!(e.next_allowed_at, Some(now + Duration::hours(1)));
    // Overdue tenant cannot enable.
    assert_eq!(
        l.act::<def::ModifyPostpaidSetting>(
            users::GLOBEX_MAIN,
            &ModifyPostpaidRequest { enabled: true },
            now
        )
        .unwrap_err()
        .code,
        ErrorCode::FailedOperationBalanceInsufficient
    );
    // Permissions are the main account's.
    assert_eq!(
        l.act::<def::DescribeSubAccountPermissions>(users::ACME_SUB, &Empty {}, now)
            .unwrap_err()
            .code,
        ErrorCode::UnauthorizedOperation
    );
    assert_eq!(
        l.act::<def::DescribeSubAccountPermissions>(users::ACME_MAIN, &Empty {}, now)
            .unwrap()
            .data
            .len(),
        2
    );
    let req = ModifyPermissionRequest {
        user_id: users::GLOBEX_SUB.into(),
        postpaid_permission: true,
    };
    assert_eq!(
        l.act::<def::ModifySubAccountPermission>(users::ACME_MAIN, &req, now)
            .unwrap_err()
            .code,
        ErrorCode::ResourceNotFound,
        "no reach into another tenant"
    );
    // Restore needs capacity: blocked, then renewing the expired 5M capacity frees room.
    let ku = l
        .act::<def::DescribeKnowledgeUsage>(users::ACME_MAIN, &Empty {}, now)
        .unwrap();
    assert!(ku.restore_blocked.is_some());
    let renew = RenewRequest {
        resource_id: "res-kb-expired".into(),
        months: 1,
    };
    assert_eq!(
        l.act::<def::RenewResource>(users::ACME_SUB_GRANTED, &renew, now)
            .unwrap_err()
            .code,
        ErrorCode::UnauthorizedOperation
    );
    let rr = l
        .act::<def::RenewResource>(users::ACME_MAIN, &renew, now)
        .unwrap();
    assert_eq!(rr.resource.expires_at, now + Duration::days(30));
    assert_eq!(rr.balance_cents, 125_000 - rr.charged_cents);
    let restored = l
        .act::<def::RestoreKnowledge>(users::ACME_MAIN, &Empty {}, now)
        .unwrap();
    assert!(restored.restored_items >= 1);
    assert_eq!(restored.still_isolated, 0);
    // Renewing another tenant's resource by id is "not found".
    let other = RenewRequest {
        resource_id: "res-gx-kb".into(),
        months: 1,
    };
    assert_eq!(
        l.act::<def::RenewResource>(users::ACME_MAIN, &other, now)
            .unwrap_err()
            .code,
        ErrorCode::ResourceNotFound
    );
    // Metering: idempotent, and postpaid off refuses whole.
    let rep = ReportUsageRequest {
        tenant_id: seed::ACME.into(),
        kind: ResourceKind::TokenPackage,
        amount: 1000,
        idempotency_key: "k1".into(),
    };
    let first = l.act::<def::ReportUsage>("", &rep, now).unwrap();
    let again = l.act::<def::ReportUsage>("", &rep, now).unwrap();
    assert_eq!(first, again);
    assert_eq!(
        first.draws[0].resource_id, "res-tok-trial",
        "free trial first"
    );
    let trial_used = l
        .resources
        .iter()
        .find(|r| r.id == "res-tok-trial")
        .unwrap()
        .used;
    assert_eq!(trial_used, 401_000, "a retried key deducts once");
    let huge = ReportUsageRequest {
        amount: 999_000_000,
        idempotency_key: "k2".into(),
        ..rep
    };
    assert_eq!(
        l.act::<def::ReportUsage>("", &huge, now).unwrap_err().code,
        ErrorCode::ResourceInsufficient
    );
}

#[test]
fn knowledge_usage_sends_counts_as_strings() {
    let mut l = seed::demo(t0());
    let ku = l
        .act::<def::DescribeKnowledgeUsage>(users::ACME_MAIN, &Empty {}, t0())
        .unwrap();
    let json = serde_json::to_value(&ku).unwrap();
    assert_eq!(json["AvailableCharSize"], "10000000");
    let back: KnowledgeUsage = serde_json::from_value(json).unwrap();
    assert_eq!(back, ku);
}

#[test]
fn each_kind_says_everything_in_its_spec() {
    use billing_rules::model::Metering;
    for k in ResourceKind::ALL {
        assert_eq!(ResourceKind::from_slug(k.slug()), Some(k));
        assert!(k.tab().kinds().contains(&k));
        // Drawn packages are bought again; everything else renews at a price.
        assert_eq!(k.is_renewable(), k.spec().metering != Metering::Drawn);
        assert_eq!(k.renewal_price_cents(1, 1).is_some(), k.is_renewable());
    }
    // $30 per concurrent request per month.
    assert_eq!(
        ResourceKind::ConcurrencyQuota.renewal_price_cents(2, 3),
        Some(18_000)
    );
    // $2 per million characters per month, at least $1.
    assert_eq!(
        ResourceKind::KnowledgeCapacity.renewal_price_cents(10_000_000, 1),
        Some(2_000)
    );
    assert_eq!(
        ResourceKind::KnowledgeCapacity.renewal_price_cents(1_000, 2),
        Some(200)
    );
    assert_eq!(
        ResourceKind::TokenPackage.renewal_price_cents(1_000, 2),
        None
    );
    // Absurd totals do not overflow into a wrong price.
    assert!(ResourceKind::ConcurrencyQuota
        .renewal_price_cents(u64::MAX, 36)
        .is_none());
}

/// The knowledge capacity rows say what the knowledge panel says: the
/// characters stored fill the capacity in force, the one expiring first
/// first; expired capacity holds none.
#[test]
fn knowledge_capacity_rows_show_the_characters_stored() {
    let now = Utc::now();
    let mut l = seed::demo(now);
    let ku = l
        .act::<def::DescribeKnowledgeUsage>(users::ACME_MAIN, &Empty {}, now)
        .unwrap();
    assert!(ku.used_char_size > 0);
    let q = ListResourcesRequest {
        tab: Tab::KnowledgeBase,
        status: None,
        search: String::new(),
        sort: SortKey::ExpiresAsc,
        page_number: 1,
        page_size: 50,
    };
    let page = l
        .act::<def::DescribeResources>(users::ACME_MAIN, &q, now)
        .unwrap();
    let in_force: Vec<_> = page
        .items
        .iter()
        .filter(|r| r.status == Status::Available)
        .collect();
    assert!(!in_force.is_empty());
    assert_eq!(
        in_force.iter().map(|r| r.resource.used).sum::<u64>(),
        ku.used_char_size,
        "rows and panel agree"
    );
    assert!(in_force.iter().all(|r| r.resource.used <= r.resource.total));
    for r in page.items.iter().filter(|r| r.status != Status::Available) {
        assert_eq!(r.resource.used, 0, "{} holds nothing", r.resource.id);
    }
}

//! The notification engine, usage history and CSV export.

use billing_rules::actions::def;
use billing_rules::api::*;
use billing_rules::model::*;
use billing_rules::notify::{self, Granularity, NextReminder};
use billing_rules::reminders::{Notice, Reminder};
use billing_rules::seed::{self, users};
use billing_rules::status::Status;
use chrono::{DateTime, Duration, TimeZone, Utc};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()
}

fn notices_of(l: &billing_rules::Ledger, id: &str) -> Vec<Notice> {
    l.notices
        .iter()
        .filter(|n| n.resource_id == id)
        .map(|n| n.notice)
        .collect()
}

#[test]
fn seed_fires_what_is_due_once() {
    let mut l = seed::demo(t0());
    assert_eq!(notices_of(&l, "res-tok-95"), vec![Notice::NearlyExhausted]);
    assert_eq!(
        notices_of(&l, "res-tok-5d"),
        vec![
            Notice::ExpiringSoon { days: 30 },
            Notice::ExpiringSoon { days: 7 }
        ],
        "several thresholds crossed at once each fire"
    );
    let before = (l.notices.len(), l.outbox.len());
    assert!(l.fire_due(t0()).is_empty(), "nothing fires twice");
    assert_eq!((l.notices.len(), l.outbox.len()), before);
    let msgs: Vec<Reminder> = l
        .outbox
        .iter()
        .filter(|m| m.resource_id == "res-tok-5d")
        .map(|m| m.reminder)
        .collect();
    assert_eq!(
        msgs,
        vec![
            Reminder::DaysBeforeExpiry { days: 7 },
            Reminder::DaysBeforeExpiry { days: 5 }
        ]
    );
    assert!(
        l.outbox.iter().all(|m| m.channels.len() == 3),
        "in-site message, SMS and email"
    );
}

#[test]
fn metering_crossing_thresholds_fires_each_once() {
    let mut l = seed::demo(t0());
    // The tenants that got a notice or reminder from the metering event.
    let report = |l: &mut billing_rules::Ledger, amount: u64, key: &str| {
        let before = l.message_seq.clone();
        l.act::<def::ReportUsage>(
            "",
            &ReportUsageRequest {
                tenant_id: seed::ACME.into(),
                kind: ResourceKind::SearchPackage,
                amount,
                idempotency_key: key.into(),
            },
            t0(),
        )
        .unwrap();
        assert!(
            l.fire_due(t0()).is_empty(),
            "the change fired what it made due"
        );
        l.message_seq
            .iter()
            .filter(|(t, n)| before.get(*t) != Some(*n))
            .map(|(t, _)| t.clone())
            .collect::<Vec<_>>()
    };
    // The search trial has 880 calls left of 1000, which the week's pace
    // uses up within 7 days (noticed at the seed, once): draw 790 -> 90 left
    // (9%).
    assert_eq!(report(&mut l, 790, "a"), vec![seed::ACME.to_string()]);
    assert_eq!(
        notices_of(&l, "res-search-trial"),
        vec![
            Notice::ExpiringSoon { days: 30 },
            Notice::RunningOut,
            Notice::NearlyExhausted
        ]
    );
    let pct: Vec<Reminder> = l
        .outbox
        .iter()
        .filter(|m| m.resource_id == "res-search-trial")
        .map(|m| m.reminder)
        .collect();
    assert_eq!(pct, vec![Reminder::RemainingPercent { percent: 10 }]);
    // 90 -> 0 in one report: exhausted, and 5% and 1% both fire.
    report(&mut l, 90, "b");
    assert_eq!(
        notices_of(&l, "res-search-trial").last(),
        Some(&Notice::Exhausted)
    );
    let pct: Vec<Reminder> = l
        .outbox
        .iter()
        .filter(|m| m.resource_id == "res-search-trial")
        .map(|m| m.reminder)
        .collect();
    assert_eq!(pct.len(), 3);
    // Both search packages are used up and postpaid is off: refused, nothing new fires.
    let n = l.notices.len();
    let refused = l.act::<def::ReportUsage>(
        "",
        &ReportUsageRequest {
            tenant_id: seed::ACME.into(),
            kind: ResourceKind::SearchPackage,
            amount: 1,
            idempotency_key: "c".into(),
        },
        t0(),
    );
    assert_eq!(refused.unwrap_err().code, ErrorCode::ResourceInsufficient);
    assert!(l.fire_due(t0()).is_empty());
    assert_eq!(l.notices.len(), n);
}

#[test]
fn restart_catches_up_without_repeating() {
    let mut l = seed::demo(t0());
    // Persist and "restart" 8 days later: the 2M package (5 days left) expired meanwhile.
    let json = serde_json::to_string(&l).unwrap();
    let mut restarted: billing_rules::Ledger = serde_json::from_str(&json).unwrap();
    let later = t0() + Duration::days(8);
    restarted.fire_due(later);
    let n = notices_of(&restarted, "res-tok-5d");
    assert_eq!(
        n.iter().filter(|x| **x == Notice::Expired).count(),
        1,
        "came due while down, fired once"
    );
    assert_eq!(
        n.iter()
            .filter(|x| **x == Notice::ExpiringSoon { days: 1 })
            .count(),
        1
    );
    let again = restarted.notices.len();
    restarted.fire_due(later + Duration::minutes(1));
    assert_eq!(
        restarted.notices.len(),
        again,
        "a second sweep creates nothing"
    );
    l.fire_due(later);
    assert_eq!(
        l.notices.len(),
        restarted.notices.len(),
        "same result with or without the restart"
    );
}

fn all_notices(l: &mut billing_rules::Ledger, user: &str) -> NoticePage {
    l.act::<def::DescribeNotices>(
        user,
        &NoticesRequest {
            page_number: 1,
            page_size: 100,
            unread_only: false,
        },
        t0(),
    )
    .unwrap()
}

#[test]
fn notices_are_per_tenant_unread_first_and_read_per_user() {
    let mut l = seed::demo(t0());
    let page = all_notices(&mut l, users::ACME_MAIN);
    assert!(page.total > 0 && page.unread_count == page.total);
    assert!(
        page.items
            .iter()
            .all(|n| !n.resource_id.starts_with("res-gx-")),
        "tenant scoped"
    );
    let first = page.items[0].id.clone();
    let left = l
        .act::<def::MarkNoticesRead>(
            users::ACME_MAIN,
            &MarkNoticesReadRequest {
                notice_ids: vec![first.clone()],
                all: false,
            },
            t0(),
        )
        .unwrap();
    assert_eq!(left.unread_count, page.total - 1);
    let page = all_notices(&mut l, users::ACME_MAIN);
    assert_eq!(
        page.items.last().unwrap().id,
        first,
        "read ones sink below unread"
    );
    let bob = l
        .act::<def::DescribeNotices>(
            users::ACME_SUB,
            &NoticesRequest {
                page_number: 1,
                page_size: 100,
                unread_only: true,
            },
            t0(),
        )
        .unwrap();
    assert_eq!(bob.unread_count, page.total, "read state is per user");
    let gx_id = l
        .notices
        .iter()
        .find(|n| n.tenant_id == seed::GLOBEX)
        .unwrap()
        .id
        .clone();
    let e = l
        .act::<def::MarkNoticesRead>(
            users::ACME_MAIN,
            &MarkNoticesReadRequest {
                notice_ids: vec![gx_id],
                all: false,
            },
            t0(),
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::ResourceNotFound);
    assert_eq!(
        l.act::<def::MarkNoticesRead>(
            users::ACME_MAIN,
            &MarkNoticesReadRequest {
                notice_ids: vec![],
                all: true
            },
            t0()
        )
        .unwrap()
        .unread_count,
        0
    );
}

#[test]
fn history_buckets_by_day_and_hour() {
    let mut l = seed::demo(t0());
    let day = l
        .act::<def::DescribeUsageHistory>(
            users::ACME_MAIN,
            &UsageHistoryRequest {
                kind: ResourceKind::TokenPackage,
                granularity: Granularity::Day,
                by_pool: false,
            },
            t0(),
        )
        .unwrap();
    assert_eq!(day.points.len(), 30);
    assert!(day.points.windows(2).all(|w| w[1].x - w[0].x == 86_400));
    assert!(day.points.iter().any(|p| p.y > 0));
    let hour = l
        .act::<def::DescribeUsageHistory>(
            users::ACME_MAIN,
            &UsageHistoryRequest {
                kind: ResourceKind::ConcurrencyQuota,
                granularity: Granularity::Hour,
                by_pool: false,
            },
            t0(),
        )
        .unwrap();
    assert_eq!(hour.points.len(), 48);
    assert!(
        hour.points.iter().all(|p| p.y <= 11),
        "concurrency is a peak, not a sum"
    );
    let recs = vec![
        notify::UsageRecord {
            tenant_id: "t".into(),
            kind: ResourceKind::TokenPackage,
            amount: 5,
            at: t0() - Duration::minutes(1)
        };
        3
    ];
    let pts = notify::history(
        &recs,
        "t",
        ResourceKind::TokenPackage,
        Granularity::Hour,
        t0(),
    );
    assert_eq!(pts[46].y, 15, "summed within the bucket");
    assert_eq!(pts[47].y, 0);
}

#[test]
fn next_reminder_by_usage_then_by_date() {
    let l = seed::demo(t0());
    let r = l
        .resources
        .iter()
        .find(|r| r.id == "res-tok-trial")
        .unwrap();
    assert_eq!(
        notify::next_reminder(r, t0()),
        Some(NextReminder {
            reminder: Reminder::RemainingPercent { percent: 10 },
            at: None
        })
    );
    let q = l.resources.iter().find(|r| r.id == "res-conc-20d").unwrap();
    assert_eq!(
        notify::next_reminder(q, t0()),
        Some(NextReminder {
            reminder: Reminder::DaysBeforeExpiry { days: 7 },
            at: Some(q.expires_at - Duration::days(7))
        })
    );
}

#[test]
fn csv_round_trips_awkward_names_with_zones() {
    let mut l = seed::demo(t0());
    l.resources[0].name = "Tokens, \"big\" pack\nline two".into();
    let page = l
        .act::<def::DescribeResources>(
            users::ACME_MAIN,
            &ListResourcesRequest {
                tab: Tab::PayAsYouGo,
                status: None,
                search: String::new(),
                sort: SortKey::ExpiresAsc,
                page_number: 1,
                page_size: 50,
            },
            t0(),
        )
        .unwrap();
    let text = billing_rules::csv::to_csv(&page.items, billing_rules::csv::HEADER, |_| 8 * 3600);
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        rdr.headers().unwrap().iter().collect::<Vec<_>>(),
        billing_rules::csv::HEADER.to_vec()
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), page.items.len());
    let awkward = rows.iter().find(|r| &r[0] == "res-tok-trial").unwrap();
    assert_eq!(&awkward[1], "Tokens, \"big\" pack\nline two");
    assert!(awkward[9].ends_with("(UTC+8)"), "{}", &awkward[9]);
    assert_eq!(&awkward[4], Status::Available.slug());
}

#[test]
fn csv_cells_never_run_as_formulas() {
    use billing_rules::csv::neutralise;
    for evil in [
        "=HYPERLINK(\"http://x\")",
        "+1+1",
        "-2+3",
        "@SUM(A1)",
        "\tx",
        "\rx",
    ] {
        assert!(neutralise(evil).starts_with('\''), "{evil:?}");
    }
    assert_eq!(neutralise("Token package 2M"), "Token package 2M");
    let mut l = seed::demo(t0());
    l.resources[0].name = "=cmd|' /C calc'!A0".into();
    let q = billing_rules::api::ListResourcesRequest {
        tab: l.resources[0].kind.tab(),
        status: None,
        search: String::new(),
        sort: Default::default(),
        page_number: 1,
        page_size: 50,
    };
    let page = l
        .act::<def::DescribeResources>(users::ACME_MAIN, &q, t0())
        .unwrap();
    let text = billing_rules::csv::to_csv(&page.items, billing_rules::csv::HEADER, |_| 0);
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let names: Vec<String> = rdr.records().map(|r| r.unwrap()[1].to_string()).collect();
    assert!(
        names.contains(&"'=cmd|' /C calc'!A0".to_string()),
        "{names:?}"
    );
}

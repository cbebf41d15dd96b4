//! Run-out forecasts in the rows, the attention line, the postpaid page's
//! run-out lines, and the deductions view, on the mock store with a fixed
//! clock, asserted by role, accessible name and text.
#![cfg(target_arch = "wasm32")]

mod common;

use billing_console::pages::deductions::to_csv;
use billing_rules::api::ReportUsageRequest;
use billing_rules::deduction::{DeductionEntry, Pool};
use billing_rules::model::ResourceKind;
use billing_rules::seed::{self, users};
use common::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn meter(kind: ResourceKind, amount: u64, key: &str) -> ReportUsageRequest {
    ReportUsageRequest {
        tenant_id: seed::ACME.into(),
        kind,
        amount,
        idempotency_key: key.into(),
    }
}

fn forecast_of(row: &web_sys::Element) -> web_sys::Element {
    row.query_selector("[data-forecast]")
        .unwrap()
        .expect("a forecast in the row")
}

#[wasm_bindgen_test]
async fn rows_say_when_packages_run_out_or_what_expires_unused() {
    let h = mount("/pay-as-you-go");
    let annual = wait_for("annual row", || {
        row_with(&h.root, "Token package 10M (annual)")
    })
    .await;
    let text = text(&forecast_of(&annual));
    assert!(
        text.starts_with("At the last 7 days' pace: runs out around ")
            && text.contains("days before it expires"),
        "{text}"
    );
    assert!(text.contains("(UTC"), "the date carries its zone: {text}");
    // The trial is drawn first: the purchased 2M package expires in 5 days
    // with its quota untouched.
    let two_m = row_with(&h.root, "Token package 2M").unwrap();
    assert!(
        common::text(&forecast_of(&two_m))
            .contains("expires with about 85% unused (1,700,000 tokens)"),
        "{}",
        common::text(&two_m)
    );
    // Running out within the week reads as a warning; the rest do not.
    let search = row_with(&h.root, "Search trial package").unwrap();
    assert!(forecast_of(&search).class_name().contains("forecast--soon"));
    assert!(!forecast_of(&annual).class_name().contains("forecast--soon"));
}

#[wasm_bindgen_test]
async fn the_attention_area_and_the_notification_center_name_a_package_running_out() {
    let h = mount("/pay-as-you-go");
    let soon = wait_for("coming-up line", || {
        h.root
            .query_selector("[role=status][data-attention=soon]")
            .unwrap()
    })
    .await;
    assert!(
        common::text(&soon).contains("1 running out within 7 days"),
        "{}",
        common::text(&soon)
    );
    click(&get(&h.root, "button", "Show details").await).await;
    let line = wait_for("running-out detail", || {
        h.root.query_selector("[data-banner=running-out]").unwrap()
    })
    .await;
    assert_eq!(
        common::text(&line),
        "1 package runs out within 7 days at the recent pace: “Search trial package”.View forecasts"
    );
    click(&get(&h.root, "button", &bell_name(&h)).await).await;
    let panel = get(&h.root, "region", "Notification Center").await;
    wait_text(
        &panel,
        "Runs out within 7 days at the recent pace: “Search trial package”",
    )
    .await;
}

fn bell_name(h: &Harness) -> String {
    let n = h.store.with_ledger(|l| {
        l.notices
            .iter()
            .filter(|n| n.tenant_id == seed::ACME)
            .count()
    });
    format!("Notifications, {n} unread")
}

#[wasm_bindgen_test]
async fn metering_moves_the_forecast_without_a_reload() {
    let h = mount("/pay-as-you-go");
    let row = wait_for("trial row", || {
        row_with(&h.root, "Model token trial package")
    })
    .await;
    let before = common::text(&forecast_of(&row));
    // A burst of 400,000 tokens now: the trial's pace jumps.
    h.store
        .report_usage(&meter(ResourceKind::TokenPackage, 400_000, "burst"))
        .unwrap();
    wait_for("a new forecast", || {
        let now = row_with(&h.root, "Model token trial package")
            .map(|r| common::text(&forecast_of(&r)))?;
        (now != before).then_some(())
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_row_links_to_its_deductions_and_the_view_pages_and_exports() {
    let h = mount_as("/pay-as-you-go", users::ACME_MAIN, |store| {
        for i in 0..25 {
            store
                .report_usage(&meter(
                    ResourceKind::SearchPackage,
                    1,
                    &format!("call-{i:02}"),
                ))
                .unwrap();
        }
    });
    let link = get(&h.root, "link", "Deductions of “Search trial package”").await;
    click(&link).await;
    get(&h.root, "heading", "Deductions of res-search-trial").await;
    assert_eq!(
        location(),
        ("/deductions".into(), "?resource=res-search-trial".into())
    );
    // 25 events and the usage from before the ledger began: two pages of 20.
    wait_text(&h.root, "26 lines").await;
    wait_text(&h.root, "Page 1 of 2").await;
    let newest = row_with(&h.root, "call-24").expect("the newest line first");
    let t = common::text(&newest);
    assert!(
        t.contains("Free trial") && t.contains("1 call") && t.contains("856 → 855"),
        "{t}"
    );
    click(&get(&h.root, "button", "Next page").await).await;
    wait_text(&h.root, "Page 2 of 2").await;
    wait_for("the opening line", || {
        row_with(&h.root, "Usage before the ledger began")
    })
    .await;
    assert_eq!(location().1, "?resource=res-search-trial&page=2");
    click(&get(&h.root, "button", "Export CSV").await).await;
    wait_text(
        &h.root,
        "Exported 26 rows to deductions-res-search-trial.csv.",
    )
    .await;
}

#[wasm_bindgen_test]
async fn the_account_view_filters_by_type() {
    let h = mount_as(
        "/deductions?kind=search-package",
        users::ACME_SUB,
        |store| {
            store
                .report_usage(&meter(ResourceKind::TokenPackage, 5, "tok"))
                .unwrap();
            store
                .report_usage(&meter(ResourceKind::SearchPackage, 5, "srch"))
                .unwrap();
        },
    );
    get(&h.root, "heading", "Deductions").await;
    wait_for("the search line", || row_with(&h.root, "srch")).await;
    assert!(
        row_with(&h.root, "tok").is_none(),
        "token lines are filtered out"
    );
    let kinds: Vec<String> = all(&h.root, "row")
        .iter()
        .skip(1)
        .map(common::text)
        .collect();
    assert!(
        kinds.iter().all(|r| r.contains("Search package")),
        "{kinds:?}"
    );
}

#[wasm_bindgen_test]
async fn the_postpaid_page_says_when_packages_run_out_and_what_postpaid_then_costs() {
    let h = mount("/postpaid");
    get(&h.root, "heading", "When packages run out").await;
    let search = wait_for("the search line", || {
        h.root.query_selector("[data-kind=search-package]").unwrap()
    })
    .await;
    let t = common::text(&search);
    assert!(
        t.starts_with("Search package: packages last until about ")
            && t.contains("postpaid would cost about $"),
        "{t}"
    );
}

#[wasm_bindgen_test]
async fn forecasts_read_in_chinese() {
    let h = mount_in("zh", "/pay-as-you-go", users::ACME_MAIN, |_| {});
    let row = wait_for("annual row", || {
        row_with(&h.root, "Token package 10M (annual)")
    })
    .await;
    let t = common::text(&forecast_of(&row));
    assert!(
        t.starts_with("按最近 7 天的用量速度：预计 ") && t.contains("前后用完"),
        "{t}"
    );
}

#[wasm_bindgen_test]
fn the_csv_is_machine_readable_and_never_a_formula() {
    let line = DeductionEntry {
        tenant_id: seed::ACME.into(),
        at: t0(),
        idempotency_key: "=HYPERLINK(\"x\")".into(),
        kind: ResourceKind::TokenPackage,
        pool: Pool::Postpaid,
        resource_id: None,
        resource_name: None,
        amount: 12,
        remaining_before: None,
        remaining_after: None,
        event_amount: 40,
    };
    let csv = to_csv(&[line], billing_console::i18n::Locale::en);
    let rows: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(
        rows[0],
        "Time,Event key,Type,Paid by,Package ID,Package,Amount,Remaining before,Remaining after,Event amount"
    );
    assert!(
        rows[1].contains(",\"'=HYPERLINK(\"\"x\"\")\",token-package,Postpaid,,,12,,,40"),
        "{}",
        rows[1]
    );
}

#[wasm_bindgen_test]
async fn the_usage_chart_splits_by_who_paid() {
    let h = mount_as("/pay-as-you-go", users::ACME_MAIN, |store| {
        store
            .report_usage(&meter(ResourceKind::TokenPackage, 250_000, "split"))
            .unwrap();
    });
    let split = get(&h.root, "button", "Split by who paid").await;
    assert_eq!(
        split.get_attribute("aria-pressed").as_deref(),
        Some("false")
    );
    click(&split).await;
    let legend = wait_for("the legend", || {
        h.root.query_selector(".chart-legend").unwrap()
    })
    .await;
    for name in ["Free trial", "Purchased", "Postpaid", "Before the ledger"] {
        assert!(common::text(&legend).contains(name), "{name}");
    }
    // Today's bar: the trial paid the 250,000 metered now.
    let table = h.root.query_selector(".chart-table").unwrap().unwrap();
    let last = all(&table, "row").pop().unwrap();
    assert!(
        common::text(&last).contains("250,000"),
        "{}",
        common::text(&last)
    );
}

//! Notification Center, live updates, usage chart and CSV export, on the
//! mock store with a fixed clock.
#![cfg(target_arch = "wasm32")]

mod common;

use billing_rules::api::ReportUsageRequest;
use billing_rules::model::ResourceKind;
use billing_rules::seed::{self, users};
use common::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn acme_notices(h: &Harness) -> usize {
    h.store.with_ledger(|l| {
        l.notices
            .iter()
            .filter(|n| n.tenant_id == seed::ACME)
            .count()
    })
}

#[wasm_bindgen_test]
async fn bell_counts_unread_and_the_panel_marks_read() {
    let h = mount("/pay-as-you-go");
    let n = acme_notices(&h);
    assert!(n > 3);
    let bell = get(&h.root, "button", &format!("Notifications, {n} unread")).await;
    assert_eq!(
        bell.get_attribute("aria-expanded").as_deref(),
        Some("false")
    );
    assert!(
        find(&h.root, "status", &format!("Notifications, {n} unread")).is_some(),
        "announced to screen readers"
    );
    click(&bell).await;
    let panel = get(&h.root, "region", "Notification Center").await;
    assert_eq!(bell.get_attribute("aria-expanded").as_deref(), Some("true"));
    let link = get(
        &panel,
        "link",
        "Nearly exhausted (over 90% used): “Token package 10M (annual)”",
    )
    .await;
    assert_eq!(
        link.get_attribute("href").as_deref(),
        Some("/pay-as-you-go?status=all&q=res-tok-95")
    );
    click(
        &get(
            &panel,
            "button",
            "Mark read: Nearly exhausted (over 90% used): “Token package 10M (annual)”",
        )
        .await,
    )
    .await;
    get(
        &h.root,
        "button",
        &format!("Notifications, {} unread", n - 1),
    )
    .await;
    click(&get(&h.root, "button", "Mark all read").await).await;
    get(&h.root, "button", "Notifications, none unread").await;
    // Following a notice (the panel is still open) shows its row.
    let panel = get(&h.root, "region", "Notification Center").await;
    click(&get(&panel, "link", "“Search package 10K calls”").await).await;
    wait_for("filtered to the resource", || {
        (location().1 == "?status=all&q=res-search-out").then_some(())
    })
    .await;
    wait_for("row", || row_with(&h.root, "Search package 10K calls")).await;
    assert!(
        find(&h.root, "region", "Notification Center").is_none(),
        "panel closes"
    );
}

#[wasm_bindgen_test]
async fn metering_updates_bar_and_bell_without_reload() {
    let h = mount("/pay-as-you-go");
    let n = acme_notices(&h);
    get(&h.root, "button", &format!("Notifications, {n} unread")).await;
    let bar = get(&h.root, "progressbar", "Usage of Search trial package").await;
    assert_eq!(bar.get_attribute("aria-valuenow").as_deref(), Some("12"));
    h.store
        .report_usage(&ReportUsageRequest {
            tenant_id: seed::ACME.into(),
            kind: ResourceKind::SearchPackage,
            amount: 790,
            idempotency_key: "live".into(),
        })
        .unwrap();
    wait_for("bar moved", || {
        find(&h.root, "progressbar", "Usage of Search trial package")
            .filter(|b| b.get_attribute("aria-valuenow").as_deref() == Some("91"))
    })
    .await;
    get(
        &h.root,
        "button",
        &format!("Notifications, {} unread", n + 1),
    )
    .await;
    if h.root
        .query_selector("#attention-details")
        .unwrap()
        .is_none()
    {
        click(&get(&h.root, "button", "Show details").await).await;
    }
    wait_for("nearly exhausted detail lists it", || {
        h.root
            .query_selector("[data-banner=nearly-exhausted]")
            .unwrap()
            .filter(|b| text(b).contains("Search trial package"))
    })
    .await;
}

#[wasm_bindgen_test]
async fn usage_chart_with_table_fallback() {
    let h = mount("/pay-as-you-go");
    let img = get(&h.root, "img", "Tokens used per day, last 30 days").await;
    assert!(name_of(&img).contains("Total"), "{}", name_of(&img));
    assert_eq!(img.query_selector_all("rect").unwrap().length(), 30);
    let table = h.root.query_selector(".chart-table").unwrap().unwrap();
    assert_eq!(table.query_selector_all("tbody tr").unwrap().length(), 30);
    click(&get(&h.root, "button", "Hourly, 48 hours").await).await;
    let img = get(&h.root, "img", "Tokens used per hour, last 48 hours").await;
    assert_eq!(img.query_selector_all("rect").unwrap().length(), 48);
    click(&get(&h.root, "button", "Search calls").await).await;
    get(&h.root, "img", "Search calls per hour").await;
    drop(h);
    let h = mount("/concurrency");
    let img = get(&h.root, "img", "Peak concurrent requests per day").await;
    assert!(name_of(&img).contains("Highest peak"));
    drop(h);
    let h = mount("/knowledge-base");
    get(&h.root, "button", "Restore isolated knowledge").await;
    assert!(
        find(&h.root, "img", "per day").is_none(),
        "no usage chart for capacity"
    );
}

#[wasm_bindgen_test]
async fn export_csv_and_next_reminders() {
    let h = mount_as("/pay-as-you-go?status=all", users::ACME_MAIN, |_| {});
    wait_for("rows", || row_with(&h.root, "Model token trial package")).await;
    assert!(
        text(&row_with(&h.root, "Model token trial package").unwrap())
            .contains("Next reminder: when 10% remains")
    );
    click(&get(&h.root, "button", "Export CSV").await).await;
    wait_text(
        &h.root,
        "Exported 7 rows to billing-resources-pay-as-you-go.csv.",
    )
    .await;
    drop(h);
    let h = mount("/concurrency");
    wait_for("rows", || row_with(&h.root, "hunyuan-turbo")).await;
    assert!(text(&row_with(&h.root, "hunyuan-turbo").unwrap())
        .contains("Next reminder: 7 days before expiry"));
}

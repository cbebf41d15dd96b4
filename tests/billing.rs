//! Postpaid charges, the monthly budget and alert webhooks, on the mock
//! store with a fixed clock: what is shown, and who may change it.
#![cfg(target_arch = "wasm32")]

mod common;

use billing_rules::billing::OpenHour;
use billing_rules::ledger::PostpaidHour;
use billing_rules::model::ResourceKind;
use billing_rules::seed::users;
use chrono::Duration;
use common::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::Element;

wasm_bindgen_test_configure!(run_in_browser);

/// Postpaid usage of t-acme: 5M tokens two hours before t0 (a closed hour:
/// $4.00 once settled) and 1M in t0's own hour (80 cents, open).
fn with_postpaid_usage(store: &billing_console::api::mock::MockStore) {
    store.with_ledger(|l| {
        for (ago, units) in [(2, 5_000_000), (0, 1_000_000)] {
            l.postpaid_hours.push(PostpaidHour {
                tenant_id: "t-acme".into(),
                open: OpenHour {
                    hour: billing_rules::forecast::hour_of(t0() - Duration::hours(ago)),
                    kind: ResourceKind::TokenPackage,
                    units,
                },
                bill: None,
            });
        }
    });
}

fn input(root: &Element, name: &str) -> web_sys::HtmlInputElement {
    root.query_selector(&format!("input[name={name}]"))
        .unwrap()
        .unwrap_or_else(|| panic!("an input named {name}"))
        .unchecked_into()
}

fn type_into(root: &Element, name: &str, value: &str) {
    let el = input(root, name);
    el.set_value(value);
    el.dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
}

#[wasm_bindgen_test]
async fn settled_hours_are_charged_and_the_budget_shows_spend_forecast_and_alerts() {
    let h = mount_as("/postpaid", users::ACME_MAIN, with_postpaid_usage);
    // The closed hour is settled: one line, debited from the balance.
    let charges = get(&h.root, "region", "Postpaid charges").await;
    wait_text(&charges, "1 line, $4.00 in all").await;
    let row = wait_for("the bill line", || row_with(&charges, "5,000,000")).await;
    assert!(text(&row).contains("$4.00"), "{}", text(&row));
    wait_text(&h.root, "Account balance: $1,246.00").await;
    assert!(find(&charges, "button", "Export CSV").is_some());
    // No budget yet: the month's spend, settled and not.
    let budget = get(&h.root, "region", "Monthly postpaid budget").await;
    wait_text(&budget, "This month (UTC) postpaid has cost $4.80 so far").await;
    assert!(text(&budget).contains("$0.80 is usage not settled yet"));

    // A $5 budget, off at the limit: 96% spent, the 50% and 80% alerts fired.
    type_into(&h.root, "amount", "5");
    click(&get(&budget, "button", "Save budget").await).await;
    wait_text(&h.root, "Budget saved.").await;
    let bar = get(
        &budget,
        "progressbar",
        "Postpaid spending this month against the budget",
    )
    .await;
    assert_eq!(bar.get_attribute("aria-valuenow").as_deref(), Some("96"));
    let words = text(&budget);
    assert!(words.contains("$4.80 of the $5.00 budget (96%)"), "{words}");
    assert!(words.contains("reached this month: 50%, 80%"), "{words}");
    assert!(
        words.contains("passes the budget by at most the one metering event"),
        "{words}"
    );
    // The alerts reach the bell.
    click(&get(&h.root, "button", "Notifications").await).await;
    wait_text(
        &h.root,
        "Postpaid spending reached 80% of this month's budget",
    )
    .await;

    // Thresholds that make no sense are refused before anything is sent.
    type_into(&h.root, "thresholds", "0, 50");
    click(&get(&budget, "button", "Save budget").await).await;
    let alert = get(&budget, "alert", "").await;
    assert!(text(&alert).contains("from 1 to 200"));
}

#[wasm_bindgen_test]
async fn sub_accounts_see_the_budget_and_webhooks_but_change_neither_and_see_why() {
    let h = mount_as("/postpaid", users::ACME_SUB, |_| {});
    let budget = get(&h.root, "region", "Monthly postpaid budget").await;
    wait_text(&budget, "can change the budget").await;
    let save = get(&budget, "button", "Save budget").await;
    let fieldset = save.closest("fieldset").unwrap().unwrap();
    assert!(is_disabled(&fieldset));
    click(&get(&h.root, "link", "Alert webhooks").await).await;
    let add = get(&h.root, "button", "Add endpoint").await;
    wait_text(&h.root, "can add, remove or test endpoints").await;
    assert!(is_disabled(&add.closest("fieldset").unwrap().unwrap()));
}

#[wasm_bindgen_test]
async fn an_endpoint_is_added_with_its_secret_once_tested_and_removed() {
    let h = mount("/alerts");
    let add = get(&h.root, "button", "Add endpoint").await;
    wait_text(&h.root, "No endpoints yet").await;
    // Plain http is refused, with the code.
    type_into(&h.root, "url", "http://hooks.example.com/billing");
    click(&add).await;
    wait_text(&h.root, "InvalidParameterValue").await;
    type_into(&h.root, "url", "https://hooks.example.com/billing");
    click(&add).await;
    wait_text(&h.root, "Its signing secret is shown only now").await;
    assert!(text(&h.root).contains("whsec_"));
    click(&get(&h.root, "button", "I have copied the secret").await).await;
    wait_for("the secret is hidden", || {
        (!text(&h.root).contains("whsec_")).then_some(())
    })
    .await;
    // A test event is queued and listed with its state.
    click(&get(&h.root, "button", "Send test event").await).await;
    wait_text(&h.root, "Test event queued").await;
    let row = wait_for("the delivery", || row_with(&h.root, "Test event")).await;
    assert!(text(&row).contains("Waiting to be sent"), "{}", text(&row));
    // Removing asks first.
    click(&get(&h.root, "button", "Remove").await).await;
    let dialog = get(&h.root, "dialog", "Remove this endpoint?").await;
    assert!(text(&dialog).contains("https://hooks.example.com/billing"));
    click(&get(&dialog, "button", "Remove").await).await;
    wait_text(&h.root, "Endpoint removed.").await;
    wait_text(&h.root, "No endpoints yet").await;
}

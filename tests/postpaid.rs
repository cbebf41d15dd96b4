//! Postpaid settings and sub-account permissions, with an advanceable clock.
#![cfg(target_arch = "wasm32")]

mod common;

use billing_console::api::mock::Failure;
use billing_rules::api::{ApiError, ErrorCode};
use billing_rules::seed::users;
use chrono::Duration;
use common::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::Element;

wasm_bindgen_test_configure!(run_in_browser);

async fn switch(h: &Harness) -> Element {
    get(&h.root, "switch", "Postpaid billing").await
}

fn checked(el: &Element) -> bool {
    el.get_attribute("aria-checked").as_deref() == Some("true")
}

async fn confirm(h: &Harness, title: &str, button: &str) {
    let dialog = get(&h.root, "dialog", title).await;
    click(&get(&dialog, "button", button).await).await;
    wait_for("dialog closed", || {
        find(&h.root, "dialog", title).is_none().then_some(())
    })
    .await;
}

#[wasm_bindgen_test]
async fn enable_locks_for_one_hour_and_unlocks_without_reload() {
    let h = mount("/postpaid");
    let sw = switch(&h).await;
    wait_text(&h.root, "You may enable postpaid now.").await;
    assert!(!checked(&sw) && !is_disabled(&sw));
    click(&sw).await;
    let dialog = get(&h.root, "dialog", "Turn postpaid billing on?").await;
    let body = text(&dialog);
    assert!(body.contains("Free trial packages"), "{body}");
    assert!(body.contains("Purchased packages, soonest-expiring first"));
    assert!(body.contains("Postpaid billing, only after all packages are used up"));
    assert!(body.contains("settled hourly"));
    assert!(body.contains("once per hour"));
    confirm(&h, "Turn postpaid billing on?", "Turn on").await;
    let sw = wait_for("switch on", || {
        find(&h.root, "switch", "Postpaid billing").filter(checked)
    })
    .await;
    wait_text(&h.root, "Postpaid billing is now on").await;
    assert!(text(&h.root).contains("changed by Alice Chen (main account)"));

    // Disabling during the cooldown works.
    assert!(!is_disabled(&sw));
    click(&sw).await;
    let dialog = get(&h.root, "dialog", "Turn postpaid billing off?").await;
    assert!(text(&dialog).contains("services that use them stop"));
    confirm(&h, "Turn postpaid billing off?", "Turn off").await;
    let sw = wait_for("switch off", || {
        find(&h.root, "switch", "Postpaid billing").filter(|s| !checked(s))
    })
    .await;

    // Now enabling is refused for an hour, with a live countdown.
    wait_for("locked", || is_disabled(&sw).then_some(())).await;
    assert!(text(&h.root).contains("only once per hour"));
    assert_eq!(
        sw.get_attribute("aria-describedby").as_deref(),
        Some("postpaid-reason")
    );
    let timer = get(&h.root, "timer", "left").await;
    assert_eq!(text(&timer), "(1 h 0 min left)");
    h.clock
        .advance(Duration::minutes(59) + Duration::seconds(59));
    wait_for("countdown at 1 s", || find(&h.root, "timer", "(1 s left)")).await;
    assert!(
        is_disabled(&switch(&h).await),
        "still locked one second before the hour"
    );
    h.clock.advance(Duration::seconds(1));
    wait_for("unlocked", || {
        find(&h.root, "switch", "Postpaid billing").filter(|s| !is_disabled(s))
    })
    .await;
    assert!(find(&h.root, "timer", "left").is_none());
    // The history names each change.
    let history = text(&h.root.query_selector(".history").unwrap().unwrap());
    assert!(
        history.contains("Off → On") && history.contains("On → Off"),
        "{history}"
    );
}

#[wasm_bindgen_test]
async fn overdue_account_is_refused_with_the_reason() {
    let h = mount_as("/postpaid", users::GLOBEX_MAIN, |_| {});
    let sw = switch(&h).await;
    wait_for("disabled", || is_disabled(&sw).then_some(())).await;
    wait_text(&h.root, "Your account is overdue (balance -$12.34)").await;
    assert!(text(&h.root).contains("Top up the balance"));
}

#[wasm_bindgen_test]
async fn each_demo_user_sees_their_own_view() {
    // Sub-account without the permission: read-only, told why and who can grant it.
    let h = mount_as("/postpaid", users::ACME_SUB, |_| {});
    let sw = switch(&h).await;
    wait_for("disabled", || is_disabled(&sw).then_some(())).await;
    wait_text(&h.root, "without the “Postpaid Settings” permission").await;
    assert!(text(&h.root).contains("The main account can grant the permission"));
    assert!(
        text(&h.root).contains("Postpaid billing is Off"),
        "state still shown"
    );
    assert!(
        find(&h.root, "link", "User permissions").is_none(),
        "no navigation to permissions"
    );
    drop(h);

    // Granted sub-account: may toggle.
    let h = mount_as("/postpaid", users::ACME_SUB_GRANTED, |_| {});
    wait_text(&h.root, "You may enable postpaid now.").await;
    assert!(!is_disabled(&switch(&h).await));
    assert!(
        text(&h.root).contains("Sub-account · Postpaid Settings permission"),
        "header says who"
    );
    drop(h);

    // Main account: may toggle, and has the permissions link.
    let h = mount("/postpaid");
    wait_text(&h.root, "You may enable postpaid now.").await;
    get(&h.root, "link", "User permissions").await;
    assert!(text(&h.root).contains("Acme Robotics · Main account"));
    drop(h);

    // The other tenant's data never shows.
    let h = mount_as("/pay-as-you-go?status=all", users::GLOBEX_SUB, |_| {});
    get(&h.root, "button", "All (3)").await;
    assert!(row_with(&h.root, "Token package 10M (annual)").is_none());
}

#[wasm_bindgen_test]
async fn view_as_menu_switches_between_demo_users() {
    let h = mount("/postpaid");
    let select = get(&h.root, "combobox", "").await;
    wait_text(&h.root, "You may enable postpaid now.").await;
    let select = h
        .root
        .query_selector(".view-as select")
        .unwrap()
        .unwrap_or(select);
    let sel: &web_sys::HtmlSelectElement = select.unchecked_ref();
    sel.set_value(users::ACME_SUB);
    select
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    wait_text(&h.root, "without the “Postpaid Settings” permission").await;
    assert!(text(&h.root).contains("Bob Li (ops)"));
}

#[wasm_bindgen_test]
async fn granting_the_permission_lets_that_sub_account_toggle() {
    let h = mount("/permissions");
    let sw = get(
        &h.root,
        "switch",
        "Postpaid Settings permission for Bob Li (ops)",
    )
    .await;
    assert!(!checked(&sw));
    assert!(checked(
        &get(
            &h.root,
            "switch",
            "Postpaid Settings permission for Carol Wu (finance)"
        )
        .await
    ));
    click(&sw).await;
    confirm(&h, "Grant “Postpaid Settings” to Bob Li (ops)?", "Grant").await;
    wait_for("granted", || {
        find(
            &h.root,
            "switch",
            "Postpaid Settings permission for Bob Li (ops)",
        )
        .filter(checked)
    })
    .await;
    wait_text(&h.root, "Bob Li (ops) now holds").await;

    // The same store, now viewed as Bob.
    drop(billing_console::api::Transport::view_as(
        &h.store,
        users::ACME_SUB,
    ));
    let store = h.store.clone();
    drop(h);
    let h = mount_as("/postpaid", users::ACME_SUB, |s| {
        let granted = store.with_ledger(|l| l.users.clone());
        s.with_ledger(|l| l.users = granted);
    });
    wait_text(&h.root, "You may enable postpaid now.").await;
    let sw = switch(&h).await;
    click(&sw).await;
    confirm(&h, "Turn postpaid billing on?", "Turn on").await;
    wait_for("on", || {
        find(&h.root, "switch", "Postpaid billing").filter(checked)
    })
    .await;
    assert!(text(&h.root).contains("changed by Bob Li (ops)"));
}

#[wasm_bindgen_test]
async fn sub_accounts_get_a_clear_permissions_page() {
    let h = mount_as("/permissions", users::ACME_SUB_GRANTED, |_| {});
    wait_text(&h.root, "Only the main account can manage permissions.").await;
    assert!(all(&h.root, "switch").is_empty());
}

#[wasm_bindgen_test]
async fn server_refusal_is_shown_when_it_disagrees() {
    let h = mount("/postpaid");
    wait_text(&h.root, "You may enable postpaid now.").await;
    click(&switch(&h).await).await;
    let dialog = get(&h.root, "dialog", "Turn postpaid billing on?").await;
    h.store.fail_next(Failure::Error(ApiError {
        code: ErrorCode::RequestLimitExceeded,
        message: "Postpaid can be enabled once per hour; next allowed at 2026-11-29 12:40:00 UTC."
            .into(),
        next_allowed_at: Some(t0() + chrono::Duration::minutes(40)),
    }));
    click(&get(&dialog, "button", "Turn on").await).await;
    let alert = get(&dialog, "alert", "once per hour").await;
    assert!(text(&alert).contains("RequestLimitExceeded"));
    // Worded from the code and its NextAllowedAt, not the server's text.
    assert!(
        text(&alert).contains(&billing_console::format::instant(
            t0() + chrono::Duration::minutes(40)
        )),
        "{}",
        text(&alert)
    );
    assert!(!text(&alert).contains("next allowed at"));
    assert!(!checked(&switch(&h).await), "nothing changed");
}

#[wasm_bindgen_test]
async fn keyboard_only_flow_through_the_dialog() {
    let h = mount("/postpaid");
    wait_text(&h.root, "You may enable postpaid now.").await;
    let sw = switch(&h).await;
    sw.unchecked_ref::<web_sys::HtmlElement>().focus().unwrap();
    click(&sw).await;
    let dialog = get(&h.root, "dialog", "Turn postpaid billing on?").await;
    assert_eq!(dialog.get_attribute("aria-modal").as_deref(), Some("true"));
    // Focus moves in, onto Cancel (the safe choice).
    let cancel = get(&dialog, "button", "Cancel").await;
    wait_for("focus in dialog", || {
        (active().as_ref() == Some(&cancel)).then_some(())
    })
    .await;
    // Tab from the last button wraps to the first; Shift+Tab from the first wraps back.
    let turn_on = get(&dialog, "button", "Turn on").await;
    turn_on
        .unchecked_ref::<web_sys::HtmlElement>()
        .focus()
        .unwrap();
    key(&turn_on, "Tab", false);
    assert!(
        active().is_some_and(|a| dialog.contains(Some(&a))),
        "focus stays in the dialog"
    );
    // Escape cancels and focus returns to the switch.
    key(&dialog, "Escape", false);
    wait_for("dialog closed", || {
        find(&h.root, "dialog", "Turn postpaid billing on?")
            .is_none()
            .then_some(())
    })
    .await;
    wait_for("focus restored", || {
        (active().as_ref() == Some(&sw)).then_some(())
    })
    .await;
    assert!(!checked(&sw), "Escape changed nothing");
    // Enter on the switch activates it (a native button), then confirm by keyboard-activated button.
    click(&sw).await;
    let dialog = get(&h.root, "dialog", "Turn postpaid billing on?").await;
    click(&get(&dialog, "button", "Turn on").await).await;
    wait_for("on", || {
        find(&h.root, "switch", "Postpaid billing").filter(checked)
    })
    .await;
}

//! The resource list, banners and navigation, on the mock store with a
//! fixed clock, asserted by role and accessible name.
#![cfg(target_arch = "wasm32")]

mod common;

use billing_console::api::mock::Failure;
use billing_rules::api::{ApiError, ErrorCode};
use billing_rules::model::{Resource, ResourceKind, Source};
use billing_rules::seed::users;
use chrono::Duration;
use common::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn default_filter_is_available_with_counts_per_status() {
    let h = mount("/pay-as-you-go");
    let available = get(&h.root, "button", "Available (4)").await;
    assert_eq!(
        available.get_attribute("aria-pressed").as_deref(),
        Some("true")
    );
    for name in [
        "Exhausted (1)",
        "Expired (1)",
        "Not yet effective (1)",
        "All (7)",
    ] {
        let b = get(&h.root, "button", name).await;
        assert_eq!(
            b.get_attribute("aria-pressed").as_deref(),
            Some("false"),
            "{name}"
        );
    }
    // Only available rows are listed.
    assert!(
        row_with(&h.root, "Token package 5M (2025)").is_none(),
        "expired row hidden by default"
    );
    assert!(row_with(&h.root, "Token package 2M").is_some());
    assert_eq!(
        find(&h.root, "heading", "Pay-As-You-Go Resources").map(|e| e.tag_name()),
        Some("H2".into())
    );
}

#[wasm_bindgen_test]
async fn usage_bars_carry_values_state_and_names() {
    let h = mount("/pay-as-you-go");
    let bar = get(
        &h.root,
        "progressbar",
        "Usage of Token package 10M (annual)",
    )
    .await;
    assert_eq!(bar.get_attribute("aria-valuenow").as_deref(), Some("95"));
    assert_eq!(bar.get_attribute("aria-valuemin").as_deref(), Some("0"));
    assert_eq!(bar.get_attribute("aria-valuemax").as_deref(), Some("100"));
    let row = row_with(&h.root, "Token package 10M (annual)").unwrap();
    assert!(text(&row).contains("9.5M / 10M tokens"), "{}", text(&row));
    assert!(text(&row).contains("Nearly exhausted"));
    let exact = row
        .query_selector("[title='9,500,000 tokens of 10,000,000 tokens used']")
        .unwrap();
    assert!(exact.is_some(), "exact figure on hover");

    let trial = get(&h.root, "progressbar", "Usage of Model token trial package").await;
    assert_eq!(trial.get_attribute("aria-valuenow").as_deref(), Some("40"));
    assert!(text(&row_with(&h.root, "Model token trial package").unwrap()).contains("Normal"));
    assert!(text(&row_with(&h.root, "Model token trial package").unwrap()).contains("Free trial"));

    click(&get(&h.root, "button", "Exhausted (1)").await).await;
    let out = get(&h.root, "progressbar", "Usage of Search package 10K calls").await;
    assert_eq!(out.get_attribute("aria-valuenow").as_deref(), Some("100"));
    assert!(text(&row_with(&h.root, "Search package 10K calls").unwrap()).contains("Exhausted"));
}

#[wasm_bindgen_test]
async fn expiry_badges_by_tier_with_zone_beside_dates() {
    let h = mount("/pay-as-you-go");
    wait_for("rows", || row_with(&h.root, "Token package 2M")).await;
    let five = row_with(&h.root, "Token package 2M").unwrap();
    let b = five.query_selector(".badge").unwrap().unwrap();
    assert_eq!(text(&b), "Expires in 5 days");
    assert!(b.class_list().contains("badge--7"));
    let trial = row_with(&h.root, "Search trial package").unwrap();
    let b = trial.query_selector(".badge").unwrap().unwrap();
    assert_eq!(text(&b), "Expires in 25 days");
    assert!(b.class_list().contains("badge--30"));
    assert!(
        text(&five).contains("(UTC"),
        "time zone written beside dates: {}",
        text(&five)
    );

    click(&get(&h.root, "button", "Expired (1)").await).await;
    wait_for("expired row", || {
        row_with(&h.root, "Token package 5M (2025)")
    })
    .await;
    let exp = row_with(&h.root, "Token package 5M (2025)").unwrap();
    assert_eq!(
        text(&exp.query_selector(".badge").unwrap().unwrap()),
        "Expired"
    );
    drop(h);

    // Globex's trial expires in 12 hours.
    let h = mount_as("/pay-as-you-go", users::GLOBEX_MAIN, |_| {});
    wait_for("globex row", || {
        row_with(&h.root, "Model token trial package")
    })
    .await;
    let b = row_with(&h.root, "Model token trial package")
        .unwrap()
        .query_selector(".badge")
        .unwrap()
        .unwrap();
    assert_eq!(text(&b), "Expires today");
    assert!(b.class_list().contains("badge--1"));
}

/// Open the attention area's details; the sentence of condition `key`.
async fn detail(h: &Harness, key: &str) -> web_sys::Element {
    if h.root
        .query_selector("#attention-details")
        .unwrap()
        .is_none()
    {
        click(&get(&h.root, "button", "Show details").await).await;
    }
    wait_for(&format!("{key} detail"), || {
        h.root
            .query_selector(&format!("#attention-details [data-banner={key}]"))
            .unwrap()
    })
    .await
}

#[wasm_bindgen_test]
async fn the_attention_area_sums_up_by_severity_and_its_details_link_to_filtered_lists() {
    let h = mount("/pay-as-you-go");
    let action = wait_for("needs-action line", || {
        h.root.query_selector("[data-attention=action]").unwrap()
    })
    .await;
    assert_eq!(action.get_attribute("role").as_deref(), Some("alert"));
    assert_eq!(
        text(&action),
        "5Needs action: 1 exhausted · 2 expired · 2 knowledge items isolatedView exhausted resources"
    );
    let soon = h
        .root
        .query_selector("[data-attention=soon]")
        .unwrap()
        .unwrap();
    assert_eq!(soon.get_attribute("role").as_deref(), Some("status"));
    assert!(
        text(&soon).contains("1 nearly exhausted"),
        "{}",
        text(&soon)
    );
    assert!(
        text(&soon).contains("1 expiring within 7 days"),
        "{}",
        text(&soon)
    );
    // Most severe first: action, coming up, then the notice.
    let order: Vec<String> = {
        let l = h.root.query_selector_all("[data-attention]").unwrap();
        (0..l.length())
            .filter_map(|i| l.item(i))
            .filter_map(|n| n.dyn_into::<web_sys::Element>().ok())
            .filter_map(|e| e.get_attribute("data-attention"))
            .collect()
    };
    assert_eq!(order, ["action", "soon", "notice"]);
    assert!(
        h.root
            .query_selector("#attention-details")
            .unwrap()
            .is_none(),
        "closed at first"
    );

    let exhausted = detail(&h, "exhausted").await;
    let toggle = get(&h.root, "button", "Hide details").await;
    assert_eq!(
        toggle.get_attribute("aria-expanded").as_deref(),
        Some("true")
    );
    assert!(
        text(&exhausted).contains("1 resource is exhausted"),
        "{}",
        text(&exhausted)
    );
    let link = exhausted.query_selector("a").unwrap().unwrap();
    assert_eq!(
        link.get_attribute("href").as_deref(),
        Some("/pay-as-you-go?status=exhausted")
    );
    assert!(text(&detail(&h, "nearly-exhausted").await).contains("Token package 10M (annual)"));
    assert!(text(&detail(&h, "expiring-7").await).contains("1 resource is expiring within 7 days"));
    assert!(
        text(&detail(&h, "expiring-30").await).contains("2 resources are expiring within 30 days")
    );
    assert!(text(&detail(&h, "expired").await).contains("2 resources expired in the last 30 days"));
    assert!(text(&detail(&h, "isolated").await).contains("restore them by hand"));
    assert!(
        h.root
            .query_selector("[data-banner=overdue]")
            .unwrap()
            .is_none(),
        "Acme is not overdue"
    );

    // Following a detail's link shows the filtered list.
    click(&link).await;
    wait_for("exhausted filter pressed", || {
        find(&h.root, "button", "Exhausted (1)")
            .filter(|b| b.get_attribute("aria-pressed").as_deref() == Some("true"))
    })
    .await;
    assert_eq!(location().1, "?status=exhausted");
    drop(h);

    let h = mount_as("/pay-as-you-go", users::GLOBEX_MAIN, |_| {});
    let action = wait_for("needs-action line", || {
        h.root.query_selector("[data-attention=action]").unwrap()
    })
    .await;
    assert!(
        text(&action).contains("account overdue"),
        "{}",
        text(&action)
    );
    let overdue = detail(&h, "overdue").await;
    assert!(text(&overdue).contains("services cannot be used"));
    assert!(text(&overdue).contains("-$12.34"));
    assert!(text(&detail(&h, "expiring-1").await).contains("expiring within 1 day"));
}

#[wasm_bindgen_test]
async fn a_dismissed_notice_stays_dismissed_for_that_user_only() {
    let main_key = billing_console::storage::dismissed_key(
        users::ACME_MAIN,
        billing_console::components::attention::DISCONTINUED,
    );
    let sub_key = billing_console::storage::dismissed_key(
        users::ACME_SUB,
        billing_console::components::attention::DISCONTINUED,
    );
    billing_console::storage::remove(&main_key);
    billing_console::storage::remove(&sub_key);
    let h = mount("/pay-as-you-go");
    let notice = wait_for("notice", || {
        h.root.query_selector("[data-attention=notice]").unwrap()
    })
    .await;
    assert_eq!(notice.get_attribute("role").as_deref(), Some("status"));
    assert!(text(&detail(&h, "discontinued").await).contains("being discontinued"));
    click(&get(&h.root, "button", "Dismiss notice").await).await;
    wait_for("notice gone", || {
        h.root
            .query_selector("[data-attention=notice], [data-banner=discontinued]")
            .unwrap()
            .is_none()
            .then_some(())
    })
    .await;
    drop(h);
    let h = mount("/pay-as-you-go");
    get(&h.root, "button", "Available (4)").await;
    wait_for("needs-action line", || {
        h.root.query_selector("[data-attention=action]").unwrap()
    })
    .await;
    assert!(
        h.root
            .query_selector("[data-attention=notice]")
            .unwrap()
            .is_none(),
        "stays dismissed after reload"
    );
    drop(h);
    // Another user of this browser still sees it.
    let h = mount_as("/pay-as-you-go", users::ACME_SUB, |_| {});
    wait_for("the sub-account's notice", || {
        h.root.query_selector("[data-attention=notice]").unwrap()
    })
    .await;
    billing_console::storage::remove(&main_key);
}

fn extra_packages(n: usize) -> Vec<Resource> {
    let now = t0();
    (0..n)
        .map(|i| Resource {
            id: format!("res-extra-{i:02}"),
            tenant_id: billing_rules::seed::ACME.into(),
            name: format!("Extra token package {i:02}"),
            kind: ResourceKind::TokenPackage,
            source: Source::Purchased,
            total: 1000,
            used: i as u64 * 10,
            effective_at: now - Duration::days(1),
            expires_at: now + Duration::days(100 + i as i64),
            model: None,
            refunded: false,
        })
        .collect()
}

#[wasm_bindgen_test]
async fn filter_sort_search_and_page_live_in_the_url() {
    let h = mount_as("/pay-as-you-go", users::ACME_MAIN, |s| {
        s.with_ledger(|l| l.resources.extend(extra_packages(12)))
    });
    get(&h.root, "button", "Available (16)").await;
    assert!(text(&get(&h.root, "navigation", "Pages").await).contains("Page 1 of 2"));
    click(&get(&h.root, "button", "Next page").await).await;
    wait_text(&h.root, "Page 2 of 2").await;
    assert_eq!(location(), ("/pay-as-you-go".into(), "?page=2".into()));

    click(&get(&h.root, "button", "Expired (1)").await).await;
    wait_for("expired filter in URL", || {
        (location().1 == "?status=expired").then_some(())
    })
    .await;
    wait_for("expired row", || {
        row_with(&h.root, "Token package 5M (2025)")
    })
    .await;

    // Back goes to the previous view, Forward returns.
    web_sys::window()
        .unwrap()
        .history()
        .unwrap()
        .back()
        .unwrap();
    wait_text(&h.root, "Page 2 of 2").await;
    let available = get(&h.root, "button", "Available (16)").await;
    assert_eq!(
        available.get_attribute("aria-pressed").as_deref(),
        Some("true")
    );
    web_sys::window()
        .unwrap()
        .history()
        .unwrap()
        .forward()
        .unwrap();
    wait_for("forward to expired", || {
        (location().1 == "?status=expired").then_some(())
    })
    .await;
    drop(h);

    // A link with sort, size and search shows that view.
    let h = mount("/pay-as-you-go?status=all&sort=usage-desc&size=20&q=token%20package");
    wait_for("rows", || row_with(&h.root, "Token package 10M (annual)")).await;
    let names: Vec<String> = all(&h.root, "progressbar").iter().map(name_of).collect();
    assert_eq!(
        names.first().map(String::as_str),
        Some("Usage of Token package 10M (annual)"),
        "highest usage first: {names:?}"
    );
    assert!(
        !names.iter().any(|n| n.contains("Search")),
        "search applied"
    );
    let search = get(&h.root, "searchbox", "Search by ID or name").await;
    assert_eq!(
        search.unchecked_ref::<web_sys::HtmlInputElement>().value(),
        "token package"
    );
    let all_btn = get(&h.root, "button", "All (").await;
    assert_eq!(
        all_btn.get_attribute("aria-pressed").as_deref(),
        Some("true")
    );
}

use wasm_bindgen::JsCast;

#[wasm_bindgen_test]
async fn empty_state_names_the_filter() {
    let h = mount("/concurrency?status=expired");
    wait_text(&h.root, "No expired resources.").await;
    drop(h);
    let h = mount("/pay-as-you-go?q=nothing-like-this");
    wait_text(&h.root, "No resources match “nothing-like-this”.").await;
}

#[wasm_bindgen_test]
async fn loading_state_keeps_the_layout() {
    let h = mount_as("/pay-as-you-go", users::ACME_MAIN, |s| {
        s.set_latency_ms(300)
    });
    let table = get(&h.root, "table", "Pay-As-You-Go Resources").await;
    assert_eq!(table.get_attribute("aria-busy").as_deref(), Some("true"));
    assert!(text(&h.root).contains("Loading resources…"));
    assert!(h.root.query_selector(".placeholder-row").unwrap().is_some());
    wait_for("rows", || row_with(&h.root, "Token package 2M")).await;
    wait_for("not busy", || {
        (table.get_attribute("aria-busy").as_deref() == Some("false")).then_some(())
    })
    .await;
}

#[wasm_bindgen_test]
async fn error_state_retry_and_keeps_what_was_on_screen() {
    let h = mount_as("/pay-as-you-go", users::ACME_MAIN, |s| {
        // Identity and summary load first; fail the list call.
        s.set_latency_ms(0);
    });
    wait_for("rows", || row_with(&h.root, "Token package 2M")).await;
    h.store.fail_next(Failure::Error(ApiError::new(
        ErrorCode::InternalError,
        "The database is restarting.",
    )));
    click(&get(&h.root, "button", "Exhausted (1)").await).await;
    let alert = get(&h.root, "alert", "Could not load resources").await;
    // Worded from the error code in the reader's language, never the
    // server's own text.
    assert!(text(&alert).contains("The billing service had an internal error"));
    assert!(!text(&alert).contains("The database is restarting."));
    assert!(text(&alert).contains("InternalError"));
    assert!(
        row_with(&h.root, "Token package 2M").is_some(),
        "what was on screen stays"
    );
    click(&get(&h.root, "button", "Retry").await).await;
    wait_for("exhausted rows", || {
        row_with(&h.root, "Search package 10K calls")
    })
    .await;
    wait_for("alert gone", || {
        find(&h.root, "alert", "Could not load resources")
            .is_none()
            .then_some(())
    })
    .await;

    h.store.fail_next(Failure::Malformed);
    click(&get(&h.root, "button", "All (7)").await).await;
    let alert = get(&h.root, "alert", "Could not load resources").await;
    assert!(text(&alert).contains("MalformedResponse"));
    h.store.fail_next(Failure::Timeout);
    click(&get(&h.root, "button", "Retry").await).await;
    wait_for("timeout shown", || {
        text(&h.root)
            .contains("did not answer in time")
            .then_some(())
    })
    .await;
    click(&get(&h.root, "button", "Retry").await).await;
    wait_for("recovered", || {
        find(&h.root, "alert", "Could not load resources")
            .is_none()
            .then_some(())
    })
    .await;
}

#[wasm_bindgen_test]
async fn names_render_as_text_never_markup() {
    let evil = "<img src=x onerror=alert(1)>";
    let h = mount_as("/pay-as-you-go", users::ACME_MAIN, |s| {
        s.with_ledger(|l| {
            let mut r = extra_packages(1).remove(0);
            r.name = evil.into();
            l.resources.push(r);
        })
    });
    wait_for("evil row", || row_with(&h.root, evil)).await;
    assert!(
        h.root.query_selector("img").unwrap().is_none(),
        "no element was created from the name"
    );
    get(&h.root, "progressbar", &format!("Usage of {evil}")).await;
}

#[wasm_bindgen_test]
async fn tabs_are_a_tablist_operable_by_arrow_keys() {
    let h = mount("/pay-as-you-go");
    get(&h.root, "tab", "Postpaid Settings").await;
    let tabs = all(&h.root, "tab");
    assert_eq!(
        tabs.iter().map(name_of).collect::<Vec<_>>(),
        [
            "Pay-As-You-Go Resources",
            "Concurrency Resources",
            "Knowledge Base Capacity",
            "Postpaid Settings"
        ]
    );
    assert_eq!(
        tabs[0].get_attribute("aria-selected").as_deref(),
        Some("true")
    );
    assert_eq!(tabs[0].get_attribute("tabindex").as_deref(), Some("0"));
    assert_eq!(tabs[1].get_attribute("tabindex").as_deref(), Some("-1"));
    key(&tabs[0], "ArrowRight", false);
    wait_for("concurrency selected", || {
        (tabs[1].get_attribute("aria-selected").as_deref() == Some("true")).then_some(())
    })
    .await;
    assert_eq!(location().0, "/concurrency");
    assert_eq!(
        active().map(|a| a.id()),
        Some(tabs[1].id()),
        "focus follows"
    );
    get(
        &h.root,
        "progressbar",
        "Usage of Dedicated concurrency: hunyuan-turbo",
    )
    .await;
    let b = row_with(&h.root, "hunyuan-turbo")
        .unwrap()
        .query_selector(".badge")
        .unwrap()
        .unwrap();
    assert_eq!(text(&b), "Expires in 20 days");
    key(&tabs[1], "End", false);
    wait_for("postpaid selected", || {
        (location().0 == "/postpaid").then_some(())
    })
    .await;
    key(&tabs[3], "ArrowRight", false);
    wait_for("wraps to first", || {
        (location().0 == "/pay-as-you-go").then_some(())
    })
    .await;
    let panel = h.root.query_selector("main").unwrap().unwrap();
    assert_eq!(panel.get_attribute("role").as_deref(), Some("tabpanel"));
}

#[wasm_bindgen_test]
async fn knowledge_isolation_explained_and_restored_after_renewal() {
    let h = mount("/knowledge-base?status=all");
    let restore = get(&h.root, "button", "Restore isolated knowledge").await;
    wait_text(&h.root, "Isolated documents").await;
    assert!(is_disabled(&restore), "no free capacity yet");
    assert!(
        text(&h.root).contains("Purchase or renew knowledge base capacity first"),
        "reason given"
    );
    assert!(text(&h.root).contains("are isolated (not used in answers)"));

    click(&get(&h.root, "button", "Renew Knowledge capacity 5M chars").await).await;
    let dialog = get(&h.root, "dialog", "Renew “Knowledge capacity 5M chars”?").await;
    assert!(
        text(&dialog).contains("$10.00 will be charged"),
        "{}",
        text(&dialog)
    );
    click(&get(&dialog, "button", "Renew and pay").await).await;
    wait_text(&h.root, "Renewed “Knowledge capacity 5M chars”").await;

    let restore = wait_for("restore enabled", || {
        find(&h.root, "button", "Restore isolated knowledge").filter(|b| !is_disabled(b))
    })
    .await;
    click(&restore).await;
    let dialog = get(&h.root, "dialog", "Restore isolated knowledge?").await;
    click(&get(&dialog, "button", "Restore").await).await;
    wait_text(&h.root, "Still isolated").await;
    wait_for("isolation no longer needs action", || {
        h.root
            .query_selector("[data-attention=action]")
            .unwrap()
            .filter(|l| !text(l).contains("isolated"))
    })
    .await;
}

#[wasm_bindgen_test]
async fn sub_accounts_without_the_grant_cannot_restore_knowledge_and_see_why() {
    let h = mount_as("/knowledge-base?status=all", users::ACME_SUB, |_| {});
    let restore = get(&h.root, "button", "Restore isolated knowledge").await;
    wait_text(&h.root, "Isolated documents").await;
    assert!(is_disabled(&restore), "a sub-account without the grant");
    let reason = h
        .root
        .query_selector("#kb-restore-reason")
        .unwrap()
        .expect("the reason is next to the button");
    assert!(
        text(&reason).contains("Only the main account, or a sub-account granted Postpaid Settings"),
        "{}",
        text(&reason)
    );
    assert_eq!(
        restore.get_attribute("aria-describedby").as_deref(),
        Some("kb-restore-reason"),
        "the reason is the button's description"
    );
}

#[wasm_bindgen_test]
async fn sub_accounts_cannot_renew_and_see_why() {
    let h = mount_as("/concurrency", users::ACME_SUB, |_| {});
    let renew = get(
        &h.root,
        "button",
        "Renew Dedicated concurrency: hunyuan-turbo",
    )
    .await;
    wait_for("renew disabled", || is_disabled(&renew).then_some(())).await;
    assert!(text(&row_with(&h.root, "hunyuan-turbo").unwrap()).contains("Main account only"));
}

#[wasm_bindgen_test]
async fn zone_choice_moves_dates_never_badges_and_is_remembered() {
    let h = mount("/pay-as-you-go");
    wait_for("zone menu", || {
        h.root.query_selector(".zone-picker select").unwrap()
    })
    .await;
    let select = h
        .root
        .query_selector(".zone-picker select")
        .unwrap()
        .unwrap();
    let choose = |slug: &str| {
        let sel: &web_sys::HtmlSelectElement = select.unchecked_ref();
        sel.set_value(slug);
        select
            .dispatch_event(&web_sys::Event::new("change").unwrap())
            .unwrap();
    };
    choose("utc");
    // Token package 2M expires at t0 + 5 days = 2026-12-04 12:00:00 UTC.
    wait_for("UTC", || {
        row_with(&h.root, "Token package 2M")
            .filter(|r| text(r).contains("2026-12-04 12:00:00 (UTC)"))
    })
    .await;
    let badge_utc = text(
        &row_with(&h.root, "Token package 2M")
            .unwrap()
            .query_selector(".badge")
            .unwrap()
            .unwrap(),
    );
    choose("utc+8");
    wait_for("UTC+8", || {
        row_with(&h.root, "Token package 2M")
            .filter(|r| text(r).contains("2026-12-04 20:00:00 (UTC+8)"))
    })
    .await;
    let badge_utc8 = text(
        &row_with(&h.root, "Token package 2M")
            .unwrap()
            .query_selector(".badge")
            .unwrap()
            .unwrap(),
    );
    assert_eq!(badge_utc, "Expires in 5 days");
    assert_eq!(
        badge_utc8, badge_utc,
        "badges come from instants, not the zone"
    );
    let stored = web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .get_item(billing_console::components::header::ZONE_KEY)
        .unwrap();
    assert_eq!(
        stored.as_deref(),
        Some("utc+8"),
        "remembered in this browser"
    );
    drop(h);
    // At the next start the remembered zone is restored.
    billing_console::format::set_display_zone(billing_console::format::DisplayZone::Browser);
    leptos::prelude::Owner::new().with(billing_console::format::provide_display_zone);
    assert_eq!(
        billing_console::format::display_zone(),
        billing_console::format::DisplayZone::Utc8
    );
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    storage
        .remove_item(billing_console::components::header::ZONE_KEY)
        .unwrap();
    billing_console::format::set_display_zone(billing_console::format::DisplayZone::Browser);
}

/// Storage briefly away: a read is asked once more and the page loads as
/// if nothing happened; twice away, the alert says the service is briefly
/// unavailable and that nothing was changed.
#[wasm_bindgen_test]
async fn a_read_is_retried_once_when_storage_is_briefly_away() {
    let h = mount("/pay-as-you-go");
    wait_for("rows", || row_with(&h.root, "Token package 2M")).await;
    let away = || {
        Failure::Error(ApiError::new(
            ErrorCode::ServiceUnavailable,
            "The database is restarting.",
        ))
    };
    h.store.fail_next(away());
    let calls = h.store.calls();
    click(&get(&h.root, "button", "Exhausted (1)").await).await;
    wait_for("exhausted rows after one retry", || {
        row_with(&h.root, "Search package 10K calls")
    })
    .await;
    assert!(find(&h.root, "alert", "Could not load resources").is_none());
    assert!(h.store.calls() >= calls + 2, "asked again");

    h.store.fail_next(away());
    h.store.fail_next(away());
    click(&get(&h.root, "button", "All (7)").await).await;
    let alert = get(&h.root, "alert", "Could not load resources").await;
    assert!(text(&alert).contains("briefly unavailable; nothing was changed"));
    assert!(text(&alert).contains("ServiceUnavailable"));
}

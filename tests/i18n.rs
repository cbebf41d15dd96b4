//! Both languages on every screen: nothing left untranslated, numbers in
//! the reader's units, errors worded from their codes, and the language
//! menu (follows the browser, switches, remembered).
#![cfg(target_arch = "wasm32")]

mod common;

use billing_console::api::mock::Failure;
use billing_rules::api::{ApiError, ErrorCode};
use billing_rules::seed::users;
use common::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::Element;

wasm_bindgen_test_configure!(run_in_browser);

/// Every string shown to the user, with data (names, IDs, codes) left out,
/// plus attributes people hear: aria-label, title, placeholder.
fn ui_text(root: &Element, data: &[String]) -> String {
    let clone: Element = root.clone_node_with_deep(true).unwrap().unchecked_into();
    // Data, not interface: resource names and IDs, error codes, user names.
    let drop = clone
        .query_selector_all(".res-name, .res-id, code, .identity-name, option[lang], .res-model")
        .unwrap();
    for i in 0..drop.length() {
        let n = drop.item(i).unwrap();
        if let Some(p) = n.parent_node() {
            p.remove_child(&n).unwrap();
        }
    }
    let mut s = text(&clone);
    let attrs = clone
        .query_selector_all("[aria-label], [title], [placeholder]")
        .unwrap();
    for i in 0..attrs.length() {
        let e: Element = attrs.item(i).unwrap().unchecked_into();
        for a in ["aria-label", "title", "placeholder"] {
            if let Some(v) = e.get_attribute(a) {
                s.push(' ');
                s.push_str(&v);
            }
        }
    }
    for d in data {
        s = s.replace(d.as_str(), " ");
    }
    s
}

/// Names that are data in the demo seed (they stay as the owner typed them).
fn seed_names(h: &Harness) -> Vec<String> {
    let mut v: Vec<String> = h.store.with_ledger(|l| {
        l.resources
            .iter()
            .map(|r| r.name.clone())
            .chain(l.users.iter().map(|u| u.name.clone()))
            .chain(l.accounts.iter().map(|a| a.name.clone()))
            .collect()
    });
    // Longest first, so a name is removed before any name inside it.
    v.sort_by_key(|s| std::cmp::Reverse(s.len()));
    v
}

/// Words of Latin letters a Chinese screen may still show: units and
/// abbreviations Chinese consoles write this way, zone names and months,
/// and the protocol names of alert webhooks.
const LATIN_IN_ZH: [&str; 13] = [
    "UTC", "Token", "CSV", "ID", "USD", "Webhook", "HTTPS", "HTTP", "https", "http", "HMAC", "SHA",
    "JSON",
];

fn assert_translated(lang: &str, screen: &str, s: &str) {
    assert!(
        !s.contains("{{"),
        "{lang} {screen}: an interpolation was left unfilled: {s}"
    );
    match lang {
        "zh" => {
            let stray: Vec<&str> = s
                .split(|c: char| !c.is_ascii_alphabetic())
                .filter(|w| w.len() >= 2 && !LATIN_IN_ZH.contains(w))
                .collect();
            assert!(
                stray.is_empty(),
                "zh {screen}: English left untranslated: {stray:?} in {s}"
            );
            assert!(
                s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "zh {screen}: no Chinese at all"
            );
        }
        _ => assert!(
            !s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "en {screen}: Chinese on an English screen: {s}"
        ),
    }
}

async fn settle(h: &Harness) {
    // The list and the bell have loaded.
    wait_for("loaded", || {
        (!text(&h.root).contains("…") && h.root.query_selector(".bell-button").unwrap().is_some())
            .then_some(())
    })
    .await;
}

#[wasm_bindgen_test]
async fn both_languages_render_every_screen_with_nothing_untranslated() {
    for lang in ["en", "zh"] {
        for path in [
            "/pay-as-you-go",
            "/concurrency",
            "/knowledge-base",
            "/postpaid",
            "/permissions",
            "/alerts",
            "/nowhere",
        ] {
            let h = mount_in(lang, path, users::ACME_MAIN, |_| {});
            let data = seed_names(&h);
            settle(&h).await;
            wait_for("screen drawn", || h.root.query_selector("h2").unwrap()).await;
            // The language reaches the page itself.
            let html = web_sys::window()
                .unwrap()
                .document()
                .unwrap()
                .document_element()
                .unwrap();
            assert_eq!(
                html.get_attribute("lang").as_deref(),
                Some(if lang == "zh" { "zh-Hans" } else { "en" })
            );
            assert_translated(lang, path, &ui_text(&h.root, &data));
            // Open what opens here: the notification panel, then a dialog.
            click(&h.root.query_selector(".bell-button").unwrap().unwrap()).await;
            wait_for("panel", || {
                h.root.query_selector("#notification-panel").unwrap()
            })
            .await;
            assert_translated(
                lang,
                &format!("{path} notifications"),
                &ui_text(&h.root, &data),
            );
            click(&h.root.query_selector(".bell-button").unwrap().unwrap()).await;
            let opener = match path {
                "/concurrency" | "/knowledge-base" => {
                    h.root.query_selector("td button.btn--small").unwrap()
                }
                "/postpaid" | "/permissions" => h.root.query_selector("[role=switch]").unwrap(),
                _ => None,
            };
            if let Some(b) = opener.filter(|b| !is_disabled(b)) {
                click(&b).await;
                wait_for("dialog", || h.root.query_selector("[role=dialog]").unwrap()).await;
                assert_translated(lang, &format!("{path} dialog"), &ui_text(&h.root, &data));
            }
        }
    }
}

#[wasm_bindgen_test]
async fn sub_account_screens_in_chinese() {
    for path in ["/postpaid", "/permissions", "/alerts"] {
        let h = mount_in("zh", path, users::ACME_SUB, |_| {});
        let data = seed_names(&h);
        settle(&h).await;
        wait_for("reason", || {
            let t = text(&h.root);
            (t.contains("子账号")).then_some(())
        })
        .await;
        assert_translated("zh", path, &ui_text(&h.root, &data));
    }
}

#[wasm_bindgen_test]
async fn chinese_counts_in_wan_and_words_errors_from_their_codes() {
    let h = mount_in("zh", "/pay-as-you-go", users::ACME_MAIN, |_| {});
    // Token package 10M (annual): 9,500,000 of 10,000,000 used.
    let bar = get(&h.root, "progressbar", "Token package 10M (annual) 的用量").await;
    let row = row_with(&h.root, "Token package 10M (annual)").unwrap();
    assert!(
        text(&row).contains("950万 / 1,000万 Token"),
        "{}",
        text(&row)
    );
    let spoken = bar.get_attribute("aria-valuetext").unwrap();
    assert!(
        spoken.contains("已用 9,500,000 Token，共 10,000,000 Token"),
        "{spoken}"
    );
    assert!(spoken.contains("即将用完"), "{spoken}");
    // Badges and plurals.
    assert!(text(&h.root).contains("5 天后到期"));
    // An error from the API, in Chinese, with its code.
    h.store.fail_next(Failure::Error(ApiError::new(
        ErrorCode::InternalError,
        "The database is restarting.",
    )));
    click(&get(&h.root, "button", "已用完（1）").await).await;
    let alert = get(&h.root, "alert", "无法加载资源").await;
    assert!(
        text(&alert).contains("计费服务内部错误"),
        "{}",
        text(&alert)
    );
    assert!(text(&alert).contains("InternalError"));
    assert!(!text(&alert).contains("database"));
}

#[wasm_bindgen_test]
async fn language_follows_the_browser_switches_and_is_remembered() {
    let browser_lang = web_sys::window()
        .unwrap()
        .navigator()
        .language()
        .unwrap_or_default();
    let h = mount_in("", "/pay-as-you-go", users::ACME_MAIN, |_| {});
    let expected = if browser_lang.starts_with("zh") {
        "按量付费资源"
    } else {
        "Pay-As-You-Go Resources"
    };
    get(&h.root, "heading", expected).await;
    let select = h.root.query_selector("#language-picker").unwrap().unwrap();
    let sel: &web_sys::HtmlSelectElement = select.unchecked_ref();
    sel.set_value("zh");
    select
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    get(&h.root, "heading", "按量付费资源").await;
    get(&h.root, "tab", "后付费设置").await;
    // Dates keep their zone; the menu keeps keyboard focus.
    wait_for("focus back on the language menu", || {
        active().filter(|a| a.id() == "language-picker")
    })
    .await;
    let stored = web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .get_item(billing_console::i18n::LANG_KEY)
        .unwrap();
    assert_eq!(stored.as_deref(), Some("zh"));
    drop(h);
    // A new visit (nothing reset) opens in Chinese.
    let w = web_sys::window().unwrap();
    let again = {
        let st = w.local_storage().unwrap().unwrap();
        let v = st
            .get_item(billing_console::i18n::LANG_KEY)
            .unwrap()
            .unwrap();
        mount_in(&v, "/postpaid", users::ACME_MAIN, |_| {})
    };
    get(&again.root, "heading", "后付费设置").await;
}

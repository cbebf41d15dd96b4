//! End to end: headless Chromium (WebDriver) against the real server
//! serving the release build of the console, under its real CSP.
//! Needs `dist/` (trunk build --release) and chromedriver; scripts/test.sh
//! provides both.

mod support;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use billing_rules::seed::users::ACME_SUB;
use billing_server::AuthMode;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use support::{free_port, Server};

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn browser() -> (Driver, Client) {
    browser_with(&[]).await
}

async fn browser_with(extra_args: &[&str]) -> (Driver, Client) {
    browser_emulating(extra_args, None).await
}

/// A browser whose viewport is exactly `w` × `h` CSS pixels (Chromium's
/// device emulation: a headless window cannot be narrower than about 500 px).
async fn browser_sized(w: u32, h: u32) -> (Driver, Client) {
    let phone = w < 1024;
    browser_emulating(
        &[],
        Some(json!({ "deviceMetrics": { "width": w, "height": h, "pixelRatio": 1.0, "mobile": phone, "touch": phone } })),
    )
    .await
}

async fn browser_emulating(
    extra_args: &[&str],
    emulation: Option<serde_json::Value>,
) -> (Driver, Client) {
    let port = free_port();
    let bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
    let child = Command::new(&bin)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {bin}: {e} (scripts/setup.sh installs it)"));
    let driver = Driver(child);
    let args: Vec<&str> = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-quic",
        "--disable-sync",
        "--window-size=1280,900",
    ]
    .into_iter()
    .chain(extra_args.iter().copied())
    .collect();
    let mut caps = serde_json::Map::new();
    // The browser's console, for the tests that read it.
    caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
    let mut options = json!({
        "binary": std::env::var("CHROME_BIN").unwrap_or_else(|_| "/usr/bin/chromium".into()),
        "args": args
    });
    if let Some(e) = emulation {
        options["mobileEmulation"] = e;
    }
    caps.insert("goog:chromeOptions".into(), options);
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..200 {
        let conn = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&url)
            .await;
        if let Ok(c) = conn {
            return (driver, c);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("chromedriver did not answer on {url}");
}

async fn wait_css(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("waiting for {css}: {e}"))
}

async fn wait_xpath(c: &Client, xpath: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::XPath(xpath))
        .await
        .unwrap_or_else(|e| panic!("waiting for {xpath}: {e}"))
}

async fn wait_text(c: &Client, text: &str) {
    let xp = format!("//*[contains(normalize-space(.), \"{text}\")]");
    wait_xpath(c, &xp).await;
}

/// The built client; the end-to-end tests need it.
fn dist_dir() -> PathBuf {
    let dist = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../dist");
    assert!(
        dist.join("index.html").exists(),
        "no {}: build the client first (trunk build --release --no-default-features)",
        dist.display()
    );
    dist
}

async fn click_tab(c: &Client, name: &str) {
    wait_xpath(c, &format!("//a[@role='tab' and contains(., '{name}')]"))
        .await
        .click()
        .await
        .unwrap();
}

async fn click_button(c: &Client, label: &str) {
    button(c, label).await.click().await.unwrap();
}

async fn button(c: &Client, label: &str) -> fantoccini::elements::Element {
    wait_xpath(
        c,
        &format!("//button[contains(normalize-space(.), \"{label}\")]"),
    )
    .await
}

#[tokio::test]
async fn main_account_and_sub_account_in_a_real_browser() {
    let dist = dist_dir();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        &dir.path().join("e2e.sqlite"),
        Some(dist.clone()),
        AuthMode::Demo,
    )
    .await;
    let (_driver, c) = browser().await;

    // Signed out: the sign-in page lists the demo users.
    c.goto(&format!("{}/pay-as-you-go", server.base))
        .await
        .unwrap();
    // Count CSP violations from here on (WebDriver scripts are not subject to the page's CSP).
    c.execute(
        "window.__cspViolations = 0; document.addEventListener('securitypolicyviolation', () => window.__cspViolations++);",
        vec![],
    )
    .await
    .unwrap();
    click_button(&c, "Sign in as Alice Chen (main account)").await;

    // The attention area and the bars, over HTTP (no "demo data, in this
    // browser" label).
    let action = wait_css(&c, "[data-attention=action][role=alert]").await;
    assert!(action.text().await.unwrap().contains("1 exhausted"));
    let bar = wait_css(
        &c,
        "[role=progressbar][aria-label='Usage of Token package 10M (annual)']",
    )
    .await;
    assert_eq!(
        bar.attr("aria-valuenow").await.unwrap().as_deref(),
        Some("95")
    );
    assert!(
        c.find(Locator::Css(".data-label")).await.is_err(),
        "served by the server, not the mock store"
    );

    // Live: metering on the server moves the bar and the bell, no reload.
    wait_css(&c, ".live").await;
    let bell = wait_css(&c, ".bell-button").await;
    let before = bell.attr("aria-label").await.unwrap().unwrap();
    wait_css(
        &c,
        "[role=progressbar][aria-label='Usage of Search trial package'][aria-valuenow='12']",
    )
    .await;
    let (st, _) = server
        .client()
        .operator(json!({ "TenantId": "t-acme", "Kind": "SearchPackage", "Amount": 790, "IdempotencyKey": "e2e-live" }))
        .await;
    assert_eq!(st, 200);
    wait_css(
        &c,
        "[role=progressbar][aria-label='Usage of Search trial package'][aria-valuenow='91']",
    )
    .await;
    let after = c
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::XPath(&format!(
            "//button[contains(@class,'bell-button') and @aria-label!='{before}']"
        )))
        .await
        .expect("bell count changed");
    assert!(after
        .attr("aria-label")
        .await
        .unwrap()
        .unwrap()
        .contains("unread"));

    // The server restarts: the stream reconnects by itself and live updates resume.
    let addr = server.base.trim_start_matches("http://").to_string();
    let db = server.db.clone();
    server.stop().await;
    let server = Server::start_at(&db, Some(dist.clone()), AuthMode::Demo, &addr).await;
    let (st, _) = server
        .client()
        .operator(json!({ "TenantId": "t-acme", "Kind": "SearchPackage", "Amount": 80, "IdempotencyKey": "e2e-after-restart" }))
        .await;
    assert_eq!(st, 200);
    wait_css(
        &c,
        "[role=progressbar][aria-label='Usage of Search trial package'][aria-valuenow='99']",
    )
    .await;

    // Enable postpaid, then disable: the cooldown shows.
    click_tab(&c, "Postpaid Settings").await;
    wait_text(&c, "You may enable postpaid now.").await;
    wait_css(&c, "[role=switch][aria-checked=false]")
        .await
        .click()
        .await
        .unwrap();
    let dialog = wait_css(&c, "[role=dialog]").await;
    assert!(dialog.text().await.unwrap().contains("Free trial packages"));
    click_button(&c, "Turn on").await;
    wait_text(&c, "Postpaid billing is now on").await;
    wait_css(&c, "[role=switch][aria-checked=true]")
        .await
        .click()
        .await
        .unwrap();
    click_button(&c, "Turn off").await;
    let timer = wait_css(&c, "[role=timer]").await;
    assert!(timer.text().await.unwrap().contains("left"));
    let sw = wait_css(&c, "[role=switch][aria-checked=false]").await;
    assert!(
        sw.attr("disabled").await.unwrap().is_some(),
        "enable locked for the hour"
    );
    wait_text(&c, "only once per hour").await;

    // A sub-account without the permission: disabled, with the reason.
    click_button(&c, "Sign out").await;
    click_button(&c, "Sign in as Bob Li (ops)").await;
    click_tab(&c, "Postpaid Settings").await;
    wait_text(&c, "without the “Postpaid Settings” permission").await;
    let sw = wait_css(&c, "[role=switch]").await;
    assert!(sw.attr("disabled").await.unwrap().is_some());
    assert!(
        c.find(Locator::XPath("//a[contains(., 'User permissions')]"))
            .await
            .is_err(),
        "no link to permissions"
    );

    // Sign out everywhere: this browser and Bob's other session both end.
    let elsewhere = server.signed_in(ACME_SUB).await;
    assert_eq!(elsewhere.call("DescribeIdentity", json!({})).await.0, 200);
    click_button(&c, "Sign out everywhere").await;
    button(&c, "Sign in as Bob Li (ops)").await;
    assert_eq!(
        elsewhere.call("DescribeIdentity", json!({})).await.0,
        401,
        "the other session survived"
    );

    // The console never hit a CSP violation or a panic on the way.
    let errors = c
        .execute("return window.__cspViolations || 0", vec![])
        .await
        .unwrap();
    assert_eq!(errors, json!(0));
    c.close().await.unwrap();
    server.stop().await;
}

#[tokio::test]
async fn metering_moves_the_forecast_and_adds_a_ledger_line_live() {
    let dist = dist_dir();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("fc.sqlite"), Some(dist), AuthMode::Demo).await;
    let (_driver, c) = browser().await;
    c.goto(&format!("{}/pay-as-you-go", server.base))
        .await
        .unwrap();
    click_button(&c, "Sign in as Alice Chen (main account)").await;
    wait_css(&c, ".live").await;
    let trial = "//tr[contains(., 'Model token trial package')]//*[@data-forecast]";
    let before = wait_xpath(&c, trial).await.text().await.unwrap();
    assert!(
        before.starts_with("At the last 7 days' pace: runs out around "),
        "{before}"
    );
    // The attention area names the package the seeded pace runs out within the week.
    let line = wait_css(&c, "[data-attention=soon][role=status]").await;
    assert!(line
        .text()
        .await
        .unwrap()
        .contains("1 running out within 7 days"));
    click_button(&c, "Show details").await;
    let detail = wait_css(&c, "#attention-details [data-banner=running-out]").await;
    assert!(detail
        .text()
        .await
        .unwrap()
        .contains("“Search trial package”"));

    // 400,000 tokens metered now: the trial's forecast moves, no reload.
    let (st, _) = server
        .client()
        .operator(json!({ "TenantId": "t-acme", "Kind": "TokenPackage", "Amount": 400000, "IdempotencyKey": "e2e-forecast" }))
        .await;
    assert_eq!(st, 200);
    wait_xpath(&c, &format!("{trial}[not(contains(., \"{before}\"))]")).await;

    // Its deductions: the line with the event's key, and the next one arrives live.
    wait_css(
        &c,
        "a[aria-label='Deductions of “Model token trial package”']",
    )
    .await
    .click()
    .await
    .unwrap();
    wait_text(&c, "e2e-forecast").await;
    let row = wait_xpath(&c, "//tr[contains(., 'e2e-forecast')]").await;
    let text = row.text().await.unwrap();
    assert!(
        text.contains("Free trial") && text.contains("600,000 → 200,000"),
        "{text}"
    );
    let (st, _) = server
        .client()
        .operator(json!({ "TenantId": "t-acme", "Kind": "TokenPackage", "Amount": 1000, "IdempotencyKey": "e2e-ledger-live" }))
        .await;
    assert_eq!(st, 200);
    wait_text(&c, "e2e-ledger-live").await;
    c.close().await.unwrap();
    server.stop().await;
}

#[tokio::test]
async fn settlement_below_zero_shows_the_account_overdue_live_and_a_top_up_clears_it() {
    let dist = dist_dir();
    let dir = tempfile::tempdir().unwrap();
    let skew = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
    let clock = skew.clone();
    let server = Server::start_configured(&dir.path().join("od.sqlite"), "127.0.0.1:0", move |c| {
        c.dist = Some(dist);
        c.auth = AuthMode::Demo;
        c.clock_skew = clock;
        c.jobs = true;
        c.sweep_every = Duration::from_millis(100);
    })
    .await;
    let (_driver, c) = browser().await;
    c.goto(&format!("{}/postpaid", server.base)).await.unwrap();
    click_button(&c, "Sign in as Alice Chen (main account)").await;
    wait_css(&c, ".live").await;
    wait_text(&c, "You may enable postpaid now.").await;
    // Postpaid on, then far more tokens than the packages hold.
    let api = server
        .signed_in(billing_rules::seed::users::ACME_MAIN)
        .await;
    let (st, v) = api
        .call("ModifyPostpaidSetting", json!({ "Enabled": true }))
        .await;
    assert_eq!(st, 200, "{v}");
    let (st, v) = api
        .operator(json!({ "TenantId": "t-acme", "Kind": "TokenPackage", "Amount": 1_000_000_000_000u64, "IdempotencyKey": "e2e-big" }))
        .await;
    assert_eq!(st, 200, "{v}");
    assert!(c
        .find_all(Locator::XPath(OVERDUE))
        .await
        .unwrap()
        .is_empty());
    // The hour closes: settlement takes the balance below zero, and the
    // console says so without a reload.
    skew.fetch_add(3600, std::sync::atomic::Ordering::SeqCst);
    wait_xpath(&c, OVERDUE).await;
    click_button(&c, "Show details").await;
    let detail = wait_css(&c, "#attention-details [data-banner=overdue]").await;
    assert!(detail
        .text()
        .await
        .unwrap()
        .contains("Your account is overdue"));
    wait_text(&c, "Postpaid charges").await;
    wait_xpath(
        &c,
        "//table[contains(@class,'bills')]//tr[contains(., '$')]",
    )
    .await;
    let (st, v) = api
        .operator(json!({ "TenantId": "t-acme", "Kind": "SearchPackage", "Amount": 1, "IdempotencyKey": "e2e-refused" }))
        .await;
    assert_eq!(
        (st, v["Response"]["Error"]["Code"].as_str()),
        (409, Some("FailedOperation.BalanceInsufficient"))
    );
    // A top-up clears it, live.
    let (st, v) = api
        .operator_call("TopUp", json!({ "TenantId": "t-acme", "AmountCents": 1_000_000_000, "IdempotencyKey": "e2e-pay" }))
        .await;
    assert_eq!(st, 200, "{v}");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !c
        .find_all(Locator::XPath(OVERDUE))
        .await
        .unwrap()
        .is_empty()
    {
        assert!(std::time::Instant::now() < deadline, "the banner stayed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    c.close().await.unwrap();
    server.stop().await;
}

/// The needs-action line saying the account is overdue.
const OVERDUE: &str =
    "//*[@data-attention='action' and @role='alert' and contains(., 'account overdue')]";

/// axe-core's WCAG 2.0/2.1 A and AA rules on the current screen; each
/// violation as "rule: help — targets".
async fn axe(c: &Client, axe_js: &str, screen: &str) -> Vec<String> {
    c.execute(axe_js, vec![]).await.expect("inject axe-core");
    let found = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
               .then(r => done(r.passes.length === 0 ? ['axe checked nothing'] :
                 r.violations.map(v => v.id + ': ' + v.help + ' — ' + v.nodes.slice(0, 4).map(n => n.target.join(' ')).join(' | '))))
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .expect("run axe-core");
    serde_json::from_value::<Vec<String>>(found)
        .unwrap_or_default()
        .into_iter()
        .map(|v| format!("[{screen}] {v}"))
        .collect()
}

#[tokio::test]
async fn no_wcag_a_or_aa_violations_on_any_screen_both_languages_light_and_dark() {
    let dist = dist_dir();
    let axe_path = std::env::var("AXE_CORE_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../.tools/axe/node_modules/axe-core/axe.min.js")
        });
    let axe_js = std::fs::read_to_string(&axe_path).unwrap_or_else(|e| {
        panic!(
            "axe-core not at {} ({e}); scripts/setup.sh installs it",
            axe_path.display()
        )
    });
    let mut violations = Vec::new();
    // Each screen in English and Chinese, light and dark.
    for (lang, dark) in [("en", false), ("en", true), ("zh", false), ("zh", true)] {
        let zh = lang == "zh";
        let tr = |en: &'static str, zh_text: &'static str| if zh { zh_text } else { en };
        let dir = tempfile::tempdir().unwrap();
        let server = Server::start(
            &dir.path().join("a11y.sqlite"),
            Some(dist.clone()),
            AuthMode::Demo,
        )
        .await;
        let args: &[&str] = if dark {
            &[
                "--force-dark-mode",
                "--blink-settings=preferredColorScheme=0",
            ]
        } else {
            &[]
        };
        let (_driver, c) = browser_with(args).await;
        let theme = if dark {
            format!("{lang} dark")
        } else {
            format!("{lang} light")
        };
        c.goto(&format!("{}/pay-as-you-go", server.base))
            .await
            .unwrap();
        let is_dark = c
            .execute(
                "return matchMedia('(prefers-color-scheme: dark)').matches",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(is_dark, json!(dark), "{theme} theme in effect");
        // The language the user picked earlier, remembered in this browser.
        c.execute(
            &format!("localStorage.setItem('billing-console.language', '{lang}')"),
            vec![],
        )
        .await
        .unwrap();
        c.refresh().await.unwrap();
        button(&c, "Alice Chen").await;
        let html_lang = c
            .execute("return document.documentElement.lang", vec![])
            .await
            .unwrap();
        assert_eq!(
            html_lang,
            json!(tr("en", "zh-Hans")),
            "{theme}: page language"
        );
        violations.extend(axe(&c, &axe_js, &format!("{theme} sign-in")).await);
        if !dark && !zh {
            // The audit can fail: an image without alternative text is caught.
            c.execute("const i = document.createElement('img'); i.id = 'axe-probe'; i.src = '/favicon.svg'; document.body.append(i);", vec![]).await.unwrap();
            let caught = axe(&c, &axe_js, "probe").await;
            assert!(
                caught.iter().any(|v| v.contains("image-alt")),
                "axe must flag a missing alt: {caught:?}"
            );
            c.execute("document.getElementById('axe-probe').remove();", vec![])
                .await
                .unwrap();
        }
        click_button(&c, "Alice Chen").await;
        wait_css(&c, "[role=progressbar]").await;
        wait_css(&c, "figure.chart svg").await;
        violations.extend(axe(&c, &axe_js, &format!("{theme} pay-as-you-go")).await);
        for (tab, ready) in [
            (
                tr("Concurrency Resources", "并发资源"),
                "[role=progressbar]",
            ),
            (tr("Knowledge Base Capacity", "知识库容量"), ".kb-figures"),
        ] {
            click_tab(&c, tab).await;
            wait_css(&c, ready).await;
            violations.extend(axe(&c, &axe_js, &format!("{theme} {tab}")).await);
        }
        wait_xpath(
            &c,
            &format!(
                "//button[starts-with(@aria-label, '{}')]",
                tr("Renew ", "续费 ")
            ),
        )
        .await
        .click()
        .await
        .unwrap();
        wait_css(&c, "[role=dialog]").await;
        violations.extend(axe(&c, &axe_js, &format!("{theme} renew dialog")).await);
        click_button(&c, tr("Cancel", "取消")).await;
        click_tab(&c, tr("Postpaid Settings", "后付费设置")).await;
        wait_text(
            &c,
            tr("You may enable postpaid now.", "现在可以开通后付费。"),
        )
        .await;
        violations.extend(axe(&c, &axe_js, &format!("{theme} postpaid")).await);
        wait_css(&c, "[role=switch]").await.click().await.unwrap();
        wait_css(&c, "[role=dialog]").await;
        violations.extend(axe(&c, &axe_js, &format!("{theme} postpaid dialog")).await);
        click_button(&c, tr("Cancel", "取消")).await;
        wait_css(&c, ".bell-button").await.click().await.unwrap();
        wait_css(&c, "#notification-panel").await;
        violations.extend(axe(&c, &axe_js, &format!("{theme} notification panel")).await);
        // Close the panel (it lies over the header's links).
        wait_css(&c, ".bell-button").await.click().await.unwrap();
        wait_xpath(
            &c,
            &format!("//a[contains(., '{}')]", tr("User permissions", "用户权限")),
        )
        .await
        .click()
        .await
        .unwrap();
        wait_css(&c, ".perm-table").await;
        violations.extend(axe(&c, &axe_js, &format!("{theme} user permissions")).await);
        c.goto(&format!("{}/deductions", server.base))
            .await
            .unwrap();
        wait_css(&c, ".deductions tbody tr td").await;
        violations.extend(axe(&c, &axe_js, &format!("{theme} deductions")).await);
        c.goto(&format!("{}/alerts", server.base)).await.unwrap();
        wait_css(&c, ".add-hook").await;
        wait_text(&c, tr("No endpoints yet", "暂无地址")).await;
        violations.extend(axe(&c, &axe_js, &format!("{theme} alert webhooks")).await);
        c.close().await.unwrap();
        server.stop().await;
    }
    assert!(
        violations.is_empty(),
        "{} accessibility violation(s):\n{}",
        violations.len(),
        violations.join("\n")
    );
}

/// Press `key` on whatever has focus.
async fn press(c: &Client, key: fantoccini::key::Key) {
    c.active_element()
        .await
        .unwrap()
        .send_keys(&key)
        .await
        .unwrap();
}

/// Press Tab until the focused element matches `css` (at most 60 times).
async fn tab_to(c: &Client, css: &str) -> fantoccini::elements::Element {
    let probe = format!("return document.activeElement && document.activeElement.matches({css:?})");
    for _ in 0..60 {
        if c.execute(&probe, vec![]).await.unwrap() == json!(true) {
            return c.active_element().await.unwrap();
        }
        press(c, fantoccini::key::Key::Tab).await;
    }
    panic!("Tab never reached {css}");
}

/// The main flows with the keyboard alone: sign in, move between tabs with
/// the arrow keys, open the postpaid dialog with Space, cancel with Escape
/// (focus comes back), then enable from the keyboard.
#[tokio::test]
async fn keyboard_only_walkthrough() {
    use fantoccini::key::Key;
    let dist = dist_dir();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("keys.sqlite"), Some(dist), AuthMode::Demo).await;
    let (_driver, c) = browser().await;
    c.goto(&format!("{}/pay-as-you-go", server.base))
        .await
        .unwrap();
    button(&c, "Sign in as Alice Chen (main account)").await;
    tab_to(&c, "button").await;
    press(&c, Key::Enter).await;
    wait_css(&c, "[role=progressbar]").await;

    // The tablist: one tab stop, arrows move and select.
    tab_to(&c, "[role=tab][aria-selected=true]").await;
    press(&c, Key::Right).await;
    wait_css(&c, "#tab-concurrency[aria-selected=true]").await;
    press(&c, Key::End).await;
    wait_css(&c, "#tab-postpaid[aria-selected=true]").await;
    let focused = c.active_element().await.unwrap().attr("id").await.unwrap();
    assert_eq!(
        focused.as_deref(),
        Some("tab-postpaid"),
        "focus follows the selected tab"
    );
    wait_text(&c, "You may enable postpaid now.").await;

    // The switch opens its dialog with Space; Escape cancels and focus returns.
    tab_to(&c, "[role=switch]").await;
    press(&c, Key::Space).await;
    wait_css(&c, "[role=dialog]").await;
    let in_dialog = c
        .execute(
            "return !!document.activeElement.closest('[role=dialog]')",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(in_dialog, json!(true), "focus moved into the dialog");
    press(&c, Key::Escape).await;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("[role=switch]:focus"))
        .await
        .expect("focus back on the switch");
    assert!(
        c.find(Locator::Css("[role=dialog]")).await.is_err(),
        "Escape closed the dialog"
    );

    // Enable with the keyboard alone: Space, Tab to "Turn on", Enter.
    press(&c, Key::Space).await;
    wait_css(&c, "[role=dialog]").await;
    press(&c, Key::Tab).await;
    let confirm = c.active_element().await.unwrap().text().await.unwrap();
    assert_eq!(confirm, "Turn on");
    press(&c, Key::Enter).await;
    wait_css(&c, "[role=switch][aria-checked=true]").await;
    wait_text(&c, "Postpaid billing is now on").await;
    c.close().await.unwrap();
    server.stop().await;
}

/// Chromedriver's browser log since the last call: console messages and
/// failed loads (a refused request is logged as an error).
#[derive(Debug)]
struct BrowserLog;

impl fantoccini::wd::WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.into()))
    }
}

/// The errors the console logged since the last look, each as
/// "[screen] console: message".
async fn console_errors(c: &Client, screen: &str) -> Vec<String> {
    let log = c.issue_cmd(BrowserLog).await.expect("chromedriver's log");
    log.as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["level"] == "SEVERE")
        .map(|e| {
            format!(
                "[{screen}] console: {}",
                e["message"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

/// What is wrong with the layout now, as sentences: anything wider than the
/// viewport (outside a scrolling box), an open popover or dialog reaching
/// past the viewport's edges.
const LAYOUT_PROBLEMS: &str = r#"
const vw = document.documentElement.clientWidth, vh = window.innerHeight, out = [];
if (document.documentElement.scrollWidth > vw + 1)
  out.push(`the page scrolls sideways: ${document.documentElement.scrollWidth}px in ${vw}px`);
const scrolls = e => { for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
  const o = getComputedStyle(a).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return true; } return false; };
for (const e of document.querySelectorAll('body *')) {
  const r = e.getBoundingClientRect();
  if (r.width === 0 || r.height === 0 || r.right <= 0) continue; // not drawn, or off screen by design
  if (e.closest('details:not([open])') && !e.closest('summary')) continue; // folded away
  if ((r.right > vw + 1 || r.left < -1) && !scrolls(e))
    out.push(`${e.tagName.toLowerCase()}.${e.className} spans ${Math.round(r.left)}..${Math.round(r.right)} of ${vw}px`);
}
for (const sel of ['#notification-panel', '#header-menu.open', '[role=dialog]', '.dialog']) {
  for (const e of document.querySelectorAll(sel)) {
    const r = e.getBoundingClientRect();
    if (r.width === 0) continue;
    if (r.left < -1 || r.top < -1 || r.right > vw + 1 || r.bottom > vh + 1)
      out.push(`${sel} lies at ${Math.round(r.left)},${Math.round(r.top)}..${Math.round(r.right)},${Math.round(r.bottom)} outside ${vw}x${vh}`);
  }
}
return out.slice(0, 12);
"#;

async fn layout_problems(c: &Client, screen: &str) -> Vec<String> {
    let v = c.execute(LAYOUT_PROBLEMS, vec![]).await.unwrap();
    v.as_array()
        .into_iter()
        .flatten()
        .map(|p| format!("[{screen}] {}", p.as_str().unwrap_or_default()))
        .collect()
}

/// Every screen at a phone's, a tablet's and a desktop's size, in both
/// languages: nothing wider than the viewport, every open popover and
/// dialog inside it, no console error (before sign-in the console asks once
/// who is signed in and is told "nobody" without a refusal); on a phone the
/// first resource row starts within 1.5 screens, and the attention area
/// stays within a quarter of the first screen; a fresh load of the signed-in
/// default view shifts its layout by at most 0.02.
#[tokio::test]
async fn every_screen_fits_phone_tablet_and_desktop_in_both_languages() {
    let dist = dist_dir();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("vp.sqlite"), Some(dist), AuthMode::Demo).await;
    let base = server.base.clone();
    let mut problems = Vec::new();
    for (w, h) in [(360u32, 780u32), (768, 1024), (1280, 900)] {
        let (_driver, c) = browser_sized(w, h).await;
        c.goto(&format!("{base}/pay-as-you-go")).await.unwrap();
        let inner = c
            .execute(
                "return [document.documentElement.clientWidth, window.innerHeight]",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(inner, json!([w, h]), "the viewport is {w}x{h}");
        for lang in ["en", "zh"] {
            let zh = lang == "zh";
            let tr = |en: &'static str, zh_text: &'static str| if zh { zh_text } else { en };
            let at = |what: &str| format!("{w}x{h} {lang} {what}");
            c.execute(
                &format!("localStorage.clear(); localStorage.setItem('billing-console.language', '{lang}')"),
                vec![],
            )
            .await
            .unwrap();
            let _ = c.delete_all_cookies().await;
            c.goto(&format!("{base}/pay-as-you-go")).await.unwrap();
            // Drop what the page logged before this round.
            console_errors(&c, "").await;
            c.refresh().await.unwrap();

            // Signed out: the sign-in page, from one request.
            let sign_in = button(&c, "Alice Chen").await;
            let requests = c
                .execute(
                    "return performance.getEntriesByType('resource').filter(e => e.name.includes('/api/')).map(e => e.name.split('/api/')[1])",
                    vec![],
                )
                .await
                .unwrap();
            assert_eq!(
                requests,
                json!(["DescribeServerInfo"]),
                "{}: before sign-in, one question",
                at("sign-in")
            );
            problems.extend(layout_problems(&c, &at("sign-in")).await);
            problems.extend(console_errors(&c, &at("sign-in")).await);
            sign_in.click().await.unwrap();
            wait_css(&c, "[role=progressbar]").await;

            // A fresh load of the default view, signed in: nothing moves.
            c.refresh().await.unwrap();
            c.execute(
                "window.__cls = 0; window.__shifts = []; new PerformanceObserver(l => { for (const e of l.getEntries()) if (!e.hadRecentInput) { window.__cls += e.value; window.__shifts.push(e.value.toFixed(3) + ': ' + e.sources.map(s => { const n = s.node; const d = n && n.nodeType === 1 ? n.tagName.toLowerCase() + '.' + n.className : String(n && n.nodeName); return d + ' ' + Math.round(s.previousRect.y) + '->' + Math.round(s.currentRect.y); }).join(', ')); } }).observe({type: 'layout-shift', buffered: true});",
                vec![],
            )
            .await
            .unwrap();
            wait_css(&c, ".resource-list tbody tr [role=progressbar]").await;
            wait_css(&c, "figure.chart svg").await;
            wait_css(&c, "[data-attention=action]").await;
            wait_css(&c, ".bell-count").await;
            // One round trip after identity, nothing asked twice.
            let asked = c
                .execute(
                    "return performance.getEntriesByType('resource').filter(e => e.name.includes('/api/Describe')).map(e => e.name.split('/api/')[1]).sort()",
                    vec![],
                )
                .await
                .unwrap();
            assert_eq!(
                asked,
                json!([
                    "DescribeAccountSummary",
                    "DescribeNotices",
                    "DescribeResources",
                    "DescribeServerInfo",
                    "DescribeUsageHistory"
                ]),
                "{}: the first screen's requests",
                at("default view")
            );
            let cls = c.execute("return window.__cls", vec![]).await.unwrap();
            let cls = cls.as_f64().unwrap_or(1.0);
            if cls > 0.02 {
                let shifts = c.execute("return window.__shifts", vec![]).await.unwrap();
                problems.push(format!(
                    "[{}] layout shift {cls:.3} > 0.02: {shifts}",
                    at("default view")
                ));
            }
            if (w, h) == (360, 780) || (w, h) == (1280, 900) {
                let area = c
                    .execute("return document.querySelector('.attention').getBoundingClientRect().height", vec![])
                    .await
                    .unwrap()
                    .as_f64()
                    .unwrap();
                if area > 0.25 * h as f64 {
                    problems.push(format!(
                        "[{}] the attention area is {area:.0}px, over a quarter of {h}px",
                        at("default view")
                    ));
                }
            }
            if (w, h) == (360, 780) {
                let top = c
                    .execute("return document.querySelector('.resource-list tbody tr').getBoundingClientRect().top + scrollY", vec![])
                    .await
                    .unwrap()
                    .as_f64()
                    .unwrap();
                if top > 1.5 * h as f64 {
                    problems.push(format!(
                        "[{}] the first resource row starts at {top:.0}px, past 1.5 screens",
                        at("default view")
                    ));
                }
            }
            problems.extend(layout_problems(&c, &at("pay-as-you-go")).await);

            // The notification panel, open.
            wait_css(&c, ".bell-button").await.click().await.unwrap();
            wait_css(&c, "#notification-panel .notice").await;
            problems.extend(layout_problems(&c, &at("notification panel")).await);
            wait_css(&c, ".bell-button").await.click().await.unwrap();

            // On a phone the settings open as a menu.
            if w < 720 {
                wait_css(&c, ".menu-button").await.click().await.unwrap();
                wait_css(&c, "#header-menu.open").await;
                problems.extend(layout_problems(&c, &at("settings menu")).await);
                wait_css(&c, ".menu-button").await.click().await.unwrap();
            }

            // Every tab, and the dialogs they open.
            let tabs = [
                ("/concurrency", "[role=progressbar]"),
                ("/knowledge-base", ".kb-figures"),
                ("/postpaid", "[role=switch]"),
                ("/permissions", ".perm-table"),
                ("/deductions", ".deductions tbody tr td"),
                ("/alerts", ".add-hook"),
            ];
            for (path, ready) in tabs {
                c.goto(&format!("{base}{path}")).await.unwrap();
                wait_css(&c, ready).await;
                problems.extend(layout_problems(&c, &at(path)).await);
                let opener = match path {
                    "/concurrency" => Some(format!(
                        "//button[starts-with(@aria-label, '{}')]",
                        tr("Renew ", "续费 ")
                    )),
                    "/postpaid" | "/permissions" => {
                        Some("//*[@role='switch' and not(@disabled)]".to_string())
                    }
                    _ => None,
                };
                if let Some(xp) = opener {
                    wait_xpath(&c, &xp).await.click().await.unwrap();
                    wait_css(&c, "[role=dialog]").await;
                    problems.extend(layout_problems(&c, &at(&format!("{path} dialog"))).await);
                    click_button(&c, tr("Cancel", "取消")).await;
                }
            }
            problems.extend(console_errors(&c, &at("screens")).await);
        }
        c.close().await.unwrap();
    }
    server.stop().await;
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

//! End to end: headless Chromium (WebDriver) against the real server
//! serving the release build of the console, under its real CSP.
//! Needs `dist/` (trunk build --release) and chromedriver; scripts/test.sh
//! provides both.

mod support;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use billing_server::AuthMode;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use support::Server;

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn browser() -> (Driver, Client) {
    let port = free_port();
    let bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
    let child = Command::new(&bin)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {bin}: {e} (scripts/setup.sh installs it)"));
    let driver = Driver(child);
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": std::env::var("CHROME_BIN").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                     "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync", "--window-size=1280,900"]
        }),
    );
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

async fn button(c: &Client, label: &str) -> fantoccini::elements::Element {
    wait_xpath(
        c,
        &format!("//button[contains(normalize-space(.), \"{label}\")]"),
    )
    .await
}

#[tokio::test]
async fn main_account_and_sub_account_in_a_real_browser() {
    let dist = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../dist");
    assert!(
        dist.join("index.html").exists(),
        "no {}: build the client first (trunk build --release)",
        dist.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("e2e.sqlite"), Some(dist), AuthMode::Demo).await;
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
    button(&c, "Sign in as Alice Chen (main account)")
        .await
        .click()
        .await
        .unwrap();

    // Banners and bars, over HTTP (no "demo data, in this browser" label).
    let exhausted = wait_css(&c, "[data-banner=exhausted][role=alert]").await;
    assert!(exhausted
        .text()
        .await
        .unwrap()
        .contains("1 resource is exhausted"));
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

    // Enable postpaid, then disable: the cooldown shows.
    wait_xpath(&c, "//a[@role='tab' and contains(., 'Postpaid Settings')]")
        .await
        .click()
        .await
        .unwrap();
    wait_text(&c, "You may enable postpaid now.").await;
    wait_css(&c, "[role=switch][aria-checked=false]")
        .await
        .click()
        .await
        .unwrap();
    let dialog = wait_css(&c, "[role=dialog]").await;
    assert!(dialog.text().await.unwrap().contains("Free trial packages"));
    button(&c, "Turn on").await.click().await.unwrap();
    wait_text(&c, "Postpaid billing is now on").await;
    wait_css(&c, "[role=switch][aria-checked=true]")
        .await
        .click()
        .await
        .unwrap();
    button(&c, "Turn off").await.click().await.unwrap();
    let timer = wait_css(&c, "[role=timer]").await;
    assert!(timer.text().await.unwrap().contains("left"));
    let sw = wait_css(&c, "[role=switch][aria-checked=false]").await;
    assert!(
        sw.attr("disabled").await.unwrap().is_some(),
        "enable locked for the hour"
    );
    wait_text(&c, "only once per hour").await;

    // A sub-account without the permission: disabled, with the reason.
    button(&c, "Sign out").await.click().await.unwrap();
    button(&c, "Sign in as Bob Li (ops)")
        .await
        .click()
        .await
        .unwrap();
    wait_xpath(&c, "//a[@role='tab' and contains(., 'Postpaid Settings')]")
        .await
        .click()
        .await
        .unwrap();
    wait_text(&c, "without the “Postpaid Settings” permission").await;
    let sw = wait_css(&c, "[role=switch]").await;
    assert!(sw.attr("disabled").await.unwrap().is_some());
    assert!(
        c.find(Locator::XPath("//a[contains(., 'User permissions')]"))
            .await
            .is_err(),
        "no link to permissions"
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

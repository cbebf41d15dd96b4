//! Browser test helpers: mount the console on the mock store with a fixed
//! clock, find elements by ARIA role and accessible name, poll for results.
#![allow(dead_code)]

use std::any::Any;
use std::rc::Rc;

use billing_console::api::mock::MockStore;
use billing_console::api::Api;
use billing_console::app::App;
use billing_console::clock::Clock;
use chrono::{DateTime, TimeZone, Utc};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()
}

pub struct Harness {
    pub store: MockStore,
    pub clock: Clock,
    pub root: HtmlElement,
    owner: Owner,
    handle: Option<Box<dyn Any>>,
}

impl Drop for Harness {
    fn drop(&mut self) {
        // Unmount and run every cleanup (the router's window listeners too),
        // so the next test's console is the only one on the page.
        self.handle.take();
        self.owner.cleanup();
        self.root.remove();
    }
}

fn doc() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Go to `path` and mount the console there, as `user`, at the fixed t0,
/// in English.
pub fn mount_as(path: &str, user: &str, prepare: impl FnOnce(&MockStore)) -> Harness {
    mount_in("en", path, user, prepare)
}

/// As [`mount_as`], with `lang` ("en", "zh") as the remembered language, or
/// none remembered ("") so the console follows the browser.
pub fn mount_in(lang: &str, path: &str, user: &str, prepare: impl FnOnce(&MockStore)) -> Harness {
    let w = web_sys::window().unwrap();
    if let Some(st) = w.local_storage().unwrap() {
        if lang.is_empty() {
            st.remove_item(billing_console::i18n::LANG_KEY).unwrap();
        } else {
            st.set_item(billing_console::i18n::LANG_KEY, lang).unwrap();
        }
    }
    w.history()
        .unwrap()
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(path))
        .unwrap();
    // Each test starts in the browser's zone, nothing remembered.
    if let Some(st) = w.local_storage().unwrap() {
        st.remove_item(billing_console::components::header::ZONE_KEY)
            .unwrap();
    }
    billing_console::format::set_display_zone(billing_console::format::DisplayZone::Browser);
    let clock = Clock::fixed(t0());
    let store = MockStore::new(clock.clone());
    drop(billing_console::api::Transport::view_as(&store, user));
    prepare(&store);
    let api = Api::new(Rc::new(store.clone()));
    let root: HtmlElement = doc().create_element("div").unwrap().unchecked_into();
    doc().body().unwrap().append_child(&root).unwrap();
    let c = clock.clone();
    let owner = Owner::new();
    let handle = owner
        .with(|| leptos::mount::mount_to(root.clone(), move || view! { <App api=api clock=c/> }));
    Harness {
        store,
        clock,
        root,
        owner,
        handle: Some(Box::new(handle)),
    }
}

pub fn mount(path: &str) -> Harness {
    mount_as(path, billing_rules::seed::users::ACME_MAIN, |_| {})
}

fn implicit_role(el: &Element) -> Option<&'static str> {
    match el.tag_name().to_lowercase().as_str() {
        "button" => Some("button"),
        "a" if el.has_attribute("href") => Some("link"),
        "select" => Some("combobox"),
        "input" if el.get_attribute("type").as_deref() == Some("search") => Some("searchbox"),
        "table" => Some("table"),
        "h1" | "h2" | "h3" => Some("heading"),
        "tr" => Some("row"),
        "nav" => Some("navigation"),
        "main" => Some("main"),
        "section" if el.has_attribute("aria-label") || el.has_attribute("aria-labelledby") => {
            Some("region")
        }
        _ => None,
    }
}

pub fn role_of(el: &Element) -> Option<String> {
    el.get_attribute("role")
        .or_else(|| implicit_role(el).map(str::to_string))
}

pub fn text(el: &Element) -> String {
    el.text_content()
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The accessible name: aria-label, aria-labelledby, else the text.
pub fn name_of(el: &Element) -> String {
    if let Some(l) = el.get_attribute("aria-label") {
        return l;
    }
    if let Some(ids) = el.get_attribute("aria-labelledby") {
        return ids
            .split_whitespace()
            .filter_map(|id| doc().get_element_by_id(id))
            .map(|e| text(&e))
            .collect::<Vec<_>>()
            .join(" ");
    }
    text(el)
}

pub fn all(root: &Element, role: &str) -> Vec<Element> {
    let list = root.query_selector_all("*").unwrap();
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<Element>().ok())
        .filter(|e| role_of(e).as_deref() == Some(role))
        .collect()
}

/// The elements of `role` whose accessible name contains `name`.
pub fn find_all(root: &Element, role: &str, name: &str) -> Vec<Element> {
    all(root, role)
        .into_iter()
        .filter(|e| name_of(e).contains(name))
        .collect()
}

pub fn find(root: &Element, role: &str, name: &str) -> Option<Element> {
    find_all(root, role, name).into_iter().next()
}

/// Poll until `f` gives a value, up to a few seconds; panics naming `what`.
pub async fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    for _ in 0..400 {
        if let Some(v) = f() {
            return v;
        }
        gloo_timers::future::TimeoutFuture::new(10).await;
    }
    panic!("timed out waiting for {what}");
}

/// Wait for an element by role and name.
pub async fn get(root: &Element, role: &str, name: &str) -> Element {
    wait_for(&format!("{role} named “{name}”"), || {
        find(root, role, name)
    })
    .await
}

/// Wait until the text of the page contains `s`.
pub async fn wait_text(root: &Element, s: &str) {
    wait_for(&format!("text “{s}”"), || {
        text(root).contains(s).then_some(())
    })
    .await
}

pub async fn click(el: &Element) {
    el.unchecked_ref::<HtmlElement>().click();
    leptos::task::tick().await;
}

pub fn key(el: &Element, key: &str, shift: bool) {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    init.set_cancelable(true);
    init.set_shift_key(shift);
    let ev = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    el.dispatch_event(&ev).unwrap();
}

pub fn location() -> (String, String) {
    let l = web_sys::window().unwrap().location();
    (l.pathname().unwrap(), l.search().unwrap())
}

pub fn active() -> Option<Element> {
    doc().active_element()
}

pub fn is_disabled(el: &Element) -> bool {
    el.has_attribute("disabled")
}

/// The table row that contains `name`.
pub fn row_with(root: &Element, name: &str) -> Option<Element> {
    all(root, "row")
        .into_iter()
        .find(|r| text(r).contains(name))
}

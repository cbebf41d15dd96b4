//! The tabs of the console: links that behave as a WAI-ARIA tablist
//! (arrow keys, Home and End move between them; one tab stop).

use crate::i18n::{locale, td_string, Locale};
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};
use wasm_bindgen::JsCast;

pub const TABS: [&str; 4] = [
    "/pay-as-you-go",
    "/concurrency",
    "/knowledge-base",
    "/postpaid",
];

pub fn tab_label(path: &str, l: Locale) -> &'static str {
    match path {
        "/concurrency" => td_string!(l, tab_concurrency),
        "/knowledge-base" => td_string!(l, tab_kb),
        "/postpaid" => td_string!(l, tab_postpaid),
        _ => td_string!(l, tab_payg),
    }
}

pub fn tab_id(path: &str) -> String {
    format!("tab{}", path.replace('/', "-"))
}

#[component]
pub fn NavTabs() -> impl IntoView {
    let location = use_location();
    let navigate = use_navigate();
    let selected = Memo::new(move |_| {
        let p = location.pathname.get();
        TABS.iter().position(|path| p == *path)
    });

    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let cur = selected.get_untracked().unwrap_or(0);
        let next = match ev.key().as_str() {
            "ArrowRight" => (cur + 1) % TABS.len(),
            "ArrowLeft" => (cur + TABS.len() - 1) % TABS.len(),
            "Home" => 0,
            "End" => TABS.len() - 1,
            _ => return,
        };
        ev.prevent_default();
        let path = TABS[next];
        // Keep the tab's own query (filters) only for the tab already open.
        navigate(path, Default::default());
        if let Some(el) = document().get_element_by_id(&tab_id(path)) {
            if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        }
    };

    let l = locale();
    view! {
        <nav class="tabs" aria-label=td_string!(l, tabs_label)>
            <div role="tablist" aria-label=td_string!(l, tabs_label) on:keydown=on_key>
                {TABS
                    .iter()
                    .enumerate()
                    .map(|(i, path)| {
                        let is_sel = move || selected.get() == Some(i) || (selected.get().is_none() && i == 0);
                        view! {
                            <a
                                role="tab"
                                id=tab_id(path)
                                href=*path
                                aria-selected=move || if selected.get() == Some(i) { "true" } else { "false" }
                                aria-controls="main"
                                tabindex=move || if is_sel() { "0" } else { "-1" }
                                class="tab"
                            >
                                {tab_label(path, l)}
                            </a>
                        }
                    })
                    .collect_view()}
            </div>
        </nav>
    }
}

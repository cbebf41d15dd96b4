//! A modal confirmation dialog: `role="dialog"`, focus moved in on open and
//! restored on close, Tab kept inside, Escape cancels.

use crate::i18n::{locale, td_string};
use leptos::html;
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_bindgen::JsCast;

use crate::api::ClientError;

static NEXT_ID: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

fn focusables(root: &web_sys::HtmlElement) -> Vec<web_sys::HtmlElement> {
    let Ok(list) = root.query_selector_all(
        "button:not([disabled]), select:not([disabled]), input:not([disabled]), a[href]",
    ) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        .collect()
}

#[component]
pub fn ConfirmDialog(
    #[prop(into)] title: String,
    #[prop(into)] confirm_label: String,
    /// True while the confirmed action runs.
    #[prop(into)]
    busy: Signal<bool>,
    /// The refusal or failure of the confirmed action.
    #[prop(into)]
    error: Signal<Option<ClientError>>,
    #[prop(into)] on_confirm: Callback<()>,
    #[prop(into)] on_cancel: Callback<()>,
    children: Children,
) -> impl IntoView {
    let l = locale();
    let n = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let title_id = format!("dialog-title-{n}");
    let heading_id = title_id.clone();
    let node = NodeRef::<html::Div>::new();
    // Remember where focus was, to put it back on close.
    let opener = SendWrapper::new(
        document()
            .active_element()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()),
    );
    on_cleanup(move || {
        if let Some(el) = opener.take() {
            let _ = el.focus();
        }
    });
    Effect::new(move |_| {
        if let Some(root) = node.get() {
            // The last focusable is the confirm button; start on Cancel, the safe choice.
            if let Some(first) = focusables(&root).into_iter().rev().nth(1) {
                let _ = first.focus();
            }
        }
    });
    let on_key = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "Escape" => {
            ev.prevent_default();
            on_cancel.run(());
        }
        "Tab" => {
            let Some(root) = node.get_untracked() else {
                return;
            };
            let items = focusables(&root);
            let (Some(first), Some(last)) = (items.first(), items.last()) else {
                return;
            };
            let active = document().active_element();
            let at = |el: &web_sys::HtmlElement| {
                active
                    .as_ref()
                    .is_some_and(|a| a == el.unchecked_ref::<web_sys::Element>())
            };
            if ev.shift_key() && at(first) {
                ev.prevent_default();
                let _ = last.focus();
            } else if !ev.shift_key() && at(last) {
                ev.prevent_default();
                let _ = first.focus();
            }
        }
        _ => {}
    };
    view! {
        <div class="dialog-backdrop">
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby=title_id.clone() node_ref=node on:keydown=on_key>
                <h2 id=heading_id>{title}</h2>
                <div class="dialog-body">{children()}</div>
                {move || error.get().map(|e| view! {
                    <div class="error-alert" role="alert">
                        <p>{e.message(l)} " " <code class="error-code">{e.code_label()}</code></p>
                    </div>
                })}
                <div class="dialog-actions">
                    <button type="button" class="btn" on:click=move |_| on_cancel.run(())>{td_string!(l, cancel)}</button>
                    <button type="button" class="btn btn--primary" disabled=move || busy.get() on:click=move |_| on_confirm.run(())>
                        {move || if busy.get() { td_string!(l, working).to_string() } else { confirm_label.clone() }}
                    </button>
                </div>
            </div>
        </div>
    }
}

//! An on/off switch with `role="switch"` and `aria-checked`.

use crate::i18n::{locale, td_string};
use leptos::prelude::*;

#[component]
pub fn Switch(
    #[prop(into)] checked: Signal<bool>,
    #[prop(into)] disabled: Signal<bool>,
    /// Accessible name.
    #[prop(into)]
    label: String,
    /// Id of the element that says why it is disabled, or what it does.
    #[prop(optional, into)]
    described_by: Option<String>,
    #[prop(into)] on_toggle: Callback<()>,
) -> impl IntoView {
    let l = locale();
    view! {
        <button
            type="button"
            role="switch"
            class="switch"
            aria-checked=move || if checked.get() { "true" } else { "false" }
            aria-label=label
            aria-describedby=described_by
            disabled=move || disabled.get()
            on:click=move |_| on_toggle.run(())
        >
            <span class="switch-track" aria-hidden="true">
                <span class="switch-thumb"></span>
            </span>
            <span class="switch-text" aria-hidden="true">{move || if checked.get() { td_string!(l, on) } else { td_string!(l, off) }}</span>
        </button>
    }
}

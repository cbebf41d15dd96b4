//! Previous / "Page N of M" / next, for a paged table.

use crate::i18n::{locale, td_string};
use leptos::prelude::*;

#[component]
pub fn Pager(
    /// The page shown (from 1).
    #[prop(into)]
    page: Signal<u32>,
    /// How many pages there are (at least 1).
    #[prop(into)]
    pages: Signal<u32>,
    /// Go to this page.
    #[prop(into)]
    on_go: Callback<u32>,
) -> impl IntoView {
    let l = locale();
    view! {
        <nav class="pager" aria-label=td_string!(l, pages)>
            <button type="button" class="btn" disabled={move || page.get() <= 1}
                on:click=move |_| on_go.run(page.get_untracked().saturating_sub(1).max(1))>
                {td_string!(l, prev_page)}
            </button>
            <span class="page-of">{move || td_string!(l, page_of, page = page.get(), pages = pages.get()).to_string()}</span>
            <button type="button" class="btn" disabled={move || page.get() >= pages.get()}
                on:click=move |_| on_go.run(page.get_untracked() + 1)>
                {td_string!(l, next_page)}
            </button>
        </nav>
    }
}

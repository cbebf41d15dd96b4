use crate::i18n::{locale, td_string};
use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    let l = locale();
    view! {
        <section aria-labelledby="nf-title">
            <h2 id="nf-title">{td_string!(l, nf_title)}</h2>
            <p>{td_string!(l, nf_text)} " " <a href="/pay-as-you-go">{td_string!(l, nf_link)}</a></p>
        </section>
    }
}

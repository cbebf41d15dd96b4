//! An error shown where it happened: code, message, and optionally Retry.

use crate::i18n::{locale, td_string};
use leptos::prelude::*;

use crate::api::ClientError;

#[component]
pub fn ErrorAlert(
    /// What was being done, e.g. "Could not load resources" (translated).
    #[prop(into)]
    context: String,
    error: ClientError,
    #[prop(optional, into)] on_retry: Option<Callback<()>>,
) -> impl IntoView {
    let l = locale();
    view! {
        <div class="error-alert" role="alert">
            <p>
                <strong>{context}</strong>
                ": "
                {error.message(l)}
                " "
                <code class="error-code">{error.code_label()}</code>
            </p>
            {on_retry.map(|cb| view! { <button type="button" class="btn" on:click=move |_| cb.run(())>{td_string!(l, retry)}</button> })}
        </div>
    }
}

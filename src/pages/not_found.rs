use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section aria-labelledby="nf-title">
            <h2 id="nf-title">"Page not found"</h2>
            <p>"There is no page at this address. " <a href="/pay-as-you-go">"Go to Pay-As-You-Go Resources"</a></p>
        </section>
    }
}

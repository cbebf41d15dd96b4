//! Shown when the server does not recognise the session: in demo mode, a
//! list of the seeded users to sign in as; behind a proxy, where to go.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{Api, ClientError};
use crate::components::error_alert::ErrorAlert;
use crate::state::Session;

#[component]
pub fn SignInPage() -> impl IntoView {
    let api = expect_context::<Api>();
    let session = expect_context::<Session>();
    let error = RwSignal::new(None::<ClientError>);
    let users = api.transport().demo_users();
    view! {
        <main id="main" class="sign-in" tabindex="-1">
            <h2>"Sign in"</h2>
            {match users {
                Some(users) => view! {
                    <p>"Demo mode: choose who to sign in as. Each sees exactly what their account and permissions allow."</p>
                    <ul class="user-list">
                        {users.into_iter().map(|u| {
                            let api = api.clone();
                            let id = u.id.clone();
                            let role = if u.is_main() { "main account" } else if u.postpaid_permission { "sub-account, Postpaid Settings permission" } else { "sub-account" };
                            view! {
                                <li>
                                    <button type="button" class="btn" on:click=move |_| {
                                        let switch = api.transport().view_as(&id);
                                        spawn_local(async move {
                                            match switch.await {
                                                Ok(()) => session.changed(),
                                                Err(e) => error.set(Some(e)),
                                            }
                                        });
                                    }>
                                        {format!("Sign in as {}", u.name)}
                                    </button>
                                    <span class="hint">{format!("{} · {}", u.tenant_id, role)}</span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
                None => view! {
                    <p>"Your session is not recognised. Sign in through your organisation's portal, then reload this page."</p>
                }.into_any(),
            }}
            {move || error.get().map(|e| view! { <ErrorAlert context="Could not sign in" error=e/> })}
        </main>
    }
}

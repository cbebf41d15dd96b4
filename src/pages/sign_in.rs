//! Shown when the server does not recognise the session: in demo mode, a
//! list of the seeded users to sign in as; behind a proxy, where to go.

use crate::components::header::role_label;
use crate::i18n::{locale, td_string};
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
    let l = locale();
    view! {
        <main id="main" class="sign-in" tabindex="-1">
            <h2>{td_string!(l, sign_in_title)}</h2>
            {match users {
                Some(users) => view! {
                    <p>{td_string!(l, sign_in_demo_intro)}</p>
                    <ul class="user-list">
                        {users.into_iter().map(|u| {
                            let api = api.clone();
                            let id = u.id.clone();
                            let role = role_label(&u, l);
                            view! {
                                <li>
                                    <button type="button" class="btn" on:click=move |_| {
                                        let switch = api.transport().view_as(&id);
                                        spawn_local(async move {
                                            match switch.await {
                                                Ok(()) => session.changed_all(),
                                                Err(e) => error.set(Some(e)),
                                            }
                                        });
                                    }>
                                        {td_string!(l, sign_in_as, name = u.name.clone()).to_string()}
                                    </button>
                                    <span class="hint">{format!("{} · {}", u.tenant_id, role)}</span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
                None => view! {
                    <p>{td_string!(l, sign_in_unrecognised)}</p>
                }.into_any(),
            }}
            {move || error.get().map(|e| view! { <ErrorAlert context=td_string!(l, sign_in_failed) error=e/> })}
        </main>
    }
}

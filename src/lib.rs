//! The billing resource console: a Leptos client over one API seam.

pub mod api;
pub mod app;
pub mod clock;
pub mod components;
pub mod export;
pub mod format;
pub mod i18n;
pub mod mutation;
pub mod pages;
pub mod state;
pub mod storage;

use std::rc::Rc;

use api::Api;
use clock::Clock;

/// Mount the console on the page body: over HTTP when this origin serves
/// the API, otherwise over the mock store (demo data, in this browser) when
/// it is built in, or a page saying the service cannot be reached.
pub fn start() {
    // Not leptos::task::spawn_local: its executor starts with the mount.
    wasm_bindgen_futures::spawn_local(async {
        let clock = Clock::system();
        match api::http::HttpTransport::probe("").await {
            Some(http) => {
                let api = Api::new(Rc::new(http));
                leptos::mount::mount_to_body(
                    move || leptos::view! { <app::App api=api clock=clock/> },
                );
            }
            None => offline(clock),
        }
    });
}

#[cfg(feature = "mock-store")]
fn offline(clock: Clock) {
    let api = Api::new(Rc::new(api::mock::MockStore::new(clock.clone())));
    leptos::mount::mount_to_body(move || leptos::view! { <app::App api=api clock=clock/> });
}

#[cfg(not(feature = "mock-store"))]
fn offline(_clock: Clock) {
    use crate::i18n::td_string;
    use leptos::prelude::*;
    leptos::mount::mount_to_body(|| {
        let l = crate::i18n::provide_i18n().get_locale_untracked();
        view! {
            <main id="main" class="sign-in">
                <h1>{td_string!(l, app_title)}</h1>
                <div class="error-alert" role="alert">
                    <p>{td_string!(l, offline_message)}</p>
                    <button type="button" class="btn" on:click=|_| { let _ = window().location().reload(); }>{td_string!(l, try_again)}</button>
                </div>
            </main>
        }
    });
}

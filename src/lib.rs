//! The billing resource console: a Leptos client over one API seam.

pub mod api;
pub mod app;
pub mod clock;
pub mod components;
pub mod format;
pub mod pages;
pub mod state;

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
    use leptos::prelude::*;
    leptos::mount::mount_to_body(|| {
        view! {
            <main id="main" class="sign-in">
                <h1>"Billing Resources"</h1>
                <div class="error-alert" role="alert">
                    <p>"The billing service cannot be reached. Check your connection, then try again."</p>
                    <button type="button" class="btn" on:click=|_| { let _ = window().location().reload(); }>"Try again"</button>
                </div>
            </main>
        }
    });
}

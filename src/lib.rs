//! The billing resource console: a Leptos client over one API seam.

pub mod api;
pub mod app;
pub mod clock;
pub mod components;
pub mod format;
pub mod pages;
pub mod state;

use std::rc::Rc;

use api::mock::MockStore;
use api::Api;
use clock::Clock;

/// Mount the console on the page body: over HTTP when this origin serves
/// the API, otherwise over the mock store (demo data, in this browser).
pub fn start() {
    // Not leptos::task::spawn_local: its executor starts with the mount.
    wasm_bindgen_futures::spawn_local(async {
        let clock = Clock::system();
        let api = match api::http::HttpTransport::probe("").await {
            Some(http) => Api::new(Rc::new(http)),
            None => Api::new(Rc::new(MockStore::new(clock.clone()))),
        };
        leptos::mount::mount_to_body(move || leptos::view! { <app::App api=api clock=clock/> });
    });
}

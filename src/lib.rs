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

/// Mount the console on the page body, over the mock store.
pub fn start() {
    let clock = Clock::system();
    let store = MockStore::new(clock.clone());
    let api = Api::new(Rc::new(store));
    leptos::mount::mount_to_body(move || leptos::view! { <app::App api=api clock=clock/> });
}

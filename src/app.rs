//! The application: context, routes and the page frame.

use billing_rules::model::Tab;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::hooks::use_location;
use leptos_router::path;

use crate::api::Api;
use crate::clock::Clock;
use crate::components::banners::Banners;
use crate::components::header::Header;
use crate::components::nav_tabs::{tab_id, NavTabs, TABS};
use crate::i18n::{locale, td_string};
use crate::pages::alerts::AlertsPage;
use crate::pages::deductions::DeductionsPage;
use crate::pages::not_found::NotFound;
use crate::pages::permissions::PermissionsPage;
use crate::pages::postpaid::PostpaidPage;
use crate::pages::resource_list::ResourceListPage;
use crate::pages::sign_in::SignInPage;
use crate::state::Session;

#[component]
pub fn App(api: Api, clock: Clock) -> impl IntoView {
    crate::components::header::restore_display_zone();
    crate::i18n::provide_i18n();
    provide_context(api.clone());
    let api_for_events = api.clone();
    provide_context(clock.clone());
    let session = Session::new();
    provide_context(session);
    clock.start_ticker();

    // Identity and the account summary, again after every change.
    Effect::new(move |_| {
        session.version.get();
        let api = api.clone();
        spawn_local(async move {
            let (who, summary) = (api.identity().await, api.summary().await);
            match (who, summary) {
                (Ok(w), Ok(s)) => {
                    session.identity.set(Some(w));
                    session.summary.set(Some(s));
                    session.error.set(None);
                }
                (Err(e), _) | (_, Err(e)) => {
                    session.identity.set(None);
                    session.error.set(Some(e));
                }
            }
        });
    });

    // Live events: refetch whatever is on screen when this tenant's data
    // changes elsewhere (metering, another user's change, new notices). The
    // stream follows the signed-in user: (re)opened when they change.
    let user_id = Memo::new(move |_| {
        session
            .identity
            .with(|i| i.as_ref().map(|i| i.user.id.clone()))
    });
    let live = StoredValue::new(send_wrapper::SendWrapper::new(
        None::<Box<dyn std::any::Any>>,
    ));
    Effect::new(move |_| {
        let signed_in = user_id.get().is_some();
        session.live.set(false);
        let guard = signed_in
            .then(|| {
                api_for_events
                    .transport()
                    .subscribe(std::rc::Rc::new(move || {
                        session.live.set(true);
                        session.changed();
                    }))
            })
            .flatten();
        live.set_value(send_wrapper::SendWrapper::new(guard));
    });

    // The server does not know this session: sign in first.
    let needs_sign_in = Memo::new(move |_| {
        session.error.with(|e| {
            e.as_ref().and_then(|e| e.code())
                == Some(billing_rules::ErrorCode::AuthFailureUnauthorizedOperation)
        })
    });
    view! {
        <Router>
            // Everything below is drawn again when the language changes.
            {move || {
                crate::i18n::track_drawn();
                if needs_sign_in.get() {
                    view! { <SignInPage/> }.into_any()
                } else {
                    view! { <Frame/> }.into_any()
                }
            }}
        </Router>
    }
}

/// Header, banners, tabs and the routed page. The page is the tab panel of
/// the selected tab.
#[component]
fn Frame() -> impl IntoView {
    let location = use_location();
    let tab = Memo::new(move |_| {
        let p = location.pathname.get();
        TABS.iter()
            .find(|path| p == **path)
            .map(|path| tab_id(path))
    });
    view! {
        <a class="skip-link" href="#main">{td_string!(locale(), skip_to_content)}</a>
        <Header/>
        <Banners/>
        <NavTabs/>
        <main
            id="main"
            tabindex="-1"
            role=move || tab.get().map(|_| "tabpanel")
            aria-labelledby=move || tab.get()
        >
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=path!("/") view=|| view! { <Redirect path="/pay-as-you-go"/> }/>
                <Route path=path!("/pay-as-you-go") view=|| view! { <ResourceListPage tab=Tab::PayAsYouGo/> }/>
                <Route path=path!("/concurrency") view=|| view! { <ResourceListPage tab=Tab::Concurrency/> }/>
                <Route path=path!("/knowledge-base") view=|| view! { <ResourceListPage tab=Tab::KnowledgeBase/> }/>
                <Route path=path!("/postpaid") view=PostpaidPage/>
                <Route path=path!("/permissions") view=PermissionsPage/>
                <Route path=path!("/deductions") view=DeductionsPage/>
                <Route path=path!("/alerts") view=AlertsPage/>
            </Routes>
        </main>
    }
}

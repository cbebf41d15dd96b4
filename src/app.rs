//! The application: context, routes and the page frame.

use billing_rules::model::Tab;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::hooks::use_location;
use leptos_router::path;

use crate::api::Api;
use crate::clock::Clock;
use crate::components::attention::AttentionArea;
use crate::components::error_alert::ErrorAlert;
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
use crate::state::{Session, Topic};
use billing_rules::api::Identity;
use billing_rules::ErrorCode;

#[component]
pub fn App(api: Api, clock: Clock) -> impl IntoView {
    crate::format::provide_display_zone();
    crate::i18n::provide_i18n();
    provide_context(api.clone());
    let api_for_events = api.clone();
    provide_context(clock.clone());
    let session = Session::new();
    provide_context(session);
    clock.start_ticker();

    // Who is signed in: the transport knows at start (the server said so
    // in its first answer, the mock store always knows), so the first
    // screen is drawn at once; asked again only when identity may have
    // changed.
    let learn = move |known: Option<Identity>| match known {
        Some(w) => {
            session.identity.set(Some(w));
            session.error.set(None);
            session.known.set(true);
        }
        None => session.signed_out(),
    };
    let known_at_start = api.transport().initial_identity().map(learn).is_some();
    let identity_api = api.clone();
    Effect::new(move |ran: Option<()>| {
        session.track(&[Topic::Identity]);
        if ran.is_none() && known_at_start {
            return;
        }
        if let Some(known) = identity_api.transport().initial_identity() {
            return learn(known);
        }
        let api = identity_api.clone();
        spawn_local(async move {
            match api.identity().await {
                Ok(w) => learn(Some(w)),
                Err(e) if e.code() == Some(ErrorCode::AuthFailureUnauthorizedOperation) => {
                    learn(None)
                }
                Err(e) => session.error.set(Some(e)),
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

    // The account summary behind the attention area: with the page's own
    // requests, once identity is known (one round trip, not a waterfall).
    let summary_api = api.clone();
    Effect::new(move |_| {
        session.track(&[Topic::Summary]);
        if user_id.get().is_none() {
            return;
        }
        let api = summary_api.clone();
        spawn_local(async move {
            match api.summary().await {
                Ok(s) => {
                    session.summary.set(Some(s));
                    session.error.set(None);
                }
                Err(e) => {
                    crate::state::session_ended(session, &e);
                    session.error.set(Some(e));
                }
            }
        });
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
                    .subscribe(std::rc::Rc::new(move |kind| {
                        session.live.set(true);
                        session.changed(crate::state::topics_for_event(kind));
                    }))
            })
            .flatten();
        live.set_value(send_wrapper::SendWrapper::new(guard));
    });

    // Nobody is signed in: the sign-in page. Until that is known, the
    // frame's outline (nothing moves when it fills in).
    let screen = Memo::new(
        move |_| match (session.known.get(), user_id.with(Option::is_some)) {
            (false, _) => Screen::Loading,
            (true, false) => Screen::SignIn,
            (true, true) => Screen::Console,
        },
    );
    view! {
        <Router>
            // Everything below is drawn again when the language changes.
            {move || {
                crate::i18n::track_drawn();
                match screen.get() {
                    Screen::SignIn => view! { <SignInPage/> }.into_any(),
                    Screen::Console => view! { <Frame/> }.into_any(),
                    Screen::Loading => view! { <Loading/> }.into_any(),
                }
            }}
        </Router>
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Screen {
    Loading,
    SignIn,
    Console,
}

/// Before identity is known: the frame's outline, announced as busy. An
/// error asking who is signed in is shown here, with a retry.
#[component]
fn Loading() -> impl IntoView {
    let session = expect_context::<Session>();
    let l = locale();
    view! {
        <div class="page-header page-header--placeholder" aria-hidden="true"></div>
        <main id="main" class="loading-frame" aria-busy="true">
            {move || session.error.get().map(|e| view! {
                <ErrorAlert
                    context=td_string!(l, identity_failed)
                    error=e
                    on_retry=Callback::new(move |()| session.changed(&[Topic::Identity]))
                />
            })}
        </main>
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
    // Until the account summary and the first answers of the page's views
    // have come, what lies under the header is laid out but not shown (their
    // requests are all under way): it then appears at once, instead of each
    // part pushing the rest down as it comes ([`crate::state::Reveal`]).
    let session = expect_context::<Session>();
    let reveal = crate::state::Reveal::new();
    provide_context(reveal);
    let pending = move || {
        reveal.holding(session.summary.with(Option::is_none) && session.error.with(Option::is_none))
    };
    view! {
        <a class="skip-link" href="#main">{td_string!(locale(), skip_to_content)}</a>
        <Header/>
        <div class="frame-body" class:pending=pending>
        <AttentionArea/>
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
        </div>
    }
}

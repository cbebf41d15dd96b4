//! The page header: product name, where the data comes from, who is
//! signed in, and (on the demo store) a "view as" menu.

use crate::i18n::{locale, td_string, I18nLocaleTrait, Locale};
use leptos::prelude::*;

use crate::api::Api;
use crate::components::notification_bell::NotificationBell;
use crate::format::{display_zone, set_display_zone, zone_label, DisplayZone};
use crate::state::Session;

#[component]
pub fn Header() -> impl IntoView {
    let api = expect_context::<Api>();
    let session = expect_context::<Session>();
    let l = locale();
    let is_demo = api.transport().is_demo();
    let demo_users = api.transport().demo_users();

    let who = move || {
        session.identity.get().map(|i| {
            let role = role_label(&i.user, l);
            view! {
                <p class="identity">
                    <span class="identity-name">{i.user.name.clone()}</span>
                    <span class="identity-meta">{td_string!(l, identity_meta, account = i.account_name.clone(), role).to_string()}</span>
                </p>
            }
        })
    };

    let switch_api = api.clone();
    let switcher = demo_users.map(|users| {
        let api = switch_api;
        let current = move || session.identity.get().map(|i| i.user.id).unwrap_or_default();
        view! {
            <label class="view-as">
                {td_string!(l, view_as)} " "
                <select
                    prop:value=current
                    on:change=move |ev| {
                        let switch = api.transport().view_as(&event_target_value(&ev));
                        leptos::task::spawn_local(async move {
                            match switch.await {
                                Ok(()) => session.changed_all(),
                                Err(e) => session.error.set(Some(e)),
                            }
                        });
                    }
                >
                    {users
                        .into_iter()
                        .map(|u| {
                            let id = u.id.clone();
                            view! { <option value=id.clone() selected=move || current() == id>{u.name}</option> }
                        })
                        .collect_view()}
                </select>
            </label>
        }
    });

    // On a phone the settings (language, zone, account) sit behind one
    // menu button; from 720 px wide they are in the header itself.
    let menu_open = RwSignal::new(false);
    view! {
        <header
            class="page-header"
            on:keydown=move |ev: leptos::ev::KeyboardEvent| if ev.key() == "Escape" { menu_open.set(false) }
        >
            <div class="brand">
                <h1>{td_string!(l, app_title)}</h1>
                {is_demo.then(|| view! { <span class="data-label">{td_string!(l, demo_data)}</span> })}
            </div>
            <div class="header-end">
                <Show when=move || session.live.get()>
                    <span class="live" title=td_string!(l, live_title)>{td_string!(l, live)}</span>
                </Show>
                <NotificationBell/>
                <button
                    type="button"
                    class="menu-button btn"
                    aria-expanded=move || if menu_open.get() { "true" } else { "false" }
                    aria-controls="header-menu"
                    on:click=move |_| menu_open.update(|o| *o = !*o)
                >
                    {td_string!(l, menu)}
                </button>
                <div id="header-menu" class="header-menu" class:open=move || menu_open.get()>
                    <LanguagePicker/>
                    <ZonePicker/>
                    {who}
                    {switcher}
                    {api.transport().signs_in().then(|| {
                        // Sign out here, or end every session of this user.
                        let end = {
                            let api = api.clone();
                            move |everywhere: bool| {
                                let api = api.clone();
                                leptos::task::spawn_local(async move {
                                    let ended = if everywhere {
                                        api.sign_out_everywhere().await
                                    } else {
                                        api.sign_out().await
                                    };
                                    match ended {
                                        Ok(()) => session.signed_out(),
                                        Err(e) => session.error.set(Some(e)),
                                    }
                                });
                            }
                        };
                        let end_everywhere = end.clone();
                        view! {
                            <button type="button" class="btn btn--small" on:click=move |_| end(false)>
                                {td_string!(l, sign_out)}
                            </button>
                            <button
                                type="button"
                                class="btn btn--small"
                                title=td_string!(l, sign_out_everywhere_title)
                                on:click=move |_| end_everywhere(true)
                            >
                                {td_string!(l, sign_out_everywhere)}
                            </button>
                        }
                    })}
                    <Show when=move || session.is_main()>
                        <a class="header-link" href="/permissions" on:click=move |_| menu_open.set(false)>{td_string!(l, header_permissions)}</a>
                    </Show>
                </div>
            </div>
        </header>
    }
}

/// "Main account", "Sub-account · Postpaid Settings permission", "Sub-account".
pub fn role_label(u: &billing_rules::model::User, l: Locale) -> String {
    if u.is_main() {
        td_string!(l, role_main)
    } else if u.postpaid_permission {
        td_string!(l, role_sub_granted)
    } else {
        td_string!(l, role_sub)
    }
    .to_string()
}

/// The console's language: follows the browser until picked here, then
/// remembered. Each language is named in itself.
#[component]
fn LanguagePicker() -> impl IntoView {
    let l = locale();
    let choose = crate::i18n::chooser();
    view! {
        <label class="lang-picker">
            {td_string!(l, language)} " "
            <select
                id="language-picker"
                on:change=move |ev| {
                    if let Ok(chosen) = event_target_value(&ev).parse::<Locale>() {
                        choose(chosen);
                        // The frame is drawn again in the new language: keep
                        // keyboard focus on this menu.
                        leptos::task::spawn_local(async {
                            leptos::task::tick().await;
                            if let Some(el) = document().get_element_by_id("language-picker") {
                                use wasm_bindgen::JsCast;
                                if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                                    let _ = el.focus();
                                }
                            }
                        });
                    }
                }
            >
                {crate::i18n::LOCALES
                    .into_iter()
                    .map(|o| view! {
                        <option value=o.as_str() lang=crate::i18n::html_lang(o) selected=o == l>
                            {crate::i18n::native_name(o)}
                        </option>
                    })
                    .collect_view()}
            </select>
        </label>
    }
}

pub use crate::storage::ZONE_KEY;

/// Which zone dates are shown in; remembered in this browser.
#[component]
fn ZonePicker() -> impl IntoView {
    let l = locale();
    let label = move |z: DisplayZone| match z {
        DisplayZone::Browser => td_string!(
            l,
            zone_browser,
            zone = zone_label(DisplayZone::Browser.offset_at(crate::clock::browser_now()))
        )
        .to_string(),
        DisplayZone::Utc8 => td_string!(l, zone_utc8).to_string(),
        DisplayZone::Utc => td_string!(l, zone_utc).to_string(),
    };
    view! {
        <label class="zone-picker">
            {td_string!(l, zone)} " "
            <select
                prop:value=move || display_zone().slug()
                on:change=move |ev| {
                    if let Some(z) = DisplayZone::from_slug(&event_target_value(&ev)) {
                        // Every date on screen is drawn again in the new
                        // zone; nothing is fetched again.
                        set_display_zone(z);
                        crate::storage::set(ZONE_KEY, z.slug());
                    }
                }
            >
                {DisplayZone::ALL
                    .into_iter()
                    .map(|z| view! { <option value=z.slug() selected=move || display_zone() == z>{label(z)}</option> })
                    .collect_view()}
            </select>
        </label>
    }
}

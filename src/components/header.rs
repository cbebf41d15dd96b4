//! The page header: product name, where the data comes from, who is
//! signed in, and (on the demo store) a "view as" menu.

use leptos::prelude::*;

use crate::api::Api;
use crate::components::notification_bell::NotificationBell;
use crate::format::{display_zone, set_display_zone, zone_label, DisplayZone};
use crate::state::Session;

#[component]
pub fn Header() -> impl IntoView {
    let api = expect_context::<Api>();
    let session = expect_context::<Session>();
    let label = api.transport().data_label();
    let demo_users = api.transport().demo_users();

    let who = move || {
        session.identity.get().map(|i| {
            let role = if i.user.is_main() {
                "Main account".to_string()
            } else if i.user.postpaid_permission {
                "Sub-account · Postpaid Settings permission".to_string()
            } else {
                "Sub-account".to_string()
            };
            view! {
                <p class="identity">
                    <span class="identity-name">{i.user.name.clone()}</span>
                    <span class="identity-meta">{format!("{} · {}", i.account_name, role)}</span>
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
                "View as "
                <select
                    prop:value=current
                    on:change=move |ev| {
                        let switch = api.transport().view_as(&event_target_value(&ev));
                        leptos::task::spawn_local(async move {
                            match switch.await {
                                Ok(()) => session.changed(),
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

    view! {
        <header class="page-header">
            <div class="brand">
                <h1>"Billing Resources"</h1>
                {label.map(|l| view! { <span class="data-label">{l}</span> })}
            </div>
            <div class="header-end">
                <Show when=move || session.live.get()>
                    <span class="live" title="Usage, notices and settings update as they change">"● Live"</span>
                </Show>
                <NotificationBell/>
                <ZonePicker/>
                {who}
                {switcher}
                {api.transport().signs_in().then(|| {
                    let api = api.clone();
                    view! {
                        <button type="button" class="btn btn--small" on:click=move |_| {
                            let api = api.clone();
                            leptos::task::spawn_local(async move {
                                match api.sign_out().await {
                                    Ok(()) => session.changed(),
                                    Err(e) => session.error.set(Some(e)),
                                }
                            });
                        }>"Sign out"</button>
                    }
                })}
                <Show when=move || session.is_main()>
                    <a class="header-link" href="/permissions">"User permissions"</a>
                </Show>
            </div>
        </header>
    }
}

pub const ZONE_KEY: &str = "billing-console.display-zone";

/// Load the remembered display zone (call once at start).
pub fn restore_display_zone() {
    let saved = window()
        .local_storage()
        .ok()
        .flatten()
        .and_then(|s| s.get_item(ZONE_KEY).ok().flatten());
    if let Some(z) = saved.as_deref().and_then(DisplayZone::from_slug) {
        set_display_zone(z);
    }
}

/// Which zone dates are shown in; remembered in this browser.
#[component]
fn ZonePicker() -> impl IntoView {
    let session = expect_context::<Session>();
    let current = RwSignal::new(display_zone());
    let label = |z: DisplayZone| match z {
        DisplayZone::Browser => format!(
            "This browser ({})",
            zone_label(DisplayZone::Browser.offset_at(crate::clock::browser_now()))
        ),
        DisplayZone::Utc8 => "UTC+8 (platform)".to_string(),
        DisplayZone::Utc => "UTC".to_string(),
    };
    view! {
        <label class="zone-picker">
            "Time zone "
            <select
                prop:value=move || current.get().slug()
                on:change=move |ev| {
                    if let Some(z) = DisplayZone::from_slug(&event_target_value(&ev)) {
                        set_display_zone(z);
                        current.set(z);
                        if let Some(s) = window().local_storage().ok().flatten() {
                            let _ = s.set_item(ZONE_KEY, z.slug());
                        }
                        // Every date on screen is drawn again in the new zone.
                        session.changed();
                    }
                }
            >
                {DisplayZone::ALL
                    .into_iter()
                    .map(|z| view! { <option value=z.slug() selected=move || current.get() == z>{label(z)}</option> })
                    .collect_view()}
            </select>
        </label>
    }
}

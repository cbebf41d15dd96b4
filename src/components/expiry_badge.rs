//! The badge beside an expiration time, from the rules core, ticking with
//! the clock.

use billing_rules::expiry::{badge, ExpiryBadge as Badge};
use chrono::{DateTime, Utc};
use leptos::prelude::*;

pub fn badge_text(b: Badge) -> Option<(String, &'static str)> {
    match b {
        Badge::None => None,
        Badge::Within30 { days } => Some((format!("Expires in {days} days"), "badge badge--30")),
        Badge::Within7 { days } => Some((format!("Expires in {days} days"), "badge badge--7")),
        Badge::Within1 { .. } => Some(("Expires today".into(), "badge badge--1")),
        Badge::Expired => Some(("Expired".into(), "badge badge--expired")),
    }
}

#[component]
pub fn ExpiryBadge(
    expires_at: DateTime<Utc>,
    #[prop(into)] now: Signal<DateTime<Utc>>,
) -> impl IntoView {
    move || {
        let b = badge(expires_at, now.get());
        badge_text(b).map(|(text, class)| {
            let title = match b {
                Badge::Within1 { hours } => format!("Less than {hours} h left"),
                _ => String::new(),
            };
            view! { <span class=class title=title>{text}</span> }
        })
    }
}

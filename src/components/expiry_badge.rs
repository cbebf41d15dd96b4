//! The badge beside an expiration time, from the rules core, ticking with
//! the clock.

use crate::i18n::{locale, td_string, Locale};
use billing_rules::expiry::{badge, ExpiryBadge as Badge};
use chrono::{DateTime, Utc};
use leptos::prelude::*;

pub fn badge_text(b: Badge, l: Locale) -> Option<(String, &'static str)> {
    match b {
        Badge::None => None,
        Badge::Within30 { days } => Some((
            td_string!(l, badge_days, count = days).to_string(),
            "badge badge--30",
        )),
        Badge::Within7 { days } => Some((
            td_string!(l, badge_days, count = days).to_string(),
            "badge badge--7",
        )),
        Badge::Within1 { .. } => Some((td_string!(l, badge_today).to_string(), "badge badge--1")),
        Badge::Expired => Some((
            td_string!(l, status_expired).to_string(),
            "badge badge--expired",
        )),
    }
}

#[component]
pub fn ExpiryBadge(
    expires_at: DateTime<Utc>,
    #[prop(into)] now: Signal<DateTime<Utc>>,
) -> impl IntoView {
    let l = locale();
    move || {
        let b = badge(expires_at, now.get());
        badge_text(b, l).map(|(text, class)| {
            let title = match b {
                Badge::Within1 { hours } => {
                    td_string!(l, badge_hours_left, count = hours).to_string()
                }
                _ => String::new(),
            };
            view! { <span class=class title=title>{text}</span> }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale::{en, zh};

    #[test]
    fn badges_say_days_in_the_right_plural_and_language() {
        let text = |b, l| badge_text(b, l).map(|(t, _)| t);
        assert_eq!(
            text(Badge::Within7 { days: 1 }, en).as_deref(),
            Some("Expires in 1 day")
        );
        assert_eq!(
            text(Badge::Within7 { days: 5 }, en).as_deref(),
            Some("Expires in 5 days")
        );
        assert_eq!(
            text(Badge::Within30 { days: 21 }, zh).as_deref(),
            Some("21 天后到期")
        );
        assert_eq!(text(Badge::Expired, zh).as_deref(), Some("已过期"));
        assert_eq!(text(Badge::None, en), None);
    }
}

//! On the postpaid page: when each type's packages, together, run out at
//! the recent pace, and what postpaid would then cost per day, so turning
//! postpaid on (or leaving it off) is never a surprise.

use billing_rules::api::KindForecast;
use billing_rules::format::money;
use chrono::{DateTime, Utc};
use leptos::prelude::*;

use crate::format::{amount_exact, day, kind_label};
use crate::i18n::{locale, td_string, Locale};

/// One type's line in language `l`.
pub fn kind_forecast_text(f: &KindForecast, now: DateTime<Utc>, l: Locale) -> String {
    let kind = kind_label(f.kind, l);
    let pace = amount_exact(f.per_day, f.kind.unit(), l);
    let cost = money(f.postpaid_cents_per_day, "USD");
    if !f.forecast {
        return td_string!(l, pp_fc_no_history, kind).to_string();
    }
    if f.per_day == 0 {
        return td_string!(l, pp_fc_idle, kind).to_string();
    }
    if let Some(t) = f.lasts_beyond {
        return td_string!(l, pp_fc_beyond, kind, date = day(t), pace).to_string();
    }
    match f.packages_until {
        Some(t) if t > now => {
            td_string!(l, pp_fc_until, kind, date = day(t), pace, cost).to_string()
        }
        _ => td_string!(l, pp_fc_gone, kind, pace, cost).to_string(),
    }
}

#[component]
pub fn RunOutForecasts(forecasts: Vec<KindForecast>, now: DateTime<Utc>) -> impl IntoView {
    let l = locale();
    view! {
        <section class="run-out" aria-labelledby="run-out-title">
            <h3 id="run-out-title">{td_string!(l, pp_fc_title)}</h3>
            <p class="hint">{td_string!(l, pp_fc_intro)}</p>
            <ul>
                {forecasts
                    .iter()
                    .map(|f| view! { <li data-kind=f.kind.slug()>{kind_forecast_text(f, now, l)}</li> })
                    .collect_view()}
            </ul>
        </section>
    }
}

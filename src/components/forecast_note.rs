//! A package's run-out forecast in words: when it runs out at the recent
//! pace and how long before it expires, or how much expires unused. Dates
//! carry their zone. A package running out within a week reads as a
//! warning.

use billing_rules::forecast::{Forecast, Outcome, PACE_WINDOW_DAYS};
use billing_rules::model::Unit;
use chrono::{DateTime, Utc};
use leptos::prelude::*;

use crate::format::{amount_exact, day};
use crate::i18n::{locale, td_string, Locale};

/// What the pace is from: the last 7 days, or the history there is.
fn basis(f: &Forecast, l: Locale) -> String {
    if f.basis_hours as i64 >= PACE_WINDOW_DAYS * 24 {
        td_string!(l, fc_basis_week).to_string()
    } else {
        td_string!(l, fc_basis_short, hours = f.basis_hours).to_string()
    }
}

/// The forecast as one sentence in language `l`.
pub fn forecast_text(f: &Forecast, unit: Unit, l: Locale) -> String {
    let basis = basis(f, l);
    match &f.outcome {
        Outcome::RunsOut {
            at,
            days_before_expiry,
            earliest,
            latest,
        } => match (earliest, latest) {
            (Some(e), Some(lt)) => td_string!(
                l,
                fc_runs_out_range,
                basis,
                earliest = day(*e),
                latest = day(*lt),
                count = *days_before_expiry
            )
            .to_string(),
            (Some(e), None) => td_string!(
                l,
                fc_runs_out_from,
                basis,
                earliest = day(*e),
                date = day(*at)
            )
            .to_string(),
            _ => td_string!(
                l,
                fc_runs_out,
                basis,
                date = day(*at),
                count = *days_before_expiry
            )
            .to_string(),
        },
        Outcome::UnusedAtExpiry { unused, percent } => td_string!(
            l,
            fc_unused,
            basis,
            percent = *percent,
            amount = amount_exact(*unused, unit, l)
        )
        .to_string(),
        Outcome::NotEnoughHistory { .. } => td_string!(l, fc_no_history).to_string(),
        Outcome::NotReachedBefore { at } => {
            td_string!(l, fc_not_reached, basis, date = day(*at)).to_string()
        }
    }
}

#[component]
pub fn ForecastNote(forecast: Forecast, unit: Unit, now: Signal<DateTime<Utc>>) -> impl IntoView {
    let l = locale();
    let text = forecast_text(&forecast, unit, l);
    let class = move || {
        if forecast.runs_out_soon(now.get()) {
            "forecast forecast--soon"
        } else {
            "forecast"
        }
    };
    view! { <p class=class data-forecast="">{text}</p> }
}

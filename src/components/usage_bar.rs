//! A usage bar: used / total with its unit, percent, and a state that is
//! written out as text, not only coloured.

use crate::i18n::{locale, td_string, Locale};
use billing_rules::model::Resource;
use billing_rules::usage::{alert_level, used_percent, AlertLevel};
use leptos::prelude::*;

use crate::format::{amount_exact, amount_short, unit_name};

pub fn level_label(level: AlertLevel, l: Locale) -> &'static str {
    match level {
        AlertLevel::Normal => td_string!(l, level_normal),
        AlertLevel::NearlyExhausted => td_string!(l, level_nearly),
        AlertLevel::Exhausted => td_string!(l, level_exhausted),
    }
}

#[component]
pub fn UsageBar(resource: Resource) -> impl IntoView {
    let l = locale();
    let unit = resource.kind.unit();
    let pct = used_percent(resource.used, resource.total);
    // A concurrency quota at its ceiling is "at limit", not used up.
    let level = if resource.kind.can_run_out() {
        alert_level(resource.used, resource.total)
    } else if resource.used >= resource.total {
        AlertLevel::NearlyExhausted
    } else {
        AlertLevel::Normal
    };
    let state = if !resource.kind.can_run_out() && resource.used >= resource.total {
        td_string!(l, level_at_limit)
    } else {
        level_label(level, l)
    };
    let class = match level {
        AlertLevel::Normal => "usage usage--normal",
        AlertLevel::NearlyExhausted => "usage usage--warning",
        AlertLevel::Exhausted => "usage usage--exhausted",
    };
    let exact = td_string!(
        l,
        usage_exact,
        used = amount_exact(resource.used, unit, l),
        total = amount_exact(resource.total, unit, l)
    )
    .to_string();
    let short = format!(
        "{} / {} {}",
        amount_short(resource.used, l),
        amount_short(resource.total, l),
        unit_name(unit, resource.total, l)
    );
    let label = td_string!(l, usage_label, name = resource.name.clone()).to_string();
    let valuetext = td_string!(l, usage_valuetext, pct, exact = exact.clone(), state).to_string();
    view! {
        <div class=class>
            <div
                class="usage-track"
                role="progressbar"
                aria-label=label
                aria-valuemin="0"
                aria-valuemax="100"
                aria-valuenow=pct.to_string()
                aria-valuetext=valuetext
            >
                <div class="usage-fill" style:width=format!("{pct}%")></div>
            </div>
            <div class="usage-text">
                <span title=exact.clone()>{short}</span>
                <span class="usage-pct">{format!("{pct}%")}</span>
                <span class="usage-state">{state}</span>
            </div>
        </div>
    }
}

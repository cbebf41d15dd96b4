//! A usage bar: used / total with its unit, percent, and a state that is
//! written out as text, not only coloured.

use billing_rules::model::Resource;
use billing_rules::usage::{alert_level, used_percent, AlertLevel};
use leptos::prelude::*;

use crate::format::{amount_exact, amount_short, unit_name};

pub fn level_label(level: AlertLevel) -> &'static str {
    match level {
        AlertLevel::Normal => "Normal",
        AlertLevel::NearlyExhausted => "Nearly exhausted",
        AlertLevel::Exhausted => "Exhausted",
    }
}

#[component]
pub fn UsageBar(resource: Resource) -> impl IntoView {
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
        "At limit"
    } else {
        level_label(level)
    };
    let class = match level {
        AlertLevel::Normal => "usage usage--normal",
        AlertLevel::NearlyExhausted => "usage usage--warning",
        AlertLevel::Exhausted => "usage usage--exhausted",
    };
    let exact = format!(
        "{} of {} used",
        amount_exact(resource.used, unit),
        amount_exact(resource.total, unit)
    );
    let short = format!(
        "{} / {} {}",
        amount_short(resource.used),
        amount_short(resource.total),
        unit_name(unit, resource.total)
    );
    let label = format!("Usage of {}", resource.name);
    view! {
        <div class=class>
            <div
                class="usage-track"
                role="progressbar"
                aria-label=label
                aria-valuemin="0"
                aria-valuemax="100"
                aria-valuenow=pct.to_string()
                aria-valuetext=format!("{pct}% — {exact} — {state}")
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

//! One row of the resource list: name and id, type, source, status, the
//! usage bar with its forecast, dates with the expiry badge and the next
//! reminder, and the row's actions. Drawn once per row and kept while the
//! row is unchanged (the list is a keyed `<For>`).

use billing_rules::api::ResourceRow;
use billing_rules::model::Resource;
use billing_rules::status::Status;
use leptos::prelude::*;

use crate::clock::Clock;
use crate::components::expiry_badge::ExpiryBadge;
use crate::components::forecast_note::ForecastNote;
use crate::components::usage_bar::UsageBar;
use crate::format::{instant, kind_label, source_label, status_label};
use crate::i18n::{locale, td_string, Locale};
use crate::state::Session;

/// What identifies a row as drawn: the resource and the figures that move
/// (usage, term, status, the next reminder); a row whose figures change is
/// drawn again, the others stay.
pub type RowKey = (String, u64, u64, i64, Status, Option<i64>, bool);

pub fn row_key(row: &ResourceRow) -> RowKey {
    let r = &row.resource;
    (
        r.id.clone(),
        r.used,
        r.total,
        r.expires_at.timestamp(),
        row.status,
        row.next_reminder
            .as_ref()
            .and_then(|n| n.at)
            .map(|t| t.timestamp()),
        row.forecast.is_some(),
    )
}

/// Whether the row offers renewal.
pub fn renewable(row: &ResourceRow) -> bool {
    row.resource.kind.is_renewable() && row.status != Status::Refunded
}

#[component]
pub fn ResourceRowView(
    row: ResourceRow,
    /// Opens the renew dialog for this resource.
    #[prop(into)]
    on_renew: Callback<Resource>,
) -> impl IntoView {
    let l = locale();
    let session = expect_context::<Session>();
    let now = expect_context::<Clock>().signal();
    let r = row.resource.clone();
    let can_renew = renewable(&row);
    let r_for_renew = r.clone();
    let renew_name = td_string!(l, renew_label, name = r.name.clone()).to_string();
    let (effective, expires) = (r.effective_at, r.expires_at);
    view! {
        <tr>
            <td data-label=td_string!(l, col_name)>
                <div class="res-name">{r.name.clone()}</div>
                <div class="res-id"><code>{r.id.clone()}</code></div>
                {r.model.clone().map(|m| view! { <div class="res-model">{td_string!(l, model, model = m).to_string()}</div> })}
            </td>
            <td data-label=td_string!(l, col_type)>{kind_label(r.kind, l)}</td>
            <td data-label=td_string!(l, col_source)>
                <span class=format!("source source--{:?}", r.source).to_lowercase()>{source_label(r.source, l)}</span>
            </td>
            <td data-label=td_string!(l, col_status)>{status_label(Some(row.status), l)}</td>
            <td data-label=td_string!(l, col_usage) class="col-usage">
                <UsageBar resource=r.clone()/>
                {row.forecast.clone().map(|f| view! { <ForecastNote forecast=f unit=r.kind.unit() now=now.into()/> })}
            </td>
            <td data-label=td_string!(l, col_effective)>{move || instant(effective)}</td>
            <td data-label=td_string!(l, col_expiration)>
                <div>{move || instant(expires)}</div>
                <ExpiryBadge expires_at=expires now=now/>
                {row.next_reminder.clone().map(|n| view! { <div class="hint next-reminder">{move || next_reminder_text(&n, l)}</div> })}
            </td>
            <td data-label=td_string!(l, col_actions)>
                {can_renew.then(|| {
                    let is_main = move || session.is_main();
                    view! {
                        <button
                            type="button"
                            class="btn btn--small"
                            aria-label=renew_name.clone()
                            disabled=move || !is_main()
                            title=move || if is_main() { "" } else { td_string!(l, renew_main_only_title) }
                            on:click=move |_| on_renew.run(r_for_renew.clone())
                        >
                            {td_string!(l, renew)}
                        </button>
                        <Show when=move || !is_main()>
                            <span class="hint">{td_string!(l, main_only)}</span>
                        </Show>
                    }
                })}
                {r.kind.is_package().then(|| view! {
                    <a
                        class="btn btn--small btn--link"
                        href=format!("/deductions?resource={}", super::query::encode_component(&r.id))
                        aria-label=td_string!(l, ded_link_label, name = r.name.clone()).to_string()
                    >
                        {td_string!(l, ded_link)}
                    </a>
                })}
            </td>
        </tr>
    }
}

fn next_reminder_text(n: &billing_rules::notify::NextReminder, l: Locale) -> String {
    use billing_rules::reminders::Reminder;
    match (n.reminder, n.at) {
        (Reminder::RemainingPercent { percent }, _) => {
            td_string!(l, reminder_percent, percent).to_string()
        }
        (Reminder::DaysBeforeExpiry { days }, Some(at)) => {
            td_string!(l, reminder_days_at, count = days, at = instant(at)).to_string()
        }
        (Reminder::DaysBeforeExpiry { days }, None) => {
            td_string!(l, reminder_days, count = days).to_string()
        }
    }
}

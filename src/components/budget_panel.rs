//! The monthly postpaid budget: this month's spend against it (a progress
//! bar), the month's forecast at the pace so far, which alerts have fired,
//! what happens at the limit and by how much spending can pass it; and the
//! form that sets it, disabled with the reason for those who may not.

use crate::i18n::{locale, td_string, Locale};
use billing_rules::api::{ModifyBudgetRequest, PostpaidView};
use billing_rules::billing::{check_budget, normalise_thresholds, Budget, DEFAULT_THRESHOLDS};
use billing_rules::format::money;
use billing_rules::postpaid::may_manage;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{Api, ClientError};
use crate::components::error_alert::ErrorAlert;
use crate::state::{Session, Topic};

/// "$12.34" (or "12.34") as cents.
pub fn parse_dollars(s: &str) -> Option<i64> {
    let s = s.trim().trim_start_matches('$').replace(',', "");
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    if whole.is_empty() && frac.is_empty() || frac.len() > 2 {
        return None;
    }
    let w: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let f: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().ok()?
    };
    w.checked_mul(100)?.checked_add(f)
}

/// "50, 80, 100" as percents.
pub fn parse_thresholds(s: &str) -> Option<Vec<u8>> {
    s.split([',', ' ', '，'])
        .map(|p| p.trim().trim_end_matches('%'))
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().ok())
        .collect()
}

fn percents(v: &[u8]) -> String {
    v.iter()
        .map(|p| format!("{p}%"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn spend_lines(v: &PostpaidView, l: Locale) -> impl IntoView {
    let cur = v.account.currency.clone();
    let m = &v.month;
    let spent = money(m.spent_cents, &cur);
    let unbilled = (m.unbilled_cents > 0).then(|| {
        td_string!(l, budget_unbilled, amount = money(m.unbilled_cents, &cur)).to_string()
    });
    let forecast =
        td_string!(l, budget_forecast, amount = money(m.forecast_cents, &cur)).to_string();
    match &v.budget {
        None => view! {
            <p>{td_string!(l, budget_none, spent = spent).to_string()}</p>
            {unbilled.map(|u| view! { <p class="hint">{u}</p> })}
            <p class="hint">{forecast}</p>
        }
        .into_any(),
        Some(b) => {
            let pct =
                (m.spent_cents.max(0) as f64 * 100.0 / b.amount_cents.max(1) as f64).round() as u32;
            let label = td_string!(
                l,
                budget_spent_of,
                spent = spent.clone(),
                budget = money(b.amount_cents, &cur),
                pct
            )
            .to_string();
            let limit = if b.turn_off {
                td_string!(l, budget_turn_off_words).to_string()
            } else {
                td_string!(l, budget_alert_only_words).to_string()
            };
            let fired = if v.fired_thresholds.is_empty() {
                td_string!(l, budget_alerts_none_yet, at = percents(&b.thresholds)).to_string()
            } else {
                td_string!(
                    l,
                    budget_alerts_fired,
                    at = percents(&b.thresholds),
                    fired = percents(&v.fired_thresholds)
                )
                .to_string()
            };
            let over = (m.forecast_cents > b.amount_cents)
                .then(|| td_string!(l, budget_forecast_over).to_string());
            view! {
                <div class="budget-meter">
                    <div
                        class={match pct {
                            100.. => "usage-track budget-track over",
                            80.. => "usage-track budget-track near",
                            _ => "usage-track budget-track",
                        }}
                        role="progressbar"
                        aria-label=td_string!(l, budget_bar_label)
                        aria-valuemin="0"
                        aria-valuemax="100"
                        aria-valuenow=pct.min(100).to_string()
                        aria-valuetext=label.clone()
                    >
                        <div class="usage-fill" style=format!("width:{}%", pct.min(100))></div>
                    </div>
                    <p>{label}</p>
                </div>
                {unbilled.map(|u| view! { <p class="hint">{u}</p> })}
                <p class="hint">{forecast}{over.map(|o| view! { " " <strong>{o}</strong> })}</p>
                <p>{fired}</p>
                <p>{limit}</p>
            }
            .into_any()
        }
    }
}

#[component]
pub fn BudgetPanel(view_state: RwSignal<Option<PostpaidView>>) -> impl IntoView {
    let api = expect_context::<Api>();
    let session = expect_context::<Session>();
    let l = locale();
    let amount = RwSignal::new(String::new());
    let thresholds = RwSignal::new(percents(&DEFAULT_THRESHOLDS).replace('%', ""));
    let turn_off = RwSignal::new(true);
    let busy = RwSignal::new(false);
    let invalid = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<ClientError>);
    let outcome = RwSignal::new(None::<String>);

    // The form starts from the budget in force.
    Effect::new(move |_| {
        if let Some(b) = view_state.with(|v| v.as_ref().and_then(|v| v.budget.clone())) {
            amount.set(format!(
                "{}.{:02}",
                b.amount_cents / 100,
                b.amount_cents % 100
            ));
            thresholds.set(
                b.thresholds
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            turn_off.set(b.turn_off);
        }
    });

    let allowed = Memo::new(move |_| {
        let user = session.identity.get()?.user;
        view_state.with(|v| v.as_ref().map(|v| may_manage(&user, &v.account).is_ok()))
    });

    let send = move |req: ModifyBudgetRequest, done: String| {
        let api = api.clone();
        busy.set(true);
        error.set(None);
        outcome.set(None);
        spawn_local(async move {
            match api.set_budget(&req).await {
                Ok(v) => {
                    view_state.set(Some(v));
                    outcome.set(Some(done));
                    session.changed(&[Topic::Postpaid, Topic::Summary, Topic::Notices]);
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let save = {
        let send = send.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let Some(cents) = parse_dollars(&amount.get_untracked()) else {
                invalid.set(Some(td_string!(l, budget_bad_amount).to_string()));
                return;
            };
            let Some(ts) = parse_thresholds(&thresholds.get_untracked())
                .and_then(|t| normalise_thresholds(&t).ok())
            else {
                invalid.set(Some(td_string!(l, budget_bad_thresholds).to_string()));
                return;
            };
            let b = Budget {
                amount_cents: cents,
                thresholds: ts.clone(),
                turn_off: turn_off.get_untracked(),
            };
            if check_budget(&b).is_err() {
                invalid.set(Some(td_string!(l, budget_bad_thresholds).to_string()));
                return;
            }
            invalid.set(None);
            send(
                ModifyBudgetRequest {
                    amount_cents: Some(cents),
                    thresholds: Some(ts),
                    turn_off: b.turn_off,
                },
                td_string!(l, budget_saved).to_string(),
            );
        }
    };
    let remove = move |_| {
        send(
            ModifyBudgetRequest {
                amount_cents: None,
                thresholds: None,
                turn_off: false,
            },
            td_string!(l, budget_removed).to_string(),
        )
    };
    let has_budget = move || view_state.with(|v| v.as_ref().is_some_and(|v| v.budget.is_some()));
    let disabled = move || busy.get() || allowed.get() != Some(true);

    view! {
        <section class="budget" aria-labelledby="budget-title">
            <h3 id="budget-title">{td_string!(l, budget_title)}</h3>
            {move || view_state.get().map(|v| spend_lines(&v, l))}
            <form class="budget-form" on:submit=save aria-describedby="budget-why">
                <fieldset disabled=disabled>
                    <legend>{td_string!(l, budget_form_legend)}</legend>
                    <label>
                        {td_string!(l, budget_amount)}
                        <input type="text" inputmode="decimal" name="amount" required
                            prop:value=move || amount.get()
                            on:input=move |ev| amount.set(event_target_value(&ev))/>
                    </label>
                    <label>
                        {td_string!(l, budget_thresholds)}
                        <input type="text" name="thresholds"
                            prop:value=move || thresholds.get()
                            on:input=move |ev| thresholds.set(event_target_value(&ev))/>
                    </label>
                    <label class="check">
                        <input type="checkbox" name="turn_off"
                            prop:checked=move || turn_off.get()
                            on:change=move |ev| turn_off.set(event_target_checked(&ev))/>
                        {td_string!(l, budget_turn_off)}
                    </label>
                    <div class="actions">
                        <button type="submit" class="btn btn--primary">{td_string!(l, budget_save)}</button>
                        <Show when=has_budget>
                            <button type="button" class="btn" on:click=remove.clone()>{td_string!(l, budget_remove)}</button>
                        </Show>
                    </div>
                </fieldset>
            </form>
            <p id="budget-why" class="hint">
                {move || match allowed.get() {
                    Some(false) => td_string!(l, budget_not_permitted).to_string(),
                    _ => td_string!(l, budget_cooldown_note).to_string(),
                }}
            </p>
            {move || invalid.get().map(|m| view! { <p role="alert" class="field-error">{m}</p> })}
            {move || error.get().map(|e| view! { <ErrorAlert context=td_string!(l, budget_failed) error=e/> })}
            {move || outcome.get().map(|o| view! { <p role="status" class="outcome">{o}</p> })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_and_thresholds_are_read_as_typed() {
        assert_eq!(parse_dollars("$1,234.5"), Some(123_450));
        assert_eq!(parse_dollars("10"), Some(1_000));
        assert_eq!(parse_dollars("0.07"), Some(7));
        assert_eq!(parse_dollars("1.234"), None);
        assert_eq!(parse_dollars("ten"), None);
        assert_eq!(parse_thresholds("50, 80,100%"), Some(vec![50, 80, 100]));
        assert_eq!(parse_thresholds("50, x"), None);
    }
}

//! Postpaid Settings: the switch that must never surprise anyone. Every
//! refusal is derived from the rules core and named; the server's own
//! refusal is still shown when it disagrees.

use crate::i18n::{locale, td_string, Locale};
use billing_rules::format::money;
use billing_rules::postpaid::{check_change, Refusal};
use leptos::prelude::*;

use crate::api::Api;
use crate::clock::Clock;
use crate::components::budget_panel::BudgetPanel;
use crate::components::dialog::ConfirmDialog;
use crate::components::error_alert::ErrorAlert;
use crate::components::postpaid_charges::PostpaidCharges;
use crate::components::run_out_forecasts::RunOutForecasts;
use crate::components::switch::Switch;
use crate::format::{duration_words, instant};
use crate::mutation::Mutation;
use crate::state::{load_on_change, Session, Topic};
use billing_rules::api::PostpaidView;

fn on_off(b: bool, l: Locale) -> &'static str {
    if b {
        td_string!(l, on)
    } else {
        td_string!(l, off)
    }
}

#[component]
pub fn PostpaidPage() -> impl IntoView {
    let api = expect_context::<Api>();
    let clock = expect_context::<Clock>();
    let session = expect_context::<Session>();
    let now = clock.signal();
    let l = locale();
    let dialog = RwSignal::new(false);
    let outcome = RwSignal::new(None::<String>);

    let (view_state, error) = {
        let api = api.clone();
        load_on_change(&[Topic::Postpaid], move || {
            let api = api.clone();
            Some(async move { api.postpaid().await })
        })
    };

    let enabled =
        Signal::derive(move || view_state.with(|v| v.as_ref().is_some_and(|v| v.state.enabled)));
    // Why the user may not flip the switch now, from the rules core.
    let refusal = Memo::new(move |_| {
        let t = now.get();
        let user = session.identity.get()?.user;
        view_state.with(|v| {
            let v = v.as_ref()?;
            check_change(&user, &v.account, &v.state, !v.state.enabled, t).err()
        })
    });

    let switch = Mutation::new(
        move |want: &bool| {
            let (api, want) = (api.clone(), *want);
            async move { api.set_postpaid(want).await }
        },
        move |v: PostpaidView| {
            let on = v.state.enabled;
            view_state.set(Some(v));
            dialog.set(false);
            outcome.set(Some(if on {
                td_string!(l, postpaid_on_now).to_string()
            } else {
                td_string!(l, postpaid_off_now).to_string()
            }));
            session.changed(&[Topic::Postpaid, Topic::Summary, Topic::Notices]);
        },
    );
    let confirm = Callback::new(move |()| switch.run(!enabled.get_untracked()));

    let reason = move || {
        refusal.get().map(|r| match r {
            Refusal::NotPermitted => view! {
                <p>{td_string!(l, reason_not_permitted)}</p>
            }
            .into_any(),
            Refusal::WrongTenant => view! { <p>{td_string!(l, reason_wrong_tenant)}</p> }.into_any(),
            Refusal::Overdue { balance_cents } => view! {
                <p>
                    {td_string!(l, reason_overdue, balance = money(balance_cents, "USD")).to_string()}
                </p>
            }
            .into_any(),
            Refusal::Cooldown { next_allowed_at } => view! {
                <p>
                    {td_string!(l, reason_cooldown, at = instant(next_allowed_at)).to_string()}
                    " "
                    <span role="timer" class="countdown">
                        {move || td_string!(l, countdown, left = duration_words((next_allowed_at - now.get()).num_seconds(), l)).to_string()}
                    </span>
                </p>
            }
            .into_any(),
        })
    };

    view! {
        <section class="postpaid" aria-labelledby="postpaid-title">
            <h2 id="postpaid-title">{td_string!(l, tab_postpaid)}</h2>
            <p class="intro">{td_string!(l, postpaid_intro)}</p>
            {move || error.get().map(|e| view! {
                <ErrorAlert context=td_string!(l, postpaid_load_failed) error=e on_retry=Callback::new(move |()| session.changed(&[Topic::Postpaid]))/>
            })}
            {move || view_state.get().map(|v| {
                let since = v.state.changed_at.map(|t| match v.changed_by_name.clone() {
                    Some(name) => td_string!(l, since_by, at = instant(t), name).to_string(),
                    None => td_string!(l, since, at = instant(t)).to_string(),
                });
                view! {
                    <div class="postpaid-state">
                        <p class="state-line">
                            {td_string!(l, postpaid_is)}
                            <strong>{on_off(v.state.enabled, l)}</strong>
                            {since.map(|s| view! { <span class="since">{td_string!(l, state_tail, since = s).to_string()}</span> })}
                        </p>
                        <p>{td_string!(l, balance, balance = money(v.account.balance_cents, &v.account.currency)).to_string()}</p>
                    </div>
                }
            })}
            <Show when=move || view_state.with(|v| v.is_some())>
                <div class="switch-row">
                    <Switch
                        checked=enabled
                        disabled=Signal::derive(move || refusal.get().is_some())
                        label=td_string!(l, switch_label)
                        described_by="postpaid-reason"
                        on_toggle=move |()| {
                            switch.error.set(None);
                            dialog.set(true);
                        }
                    />
                    <div id="postpaid-reason" class="reason">
                        {reason}
                        {move || (refusal.get().is_none()).then(|| view! {
                            <p>{move || if enabled.get() {
                                td_string!(l, allowed_off)
                            } else {
                                td_string!(l, allowed_on)
                            }}</p>
                        })}
                    </div>
                </div>
            </Show>
            {move || outcome.get().map(|o| view! { <p role="status" class="outcome">{o}</p> })}
            <Show when=move || dialog.get()>
                <ConfirmDialog
                    title=if enabled.get_untracked() { td_string!(l, turn_off_title) } else { td_string!(l, turn_on_title) }
                    confirm_label=if enabled.get_untracked() { td_string!(l, turn_off) } else { td_string!(l, turn_on) }
                    busy=switch.pending()
                    error=switch.error
                    on_confirm=confirm
                    on_cancel=move |()| dialog.set(false)
                >
                    {if enabled.get_untracked() {
                        view! {
                            <p>{td_string!(l, off_body_1)}</p>
                            <p>{td_string!(l, off_body_2)}</p>
                        }.into_any()
                    } else {
                        view! {
                            <p>{td_string!(l, on_body_order)}</p>
                            <ol class="deduction-order">
                                <li>{td_string!(l, on_body_trial)}</li>
                                <li>{td_string!(l, on_body_purchased)}</li>
                                <li>{td_string!(l, on_body_postpaid)}</li>
                            </ol>
                            <p>{td_string!(l, on_body_settle)}</p>
                            <p>{move || td_string!(
                                l,
                                on_body_cooldown,
                                at = instant(now.get() + chrono::Duration::hours(1))
                            ).to_string()}</p>
                        }.into_any()
                    }}
                </ConfirmDialog>
            </Show>
            {move || view_state.get().map(|v| view! { <RunOutForecasts forecasts=v.forecasts now=v.as_of/> })}
            <BudgetPanel view_state=view_state/>
            <PostpaidCharges currency=Signal::derive(move || view_state.with(|v| v.as_ref().map(|v| v.account.currency.clone()).unwrap_or_else(|| "USD".into())))/>
            <p class="alerts-link">
                <a class="btn btn--link" href="/alerts">{td_string!(l, wh_link)}</a>
                " "
                <span class="hint">{td_string!(l, wh_link_hint)}</span>
            </p>
            <h3>{td_string!(l, recent_changes)}</h3>
            {move || view_state.get().map(|v| {
                if v.history.is_empty() {
                    view! { <p>{td_string!(l, no_changes)}</p> }.into_any()
                } else {
                    view! {
                        <table class="history">
                            <thead><tr><th scope="col">{td_string!(l, col_when)}</th><th scope="col">{td_string!(l, col_who)}</th><th scope="col">{td_string!(l, col_change)}</th></tr></thead>
                            <tbody>
                                {v.history.into_iter().map(|c| view! {
                                    <tr>
                                        <td>{instant(c.at)}</td>
                                        <td>{c.by_name}</td>
                                        <td>{td_string!(l, change, from = on_off(c.from, l), to = on_off(c.to, l)).to_string()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }
            })}
        </section>
    }
}

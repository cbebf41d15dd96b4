//! Postpaid Settings: the switch that must never surprise anyone. Every
//! refusal is derived from the rules core and named; the server's own
//! refusal is still shown when it disagrees.

use billing_rules::format::money;
use billing_rules::postpaid::{check_change, Refusal};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{Api, ClientError};
use crate::clock::Clock;
use crate::components::dialog::ConfirmDialog;
use crate::components::error_alert::ErrorAlert;
use crate::components::switch::Switch;
use crate::format::{duration_words, instant};
use crate::state::{load_on_change, Session};

fn on_off(b: bool) -> &'static str {
    if b {
        "On"
    } else {
        "Off"
    }
}

#[component]
pub fn PostpaidPage() -> impl IntoView {
    let api = expect_context::<Api>();
    let clock = expect_context::<Clock>();
    let session = expect_context::<Session>();
    let now = clock.signal();
    let dialog = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let action_error = RwSignal::new(None::<ClientError>);
    let outcome = RwSignal::new(None::<String>);

    let (view_state, error) = {
        let api = api.clone();
        load_on_change(move || {
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

    let confirm = Callback::new(move |()| {
        let api = api.clone();
        let want = !enabled.get_untracked();
        busy.set(true);
        action_error.set(None);
        spawn_local(async move {
            match api.set_postpaid(want).await {
                Ok(v) => {
                    view_state.set(Some(v));
                    dialog.set(false);
                    outcome.set(Some(if want {
                        "Postpaid billing is now on. Usage beyond your packages is billed hourly."
                            .into()
                    } else {
                        "Postpaid billing is now off. When packages run out, services stop.".into()
                    }));
                    session.changed();
                }
                Err(e) => action_error.set(Some(e)),
            }
            busy.set(false);
        });
    });

    let reason = move || {
        refusal.get().map(|r| match r {
            Refusal::NotPermitted => view! {
                <p>
                    "You are signed in as a sub-account without the “Postpaid Settings” permission, so you can see this setting but not change it. "
                    "The main account can grant the permission under Platform-Side User Permissions."
                </p>
            }
            .into_any(),
            Refusal::WrongTenant => view! { <p>"This setting belongs to another account."</p> }.into_any(),
            Refusal::Overdue { balance_cents } => view! {
                <p>
                    {format!(
                        "Your account is overdue (balance {}). Postpaid cannot be enabled while the account is overdue, and services cannot be used. Top up the balance, then enable postpaid.",
                        money(balance_cents, "USD")
                    )}
                </p>
            }
            .into_any(),
            Refusal::Cooldown { next_allowed_at } => view! {
                <p>
                    {format!(
                        "Postpaid can be enabled only once per hour. You can enable it again at {}.",
                        instant(next_allowed_at)
                    )}
                    " "
                    <span role="timer" class="countdown">
                        {move || format!("({} left)", duration_words((next_allowed_at - now.get()).num_seconds()))}
                    </span>
                </p>
            }
            .into_any(),
        })
    };

    view! {
        <section class="postpaid" aria-labelledby="postpaid-title">
            <h2 id="postpaid-title">"Postpaid Settings"</h2>
            <p class="intro">
                "When postpaid is on, usage continues after your packages run out and is billed hourly. "
                "It can only be enabled once per hour: to avoid disruption, do not switch it on and off frequently. "
                "If the account is overdue, services cannot be used: watch the balance and purchase in time."
            </p>
            {move || error.get().map(|e| view! {
                <ErrorAlert context="Could not load postpaid settings" error=e on_retry=Callback::new(move |()| session.changed())/>
            })}
            {move || view_state.get().map(|v| {
                let since = v.state.changed_at.map(|t| {
                    format!(
                        "Since {}{}",
                        instant(t),
                        v.changed_by_name.clone().map(|n| format!(", changed by {n}")).unwrap_or_default()
                    )
                });
                view! {
                    <div class="postpaid-state">
                        <p class="state-line">
                            "Postpaid billing is "
                            <strong>{on_off(v.state.enabled)}</strong>
                            {since.map(|s| view! { <span class="since">{format!(". {s}.")}</span> })}
                        </p>
                        <p>{format!("Account balance: {}", money(v.account.balance_cents, &v.account.currency))}</p>
                    </div>
                }
            })}
            <Show when=move || view_state.with(|v| v.is_some())>
                <div class="switch-row">
                    <Switch
                        checked=enabled
                        disabled=Signal::derive(move || refusal.get().is_some())
                        label="Postpaid billing"
                        described_by="postpaid-reason"
                        on_toggle=move |()| {
                            action_error.set(None);
                            dialog.set(true);
                        }
                    />
                    <div id="postpaid-reason" class="reason">
                        {reason}
                        {move || (refusal.get().is_none()).then(|| view! {
                            <p>{move || if enabled.get() {
                                "Turning postpaid off is always allowed and takes effect at once.".to_string()
                            } else {
                                "You may enable postpaid now.".to_string()
                            }}</p>
                        })}
                    </div>
                </div>
            </Show>
            {move || outcome.get().map(|o| view! { <p role="status" class="outcome">{o}</p> })}
            <Show when=move || dialog.get()>
                <ConfirmDialog
                    title=if enabled.get_untracked() { "Turn postpaid billing off?" } else { "Turn postpaid billing on?" }
                    confirm_label=if enabled.get_untracked() { "Turn off" } else { "Turn on" }
                    busy=busy
                    error=action_error
                    on_confirm=confirm
                    on_cancel=move |()| dialog.set(false)
                >
                    {if enabled.get_untracked() {
                        view! {
                            <p>"With postpaid off, when your packages run out the services that use them stop until you buy more packages or turn postpaid on again."</p>
                            <p>"Turning it off stops postpaid charges at once. Turning it back on is limited to once per hour."</p>
                        }.into_any()
                    } else {
                        view! {
                            <p>"Usage will be drawn in this order:"</p>
                            <ol class="deduction-order">
                                <li>"Free trial packages"</li>
                                <li>"Purchased packages, soonest-expiring first"</li>
                                <li>"Postpaid billing, only after all packages are used up"</li>
                            </ol>
                            <p>"Postpaid usage is settled hourly and charged to the account balance."</p>
                            <p>{move || format!(
                                "Postpaid can be enabled once per hour: after this you cannot enable it again before {}. You can turn it off at any time.",
                                instant(now.get() + chrono::Duration::hours(1))
                            )}</p>
                        }.into_any()
                    }}
                </ConfirmDialog>
            </Show>
            <h3>"Recent changes"</h3>
            {move || view_state.get().map(|v| {
                if v.history.is_empty() {
                    view! { <p>"No changes yet."</p> }.into_any()
                } else {
                    view! {
                        <table class="history">
                            <thead><tr><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"Change"</th></tr></thead>
                            <tbody>
                                {v.history.into_iter().map(|c| view! {
                                    <tr>
                                        <td>{instant(c.at)}</td>
                                        <td>{c.by_name}</td>
                                        <td>{format!("{} → {}", on_off(c.from), on_off(c.to))}</td>
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

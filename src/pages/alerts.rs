//! Alert webhooks: the HTTPS endpoints that receive notices, reminders,
//! budget alerts and overdue changes as signed JSON; each endpoint's latest
//! deliveries with their state and attempts; add, remove, send a test
//! event. Everyone of the account may look; the main account, or a
//! sub-account granted Postpaid Settings, may change them.

use crate::i18n::{locale, td_string, Locale};
use billing_rules::api::{CreatedWebhook, EndpointView};
use billing_rules::webhook::{Delivery, DeliveryState, EventType};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{Api, ClientError};
use crate::components::dialog::ConfirmDialog;
use crate::components::error_alert::ErrorAlert;
use crate::format::instant;
use crate::state::{load_on_change, Session, Topic};

pub fn event_label(k: EventType, l: Locale) -> &'static str {
    match k {
        EventType::Notice => td_string!(l, wh_ev_notice),
        EventType::Reminder => td_string!(l, wh_ev_reminder),
        EventType::BudgetAlert => td_string!(l, wh_ev_budget),
        EventType::AccountOverdue => td_string!(l, wh_ev_overdue),
        EventType::AccountRestored => td_string!(l, wh_ev_restored),
        EventType::Test => td_string!(l, wh_ev_test),
    }
}

fn state_text(d: &Delivery, l: Locale) -> String {
    match d.state {
        DeliveryState::Delivered => td_string!(l, wh_delivered).to_string(),
        DeliveryState::Failed => td_string!(l, wh_failed).to_string(),
        DeliveryState::Pending => match d.next_attempt_at {
            Some(t) if d.attempts > 0 => td_string!(l, wh_retrying, at = instant(t)).to_string(),
            _ => td_string!(l, wh_pending).to_string(),
        },
    }
}

fn deliveries(e: &EndpointView, l: Locale) -> AnyView {
    if e.recent.is_empty() {
        return view! { <p class="hint">{td_string!(l, wh_no_deliveries)}</p> }.into_any();
    }
    view! {
        <div class="table-scroll">
            <table class="deliveries">
                <caption class="sr-only">{td_string!(l, wh_recent, url = e.endpoint.url.clone()).to_string()}</caption>
                <thead>
                    <tr>
                        <th scope="col">{td_string!(l, wh_col_event)}</th>
                        <th scope="col">{td_string!(l, wh_col_state)}</th>
                        <th scope="col">{td_string!(l, wh_col_attempts)}</th>
                        <th scope="col">{td_string!(l, wh_col_last)}</th>
                    </tr>
                </thead>
                <tbody>
                    {e.recent.iter().map(|d| {
                        let last = match (&d.last_attempt_at, d.last_status, &d.last_error) {
                            (None, _, _) => "—".to_string(),
                            (Some(t), Some(s), None) => format!("{} · HTTP {s}", instant(*t)),
                            (Some(t), _, Some(err)) => format!("{} · {err}", instant(*t)),
                            (Some(t), None, None) => instant(*t),
                        };
                        view! {
                            <tr class=format!("delivery delivery--{:?}", d.state).to_lowercase()>
                                <td>{event_label(d.event_kind, l)}<br/><small>{format!("{} · {}", d.event_id, instant(d.event_at))}</small></td>
                                <td>{state_text(d, l)}</td>
                                <td class="num">{d.attempts}</td>
                                <td>{last}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
pub fn AlertsPage() -> impl IntoView {
    let api = expect_context::<Api>();
    let session = expect_context::<Session>();
    let l = locale();
    let url = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let action_error = RwSignal::new(None::<ClientError>);
    let outcome = RwSignal::new(None::<String>);
    let created = RwSignal::new(None::<CreatedWebhook>);
    let removing = RwSignal::new(None::<(String, String)>);

    let (hooks, error) = {
        let api = api.clone();
        load_on_change(&[Topic::Webhooks], move || {
            let api = api.clone();
            Some(async move { api.webhooks().await })
        })
    };
    let may = move || hooks.with(|h| h.as_ref().is_some_and(|h| h.may_manage));

    let add = {
        let api = api.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let api = api.clone();
            let u = url.get_untracked().trim().to_string();
            busy.set(true);
            action_error.set(None);
            outcome.set(None);
            spawn_local(async move {
                match api.create_webhook(&u).await {
                    Ok(c) => {
                        created.set(Some(c));
                        url.set(String::new());
                        session.changed(&[Topic::Webhooks]);
                    }
                    Err(e) => action_error.set(Some(e)),
                }
                busy.set(false);
            });
        }
    };
    let test = {
        let api = api.clone();
        move |id: String| {
            let api = api.clone();
            action_error.set(None);
            spawn_local(async move {
                match api.send_test_webhook(&id).await {
                    Ok(()) => {
                        outcome.set(Some(td_string!(l, wh_test_queued).to_string()));
                        session.changed(&[Topic::Webhooks]);
                    }
                    Err(e) => action_error.set(Some(e)),
                }
            });
        }
    };
    let remove = Callback::new(move |()| {
        let Some((id, _)) = removing.get_untracked() else {
            return;
        };
        let api = api.clone();
        busy.set(true);
        action_error.set(None);
        spawn_local(async move {
            match api.delete_webhook(&id).await {
                Ok(()) => {
                    removing.set(None);
                    outcome.set(Some(td_string!(l, wh_removed).to_string()));
                    session.changed(&[Topic::Webhooks]);
                }
                Err(e) => action_error.set(Some(e)),
            }
            busy.set(false);
        });
    });

    view! {
        <section class="alerts" aria-labelledby="alerts-title">
            <p><a href="/postpaid">{td_string!(l, wh_back)}</a></p>
            <h2 id="alerts-title">{td_string!(l, wh_title)}</h2>
            <p class="intro">{td_string!(l, wh_intro)}</p>
            <details class="signing">
                <summary>{td_string!(l, wh_signing_title)}</summary>
                <p>{td_string!(l, wh_signing)}</p>
                <pre><code>"X-Billing-Event-Id: evt-t-acme-00000042\nX-Billing-Timestamp: 1764576000\nX-Billing-Signature: v1=hex(HMAC-SHA256(secret, timestamp + \".\" + body))"</code></pre>
            </details>
            {move || error.get().map(|e| view! { <ErrorAlert context=td_string!(l, wh_load_failed) error=e on_retry=Callback::new(move |()| session.changed(&[Topic::Webhooks]))/> })}
            <form class="add-hook" on:submit=add aria-describedby="hook-why">
                <fieldset disabled=move || busy.get() || !may()>
                    <legend>{td_string!(l, wh_add_legend)}</legend>
                    <label>
                        {td_string!(l, wh_url)}
                        <input type="url" name="url" required
                            prop:value=move || url.get()
                            on:input=move |ev| url.set(event_target_value(&ev))/>
                    </label>
                    <button type="submit" class="btn btn--primary">{td_string!(l, wh_add)}</button>
                </fieldset>
            </form>
            <p id="hook-why" class="hint">
                {move || hooks.get().map(|h| if !h.may_manage {
                    td_string!(l, wh_not_permitted).to_string()
                } else if h.private_allowed {
                    td_string!(l, wh_rules_private).to_string()
                } else {
                    td_string!(l, wh_rules).to_string()
                })}
            </p>
            {move || created.get().map(|c| view! {
                <div role="status" class="secret">
                    <p>{td_string!(l, wh_created, url = c.endpoint.url.clone()).to_string()}</p>
                    <p><code>{c.secret.clone()}</code></p>
                    <button type="button" class="btn" on:click=move |_| created.set(None)>{td_string!(l, wh_secret_done)}</button>
                </div>
            })}
            {move || action_error.get().filter(|_| removing.get().is_none()).map(|e| view! { <ErrorAlert context=td_string!(l, wh_action_failed) error=e/> })}
            {move || outcome.get().map(|o| view! { <p role="status" class="outcome">{o}</p> })}
            {move || hooks.get().map(|h| {
                if h.endpoints.is_empty() {
                    return view! { <p>{td_string!(l, wh_none)}</p> }.into_any();
                }
                let may = h.may_manage;
                h.endpoints.into_iter().map(|e| {
                    let id = e.endpoint.id.clone();
                    let id2 = id.clone();
                    let u = e.endpoint.url.clone();
                    let test = test.clone();
                    view! {
                        <article class="endpoint" aria-label=e.endpoint.url.clone()>
                            <h3 class="endpoint-url"><code>{e.endpoint.url.clone()}</code></h3>
                            <p class="hint">{td_string!(l, wh_added_by, name = e.endpoint.created_by.clone(), at = instant(e.endpoint.created_at)).to_string()}</p>
                            <div class="actions">
                                <button type="button" class="btn" disabled=!may
                                    on:click=move |_| test(id.clone())>
                                    {td_string!(l, wh_send_test)}
                                </button>
                                <button type="button" class="btn btn--danger" disabled=!may
                                    on:click=move |_| removing.set(Some((id2.clone(), u.clone())))>
                                    {td_string!(l, wh_remove)}
                                </button>
                            </div>
                            {deliveries(&e, l)}
                        </article>
                    }
                }).collect_view().into_any()
            })}
            <Show when=move || removing.get().is_some()>
                <ConfirmDialog
                    title=td_string!(l, wh_remove_title)
                    confirm_label=td_string!(l, wh_remove)
                    busy=busy
                    error=action_error
                    on_confirm=remove
                    on_cancel=move |()| removing.set(None)
                >
                    <p>{move || removing.get().map(|(_, u)| td_string!(l, wh_remove_body, url = u).to_string())}</p>
                </ConfirmDialog>
            </Show>
        </section>
    }
}

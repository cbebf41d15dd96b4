//! Knowledge base capacity at a glance: characters used of available, what
//! is isolated and what to do about it, and the Restore action.

use billing_rules::format::grouped;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{Api, ClientError};
use crate::components::dialog::ConfirmDialog;
use crate::components::error_alert::ErrorAlert;
use crate::state::{load_on_change, Session};

#[component]
pub fn KnowledgePanel() -> impl IntoView {
    let api = expect_context::<Api>();
    let session = expect_context::<Session>();
    let open = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let action_error = RwSignal::new(None::<ClientError>);
    let outcome = RwSignal::new(None::<String>);

    let (usage, error) = {
        let api = api.clone();
        load_on_change(move || {
            let api = api.clone();
            Some(async move { api.knowledge_usage().await })
        })
    };

    let confirm = Callback::new(move |()| {
        let api = api.clone();
        busy.set(true);
        action_error.set(None);
        spawn_local(async move {
            match api.restore_knowledge().await {
                Ok(r) => {
                    open.set(false);
                    outcome.set(Some(format!(
                        "Restored {} item(s); {} still isolated.",
                        r.restored_items, r.still_isolated
                    )));
                    session.changed();
                }
                Err(e) => action_error.set(Some(e)),
            }
            busy.set(false);
        });
    });

    view! {
        <section class="knowledge-panel" aria-labelledby="kb-usage-title">
            <h2 id="kb-usage-title">"Knowledge base usage"</h2>
            {move || error.get().map(|e| view! { <ErrorAlert context="Could not load knowledge usage" error=e/> })}
            {move || usage.get().map(|u| {
                let isolated = u.isolated_documents + u.isolated_qa_pairs;
                let blocked = u.restore_blocked.clone();
                let reason = blocked.as_ref().map(|b| b.message.clone());
                view! {
                    <dl class="kb-figures">
                        <div><dt>"Characters used"</dt><dd>{grouped(u.used_char_size)}</dd></div>
                        <div><dt>"Characters available"</dt><dd>{grouped(u.available_char_size)}</dd></div>
                        <div><dt>"Isolated documents"</dt><dd>{u.isolated_documents}</dd></div>
                        <div><dt>"Isolated Q&A pairs"</dt><dd>{u.isolated_qa_pairs}</dd></div>
                    </dl>
                    {(isolated > 0).then(|| view! {
                        <p class="kb-explain">
                            {format!(
                                "{} characters of knowledge exceed the capacity and are isolated (not used in answers). Purchase or renew capacity, then restore them here; restoring brings back the oldest items that fit.",
                                grouped(u.exceed_char_size)
                            )}
                        </p>
                    })}
                    {(isolated == 0).then(|| view! {
                        <p class="kb-explain">"No knowledge is isolated. When capacity expires, knowledge over the remaining limit is isolated automatically: renew in advance."</p>
                    })}
                    <button
                        type="button"
                        class="btn"
                        disabled=blocked.is_some()
                        aria-describedby="kb-restore-reason"
                        on:click=move |_| { action_error.set(None); open.set(true); }
                    >
                        "Restore isolated knowledge"
                    </button>
                    <p id="kb-restore-reason" class="hint">
                        {reason.unwrap_or_else(|| format!("{} isolated item(s) fit the free capacity and can be restored.", u.restorable_items))}
                    </p>
                }
            })}
            {move || outcome.get().map(|o| view! { <p role="status" class="outcome">{o}</p> })}
            <Show when=move || open.get()>
                <ConfirmDialog
                    title="Restore isolated knowledge?"
                    confirm_label="Restore"
                    busy=busy
                    error=action_error
                    on_confirm=confirm
                    on_cancel=move |()| open.set(false)
                >
                    <p>
                        {move || usage.get().map(|u| format!(
                            "{} of the {} isolated item(s) fit the free capacity and will be served again. Items that do not fit stay isolated.",
                            u.restorable_items,
                            u.isolated_documents + u.isolated_qa_pairs
                        ))}
                    </p>
                </ConfirmDialog>
            </Show>
        </section>
    }
}

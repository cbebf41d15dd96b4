//! Knowledge base capacity at a glance: characters used of available, what
//! is isolated and what to do about it, and the Restore action.

use crate::i18n::{locale, td_string};
use billing_rules::format::grouped;
use leptos::prelude::*;

use crate::api::{Api, ClientError};
use crate::components::dialog::ConfirmDialog;
use crate::components::error_alert::ErrorAlert;
use crate::mutation::Mutation;
use crate::state::{load_on_change, Session, Topic};
use billing_rules::api::RestoreResult;

#[component]
pub fn KnowledgePanel() -> impl IntoView {
    let api = expect_context::<Api>();
    let session = expect_context::<Session>();
    let l = locale();
    let open = RwSignal::new(false);
    let outcome = RwSignal::new(None::<String>);

    let (usage, error) = {
        let api = api.clone();
        load_on_change(&[Topic::Knowledge], move || {
            let api = api.clone();
            Some(async move { api.knowledge_usage().await })
        })
    };

    let restore = Mutation::new(
        move |()| {
            let api = api.clone();
            async move { api.restore_knowledge().await }
        },
        move |r: RestoreResult| {
            open.set(false);
            outcome.set(Some(
                td_string!(
                    l,
                    kb_restored,
                    restored = r.restored_items,
                    left = r.still_isolated
                )
                .to_string(),
            ));
            session.changed(&[
                Topic::Knowledge,
                Topic::Resources,
                Topic::Summary,
                Topic::Notices,
            ]);
        },
    );
    let confirm = Callback::new(move |()| restore.run(()));

    view! {
        <section class="knowledge-panel" aria-labelledby="kb-usage-title">
            <h2 id="kb-usage-title">{td_string!(l, kb_title)}</h2>
            {move || error.get().map(|e| view! { <ErrorAlert context=td_string!(l, kb_load_failed) error=e/> })}
            {move || usage.get().map(|u| {
                let isolated = u.isolated_documents + u.isolated_qa_pairs;
                let blocked = u.restore_blocked.clone();
                // Why restoring is blocked, from the refusal's code.
                let reason = blocked.as_ref().map(|b| match b.code {
                    billing_rules::ErrorCode::ResourceNotFound => td_string!(l, kb_blocked_none).to_string(),
                    billing_rules::ErrorCode::ResourceInsufficient => td_string!(l, kb_blocked_capacity).to_string(),
                    billing_rules::ErrorCode::UnauthorizedOperation => td_string!(l, kb_blocked_permission).to_string(),
                    _ => ClientError::Api(b.clone()).message(l),
                });
                view! {
                    <dl class="kb-figures">
                        <div><dt>{td_string!(l, kb_used)}</dt><dd>{grouped(u.used_char_size)}</dd></div>
                        <div><dt>{td_string!(l, kb_available)}</dt><dd>{grouped(u.available_char_size)}</dd></div>
                        <div><dt>{td_string!(l, kb_iso_docs)}</dt><dd>{u.isolated_documents}</dd></div>
                        <div><dt>{td_string!(l, kb_iso_qa)}</dt><dd>{u.isolated_qa_pairs}</dd></div>
                    </dl>
                    {(isolated > 0).then(|| view! {
                        <p class="kb-explain">
                            {td_string!(l, kb_exceed, count = u.exceed_char_size, chars = grouped(u.exceed_char_size)).to_string()}
                        </p>
                    })}
                    {(isolated == 0).then(|| view! {
                        <p class="kb-explain">{td_string!(l, kb_none_isolated)}</p>
                    })}
                    <button
                        type="button"
                        class="btn"
                        disabled=blocked.is_some()
                        aria-describedby="kb-restore-reason"
                        on:click=move |_| { restore.error.set(None); open.set(true); }
                    >
                        {td_string!(l, restore_isolated)}
                    </button>
                    <p id="kb-restore-reason" class="hint">
                        {reason.unwrap_or_else(|| td_string!(l, kb_restorable, count = u.restorable_items).to_string())}
                    </p>
                }
            })}
            {move || outcome.get().map(|o| view! { <p role="status" class="outcome">{o}</p> })}
            <Show when=move || open.get()>
                <ConfirmDialog
                    title=td_string!(l, kb_dialog_title)
                    confirm_label=td_string!(l, kb_confirm)
                    busy=restore.pending()
                    error=restore.error
                    on_confirm=confirm
                    on_cancel=move |()| open.set(false)
                >
                    <p>
                        {move || usage.get().map(|u| td_string!(
                            l,
                            kb_dialog_body,
                            fit = u.restorable_items,
                            total = u.isolated_documents + u.isolated_qa_pairs
                        ).to_string())}
                    </p>
                </ConfirmDialog>
            </Show>
        </section>
    }
}

//! User Permissions (main account only): grant or withdraw the "Postpaid
//! Settings" permission per sub-account.

use crate::i18n::{locale, td_string};
use billing_rules::api::ModifyPermissionRequest;
use billing_rules::model::User;
use leptos::prelude::*;

use crate::api::Api;
use crate::components::dialog::ConfirmDialog;
use crate::components::error_alert::ErrorAlert;
use crate::components::switch::Switch;
use crate::mutation::Mutation;
use crate::state::{load_on_change, Session, Topic};

#[component]
pub fn PermissionsPage() -> impl IntoView {
    let api = expect_context::<Api>();
    let session = expect_context::<Session>();
    let l = locale();
    let pending = RwSignal::new(None::<User>);
    let outcome = RwSignal::new(None::<String>);

    let (subs, error) = {
        let api = api.clone();
        load_on_change(&[Topic::Permissions], move || {
            let api = api.clone();
            // Only the main account may list sub-accounts.
            session
                .is_main()
                .then_some(async move { api.sub_accounts().await })
        })
    };

    let modify = Mutation::new(
        move |req: &ModifyPermissionRequest| {
            let (api, req) = (api.clone(), req.clone());
            async move { api.set_permission(&req).await }
        },
        move |after: User| {
            outcome.set(Some(if after.postpaid_permission {
                td_string!(l, perm_granted_now, name = after.name.clone()).to_string()
            } else {
                td_string!(l, perm_withdrawn_now, name = after.name.clone()).to_string()
            }));
            pending.set(None);
            session.changed(&[Topic::Permissions]);
        },
    );
    let confirm = Callback::new(move |()| {
        if let Some(u) = pending.get_untracked() {
            modify.run(ModifyPermissionRequest {
                user_id: u.id.clone(),
                postpaid_permission: !u.postpaid_permission,
            });
        }
    });

    view! {
        <section class="permissions" aria-labelledby="perm-title">
            <h2 id="perm-title">{td_string!(l, perm_title)}</h2>
            {move || match session.identity.get() {
                None => view! { <p role="status">{td_string!(l, loading)}</p> }.into_any(),
                Some(i) if !i.user.is_main() => view! {
                    <div class="notice" role="status">
                        <p><strong>{td_string!(l, perm_main_only)}</strong></p>
                        <p>{td_string!(l, perm_sub_explain)}</p>
                    </div>
                }.into_any(),
                Some(_) => view! {
                    <p class="intro">{td_string!(l, perm_intro)}</p>
                    {move || error.get().map(|e| view! { <ErrorAlert context=td_string!(l, perm_load_failed) error=e on_retry=Callback::new(move |()| session.changed(&[Topic::Permissions]))/> })}
                    {move || subs.get().map(|list| view! {
                        <table class="perm-table">
                            <thead><tr><th scope="col">{td_string!(l, col_sub)}</th><th scope="col">{td_string!(l, col_perm)}</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|u| {
                                    let granted = u.postpaid_permission;
                                    let label = td_string!(l, perm_switch_label, name = u.name.clone()).to_string();
                                    let u2 = u.clone();
                                    view! {
                                        <tr>
                                            <td>{u.name.clone()}<div class="res-id"><code>{u.id.clone()}</code></div></td>
                                            <td>
                                                <Switch
                                                    checked=Signal::derive(move || granted)
                                                    disabled=Signal::derive(|| false)
                                                    label=label
                                                    on_toggle=move |()| { modify.error.set(None); pending.set(Some(u2.clone())); }
                                                />
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    })}
                }.into_any(),
            }}
            {move || outcome.get().map(|o| view! { <p role="status" class="outcome">{o}</p> })}
            {move || pending.get().map(|u| {
                let grant = !u.postpaid_permission;
                view! {
                    <ConfirmDialog
                        title=if grant { td_string!(l, grant_title, name = u.name.clone()).to_string() } else { td_string!(l, withdraw_title, name = u.name.clone()).to_string() }
                        confirm_label=if grant { td_string!(l, grant) } else { td_string!(l, withdraw) }
                        busy=modify.pending()
                        error=modify.error
                        on_confirm=confirm
                        on_cancel=move |()| pending.set(None)
                    >
                        <p>{if grant { td_string!(l, grant_body) } else { td_string!(l, withdraw_body) }}</p>
                    </ConfirmDialog>
                }
            })}
        </section>
    }
}

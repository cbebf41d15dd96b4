//! Renewing a resource: the term, what it costs and until when it then
//! runs, confirmed in a dialog. Only the main account renews (the server
//! refuses others; the row's button already says so).

use billing_rules::api::{RenewRequest, RenewResult};
use billing_rules::format::money;
use billing_rules::model::Resource;
use chrono::Duration;
use leptos::prelude::*;

use crate::api::Api;
use crate::clock::Clock;
use crate::components::dialog::ConfirmDialog;
use crate::format::instant;
use crate::i18n::{locale, td_string};
use crate::mutation::Mutation;

/// The renew dialog for the resource in `renewing`, while there is one;
/// `on_renewed` gets the server's answer.
#[component]
pub fn RenewDialog(
    renewing: RwSignal<Option<Resource>>,
    #[prop(into)] on_renewed: Callback<RenewResult>,
) -> impl IntoView {
    let api = expect_context::<Api>();
    let now = expect_context::<Clock>().signal();
    let l = locale();
    let months = RwSignal::new(1u32);
    let renew = Mutation::new(
        move |req: &RenewRequest| {
            let (api, req) = (api.clone(), req.clone());
            async move { api.renew(&req).await }
        },
        move |res: RenewResult| {
            renewing.set(None);
            on_renewed.run(res);
        },
    );
    // A new dialog starts at one month, with no error from the last one.
    Effect::new(move |_| {
        if renewing.with(Option::is_some) {
            months.set(1);
            renew.error.set(None);
        }
    });
    let confirm = Callback::new(move |()| {
        if let Some(r) = renewing.get_untracked() {
            renew.run(RenewRequest {
                resource_id: r.id.clone(),
                months: months.get_untracked(),
            });
        }
    });
    move || {
        renewing.get().map(|r| {
            let (kind, total, from) = (r.kind, r.total, r.expires_at);
            view! {
                <ConfirmDialog
                    title=td_string!(l, renew_title, name = r.name.clone()).to_string()
                    confirm_label=td_string!(l, renew_pay)
                    busy=renew.pending()
                    error=renew.error
                    on_confirm=confirm
                    on_cancel=move |()| renewing.set(None)
                >
                    <label>
                        {td_string!(l, renew_for)} " "
                        <select on:change=move |ev| months.set(event_target_value(&ev).parse().unwrap_or(1)) prop:value=move || months.get().to_string()>
                            {[1u32, 3, 6, 12].into_iter().map(|m| view! { <option value=m.to_string()>{td_string!(l, months, count = m).to_string()}</option> }).collect_view()}
                        </select>
                    </label>
                    <p>{move || {
                        let m = months.get();
                        let price = kind.renewal_price_cents(total, m).unwrap_or(0);
                        let start = from.max(now.get());
                        td_string!(
                            l,
                            renew_summary,
                            until = instant(start + Duration::days(30 * m as i64)),
                            price = money(price, "USD")
                        )
                        .to_string()
                    }}</p>
                </ConfirmDialog>
            }
        })
    }
}

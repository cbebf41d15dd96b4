//! Page banners above the tabs: one per condition across the account,
//! naming how many resources and linking to the filtered list. Urgent ones
//! are `role="alert"`, informational ones `role="status"`.

use billing_rules::api::{ResourceRef, Summary};
use billing_rules::format::money;
use billing_rules::model::ResourceKind;
use leptos::prelude::*;

use crate::i18n::{locale, td_string, Locale};

use crate::state::Session;

pub const DISMISS_KEY: &str = "billing-console.dismissed.discontinued-notice";

#[derive(Clone, PartialEq)]
pub struct Banner {
    pub key: &'static str,
    pub urgent: bool,
    pub text: String,
    pub link: Option<(String, String)>,
}

fn tab_path(kind: ResourceKind) -> String {
    format!("/{}", kind.tab().slug())
}

fn names(rs: &[ResourceRef], l: Locale) -> String {
    let mut s: Vec<String> = rs
        .iter()
        .take(3)
        .map(|r| td_string!(l, quoted, s = r.name.clone()).to_string())
        .collect();
    if rs.len() > 3 {
        s.push(td_string!(l, names_more, count = rs.len() - 3).to_string());
    }
    s.join(td_string!(l, names_sep))
}

/// The banners a summary calls for, most urgent first, in language `l`.
pub fn banners_for(s: &Summary, l: Locale) -> Vec<Banner> {
    let mut out = Vec::new();
    if let Some(a) = s.account.as_ref().filter(|a| a.is_overdue()) {
        out.push(Banner {
            key: "overdue",
            urgent: true,
            text: td_string!(
                l,
                banner_overdue,
                balance = money(a.balance_cents, &a.currency)
            )
            .to_string(),
            link: None,
        });
    }
    // (key, urgent, resources, sentence, query, link text)
    type Line<'a> = (
        &'static str,
        bool,
        &'a [ResourceRef],
        fn(usize, String, Locale) -> String,
        &'static str,
        &'static str,
    );
    let running_out: Vec<ResourceRef> = s.running_out.iter().map(|r| r.resource.clone()).collect();
    let lines: [Line; 7] = [
        (
            "exhausted",
            true,
            &s.exhausted,
            |n, names, l| td_string!(l, banner_exhausted, count = n, names).to_string(),
            "status=exhausted",
            td_string!(l, link_exhausted),
        ),
        (
            "expiring-1",
            true,
            &s.expiring_1,
            |n, names, l| td_string!(l, banner_expiring_1, count = n, names).to_string(),
            "status=available&sort=expires-asc",
            td_string!(l, link_expiring),
        ),
        (
            "expired",
            true,
            &s.expired,
            |n, names, l| td_string!(l, banner_expired, count = n, names).to_string(),
            "status=expired",
            td_string!(l, link_expired),
        ),
        (
            "nearly-exhausted",
            false,
            &s.nearly_exhausted,
            |n, names, l| td_string!(l, banner_nearly, count = n, names).to_string(),
            "status=available&sort=usage-desc",
            td_string!(l, link_usage),
        ),
        (
            "running-out",
            false,
            &running_out,
            |n, names, l| td_string!(l, banner_running_out, count = n, names).to_string(),
            "status=available&sort=expires-asc",
            td_string!(l, link_running_out),
        ),
        (
            "expiring-7",
            false,
            &s.expiring_7,
            |n, names, l| td_string!(l, banner_expiring_7, count = n, names).to_string(),
            "status=available&sort=expires-asc",
            td_string!(l, link_expiring),
        ),
        (
            "expiring-30",
            false,
            &s.expiring_30,
            |n, names, l| td_string!(l, banner_expiring_30, count = n, names).to_string(),
            "status=available&sort=expires-asc",
            td_string!(l, link_expiring),
        ),
    ];
    for (key, urgent, rs, sentence, query, link_text) in lines {
        if let Some(first) = rs.first() {
            out.push(Banner {
                key,
                urgent,
                text: sentence(rs.len(), names(rs, l), l),
                link: Some((
                    format!("{}?{query}", tab_path(first.kind)),
                    link_text.to_string(),
                )),
            });
        }
    }
    let (docs, qa) = (s.isolated_documents, s.isolated_qa_pairs);
    if docs + qa > 0 {
        out.push(Banner {
            key: "isolated",
            urgent: true,
            text: td_string!(l, banner_isolated, docs, qa).to_string(),
            link: Some((
                "/knowledge-base".into(),
                td_string!(l, restore_isolated).to_string(),
            )),
        });
    }
    out
}

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

#[component]
pub fn Banners() -> impl IntoView {
    let session = expect_context::<Session>();
    let l = locale();
    let dismissed = RwSignal::new(
        storage()
            .and_then(|s| s.get_item(DISMISS_KEY).ok().flatten())
            .is_some(),
    );
    let dismiss = move |_| {
        if let Some(s) = storage() {
            let _ = s.set_item(DISMISS_KEY, "1");
        }
        dismissed.set(true);
    };
    view! {
        <section class="banners" aria-label=td_string!(l, banners_label)>
            {move || {
                session.summary.get().map(|s| {
                    banners_for(&s, l)
                        .into_iter()
                        .map(|b| {
                            let class = if b.urgent { "banner banner--urgent" } else { "banner banner--info" };
                            view! {
                                <div class=class role=if b.urgent { "alert" } else { "status" } data-banner=b.key>
                                    <p>{b.text}</p>
                                    {b.link.map(|(href, text)| view! { <a href=href>{text}</a> })}
                                </div>
                            }
                        })
                        .collect_view()
                })
            }}
            <Show when=move || !dismissed.get()>
                <div class="banner banner--notice" role="status" data-banner="discontinued">
                    <p>{td_string!(l, discontinued)}</p>
                    <button type="button" class="btn btn--small" on:click=dismiss>{td_string!(l, dismiss_notice)}</button>
                </div>
            </Show>
        </section>
    }
}

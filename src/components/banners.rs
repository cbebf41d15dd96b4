//! Page banners above the tabs: one per condition across the account,
//! naming how many resources and linking to the filtered list. Urgent ones
//! are `role="alert"`, informational ones `role="status"`.

use billing_rules::api::{ResourceRef, Summary};
use billing_rules::format::money;
use billing_rules::model::ResourceKind;
use leptos::prelude::*;

use crate::state::Session;

pub const DISMISS_KEY: &str = "billing-console.dismissed.discontinued-notice";

#[derive(Clone, PartialEq)]
pub struct Banner {
    pub key: &'static str,
    pub urgent: bool,
    pub text: String,
    pub link: Option<(String, String)>,
}

fn tab_path(kind: ResourceKind) -> &'static str {
    match kind.tab() {
        billing_rules::Tab::PayAsYouGo => "/pay-as-you-go",
        billing_rules::Tab::Concurrency => "/concurrency",
        billing_rules::Tab::KnowledgeBase => "/knowledge-base",
    }
}

fn names(rs: &[ResourceRef]) -> String {
    let mut s: Vec<String> = rs.iter().take(3).map(|r| format!("“{}”", r.name)).collect();
    if rs.len() > 3 {
        s.push(format!("and {} more", rs.len() - 3));
    }
    s.join(", ")
}

fn count(n: usize) -> String {
    if n == 1 {
        "1 resource".into()
    } else {
        format!("{n} resources")
    }
}

fn is_are(n: usize) -> &'static str {
    if n == 1 {
        "is"
    } else {
        "are"
    }
}

/// The banners a summary calls for, most urgent first.
pub fn banners_for(s: &Summary) -> Vec<Banner> {
    let mut out = Vec::new();
    if let Some(a) = s.account.as_ref().filter(|a| a.is_overdue()) {
        out.push(Banner {
            key: "overdue",
            urgent: true,
            text: format!(
                "Your account is overdue (balance {}): services cannot be used, and postpaid cannot be enabled. Top up the balance to resume service.",
                money(a.balance_cents, &a.currency)
            ),
            link: None,
        });
    }
    let mut list = |key: &'static str,
                    urgent: bool,
                    rs: &[ResourceRef],
                    what: &str,
                    query: &str,
                    link_text: &str| {
        if let Some(first) = rs.first() {
            out.push(Banner {
                key,
                urgent,
                text: format!(
                    "{} {} {what}: {}.",
                    count(rs.len()),
                    is_are(rs.len()),
                    names(rs)
                ),
                link: Some((
                    format!("{}?{query}", tab_path(first.kind)),
                    link_text.to_string(),
                )),
            });
        }
    };
    list(
        "exhausted",
        true,
        &s.exhausted,
        "exhausted; services that rely on them stop unless postpaid billing is enabled",
        "status=exhausted",
        "View exhausted resources",
    );
    list(
        "expiring-1",
        true,
        &s.expiring_1,
        "expiring within 1 day",
        "status=available&sort=expires-asc",
        "View expiring resources",
    );
    list(
        "expired",
        true,
        &s.expired,
        "expired in the last 30 days",
        "status=expired",
        "View expired resources",
    );
    list(
        "nearly-exhausted",
        false,
        &s.nearly_exhausted,
        "nearly exhausted (over 90% used)",
        "status=available&sort=usage-desc",
        "View by usage",
    );
    list(
        "expiring-7",
        false,
        &s.expiring_7,
        "expiring within 7 days",
        "status=available&sort=expires-asc",
        "View expiring resources",
    );
    list(
        "expiring-30",
        false,
        &s.expiring_30,
        "expiring within 30 days",
        "status=available&sort=expires-asc",
        "View expiring resources",
    );
    let (docs, qa) = (s.isolated_documents, s.isolated_qa_pairs);
    if docs + qa > 0 {
        out.push(Banner {
            key: "isolated",
            urgent: true,
            text: format!(
                "Knowledge over the capacity limit is isolated: {docs} document(s) and {qa} Q&A pair(s) are not served. Purchase or renew knowledge base capacity, then restore them by hand."
            ),
            link: Some(("/knowledge-base".into(), "Restore isolated knowledge".into())),
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
        <section class="banners" aria-label="Account notices">
            {move || {
                session.summary.get().map(|s| {
                    banners_for(&s)
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
                    <p>
                        "Notice: this billing resource list is being discontinued. Users who purchase packages can use the Billing Resources feature instead."
                    </p>
                    <button type="button" class="btn btn--small" on:click=dismiss>"Dismiss notice"</button>
                </div>
            </Show>
        </section>
    }
}

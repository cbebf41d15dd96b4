//! The attention area above the tabs: what needs the user, in one place
//! that stays small. Closed, it is one line per severity, most severe
//! first, each with its count and its action:
//! - needs action (`role="alert"`): exhausted, expired, overdue, isolated;
//! - coming up (`role="status"`): expiring, nearly exhausted, running out;
//! - notices (`role="status"`): informational, dismissable per user.
//!
//! "Details" opens the full sentences, each naming the resources and
//! linking to the filtered list.

use billing_rules::api::{ResourceRef, Summary};
use billing_rules::format::money;
use billing_rules::model::ResourceKind;
use leptos::prelude::*;

use crate::i18n::{locale, td_string, Locale};
use crate::state::Session;

/// The informational notice every user sees until they dismiss it.
pub const DISCONTINUED: &str = "discontinued-notice";

#[derive(Clone, Copy, PartialEq, Eq, Debug, PartialOrd, Ord)]
pub enum Severity {
    /// Service has stopped or will: act now.
    Action,
    /// Coming up: expiring, nearly used up.
    Soon,
    /// For information.
    Notice,
}

impl Severity {
    pub fn slug(self) -> &'static str {
        match self {
            Severity::Action => "action",
            Severity::Soon => "soon",
            Severity::Notice => "notice",
        }
    }
}

/// One condition across the account.
#[derive(Clone, PartialEq, Debug)]
pub struct Item {
    pub key: &'static str,
    pub severity: Severity,
    /// How many resources (or knowledge items) it concerns.
    pub count: usize,
    /// The short form for the closed line ("2 exhausted").
    pub short: String,
    /// The whole sentence for the details.
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

type Sentence = fn(usize, String, Locale) -> String;
type Short = fn(usize, Locale) -> String;
/// (key, severity, resources, short form, sentence, list query, link text)
type Condition<'a> = (
    &'static str,
    Severity,
    &'a [ResourceRef],
    Short,
    Sentence,
    &'static str,
    &'static str,
);

/// The conditions a summary calls for, most severe first, in language `l`
/// (the informational notice is added by the component: it depends on who
/// dismissed it).
pub fn items_for(s: &Summary, l: Locale) -> Vec<Item> {
    let mut out = Vec::new();
    if let Some(a) = s.account.as_ref().filter(|a| a.is_overdue()) {
        out.push(Item {
            key: "overdue",
            severity: Severity::Action,
            count: 1,
            short: td_string!(l, attn_overdue).to_string(),
            text: td_string!(
                l,
                banner_overdue,
                balance = money(a.balance_cents, &a.currency)
            )
            .to_string(),
            link: Some(("/postpaid".into(), td_string!(l, attn_balance).to_string())),
        });
    }
    let running_out: Vec<ResourceRef> = s.running_out.iter().map(|r| r.resource.clone()).collect();
    let lines: [Condition; 7] = [
        (
            "exhausted",
            Severity::Action,
            &s.exhausted,
            |n, l| td_string!(l, attn_exhausted, count = n).to_string(),
            |n, names, l| td_string!(l, banner_exhausted, count = n, names).to_string(),
            "status=exhausted",
            td_string!(l, link_exhausted),
        ),
        (
            "expired",
            Severity::Action,
            &s.expired,
            |n, l| td_string!(l, attn_expired, count = n).to_string(),
            |n, names, l| td_string!(l, banner_expired, count = n, names).to_string(),
            "status=expired",
            td_string!(l, link_expired),
        ),
        (
            "expiring-1",
            Severity::Soon,
            &s.expiring_1,
            |n, l| td_string!(l, attn_expiring_1, count = n).to_string(),
            |n, names, l| td_string!(l, banner_expiring_1, count = n, names).to_string(),
            "status=available&sort=expires-asc",
            td_string!(l, link_expiring),
        ),
        (
            "nearly-exhausted",
            Severity::Soon,
            &s.nearly_exhausted,
            |n, l| td_string!(l, attn_nearly, count = n).to_string(),
            |n, names, l| td_string!(l, banner_nearly, count = n, names).to_string(),
            "status=available&sort=usage-desc",
            td_string!(l, link_usage),
        ),
        (
            "running-out",
            Severity::Soon,
            &running_out,
            |n, l| td_string!(l, attn_running_out, count = n).to_string(),
            |n, names, l| td_string!(l, banner_running_out, count = n, names).to_string(),
            "status=available&sort=expires-asc",
            td_string!(l, link_running_out),
        ),
        (
            "expiring-7",
            Severity::Soon,
            &s.expiring_7,
            |n, l| td_string!(l, attn_expiring_7, count = n).to_string(),
            |n, names, l| td_string!(l, banner_expiring_7, count = n, names).to_string(),
            "status=available&sort=expires-asc",
            td_string!(l, link_expiring),
        ),
        (
            "expiring-30",
            Severity::Soon,
            &s.expiring_30,
            |n, l| td_string!(l, attn_expiring_30, count = n).to_string(),
            |n, names, l| td_string!(l, banner_expiring_30, count = n, names).to_string(),
            "status=available&sort=expires-asc",
            td_string!(l, link_expiring),
        ),
    ];
    for (key, severity, rs, short, sentence, query, link_text) in lines {
        if let Some(first) = rs.first() {
            out.push(Item {
                key,
                severity,
                count: rs.len(),
                short: short(rs.len(), l),
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
        out.push(Item {
            key: "isolated",
            severity: Severity::Action,
            count: (docs + qa) as usize,
            short: td_string!(l, attn_isolated, count = (docs + qa) as usize).to_string(),
            text: td_string!(l, banner_isolated, docs, qa).to_string(),
            link: Some((
                "/knowledge-base".into(),
                td_string!(l, restore_isolated).to_string(),
            )),
        });
    }
    out.sort_by_key(|i| i.severity);
    out
}

/// One closed line: the severity's title, its count, its conditions in
/// short, and the action of its first condition.
#[derive(Clone, PartialEq, Debug)]
pub struct Line {
    pub severity: Severity,
    pub count: usize,
    pub summary: String,
    pub link: Option<(String, String)>,
}

/// The closed lines for these items, most severe first.
pub fn lines(items: &[Item], l: Locale) -> Vec<Line> {
    [Severity::Action, Severity::Soon, Severity::Notice]
        .into_iter()
        .filter_map(|sev| {
            let of: Vec<&Item> = items.iter().filter(|i| i.severity == sev).collect();
            let first = of.first()?;
            Some(Line {
                severity: sev,
                count: of.iter().map(|i| i.count).sum(),
                summary: of
                    .iter()
                    .map(|i| i.short.as_str())
                    .collect::<Vec<_>>()
                    .join(td_string!(l, attn_sep)),
                link: first.link.clone(),
            })
        })
        .collect()
}

fn title(s: Severity, l: Locale) -> &'static str {
    match s {
        Severity::Action => td_string!(l, attn_action),
        Severity::Soon => td_string!(l, attn_soon),
        Severity::Notice => td_string!(l, attn_notice),
    }
}

#[component]
pub fn AttentionArea() -> impl IntoView {
    let session = expect_context::<Session>();
    let l = locale();
    let open = RwSignal::new(false);
    // Dismissed informational notices, per user, remembered in this browser.
    let dismiss_key = move || {
        session.identity.with(|i| {
            i.as_ref()
                .map(|i| crate::storage::dismissed_key(&i.user.id, DISCONTINUED))
        })
    };
    let dismissed_now = RwSignal::new(false);
    let dismissed = move || {
        dismissed_now.get() || dismiss_key().is_some_and(|k| crate::storage::get(&k).is_some())
    };
    let dismiss = move |_| {
        if let Some(k) = dismiss_key() {
            crate::storage::set(&k, "1");
        }
        dismissed_now.set(true);
    };
    let items = Memo::new(move |_| {
        let mut items = session
            .summary
            .with(|s| s.as_ref().map(|s| items_for(s, l)).unwrap_or_default());
        if !dismissed() {
            items.push(Item {
                key: "discontinued",
                severity: Severity::Notice,
                count: 1,
                short: td_string!(l, attn_discontinued).to_string(),
                text: td_string!(l, discontinued).to_string(),
                link: None,
            });
        }
        items
    });
    view! {
        <section class="attention" aria-label=td_string!(l, banners_label)>
            <div class="attention-lines">
                {move || lines(&items.get(), l).into_iter().map(|line| {
                    let sev = line.severity;
                    view! {
                        <div
                            class=format!("attention-line attention-line--{}", sev.slug())
                            role=if sev == Severity::Action { "alert" } else { "status" }
                            data-attention=sev.slug()
                        >
                            <span class="attention-count" aria-hidden="true">{line.count}</span>
                            <p>
                                <strong>{title(sev, l)}</strong>
                                <span class="attention-sep">": "</span>
                                {line.summary}
                            </p>
                            {line.link.map(|(href, text)| view! { <a href=href>{text}</a> })}
                            {(sev == Severity::Notice).then(|| view! {
                                <button type="button" class="btn btn--small" on:click=dismiss>{td_string!(l, dismiss_notice)}</button>
                            })}
                        </div>
                    }
                }).collect_view()}
            </div>
            <Show when=move || !items.with(Vec::is_empty)>
                <button
                    type="button"
                    class="attention-toggle"
                    aria-expanded=move || if open.get() { "true" } else { "false" }
                    aria-controls="attention-details"
                    on:click=move |_| open.update(|o| *o = !*o)
                >
                    {move || if open.get() { td_string!(l, attn_hide) } else { td_string!(l, attn_show) }}
                </button>
            </Show>
            <Show when=move || open.get()>
                <ul id="attention-details" class="attention-details">
                    {move || items.get().into_iter().map(|i| view! {
                        <li class=format!("attention-item attention-item--{}", i.severity.slug()) data-banner=i.key>
                            <p>{i.text}</p>
                            {i.link.map(|(href, text)| view! { <a href=href>{text}</a> })}
                        </li>
                    }).collect_view()}
                </ul>
            </Show>
        </section>
    }
}

//! The Notification Center: a bell with the unread count (announced to
//! screen readers) and a panel of notices, newest first, each linked to its
//! resource; mark one or all read.

use crate::i18n::{locale, td_string, Locale};
use billing_rules::api::{MarkNoticesReadRequest, NoticeView, NoticesRequest};
use billing_rules::reminders::Notice;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::Api;
use crate::components::error_alert::ErrorAlert;
use crate::format::instant;
use crate::state::{load_on_change, Session, Topic};

pub fn notice_text(n: &Notice, l: Locale) -> String {
    match n {
        Notice::NearlyExhausted => td_string!(l, notice_nearly).to_string(),
        Notice::Exhausted => td_string!(l, notice_exhausted).to_string(),
        Notice::ExpiringSoon { days } => td_string!(l, notice_expiring, count = *days).to_string(),
        Notice::Expired => td_string!(l, status_expired).to_string(),
        Notice::RunningOut => td_string!(l, notice_running_out).to_string(),
        Notice::BudgetReached { percent } => {
            td_string!(l, notice_budget, percent = *percent).to_string()
        }
        Notice::AccountOverdue => td_string!(l, notice_overdue).to_string(),
        Notice::ServiceRestored => td_string!(l, notice_restored).to_string(),
    }
}

fn link(n: &NoticeView) -> String {
    if n.notice.is_account_level() {
        return "/postpaid".to_string();
    }
    format!(
        "/{}?status=all&q={}",
        n.resource_kind.tab().slug(),
        js_sys::encode_uri_component(&n.resource_id)
    )
}

#[component]
pub fn NotificationBell() -> impl IntoView {
    let api = expect_context::<Api>();
    let session = expect_context::<Session>();
    let l = locale();
    let open = RwSignal::new(false);

    let (page, error) = {
        let api = api.clone();
        load_on_change(&[Topic::Notices], move || {
            let api = api.clone();
            Some(async move {
                api.notices(&NoticesRequest {
                    page_number: 1,
                    page_size: 50,
                    unread_only: false,
                })
                .await
            })
        })
    };

    let mark = Callback::new(move |req: MarkNoticesReadRequest| {
        let api = api.clone();
        spawn_local(async move {
            match api.mark_read(&req).await {
                Ok(_) => session.changed(&[Topic::Notices]),
                Err(e) => error.set(Some(e)),
            }
        });
    });
    let mark_all = move |_| {
        mark.run(MarkNoticesReadRequest {
            notice_ids: Vec::new(),
            all: true,
        })
    };
    let unread = move || page.with(|p| p.as_ref().map(|p| p.unread_count).unwrap_or(0));
    let label = move || match unread() {
        0 => td_string!(l, bell_none).to_string(),
        n => td_string!(l, bell_unread, count = n).to_string(),
    };

    view! {
        <div class="bell">
            <button
                type="button"
                class="bell-button"
                aria-label=label
                aria-expanded=move || if open.get() { "true" } else { "false" }
                aria-controls=move || open.get().then_some("notification-panel")
                on:click=move |_| open.update(|o| *o = !*o)
            >
                <svg class="bell-icon" aria-hidden="true" viewBox="0 0 24 24" width="20" height="20">
                    <path d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1z"></path>
                </svg>
                <Show when=move || { unread() > 0 }>
                    <span class="bell-count" aria-hidden="true">{unread}</span>
                </Show>
            </button>
            <span class="sr-only" role="status">{label}</span>
            <Show when=move || open.get()>
                <section
                    id="notification-panel"
                    class="notification-panel"
                    aria-label=td_string!(l, notification_center)
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| if ev.key() == "Escape" { open.set(false) }
                >
                    <div class="panel-head">
                        <h2>{td_string!(l, notifications)}</h2>
                        <button type="button" class="btn btn--small" disabled=move || unread() == 0 on:click=mark_all>
                            {td_string!(l, mark_all_read)}
                        </button>
                    </div>
                    {move || error.get().map(|e| view! { <ErrorAlert context=td_string!(l, notices_load_failed) error=e/> })}
                    <ul class="notice-list">
                        {move || {
                            let mut items = page.get().map(|p| p.items).unwrap_or_default();
                            // Newest first for reading; the API puts unread first.
                            items.sort_by(|a, b| (b.at, &b.id).cmp(&(a.at, &a.id)));
                            if items.is_empty() {
                                return view! { <li class="empty">{td_string!(l, no_notifications)}</li> }.into_any();
                            }
                            items
                                .into_iter()
                                .map(|n| {
                                    let id = n.id.clone();
                                    let href = link(&n);
                                    let read = n.read;
                                    let title = if n.notice.is_account_level() {
                                        notice_text(&n.notice, l)
                                    } else {
                                        td_string!(l, notice_title, what = notice_text(&n.notice, l), name = n.resource_name.clone()).to_string()
                                    };
                                    let mark_label = td_string!(l, mark_read_label, title = title.clone()).to_string();
                                    let when = if read { td_string!(l, notice_when_read, at = instant(n.at)).to_string() } else { instant(n.at) };
                                    view! {
                                        <li class=if read { "notice notice--read" } else { "notice notice--unread" }>
                                            <a href=href on:click=move |_| open.set(false)>{title}</a>
                                            <span class="hint">{when}</span>
                                            {(!read).then(|| view! {
                                                <button type="button" class="btn btn--small" aria-label=mark_label
                                                    on:click=move |_| mark.run(MarkNoticesReadRequest { notice_ids: vec![id.clone()], all: false })>
                                                    {td_string!(l, mark_read)}
                                                </button>
                                            })}
                                        </li>
                                    }
                                })
                                .collect_view()
                                .into_any()
                        }}
                    </ul>
                </section>
            </Show>
        </div>
    }
}

//! A resource list tab: status filter with counts, search, sort and paging,
//! all kept in the URL ([`query`]); usage bars, expiry badges and row
//! actions ([`row`]); the toolbar ([`toolbar`]) and renewal
//! ([`renew_dialog`]).
//!
//! The page is a `LocalResource` read inside a `<Transition>`: the first
//! load holds the table's place, and later loads keep the rows on screen
//! (marked busy) until the next page has come. A failed load is shown
//! above the rows that were already there.

pub mod query;
pub mod renew_dialog;
pub mod row;
pub mod toolbar;

use billing_rules::api::{ListResourcesRequest, RenewResult, ResourcePage};
use billing_rules::format::money;
use billing_rules::model::{Resource, Tab};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::{Api, ClientError};
use crate::components::error_alert::ErrorAlert;
use crate::components::knowledge_panel::KnowledgePanel;
use crate::components::usage_chart::UsageChart;
use crate::format::{instant, status_label};
use crate::i18n::{locale, td_string, Locale};
use crate::state::{Session, Topic};

pub use query::{query_string, request_from_query};
use renew_dialog::RenewDialog;
use row::{renewable, row_key, ResourceRowView};
use toolbar::Toolbar;

fn empty_text(r: &ListResourcesRequest, l: Locale) -> String {
    if !r.search.is_empty() {
        td_string!(l, empty_search, q = r.search.clone()).to_string()
    } else {
        match r.status {
            None => td_string!(l, empty_all).to_string(),
            Some(s) => td_string!(
                l,
                empty_status,
                status = status_label(Some(s), l).to_lowercase()
            )
            .to_string(),
        }
    }
}

#[component]
pub fn ResourceListPage(tab: Tab) -> impl IntoView {
    let api = expect_context::<Api>();
    let session = expect_context::<Session>();
    let l = locale();
    let query = use_query_map();
    let navigate = use_navigate();
    let req = Memo::new(move |_| request_from_query(tab, &query.get()));

    // The page the URL asks for, fetched again when the URL changes, when
    // resources change, and on Retry.
    let retry = RwSignal::new(0u32);
    let fetched = {
        let api = api.clone();
        LocalResource::new(move || {
            session.track(&[Topic::Resources]);
            retry.track();
            let (api, q) = (api.clone(), req.get());
            async move { api.resources(&q).await }
        })
    };
    // The rows on screen: the last page that came (kept when a load fails).
    let shown = Memo::new(
        move |prev: Option<&Option<ResourcePage>>| match fetched.get() {
            Some(Ok(p)) => Some(p),
            _ => prev.cloned().flatten(),
        },
    );
    let error = Memo::new(move |_| fetched.get().and_then(Result::err));
    // The first screen waits for the first page (see `Reveal`).
    crate::state::hold_first_paint_until(move || fetched.with(Option::is_some));
    let loading = RwSignal::new(true);

    let base = format!("/{}", tab.slug());
    let go = Callback::new(move |r: ListResourcesRequest| {
        navigate(&format!("{base}{}", query_string(&r)), Default::default())
    });
    let pages = move || {
        shown.with(|p| {
            p.as_ref()
                .map(|p| p.total.div_ceil(req.get().page_size as u64).max(1) as u32)
                .unwrap_or(1)
        })
    };
    let to_page = move |n: u32| {
        let mut r = req.get_untracked();
        r.page_number = n;
        go.run(r)
    };

    let outcome = RwSignal::new(None::<String>);
    let renewing = RwSignal::new(None::<Resource>);
    let on_renewed = Callback::new(move |res: RenewResult| {
        outcome.set(Some(
            td_string!(
                l,
                renewed,
                name = res.resource.name.clone(),
                until = instant(res.resource.expires_at),
                charged = money(res.charged_cents, "USD"),
                balance = money(res.balance_cents, "USD")
            )
            .to_string(),
        ));
        // Renewed capacity may let isolated knowledge back in.
        session.changed(&[
            Topic::Resources,
            Topic::Summary,
            Topic::Notices,
            Topic::Deductions,
            Topic::Knowledge,
        ]);
    });

    // CSV export of the current filtered, sorted list, all pages.
    let exporting = RwSignal::new(false);
    let export_error = RwSignal::new(None::<ClientError>);
    let on_export = Callback::new(move |()| {
        let (api, q) = (api.clone(), req.get_untracked());
        exporting.set(true);
        export_error.set(None);
        spawn_local(async move {
            match crate::export::resources_csv(&api, q, l).await {
                Ok((count, file)) => {
                    outcome.set(Some(td_string!(l, exported, count, file).to_string()))
                }
                Err(e) => export_error.set(Some(e)),
            }
            exporting.set(false);
        });
    });

    let tab_title = match tab {
        Tab::PayAsYouGo => td_string!(l, tab_payg),
        Tab::Concurrency => td_string!(l, tab_concurrency),
        Tab::KnowledgeBase => td_string!(l, tab_kb),
    };
    let tab_intro = match tab {
        Tab::PayAsYouGo => td_string!(l, intro_payg),
        Tab::Concurrency => td_string!(l, intro_concurrency),
        Tab::KnowledgeBase => td_string!(l, intro_kb),
    };
    // Said once for the page, not in every row.
    let some_not_renewable = move || {
        shown.with(|p| {
            p.as_ref()
                .is_some_and(|p| p.items.iter().any(|r| !renewable(r)))
        })
    };
    let placeholder = move || {
        view! { <tr class="placeholder-row"><td colspan="8">{td_string!(l, loading_resources)}</td></tr> }
    };

    view! {
        <section class="resource-list" aria-labelledby="list-title">
            <h2 id="list-title">{tab_title}</h2>
            <p class="intro">{tab_intro}</p>
            {(tab == Tab::KnowledgeBase).then(|| view! { <KnowledgePanel/> })}
            {(tab != Tab::KnowledgeBase).then(|| view! { <UsageChart tab=tab/> })}
            <Toolbar
                tab=tab
                req=req
                counts=Signal::derive(move || shown.with(|p| p.as_ref().map(|p| p.counts.clone())))
                go=go
                exporting=exporting.into()
                on_export=on_export
            />
            {move || error.get().map(|e| view! {
                <ErrorAlert context=td_string!(l, resources_load_failed) error=e on_retry=Callback::new(move |()| retry.update(|n| *n += 1))/>
            })}
            {move || export_error.get().map(|e| view! {
                <ErrorAlert context=td_string!(l, export_failed) error=e/>
            })}
            {move || outcome.get().map(|o| view! { <p role="status" class="outcome">{o}</p> })}
            <p class="loading" role="status">
                {move || if loading.get() { td_string!(l, loading_resources).to_string() } else {
                    shown.with(|p| p.as_ref().map(|p| td_string!(l, usage_as_of, at = instant(p.as_of)).to_string()).unwrap_or_default())
                }}
            </p>
            <p class="hint not-renewable" class:hidden=move || !some_not_renewable()>
                {td_string!(l, not_renewable)}
            </p>
            <div class="table-wrap">
                <table aria-busy=move || if loading.get() { "true" } else { "false" } aria-labelledby="list-title">
                    <thead>
                        <tr>
                            <th scope="col">{td_string!(l, col_name)}</th>
                            <th scope="col">{td_string!(l, col_type)}</th>
                            <th scope="col">{td_string!(l, col_source)}</th>
                            <th scope="col">{td_string!(l, col_status)}</th>
                            <th scope="col">{td_string!(l, col_usage)}</th>
                            <th scope="col">{td_string!(l, col_effective)}</th>
                            <th scope="col">{td_string!(l, col_expiration)}</th>
                            <th scope="col">{td_string!(l, col_actions)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        <Transition fallback=placeholder set_pending=loading>
                            {move || {
                                // Read inside the Transition: the first load
                                // shows the placeholder, later ones keep the rows.
                                fetched.with(|_| ());
                                match shown.with(|p| p.as_ref().map(|p| p.items.is_empty())) {
                                    None => placeholder().into_any(),
                                    Some(true) => view! {
                                        <tr class="empty-row"><td colspan="8">{move || empty_text(&req.get(), l)}</td></tr>
                                    }.into_any(),
                                    Some(false) => view! {
                                        <For
                                            each=move || shown.get().map(|p| p.items).unwrap_or_default()
                                            key=row_key
                                            children=move |row| view! {
                                                <ResourceRowView row=row on_renew=Callback::new(move |r| renewing.set(Some(r)))/>
                                            }
                                        />
                                    }.into_any(),
                                }
                            }}
                        </Transition>
                    </tbody>
                </table>
            </div>
            <nav class="pager" aria-label=td_string!(l, pages)>
                <button type="button" class="btn" disabled={move || req.get().page_number <= 1} on:click=move |_| to_page(req.get_untracked().page_number.saturating_sub(1).max(1))>
                    {td_string!(l, prev_page)}
                </button>
                <span class="page-of">{move || td_string!(l, page_of, page = req.get().page_number, pages = pages()).to_string()}</span>
                <button type="button" class="btn" disabled={move || req.get().page_number >= pages()} on:click=move |_| to_page(req.get_untracked().page_number + 1)>
                    {td_string!(l, next_page)}
                </button>
                <label>
                    {td_string!(l, per_page)} " "
                    <select
                        on:change=move |ev| {
                            let mut r = req.get_untracked();
                            r.page_size = event_target_value(&ev).parse().unwrap_or(billing_rules::api::PAGE_SIZES[0]);
                            r.page_number = 1;
                            go.run(r)
                        }
                        prop:value=move || req.get().page_size.to_string()
                    >
                        {billing_rules::api::PAGE_SIZES
                            .into_iter()
                            .map(|n| view! { <option value=n.to_string() selected=move || req.get().page_size == n>{n.to_string()}</option> })
                            .collect_view()}
                    </select>
                </label>
            </nav>
            <RenewDialog renewing=renewing on_renewed=on_renewed/>
        </section>
    }
}

//! A resource list tab: status filter with counts, search, sort and paging,
//! all kept in the URL; usage bars, expiry badges and row actions.

use crate::i18n::{locale, td_string, Locale};
use billing_rules::api::{
    ListResourcesRequest, RenewRequest, ResourcePage, ResourceRow, SortKey, PAGE_SIZES,
};
use billing_rules::format::money;
use billing_rules::model::{Resource, Tab};
use billing_rules::status::Status;
use chrono::Duration;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::params::ParamsMap;

use crate::api::{Api, ClientError};
use crate::clock::Clock;
use crate::components::dialog::ConfirmDialog;
use crate::components::error_alert::ErrorAlert;
use crate::components::expiry_badge::ExpiryBadge;
use crate::components::forecast_note::ForecastNote;
use crate::components::knowledge_panel::KnowledgePanel;
use crate::components::usage_bar::UsageBar;
use crate::components::usage_chart::UsageChart;
use crate::format::{instant, kind_label, source_label, status_label};
use crate::state::{Session, Topic};

const FILTERS: [Option<Status>; 5] = [
    Some(Status::Available),
    Some(Status::Exhausted),
    Some(Status::Expired),
    Some(Status::NotYetEffective),
    None,
];

fn sort_label(s: SortKey, l: Locale) -> &'static str {
    match s {
        SortKey::ExpiresAsc => td_string!(l, sort_expires_asc),
        SortKey::ExpiresDesc => td_string!(l, sort_expires_desc),
        SortKey::UsageDesc => td_string!(l, sort_usage_desc),
        SortKey::UsageAsc => td_string!(l, sort_usage_asc),
    }
}

/// The view a URL asks for. Anything unreadable falls back to the default.
pub fn request_from_query(tab: Tab, q: &ParamsMap) -> ListResourcesRequest {
    let status = match q.get_str("status") {
        Some("all") => None,
        Some(s) => Some(Status::from_slug(s).unwrap_or(Status::DEFAULT_FILTER)),
        None => Some(Status::DEFAULT_FILTER),
    };
    let page_size = q
        .get_str("size")
        .and_then(|s| s.parse().ok())
        .filter(|n| PAGE_SIZES.contains(n))
        .unwrap_or(PAGE_SIZES[0]);
    ListResourcesRequest {
        tab,
        status,
        search: q.get("q").unwrap_or_default().chars().take(100).collect(),
        sort: q
            .get_str("sort")
            .and_then(SortKey::from_slug)
            .unwrap_or_default(),
        page_number: q
            .get_str("page")
            .and_then(|s| s.parse().ok())
            .filter(|n| *n >= 1)
            .unwrap_or(1),
        page_size,
    }
}

/// The URL of a view; defaults are left out.
pub fn query_string(r: &ListResourcesRequest) -> String {
    let mut parts: Vec<String> = Vec::new();
    match r.status {
        Some(Status::Available) => {}
        Some(s) => parts.push(format!("status={}", s.slug())),
        None => parts.push("status=all".into()),
    }
    if !r.search.is_empty() {
        parts.push(format!("q={}", js_sys::encode_uri_component(&r.search)));
    }
    if r.sort != SortKey::default() {
        parts.push(format!("sort={}", r.sort.slug()));
    }
    if r.page_number != 1 {
        parts.push(format!("page={}", r.page_number));
    }
    if r.page_size != PAGE_SIZES[0] {
        parts.push(format!("size={}", r.page_size));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

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
    let clock = expect_context::<Clock>();
    let session = expect_context::<Session>();
    let l = locale();
    let query = use_query_map();
    let navigate = use_navigate();
    let req = Memo::new(move |_| request_from_query(tab, &query.get()));

    let page = RwSignal::new(None::<ResourcePage>);
    let error = RwSignal::new(None::<ClientError>);
    let loading = RwSignal::new(true);
    let retry = RwSignal::new(0u32);
    let seq = StoredValue::new(0u64);

    let load_api = api.clone();
    Effect::new(move |_| {
        let q = req.get();
        session.track(&[Topic::Resources]);
        retry.get();
        let my = seq.get_value() + 1;
        seq.set_value(my);
        loading.set(true);
        let api = load_api.clone();
        spawn_local(async move {
            let r = api.resources(&q).await;
            // A newer request has been sent: this answer is stale.
            // (Or the page has gone: the user moved to another tab.)
            if seq.try_get_value() != Some(my) {
                return;
            }
            match r {
                Ok(p) => {
                    page.set(Some(p));
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
            loading.set(false);
        });
    });

    let base = format!("/{}", tab.slug());
    let go = {
        let base = base.clone();
        move |r: ListResourcesRequest| {
            navigate(&format!("{base}{}", query_string(&r)), Default::default())
        }
    };
    let set_filter = {
        let go = go.clone();
        move |s: Option<Status>| {
            let mut r = req.get_untracked();
            r.status = s;
            r.page_number = 1;
            go(r)
        }
    };
    let search_input = RwSignal::new(req.get_untracked().search);
    Effect::new(move |_| search_input.set(req.get().search));
    let on_search = {
        let go = go.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let mut r = req.get_untracked();
            r.search = search_input.get_untracked().trim().to_string();
            r.page_number = 1;
            go(r)
        }
    };
    let on_sort = {
        let go = go.clone();
        move |ev: leptos::ev::Event| {
            let mut r = req.get_untracked();
            r.sort = SortKey::from_slug(&event_target_value(&ev)).unwrap_or_default();
            r.page_number = 1;
            go(r)
        }
    };
    let on_size = {
        let go = go.clone();
        move |ev: leptos::ev::Event| {
            let mut r = req.get_untracked();
            r.page_size = event_target_value(&ev).parse().unwrap_or(PAGE_SIZES[0]);
            r.page_number = 1;
            go(r)
        }
    };
    let to_page = {
        let go = go.clone();
        move |n: u32| {
            let mut r = req.get_untracked();
            r.page_number = n;
            go(r)
        }
    };
    let go_prev = {
        let to_page = to_page.clone();
        move |_: leptos::ev::MouseEvent| {
            to_page(req.get_untracked().page_number.saturating_sub(1).max(1))
        }
    };
    let go_next = move |_: leptos::ev::MouseEvent| to_page(req.get_untracked().page_number + 1);
    let pages = move || {
        page.with(|p| {
            p.as_ref()
                .map(|p| p.total.div_ceil(req.get().page_size as u64).max(1) as u32)
                .unwrap_or(1)
        })
    };

    // Row actions: renew.
    let renewing = RwSignal::new(None::<Resource>);
    let months = RwSignal::new(1u32);
    let renew_busy = RwSignal::new(false);
    let renew_error = RwSignal::new(None::<ClientError>);
    let outcome = RwSignal::new(None::<String>);
    let confirm_renew = {
        let api = api.clone();
        Callback::new(move |()| {
            let Some(r) = renewing.get_untracked() else {
                return;
            };
            let api = api.clone();
            renew_busy.set(true);
            renew_error.set(None);
            spawn_local(async move {
                let req = RenewRequest {
                    resource_id: r.id.clone(),
                    months: months.get_untracked(),
                };
                match api.renew(&req).await {
                    Ok(res) => {
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
                        renewing.set(None);
                        session.changed(&[
                            Topic::Resources,
                            Topic::Summary,
                            Topic::Notices,
                            Topic::Deductions,
                        ]);
                    }
                    Err(e) => renew_error.set(Some(e)),
                }
                renew_busy.set(false);
            });
        })
    };

    // CSV export of the current filtered, sorted list, all pages.
    let exporting = RwSignal::new(false);
    let export = {
        let api = api.clone();
        move |_| {
            let api = api.clone();
            let q = req.get_untracked();
            exporting.set(true);
            spawn_local(async move {
                match fetch_all(&api, q).await {
                    Ok(rows) => {
                        let csv = billing_rules::csv::to_csv(
                            &rows,
                            csv_header(l),
                            crate::format::offset_at,
                        );
                        let name = format!("billing-resources-{}.csv", tab.slug());
                        match crate::export::download(&name, &csv) {
                            Ok(()) => outcome.set(Some(
                                td_string!(l, exported, count = rows.len(), file = name.clone())
                                    .to_string(),
                            )),
                            Err(e) => error.set(Some(e)),
                        }
                    }
                    Err(e) => error.set(Some(e)),
                }
                exporting.set(false);
            });
        }
    };
    let now = clock.signal();
    let row = move |row: ResourceRow| {
        let r = row.resource.clone();
        let renewable = r.kind.is_renewable() && row.status != Status::Refunded;
        let r_for_renew = r.clone();
        let renew_name = td_string!(l, renew_label, name = r.name.clone()).to_string();
        view! {
            <tr>
                <td data-label=td_string!(l, col_name)>
                    <div class="res-name">{r.name.clone()}</div>
                    <div class="res-id"><code>{r.id.clone()}</code></div>
                    {r.model.clone().map(|m| view! { <div class="res-model">{td_string!(l, model, model = m).to_string()}</div> })}
                </td>
                <td data-label=td_string!(l, col_type)>{kind_label(r.kind, l)}</td>
                <td data-label=td_string!(l, col_source)>
                    <span class=format!("source source--{:?}", r.source).to_lowercase()>{source_label(r.source, l)}</span>
                </td>
                <td data-label=td_string!(l, col_status)>{status_label(Some(row.status), l)}</td>
                <td data-label=td_string!(l, col_usage) class="col-usage">
                    <UsageBar resource=r.clone()/>
                    {row.forecast.clone().map(|f| view! { <ForecastNote forecast=f unit=r.kind.unit() now=now.into()/> })}
                </td>
                <td data-label=td_string!(l, col_effective)>{instant(r.effective_at)}</td>
                <td data-label=td_string!(l, col_expiration)>
                    <div>{instant(r.expires_at)}</div>
                    <ExpiryBadge expires_at=r.expires_at now=now/>
                    {row.next_reminder.as_ref().map(|n| view! { <div class="hint next-reminder">{next_reminder_text(n, l)}</div> })}
                </td>
                <td data-label=td_string!(l, col_actions)>
                    {renewable.then(|| {
                        let is_main = move || session.is_main();
                        view! {
                            <button
                                type="button"
                                class="btn btn--small"
                                aria-label=renew_name.clone()
                                disabled=move || !is_main()
                                title=move || if is_main() { "" } else { td_string!(l, renew_main_only_title) }
                                on:click=move |_| {
                                    months.set(1);
                                    renew_error.set(None);
                                    renewing.set(Some(r_for_renew.clone()));
                                }
                            >
                                {td_string!(l, renew)}
                            </button>
                            <Show when=move || !is_main()>
                                <span class="hint">{td_string!(l, main_only)}</span>
                            </Show>
                        }
                    })}
                    {(!renewable).then(|| view! { <span class="hint">{td_string!(l, not_renewable)}</span> })}
                    {r.kind.is_package().then(|| view! {
                        <a
                            class="btn btn--small btn--link"
                            href=format!("/deductions?resource={}", js_sys::encode_uri_component(&r.id))
                            aria-label=td_string!(l, ded_link_label, name = r.name.clone()).to_string()
                        >
                            {td_string!(l, ded_link)}
                        </a>
                    })}
                </td>
            </tr>
        }
    };

    let filter_buttons = {
        let set_filter = set_filter.clone();
        move || {
            let counts = page.with(|p| p.as_ref().map(|p| p.counts.clone()));
            FILTERS
                .into_iter()
                .map(|s| {
                    let set_filter = set_filter.clone();
                    let label = match &counts {
                        Some(c) => td_string!(l, filter_count, label = status_label(s, l), count = c.get(s)).to_string(),
                        None => status_label(s, l),
                    };
                    view! {
                        <button
                            type="button"
                            class="filter"
                            aria-pressed=move || if req.get().status == s { "true" } else { "false" }
                            on:click=move |_| set_filter(s)
                        >
                            {label}
                        </button>
                    }
                })
                .collect_view()
        }
    };

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

    view! {
        <section class="resource-list" aria-labelledby="list-title">
            <h2 id="list-title">{tab_title}</h2>
            <p class="intro">{tab_intro}</p>
            {(tab == Tab::KnowledgeBase).then(|| view! { <KnowledgePanel/> })}
            {(tab != Tab::KnowledgeBase).then(|| view! { <UsageChart tab=tab/> })}
            <div class="toolbar">
                <div class="filters" role="group" aria-label=td_string!(l, col_status)>{filter_buttons}</div>
                <form class="search" role="search" on:submit=on_search>
                    <input
                        type="search"
                        aria-label=td_string!(l, search_placeholder)
                        placeholder=td_string!(l, search_placeholder)
                        maxlength="100"
                        prop:value=move || search_input.get()
                        on:input=move |ev| search_input.set(event_target_value(&ev))
                    />
                    <button type="submit" class="btn">{td_string!(l, search)}</button>
                </form>
                <label class="sort">
                    {td_string!(l, sort_by)} " "
                    <select on:change=on_sort prop:value=move || req.get().sort.slug()>
                        {SortKey::ALL
                            .into_iter()
                            .map(|s| view! { <option value=s.slug() selected=move || req.get().sort == s>{sort_label(s, l)}</option> })
                            .collect_view()}
                    </select>
                </label>
                <button type="button" class="btn" on:click=export disabled=move || exporting.get()>
                    {move || if exporting.get() { td_string!(l, exporting) } else { td_string!(l, export_csv) }}
                </button>
                {(tab == Tab::PayAsYouGo).then(|| view! {
                    <a class="btn btn--link" href="/deductions">{td_string!(l, ded_account_link)}</a>
                })}
            </div>
            {move || error.get().map(|e| view! {
                <ErrorAlert context=td_string!(l, resources_load_failed) error=e on_retry=Callback::new(move |()| retry.update(|n| *n += 1))/>
            })}
            {move || outcome.get().map(|o| view! { <p role="status" class="outcome">{o}</p> })}
            <p class="loading" role="status">
                {move || if loading.get() { td_string!(l, loading_resources).to_string() } else {
                    page.with(|p| p.as_ref().map(|p| td_string!(l, usage_as_of, at = instant(p.as_of)).to_string()).unwrap_or_default())
                }}
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
                        {move || match page.get() {
                            None => view! { <tr class="placeholder-row"><td colspan="8">{td_string!(l, loading_resources)}</td></tr> }.into_any(),
                            Some(p) if p.items.is_empty() => view! {
                                <tr class="empty-row"><td colspan="8">{empty_text(&req.get(), l)}</td></tr>
                            }.into_any(),
                            Some(p) => p.items.into_iter().map(row).collect_view().into_any(),
                        }}
                    </tbody>
                </table>
            </div>
            <nav class="pager" aria-label=td_string!(l, pages)>
                <button type="button" class="btn" disabled={move || req.get().page_number <= 1} on:click=go_prev>
                    {td_string!(l, prev_page)}
                </button>
                <span class="page-of">{move || td_string!(l, page_of, page = req.get().page_number, pages = pages()).to_string()}</span>
                <button type="button" class="btn" disabled={move || req.get().page_number >= pages()} on:click=go_next>
                    {td_string!(l, next_page)}
                </button>
                <label>
                    {td_string!(l, per_page)} " "
                    <select on:change=on_size prop:value=move || req.get().page_size.to_string()>
                        {PAGE_SIZES
                            .into_iter()
                            .map(|n| view! { <option value=n.to_string() selected=move || req.get().page_size == n>{n.to_string()}</option> })
                            .collect_view()}
                    </select>
                </label>
            </nav>
            {move || renewing.get().map(|r| {
                let kind = r.kind;
                let total = r.total;
                let from = r.expires_at;
                view! {
                    <ConfirmDialog
                        title=td_string!(l, renew_title, name = r.name.clone()).to_string()
                        confirm_label=td_string!(l, renew_pay)
                        busy=renew_busy
                        error=renew_error
                        on_confirm=confirm_renew
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
            })}
        </section>
    }
}

/// Every page of the view, for export.
async fn fetch_all(api: &Api, q: ListResourcesRequest) -> Result<Vec<ResourceRow>, ClientError> {
    crate::export::all_pages(|n| {
        let q = ListResourcesRequest {
            page_size: 50,
            page_number: n,
            ..q.clone()
        };
        async move { api.resources(&q).await.map(|p| (p.items, p.total)) }
    })
    .await
}

fn next_reminder_text(n: &billing_rules::notify::NextReminder, l: Locale) -> String {
    use billing_rules::reminders::Reminder;
    match (n.reminder, n.at) {
        (Reminder::RemainingPercent { percent }, _) => {
            td_string!(l, reminder_percent, percent).to_string()
        }
        (Reminder::DaysBeforeExpiry { days }, Some(at)) => {
            td_string!(l, reminder_days_at, count = days, at = instant(at)).to_string()
        }
        (Reminder::DaysBeforeExpiry { days }, None) => {
            td_string!(l, reminder_days, count = days).to_string()
        }
    }
}

/// The CSV header in the reader's language (cells stay machine-readable:
/// type and status slugs, exact numbers, times with their zone).
fn csv_header(l: Locale) -> [&'static str; 10] {
    [
        td_string!(l, csv_id),
        td_string!(l, csv_name),
        td_string!(l, csv_type),
        td_string!(l, csv_source),
        td_string!(l, csv_status),
        td_string!(l, csv_used),
        td_string!(l, csv_total),
        td_string!(l, csv_unit),
        td_string!(l, csv_effective),
        td_string!(l, csv_expiration),
    ]
}

//! The deduction ledger: which pool paid for each metering event, for one
//! package (from its row) or the whole account, filtered by type and
//! dates, paged, and exported as CSV. Filters live in the URL.

use billing_rules::api::{DeductionPage, DeductionsRequest};
use billing_rules::deduction::{DeductionEntry, Pool};
use billing_rules::format::grouped;
use billing_rules::model::ResourceKind;
use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::params::ParamsMap;

use crate::api::{Api, ClientError};
use crate::components::error_alert::ErrorAlert;
use crate::components::pager::Pager;
use crate::format::{instant, kind_label, pool_label};
use crate::i18n::{locale, td_string, Locale};
use crate::state::{load_on_change, Topic};

pub const PAGE_SIZE: u32 = 20;

fn date_param(q: &ParamsMap, key: &str) -> Option<DateTime<Utc>> {
    let d = NaiveDate::parse_from_str(&q.get(key)?, "%Y-%m-%d").ok()?;
    Some(d.and_hms_opt(0, 0, 0)?.and_utc())
}

/// The request a URL asks for; anything unreadable is left out.
pub fn request_from_query(q: &ParamsMap) -> DeductionsRequest {
    DeductionsRequest {
        resource_id: q
            .get("resource")
            .filter(|s| !s.is_empty() && s.len() <= 128),
        kind: q
            .get_str("kind")
            .and_then(ResourceKind::from_slug)
            .filter(|k| k.is_package()),
        from: date_param(q, "from"),
        until: date_param(q, "until"),
        page_number: q
            .get_str("page")
            .and_then(|s| s.parse().ok())
            .filter(|n| *n >= 1)
            .unwrap_or(1),
        page_size: PAGE_SIZE,
    }
}

/// The URL of a view; what is not set is left out.
pub fn query_string(r: &DeductionsRequest) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(id) = &r.resource_id {
        parts.push(format!("resource={}", js_sys::encode_uri_component(id)));
    }
    if let Some(k) = r.kind {
        parts.push(format!("kind={}", k.slug()));
    }
    if let Some(f) = r.from {
        parts.push(format!("from={}", f.format("%Y-%m-%d")));
    }
    if let Some(u) = r.until {
        parts.push(format!("until={}", u.format("%Y-%m-%d")));
    }
    if r.page_number != 1 {
        parts.push(format!("page={}", r.page_number));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

fn csv_header(l: Locale) -> Vec<&'static str> {
    vec![
        td_string!(l, csv_ded_time),
        td_string!(l, csv_ded_event),
        td_string!(l, csv_ded_kind),
        td_string!(l, csv_ded_pool),
        td_string!(l, csv_ded_package_id),
        td_string!(l, csv_ded_package),
        td_string!(l, csv_ded_amount),
        td_string!(l, csv_ded_before),
        td_string!(l, csv_ded_after),
        td_string!(l, csv_ded_event_amount),
    ]
}

/// The ledger lines as CSV: machine-readable cells (slugs, exact numbers,
/// times with their zone), formula-safe as every export here.
pub fn to_csv(lines: &[DeductionEntry], l: Locale) -> String {
    let opt = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|e| {
            vec![
                instant(e.at),
                e.idempotency_key.clone(),
                e.kind.slug().to_string(),
                format!("{:?}", e.pool),
                e.resource_id.clone().unwrap_or_default(),
                e.resource_name.clone().unwrap_or_default(),
                e.amount.to_string(),
                opt(e.remaining_before),
                opt(e.remaining_after),
                e.event_amount.to_string(),
            ]
        })
        .collect();
    billing_rules::csv::table(&csv_header(l), &rows)
}

/// Every page of the view, for export.
async fn fetch_all(api: &Api, q: DeductionsRequest) -> Result<Vec<DeductionEntry>, ClientError> {
    crate::export::all_pages(|n| {
        let q = DeductionsRequest {
            page_size: 100,
            page_number: n,
            ..q.clone()
        };
        async move { api.deductions(&q).await.map(|p| (p.items, p.total)) }
    })
    .await
}

#[component]
pub fn DeductionsPage() -> impl IntoView {
    let api = expect_context::<Api>();
    let l = locale();
    let query = use_query_map();
    let navigate = use_navigate();
    let req = Memo::new(move |_| request_from_query(&query.get()));
    let (page, error) = {
        let api = api.clone();
        load_on_change(&[Topic::Deductions], move || {
            let api = api.clone();
            let q = req.get();
            Some(async move { api.deductions(&q).await })
        })
    };
    // The answer on screen is for the request on screen (else: loading).
    let loaded_for = RwSignal::new(None::<DeductionsRequest>);
    Effect::new(move |_| {
        if page.with(|p| p.is_some()) {
            loaded_for.set(Some(req.get_untracked()));
        }
    });
    let loading =
        move || loaded_for.get().as_ref() != Some(&req.get()) && error.with(|e| e.is_none());

    let go = move |r: DeductionsRequest| {
        navigate(
            &format!("/deductions{}", query_string(&r)),
            Default::default(),
        )
    };
    let kind_in = RwSignal::new(String::new());
    let from_in = RwSignal::new(String::new());
    let until_in = RwSignal::new(String::new());
    Effect::new(move |_| {
        let r = req.get();
        kind_in.set(r.kind.map(|k| k.slug().to_string()).unwrap_or_default());
        from_in.set(
            r.from
                .map(|f| f.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
        );
        until_in.set(
            r.until
                .map(|u| u.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
        );
    });
    let on_filter = {
        let go = go.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let mut q = ParamsMap::new();
            q.insert("kind", kind_in.get_untracked());
            q.insert("from", from_in.get_untracked());
            q.insert("until", until_in.get_untracked());
            let parsed = request_from_query(&q);
            let mut r = req.get_untracked();
            r.kind = parsed.kind;
            r.from = parsed.from;
            r.until = parsed.until;
            r.page_number = 1;
            go(r)
        }
    };
    let pages = move || {
        page.with(|p| {
            p.as_ref()
                .map(|p| p.total.div_ceil(PAGE_SIZE as u64).max(1) as u32)
                .unwrap_or(1)
        })
    };
    let to_page = move |n: u32| {
        let mut r = req.get_untracked();
        r.page_number = n;
        go(r)
    };

    let outcome = RwSignal::new(None::<String>);
    let export_error = RwSignal::new(None::<ClientError>);
    let exporting = RwSignal::new(false);
    let export = move |_| {
        let api = api.clone();
        let q = req.get_untracked();
        exporting.set(true);
        export_error.set(None);
        spawn_local(async move {
            match fetch_all(&api, q.clone()).await {
                Ok(lines) => {
                    let name = match &q.resource_id {
                        Some(id) => format!("deductions-{id}.csv"),
                        None => "deductions-account.csv".to_string(),
                    };
                    match crate::export::download(&name, &to_csv(&lines, l)) {
                        Ok(()) => outcome.set(Some(
                            td_string!(l, exported, count = lines.len(), file = name.clone())
                                .to_string(),
                        )),
                        Err(e) => export_error.set(Some(e)),
                    }
                }
                Err(e) => export_error.set(Some(e)),
            }
            exporting.set(false);
        });
    };

    let title = move || match req.get().resource_id {
        Some(id) => td_string!(l, ded_title_package, id = id).to_string(),
        None => td_string!(l, ded_title).to_string(),
    };
    let line = move |e: DeductionEntry| {
        let unit = e.kind.unit();
        let package = match (&e.resource_id, &e.resource_name) {
            (Some(id), Some(name)) => view! {
                <div class="res-name">{name.clone()}</div>
                <div class="res-id"><code>{id.clone()}</code></div>
            }
            .into_any(),
            _ => view! { <span>{pool_label(Pool::Postpaid, l)}</span> }.into_any(),
        };
        let event = if e.idempotency_key == billing_rules::seed::OPENING_KEY {
            td_string!(l, ded_opening).to_string()
        } else {
            e.idempotency_key.clone()
        };
        let remaining = match (e.remaining_before, e.remaining_after) {
            (Some(b), Some(a)) => format!("{} → {}", grouped(b), grouped(a)),
            _ => "—".to_string(),
        };
        view! {
            <tr>
                <td data-label=td_string!(l, ded_col_time)>{instant(e.at)}</td>
                <td data-label=td_string!(l, ded_col_event)><code class="event-key">{event}</code></td>
                <td data-label=td_string!(l, ded_col_kind)>{kind_label(e.kind, l)}</td>
                <td data-label=td_string!(l, ded_col_pool)>
                    <span class=format!("pool pool--{:?}", e.pool).to_lowercase()>{pool_label(e.pool, l)}</span>
                </td>
                <td data-label=td_string!(l, ded_col_package)>{package}</td>
                <td data-label=td_string!(l, ded_col_amount) class="num">
                    <div>{crate::format::amount_exact(e.amount, unit, l)}</div>
                    <div class="hint">{td_string!(l, ded_event_of, amount = grouped(e.event_amount)).to_string()}</div>
                </td>
                <td data-label=td_string!(l, ded_col_remaining) class="num">{remaining}</td>
            </tr>
        }
    };

    view! {
        <section class="deductions" aria-labelledby="ded-title">
            <h2 id="ded-title">{title}</h2>
            <p class="intro">{td_string!(l, ded_intro)}</p>
            <p><a href="/pay-as-you-go">{td_string!(l, ded_back)}</a></p>
            <form class="toolbar" on:submit=on_filter>
                <label>
                    {td_string!(l, ded_kind)} " "
                    <select on:change=move |ev| kind_in.set(event_target_value(&ev)) prop:value=move || kind_in.get()>
                        <option value="">{td_string!(l, ded_kind_all)}</option>
                        {ResourceKind::ALL
                            .into_iter()
                            .filter(|k| k.is_package())
                            .map(|k| view! { <option value=k.slug()>{kind_label(k, l)}</option> })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    {td_string!(l, ded_from)} " "
                    <input type="date" prop:value=move || from_in.get() on:input=move |ev| from_in.set(event_target_value(&ev))/>
                </label>
                <label>
                    {td_string!(l, ded_until)} " "
                    <input type="date" prop:value=move || until_in.get() on:input=move |ev| until_in.set(event_target_value(&ev))/>
                </label>
                <button type="submit" class="btn">{td_string!(l, ded_apply)}</button>
                <button type="button" class="btn" on:click=export disabled=move || exporting.get()>
                    {move || if exporting.get() { td_string!(l, exporting) } else { td_string!(l, export_csv) }}
                </button>
            </form>
            {move || error.get().map(|e| view! { <ErrorAlert context=td_string!(l, ded_load_failed) error=e/> })}
            {move || export_error.get().map(|e| view! { <ErrorAlert context=td_string!(l, export_csv) error=e/> })}
            {move || outcome.get().map(|o| view! { <p role="status" class="outcome">{o}</p> })}
            <p class="loading" role="status">
                {move || if loading() {
                    td_string!(l, ded_loading).to_string()
                } else {
                    page.with(|p: &Option<DeductionPage>| p.as_ref().map(|p| td_string!(l, ded_total, count = p.total).to_string()).unwrap_or_default())
                }}
            </p>
            <div class="table-wrap">
                <table aria-labelledby="ded-title" aria-busy=move || if loading() { "true" } else { "false" }>
                    <thead>
                        <tr>
                            <th scope="col">{td_string!(l, ded_col_time)}</th>
                            <th scope="col">{td_string!(l, ded_col_event)}</th>
                            <th scope="col">{td_string!(l, ded_col_kind)}</th>
                            <th scope="col">{td_string!(l, ded_col_pool)}</th>
                            <th scope="col">{td_string!(l, ded_col_package)}</th>
                            <th scope="col">{td_string!(l, ded_col_amount)}</th>
                            <th scope="col">{td_string!(l, ded_col_remaining)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || match page.get() {
                            None => view! { <tr class="placeholder-row"><td colspan="7">{td_string!(l, ded_loading)}</td></tr> }.into_any(),
                            Some(p) if p.items.is_empty() => view! { <tr class="empty-row"><td colspan="7">{td_string!(l, ded_empty)}</td></tr> }.into_any(),
                            Some(p) => p.items.into_iter().map(line).collect_view().into_any(),
                        }}
                    </tbody>
                </table>
            </div>
            <Pager
                page=Signal::derive(move || req.get().page_number)
                pages=Signal::derive(pages)
                on_go=Callback::new(to_page)
            />
        </section>
    }
}

//! "Postpaid charges": the settled bill, one line per UTC hour and type,
//! newest first, 20 a page, with the sum of every line and a CSV export.

use crate::i18n::{locale, td_string, Locale};
use billing_rules::api::BillsRequest;
use billing_rules::billing::BillLine;
use billing_rules::format::money;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{Api, ClientError};
use crate::components::error_alert::ErrorAlert;
use crate::components::pager::Pager;
use crate::format::{amount_exact, instant, kind_label};
use crate::state::{load_on_change, Topic};

const PAGE: u32 = 20;

/// Page `n` of every bill line, `size` a page.
fn request(n: u32, size: u32) -> BillsRequest {
    BillsRequest {
        from: None,
        until: None,
        page_number: n,
        page_size: size,
    }
}

fn csv_header(l: Locale) -> Vec<&'static str> {
    vec![
        td_string!(l, bill_col_hour),
        td_string!(l, csv_type),
        td_string!(l, bill_col_units),
        td_string!(l, csv_bill_cents),
        td_string!(l, bill_col_settled),
    ]
}

/// The lines as CSV: exact numbers (units, cents), times with their zone.
pub fn to_csv(lines: &[BillLine], l: Locale) -> String {
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|b| {
            vec![
                instant(b.hour),
                b.kind.slug().to_string(),
                b.units.to_string(),
                b.amount_cents.to_string(),
                instant(b.settled_at),
            ]
        })
        .collect();
    billing_rules::csv::table(&csv_header(l), &rows)
}

#[component]
pub fn PostpaidCharges(#[prop(into)] currency: Signal<String>) -> impl IntoView {
    let api = expect_context::<Api>();
    let l = locale();
    let page_number = RwSignal::new(1u32);
    let (page, error) = {
        let api = api.clone();
        load_on_change(&[Topic::Postpaid], move || {
            let api = api.clone();
            let n = page_number.get();
            Some(async move { api.bills(&request(n, PAGE)).await })
        })
    };
    let pages = move || {
        page.with(|p| {
            p.as_ref()
                .map_or(1, |p| (p.total as u32).div_ceil(PAGE).max(1))
        })
    };
    let exporting = RwSignal::new(false);
    let export_error = RwSignal::new(None::<ClientError>);
    let outcome = RwSignal::new(None::<String>);
    let export = move |_| {
        let api = api.clone();
        exporting.set(true);
        export_error.set(None);
        spawn_local(async move {
            let all = crate::export::all_pages(|n| {
                let api = api.clone();
                async move {
                    api.bills(&request(n, 100))
                        .await
                        .map(|p| (p.items, p.total))
                }
            })
            .await;
            let name = "postpaid-charges.csv".to_string();
            match all.and_then(|lines| {
                crate::export::download(&name, &to_csv(&lines, l)).map(|()| lines.len())
            }) {
                Ok(count) => outcome.set(Some(
                    td_string!(l, exported, count = count, file = name.clone()).to_string(),
                )),
                Err(e) => export_error.set(Some(e)),
            }
            exporting.set(false);
        });
    };
    let line = move |b: BillLine| {
        let cur = currency.get_untracked();
        view! {
            <tr>
                <td>{instant(b.hour)}</td>
                <td>{kind_label(b.kind, l)}</td>
                <td class="num">{amount_exact(b.units, b.kind.unit(), l)}</td>
                <td class="num">{money(b.amount_cents, &cur)}</td>
            </tr>
        }
    };

    view! {
        <section class="charges" aria-labelledby="charges-title">
            <div class="section-head">
                <h3 id="charges-title">{td_string!(l, bill_title)}</h3>
                <button type="button" class="btn" on:click=export disabled=move || exporting.get()>
                    {move || if exporting.get() { td_string!(l, exporting) } else { td_string!(l, export_csv) }}
                </button>
            </div>
            <p class="hint">{td_string!(l, bill_intro)}</p>
            {move || error.get().map(|e| view! { <ErrorAlert context=td_string!(l, bill_load_failed) error=e/> })}
            {move || export_error.get().map(|e| view! { <ErrorAlert context=td_string!(l, export_failed) error=e/> })}
            {move || outcome.get().map(|o| view! { <p role="status" class="outcome">{o}</p> })}
            {move || page.get().map(|p| view! {
                <p>{td_string!(l, bill_total, count = p.total, amount = money(p.total_cents, &currency.get())).to_string()}</p>
            })}
            <div class="table-scroll">
                <table class="bills">
                    <caption class="sr-only">{td_string!(l, bill_title)}</caption>
                    <thead>
                        <tr>
                            <th scope="col">{td_string!(l, bill_col_hour)}</th>
                            <th scope="col">{td_string!(l, bill_col_kind)}</th>
                            <th scope="col">{td_string!(l, bill_col_units)}</th>
                            <th scope="col">{td_string!(l, bill_col_amount)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || match page.get() {
                            None => view! { <tr class="placeholder-row"><td colspan="4">{td_string!(l, bill_loading)}</td></tr> }.into_any(),
                            Some(p) if p.items.is_empty() => view! { <tr class="empty-row"><td colspan="4">{td_string!(l, bill_empty)}</td></tr> }.into_any(),
                            Some(p) => p.items.into_iter().map(line).collect_view().into_any(),
                        }}
                    </tbody>
                </table>
            </div>
            <Pager
                page=page_number
                pages=Signal::derive(pages)
                on_go=Callback::new(move |n| page_number.set(n))
            />
        </section>
    }
}

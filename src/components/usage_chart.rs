//! Usage history as an inline SVG bar chart (no charting JavaScript), with
//! axes and labels, a spoken summary, and a table for screen readers.

use crate::i18n::{locale, td_string, Locale};
use billing_rules::api::UsageHistoryRequest;
use billing_rules::format::grouped;
use billing_rules::model::{ResourceKind, Tab};
use billing_rules::notify::Granularity;
use chrono::{DateTime, Utc};
use leptos::prelude::*;

use crate::api::Api;
use crate::components::error_alert::ErrorAlert;
use crate::format::{amount_short, instant, pool_label, unit_name};
use crate::state::{load_on_change, Session, Topic};
use billing_rules::deduction::Pool;

/// The plot's own coordinates (it is stretched to its box; the labels are
/// HTML beside it, so they are never stretched or cut off).
const W: f64 = 640.0;
const H: f64 = 150.0;

/// A round top for the value axis and its step: 1, 2 or 5 times a power of
/// ten, about four steps to the top, the top at or above `max`.
pub fn nice_scale(max: u64) -> (u64, u64) {
    let max = max.max(1);
    let rough = max.div_ceil(4).max(1);
    let mut pow = 1u64;
    while pow.saturating_mul(10) <= rough {
        pow *= 10;
    }
    let step = [1u64, 2, 5, 10]
        .into_iter()
        .map(|m| m.saturating_mul(pow))
        .find(|s| *s >= rough)
        .unwrap_or(rough);
    (max.div_ceil(step) * step, step)
}

fn label(x: i64, g: Granularity) -> String {
    let t = DateTime::<Utc>::from_timestamp(x, 0).unwrap_or_default();
    let local = instant(t);
    // "2026-12-05 23:00:00 (UTC+8)" -> "12-05" by day, "23:00" by hour.
    match g {
        Granularity::Day => local.get(5..10).unwrap_or_default().to_string(),
        Granularity::Hour => local.get(11..16).unwrap_or_default().to_string(),
    }
}

fn pool_class(p: Pool) -> &'static str {
    match p {
        Pool::FreeTrial => "bar bar--trial",
        Pool::Purchased => "bar",
        Pool::Postpaid => "bar bar--postpaid",
    }
}

fn what(kind: ResourceKind, l: Locale) -> &'static str {
    match kind {
        ResourceKind::TokenPackage => td_string!(l, chart_tokens),
        ResourceKind::SearchPackage => td_string!(l, chart_search),
        ResourceKind::ConcurrencyQuota => td_string!(l, chart_concurrency),
        ResourceKind::KnowledgeCapacity => td_string!(l, chart_chars),
    }
}

#[component]
pub fn UsageChart(tab: Tab) -> impl IntoView {
    let api = expect_context::<Api>();
    let _session = expect_context::<Session>();
    let l = locale();
    let kinds: Vec<ResourceKind> = tab.kinds();
    let kind = RwSignal::new(kinds[0]);
    let gran = RwSignal::new(Granularity::Day);
    let split = RwSignal::new(false);
    let (data, error) = load_on_change(&[Topic::Resources], move || {
        let req = UsageHistoryRequest {
            kind: kind.get(),
            granularity: gran.get(),
            by_pool: split.get(),
        };
        let api = api.clone();
        Some(async move { api.usage_history(&req).await })
    });
    // The first screen waits for the chart (see `Reveal`).
    crate::state::hold_first_paint_until(move || {
        data.with(Option::is_some) || error.with(Option::is_some)
    });

    let chart = move || {
        data.get().map(|h| {
            let g = h.granularity;
            let (top, step) = nice_scale(h.points.iter().map(|p| p.y).max().unwrap_or(0));
            let total: u64 = h.points.iter().map(|p| p.y).sum();
            let peak = h.points.iter().max_by_key(|p| p.y).copied();
            let unit = unit_name(h.kind.unit(), 2, l);
            let title = match g {
                Granularity::Day => td_string!(l, chart_title_day, what = what(h.kind, l)).to_string(),
                Granularity::Hour => td_string!(l, chart_title_hour, what = what(h.kind, l)).to_string(),
            };
            let summary = match (h.kind, peak) {
                (_, None) => td_string!(l, no_usage).to_string(),
                (ResourceKind::ConcurrencyQuota, Some(p)) => td_string!(l, peak_summary, peak = grouped(p.y), unit = unit.clone(), at = label(p.x, g)).to_string(),
                (_, Some(p)) => td_string!(l, total_summary, total = grouped(total), unit = unit.clone(), peak = grouped(p.y), at = label(p.x, g)).to_string(),
            };
            let n = h.points.len().max(1) as f64;
            let bw = W / n;
            // Each bar, stacked by who paid when split: the pools bottom up,
            // then what was metered before the ledger began.
            let segments = |i: usize, y: u64| -> Vec<(&'static str, String, u64)> {
                if h.pools.is_empty() {
                    return vec![("bar", String::new(), y)];
                }
                let mut out: Vec<(&'static str, String, u64)> = h
                    .pools
                    .iter()
                    .map(|s| {
                        let v = s.points.get(i).map_or(0, |p| p.y);
                        (pool_class(s.pool), pool_label(s.pool, l).to_string(), v)
                    })
                    .collect();
                let paid: u64 = out.iter().map(|s| s.2).sum();
                out.push(("bar bar--before", td_string!(l, chart_unattributed).to_string(), y.saturating_sub(paid)));
                out
            };
            let bars = h
                .points
                .iter()
                .enumerate()
                .flat_map(|(i, p)| {
                    let x = i as f64 * bw + 1.0;
                    let mut base = H;
                    segments(i, p.y)
                        .into_iter()
                        .filter(|s| s.2 > 0 || h.pools.is_empty())
                        .map(|(class, who, v)| {
                            let bh = (v as f64 / top as f64) * H;
                            base -= bh;
                            let tip = if who.is_empty() {
                                format!("{}: {}", label(p.x, g), grouped(v))
                            } else {
                                format!("{}: {} {}", label(p.x, g), who, grouped(v))
                            };
                            view! {
                                <rect class=class x=format!("{x:.1}") y=format!("{base:.1}") width=format!("{:.1}", (bw - 2.0).max(1.0)) height=format!("{bh:.1}")>
                                    <title>{tip}</title>
                                </rect>
                            }
                        })
                        .collect::<Vec<_>>()
                })
                .collect_view();
            let legend = (!h.pools.is_empty()).then(|| {
                let mut items: Vec<(&'static str, String)> = h.pools.iter().map(|s| (pool_class(s.pool), pool_label(s.pool, l).to_string())).collect();
                items.push(("bar bar--before", td_string!(l, chart_unattributed).to_string()));
                view! {
                    <ul class="chart-legend">
                        {items.into_iter().map(|(class, name)| view! {
                            <li><svg viewBox="0 0 10 10" width="10" height="10" aria-hidden="true"><rect class=class width="10" height="10"></rect></svg>" "{name}</li>
                        }).collect_view()}
                    </ul>
                }
            });
            // The first, middle and last dates, spread across the width.
            let mut at = vec![0usize, h.points.len() / 2, h.points.len().saturating_sub(1)];
            at.dedup();
            let x_labels = at
                .into_iter()
                .filter_map(|i| h.points.get(i))
                .map(|p| view! { <span>{label(p.x, g)}</span> })
                .collect_view();
            // Round values up the side, with a grid line at each.
            let values: Vec<u64> = (0..=top / step).map(|k| k * step).collect();
            let grid = values
                .iter()
                .filter(|v| **v > 0)
                .map(|v| {
                    let y = H - (*v as f64 / top as f64) * H;
                    view! { <line class="grid" x1="0" x2=W y1=format!("{y:.1}") y2=format!("{y:.1}") vector-effect="non-scaling-stroke"></line> }
                })
                .collect_view();
            let y_labels = values
                .iter()
                .rev()
                .map(|v| {
                    let pct = 100.0 - (*v as f64 / top as f64) * 100.0;
                    view! { <span style:top=format!("{pct:.2}%")>{amount_short(*v, l)}</span> }
                })
                .collect_view();
            let pool_heads = h
                .pools
                .iter()
                .map(|s| view! { <th scope="col">{pool_label(s.pool, l)}</th> })
                .collect_view();
            let rows = h
                .points
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let parts = h
                        .pools
                        .iter()
                        .map(|s| view! { <td>{grouped(s.points.get(i).map_or(0, |q| q.y))}</td> })
                        .collect_view();
                    view! { <tr><td>{label(p.x, g)}</td><td>{grouped(p.y)}</td>{parts}</tr> }
                })
                .collect_view();
            let zone = crate::format::zone_label(crate::format::offset_at(crate::clock::browser_now()));
            let aria = td_string!(l, chart_aria, title = title.clone(), summary = summary.clone()).to_string();
            let caption = td_string!(l, chart_caption, title = title.clone(), zone, summary).to_string();
            view! {
                <figure class="chart">
                    <div class="chart-plot">
                        <div class="chart-y" aria-hidden="true">{y_labels}</div>
                        <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=aria preserveAspectRatio="none">
                            {grid}
                            <line class="axis" x1="0" y1="0" x2="0" y2=H vector-effect="non-scaling-stroke"></line>
                            <line class="axis" x1="0" y1=H x2=W y2=H vector-effect="non-scaling-stroke"></line>
                            {bars}
                        </svg>
                        <div class="chart-x" aria-hidden="true">{x_labels}</div>
                    </div>
                    {legend}
                    <figcaption>{caption}</figcaption>
                    <details>
                        <summary>{td_string!(l, show_table)}</summary>
                        <table class="chart-table">
                            <caption>{title.clone()}</caption>
                            <thead><tr><th scope="col">{if g == Granularity::Day { td_string!(l, col_day) } else { td_string!(l, col_hour) }}</th><th scope="col">{unit}</th>{pool_heads}</tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </details>
                </figure>
            }
            .into_any()
        })
    };

    view! {
        <section class="usage-history" aria-labelledby=format!("history-{}", tab.slug())>
            <h3 id=format!("history-{}", tab.slug())>{td_string!(l, usage_history)}</h3>
            <div class="toolbar">
                {(kinds.len() > 1).then(|| view! {
                    <div role="group" aria-label=td_string!(l, resource_type) class="filters">
                        {kinds.iter().map(|k| {
                            let k = *k;
                            view! {
                                <button type="button" class="filter" aria-pressed=move || if kind.get() == k { "true" } else { "false" } on:click=move |_| kind.set(k)>
                                    {what(k, l)}
                                </button>
                            }
                        }).collect_view()}
                    </div>
                })}
                <div role="group" aria-label=td_string!(l, period) class="filters">
                    <button type="button" class="filter" aria-pressed=move || if gran.get() == Granularity::Day { "true" } else { "false" } on:click=move |_| gran.set(Granularity::Day)>{td_string!(l, daily)}</button>
                    <button type="button" class="filter" aria-pressed=move || if gran.get() == Granularity::Hour { "true" } else { "false" } on:click=move |_| gran.set(Granularity::Hour)>{td_string!(l, hourly)}</button>
                </div>
                <Show when=move || kind.get().is_package()>
                    <button type="button" class="filter" aria-pressed=move || if split.get() { "true" } else { "false" } on:click=move |_| split.update(|s| *s = !*s)>
                        {td_string!(l, chart_by_pool)}
                    </button>
                </Show>
            </div>
            {move || error.get().map(|e| view! { <ErrorAlert context=td_string!(l, history_load_failed) error=e/> })}
            {move || chart().unwrap_or_else(|| view! { <div class="chart-loading" aria-hidden="true"></div> }.into_any())}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::nice_scale;

    #[test]
    fn the_value_axis_ends_on_a_round_number() {
        for max in [
            0u64,
            1,
            7,
            10,
            99,
            98_780,
            123_456,
            9_500_000,
            u32::MAX as u64,
        ] {
            let (top, step) = nice_scale(max);
            assert!(top >= max.max(1), "{max}: top {top}");
            assert_eq!(top % step, 0, "{max}: {top} is a whole number of steps");
            let lead = step / 10u64.pow(step.ilog10());
            assert!(
                [1, 2, 5].contains(&lead),
                "{max}: step {step} is 1, 2 or 5 × 10^k"
            );
            assert!(
                (1..=5).contains(&(top / step)),
                "{max}: {} steps",
                top / step
            );
        }
        assert_eq!(nice_scale(98_780), (100_000, 50_000));
        assert_eq!(nice_scale(7), (8, 2));
    }
}

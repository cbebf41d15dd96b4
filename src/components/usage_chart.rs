//! Usage history as an inline SVG bar chart (no charting JavaScript), with
//! axes and labels, a spoken summary, and a table for screen readers.

use billing_rules::api::UsageHistoryRequest;
use billing_rules::format::{compact, grouped};
use billing_rules::model::{ResourceKind, Tab};
use billing_rules::notify::Granularity;
use chrono::{DateTime, Utc};
use leptos::prelude::*;

use crate::api::Api;
use crate::components::error_alert::ErrorAlert;
use crate::format::{instant, unit_name};
use crate::state::{load_on_change, Session};

const W: f64 = 640.0;
const H: f64 = 180.0;
const LEFT: f64 = 56.0;
const BOTTOM: f64 = 24.0;

fn label(x: i64, g: Granularity) -> String {
    let t = DateTime::<Utc>::from_timestamp(x, 0).unwrap_or_default();
    let local = instant(t);
    // "2026-12-05 23:00:00 (UTC+8)" -> "12-05" by day, "23:00" by hour.
    match g {
        Granularity::Day => local.get(5..10).unwrap_or_default().to_string(),
        Granularity::Hour => local.get(11..16).unwrap_or_default().to_string(),
    }
}

fn what(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::TokenPackage => "Tokens used",
        ResourceKind::SearchPackage => "Search calls",
        ResourceKind::ConcurrencyQuota => "Peak concurrent requests",
        ResourceKind::KnowledgeCapacity => "Characters",
    }
}

#[component]
pub fn UsageChart(tab: Tab) -> impl IntoView {
    let api = expect_context::<Api>();
    let _session = expect_context::<Session>();
    let kinds: Vec<ResourceKind> = tab.kinds().to_vec();
    let kind = RwSignal::new(kinds[0]);
    let gran = RwSignal::new(Granularity::Day);
    let (data, error) = load_on_change(move || {
        let req = UsageHistoryRequest {
            kind: kind.get(),
            granularity: gran.get(),
        };
        let api = api.clone();
        Some(async move { api.usage_history(&req).await })
    });

    let chart = move || {
        data.get().map(|h| {
            let g = h.granularity;
            let max = h.points.iter().map(|p| p.y).max().unwrap_or(0).max(1);
            let total: u64 = h.points.iter().map(|p| p.y).sum();
            let peak = h.points.iter().max_by_key(|p| p.y).copied();
            let unit = unit_name(h.kind.unit(), 2);
            let period = match g {
                Granularity::Day => "per day, last 30 days",
                Granularity::Hour => "per hour, last 48 hours",
            };
            let title = format!("{} {period}", what(h.kind));
            let summary = match (h.kind, peak) {
                (_, None) => "No usage recorded.".to_string(),
                (ResourceKind::ConcurrencyQuota, Some(p)) => format!("Highest peak {} {unit} at {}.", grouped(p.y), label(p.x, g)),
                (_, Some(p)) => format!("Total {} {unit}; highest {} at {}.", grouped(total), grouped(p.y), label(p.x, g)),
            };
            let n = h.points.len().max(1) as f64;
            let bw = (W - LEFT) / n;
            let bars = h
                .points
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let bh = (p.y as f64 / max as f64) * (H - BOTTOM - 8.0);
                    let x = LEFT + i as f64 * bw + 1.0;
                    let y = H - BOTTOM - bh;
                    view! {
                        <rect class="bar" x=format!("{x:.1}") y=format!("{y:.1}") width=format!("{:.1}", (bw - 2.0).max(1.0)) height=format!("{bh:.1}")>
                            <title>{format!("{}: {}", label(p.x, g), grouped(p.y))}</title>
                        </rect>
                    }
                })
                .collect_view();
            let ticks = [0usize, h.points.len() / 2, h.points.len().saturating_sub(1)]
                .into_iter()
                .filter_map(|i| h.points.get(i).map(|p| (i, p.x)))
                .map(|(i, x)| {
                    view! { <text class="axis-label" x=format!("{:.1}", LEFT + i as f64 * bw + bw / 2.0) y=format!("{:.1}", H - 6.0) text-anchor="middle">{label(x, g)}</text> }
                })
                .collect_view();
            let rows = h
                .points
                .iter()
                .map(|p| view! { <tr><td>{label(p.x, g)}</td><td>{grouped(p.y)}</td></tr> })
                .collect_view();
            let zone = crate::format::zone_label(crate::format::offset_at(crate::clock::browser_now()));
            view! {
                <figure class="chart">
                    <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=format!("{title}. {summary}") preserveAspectRatio="none">
                        <line class="axis" x1=LEFT y1="0" x2=LEFT y2=H - BOTTOM></line>
                        <line class="axis" x1=LEFT y1=H - BOTTOM x2=W y2=H - BOTTOM></line>
                        <text class="axis-label" x=LEFT - 6.0 y="12" text-anchor="end">{compact(max)}</text>
                        <text class="axis-label" x=LEFT - 6.0 y=H - BOTTOM text-anchor="end">"0"</text>
                        {bars}
                        {ticks}
                    </svg>
                    <figcaption>{format!("{title} ({zone}). {summary}")}</figcaption>
                    <details>
                        <summary>"Show as table"</summary>
                        <table class="chart-table">
                            <caption>{title.clone()}</caption>
                            <thead><tr><th scope="col">{if g == Granularity::Day { "Day" } else { "Hour" }}</th><th scope="col">{unit}</th></tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </details>
                </figure>
            }
        })
    };

    view! {
        <section class="usage-history" aria-labelledby=format!("history-{}", tab.slug())>
            <h3 id=format!("history-{}", tab.slug())>"Usage history"</h3>
            <div class="toolbar">
                {(kinds.len() > 1).then(|| view! {
                    <div role="group" aria-label="Resource type" class="filters">
                        {kinds.iter().map(|k| {
                            let k = *k;
                            view! {
                                <button type="button" class="filter" aria-pressed=move || if kind.get() == k { "true" } else { "false" } on:click=move |_| kind.set(k)>
                                    {what(k)}
                                </button>
                            }
                        }).collect_view()}
                    </div>
                })}
                <div role="group" aria-label="Period" class="filters">
                    <button type="button" class="filter" aria-pressed=move || if gran.get() == Granularity::Day { "true" } else { "false" } on:click=move |_| gran.set(Granularity::Day)>"Daily, 30 days"</button>
                    <button type="button" class="filter" aria-pressed=move || if gran.get() == Granularity::Hour { "true" } else { "false" } on:click=move |_| gran.set(Granularity::Hour)>"Hourly, 48 hours"</button>
                </div>
            </div>
            {move || error.get().map(|e| view! { <ErrorAlert context="Could not load usage history" error=e/> })}
            {chart}
        </section>
    }
}

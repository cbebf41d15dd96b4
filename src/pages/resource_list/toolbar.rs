//! The list's toolbar: status filters with their counts, search, sort, CSV
//! export, and (pay-as-you-go) the link to the account's deductions. Every
//! choice becomes the URL; the page follows the URL.

use billing_rules::api::{ListResourcesRequest, SortKey, StatusCounts};
use billing_rules::model::Tab;
use billing_rules::status::Status;
use leptos::prelude::*;

use crate::format::status_label;
use crate::i18n::{locale, td_string, Locale};

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

#[component]
pub fn Toolbar(
    tab: Tab,
    /// The view on screen (from the URL).
    req: Memo<ListResourcesRequest>,
    /// The counts per status of the last page that came.
    counts: Signal<Option<StatusCounts>>,
    /// Show another view (the page puts it in the URL).
    #[prop(into)]
    go: Callback<ListResourcesRequest>,
    /// True while the CSV export runs.
    exporting: Signal<bool>,
    #[prop(into)] on_export: Callback<()>,
) -> impl IntoView {
    let l = locale();
    let change = move |f: &dyn Fn(&mut ListResourcesRequest)| {
        let mut r = req.get_untracked();
        f(&mut r);
        r.page_number = 1;
        go.run(r);
    };
    let search_input = RwSignal::new(req.get_untracked().search);
    Effect::new(move |_| search_input.set(req.get().search));
    let filter_buttons = move || {
        let counts = counts.get();
        FILTERS
            .into_iter()
            .map(|s| {
                let label = match &counts {
                    Some(c) => td_string!(
                        l,
                        filter_count,
                        label = status_label(s, l),
                        count = c.get(s)
                    )
                    .to_string(),
                    None => status_label(s, l),
                };
                view! {
                    <button
                        type="button"
                        class="filter"
                        aria-pressed=move || if req.get().status == s { "true" } else { "false" }
                        on:click=move |_| change(&|r| r.status = s)
                    >
                        {label}
                    </button>
                }
            })
            .collect_view()
    };
    view! {
        <div class="toolbar">
            <div class="filters" role="group" aria-label=td_string!(l, col_status)>{filter_buttons}</div>
            <form
                class="search"
                role="search"
                on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    let q = search_input.get_untracked().trim().to_string();
                    change(&|r| r.search = q.clone());
                }
            >
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
                <select
                    on:change=move |ev| {
                        let sort = SortKey::from_slug(&event_target_value(&ev)).unwrap_or_default();
                        change(&|r| r.sort = sort);
                    }
                    prop:value=move || req.get().sort.slug()
                >
                    {SortKey::ALL
                        .into_iter()
                        .map(|s| view! { <option value=s.slug() selected=move || req.get().sort == s>{sort_label(s, l)}</option> })
                        .collect_view()}
                </select>
            </label>
            <button type="button" class="btn" on:click=move |_| on_export.run(()) disabled=move || exporting.get()>
                {move || if exporting.get() { td_string!(l, exporting) } else { td_string!(l, export_csv) }}
            </button>
            {(tab == Tab::PayAsYouGo).then(|| view! {
                <a class="btn btn--link" href="/deductions">{td_string!(l, ded_account_link)}</a>
            })}
        </div>
    }
}

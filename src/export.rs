//! Files the console offers for download (CSV exports).

use leptos::prelude::*;

use crate::api::ClientError;

/// Every page of a paged answer, for export: `fetch(n)` gives page `n`
/// (from 1) as its items and the total across pages.
pub async fn all_pages<T, F, Fut>(mut fetch: F) -> Result<Vec<T>, ClientError>
where
    F: FnMut(u32) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, u64), ClientError>>,
{
    let mut out = Vec::new();
    for page in 1.. {
        let (items, total) = fetch(page).await?;
        let got = items.len();
        out.extend(items);
        if got == 0 || out.len() as u64 >= total {
            break;
        }
    }
    Ok(out)
}

/// Offer `text` as a file download.
pub fn download(name: &str, text: &str) -> Result<(), ClientError> {
    use wasm_bindgen::JsCast;
    let fail = |_| ClientError::Malformed("the browser refused the download".into());
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(&format!("\u{feff}{text}")));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("text/csv;charset=utf-8");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts).map_err(fail)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(fail)?;
    let a: web_sys::HtmlAnchorElement = document()
        .create_element("a")
        .map_err(fail)?
        .unchecked_into();
    a.set_href(&url);
    a.set_download(name);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// The resource list as CSV: every page of the view `q` (filter, search and
/// sort as on screen), the header in the reader's language, times in the
/// display zone. Offered as `billing-resources-<tab>.csv`; the number of
/// rows and the file's name come back.
pub async fn resources_csv(
    api: &crate::api::Api,
    q: billing_rules::api::ListResourcesRequest,
    l: crate::i18n::Locale,
) -> Result<(usize, String), ClientError> {
    use crate::i18n::td_string;
    let tab = q.tab;
    let rows = all_pages(|n| {
        let q = billing_rules::api::ListResourcesRequest {
            page_size: 50,
            page_number: n,
            ..q.clone()
        };
        async move { api.resources(&q).await.map(|p| (p.items, p.total)) }
    })
    .await?;
    // Cells stay machine-readable: type and status slugs, exact numbers,
    // times with their zone.
    let header = [
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
    ];
    let csv = billing_rules::csv::to_csv(&rows, header, crate::format::offset_at);
    let name = format!("billing-resources-{}.csv", tab.slug());
    download(&name, &csv)?;
    Ok((rows.len(), name))
}

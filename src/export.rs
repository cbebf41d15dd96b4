//! Files the console offers for download (CSV exports).

use leptos::prelude::*;

use crate::api::ClientError;

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

//! The list's URL codec: which view a URL asks for, and the URL of a view.
//! Status filter, search, sort and paging all live in the URL, so a view
//! can be bookmarked, shared and reloaded; defaults are left out.

use billing_rules::api::{ListResourcesRequest, SortKey, PAGE_SIZES};
use billing_rules::model::Tab;
use billing_rules::status::Status;
use leptos_router::params::ParamsMap;

/// The view a URL asks for. Anything unreadable falls back to the default.
pub fn request_from_query(tab: Tab, q: &ParamsMap) -> ListResourcesRequest {
    request_from(tab, |k| q.get(k))
}

/// The view named by the URL's (decoded) parameters, `get` giving each.
pub fn request_from(tab: Tab, get: impl Fn(&str) -> Option<String>) -> ListResourcesRequest {
    let status = match get("status").as_deref() {
        Some("all") => None,
        Some(s) => Some(Status::from_slug(s).unwrap_or(Status::DEFAULT_FILTER)),
        None => Some(Status::DEFAULT_FILTER),
    };
    let page_size = get("size")
        .and_then(|s| s.parse().ok())
        .filter(|n| PAGE_SIZES.contains(n))
        .unwrap_or(PAGE_SIZES[0]);
    ListResourcesRequest {
        tab,
        status,
        search: get("q").unwrap_or_default().chars().take(100).collect(),
        sort: get("sort")
            .as_deref()
            .and_then(SortKey::from_slug)
            .unwrap_or_default(),
        page_number: get("page")
            .and_then(|s| s.parse().ok())
            .filter(|n| *n >= 1)
            .unwrap_or(1),
        page_size,
    }
}

/// `encodeURIComponent`: everything but `A–Z a–z 0–9 - _ . ! ~ * ' ( )` is
/// percent-encoded, as UTF-8.
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The URL query of a view (with its `?`), or "" for the default view.
pub fn query_string(r: &ListResourcesRequest) -> String {
    let mut parts: Vec<String> = Vec::new();
    match r.status {
        Some(Status::Available) => {}
        Some(s) => parts.push(format!("status={}", s.slug())),
        None => parts.push("status=all".into()),
    }
    if !r.search.is_empty() {
        parts.push(format!("q={}", encode_component(&r.search)));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn read(tab: Tab, pairs: &[(&str, &str)]) -> ListResourcesRequest {
        request_from(tab, |k| {
            pairs
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn the_default_view_has_a_bare_url() {
        let r = read(Tab::PayAsYouGo, &[]);
        assert_eq!(r.status, Some(Status::Available));
        assert_eq!((r.page_number, r.page_size), (1, PAGE_SIZES[0]));
        assert_eq!(query_string(&r), "");
    }

    #[test]
    fn a_view_survives_its_url() {
        let r = ListResourcesRequest {
            tab: Tab::Concurrency,
            status: None,
            search: "年度 token & co/2".into(),
            sort: SortKey::UsageDesc,
            page_number: 3,
            page_size: PAGE_SIZES[1],
        };
        let qs = query_string(&r);
        assert!(qs.starts_with("?status=all&q="), "{qs}");
        assert!(!qs[1..].contains(' ') && !qs.contains("&co"), "{qs}");
        // Decode as the router would, then read the view back.
        let decoded: Vec<(String, String)> = qs[1..]
            .split('&')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (k.to_string(), percent_decode(v))
            })
            .collect();
        let pairs: Vec<(&str, &str)> = decoded
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(read(Tab::Concurrency, &pairs), r);
    }

    #[test]
    fn unreadable_urls_fall_back_to_the_default() {
        let r = read(
            Tab::PayAsYouGo,
            &[
                ("status", "nonsense"),
                ("page", "0"),
                ("size", "7"),
                ("sort", "x"),
            ],
        );
        assert_eq!(r.status, Some(Status::DEFAULT_FILTER));
        assert_eq!((r.page_number, r.page_size), (1, PAGE_SIZES[0]));
        assert_eq!(r.sort, SortKey::default());
        let long = "x".repeat(500);
        let r = read(Tab::PayAsYouGo, &[("q", &long)]);
        assert_eq!(
            r.search.chars().count(),
            100,
            "search is cut to 100 characters"
        );
    }

    fn percent_decode(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }
}

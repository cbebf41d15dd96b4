//! The resource list: filter, search, count, sort and page. Used by the mock
//! store and the server alike.

use chrono::{DateTime, Utc};

use crate::api::{
    ApiError, ErrorCode, ListResourcesRequest, ResourcePage, ResourceRow, SortKey, StatusCounts,
    MAX_SEARCH_LEN, PAGE_SIZES,
};
use crate::model::Resource;
use crate::status::{status, Status};
use crate::usage::used_basis_points;

/// Reject a request a user could not have made from the console.
pub fn validate(q: &ListResourcesRequest) -> Result<(), ApiError> {
    if q.page_number == 0 {
        return Err(ApiError::new(
            ErrorCode::InvalidParameterValue,
            "PageNumber starts at 1.",
        ));
    }
    if !PAGE_SIZES.contains(&q.page_size) {
        return Err(ApiError::new(
            ErrorCode::InvalidParameterValue,
            "PageSize must be 10, 20 or 50.",
        ));
    }
    if q.search.chars().count() > MAX_SEARCH_LEN {
        return Err(ApiError::new(
            ErrorCode::InvalidParameterValue,
            format!("Search is limited to {MAX_SEARCH_LEN} characters."),
        ));
    }
    Ok(())
}

/// Case-insensitive match on id or name.
pub fn matches_search(r: &Resource, search: &str) -> bool {
    let s = search.trim();
    if s.is_empty() {
        return true;
    }
    let s = s.to_lowercase();
    r.id.to_lowercase().contains(&s) || r.name.to_lowercase().contains(&s)
}

fn count(counts: &mut StatusCounts, s: Status) {
    counts.all += 1;
    match s {
        Status::Available => counts.available += 1,
        Status::Exhausted => counts.exhausted += 1,
        Status::Expired => counts.expired += 1,
        Status::NotYetEffective => counts.not_yet_effective += 1,
        Status::Refunded => counts.refunded += 1,
    }
}

/// One page of the list. `resources` are the tenant's resources.
pub fn list<'a>(
    resources: impl IntoIterator<Item = &'a Resource>,
    q: &ListResourcesRequest,
    now: DateTime<Utc>,
) -> Result<ResourcePage, ApiError> {
    validate(q)?;
    let mut counts = StatusCounts::default();
    // Sort references; clone only the rows on the page.
    let mut rows: Vec<(&Resource, Status)> = Vec::new();
    for r in resources {
        if r.kind.tab() != q.tab || !matches_search(r, &q.search) {
            continue;
        }
        let s = status(r, now);
        count(&mut counts, s);
        if q.status.is_none_or(|want| want == s) {
            rows.push((r, s));
        }
    }
    let usage = |r: &Resource| used_basis_points(r.used, r.total);
    let cmp = |(a, _): &(&Resource, Status), (b, _): &(&Resource, Status)| match q.sort {
        SortKey::ExpiresAsc => (a.expires_at, &a.id).cmp(&(b.expires_at, &b.id)),
        SortKey::ExpiresDesc => (b.expires_at, &a.id).cmp(&(a.expires_at, &b.id)),
        SortKey::UsageDesc => (usage(b), &a.id).cmp(&(usage(a), &b.id)),
        SortKey::UsageAsc => (usage(a), &a.id).cmp(&(usage(b), &b.id)),
    };
    let total = rows.len() as u64;
    let start = ((q.page_number - 1) as usize).saturating_mul(q.page_size as usize);
    let end = start.saturating_add(q.page_size as usize).min(rows.len());
    // Only the rows up to the page's end need ordering: select them (O(n)),
    // then sort just those. The id tie-break makes the order total.
    if end > 0 && end < rows.len() {
        rows.select_nth_unstable_by(end - 1, cmp);
        rows.truncate(end);
    }
    rows.sort_unstable_by(cmp);
    let items = rows
        .into_iter()
        .skip(start)
        .take(q.page_size as usize)
        .map(|(r, _)| ResourceRow::at(r.clone(), now))
        .collect();
    Ok(ResourcePage {
        items,
        total,
        counts,
        as_of: now,
    })
}

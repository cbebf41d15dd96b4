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
    let s = search.trim().to_lowercase();
    s.is_empty() || r.id.to_lowercase().contains(&s) || r.name.to_lowercase().contains(&s)
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
    let kinds = q.tab.kinds();
    let mut counts = StatusCounts::default();
    let mut rows: Vec<ResourceRow> = Vec::new();
    for r in resources {
        if !kinds.contains(&r.kind) || !matches_search(r, &q.search) {
            continue;
        }
        let s = status(r, now);
        count(&mut counts, s);
        if q.status.is_none_or(|want| want == s) {
            rows.push(ResourceRow {
                resource: r.clone(),
                status: s,
            });
        }
    }
    let usage = |row: &ResourceRow| used_basis_points(row.resource.used, row.resource.total);
    match q.sort {
        SortKey::ExpiresAsc => rows.sort_by(|a, b| {
            (a.resource.expires_at, &a.resource.id).cmp(&(b.resource.expires_at, &b.resource.id))
        }),
        SortKey::ExpiresDesc => rows.sort_by(|a, b| {
            (b.resource.expires_at, &a.resource.id).cmp(&(a.resource.expires_at, &b.resource.id))
        }),
        SortKey::UsageDesc => {
            rows.sort_by(|a, b| (usage(b), &a.resource.id).cmp(&(usage(a), &b.resource.id)))
        }
        SortKey::UsageAsc => {
            rows.sort_by(|a, b| (usage(a), &a.resource.id).cmp(&(usage(b), &b.resource.id)))
        }
    }
    let total = rows.len() as u64;
    let start = ((q.page_number - 1) as usize).saturating_mul(q.page_size as usize);
    let items = rows
        .into_iter()
        .skip(start)
        .take(q.page_size as usize)
        .collect();
    Ok(ResourcePage {
        items,
        total,
        counts,
        as_of: now,
    })
}

//! Identity, the resource list, the attention summary, renewal and usage history.

use super::{account, forbidden, save, user};
use crate::api::*;
use crate::expiry::{badge, ExpiryBadge, DAY_SECS};
use crate::knowledge::{KnowledgeItemKind, KnowledgeState};
use crate::model::ResourceKind;
use crate::notify::{self, Granularity, UsageRecord};
use crate::query;
use crate::status::{status, Status};
use crate::store::Store;
use crate::usage::{alert_level, AlertLevel};
use chrono::{DateTime, Duration, DurationRound, Utc};

pub fn whoami<S: Store>(s: &mut S, user_id: &str) -> Result<Identity, ApiError> {
    let user = user(s, user_id)?;
    let account_name = account(s, &user.tenant_id)?.name;
    Ok(Identity { user, account_name })
}

pub fn list_resources<S: Store>(
    s: &mut S,
    user_id: &str,
    q: &ListResourcesRequest,
    now: DateTime<Utc>,
) -> Result<ResourcePage, ApiError> {
    let user = user(s, user_id)?;
    query::validate(q)?;
    let mut page = s.list(&user.tenant_id, q, now)?;
    super::forecast_rows(s, &user.tenant_id, &mut page.items, now)?;
    // Knowledge capacity is used by the knowledge stored, not metered: the
    // rows say what the knowledge panel says.
    if page
        .items
        .iter()
        .any(|r| r.resource.kind == ResourceKind::KnowledgeCapacity)
    {
        let stored = crate::knowledge::stored_chars(&s.knowledge(&user.tenant_id)?);
        let used = crate::knowledge::capacity_used(
            stored,
            &s.knowledge_capacity(&user.tenant_id, now)?,
            now,
        );
        for row in &mut page.items {
            if let Some((_, u)) = used.iter().find(|(id, _)| *id == row.resource.id) {
                row.resource.used = *u;
            }
        }
    }
    Ok(page)
}

/// One page of the deduction ledger: the account's, or one package's.
pub fn deductions<S: Store>(
    s: &mut S,
    user_id: &str,
    q: &DeductionsRequest,
) -> Result<DeductionPage, ApiError> {
    let user = user(s, user_id)?;
    let (skip, take) = page_bounds(q.page_number, q.page_size)?;
    if let Some(k) = q.kind.filter(|k| !k.is_package()) {
        return Err(ApiError::new(
            ErrorCode::InvalidParameterValue,
            format!("Kind {k:?} is not drawn from packages; only token and search packages have deductions."),
        ));
    }
    // From after Until is an empty interval: no line matches it.
    if let Some(id) = &q.resource_id {
        if s.resource(&user.tenant_id, id)?.is_none() {
            return Err(ApiError::new(
                ErrorCode::ResourceNotFound,
                format!("No resource {id} in this account."),
            ));
        }
    }
    s.deductions(&user.tenant_id, q, skip, take)
}

pub fn summary<S: Store>(
    s: &mut S,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<Summary, ApiError> {
    let user = user(s, user_id)?;
    let t = &user.tenant_id;
    let mut sum = Summary {
        account: Some(account(s, t)?),
        postpaid_enabled: s.postpaid(t)?.enabled,
        as_of: now,
        ..Summary::default()
    };
    let mut rs = s.attention(t, now)?;
    rs.sort_by(|a, b| (a.expires_at, &a.id).cmp(&(b.expires_at, &b.id)));
    for r in &rs {
        let rf = ResourceRef {
            id: r.id.clone(),
            name: r.name.clone(),
            kind: r.kind,
        };
        match status(r, now) {
            Status::Available => {
                if r.kind.can_run_out() {
                    match alert_level(r.used, r.total) {
                        AlertLevel::NearlyExhausted => sum.nearly_exhausted.push(rf.clone()),
                        AlertLevel::Exhausted => sum.exhausted.push(rf.clone()),
                        AlertLevel::Normal => {}
                    }
                }
                match badge(r.expires_at, now) {
                    ExpiryBadge::Within1 { .. } => sum.expiring_1.push(rf),
                    ExpiryBadge::Within7 { .. } => sum.expiring_7.push(rf),
                    ExpiryBadge::Within30 { .. } => sum.expiring_30.push(rf),
                    _ => {}
                }
            }
            Status::Exhausted => sum.exhausted.push(rf),
            Status::Expired if now - r.expires_at <= Duration::seconds(30 * DAY_SECS) => {
                sum.expired.push(rf)
            }
            _ => {}
        }
    }
    sum.running_out = super::running_out(s, t, now)?
        .into_iter()
        .map(|(r, at)| RunningOut {
            resource: ResourceRef {
                id: r.id,
                name: r.name,
                kind: r.kind,
            },
            at,
        })
        .collect();
    for k in s.knowledge(t)? {
        if k.state == KnowledgeState::Isolated {
            match k.kind {
                KnowledgeItemKind::Document => sum.isolated_documents += 1,
                KnowledgeItemKind::QaPair => sum.isolated_qa_pairs += 1,
            }
        }
    }
    Ok(sum)
}

/// Renew a prepaid resource (main account only; charges the balance).
pub fn renew<S: Store>(
    s: &mut S,
    user_id: &str,
    req: &RenewRequest,
    now: DateTime<Utc>,
) -> Result<RenewResult, ApiError> {
    let user = user(s, user_id)?;
    if req.months == 0 || req.months > 36 {
        return Err(ApiError::new(
            ErrorCode::InvalidParameterValue,
            "Months must be from 1 to 36.",
        ));
    }
    let mut r = s
        .resource(&user.tenant_id, &req.resource_id)?
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::ResourceNotFound,
                format!("No resource {} in this account.", req.resource_id),
            )
        })?;
    if !user.is_main() {
        return Err(forbidden("Only the main account can renew resources, because renewal charges the account balance."));
    }
    let Some(price) = r.kind.renewal_price_cents(r.total, req.months) else {
        return Err(ApiError::new(
            ErrorCode::FailedOperation,
            "Packages cannot be renewed; purchase a new package instead.",
        ));
    };
    if r.refunded {
        return Err(ApiError::new(
            ErrorCode::ResourceUnavailable,
            "A refunded resource cannot be renewed.",
        ));
    }
    let account = account(s, &user.tenant_id)?;
    if account.balance_cents < price {
        return Err(ApiError::new(
            ErrorCode::FailedOperationBalanceInsufficient,
            format!(
                "Renewal costs {} but the balance is {}. Top up the account first.",
                crate::format::money(price, &account.currency),
                crate::format::money(account.balance_cents, &account.currency)
            ),
        ));
    }
    let balance = account.balance_cents - price;
    s.set_balance(&user.tenant_id, balance)?;
    let before = r.clone();
    let from = r.expires_at.max(now);
    r.expires_at = from + Duration::days(30 * req.months as i64);
    save(s, &before, &r, now)?;
    Ok(RenewResult {
        resource: r,
        charged_cents: price,
        balance_cents: balance,
    })
}

pub fn usage_history<S: Store>(
    s: &mut S,
    user_id: &str,
    req: &UsageHistoryRequest,
    now: DateTime<Utc>,
) -> Result<UsageHistory, ApiError> {
    let user = user(s, user_id)?;
    if req.kind == ResourceKind::KnowledgeCapacity {
        return Err(ApiError::new(
            ErrorCode::InvalidParameterValue,
            "Knowledge capacity has no usage history; see DescribeKnowledgeUsage.",
        ));
    }
    let (step, count) = match req.granularity {
        Granularity::Day => (Duration::days(1), 30),
        Granularity::Hour => (Duration::hours(1), 48),
    };
    let last = now.duration_trunc(step).unwrap_or(now);
    let from = last - step * (count - 1);
    let records = s.usage_records(&user.tenant_id, req.kind, from, last + step)?;
    let points = notify::history(&records, &user.tenant_id, req.kind, req.granularity, now);
    let pools = if req.by_pool && req.kind.is_package() {
        let q = DeductionsRequest {
            resource_id: None,
            kind: Some(req.kind),
            from: Some(from),
            until: Some(last + step),
            page_number: 1,
            page_size: 100,
        };
        let lines = s.deductions(&user.tenant_id, &q, 0, usize::MAX)?.items;
        crate::deduction::Pool::ALL
            .into_iter()
            .map(|pool| {
                let paid: Vec<UsageRecord> = lines
                    .iter()
                    .filter(|e| e.pool == pool && e.idempotency_key != crate::seed::OPENING_KEY)
                    .map(|e| UsageRecord {
                        tenant_id: e.tenant_id.clone(),
                        kind: e.kind,
                        amount: e.amount,
                        at: e.at,
                    })
                    .collect();
                PoolSeries {
                    pool,
                    points: notify::history(&paid, &user.tenant_id, req.kind, req.granularity, now),
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(UsageHistory {
        kind: req.kind,
        granularity: req.granularity,
        points,
        pools,
    })
}

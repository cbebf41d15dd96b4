//! Every action's meaning, written once over a [`Store`]. The mock store
//! (in memory) and the server (one database transaction per request) run
//! the same path: [`advance`] the tenant to now, apply the action (which
//! fires what it made due), and the caller commits.

use chrono::{DateTime, Duration, DurationRound, Utc};

use crate::api::*;
use crate::deduction::{self, Deduction, DeductionError};
use crate::expiry::{badge, ExpiryBadge, DAY_SECS};
use crate::knowledge::{self, KnowledgeItemKind, KnowledgeState};
use crate::model::{Metering, Resource, ResourceKind, Role, User};
use crate::notify::{self, Granularity, NoticeRecord, OutboxMessage, UsageRecord, CHANNELS};
use crate::postpaid;
use crate::query;
use crate::reminders::{self, Threshold};
use crate::status::{status, Status};
use crate::store::{Change, Store, UsageKey};
use crate::usage::{alert_level, AlertLevel};

/// Renewal price in cents (see [`ResourceKind::renewal_price_cents`]).
pub fn renewal_price_cents(kind: ResourceKind, total: u64, months: u32) -> Option<i64> {
    kind.renewal_price_cents(total, months)
}

fn forbidden(msg: &str) -> ApiError {
    ApiError::new(ErrorCode::UnauthorizedOperation, msg)
}

fn unknown_user() -> ApiError {
    ApiError::new(
        ErrorCode::AuthFailureUnauthorizedOperation,
        "Unknown user; sign in again.",
    )
}

/// The signed-in user, or AuthFailure.
pub fn user<S: Store>(s: &mut S, user_id: &str) -> Result<User, ApiError> {
    s.user(user_id)?.ok_or_else(unknown_user)
}

fn account<S: Store>(s: &mut S, tenant: &str) -> Result<crate::model::Account, ApiError> {
    s.account(tenant)?
        .ok_or_else(|| ApiError::new(ErrorCode::ResourceNotFound, "Unknown account."))
}

/// Fire every threshold due for `r` at `now` that has not fired yet:
/// console notices into the Notification Center, subscription reminders
/// into the outbox. Returns how many fired.
pub fn fire<S: Store>(s: &mut S, r: &Resource, now: DateTime<Utc>) -> Result<usize, ApiError> {
    let mut n = 0;
    for t in reminders::due(r, now) {
        if !s.mark_fired(&r.tenant_id, &reminders::key(r, t))? {
            continue;
        }
        n += 1;
        let seq = s.next_message_seq(&r.tenant_id)?;
        match t {
            Threshold::Notice(notice) => s.add_notice(&NoticeRecord {
                id: format!("ntc-{}-{seq:08}", r.tenant_id),
                tenant_id: r.tenant_id.clone(),
                resource_id: r.id.clone(),
                resource_name: r.name.clone(),
                resource_kind: r.kind,
                notice,
                at: now,
                read_by: Vec::new(),
            })?,
            Threshold::Reminder(reminder) => s.add_outbox(&OutboxMessage {
                id: format!("msg-{}-{seq:08}", r.tenant_id),
                tenant_id: r.tenant_id.clone(),
                resource_id: r.id.clone(),
                resource_name: r.name.clone(),
                reminder,
                channels: CHANNELS.to_vec(),
                at: now,
            })?,
        }
    }
    if n > 0 {
        s.changed(&r.tenant_id, Change::Notice);
    }
    Ok(n)
}

/// Store a changed resource and fire what the change made due.
fn save<S: Store>(s: &mut S, r: &Resource, now: DateTime<Utc>) -> Result<(), ApiError> {
    s.save_resource(r, now)?;
    fire(s, r, now)?;
    s.changed(&r.tenant_id, Change::Usage);
    Ok(())
}

/// Let time pass to `now` for one tenant: every resource whose next due
/// instant has come gets its status brought up to date and its due
/// thresholds fired; knowledge over the capacity then in force is isolated.
/// Only due resources are read. Returns how many resources were due.
pub fn advance<S: Store>(s: &mut S, tenant: &str, now: DateTime<Utc>) -> Result<usize, ApiError> {
    let mut due = s.due_resources(tenant, now)?;
    // One order for every store, so notices are numbered alike everywhere.
    due.sort_by(|a, b| a.id.cmp(&b.id));
    let mut capacity_changed = false;
    for r in &due {
        s.save_resource(r, now)?;
        fire(s, r, now)?;
        capacity_changed |= r.kind == ResourceKind::KnowledgeCapacity;
    }
    if !due.is_empty() {
        s.changed(tenant, Change::Usage);
    }
    if capacity_changed {
        isolate(s, tenant, now)?;
    }
    Ok(due.len())
}

/// Isolate the knowledge that exceeds the capacity in force.
pub fn isolate<S: Store>(s: &mut S, tenant: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    let cap = knowledge::capacity(&s.knowledge_capacity(tenant, now)?, now);
    let ids = knowledge::to_isolate(&s.knowledge(tenant)?, cap);
    if !ids.is_empty() {
        s.set_knowledge_state(tenant, &ids, KnowledgeState::Isolated)?;
        s.changed(tenant, Change::Usage);
    }
    Ok(())
}

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
    s.list(&user.tenant_id, q, now)
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

pub fn knowledge_usage<S: Store>(
    s: &mut S,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<KnowledgeUsage, ApiError> {
    let user = user(s, user_id)?;
    let items = s.knowledge(&user.tenant_id)?;
    let cap = knowledge::capacity(&s.knowledge_capacity(&user.tenant_id, now)?, now);
    let isolated = |kind| {
        items
            .iter()
            .filter(|i| i.state == KnowledgeState::Isolated && i.kind == kind)
            .count() as u64
    };
    let plan = knowledge::restore_plan(&items, cap);
    Ok(KnowledgeUsage {
        available_char_size: cap,
        used_char_size: knowledge::stored_chars(&items),
        exceed_char_size: knowledge::isolated_chars(&items),
        isolated_documents: isolated(KnowledgeItemKind::Document),
        isolated_qa_pairs: isolated(KnowledgeItemKind::QaPair),
        restorable_items: plan.as_ref().map(|p| p.len() as u64).unwrap_or(0),
        restore_blocked: plan.err().map(ApiError::from),
    })
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
    let from = r.expires_at.max(now);
    r.expires_at = from + Duration::days(30 * req.months as i64);
    save(s, &r, now)?;
    Ok(RenewResult {
        resource: r,
        charged_cents: price,
        balance_cents: balance,
    })
}

/// Restore isolated knowledge that fits the free capacity.
pub fn restore_knowledge<S: Store>(
    s: &mut S,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<RestoreResult, ApiError> {
    let user = user(s, user_id)?;
    let t = &user.tenant_id;
    let items = s.knowledge(t)?;
    let cap = knowledge::capacity(&s.knowledge_capacity(t, now)?, now);
    let ids = knowledge::restore_plan(&items, cap)?;
    s.set_knowledge_state(t, &ids, KnowledgeState::Restored)?;
    s.changed(t, Change::Usage);
    let still = items
        .iter()
        .filter(|k| k.state == KnowledgeState::Isolated && !ids.contains(&k.id))
        .count() as u64;
    Ok(RestoreResult {
        restored_items: ids.len() as u64,
        still_isolated: still,
    })
}

pub fn describe_postpaid<S: Store>(
    s: &mut S,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<PostpaidView, ApiError> {
    let user = user(s, user_id)?;
    let t = &user.tenant_id;
    let state = s.postpaid(t)?;
    let changed_by_name = match &state.changed_by {
        Some(id) => s.user(id)?.filter(|u| &u.tenant_id == t).map(|u| u.name),
        None => None,
    };
    Ok(PostpaidView {
        state,
        changed_by_name,
        account: account(s, t)?,
        history: s.postpaid_history(t, 20)?,
        as_of: now,
    })
}

/// Enable or disable postpaid, enforcing permission, overdue and cooldown.
pub fn modify_postpaid<S: Store>(
    s: &mut S,
    user_id: &str,
    enable: bool,
    now: DateTime<Utc>,
) -> Result<PostpaidView, ApiError> {
    let user = user(s, user_id)?;
    let account = account(s, &user.tenant_id)?;
    let mut state = s.postpaid(&user.tenant_id)?;
    postpaid::check_change(&user, &account, &state, enable, now)?;
    let from = state.enabled;
    if postpaid::apply_change(&mut state, enable, &user.id, now) {
        let change = PostpaidChange {
            tenant_id: user.tenant_id.clone(),
            at: now,
            by_user_id: user.id.clone(),
            by_name: user.name.clone(),
            from,
            to: enable,
        };
        s.save_postpaid(&user.tenant_id, &state, &change)?;
        s.changed(&user.tenant_id, Change::Postpaid);
    }
    describe_postpaid(s, user_id, now)
}

/// The tenant's sub-accounts. Main account only.
pub fn list_sub_accounts<S: Store>(s: &mut S, user_id: &str) -> Result<Vec<User>, ApiError> {
    let user = user(s, user_id)?;
    if !user.is_main() {
        return Err(forbidden("Only the main account can manage permissions."));
    }
    let mut subs: Vec<User> = s
        .tenant_users(&user.tenant_id)?
        .into_iter()
        .filter(|u| u.role == Role::SubAccount)
        .collect();
    subs.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(subs)
}

pub fn modify_permission<S: Store>(
    s: &mut S,
    user_id: &str,
    req: &ModifyPermissionRequest,
) -> Result<User, ApiError> {
    let user = user(s, user_id)?;
    if !user.is_main() {
        return Err(forbidden("Only the main account can manage permissions."));
    }
    let mut target = s
        .user(&req.user_id)?
        .filter(|u| u.tenant_id == user.tenant_id && u.role == Role::SubAccount)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::ResourceNotFound,
                format!("No sub-account {} in this account.", req.user_id),
            )
        })?;
    if target.postpaid_permission != req.postpaid_permission {
        s.set_postpaid_permission(&user.tenant_id, &target.id, req.postpaid_permission)?;
        s.changed(&user.tenant_id, Change::Permission);
    }
    target.postpaid_permission = req.postpaid_permission;
    Ok(target)
}

/// Meter usage for a tenant (operator only; the caller checks that). A
/// retried idempotency key returns the first outcome and deducts nothing; the
/// same key with another request is refused.
pub fn report_usage<S: Store>(
    s: &mut S,
    req: &ReportUsageRequest,
    now: DateTime<Utc>,
) -> Result<Deduction, ApiError> {
    if req.idempotency_key.is_empty() || req.idempotency_key.len() > 128 {
        return Err(ApiError::new(
            ErrorCode::InvalidParameterValue,
            "IdempotencyKey must be 1 to 128 characters.",
        ));
    }
    if req.amount == 0 || req.amount > 1_000_000_000_000 {
        return Err(ApiError::new(
            ErrorCode::InvalidParameterValue,
            "Amount must be from 1 to 10^12.",
        ));
    }
    let t = &req.tenant_id;
    let fingerprint = format!("{:?}:{}", req.kind, req.amount);
    if let Some(done) = s.usage_key(t, &req.idempotency_key)? {
        if done.fingerprint != fingerprint {
            return Err(ApiError::new(
                ErrorCode::FailedOperation,
                format!(
                    "IdempotencyKey {} was already used for another request ({}); use a new key.",
                    req.idempotency_key, done.fingerprint
                ),
            ));
        }
        return Ok(done.deduction);
    }
    let account = account(s, t)?;
    let record = UsageRecord {
        tenant_id: t.clone(),
        kind: req.kind,
        amount: req.amount,
        at: now,
    };
    let d = if req.kind.spec().metering == Metering::Peak {
        // A concurrency peak observed: recorded for history, nothing drawn.
        Deduction {
            draws: Vec::new(),
            postpaid: 0,
        }
    } else {
        let enabled = s.postpaid(t)?.enabled;
        let candidates = if req.kind.is_package() && !account.is_overdue() {
            s.drawable(t, req.kind, req.amount, now)?
        } else {
            Vec::new()
        };
        let d = match deduction::plan(
            &candidates,
            req.kind,
            req.amount,
            enabled,
            account.is_overdue(),
            now,
        ) {
            Ok(d) => d,
            Err(DeductionError::NotConsumable(_)) => {
                return Err(ApiError::new(ErrorCode::InvalidParameterValue, "Token and search packages are metered, and concurrency peaks; knowledge capacity is not."))
            }
            Err(DeductionError::Overdue) => {
                return Err(ApiError::new(ErrorCode::FailedOperationBalanceInsufficient, "The account is overdue; services cannot be used."))
            }
            Err(DeductionError::Insufficient { available, requested }) => {
                return Err(ApiError::new(
                    ErrorCode::ResourceInsufficient,
                    format!("Packages hold {available} of the {requested} requested and postpaid is off: the service stops."),
                ))
            }
        };
        for draw in &d.draws {
            if let Some(r) = candidates.iter().find(|r| r.id == draw.resource_id) {
                let mut r = r.clone();
                r.used = r.used.saturating_add(draw.amount);
                save(s, &r, now)?;
            }
        }
        d
    };
    s.add_usage_record(&record)?;
    s.save_usage_key(
        t,
        &req.idempotency_key,
        &UsageKey {
            fingerprint,
            deduction: d.clone(),
        },
    )?;
    s.changed(t, Change::Usage);
    Ok(d)
}

pub fn notices<S: Store>(
    s: &mut S,
    user_id: &str,
    req: &NoticesRequest,
) -> Result<NoticePage, ApiError> {
    let user = user(s, user_id)?;
    let (skip, take) = page_bounds(req.page_number, req.page_size)?;
    s.notices(&user.tenant_id, &user.id, req, skip, take)
}

pub fn mark_notices_read<S: Store>(
    s: &mut S,
    user_id: &str,
    req: &MarkNoticesReadRequest,
) -> Result<UnreadCount, ApiError> {
    let user = user(s, user_id)?;
    if !req.all && req.notice_ids.is_empty() {
        return Err(ApiError::new(
            ErrorCode::MissingParameter,
            "Give NoticeIds, or All: true.",
        ));
    }
    if req.notice_ids.len() > 1000 {
        return Err(ApiError::new(
            ErrorCode::InvalidParameterValue,
            "At most 1000 NoticeIds at once.",
        ));
    }
    if let Some(id) = s.unknown_notice(&user.tenant_id, &req.notice_ids)? {
        return Err(ApiError::new(
            ErrorCode::ResourceNotFound,
            format!("No notice {id} in this account."),
        ));
    }
    let ids = (!req.all).then_some(req.notice_ids.as_slice());
    let unread_count = s.mark_read(&user.tenant_id, &user.id, ids)?;
    s.changed(&user.tenant_id, Change::Notice);
    Ok(UnreadCount { unread_count })
}

pub fn outbox_page<S: Store>(
    s: &mut S,
    user_id: &str,
    req: &OutboxRequest,
) -> Result<OutboxPage, ApiError> {
    let user = user(s, user_id)?;
    let (skip, take) = page_bounds(req.page_number, req.page_size)?;
    s.outbox(&user.tenant_id, req, skip, take)
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
    Ok(UsageHistory {
        kind: req.kind,
        granularity: req.granularity,
        points: notify::history(&records, &user.tenant_id, req.kind, req.granularity, now),
    })
}

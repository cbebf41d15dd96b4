//! Postpaid for real: hourly settlement debits the balance, an account
//! whose balance falls below zero is overdue (metering refused) until a
//! top-up, and the monthly budget alerts and may turn postpaid off.

use super::{account, forbidden, user};
use crate::api::*;
use crate::billing::{self, Budget, MonthSpend, TopUpKey};
use crate::model::ResourceKind;
use crate::notify::NoticeRecord;
use crate::postpaid;
use crate::reminders::{FiredKey, Notice, Threshold};
use crate::store::{Change, Store};
use crate::webhook::EventType;
use chrono::{DateTime, Utc};

/// The id account-level notices carry in place of a resource's.
pub const ACCOUNT_NOTICE_ID: &str = "postpaid";

/// Add a console notice and its webhook event.
pub fn add_notice<S: Store>(s: &mut S, n: &NoticeRecord) -> Result<(), ApiError> {
    s.add_notice(n)?;
    super::emit(
        s,
        &n.tenant_id,
        EventType::Notice,
        notice_data(n),
        n.at,
        None,
    )
}

fn notice_data(n: &NoticeRecord) -> serde_json::Value {
    serde_json::json!({
        "NoticeId": n.id,
        "Notice": n.notice,
        "ResourceId": n.resource_id,
        "ResourceName": n.resource_name,
    })
}

/// An account-level notice (budget, overdue), once per `key`.
fn account_notice<S: Store>(
    s: &mut S,
    tenant: &str,
    notice: Notice,
    period: Option<DateTime<Utc>>,
    event: EventType,
    data: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let key = FiredKey {
        resource_id: ACCOUNT_NOTICE_ID.into(),
        threshold: Threshold::Notice(notice),
        period_end: period,
    };
    if !s.mark_fired(tenant, &key)? {
        return Ok(false);
    }
    let seq = s.next_message_seq(tenant)?;
    s.add_notice(&NoticeRecord {
        id: format!("ntc-{tenant}-{seq:08}"),
        tenant_id: tenant.to_string(),
        resource_id: ACCOUNT_NOTICE_ID.into(),
        resource_name: String::new(),
        // Account-level: the kind is the one postpaid is mostly about.
        resource_kind: ResourceKind::TokenPackage,
        notice,
        at: now,
        read_by: Vec::new(),
    })?;
    super::emit(s, tenant, event, data, now, None)?;
    s.changed(tenant, Change::Notice);
    Ok(true)
}

/// Settle every closed hour of `tenant`'s postpaid usage: one bill line
/// per hour and kind, the balance debited by their sum, in the caller's
/// transaction; then the budget and the overdue state follow. An hour is
/// settled once: the store marks it, and a second run finds nothing open.
/// Returns the lines written.
pub fn settle<S: Store>(
    s: &mut S,
    tenant: &str,
    now: DateTime<Utc>,
) -> Result<Vec<billing::BillLine>, ApiError> {
    let open = s.open_hours(tenant)?;
    let lines = billing::settle_lines(&open, now);
    if lines.is_empty() {
        return Ok(lines);
    }
    let total = lines
        .iter()
        .map(|l| l.amount_cents)
        .fold(0i64, i64::saturating_add);
    s.settle_hours(tenant, &lines)?;
    let before = account(s, tenant)?.balance_cents;
    let after = before.saturating_sub(total);
    s.set_balance(tenant, after)?;
    s.changed(tenant, Change::Postpaid);
    s.changed(tenant, Change::Usage);
    if before >= 0 && after < 0 {
        // Services stop until a top-up; postpaid stays as it was (it
        // cannot be enabled while overdue). Said once per crossing.
        account_notice(
            s,
            tenant,
            Notice::AccountOverdue,
            Some(now),
            EventType::AccountOverdue,
            serde_json::json!({ "BalanceCents": after }),
            now,
        )?;
    }
    check_budget(s, tenant, now)?;
    Ok(lines)
}

/// The month's postpaid spend at `now`: settled lines, and what is drawn
/// but not settled yet, priced as it will be.
pub fn month_spend<S: Store>(
    s: &mut S,
    tenant: &str,
    now: DateTime<Utc>,
) -> Result<MonthSpend, ApiError> {
    let month = billing::month_start(now);
    let billed = s.billed_since(tenant, month)?;
    let open: Vec<_> = s
        .open_hours(tenant)?
        .into_iter()
        .filter(|h| h.hour >= month)
        .collect();
    Ok(MonthSpend::new(billed, &open, now))
}

/// Check the month's spend against the budget: each threshold reached
/// fires once a month (a notice and a webhook event); at the limit, with
/// turn-off chosen, postpaid is turned off. Called after every postpaid
/// draw and every settlement, so spending passes the budget by at most the
/// metering event that reached it.
pub fn check_budget<S: Store>(s: &mut S, tenant: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    let Some(budget) = s.budget(tenant)? else {
        return Ok(());
    };
    let spend = month_spend(s, tenant, now)?;
    for percent in billing::reached(&budget, spend.spent_cents) {
        account_notice(
            s,
            tenant,
            Notice::BudgetReached { percent },
            Some(spend.month),
            EventType::BudgetAlert,
            serde_json::json!({
                "Percent": percent,
                "SpentCents": spend.spent_cents,
                "BudgetCents": budget.amount_cents,
                "Month": spend.month,
            }),
            now,
        )?;
    }
    if budget.turn_off && billing::at_limit(&budget, spend.spent_cents) {
        let mut state = s.postpaid(tenant)?;
        let from = state.enabled;
        if postpaid::apply_change(&mut state, false, BUDGET_ACTOR, now) {
            let change = PostpaidChange {
                tenant_id: tenant.to_string(),
                at: now,
                by_user_id: BUDGET_ACTOR.into(),
                by_name: "Monthly budget".into(),
                from,
                to: false,
            };
            s.save_postpaid(tenant, &state, &change)?;
            s.changed(tenant, Change::Postpaid);
        }
    }
    Ok(())
}

/// Who turns postpaid off when the budget is reached.
pub const BUDGET_ACTOR: &str = "budget";

/// Set or remove the monthly budget (main account, or the grant). A budget
/// already reached this month takes effect at once.
pub fn modify_budget<S: Store>(
    s: &mut S,
    user_id: &str,
    req: &ModifyBudgetRequest,
    now: DateTime<Utc>,
) -> Result<PostpaidView, ApiError> {
    let user = user(s, user_id)?;
    let account = account(s, &user.tenant_id)?;
    if postpaid::may_manage(&user, &account).is_err() {
        return Err(forbidden(
            "Only the main account, or a sub-account granted Postpaid Settings, can set the budget.",
        ));
    }
    // Thresholds given are checked even when the budget is removed.
    if let Some(t) = &req.thresholds {
        if t.iter().any(|p| *p == 0 || *p > billing::MAX_THRESHOLD) {
            return Err(ApiError::new(
                ErrorCode::InvalidParameterValue,
                format!("Each threshold is 1 to {} percent.", billing::MAX_THRESHOLD),
            ));
        }
        billing::normalise_thresholds(t)
            .map_err(|m| ApiError::new(ErrorCode::InvalidParameterValue, m))?;
    }
    let budget = match req.amount_cents {
        None => None,
        Some(amount_cents) => {
            let invalid = |m: String| ApiError::new(ErrorCode::InvalidParameterValue, m);
            let b = Budget {
                amount_cents,
                thresholds: match &req.thresholds {
                    Some(t) => billing::normalise_thresholds(t).map_err(invalid)?,
                    None => billing::DEFAULT_THRESHOLDS.to_vec(),
                },
                turn_off: req.turn_off,
            };
            billing::check_budget(&b)
                .map_err(|m| ApiError::new(ErrorCode::InvalidParameterValue, m))?;
            Some(b)
        }
    };
    if s.budget(&user.tenant_id)? != budget {
        s.save_budget(&user.tenant_id, budget.as_ref())?;
        s.changed(&user.tenant_id, Change::Postpaid);
        check_budget(s, &user.tenant_id, now)?;
    }
    super::describe_postpaid(s, user_id, now)
}

/// Add money to a tenant's balance (operator only; the caller checks).
/// Idempotent by key, as metering is. A balance back at zero or more ends
/// the overdue state: metering works again, and postpaid can be enabled.
pub fn top_up<S: Store>(
    s: &mut S,
    req: &TopUpRequest,
    now: DateTime<Utc>,
) -> Result<TopUpResult, ApiError> {
    if req.idempotency_key.is_empty() || req.idempotency_key.chars().count() > 128 {
        return Err(ApiError::new(
            ErrorCode::InvalidParameterValue,
            "IdempotencyKey must be 1 to 128 characters.",
        ));
    }
    if !(1..=billing::MAX_TOP_UP_CENTS).contains(&req.amount_cents) {
        return Err(ApiError::new(
            ErrorCode::InvalidParameterValue,
            "AmountCents must be from 1 to 1,000,000,000.",
        ));
    }
    let t = &req.tenant_id;
    if let Some(done) = s.top_up_key(t, &req.idempotency_key)? {
        if done.amount_cents != req.amount_cents {
            return Err(ApiError::new(
                ErrorCode::FailedOperation,
                format!(
                    "IdempotencyKey {} was already used for a top-up of {} cents; use a new key.",
                    req.idempotency_key, done.amount_cents
                ),
            ));
        }
        return Ok(TopUpResult {
            balance_cents: done.balance_after_cents,
            overdue: done.balance_after_cents < 0,
        });
    }
    let before = account(s, t)?.balance_cents;
    let after = before.saturating_add(req.amount_cents);
    s.set_balance(t, after)?;
    s.save_top_up_key(
        t,
        &req.idempotency_key,
        &TopUpKey {
            amount_cents: req.amount_cents,
            balance_after_cents: after,
        },
        now,
    )?;
    s.changed(t, Change::Postpaid);
    s.changed(t, Change::Usage);
    if before < 0 && after >= 0 {
        account_notice(
            s,
            t,
            Notice::ServiceRestored,
            Some(now),
            EventType::AccountRestored,
            serde_json::json!({ "BalanceCents": after }),
            now,
        )?;
    }
    Ok(TopUpResult {
        balance_cents: after,
        overdue: after < 0,
    })
}

/// One page of settled bill lines, the newest hour first.
pub fn bills<S: Store>(s: &mut S, user_id: &str, req: &BillsRequest) -> Result<BillPage, ApiError> {
    let user = user(s, user_id)?;
    let (skip, take) = page_bounds(req.page_number, req.page_size)?;
    s.bills(&user.tenant_id, req, skip, take)
}

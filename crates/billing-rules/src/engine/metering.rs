//! Metering: idempotent usage reports drawn in deduction order.

use super::{account, save};
use crate::api::*;
use crate::deduction::{self, Deduction, DeductionError};
use crate::model::Metering;
use crate::notify::UsageRecord;
use crate::store::{Change, Store, UsageKey};
use chrono::{DateTime, Utc};

/// Meter usage for a tenant (operator only; the caller checks that). A
/// retried idempotency key returns the first outcome and deducts nothing; the
/// same key with another request is refused.
pub fn report_usage<S: Store>(
    s: &mut S,
    req: &ReportUsageRequest,
    now: DateTime<Utc>,
) -> Result<Deduction, ApiError> {
    if req.idempotency_key.is_empty() || req.idempotency_key.chars().count() > 128 {
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
        s.add_deductions(&deduction::entries(
            t,
            &req.idempotency_key,
            req.kind,
            req.amount,
            &candidates,
            &d,
            now,
        ))?;
        for draw in &d.draws {
            if let Some(before) = candidates.iter().find(|r| r.id == draw.resource_id) {
                let mut after = before.clone();
                after.used = after.used.saturating_add(draw.amount);
                save(s, before, &after, now)?;
            }
        }
        if d.postpaid > 0 {
            s.add_postpaid_units(t, req.kind, now, d.postpaid)?;
            // The month's spend moved: alert, or turn postpaid off, now
            // rather than at settlement.
            super::check_budget(s, t, now)?;
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
    if req.kind.is_package() {
        // The pace moved: a package may now run out within the week.
        super::fire_running_out(s, t, req.kind, now)?;
    }
    s.changed(t, Change::Usage);
    Ok(d)
}

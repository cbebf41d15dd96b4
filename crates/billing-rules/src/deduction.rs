//! The order in which usage is drawn: free trial packages first, then
//! purchased packages (soonest expiry first), then postpaid if enabled.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{Resource, ResourceKind, Source};
use crate::status::is_drawable;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Draw {
    pub resource_id: String,
    pub amount: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Deduction {
    pub draws: Vec<Draw>,
    /// The part billed postpaid.
    pub postpaid: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DeductionError {
    /// Only usage-based packages are drawn from.
    NotConsumable(ResourceKind),
    /// Packages cannot cover the amount and postpaid is off: the service stops.
    Insufficient { available: u64, requested: u64 },
    /// An overdue account cannot use services.
    Overdue,
}

/// The order resources of `kind` are drawn from at `now` (drawable only).
pub fn draw_order(
    resources: &[Resource],
    kind: ResourceKind,
    now: DateTime<Utc>,
) -> Vec<&Resource> {
    let mut v: Vec<&Resource> = resources
        .iter()
        .filter(|r| r.kind == kind && is_drawable(r, now))
        .collect();
    v.sort_by(|a, b| order_key(a).cmp(&order_key(b)));
    v
}

/// A package's place in the deduction order (compare to sort).
pub fn order_key(r: &Resource) -> (bool, DateTime<Utc>, &str) {
    (r.source != Source::FreeTrial, r.expires_at, r.id.as_str())
}

/// Plan the deduction of `amount` units of `kind`. Nothing is changed; apply
/// the draws with [`apply`]. With postpaid off, an amount the packages cannot
/// cover is refused whole (nothing is drawn).
pub fn plan(
    resources: &[Resource],
    kind: ResourceKind,
    amount: u64,
    postpaid_enabled: bool,
    overdue: bool,
    now: DateTime<Utc>,
) -> Result<Deduction, DeductionError> {
    if !kind.is_package() {
        return Err(DeductionError::NotConsumable(kind));
    }
    if overdue {
        return Err(DeductionError::Overdue);
    }
    let mut left = amount;
    let mut draws = Vec::new();
    let mut available: u64 = 0;
    for r in draw_order(resources, kind, now) {
        available = available.saturating_add(r.remaining());
        if left == 0 {
            continue;
        }
        let take = left.min(r.remaining());
        draws.push(Draw {
            resource_id: r.id.clone(),
            amount: take,
        });
        left -= take;
    }
    if left > 0 && !postpaid_enabled {
        return Err(DeductionError::Insufficient {
            available,
            requested: amount,
        });
    }
    Ok(Deduction {
        draws,
        postpaid: left,
    })
}

/// Apply planned draws to the resources.
pub fn apply(resources: &mut [Resource], d: &Deduction) {
    for draw in &d.draws {
        if let Some(r) = resources.iter_mut().find(|r| r.id == draw.resource_id) {
            r.used = r.used.saturating_add(draw.amount);
        }
    }
}

/// Which pool paid for a part of a metering event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Pool {
    FreeTrial,
    Purchased,
    Postpaid,
}

impl Pool {
    pub const ALL: [Pool; 3] = [Pool::FreeTrial, Pool::Purchased, Pool::Postpaid];

    pub fn of(source: Source) -> Pool {
        match source {
            Source::FreeTrial => Pool::FreeTrial,
            Source::Purchased => Pool::Purchased,
        }
    }
}

/// One line of the deduction ledger: one package's draw of a metering
/// event, or the event's postpaid part. Written in the same transaction as
/// the deduction itself, so a package's lines always add up to its usage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct DeductionEntry {
    pub tenant_id: String,
    pub at: DateTime<Utc>,
    /// The metering event's idempotency key: an operator traces a charge by it.
    pub idempotency_key: String,
    pub kind: ResourceKind,
    pub pool: Pool,
    /// The package drawn from; None for the postpaid part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
    pub amount: u64,
    /// The package's remaining quota before and after this draw (None for
    /// the postpaid part).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_before: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_after: Option<u64>,
    /// The whole amount the event reported.
    pub event_amount: u64,
}

/// The ledger lines of one metering event: a line per draw (from the
/// packages as they were before it), then the postpaid part if any.
pub fn entries(
    tenant: &str,
    key: &str,
    kind: ResourceKind,
    amount: u64,
    before: &[Resource],
    d: &Deduction,
    at: DateTime<Utc>,
) -> Vec<DeductionEntry> {
    let line = |pool, r: Option<&Resource>, n: u64| DeductionEntry {
        tenant_id: tenant.to_string(),
        at,
        idempotency_key: key.to_string(),
        kind,
        pool,
        resource_id: r.map(|r| r.id.clone()),
        resource_name: r.map(|r| r.name.clone()),
        amount: n,
        remaining_before: r.map(|r| r.remaining()),
        remaining_after: r.map(|r| r.remaining().saturating_sub(n)),
        event_amount: amount,
    };
    let mut out: Vec<DeductionEntry> = d
        .draws
        .iter()
        .filter_map(|draw| {
            let r = before.iter().find(|r| r.id == draw.resource_id)?;
            Some(line(Pool::of(r.source), Some(r), draw.amount))
        })
        .collect();
    if d.postpaid > 0 {
        out.push(line(Pool::Postpaid, None, d.postpaid));
    }
    out
}

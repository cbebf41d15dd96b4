//! Console notices and subscription reminders, each fired once per resource.
//!
//! A threshold is *due* when its condition holds for a resource at an
//! instant. Conditions are monotonic as usage grows and time passes, so
//! "crossed between two states" is `due(after) \ due(before)`, and "fire once"
//! is `due(now) \ already_fired`. Time-based thresholds are keyed by the
//! expiry instant they warn about, so renewing a prepaid resource re-arms
//! them for the new period; usage thresholds fire once per resource.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::expiry::DAY_SECS;
use crate::model::Resource;
use crate::usage::{alert_level, AlertLevel};

/// Console notices (Notification Center and page banners).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Notice {
    /// Usage above 90%.
    NearlyExhausted,
    /// Usage at 100%.
    Exhausted,
    /// 30, 7 or 1 day(s) before expiration.
    #[serde(rename_all = "PascalCase")]
    ExpiringSoon {
        days: u8,
    },
    Expired,
    /// Forecast to run out within 7 days at the recent pace, before it
    /// expires (once per package).
    RunningOut,
    /// The month's postpaid spend reached this percent of the budget (once
    /// per threshold and month; account-level).
    #[serde(rename_all = "PascalCase")]
    BudgetReached {
        percent: u8,
    },
    /// Settlement took the balance below zero: services stop
    /// (account-level).
    AccountOverdue,
    /// A top-up ended the overdue state (account-level).
    ServiceRestored,
}

impl Notice {
    /// About the account (postpaid), not about one resource.
    pub fn is_account_level(self) -> bool {
        matches!(
            self,
            Notice::BudgetReached { .. } | Notice::AccountOverdue | Notice::ServiceRestored
        )
    }
}

/// Tencent Cloud subscription reminders (in-site message, SMS, email).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Reminder {
    /// Remaining quota dropped to 10%, 5% or 1% (packages only).
    #[serde(rename_all = "PascalCase")]
    RemainingPercent { percent: u8 },
    /// 7, 5, 3 or 1 day(s) before expiration.
    #[serde(rename_all = "PascalCase")]
    DaysBeforeExpiry { days: u8 },
}

pub const NOTICE_EXPIRY_DAYS: [u8; 3] = [30, 7, 1];
pub const REMINDER_REMAINING_PERCENTS: [u8; 3] = [10, 5, 1];
pub const REMINDER_EXPIRY_DAYS: [u8; 4] = [7, 5, 3, 1];

/// A threshold of either family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Threshold {
    Notice(Notice),
    Reminder(Reminder),
}

impl Threshold {
    fn is_time_based(self) -> bool {
        matches!(
            self,
            Threshold::Notice(Notice::ExpiringSoon { .. } | Notice::Expired)
                | Threshold::Reminder(Reminder::DaysBeforeExpiry { .. })
        )
    }
}

/// What identifies a fired threshold for one resource.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FiredKey {
    pub resource_id: String,
    pub threshold: Threshold,
    /// For time-based thresholds: the expiry instant warned about.
    pub period_end: Option<DateTime<Utc>>,
}

/// The thresholds already fired, per resource.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Fired(pub BTreeSet<FiredKey>);

/// The key a threshold fires under for `r` (once per key).
pub fn key(r: &Resource, t: Threshold) -> FiredKey {
    FiredKey {
        resource_id: r.id.clone(),
        threshold: t,
        period_end: t.is_time_based().then_some(r.expires_at),
    }
}

/// A resource that has not yet taken effect, or was refunded, warns of nothing.
fn watched(r: &Resource, now: DateTime<Utc>) -> bool {
    !r.refunded && now >= r.effective_at
}

fn within_days(r: &Resource, now: DateTime<Utc>, days: u8) -> bool {
    r.expires_at - now <= Duration::seconds(days as i64 * DAY_SECS)
}

/// The instants at which time alone can change what is due for `r`, or its
/// status: taking effect, each expiry threshold, expiry.
fn instants(r: &Resource) -> impl Iterator<Item = DateTime<Utc>> + '_ {
    let days = NOTICE_EXPIRY_DAYS
        .iter()
        .chain(REMINDER_EXPIRY_DAYS.iter())
        .map(move |d| r.expires_at - Duration::seconds(*d as i64 * DAY_SECS));
    std::iter::once(r.effective_at)
        .chain(days)
        .chain(std::iter::once(r.expires_at))
}

/// The next instant after `now` at which time changes `r`'s status or
/// makes a threshold due; None once nothing more can happen by time alone.
/// Between `now` and that instant, [`due`] and the status stay as they are
/// at `now` (for unchanged usage), so a store need only revisit a resource
/// when its next due instant has come.
pub fn next_due(r: &Resource, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if r.refunded {
        return None;
    }
    instants(r).filter(|t| *t > now).min()
}

/// The first instant anything time-driven happens to `r` (for a resource
/// stored without having been looked at yet).
pub fn first_due(r: &Resource) -> Option<DateTime<Utc>> {
    if r.refunded {
        return None;
    }
    instants(r).min()
}

/// Console notices whose condition holds for `r` at `now`.
pub fn due_notices(r: &Resource, now: DateTime<Utc>) -> Vec<Notice> {
    let mut out = Vec::new();
    if !watched(r, now) {
        return out;
    }
    if r.kind.can_run_out() {
        match alert_level(r.used, r.total) {
            AlertLevel::Exhausted => out.extend([Notice::NearlyExhausted, Notice::Exhausted]),
            AlertLevel::NearlyExhausted => out.push(Notice::NearlyExhausted),
            AlertLevel::Normal => {}
        }
    }
    for d in NOTICE_EXPIRY_DAYS {
        if within_days(r, now, d) {
            out.push(Notice::ExpiringSoon { days: d });
        }
    }
    if now >= r.expires_at {
        out.push(Notice::Expired);
    }
    out
}

/// Subscription reminders whose condition holds for `r` at `now`.
pub fn due_reminders(r: &Resource, now: DateTime<Utc>) -> Vec<Reminder> {
    let mut out = Vec::new();
    if !watched(r, now) {
        return out;
    }
    if r.kind.is_package() {
        for p in REMINDER_REMAINING_PERCENTS {
            // remaining / total <= p%
            if r.remaining() as u128 * 100 <= r.total as u128 * p as u128 {
                out.push(Reminder::RemainingPercent { percent: p });
            }
        }
    }
    for d in REMINDER_EXPIRY_DAYS {
        if within_days(r, now, d) {
            out.push(Reminder::DaysBeforeExpiry { days: d });
        }
    }
    out
}

/// Every threshold due for `r` at `now`, in the order they are crossed.
pub fn due(r: &Resource, now: DateTime<Utc>) -> Vec<Threshold> {
    due_notices(r, now)
        .into_iter()
        .map(Threshold::Notice)
        .chain(due_reminders(r, now).into_iter().map(Threshold::Reminder))
        .collect()
}

/// Thresholds newly crossed by a change from `before` to `after` (usage
/// reported, time passing, or both). Each threshold crossed appears once.
pub fn newly_crossed(
    before: (&Resource, DateTime<Utc>),
    after: (&Resource, DateTime<Utc>),
) -> Vec<Threshold> {
    let was: BTreeSet<Threshold> = due(before.0, before.1).into_iter().collect();
    due(after.0, after.1)
        .into_iter()
        .filter(|t| !was.contains(t) || key(before.0, *t) != key(after.0, *t))
        .collect()
}

/// Fire what is due for `r` at `now` and has not fired yet; records it in
/// `fired` so that it never fires again.
pub fn fire(fired: &mut Fired, r: &Resource, now: DateTime<Utc>) -> Vec<Threshold> {
    due(r, now)
        .into_iter()
        .filter(|t| fired.0.insert(key(r, *t)))
        .collect()
}

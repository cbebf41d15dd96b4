//! The notification engine's records: console notices (Notification
//! Center), the subscription reminder outbox, usage records for history,
//! and the next reminder each resource will send. Firing uses
//! [`crate::reminders`], so each threshold fires once per resource.

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::{Deserialize, Serialize};

use crate::expiry::DAY_SECS;
use crate::model::{Resource, ResourceKind};
use crate::reminders::{
    due_reminders, Notice, Reminder, REMINDER_EXPIRY_DAYS, REMINDER_REMAINING_PERCENTS,
};

/// A console notice, as the Notification Center lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct NoticeRecord {
    pub id: String,
    pub tenant_id: String,
    pub resource_id: String,
    pub resource_name: String,
    pub resource_kind: ResourceKind,
    pub notice: Notice,
    pub at: DateTime<Utc>,
    /// Users who have read it.
    #[serde(default)]
    pub read_by: Vec<String>,
}

/// Where a subscription reminder is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Channel {
    InSiteMessage,
    Sms,
    Email,
}

/// A subscription reminder waiting in the outbox (delivery is elsewhere).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct OutboxMessage {
    pub id: String,
    pub tenant_id: String,
    pub resource_id: String,
    pub resource_name: String,
    pub reminder: Reminder,
    pub channels: Vec<Channel>,
    pub at: DateTime<Utc>,
}

pub const CHANNELS: [Channel; 3] = [Channel::InSiteMessage, Channel::Sms, Channel::Email];

/// One metering record: usage drawn (packages) or a concurrency peak observed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct UsageRecord {
    pub tenant_id: String,
    pub kind: ResourceKind,
    pub amount: u64,
    pub at: DateTime<Utc>,
}

/// The next reminder a resource will send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct NextReminder {
    pub reminder: Reminder,
    /// When it is due, for reminders by date; None for reminders by usage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
}

/// The soonest reminder not yet due for `r`: by date, else by usage.
pub fn next_reminder(r: &Resource, now: DateTime<Utc>) -> Option<NextReminder> {
    if r.refunded || now >= r.expires_at {
        return None;
    }
    let due = due_reminders(r, now);
    let by_date = REMINDER_EXPIRY_DAYS
        .iter()
        .map(|d| Reminder::DaysBeforeExpiry { days: *d })
        .find(|t| !due.contains(t))
        .map(|t| {
            let Reminder::DaysBeforeExpiry { days } = t else {
                unreachable!()
            };
            NextReminder {
                reminder: t,
                at: Some(r.expires_at - Duration::seconds(days as i64 * DAY_SECS)),
            }
        });
    let by_usage = r
        .kind
        .is_package()
        .then(|| {
            REMINDER_REMAINING_PERCENTS
                .iter()
                .map(|p| Reminder::RemainingPercent { percent: *p })
                .find(|t| !due.contains(t))
        })
        .flatten()
        .map(|t| NextReminder {
            reminder: t,
            at: None,
        });
    by_usage.into_iter().chain(by_date).next()
}

/// Points `{X, Y}` as the platform's graph actions return them: X is the
/// bucket start in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Point {
    pub x: i64,
    pub y: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Granularity {
    /// Per day, the last 30 days.
    Day,
    /// Per hour, the last 48 hours.
    Hour,
}

/// Usage per bucket: summed for packages, the peak for concurrency. Every
/// bucket of the window is present (zero when nothing was recorded).
pub fn history(
    records: &[UsageRecord],
    tenant: &str,
    kind: ResourceKind,
    g: Granularity,
    now: DateTime<Utc>,
) -> Vec<Point> {
    let (step, count) = match g {
        Granularity::Day => (Duration::days(1), 30),
        Granularity::Hour => (Duration::hours(1), 48),
    };
    let last = now.duration_trunc(step).unwrap_or(now);
    let first = last - step * (count - 1);
    let mut ys = vec![0u64; count as usize];
    for r in records
        .iter()
        .filter(|r| r.tenant_id == tenant && r.kind == kind && r.at >= first && r.at < last + step)
    {
        let i = ((r.at - first).num_seconds() / step.num_seconds()) as usize;
        if let Some(y) = ys.get_mut(i) {
            *y = if kind == ResourceKind::ConcurrencyQuota {
                (*y).max(r.amount)
            } else {
                y.saturating_add(r.amount)
            };
        }
    }
    ys.into_iter()
        .enumerate()
        .map(|(i, y)| Point {
            x: (first + step * i as i32).timestamp(),
            y,
        })
        .collect()
}

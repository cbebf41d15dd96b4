//! Time left and expiry badges, computed from exact instants (never from
//! calendar days in some local zone).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

pub const DAY_SECS: i64 = 86_400;

/// The badge shown beside an expiration time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ExpiryBadge {
    /// More than 30 days left.
    None,
    /// More than 7 and at most 30 days left.
    Within30 {
        days: u32,
    },
    /// More than 1 and at most 7 days left.
    Within7 {
        days: u32,
    },
    /// At most one day (24 hours) left: "Expires today".
    Within1 {
        hours: u32,
    },
    Expired,
}

/// Exact time left; negative once expired.
pub fn time_left(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    expires_at - now
}

/// Whole days left, rounded up: 29 days and 1 second left reads "30 days".
/// Zero once expired.
pub fn days_left(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> u32 {
    let secs = time_left(expires_at, now).num_seconds();
    if secs <= 0 {
        0
    } else {
        ((secs + DAY_SECS - 1) / DAY_SECS) as u32
    }
}

pub fn badge(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> ExpiryBadge {
    let secs = time_left(expires_at, now).num_seconds();
    if secs <= 0 {
        ExpiryBadge::Expired
    } else if secs <= DAY_SECS {
        ExpiryBadge::Within1 {
            hours: ((secs + 3599) / 3600) as u32,
        }
    } else if secs <= 7 * DAY_SECS {
        ExpiryBadge::Within7 {
            days: days_left(expires_at, now),
        }
    } else if secs <= 30 * DAY_SECS {
        ExpiryBadge::Within30 {
            days: days_left(expires_at, now),
        }
    } else {
        ExpiryBadge::None
    }
}

//! Resource status at an instant.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::Resource;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Status {
    NotYetEffective,
    Available,
    Exhausted,
    Expired,
    Refunded,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Available,
        Status::Exhausted,
        Status::Expired,
        Status::NotYetEffective,
        Status::Refunded,
    ];

    /// The list shows "Available" by default, as the product page says.
    pub const DEFAULT_FILTER: Status = Status::Available;

    pub fn slug(self) -> &'static str {
        match self {
            Status::NotYetEffective => "not-yet-effective",
            Status::Available => "available",
            Status::Exhausted => "exhausted",
            Status::Expired => "expired",
            Status::Refunded => "refunded",
        }
    }

    pub fn from_slug(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.slug() == s)
    }
}

/// The status of `r` at `now`. Precedence: refunded, expired, not yet
/// effective, exhausted (packages only: a prepaid quota at its ceiling is
/// still in force), available.
pub fn status(r: &Resource, now: DateTime<Utc>) -> Status {
    if r.refunded {
        Status::Refunded
    } else if now >= r.expires_at {
        Status::Expired
    } else if now < r.effective_at {
        Status::NotYetEffective
    } else if r.kind.is_package() && r.used >= r.total {
        Status::Exhausted
    } else {
        Status::Available
    }
}

/// Whether usage may be drawn from `r` at `now`.
pub fn is_drawable(r: &Resource, now: DateTime<Utc>) -> bool {
    status(r, now) == Status::Available && r.remaining() > 0
}

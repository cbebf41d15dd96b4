//! Knowledge isolation: when capacity falls below what is stored, the
//! knowledge that exceeds the limit is isolated ("invalid: over quota")
//! until the user buys capacity and restores it by hand.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{Resource, ResourceKind};
use crate::status::{status, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum KnowledgeItemKind {
    Document,
    QaPair,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum KnowledgeState {
    Active,
    /// Over quota: not served until restored.
    Isolated,
    /// Restored by hand after capacity was added.
    Restored,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct KnowledgeItem {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub kind: KnowledgeItemKind,
    pub chars: u64,
    pub created_at: DateTime<Utc>,
    pub state: KnowledgeState,
}

impl KnowledgeItem {
    pub fn counts(&self) -> bool {
        self.state != KnowledgeState::Isolated
    }
}

/// Characters of capacity in force at `now`: the sum of available
/// knowledge-capacity resources.
pub fn capacity<'a>(resources: impl IntoIterator<Item = &'a Resource>, now: DateTime<Utc>) -> u64 {
    resources
        .into_iter()
        .filter(|r| {
            r.kind == ResourceKind::KnowledgeCapacity && status(r, now) == Status::Available
        })
        .map(|r| r.total)
        .sum()
}

/// How the stored characters fill the capacity resources in force: the
/// one expiring first fills first (it is the one whose end isolates). Each
/// in-force resource's characters used, by id; the rest hold none.
pub fn capacity_used<'a>(
    stored: u64,
    resources: impl IntoIterator<Item = &'a Resource>,
    now: DateTime<Utc>,
) -> Vec<(String, u64)> {
    let mut in_force: Vec<&Resource> = resources
        .into_iter()
        .filter(|r| {
            r.kind == ResourceKind::KnowledgeCapacity && status(r, now) == Status::Available
        })
        .collect();
    in_force.sort_by(|a, b| (a.expires_at, &a.id).cmp(&(b.expires_at, &b.id)));
    let mut left = stored;
    in_force
        .into_iter()
        .map(|r| {
            let used = left.min(r.total);
            left -= used;
            (r.id.clone(), used)
        })
        .collect()
}

/// Characters stored and counted against capacity (isolated items do not count).
pub fn stored_chars(items: &[KnowledgeItem]) -> u64 {
    items.iter().filter(|i| i.counts()).map(|i| i.chars).sum()
}

pub fn isolated_chars(items: &[KnowledgeItem]) -> u64 {
    items.iter().filter(|i| !i.counts()).map(|i| i.chars).sum()
}

/// The items to isolate so that what remains fits `capacity`: the oldest
/// knowledge is kept, the newest that exceeds the limit is isolated.
pub fn to_isolate(items: &[KnowledgeItem], capacity: u64) -> Vec<String> {
    let mut kept: Vec<&KnowledgeItem> = items.iter().filter(|i| i.counts()).collect();
    kept.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    let mut sum = 0u64;
    let mut out = Vec::new();
    for i in kept {
        if sum.saturating_add(i.chars) <= capacity {
            sum += i.chars;
        } else {
            out.push(i.id.clone());
        }
    }
    out
}

/// Why restoring is not possible now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RestoreRefusal {
    NothingIsolated,
    /// Even the smallest isolated item does not fit in the free capacity.
    InsufficientCapacity {
        free: u64,
        needed: u64,
    },
}

/// May `user` restore isolated knowledge? A state change, so like the
/// others it needs the main account or a sub-account granted "Postpaid
/// Settings" (sub-accounts are otherwise read-only).
pub fn may_restore(user: &crate::model::User) -> Result<(), crate::api::ApiError> {
    if user.is_main() || user.postpaid_permission {
        Ok(())
    } else {
        Err(crate::api::ApiError::new(
            crate::api::ErrorCode::UnauthorizedOperation,
            "Only the main account, or a sub-account granted Postpaid Settings, can restore isolated knowledge.",
        ))
    }
}

/// The isolated items that fit the free capacity, oldest first. Refused when
/// none does.
pub fn restore_plan(items: &[KnowledgeItem], capacity: u64) -> Result<Vec<String>, RestoreRefusal> {
    let mut isolated: Vec<&KnowledgeItem> = items.iter().filter(|i| !i.counts()).collect();
    if isolated.is_empty() {
        return Err(RestoreRefusal::NothingIsolated);
    }
    isolated.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    let free = capacity.saturating_sub(stored_chars(items));
    let mut left = free;
    let mut out = Vec::new();
    for i in &isolated {
        if i.chars <= left {
            left -= i.chars;
            out.push(i.id.clone());
        }
    }
    if out.is_empty() {
        let needed = isolated.iter().map(|i| i.chars).min().unwrap_or(0);
        return Err(RestoreRefusal::InsufficientCapacity { free, needed });
    }
    Ok(out)
}

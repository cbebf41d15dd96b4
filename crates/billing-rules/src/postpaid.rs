//! Postpaid settings: who may switch it, and when.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{Account, User};

/// Enabling is allowed at most once per rolling hour since the last enable.
pub const ENABLE_COOLDOWN_SECS: i64 = 3600;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct PostpaidState {
    pub enabled: bool,
    /// When it was last enabled (the cooldown runs from here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_enabled_at: Option<DateTime<Utc>>,
    /// When and by whom the state was last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_by: Option<String>,
}

/// Why a change is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Refusal {
    /// A sub-account without the "Postpaid Settings" permission.
    NotPermitted,
    /// The account is overdue: enabling is refused.
    Overdue { balance_cents: i64 },
    /// Enabled less than an hour ago.
    Cooldown { next_allowed_at: DateTime<Utc> },
    /// Other tenant's user.
    WrongTenant,
}

/// The instant enabling is next allowed, if it is not allowed now.
pub fn next_enable_at(state: &PostpaidState, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let next = state.last_enabled_at? + Duration::seconds(ENABLE_COOLDOWN_SECS);
    (now < next).then_some(next)
}

/// May `user` change postpaid at all (regardless of direction or time)?
pub fn may_manage(user: &User, account: &Account) -> Result<(), Refusal> {
    if user.tenant_id != account.tenant_id {
        Err(Refusal::WrongTenant)
    } else if user.is_main() || user.postpaid_permission {
        Ok(())
    } else {
        Err(Refusal::NotPermitted)
    }
}

/// May `user` set postpaid to `enable` at `now`? Disabling is never blocked
/// for a permitted user. Any enable request within an hour of the last
/// enable is refused (even if postpaid is already on), so that "once per
/// hour" holds however many requests race; enabling is refused while
/// overdue. Enabling an already-enabled setting after the hour changes
/// nothing and is allowed.
pub fn check_change(
    user: &User,
    account: &Account,
    state: &PostpaidState,
    enable: bool,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    may_manage(user, account)?;
    if !enable {
        return Ok(());
    }
    if let Some(next_allowed_at) = next_enable_at(state, now) {
        return Err(Refusal::Cooldown { next_allowed_at });
    }
    if !state.enabled && account.is_overdue() {
        return Err(Refusal::Overdue {
            balance_cents: account.balance_cents,
        });
    }
    Ok(())
}

/// Apply an allowed change; returns whether anything changed.
pub fn apply_change(state: &mut PostpaidState, enable: bool, by: &str, now: DateTime<Utc>) -> bool {
    if state.enabled == enable {
        return false;
    }
    state.enabled = enable;
    if enable {
        state.last_enabled_at = Some(now);
    }
    state.changed_at = Some(now);
    state.changed_by = Some(by.to_string());
    true
}

//! Postpaid settings and the sub-account permission that guards them.

use super::{account, forbidden, user};
use crate::api::*;
use crate::model::{Role, User};
use crate::postpaid;
use crate::store::{Change, Store};
use chrono::{DateTime, Utc};

pub fn describe_postpaid<S: Store>(
    s: &mut S,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<PostpaidView, ApiError> {
    let user = user(s, user_id)?;
    let t = &user.tenant_id;
    let state = s.postpaid(t)?;
    let changed_by_name = match &state.changed_by {
        Some(id) if id == super::BUDGET_ACTOR => Some("Monthly budget".to_string()),
        Some(id) => s.user(id)?.filter(|u| &u.tenant_id == t).map(|u| u.name),
        None => None,
    };
    let budget = s.budget(t)?;
    let month = super::month_spend(s, t, now)?;
    let fired_thresholds = budget
        .as_ref()
        .map(|b| crate::billing::reached(b, month.spent_cents))
        .unwrap_or_default();
    Ok(PostpaidView {
        state,
        changed_by_name,
        account: account(s, t)?,
        history: s.postpaid_history(t, 20)?,
        forecasts: super::kind_forecasts(s, t, now)?,
        budget,
        month,
        fired_thresholds,
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

//! Every action's meaning, written once over a [`Store`]. The mock store
//! (in memory) and the server (one database transaction per request) run
//! the same path: [`advance`] the tenant to now, apply the action (which
//! fires what it made due), and the caller commits.

mod billing;
mod capacity;
mod forecasting;
mod listing;
mod metering;
mod notices;
mod settings;
mod webhooks;

pub use billing::*;
pub use capacity::*;
pub use forecasting::*;
pub use listing::*;
pub use metering::*;
pub use notices::*;
pub use settings::*;
pub use webhooks::*;

use crate::api::*;
use crate::knowledge::{self, KnowledgeState};
use crate::model::{Resource, ResourceKind, User};
use crate::notify::{NoticeRecord, OutboxMessage, CHANNELS};
use crate::reminders::{self, Threshold};
use crate::status::status;
use crate::store::{Change, Store};
use chrono::{DateTime, Utc};

/// Renewal price in cents (see [`ResourceKind::renewal_price_cents`]).
pub fn renewal_price_cents(kind: ResourceKind, total: u64, months: u32) -> Option<i64> {
    kind.renewal_price_cents(total, months)
}

pub(crate) fn forbidden(msg: &str) -> ApiError {
    ApiError::new(ErrorCode::UnauthorizedOperation, msg)
}

pub(crate) fn unknown_user() -> ApiError {
    ApiError::new(
        ErrorCode::AuthFailureUnauthorizedOperation,
        "Unknown user; sign in again.",
    )
}

/// The signed-in user, or AuthFailure.
pub fn user<S: Store>(s: &mut S, user_id: &str) -> Result<User, ApiError> {
    s.user(user_id)?.ok_or_else(unknown_user)
}

pub(crate) fn account<S: Store>(
    s: &mut S,
    tenant: &str,
) -> Result<crate::model::Account, ApiError> {
    s.account(tenant)?
        .ok_or_else(|| ApiError::new(ErrorCode::ResourceNotFound, "Unknown account."))
}

/// Fire every threshold due for `r` at `now` that has not fired yet:
/// console notices into the Notification Center, subscription reminders
/// into the outbox. Returns how many fired.
pub fn fire<S: Store>(s: &mut S, r: &Resource, now: DateTime<Utc>) -> Result<usize, ApiError> {
    fire_these(s, r, reminders::due(r, now), now)
}

fn fire_these<S: Store>(
    s: &mut S,
    r: &Resource,
    thresholds: Vec<Threshold>,
    now: DateTime<Utc>,
) -> Result<usize, ApiError> {
    let mut n = 0;
    for t in thresholds {
        if !s.mark_fired(&r.tenant_id, &reminders::key(r, t))? {
            continue;
        }
        n += 1;
        let seq = s.next_message_seq(&r.tenant_id)?;
        match t {
            Threshold::Notice(notice) => add_notice(
                s,
                &NoticeRecord {
                    id: format!("ntc-{}-{seq:08}", r.tenant_id),
                    tenant_id: r.tenant_id.clone(),
                    resource_id: r.id.clone(),
                    resource_name: r.name.clone(),
                    resource_kind: r.kind,
                    notice,
                    at: now,
                    read_by: Vec::new(),
                },
            )?,
            Threshold::Reminder(reminder) => {
                let m = OutboxMessage {
                    id: format!("msg-{}-{seq:08}", r.tenant_id),
                    tenant_id: r.tenant_id.clone(),
                    resource_id: r.id.clone(),
                    resource_name: r.name.clone(),
                    reminder,
                    channels: CHANNELS.to_vec(),
                    at: now,
                };
                s.add_outbox(&m)?;
                let data = serde_json::json!({
                    "MessageId": m.id,
                    "Reminder": m.reminder,
                    "ResourceId": m.resource_id,
                    "ResourceName": m.resource_name,
                });
                emit(
                    s,
                    &r.tenant_id,
                    crate::webhook::EventType::Reminder,
                    data,
                    now,
                    None,
                )?;
            }
        }
    }
    if n > 0 {
        s.changed(&r.tenant_id, Change::Notice);
    }
    Ok(n)
}

/// Store a change an action made to `before` (read at `now`, after its
/// tenant was brought up to date) and fire what the change made due: only
/// thresholds it newly crossed can be new, since everything due before it
/// has fired already.
pub(crate) fn save<S: Store>(
    s: &mut S,
    before: &Resource,
    after: &Resource,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    s.save_resource(after, Some(status(before, now)), now)?;
    fire_these(
        s,
        after,
        reminders::newly_crossed((before, now), (after, now)),
        now,
    )?;
    s.changed(&after.tenant_id, Change::Usage);
    Ok(())
}

/// Let time pass to `now` for one tenant: every resource whose next due
/// instant has come gets its status brought up to date and its due
/// thresholds fired; knowledge over the capacity then in force is isolated.
/// Only due resources are read. Returns how many resources were due.
pub fn advance<S: Store>(s: &mut S, tenant: &str, now: DateTime<Utc>) -> Result<usize, ApiError> {
    let mut due = s.due_resources(tenant, now)?;
    // One order for every store, so notices are numbered alike everywhere.
    due.sort_by(|a, b| a.id.cmp(&b.id));
    let mut capacity_changed = false;
    for r in &due {
        s.save_resource(r, None, now)?;
        fire(s, r, now)?;
        capacity_changed |= r.kind == ResourceKind::KnowledgeCapacity;
    }
    if !due.is_empty() {
        s.changed(tenant, Change::Usage);
    }
    if capacity_changed {
        isolate(s, tenant, now)?;
    }
    Ok(due.len())
}

/// Bring one tenant up to `now`: time-driven rules ([`advance`]), then the
/// settlement of every postpaid hour that has closed ([`settle`]). Every
/// request's path (and the server's sweep) runs this first, so what a user
/// sees never waits for the sweep.
pub fn catch_up<S: Store>(s: &mut S, tenant: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    advance(s, tenant, now)?;
    settle(s, tenant, now)?;
    Ok(())
}

/// Isolate the knowledge that exceeds the capacity in force.
pub fn isolate<S: Store>(s: &mut S, tenant: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    let cap = knowledge::capacity(&s.knowledge_capacity(tenant, now)?, now);
    let ids = knowledge::to_isolate(&s.knowledge(tenant)?, cap);
    if !ids.is_empty() {
        s.set_knowledge_state(tenant, &ids, KnowledgeState::Isolated)?;
        s.changed(tenant, Change::Usage);
    }
    Ok(())
}

//! Knowledge capacity: what is stored against it, what is isolated, and
//! restoring by hand.

use super::user;
use crate::api::*;
use crate::knowledge::{self, KnowledgeItemKind, KnowledgeState};
use crate::store::{Change, Store};
use chrono::{DateTime, Utc};

pub fn knowledge_usage<S: Store>(
    s: &mut S,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<KnowledgeUsage, ApiError> {
    let user = user(s, user_id)?;
    let items = s.knowledge(&user.tenant_id)?;
    let cap = knowledge::capacity(&s.knowledge_capacity(&user.tenant_id, now)?, now);
    let isolated = |kind| {
        items
            .iter()
            .filter(|i| i.state == KnowledgeState::Isolated && i.kind == kind)
            .count() as u64
    };
    let plan = knowledge::restore_plan(&items, cap);
    Ok(KnowledgeUsage {
        available_char_size: cap,
        used_char_size: knowledge::stored_chars(&items),
        exceed_char_size: knowledge::isolated_chars(&items),
        isolated_documents: isolated(KnowledgeItemKind::Document),
        isolated_qa_pairs: isolated(KnowledgeItemKind::QaPair),
        restorable_items: plan.as_ref().map(|p| p.len() as u64).unwrap_or(0),
        // Why this user cannot restore: not allowed to, or nothing fits.
        restore_blocked: knowledge::may_restore(&user)
            .err()
            .or(plan.err().map(ApiError::from)),
    })
}

/// Restore isolated knowledge that fits the free capacity.
pub fn restore_knowledge<S: Store>(
    s: &mut S,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<RestoreResult, ApiError> {
    let user = user(s, user_id)?;
    knowledge::may_restore(&user)?;
    let t = &user.tenant_id;
    let items = s.knowledge(t)?;
    let cap = knowledge::capacity(&s.knowledge_capacity(t, now)?, now);
    let ids = knowledge::restore_plan(&items, cap)?;
    s.set_knowledge_state(t, &ids, KnowledgeState::Restored)?;
    s.changed(t, Change::Usage);
    let still = items
        .iter()
        .filter(|k| k.state == KnowledgeState::Isolated && !ids.contains(&k.id))
        .count() as u64;
    Ok(RestoreResult {
        restored_items: ids.len() as u64,
        still_isolated: still,
    })
}

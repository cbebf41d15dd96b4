//! The Notification Center and the reminder outbox.

use super::user;
use crate::api::*;
use crate::store::{Change, Store};

pub fn notices<S: Store>(
    s: &mut S,
    user_id: &str,
    req: &NoticesRequest,
) -> Result<NoticePage, ApiError> {
    let user = user(s, user_id)?;
    let (skip, take) = page_bounds(req.page_number, req.page_size)?;
    s.notices(&user.tenant_id, &user.id, req, skip, take)
}

pub fn mark_notices_read<S: Store>(
    s: &mut S,
    user_id: &str,
    req: &MarkNoticesReadRequest,
) -> Result<UnreadCount, ApiError> {
    let user = user(s, user_id)?;
    if !req.all && req.notice_ids.is_empty() {
        return Err(ApiError::new(
            ErrorCode::MissingParameter,
            "Give NoticeIds, or All: true.",
        ));
    }
    if req.notice_ids.len() > 1000 {
        return Err(ApiError::new(
            ErrorCode::InvalidParameterValue,
            "At most 1000 NoticeIds at once.",
        ));
    }
    if let Some(id) = s.unknown_notice(&user.tenant_id, &req.notice_ids)? {
        return Err(ApiError::new(
            ErrorCode::ResourceNotFound,
            format!("No notice {id} in this account."),
        ));
    }
    let ids = (!req.all).then_some(req.notice_ids.as_slice());
    let unread_count = s.mark_read(&user.tenant_id, &user.id, ids)?;
    s.changed(&user.tenant_id, Change::Notice);
    Ok(UnreadCount { unread_count })
}

pub fn outbox_page<S: Store>(
    s: &mut S,
    user_id: &str,
    req: &OutboxRequest,
) -> Result<OutboxPage, ApiError> {
    let user = user(s, user_id)?;
    let (skip, take) = page_bounds(req.page_number, req.page_size)?;
    s.outbox(&user.tenant_id, req, skip, take)
}

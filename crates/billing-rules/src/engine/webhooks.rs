//! Webhook endpoints and the events queued for them. Delivery (signing,
//! sending, retrying) is the server's; here an event is recorded with one
//! pending delivery per endpoint, in the transaction that caused it.

use super::{account, forbidden, user};
use crate::api::*;
use crate::model::User;
use crate::postpaid;
use crate::store::{Change, Store};
use crate::webhook::{self, Endpoint, Event, EventType};
use chrono::{DateTime, Utc};

/// Record an event for `tenant` and queue it for each of its endpoints
/// (or only `only`, for a test event).
pub fn emit<S: Store>(
    s: &mut S,
    tenant: &str,
    kind: EventType,
    data: serde_json::Value,
    now: DateTime<Utc>,
    only: Option<&str>,
) -> Result<(), ApiError> {
    let seq = s.next_message_seq(tenant)?;
    s.add_event(
        &Event {
            version: crate::webhook::PAYLOAD_VERSION,
            id: format!("evt-{tenant}-{seq:08}"),
            tenant_id: tenant.to_string(),
            kind,
            at: now,
            data,
        },
        only,
    )
}

/// The user, when they may add, remove and test endpoints.
pub fn webhook_manager<S: Store>(s: &mut S, user_id: &str) -> Result<User, ApiError> {
    let user = user(s, user_id)?;
    let account = account(s, &user.tenant_id)?;
    postpaid::may_manage(&user, &account).map_err(|_| {
        forbidden("Only the main account, or a sub-account granted Postpaid Settings, can manage alert webhooks.")
    })?;
    Ok(user)
}

/// Endpoints and their recent deliveries; anyone of the tenant may look.
pub fn describe_webhooks<S: Store>(s: &mut S, user_id: &str) -> Result<WebhooksView, ApiError> {
    let user = user(s, user_id)?;
    let account = account(s, &user.tenant_id)?;
    let endpoints = s
        .endpoints(&user.tenant_id)?
        .into_iter()
        .map(|e| {
            let recent = s.deliveries(&user.tenant_id, &e.id, 20)?;
            Ok(EndpointView {
                endpoint: e,
                recent,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(WebhooksView {
        endpoints,
        may_manage: postpaid::may_manage(&user, &account).is_ok(),
        max_endpoints: webhook::MAX_ENDPOINTS as u32,
        private_allowed: s.private_webhooks_allowed(),
    })
}

/// Register an endpoint. `secret` is the signing secret the store made;
/// it is answered once, here. The URL's form is checked here; the server
/// also resolves its name and checks the addresses before this runs.
pub fn create_webhook<S: Store>(
    s: &mut S,
    user_id: &str,
    req: &CreateWebhookRequest,
    now: DateTime<Utc>,
) -> Result<CreatedWebhook, ApiError> {
    let user = webhook_manager(s, user_id)?;
    let allow_private = s.private_webhooks_allowed();
    let target = webhook::parse_url(&req.url, allow_private)
        .map_err(|m| ApiError::new(ErrorCode::InvalidParameterValue, m))?;
    if !allow_private {
        webhook::target_allowed(&target)
            .map_err(|m| ApiError::new(ErrorCode::FailedOperation, m))?;
    }
    let t = &user.tenant_id;
    let existing = s.endpoints(t)?;
    if existing.len() >= webhook::MAX_ENDPOINTS {
        return Err(ApiError::new(
            ErrorCode::LimitExceeded,
            format!(
                "An account has at most {} webhook endpoints; delete one first.",
                webhook::MAX_ENDPOINTS
            ),
        ));
    }
    if existing.iter().any(|e| e.url == req.url) {
        return Err(ApiError::new(
            ErrorCode::InvalidParameterValue,
            "This URL is registered already.",
        ));
    }
    let seq = s.next_message_seq(t)?;
    let endpoint = Endpoint {
        id: format!("whk-{t}-{seq:08}"),
        tenant_id: t.clone(),
        url: req.url.clone(),
        created_at: now,
        created_by: user.name.clone(),
    };
    let secret = s.new_secret();
    s.add_endpoint(&endpoint, &secret)?;
    s.changed(t, Change::Postpaid);
    Ok(CreatedWebhook { endpoint, secret })
}

fn known_endpoint<S: Store>(s: &mut S, tenant: &str, id: &str) -> Result<(), ApiError> {
    if s.endpoints(tenant)?.iter().any(|e| e.id == id) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::ResourceNotFound,
            format!("No webhook endpoint {id} in this account."),
        ))
    }
}

/// Remove an endpoint and its pending deliveries.
pub fn delete_webhook<S: Store>(
    s: &mut S,
    user_id: &str,
    req: &WebhookRef,
) -> Result<(), ApiError> {
    let user = webhook_manager(s, user_id)?;
    known_endpoint(s, &user.tenant_id, &req.endpoint_id)?;
    s.delete_endpoint(&user.tenant_id, &req.endpoint_id)?;
    s.changed(&user.tenant_id, Change::Postpaid);
    Ok(())
}

/// Queue a test event for one endpoint.
pub fn send_test_webhook<S: Store>(
    s: &mut S,
    user_id: &str,
    req: &WebhookRef,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let user = webhook_manager(s, user_id)?;
    known_endpoint(s, &user.tenant_id, &req.endpoint_id)?;
    emit(
        s,
        &user.tenant_id,
        EventType::Test,
        serde_json::json!({ "RequestedBy": user.name }),
        now,
        Some(&req.endpoint_id),
    )?;
    s.changed(&user.tenant_id, Change::Postpaid);
    Ok(())
}

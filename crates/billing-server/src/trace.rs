//! Request logging: every API request runs in a `request` span carrying its
//! `RequestId` (the same one its answer carries), the action, the caller's
//! tenant once known, and the status. Failures are logged with their cause;
//! cookies, tokens, secrets and session ids never are.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use tracing::{field, Instrument};

tokio::task_local! {
    static REQUEST_ID: String;
}

/// This request's id (a new one outside a request).
pub fn request_id() -> String {
    REQUEST_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| uuid::Uuid::new_v4().to_string())
}

/// Name the caller's tenant in the current request's span.
pub fn record_tenant(tenant: &str) {
    tracing::Span::current().record("tenant", tenant);
}

/// The middleware around `/api/…`.
pub async fn request_span(req: Request, next: Next) -> Response {
    let rid = uuid::Uuid::new_v4().to_string();
    let action = req
        .uri()
        .path()
        .strip_prefix("/api/")
        .unwrap_or(req.uri().path())
        .chars()
        .take(64)
        .collect::<String>();
    let span = tracing::info_span!(
        "request",
        request_id = %rid,
        action = %action,
        tenant = field::Empty,
        status = field::Empty,
    );
    let started = std::time::Instant::now();
    let resp = REQUEST_ID
        .scope(rid, next.run(req).instrument(span.clone()))
        .await;
    let status = resp.status().as_u16();
    span.record("status", status);
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| match status {
        500.. => tracing::error!(ms, "request failed"),
        400.. => tracing::info!(ms, "request refused"),
        _ => tracing::debug!(ms, "request answered"),
    });
    resp
}

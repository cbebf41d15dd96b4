//! Routes, static files, compression and security headers.

use std::path::Path;

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine;
use sha2::{Digest, Sha256};
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::{api, openapi, Shared};

/// A CSP the Trunk-built page works under: Trunk's inline module script is
/// allowed by its hash, wasm may be compiled, nothing else inline runs.
pub fn content_security_policy(dist: Option<&Path>) -> String {
    let mut hashes = String::new();
    if let Some(html) = dist.and_then(|d| std::fs::read_to_string(d.join("index.html")).ok()) {
        let mut rest = html.as_str();
        while let Some(start) = rest.find("<script") {
            let after = &rest[start..];
            let Some(open_end) = after.find('>') else {
                break;
            };
            let Some(close) = after.find("</script>") else {
                break;
            };
            let body = &after[open_end + 1..close];
            if !after[..open_end].contains("src=") && !body.is_empty() {
                let digest = Sha256::digest(body.as_bytes());
                hashes.push_str(&format!(
                    " 'sha256-{}'",
                    base64::engine::general_purpose::STANDARD.encode(digest)
                ));
            }
            rest = &after[close + 9..];
        }
    }
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

async fn openapi_json() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        openapi::document().to_json().unwrap_or_default(),
    )
}

/// The CSP for the current build: recomputed when index.html changes, so a
/// rebuilt client works without restarting the server.
pub fn current_csp(state: &Shared) -> HeaderValue {
    let mtime = state
        .config
        .dist
        .as_ref()
        .and_then(|d| std::fs::metadata(d.join("index.html")).ok())
        .and_then(|m| m.modified().ok());
    let mut cached = state.csp.lock().unwrap_or_else(|p| p.into_inner());
    if cached.1.is_empty() || cached.0 != mtime {
        *cached = (mtime, content_security_policy(state.config.dist.as_deref()));
    }
    HeaderValue::from_str(&cached.1)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"))
}

async fn with_csp(State(state): State<Shared>, mut resp: Response) -> Response {
    resp.headers_mut()
        .insert(header::CONTENT_SECURITY_POLICY, current_csp(&state));
    resp
}

/// `GET /healthz`: the process lives.
async fn healthz() -> &'static str {
    "ok\n"
}

/// `GET /readyz`: the database answers and is migrated; a load balancer
/// sends traffic only while this says 200.
async fn readyz(State(state): State<Shared>) -> Response {
    let st = state.clone();
    match tokio::task::spawn_blocking(move || st.db.ready()).await {
        Ok(Ok(())) => "ready\n".into_response(),
        Ok(Err(e)) => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {e}\n"),
        )
            .into_response(),
        Err(_) => axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

pub fn router(state: Shared) -> Router {
    let mut app = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/api/openapi.json", get(openapi_json))
        .route("/api/events", get(crate::events::stream_events))
        .route(
            "/api/{action}",
            post(api::handle).fallback(crate::failure::method_not_allowed),
        )
        .route_layer(axum::middleware::from_fn(crate::trace::request_span))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            state.config.limits.body_timeout,
        ))
        .with_state(state.clone());
    if let Some(dist) = &state.config.dist {
        let index = ServeFile::new(dist.join("index.html"));
        app = app.fallback_service(ServeDir::new(dist).fallback(index));
    }
    app.layer(CompressionLayer::new())
        .layer(axum::middleware::map_response_with_state(
            state.clone(),
            with_csp,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
}

//! Routes, static files, compression and security headers.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::assets::Assets;
use crate::{api, openapi, Shared};

async fn openapi_json() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        openapi::document().to_json().unwrap_or_default(),
    )
}

/// The CSP for the current build (computed once per build, when it was
/// loaded); a server without a client sends the strict one.
pub fn current_csp(state: &Shared) -> HeaderValue {
    match state
        .assets
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
    {
        Some(a) => a.csp.clone(),
        None => HeaderValue::from_static(NO_CLIENT_CSP),
    }
}

const NO_CLIENT_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

async fn with_csp(State(state): State<Shared>, mut resp: Response) -> Response {
    resp.headers_mut()
        .insert(header::CONTENT_SECURITY_POLICY, current_csp(&state));
    resp
}

/// The built client: a file of it, or the page for any console path.
async fn static_file(
    State(state): State<Shared>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
) -> Response {
    if method != axum::http::Method::GET && method != axum::http::Method::HEAD {
        return (
            axum::http::StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
        )
            .into_response();
    }
    let assets = state
        .assets
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    match assets.as_ref().and_then(|a| a.lookup(uri.path())) {
        Some(asset) => asset.respond(&headers, method == axum::http::Method::HEAD),
        None => (axum::http::StatusCode::NOT_FOUND, "Not found\n").into_response(),
    }
}

/// A new build in `dist/` is picked up within two seconds: one `stat` of
/// `index.html` every two seconds, off the request path.
fn watch_dist(state: Shared) {
    let Some(dist) = state.config.dist.clone() else {
        return;
    };
    if tokio::runtime::Handle::try_current().is_err() {
        return;
    }
    let weak = std::sync::Arc::downgrade(&state);
    drop(state);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(2));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            every.tick().await;
            let Some(state) = weak.upgrade() else { return };
            let built = std::fs::metadata(dist.join("index.html"))
                .and_then(|m| m.modified())
                .ok();
            let current = state
                .assets
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .as_ref()
                .and_then(|a| a.built);
            if built.is_some() && built != current {
                let d = dist.clone();
                if let Ok(fresh) = tokio::task::spawn_blocking(move || Assets::load(&d)).await {
                    *state.assets.write().unwrap_or_else(|p| p.into_inner()) =
                        Some(std::sync::Arc::new(fresh));
                }
            }
        }
    });
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
    // JSON answers are compressed as they go; the client's files were
    // compressed once, when the build was loaded.
    app = app.layer(CompressionLayer::new());
    if state.config.dist.is_some() {
        app = app.fallback_service(axum::routing::any(static_file).with_state(state.clone()));
        watch_dist(state.clone());
    }
    app.layer(axum::middleware::map_response_with_state(
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

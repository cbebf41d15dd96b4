//! `POST /api/{Action}`: the platform-style JSON API. Every request is
//! read, checked and answered here; rules come from `billing-rules`.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use billing_rules::actions::{self, def, parse, Access, Action, ActionDef, Route, ServerAction};
use billing_rules::api::{
    ApiError, CreateWebhookRequest, EndedSessions, ErrorCode, Nothing, ServerInfo,
};
use billing_rules::engine;
use billing_rules::handlers::{self, Handler};
use billing_rules::model::User;
use billing_rules::store::AccountStore;
use chrono::{DateTime, Utc};
use serde_json::Value;

pub use crate::failure::MAX_BODY;
use crate::failure::{json_response, request_id, Failure, JsonObject};
use crate::store::SqlStore;
use crate::{AuthMode, Shared};

pub const COOKIE: &str = "billing_session";

/// The header a trusted proxy presents its shared secret in.
pub const PROXY_SECRET_HEADER: &str = "x-billing-proxy-secret";

/// The address a request came from, when the server knows it.
pub type Peer = Option<Extension<ConnectInfo<SocketAddr>>>;

fn peer_ip(peer: &Peer) -> Option<std::net::IpAddr> {
    peer.as_ref().map(|Extension(ConnectInfo(a))| a.ip())
}

/// An error answered outside the action handler (the event stream).
pub fn err(e: &ApiError) -> Response {
    Failure::from(e.clone()).into_response()
}

fn bad(code: ErrorCode, msg: impl Into<String>) -> ApiError {
    ApiError::new(code, msg)
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    axum_extra::extract::CookieJar::from_headers(headers)
        .get(name)
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty())
}

/// Equal, in time that does not depend on where they differ.
fn same_secret(given: &str, want: &str) -> bool {
    use subtle::ConstantTimeEq;
    given.len() == want.len() && bool::from(given.as_bytes().ct_eq(want.as_bytes()))
}

/// The origin state-changing requests must come from.
/// Without `--public-origin`, the request's own `Host` stands in, but only
/// a loopback one (`localhost`, `127.x.y.z`, `[::1]`): a name that resolves
/// to this machine by someone else's DNS (rebinding) is never trusted.
fn expected_origin(st: &Shared, headers: &HeaderMap) -> Option<String> {
    if let Some(o) = &st.config.public_origin {
        return Some(o.clone());
    }
    let host = headers.get(header::HOST)?.to_str().ok()?;
    is_loopback_host(host).then(|| format!("http://{host}"))
}

/// `host[:port]` names this machine's loopback interface.
pub fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn check_origin(st: &Shared, headers: &HeaderMap) -> Result<(), ApiError> {
    let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok());
    match (origin, expected_origin(st, headers)) {
        (Some(o), Some(want)) if o == want => Ok(()),
        _ => Err(bad(
            ErrorCode::UnauthorizedOperation,
            "State-changing requests must come from the console's own origin.",
        )),
    }
}

/// The stored form of a session id: its SHA-256, so a leaked database
/// holds no usable cookie.
pub fn session_hash(sid: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(sid.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Who a request says it is, before the database is asked.
#[derive(Debug, Clone)]
pub enum Caller {
    /// The SHA-256 of a session cookie's value.
    Session(String),
    /// A user id set by the authenticating proxy.
    Proxy(String),
}

impl Caller {
    /// What rate limits and stream caps count by: the session, or the
    /// proxy's user.
    pub fn key(&self) -> String {
        match self {
            Caller::Session(h) => format!("s:{h}"),
            Caller::Proxy(u) => format!("u:{u}"),
        }
    }
}

fn unauth() -> ApiError {
    bad(
        ErrorCode::AuthFailureUnauthorizedOperation,
        "Not signed in, or the session has expired. Sign in again.",
    )
}

/// The caller's claim, from the cookie or the proxy's header. The proxy's
/// header is believed only from a trusted peer with the shared secret (as
/// configured), and only when it holds exactly one user id.
pub fn caller(st: &Shared, headers: &HeaderMap, peer: &Peer) -> Result<Caller, ApiError> {
    match &st.config.auth {
        AuthMode::Proxy(p) => {
            let from_peer = p.peers.is_empty()
                || peer_ip(peer).is_some_and(|ip| p.peers.iter().any(|n| n.contains(&ip)));
            let with_secret = p.secret.as_deref().is_none_or(|want| {
                let mut given = headers.get_all(PROXY_SECRET_HEADER).iter();
                match (given.next().and_then(|v| v.to_str().ok()), given.next()) {
                    (Some(g), None) => same_secret(g, want),
                    _ => false,
                }
            });
            if !(from_peer && with_secret) {
                return Err(bad(
                    ErrorCode::AuthFailureUnauthorizedOperation,
                    "This request did not come through the organisation's sign-in proxy.",
                ));
            }
            let mut values = headers.get_all(p.header.as_str()).iter();
            match (values.next().map(|v| v.to_str()), values.next()) {
                (Some(Ok(u)), None) if !u.is_empty() && !u.contains(',') => {
                    Ok(Caller::Proxy(u.to_string()))
                }
                (None, _) => Err(unauth()),
                _ => Err(bad(
                    ErrorCode::AuthFailureUnauthorizedOperation,
                    "The proxy's user header must name exactly one user.",
                )),
            }
        }
        AuthMode::Demo => cookie_value(headers, COOKIE)
            .map(|sid| Caller::Session(session_hash(&sid)))
            .ok_or_else(unauth),
    }
}

/// The user behind a claim, in the caller's transaction, and when its
/// session ends (never, behind the proxy).
pub fn resolve_until(s: &mut SqlStore, who: &Caller) -> Result<(User, Option<i64>), ApiError> {
    let (user_id, until) = match who {
        Caller::Proxy(u) => (u.clone(), None),
        Caller::Session(h) => {
            let (u, until) = s.session(h, Utc::now().timestamp())?.ok_or_else(unauth)?;
            (u, Some(until))
        }
    };
    let user = s.user(&user_id)?.ok_or_else(unauth)?;
    crate::trace::record_tenant(&user.tenant_id);
    Ok((user, until))
}

/// The user behind a claim, in the caller's transaction.
pub fn resolve(s: &mut SqlStore, who: &Caller) -> Result<User, ApiError> {
    resolve_until(s, who).map(|(u, _)| u)
}

/// A change to sessions (no tenant lock: sessions are not tenant rows);
/// the sessions it ended go to the live streams, which then close.
fn write_sessions<T>(
    st: &Shared,
    f: impl FnOnce(&mut SqlStore) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let (out, changes) = st.db.write(None, f)?;
    crate::publish(st, &changes);
    Ok(out)
}

fn operator_ok(st: &Shared, headers: &HeaderMap) -> bool {
    let Some(token) = &st.config.operator_token else {
        return false;
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    same_secret(given, token)
}

fn session_cookie(st: &Shared, value: &str, max_age: i64) -> HeaderValue {
    use axum_extra::extract::cookie::{Cookie, SameSite};
    let secure = st
        .config
        .public_origin
        .as_deref()
        .is_some_and(|o| o.starts_with("https://"));
    let c = Cookie::build((COOKIE, value.to_string()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .max_age(cookie::time::Duration::seconds(max_age))
        .secure(secure)
        .build();
    HeaderValue::from_str(&c.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A write by `key` within its rate, or RequestLimitExceeded.
fn within_rate(st: &Shared, key: String) -> Result<(), ApiError> {
    st.write_limiter.check_key(&key).map_err(|_| {
        bad(
            ErrorCode::RequestLimitExceeded,
            "Too many changes in a short time. Wait a few seconds and try again.",
        )
    })
}

/// The one API endpoint. Bad requests are refused by the [`JsonObject`]
/// extractor before anything runs; everything else runs on the blocking
/// pool (the database calls block); reads and writes each have their own
/// slots, so writes queued for the database's writer never hold up reads.
pub async fn handle(
    State(st): State<Shared>,
    Path(action): Path<String>,
    peer: Peer,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> Result<Response, Failure> {
    let action = Action::from_name(&action).ok_or_else(|| {
        Failure::from(bad(
            ErrorCode::InvalidParameter,
            format!("Unknown action “{action}”."),
        ))
    })?;
    let slots = if action.writes() {
        &st.writers
    } else {
        &st.readers
    };
    let _permit = slots
        .acquire()
        .await
        .map_err(|_| Failure::new(ErrorCode::InternalError, "The server is shutting down."))?;
    let st2 = st.clone();
    let span = tracing::Span::current();
    let (v, cookie) = tokio::task::spawn_blocking(move || {
        span.in_scope(|| run(&st2, action, &headers, &peer, body))
    })
    .await
    .map_err(|_| {
        Failure::new(
            ErrorCode::InternalError,
            "The request could not be completed; nothing was changed.",
        )
    })??;
    let mut r = json_response(StatusCode::OK, actions::envelope_ok(&v, &request_id()));
    if let Some(c) = cookie {
        r.headers_mut().insert(header::SET_COOKIE, c);
    }
    Ok(r)
}

type Answer = (String, Option<HeaderValue>);

/// `A`'s request, from a body.
fn request<A: ActionDef>(body: Value) -> Result<A::Request, ApiError> {
    parse::<A::Request>(body)
}

/// `A`'s response, as JSON text.
fn response<A: ActionDef>(v: A::Response) -> Result<String, ApiError> {
    actions::json(v)
}

/// A signed-in user's engine action, or the internal error of a registry
/// that routes an operator's action here.
fn user_fn<'a>(
    a: billing_rules::actions::EngineAction,
) -> Result<handlers::UserFn<SqlStore<'a>>, ApiError> {
    match handlers::handler(a) {
        Handler::User(f) => Ok(f),
        Handler::Operator { .. } => Err(bad(
            ErrorCode::InternalError,
            format!("{:?} is an operator's action.", a),
        )),
    }
}

/// An operator's engine action: the tenant its request names, and its
/// function; or the internal error of a registry that routes a signed-in
/// user's action here.
fn operator_fns<'a>(
    a: billing_rules::actions::EngineAction,
) -> Result<(handlers::TenantFn, handlers::OperatorFn<SqlStore<'a>>), ApiError> {
    match handlers::handler(a) {
        Handler::Operator { tenant, run } => Ok((tenant, run)),
        Handler::User(_) => Err(bad(
            ErrorCode::InternalError,
            format!("{a:?} is a signed-in user's action."),
        )),
    }
}

/// What an engine action answered, and what it committed (for the live
/// streams); the outer error is storage's or the caller's identity's.
pub type Performed = Result<(Result<String, ApiError>, crate::store::Changes), ApiError>;

/// The server's dispatch of a signed-in user's engine action (the
/// registry's handler half, bound here to the database): a read runs in
/// one snapshot (who the caller is, whether anything is due, the answer); a
/// write finds the caller, passes `guard` (the HTTP layer's origin and rate
/// checks), then runs under its tenant's lock after the tenant is caught
/// up with time. `who` finds the caller inside the transaction.
pub fn perform(
    db: &crate::store::Db,
    a: billing_rules::actions::EngineAction,
    who: &dyn Fn(&mut SqlStore) -> Result<User, ApiError>,
    guard: impl FnOnce(&User) -> Result<(), ApiError>,
    body: Value,
    now: DateTime<Utc>,
) -> Performed {
    if a.action().writes() {
        let user = db.read(|s| who(s))?;
        guard(&user)?;
        db.act(&user.tenant_id, now, |s| {
            user_fn(a)?(s, &user.id, body, now)
        })
    } else {
        let (v, changes) = db.look_as(now, who, |s, user| user_fn(a)?(s, &user.id, body, now))?;
        Ok((Ok(v), changes))
    }
}

/// The server's dispatch of an operator's engine action: under the lock
/// of the tenant its request names, after that tenant is caught up.
pub fn perform_operator(
    db: &crate::store::Db,
    a: billing_rules::actions::EngineAction,
    body: Value,
    now: DateTime<Utc>,
) -> Performed {
    let (tenant, _) = operator_fns(a)?;
    let tenant = tenant(&body)?;
    crate::trace::record_tenant(&tenant);
    db.act(&tenant, now, |s| operator_fns(a)?.1(s, body, now))
}

/// Answer what [`perform`] did: its changes go to the live streams.
fn published(st: &Shared, done: Performed) -> Result<String, ApiError> {
    let (out, changes) = done?;
    crate::publish(st, &changes);
    out
}

fn run(
    st: &Shared,
    action: Action,
    headers: &HeaderMap,
    peer: &Peer,
    body: Value,
) -> Result<Answer, ApiError> {
    let now = st.now();
    let e = match action.route() {
        Route::Server(a) => return server_action(st, a, headers, peer, body, now),
        Route::Engine(e) => e,
    };
    if action.access() == Access::Operator {
        if !operator_ok(st, headers) {
            return Err(bad(
                ErrorCode::AuthFailureUnauthorizedOperation,
                format!("{} needs the operator credential.", action.name()),
            ));
        }
        return Ok((published(st, perform_operator(&st.db, e, body, now))?, None));
    }
    let who = caller(st, headers, peer)?;
    let find = |s: &mut SqlStore| resolve(s, &who);
    // A state change comes from the console's own origin, within the
    // session's rate.
    let guard = |user: &User| -> Result<(), ApiError> {
        check_origin(st, headers)?;
        within_rate(st, who.key())?;
        if action == Action::CreateWebhook {
            st.db
                .read(|s| engine::webhook_manager(s, &user.id).map(|_| ()))?;
            // Where the name points now (outside the transaction; each
            // delivery checks again).
            let req: CreateWebhookRequest = parse(body.clone())?;
            crate::webhooks::resolve_allowed(&req.url, st.config.webhooks.allow_private)?;
        }
        Ok(())
    };
    let done = perform(&st.db, e, &find, guard, body.clone(), now);
    Ok((published(st, done)?, None))
}

/// The actions the server answers itself: its info, and sessions.
fn server_action(
    st: &Shared,
    a: ServerAction,
    headers: &HeaderMap,
    peer: &Peer,
    body: Value,
    now: DateTime<Utc>,
) -> Result<Answer, ApiError> {
    match a {
        ServerAction::DescribeServerInfo => {
            request::<def::DescribeServerInfo>(body)?;
            let (mode, demo_users) = match &st.config.auth {
                AuthMode::Demo => ("demo", st.db.read(|s| s.all_users())?),
                AuthMode::Proxy(_) => ("proxy", Vec::new()),
            };
            // Nobody (or an ended session) is not an error here.
            let identity = caller(st, headers, peer).ok().and_then(|who| {
                st.db
                    .read(|s| {
                        let user = resolve(s, &who)?;
                        engine::whoami(s, &user.id)
                    })
                    .ok()
            });
            let info = ServerInfo {
                mode: mode.into(),
                demo_users,
                identity,
            };
            Ok((response::<def::DescribeServerInfo>(info)?, None))
        }
        ServerAction::SignIn => {
            check_origin(st, headers)?;
            if st.config.auth != AuthMode::Demo {
                return Err(bad(
                    ErrorCode::UnauthorizedOperation,
                    "Sign-in is handled by the organisation's proxy.",
                ));
            }
            let req = request::<def::SignIn>(body)?;
            within_rate(
                st,
                format!(
                    "ip:{}",
                    peer_ip(peer).map(|i| i.to_string()).unwrap_or_default()
                ),
            )?;
            let sid = format!(
                "{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            );
            // Signing in again in this browser ends the session it had.
            let previous = cookie_value(headers, COOKIE).map(|old| session_hash(&old));
            let expires = now.timestamp() + st.config.session_ttl_secs;
            let keep = st.config.sessions_per_user;
            let identity = write_sessions(st, |s| {
                let identity = engine::whoami(s, &req.user_id)?;
                if let Some(old) = &previous {
                    s.delete_session(old)?;
                }
                s.create_session(
                    &session_hash(&sid),
                    &identity.user,
                    now.timestamp_micros(),
                    expires,
                    keep,
                )?;
                Ok(identity)
            })?;
            Ok((
                response::<def::SignIn>(identity)?,
                Some(session_cookie(st, &sid, st.config.session_ttl_secs)),
            ))
        }
        ServerAction::SignOut => {
            check_origin(st, headers)?;
            request::<def::SignOut>(body)?;
            if let Some(sid) = cookie_value(headers, COOKIE) {
                write_sessions(st, |s| s.delete_session(&session_hash(&sid)))?;
            }
            Ok((
                response::<def::SignOut>(Nothing {})?,
                Some(session_cookie(st, "", 0)),
            ))
        }
        ServerAction::SignOutEverywhere => {
            check_origin(st, headers)?;
            request::<def::SignOutEverywhere>(body)?;
            let who = caller(st, headers, peer)?;
            if !matches!(who, Caller::Session(_)) {
                return Err(bad(
                    ErrorCode::UnauthorizedOperation,
                    "Sessions are kept by the organisation's proxy; sign out there.",
                ));
            }
            within_rate(st, who.key())?;
            let ended = write_sessions(st, |s| {
                let user = resolve(s, &who)?;
                s.delete_user_sessions(&user)
            })?;
            Ok((
                response::<def::SignOutEverywhere>(EndedSessions {
                    ended_sessions: ended,
                })?,
                Some(session_cookie(st, "", 0)),
            ))
        }
    }
}

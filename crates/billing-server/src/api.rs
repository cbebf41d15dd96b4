//! `POST /api/{Action}`: the platform-style JSON API. Every request is
//! read, checked and answered here; rules come from `billing-rules`.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use billing_rules::actions::{self, parse, Action};
use billing_rules::api::{ApiError, ErrorCode, ReportUsageRequest};
use billing_rules::engine;
use billing_rules::model::User;
use billing_rules::store::Store;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::failure::MAX_BODY;
use crate::failure::{json_response, request_id, Failure, JsonObject};
use crate::store::SqlStore;
use crate::{AuthMode, Shared};

pub const COOKIE: &str = "billing_session";

/// Actions outside the console's own set.
pub const SERVER_ACTIONS: [&str; 4] = ["DescribeServerInfo", "SignIn", "SignOut", "ReportUsage"];

#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SignInRequest {
    pub user_id: String,
}

#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ServerInfo {
    /// "demo" (sign in by picking a seeded user) or "proxy".
    pub mode: String,
    /// The users a demo may sign in as.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub demo_users: Vec<User>,
}

/// An error answered outside the action handler (the event stream).
pub fn err(e: &ApiError) -> Response {
    Failure::from(e.clone()).into_response()
}

fn bad(code: ErrorCode, msg: impl Into<String>) -> ApiError {
    ApiError::new(code, msg)
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
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
pub enum Caller {
    /// The SHA-256 of a session cookie's value.
    Session(String),
    /// A user id set by the authenticating proxy.
    Proxy(String),
}

fn unauth() -> ApiError {
    bad(
        ErrorCode::AuthFailureUnauthorizedOperation,
        "Not signed in, or the session has expired. Sign in again.",
    )
}

/// The caller's claim, from the cookie or the proxy's header.
pub fn caller(st: &Shared, headers: &HeaderMap) -> Result<Caller, ApiError> {
    match &st.config.auth {
        AuthMode::ProxyHeader(h) => headers
            .get(h.as_str())
            .and_then(|v| v.to_str().ok())
            .map(|u| Caller::Proxy(u.to_string()))
            .ok_or_else(unauth),
        AuthMode::Demo => cookie_value(headers, COOKIE)
            .map(|sid| Caller::Session(session_hash(&sid)))
            .ok_or_else(unauth),
    }
}

/// The user behind a claim, in the caller's transaction.
pub fn resolve(s: &mut SqlStore, who: &Caller) -> Result<User, ApiError> {
    let user_id = match who {
        Caller::Proxy(u) => u.clone(),
        Caller::Session(h) => s
            .session_user(h, Utc::now().timestamp())?
            .ok_or_else(unauth)?,
    };
    s.user(&user_id)?.ok_or_else(unauth)
}

/// Who is calling, or AuthFailure.
pub fn identify(st: &Shared, headers: &HeaderMap) -> Result<User, ApiError> {
    let who = caller(st, headers)?;
    st.db.read(|s| resolve(s, &who))
}

/// A change for `tenant` ([`crate::store::Db::act`]); what it committed
/// goes to the live streams.
pub fn write<T>(
    st: &Shared,
    tenant: &str,
    now: chrono::DateTime<Utc>,
    f: impl FnOnce(&mut SqlStore) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let (out, changes) = st.db.act(tenant, now, f)?;
    crate::publish(st, &changes);
    out
}

/// A read by whoever `who` is ([`crate::store::Db::look_as`]).
pub fn read_as<T>(
    st: &Shared,
    who: &Caller,
    now: chrono::DateTime<Utc>,
    f: impl FnOnce(&mut SqlStore, &User) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let (out, changes) = st.db.look_as(now, |s| resolve(s, who), f)?;
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
    // Constant-time comparison.
    given.len() == token.len()
        && given
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

fn session_cookie(st: &Shared, value: &str, max_age: i64) -> HeaderValue {
    let secure = if st
        .config
        .public_origin
        .as_deref()
        .is_some_and(|o| o.starts_with("https://"))
    {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The one API endpoint. Bad requests are refused by the [`JsonObject`]
/// extractor before anything runs; everything else runs on the blocking
/// pool (the database calls block); reads and writes each have their own
/// slots, so writes queued for the database's writer never hold up reads.
pub async fn handle(
    State(st): State<Shared>,
    Path(action): Path<String>,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> Result<Response, Failure> {
    let writes = match action.as_str() {
        "ReportUsage" | "SignIn" | "SignOut" => true,
        name => Action::from_name(name).is_some_and(Action::is_write),
    };
    let slots = if writes { &st.writers } else { &st.readers };
    let _permit = slots
        .acquire()
        .await
        .map_err(|_| Failure::new(ErrorCode::InternalError, "The server is shutting down."))?;
    let st2 = st.clone();
    let (v, cookie) = tokio::task::spawn_blocking(move || run(&st2, &action, &headers, body))
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

fn to_json<T: Serialize>(v: T) -> Result<String, ApiError> {
    serde_json::to_string(&v).map_err(|e| bad(ErrorCode::InternalError, e.to_string()))
}

fn run(st: &Shared, action: &str, headers: &HeaderMap, body: Value) -> Result<Answer, ApiError> {
    let now = Utc::now();
    match action {
        "DescribeServerInfo" => {
            parse::<actions::Empty>(body)?;
            let (mode, demo_users) = match &st.config.auth {
                AuthMode::Demo => ("demo", st.db.read(|s| s.all_users())?),
                AuthMode::ProxyHeader(_) => ("proxy", Vec::new()),
            };
            Ok((
                to_json(ServerInfo {
                    mode: mode.into(),
                    demo_users,
                })?,
                None,
            ))
        }
        "SignIn" => {
            check_origin(st, headers)?;
            if st.config.auth != AuthMode::Demo {
                return Err(bad(
                    ErrorCode::UnauthorizedOperation,
                    "Sign-in is handled by the organisation's proxy.",
                ));
            }
            let req: SignInRequest = parse(body)?;
            let sid = format!(
                "{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            );
            let expires = now.timestamp() + st.config.session_ttl_secs;
            let (identity, _) = st.db.write(None, |s| {
                let identity = engine::whoami(s, &req.user_id)?;
                s.create_session(&session_hash(&sid), &req.user_id, expires)?;
                Ok(identity)
            })?;
            Ok((
                to_json(identity)?,
                Some(session_cookie(st, &sid, st.config.session_ttl_secs)),
            ))
        }
        "SignOut" => {
            check_origin(st, headers)?;
            parse::<actions::Empty>(body)?;
            if let Some(sid) = cookie_value(headers, COOKIE) {
                st.db
                    .write(None, |s| s.delete_session(&session_hash(&sid)))?;
            }
            Ok(("{}".to_string(), Some(session_cookie(st, "", 0))))
        }
        "ReportUsage" => {
            if !operator_ok(st, headers) {
                return Err(bad(
                    ErrorCode::AuthFailureUnauthorizedOperation,
                    "ReportUsage needs the operator credential.",
                ));
            }
            let req: ReportUsageRequest = parse(body)?;
            let tenant = req.tenant_id.clone();
            Ok((
                to_json(write(st, &tenant, now, |s| {
                    engine::report_usage(s, &req, now)
                })?)?,
                None,
            ))
        }
        name => {
            let action = Action::from_name(name).ok_or_else(|| {
                bad(
                    ErrorCode::InvalidParameter,
                    format!("Unknown action “{name}”."),
                )
            })?;
            let who = caller(st, headers)?;
            let answer = if action.is_write() {
                let user = st.db.read(|s| resolve(s, &who))?;
                check_origin(st, headers)?;
                write(st, &user.tenant_id, now, |s| {
                    actions::dispatch(s, action, &user.id, body, now)
                })?
            } else {
                read_as(st, &who, now, |s, user| {
                    actions::dispatch(s, action, &user.id, body, now)
                })?
            };
            Ok((answer, None))
        }
    }
}

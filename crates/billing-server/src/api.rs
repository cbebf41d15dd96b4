//! `POST /api/{Action}`: the platform-style JSON API. Every request is
//! read, checked and answered here; rules come from `billing-rules`.

use axum::body::{to_bytes, Body};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use billing_rules::actions::{self, parse, Action};
use billing_rules::api::{ApiError, ErrorCode, ReportUsageRequest};
use billing_rules::engine;
use billing_rules::model::User;
use billing_rules::store::Store;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::store::SqlStore;
use crate::{AuthMode, Shared};

/// Request bodies above this are refused.
pub const MAX_BODY: usize = 64 * 1024;
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

fn respond(status: StatusCode, body: Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn ok(v: Value, rid: &str) -> Response {
    respond(StatusCode::OK, actions::envelope_ok(v, rid))
}

pub fn err(e: &ApiError, rid: &str) -> Response {
    let status = StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    respond(status, actions::envelope_err(e, rid))
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
fn expected_origin(st: &Shared, headers: &HeaderMap) -> Option<String> {
    st.config.public_origin.clone().or_else(|| {
        headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(|h| format!("http://{h}"))
    })
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

/// Who is calling, or AuthFailure.
pub fn identify(st: &Shared, headers: &HeaderMap) -> Result<User, ApiError> {
    let unauth = || {
        bad(
            ErrorCode::AuthFailureUnauthorizedOperation,
            "Not signed in, or the session has expired. Sign in again.",
        )
    };
    let from_proxy = match &st.config.auth {
        AuthMode::ProxyHeader(h) => Some(
            headers
                .get(h.as_str())
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
                .ok_or_else(unauth)?,
        ),
        AuthMode::Demo => None,
    };
    let sid = match from_proxy {
        Some(_) => None,
        None => Some(session_hash(
            &cookie_value(headers, COOKIE).ok_or_else(unauth)?,
        )),
    };
    st.db.read(|s| {
        let user_id = match (&from_proxy, &sid) {
            (Some(u), _) => u.clone(),
            (None, Some(h)) => s
                .session_user(h, Utc::now().timestamp())?
                .ok_or_else(unauth)?,
            _ => return Err(unauth()),
        };
        s.user(&user_id)?.ok_or_else(unauth)
    })
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

/// A read for `tenant` ([`crate::store::Db::look`]).
pub fn read<T>(
    st: &Shared,
    tenant: &str,
    now: chrono::DateTime<Utc>,
    f: impl FnOnce(&mut SqlStore) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let (out, changes) = st.db.look(tenant, now, f)?;
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

/// The one API endpoint.
pub async fn handle(
    State(st): State<Shared>,
    Path(action): Path<String>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let rid = uuid::Uuid::new_v4().to_string();
    if method != Method::POST {
        let e = bad(ErrorCode::InvalidParameter, "Use POST with a JSON body.");
        let mut r = err(&e, &rid);
        *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        return r;
    }
    let json_ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
    if !json_ct {
        let mut r = err(
            &bad(
                ErrorCode::InvalidParameter,
                "Content-Type must be application/json.",
            ),
            &rid,
        );
        *r.status_mut() = StatusCode::UNSUPPORTED_MEDIA_TYPE;
        return r;
    }
    let bytes = match to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            let mut r = err(
                &bad(
                    ErrorCode::LimitExceeded,
                    format!("The request body exceeds {MAX_BODY} bytes."),
                ),
                &rid,
            );
            *r.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
            return r;
        }
    };
    let body: Value = if bytes.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Default::default())
    } else {
        match serde_json::from_slice(&bytes) {
            Ok(v @ Value::Object(_)) => v,
            Ok(_) => {
                return err(
                    &bad(
                        ErrorCode::InvalidParameter,
                        "The body must be a JSON object.",
                    ),
                    &rid,
                )
            }
            Err(e) => {
                return err(
                    &bad(
                        ErrorCode::InvalidParameter,
                        format!("The body is not valid JSON: {e}."),
                    ),
                    &rid,
                )
            }
        }
    };
    let Ok(_permit) = st.workers.acquire().await else {
        return err(
            &bad(ErrorCode::InternalError, "The server is shutting down."),
            &rid,
        );
    };
    let st2 = st.clone();
    let result = tokio::task::spawn_blocking(move || run(&st2, &action, &headers, body)).await;
    match result {
        Ok(Ok((v, cookie))) => {
            let mut r = ok(v, &rid);
            if let Some(c) = cookie {
                r.headers_mut().insert(header::SET_COOKIE, c);
            }
            r
        }
        Ok(Err(e)) => err(&e, &rid),
        Err(_) => err(
            &bad(
                ErrorCode::InternalError,
                "The request could not be completed; nothing was changed.",
            ),
            &rid,
        ),
    }
}

type Answer = (Value, Option<HeaderValue>);

fn to_json<T: Serialize>(v: T) -> Result<Value, ApiError> {
    serde_json::to_value(v).map_err(|e| bad(ErrorCode::InternalError, e.to_string()))
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
            Ok((
                Value::Object(Default::default()),
                Some(session_cookie(st, "", 0)),
            ))
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
            let user = identify(st, headers)?;
            let t = &user.tenant_id;
            let answer = if action.is_write() {
                check_origin(st, headers)?;
                write(st, t, now, |s| {
                    actions::dispatch(s, action, &user.id, body, now)
                })?
            } else {
                read(st, t, now, |s| {
                    actions::dispatch(s, action, &user.id, body, now)
                })?
            };
            Ok((answer, None))
        }
    }
}

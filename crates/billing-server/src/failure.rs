//! Every way a request can fail, as one type the handlers return: a
//! platform error (code and message) and the HTTP status to answer with
//! (the code's own unless the protocol needs another: 405, 413, 415). It
//! answers with the error envelope. The [`JsonObject`] extractor rejects
//! with it, so a malformed request never reaches an action.

use axum::body::{to_bytes, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use billing_rules::actions;
use billing_rules::api::{ApiError, ErrorCode};
use serde_json::Value;

/// Request bodies above this are refused.
pub const MAX_BODY: usize = 64 * 1024;

#[derive(Debug)]
pub struct Failure {
    pub error: ApiError,
    pub status: StatusCode,
    /// Extra headers (e.g. `Allow` on a 405).
    pub headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl Failure {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Failure {
        ApiError::new(code, message).into()
    }

    pub fn with_status(mut self, status: StatusCode) -> Failure {
        self.status = status;
        self
    }
}

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Failure {
        let status =
            StatusCode::from_u16(error.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
        let mut headers = Vec::new();
        if error.code == ErrorCode::ServiceUnavailable {
            // Storage is away for a moment: say when to try again.
            headers.push((header::RETRY_AFTER, HeaderValue::from_static("1")));
        }
        Failure {
            error,
            status,
            headers,
        }
    }
}

/// A JSON answer with the content type set.
pub fn json_response(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

pub use crate::trace::request_id;

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let mut r = json_response(
            self.status,
            actions::envelope_err(&self.error, &request_id()),
        );
        for (k, v) in self.headers {
            r.headers_mut().insert(k, v);
        }
        r
    }
}

/// `405` for anything but POST on an action, with `Allow: POST`.
pub async fn method_not_allowed() -> Failure {
    let mut f = Failure::new(ErrorCode::InvalidParameter, "Use POST with a JSON body.")
        .with_status(StatusCode::METHOD_NOT_ALLOWED);
    f.headers
        .push((header::ALLOW, HeaderValue::from_static("POST")));
    f
}

/// Whether reading the body failed because it stopped arriving.
fn timed_out(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if err.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cur = err.source();
    }
    false
}

/// The request body as a JSON object (an empty body is `{}`): the content
/// type must be `application/json` and the body at most [`MAX_BODY`].
pub struct JsonObject(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = Failure;

    async fn from_request(req: Request, _: &S) -> Result<Self, Failure> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            return Err(Failure::new(
                ErrorCode::InvalidParameter,
                "Content-Type must be application/json.",
            )
            .with_status(StatusCode::UNSUPPORTED_MEDIA_TYPE));
        }
        let bytes: Bytes = to_bytes(req.into_body(), MAX_BODY).await.map_err(|e| {
            if timed_out(&e) {
                Failure::new(
                    ErrorCode::InvalidParameter,
                    "The request body did not arrive in time.",
                )
                .with_status(StatusCode::REQUEST_TIMEOUT)
            } else {
                Failure::new(
                    ErrorCode::LimitExceeded,
                    format!("The request body exceeds {MAX_BODY} bytes."),
                )
                .with_status(StatusCode::PAYLOAD_TOO_LARGE)
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonObject(Value::Object(Default::default())));
        }
        match serde_json::from_slice(&bytes) {
            Ok(v @ Value::Object(_)) => Ok(JsonObject(v)),
            Ok(_) => Err(Failure::new(
                ErrorCode::InvalidParameter,
                "The body must be a JSON object.",
            )),
            Err(e) => Err(Failure::new(
                ErrorCode::InvalidParameter,
                format!("The body is not valid JSON: {e}."),
            )),
        }
    }
}

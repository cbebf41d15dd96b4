//! The client's one API seam.
//!
//! A [`Transport`] carries one action (its name and JSON body) and returns
//! the platform-style JSON envelope as text. Two implement it: the in-browser
//! [`mock::MockStore`] and the HTTP client in [`http`]. [`Api`] sits on top:
//! typed calls, envelope parsing and one error type, the same for both.

pub mod http;
#[cfg(feature = "mock-store")]
pub mod mock;

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use billing_rules::actions::{def, ActionDef, Empty};
use billing_rules::api::*;
use billing_rules::model::User;
use send_wrapper::SendWrapper;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use crate::i18n::{td_string, Locale};

pub type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// Called with each live change (`/api/events`).
pub type OnChange = Rc<dyn Fn(LiveEvent)>;

/// What can go wrong with a call, as the screens show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientError {
    /// The API answered with an error envelope.
    Api(ApiError),
    /// The request did not reach the API or no answer came.
    Network(String),
    /// No answer in time.
    Timeout,
    /// An answer came that is not what the API sends.
    Malformed(String),
}

impl ClientError {
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ClientError::Api(e) => Some(e.code),
            _ => None,
        }
    }

    /// A sentence for people, in their language, from the error's code
    /// (never the server's English text; the code is shown beside it).
    pub fn message(&self, l: Locale) -> String {
        match self {
            ClientError::Api(e) => match e.code {
                ErrorCode::AuthFailureUnauthorizedOperation => td_string!(l, err_auth).to_string(),
                ErrorCode::UnauthorizedOperation => td_string!(l, err_unauthorized).to_string(),
                ErrorCode::RequestLimitExceeded => match e.next_allowed_at {
                    Some(t) => td_string!(l, err_request_limit_at, at = crate::format::instant(t))
                        .to_string(),
                    None => td_string!(l, err_request_limit).to_string(),
                },
                ErrorCode::LimitExceeded => td_string!(l, err_limit).to_string(),
                ErrorCode::ResourceNotFound => td_string!(l, err_not_found).to_string(),
                ErrorCode::ResourceInsufficient => td_string!(l, err_insufficient).to_string(),
                ErrorCode::ResourceUnavailable => td_string!(l, err_unavailable).to_string(),
                ErrorCode::InvalidParameter
                | ErrorCode::MissingParameter
                | ErrorCode::InvalidParameterValue => td_string!(l, err_invalid).to_string(),
                ErrorCode::FailedOperation => td_string!(l, err_failed).to_string(),
                ErrorCode::FailedOperationBalanceInsufficient => {
                    td_string!(l, err_balance).to_string()
                }
                ErrorCode::InternalError => td_string!(l, err_internal).to_string(),
                ErrorCode::ServiceUnavailable => td_string!(l, err_service_unavailable).to_string(),
            },
            ClientError::Network(_) => td_string!(l, err_network).to_string(),
            ClientError::Timeout => td_string!(l, err_timeout).to_string(),
            ClientError::Malformed(_) => td_string!(l, err_malformed).to_string(),
        }
    }

    /// What went wrong underneath, for logs and bug reports (not translated).
    pub fn detail(&self) -> String {
        match self {
            ClientError::Api(e) => e.message.clone(),
            ClientError::Network(m) | ClientError::Malformed(m) => m.clone(),
            ClientError::Timeout => String::new(),
        }
    }

    /// The code to show beside the message.
    pub fn code_label(&self) -> &'static str {
        match self {
            ClientError::Api(e) => e.code.as_str(),
            ClientError::Network(_) => "NetworkError",
            ClientError::Timeout => "Timeout",
            ClientError::Malformed(_) => "MalformedResponse",
        }
    }
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code_label(), self.detail())
    }
}

/// Carries one action. Implemented by the mock store and the HTTP client.
pub trait Transport {
    /// Send `action` with `body`; the answer is the JSON envelope as text.
    fn call(&self, action: &str, body: Value) -> LocalFuture<Result<String, ClientError>>;

    /// Whether the data is demo data kept in this browser (the header says so).
    fn is_demo(&self) -> bool {
        false
    }

    /// Users a demo may switch between ("view as"), if this transport allows it.
    fn demo_users(&self) -> Option<Vec<User>> {
        None
    }

    /// Whether users sign in and out (the server), rather than being chosen
    /// in the page (the mock store).
    fn signs_in(&self) -> bool {
        false
    }

    /// Call `on_change` with what changed (an `/api/events` kind)
    /// whenever the signed-in user's data changes elsewhere;
    /// the subscription ends when the returned guard drops.
    fn subscribe(&self, _on_change: OnChange) -> Option<Box<dyn std::any::Any>> {
        None
    }

    /// Who is signed in, if the transport already knows (the server says
    /// so in its first answer): `Some(None)` is nobody. Taken once; None
    /// means ask.
    fn initial_identity(&self) -> Option<Option<Identity>> {
        None
    }

    /// Switch the demo user (over HTTP: sign in as them).
    fn view_as(&self, user_id: &str) -> LocalFuture<Result<(), ClientError>>;
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorBody {
    code: String,
    message: String,
    #[serde(default)]
    next_allowed_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn code_from_str(s: &str) -> ErrorCode {
    serde_json::from_value(Value::String(s.to_string())).unwrap_or(ErrorCode::FailedOperation)
}

/// Parse an envelope's text into `T` or the error it carries.
pub fn parse_envelope<T: DeserializeOwned>(text: &str) -> Result<T, ClientError> {
    let v: Value = serde_json::from_str(text).map_err(|e| ClientError::Malformed(e.to_string()))?;
    let Some(Value::Object(mut resp)) = v.get("Response").cloned() else {
        return Err(ClientError::Malformed("no Response object".into()));
    };
    if let Some(err) = resp.remove("Error") {
        let e: ErrorBody =
            serde_json::from_value(err).map_err(|e| ClientError::Malformed(e.to_string()))?;
        return Err(ClientError::Api(ApiError {
            code: code_from_str(&e.code),
            message: e.message,
            next_allowed_at: e.next_allowed_at,
        }));
    }
    resp.remove("RequestId");
    serde_json::from_value(Value::Object(resp)).map_err(|e| ClientError::Malformed(e.to_string()))
}

/// How long a read waits before asking again when storage was away.
pub const RETRY_AFTER_MS: u32 = 1_000;

/// Typed calls over a transport. Cheap to clone.
#[derive(Clone)]
pub struct Api(SendWrapper<Rc<dyn Transport>>);

impl Api {
    pub fn new(t: Rc<dyn Transport>) -> Self {
        Api(SendWrapper::new(t))
    }

    pub fn transport(&self) -> Rc<dyn Transport> {
        (*self.0).clone()
    }

    /// Call action `A`: its request in, its response out, both typed by
    /// the registry.
    pub async fn call<A: ActionDef>(&self, req: &A::Request) -> Result<A::Response, ClientError> {
        let body = serde_json::to_value(req).map_err(|e| ClientError::Malformed(e.to_string()))?;
        let text = self.0.call(A::ACTION.name(), body.clone()).await?;
        match parse_envelope(&text) {
            // Storage was briefly away: a read is asked once more, after
            // the second the server's Retry-After asks for (a change is
            // not: the person decides, told that nothing was changed).
            Err(e) if e.code() == Some(ErrorCode::ServiceUnavailable) && !A::ACTION.writes() => {
                gloo_timers::future::TimeoutFuture::new(RETRY_AFTER_MS).await;
                parse_envelope(&self.0.call(A::ACTION.name(), body).await?)
            }
            answer => answer,
        }
    }

    pub async fn identity(&self) -> Result<Identity, ClientError> {
        self.call::<def::DescribeIdentity>(&Empty {}).await
    }

    pub async fn resources(&self, q: &ListResourcesRequest) -> Result<ResourcePage, ClientError> {
        self.call::<def::DescribeResources>(q).await
    }

    pub async fn summary(&self) -> Result<Summary, ClientError> {
        self.call::<def::DescribeAccountSummary>(&Empty {}).await
    }

    pub async fn knowledge_usage(&self) -> Result<KnowledgeUsage, ClientError> {
        self.call::<def::DescribeKnowledgeUsage>(&Empty {}).await
    }

    pub async fn renew(&self, req: &RenewRequest) -> Result<RenewResult, ClientError> {
        self.call::<def::RenewResource>(req).await
    }

    pub async fn restore_knowledge(&self) -> Result<RestoreResult, ClientError> {
        self.call::<def::RestoreKnowledge>(&Empty {}).await
    }

    pub async fn postpaid(&self) -> Result<PostpaidView, ClientError> {
        self.call::<def::DescribePostpaidSetting>(&Empty {}).await
    }

    pub async fn set_postpaid(&self, enabled: bool) -> Result<PostpaidView, ClientError> {
        self.call::<def::ModifyPostpaidSetting>(&ModifyPostpaidRequest { enabled })
            .await
    }

    pub async fn notices(&self, req: &NoticesRequest) -> Result<NoticePage, ClientError> {
        self.call::<def::DescribeNotices>(req).await
    }

    pub async fn mark_read(
        &self,
        req: &MarkNoticesReadRequest,
    ) -> Result<UnreadCount, ClientError> {
        self.call::<def::MarkNoticesRead>(req).await
    }

    pub async fn usage_history(
        &self,
        req: &UsageHistoryRequest,
    ) -> Result<UsageHistory, ClientError> {
        self.call::<def::DescribeUsageHistory>(req).await
    }

    pub async fn deductions(&self, req: &DeductionsRequest) -> Result<DeductionPage, ClientError> {
        self.call::<def::DescribeDeductions>(req).await
    }

    pub async fn bills(&self, req: &BillsRequest) -> Result<BillPage, ClientError> {
        self.call::<def::DescribeBills>(req).await
    }

    pub async fn set_budget(&self, req: &ModifyBudgetRequest) -> Result<PostpaidView, ClientError> {
        self.call::<def::ModifyPostpaidBudget>(req).await
    }

    pub async fn webhooks(&self) -> Result<WebhooksView, ClientError> {
        self.call::<def::DescribeWebhooks>(&Empty {}).await
    }

    pub async fn create_webhook(&self, url: &str) -> Result<CreatedWebhook, ClientError> {
        self.call::<def::CreateWebhook>(&CreateWebhookRequest {
            url: url.to_string(),
        })
        .await
    }

    pub async fn delete_webhook(&self, endpoint_id: &str) -> Result<(), ClientError> {
        self.call::<def::DeleteWebhook>(&WebhookRef {
            endpoint_id: endpoint_id.to_string(),
        })
        .await
        .map(|_| ())
    }

    pub async fn send_test_webhook(&self, endpoint_id: &str) -> Result<(), ClientError> {
        self.call::<def::SendTestWebhook>(&WebhookRef {
            endpoint_id: endpoint_id.to_string(),
        })
        .await
        .map(|_| ())
    }

    pub async fn sign_out(&self) -> Result<(), ClientError> {
        self.call::<def::SignOut>(&Empty {}).await.map(|_| ())
    }

    /// End every session of the signed-in user, in every browser.
    pub async fn sign_out_everywhere(&self) -> Result<(), ClientError> {
        self.call::<def::SignOutEverywhere>(&Empty {})
            .await
            .map(|_| ())
    }

    pub async fn sub_accounts(&self) -> Result<Vec<User>, ClientError> {
        self.call::<def::DescribeSubAccountPermissions>(&Empty {})
            .await
            .map(|s| s.data)
    }

    pub async fn set_permission(&self, req: &ModifyPermissionRequest) -> Result<User, ClientError> {
        self.call::<def::ModifySubAccountPermission>(req).await
    }
}

//! Wire types shared by the client's API seam, the mock store and the
//! server. Field names are PascalCase, as in the platform's API 3.0.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::knowledge::RestoreRefusal;
use crate::model::{Account, Resource, ResourceKind, Tab, User};
use crate::postpaid::{PostpaidState, Refusal};
use crate::status::Status;

crate::enumerated! {
/// The platform's error codes in use here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ErrorCode {
    #[serde(rename = "AuthFailure.UnauthorizedOperation")]
    AuthFailureUnauthorizedOperation,
    UnauthorizedOperation,
    RequestLimitExceeded,
    LimitExceeded,
    ResourceNotFound,
    ResourceInsufficient,
    ResourceUnavailable,
    InvalidParameter,
    MissingParameter,
    InvalidParameterValue,
    FailedOperation,
    #[serde(rename = "FailedOperation.BalanceInsufficient")]
    FailedOperationBalanceInsufficient,
    InternalError,
    /// The service's storage is briefly unavailable: nothing was changed,
    /// and the same request may be sent again (503, with Retry-After).
    ServiceUnavailable,
}
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::AuthFailureUnauthorizedOperation => "AuthFailure.UnauthorizedOperation",
            ErrorCode::UnauthorizedOperation => "UnauthorizedOperation",
            ErrorCode::RequestLimitExceeded => "RequestLimitExceeded",
            ErrorCode::LimitExceeded => "LimitExceeded",
            ErrorCode::ResourceNotFound => "ResourceNotFound",
            ErrorCode::ResourceInsufficient => "ResourceInsufficient",
            ErrorCode::ResourceUnavailable => "ResourceUnavailable",
            ErrorCode::InvalidParameter => "InvalidParameter",
            ErrorCode::MissingParameter => "MissingParameter",
            ErrorCode::InvalidParameterValue => "InvalidParameterValue",
            ErrorCode::FailedOperation => "FailedOperation",
            ErrorCode::FailedOperationBalanceInsufficient => "FailedOperation.BalanceInsufficient",
            ErrorCode::InternalError => "InternalError",
            ErrorCode::ServiceUnavailable => "ServiceUnavailable",
        }
    }

    /// The HTTP status a server answers this code with.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::AuthFailureUnauthorizedOperation => 401,
            ErrorCode::UnauthorizedOperation => 403,
            ErrorCode::RequestLimitExceeded => 429,
            ErrorCode::ResourceNotFound => 404,
            ErrorCode::LimitExceeded
            | ErrorCode::ResourceInsufficient
            | ErrorCode::ResourceUnavailable
            | ErrorCode::FailedOperation
            | ErrorCode::FailedOperationBalanceInsufficient => 409,
            ErrorCode::InvalidParameter
            | ErrorCode::MissingParameter
            | ErrorCode::InvalidParameterValue => 400,
            ErrorCode::InternalError => 500,
            ErrorCode::ServiceUnavailable => 503,
        }
    }
}

/// An error as the API reports it: a code, a message, and for a cooldown
/// the instant the action is next allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_allowed_at: Option<DateTime<Utc>>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            next_allowed_at: None,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::NotPermitted => ApiError::new(
                ErrorCode::UnauthorizedOperation,
                "This sub-account does not hold the \"Postpaid Settings\" permission. The main account can grant it under User Permissions.",
            ),
            Refusal::WrongTenant => ApiError::new(ErrorCode::UnauthorizedOperation, "The resource belongs to another account."),
            Refusal::Overdue { balance_cents } => ApiError::new(
                ErrorCode::FailedOperationBalanceInsufficient,
                format!(
                    "The account is overdue (balance {}); postpaid cannot be enabled until the balance is topped up.",
                    crate::format::money(balance_cents, "USD")
                ),
            ),
            Refusal::Cooldown { next_allowed_at } => ApiError {
                code: ErrorCode::RequestLimitExceeded,
                message: format!(
                    "Postpaid can be enabled once per hour; next allowed at {} UTC.",
                    crate::format::date_time(&next_allowed_at)
                ),
                next_allowed_at: Some(next_allowed_at),
            },
        }
    }
}

impl From<RestoreRefusal> for ApiError {
    fn from(r: RestoreRefusal) -> Self {
        match r {
            RestoreRefusal::NothingIsolated => ApiError::new(ErrorCode::ResourceNotFound, "No knowledge is isolated."),
            RestoreRefusal::InsufficientCapacity { free, needed } => ApiError::new(
                ErrorCode::ResourceInsufficient,
                format!(
                    "Free capacity is {} characters; the smallest isolated item needs {}. Purchase or renew knowledge base capacity first.",
                    crate::format::grouped(free),
                    crate::format::grouped(needed)
                ),
            ),
        }
    }
}

/// Sort orders of the resource list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SortKey {
    #[default]
    ExpiresAsc,
    ExpiresDesc,
    UsageDesc,
    UsageAsc,
}

impl SortKey {
    pub const ALL: [SortKey; 4] = [
        SortKey::ExpiresAsc,
        SortKey::ExpiresDesc,
        SortKey::UsageDesc,
        SortKey::UsageAsc,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            SortKey::ExpiresAsc => "expires-asc",
            SortKey::ExpiresDesc => "expires-desc",
            SortKey::UsageDesc => "usage-desc",
            SortKey::UsageAsc => "usage-asc",
        }
    }

    pub fn from_slug(s: &str) -> Option<SortKey> {
        SortKey::ALL.into_iter().find(|k| k.slug() == s)
    }
}

pub const PAGE_SIZES: [u32; 3] = [10, 20, 50];
pub const MAX_SEARCH_LEN: usize = 100;

/// The documented shapes of values the rules accept (the OpenAPI document
/// states exactly what the validation here refuses).
#[cfg(feature = "openapi")]
mod shapes {
    use utoipa::openapi::schema::{ObjectBuilder, Type};

    /// Budget thresholds: 1 to 5 percentages of 1 to 200, or null.
    pub fn thresholds() -> utoipa::openapi::schema::ArrayBuilder {
        utoipa::openapi::schema::ArrayBuilder::new()
            .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                Type::Array,
                Type::Null,
            ]))
            .items(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(1))
                    .maximum(Some(crate::billing::MAX_THRESHOLD)),
            )
            .min_items(Some(1))
            .max_items(Some(crate::billing::MAX_THRESHOLDS))
    }

    /// A page number: from 1, within 32 unsigned bits.
    pub fn page_number() -> ObjectBuilder {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1))
            .maximum(Some(u32::MAX))
    }

    /// `PageSize` of the resource list: one of [`super::PAGE_SIZES`].
    pub fn page_size() -> ObjectBuilder {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .enum_values(Some(super::PAGE_SIZES.map(serde_json::Value::from)))
    }

    /// A usage-based (drawn) kind, or null.
    pub fn package_kind_or_null() -> ObjectBuilder {
        use crate::model::ResourceKind;
        ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                Type::String,
                Type::Null,
            ]))
            .enum_values(Some(
                ResourceKind::ALL
                    .iter()
                    .filter(|k| k.is_package())
                    .map(|k| serde_json::to_value(k).expect("a kind serialises"))
                    .chain([serde_json::Value::Null]),
            ))
    }

    /// The kinds that are metered and have a usage history: every kind
    /// but knowledge capacity, which is filled by what is stored.
    pub fn metered_kind() -> ObjectBuilder {
        use crate::model::{Metering, ResourceKind};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(
                ResourceKind::ALL
                    .iter()
                    .filter(|k| k.spec().metering != Metering::Stored)
                    .map(|k| serde_json::to_value(k).expect("a kind serialises")),
            ))
    }
}

/// A request for one page of the resource list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ListResourcesRequest {
    pub tab: Tab,
    /// None lists every status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub search: String,
    #[serde(default)]
    pub sort: SortKey,
    /// From 1.
    #[cfg_attr(feature = "openapi", schema(schema_with = shapes::page_number))]
    pub page_number: u32,
    /// 10, 20 or 50.
    #[cfg_attr(feature = "openapi", schema(schema_with = shapes::page_size))]
    pub page_size: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct StatusCounts {
    pub available: u64,
    pub exhausted: u64,
    pub expired: u64,
    pub not_yet_effective: u64,
    pub refunded: u64,
    pub all: u64,
}

impl StatusCounts {
    pub fn get(&self, s: Option<Status>) -> u64 {
        match s {
            None => self.all,
            Some(Status::Available) => self.available,
            Some(Status::Exhausted) => self.exhausted,
            Some(Status::Expired) => self.expired,
            Some(Status::NotYetEffective) => self.not_yet_effective,
            Some(Status::Refunded) => self.refunded,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct ResourceRow {
    pub resource: Resource,
    pub status: Status,
    /// The next subscription reminder this resource will send.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_reminder: Option<crate::notify::NextReminder>,
    /// For a usage-based package that is being drawn or waits its turn:
    /// when it runs out at the recent pace, or what it leaves unused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forecast: Option<crate::forecast::Forecast>,
}

impl ResourceRow {
    /// A list row: the resource with its status and next reminder at `now`.
    pub fn at(resource: Resource, now: DateTime<Utc>) -> ResourceRow {
        ResourceRow {
            status: crate::status::status(&resource, now),
            next_reminder: crate::notify::next_reminder(&resource, now),
            forecast: None,
            resource,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct ResourcePage {
    pub items: Vec<ResourceRow>,
    /// Rows matching the status filter and search, across pages.
    pub total: u64,
    /// Per-status counts for the tab and search (before the status filter).
    pub counts: StatusCounts,
    /// The instant the page was computed (usage "as of").
    pub as_of: DateTime<Utc>,
}

/// Banner counts across the account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Summary {
    pub account: Option<Account>,
    pub nearly_exhausted: Vec<ResourceRef>,
    pub exhausted: Vec<ResourceRef>,
    /// At most 1 day left.
    pub expiring_1: Vec<ResourceRef>,
    /// More than 1, at most 7 days left.
    pub expiring_7: Vec<ResourceRef>,
    /// More than 7, at most 30 days left.
    pub expiring_30: Vec<ResourceRef>,
    /// Expired in the last 30 days.
    pub expired: Vec<ResourceRef>,
    /// Forecast to run out within 7 days at the recent pace, before they
    /// expire (soonest first).
    #[serde(default)]
    pub running_out: Vec<RunningOut>,
    pub isolated_documents: u64,
    pub isolated_qa_pairs: u64,
    pub postpaid_enabled: bool,
    pub as_of: DateTime<Utc>,
}

/// A package forecast to run out soon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct RunningOut {
    pub resource: ResourceRef,
    pub at: DateTime<Utc>,
}

/// A resource named in a banner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct ResourceRef {
    pub id: String,
    pub name: String,
    pub kind: ResourceKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct KnowledgeUsage {
    /// Capacity in force, in characters (the platform sends these as strings).
    #[serde(with = "as_string")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub available_char_size: u64,
    #[serde(with = "as_string")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub used_char_size: u64,
    /// Characters isolated because they exceed the capacity.
    #[serde(with = "as_string")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub exceed_char_size: u64,
    pub isolated_documents: u64,
    pub isolated_qa_pairs: u64,
    /// How many isolated items a restore would bring back now.
    pub restorable_items: u64,
    /// Why restoring is not possible now, if it is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_blocked: Option<ApiError>,
}

/// Serialise integer counts as decimal strings, as the platform does, and
/// accept either a string or a number.
pub mod as_string {
    use serde::{de, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            S(String),
            N(u64),
        }
        match Either::deserialize(d)? {
            Either::N(n) => Ok(n),
            Either::S(s) => s.parse().map_err(de::Error::custom),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct RenewRequest {
    pub resource_id: String,
    /// 1 to 36 months.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 36))]
    pub months: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct RenewResult {
    pub resource: Resource,
    pub charged_cents: i64,
    pub balance_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct RestoreResult {
    pub restored_items: u64,
    pub still_isolated: u64,
}

/// Who is signed in, and the users a demo may switch to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Identity {
    pub user: User,
    pub account_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct PostpaidChange {
    pub tenant_id: String,
    pub at: DateTime<Utc>,
    pub by_user_id: String,
    pub by_name: String,
    pub from: bool,
    pub to: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct PostpaidView {
    pub state: PostpaidState,
    /// Name of who last changed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_by_name: Option<String>,
    pub account: Account,
    /// Newest first.
    pub history: Vec<PostpaidChange>,
    /// Per usage-based kind: when its packages run out at the recent pace,
    /// and what postpaid would then cost per day.
    #[serde(default)]
    pub forecasts: Vec<KindForecast>,
    /// The monthly postpaid budget, when one is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<crate::billing::Budget>,
    /// This UTC month's postpaid spend, settled and not yet settled.
    pub month: crate::billing::MonthSpend,
    /// The budget thresholds that have fired this month.
    #[serde(default)]
    pub fired_thresholds: Vec<u8>,
    pub as_of: DateTime<Utc>,
}

/// Set the monthly postpaid budget, or remove it (AmountCents absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ModifyBudgetRequest {
    /// The month's limit in cents (1 to 10^9); absent removes the budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1_000_000_000_i64))]
    pub amount_cents: Option<i64>,
    /// Alert thresholds in percent (1 to 200; 1 to 5 of them, kept in
    /// ascending order, each once); default 50, 80, 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = shapes::thresholds)
    )]
    pub thresholds: Option<Vec<u8>>,
    /// Turn postpaid off when the month's spend reaches the amount.
    #[serde(default)]
    pub turn_off: bool,
}

/// Add money to a tenant's balance (operator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TopUpRequest {
    pub tenant_id: String,
    /// 1 to 10^9 cents.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1_000_000_000_i64))]
    pub amount_cents: i64,
    /// Replays with the same key and amount change nothing; 1 to 128 characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 128))]
    pub idempotency_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct TopUpResult {
    pub balance_cents: i64,
    /// Still below zero: services stay stopped.
    pub overdue: bool,
}

/// A page of settled postpaid bill lines, the newest hour first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct BillsRequest {
    /// Hours at or after this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<DateTime<Utc>>,
    /// Hours before this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
    #[cfg_attr(feature = "openapi", schema(schema_with = shapes::page_number))]
    pub page_number: u32,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100))]
    pub page_size: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct BillPage {
    pub items: Vec<crate::billing::BillLine>,
    pub total: u64,
    /// The sum of every line the request matches, in cents.
    pub total_cents: i64,
}

/// The tenant's webhook endpoints, each with its recent deliveries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct WebhooksView {
    pub endpoints: Vec<EndpointView>,
    /// Whether the caller may add, remove and test endpoints.
    pub may_manage: bool,
    pub max_endpoints: u32,
    /// The server allows private addresses and http:// (tests only).
    pub private_allowed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct EndpointView {
    pub endpoint: crate::webhook::Endpoint,
    /// The newest deliveries first (at most 20).
    pub recent: Vec<crate::webhook::Delivery>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// https:// only, a host name or IPv4 address (no credentials), an
    /// optional port; the host must resolve to public addresses. The
    /// pattern is [`crate::webhook::URL_PATTERN`] (the server's tests check
    /// the document carries it).
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 2048,
            pattern = r"^[Hh][Tt][Tt][Pp][Ss]://[^/?#@\s\[\]:\x00-\x1f\x7f-\x9f]+(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?([/?#][^\s\x00-\x1f\x7f-\x9f]*)?$"
        )
    )]
    pub url: String,
}

/// A new endpoint and its signing secret (shown only now).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct CreatedWebhook {
    pub endpoint: crate::webhook::Endpoint,
    /// HMAC-SHA256 key of the `X-Billing-Signature` header.
    pub secret: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct WebhookRef {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 128))]
    pub endpoint_id: String,
}

/// When the packages of one kind, together, run out at the recent pace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct KindForecast {
    pub kind: ResourceKind,
    /// Units per day at the recent pace (0 without enough history).
    pub per_day: u64,
    /// Hours of history behind the pace; under 24 there is no forecast.
    pub basis_hours: u32,
    /// Whether the pace is known (24 hours of history or more).
    pub forecast: bool,
    /// When the last package is drained or expires; None when no package
    /// is left now, or at a zero pace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packages_until: Option<DateTime<Utc>>,
    /// The packages, together, last beyond this instant (the forecast
    /// looks no further than a year, or 32 packages, ahead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lasts_beyond: Option<DateTime<Utc>>,
    /// Postpaid's cost per day at this pace, in cents (demo prices; see
    /// the README).
    pub postpaid_cents_per_day: i64,
}

/// A request for one page of the deduction ledger, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct DeductionsRequest {
    /// One package's draws; absent for the whole account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 128))]
    pub resource_id: Option<String>,
    /// Only this usage-based kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = shapes::package_kind_or_null))]
    pub kind: Option<ResourceKind>,
    /// Lines at or after this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<DateTime<Utc>>,
    /// Lines before this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
    #[cfg_attr(feature = "openapi", schema(schema_with = shapes::page_number))]
    pub page_number: u32,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100))]
    pub page_size: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct DeductionPage {
    /// The last written first.
    pub items: Vec<crate::deduction::DeductionEntry>,
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ModifyPostpaidRequest {
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ModifyPermissionRequest {
    pub user_id: String,
    pub postpaid_permission: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ReportUsageRequest {
    pub tenant_id: String,
    /// Token and search packages are drawn, concurrency peaks are recorded;
    /// knowledge capacity is not metered.
    #[cfg_attr(feature = "openapi", schema(schema_with = shapes::metered_kind))]
    pub kind: ResourceKind,
    /// 1 to 10^12.
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 1, maximum = 1_000_000_000_000_i64)
    )]
    pub amount: u64,
    /// Replays with the same key and body change nothing; 1 to 128 characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 128))]
    pub idempotency_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct NoticesRequest {
    #[cfg_attr(feature = "openapi", schema(schema_with = shapes::page_number))]
    pub page_number: u32,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100))]
    pub page_size: u32,
    #[serde(default)]
    pub unread_only: bool,
}

/// A notice as one user sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct NoticeView {
    pub id: String,
    pub resource_id: String,
    pub resource_name: String,
    pub resource_kind: ResourceKind,
    pub notice: crate::reminders::Notice,
    pub at: DateTime<Utc>,
    pub read: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct NoticePage {
    /// Unread first, then newest first.
    pub items: Vec<NoticeView>,
    pub total: u64,
    pub unread_count: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct MarkNoticesReadRequest {
    /// At most 1000; give these, or `All: true`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 1000))]
    pub notice_ids: Vec<String>,
    /// Mark every notice read.
    #[serde(default)]
    pub all: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct UnreadCount {
    pub unread_count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct OutboxRequest {
    #[cfg_attr(feature = "openapi", schema(schema_with = shapes::page_number))]
    pub page_number: u32,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100))]
    pub page_size: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct OutboxPage {
    /// Newest first.
    pub items: Vec<crate::notify::OutboxMessage>,
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct UsageHistoryRequest {
    /// Knowledge capacity has no usage history.
    #[cfg_attr(feature = "openapi", schema(schema_with = shapes::metered_kind))]
    pub kind: ResourceKind,
    pub granularity: crate::notify::Granularity,
    /// Also split each bucket by the pool that paid (usage-based kinds).
    #[serde(default)]
    pub by_pool: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct UsageHistory {
    pub kind: ResourceKind,
    pub granularity: crate::notify::Granularity,
    pub points: Vec<crate::notify::Point>,
    /// With `ByPool`: per pool, what it paid in each bucket (the same
    /// buckets as `Points`). What `Points` holds beyond their sum was
    /// metered before the deduction ledger began.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pools: Vec<PoolSeries>,
}

/// What one pool paid per bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct PoolSeries {
    pub pool: crate::deduction::Pool,
    pub points: Vec<crate::notify::Point>,
}

/// Paging for the notice and outbox lists: PageSize 1 to 100.
pub fn page_bounds(page_number: u32, page_size: u32) -> Result<(usize, usize), ApiError> {
    if page_number == 0 || page_size == 0 || page_size > 100 {
        return Err(ApiError::new(
            ErrorCode::InvalidParameterValue,
            "PageNumber starts at 1; PageSize is 1 to 100.",
        ));
    }
    Ok((
        (page_number as usize - 1).saturating_mul(page_size as usize),
        page_size as usize,
    ))
}

/// An answer with nothing in it but the envelope's `RequestId`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Nothing {}

/// The tenant's sub-accounts (`{"Data": [...]}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct SubAccounts {
    pub data: Vec<User>,
}

/// How many sessions `SignOutEverywhere` ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct EndedSessions {
    pub ended_sessions: u64,
}

/// Demo mode: the seeded user to sign in as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SignInRequest {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 128))]
    pub user_id: String,
}

/// How the server identifies users, and who this request belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct ServerInfo {
    /// "demo" (sign in by picking a seeded user) or "proxy".
    pub mode: String,
    /// The users a demo may sign in as.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub demo_users: Vec<User>,
    /// Who this request's session (or proxy header) belongs to; absent
    /// when nobody is signed in. The console's first request: it learns
    /// whether to show the sign-in page without a refused call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
}

crate::enumerated! {
/// What a live event (`GET /api/events`) says changed in the caller's
/// tenant; the console refetches the views of that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum LiveEvent {
    /// The stream has opened (again, after a reconnect).
    Ready,
    /// Usage moved: every figure that moves with it.
    Usage,
    /// A notice was written or read.
    Notice,
    /// The postpaid setting, budget or charges changed.
    Postpaid,
    /// A user's grants changed.
    Permission,
    /// The stream fell behind: refetch everything.
    Resync,
}
}

impl LiveEvent {
    /// The event's name on the stream.
    pub fn as_str(self) -> &'static str {
        match self {
            LiveEvent::Ready => "ready",
            LiveEvent::Usage => "usage",
            LiveEvent::Notice => "notice",
            LiveEvent::Postpaid => "postpaid",
            LiveEvent::Permission => "permission",
            LiveEvent::Resync => "resync",
        }
    }

    pub fn from_name(s: &str) -> Option<LiveEvent> {
        LiveEvent::ALL.iter().copied().find(|e| e.as_str() == s)
    }
}

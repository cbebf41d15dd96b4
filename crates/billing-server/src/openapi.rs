//! The OpenAPI 3 document of every action and schema, generated from the
//! wire types' derived schemas (utoipa).

use billing_rules::actions::Action;
use billing_rules::api::*;
use billing_rules::deduction::Deduction;
use billing_rules::model::User;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref,
    RefOr, ResponseBuilder,
};

use crate::api::{ServerInfo, SignInRequest};

fn obj() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::Object)
}

/// `{"Response": {...T, "RequestId"}}`.
fn envelope(inner: RefOr<Schema>) -> Schema {
    let response = utoipa::openapi::schema::AllOfBuilder::new()
        .item(inner)
        .item(
            obj()
                .property("RequestId", ObjectBuilder::new().schema_type(Type::String))
                .required("RequestId"),
        )
        .build();
    obj()
        .property("Response", Schema::AllOf(response))
        .required("Response")
        .into()
}

fn r(name: &str) -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(name))
}

fn data_list(name: &str) -> RefOr<Schema> {
    RefOr::T(
        obj()
            .property("Data", ArrayBuilder::new().items(r(name)))
            .required("Data")
            .into(),
    )
}

/// (action, summary, request schema, response schema)
fn actions() -> Vec<(&'static str, &'static str, RefOr<Schema>, RefOr<Schema>)> {
    let empty = || r("Empty");
    let mut v = Vec::new();
    for a in Action::ALL {
        let (summary, req, resp) = match a {
            Action::DescribeIdentity => ("Who is signed in", empty(), r("Identity")),
            Action::DescribeResources => (
                "List resources of a tab with filters, sort, paging and per-status counts",
                r("ListResourcesRequest"),
                r("ResourcePage"),
            ),
            Action::DescribeAccountSummary => (
                "Account balance, overdue state and the page banners' resources",
                empty(),
                r("Summary"),
            ),
            Action::DescribeKnowledgeUsage => (
                "Knowledge base capacity, usage and isolation",
                empty(),
                r("KnowledgeUsage"),
            ),
            Action::RenewResource => (
                "Renew a prepaid resource (main account), charging the balance",
                r("RenewRequest"),
                r("RenewResult"),
            ),
            Action::RestoreKnowledge => (
                "Restore isolated knowledge that fits the free capacity",
                empty(),
                r("RestoreResult"),
            ),
            Action::DescribePostpaidSetting => (
                "Postpaid state, who changed it, and its history",
                empty(),
                r("PostpaidView"),
            ),
            Action::ModifyPostpaidSetting => (
                "Enable (once per hour, not while overdue) or disable postpaid",
                r("ModifyPostpaidRequest"),
                r("PostpaidView"),
            ),
            Action::DescribeSubAccountPermissions => (
                "The tenant's sub-accounts and their permissions (main account)",
                empty(),
                data_list("User"),
            ),
            Action::ModifySubAccountPermission => (
                "Grant or withdraw a sub-account's Postpaid Settings permission (main account)",
                r("ModifyPermissionRequest"),
                r("User"),
            ),
            Action::DescribeNotices => (
                "Console notices, unread first then newest, with the unread count",
                r("NoticesRequest"),
                r("NoticePage"),
            ),
            Action::MarkNoticesRead => (
                "Mark notices read (by id, or all) for the signed-in user",
                r("MarkNoticesReadRequest"),
                r("UnreadCount"),
            ),
            Action::DescribeReminderOutbox => (
                "Subscription reminders written to the outbox (in-site message, SMS, email)",
                r("OutboxRequest"),
                r("OutboxPage"),
            ),
            Action::DescribeUsageHistory => (
                "Usage per day (30 days) or hour (48 hours) of a resource kind, as {X, Y} points",
                r("UsageHistoryRequest"),
                r("UsageHistory"),
            ),
            Action::DescribeDeductions => (
                "The deduction ledger, the last written first: which package (or postpaid) paid for each metering event, with the event's idempotency key; per package or for the account, filtered by kind and time",
                r("DeductionsRequest"),
                r("DeductionPage"),
            ),
            Action::DescribeBills => (
                "Postpaid charges: one settled line per UTC hour and kind, the newest hour first, with the sum of every matching line",
                r("BillsRequest"),
                r("BillPage"),
            ),
            Action::ModifyPostpaidBudget => (
                "Set (or, without AmountCents, remove) the monthly postpaid budget: alert thresholds, and optionally turn postpaid off when it is reached (main account or the Postpaid Settings grant)",
                r("ModifyBudgetRequest"),
                r("PostpaidView"),
            ),
            Action::DescribeWebhooks => (
                "Alert webhook endpoints and each one's 20 latest deliveries",
                empty(),
                r("WebhooksView"),
            ),
            Action::CreateWebhook => (
                "Register an https endpoint for alerts; answers its signing secret, once (main account or the grant)",
                r("CreateWebhookRequest"),
                r("CreatedWebhook"),
            ),
            Action::DeleteWebhook => (
                "Remove an endpoint and its pending deliveries (main account or the grant)",
                r("WebhookRef"),
                r("Nothing"),
            ),
            Action::SendTestWebhook => (
                "Queue a test event for one endpoint (main account or the grant)",
                r("WebhookRef"),
                r("Nothing"),
            ),
        };
        v.push((a.name(), summary, req, resp));
    }
    v.push((
        "DescribeServerInfo",
        "Server mode and, in demo mode, the users one may sign in as (no sign-in needed)",
        empty(),
        r("ServerInfo"),
    ));
    v.push((
        "SignIn",
        "Demo mode: sign in as a seeded user; sets the session cookie",
        r("SignInRequest"),
        r("Identity"),
    ));
    v.push(("SignOut", "End the session", empty(), r("Nothing")));
    v.push((
        "SignOutEverywhere",
        "End every session of the signed-in user (every browser and device)",
        empty(),
        r("EndedSessions"),
    ));
    v.push((
        "ReportUsage",
        "Metering (operator credential only): deduct usage in the rules' order, idempotent per key",
        r("ReportUsageRequest"),
        r("Deduction"),
    ));
    v.push((
        "TopUp",
        "Add to a tenant's balance (operator credential only), idempotent per key; a balance back at zero or more ends the overdue state",
        r("TopUpRequest"),
        r("TopUpResult"),
    ));
    v
}

/// What a request can be refused with, whatever the action: a malformed
/// body (400), one too large (413), not JSON (415), too slow (408), a
/// failure of ours (500).
const ALWAYS: &[ErrorCode] = &[
    ErrorCode::InvalidParameter,
    ErrorCode::MissingParameter,
    ErrorCode::LimitExceeded,
    ErrorCode::InternalError,
];

/// The error codes each action can answer with, beyond [`ALWAYS`].
fn refusals(action: &str) -> Vec<ErrorCode> {
    use ErrorCode::*;
    let signed_in = [AuthFailureUnauthorizedOperation];
    // A state change: the console's own origin, and the session's rate.
    let change = [
        AuthFailureUnauthorizedOperation,
        UnauthorizedOperation,
        RequestLimitExceeded,
    ];
    let mut v: Vec<ErrorCode> = match action {
        "DescribeServerInfo" => vec![],
        "SignIn" => vec![
            UnauthorizedOperation,
            AuthFailureUnauthorizedOperation,
            RequestLimitExceeded,
        ],
        "SignOut" => vec![UnauthorizedOperation],
        "SignOutEverywhere" => change.to_vec(),
        "ReportUsage" => vec![
            AuthFailureUnauthorizedOperation,
            InvalidParameterValue,
            ResourceNotFound,
            FailedOperation,
            FailedOperationBalanceInsufficient,
            ResourceInsufficient,
        ],
        "DescribeResources"
        | "DescribeNotices"
        | "DescribeReminderOutbox"
        | "DescribeUsageHistory" => [&signed_in[..], &[InvalidParameterValue]].concat(),
        "DescribeDeductions" => {
            [&signed_in[..], &[InvalidParameterValue, ResourceNotFound]].concat()
        }
        "TopUp" => vec![
            AuthFailureUnauthorizedOperation,
            InvalidParameterValue,
            ResourceNotFound,
            FailedOperation,
        ],
        "DescribeBills" => [&signed_in[..], &[InvalidParameterValue]].concat(),
        "ModifyPostpaidBudget" => [&change[..], &[InvalidParameterValue]].concat(),
        "CreateWebhook" => [&change[..], &[InvalidParameterValue, FailedOperation]].concat(),
        "DeleteWebhook" | "SendTestWebhook" => [&change[..], &[ResourceNotFound]].concat(),
        "DescribeSubAccountPermissions" => {
            vec![AuthFailureUnauthorizedOperation, UnauthorizedOperation]
        }
        "RenewResource" => [
            &change[..],
            &[
                InvalidParameterValue,
                ResourceNotFound,
                FailedOperation,
                ResourceUnavailable,
                FailedOperationBalanceInsufficient,
            ],
        ]
        .concat(),
        "RestoreKnowledge" => [&change[..], &[ResourceNotFound, ResourceInsufficient]].concat(),
        "ModifyPostpaidSetting" => [&change[..], &[FailedOperationBalanceInsufficient]].concat(),
        "ModifySubAccountPermission" => [&change[..], &[ResourceNotFound]].concat(),
        "MarkNoticesRead" => [&change[..], &[InvalidParameterValue, ResourceNotFound]].concat(),
        _ => signed_in.to_vec(),
    };
    v.extend_from_slice(ALWAYS);
    v
}

/// The responses for these error codes, one per HTTP status, each naming
/// its codes.
fn error_responses(mut op: OperationBuilder, codes: &[ErrorCode]) -> OperationBuilder {
    let mut by_status: std::collections::BTreeMap<u16, Vec<&str>> = Default::default();
    for c in codes {
        by_status
            .entry(c.http_status())
            .or_default()
            .push(c.as_str());
    }
    // Protocol refusals with codes of their own statuses.
    by_status.entry(408).or_default().push("InvalidParameter");
    by_status.entry(415).or_default().push("InvalidParameter");
    if let Some(v) = by_status.get_mut(&409) {
        v.retain(|c| *c != "LimitExceeded");
    }
    by_status.entry(413).or_default().push("LimitExceeded");
    for (status, names) in by_status {
        let what = match status {
            400 => "Invalid or missing parameter",
            401 => "Not signed in, or the credential is not accepted",
            403 => "Not permitted, or not from the console's origin",
            404 => "Not found in this account",
            408 => "The body did not arrive in time",
            409 => "Refused by a rule",
            413 => "Body too large",
            415 => "Not JSON",
            429 => {
                "Too many requests, or postpaid was enabled less than an hour ago (NextAllowedAt)"
            }
            _ => "The service failed; nothing was changed",
        };
        if names.is_empty() {
            continue;
        }
        let mut names = names;
        names.sort();
        names.dedup();
        op = op.response(
            status.to_string(),
            ResponseBuilder::new()
                .description(format!("{what}. Codes: {}.", names.join(", ")))
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(r("ErrorResponse")))
                        .build(),
                ),
        );
    }
    op
}

fn security(name: &str) -> utoipa::openapi::security::SecurityRequirement {
    utoipa::openapi::security::SecurityRequirement::new::<&str, [&str; 0], &str>(name, [])
}

/// Add `T` and every schema it refers to.
fn with<T: utoipa::ToSchema>(b: ComponentsBuilder) -> ComponentsBuilder {
    let mut nested = Vec::new();
    T::schemas(&mut nested);
    b.schema_from::<T>().schemas_from_iter(nested)
}

/// `GET /api/events`: the live stream.
fn events_path() -> PathItem {
    let op = OperationBuilder::new()
        .operation_id(Some("StreamEvents"))
        .summary(Some("Live changes of the caller's tenant, as server-sent events"))
        .description(Some(
            "A text/event-stream. It opens with `event: ready`. Then each event names what changed in the caller's tenant: `usage`, `notice`, `postpaid`, `permission`, or `resync` (the stream fell behind: refetch everything). The data of each is `{\"Kind\": <the event's name>}`; the console refetches the views of that kind. The stream ends when the session is signed out, replaced or expires, or the user is gone. At most 4 streams per session.",
        ))
        .tag("Billing")
        .security(security("session"))
        .response(
            "200",
            ResponseBuilder::new()
                .description("The stream")
                .content(
                    "text/event-stream",
                    ContentBuilder::new().schema(Some(r("StreamEvent"))).build(),
                ),
        );
    let op = error_responses(
        op,
        &[
            ErrorCode::AuthFailureUnauthorizedOperation,
            ErrorCode::RequestLimitExceeded,
            ErrorCode::InternalError,
        ],
    );
    PathItem::new(HttpMethod::Get, op)
}

pub fn document() -> OpenApi {
    let codes: Vec<serde_json::Value> = [
        ErrorCode::AuthFailureUnauthorizedOperation,
        ErrorCode::UnauthorizedOperation,
        ErrorCode::RequestLimitExceeded,
        ErrorCode::LimitExceeded,
        ErrorCode::ResourceNotFound,
        ErrorCode::ResourceInsufficient,
        ErrorCode::ResourceUnavailable,
        ErrorCode::InvalidParameter,
        ErrorCode::MissingParameter,
        ErrorCode::InvalidParameterValue,
        ErrorCode::FailedOperation,
        ErrorCode::FailedOperationBalanceInsufficient,
        ErrorCode::InternalError,
    ]
    .iter()
    .map(|c| serde_json::Value::from(c.as_str()))
    .collect();
    let error = obj()
        .property(
            "Response",
            obj()
                .property(
                    "Error",
                    obj()
                        .property(
                            "Code",
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .enum_values(Some(codes)),
                        )
                        .property("Message", ObjectBuilder::new().schema_type(Type::String))
                        .property(
                            "NextAllowedAt",
                            ObjectBuilder::new().schema_type(Type::String).format(Some(
                                utoipa::openapi::SchemaFormat::KnownFormat(
                                    utoipa::openapi::KnownFormat::DateTime,
                                ),
                            )),
                        )
                        .required("Code")
                        .required("Message"),
                )
                .property("RequestId", ObjectBuilder::new().schema_type(Type::String))
                .required("Error")
                .required("RequestId"),
        )
        .required("Response");
    let mut paths = PathsBuilder::new();
    for (name, summary, req, resp) in actions() {
        let mut op = OperationBuilder::new()
            .operation_id(Some(name))
            .summary(Some(summary))
            .tag("Billing")
            .request_body(Some(
                RequestBodyBuilder::new()
                    .content(
                        "application/json",
                        ContentBuilder::new().schema(Some(req)).build(),
                    )
                    .required(Some(utoipa::openapi::Required::True))
                    .build(),
            ))
            .response(
                "200",
                ResponseBuilder::new().description("Success").content(
                    "application/json",
                    ContentBuilder::new().schema(Some(envelope(resp))).build(),
                ),
            );
        op = error_responses(op, &refusals(name));
        op = match name {
            "ReportUsage" | "TopUp" => op.security(security("operator")),
            "DescribeServerInfo" | "SignIn" | "SignOut" => op,
            _ => op.security(security("session")),
        };
        paths = paths.path(format!("/api/{name}"), PathItem::new(HttpMethod::Post, op));
    }
    paths = paths.path("/api/events", events_path());
    let free = || utoipa::openapi::schema::AdditionalProperties::FreeForm(false);
    // One server-sent event: its name, and JSON data naming it again.
    let stream_event = obj()
        .property(
            "event",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(
                    [
                        "ready",
                        "usage",
                        "notice",
                        "postpaid",
                        "permission",
                        "resync",
                    ]
                    .map(serde_json::Value::from)
                    .to_vec(),
                )),
        )
        .property(
            "data",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .content_media_type("application/json")
                .description(Some("{\"Kind\": <the event's name>}")),
        )
        .required("event")
        .required("data");
    let mut components = ComponentsBuilder::new()
        .schema("Empty", obj().additional_properties(Some(free())))
        // An answer with nothing in it but the envelope's RequestId.
        .schema("Nothing", obj())
        .schema("ErrorResponse", error)
        .schema("StreamEvent", stream_event)
        .schema(
            "EndedSessions",
            obj()
                .property(
                    "EndedSessions",
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(0)),
                )
                .required("EndedSessions"),
        );
    components = with::<Identity>(components);
    components = with::<User>(components);
    components = with::<ListResourcesRequest>(components);
    components = with::<ResourcePage>(components);
    components = with::<ResourceRow>(components);
    components = with::<StatusCounts>(components);
    components = with::<Summary>(components);
    components = with::<ResourceRef>(components);
    components = with::<KnowledgeUsage>(components);
    components = with::<RenewRequest>(components);
    components = with::<RenewResult>(components);
    components = with::<RestoreResult>(components);
    components = with::<PostpaidView>(components);
    components = with::<ModifyBudgetRequest>(components);
    components = with::<BillsRequest>(components);
    components = with::<BillPage>(components);
    components = with::<TopUpRequest>(components);
    components = with::<TopUpResult>(components);
    components = with::<WebhooksView>(components);
    components = with::<CreateWebhookRequest>(components);
    components = with::<CreatedWebhook>(components);
    components = with::<WebhookRef>(components);
    components = with::<PostpaidChange>(components);
    components = with::<ModifyPostpaidRequest>(components);
    components = with::<ModifyPermissionRequest>(components);
    components = with::<ReportUsageRequest>(components);
    components = with::<Deduction>(components);
    components = with::<DeductionsRequest>(components);
    components = with::<DeductionPage>(components);
    components = with::<billing_rules::deduction::DeductionEntry>(components);
    components = with::<billing_rules::forecast::Forecast>(components);
    components = with::<KindForecast>(components);
    components = with::<RunningOut>(components);
    components = with::<NoticesRequest>(components);
    components = with::<NoticePage>(components);
    components = with::<NoticeView>(components);
    components = with::<MarkNoticesReadRequest>(components);
    // NoticeIds (at least one), or All: true.
    let mark = utoipa::openapi::schema::AllOfBuilder::new()
        .item(<MarkNoticesReadRequest as utoipa::PartialSchema>::schema())
        .item(
            utoipa::openapi::schema::AnyOfBuilder::new()
                .item(
                    obj()
                        .property(
                            "NoticeIds",
                            ArrayBuilder::new()
                                .items(ObjectBuilder::new().schema_type(Type::String))
                                .min_items(Some(1)),
                        )
                        .required("NoticeIds"),
                )
                .item(
                    obj()
                        .property(
                            "All",
                            ObjectBuilder::new()
                                .schema_type(Type::Boolean)
                                .enum_values(Some([true])),
                        )
                        .required("All"),
                ),
        );
    components = components.schema("MarkNoticesReadRequest", mark);
    components = with::<UnreadCount>(components);
    components = with::<OutboxRequest>(components);
    components = with::<OutboxPage>(components);
    components = with::<UsageHistoryRequest>(components);
    components = with::<UsageHistory>(components);
    components = with::<ServerInfo>(components);
    components = with::<SignInRequest>(components);
    let components = components
        .security_scheme(
            "operator",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("The operator's metering token (--operator-token).")).build()),
        )
        .security_scheme(
            "session",
            SecurityScheme::ApiKey(utoipa::openapi::security::ApiKey::Cookie(
                utoipa::openapi::security::ApiKeyValue::with_description(
                    crate::api::COOKIE,
                    "Set by SignIn in demo mode. Behind an authenticating proxy the proxy's user header identifies the caller instead.",
                ),
            )),
        )
        .build();
    OpenApiBuilder::new()
        .info(InfoBuilder::new().title("Billing resources API").version(env!("CARGO_PKG_VERSION")).description(Some("POST /api/{Action} with a JSON body of PascalCase fields (unknown fields are refused). Success: {\"Response\": {..., \"RequestId\"}}. Failure: {\"Response\": {\"Error\": {\"Code\", \"Message\"}, \"RequestId\"}} with the status of its code. State changes need the console's own Origin. Any other method on an action gets 405 with Allow: POST.")).build())
        .paths(paths.build())
        .components(Some(components))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `$ref` names a schema the document holds.
    #[test]
    fn every_reference_resolves() {
        let doc = serde_json::to_value(document()).unwrap();
        let have = doc["components"]["schemas"].as_object().unwrap();
        let text = doc.to_string();
        let mut missing: Vec<&str> = text
            .split("\"#/components/schemas/")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .filter(|name| !have.contains_key(*name))
            .collect();
        missing.dedup();
        assert!(missing.is_empty(), "unresolved: {missing:?}");
    }

    /// Request schemas refuse unknown fields, as the server does.
    #[test]
    fn requests_refuse_unknown_fields() {
        let doc = serde_json::to_value(document()).unwrap();
        for (path, item) in doc["paths"].as_object().unwrap() {
            let Some(body) = item["post"]["requestBody"]["content"]["application/json"]["schema"]
                ["$ref"]
                .as_str()
            else {
                continue;
            };
            let name = body.rsplit('/').next().unwrap();
            let schema = &doc["components"]["schemas"][name];
            // Either the object itself, or the first part of an allOf.
            let object = schema["allOf"].get(0).unwrap_or(schema);
            assert_eq!(object["additionalProperties"], false, "{path}: {name}");
        }
    }
}

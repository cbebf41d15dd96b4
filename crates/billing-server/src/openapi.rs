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
    v.push(("SignOut", "End the session", empty(), empty()));
    v.push((
        "ReportUsage",
        "Metering (operator credential only): deduct usage in the rules' order, idempotent per key",
        r("ReportUsageRequest"),
        r("Deduction"),
    ));
    v
}

pub fn document() -> OpenApi {
    let error = obj()
        .property(
            "Response",
            obj()
                .property(
                    "Error",
                    obj()
                        .property("Code", ObjectBuilder::new().schema_type(Type::String))
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
        for (code, what) in [
            ("400", "Invalid or missing parameter"),
            ("401", "Not signed in"),
            ("403", "Not permitted"),
            ("404", "Not found in this account"),
            ("409", "Refused by a rule (balance, capacity)"),
            ("413", "Body too large"),
            ("415", "Not JSON"),
            ("429", "Postpaid enabled less than an hour ago"),
        ] {
            op = op.response(
                code,
                ResponseBuilder::new().description(what).content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(r("ErrorResponse")))
                        .build(),
                ),
            );
        }
        if name == "ReportUsage" {
            op = op.security(utoipa::openapi::security::SecurityRequirement::new::<
                &str,
                [&str; 0],
                &str,
            >("operator", []));
        }
        paths = paths.path(format!("/api/{name}"), PathItem::new(HttpMethod::Post, op));
    }
    let components = ComponentsBuilder::new()
        .schema("Empty", obj())
        .schema("ErrorResponse", error)
        .schema_from::<Identity>()
        .schema_from::<User>()
        .schema_from::<ListResourcesRequest>()
        .schema_from::<ResourcePage>()
        .schema_from::<ResourceRow>()
        .schema_from::<StatusCounts>()
        .schema_from::<Summary>()
        .schema_from::<ResourceRef>()
        .schema_from::<KnowledgeUsage>()
        .schema_from::<RenewRequest>()
        .schema_from::<RenewResult>()
        .schema_from::<RestoreResult>()
        .schema_from::<PostpaidView>()
        .schema_from::<PostpaidChange>()
        .schema_from::<ModifyPostpaidRequest>()
        .schema_from::<ModifyPermissionRequest>()
        .schema_from::<ReportUsageRequest>()
        .schema_from::<Deduction>()
        .schema_from::<NoticesRequest>()
        .schema_from::<NoticePage>()
        .schema_from::<NoticeView>()
        .schema_from::<MarkNoticesReadRequest>()
        .schema_from::<UnreadCount>()
        .schema_from::<OutboxRequest>()
        .schema_from::<OutboxPage>()
        .schema_from::<UsageHistoryRequest>()
        .schema_from::<UsageHistory>()
        .schema_from::<ServerInfo>()
        .schema_from::<SignInRequest>()
        .security_scheme(
            "operator",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        )
        .build();
    OpenApiBuilder::new()
        .info(InfoBuilder::new().title("Billing resources API").version(env!("CARGO_PKG_VERSION")).description(Some("POST /api/{Action} with a JSON body of PascalCase fields. Success: {\"Response\": {..., \"RequestId\"}}. Failure: {\"Response\": {\"Error\": {\"Code\", \"Message\"}, \"RequestId\"}}.")).build())
        .paths(paths.build())
        .components(Some(components))
        .build()
}

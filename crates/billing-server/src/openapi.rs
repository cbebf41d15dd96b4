//! The OpenAPI 3 document of every action and schema, generated from the
//! wire types' derived schemas (utoipa).

use billing_rules::actions::{Access, Action};
use billing_rules::api::*;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref,
    RefOr, ResponseBuilder,
};

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

/// The request and response schemas of an action, by the registry's types.
fn schemas(a: Action) -> (RefOr<Schema>, RefOr<Schema>) {
    let (req, resp) = billing_rules::actions::schemas::names(a);
    (r(&req), r(&resp))
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
            503 => "The service's storage is briefly unavailable; nothing was changed: retry after Retry-After seconds",
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

/// `GET /api/events`: the live stream.
fn events_path() -> PathItem {
    let op = OperationBuilder::new()
        .operation_id(Some("StreamEvents"))
        .summary(Some("Live changes of the caller's tenant, as server-sent events"))
        .description(Some(format!(
            "A text/event-stream. It opens with `event: ready`. Then each event names what changed in the caller's tenant: {}, or `resync` (the stream fell behind: refetch everything). The data of each is `{{\"Kind\": <the event's name>}}`; the console refetches the views of that kind. The stream ends when the session is signed out, replaced or expires, or the user is gone. At most 4 streams per session.",
            LiveEvent::ALL
                .iter()
                .filter(|e| !matches!(e, LiveEvent::Ready | LiveEvent::Resync))
                .map(|e| format!("`{}`", e.as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        )        ))
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
            ErrorCode::ServiceUnavailable,
        ],
    );
    PathItem::new(HttpMethod::Get, op)
}

pub fn document() -> OpenApi {
    let codes: Vec<serde_json::Value> = ErrorCode::ALL
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
                            ObjectBuilder::new()
                                .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                                    Type::String,
                                    Type::Null,
                                ]))
                                .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                                    utoipa::openapi::KnownFormat::DateTime,
                                ))),
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
    for &a in Action::ALL {
        let name = a.name();
        let (req, resp) = schemas(a);
        let mut op = OperationBuilder::new()
            .operation_id(Some(name))
            .summary(Some(a.summary()))
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
        op = error_responses(op, &a.refusals());
        // Whether it changes state, from the registry (tools may retry a
        // read; the generated-client check calls every read).
        op = op.extensions(Some(
            utoipa::openapi::extensions::ExtensionsBuilder::new()
                .add("x-billing-writes", a.writes())
                .build(),
        ));
        op = match a.access() {
            Access::Operator => op.security(security("operator")),
            Access::Anyone => op,
            Access::User => op.security(security("session")),
        };
        paths = paths.path(format!("/api/{name}"), PathItem::new(HttpMethod::Post, op));
    }
    paths = paths.path("/api/events", events_path());
    // One server-sent event: its name, and JSON data naming it again.
    let stream_event = obj()
        .property(
            "event",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(
                    LiveEvent::ALL
                        .iter()
                        .map(|e| serde_json::Value::from(e.as_str()))
                        .collect::<Vec<_>>(),
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
    let components = ComponentsBuilder::new()
        .schema("ErrorResponse", error)
        .schema("StreamEvent", stream_event);
    let mut components = billing_rules::actions::schemas::all(components);
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
    let mut components = components;
    name_every_variant(&mut components);
    OpenApiBuilder::new()
        .info(InfoBuilder::new().title("Billing resources API").version(env!("CARGO_PKG_VERSION")).description(Some("POST /api/{Action} with a JSON body of PascalCase fields (unknown fields are refused). Success: {\"Response\": {..., \"RequestId\"}}. Failure: {\"Response\": {\"Error\": {\"Code\", \"Message\"}, \"RequestId\"}} with the status of its code. State changes need the console's own Origin. Any other method on an action gets 405 with Allow: POST.")).build())
        .paths(paths.build())
        .components(Some(components))
        .build()
}

/// Every inline variant of a `oneOf` becomes a component of its own, named
/// after its schema and the variant (`Notice` + `ExpiringSoon`): client
/// generators then give each one class, instead of naming an inline
/// variant and the object inside it alike and dropping both.
fn name_every_variant(components: &mut utoipa::openapi::Components) {
    let mut named = Vec::new();
    for (name, schema) in components.schemas.iter_mut() {
        let RefOr::T(Schema::OneOf(one_of)) = schema else {
            continue;
        };
        for item in one_of.items.iter_mut() {
            let RefOr::T(Schema::Object(variant)) = item else {
                continue;
            };
            let tag = match (&variant.enum_values, variant.required.as_slice()) {
                (Some(values), _) if values.len() == 1 => values[0].as_str().map(str::to_string),
                (None, [field]) if variant.properties.len() == 1 => Some(field.clone()),
                _ => None,
            };
            if let Some(tag) = tag {
                let full = format!("{name}{tag}");
                let inline = std::mem::replace(item, r(&full));
                named.push((full, inline));
            }
        }
    }
    for (name, schema) in named {
        components.schemas.insert(name, schema);
    }
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

    /// No `oneOf` holds an inline object or enum: every variant is named.
    #[test]
    fn every_variant_is_a_named_component() {
        let doc = serde_json::to_value(document()).unwrap();
        for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
            for item in schema["oneOf"].as_array().into_iter().flatten() {
                assert!(item["$ref"].is_string(), "{name}: inline variant {item}");
            }
        }
        assert!(doc["components"]["schemas"]["NoticeExpiringSoon"].is_object());
    }

    /// Every field of every schema is PascalCase (the server-sent event's
    /// `event` and `data` are the SSE format's own).
    #[test]
    fn every_field_is_pascal_case() {
        fn walk(v: &serde_json::Value, at: &str, bad: &mut Vec<String>) {
            match v {
                serde_json::Value::Object(m) => {
                    if let Some(serde_json::Value::Object(props)) = m.get("properties") {
                        for k in props.keys() {
                            if !k.starts_with(|c: char| c.is_ascii_uppercase()) {
                                bad.push(format!("{at}.{k}"));
                            }
                        }
                    }
                    for (k, x) in m {
                        walk(x, &format!("{at}/{k}"), bad);
                    }
                }
                serde_json::Value::Array(xs) => xs.iter().for_each(|x| walk(x, at, bad)),
                _ => {}
            }
        }
        let mut doc = serde_json::to_value(document()).unwrap();
        doc["components"]["schemas"]
            .as_object_mut()
            .unwrap()
            .remove("StreamEvent");
        let mut bad = Vec::new();
        walk(&doc, "", &mut bad);
        assert!(bad.is_empty(), "not PascalCase: {bad:?}");
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

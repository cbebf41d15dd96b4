//! The action registry, wire half: every action of the API declared once —
//! its name, request and response types, whether it writes, who may call
//! it, what it can be refused with and what it does. Everything else is
//! derived from this table: the server's dispatch and its write guards
//! (origin, rate, tenant lock), the OpenAPI document, the client's typed
//! calls, and the lists the tests walk. The engine functions that answer
//! each action are bound in [`crate::handlers`] (the handler half), which
//! the served client never links.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::*;
use crate::deduction::Deduction;

/// Who may call an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (the server's info, signing in and out).
    Anyone,
    /// A signed-in user (session cookie, or the trusted proxy's header).
    User,
    /// The platform's operator, with its bearer token (metering, top-ups).
    Operator,
}

/// One action's types, for typed calls and typed handlers.
pub trait ActionDef {
    const ACTION: Action;
    type Request: Serialize + DeserializeOwned;
    type Response: Serialize + DeserializeOwned;
}

/// What any request can be refused with, whatever the action: a malformed
/// body (400), one too large (413), not JSON (415), a failure of ours
/// (500), storage briefly away (503).
pub const ALWAYS: &[ErrorCode] = &[
    ErrorCode::InvalidParameter,
    ErrorCode::MissingParameter,
    ErrorCode::LimitExceeded,
    ErrorCode::InternalError,
    ErrorCode::ServiceUnavailable,
];

macro_rules! registry {
    (@writes read) => { false };
    (@writes write) => { true };
    (
        engine { $( $(#[doc = $doc:literal])+ $name:ident($req:ty => $resp:ty) $rw:ident $access:ident [$($code:ident),*]; )* }
        server { $( $(#[doc = $sdoc:literal])+ $sname:ident($sreq:ty => $sresp:ty) $srw:ident $saccess:ident [$($scode:ident),*]; )* }
    ) => {
        /// Every action of the API.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum Action { $($name,)* $($sname,)* }

        /// The actions the rules core's engine answers (bound in
        /// [`crate::handlers`]): the console's and the operator's.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum EngineAction { $($name,)* }

        /// The actions the server answers itself (sessions, its own info).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ServerAction { $($sname,)* }

        /// Where an action is answered.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Route {
            Engine(EngineAction),
            Server(ServerAction),
        }

        impl Action {
            /// Every action, in the registry's order.
            pub const ALL: &'static [Action] = &[$(Action::$name,)* $(Action::$sname,)*];

            pub fn name(self) -> &'static str {
                match self {
                    $(Action::$name => stringify!($name),)*
                    $(Action::$sname => stringify!($sname),)*
                }
            }

            /// Whether the action may change state: it then runs in a write
            /// transaction under its tenant's lock, and from a browser it
            /// needs the console's origin and is rate-limited.
            pub fn writes(self) -> bool {
                match self {
                    $(Action::$name => registry!(@writes $rw),)*
                    $(Action::$sname => registry!(@writes $srw),)*
                }
            }

            pub fn access(self) -> Access {
                match self {
                    $(Action::$name => Access::$access,)*
                    $(Action::$sname => Access::$saccess,)*
                }
            }

            /// What the action itself refuses with (its rules), beyond what
            /// [`Action::refusals`] adds for its access and writes.
            fn own_refusals(self) -> &'static [ErrorCode] {
                match self {
                    $(Action::$name => &[$(ErrorCode::$code),*],)*
                    $(Action::$sname => &[$(ErrorCode::$scode),*],)*
                }
            }

            /// One line on what the action does (the OpenAPI summary).
            pub fn summary(self) -> &'static str {
                match self {
                    $(Action::$name => concat!($($doc),+).trim_ascii(),)*
                    $(Action::$sname => concat!($($sdoc),+).trim_ascii(),)*
                }
            }

            pub fn route(self) -> Route {
                match self {
                    $(Action::$name => Route::Engine(EngineAction::$name),)*
                    $(Action::$sname => Route::Server(ServerAction::$sname),)*
                }
            }
        }

        impl EngineAction {
            pub fn action(self) -> Action {
                match self { $(EngineAction::$name => Action::$name,)* }
            }
        }

        impl ServerAction {
            pub fn action(self) -> Action {
                match self { $(ServerAction::$sname => Action::$sname,)* }
            }
        }

        /// One type per action, carrying its request and response types.
        pub mod def {
            use super::*;
            $(
                $(#[doc = $doc])+
                pub struct $name;
                impl ActionDef for $name {
                    const ACTION: Action = Action::$name;
                    type Request = $req;
                    type Response = $resp;
                }
            )*
            $(
                $(#[doc = $sdoc])+
                pub struct $sname;
                impl ActionDef for $sname {
                    const ACTION: Action = Action::$sname;
                    type Request = $sreq;
                    type Response = $sresp;
                }
            )*
        }

        /// The JSON schemas of every action's request and response.
        #[cfg(feature = "openapi")]
        pub mod schemas {
            use super::*;
            use utoipa::openapi::ComponentsBuilder;
            use utoipa::ToSchema;

            /// The component names of an action's request and response.
            pub fn names(a: Action) -> (String, String) {
                match a {
                    $(Action::$name => (<$req as ToSchema>::name().into_owned(), <$resp as ToSchema>::name().into_owned()),)*
                    $(Action::$sname => (<$sreq as ToSchema>::name().into_owned(), <$sresp as ToSchema>::name().into_owned()),)*
                }
            }

            fn with<T: ToSchema>(b: ComponentsBuilder) -> ComponentsBuilder {
                let mut nested = Vec::new();
                T::schemas(&mut nested);
                b.schema_from::<T>().schemas_from_iter(nested)
            }

            /// Every request and response schema, and every schema they use.
            pub fn all(mut b: ComponentsBuilder) -> ComponentsBuilder {
                $( b = with::<$req>(b); b = with::<$resp>(b); )*
                $( b = with::<$sreq>(b); b = with::<$sresp>(b); )*
                b
            }
        }
    };
}

registry! {
    engine {
        /// Who is signed in
        DescribeIdentity(Empty => Identity) read User [];
        /// List resources of a tab with filters, sort, paging and per-status counts
        DescribeResources(ListResourcesRequest => ResourcePage) read User [InvalidParameterValue];
        /// Account balance, overdue state and the page banners' resources
        DescribeAccountSummary(Empty => Summary) read User [];
        /// Knowledge base capacity, usage and isolation
        DescribeKnowledgeUsage(Empty => KnowledgeUsage) read User [];
        /// Renew a prepaid resource (main account), charging the balance
        RenewResource(RenewRequest => RenewResult) write User [InvalidParameterValue, ResourceNotFound, FailedOperation, ResourceUnavailable, FailedOperationBalanceInsufficient];
        /// Restore isolated knowledge that fits the free capacity
        RestoreKnowledge(Empty => RestoreResult) write User [ResourceNotFound, ResourceInsufficient];
        /// Postpaid state, who changed it, and its history
        DescribePostpaidSetting(Empty => PostpaidView) read User [];
        /// Enable (once per hour, not while overdue) or disable postpaid
        ModifyPostpaidSetting(ModifyPostpaidRequest => PostpaidView) write User [FailedOperationBalanceInsufficient];
        /// The tenant's sub-accounts and their permissions (main account)
        DescribeSubAccountPermissions(Empty => SubAccounts) read User [UnauthorizedOperation];
        /// Grant or withdraw a sub-account's Postpaid Settings permission (main account)
        ModifySubAccountPermission(ModifyPermissionRequest => crate::model::User) write User [ResourceNotFound];
        /// Console notices, unread first then newest, with the unread count
        DescribeNotices(NoticesRequest => NoticePage) read User [InvalidParameterValue];
        /// Mark notices read (by id, or all) for the signed-in user
        MarkNoticesRead(MarkNoticesReadRequest => UnreadCount) write User [InvalidParameterValue, ResourceNotFound];
        /// Subscription reminders written to the outbox (in-site message, SMS, email)
        DescribeReminderOutbox(OutboxRequest => OutboxPage) read User [InvalidParameterValue];
        /// Usage per day (30 days) or hour (48 hours) of a resource kind, as {X, Y} points
        DescribeUsageHistory(UsageHistoryRequest => UsageHistory) read User [InvalidParameterValue];
        /// The deduction ledger, the last written first: which package (or postpaid) paid for
        /// each metering event, with the event's idempotency key; per package or for the
        /// account, filtered by kind and time
        DescribeDeductions(DeductionsRequest => DeductionPage) read User [InvalidParameterValue, ResourceNotFound];
        /// Postpaid charges: one settled line per UTC hour and kind, the newest hour first,
        /// with the sum of every matching line
        DescribeBills(BillsRequest => BillPage) read User [InvalidParameterValue];
        /// Set (or, without AmountCents, remove) the monthly postpaid budget: alert thresholds,
        /// and optionally turn postpaid off when it is reached (main account or the Postpaid
        /// Settings grant)
        ModifyPostpaidBudget(ModifyBudgetRequest => PostpaidView) write User [InvalidParameterValue];
        /// Alert webhook endpoints and each one's 20 latest deliveries
        DescribeWebhooks(Empty => WebhooksView) read User [];
        /// Register an https endpoint for alerts; answers its signing secret, once (main
        /// account or the grant)
        CreateWebhook(CreateWebhookRequest => CreatedWebhook) write User [InvalidParameterValue, FailedOperation];
        /// Remove an endpoint and its pending deliveries (main account or the grant)
        DeleteWebhook(WebhookRef => Nothing) write User [ResourceNotFound];
        /// Queue a test event for one endpoint (main account or the grant)
        SendTestWebhook(WebhookRef => Nothing) write User [ResourceNotFound];
        /// Metering (operator credential only): deduct usage in the rules' order, idempotent per key
        ReportUsage(ReportUsageRequest => Deduction) write Operator [InvalidParameterValue, ResourceNotFound, FailedOperation, FailedOperationBalanceInsufficient, ResourceInsufficient];
        /// Add to a tenant's balance (operator credential only), idempotent per key; a balance
        /// back at zero or more ends the overdue state
        TopUp(TopUpRequest => TopUpResult) write Operator [InvalidParameterValue, ResourceNotFound, FailedOperation];
    }
    server {
        /// Server mode and, in demo mode, the users one may sign in as (no sign-in needed)
        DescribeServerInfo(Empty => ServerInfo) read Anyone [];
        /// Demo mode: sign in as a seeded user; sets the session cookie
        SignIn(SignInRequest => Identity) write Anyone [AuthFailureUnauthorizedOperation];
        /// End the session
        SignOut(Empty => Nothing) write Anyone [];
        /// End every session of the signed-in user (every browser and device)
        SignOutEverywhere(Empty => EndedSessions) write User [];
    }
}

impl Action {
    pub fn from_name(s: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == s)
    }

    /// Every code the action can be refused with: its own, what its access
    /// and writes add (not signed in; not from the console's origin, or
    /// over the write rate), and [`ALWAYS`].
    pub fn refusals(self) -> Vec<ErrorCode> {
        let mut v: Vec<ErrorCode> = self.own_refusals().to_vec();
        if self.access() != Access::Anyone {
            v.push(ErrorCode::AuthFailureUnauthorizedOperation);
        }
        if self.writes() && self.access() != Access::Operator {
            v.push(ErrorCode::UnauthorizedOperation);
            v.push(ErrorCode::RequestLimitExceeded);
        }
        v.extend_from_slice(ALWAYS);
        let mut seen = Vec::new();
        v.retain(|c| {
            let new = !seen.contains(c);
            seen.push(*c);
            new
        });
        v
    }
}

/// JSON has one number type: `17.0` is the integer 17 (as JSON Schema
/// says), so whole floats become integers before the typed fields read
/// them. No request field is fractional.
fn integral(v: &mut Value) {
    match v {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0) {
                // 2^64: the first whole float past u64::MAX.
                if (0.0..18_446_744_073_709_551_616.0).contains(&f) {
                    *v = Value::from(f as u64);
                } else if (i64::MIN as f64..0.0).contains(&f) {
                    *v = Value::from(f as i64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral),
        Value::Object(fields) => fields.values_mut().for_each(integral),
        _ => {}
    }
}

/// An empty request body: `{}` (unknown fields refused).
#[derive(Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// Parse a request body, mapping serde's complaint to a platform error.
pub fn parse<T: DeserializeOwned>(mut body: Value) -> Result<T, ApiError> {
    integral(&mut body);
    serde_json::from_value(body).map_err(|e| {
        let msg = e.to_string();
        let code = if msg.starts_with("missing field") {
            ErrorCode::MissingParameter
        } else {
            ErrorCode::InvalidParameter
        };
        ApiError::new(code, msg)
    })
}

/// An answer as JSON text: serialised once, straight from the typed value
/// (no intermediate `Value` tree).
pub fn json<T: Serialize>(v: T) -> Result<String, ApiError> {
    serde_json::to_string(&v).map_err(|e| ApiError::new(ErrorCode::InternalError, e.to_string()))
}

/// The success envelope around an answer's JSON text:
/// `{"Response": {...fields, "RequestId"}}`. An answer that is not an
/// object is carried as `{"Data": answer}`.
pub fn envelope_ok(data: &str, request_id: &str) -> String {
    let rid = serde_json::to_string(request_id).unwrap_or_else(|_| "\"\"".into());
    let data = data.trim();
    match data.strip_prefix('{').and_then(|d| d.strip_suffix('}')) {
        Some(fields) if fields.trim().is_empty() => {
            format!(r#"{{"Response":{{"RequestId":{rid}}}}}"#)
        }
        Some(fields) => format!(r#"{{"Response":{{{fields},"RequestId":{rid}}}}}"#),
        None => format!(r#"{{"Response":{{"Data":{data},"RequestId":{rid}}}}}"#),
    }
}

/// The error envelope: `{"Response": {"Error": {"Code","Message"}, "RequestId"}}`.
pub fn envelope_err(e: &ApiError, request_id: &str) -> String {
    let mut err = serde_json::json!({ "Code": e.code.as_str(), "Message": e.message });
    if let Some(at) = e.next_allowed_at {
        err["NextAllowedAt"] = serde_json::to_value(at).unwrap_or(Value::Null);
    }
    serde_json::json!({ "Response": { "Error": err, "RequestId": request_id } }).to_string()
}

#[cfg(test)]
mod tests {
    use super::envelope_ok;
    use serde_json::{json, Value};

    #[test]
    fn envelopes_objects_empty_objects_and_lists() {
        let parse = |s: String| serde_json::from_str::<Value>(&s).unwrap();
        assert_eq!(
            parse(envelope_ok(r#"{"A":1,"B":{"C":"}"}}"#, "r")),
            json!({"Response": {"A": 1, "B": {"C": "}"}, "RequestId": "r"}})
        );
        assert_eq!(
            parse(envelope_ok("{}", "r")),
            json!({"Response": {"RequestId": "r"}})
        );
        assert_eq!(
            parse(envelope_ok("[1,2]", "r")),
            json!({"Response": {"Data": [1, 2], "RequestId": "r"}})
        );
    }
}

#[cfg(test)]
mod number_tests {
    use super::*;
    use crate::api::RenewRequest;

    #[test]
    fn whole_floats_are_integers_and_fractions_are_refused() {
        let r: RenewRequest =
            parse(serde_json::json!({ "ResourceId": "r", "Months": 3.0 })).unwrap();
        assert_eq!(r.months, 3);
        let e = parse::<RenewRequest>(serde_json::json!({ "ResourceId": "r", "Months": 3.5 }))
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidParameter);
        let e = parse::<RenewRequest>(serde_json::json!({ "ResourceId": "r", "Months": -1.0 }))
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidParameter);
    }
}

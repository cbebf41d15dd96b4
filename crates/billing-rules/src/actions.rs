//! The console's actions by name, dispatched onto any [`Store`]. The mock
//! store and the server both answer through here, so an action means the
//! same thing wherever it runs.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::*;
use crate::engine;
use crate::store::Store;

/// Every action a signed-in console user may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    DescribeIdentity,
    DescribeResources,
    DescribeAccountSummary,
    DescribeKnowledgeUsage,
    RenewResource,
    RestoreKnowledge,
    DescribePostpaidSetting,
    ModifyPostpaidSetting,
    DescribeSubAccountPermissions,
    ModifySubAccountPermission,
    DescribeNotices,
    MarkNoticesRead,
    DescribeReminderOutbox,
    DescribeUsageHistory,
    DescribeDeductions,
    DescribeBills,
    ModifyPostpaidBudget,
    DescribeWebhooks,
    CreateWebhook,
    DeleteWebhook,
    SendTestWebhook,
}

impl Action {
    pub const ALL: [Action; 21] = [
        Action::DescribeIdentity,
        Action::DescribeResources,
        Action::DescribeAccountSummary,
        Action::DescribeKnowledgeUsage,
        Action::RenewResource,
        Action::RestoreKnowledge,
        Action::DescribePostpaidSetting,
        Action::ModifyPostpaidSetting,
        Action::DescribeSubAccountPermissions,
        Action::ModifySubAccountPermission,
        Action::DescribeNotices,
        Action::MarkNoticesRead,
        Action::DescribeReminderOutbox,
        Action::DescribeUsageHistory,
        Action::DescribeDeductions,
        Action::DescribeBills,
        Action::ModifyPostpaidBudget,
        Action::DescribeWebhooks,
        Action::CreateWebhook,
        Action::DeleteWebhook,
        Action::SendTestWebhook,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Action::DescribeIdentity => "DescribeIdentity",
            Action::DescribeResources => "DescribeResources",
            Action::DescribeAccountSummary => "DescribeAccountSummary",
            Action::DescribeKnowledgeUsage => "DescribeKnowledgeUsage",
            Action::RenewResource => "RenewResource",
            Action::RestoreKnowledge => "RestoreKnowledge",
            Action::DescribePostpaidSetting => "DescribePostpaidSetting",
            Action::ModifyPostpaidSetting => "ModifyPostpaidSetting",
            Action::DescribeSubAccountPermissions => "DescribeSubAccountPermissions",
            Action::ModifySubAccountPermission => "ModifySubAccountPermission",
            Action::DescribeNotices => "DescribeNotices",
            Action::MarkNoticesRead => "MarkNoticesRead",
            Action::DescribeReminderOutbox => "DescribeReminderOutbox",
            Action::DescribeUsageHistory => "DescribeUsageHistory",
            Action::DescribeDeductions => "DescribeDeductions",
            Action::DescribeBills => "DescribeBills",
            Action::ModifyPostpaidBudget => "ModifyPostpaidBudget",
            Action::DescribeWebhooks => "DescribeWebhooks",
            Action::CreateWebhook => "CreateWebhook",
            Action::DeleteWebhook => "DeleteWebhook",
            Action::SendTestWebhook => "SendTestWebhook",
        }
    }

    pub fn from_name(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == s)
    }

    /// Whether the action changes state (and so needs a write transaction).
    pub fn is_write(self) -> bool {
        matches!(
            self,
            Action::RenewResource
                | Action::RestoreKnowledge
                | Action::ModifyPostpaidSetting
                | Action::ModifySubAccountPermission
                | Action::MarkNoticesRead
                | Action::ModifyPostpaidBudget
                | Action::CreateWebhook
                | Action::DeleteWebhook
                | Action::SendTestWebhook
        )
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
fn json<T: Serialize>(v: T) -> Result<String, ApiError> {
    serde_json::to_string(&v).map_err(|e| ApiError::new(ErrorCode::InternalError, e.to_string()))
}

/// Run `action` for `user_id` at `now` over any store. On error the action
/// itself has changed nothing (the server also rolls its transaction back
/// to before the action). Time passing is [`engine::advance`]'s, which
/// [`run`] calls first.
pub fn dispatch<S: Store>(
    s: &mut S,
    action: Action,
    user_id: &str,
    body: Value,
    now: DateTime<Utc>,
) -> Result<String, ApiError> {
    match action {
        Action::DescribeIdentity => {
            parse::<Empty>(body)?;
            json(engine::whoami(s, user_id)?)
        }
        Action::DescribeResources => json(engine::list_resources(s, user_id, &parse(body)?, now)?),
        Action::DescribeAccountSummary => {
            parse::<Empty>(body)?;
            json(engine::summary(s, user_id, now)?)
        }
        Action::DescribeKnowledgeUsage => {
            parse::<Empty>(body)?;
            json(engine::knowledge_usage(s, user_id, now)?)
        }
        Action::DescribePostpaidSetting => {
            parse::<Empty>(body)?;
            json(engine::describe_postpaid(s, user_id, now)?)
        }
        Action::DescribeSubAccountPermissions => {
            parse::<Empty>(body)?;
            json(engine::list_sub_accounts(s, user_id)?)
        }
        Action::DescribeNotices => json(engine::notices(s, user_id, &parse(body)?)?),
        Action::DescribeReminderOutbox => json(engine::outbox_page(s, user_id, &parse(body)?)?),
        Action::DescribeUsageHistory => {
            json(engine::usage_history(s, user_id, &parse(body)?, now)?)
        }
        Action::DescribeDeductions => json(engine::deductions(s, user_id, &parse(body)?)?),
        Action::RenewResource => json(engine::renew(s, user_id, &parse(body)?, now)?),
        Action::RestoreKnowledge => {
            parse::<Empty>(body)?;
            json(engine::restore_knowledge(s, user_id, now)?)
        }
        Action::ModifyPostpaidSetting => {
            let req: ModifyPostpaidRequest = parse(body)?;
            json(engine::modify_postpaid(s, user_id, req.enabled, now)?)
        }
        Action::ModifySubAccountPermission => {
            json(engine::modify_permission(s, user_id, &parse(body)?)?)
        }
        Action::MarkNoticesRead => json(engine::mark_notices_read(s, user_id, &parse(body)?)?),
        Action::DescribeBills => json(engine::bills(s, user_id, &parse(body)?)?),
        Action::ModifyPostpaidBudget => {
            json(engine::modify_budget(s, user_id, &parse(body)?, now)?)
        }
        Action::DescribeWebhooks => {
            parse::<Empty>(body)?;
            json(engine::describe_webhooks(s, user_id)?)
        }
        Action::CreateWebhook => json(engine::create_webhook(s, user_id, &parse(body)?, now)?),
        Action::DeleteWebhook => {
            engine::delete_webhook(s, user_id, &parse(body)?)?;
            json(Empty {})
        }
        Action::SendTestWebhook => {
            engine::send_test_webhook(s, user_id, &parse(body)?, now)?;
            json(Empty {})
        }
    }
}

/// The shared path of every console action: the user's tenant caught up
/// to `now` ([`engine::catch_up`]), then the action. The mock store calls this; the server runs the
/// same two steps inside one transaction (the action behind a savepoint).
pub fn run<S: Store>(
    s: &mut S,
    action: Action,
    user_id: &str,
    body: Value,
    now: DateTime<Utc>,
) -> Result<String, ApiError> {
    let user = engine::user(s, user_id)?;
    engine::catch_up(s, &user.tenant_id, now)?;
    dispatch(s, action, user_id, body, now)
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

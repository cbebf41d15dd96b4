//! The console's actions by name, dispatched onto a [`Ledger`]. The mock
//! store and the server both answer through here, so an action means the
//! same thing wherever it runs.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::*;
use crate::ledger::Ledger;

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
}

impl Action {
    pub const ALL: [Action; 14] = [
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
        )
    }
}

/// An empty request body: `{}` (unknown fields refused).
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// Parse a request body, mapping serde's complaint to a platform error.
pub fn parse<T: DeserializeOwned>(body: Value) -> Result<T, ApiError> {
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

fn json<T: Serialize>(v: T) -> Result<Value, ApiError> {
    serde_json::to_value(v).map_err(|e| ApiError::new(ErrorCode::InternalError, e.to_string()))
}

/// Run `action` for `user_id` at `now`. On error nothing has changed. Time
/// passing (knowledge isolation) is the caller's: call
/// [`Ledger::advance`] first where the ledger may have aged.
pub fn dispatch(
    ledger: &mut Ledger,
    action: Action,
    user_id: &str,
    body: Value,
    now: DateTime<Utc>,
) -> Result<Value, ApiError> {
    match action {
        Action::RenewResource => json(ledger.renew(user_id, &parse(body)?, now)?),
        Action::RestoreKnowledge => {
            parse::<Empty>(body)?;
            json(ledger.restore_knowledge(user_id, now)?)
        }
        Action::ModifyPostpaidSetting => {
            let req: ModifyPostpaidRequest = parse(body)?;
            json(ledger.modify_postpaid(user_id, req.enabled, now)?)
        }
        Action::ModifySubAccountPermission => {
            json(ledger.modify_permission(user_id, &parse(body)?)?)
        }
        Action::MarkNoticesRead => json(ledger.mark_notices_read(user_id, &parse(body)?)?),
        read => dispatch_read(ledger, read, user_id, body, now),
    }
}

/// The read-only actions, on a shared ledger. A write action is refused.
pub fn dispatch_read(
    ledger: &Ledger,
    action: Action,
    user_id: &str,
    body: Value,
    now: DateTime<Utc>,
) -> Result<Value, ApiError> {
    match action {
        Action::DescribeIdentity => {
            parse::<Empty>(body)?;
            json(ledger.whoami(user_id)?)
        }
        Action::DescribeResources => json(ledger.list_resources(user_id, &parse(body)?, now)?),
        Action::DescribeAccountSummary => {
            parse::<Empty>(body)?;
            json(ledger.summary(user_id, now)?)
        }
        Action::DescribeKnowledgeUsage => {
            parse::<Empty>(body)?;
            json(ledger.knowledge_usage(user_id, now)?)
        }
        Action::DescribePostpaidSetting => {
            parse::<Empty>(body)?;
            json(ledger.describe_postpaid(user_id, now)?)
        }
        Action::DescribeSubAccountPermissions => {
            parse::<Empty>(body)?;
            json(ledger.list_sub_accounts(user_id)?)
        }
        Action::DescribeNotices => json(ledger.notices(user_id, &parse(body)?)?),
        Action::DescribeReminderOutbox => json(ledger.outbox_page(user_id, &parse(body)?)?),
        Action::DescribeUsageHistory => json(ledger.usage_history(user_id, &parse(body)?, now)?),
        write => Err(ApiError::new(
            ErrorCode::InternalError,
            format!("{} changes state", write.name()),
        )),
    }
}

/// The success envelope: `{"Response": {...fields, "RequestId"}}`. A value
/// that is not an object is carried as `{"Data": value}`.
pub fn envelope_ok(data: Value, request_id: &str) -> Value {
    let mut obj = match data {
        Value::Object(m) => m,
        other => {
            let mut m = serde_json::Map::new();
            m.insert("Data".into(), other);
            m
        }
    };
    obj.insert("RequestId".into(), Value::String(request_id.into()));
    serde_json::json!({ "Response": obj })
}

/// The error envelope: `{"Response": {"Error": {"Code","Message"}, "RequestId"}}`.
pub fn envelope_err(e: &ApiError, request_id: &str) -> Value {
    let mut err = serde_json::json!({ "Code": e.code.as_str(), "Message": e.message });
    if let Some(at) = e.next_allowed_at {
        err["NextAllowedAt"] = serde_json::to_value(at).unwrap_or(Value::Null);
    }
    serde_json::json!({ "Response": { "Error": err, "RequestId": request_id } })
}

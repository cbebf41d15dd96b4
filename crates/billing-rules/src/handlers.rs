//! The action registry, handler half: the engine function that answers each
//! of [`EngineAction`]'s actions, over any [`Store`]. The match is
//! exhaustive, and each binding is typed by the action's [`ActionDef`], so
//! an action cannot be declared without its handler, nor bound to a
//! function of other types. The mock store and the server both answer
//! through here (the server inside its transaction).

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::actions::{def, json, parse, Action, ActionDef, EngineAction, Route};
use crate::api::*;
use crate::engine;
use crate::store::Store;

/// A signed-in user's action: `(store, user id, body, now)`.
pub type UserFn<S> = fn(&mut S, &str, Value, DateTime<Utc>) -> Result<String, ApiError>;
/// An operator's action on the tenant its request names: `(store, body, now)`.
pub type OperatorFn<S> = fn(&mut S, Value, DateTime<Utc>) -> Result<String, ApiError>;

/// The tenant an operator's request names (read before the transaction
/// opens, to take that tenant's lock).
pub type TenantFn = fn(&Value) -> Result<String, ApiError>;

/// How an engine action is answered.
pub enum Handler<S> {
    User(UserFn<S>),
    Operator {
        tenant: TenantFn,
        run: OperatorFn<S>,
    },
}

/// Parse the body as `A`'s request, answer with `A`'s response as JSON.
fn answer<A: ActionDef>(
    body: Value,
    f: impl FnOnce(A::Request) -> Result<A::Response, ApiError>,
) -> Result<String, ApiError> {
    json(f(parse::<A::Request>(body)?)?)
}

/// `Action => |store, user, request, now| engine call`.
macro_rules! user {
    ($name:ident, |$s:ident, $u:ident, $q:pat_param, $now:ident| $call:expr) => {
        Handler::User(|$s, $u, body, $now| {
            answer::<def::$name>(body, |$q| {
                let _ = (&$u, &$now);
                $call
            })
        })
    };
}

/// `Action => |store, request, now| engine call`, for the tenant `$tenant`
/// of the request.
macro_rules! operator {
    ($name:ident, |$s:ident, $q:ident, $now:ident| $call:expr) => {
        Handler::Operator {
            tenant: |body| {
                parse::<<def::$name as ActionDef>::Request>(body.clone()).map(|r| r.tenant_id)
            },
            run: |$s, body, $now| answer::<def::$name>(body, |$q| $call),
        }
    };
}

/// The handler of an engine action.
pub fn handler<S: Store>(a: EngineAction) -> Handler<S> {
    use EngineAction as E;
    match a {
        E::DescribeIdentity => user!(DescribeIdentity, |s, u, _q, now| engine::whoami(s, u)),
        E::DescribeResources => user!(DescribeResources, |s, u, q, now| {
            engine::list_resources(s, u, &q, now)
        }),
        E::DescribeAccountSummary => {
            user!(DescribeAccountSummary, |s, u, _q, now| engine::summary(
                s, u, now
            ))
        }
        E::DescribeKnowledgeUsage => user!(DescribeKnowledgeUsage, |s, u, _q, now| {
            engine::knowledge_usage(s, u, now)
        }),
        E::RenewResource => user!(RenewResource, |s, u, q, now| engine::renew(s, u, &q, now)),
        E::RestoreKnowledge => user!(RestoreKnowledge, |s, u, _q, now| {
            engine::restore_knowledge(s, u, now)
        }),
        E::DescribePostpaidSetting => user!(DescribePostpaidSetting, |s, u, _q, now| {
            engine::describe_postpaid(s, u, now)
        }),
        E::ModifyPostpaidSetting => user!(ModifyPostpaidSetting, |s, u, q, now| {
            engine::modify_postpaid(s, u, q.enabled, now)
        }),
        E::DescribeSubAccountPermissions => {
            user!(DescribeSubAccountPermissions, |s, u, _q, now| {
                engine::list_sub_accounts(s, u).map(|data| SubAccounts { data })
            })
        }
        E::ModifySubAccountPermission => user!(ModifySubAccountPermission, |s, u, q, now| {
            engine::modify_permission(s, u, &q)
        }),
        E::DescribeNotices => user!(DescribeNotices, |s, u, q, now| engine::notices(s, u, &q)),
        E::MarkNoticesRead => user!(MarkNoticesRead, |s, u, q, now| {
            engine::mark_notices_read(s, u, &q)
        }),
        E::DescribeReminderOutbox => user!(DescribeReminderOutbox, |s, u, q, now| {
            engine::outbox_page(s, u, &q)
        }),
        E::DescribeUsageHistory => user!(DescribeUsageHistory, |s, u, q, now| {
            engine::usage_history(s, u, &q, now)
        }),
        E::DescribeDeductions => user!(DescribeDeductions, |s, u, q, now| {
            engine::deductions(s, u, &q)
        }),
        E::DescribeBills => user!(DescribeBills, |s, u, q, now| engine::bills(s, u, &q)),
        E::ModifyPostpaidBudget => user!(ModifyPostpaidBudget, |s, u, q, now| {
            engine::modify_budget(s, u, &q, now)
        }),
        E::DescribeWebhooks => user!(DescribeWebhooks, |s, u, _q, now| {
            engine::describe_webhooks(s, u)
        }),
        E::CreateWebhook => user!(CreateWebhook, |s, u, q, now| {
            engine::create_webhook(s, u, &q, now)
        }),
        E::DeleteWebhook => user!(DeleteWebhook, |s, u, q, now| {
            engine::delete_webhook(s, u, &q).map(|_| Nothing {})
        }),
        E::SendTestWebhook => user!(SendTestWebhook, |s, u, q, now| {
            engine::send_test_webhook(s, u, &q, now).map(|_| Nothing {})
        }),
        E::ReportUsage => operator!(ReportUsage, |s, q, now| engine::report_usage(s, &q, now)),
        E::TopUp => operator!(TopUp, |s, q, now| engine::top_up(s, &q, now)),
    }
}

/// An action as the in-memory store runs it (the mock, the tests): the
/// caller's tenant (the user's, or the one an operator's request names)
/// caught up to `now` ([`engine::catch_up`]), then the action. The server
/// runs the same steps, each in its own transaction. `user_id` is ignored
/// for operator actions; actions the server answers itself (sessions) are
/// refused here.
pub fn run<S: Store>(
    s: &mut S,
    action: Action,
    user_id: &str,
    body: Value,
    now: DateTime<Utc>,
) -> Result<String, ApiError> {
    let Route::Engine(a) = action.route() else {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            format!("{} is answered by the server only.", action.name()),
        ));
    };
    match handler::<S>(a) {
        Handler::User(f) => {
            let user = engine::user(s, user_id)?;
            engine::catch_up(s, &user.tenant_id, now)?;
            f(s, user_id, body, now)
        }
        Handler::Operator { tenant, run } => {
            engine::catch_up(s, &tenant(&body)?, now)?;
            run(s, body, now)
        }
    }
}

/// A typed [`run`]: `A`'s request in, `A`'s response out (tests, the mock).
pub fn call<A: ActionDef, S: Store>(
    s: &mut S,
    user_id: &str,
    req: &A::Request,
    now: DateTime<Utc>,
) -> Result<A::Response, ApiError> {
    let body = serde_json::to_value(req)
        .map_err(|e| ApiError::new(ErrorCode::InternalError, e.to_string()))?;
    let text = run(s, A::ACTION, user_id, body, now)?;
    serde_json::from_str(&text).map_err(|e| ApiError::new(ErrorCode::InternalError, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::{Access, ServerAction};

    /// The registry's access agrees with how each action is handled.
    #[test]
    fn access_agrees_with_the_handler() {
        for a in Action::ALL {
            match a.route() {
                Route::Engine(e) => match handler::<crate::Ledger>(e) {
                    Handler::User(_) => assert_eq!(a.access(), Access::User, "{a:?}"),
                    Handler::Operator { .. } => {
                        assert_eq!(a.access(), Access::Operator, "{a:?}");
                        assert!(a.writes(), "{a:?}: operator actions change a tenant");
                    }
                },
                Route::Server(s) => assert_eq!(s.action(), *a),
            }
        }
        assert!(matches!(
            Action::SignIn.route(),
            Route::Server(ServerAction::SignIn)
        ));
    }

    #[test]
    fn names_are_unique_and_found_again() {
        for a in Action::ALL {
            assert_eq!(Action::from_name(a.name()), Some(*a));
            assert!(!a.summary().is_empty(), "{a:?} has a summary");
        }
        let mut names: Vec<_> = Action::ALL.iter().map(|a| a.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Action::ALL.len());
    }
}

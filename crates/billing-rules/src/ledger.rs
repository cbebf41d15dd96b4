//! The whole state of the billing accounts and every operation on it, as
//! pure functions of the state, the acting user and an instant. The mock
//! store holds a `Ledger` in the browser; the server persists one.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::api::*;
use crate::deduction::{self, Deduction, DeductionError};
use crate::expiry::{badge, ExpiryBadge, DAY_SECS};
use crate::knowledge::{self, KnowledgeItem, KnowledgeItemKind, KnowledgeState};
use crate::model::{Account, Resource, ResourceKind, Role, User};
use crate::notify::{self, NoticeRecord, OutboxMessage, UsageRecord, CHANNELS};
use crate::postpaid::{self, PostpaidState};
use crate::query;
use crate::reminders::{self, Fired, Threshold};
use crate::status::{status, Status};
use crate::usage::{alert_level, AlertLevel};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    pub accounts: Vec<Account>,
    pub users: Vec<User>,
    pub resources: Vec<Resource>,
    pub knowledge: Vec<KnowledgeItem>,
    /// Per tenant.
    pub postpaid: BTreeMap<String, PostpaidState>,
    pub postpaid_history: Vec<PostpaidChange>,
    /// Metering idempotency keys already applied, with their outcome.
    pub usage_keys: BTreeMap<String, Deduction>,
    /// Thresholds already fired (each fires once per resource).
    #[serde(default)]
    pub fired: Fired,
    #[serde(default)]
    pub notices: Vec<NoticeRecord>,
    #[serde(default)]
    pub outbox: Vec<OutboxMessage>,
    #[serde(default)]
    pub usage_records: Vec<UsageRecord>,
}

/// Renewal price per unit per month, in cents.
pub fn renewal_price_cents(kind: ResourceKind, total: u64, months: u32) -> Option<i64> {
    let per_month = match kind {
        // $30 per concurrent request per month.
        ResourceKind::ConcurrencyQuota => total as i64 * 3000,
        // $2 per million characters per month, at least $1.
        ResourceKind::KnowledgeCapacity => ((total as i64 * 200) / 1_000_000).max(100),
        _ => return None,
    };
    Some(per_month * months as i64)
}

fn forbidden(msg: &str) -> ApiError {
    ApiError::new(ErrorCode::UnauthorizedOperation, msg)
}

impl Ledger {
    pub fn user(&self, id: &str) -> Result<&User, ApiError> {
        self.users.iter().find(|u| u.id == id).ok_or_else(|| {
            ApiError::new(
                ErrorCode::AuthFailureUnauthorizedOperation,
                "Unknown user; sign in again.",
            )
        })
    }

    pub fn account(&self, tenant: &str) -> Result<&Account, ApiError> {
        self.accounts
            .iter()
            .find(|a| a.tenant_id == tenant)
            .ok_or_else(|| ApiError::new(ErrorCode::ResourceNotFound, "Unknown account."))
    }

    pub fn tenant_resources<'a>(
        &'a self,
        tenant: &'a str,
    ) -> impl Iterator<Item = &'a Resource> + 'a {
        self.resources.iter().filter(move |r| r.tenant_id == tenant)
    }

    fn tenant_knowledge(&self, tenant: &str) -> Vec<KnowledgeItem> {
        self.knowledge
            .iter()
            .filter(|k| k.tenant_id == tenant)
            .cloned()
            .collect()
    }

    pub fn postpaid_state(&self, tenant: &str) -> PostpaidState {
        self.postpaid.get(tenant).cloned().unwrap_or(PostpaidState {
            enabled: false,
            last_enabled_at: None,
            changed_at: None,
            changed_by: None,
        })
    }

    /// Let time pass to `now`: knowledge over the capacity in force is
    /// isolated automatically. Returns the ids isolated.
    pub fn advance(&mut self, now: DateTime<Utc>) -> Vec<String> {
        let tenants: Vec<String> = self.accounts.iter().map(|a| a.tenant_id.clone()).collect();
        let mut isolated = Vec::new();
        for t in tenants {
            let cap = knowledge::capacity(self.tenant_resources(&t), now);
            let ids = knowledge::to_isolate(&self.tenant_knowledge(&t), cap);
            for k in self.knowledge.iter_mut().filter(|k| ids.contains(&k.id)) {
                k.state = KnowledgeState::Isolated;
            }
            isolated.extend(ids);
        }
        isolated
    }

    pub fn whoami(&self, user_id: &str) -> Result<Identity, ApiError> {
        let user = self.user(user_id)?.clone();
        let account_name = self.account(&user.tenant_id)?.name.clone();
        Ok(Identity { user, account_name })
    }

    pub fn list_resources(
        &self,
        user_id: &str,
        q: &ListResourcesRequest,
        now: DateTime<Utc>,
    ) -> Result<ResourcePage, ApiError> {
        let user = self.user(user_id)?;
        query::list(self.tenant_resources(&user.tenant_id), q, now)
    }

    pub fn summary(&self, user_id: &str, now: DateTime<Utc>) -> Result<Summary, ApiError> {
        let user = self.user(user_id)?;
        let t = &user.tenant_id;
        let mut s = Summary {
            account: Some(self.account(t)?.clone()),
            postpaid_enabled: self.postpaid_state(t).enabled,
            as_of: now,
            ..Summary::default()
        };
        let mut rs: Vec<&Resource> = self.tenant_resources(t).collect();
        rs.sort_by(|a, b| (a.expires_at, &a.id).cmp(&(b.expires_at, &b.id)));
        for r in rs {
            let rf = ResourceRef {
                id: r.id.clone(),
                name: r.name.clone(),
                kind: r.kind,
            };
            match status(r, now) {
                Status::Available => {
                    if r.kind.can_run_out() {
                        match alert_level(r.used, r.total) {
                            AlertLevel::NearlyExhausted => s.nearly_exhausted.push(rf.clone()),
                            AlertLevel::Exhausted => s.exhausted.push(rf.clone()),
                            AlertLevel::Normal => {}
                        }
                    }
                    match badge(r.expires_at, now) {
                        ExpiryBadge::Within1 { .. } => s.expiring_1.push(rf),
                        ExpiryBadge::Within7 { .. } => s.expiring_7.push(rf),
                        ExpiryBadge::Within30 { .. } => s.expiring_30.push(rf),
                        _ => {}
                    }
                }
                Status::Exhausted => s.exhausted.push(rf),
                Status::Expired if (now - r.expires_at).num_seconds() <= 30 * DAY_SECS => {
                    s.expired.push(rf)
                }
                _ => {}
            }
        }
        for k in self
            .knowledge
            .iter()
            .filter(|k| &k.tenant_id == t && k.state == KnowledgeState::Isolated)
        {
            match k.kind {
                KnowledgeItemKind::Document => s.isolated_documents += 1,
                KnowledgeItemKind::QaPair => s.isolated_qa_pairs += 1,
            }
        }
        Ok(s)
    }

    pub fn knowledge_usage(
        &self,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<KnowledgeUsage, ApiError> {
        let user = self.user(user_id)?;
        let items = self.tenant_knowledge(&user.tenant_id);
        let cap = knowledge::capacity(self.tenant_resources(&user.tenant_id), now);
        let isolated = |kind| {
            items
                .iter()
                .filter(|i| i.state == KnowledgeState::Isolated && i.kind == kind)
                .count() as u64
        };
        let plan = knowledge::restore_plan(&items, cap);
        Ok(KnowledgeUsage {
            available_char_size: cap,
            used_char_size: knowledge::stored_chars(&items),
            exceed_char_size: knowledge::isolated_chars(&items),
            isolated_documents: isolated(KnowledgeItemKind::Document),
            isolated_qa_pairs: isolated(KnowledgeItemKind::QaPair),
            restorable_items: plan.as_ref().map(|p| p.len() as u64).unwrap_or(0),
            restore_blocked: plan.err().map(ApiError::from),
        })
    }

    /// Renew a prepaid resource by `months`, charging the balance. Main account only.
    pub fn renew(
        &mut self,
        user_id: &str,
        req: &RenewRequest,
        now: DateTime<Utc>,
    ) -> Result<RenewResult, ApiError> {
        let user = self.user(user_id)?.clone();
        if !(1..=36).contains(&req.months) {
            return Err(ApiError::new(
                ErrorCode::InvalidParameterValue,
                "Months must be from 1 to 36.",
            ));
        }
        let idx = self
            .resources
            .iter()
            .position(|r| r.id == req.resource_id && r.tenant_id == user.tenant_id)
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::ResourceNotFound,
                    format!("No resource {} in this account.", req.resource_id),
                )
            })?;
        if !user.is_main() {
            return Err(forbidden("Only the main account can renew resources, because renewal charges the account balance."));
        }
        let r = &self.resources[idx];
        if !r.kind.is_renewable() {
            return Err(ApiError::new(
                ErrorCode::FailedOperation,
                "Packages cannot be renewed; purchase a new package instead.",
            ));
        }
        if r.refunded {
            return Err(ApiError::new(
                ErrorCode::ResourceUnavailable,
                "A refunded resource cannot be renewed.",
            ));
        }
        let price = renewal_price_cents(r.kind, r.total, req.months).unwrap_or(0);
        let account = self
            .accounts
            .iter_mut()
            .find(|a| a.tenant_id == user.tenant_id)
            .ok_or_else(|| ApiError::new(ErrorCode::ResourceNotFound, "Unknown account."))?;
        if account.balance_cents < price {
            return Err(ApiError::new(
                ErrorCode::FailedOperationBalanceInsufficient,
                format!(
                    "Renewal costs {} but the balance is {}. Top up the account first.",
                    crate::format::money(price, &account.currency),
                    crate::format::money(account.balance_cents, &account.currency)
                ),
            ));
        }
        account.balance_cents -= price;
        let balance = account.balance_cents;
        let r = &mut self.resources[idx];
        let from = r.expires_at.max(now);
        r.expires_at = from + Duration::days(30 * req.months as i64);
        Ok(RenewResult {
            resource: r.clone(),
            charged_cents: price,
            balance_cents: balance,
        })
    }

    /// Restore isolated knowledge that fits the free capacity.
    pub fn restore_knowledge(
        &mut self,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<RestoreResult, ApiError> {
        let user = self.user(user_id)?.clone();
        let items = self.tenant_knowledge(&user.tenant_id);
        let cap = knowledge::capacity(self.tenant_resources(&user.tenant_id), now);
        let ids = knowledge::restore_plan(&items, cap)?;
        for k in self.knowledge.iter_mut().filter(|k| ids.contains(&k.id)) {
            k.state = KnowledgeState::Restored;
        }
        let still = self
            .knowledge
            .iter()
            .filter(|k| k.tenant_id == user.tenant_id && k.state == KnowledgeState::Isolated)
            .count() as u64;
        Ok(RestoreResult {
            restored_items: ids.len() as u64,
            still_isolated: still,
        })
    }

    pub fn describe_postpaid(
        &self,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<PostpaidView, ApiError> {
        let user = self.user(user_id)?;
        let t = &user.tenant_id;
        let state = self.postpaid_state(t);
        let changed_by_name = state
            .changed_by
            .as_ref()
            .and_then(|id| self.users.iter().find(|u| &u.id == id))
            .map(|u| u.name.clone());
        let mut history: Vec<PostpaidChange> = self
            .postpaid_history
            .iter()
            .filter(|c| &c.tenant_id == t)
            .cloned()
            .collect();
        history.sort_by_key(|c| std::cmp::Reverse(c.at));
        history.truncate(20);
        Ok(PostpaidView {
            state,
            changed_by_name,
            account: self.account(t)?.clone(),
            history,
            as_of: now,
        })
    }

    /// Enable or disable postpaid, enforcing permission, overdue and cooldown.
    pub fn modify_postpaid(
        &mut self,
        user_id: &str,
        enable: bool,
        now: DateTime<Utc>,
    ) -> Result<PostpaidView, ApiError> {
        let user = self.user(user_id)?.clone();
        let account = self.account(&user.tenant_id)?.clone();
        let mut state = self.postpaid_state(&user.tenant_id);
        postpaid::check_change(&user, &account, &state, enable, now)?;
        let from = state.enabled;
        if postpaid::apply_change(&mut state, enable, &user.id, now) {
            self.postpaid.insert(user.tenant_id.clone(), state);
            self.postpaid_history.push(PostpaidChange {
                tenant_id: user.tenant_id.clone(),
                at: now,
                by_user_id: user.id.clone(),
                by_name: user.name.clone(),
                from,
                to: enable,
            });
        }
        self.describe_postpaid(user_id, now)
    }

    /// The tenant's sub-accounts. Main account only.
    pub fn list_sub_accounts(&self, user_id: &str) -> Result<Vec<User>, ApiError> {
        let user = self.user(user_id)?;
        if !user.is_main() {
            return Err(forbidden("Only the main account can manage permissions."));
        }
        Ok(self
            .users
            .iter()
            .filter(|u| u.tenant_id == user.tenant_id && u.role == Role::SubAccount)
            .cloned()
            .collect())
    }

    pub fn modify_permission(
        &mut self,
        user_id: &str,
        req: &ModifyPermissionRequest,
    ) -> Result<User, ApiError> {
        let user = self.user(user_id)?.clone();
        if !user.is_main() {
            return Err(forbidden("Only the main account can manage permissions."));
        }
        let target = self
            .users
            .iter_mut()
            .find(|u| {
                u.id == req.user_id && u.tenant_id == user.tenant_id && u.role == Role::SubAccount
            })
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::ResourceNotFound,
                    format!("No sub-account {} in this account.", req.user_id),
                )
            })?;
        target.postpaid_permission = req.postpaid_permission;
        Ok(target.clone())
    }

    /// Meter usage for a tenant (operator only; the caller checks that).
    /// A retried idempotency key returns the first outcome and deducts nothing.
    pub fn report_usage(
        &mut self,
        req: &ReportUsageRequest,
        now: DateTime<Utc>,
    ) -> Result<Deduction, ApiError> {
        if req.idempotency_key.is_empty() || req.idempotency_key.len() > 128 {
            return Err(ApiError::new(
                ErrorCode::InvalidParameterValue,
                "IdempotencyKey must be 1 to 128 characters.",
            ));
        }
        if req.amount == 0 || req.amount > 1_000_000_000_000 {
            return Err(ApiError::new(
                ErrorCode::InvalidParameterValue,
                "Amount must be from 1 to 10^12.",
            ));
        }
        let key = format!("{}/{}", req.tenant_id, req.idempotency_key);
        if let Some(done) = self.usage_keys.get(&key) {
            return Ok(done.clone());
        }
        let account = self.account(&req.tenant_id)?.clone();
        if req.kind == ResourceKind::ConcurrencyQuota {
            // A concurrency peak observed: recorded for history, nothing drawn.
            self.usage_records.push(UsageRecord {
                tenant_id: req.tenant_id.clone(),
                kind: req.kind,
                amount: req.amount,
                at: now,
            });
            let d = Deduction {
                draws: Vec::new(),
                postpaid: 0,
            };
            self.usage_keys.insert(key, d.clone());
            return Ok(d);
        }
        let enabled = self.postpaid_state(&req.tenant_id).enabled;
        let mine: Vec<Resource> = self.tenant_resources(&req.tenant_id).cloned().collect();
        let d = deduction::plan(
            &mine,
            req.kind,
            req.amount,
            enabled,
            account.is_overdue(),
            now,
        );
        let d = match d {
            Ok(d) => d,
            Err(DeductionError::NotConsumable(_)) => {
                return Err(ApiError::new(ErrorCode::InvalidParameterValue, "Token and search packages are metered, and concurrency peaks; knowledge capacity is not."))
            }
            Err(DeductionError::Overdue) => {
                return Err(ApiError::new(ErrorCode::FailedOperationBalanceInsufficient, "The account is overdue; services cannot be used."))
            }
            Err(DeductionError::Insufficient { available, requested }) => {
                return Err(ApiError::new(
                    ErrorCode::ResourceInsufficient,
                    format!("Packages hold {available} of the {requested} requested and postpaid is off: the service stops."),
                ))
            }
        };
        deduction::apply(&mut self.resources, &d);
        self.usage_records.push(UsageRecord {
            tenant_id: req.tenant_id.clone(),
            kind: req.kind,
            amount: req.amount,
            at: now,
        });
        self.usage_keys.insert(key, d.clone());
        Ok(d)
    }

    /// Fire every threshold that has come due and not fired yet: console
    /// notices into the Notification Center, subscription reminders into the
    /// outbox. Returns the tenants that got something new.
    pub fn fire_due(&mut self, now: DateTime<Utc>) -> Vec<String> {
        let mut touched: Vec<String> = Vec::new();
        for i in 0..self.resources.len() {
            let fired = reminders::fire(&mut self.fired, &self.resources[i], now);
            if fired.is_empty() {
                continue;
            }
            let r = &self.resources[i];
            for t in fired {
                let n = self.notices.len() + self.outbox.len();
                match t {
                    Threshold::Notice(notice) => self.notices.push(NoticeRecord {
                        id: format!("ntc-{n:08}"),
                        tenant_id: r.tenant_id.clone(),
                        resource_id: r.id.clone(),
                        resource_name: r.name.clone(),
                        resource_kind: r.kind,
                        notice,
                        at: now,
                        read_by: Vec::new(),
                    }),
                    Threshold::Reminder(reminder) => self.outbox.push(OutboxMessage {
                        id: format!("msg-{n:08}"),
                        tenant_id: r.tenant_id.clone(),
                        resource_id: r.id.clone(),
                        resource_name: r.name.clone(),
                        reminder,
                        channels: CHANNELS.to_vec(),
                        at: now,
                    }),
                }
            }
            if !touched.contains(&r.tenant_id) {
                touched.push(r.tenant_id.clone());
            }
        }
        touched
    }

    pub fn notices(&self, user_id: &str, req: &NoticesRequest) -> Result<NoticePage, ApiError> {
        let user = self.user(user_id)?;
        let (skip, take) = page_bounds(req.page_number, req.page_size)?;
        let mut mine: Vec<NoticeView> = self
            .notices
            .iter()
            .filter(|n| n.tenant_id == user.tenant_id)
            .map(|n| NoticeView {
                id: n.id.clone(),
                resource_id: n.resource_id.clone(),
                resource_name: n.resource_name.clone(),
                resource_kind: n.resource_kind,
                notice: n.notice,
                at: n.at,
                read: n.read_by.contains(&user.id),
            })
            .collect();
        let unread_count = mine.iter().filter(|n| !n.read).count() as u64;
        if req.unread_only {
            mine.retain(|n| !n.read);
        }
        mine.sort_by(|a, b| {
            (a.read, std::cmp::Reverse(a.at), std::cmp::Reverse(&a.id)).cmp(&(
                b.read,
                std::cmp::Reverse(b.at),
                std::cmp::Reverse(&b.id),
            ))
        });
        Ok(NoticePage {
            total: mine.len() as u64,
            items: mine.into_iter().skip(skip).take(take).collect(),
            unread_count,
        })
    }

    pub fn mark_notices_read(
        &mut self,
        user_id: &str,
        req: &MarkNoticesReadRequest,
    ) -> Result<UnreadCount, ApiError> {
        let user = self.user(user_id)?.clone();
        if !req.all && req.notice_ids.is_empty() {
            return Err(ApiError::new(
                ErrorCode::MissingParameter,
                "Give NoticeIds, or All: true.",
            ));
        }
        if req.notice_ids.len() > 1000 {
            return Err(ApiError::new(
                ErrorCode::InvalidParameterValue,
                "At most 1000 NoticeIds at once.",
            ));
        }
        for id in &req.notice_ids {
            if !self
                .notices
                .iter()
                .any(|n| &n.id == id && n.tenant_id == user.tenant_id)
            {
                return Err(ApiError::new(
                    ErrorCode::ResourceNotFound,
                    format!("No notice {id} in this account."),
                ));
            }
        }
        let mut unread = 0;
        for n in self
            .notices
            .iter_mut()
            .filter(|n| n.tenant_id == user.tenant_id)
        {
            if (req.all || req.notice_ids.contains(&n.id)) && !n.read_by.contains(&user.id) {
                n.read_by.push(user.id.clone());
            }
            if !n.read_by.contains(&user.id) {
                unread += 1;
            }
        }
        Ok(UnreadCount {
            unread_count: unread,
        })
    }

    pub fn outbox_page(&self, user_id: &str, req: &OutboxRequest) -> Result<OutboxPage, ApiError> {
        let user = self.user(user_id)?;
        let (skip, take) = page_bounds(req.page_number, req.page_size)?;
        let mut mine: Vec<&OutboxMessage> = self
            .outbox
            .iter()
            .filter(|m| m.tenant_id == user.tenant_id)
            .collect();
        mine.sort_by(|a, b| (b.at, &b.id).cmp(&(a.at, &a.id)));
        Ok(OutboxPage {
            total: mine.len() as u64,
            items: mine.into_iter().skip(skip).take(take).cloned().collect(),
        })
    }

    pub fn usage_history(
        &self,
        user_id: &str,
        req: &UsageHistoryRequest,
        now: DateTime<Utc>,
    ) -> Result<UsageHistory, ApiError> {
        let user = self.user(user_id)?;
        if req.kind == ResourceKind::KnowledgeCapacity {
            return Err(ApiError::new(
                ErrorCode::InvalidParameterValue,
                "Knowledge capacity has no usage history; see DescribeKnowledgeUsage.",
            ));
        }
        Ok(UsageHistory {
            kind: req.kind,
            granularity: req.granularity,
            points: notify::history(
                &self.usage_records,
                &user.tenant_id,
                req.kind,
                req.granularity,
                now,
            ),
        })
    }
}

//! The in-memory [`Store`]: the whole state of the billing accounts as
//! plain vectors. The browser's mock store holds one; tests build them. The
//! actions themselves live in [`crate::engine`]; the methods here run them
//! over this store (advancing the tenant to `now` first, as the server does).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::actions::ActionDef;
use crate::api::*;
use crate::billing::{BillLine, Budget, OpenHour, TopUpKey};
use crate::deduction::{self, DeductionEntry};
use crate::engine;
use crate::forecast::{self, UsageBasis};
use crate::knowledge::{KnowledgeItem, KnowledgeState};
use crate::model::{Account, Resource, ResourceKind, User};
use crate::notify::{NoticeRecord, OutboxMessage, UsageRecord};
use crate::postpaid::PostpaidState;
use crate::query;
use crate::reminders::{Fired, FiredKey};
use crate::status::{status, Status};
use crate::store::{
    AccountStore, BillingStore, Change, Context, MeteringStore, NoticeStore, ResourceStore,
    StoreResult, UsageKey, WebhookStore,
};
use crate::webhook::{Delivery, DeliveryState, Endpoint, Event};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    pub accounts: Vec<Account>,
    pub users: Vec<User>,
    pub resources: Vec<Resource>,
    pub knowledge: Vec<KnowledgeItem>,
    /// Per tenant.
    pub postpaid: BTreeMap<String, PostpaidState>,
    pub postpaid_history: Vec<PostpaidChange>,
    /// Metering idempotency keys already applied, per tenant, then per key.
    #[serde(default)]
    pub usage_keys: BTreeMap<String, BTreeMap<String, UsageKey>>,
    /// Thresholds already fired (each fires once per resource).
    #[serde(default)]
    pub fired: Fired,
    #[serde(default)]
    pub notices: Vec<NoticeRecord>,
    #[serde(default)]
    pub outbox: Vec<OutboxMessage>,
    #[serde(default)]
    pub usage_records: Vec<UsageRecord>,
    /// The deduction ledger, in the order written.
    #[serde(default)]
    pub deductions: Vec<DeductionEntry>,
    /// Notices and reminders numbered so far, per tenant.
    #[serde(default)]
    pub message_seq: BTreeMap<String, u64>,
    /// Postpaid usage per tenant, hour and kind: open until settled, then
    /// a bill line.
    #[serde(default)]
    pub postpaid_hours: Vec<PostpaidHour>,
    #[serde(default)]
    pub budgets: BTreeMap<String, Budget>,
    #[serde(default)]
    pub top_up_keys: BTreeMap<String, BTreeMap<String, TopUpKey>>,
    #[serde(default)]
    pub endpoints: Vec<Endpoint>,
    #[serde(default)]
    pub events: Vec<Event>,
    /// Deliveries are queued here; the browser never sends them.
    #[serde(default)]
    pub deliveries: Vec<Delivery>,
}

/// One tenant's postpaid usage of one kind in one hour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostpaidHour {
    pub tenant_id: String,
    pub open: OpenHour,
    /// Set when settled.
    pub bill: Option<BillLine>,
}

fn default_postpaid() -> PostpaidState {
    PostpaidState {
        enabled: false,
        last_enabled_at: None,
        changed_at: None,
        changed_by: None,
    }
}

impl AccountStore for Ledger {
    fn user(&mut self, user_id: &str) -> StoreResult<Option<User>> {
        Ok(self.users.iter().find(|u| u.id == user_id).cloned())
    }

    fn tenant_users(&mut self, tenant: &str) -> StoreResult<Vec<User>> {
        Ok(self
            .users
            .iter()
            .filter(|u| u.tenant_id == tenant)
            .cloned()
            .collect())
    }

    fn set_postpaid_permission(
        &mut self,
        tenant: &str,
        user_id: &str,
        granted: bool,
    ) -> StoreResult<()> {
        for u in self
            .users
            .iter_mut()
            .filter(|u| u.id == user_id && u.tenant_id == tenant)
        {
            u.postpaid_permission = granted;
        }
        Ok(())
    }

    fn account(&mut self, tenant: &str) -> StoreResult<Option<Account>> {
        Ok(self
            .accounts
            .iter()
            .find(|a| a.tenant_id == tenant)
            .cloned())
    }

    fn set_balance(&mut self, tenant: &str, cents: i64) -> StoreResult<()> {
        for a in self.accounts.iter_mut().filter(|a| a.tenant_id == tenant) {
            a.balance_cents = cents;
        }
        Ok(())
    }
}

impl ResourceStore for Ledger {
    fn resource(&mut self, tenant: &str, id: &str) -> StoreResult<Option<Resource>> {
        Ok(self
            .resources
            .iter()
            .find(|r| r.id == id && r.tenant_id == tenant)
            .cloned())
    }

    /// Memory is small: every resource of the tenant is looked at (firing
    /// is once-only, so looking at one that is not due changes nothing).
    fn due_resources(&mut self, tenant: &str, _now: DateTime<Utc>) -> StoreResult<Vec<Resource>> {
        Ok(self.tenant_resources(tenant).cloned().collect())
    }

    fn save_resource(
        &mut self,
        r: &Resource,
        _was: Option<Status>,
        _now: DateTime<Utc>,
    ) -> StoreResult<()> {
        if let Some(old) = self
            .resources
            .iter_mut()
            .find(|x| x.id == r.id && x.tenant_id == r.tenant_id)
        {
            *old = r.clone();
        }
        Ok(())
    }

    fn drawable(
        &mut self,
        tenant: &str,
        kind: ResourceKind,
        need: u64,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Resource>> {
        let mine: Vec<Resource> = self.tenant_resources(tenant).cloned().collect();
        let mut covered = 0u64;
        let mut out = Vec::new();
        for r in deduction::draw_order(&mine, kind, now) {
            if covered >= need {
                break;
            }
            covered = covered.saturating_add(r.remaining());
            out.push(r.clone());
        }
        Ok(out)
    }

    fn drawable_page(
        &mut self,
        tenant: &str,
        kind: ResourceKind,
        after: Option<&Resource>,
        alive_at: DateTime<Utc>,
        limit: usize,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Resource>> {
        let mine: Vec<Resource> = self.tenant_resources(tenant).cloned().collect();
        Ok(deduction::draw_order(&mine, kind, now)
            .into_iter()
            .filter(|r| after.is_none_or(|a| deduction::order_key(r) > deduction::order_key(a)))
            .filter(|r| r.expires_at >= alive_at)
            .take(limit)
            .cloned()
            .collect())
    }

    fn knowledge_capacity(
        &mut self,
        tenant: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Resource>> {
        Ok(self
            .tenant_resources(tenant)
            .filter(|r| {
                r.kind == ResourceKind::KnowledgeCapacity && status(r, now) == Status::Available
            })
            .cloned()
            .collect())
    }

    fn list(
        &mut self,
        tenant: &str,
        q: &ListResourcesRequest,
        now: DateTime<Utc>,
    ) -> StoreResult<ResourcePage> {
        query::list(self.tenant_resources(tenant), q, now)
    }

    fn attention(&mut self, tenant: &str, _now: DateTime<Utc>) -> StoreResult<Vec<Resource>> {
        Ok(self.tenant_resources(tenant).cloned().collect())
    }

    fn knowledge(&mut self, tenant: &str) -> StoreResult<Vec<KnowledgeItem>> {
        Ok(self
            .knowledge
            .iter()
            .filter(|k| k.tenant_id == tenant)
            .cloned()
            .collect())
    }

    fn set_knowledge_state(
        &mut self,
        tenant: &str,
        ids: &[String],
        state: KnowledgeState,
    ) -> StoreResult<()> {
        for k in self
            .knowledge
            .iter_mut()
            .filter(|k| k.tenant_id == tenant && ids.contains(&k.id))
        {
            k.state = state;
        }
        Ok(())
    }
}

impl MeteringStore for Ledger {
    fn usage_key(&mut self, tenant: &str, key: &str) -> StoreResult<Option<UsageKey>> {
        Ok(self
            .usage_keys
            .get(tenant)
            .and_then(|m| m.get(key))
            .cloned())
    }

    fn save_usage_key(&mut self, tenant: &str, key: &str, k: &UsageKey) -> StoreResult<()> {
        self.usage_keys
            .entry(tenant.to_string())
            .or_default()
            .insert(key.to_string(), k.clone());
        Ok(())
    }

    fn add_usage_record(&mut self, r: &UsageRecord) -> StoreResult<()> {
        self.usage_records.push(r.clone());
        Ok(())
    }

    fn usage_bases(
        &mut self,
        tenant: &str,
        kinds: &[ResourceKind],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<UsageBasis>> {
        let from = forecast::window_start(now);
        Ok(kinds
            .iter()
            .map(|kind| {
                let mut hours: BTreeMap<DateTime<Utc>, u64> = BTreeMap::new();
                let mut since: Option<DateTime<Utc>> = None;
                for r in self
                    .usage_records
                    .iter()
                    .filter(|r| r.tenant_id == tenant && r.kind == *kind)
                {
                    // To the hour, as a store keeping hourly sums knows it.
                    let h = forecast::hour_of(r.at);
                    since = Some(since.map_or(h, |s| s.min(h)));
                    if r.at >= from {
                        let d = hours.entry(h).or_default();
                        *d = d.saturating_add(r.amount);
                    }
                }
                UsageBasis {
                    hours: hours.into_iter().collect(),
                    since,
                }
            })
            .collect())
    }

    fn add_deductions(&mut self, entries: &[DeductionEntry]) -> StoreResult<()> {
        self.deductions.extend_from_slice(entries);
        Ok(())
    }

    fn deductions(
        &mut self,
        tenant: &str,
        q: &DeductionsRequest,
        skip: usize,
        take: usize,
    ) -> StoreResult<DeductionPage> {
        let hits: Vec<&DeductionEntry> = self
            .deductions
            .iter()
            .rev()
            .filter(|e| {
                e.tenant_id == tenant
                    && q.resource_id
                        .as_ref()
                        .is_none_or(|id| e.resource_id.as_ref() == Some(id))
                    && q.kind.is_none_or(|k| e.kind == k)
                    && q.from.is_none_or(|f| e.at >= f)
                    && q.until.is_none_or(|u| e.at < u)
            })
            .collect();
        Ok(DeductionPage {
            total: hits.len() as u64,
            items: hits.into_iter().skip(skip).take(take).cloned().collect(),
        })
    }

    fn usage_records(
        &mut self,
        tenant: &str,
        kind: ResourceKind,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<Vec<UsageRecord>> {
        Ok(self
            .usage_records
            .iter()
            .filter(|r| r.tenant_id == tenant && r.kind == kind && r.at >= from && r.at < until)
            .cloned()
            .collect())
    }
}

impl NoticeStore for Ledger {
    fn mark_fired(&mut self, _tenant: &str, key: &FiredKey) -> StoreResult<bool> {
        Ok(self.fired.0.insert(key.clone()))
    }

    fn next_message_seq(&mut self, tenant: &str) -> StoreResult<u64> {
        let n = self.message_seq.entry(tenant.to_string()).or_default();
        *n += 1;
        Ok(*n)
    }

    fn add_notice(&mut self, n: &NoticeRecord) -> StoreResult<()> {
        self.notices.push(n.clone());
        Ok(())
    }

    fn add_outbox(&mut self, m: &OutboxMessage) -> StoreResult<()> {
        self.outbox.push(m.clone());
        Ok(())
    }

    fn notices(
        &mut self,
        tenant: &str,
        user_id: &str,
        req: &NoticesRequest,
        skip: usize,
        take: usize,
    ) -> StoreResult<NoticePage> {
        let mut mine: Vec<NoticeView> = self
            .notices
            .iter()
            .filter(|n| n.tenant_id == tenant)
            .map(|n| NoticeView {
                id: n.id.clone(),
                resource_id: n.resource_id.clone(),
                resource_name: n.resource_name.clone(),
                resource_kind: n.resource_kind,
                notice: n.notice,
                at: n.at,
                read: n.read_by.iter().any(|u| u == user_id),
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

    fn unknown_notice(&mut self, tenant: &str, ids: &[String]) -> StoreResult<Option<String>> {
        Ok(ids
            .iter()
            .find(|id| {
                !self
                    .notices
                    .iter()
                    .any(|n| &n.id == *id && n.tenant_id == tenant)
            })
            .cloned())
    }

    fn mark_read(
        &mut self,
        tenant: &str,
        user_id: &str,
        ids: Option<&[String]>,
    ) -> StoreResult<u64> {
        let mut unread = 0;
        for n in self.notices.iter_mut().filter(|n| n.tenant_id == tenant) {
            let pick = ids.is_none_or(|ids| ids.contains(&n.id));
            let read = n.read_by.iter().any(|u| u == user_id);
            if pick && !read {
                n.read_by.push(user_id.to_string());
            } else if !read {
                unread += 1;
            }
        }
        Ok(unread)
    }

    fn outbox(
        &mut self,
        tenant: &str,
        _req: &OutboxRequest,
        skip: usize,
        take: usize,
    ) -> StoreResult<OutboxPage> {
        let mut mine: Vec<&OutboxMessage> = self
            .outbox
            .iter()
            .filter(|m| m.tenant_id == tenant)
            .collect();
        mine.sort_by(|a, b| (b.at, &b.id).cmp(&(a.at, &a.id)));
        Ok(OutboxPage {
            total: mine.len() as u64,
            items: mine.into_iter().skip(skip).take(take).cloned().collect(),
        })
    }
}

impl BillingStore for Ledger {
    fn postpaid(&mut self, tenant: &str) -> StoreResult<PostpaidState> {
        Ok(self.postpaid_state(tenant))
    }

    fn save_postpaid(
        &mut self,
        tenant: &str,
        state: &PostpaidState,
        change: &PostpaidChange,
    ) -> StoreResult<()> {
        self.postpaid.insert(tenant.to_string(), state.clone());
        self.postpaid_history.push(change.clone());
        Ok(())
    }

    fn postpaid_history(&mut self, tenant: &str, limit: usize) -> StoreResult<Vec<PostpaidChange>> {
        let mut history: Vec<PostpaidChange> = self
            .postpaid_history
            .iter()
            .filter(|c| c.tenant_id == tenant)
            .cloned()
            .collect();
        history.sort_by_key(|c| std::cmp::Reverse(c.at));
        history.truncate(limit);
        Ok(history)
    }

    fn add_postpaid_units(
        &mut self,
        tenant: &str,
        kind: ResourceKind,
        at: DateTime<Utc>,
        units: u64,
    ) -> StoreResult<()> {
        let mut hour = forecast::hour_of(at);
        loop {
            match self
                .postpaid_hours
                .iter_mut()
                .find(|h| h.tenant_id == tenant && h.open.kind == kind && h.open.hour == hour)
            {
                Some(h) if h.bill.is_some() => hour += chrono::Duration::hours(1),
                Some(h) => {
                    h.open.units = h.open.units.saturating_add(units);
                    return Ok(());
                }
                None => {
                    self.postpaid_hours.push(PostpaidHour {
                        tenant_id: tenant.to_string(),
                        open: OpenHour { hour, kind, units },
                        bill: None,
                    });
                    return Ok(());
                }
            }
        }
    }

    fn open_hours(&mut self, tenant: &str) -> StoreResult<Vec<OpenHour>> {
        Ok(self
            .postpaid_hours
            .iter()
            .filter(|h| h.tenant_id == tenant && h.bill.is_none())
            .map(|h| h.open.clone())
            .collect())
    }

    fn settle_hours(&mut self, tenant: &str, lines: &[BillLine]) -> StoreResult<()> {
        for l in lines {
            for h in self.postpaid_hours.iter_mut().filter(|h| {
                h.tenant_id == tenant
                    && h.open.kind == l.kind
                    && h.open.hour == l.hour
                    && h.bill.is_none()
            }) {
                h.bill = Some(l.clone());
            }
        }
        Ok(())
    }

    fn billed_since(&mut self, tenant: &str, from: DateTime<Utc>) -> StoreResult<i64> {
        Ok(self
            .postpaid_hours
            .iter()
            .filter(|h| h.tenant_id == tenant && h.open.hour >= from)
            .filter_map(|h| h.bill.as_ref())
            .map(|b| b.amount_cents)
            .fold(0, i64::saturating_add))
    }

    fn bills(
        &mut self,
        tenant: &str,
        q: &BillsRequest,
        skip: usize,
        take: usize,
    ) -> StoreResult<BillPage> {
        let mut hits: Vec<&BillLine> = self
            .postpaid_hours
            .iter()
            .filter(|h| h.tenant_id == tenant)
            .filter_map(|h| h.bill.as_ref())
            .filter(|b| q.from.is_none_or(|f| b.hour >= f) && q.until.is_none_or(|u| b.hour < u))
            .collect();
        hits.sort_by(|a, b| (b.hour, b.kind.spec().slug).cmp(&(a.hour, a.kind.spec().slug)));
        Ok(BillPage {
            total: hits.len() as u64,
            total_cents: hits
                .iter()
                .map(|b| b.amount_cents)
                .fold(0, i64::saturating_add),
            items: hits.into_iter().skip(skip).take(take).cloned().collect(),
        })
    }

    fn budget(&mut self, tenant: &str) -> StoreResult<Option<Budget>> {
        Ok(self.budgets.get(tenant).cloned())
    }

    fn save_budget(&mut self, tenant: &str, b: Option<&Budget>) -> StoreResult<()> {
        match b {
            Some(b) => self.budgets.insert(tenant.to_string(), b.clone()),
            None => self.budgets.remove(tenant),
        };
        Ok(())
    }

    fn top_up_key(&mut self, tenant: &str, key: &str) -> StoreResult<Option<TopUpKey>> {
        Ok(self
            .top_up_keys
            .get(tenant)
            .and_then(|m| m.get(key))
            .cloned())
    }

    fn save_top_up_key(
        &mut self,
        tenant: &str,
        key: &str,
        k: &TopUpKey,
        _at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.top_up_keys
            .entry(tenant.to_string())
            .or_default()
            .insert(key.to_string(), k.clone());
        Ok(())
    }
}

impl WebhookStore for Ledger {
    fn endpoints(&mut self, tenant: &str) -> StoreResult<Vec<Endpoint>> {
        Ok(self
            .endpoints
            .iter()
            .filter(|e| e.tenant_id == tenant)
            .cloned()
            .collect())
    }

    fn add_endpoint(&mut self, e: &Endpoint, _secret: &str) -> StoreResult<()> {
        self.endpoints.push(e.clone());
        Ok(())
    }

    fn delete_endpoint(&mut self, tenant: &str, id: &str) -> StoreResult<()> {
        self.endpoints
            .retain(|e| !(e.tenant_id == tenant && e.id == id));
        self.deliveries.retain(|d| d.endpoint_id != id);
        Ok(())
    }

    fn add_event(&mut self, e: &Event, only: Option<&str>) -> StoreResult<()> {
        let targets: Vec<String> = self
            .endpoints
            .iter()
            .filter(|x| x.tenant_id == e.tenant_id && only.is_none_or(|o| o == x.id))
            .map(|x| x.id.clone())
            .collect();
        if targets.is_empty() {
            return Ok(());
        }
        for endpoint_id in targets {
            self.deliveries.push(Delivery {
                endpoint_id,
                event_id: e.id.clone(),
                event_kind: e.kind,
                event_at: e.at,
                state: DeliveryState::Pending,
                attempts: 0,
                last_attempt_at: None,
                last_status: None,
                last_error: None,
                next_attempt_at: Some(e.at),
            });
        }
        self.events.push(e.clone());
        Ok(())
    }

    fn deliveries(
        &mut self,
        _tenant: &str,
        endpoint_id: &str,
        limit: usize,
    ) -> StoreResult<Vec<Delivery>> {
        Ok(self
            .deliveries
            .iter()
            .rev()
            .filter(|d| d.endpoint_id == endpoint_id)
            .take(limit)
            .cloned()
            .collect())
    }
}

impl Context for Ledger {
    /// The in-browser demo sends nothing: its secret only looks like one.
    fn new_secret(&mut self) -> String {
        format!("whsec_demo_{:04}", self.endpoints.len() + 1)
    }

    fn changed(&mut self, _tenant: &str, _what: Change) {}
}

/// Reading the seed, letting time pass, and running actions through the
/// registry's dispatch (the mock store's path).
impl Ledger {
    pub fn account_of(&self, tenant: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.tenant_id == tenant)
    }

    pub fn tenant_resources<'a>(
        &'a self,
        tenant: &'a str,
    ) -> impl Iterator<Item = &'a Resource> + 'a {
        self.resources.iter().filter(move |r| r.tenant_id == tenant)
    }

    pub fn postpaid_state(&self, tenant: &str) -> PostpaidState {
        self.postpaid
            .get(tenant)
            .cloned()
            .unwrap_or_else(default_postpaid)
    }

    /// Let time pass to `now` for every tenant: time-driven rules, and the
    /// settlement of every closed hour (the server's sweep does both).
    pub fn advance(&mut self, now: DateTime<Utc>) {
        let tenants: Vec<String> = self.accounts.iter().map(|a| a.tenant_id.clone()).collect();
        for t in tenants {
            let _ = engine::catch_up(self, &t, now);
        }
    }

    /// Fire every threshold due at `now` for every tenant (the same as
    /// letting time pass to `now`). Returns the tenants that got something new.
    pub fn fire_due(&mut self, now: DateTime<Utc>) -> Vec<String> {
        let before = self.message_seq.clone();
        self.advance(now);
        self.message_seq
            .iter()
            .filter(|(t, n)| before.get(*t) != Some(n))
            .map(|(t, _)| t.clone())
            .collect()
    }

    /// Run action `A` for `user_id` at `now` through the registry's
    /// dispatch, as the mock store does: the caller's tenant caught up,
    /// then the action (`user_id` is ignored for an operator's action).
    pub fn act<A: ActionDef>(
        &mut self,
        user_id: &str,
        req: &A::Request,
        now: DateTime<Utc>,
    ) -> Result<A::Response, ApiError> {
        crate::handlers::call::<A, _>(self, user_id, req, now)
    }
}

//! The one storage seam. Every action runs in [`crate::engine`] over a
//! [`Store`]: the browser's mock store implements it in memory
//! ([`crate::Ledger`]), the server over one SQLite or PostgreSQL
//! transaction. Every method is scoped to one tenant, so a backend can
//! answer it from that tenant's rows alone (indexes lead with `tenant_id`).
//!
//! A failure of the storage itself is an [`ApiError`] with
//! `InternalError`; the caller rolls the transaction back.

use chrono::{DateTime, Utc};

use crate::api::{
    ApiError, BillPage, BillsRequest, DeductionPage, DeductionsRequest, ListResourcesRequest,
    NoticePage, NoticesRequest, OutboxPage, OutboxRequest, PostpaidChange, ResourcePage,
};
use crate::billing::{BillLine, Budget, OpenHour, TopUpKey};
use crate::deduction::{Deduction, DeductionEntry};
use crate::forecast::UsageBasis;
use crate::knowledge::{KnowledgeItem, KnowledgeState};
use crate::model::{Account, Resource, ResourceKind, User};
use crate::notify::{NoticeRecord, OutboxMessage, UsageRecord};
use crate::postpaid::PostpaidState;
use crate::reminders::FiredKey;
use crate::webhook::{Delivery, Endpoint, Event};

pub type StoreResult<T> = Result<T, ApiError>;

crate::enumerated! {
/// What a change touched, for live updates (the console refetches the
/// views of that kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Change {
    Usage,
    Notice,
    Postpaid,
    Permission,
    /// Sessions of the tenant ended (sign-out, replaced, signed out
    /// everywhere): its live streams check whether their caller still may.
    Session,
}
}

impl Change {
    /// What the caller's live stream says of it (a session change only
    /// makes the stream check whether its caller may still listen).
    pub fn live(self) -> Option<crate::api::LiveEvent> {
        use crate::api::LiveEvent;
        match self {
            Change::Usage => Some(LiveEvent::Usage),
            Change::Notice => Some(LiveEvent::Notice),
            Change::Postpaid => Some(LiveEvent::Postpaid),
            Change::Permission => Some(LiveEvent::Permission),
            Change::Session => None,
        }
    }

    /// The name in the PostgreSQL notification that carries it.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Usage => "usage",
            Change::Notice => "notice",
            Change::Postpaid => "postpaid",
            Change::Permission => "permission",
            Change::Session => "session",
        }
    }

    pub fn from_name(s: &str) -> Option<Change> {
        Change::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

/// A metering idempotency key, as stored: what the request was (so a replay
/// with another body is refused) and what it did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UsageKey {
    /// `Kind:Amount` of the first request (the whole of its meaning once
    /// the tenant and key are fixed).
    pub fingerprint: String,
    pub deduction: Deduction,
}

/// Every feature's store and the request's [`Context`]: what the engine
/// runs on. Tenant-scoped reads and writes: implementations read and write
/// only the rows named; the engine decides what to do with them.
pub trait Store:
    AccountStore + ResourceStore + MeteringStore + NoticeStore + BillingStore + WebhookStore + Context
{
}

impl<T> Store for T where
    T: AccountStore
        + ResourceStore
        + MeteringStore
        + NoticeStore
        + BillingStore
        + WebhookStore
        + Context
{
}

/// Users and accounts: who a user is, the tenant's users and their grants, the account's balance.
pub trait AccountStore {
    fn user(&mut self, user_id: &str) -> StoreResult<Option<User>>;
    fn tenant_users(&mut self, tenant: &str) -> StoreResult<Vec<User>>;
    fn set_postpaid_permission(
        &mut self,
        tenant: &str,
        user_id: &str,
        granted: bool,
    ) -> StoreResult<()>;
    fn account(&mut self, tenant: &str) -> StoreResult<Option<Account>>;
    fn set_balance(&mut self, tenant: &str, cents: i64) -> StoreResult<()>;
}

/// Resources and the list: the packages and quotas, their deduction order, the list page, the attention area, and knowledge capacity and items.
pub trait ResourceStore {
    fn resource(&mut self, tenant: &str, id: &str) -> StoreResult<Option<Resource>>;
    /// Resources whose next time-driven instant ([`crate::reminders::next_due`])
    /// has come by `now`.
    fn due_resources(&mut self, tenant: &str, now: DateTime<Utc>) -> StoreResult<Vec<Resource>>;
    /// Store a resource's new state as of `now` (its status and next due
    /// instant follow from it). `was` is its status before, when the caller
    /// knows it (a store keeping per-status counts need not read it).
    fn save_resource(
        &mut self,
        r: &Resource,
        was: Option<crate::status::Status>,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Drawable packages of `kind` in deduction order: the shortest prefix
    /// whose remaining quota covers `need`, or all of them.
    fn drawable(
        &mut self,
        tenant: &str,
        kind: ResourceKind,
        need: u64,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Resource>>;
    /// Up to `limit` drawable packages of `kind` at `now`, in deduction
    /// order, after `after` (a package of that order; None: from the
    /// start), skipping those that expire before `alive_at`: usage that has
    /// got to `alive_at` can no longer reach them. For walking the order a
    /// page at a time (forecasts), never reading it whole.
    fn drawable_page(
        &mut self,
        tenant: &str,
        kind: ResourceKind,
        after: Option<&Resource>,
        alive_at: DateTime<Utc>,
        limit: usize,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Resource>>;
    /// Knowledge capacity resources available at `now`.
    fn knowledge_capacity(
        &mut self,
        tenant: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Resource>>;
    /// One page of the list (the request is already validated).
    fn list(
        &mut self,
        tenant: &str,
        q: &ListResourcesRequest,
        now: DateTime<Utc>,
    ) -> StoreResult<ResourcePage>;
    /// At least every resource the attention area could name at `now`:
    /// nearly exhausted or exhausted, expiring within 30 days, expired in
    /// the last 30 days.
    fn attention(&mut self, tenant: &str, now: DateTime<Utc>) -> StoreResult<Vec<Resource>>;
    fn knowledge(&mut self, tenant: &str) -> StoreResult<Vec<KnowledgeItem>>;
    fn set_knowledge_state(
        &mut self,
        tenant: &str,
        ids: &[String],
        state: KnowledgeState,
    ) -> StoreResult<()>;
}

/// Metering and deductions: idempotency keys, usage records and their hourly sums, and the deduction ledger.
pub trait MeteringStore {
    fn usage_key(&mut self, tenant: &str, key: &str) -> StoreResult<Option<UsageKey>>;
    fn save_usage_key(&mut self, tenant: &str, key: &str, k: &UsageKey) -> StoreResult<()>;
    fn add_usage_record(&mut self, r: &UsageRecord) -> StoreResult<()>;
    /// Records of `kind` with `from <= at < until`.
    fn usage_records(
        &mut self,
        tenant: &str,
        kind: ResourceKind,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<Vec<UsageRecord>>;
    /// The tenant's usage of each of `kinds` (in that order) by UTC hour
    /// over the pace window at `now` ([`crate::forecast::window_start`]
    /// onward), and the hour its usage of the kind began.
    fn usage_bases(
        &mut self,
        tenant: &str,
        kinds: &[ResourceKind],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<UsageBasis>>;
    fn add_deductions(&mut self, entries: &[DeductionEntry]) -> StoreResult<()>;
    /// One page, the last written first; the request is validated.
    fn deductions(
        &mut self,
        tenant: &str,
        q: &DeductionsRequest,
        skip: usize,
        take: usize,
    ) -> StoreResult<DeductionPage>;
}

/// Notices and reminders: once-only thresholds, console notices with their read state, and the reminder outbox.
pub trait NoticeStore {
    /// Record a threshold as fired; false when it had fired already.
    fn mark_fired(&mut self, tenant: &str, key: &FiredKey) -> StoreResult<bool>;
    /// The tenant's next notice/reminder number (1, 2, ...).
    fn next_message_seq(&mut self, tenant: &str) -> StoreResult<u64>;
    fn add_notice(&mut self, n: &NoticeRecord) -> StoreResult<()>;
    fn add_outbox(&mut self, m: &OutboxMessage) -> StoreResult<()>;
    /// Unread first, then newest first (id descending breaks ties).
    fn notices(
        &mut self,
        tenant: &str,
        user_id: &str,
        req: &NoticesRequest,
        skip: usize,
        take: usize,
    ) -> StoreResult<NoticePage>;
    /// The first of `ids` that is not a notice of the tenant.
    fn unknown_notice(&mut self, tenant: &str, ids: &[String]) -> StoreResult<Option<String>>;
    /// Mark `ids` (or every notice, with None) read for the user; returns
    /// the user's unread count afterwards.
    fn mark_read(
        &mut self,
        tenant: &str,
        user_id: &str,
        ids: Option<&[String]>,
    ) -> StoreResult<u64>;
    /// Newest first.
    fn outbox(
        &mut self,
        tenant: &str,
        req: &OutboxRequest,
        skip: usize,
        take: usize,
    ) -> StoreResult<OutboxPage>;
}

/// Postpaid settings and billing: the switch and its history, hourly postpaid units, settled bill lines, the budget and top-up keys.
pub trait BillingStore {
    fn postpaid(&mut self, tenant: &str) -> StoreResult<PostpaidState>;
    fn save_postpaid(
        &mut self,
        tenant: &str,
        state: &PostpaidState,
        change: &PostpaidChange,
    ) -> StoreResult<()>;
    /// Newest first; equal instants in the order they were made.
    fn postpaid_history(&mut self, tenant: &str, limit: usize) -> StoreResult<Vec<PostpaidChange>>;
    /// Count `units` drawn postpaid at `at` into its UTC hour, or, when
    /// that hour is settled already (a request that began before the
    /// settlement committed), into the first open hour after it.
    fn add_postpaid_units(
        &mut self,
        tenant: &str,
        kind: ResourceKind,
        at: DateTime<Utc>,
        units: u64,
    ) -> StoreResult<()>;
    /// Every hour of postpaid usage not settled yet (the current one
    /// included): a handful, however long the history.
    fn open_hours(&mut self, tenant: &str) -> StoreResult<Vec<OpenHour>>;
    /// Settle these hours: each becomes a bill line, once.
    fn settle_hours(&mut self, tenant: &str, lines: &[BillLine]) -> StoreResult<()>;
    /// The sum of bill lines for hours from `from` on, in cents.
    fn billed_since(&mut self, tenant: &str, from: DateTime<Utc>) -> StoreResult<i64>;
    /// One page of bill lines, the newest hour first; the request is
    /// validated.
    fn bills(
        &mut self,
        tenant: &str,
        q: &BillsRequest,
        skip: usize,
        take: usize,
    ) -> StoreResult<BillPage>;
    fn budget(&mut self, tenant: &str) -> StoreResult<Option<Budget>>;
    fn save_budget(&mut self, tenant: &str, b: Option<&Budget>) -> StoreResult<()>;
    fn top_up_key(&mut self, tenant: &str, key: &str) -> StoreResult<Option<TopUpKey>>;
    fn save_top_up_key(
        &mut self,
        tenant: &str,
        key: &str,
        k: &TopUpKey,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
}

/// Alert webhooks: endpoints, events and their deliveries.
pub trait WebhookStore {
    /// Oldest first.
    fn endpoints(&mut self, tenant: &str) -> StoreResult<Vec<Endpoint>>;
    fn add_endpoint(&mut self, e: &Endpoint, secret: &str) -> StoreResult<()>;
    fn delete_endpoint(&mut self, tenant: &str, id: &str) -> StoreResult<()>;
    /// Record an event with a pending delivery for each of the tenant's
    /// endpoints (or only `only`).
    fn add_event(&mut self, e: &Event, only: Option<&str>) -> StoreResult<()>;
    /// An endpoint's latest deliveries, the newest event first.
    fn deliveries(
        &mut self,
        tenant: &str,
        endpoint_id: &str,
        limit: usize,
    ) -> StoreResult<Vec<Delivery>>;
}

/// What a request runs with that is not storage: where secrets come from, what this deployment allows, and where the changes it made are told (live updates after commit).
pub trait Context {
    /// A new signing secret (unguessable where it matters: the server).
    fn new_secret(&mut self) -> String;
    /// Whether webhooks may go to private addresses and over http://
    /// (the server's `--allow-private-webhooks`, for tests).
    fn private_webhooks_allowed(&self) -> bool {
        false
    }
    /// The engine says what it changed (for live updates after commit).
    fn changed(&mut self, tenant: &str, what: Change);
}

/// Every feature's store trait, for code that calls a concrete store's
/// methods (the server's `SqlStore`, tests): `use billing_rules::store::prelude::*`.
pub mod prelude {
    pub use super::{
        AccountStore, BillingStore, Context, MeteringStore, NoticeStore, ResourceStore, Store,
        WebhookStore,
    };
}

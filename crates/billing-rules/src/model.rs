//! The domain model: resources, accounts, users. Amounts are integers,
//! instants are UTC.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a resource is. Each kind belongs to one tab of the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ResourceKind {
    /// Model token package (pay-as-you-go, fixed validity).
    TokenPackage,
    /// Search service package (pay-as-you-go, fixed validity).
    SearchPackage,
    /// Dedicated concurrency quota for one generative model (prepaid).
    ConcurrencyQuota,
    /// Knowledge-base storage capacity (prepaid).
    KnowledgeCapacity,
}

/// The unit a kind is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Unit {
    Tokens,
    Calls,
    ConcurrentRequests,
    Characters,
}

/// The tabs of the console that list resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Tab {
    PayAsYouGo,
    Concurrency,
    KnowledgeBase,
}

impl Tab {
    pub const ALL: [Tab; 3] = [Tab::PayAsYouGo, Tab::Concurrency, Tab::KnowledgeBase];

    /// Stable slug used in URLs and the API.
    pub fn slug(self) -> &'static str {
        match self {
            Tab::PayAsYouGo => "pay-as-you-go",
            Tab::Concurrency => "concurrency",
            Tab::KnowledgeBase => "knowledge-base",
        }
    }

    pub fn from_slug(s: &str) -> Option<Tab> {
        Tab::ALL.into_iter().find(|t| t.slug() == s)
    }

    /// The kinds listed on this tab (from each kind's spec).
    pub fn kinds(self) -> Vec<ResourceKind> {
        ResourceKind::ALL
            .into_iter()
            .filter(|k| k.tab() == self)
            .collect()
    }
}

/// How usage of a kind is metered by `ReportUsage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metering {
    /// Drawn from packages in deduction order (free trial first, then
    /// purchased soonest-expiring), then postpaid if it is on. Packages are
    /// used up, and are bought again rather than renewed.
    Drawn,
    /// Peaks are observed and recorded for the usage chart; nothing is
    /// drawn (a ceiling on simultaneous requests, not something consumed).
    Peak,
    /// Not metered: filled by what is stored (documents, Q&A pairs).
    Stored,
}

/// A prepaid resource's monthly renewal price: `per_million_cents` per
/// million units of its total, at least `minimum_cents`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenewalPrice {
    pub per_million_cents: i64,
    pub minimum_cents: i64,
}

/// Everything that differs between kinds, in one place: a new kind must
/// say all of it (the match in [`ResourceKind::spec`] is exhaustive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindSpec {
    pub slug: &'static str,
    pub unit: Unit,
    pub tab: Tab,
    pub metering: Metering,
    /// Whether usage can run out (nearly exhausted / exhausted alerts).
    pub can_run_out: bool,
    /// Prepaid yearly/monthly resources renew at this price; packages
    /// cannot be renewed (None: buy another).
    pub renewal: Option<RenewalPrice>,
    /// What usage beyond the packages costs when postpaid is on (drawn
    /// kinds only). Demo prices, stated in the README.
    pub postpaid: Option<PostpaidPrice>,
}

/// A postpaid price: `cents` per `per` units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostpaidPrice {
    pub cents: i64,
    pub per: u64,
}

impl PostpaidPrice {
    /// The price of `units`, in cents, rounded up.
    pub fn of(self, units: u64) -> i64 {
        let c = (units as i128 * self.cents as i128 + self.per as i128 - 1) / self.per as i128;
        i64::try_from(c).unwrap_or(i64::MAX)
    }
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 4] = [
        ResourceKind::TokenPackage,
        ResourceKind::SearchPackage,
        ResourceKind::ConcurrencyQuota,
        ResourceKind::KnowledgeCapacity,
    ];

    pub const fn spec(self) -> KindSpec {
        match self {
            ResourceKind::TokenPackage => KindSpec {
                slug: "token-package",
                unit: Unit::Tokens,
                tab: Tab::PayAsYouGo,
                metering: Metering::Drawn,
                can_run_out: true,
                renewal: None,
                // $0.80 per million tokens.
                postpaid: Some(PostpaidPrice {
                    cents: 80,
                    per: 1_000_000,
                }),
            },
            ResourceKind::SearchPackage => KindSpec {
                slug: "search-package",
                unit: Unit::Calls,
                tab: Tab::PayAsYouGo,
                metering: Metering::Drawn,
                can_run_out: true,
                renewal: None,
                // $4 per thousand calls.
                postpaid: Some(PostpaidPrice {
                    cents: 400,
                    per: 1_000,
                }),
            },
            ResourceKind::ConcurrencyQuota => KindSpec {
                slug: "concurrency-quota",
                unit: Unit::ConcurrentRequests,
                tab: Tab::Concurrency,
                metering: Metering::Peak,
                can_run_out: false,
                // $30 per concurrent request per month.
                renewal: Some(RenewalPrice {
                    per_million_cents: 3_000_000_000,
                    minimum_cents: 0,
                }),
                postpaid: None,
            },
            ResourceKind::KnowledgeCapacity => KindSpec {
                slug: "knowledge-capacity",
                unit: Unit::Characters,
                tab: Tab::KnowledgeBase,
                metering: Metering::Stored,
                can_run_out: true,
                // $2 per million characters per month, at least $1.
                renewal: Some(RenewalPrice {
                    per_million_cents: 200,
                    minimum_cents: 100,
                }),
                postpaid: None,
            },
        }
    }

    pub fn unit(self) -> Unit {
        self.spec().unit
    }

    pub fn tab(self) -> Tab {
        self.spec().tab
    }

    /// Usage-based packages are consumed and can be used up; prepaid
    /// yearly/monthly resources are a standing quota.
    pub fn is_package(self) -> bool {
        self.spec().metering == Metering::Drawn
    }

    /// Prepaid yearly/monthly resources can be renewed; packages cannot
    /// (buy another).
    pub fn is_renewable(self) -> bool {
        self.spec().renewal.is_some()
    }

    /// Whether usage of this kind can run out (and so raise nearly
    /// exhausted / exhausted alerts). A concurrency quota is a ceiling on
    /// simultaneous requests, not something consumed.
    pub fn can_run_out(self) -> bool {
        self.spec().can_run_out
    }

    /// The price of renewing `total` units for `months`, in cents; None for
    /// kinds that are not renewed.
    pub fn renewal_price_cents(self, total: u64, months: u32) -> Option<i64> {
        let p = self.spec().renewal?;
        let per_month =
            (total as i128 * p.per_million_cents as i128 / 1_000_000).max(p.minimum_cents as i128);
        i64::try_from(per_month * months as i128).ok()
    }

    pub fn slug(self) -> &'static str {
        self.spec().slug
    }

    pub fn from_slug(s: &str) -> Option<ResourceKind> {
        ResourceKind::ALL.into_iter().find(|k| k.slug() == s)
    }
}

/// Where a resource came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Source {
    /// Granted on first registration.
    FreeTrial,
    Purchased,
}

/// One billing resource of a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Resource {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub kind: ResourceKind,
    pub source: Source,
    pub total: u64,
    pub used: u64,
    pub effective_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The generative model a concurrency quota is dedicated to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default)]
    pub refunded: bool,
}

impl Resource {
    pub fn remaining(&self) -> u64 {
        self.total.saturating_sub(self.used)
    }
}

/// A tenant's billing account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Account {
    pub tenant_id: String,
    pub name: String,
    /// Balance in cents; negative means overdue.
    pub balance_cents: i64,
    pub currency: String,
}

impl Account {
    /// An overdue account cannot use services and cannot enable postpaid.
    pub fn is_overdue(&self) -> bool {
        self.balance_cents < 0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Role {
    MainAccount,
    SubAccount,
}

/// A person who signs in to the console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct User {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub role: Role,
    /// The "Postpaid Settings" permission granted by the main account.
    /// Meaningless (always effectively true) for the main account.
    pub postpaid_permission: bool,
}

impl User {
    pub fn is_main(&self) -> bool {
        self.role == Role::MainAccount
    }
}

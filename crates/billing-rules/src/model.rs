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

    pub fn kinds(self) -> &'static [ResourceKind] {
        match self {
            Tab::PayAsYouGo => &[ResourceKind::TokenPackage, ResourceKind::SearchPackage],
            Tab::Concurrency => &[ResourceKind::ConcurrencyQuota],
            Tab::KnowledgeBase => &[ResourceKind::KnowledgeCapacity],
        }
    }
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 4] = [
        ResourceKind::TokenPackage,
        ResourceKind::SearchPackage,
        ResourceKind::ConcurrencyQuota,
        ResourceKind::KnowledgeCapacity,
    ];

    pub fn unit(self) -> Unit {
        match self {
            ResourceKind::TokenPackage => Unit::Tokens,
            ResourceKind::SearchPackage => Unit::Calls,
            ResourceKind::ConcurrencyQuota => Unit::ConcurrentRequests,
            ResourceKind::KnowledgeCapacity => Unit::Characters,
        }
    }

    pub fn tab(self) -> Tab {
        match self {
            ResourceKind::TokenPackage | ResourceKind::SearchPackage => Tab::PayAsYouGo,
            ResourceKind::ConcurrencyQuota => Tab::Concurrency,
            ResourceKind::KnowledgeCapacity => Tab::KnowledgeBase,
        }
    }

    /// Usage-based packages are consumed and can be used up; prepaid
    /// yearly/monthly resources are a standing quota.
    pub fn is_package(self) -> bool {
        matches!(
            self,
            ResourceKind::TokenPackage | ResourceKind::SearchPackage
        )
    }

    /// Prepaid yearly/monthly resources can be renewed; packages cannot
    /// (buy another).
    pub fn is_renewable(self) -> bool {
        !self.is_package()
    }

    /// Whether usage of this kind can run out (and so raise nearly
    /// exhausted / exhausted alerts). A concurrency quota is a ceiling on
    /// simultaneous requests, not something consumed.
    pub fn can_run_out(self) -> bool {
        self != ResourceKind::ConcurrencyQuota
    }

    pub fn slug(self) -> &'static str {
        match self {
            ResourceKind::TokenPackage => "token-package",
            ResourceKind::SearchPackage => "search-package",
            ResourceKind::ConcurrencyQuota => "concurrency-quota",
            ResourceKind::KnowledgeCapacity => "knowledge-capacity",
        }
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

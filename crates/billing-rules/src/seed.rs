//! A deterministic demo data set relative to a given "now" that shows every
//! state the console knows, for two tenants.

use chrono::{DateTime, Duration, Utc};

use crate::api::PostpaidChange;
use crate::deduction::{DeductionEntry, Pool};
use crate::knowledge::{KnowledgeItem, KnowledgeItemKind, KnowledgeState};
use crate::ledger::Ledger;
use crate::model::{Account, Resource, ResourceKind, Role, Source, User};
use crate::notify::UsageRecord;
use crate::postpaid::PostpaidState;

pub const ACME: &str = "t-acme";
pub const GLOBEX: &str = "t-globex";

/// Demo user ids, for tests and the "view as" menu.
pub mod users {
    pub const ACME_MAIN: &str = "u-acme-main";
    pub const ACME_SUB: &str = "u-acme-sub";
    pub const ACME_SUB_GRANTED: &str = "u-acme-sub-granted";
    pub const GLOBEX_MAIN: &str = "u-globex-main";
    pub const GLOBEX_SUB: &str = "u-globex-sub";
    pub const GLOBEX_SUB_GRANTED: &str = "u-globex-sub-granted";
}

struct R<'a> {
    id: &'a str,
    name: &'a str,
    kind: ResourceKind,
    source: Source,
    total: u64,
    used: u64,
    /// Seconds relative to now.
    effective: i64,
    expires: i64,
    model: Option<&'a str>,
}

const D: i64 = 86_400;
const H: i64 = 3_600;

fn resource(tenant: &str, now: DateTime<Utc>, r: R) -> Resource {
    Resource {
        id: r.id.to_string(),
        tenant_id: tenant.to_string(),
        name: r.name.to_string(),
        kind: r.kind,
        source: r.source,
        total: r.total,
        used: r.used,
        effective_at: now + Duration::seconds(r.effective),
        expires_at: now + Duration::seconds(r.expires),
        model: r.model.map(str::to_string),
        refunded: false,
    }
}

fn user(id: &str, tenant: &str, name: &str, role: Role, granted: bool) -> User {
    User {
        id: id.into(),
        tenant_id: tenant.into(),
        name: name.into(),
        role,
        postpaid_permission: granted,
    }
}

use ResourceKind::*;
use Source::*;

fn acme(now: DateTime<Utc>) -> Vec<Resource> {
    let t = ACME;
    vec![
        resource(
            t,
            now,
            R {
                id: "res-tok-trial",
                name: "Model token trial package",
                kind: TokenPackage,
                source: FreeTrial,
                total: 1_000_000,
                used: 400_000,
                effective: -10 * D,
                expires: 80 * D,
                model: None,
            },
        ),
        resource(
            t,
            now,
            R {
                id: "res-tok-95",
                name: "Token package 10M (annual)",
                kind: TokenPackage,
                source: Purchased,
                total: 10_000_000,
                used: 9_500_000,
                effective: -200 * D,
                expires: 60 * D,
                model: None,
            },
        ),
        resource(
            t,
            now,
            R {
                id: "res-tok-5d",
                name: "Token package 2M",
                kind: TokenPackage,
                source: Purchased,
                total: 2_000_000,
                used: 300_000,
                effective: -85 * D,
                expires: 5 * D,
                model: None,
            },
        ),
        resource(
            t,
            now,
            R {
                id: "res-tok-expired",
                name: "Token package 5M (2025)",
                kind: TokenPackage,
                source: Purchased,
                total: 5_000_000,
                used: 1_200_000,
                effective: -368 * D,
                expires: -3 * D,
                model: None,
            },
        ),
        resource(
            t,
            now,
            R {
                id: "res-tok-next",
                name: "Token package 20M (next year)",
                kind: TokenPackage,
                source: Purchased,
                total: 20_000_000,
                used: 0,
                effective: 2 * D,
                expires: 367 * D,
                model: None,
            },
        ),
        resource(
            t,
            now,
            R {
                id: "res-search-out",
                name: "Search package 10K calls",
                kind: SearchPackage,
                source: Purchased,
                total: 10_000,
                used: 10_000,
                effective: -20 * D,
                expires: 40 * D,
                model: None,
            },
        ),
        resource(
            t,
            now,
            R {
                id: "res-search-trial",
                name: "Search trial package",
                kind: SearchPackage,
                source: FreeTrial,
                total: 1_000,
                used: 120,
                effective: -10 * D,
                expires: 25 * D,
                model: None,
            },
        ),
        resource(
            t,
            now,
            R {
                id: "res-conc-20d",
                name: "Dedicated concurrency: hunyuan-turbo",
                kind: ConcurrencyQuota,
                source: Purchased,
                total: 20,
                used: 12,
                effective: -10 * D,
                expires: 20 * D,
                model: Some("hunyuan-turbo"),
            },
        ),
        resource(
            t,
            now,
            R {
                id: "res-conc-ds",
                name: "Dedicated concurrency: deepseek-v3",
                kind: ConcurrencyQuota,
                source: Purchased,
                total: 10,
                used: 3,
                effective: -100 * D,
                expires: 265 * D,
                model: Some("deepseek-v3"),
            },
        ),
        resource(
            t,
            now,
            R {
                id: "res-kb-expired",
                name: "Knowledge capacity 5M chars",
                kind: KnowledgeCapacity,
                source: Purchased,
                total: 5_000_000,
                used: 0,
                effective: -32 * D,
                expires: -2 * D,
                model: None,
            },
        ),
        resource(
            t,
            now,
            R {
                id: "res-kb-main",
                name: "Knowledge capacity 10M chars",
                kind: KnowledgeCapacity,
                source: Purchased,
                total: 10_000_000,
                used: 0,
                effective: -320 * D,
                expires: 45 * D,
                model: None,
            },
        ),
    ]
}

fn globex(now: DateTime<Utc>) -> Vec<Resource> {
    let t = GLOBEX;
    vec![
        resource(
            t,
            now,
            R {
                id: "res-gx-tok-trial",
                name: "Model token trial package",
                kind: TokenPackage,
                source: FreeTrial,
                total: 500_000,
                used: 460_000,
                effective: -29 * D,
                expires: 12 * H,
                model: None,
            },
        ),
        resource(
            t,
            now,
            R {
                id: "res-gx-tok",
                name: "Token package 1M",
                kind: TokenPackage,
                source: Purchased,
                total: 1_000_000,
                used: 1_000_000,
                effective: -30 * D,
                expires: 150 * D,
                model: None,
            },
        ),
        resource(
            t,
            now,
            R {
                id: "res-gx-search",
                name: "Search package 5K calls",
                kind: SearchPackage,
                source: Purchased,
                total: 5_000,
                used: 900,
                effective: -30 * D,
                expires: 9 * D,
                model: None,
            },
        ),
        resource(
            t,
            now,
            R {
                id: "res-gx-conc",
                name: "Dedicated concurrency: hunyuan-standard",
                kind: ConcurrencyQuota,
                source: Purchased,
                total: 5,
                used: 5,
                effective: -30 * D,
                expires: 3 * D,
                model: Some("hunyuan-standard"),
            },
        ),
        resource(
            t,
            now,
            R {
                id: "res-gx-kb",
                name: "Knowledge capacity 2M chars",
                kind: KnowledgeCapacity,
                source: FreeTrial,
                total: 2_000_000,
                used: 0,
                effective: -30 * D,
                expires: 60 * D,
                model: None,
            },
        ),
    ]
}

fn items(
    tenant: &str,
    prefix: &str,
    now: DateTime<Utc>,
    specs: &[(&str, KnowledgeItemKind, u64)],
) -> Vec<KnowledgeItem> {
    specs
        .iter()
        .enumerate()
        .map(|(i, (name, kind, chars))| KnowledgeItem {
            id: format!("{prefix}-{i:02}"),
            tenant_id: tenant.into(),
            name: (*name).into(),
            kind: *kind,
            chars: *chars,
            created_at: now - Duration::days(300 - i as i64 * 10),
            state: KnowledgeState::Active,
        })
        .collect()
}

/// The demo ledger at `now`. Acme's 5M capacity expired two days ago, so its
/// newest knowledge beyond the remaining 10M is isolated; Globex is overdue.
pub fn demo(now: DateTime<Utc>) -> Ledger {
    use KnowledgeItemKind::*;
    let mut resources = acme(now);
    resources.extend(globex(now));
    let mut knowledge = items(
        ACME,
        "kn-acme",
        now,
        &[
            ("Product manual.pdf", Document, 3_200_000),
            ("Support FAQ", QaPair, 400_000),
            ("Pricing handbook.docx", Document, 2_100_000),
            ("Onboarding guide.pdf", Document, 1_800_000),
            ("Refund policy Q&A", QaPair, 150_000),
            ("API reference.md", Document, 2_000_000),
            ("Release notes 2026.md", Document, 1_500_000),
            ("Troubleshooting Q&A", QaPair, 350_000),
            ("Partner contracts.pdf", Document, 1_200_000),
        ],
    );
    knowledge.extend(items(
        GLOBEX,
        "kn-globex",
        now,
        &[
            ("Lab notebook.pdf", Document, 900_000),
            ("Safety Q&A", QaPair, 100_000),
        ],
    ));
    let mut ledger = Ledger {
        accounts: vec![
            Account {
                tenant_id: ACME.into(),
                name: "Acme Robotics".into(),
                balance_cents: 125_000,
                currency: "USD".into(),
            },
            Account {
                tenant_id: GLOBEX.into(),
                name: "Globex Labs".into(),
                balance_cents: -1_234,
                currency: "USD".into(),
            },
        ],
        users: vec![
            user(
                users::ACME_MAIN,
                ACME,
                "Alice Chen (main account)",
                Role::MainAccount,
                true,
            ),
            user(
                users::ACME_SUB,
                ACME,
                "Bob Li (ops)",
                Role::SubAccount,
                false,
            ),
            user(
                users::ACME_SUB_GRANTED,
                ACME,
                "Carol Wu (finance)",
                Role::SubAccount,
                true,
            ),
            user(
                users::GLOBEX_MAIN,
                GLOBEX,
                "Gina Park (main account)",
                Role::MainAccount,
                true,
            ),
            user(
                users::GLOBEX_SUB,
                GLOBEX,
                "Hank Ito (developer)",
                Role::SubAccount,
                false,
            ),
            user(
                users::GLOBEX_SUB_GRANTED,
                GLOBEX,
                "Ivy Sun (finance)",
                Role::SubAccount,
                true,
            ),
        ],
        resources,
        knowledge,
        ..Ledger::default()
    };
    let on = now - Duration::hours(3);
    let off = on + Duration::minutes(10);
    ledger.postpaid.insert(
        ACME.into(),
        PostpaidState {
            enabled: false,
            last_enabled_at: Some(on),
            changed_at: Some(off),
            changed_by: Some(users::ACME_MAIN.into()),
        },
    );
    ledger.postpaid.insert(
        GLOBEX.into(),
        PostpaidState {
            enabled: false,
            last_enabled_at: None,
            changed_at: None,
            changed_by: None,
        },
    );
    for (at, from, to) in [(on, false, true), (off, true, false)] {
        ledger.postpaid_history.push(PostpaidChange {
            tenant_id: ACME.into(),
            at,
            by_user_id: users::ACME_MAIN.into(),
            by_name: "Alice Chen (main account)".into(),
            from,
            to,
        });
    }
    ledger.advance(now);
    for tenant in [ACME, GLOBEX] {
        ledger.usage_records.extend(usage_history(tenant, now));
    }
    ledger.deductions = opening_balances(&ledger.resources, now);
    ledger.fire_due(now);
    // Packages the seeded pace runs out within the week get their notice,
    // as metering would have given it.
    for tenant in [ACME, GLOBEX] {
        for kind in crate::engine::forecast_kinds() {
            crate::engine::fire_running_out(&mut ledger, tenant, kind, now)
                .expect("the seed is consistent");
        }
    }
    ledger
}

/// The key of the ledger line that carries a package's usage from before
/// the ledger began.
pub const OPENING_KEY: &str = "opening-balance";

/// One ledger line per package already used when the ledger begins, so
/// every package's lines add up to its usage from the start.
pub fn opening_balances(resources: &[Resource], now: DateTime<Utc>) -> Vec<DeductionEntry> {
    resources
        .iter()
        .filter(|r| r.kind.is_package() && r.used > 0)
        .map(|r| DeductionEntry {
            tenant_id: r.tenant_id.clone(),
            at: now.min(r.expires_at).max(r.effective_at),
            idempotency_key: OPENING_KEY.into(),
            kind: r.kind,
            pool: Pool::of(r.source),
            resource_id: Some(r.id.clone()),
            resource_name: Some(r.name.clone()),
            amount: r.used,
            remaining_before: Some(r.total),
            remaining_after: Some(r.remaining()),
            event_amount: r.used,
        })
        .collect()
}

/// Deterministic metering records: daily for 30 days and hourly for 48
/// hours, so the usage charts have something to show.
fn usage_history(tenant: &str, now: DateTime<Utc>) -> Vec<UsageRecord> {
    let scale = if tenant == ACME { 1 } else { 3 };
    let mut out = Vec::new();
    let mut rec = |kind, amount: u64, at| {
        out.push(UsageRecord {
            tenant_id: tenant.into(),
            kind,
            amount,
            at,
        })
    };
    for d in 2..30i64 {
        let at = now - Duration::days(d) - Duration::hours(3);
        rec(
            TokenPackage,
            (40_000 + (d as u64 * 7_919) % 60_000) / scale,
            at,
        );
        rec(SearchPackage, (50 + (d as u64 * 37) % 120) / scale, at);
        rec(ConcurrencyQuota, 4 + (d as u64 * 5) % 12 / scale, at);
    }
    for h in 0..48i64 {
        let at = now - Duration::hours(h) - Duration::minutes(10);
        rec(TokenPackage, (1_000 + (h as u64 * 137) % 3_000) / scale, at);
        rec(SearchPackage, (3 + (h as u64 * 3) % 9) / scale, at);
        rec(ConcurrencyQuota, 2 + (h as u64 * 3) % 10 / scale, at);
    }
    out
}

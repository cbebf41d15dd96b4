//! Writes a benchmark database: the demo seed, then BIG extra resources in
//! the demo tenant t-acme (so `u-acme-main` can sign in to it), then
//! TENANTS small tenants of PER resources each (user `u-bench-N-main`),
//! with the notices and reminders already due, as a running server would
//! have them.
//!
//! Usage: bench_db DATABASE [TENANTS] [PER] [BIG]
//! (defaults 10000 100 100000: 1,000,000 + 100,000 resources). DATABASE is
//! an SQLite path (replaced) or a postgres:// URL (must be an empty database).
use std::time::Instant;

use billing_rules::engine;
use billing_rules::model::{Account, Resource, ResourceKind, Role, Source, User};
use billing_rules::Ledger;
use billing_server::store::{Db, Imported};
use billing_server::Database;
use chrono::{DateTime, Duration, Utc};

const KINDS: [ResourceKind; 4] = [
    ResourceKind::TokenPackage,
    ResourceKind::SearchPackage,
    ResourceKind::ConcurrencyQuota,
    ResourceKind::KnowledgeCapacity,
];

/// Resource `i` of a tenant; `spread` varies expiries between tenants.
fn resource(tenant: &str, i: usize, spread: usize, now: DateTime<Utc>) -> Resource {
    let kind = KINDS[i % 4];
    // Expiries from 25 days ago to a year ahead, spread over the rows.
    let hours = ((i * 7_919 + spread * 104_729) % 9_000) as i64 - 600;
    let total = 1_000_000 + (i as u64 % 97) * 10_000;
    Resource {
        id: format!("res-bench-{i:06}"),
        tenant_id: tenant.into(),
        name: format!("Bench package {i}"),
        kind,
        source: if i.is_multiple_of(10) {
            Source::FreeTrial
        } else {
            Source::Purchased
        },
        total,
        used: total * (i as u64 % 101) / 100,
        effective_at: now - Duration::days(30),
        expires_at: now + Duration::hours(hours),
        model: (kind == ResourceKind::ConcurrencyQuota).then(|| "hunyuan-turbo".into()),
        refunded: false,
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: bench_db DATABASE [TENANTS] [PER] [BIG]";
    let target = args.next().expect(usage);
    let mut num = |d: usize| args.next().map(|s| s.parse().expect(usage)).unwrap_or(d);
    let (tenants, per, big) = (num(10_000), num(100), num(100_000));
    let database = Database::parse(&target);
    if let Database::Sqlite(p) = &database {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
        }
    }
    let started = Instant::now();
    let now = Utc::now();
    let db = Db::open(&database, 2).expect("open");
    db.migrate_and_seed(|| (billing_rules::seed::demo(now), now))
        .expect("migrate and seed");

    // The big tenant: raw rows, then brought up to date by the server's own
    // path (firing its notices and reminders), in chunks.
    let acme = billing_rules::seed::ACME;
    for chunk in (0..big).collect::<Vec<_>>().chunks(20_000) {
        let l = Ledger {
            resources: chunk.iter().map(|i| resource(acme, *i, 0, now)).collect(),
            ..Ledger::default()
        };
        db.import(&l, Imported::Raw(now)).expect("import");
    }
    db.write(Some(acme), |s| engine::advance(s, acme, now))
        .expect("advance the big tenant");
    eprintln!(
        "big tenant {acme}: {big} resources in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Small tenants, advanced in memory and written in batches.
    for batch in (0..tenants).collect::<Vec<_>>().chunks(200) {
        let mut l = Ledger::default();
        for t in batch {
            let tenant = format!("t-bench-{t:05}");
            l.accounts.push(Account {
                tenant_id: tenant.clone(),
                name: format!("Bench tenant {t}"),
                balance_cents: 100_000,
                currency: "USD".into(),
            });
            l.users.push(User {
                id: format!("u-bench-{t:05}-main"),
                tenant_id: tenant.clone(),
                name: format!("Bench main {t}"),
                role: Role::MainAccount,
                postpaid_permission: true,
            });
            l.resources
                .extend((0..per).map(|i| resource(&tenant, i, *t + 1, now)));
        }
        l.advance(now);
        db.import(&l, Imported::AdvancedTo(now)).expect("import");
    }
    println!(
        "wrote {}: {} + {} resources ({} tenants) in {:.1} s",
        database.describe(),
        big,
        tenants * per,
        tenants + 2,
        started.elapsed().as_secs_f64()
    );
}

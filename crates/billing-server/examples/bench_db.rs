//! Writes a benchmark database: the demo seed plus N extra resources in one
//! tenant (Acme). Usage: bench_db PATH N
use billing_rules::model::{Resource, ResourceKind, Source};
use chrono::{Duration, Utc};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: bench_db PATH N");
    let n: usize = args
        .next()
        .and_then(|s| s.parse().ok())
        .expect("usage: bench_db PATH N");
    let _ = std::fs::remove_file(&path);
    let now = Utc::now();
    let mut ledger = billing_rules::seed::demo(now);
    let kinds = [
        ResourceKind::TokenPackage,
        ResourceKind::SearchPackage,
        ResourceKind::ConcurrencyQuota,
        ResourceKind::KnowledgeCapacity,
    ];
    for i in 0..n {
        let kind = kinds[i % 4];
        let total = 1_000_000 + (i as u64 % 97) * 10_000;
        ledger.resources.push(Resource {
            id: format!("res-bench-{i:06}"),
            tenant_id: billing_rules::seed::ACME.into(),
            name: format!("Bench package {i}"),
            kind,
            source: if i % 10 == 0 {
                Source::FreeTrial
            } else {
                Source::Purchased
            },
            total,
            used: total * (i as u64 % 101) / 100,
            effective_at: now - Duration::days(30),
            expires_at: now + Duration::hours((i as i64 % 9000) - 600),
            model: (kind == ResourceKind::ConcurrencyQuota).then(|| "hunyuan-turbo".into()),
            refunded: false,
        });
    }
    // Store the notices and reminders already due, as a running server would have.
    ledger.fire_due(now);
    let mut conn = billing_server::db::open(std::path::Path::new(&path)).expect("open");
    billing_server::db::seed(&mut conn, &ledger).expect("seed");
    println!(
        "wrote {path}: {} resources, {} notices, {} reminders",
        ledger.resources.len(),
        ledger.notices.len(),
        ledger.outbox.len()
    );
}

//! What run-out forecasts cost a list request, in process (no HTTP): the
//! big tenant's first page of pay-as-you-go resources (available, soonest
//! expiring first, 20 rows) read alone, and with its forecasts, as
//! `DescribeResources` answers it; then the pieces. Run on a database
//! written by `bench_db` (scripts/bench-server.sh does).
//!
//! Usage: bench_forecasts DATABASE [USER]
use std::time::Instant;

use billing_rules::api::ListResourcesRequest;
use billing_rules::engine;
use billing_rules::model::ResourceKind;
use billing_rules::store::prelude::*;
use billing_server::store::Db;
use billing_server::Database;

fn main() {
    let mut args = std::env::args().skip(1);
    let database = Database::parse(&args.next().expect("usage: bench_forecasts DATABASE [USER]"));
    let user = args.next().unwrap_or_else(|| "u-acme-main".into());
    let db = Db::open(&database, 2).expect("open");
    let tenant = db
        .read(|s| s.user(&user))
        .expect("read")
        .expect("a seeded user")
        .tenant_id;
    let now = chrono::Utc::now();
    let q: ListResourcesRequest = serde_json::from_str(
        r#"{"Tab":"PayAsYouGo","Status":"Available","Sort":"ExpiresAsc","PageNumber":1,"PageSize":20}"#,
    )
    .expect("a list request");
    let kinds = [ResourceKind::TokenPackage, ResourceKind::SearchPackage];
    let n = 3000;
    let time = |f: &dyn Fn()| {
        f();
        let t = Instant::now();
        for _ in 0..n {
            f()
        }
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    };
    let page = time(&|| {
        db.read(|s| {
            engine::user(s, &user)?;
            s.list(&tenant, &q, now)
        })
        .expect("list");
    });
    let with = time(&|| {
        db.read(|s| engine::list_resources(s, &user, &q, now))
            .expect("list with forecasts");
    });
    let pace = time(&|| {
        db.read(|s| s.usage_bases(&tenant, &kinds, now))
            .expect("pace");
    });
    let walk = time(&|| {
        db.read(|s| s.drawable_page(&tenant, kinds[0], None, now, 1, now))
            .expect("walk");
    });
    let postpaid = time(&|| {
        db.read(|s| engine::describe_postpaid(s, &user, now))
            .expect("postpaid");
    });
    println!("list page, {user}, in process ({n} times each, one thread):");
    println!("  without forecasts: {page:.1} us");
    println!(
        "  with forecasts:    {with:.1} us ({:+.0}%)",
        (with / page - 1.0) * 100.0
    );
    println!("  of which: the pace of both kinds (one statement) {pace:.1} us, the first step of a walk {walk:.1} us");
    println!("  the postpaid page (both kinds' run-out within a year): {postpaid:.1} us");
}

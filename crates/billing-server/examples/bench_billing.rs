//! Postpaid billing and alert delivery, measured in process on a database
//! written by `bench_db` (10,000 tenants and 1.1M resources by default):
//!
//! 1. settlement: every tenant gets an hour of postpaid usage of two kinds
//!    (the hour before now), then one settlement round closes it: the time
//!    per round and per tenant;
//! 2. webhook throughput: 100 tenants each register an endpoint on a local
//!    receiver and queue 50 test events; the sender drains them: deliveries
//!    per second;
//! 3. delivery delay: with the sender running as the server runs it (woken
//!    by each commit, else every 500 ms), 200 events queued one every 20 ms:
//!    event-to-receipt p50 and p99.
//!
//! Usage: bench_billing DATABASE
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use billing_rules::api::{CreateWebhookRequest, WebhookRef};
use billing_rules::engine;
use billing_server::{open_state, Config, Database};
use chrono::Utc;

/// (event id, event time, receipt time) per request received.
type Seen = Arc<Mutex<Vec<(String, chrono::DateTime<Utc>, chrono::DateTime<Utc>)>>>;

async fn receiver(seen: Seen) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let seen = seen.clone();
            async move {
                let at = Utc::now();
                let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                let sent: chrono::DateTime<Utc> =
                    v["At"].as_str().and_then(|s| s.parse().ok()).unwrap_or(at);
                seen.lock().unwrap().push((
                    v["Id"].as_str().unwrap_or_default().to_string(),
                    sent,
                    at,
                ));
                axum::http::StatusCode::OK
            }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    port
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let database = Database::parse(
        &std::env::args()
            .nth(1)
            .expect("usage: bench_billing DATABASE"),
    );
    let mut config = Config::with_database(database);
    config.webhooks.allow_private = true;
    let (state, _) = tokio::task::spawn_blocking(move || open_state(config))
        .await
        .unwrap()
        .expect("open");

    // 1. Settlement of one hour for every tenant.
    let st = state.clone();
    let (tenants, took, lines) = tokio::task::spawn_blocking(move || {
        let tenants: Vec<String> = st
            .db
            .read(|s| {
                Ok(s.conn()
                    .rows("SELECT tenant_id FROM accounts ORDER BY tenant_id", &[])
                    .map_err(billing_server::store::internal)?
                    .iter()
                    .map(|r| r.text("tenant_id"))
                    .collect())
            })
            .unwrap();
        let hour = billing_rules::forecast::hour_of(Utc::now()) - chrono::Duration::hours(1);
        let h = billing_server::store::ns(hour);
        for chunk in tenants.chunks(500) {
            let values: Vec<String> = chunk
                .iter()
                .flat_map(|t| {
                    [
                        format!("('{t}', 'TokenPackage', {h}, 1234567)"),
                        format!("('{t}', 'SearchPackage', {h}, 321)"),
                    ]
                })
                .collect();
            st.db
                .write(None, |s| {
                    s.conn()
                        .batch(&format!(
                            "INSERT INTO postpaid_hours (tenant_id, kind, hour, units) VALUES {} ON CONFLICT DO NOTHING",
                            values.join(", ")
                        ))
                        .map_err(billing_server::store::internal)
                })
                .unwrap();
        }
        let t = Instant::now();
        let lines = billing_server::settle(&st, Utc::now()).unwrap();
        (tenants, t.elapsed(), lines)
    })
    .await
    .unwrap();
    println!(
        "settlement: {} tenants, {} bill lines in {:.0} ms ({:.0} us per tenant, each its own transaction)",
        tenants.len(),
        lines,
        took.as_secs_f64() * 1e3,
        took.as_secs_f64() * 1e6 / tenants.len() as f64
    );

    // 2. Throughput: 100 endpoints x 50 events, drained by one sender.
    let seen: Seen = Arc::default();
    let port = receiver(seen.clone()).await;
    let url = format!("http://127.0.0.1:{port}/hook");
    let hooked: Vec<String> = tenants
        .iter()
        .filter(|t| t.starts_with("t-bench-"))
        .take(100)
        .cloned()
        .collect();
    let st = state.clone();
    let u = url.clone();
    let endpoints = tokio::task::spawn_blocking(move || {
        let now = Utc::now();
        hooked
            .iter()
            .map(|t| {
                let user = format!("u-{}-main", t.trim_start_matches("t-"));
                let (created, _) = st
                    .db
                    .write(Some(t), |s| {
                        engine::create_webhook(
                            s,
                            &user,
                            &CreateWebhookRequest { url: u.clone() },
                            now,
                        )
                    })
                    .expect("an endpoint");
                (user, t.clone(), created.endpoint.id)
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    let queue = |n: usize| {
        let st = state.clone();
        let endpoints = endpoints.clone();
        tokio::task::spawn_blocking(move || {
            for (user, t, id) in &endpoints {
                st.db
                    .write(Some(t), |s| {
                        for _ in 0..n {
                            engine::send_test_webhook(
                                s,
                                user,
                                &WebhookRef {
                                    endpoint_id: id.clone(),
                                },
                                Utc::now(),
                            )?;
                        }
                        Ok(())
                    })
                    .unwrap();
            }
        })
    };
    queue(50).await.unwrap();
    let total = endpoints.len() * 50;
    let t = Instant::now();
    while seen.lock().unwrap().len() < total {
        billing_server::webhooks::deliver_due(&state).await.unwrap();
    }
    let took = t.elapsed();
    println!(
        "webhooks: {total} deliveries to a local receiver in {:.2} s: {:.0} deliveries/s (batches of {}, one sender)",
        took.as_secs_f64(),
        total as f64 / took.as_secs_f64(),
        state.config.webhooks.batch
    );

    // 3. Delay: the sender as the server runs it, events one every 20 ms.
    seen.lock().unwrap().clear();
    billing_server::webhooks::spawn_sender(state.clone());
    let first = endpoints[..1].to_vec();
    for _ in 0..200 {
        let st = state.clone();
        let (user, t, id) = first[0].clone();
        // As a request does: commit, then tell the live channel (which
        // wakes the sender).
        tokio::task::spawn_blocking(move || {
            let (_, changes) = st
                .db
                .write(Some(&t), |s| {
                    engine::send_test_webhook(s, &user, &WebhookRef { endpoint_id: id }, Utc::now())
                })
                .unwrap();
            billing_server::publish(&st, &changes);
        })
        .await
        .unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen.lock().unwrap().len() < 200 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let got = seen.lock().unwrap().clone();
    let mut delays: Vec<f64> = got
        .iter()
        .map(|(_, sent, at)| (*at - *sent).num_microseconds().unwrap_or(0) as f64 / 1e3)
        .collect();
    delays.sort_by(f64::total_cmp);
    let ids: std::collections::BTreeSet<&str> = got.iter().map(|(id, _, _)| id.as_str()).collect();
    println!(
        "webhook delay, event to receipt ({} events, {} distinct; the sender wakes on each commit, else polls every {} ms): p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        got.len(),
        ids.len(),
        state.config.webhooks.poll.as_millis(),
        pct(&delays, 0.5),
        pct(&delays, 0.99),
        delays.last().copied().unwrap_or(f64::NAN)
    );
}

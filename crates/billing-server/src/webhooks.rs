//! Alert delivery: a sender in every server process claims due deliveries
//! from the database (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so replicas
//! never send the same delivery at once), resolves the endpoint's name and
//! refuses private addresses (unless `--allow-private-webhooks`), connects
//! to the address it checked, and POSTs the event's JSON with an
//! HMAC-SHA256 signature. A failed attempt is retried with exponential
//! backoff and jitter until the delivery window ends; then it is marked
//! failed.
//!
//! Headers: `X-Billing-Event-Id` (de-duplicate by it),
//! `X-Billing-Timestamp` (Unix seconds), `X-Billing-Signature:
//! v1=<hex HMAC-SHA256 of "<timestamp>.<body>" with the endpoint's secret>`.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use billing_rules::api::{ApiError, ErrorCode};
use billing_rules::billing::retry_after;
use billing_rules::webhook::{self, DeliveryState};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::store::postpaid_sql::{Attempt, Claimed};
use crate::Shared;

/// How deliveries are made.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Allow private, loopback and link-local addresses, and http://
    /// (tests, and a receiver inside the same network on purpose).
    pub allow_private: bool,
    /// The first retry waits about this long; each next one twice as long.
    pub retry_base: Duration,
    /// No wait between attempts is longer than this.
    pub retry_cap: Duration,
    /// A delivery not made within this long of its event is marked failed.
    pub give_up_after: Duration,
    /// How long one attempt may take (connect, send, answer).
    pub timeout: Duration,
    /// How often the sender looks for due deliveries when idle.
    pub poll: Duration,
    /// Deliveries sent at once by one process.
    pub batch: usize,
    /// Finished deliveries (and their events) are kept this long.
    pub retention: chrono::Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            allow_private: false,
            retry_base: Duration::from_secs(5),
            retry_cap: Duration::from_secs(600),
            give_up_after: Duration::from_secs(24 * 3600),
            timeout: Duration::from_secs(10),
            poll: Duration::from_millis(500),
            batch: 32,
            retention: chrono::Duration::days(30),
        }
    }
}

/// `v1=<hex HMAC-SHA256("<timestamp>.<body>")>`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("v1={hex}")
}

/// A well-formed URL whose target may not be called.
fn refused(msg: String) -> ApiError {
    ApiError::new(ErrorCode::FailedOperation, msg)
}

/// The URL's host resolved now, every address allowed, or why not: a
/// malformed URL is `InvalidParameterValue`; a host that does not resolve,
/// or resolves to an address alerts may not go to, `FailedOperation`.
pub fn resolve_allowed(
    url: &str,
    allow_private: bool,
) -> Result<(webhook::Target, Vec<SocketAddr>), ApiError> {
    let target = webhook::parse_url(url, allow_private)
        .map_err(|m| ApiError::new(ErrorCode::InvalidParameterValue, m))?;
    if !allow_private {
        webhook::target_allowed(&target).map_err(refused)?;
    }
    let addrs: Vec<SocketAddr> = (target.host.as_str(), target.port)
        .to_socket_addrs()
        .map_err(|e| refused(format!("The host {} does not resolve: {e}.", target.host)))?
        .collect();
    if addrs.is_empty() {
        return Err(refused(format!(
            "The host {} does not resolve.",
            target.host
        )));
    }
    for a in &addrs {
        webhook::address_allowed(a.ip(), allow_private).map_err(refused)?;
    }
    Ok((target, addrs))
}

/// A number in 0..1 for the jitter.
fn jitter() -> f64 {
    (uuid::Uuid::new_v4().as_u128() >> 75) as f64 / (1u64 << 53) as f64
}

/// One attempt: resolve and check, connect to the checked address only,
/// POST, no redirects followed. Ok with the status, or why it failed
/// (and whether retrying could help).
async fn attempt(
    c: &Claimed,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<u16, (Option<u16>, String, bool)> {
    let url = c.url.clone();
    let allow = settings.allow_private;
    let resolved = tokio::task::spawn_blocking(move || resolve_allowed(&url, allow))
        .await
        .map_err(|e| (None, e.to_string(), true))?;
    let (target, addrs) = match resolved {
        Ok(v) => v,
        // A private address is refused for good; a name that does not
        // resolve may come back.
        Err(e) => {
            let retry = e.message.contains("does not resolve");
            return Err((None, e.message, retry));
        }
    };
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(settings.timeout)
        .resolve_to_addrs(&target.host, &addrs)
        .build()
        .map_err(|e| (None, e.to_string(), true))?;
    let ts = now.timestamp();
    let resp = client
        .post(&c.url)
        .header("Content-Type", "application/json")
        .header("User-Agent", "billing-console-webhooks/1")
        .header("X-Billing-Event-Id", &c.event_id)
        .header("X-Billing-Timestamp", ts.to_string())
        .header("X-Billing-Signature", signature(&c.secret, ts, &c.body))
        .body(c.body.clone())
        .send()
        .await
        .map_err(|e| {
            let what = if e.is_timeout() {
                "timed out".to_string()
            } else if e.is_connect() {
                "could not connect".to_string()
            } else {
                format!("request failed: {e}")
            };
            (None, what, true)
        })?;
    let status = resp.status().as_u16();
    if resp.status().is_success() {
        Ok(status)
    } else {
        Err((Some(status), format!("answered HTTP {status}"), true))
    }
}

/// What an attempt's outcome means for the delivery.
fn outcome(
    c: &Claimed,
    result: Result<u16, (Option<u16>, String, bool)>,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Attempt {
    match result {
        Ok(status) => Attempt {
            at: now,
            status: Some(status),
            error: None,
            state: DeliveryState::Delivered,
            next_at: now,
        },
        Err((status, error, retry)) => {
            let wait = retry_after(
                c.attempts,
                chrono::Duration::from_std(settings.retry_base).unwrap_or_default(),
                chrono::Duration::from_std(settings.retry_cap).unwrap_or_default(),
                jitter(),
            );
            let next_at = now + wait;
            let deadline =
                c.event_at + chrono::Duration::from_std(settings.give_up_after).unwrap_or_default();
            let state = if retry && next_at < deadline {
                DeliveryState::Pending
            } else {
                DeliveryState::Failed
            };
            Attempt {
                at: now,
                status,
                error: Some(error),
                state,
                next_at,
            }
        }
    }
}

/// One round: claim what is due, send it all at once, record each
/// outcome. Returns how many were attempted.
pub async fn deliver_due(st: &Shared) -> Result<usize, ApiError> {
    let settings = st.config.webhooks.clone();
    let now = st.now();
    // Held long enough for every attempt of the batch to finish.
    let lease = chrono::Duration::from_std(settings.timeout * 3).unwrap_or_default();
    let st2 = st.clone();
    let batch = settings.batch;
    let claimed = tokio::task::spawn_blocking(move || {
        st2.db
            .write(None, |s| s.claim_deliveries(now, lease, batch))
            .map(|(v, _)| v)
    })
    .await
    .map_err(|_| ApiError::new(ErrorCode::InternalError, "the sender stopped"))??;
    if claimed.is_empty() {
        return Ok(0);
    }
    let attempts = futures_util::future::join_all(claimed.iter().map(|c| {
        let settings = &settings;
        async move {
            let r = attempt(c, settings, now).await;
            outcome(c, r, settings, st.now())
        }
    }))
    .await;
    let n = claimed.len();
    let st2 = st.clone();
    let tenants: Vec<String> = claimed.iter().map(|c| c.tenant_id.clone()).collect();
    tokio::task::spawn_blocking(move || {
        st2.db.write(None, |s| {
            for (c, a) in claimed.iter().zip(&attempts) {
                s.record_attempt(c.seq, a)?;
            }
            for t in &tenants {
                billing_rules::store::Context::changed(
                    s,
                    t,
                    billing_rules::store::Change::Postpaid,
                );
            }
            Ok(())
        })
    })
    .await
    .map_err(|_| ApiError::new(ErrorCode::InternalError, "the sender stopped"))?
    .map(|(_, changes)| crate::publish(st, &changes))?;
    Ok(n)
}

/// Send alerts while the server runs: a round whenever one finishes with
/// work done; else at the next committed change of any tenant (this
/// process's, or with PostgreSQL any replica's, through LISTEN/NOTIFY), or
/// after `poll` (retries that come due, a missed notification).
pub fn spawn_sender(st: Shared) {
    let mut changes = st.events.subscribe();
    tokio::spawn(async move {
        loop {
            match deliver_due(&st).await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e.message, "webhook delivery round failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(st.config.webhooks.poll) => {}
                r = changes.recv() => {
                    if let Err(tokio::sync::broadcast::error::RecvError::Closed) = r {
                        tokio::time::sleep(st.config.webhooks.poll).await;
                    }
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        // RFC 4231-style check against a known value computed elsewhere:
        // HMAC-SHA256(key="secret", "1700000000.{}").
        let s = signature("secret", 1_700_000_000, "{}");
        assert!(s.starts_with("v1="));
        assert_eq!(s.len(), 3 + 64);
        assert_ne!(s, signature("secret", 1_700_000_001, "{}"));
        assert_ne!(s, signature("other", 1_700_000_000, "{}"));
    }

    #[test]
    fn private_targets_are_refused_without_the_flag() {
        assert!(resolve_allowed("https://127.0.0.1:9/x", false).is_err());
        assert!(resolve_allowed("http://127.0.0.1:9/x", true).is_ok());
        let e = resolve_allowed("https://localhost/x", false).unwrap_err();
        assert_eq!(e.code, ErrorCode::FailedOperation);
        let e = resolve_allowed("http://hooks.example.com/x", false).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidParameterValue);
    }
}

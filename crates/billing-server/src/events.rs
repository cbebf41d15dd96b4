//! Live events: `GET /api/events` is a server-sent events stream for the
//! signed-in user, carrying only their tenant's changes (usage, notices,
//! postpaid, permissions). The console refetches what changed.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use billing_rules::Ledger;
use futures_util::stream::{self, Stream, StreamExt};
use tokio::sync::broadcast;

use crate::Shared;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub tenant_id: String,
    /// "usage", "notice", "postpaid" or "permission".
    pub kind: &'static str,
}

fn push(out: &mut Vec<Event>, tenant: &str, kind: &'static str) {
    if !out.iter().any(|e| e.tenant_id == tenant && e.kind == kind) {
        out.push(Event {
            tenant_id: tenant.to_string(),
            kind,
        });
    }
}

/// What changed between two ledgers, per tenant.
pub fn changes(before: &Ledger, after: &Ledger) -> Vec<Event> {
    let mut out = Vec::new();
    for r in &after.resources {
        if before.resources.iter().find(|b| b.id == r.id) != Some(r) {
            push(&mut out, &r.tenant_id, "usage");
        }
    }
    for a in &after.accounts {
        if !before.accounts.contains(a) {
            push(&mut out, &a.tenant_id, "usage");
        }
    }
    for k in &after.knowledge {
        if !before.knowledge.contains(k) {
            push(&mut out, &k.tenant_id, "usage");
        }
    }
    for n in after.notices.iter().skip(before.notices.len()) {
        push(&mut out, &n.tenant_id, "notice");
    }
    for n in &after.notices {
        if before.notices.iter().any(|b| b.id == n.id && b != n) {
            push(&mut out, &n.tenant_id, "notice");
        }
    }
    for (t, p) in &after.postpaid {
        if before.postpaid.get(t) != Some(p) {
            push(&mut out, t, "postpaid");
        }
    }
    for u in &after.users {
        if !before.users.contains(u) {
            push(&mut out, &u.tenant_id, "permission");
        }
    }
    out
}

fn tenant_stream(
    rx: broadcast::Receiver<Event>,
    tenant: String,
) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    let hello = stream::once(async { Ok(SseEvent::default().event("ready").data("{}")) });
    let changes = stream::unfold(rx, |mut rx| async move {
        match rx.recv().await {
            Ok(ev) => Some((Some(ev), rx)),
            // Fell behind: tell the console to refetch everything.
            Err(broadcast::error::RecvError::Lagged(_)) => Some((
                Some(Event {
                    tenant_id: String::new(),
                    kind: "resync",
                }),
                rx,
            )),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    })
    .filter_map(move |ev| {
        let tenant = tenant.clone();
        async move {
            let ev = ev?;
            (ev.kind == "resync" || ev.tenant_id == tenant).then(|| {
                Ok(SseEvent::default()
                    .event(ev.kind)
                    .data(format!(r#"{{"Kind":"{}"}}"#, ev.kind)))
            })
        }
    });
    hello.chain(changes)
}

/// `GET /api/events`.
pub async fn stream_events(State(st): State<Shared>, headers: HeaderMap) -> Response {
    let rid = uuid::Uuid::new_v4().to_string();
    let user = match crate::api::identify(&st, &headers) {
        Ok(u) => u,
        Err(e) => return crate::api::err(&e, &rid),
    };
    let tenant = match st
        .ledger
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .user(&user)
    {
        Ok(u) => u.tenant_id.clone(),
        Err(e) => return crate::api::err(&e, &rid),
    };
    let rx = st.events.subscribe();
    Sse::new(tenant_stream(rx, tenant))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

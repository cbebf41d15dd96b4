//! Live events: `GET /api/events` is a server-sent events stream for the
//! signed-in user, carrying only their tenant's changes (usage, notices,
//! postpaid, permissions). The console refetches what changed.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream, StreamExt};
use postgres::fallible_iterator::FallibleIterator;
use tokio::sync::broadcast;

use crate::Shared;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub tenant_id: String,
    /// "usage", "notice", "postpaid" or "permission".
    pub kind: &'static str,
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
    let st2 = st.clone();
    let user = tokio::task::spawn_blocking(move || crate::api::identify(&st2, &headers)).await;
    let tenant = match user {
        Ok(Ok(u)) => u.tenant_id,
        Ok(Err(e)) => return crate::api::err(&e),
        Err(_) => return crate::api::err(&crate::store::internal("identify")),
    };
    let rx = st.events.subscribe();
    Sse::new(tenant_stream(rx, tenant))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// Follow every replica's commits: a dedicated connection LISTENs on the
/// channel the commits NOTIFY, and each notification becomes an event in
/// this process. If the connection drops, it reconnects and tells every
/// stream to refetch (a notification may have been missed meanwhile).
pub fn listen_postgres(url: String, tx: broadcast::Sender<Event>) {
    std::thread::Builder::new()
        .name("pg-listen".into())
        .spawn(move || {
            let mut first = true;
            loop {
                if let Err(e) = follow(&url, &tx, first) {
                    eprintln!("billing-server: LISTEN connection: {e}");
                }
                first = false;
                std::thread::sleep(Duration::from_secs(1));
            }
        })
        .expect("spawn the LISTEN thread");
}

/// One LISTEN connection, until it fails.
fn follow(url: &str, tx: &broadcast::Sender<Event>, first: bool) -> Result<(), postgres::Error> {
    let mut client = postgres::Client::connect(url, postgres::NoTls)?;
    client.batch_execute("LISTEN billing_events")?;
    if !first {
        let _ = tx.send(Event {
            tenant_id: String::new(),
            kind: "resync",
        });
    }
    let mut notes = client.notifications();
    let mut it = notes.blocking_iter();
    while let Some(note) = it.next()? {
        for line in note.payload().lines() {
            let Some((tenant, kind)) = line.split_once('\t') else {
                continue;
            };
            if let Some(c) = billing_rules::store::Change::from_name(kind) {
                let _ = tx.send(Event {
                    tenant_id: tenant.to_string(),
                    kind: c.as_str(),
                });
            }
        }
    }
    Ok(())
}

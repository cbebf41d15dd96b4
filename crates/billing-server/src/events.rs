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

use billing_rules::api::{ApiError, ErrorCode, LiveEvent};
use billing_rules::store::Change;

use crate::api::{caller, resolve_until, Caller, Peer};
use crate::Shared;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub tenant_id: String,
    pub kind: Signal,
}

/// What reaches this process's streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// A commit changed this for the event's tenant.
    Changed(Change),
    /// A notification may have been missed: every stream refetches.
    Resync,
}

/// The open streams of one caller, oldest first: each one's number, and
/// the sender whose drop ends it.
pub type OpenStreams = std::collections::VecDeque<(u64, tokio::sync::oneshot::Sender<()>)>;

static NEXT_STREAM: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// One open stream's place in the caps; gives it back when the stream ends.
pub struct StreamSlot {
    st: Shared,
    key: String,
    id: u64,
    /// Resolves when a newer stream of the same caller took this place.
    replaced: tokio::sync::oneshot::Receiver<()>,
}

impl StreamSlot {
    /// A place for `key`'s stream. A caller at `streams_per_session` gets
    /// the place of its oldest stream, which ends (a reloaded or closed tab
    /// whose connection the server has not yet seen close: a reload never
    /// meets a refusal). None when the process has `max_streams` open.
    pub fn take(st: &Shared, key: &str) -> Option<StreamSlot> {
        let mut open = st.streams.lock().unwrap_or_else(|p| p.into_inner());
        let total: usize = open.values().map(|v| v.len()).sum();
        let mine = open.entry(key.to_string()).or_default();
        if mine.len() >= st.config.streams_per_session.max(1) {
            // Dropping its sender ends the oldest stream.
            mine.pop_front();
        } else if total >= st.config.max_streams {
            if mine.is_empty() {
                open.remove(key);
            }
            return None;
        }
        let id = NEXT_STREAM.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (tx, replaced) = tokio::sync::oneshot::channel();
        mine.push_back((id, tx));
        Some(StreamSlot {
            st: st.clone(),
            key: key.to_string(),
            id,
            replaced,
        })
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.st.streams.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(mine) = open.get_mut(&self.key) {
            mine.retain(|(id, _)| *id != self.id);
            if mine.is_empty() {
                open.remove(&self.key);
            }
        }
    }
}

/// Whether the caller still may listen, and until when (None: no expiry).
async fn still_allowed(st: &Shared, who: &Caller) -> Result<(String, Option<i64>), ApiError> {
    let (st, who) = (st.clone(), who.clone());
    tokio::task::spawn_blocking(move || st.db.read(|s| resolve_until(s, &who)))
        .await
        .map_err(|_| crate::store::internal("identify"))?
        .map(|(u, until)| (u.tenant_id, until))
}

struct Listening {
    st: Shared,
    who: Caller,
    tenant: String,
    /// When the session ends (Unix seconds).
    until: Option<i64>,
    rx: broadcast::Receiver<Event>,
    slot: StreamSlot,
}

fn sse(kind: LiveEvent) -> SseEvent {
    let kind = kind.as_str();
    SseEvent::default()
        .event(kind)
        .data(format!(r#"{{"Kind":"{kind}"}}"#))
}

/// The tenant's changes, until the caller may no longer listen: its
/// session is signed out, replaced or expires, or its user is gone. Ended
/// sessions reach every replica as `session` changes; each stream of that
/// tenant then asks the database whether its own caller still may.
fn tenant_stream(l: Listening) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    let hello = stream::once(async { Ok(sse(LiveEvent::Ready)) });
    let changes = stream::unfold(l, |mut l| async move {
        loop {
            let expiry = async {
                match l.until {
                    Some(t) => {
                        let left = (t - chrono::Utc::now().timestamp()).max(0) as u64;
                        tokio::time::sleep(Duration::from_secs(left)).await
                    }
                    None => std::future::pending().await,
                }
            };
            let (recheck, forward) = tokio::select! {
                ev = l.rx.recv() => match ev {
                    Ok(Event { kind: Signal::Resync, .. }) => (true, Some(LiveEvent::Resync)),
                    Ok(ev) if ev.tenant_id != l.tenant => continue,
                    // Sessions ended, or grants changed: may this caller
                    // still listen?
                    Ok(Event { kind: Signal::Changed(c), .. }) => {
                        (matches!(c, Change::Session | Change::Permission), c.live())
                    }
                    // Fell behind: check, and tell the console to refetch.
                    Err(broadcast::error::RecvError::Lagged(_)) => (true, Some(LiveEvent::Resync)),
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                _ = expiry => (true, None),
                // A newer stream of this caller took its place.
                _ = &mut l.slot.replaced => return None,
            };
            if recheck {
                match still_allowed(&l.st, &l.who).await {
                    Ok((tenant, until)) if tenant == l.tenant => l.until = until,
                    _ => return None,
                }
            }
            if let Some(kind) = forward {
                return Some((Ok(sse(kind)), l));
            }
        }
    });
    hello.chain(changes)
}

/// `GET /api/events`.
pub async fn stream_events(State(st): State<Shared>, peer: Peer, headers: HeaderMap) -> Response {
    let who = match caller(&st, &headers, &peer) {
        Ok(w) => w,
        Err(e) => return crate::api::err(&e),
    };
    // Subscribe first, so nothing committed after the check is missed.
    let rx = st.events.subscribe();
    let (tenant, until) = match still_allowed(&st, &who).await {
        Ok(t) => t,
        Err(e) => return crate::api::err(&e),
    };
    let Some(slot) = StreamSlot::take(&st, &who.key()) else {
        return crate::api::err(&ApiError::new(
            ErrorCode::RequestLimitExceeded,
            "The server has as many live update streams open as it serves; try again shortly.",
        ));
    };
    let l = Listening {
        st: st.clone(),
        who,
        tenant,
        until,
        rx,
        slot,
    };
    Sse::new(tenant_stream(l))
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
            kind: Signal::Resync,
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
                    kind: Signal::Changed(c),
                });
            }
        }
    }
    Ok(())
}

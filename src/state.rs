//! What the whole console shares: who is signed in, the account summary
//! behind the attention area, and one version per topic of data: a change
//! refetches only the views that show what it touched.

use billing_rules::api::{Identity, LiveEvent, Summary};
use leptos::prelude::*;

use crate::api::ClientError;

billing_rules::enumerated! {
/// A kind of data a view shows and a change may touch.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Topic {
    /// Who is signed in, and their grants.
    Identity,
    /// The account summary (attention area, balance).
    Summary,
    /// Resource lists, forecasts and the usage chart.
    Resources,
    /// Knowledge-base capacity and isolation.
    Knowledge,
    Notices,
    /// The postpaid setting, budget, spend and charges.
    Postpaid,
    Deductions,
    Permissions,
    Webhooks,
}
}

/// Every topic.
pub const TOPICS: &[Topic] = Topic::ALL;

/// What metering touches: every figure that moves with usage.
pub const USAGE: &[Topic] = &[
    Topic::Summary,
    Topic::Resources,
    Topic::Knowledge,
    Topic::Notices,
    Topic::Postpaid,
    Topic::Deductions,
];

/// The topics a live event from the server touches.
pub fn topics_for_event(kind: LiveEvent) -> &'static [Topic] {
    match kind {
        LiveEvent::Usage => USAGE,
        LiveEvent::Notice => &[Topic::Notices, Topic::Summary, Topic::Webhooks],
        LiveEvent::Postpaid => &[Topic::Postpaid, Topic::Summary, Topic::Notices],
        LiveEvent::Permission => &[Topic::Identity, Topic::Permissions, Topic::Postpaid],
        // The stream has just opened: live, nothing to refetch.
        LiveEvent::Ready => &[],
        // Fell behind, or reconnected: everything may have moved.
        LiveEvent::Resync => TOPICS,
    }
}

#[derive(Clone, Copy)]
pub struct Session {
    /// Who is signed in: None until known, then Some(None) when nobody is.
    pub identity: RwSignal<Option<Identity>>,
    /// Whether `identity` has been asked for yet.
    pub known: RwSignal<bool>,
    pub summary: RwSignal<Option<Summary>>,
    /// An error loading identity or summary.
    pub error: RwSignal<Option<ClientError>>,
    /// One version per topic, indexed by the topic (every topic has one:
    /// the array is as long as [`Topic::ALL`]).
    versions: [RwSignal<u64>; Topic::ALL.len()],
    /// Live updates are arriving from the server.
    pub live: RwSignal<bool>,
}

impl Session {
    pub fn new() -> Self {
        Session {
            identity: RwSignal::new(None),
            known: RwSignal::new(false),
            summary: RwSignal::new(None),
            error: RwSignal::new(None),
            versions: std::array::from_fn(|_| RwSignal::new(0)),
            live: RwSignal::new(false),
        }
    }

    /// These topics changed: the views showing them refetch.
    pub fn changed(&self, topics: &[Topic]) {
        for t in topics {
            self.versions[*t as usize].update(|v| *v += 1);
        }
    }

    /// Everything may have changed (another user signed in, a reconnect).
    pub fn changed_all(&self) {
        self.changed(TOPICS);
    }

    /// Subscribe the running effect to these topics.
    pub fn track(&self, topics: &[Topic]) {
        for t in topics {
            self.versions[*t as usize].track();
        }
    }

    /// Nobody is signed in (now): the sign-in page, and no requests.
    pub fn signed_out(&self) {
        self.identity.set(None);
        self.summary.set(None);
        self.error.set(None);
        self.known.set(true);
    }

    pub fn is_main(&self) -> bool {
        self.identity
            .with(|i| i.as_ref().is_some_and(|i| i.user.is_main()))
    }
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

/// Fetch now, and again when one of `topics` changes (and whenever a signal
/// read by `fetch` changes): the latest answer lands in the first signal, a
/// failure in the second while what was on screen stays. `fetch` returning
/// None skips a round (e.g. nothing to ask for this user). An answer saying
/// the session ended shows the sign-in page.
pub fn load_on_change<T, F, Fut>(
    topics: &'static [Topic],
    fetch: F,
) -> (RwSignal<Option<T>>, RwSignal<Option<ClientError>>)
where
    T: Send + Sync + 'static,
    F: Fn() -> Option<Fut> + 'static,
    Fut: std::future::Future<Output = Result<T, ClientError>> + 'static,
{
    let session = expect_context::<Session>();
    let data = RwSignal::new(None);
    let error = RwSignal::new(None);
    Effect::new(move |_| {
        session.track(topics);
        let Some(fut) = fetch() else { return };
        leptos::task::spawn_local(async move {
            match fut.await {
                Ok(v) => {
                    data.set(Some(v));
                    error.set(None);
                }
                Err(e) => {
                    session_ended(session, &e);
                    error.set(Some(e));
                }
            }
        });
    });
    (data, error)
}

/// A call answered that this session is over: back to sign-in.
pub fn session_ended(session: Session, e: &ClientError) {
    if e.code() == Some(billing_rules::ErrorCode::AuthFailureUnauthorizedOperation) {
        session.signed_out();
    }
}

/// The first screen is shown whole: what lies under the header stays laid
/// out but invisible until the account summary and every view that holds
/// the first paint (the list page, the chart) have their first answer, so
/// nothing already on screen is pushed down when they come. Once shown, it
/// stays shown (a later tab's loading state holds its own place).
#[derive(Clone, Copy)]
pub struct Reveal {
    waiting: RwSignal<u32>,
    shown: RwSignal<bool>,
}

impl Reveal {
    pub fn new() -> Self {
        Reveal {
            waiting: RwSignal::new(0),
            shown: RwSignal::new(false),
        }
    }

    /// Hold the first paint until the returned hold is released (or its
    /// view is gone).
    pub fn hold(&self) -> Hold {
        let held = !self.shown.get_untracked();
        if held {
            self.waiting.update(|n| *n += 1);
        }
        let hold = Hold {
            reveal: *self,
            held: std::sync::Arc::new(std::sync::atomic::AtomicBool::new(held)),
        };
        let on_gone = hold.clone();
        on_cleanup(move || on_gone.release());
        hold
    }

    /// Whether the first screen is still held back (tracked).
    pub fn holding(&self, summary_pending: bool) -> bool {
        if self.shown.get() {
            return false;
        }
        let hold = summary_pending || self.waiting.get() > 0;
        if !hold {
            self.shown.set(true);
        }
        hold
    }
}

impl Default for Reveal {
    fn default() -> Self {
        Self::new()
    }
}

/// Hold the first screen (if there is a [`Reveal`] in context) until
/// `ready` says the calling view has its first answer.
pub fn hold_first_paint_until(ready: impl Fn() -> bool + 'static) {
    if let Some(reveal) = use_context::<Reveal>() {
        let hold = reveal.hold();
        Effect::new(move |_| {
            if ready() {
                hold.release();
            }
        });
    }
}

/// A view's hold on the first paint.
#[derive(Clone)]
pub struct Hold {
    reveal: Reveal,
    held: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Hold {
    /// The view has its first answer (or failed, or is gone): let the
    /// paint go. Only the first call counts.
    pub fn release(&self) {
        if self.held.swap(false, std::sync::atomic::Ordering::Relaxed) {
            self.reveal.waiting.try_update(|n| *n = n.saturating_sub(1));
        }
    }
}

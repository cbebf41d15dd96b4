//! What the whole console shares: who is signed in, the account summary
//! behind the banners, and a version that every view refetches on.

use billing_rules::api::{Identity, Summary};
use leptos::prelude::*;

use crate::api::ClientError;

#[derive(Clone, Copy)]
pub struct Session {
    pub identity: RwSignal<Option<Identity>>,
    pub summary: RwSignal<Option<Summary>>,
    /// An error loading identity or summary.
    pub error: RwSignal<Option<ClientError>>,
    /// Bumped after every change; views that show data refetch on it.
    pub version: RwSignal<u64>,
    /// Live updates are arriving from the server.
    pub live: RwSignal<bool>,
}

impl Session {
    pub fn new() -> Self {
        Session {
            identity: RwSignal::new(None),
            summary: RwSignal::new(None),
            error: RwSignal::new(None),
            version: RwSignal::new(0),
            live: RwSignal::new(false),
        }
    }

    /// Something changed: every view refetches.
    pub fn changed(&self) {
        self.version.update(|v| *v += 1);
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

/// Fetch now, and again after every change (and whenever a signal read by
/// `fetch` changes): the latest answer lands in the first signal, a failure
/// in the second while what was on screen stays. `fetch` returning None
/// skips a round (e.g. nothing to ask for this user).
pub fn load_on_change<T, F, Fut>(fetch: F) -> (RwSignal<Option<T>>, RwSignal<Option<ClientError>>)
where
    T: Send + Sync + 'static,
    F: Fn() -> Option<Fut> + 'static,
    Fut: std::future::Future<Output = Result<T, ClientError>> + 'static,
{
    let session = expect_context::<Session>();
    let data = RwSignal::new(None);
    let error = RwSignal::new(None);
    Effect::new(move |_| {
        session.version.get();
        let Some(fut) = fetch() else { return };
        leptos::task::spawn_local(async move {
            match fut.await {
                Ok(v) => {
                    data.set(Some(v));
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    });
    (data, error)
}

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

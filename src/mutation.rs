//! A change the user asked for (renew, switch postpaid, grant a
//! permission, restore knowledge), as a Leptos [`Action`]: `pending` while
//! it runs, its refusal or failure in `error` (shown where the user acted),
//! and on success `on_done` with the answer (the outcome line, the topics
//! to refetch). A new run clears the last error.

use std::future::Future;
use std::rc::Rc;

use leptos::prelude::*;

use crate::api::ClientError;

pub struct Mutation<I: 'static> {
    action: Action<I, Result<(), ClientError>>,
    pub error: RwSignal<Option<ClientError>>,
}

impl<I: 'static> Clone for Mutation<I> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I: 'static> Copy for Mutation<I> {}

impl<I: Send + Sync + 'static> Mutation<I> {
    /// `run` sends the change; `on_done` takes a successful answer.
    pub fn new<O, F, Fu>(run: F, on_done: impl Fn(O) + 'static) -> Self
    where
        O: 'static,
        F: Fn(&I) -> Fu + 'static,
        Fu: Future<Output = Result<O, ClientError>> + 'static,
    {
        let error = RwSignal::new(None);
        let on_done = Rc::new(on_done);
        let action = Action::new_unsync(move |input: &I| {
            error.set(None);
            let sent = run(input);
            let on_done = on_done.clone();
            async move {
                match sent.await {
                    Ok(v) => {
                        on_done(v);
                        Ok(())
                    }
                    Err(e) => {
                        error.set(Some(e.clone()));
                        Err(e)
                    }
                }
            }
        });
        Mutation { action, error }
    }

    /// Send the change (again).
    pub fn run(&self, input: I) {
        self.action.dispatch(input);
    }

    /// True while a run is under way.
    pub fn pending(&self) -> Signal<bool> {
        self.action.pending().into()
    }
}

//! The mock store: the API seam answered in the browser from the rules
//! core's demo seed, through the same action dispatch the server uses.
//! Options for tests: a fixed clock, latency, and injected failures.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use billing_rules::actions::{self, def, Access, Action, ActionDef};
use billing_rules::api::{ApiError, ErrorCode, LiveEvent};
use billing_rules::handlers;
use billing_rules::model::User;
use billing_rules::seed::{self, users};
use billing_rules::Ledger;
use serde_json::Value;

use super::{ClientError, LocalFuture, Transport};
use crate::clock::Clock;

/// A failure to inject into the next call.
#[derive(Debug, Clone)]
pub enum Failure {
    /// The API answers with this error envelope.
    Error(ApiError),
    Timeout,
    Network,
    /// The answer is not valid JSON.
    Malformed,
}

/// A live subscriber, held weakly: gone when its guard drops.
type Listener = std::rc::Weak<dyn Fn(LiveEvent)>;

struct Inner {
    ledger: RefCell<Ledger>,
    user: RefCell<String>,
    latency_ms: Cell<u32>,
    failures: RefCell<VecDeque<Failure>>,
    calls: Cell<u64>,
    listeners: RefCell<Vec<Listener>>,
}

/// Cheap to clone; clones share the store.
#[derive(Clone)]
pub struct MockStore {
    inner: Rc<Inner>,
    clock: Clock,
}

impl MockStore {
    /// The demo seed relative to the clock's now, viewed as Acme's main account.
    pub fn new(clock: Clock) -> Self {
        let ledger = seed::demo(clock.now());
        MockStore {
            inner: Rc::new(Inner {
                ledger: RefCell::new(ledger),
                user: RefCell::new(users::ACME_MAIN.to_string()),
                latency_ms: Cell::new(0),
                failures: RefCell::new(VecDeque::new()),
                calls: Cell::new(0),
                listeners: RefCell::new(Vec::new()),
            }),
            clock,
        }
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Delay every answer (tests of loading states).
    pub fn set_latency_ms(&self, ms: u32) {
        self.inner.latency_ms.set(ms);
    }

    /// Make the next call fail this way.
    pub fn fail_next(&self, f: Failure) {
        self.inner.failures.borrow_mut().push_back(f);
    }

    /// Change the data directly (tests).
    pub fn with_ledger<R>(&self, f: impl FnOnce(&mut Ledger) -> R) -> R {
        f(&mut self.inner.ledger.borrow_mut())
    }

    /// Meter usage as the platform would (operator side), through the
    /// registry's dispatch as the server meters, and tell live
    /// subscribers, like the server's event stream.
    pub fn report_usage(
        &self,
        req: &<def::ReportUsage as ActionDef>::Request,
    ) -> Result<<def::ReportUsage as ActionDef>::Response, ApiError> {
        let now = self.clock.now();
        let out = self.with_ledger(|l| handlers::call::<def::ReportUsage, _>(l, "", req, now));
        self.notify();
        out
    }

    fn notify(&self) {
        let alive: Vec<super::OnChange> = self
            .inner
            .listeners
            .borrow()
            .iter()
            .filter_map(|w| w.upgrade())
            .collect();
        for f in alive {
            f(LiveEvent::Usage);
        }
    }

    /// Calls answered so far.
    pub fn calls(&self) -> u64 {
        self.inner.calls.get()
    }

    pub fn current_user(&self) -> String {
        self.inner.user.borrow().clone()
    }

    fn answer(&self, action: &str, body: Value) -> Result<String, ClientError> {
        self.inner.calls.set(self.inner.calls.get() + 1);
        let request_id = format!("mock-{}", self.inner.calls.get());
        if let Some(f) = self.inner.failures.borrow_mut().pop_front() {
            return match f {
                Failure::Error(e) => Ok(actions::envelope_err(&e, &request_id)),
                Failure::Timeout => Err(ClientError::Timeout),
                Failure::Network => Err(ClientError::Network("injected network failure".into())),
                Failure::Malformed => Ok("{\"Response\": {\"Items\": [1, 2".into()),
            };
        }
        let user = self.inner.user.borrow().clone();
        let result = match Action::from_name(action) {
            // The console holds no operator credential, here as on the server.
            Some(a) if a.access() == Access::Operator => Err(ApiError::new(
                ErrorCode::AuthFailureUnauthorizedOperation,
                format!("{action} needs the operator credential."),
            )),
            Some(a) => handlers::run(
                &mut *self.inner.ledger.borrow_mut(),
                a,
                &user,
                body,
                self.clock.now(),
            ),
            None => Err(ApiError::new(
                ErrorCode::InvalidParameter,
                format!("Unknown action {action}."),
            )),
        };
        Ok(match result {
            Ok(v) => actions::envelope_ok(&v, &request_id),
            Err(e) => actions::envelope_err(&e, &request_id),
        })
    }
}

impl Transport for MockStore {
    fn call(&self, action: &str, body: Value) -> LocalFuture<Result<String, ClientError>> {
        let me = self.clone();
        let action = action.to_string();
        Box::pin(async move {
            let ms = me.inner.latency_ms.get();
            if ms > 0 {
                gloo_timers::future::TimeoutFuture::new(ms).await;
            }
            me.answer(&action, body)
        })
    }

    fn is_demo(&self) -> bool {
        true
    }

    fn subscribe(&self, on_change: super::OnChange) -> Option<Box<dyn std::any::Any>> {
        self.inner
            .listeners
            .borrow_mut()
            .push(Rc::downgrade(&on_change));
        Some(Box::new(on_change))
    }

    fn demo_users(&self) -> Option<Vec<User>> {
        Some(self.inner.ledger.borrow().users.clone())
    }

    fn view_as(&self, user_id: &str) -> LocalFuture<Result<(), ClientError>> {
        *self.inner.user.borrow_mut() = user_id.to_string();
        Box::pin(async { Ok(()) })
    }
}

//! The console's clock: the browser's time, or a fixed and advanceable one
//! (mock store tests). A signal carries "now" to the views and ticks every
//! second so countdowns and badges move without a reload.

use std::cell::Cell;
use std::rc::Rc;

use chrono::{DateTime, Duration, Utc};
use leptos::prelude::*;
use send_wrapper::SendWrapper;

#[derive(Clone)]
pub struct Clock {
    fixed: SendWrapper<Rc<Cell<Option<DateTime<Utc>>>>>,
    tick: RwSignal<DateTime<Utc>>,
}

/// The browser's current time.
pub fn browser_now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

impl Clock {
    pub fn system() -> Self {
        Clock {
            fixed: SendWrapper::new(Rc::new(Cell::new(None))),
            tick: RwSignal::new(browser_now()),
        }
    }

    pub fn fixed(at: DateTime<Utc>) -> Self {
        Clock {
            fixed: SendWrapper::new(Rc::new(Cell::new(Some(at)))),
            tick: RwSignal::new(at),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.fixed.get().unwrap_or_else(browser_now)
    }

    /// Move a fixed clock forward (a system clock ignores this).
    pub fn advance(&self, by: Duration) {
        if let Some(t) = self.fixed.get() {
            self.fixed.set(Some(t + by));
            self.tick.set(t + by);
        }
    }

    /// "Now" as a signal, for views.
    pub fn signal(&self) -> ReadSignal<DateTime<Utc>> {
        self.tick.read_only()
    }

    /// Refresh the signal from the clock.
    pub fn refresh(&self) {
        let now = self.now();
        if self.tick.get_untracked() != now {
            self.tick.set(now);
        }
    }

    /// Refresh every second while the current owner lives.
    pub fn start_ticker(&self) {
        let me = self.clone();
        let interval = gloo_timers::callback::Interval::new(1_000, move || me.refresh());
        let interval = SendWrapper::new(interval);
        on_cleanup(move || drop(interval));
    }
}

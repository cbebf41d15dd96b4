//! The billing rules core: the domain model and every rule of the billing
//! resource list, as pure functions of data and a given instant. No web, no IO.
//! The server, the client and the client's mock store all call it.

/// An enum of unit variants with `ALL`, every variant in declaration
/// order: a list that cannot miss one.
#[macro_export]
macro_rules! enumerated {
    ($(#[$m:meta])* $vis:vis enum $name:ident { $($(#[$vm:meta])* $v:ident),* $(,)? }) => {
        $(#[$m])* $vis enum $name { $($(#[$vm])* $v),* }
        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$v),*];
        }
    };
}

pub mod actions;
pub mod api;
pub mod billing;
pub mod csv;
pub mod deduction;
pub mod engine;
pub mod expiry;
pub mod forecast;
pub mod format;
pub mod handlers;
pub mod knowledge;
pub mod ledger;
pub mod model;
pub mod notify;
pub mod postpaid;
pub mod query;
pub mod reminders;
pub mod seed;
pub mod status;
pub mod store;
pub mod usage;
pub mod webhook;

pub use api::{ApiError, ErrorCode};
pub use ledger::Ledger;
pub use model::{Account, Resource, ResourceKind, Role, Source, Tab, Unit, User};
pub use status::Status;

//! One page per route.

pub mod alerts;
pub mod deductions;
pub mod not_found;
pub mod permissions;
pub mod postpaid;
pub mod resource_list;
pub mod sign_in;

//! Usage percentage and alert level.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AlertLevel {
    Normal,
    /// Usage above 90%.
    NearlyExhausted,
    /// Usage at (or beyond) 100%.
    Exhausted,
}

/// Percent used in hundredths of a percent (0..=10000), exact integer
/// arithmetic, rounded down; a zero total counts as fully used.
pub fn used_basis_points(used: u64, total: u64) -> u32 {
    if total == 0 {
        return 10_000;
    }
    let bp = (used as u128 * 10_000) / total as u128;
    bp.min(10_000) as u32
}

/// Percent used, rounded down to a whole percent (what a progress bar shows).
pub fn used_percent(used: u64, total: u64) -> u8 {
    (used_basis_points(used, total) / 100) as u8
}

/// "Nearly exhausted" is strictly above 90%; "exhausted" is at 100%.
pub fn alert_level(used: u64, total: u64) -> AlertLevel {
    if used >= total {
        AlertLevel::Exhausted
    } else if used as u128 * 100 > total as u128 * 90 {
        AlertLevel::NearlyExhausted
    } else {
        AlertLevel::Normal
    }
}

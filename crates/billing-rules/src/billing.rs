//! Postpaid billing: usage drawn postpaid is counted per tenant, kind and
//! UTC hour; each closed hour is settled once into a bill line priced by
//! [`crate::model::KindSpec::postpaid`], and the balance is debited by it.
//! A monthly budget (UTC months) raises alerts at its thresholds and may
//! turn postpaid off when it is reached. All of it is pure: the engine
//! ([`crate::engine::settle`]) applies it over a store.

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::model::ResourceKind;

/// Alert thresholds, in percent of the budget, when none are given.
pub const DEFAULT_THRESHOLDS: [u8; 3] = [50, 80, 100];
/// At most this many thresholds; each 1 to [`MAX_THRESHOLD`] percent.
pub const MAX_THRESHOLDS: usize = 5;
pub const MAX_THRESHOLD: u8 = 200;
/// A budget is 1 cent to this many cents ($10 million).
pub const MAX_BUDGET_CENTS: i64 = 1_000_000_000;
/// A top-up is 1 cent to this many cents ($10 million).
pub const MAX_TOP_UP_CENTS: i64 = 1_000_000_000;

/// Postpaid units of one kind in one UTC hour, not yet settled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OpenHour {
    pub hour: DateTime<Utc>,
    pub kind: ResourceKind,
    pub units: u64,
}

/// One settled hour of one kind: a line of the postpaid bill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct BillLine {
    /// The UTC hour the usage was drawn in (its start).
    pub hour: DateTime<Utc>,
    pub kind: ResourceKind,
    /// Units drawn postpaid in that hour.
    pub units: u64,
    /// Their price, rounded up to the cent.
    pub amount_cents: i64,
    /// When the hour was settled (the balance debited).
    pub settled_at: DateTime<Utc>,
}

/// The price of `units` of `kind` drawn postpaid, in cents (rounded up);
/// 0 for a kind that has no postpaid price.
pub fn price_cents(kind: ResourceKind, units: u64) -> i64 {
    kind.spec().postpaid.map_or(0, |p| p.of(units))
}

/// The open hours that have closed by `now` (every hour before the
/// current one), priced as bill lines settled at `now`, oldest first.
pub fn settle_lines(open: &[OpenHour], now: DateTime<Utc>) -> Vec<BillLine> {
    let current = crate::forecast::hour_of(now);
    let mut lines: Vec<BillLine> = open
        .iter()
        .filter(|h| h.hour < current && h.units > 0)
        .map(|h| BillLine {
            hour: h.hour,
            kind: h.kind,
            units: h.units,
            amount_cents: price_cents(h.kind, h.units),
            settled_at: now,
        })
        .collect();
    lines.sort_by_key(|l| (l.hour, l.kind.spec().slug));
    lines
}

/// A tenant's monthly postpaid budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Budget {
    /// The month's limit, in cents.
    pub amount_cents: i64,
    /// Alert thresholds in percent of the amount, ascending.
    pub thresholds: Vec<u8>,
    /// Turn postpaid off when spending reaches the amount.
    pub turn_off: bool,
}

/// Why a budget is refused.
pub fn check_budget(b: &Budget) -> Result<(), String> {
    if !(1..=MAX_BUDGET_CENTS).contains(&b.amount_cents) {
        return Err("AmountCents must be from 1 to 1,000,000,000 ($10 million).".into());
    }
    if b.thresholds.is_empty() || b.thresholds.len() > MAX_THRESHOLDS {
        return Err(format!("Give 1 to {MAX_THRESHOLDS} Thresholds."));
    }
    if b.thresholds.iter().any(|t| *t == 0 || *t > MAX_THRESHOLD) {
        return Err(format!("Each threshold is 1 to {MAX_THRESHOLD} percent."));
    }
    if b.thresholds.windows(2).any(|w| w[0] >= w[1]) {
        return Err("Thresholds must be ascending, each once.".into());
    }
    Ok(())
}

/// Thresholds as given (1 to [`MAX_THRESHOLDS`] of them), in ascending
/// order, each once.
pub fn normalise_thresholds(given: &[u8]) -> Result<Vec<u8>, String> {
    if given.is_empty() || given.len() > MAX_THRESHOLDS {
        return Err(format!("Give 1 to {MAX_THRESHOLDS} Thresholds."));
    }
    let mut v = given.to_vec();
    v.sort_unstable();
    v.dedup();
    Ok(v)
}

/// The thresholds `spent_cents` has reached (each fires once a month).
pub fn reached(b: &Budget, spent_cents: i64) -> Vec<u8> {
    b.thresholds
        .iter()
        .copied()
        .filter(|t| spent_cents as i128 * 100 >= b.amount_cents as i128 * *t as i128)
        .collect()
}

/// Whether spending has reached the budget itself.
pub fn at_limit(b: &Budget, spent_cents: i64) -> bool {
    spent_cents >= b.amount_cents
}

/// The UTC month `t` falls in: its start.
pub fn month_start(t: DateTime<Utc>) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(t.year(), t.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or(t)
}

/// The start of the UTC month after the one `t` falls in.
pub fn next_month_start(t: DateTime<Utc>) -> DateTime<Utc> {
    let (y, m) = if t.month() == 12 {
        (t.year() + 1, 1)
    } else {
        (t.year(), t.month() + 1)
    };
    Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).single().unwrap_or(t)
}

/// The month's spend at `now` carried to the month's end at the pace so
/// far (spend per elapsed second, over the whole month), in cents.
pub fn month_forecast_cents(spent_cents: i64, now: DateTime<Utc>) -> i64 {
    let start = month_start(now);
    let elapsed = (now - start).num_seconds().max(3600);
    let whole = (next_month_start(now) - start).num_seconds();
    let f = spent_cents as i128 * whole as i128 / elapsed as i128;
    i64::try_from(f).unwrap_or(i64::MAX).max(spent_cents)
}

/// Month-to-date postpaid spend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct MonthSpend {
    /// The UTC month's start.
    pub month: DateTime<Utc>,
    /// Settled bill lines of the month.
    pub billed_cents: i64,
    /// Usage drawn postpaid and not settled yet (the current hour, and any
    /// closed hour the settlement has not reached), priced as it will be.
    pub unbilled_cents: i64,
    /// Billed and unbilled together: what the budget is checked against.
    pub spent_cents: i64,
    /// The month's spend at the pace so far.
    pub forecast_cents: i64,
}

impl MonthSpend {
    pub fn new(billed_cents: i64, open: &[OpenHour], now: DateTime<Utc>) -> MonthSpend {
        let unbilled_cents: i64 = open
            .iter()
            .map(|h| price_cents(h.kind, h.units))
            .fold(0i64, i64::saturating_add);
        let spent_cents = billed_cents.saturating_add(unbilled_cents);
        MonthSpend {
            month: month_start(now),
            billed_cents,
            unbilled_cents,
            spent_cents,
            forecast_cents: month_forecast_cents(spent_cents, now),
        }
    }
}

/// A top-up's idempotency record: what it was, and the balance it left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TopUpKey {
    pub amount_cents: i64,
    pub balance_after_cents: i64,
}

/// How long until the next attempt after `attempts` failed ones:
/// exponential from `base`, capped at `cap`, with "full jitter" (a
/// fraction `jitter` in 0..1 of the interval, chosen by the caller), never
/// under a tenth of it.
pub fn retry_after(attempts: u32, base: Duration, cap: Duration, jitter: f64) -> Duration {
    let exp = base
        .checked_mul(1i32.checked_shl(attempts.min(30)).unwrap_or(i32::MAX))
        .unwrap_or(cap)
        .min(cap);
    let ms = exp.num_milliseconds() as f64;
    let j = jitter.clamp(0.0, 1.0);
    Duration::milliseconds((ms * (0.1 + 0.9 * j)).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn months_are_utc_calendar_months() {
        assert_eq!(
            month_start(at("2026-12-31T23:59:59Z")),
            at("2026-12-01T00:00:00Z")
        );
        assert_eq!(
            next_month_start(at("2026-12-31T23:59:59Z")),
            at("2027-01-01T00:00:00Z")
        );
        assert_eq!(
            next_month_start(at("2026-02-10T00:00:00Z")),
            at("2026-03-01T00:00:00Z")
        );
    }

    #[test]
    fn only_closed_hours_are_settled_and_prices_round_up() {
        let now = at("2026-12-01T10:20:00Z");
        let open = vec![
            OpenHour {
                hour: at("2026-12-01T10:00:00Z"),
                kind: ResourceKind::TokenPackage,
                units: 5,
            },
            OpenHour {
                hour: at("2026-12-01T09:00:00Z"),
                kind: ResourceKind::TokenPackage,
                units: 1_000_001,
            },
            OpenHour {
                hour: at("2026-12-01T08:00:00Z"),
                kind: ResourceKind::SearchPackage,
                units: 250,
            },
        ];
        let lines = settle_lines(&open, now);
        assert_eq!(lines.len(), 2, "the current hour stays open");
        assert_eq!(lines[0].amount_cents, 100, "250 calls at $4 per 1000");
        assert_eq!(lines[1].amount_cents, 81, "1,000,001 tokens round up");
    }

    #[test]
    fn thresholds_are_reached_at_their_percent() {
        let b = Budget {
            amount_cents: 10_000,
            thresholds: DEFAULT_THRESHOLDS.to_vec(),
            turn_off: true,
        };
        assert_eq!(reached(&b, 4_999), Vec::<u8>::new());
        assert_eq!(reached(&b, 5_000), vec![50]);
        assert_eq!(reached(&b, 9_999), vec![50, 80]);
        assert!(!at_limit(&b, 9_999));
        assert_eq!(reached(&b, 10_000), vec![50, 80, 100]);
        assert!(at_limit(&b, 10_000));
    }

    #[test]
    fn thresholds_are_sorted_and_each_kept_once() {
        assert_eq!(
            normalise_thresholds(&[100, 50, 80, 50]).unwrap(),
            vec![50, 80, 100]
        );
        assert!(normalise_thresholds(&[]).is_err());
        assert!(normalise_thresholds(&[1, 2, 3, 4, 5, 6]).is_err());
    }

    #[test]
    fn budgets_out_of_range_are_refused() {
        let ok = Budget {
            amount_cents: 100,
            thresholds: vec![50, 100],
            turn_off: false,
        };
        assert!(check_budget(&ok).is_ok());
        for bad in [
            Budget {
                amount_cents: 0,
                ..ok.clone()
            },
            Budget {
                thresholds: vec![],
                ..ok.clone()
            },
            Budget {
                thresholds: vec![80, 50],
                ..ok.clone()
            },
            Budget {
                thresholds: vec![0],
                ..ok.clone()
            },
            Budget {
                thresholds: vec![201],
                ..ok.clone()
            },
        ] {
            assert!(check_budget(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_month_forecast_carries_the_pace_to_the_month_end() {
        // A third of December gone ($10 spent): about $31 by its end.
        let now = at("2026-12-11T08:00:00Z");
        let f = month_forecast_cents(1_000, now);
        assert!((3_000..=3_200).contains(&f), "{f}");
        assert_eq!(month_forecast_cents(0, now), 0);
    }

    #[test]
    fn retries_back_off_exponentially_within_the_cap() {
        let base = Duration::seconds(1);
        let cap = Duration::seconds(60);
        assert_eq!(retry_after(0, base, cap, 1.0), Duration::seconds(1));
        assert_eq!(retry_after(3, base, cap, 1.0), Duration::seconds(8));
        assert_eq!(retry_after(20, base, cap, 1.0), cap);
        assert_eq!(retry_after(3, base, cap, 0.0), Duration::milliseconds(800));
    }
}

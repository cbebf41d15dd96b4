//! Run-out forecasts for usage-based packages: at the tenant's recent pace
//! of one kind, when each package runs out, or how much of it expires
//! unused. Packages are drawn one after another in deduction order (see
//! [`crate::deduction::draw_order`]), so a purchased package's forecast
//! starts where the packages ahead of it end: drained, or expired.

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::{Deserialize, Serialize};

use crate::expiry::DAY_SECS;
use crate::model::Resource;

/// The pace is the usage of the last 7 days, or of the history there is.
pub const PACE_WINDOW_DAYS: i64 = 7;
/// No forecast from less history than this.
pub const MIN_HISTORY_HOURS: i64 = 24;
/// A package forecast to run out within this many days (and before it
/// expires) is named in the attention area and gets a notice.
pub const SOON_DAYS: i64 = 7;
/// The daily pace "varies a lot" when its standard deviation exceeds this
/// share of its mean: the forecast is then a range.
pub const VARIATION_FOR_RANGE: f64 = 0.5;

/// A tenant's usage of one kind as the forecast needs it: over the pace
/// window, by hour or in coarser buckets, and when that usage began.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsageBasis {
    /// (bucket start, units used in it), any order, from
    /// [`window_start`] on; buckets without usage may be absent. A bucket
    /// is an hour, or a whole 24-hour block counted back from the current
    /// hour ([`block_start`]): a store may sum the hours of a block.
    pub hours: Vec<(DateTime<Utc>, u64)>,
    /// The first usage of the kind ever recorded (a store may give the
    /// start of its hour).
    pub since: Option<DateTime<Utc>>,
}

/// The first hour of the pace window at `now`: 7 × 24 hours before the
/// current hour (whose usage so far counts too), so the window is 7 days
/// long to within the hour, whatever the time of day.
pub fn window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    hour_of(now) - Duration::days(PACE_WINDOW_DAYS)
}

/// The 24-hour block an hour before the current one belongs to, counted
/// back from the current hour (block 0 ends where the current hour
/// begins): its start. The current hour is its own bucket.
pub fn block_start(hour: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    let cur = hour_of(now);
    if hour >= cur {
        return hour;
    }
    let back = (cur - hour).num_hours() - 1;
    cur - Duration::hours((back / 24 + 1) * 24)
}

/// The start of the UTC hour holding `t`.
pub fn hour_of(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(Duration::hours(1)).unwrap_or(t)
}

/// Units per day, with the spread when the daily pace varies a lot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pace {
    pub per_day: f64,
    /// Slowest and fastest plausible pace (mean ∓ one standard deviation
    /// of the days), when the days differ a lot.
    pub range: Option<(f64, f64)>,
    /// How much history the pace is from: 7 days, or less when that is all
    /// there is.
    pub basis_hours: u32,
}

/// Why there is no pace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoPace {
    /// Under [`MIN_HISTORY_HOURS`] of history (the hours there are).
    NotEnoughHistory { hours: u32 },
}

/// The pace at `now` from `basis`.
pub fn pace(basis: &UsageBasis, now: DateTime<Utc>) -> Result<Pace, NoPace> {
    let Some(since) = basis.since.filter(|s| *s <= now) else {
        return Err(NoPace::NotEnoughHistory { hours: 0 });
    };
    let history = now - since;
    if history < Duration::hours(MIN_HISTORY_HOURS) {
        return Err(NoPace::NotEnoughHistory {
            hours: history.num_hours().max(0) as u32,
        });
    }
    let start = window_start(now).max(hour_of(since));
    let secs = (now - start).num_seconds().max(1) as f64;
    // Nothing was used before `since`: every bucket from the window's
    // start on counts.
    let in_window = |h: &DateTime<Utc>| *h >= window_start(now) && *h <= now;
    let total: u64 = basis
        .hours
        .iter()
        .filter(|(h, _)| in_window(h))
        .map(|(_, n)| *n)
        .fold(0u64, u64::saturating_add);
    let per_day = total as f64 / secs * DAY_SECS as f64;
    // The spread, from whole 24-hour blocks counted back from the current
    // hour (its own usage so far is left out: the hour is not over).
    let whole = ((hour_of(now) - start).num_hours() / 24) as usize;
    let mut blocks = vec![0f64; whole];
    for (h, n) in basis.hours.iter().filter(|(h, _)| in_window(h)) {
        let back = (hour_of(now) - *h).num_hours() - 1;
        if back >= 0 {
            if let Some(b) = blocks.get_mut((back / 24) as usize) {
                *b += *n as f64;
            }
        }
    }
    let range = (blocks.len() >= 2 && per_day > 0.0)
        .then(|| {
            let mean = blocks.iter().sum::<f64>() / blocks.len() as f64;
            let var = blocks.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / blocks.len() as f64;
            let sd = var.sqrt();
            (mean > 0.0 && sd / mean > VARIATION_FOR_RANGE)
                .then(|| ((per_day - sd).max(0.0), per_day + sd))
        })
        .flatten();
    Ok(Pace {
        per_day,
        range,
        basis_hours: (now - start)
            .num_hours()
            .clamp(0, PACE_WINDOW_DAYS * 24 + 1) as u32,
    })
}

/// What becomes of one package at a constant pace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    RunsOut(DateTime<Utc>),
    /// Expires with this much left.
    Unused(u64),
}

/// Usage going on at a constant pace through packages in deduction order,
/// one package at a time: each is drawn from where the one before it ended
/// (drained, or expired).
#[derive(Debug, Clone, Copy)]
pub struct Sim {
    /// Where usage has got to: when the last package stepped through was
    /// drained or expired.
    pub t: DateTime<Utc>,
    per_sec: f64,
}

impl Sim {
    pub fn new(per_day: f64, now: DateTime<Utc>) -> Sim {
        Sim {
            t: now,
            per_sec: per_day / DAY_SECS as f64,
        }
    }

    /// Whether usage moves at all (a zero pace reaches nothing).
    pub fn moving(&self) -> bool {
        self.per_sec > 0.0
    }

    /// Draw the next package of the order.
    pub fn step(&mut self, r: &Resource) -> Fate {
        let left = r.remaining();
        if r.expires_at <= self.t || !self.moving() {
            return Fate::Unused(left);
        }
        let start = self.t.max(r.effective_at);
        let drain =
            Duration::milliseconds(((left as f64 / self.per_sec) * 1000.0).min(1e15) as i64);
        if start + drain < r.expires_at {
            self.t = start + drain;
            Fate::RunsOut(self.t)
        } else {
            let drawn =
                (self.per_sec * (r.expires_at - start).num_milliseconds() as f64 / 1000.0) as u64;
            self.t = r.expires_at;
            Fate::Unused(left.saturating_sub(drawn))
        }
    }
}

/// What becomes of each package of `order` (drawable packages of one kind,
/// in deduction order) if usage goes on at `per_day` from `now`, and the
/// instant the last of them is drained or expired (None when usage never
/// reaches past them: a zero pace).
pub fn simulate(
    order: &[&Resource],
    per_day: f64,
    now: DateTime<Utc>,
) -> (Vec<Fate>, Option<DateTime<Utc>>) {
    let mut sim = Sim::new(per_day, now);
    let fates = order.iter().map(|r| sim.step(r)).collect();
    (fates, sim.moving().then_some(sim.t))
}

/// A package's forecast, as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Forecast {
    /// Units per day at the pace the forecast assumes (rounded).
    pub per_day: u64,
    /// Hours of history behind the pace: 7 days (168), or fewer when that
    /// is all there is.
    pub basis_hours: u32,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Outcome {
    /// Runs out at `at`, `days_before_expiry` whole days before it expires.
    /// When the daily pace varies a lot, `earliest` and `latest` bound it
    /// (`latest` None: at the slow pace it lasts until it expires).
    #[serde(rename_all = "PascalCase")]
    RunsOut {
        at: DateTime<Utc>,
        days_before_expiry: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        earliest: Option<DateTime<Utc>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        latest: Option<DateTime<Utc>>,
    },
    /// Expires with about `unused` units (`percent` of its total) left.
    #[serde(rename_all = "PascalCase")]
    UnusedAtExpiry { unused: u64, percent: u8 },
    /// Under 24 hours of usage history: no forecast.
    #[serde(rename_all = "PascalCase")]
    NotEnoughHistory { hours: u32 },
    /// So many packages are drawn before this one that the forecast
    /// stopped looking: usage does not reach it before `at`.
    #[serde(rename_all = "PascalCase")]
    NotReachedBefore { at: DateTime<Utc> },
}

/// What a pace (or its absence) says in figures: units per day (rounded,
/// 0 without a pace) and the hours of history behind it.
pub fn pace_figures(pace: &Result<Pace, NoPace>) -> (u64, u32) {
    match pace {
        Ok(p) => (p.per_day.round() as u64, p.basis_hours),
        Err(NoPace::NotEnoughHistory { hours }) => (0, *hours),
    }
}

impl Forecast {
    /// `outcome`, with the figures of the pace it was made at.
    pub fn at_pace(pace: &Result<Pace, NoPace>, outcome: Outcome) -> Forecast {
        let (per_day, basis_hours) = pace_figures(pace);
        Forecast {
            per_day,
            basis_hours,
            outcome,
        }
    }

    /// Whether it runs out within [`SOON_DAYS`] of `now` (and so before it
    /// expires).
    pub fn runs_out_soon(&self, now: DateTime<Utc>) -> bool {
        matches!(self.outcome, Outcome::RunsOut { at, .. } if at - now <= Duration::days(SOON_DAYS))
    }
}

/// The forecast of every package of `order` (as [`simulate`]), and when
/// the last of them is drained or expires at the pace (None without one).
pub fn forecasts(
    order: &[&Resource],
    pace: Result<Pace, NoPace>,
    now: DateTime<Utc>,
) -> (Vec<Forecast>, Option<DateTime<Utc>>) {
    let p = match pace {
        Ok(p) => p,
        Err(NoPace::NotEnoughHistory { hours }) => {
            let none = Forecast::at_pace(&pace, Outcome::NotEnoughHistory { hours });
            return (vec![none; order.len()], None);
        }
    };
    let (mid, end) = simulate(order, p.per_day, now);
    let (fast, slow) = match p.range {
        Some((lo, hi)) => (
            Some(simulate(order, hi, now).0),
            Some(simulate(order, lo, now).0),
        ),
        None => (None, None),
    };
    let forecasts = mid
        .iter()
        .enumerate()
        .map(|(i, fate)| {
            let r = order[i];
            let outcome = match *fate {
                Fate::RunsOut(at) => {
                    let ran_out = |v: &Option<Vec<Fate>>| match v.as_ref().map(|v| v[i]) {
                        Some(Fate::RunsOut(t)) => Some(t),
                        _ => None,
                    };
                    Outcome::RunsOut {
                        at,
                        days_before_expiry: ((r.expires_at - at).num_seconds() / DAY_SECS).max(0)
                            as u32,
                        earliest: ran_out(&fast),
                        latest: ran_out(&slow),
                    }
                }
                Fate::Unused(unused) => Outcome::UnusedAtExpiry {
                    unused,
                    percent: percent_of(unused, r.total),
                },
            };
            Forecast::at_pace(&pace, outcome)
        })
        .collect();
    (forecasts, end)
}

/// `part` as a whole percentage of `total`, rounded to nearest.
pub fn percent_of(part: u64, total: u64) -> u8 {
    if total == 0 {
        return 0;
    }
    ((part as u128 * 100 + total as u128 / 2) / total as u128).min(100) as u8
}

//! Run-out forecasts over a store: the pace from the tenant's usage by
//! hour, the packages usage reaches by a horizon (a prefix of the
//! deduction order, never the whole of a big tenant's packages), and the
//! once-only notice for a package that runs out within a week.

use std::collections::HashMap;

use super::account;
use crate::api::*;
use crate::forecast::{self, Forecast, NoPace, Outcome, Pace, Sim};
use crate::model::{Resource, ResourceKind};
use crate::notify::NoticeRecord;
use crate::reminders::{FiredKey, Notice, Threshold};
use crate::status::is_drawable;
use crate::store::{Change, Store};
use chrono::{DateTime, Duration, Utc};

/// The usage-based kinds a forecast is made for.
pub fn forecast_kinds() -> impl Iterator<Item = ResourceKind> {
    ResourceKind::ALL.into_iter().filter(|k| k.is_package())
}

/// A kind and its pace (or why it has none).
pub type KindPace = (ResourceKind, Result<Pace, NoPace>);

/// What usage of one kind reaches by a horizon at the recent pace.
pub struct Reach {
    pub pace: Result<Pace, NoPace>,
    /// The drawable packages usage reaches by the horizon, in deduction
    /// order, each with its forecast.
    pub packages: Vec<(Resource, Forecast)>,
    /// When the last of `packages` is drained or expires (None at a zero
    /// pace or without packages).
    pub end: Option<DateTime<Utc>>,
    /// Whether `packages` are all the drawable packages of the kind.
    pub complete: bool,
    /// Where usage gets to at the fastest plausible pace after `packages`:
    /// packages after them are not reached before this instant.
    pub reached: DateTime<Utc>,
    /// Whether the walk stopped at [`MAX_WALK`] packages, short of the
    /// horizon.
    pub cut: bool,
}

impl Reach {
    /// The forecast for a drawable package of the kind: its own; past the
    /// packages usage reaches by the horizon, "unused at expiry"; past a
    /// walk cut short, "not reached before" where it stopped.
    pub fn forecast_of(&self, r: &Resource) -> Forecast {
        if let Some((_, f)) = self.packages.iter().find(|(p, _)| p.id == r.id) {
            return f.clone();
        }
        let outcome = match self.pace {
            Ok(_) if self.cut && r.expires_at > self.reached => {
                Outcome::NotReachedBefore { at: self.reached }
            }
            Ok(_) => Outcome::UnusedAtExpiry {
                unused: r.remaining(),
                percent: forecast::percent_of(r.remaining(), r.total),
            },
            Err(NoPace::NotEnoughHistory { hours }) => Outcome::NotEnoughHistory { hours },
        };
        Forecast::at_pace(&self.pace, outcome)
    }
}

/// Packages read from the order at first, then four times as many each
/// time (most walks end at the first package).
const FIRST_PAGE: usize = 1;
/// The most packages one forecast walks through: a tenant with thousands
/// of packages that all expire before they are used up gets "not reached
/// before" for the rest, rather than a request that reads them all.
pub const MAX_WALK: usize = 32;

/// The packages of `kind` that usage reaches by `horizon`, with their
/// forecasts. Reads the pace basis, then walks the deduction order a page
/// at a time, only as far as usage gets by the horizon at the fastest
/// plausible pace, skipping packages that expire before usage reaches
/// them: the cost follows the packages usage reaches, not the tenant's.
pub fn reach<S: Store>(
    s: &mut S,
    tenant: &str,
    (kind, pace): KindPace,
    horizon: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Reach, ApiError> {
    let Ok(p) = pace else {
        return Ok(Reach {
            pace,
            packages: Vec::new(),
            end: None,
            complete: false,
            reached: now,
            cut: false,
        });
    };
    // The fastest plausible pace reaches furthest into the order (and every
    // slower one is, package by package, later).
    let mut fast = Sim::new(p.range.map_or(p.per_day, |(_, hi)| hi), now);
    let mut prefix: Vec<Resource> = Vec::new();
    let mut complete = false;
    let mut cut = false;
    if fast.moving() {
        let mut size = FIRST_PAGE;
        'walk: loop {
            let page = s.drawable_page(tenant, kind, prefix.last(), fast.t, size, now)?;
            let last_page = page.len() < size;
            for r in page {
                fast.step(&r);
                prefix.push(r);
                if fast.t >= horizon {
                    break 'walk;
                }
            }
            if last_page {
                complete = true;
                break;
            }
            if prefix.len() >= MAX_WALK {
                cut = true;
                break;
            }
            size = (size * 4).min(MAX_WALK - prefix.len());
        }
    }
    let order: Vec<&Resource> = prefix.iter().collect();
    let (fs, end) = forecast::forecasts(&order, pace, now);
    Ok(Reach {
        pace,
        packages: prefix.into_iter().zip(fs).collect(),
        end,
        complete,
        reached: fast.t,
        cut,
    })
}

/// The pace of each of `kinds` at `now` (one read for all of them).
pub fn paces<S: Store>(
    s: &mut S,
    tenant: &str,
    kinds: &[ResourceKind],
    now: DateTime<Utc>,
) -> Result<Vec<KindPace>, ApiError> {
    let bases = s.usage_bases(tenant, kinds, now)?;
    Ok(kinds
        .iter()
        .zip(&bases)
        .map(|(k, b)| (*k, forecast::pace(b, now)))
        .collect())
}

fn all_paces<S: Store>(
    s: &mut S,
    tenant: &str,
    now: DateTime<Utc>,
) -> Result<Vec<KindPace>, ApiError> {
    paces(s, tenant, &forecast_kinds().collect::<Vec<_>>(), now)
}

/// Forecasts for the rows of a list page: one reach per kind on the page,
/// to the latest expiry among its drawable rows.
pub fn forecast_rows<S: Store>(
    s: &mut S,
    tenant: &str,
    rows: &mut [ResourceRow],
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let mut horizons: HashMap<ResourceKind, DateTime<Utc>> = HashMap::new();
    for row in rows.iter() {
        let r = &row.resource;
        if r.kind.is_package() && is_drawable(r, now) {
            let h = horizons.entry(r.kind).or_insert(r.expires_at);
            *h = (*h).max(r.expires_at);
        }
    }
    let mut kinds: Vec<_> = horizons.into_iter().collect();
    kinds.sort();
    let which: Vec<ResourceKind> = kinds.iter().map(|(k, _)| *k).collect();
    if which.is_empty() {
        return Ok(());
    }
    let paces = paces(s, tenant, &which, now)?;
    for ((kind, horizon), pace) in kinds.into_iter().zip(paces) {
        let reach = reach(s, tenant, pace, horizon, now)?;
        for row in rows.iter_mut() {
            let r = &row.resource;
            if r.kind == kind && is_drawable(r, now) {
                row.forecast = Some(reach.forecast_of(r));
            }
        }
    }
    Ok(())
}

/// Packages forecast to run out within [`forecast::SOON_DAYS`], before they
/// expire, soonest first.
pub fn running_out<S: Store>(
    s: &mut S,
    tenant: &str,
    now: DateTime<Utc>,
) -> Result<Vec<(Resource, DateTime<Utc>)>, ApiError> {
    let mut out = Vec::new();
    for pace in all_paces(s, tenant, now)? {
        out.extend(soon(s, tenant, pace, now)?);
    }
    out.sort_by(|a, b| (a.1, &a.0.id).cmp(&(b.1, &b.0.id)));
    Ok(out)
}

fn soon<S: Store>(
    s: &mut S,
    tenant: &str,
    pace: KindPace,
    now: DateTime<Utc>,
) -> Result<Vec<(Resource, DateTime<Utc>)>, ApiError> {
    let reach = reach(
        s,
        tenant,
        pace,
        now + Duration::days(forecast::SOON_DAYS),
        now,
    )?;
    Ok(reach
        .packages
        .into_iter()
        .filter(|(_, f)| f.runs_out_soon(now))
        .filter_map(|(r, f)| match f.outcome {
            Outcome::RunsOut { at, .. } => Some((r, at)),
            _ => None,
        })
        .collect())
}

/// Fire the once-only "runs out within a week" notice for packages of
/// `kind` newly forecast to (after metering moved the pace).
pub fn fire_running_out<S: Store>(
    s: &mut S,
    tenant: &str,
    kind: ResourceKind,
    now: DateTime<Utc>,
) -> Result<usize, ApiError> {
    let mut n = 0;
    let pace = paces(s, tenant, &[kind], now)?.remove(0);
    for (r, _) in soon(s, tenant, pace, now)? {
        let key = FiredKey {
            resource_id: r.id.clone(),
            threshold: Threshold::Notice(Notice::RunningOut),
            period_end: None,
        };
        if !s.mark_fired(tenant, &key)? {
            continue;
        }
        n += 1;
        let seq = s.next_message_seq(tenant)?;
        super::add_notice(
            s,
            &NoticeRecord {
                id: format!("ntc-{tenant}-{seq:08}"),
                tenant_id: tenant.to_string(),
                resource_id: r.id.clone(),
                resource_name: r.name.clone(),
                resource_kind: r.kind,
                notice: Notice::RunningOut,
                at: now,
                read_by: Vec::new(),
            },
        )?;
    }
    if n > 0 {
        s.changed(tenant, Change::Notice);
    }
    Ok(n)
}

/// Per usage-based kind: when its packages together run out within a
/// year at the recent pace, and postpaid's daily cost at that pace.
pub fn kind_forecasts<S: Store>(
    s: &mut S,
    tenant: &str,
    now: DateTime<Utc>,
) -> Result<Vec<KindForecast>, ApiError> {
    account(s, tenant)?;
    let mut out = Vec::new();
    for pace in all_paces(s, tenant, now)? {
        let kind = pace.0;
        let reach = reach(s, tenant, pace, now + Duration::days(365), now)?;
        let (per_day, basis_hours) = forecast::pace_figures(&reach.pace);
        let forecast = reach.pace.is_ok();
        let price = kind.spec().postpaid;
        out.push(KindForecast {
            kind,
            per_day,
            basis_hours,
            forecast,
            packages_until: reach.end.filter(|_| reach.complete),
            lasts_beyond: reach.end.filter(|_| forecast && !reach.complete),
            postpaid_cents_per_day: price.map_or(0, |p| p.of(per_day)),
        });
    }
    Ok(out)
}

//! Run-out forecasts over a store: the pace from the tenant's usage by
//! day, the packages usage reaches by a horizon (a prefix of the
//! deduction order, never the whole of a big tenant's packages), and the
//! once-only notice for a package that runs out within a week.

use std::collections::HashMap;

use super::account;
use crate::api::*;
use crate::forecast::{self, Fate, Forecast, NoPace, Outcome, Pace};
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
}

impl Reach {
    /// The forecast for a drawable package of the kind: its own, or, past
    /// the packages usage reaches by the horizon, "unused at expiry".
    pub fn forecast_of(&self, r: &Resource) -> Forecast {
        if let Some((_, f)) = self.packages.iter().find(|(p, _)| p.id == r.id) {
            return f.clone();
        }
        let (per_day, basis_hours, outcome) = match self.pace {
            Ok(p) => (
                p.per_day.round() as u64,
                p.basis_hours,
                Outcome::UnusedAtExpiry {
                    unused: r.remaining(),
                    percent: forecast::percent_of(r.remaining(), r.total),
                },
            ),
            Err(NoPace::NotEnoughHistory { hours }) => {
                (0, hours, Outcome::NotEnoughHistory { hours })
            }
        };
        Forecast {
            per_day,
            basis_hours,
            outcome,
        }
    }
}

/// Units used in `span` at `per_day`, rounded up.
fn units(per_day: f64, span: Duration) -> u64 {
    let days = span.num_seconds().max(0) as f64 / crate::expiry::DAY_SECS as f64;
    (per_day * days).ceil().min(u64::MAX as f64) as u64
}

/// The packages of `kind` that usage reaches by `horizon`, with their
/// forecasts. Reads the pace basis and the shortest prefix of the order
/// that can hold the usage until then (more only when packages of the
/// prefix expire with quota left).
pub fn reach<S: Store>(
    s: &mut S,
    tenant: &str,
    kind: ResourceKind,
    horizon: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Reach, ApiError> {
    let pace = forecast::pace(&s.usage_basis(tenant, kind, now)?, now);
    let Ok(p) = pace else {
        return Ok(Reach {
            pace,
            packages: Vec::new(),
            end: None,
            complete: false,
        });
    };
    // The fastest plausible pace reaches furthest.
    let fastest = p.range.map_or(p.per_day, |(_, hi)| hi);
    let mut need = units(fastest, horizon - now);
    let mut prefix;
    let mut complete;
    let mut rounds = 0;
    loop {
        prefix = s.drawable(tenant, kind, need, now)?;
        let held = prefix
            .iter()
            .map(Resource::remaining)
            .fold(0u64, u64::saturating_add);
        complete = held < need;
        let order: Vec<&Resource> = prefix.iter().collect();
        let (fates, end) = forecast::simulate(&order, fastest, now);
        rounds += 1;
        if complete || end.is_none_or(|e| e >= horizon) || rounds >= 12 {
            break;
        }
        // Some of the prefix expires unused: usage reaches further.
        let leaked = fates
            .iter()
            .map(|f| match f {
                Fate::Unused(n) => *n,
                Fate::RunsOut(_) => 0,
            })
            .fold(0u64, u64::saturating_add);
        need = need
            .saturating_mul(2)
            .max(need.saturating_add(leaked).saturating_add(1));
    }
    let order: Vec<&Resource> = prefix.iter().collect();
    let fs = forecast::forecasts(&order, pace, now);
    let end = forecast::all_run_out(&order, p.per_day, now);
    Ok(Reach {
        pace,
        packages: prefix.into_iter().zip(fs).collect(),
        end,
        complete,
    })
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
    for (kind, horizon) in kinds {
        let reach = reach(s, tenant, kind, horizon, now)?;
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
    for kind in forecast_kinds() {
        out.extend(soon(s, tenant, kind, now)?);
    }
    out.sort_by(|a, b| (a.1, &a.0.id).cmp(&(b.1, &b.0.id)));
    Ok(out)
}

fn soon<S: Store>(
    s: &mut S,
    tenant: &str,
    kind: ResourceKind,
    now: DateTime<Utc>,
) -> Result<Vec<(Resource, DateTime<Utc>)>, ApiError> {
    let reach = reach(
        s,
        tenant,
        kind,
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
    for (r, _) in soon(s, tenant, kind, now)? {
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
        s.add_notice(&NoticeRecord {
            id: format!("ntc-{tenant}-{seq:08}"),
            tenant_id: tenant.to_string(),
            resource_id: r.id.clone(),
            resource_name: r.name.clone(),
            resource_kind: r.kind,
            notice: Notice::RunningOut,
            at: now,
            read_by: Vec::new(),
        })?;
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
    for kind in forecast_kinds() {
        let reach = reach(s, tenant, kind, now + Duration::days(365), now)?;
        let (per_day, basis_hours, forecast) = match reach.pace {
            Ok(p) => (p.per_day.round() as u64, p.basis_hours, true),
            Err(NoPace::NotEnoughHistory { hours }) => (0, hours, false),
        };
        let price = kind.spec().postpaid;
        out.push(KindForecast {
            kind,
            per_day,
            basis_hours,
            forecast,
            packages_until: reach.end.filter(|_| reach.complete),
            beyond_horizon: forecast && !reach.complete && reach.end.is_some(),
            postpaid_cents_per_day: price.map_or(0, |p| p.of(per_day)),
        });
    }
    Ok(out)
}

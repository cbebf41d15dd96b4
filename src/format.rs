//! How values read on screen: amounts with units, instants with their zone,
//! and labels for the rules core's enums.

use billing_rules::format::{compact, compact_wan, grouped};
use billing_rules::model::{ResourceKind, Source, Unit};
use billing_rules::status::Status;
use chrono::{DateTime, FixedOffset, Utc};

use crate::i18n::{td_string, Locale};

/// A unit's name for an amount of `n` ("1 token", "2 tokens").
pub fn unit_name(unit: Unit, n: u64, l: Locale) -> String {
    match unit {
        Unit::Tokens => td_string!(l, unit_tokens, count = n).to_string(),
        Unit::Calls => td_string!(l, unit_calls, count = n).to_string(),
        Unit::ConcurrentRequests => td_string!(l, unit_concurrent, count = n).to_string(),
        Unit::Characters => td_string!(l, unit_characters, count = n).to_string(),
    }
}

/// "9.5M" in English; "950万" in Chinese (万 and 亿, as Chinese readers
/// count). Never rounded up.
pub fn amount_short(n: u64, l: Locale) -> String {
    match l {
        Locale::en => compact(n),
        Locale::zh => compact_wan(n),
    }
}

/// "9,500,000 tokens" for titles and screen readers: exact, grouped by
/// thousands in both languages.
pub fn amount_exact(n: u64, unit: Unit, l: Locale) -> String {
    td_string!(l, amount, n = grouped(n), unit = unit_name(unit, n, l)).to_string()
}

pub fn kind_label(k: ResourceKind, l: Locale) -> String {
    match k {
        ResourceKind::TokenPackage => td_string!(l, kind_token),
        ResourceKind::SearchPackage => td_string!(l, kind_search),
        ResourceKind::ConcurrencyQuota => td_string!(l, kind_concurrency),
        ResourceKind::KnowledgeCapacity => td_string!(l, kind_knowledge),
    }
    .to_string()
}

/// Who paid for a part of a metering event.
pub fn pool_label(p: billing_rules::deduction::Pool, l: Locale) -> &'static str {
    match p {
        billing_rules::deduction::Pool::FreeTrial => td_string!(l, pool_free_trial),
        billing_rules::deduction::Pool::Purchased => td_string!(l, pool_purchased),
        billing_rules::deduction::Pool::Postpaid => td_string!(l, pool_postpaid),
    }
}

pub fn source_label(s: Source, l: Locale) -> String {
    match s {
        Source::FreeTrial => td_string!(l, source_trial),
        Source::Purchased => td_string!(l, source_purchased),
    }
    .to_string()
}

pub fn status_label(s: Option<Status>, l: Locale) -> String {
    match s {
        None => td_string!(l, status_all),
        Some(Status::Available) => td_string!(l, status_available),
        Some(Status::Exhausted) => td_string!(l, status_exhausted),
        Some(Status::Expired) => td_string!(l, status_expired),
        Some(Status::NotYetEffective) => td_string!(l, status_not_yet),
        Some(Status::Refunded) => td_string!(l, status_refunded),
    }
    .to_string()
}

pub use billing_rules::format::zone_label;

/// The browser's zone offset at instant `t`, in seconds east of UTC.
#[cfg(target_arch = "wasm32")]
pub fn browser_offset_secs(t: DateTime<Utc>) -> i32 {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(t.timestamp_millis() as f64));
    -(d.get_timezone_offset() as i32) * 60
}

#[cfg(not(target_arch = "wasm32"))]
pub fn browser_offset_secs(_t: DateTime<Utc>) -> i32 {
    0
}

/// "2026-12-05 23:59:59 (UTC+8)" in a given offset.
pub fn instant_in(t: DateTime<Utc>, offset_secs: i32) -> String {
    format!(
        "{} ({})",
        billing_rules::format::date_time(&in_offset(t, offset_secs)),
        zone_label(offset_secs)
    )
}

/// `t` at `offset_secs` east of UTC (UTC for an impossible offset).
fn in_offset(t: DateTime<Utc>, offset_secs: i32) -> DateTime<FixedOffset> {
    let off = FixedOffset::east_opt(offset_secs)
        .unwrap_or(FixedOffset::east_opt(0).expect("zero offset"));
    t.with_timezone(&off)
}

/// "2026-12-14 (UTC+8)": the day of `t` in the display zone, the zone
/// written beside it (forecasts are good to the day, not the second).
pub fn day(t: DateTime<Utc>) -> String {
    let offset_secs = offset_at(t);
    format!(
        "{} ({})",
        in_offset(t, offset_secs).format("%Y-%m-%d"),
        zone_label(offset_secs)
    )
}

/// The zone dates are shown in: the browser's own (default), the
/// platform's home zone UTC+8, or UTC. Badges and days left never depend on
/// it: they come from instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisplayZone {
    Browser,
    Utc8,
    Utc,
}

impl DisplayZone {
    pub const ALL: [DisplayZone; 3] = [DisplayZone::Browser, DisplayZone::Utc8, DisplayZone::Utc];

    pub fn slug(self) -> &'static str {
        match self {
            DisplayZone::Browser => "browser",
            DisplayZone::Utc8 => "utc+8",
            DisplayZone::Utc => "utc",
        }
    }

    pub fn from_slug(s: &str) -> Option<DisplayZone> {
        DisplayZone::ALL.into_iter().find(|z| z.slug() == s)
    }

    /// Seconds east of UTC at instant `t`.
    pub fn offset_at(self, t: DateTime<Utc>) -> i32 {
        match self {
            DisplayZone::Browser => browser_offset_secs(t),
            DisplayZone::Utc8 => 8 * 3600,
            DisplayZone::Utc => 0,
        }
    }
}

/// The display zone as a signal, in context: dates drawn inside reactive
/// closures read it and are drawn again when it changes, without
/// refetching anything.
#[derive(Clone, Copy)]
pub struct ZoneSignal(pub leptos::prelude::RwSignal<DisplayZone>);

thread_local! {
    static ZONE: std::cell::Cell<DisplayZone> = const { std::cell::Cell::new(DisplayZone::Browser) };
    static ZONE_SIGNAL: std::cell::Cell<Option<leptos::prelude::RwSignal<DisplayZone>>> =
        const { std::cell::Cell::new(None) };
}

/// Provide the display zone: the one remembered in this browser, else the
/// browser's own. Call once, when the console starts.
pub fn provide_display_zone() -> ZoneSignal {
    let z = crate::storage::get(crate::storage::ZONE_KEY)
        .as_deref()
        .and_then(DisplayZone::from_slug)
        .unwrap_or(DisplayZone::Browser);
    ZONE.with(|c| c.set(z));
    let signal = leptos::prelude::RwSignal::new(z);
    ZONE_SIGNAL.with(|c| c.set(Some(signal)));
    leptos::prelude::provide_context(ZoneSignal(signal));
    ZoneSignal(signal)
}

/// Choose the display zone: every date on screen is drawn again in it.
pub fn set_display_zone(z: DisplayZone) {
    use leptos::prelude::Set;
    ZONE.with(|c| c.set(z));
    if let Some(s) = ZONE_SIGNAL.with(|c| c.get()) {
        s.try_set(z);
    }
}

/// The display zone now (tracked when read inside a reactive closure).
pub fn display_zone() -> DisplayZone {
    use leptos::prelude::{GetUntracked, Track};
    let signal = ZONE_SIGNAL.with(|c| c.get());
    if let Some(s) = signal {
        // Drawn in a reactive closure: drawn again when the zone changes.
        if leptos::reactive::graph::Observer::get().is_some() {
            s.track();
        }
        if let Some(z) = s.try_get_untracked() {
            return z;
        }
    }
    ZONE.with(|c| c.get())
}

/// The display zone's offset at `t`.
pub fn offset_at(t: DateTime<Utc>) -> i32 {
    display_zone().offset_at(t)
}

/// An instant in the chosen display zone, the zone written beside it.
pub fn instant(t: DateTime<Utc>) -> String {
    instant_in(t, offset_at(t))
}

/// "59 min 58 s", "2 h 5 min" ("59 分 58 秒").
pub fn duration_words(secs: i64, l: Locale) -> String {
    let secs = secs.max(0);
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        td_string!(l, dur_h_min, h, m).to_string()
    } else if m > 0 {
        td_string!(l, dur_m_s, m, s).to_string()
    } else {
        td_string!(l, dur_s, s).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn instants_carry_their_zone() {
        let t = Utc.with_ymd_and_hms(2026, 12, 5, 15, 59, 59).unwrap();
        assert_eq!(instant_in(t, 8 * 3600), "2026-12-05 23:59:59 (UTC+8)");
        assert_eq!(instant_in(t, 0), "2026-12-05 15:59:59 (UTC)");
        assert_eq!(
            instant_in(t, -(3 * 3600 + 1800)),
            "2026-12-05 12:29:59 (UTC-3:30)"
        );
    }

    #[test]
    fn amounts_and_durations_in_both_languages() {
        use Locale::{en, zh};
        assert_eq!(amount_exact(1, Unit::Calls, en), "1 call");
        assert_eq!(amount_exact(2, Unit::Calls, en), "2 calls");
        assert_eq!(
            amount_exact(9_500_000, Unit::Tokens, en),
            "9,500,000 tokens"
        );
        assert_eq!(amount_exact(9_500_000, Unit::Tokens, zh), "9,500,000 Token");
        assert_eq!(amount_short(9_500_000, en), "9.5M");
        assert_eq!(amount_short(9_500_000, zh), "950万");
        assert_eq!(duration_words(3599, en), "59 min 59 s");
        assert_eq!(duration_words(7500, en), "2 h 5 min");
        assert_eq!(duration_words(7500, zh), "2 小时 5 分");
    }
}

//! How values read on screen: amounts with units, instants with their zone,
//! and labels for the rules core's enums.

use billing_rules::format::{compact, grouped};
use billing_rules::model::{ResourceKind, Source, Unit};
use billing_rules::status::Status;
use chrono::{DateTime, FixedOffset, Utc};

pub fn unit_name(unit: Unit, n: u64) -> &'static str {
    match (unit, n == 1) {
        (Unit::Tokens, true) => "token",
        (Unit::Tokens, false) => "tokens",
        (Unit::Calls, true) => "call",
        (Unit::Calls, false) => "calls",
        (Unit::ConcurrentRequests, true) => "concurrent request",
        (Unit::ConcurrentRequests, false) => "concurrent requests",
        (Unit::Characters, true) => "character",
        (Unit::Characters, false) => "characters",
    }
}

/// "9.5M" for display.
pub fn amount_short(n: u64) -> String {
    compact(n)
}

/// "9,500,000 tokens" for titles and screen readers.
pub fn amount_exact(n: u64, unit: Unit) -> String {
    format!("{} {}", grouped(n), unit_name(unit, n))
}

pub fn kind_label(k: ResourceKind) -> &'static str {
    match k {
        ResourceKind::TokenPackage => "Token package",
        ResourceKind::SearchPackage => "Search package",
        ResourceKind::ConcurrencyQuota => "Concurrency quota",
        ResourceKind::KnowledgeCapacity => "Knowledge capacity",
    }
}

pub fn source_label(s: Source) -> &'static str {
    match s {
        Source::FreeTrial => "Free trial",
        Source::Purchased => "Purchased",
    }
}

pub fn status_label(s: Option<Status>) -> &'static str {
    match s {
        None => "All",
        Some(Status::Available) => "Available",
        Some(Status::Exhausted) => "Exhausted",
        Some(Status::Expired) => "Expired",
        Some(Status::NotYetEffective) => "Not yet effective",
        Some(Status::Refunded) => "Refunded",
    }
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
    let off = FixedOffset::east_opt(offset_secs)
        .unwrap_or(FixedOffset::east_opt(0).expect("zero offset"));
    format!(
        "{} ({})",
        billing_rules::format::date_time(&t.with_timezone(&off)),
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

thread_local! {
    static ZONE: std::cell::Cell<DisplayZone> = const { std::cell::Cell::new(DisplayZone::Browser) };
}

/// Choose the display zone (the caller re-renders).
pub fn set_display_zone(z: DisplayZone) {
    ZONE.with(|c| c.set(z));
}

pub fn display_zone() -> DisplayZone {
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

/// "59 min 58 s", "2 h 5 min".
pub fn duration_words(secs: i64) -> String {
    let secs = secs.max(0);
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h} h {m} min")
    } else if m > 0 {
        format!("{m} min {s} s")
    } else {
        format!("{s} s")
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
    fn amounts_and_durations() {
        assert_eq!(amount_exact(1, Unit::Calls), "1 call");
        assert_eq!(amount_exact(9_500_000, Unit::Tokens), "9,500,000 tokens");
        assert_eq!(duration_words(3599), "59 min 59 s");
        assert_eq!(duration_words(7500), "2 h 5 min");
    }
}

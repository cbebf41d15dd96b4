//! Number and money formatting shared by every surface (messages, client).

/// 1234567 -> "1,234,567".
pub fn grouped(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// 1_250_000 -> "1.25M", 9_500 -> "9.5K", 999 -> "999". Truncated, never
/// rounded up, so a compact figure never overstates usage.
pub fn compact(n: u64) -> String {
    let (div, suffix) = if n >= 1_000_000_000 {
        (1_000_000_000, "B")
    } else if n >= 1_000_000 {
        (1_000_000, "M")
    } else if n >= 1_000 {
        (1_000, "K")
    } else {
        return n.to_string();
    };
    scaled(n, div, suffix)
}

/// `n` in units of `div`, two decimals at most, truncated: (1_250_000,
/// 1_000_000, "M") -> "1.25M". The whole part is grouped ("10,000亿").
fn scaled(n: u64, div: u64, suffix: &str) -> String {
    let whole = grouped(n / div);
    let hundredths = (n % div) * 100 / div;
    if hundredths == 0 {
        format!("{whole}{suffix}")
    } else if hundredths.is_multiple_of(10) {
        format!("{whole}.{}{suffix}", hundredths / 10)
    } else {
        format!("{whole}.{hundredths:02}{suffix}")
    }
}

/// The compact form Chinese readers expect: 万 (10⁴) and 亿 (10⁸) rather
/// than thousands and millions. 9_500_000 -> "950万", 125_000_000 ->
/// "1.25亿", 9_999 -> "9,999" (below 万 the exact figure, grouped).
/// Truncated like [`compact`].
pub fn compact_wan(n: u64) -> String {
    let (div, suffix) = if n >= 100_000_000 {
        (100_000_000, "亿")
    } else if n >= 10_000 {
        (10_000, "万")
    } else {
        return grouped(n);
    };
    scaled(n, div, suffix)
}

/// Cents to "$1,234.56" / "-$12.34".
pub fn money(cents: i64, currency: &str) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let sym = if currency == "USD" { "$" } else { "" };
    let tail = if currency == "USD" {
        String::new()
    } else {
        format!(" {currency}")
    };
    format!("{sign}{sym}{}.{:02}{tail}", grouped(abs / 100), abs % 100)
}

/// "2026-12-05 23:59:59" for a date-time in any zone, without chrono's
/// strftime machinery (which weighs on the wasm bundle).
pub fn date_time<Tz: chrono::TimeZone>(t: &chrono::DateTime<Tz>) -> String {
    use chrono::{Datelike, Timelike};
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// "UTC+8", "UTC-3:30", "UTC" for an offset in seconds east of UTC.
pub fn zone_label(offset_secs: i32) -> String {
    if offset_secs == 0 {
        return "UTC".into();
    }
    let sign = if offset_secs < 0 { '-' } else { '+' };
    let m = offset_secs.unsigned_abs() / 60;
    if m.is_multiple_of(60) {
        format!("UTC{sign}{}", m / 60)
    } else {
        format!("UTC{sign}{}:{:02}", m / 60, m % 60)
    }
}

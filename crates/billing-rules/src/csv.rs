//! CSV export of the resource list (RFC 4180: fields with a comma, quote or
//! line break are quoted, quotes doubled), times with their zone. A text
//! cell that a spreadsheet would run as a formula (starting with `=`, `+`,
//! `-`, `@`, a tab or a carriage return) is prefixed with `'`, as OWASP
//! advises, so opening an export never runs a name someone typed.

use chrono::{DateTime, FixedOffset, Utc};

use crate::api::ResourceRow;
use crate::format::{date_time, zone_label};

fn field(s: &str) -> String {
    let s = &neutralise(s);
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A text cell as a spreadsheet will take it: never as a formula.
pub fn neutralise(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

fn when(t: DateTime<Utc>, offset_secs: i32) -> String {
    let off = FixedOffset::east_opt(offset_secs).unwrap_or(FixedOffset::east_opt(0).expect("zero"));
    format!(
        "{} ({})",
        date_time(&t.with_timezone(&off)),
        zone_label(offset_secs)
    )
}

pub const HEADER: [&str; 10] = [
    "ID",
    "Name",
    "Type",
    "Source",
    "Status",
    "Used",
    "Total",
    "Unit",
    "Effective time",
    "Expiration time",
];

/// The rows as CSV, under `header` (the [`HEADER`] columns, in the
/// reader's language); `offset_at` gives the display zone's offset (seconds
/// east of UTC) at an instant.
pub fn to_csv(
    rows: &[ResourceRow],
    header: [&str; 10],
    offset_at: impl Fn(DateTime<Utc>) -> i32,
) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            let r = &row.resource;
            vec![
                r.id.clone(),
                r.name.clone(),
                r.kind.slug().to_string(),
                format!("{:?}", r.source),
                row.status.slug().to_string(),
                r.used.to_string(),
                r.total.to_string(),
                format!("{:?}", r.kind.unit()),
                when(r.effective_at, offset_at(r.effective_at)),
                when(r.expires_at, offset_at(r.expires_at)),
            ]
        })
        .collect();
    table(&header, &cells)
}

/// Any table as CSV: every cell quoted as needed and never a formula.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = header
        .iter()
        .map(|h| field(h))
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    for row in rows {
        out.push_str(&row.iter().map(|c| field(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

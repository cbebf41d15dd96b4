//! Rows and domain values: instants as Unix nanoseconds, enums by name,
//! the resource row's derived columns.

use billing_rules::model::{Resource, Source, User};
use billing_rules::status::Status;
use billing_rules::usage::used_basis_points;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::sql::{DbError, Row, V};

/// Unix nanoseconds: exact for every instant from 1677 to 2262.
pub fn ns(t: DateTime<Utc>) -> i64 {
    t.timestamp_nanos_opt().unwrap_or(if t.timestamp() < 0 {
        i64::MIN
    } else {
        i64::MAX
    })
}

pub fn from_ns(n: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(n)
}

/// A fieldless enum as its name ("TokenPackage"), anything else as JSON.
pub(super) fn tag<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

pub(super) fn untag<T: DeserializeOwned>(s: &str) -> Result<T, DbError> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .or_else(|_| serde_json::from_str(s))
        .map_err(|e| DbError::new(format!("stored value {s:?}: {e}")))
}

/// Lower-cased id and name, as the list's search matches them.
pub fn search_key(r: &Resource) -> String {
    format!("{}\u{1}{}", r.id.to_lowercase(), r.name.to_lowercase())
}

/// The `draw_rank` column: free trials (0) are drawn before purchases (1).
pub(super) fn draw_rank(r: &Resource) -> i64 {
    (r.source != Source::FreeTrial) as i64
}

pub(super) const RES_COLS: &str =
    "tenant_id, id, name, kind, source, total, used, effective_at, expires_at, model, refunded";

pub(super) fn resource(row: &Row) -> Result<Resource, DbError> {
    Ok(Resource {
        tenant_id: row.text("tenant_id"),
        id: row.text("id"),
        name: row.text("name"),
        kind: untag(&row.text("kind"))?,
        source: untag(&row.text("source"))?,
        total: row.u64("total"),
        used: row.u64("used"),
        effective_at: from_ns(row.int("effective_at")),
        expires_at: from_ns(row.int("expires_at")),
        model: row.opt_text("model"),
        refunded: row.int("refunded") != 0,
    })
}

pub(super) fn resources(rows: Vec<Row>) -> Result<Vec<Resource>, DbError> {
    rows.iter().map(resource).collect()
}

pub(super) fn user(row: &Row) -> Result<User, DbError> {
    Ok(User {
        id: row.text("id"),
        tenant_id: row.text("tenant_id"),
        name: row.text("name"),
        role: untag(&row.text("role"))?,
        postpaid_permission: row.int("postpaid_permission") != 0,
    })
}

pub(super) const USER_COLS: &str = "id, tenant_id, name, role, postpaid_permission";

pub(super) fn resource_params(r: &Resource, s: Status, due: Option<DateTime<Utc>>) -> Vec<V> {
    vec![
        (&r.tenant_id).into(),
        (&r.id).into(),
        (&r.name).into(),
        tag(&r.kind).into(),
        tag(&r.source).into(),
        r.total.into(),
        r.used.into(),
        ns(r.effective_at).into(),
        ns(r.expires_at).into(),
        r.model.as_deref().into(),
        r.refunded.into(),
        tag(&r.kind.tab()).into(),
        tag(&s).into(),
        (used_basis_points(r.used, r.total) as i64).into(),
        draw_rank(r).into(),
        search_key(r).into(),
        due.map(ns).into(),
    ]
}

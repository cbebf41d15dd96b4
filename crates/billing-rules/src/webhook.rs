//! Alert delivery to webhooks: the endpoints a tenant registers, the
//! events delivered to them (notices, reminders, budget alerts, overdue
//! changes, test events) and each delivery's state. Which URLs and
//! addresses may be called is decided here; the server resolves names,
//! signs and sends.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What [`check_url`] accepts without `--allow-private-webhooks`, as an
/// ECMA-262 pattern (the OpenAPI document's): `https://`, a host name or
/// IPv4 address, an optional port from 1 to 65535 (no leading zero), then a
/// path, query or fragment; no credentials, spaces or control characters.
pub const URL_PATTERN: &str = r"^[Hh][Tt][Tt][Pp][Ss]://[^/?#@\s\[\]:\x00-\x1f\x7f-\x9f]+(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?([/?#][^\s\x00-\x1f\x7f-\x9f]*)?$";

/// Endpoints per tenant.
pub const MAX_ENDPOINTS: usize = 10;
pub const MAX_URL_LEN: usize = 2048;

/// What happened, as an event's `Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EventType {
    /// A console notice (usage, expiry, running out, budget, overdue).
    Notice,
    /// A subscription reminder (remaining quota, days before expiry).
    Reminder,
    /// A budget threshold reached this month.
    BudgetAlert,
    /// Settlement took the balance below zero: services stop.
    AccountOverdue,
    /// A top-up brought the balance back to zero or more.
    AccountRestored,
    /// Sent from the console's "Send test event".
    Test,
}

/// The version of the events' JSON body (see [`Event::version`]).
pub const PAYLOAD_VERSION: u32 = 2;

/// An event, as delivered (the JSON body every endpoint receives).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Event {
    /// The payload's version: 2 since every field is PascalCase (a notice's
    /// `Days` and `Percent` were `days` and `percent`); absent in events
    /// queued before.
    #[serde(default)]
    pub version: u32,
    /// Unique per tenant: receivers de-duplicate by it.
    pub id: String,
    pub tenant_id: String,
    #[serde(rename = "Type")]
    pub kind: EventType,
    pub at: DateTime<Utc>,
    /// What the event is about (a notice, a reminder, a threshold...).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: serde_json::Value,
}

/// A registered endpoint (its secret is shown once, when created).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Endpoint {
    pub id: String,
    pub tenant_id: String,
    pub url: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DeliveryState {
    /// Not delivered yet: the first attempt, or a retry, is due.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Given up: retried for the whole delivery window, or refused (an
    /// address that may not be called).
    Failed,
}

/// One event's delivery to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Delivery {
    pub endpoint_id: String,
    pub event_id: String,
    #[serde(rename = "EventType")]
    pub event_kind: EventType,
    pub event_at: DateTime<Utc>,
    pub state: DeliveryState,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The last answer's HTTP status, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status: Option<u16>,
    /// Why the last attempt failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When the next attempt is due (pending only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// A URL's parts that decide where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub https: bool,
    pub host: String,
    pub port: u16,
}

/// Whether `url` may be registered: `https://` (or, only when private
/// targets are allowed, `http://`), a host, no credentials, at most
/// [`MAX_URL_LEN`] characters. A literal address is checked as a resolved
/// one would be ([`address_allowed`]).
pub fn check_url(url: &str, allow_private: bool) -> Result<Target, String> {
    let target = parse_url(url, allow_private)?;
    if !allow_private {
        target_allowed(&target)?;
    }
    Ok(target)
}

/// The URL's form only ([`URL_PATTERN`], and `http://` too when private
/// targets are allowed): a refusal here is a malformed request.
pub fn parse_url(url: &str, allow_private: bool) -> Result<Target, String> {
    if url.len() > MAX_URL_LEN {
        return Err(format!("The URL is longer than {MAX_URL_LEN} characters."));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("The URL contains spaces or control characters.".into());
    }
    let (https, rest) = if let Some(r) = strip_prefix_ci(url, "https://") {
        (true, r)
    } else if let Some(r) = strip_prefix_ci(url, "http://").filter(|_| allow_private) {
        (false, r)
    } else {
        return Err("Only https:// URLs can receive alerts.".into());
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err("The URL must not carry a user name or password.".into());
    }
    let (host, port) = match authority.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    if host.is_empty() {
        return Err("The URL has no host.".into());
    }
    if host.contains(['[', ']']) {
        return Err("Give a host name or an IPv4 address (not an IPv6 literal).".into());
    }
    let port = match port {
        None => {
            if https {
                443
            } else {
                80
            }
        }
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|n| *n > 0 && !p.starts_with('0') && !p.starts_with('+'))
            .ok_or("The URL's port is not a number from 1 to 65535.")?,
    };
    Ok(Target {
        https,
        host: host.to_ascii_lowercase(),
        port,
    })
}

/// Whether a well-formed target may be called before its name is even
/// resolved: not this machine by name, not a literal private address.
pub fn target_allowed(t: &Target) -> Result<(), String> {
    if t.host == "localhost" || t.host.ends_with(".localhost") {
        return Err("Alerts cannot be sent to this machine (localhost).".into());
    }
    if let Ok(ip) = t.host.parse::<IpAddr>() {
        address_allowed(ip, false)?;
    }
    Ok(())
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    (s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix))
        .then(|| &s[prefix.len()..])
}

/// Whether an address a webhook's host resolved to may be called: public
/// unicast only, unless private targets are allowed (the server's
/// `--allow-private-webhooks`).
pub fn address_allowed(ip: IpAddr, allow_private: bool) -> Result<(), String> {
    if allow_private || is_public(ip) {
        Ok(())
    } else {
        Err(format!(
            "{ip} is a private, loopback, link-local or reserved address: alerts go only to public addresses."
        ))
    }
}

/// Public unicast: not private, loopback, link-local, shared (CGNAT),
/// documentation, benchmarking, multicast, broadcast or unspecified; an
/// IPv4-mapped IPv6 address is judged as its IPv4 address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_unspecified()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x64 && s[1] == 0xff9b) // NAT64 (may reach private v4)
        || s[..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible, deprecated
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_urls_to_public_hosts_are_allowed() {
        let t = check_url("https://hooks.example.com/billing?x=1", false).unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.https),
            ("hooks.example.com", 443, true)
        );
        assert_eq!(
            check_url("https://hooks.example.com:8443/", false)
                .unwrap()
                .port,
            8443
        );
        for bad in [
            "http://hooks.example.com/",
            "ftp://hooks.example.com/",
            "https://user:pw@hooks.example.com/",
            "https:///path",
            "https://localhost/",
            "https://127.0.0.1/",
            "https://10.1.2.3/",
            "https://169.254.169.254/latest/meta-data",
            "https://[2606:2800:220:1::1]/",
            "https://a:b:443/",
            "https://hooks.example.com:0443/",
            "https://100.64.0.1/",
            "https://hooks.example.com:0/",
            "https://hooks.example.com:99999/",
            "https://hooks.example.com/a b",
        ] {
            assert!(check_url(bad, false).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_pattern_in_the_api_document_says_the_same_as_the_check() {
        // The pattern's pieces, checked on the examples above by hand: the
        // authority is host[:port] with no '@', '[', ']' or extra ':'.
        assert!(URL_PATTERN.starts_with("^[Hh][Tt][Tt][Pp][Ss]://"));
        assert!(URL_PATTERN.contains("6553[0-5]"));
        assert!(parse_url("HTTPS://Hooks.Example.com:65535/x?y#z", false).is_ok());
        assert!(parse_url("https://hooks.example.com:65536/", false).is_err());
    }

    #[test]
    fn the_private_flag_allows_loopback_and_plain_http() {
        let t = check_url("http://127.0.0.1:9000/hook", true).unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.https),
            ("127.0.0.1", 9000, false)
        );
        assert!(address_allowed("127.0.0.1".parse().unwrap(), true).is_ok());
    }

    #[test]
    fn resolved_addresses_are_judged_as_public_or_not() {
        for (ip, public) in [
            ("93.184.216.34", true),
            ("2606:2800:220:1:248:1893:25c8:1946", true),
            ("192.168.1.1", false),
            ("172.16.0.1", false),
            ("0.0.0.0", false),
            ("255.255.255.255", false),
            ("fe80::1", false),
            ("::ffff:10.0.0.1", false),
            ("64:ff9b::a00:1", false),
        ] {
            assert_eq!(is_public(ip.parse().unwrap()), public, "{ip}");
        }
    }
}

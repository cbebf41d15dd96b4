//! What this browser remembers, in one place: the language, the display
//! zone, and which informational notices each user dismissed. Storage that
//! is missing or refuses (private mode, quota) is treated as empty: the
//! console then simply does not remember.

use leptos::prelude::window;

/// The language picked in the header.
pub const LANG_KEY: &str = "billing-console.language";
/// The display zone picked in the header.
pub const ZONE_KEY: &str = "billing-console.display-zone";

/// Where a dismissed notice is remembered: per user, so another user of
/// the same browser still sees it.
pub fn dismissed_key(user_id: &str, notice: &str) -> String {
    format!("billing-console.dismissed.{user_id}.{notice}")
}

fn local() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

pub fn get(key: &str) -> Option<String> {
    local().and_then(|s| s.get_item(key).ok().flatten())
}

pub fn set(key: &str, value: &str) {
    if let Some(s) = local() {
        let _ = s.set_item(key, value);
    }
}

pub fn remove(key: &str) {
    if let Some(s) = local() {
        let _ = s.remove_item(key);
    }
}

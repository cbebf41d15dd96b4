//! English and Simplified Chinese. The strings live in `locales/en.json`
//! and `locales/zh.json`; `build.rs` turns them into the typed `i18n`
//! module with leptos_i18n (a key missing from either file fails the
//! build). The language follows the browser until the user picks one in
//! the header; the pick is remembered in this browser.

// The generated module is itself called `i18n`.
#![allow(clippy::module_inception)]

use leptos::prelude::*;
use leptos_i18n::I18nContext;

include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));
pub use i18n::*;

pub use crate::storage::LANG_KEY;

pub const LOCALES: [Locale; 2] = [Locale::en, Locale::zh];

/// The console's language now. Screens read it as they are drawn; the
/// frame is drawn again when it changes.
pub fn locale() -> Locale {
    use_context::<I18nContext<Locale>>()
        .map(|c| c.get_locale_untracked())
        .unwrap_or_default()
}

/// The `lang` attribute for the page.
pub fn html_lang(l: Locale) -> &'static str {
    match l {
        Locale::en => "en",
        Locale::zh => "zh-Hans",
    }
}

/// Each language's name in itself, as language menus show them.
pub fn native_name(l: Locale) -> &'static str {
    match l {
        Locale::en => "English",
        Locale::zh => "简体中文",
    }
}

/// Provide the language context: the remembered choice, else the
/// browser's languages, else English. Keeps `<html lang>` in step.
pub fn provide_i18n() -> I18nContext<Locale> {
    let saved = crate::storage::get(LANG_KEY).and_then(|s| s.parse::<Locale>().ok());
    let ctx = match saved {
        Some(l) => leptos_i18n::context::init_i18n_subcontext(Some(Signal::stored(l))),
        None => leptos_i18n::context::init_i18n_context(),
    };
    provide_context(ctx);
    provide_context(Drawn(RwSignal::new(ctx.get_locale_untracked())));
    Effect::new(move |_| {
        let l = ctx.get_locale();
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("lang", html_lang(l));
        }
        document().set_title(td_string!(l, app_title));
    });
    ctx
}

/// The language the frame was last drawn in; it changes only when the
/// user picks another, and the frame is drawn again then.
#[derive(Clone, Copy)]
pub struct Drawn(pub RwSignal<Locale>);

/// Track the drawn language (for the one closure that draws the frame).
pub fn track_drawn() {
    if let Some(Drawn(d)) = use_context::<Drawn>() {
        d.track();
    }
}

/// What the language menu calls when the user picks one: switch, redraw
/// and remember. Made while the console is drawn (it needs its context).
pub fn chooser() -> impl Fn(Locale) + Clone + 'static {
    let ctx = use_context::<I18nContext<Locale>>();
    let drawn = use_context::<Drawn>();
    move |l| {
        if let Some(ctx) = ctx {
            ctx.set_locale(l);
        }
        if let Some(Drawn(d)) = drawn {
            if d.get_untracked() != l {
                d.set(l);
            }
        }
        crate::storage::set(LANG_KEY, l.as_str());
    }
}

//! Generates the `i18n` module from `locales/{en,zh}.json` with
//! leptos_i18n's own parser and code generator. leptos_i18n treats a key
//! missing from a locale as a warning and falls back to English; here it
//! fails the build, so no screen can show an untranslated string.

use std::path::PathBuf;

use leptos_i18n_parser::parse_locales::options::{Config, ParseOptions};
use leptos_i18n_parser::parse_locales::parse_locales;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let cfg = Config::new("en")
        .and_then(|c| c.add_locale("zh"))
        .expect("locale names are valid")
        // Titles, aria-labels and CSV cells need translated strings, not views.
        .parse_options(ParseOptions::new().interpolate_display(true));
    let parsed = match parse_locales(None, cfg) {
        Ok(p) => p,
        Err(e) => fail(&[e.to_string()]),
    };
    for f in parsed.tracked_files.iter().flatten() {
        println!("cargo::rerun-if-changed={f}");
    }
    let problems: Vec<String> = parsed
        .diag
        .warnings()
        .iter()
        .map(ToString::to_string)
        .chain(parsed.diag.errors().iter().map(ToString::to_string))
        .collect();
    if !problems.is_empty() {
        fail(&problems);
    }
    let code = leptos_i18n_codegen::gen_code(&parsed, None, false, None, false)
        .unwrap_or_else(|e| fail(&[e.to_string()]));
    let dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("i18n");
    std::fs::create_dir_all(&dir).expect("OUT_DIR is writable");
    std::fs::write(dir.join("mod.rs"), code.to_string()).expect("OUT_DIR is writable");
}

fn fail(problems: &[String]) -> ! {
    for p in problems {
        println!("cargo::error=translations: {p}");
    }
    eprintln!("translations are incomplete:\n  {}", problems.join("\n  "));
    std::process::exit(1);
}

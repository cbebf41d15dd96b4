//! The built client, held in memory and served from there.
//!
//! Every file of `dist/` is read once per build: compressible ones get a
//! brotli (quality 11) and a gzip (level 9) copy, written beside the file
//! (`app.wasm.br`, `app.wasm.gz`) so the next start with the same build only
//! reads them. The CSP for the build is computed here too, from the inline
//! script in `index.html`. A request then costs a map lookup: no file IO, no
//! compression, no parsing of `index.html`.
//!
//! Trunk names every built asset with its content hash (`app-<hash>.wasm`):
//! those never change, so browsers may keep them a year (`immutable`);
//! `index.html` and unhashed files are revalidated (`no-cache`, `ETag`).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use sha2::{Digest, Sha256};

/// One file, in each encoding it is served in.
#[derive(Debug)]
pub struct Asset {
    pub identity: Bytes,
    pub br: Option<Bytes>,
    pub gzip: Option<Bytes>,
    pub content_type: HeaderValue,
    pub cache_control: HeaderValue,
    pub etag: HeaderValue,
}

/// The whole build.
#[derive(Debug)]
pub struct Assets {
    /// By URL path (`/index.html`, `/billing-console-<hash>.wasm`).
    files: HashMap<String, Asset>,
    /// The CSP the page needs, computed from this build's `index.html`.
    pub csp: HeaderValue,
    /// When `index.html` was written: a newer one means a new build.
    pub built: Option<SystemTime>,
}

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

fn content_type(path: &Path) -> (&'static str, bool) {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => ("text/html; charset=utf-8", true),
        "js" | "mjs" => ("text/javascript; charset=utf-8", true),
        "wasm" => ("application/wasm", true),
        "css" => ("text/css; charset=utf-8", true),
        "svg" => ("image/svg+xml", true),
        "json" => ("application/json", true),
        "webmanifest" => ("application/manifest+json", true),
        "txt" => ("text/plain; charset=utf-8", true),
        "png" => ("image/png", false),
        "ico" => ("image/x-icon", false),
        "woff2" => ("font/woff2", false),
        _ => ("application/octet-stream", false),
    }
}

/// Trunk's hashed names: `<stem>-<16 hex>.<ext>`.
pub fn is_hashed(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or("");
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, h)| h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// The compressed copy beside `src`, if it is at least as new as `src`;
/// otherwise compress now and write it (atomically: another server starting
/// on the same build at the same moment never reads half a file).
fn compressed(src: &Path, raw: &[u8], ext: &str, compress: fn(&[u8]) -> Vec<u8>) -> Bytes {
    let copy = PathBuf::from(format!("{}.{ext}", src.display()));
    if let (Some(a), Some(b)) = (mtime(src), mtime(&copy)) {
        if b >= a {
            if let Ok(bytes) = std::fs::read(&copy) {
                return bytes.into();
            }
        }
    }
    let out = compress(raw);
    let tmp = PathBuf::from(format!("{}.{}.tmp", copy.display(), std::process::id()));
    if std::fs::write(&tmp, &out).is_ok() && std::fs::rename(&tmp, &copy).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    out.into()
}

fn brotli_11(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() / 3);
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 1 << 16, 11, 22);
        let _ = w.write_all(raw);
    }
    out
}

fn gzip_9(raw: &[u8]) -> Vec<u8> {
    let mut w = flate2::write::GzEncoder::new(
        Vec::with_capacity(raw.len() / 3),
        flate2::Compression::best(),
    );
    let _ = w.write_all(raw);
    w.finish().unwrap_or_default()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if !matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("br" | "gz" | "tmp")
        ) {
            out.push(p);
        }
    }
}

impl Assets {
    /// Read (and, once per build, compress) every file of `dist`.
    pub fn load(dist: &Path) -> Assets {
        let mut paths = Vec::new();
        walk(dist, &mut paths);
        let built = mtime(&dist.join("index.html"));
        // The big files compress on their own threads.
        let files: HashMap<String, Asset> = std::thread::scope(|s| {
            let handles: Vec<_> = paths
                .iter()
                .map(|p| s.spawn(move || (p, Self::one(p))))
                .collect();
            handles
                .into_iter()
                .filter_map(|h| h.join().ok())
                .filter_map(|(p, a)| {
                    let rel = p.strip_prefix(dist).ok()?.to_str()?.replace('\\', "/");
                    Some((format!("/{rel}"), a?))
                })
                .collect()
        });
        let html = files
            .get("/index.html")
            .map(|a| String::from_utf8_lossy(&a.identity).into_owned());
        let csp = HeaderValue::from_str(&content_security_policy(html.as_deref()))
            .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"));
        Assets { files, csp, built }
    }

    fn one(p: &Path) -> Option<Asset> {
        let raw = std::fs::read(p).ok()?;
        let (ctype, compressible) = content_type(p);
        let name = p.file_name()?.to_str()?;
        let worth = compressible && raw.len() > 512;
        // A compressed copy is kept only when it is smaller.
        let smaller = |c: Bytes| (c.len() < raw.len()).then_some(c);
        let br = worth
            .then(|| compressed(p, &raw, "br", brotli_11))
            .and_then(smaller);
        let gzip = worth
            .then(|| compressed(p, &raw, "gz", gzip_9))
            .and_then(smaller);
        let digest = Sha256::digest(&raw);
        let etag = format!(
            "\"{}\"",
            digest[..12]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        Some(Asset {
            br,
            gzip,
            content_type: HeaderValue::from_static(ctype),
            cache_control: HeaderValue::from_static(if is_hashed(name) {
                IMMUTABLE
            } else {
                REVALIDATE
            }),
            etag: HeaderValue::from_str(&etag).ok()?,
            identity: raw.into(),
        })
    }

    /// The file for a request path: the file itself, or `index.html` for a
    /// page of the console (a path without a file extension).
    pub fn lookup(&self, path: &str) -> Option<&Asset> {
        if let Some(a) = self.files.get(path) {
            return Some(a);
        }
        let last = path.rsplit('/').next().unwrap_or("");
        if last.contains('.') {
            return None;
        }
        self.files.get("/index.html")
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Encoding {
    Br,
    Gzip,
    Identity,
}

/// The best encoding the client accepts: brotli, then gzip, else none
/// (`;q=0` refuses one).
pub fn negotiate(accept: Option<&HeaderValue>) -> Encoding {
    let Some(accept) = accept.and_then(|v| v.to_str().ok()) else {
        return Encoding::Identity;
    };
    let accepts = |name: &str| {
        accept.split(',').any(|part| {
            let mut it = part.split(';');
            let coding = it.next().unwrap_or("").trim();
            let q_zero = it.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    == Some(0.0)
            });
            (coding.eq_ignore_ascii_case(name) || coding == "*") && !q_zero
        })
    };
    if accepts("br") {
        Encoding::Br
    } else if accepts("gzip") {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

impl Asset {
    /// The answer to a GET or HEAD for this file.
    pub fn respond(&self, req: &HeaderMap, head: bool) -> Response {
        let mut headers = HeaderMap::with_capacity(6);
        headers.insert(header::CACHE_CONTROL, self.cache_control.clone());
        headers.insert(header::ETAG, self.etag.clone());
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        if req
            .get(header::IF_NONE_MATCH)
            .is_some_and(|v| v.as_bytes() == self.etag.as_bytes())
        {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        let (body, coding) = match negotiate(req.get(header::ACCEPT_ENCODING)) {
            Encoding::Br if self.br.is_some() => (self.br.clone(), Some("br")),
            Encoding::Br | Encoding::Gzip if self.gzip.is_some() => {
                (self.gzip.clone(), Some("gzip"))
            }
            _ => (None, None),
        };
        let body = body.unwrap_or_else(|| self.identity.clone());
        headers.insert(header::CONTENT_TYPE, self.content_type.clone());
        if let Some(c) = coding {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(c));
        }
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
        if head {
            (headers, ()).into_response()
        } else {
            (headers, body).into_response()
        }
    }
}

/// A CSP the Trunk-built page works under: Trunk's inline module script is
/// allowed by its hash, wasm may be compiled, nothing else inline runs.
pub fn content_security_policy(index_html: Option<&str>) -> String {
    let mut hashes = String::new();
    if let Some(html) = index_html {
        let mut rest = html;
        while let Some(start) = rest.find("<script") {
            let after = &rest[start..];
            let Some(open_end) = after.find('>') else {
                break;
            };
            let Some(close) = after.find("</script>") else {
                break;
            };
            let body = &after[open_end + 1..close];
            if !after[..open_end].contains("src=") && !body.is_empty() {
                use base64::Engine;
                let digest = Sha256::digest(body.as_bytes());
                hashes.push_str(&format!(
                    " 'sha256-{}'",
                    base64::engine::general_purpose::STANDARD.encode(digest)
                ));
            }
            rest = &after[close + 9..];
        }
    }
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_are_trunks() {
        assert!(is_hashed("billing-console-0123456789abcdef_bg.wasm"));
        assert!(is_hashed("billing-console-0123456789abcdef.js"));
        assert!(is_hashed("main-a1b2c3d4e5f60718.css"));
        assert!(!is_hashed("index.html"));
        assert!(!is_hashed("favicon.svg"));
        assert!(!is_hashed("billing-console.js"));
    }

    #[test]
    fn encodings_are_negotiated() {
        let h = |s: &'static str| Some(HeaderValue::from_static(s));
        assert_eq!(
            negotiate(h("gzip, deflate, br, zstd").as_ref()),
            Encoding::Br
        );
        assert_eq!(negotiate(h("gzip").as_ref()), Encoding::Gzip);
        assert_eq!(negotiate(h("br;q=0, gzip").as_ref()), Encoding::Gzip);
        assert_eq!(negotiate(h("identity").as_ref()), Encoding::Identity);
        assert_eq!(negotiate(None), Encoding::Identity);
    }
}

//! The web console's files (`console/`, built by `scripts/build-console.sh` into
//! `console/dist`), embedded in the binary: the assets by path, and the page every console URL
//! loads, told which engine to talk to.

use std::borrow::Cow;

/// `console/dist`. A release build holds the files; a debug build reads them from the
/// directory when asked (so a rebuilt console is served without rebuilding the engine).
/// Missing (the console not built): the engine serves a page that says how to build it.
#[derive(rust_embed::Embed)]
#[folder = "../../console/dist"]
#[allow_missing = true]
struct Dist;

/// A file of the console.
pub struct File {
    pub bytes: Cow<'static, [u8]>,
    pub content_type: &'static str,
    /// Named after its content (Vite's `assets/<name>-<hash>.js`): cached for good.
    pub immutable: bool,
    /// `bytes` is the gzip-compressed copy the build made (`Content-Encoding: gzip`).
    pub gzip: bool,
}

/// Whether the console is in this binary.
pub fn is_built() -> bool {
    Dist::get("index.html").is_some()
}

/// A file of the console by its path under `/console/` (`assets/index-1a2b3c.js`), its
/// gzip-compressed copy when the client takes gzip and the build made one; the page itself is
/// [`page`].
pub fn file(path: &str, gzip_ok: bool) -> Option<File> {
    if path.is_empty() || path == "index.html" {
        return None;
    }
    let (f, gzip) = match Dist::get(&format!("{path}.gz")).filter(|_| gzip_ok) {
        Some(f) => (f, true),
        None => (Dist::get(path)?, false),
    };
    Some(File {
        bytes: f.data,
        content_type: content_type(path),
        immutable: path.starts_with("assets/"),
        gzip,
    })
}

/// Whether `path` names a file (an extension in its last segment) rather than a page of the
/// console's own routes: a missing file answers 404, a page the console.
pub fn looks_like_file(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'))
}

/// What the console is told when its page is served.
#[derive(Debug, Clone, Default)]
pub struct PageSettings {
    /// The engine's URL; empty: the origin that served the page.
    pub endpoint: String,
    /// The admin secret to use without asking (`rasura console` of a project that has one).
    pub admin_secret: Option<String>,
}

/// The page of every console URL (`index.html`), or `None` when the console is not built.
pub fn page(settings: &PageSettings) -> Option<String> {
    let f = Dist::get("index.html")?;
    let html = String::from_utf8_lossy(&f.data).into_owned();
    let mut html = set_meta(&html, "rasura-endpoint", &settings.endpoint);
    if let Some(secret) = &settings.admin_secret {
        html = set_meta(&html, "rasura-admin-secret", secret);
    }
    Some(html)
}

/// Sets the content of `<meta name="{name}" content="...">`, adding the tag to `<head>` when
/// the page lacks it.
fn set_meta(html: &str, name: &str, value: &str) -> String {
    let escaped = escape_attribute(value);
    let start_tag = format!("<meta name=\"{name}\" content=\"");
    if let Some(at) = html.find(&start_tag) {
        let from = at + start_tag.len();
        if let Some(len) = html[from..].find('"') {
            return format!("{}{escaped}{}", &html[..from], &html[from + len..]);
        }
    }
    let tag = format!("<meta name=\"{name}\" content=\"{escaped}\">");
    match html.find("</head>") {
        Some(at) => format!("{}{tag}{}", &html[..at], &html[at..]),
        None => format!("{tag}{html}"),
    }
}

fn escape_attribute(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The page served when the console is not in this binary.
pub const NOT_BUILT: &str = "<!doctype html><title>Rasura console</title>\
<p>The console is not built into this binary. Run <code>scripts/build-console.sh</code> \
(it needs Node.js and npm), then build the engine again.</p>";

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_content_is_set_escaped_or_added() {
        let html = "<html><head><meta name=\"rasura-endpoint\" content=\"\"></head></html>";
        assert_eq!(
            set_meta(html, "rasura-endpoint", "http://x\"y"),
            "<html><head><meta name=\"rasura-endpoint\" content=\"http://x&quot;y\"></head></html>"
        );
        assert_eq!(
            set_meta("<head></head>", "rasura-admin-secret", "s<3"),
            "<head><meta name=\"rasura-admin-secret\" content=\"s&lt;3\"></head>"
        );
    }

    #[test]
    fn files_and_pages_are_told_apart() {
        assert!(looks_like_file("assets/index-1a2b.js"));
        assert!(looks_like_file("favicon.ico"));
        assert!(!looks_like_file("data/default/schema/public"));
        assert!(!looks_like_file("api/api-explorer"));
        assert_eq!(
            content_type("assets/a.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("x.unknown"), "application/octet-stream");
    }
}

//! The web console (`rasura-console`) at `/console`: its assets, the page every console URL
//! loads (deep links work), `/` sent there, and the Codegen tab's scaffolds.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use crate::state::AppState;

/// `/` goes to the console, as in Hasura when the console is enabled.
pub async fn root() -> Redirect {
    Redirect::temporary("/console")
}

/// `/console`: the console's page.
pub async fn index(headers: HeaderMap) -> Response {
    serve("", &headers, &rasura_console::PageSettings::default())
}

/// `/console/<path>`: an asset, else the console's page (its own router shows the path).
pub async fn path(Path(path): Path<String>, headers: HeaderMap) -> Response {
    serve(&path, &headers, &rasura_console::PageSettings::default())
}

/// What a console path answers to a request with `headers`, the page told `settings` (also
/// used by `rasura console`).
pub fn serve(path: &str, headers: &HeaderMap, settings: &rasura_console::PageSettings) -> Response {
    let gzip_ok = headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    if let Some(f) = rasura_console::file(path, gzip_ok) {
        let cache = if f.immutable {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        let mut response = (
            [
                (header::CONTENT_TYPE, f.content_type),
                (header::CACHE_CONTROL, cache),
                (header::VARY, "accept-encoding"),
            ],
            f.bytes,
        )
            .into_response();
        if f.gzip {
            response.headers_mut().insert(
                header::CONTENT_ENCODING,
                header::HeaderValue::from_static("gzip"),
            );
        }
        return response;
    }
    if rasura_console::looks_like_file(path) {
        return (StatusCode::NOT_FOUND, "no such console file").into_response();
    }
    let (status, html) = match rasura_console::page(settings) {
        Some(html) => (StatusCode::OK, html),
        None => (StatusCode::NOT_FOUND, rasura_console::NOT_BUILT.to_string()),
    };
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        html,
    )
        .into_response()
}

/// `/console/api/codegen/<action>/<framework>`: the handler scaffold `rasura codegen action`
/// writes, for the console's Codegen tab (admin only: it shows the metadata).
pub async fn codegen(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((action, framework)): Path<(String, String)>,
) -> Response {
    if let Err(e) = crate::admin::require_admin(&state.auth, &headers) {
        return crate::wire_error::api_error(&e);
    }
    let md = state.engine.current().metadata.to_json();
    match rasura_codegen::generate(&md, &action, &framework) {
        Ok(code) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], code).into_response(),
        Err(e) => {
            crate::wire_error::api_error(&rasura_control::ApiError::bad_request("not-found", e))
        }
    }
}

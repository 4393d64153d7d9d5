//! The admin web page, served by the server itself under `/admin/` (no separate deploy).
//!
//! For team leads, on a desktop or a phone: sign in by approval (no password), approve
//! a new computer's sign-in code (`#approve=CODE`, what a phone opens after scanning the
//! QR code `qreply signin` shows), members and devices (roles, revoking), the sync
//! status board (who has the latest scripts), invite codes with a QR code (`#join=CODE`
//! explains joining), usage per reply, folder and member, and each team reply's history
//! with one-click restore (an ordinary `If-Match` write). Everything goes through
//! the public `/v1` API with the page's own device token (kept in `localStorage`); the
//! server gives the page nothing the API does not.
//!
//! The files in `crates/server/admin/` (`index.html`, `admin.css`, `admin.js` and the
//! modules it imports, [`ADMIN_MODULES`]) are embedded in the binary: plain ES module
//! JavaScript with JSDoc types (type-checked and linted by the UI leg of `cargo xtask
//! test`), no build step, no framework. Every answer carries a strict
//! Content-Security-Policy ([`CSP`]: own scripts, styles and images only, plus `data:`
//! images; no inline script or style), so a reply title that contains markup can never
//! run as script.
//!
//! `GET /admin/qr.svg?text=…` draws a QR code (SVG) of at most [`MAX_QR_TEXT`] bytes,
//! so that the page never needs a QR library of its own.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use serde::Deserialize;

use crate::Error;
use crate::extract::ApiQuery;
use crate::state::AppState;

/// The page's Content-Security-Policy.
pub const CSP: &str = "default-src 'self'; img-src 'self' data:; script-src 'self'; \
     style-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// Longest text a QR code is drawn for (bytes).
pub const MAX_QR_TEXT: usize = 1024;

const INDEX_HTML: &str = include_str!("../admin/index.html");
const ADMIN_JS: &str = include_str!("../admin/admin.js");
const ADMIN_CSS: &str = include_str!("../admin/admin.css");
/// The ES modules `admin.js` (the entry `index.html` loads) imports, by file name: each
/// is served at `/admin/<name>` as `admin.js` is. A test checks that every `.js` file of
/// `crates/server/admin/` is here and that every module they import is served.
const ADMIN_MODULES: &[(&str, &str)] = &[
    ("i18n.js", include_str!("../admin/i18n.js")),
    ("api.js", include_str!("../admin/api.js")),
    ("dom.js", include_str!("../admin/dom.js")),
    ("charts.js", include_str!("../admin/charts.js")),
    ("app.js", include_str!("../admin/app.js")),
    ("signin.js", include_str!("../admin/signin.js")),
    ("invite.js", include_str!("../admin/invite.js")),
    ("members.js", include_str!("../admin/members.js")),
    ("board.js", include_str!("../admin/board.js")),
    ("replies.js", include_str!("../admin/replies.js")),
    ("missed.js", include_str!("../admin/missed.js")),
    ("stale.js", include_str!("../admin/stale.js")),
    ("draft.js", include_str!("../admin/draft.js")),
    ("usage.js", include_str!("../admin/usage.js")),
    ("schedule.js", include_str!("../admin/schedule.js")),
    ("approve.js", include_str!("../admin/approve.js")),
    ("providers.js", include_str!("../admin/providers.js")),
    ("scan.js", include_str!("../admin/scan.js")),
    ("diff.js", include_str!("../admin/diff.js")),
    ("suggestions.js", include_str!("../admin/suggestions.js")),
];

/// The routes of the page (merged into the API's router).
pub(crate) fn routes() -> Router<AppState> {
    let router = Router::new()
        .route("/admin", get(|| async { Redirect::permanent("/admin/") }))
        .route("/admin/", get(|| async { page(INDEX_HTML, "text/html") }))
        .route(
            "/admin/index.html",
            get(|| async { page(INDEX_HTML, "text/html") }),
        )
        .route(
            "/admin/admin.js",
            get(|| async { page(ADMIN_JS, "text/javascript") }),
        )
        .route(
            "/admin/admin.css",
            get(|| async { page(ADMIN_CSS, "text/css") }),
        )
        .route("/admin/qr.svg", get(qr_svg));
    ADMIN_MODULES.iter().fold(router, |router, &(name, body)| {
        router.route(
            &format!("/admin/{name}"),
            get(move || async move { page(body, "text/javascript") }),
        )
    })
}

/// The headers every answer of the page carries.
fn secured(mut response: Response, content_type: &'static str) -> Response {
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Small files: always revalidated, so a server upgrade shows the new page at once.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn page(body: &'static str, kind: &'static str) -> Response {
    let content_type = match kind {
        "text/html" => "text/html; charset=utf-8",
        "text/javascript" => "text/javascript; charset=utf-8",
        _ => "text/css; charset=utf-8",
    };
    secured(body.into_response(), content_type)
}

#[derive(Deserialize)]
pub(crate) struct QrQuery {
    text: Option<String>,
}

/// `GET /admin/qr.svg?text=…`: the text as a QR code (error correction M).
async fn qr_svg(ApiQuery(q): ApiQuery<QrQuery>) -> Result<Response, Error> {
    let text = q.text.unwrap_or_default();
    if text.is_empty() {
        return Err(Error::BadRequest(
            "give the text to encode: /admin/qr.svg?text=…".into(),
        ));
    }
    if text.len() > MAX_QR_TEXT {
        return Err(Error::BadRequest(format!(
            "QR codes are drawn for at most {MAX_QR_TEXT} bytes of text"
        )));
    }
    let svg = qr(&text)?;
    Ok(secured(svg.into_response(), "image/svg+xml"))
}

/// The SVG of a QR code of `text`, with its quiet zone, black on white (scanners want
/// that even in dark mode).
fn qr(text: &str) -> Result<String, Error> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| Error::BadRequest(format!("this text does not fit a QR code: {e}")))?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(256, 256)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::net::SocketAddr;
    use std::time::Duration;

    use crate::{Config, Server};

    struct Running {
        server: Server,
        _dir: tempfile::TempDir,
    }

    async fn start() -> anyhow::Result<Running> {
        let dir = tempfile::tempdir()?;
        let server = crate::spawn(Config {
            data_dir: dir.path().to_path_buf(),
            listen: "127.0.0.1:0".into(),
            heartbeat: Duration::from_secs(60),
            ..Config::default()
        })
        .await?;
        Ok(Running { server, _dir: dir })
    }

    fn client() -> anyhow::Result<reqwest::Client> {
        Ok(reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?)
    }

    fn url(addr: SocketAddr, path: &str) -> String {
        format!("http://{addr}{path}")
    }

    #[tokio::test]
    async fn the_page_and_its_files_are_served_with_their_types_and_a_strict_csp()
    -> anyhow::Result<()> {
        let r = start().await?;
        let c = client()?;
        let addr = r.server.addr;

        let redirect = c.get(url(addr, "/admin")).send().await?;
        assert!(redirect.status().is_redirection(), "{}", redirect.status());
        assert_eq!(
            redirect
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok()),
            Some("/admin/")
        );

        for (path, kind, needle) in [
            (
                "/admin/",
                "text/html; charset=utf-8",
                "<meta charset=\"utf-8\">",
            ),
            (
                "/admin/admin.js",
                "text/javascript; charset=utf-8",
                "// @ts-check",
            ),
            (
                "/admin/admin.css",
                "text/css; charset=utf-8",
                "prefers-color-scheme",
            ),
        ] {
            let resp = c.get(url(addr, path)).send().await?;
            assert_eq!(resp.status(), 200, "{path}");
            let h = resp.headers().clone();
            let header_of = |name: header::HeaderName| {
                h.get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string()
            };
            assert_eq!(header_of(header::CONTENT_TYPE), kind, "{path}");
            let csp = header_of(header::CONTENT_SECURITY_POLICY);
            assert!(csp.starts_with("default-src 'self'"), "{path}: {csp}");
            assert!(csp.contains("img-src 'self' data:"), "{csp}");
            assert!(!csp.contains("unsafe-inline"), "{csp}");
            assert!(!csp.contains("unsafe-eval"), "{csp}");
            assert_eq!(header_of(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
            let body = resp.text().await?;
            assert!(body.contains(needle), "{path} lacks {needle}");
        }

        // The page has no inline script or style for the CSP to block.
        let html = c.get(url(addr, "/admin/")).send().await?.text().await?;
        assert!(!html.contains("<style"), "inline style");
        assert!(!html.contains("style="), "inline style attribute");
        assert!(!html.contains("<script>"), "inline script");
        assert!(html.contains("<script type=\"module\" src=\"admin.js\">"));

        // Unknown files under /admin are the API's JSON 404.
        let missing = c.get(url(addr, "/admin/nope.js")).send().await?;
        assert_eq!(missing.status(), 404);
        let body: serde_json::Value = missing.json().await?;
        assert_eq!(body["code"], "not_found");
        r.server.handle.stop().await?;
        Ok(())
    }

    #[tokio::test]
    async fn every_module_of_the_page_is_served_as_javascript_with_the_csp() -> anyhow::Result<()> {
        let r = start().await?;
        let c = client()?;
        let addr = r.server.addr;

        // Every .js file next to index.html is served: admin.js and the modules it imports.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("admin");
        let mut on_disk = Vec::new();
        for entry in std::fs::read_dir(&dir)? {
            let name = entry?.file_name().to_string_lossy().into_owned();
            if name.ends_with(".js") {
                on_disk.push(name);
            }
        }
        on_disk.sort();
        let mut served: Vec<String> = std::iter::once("admin.js")
            .chain(ADMIN_MODULES.iter().map(|&(name, _)| name))
            .map(String::from)
            .collect();
        served.sort();
        assert_eq!(
            on_disk, served,
            "ADMIN_MODULES lists every module in {dir:?}"
        );

        for name in &served {
            let path = format!("/admin/{name}");
            let resp = c.get(url(addr, &path)).send().await?;
            assert_eq!(resp.status(), 200, "{path}");
            let h = resp.headers().clone();
            let header_of = |name: header::HeaderName| {
                h.get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string()
            };
            assert_eq!(
                header_of(header::CONTENT_TYPE),
                "text/javascript; charset=utf-8",
                "{path}"
            );
            assert_eq!(header_of(header::CONTENT_SECURITY_POLICY), CSP, "{path}");
            assert_eq!(header_of(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
            assert_eq!(header_of(header::REFERRER_POLICY), "no-referrer");
            assert_eq!(header_of(header::X_FRAME_OPTIONS), "DENY");
            assert_eq!(header_of(header::CACHE_CONTROL), "no-cache");
            let body = resp.text().await?;
            assert_eq!(body, std::fs::read_to_string(dir.join(name))?, "{path}");
            assert!(body.starts_with("// @ts-check"), "{path}");

            // What it imports is served too, from the same folder.
            for line in body.lines().filter(|l| l.starts_with("import ")) {
                let Some((_, from)) = line.split_once(" from \"./") else {
                    panic!("{path}: {line} does not import a module next to it");
                };
                let imported = from.trim_end_matches("\";");
                assert!(
                    served.iter().any(|s| s == imported),
                    "{path} imports {imported}, which is not served"
                );
            }
        }
        r.server.handle.stop().await?;
        Ok(())
    }

    #[tokio::test]
    async fn qr_codes_are_svg_and_limited_to_1024_bytes_of_text() -> anyhow::Result<()> {
        let r = start().await?;
        let c = client()?;
        let addr = r.server.addr;

        let text = format!("http://{addr}/admin/#approve=ABCD-EFGH");
        let resp = c
            .get(url(addr, "/admin/qr.svg"))
            .query(&[("text", &text)])
            .send()
            .await?;
        assert_eq!(resp.status(), 200);
        assert_eq!(
            resp.headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some("image/svg+xml")
        );
        assert!(
            resp.headers()
                .get(header::CONTENT_SECURITY_POLICY)
                .is_some()
        );
        let svg = resp.text().await?;
        assert!(svg.contains("<svg"), "{svg}");
        assert!(svg.contains("<path"), "{svg}");

        // Exactly the limit (multi-byte characters count as their bytes) is drawn.
        let at_limit = "码".repeat(MAX_QR_TEXT / 3) + &"x".repeat(MAX_QR_TEXT % 3);
        assert_eq!(at_limit.len(), MAX_QR_TEXT);
        let ok = c
            .get(url(addr, "/admin/qr.svg"))
            .query(&[("text", &at_limit)])
            .send()
            .await?;
        assert_eq!(ok.status(), 200);

        for bad in [String::new(), "x".repeat(MAX_QR_TEXT + 1)] {
            let resp = c
                .get(url(addr, "/admin/qr.svg"))
                .query(&[("text", &bad)])
                .send()
                .await?;
            assert_eq!(resp.status(), 400, "{} bytes", bad.len());
            let body: serde_json::Value = resp.json().await?;
            assert_eq!(body["code"], "bad_request");
            assert!(
                body["message"].as_str().is_some_and(|m| !m.is_empty()),
                "{body}"
            );
        }
        let none = c.get(url(addr, "/admin/qr.svg")).send().await?;
        assert_eq!(none.status(), 400);
        r.server.handle.stop().await?;
        Ok(())
    }

    #[test]
    fn the_qr_svg_is_black_on_white_with_a_quiet_zone() -> anyhow::Result<()> {
        let svg = qr("hello")?;
        assert!(svg.contains("fill=\"#ffffff\""), "{svg}");
        assert!(svg.contains("fill=\"#000000\""), "{svg}");
        Ok(())
    }
}

//! The one-page browser chat client, `page.html`, served at `GET /`.

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

/// The page as written; `"__WSPROXY_WS_PATH__"` is replaced by the WebSocket path.
const TEMPLATE: &str = include_str!("page.html");
const PLACEHOLDER: &str = "\"__WSPROXY_WS_PATH__\"";

/// Headers of the page: inline script and style only, sockets anywhere (the page's
/// `?ws=` parameter may point elsewhere), nothing cached.
const CSP: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                   connect-src 'self' ws: wss:; img-src 'self' data:; base-uri 'none'; form-action 'none'";

/// The chat page, connecting to `ws://{location.host}{ws_path}` (`wss:` under https).
///
/// `ws_path` is the gateway's stage path, e.g. `/dev`; a missing leading `/` is added.
/// The page's own query may override it: `?ws=ws://127.0.0.1:9000/dev` (on another host
/// than the page's, only once the user agrees: the sockets carry the token), and preset
/// the form: `?user=bob&booking=b1` (`&autoconnect=1` connects at once).
pub fn page_html(ws_path: &str) -> String {
    let trimmed = ws_path.trim().trim_end_matches('/');
    let path = format!("/{}", trimmed.trim_start_matches('/'));
    // A JSON string is a JavaScript string; `<` escaped so `</script>` cannot end the script.
    let literal = serde_json::Value::String(path)
        .to_string()
        .replace('<', "\\u003c");
    TEMPLATE.replace(PLACEHOLDER, &literal)
}

/// `GET /`: the chat page (see [`page_html`]). Mount it on the gateway's port, where the
/// page's `location.host` is the gateway's.
pub fn page_router(ws_path: &str) -> Router {
    let html = page_html(ws_path);
    Router::new().route(
        "/",
        get(move || {
            let html = html.clone();
            async move {
                (
                    [
                        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                        (header::CACHE_CONTROL, "no-store"),
                        (header::CONTENT_SECURITY_POLICY, CSP),
                        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                        (header::REFERRER_POLICY, "no-referrer"),
                    ],
                    html,
                )
                    .into_response()
            }
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_is_injected_as_a_string() {
        let html = page_html("dev/");
        assert!(html.contains(r#"const WS_PATH = "/dev";"#));
        assert!(!html.contains("__WSPROXY_WS_PATH__"));
        assert!(page_html("/").contains(r#"const WS_PATH = "/";"#));
        let hostile = page_html("/</script><script>alert(1)//\"");
        assert!(!hostile.contains("</script><script>alert"));
    }
}

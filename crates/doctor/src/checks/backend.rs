//! The backend the function forwards every event to: does its URL answer at all?

use super::unknown;
use crate::{Finding, ProxyModule, Status};
use std::time::{Duration, Instant};

/// Any HTTP answer counts (the proxy calls its own paths under the URL); no answer fails.
pub(super) async fn check(module: &ProxyModule, timeout: Duration) -> Finding {
    let url = match &module.backend_url {
        None => {
            return Finding::new(
                "backend",
                Status::Skip,
                "the module is given no backend_url (Options 2 and 3 keep the function's own BACKEND_URL)",
            )
        }
        Some(Err(e)) => return unknown("backend", "backend_url", e),
        Some(Ok(url)) => url,
    };
    let shown = redact(url);
    let parsed = match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u,
        _ => {
            return Finding::new(
                "backend",
                Status::Fail,
                format!("backend_url {shown} is not an http:// or https:// URL"),
            )
            .fix("set backend_url to the backend's base URL, e.g. https://api.example.com")
        }
    };
    let client = match reqwest::Client::builder().timeout(timeout).build() {
        Ok(c) => c,
        Err(e) => return Finding::new("backend", Status::Skip, format!("no HTTP client: {e}")),
    };
    let started = Instant::now();
    match client.get(parsed).send().await {
        Ok(answer) => Finding::new(
            "backend",
            Status::Ok,
            format!(
                "{shown} answered HTTP {} in {} ms",
                answer.status().as_u16(),
                started.elapsed().as_millis()
            ),
        ),
        Err(e) => {
            let why = if e.is_timeout() {
                format!("no answer within {} s", timeout.as_secs_f32())
            } else {
                root_cause(&e)
            };
            Finding::new(
                "backend",
                Status::Fail,
                format!("{shown} did not answer: {why}"),
            )
            .fix(
                "start the backend, or set backend_url (terraform.tfvars) to where it runs; \
                 the function forwards every connect, message and disconnect there",
            )
        }
    }
}

/// The URL without a user or password in it.
fn redact(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_username("***");
            let _ = u.set_password(None);
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// The innermost cause: "Connection refused (os error 111)", "failed to lookup address ...".
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn credentials_in_the_url_are_not_shown() {
        let shown = redact("https://user:hunter2@api.example.com/v1");
        assert!(
            !shown.contains("hunter2") && !shown.contains("user:"),
            "{shown}"
        );
        assert_eq!(redact("http://127.0.0.1:9/"), "http://127.0.0.1:9/");
    }
}

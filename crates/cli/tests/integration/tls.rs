//! `wsproxy serve` with TLS: a function learns to trust the local CA and where `@connections`
//! is, while the developer's own AWS endpoints still reach it; `--no-tls` turns it off. And
//! (ignored, run by hand) the memory an idle `wss://` socket costs beside a `ws://` one.

use crate::functions::Served;
use futures::{SinkExt as _, StreamExt as _};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::process::Child;
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(30);

/// A function that answers every message with the variables the test looks at, as JSON.
const ENV_FUNCTION: &str = r#"
import json, os, urllib.parse, urllib.request
API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
NAMES = ["AWS_CA_BUNDLE", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS",
         "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI", "AWS_ENDPOINT_URL_DYNAMODB"]
while True:
    with urllib.request.urlopen(API + "/invocation/next") as r:
        request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read())
    ctx = event["requestContext"]
    if ctx["eventType"] == "MESSAGE":
        text = json.dumps({n: os.environ.get(n) for n in NAMES}).encode()
        url = os.environ["API_GATEWAY_ENDPOINT"] + "/@connections/" + urllib.parse.quote(ctx["connectionId"], safe="")
        urllib.request.urlopen(urllib.request.Request(url, data=text, method="POST")).read()
    done = urllib.request.Request(API + f"/invocation/{request_id}/response", data=b'{"statusCode":200}', method="POST")
    urllib.request.urlopen(done).read()
"#;

/// `wsproxy serve` with `flags`; its child, the ws:// URL and every line it printed.
async fn serve(flags: &[&str], env: &[(&str, &str)]) -> (Child, String, Vec<String>) {
    let served = Served::launch(flags, env).await;
    (served.child, served.ws, served.printed)
}

pub(crate) fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wsproxy-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The variables the function saw, asked for over a fresh socket.
async fn function_env(ws_url: &str) -> serde_json::Value {
    let (mut ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(ws_url))
        .await
        .expect("the handshake ended")
        .expect("connected");
    ws.send(Message::text("env")).await.unwrap();
    loop {
        let frame = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("an answer in time")
            .expect("open")
            .expect("a frame");
        if let Message::Text(t) = frame {
            return serde_json::from_str(t.as_str()).unwrap();
        }
    }
}

#[tokio::test]
async fn functions_trust_the_local_ca_and_keep_the_developers_endpoints() {
    let dir = temp_dir("tls");
    std::fs::write(dir.join("app.py"), ENV_FUNCTION).unwrap();
    let app = dir.join("app.py").display().to_string();
    let tls = dir.join("ca");
    let command = format!("python3 {app}");
    let dynamodb = ("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000");
    let (child, ws, printed) = serve(
        &[
            "--backend-url",
            "http://127.0.0.1:9",
            "--lambda",
            &command,
            "--tls-dir",
            tls.to_str().unwrap(),
        ],
        &[dynamodb],
    )
    .await;
    let port = ws.rsplit(':').next().unwrap().split('/').next().unwrap();
    let https = format!("https://127.0.0.1:{port}/dev");
    assert!(
        printed
            .iter()
            .any(|l| l.contains(&https) && l.contains("ca.pem")),
        "the HTTPS endpoint and the CA are printed: {printed:?}"
    );
    let env = function_env(&ws).await;
    let bundle = tls.join("bundle.pem").display().to_string();
    for name in ["AWS_CA_BUNDLE", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"] {
        assert_eq!(env[name], bundle.as_str(), "{name}");
    }
    assert_eq!(
        env["NODE_EXTRA_CA_CERTS"],
        tls.join("ca.pem").display().to_string().as_str()
    );
    assert_eq!(
        env["AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI"],
        https.as_str()
    );
    assert_eq!(
        env["AWS_ENDPOINT_URL_DYNAMODB"], dynamodb.1,
        "the developer's endpoint"
    );
    assert_key_is_private(&tls.join("ca-key.pem"));
    drop(child);

    // --no-tls: no TLS, no variables, no folder.
    let plain_dir = dir.join("unused");
    let (child, ws, printed) = serve(
        &[
            "--backend-url",
            "http://127.0.0.1:9",
            "--lambda",
            &command,
            "--no-tls",
        ],
        &[],
    )
    .await;
    assert!(
        !printed.iter().any(|l| l.contains("https://")),
        "{printed:?}"
    );
    let env = function_env(&ws).await;
    assert!(env["AWS_CA_BUNDLE"].is_null(), "{env}");
    assert!(!plain_dir.exists());
    drop(child);
    let _ = std::fs::remove_dir_all(&dir);
}

fn assert_key_is_private(key: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", key.display());
    }
}

/// `VmRSS` of process `pid`, KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// A TLS client trusting only the CA in `ca`.
fn tls_connector(ca: &Path) -> tokio_rustls::TlsConnector {
    use rustls::pki_types::{pem::PemObject as _, CertificateDer};
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(ca).unwrap())
        .unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
}

#[tokio::test]
#[ignore = "a measurement, run by hand: cargo test -p wsproxy --test integration -- --ignored idle_socket_memory --nocapture"]
async fn idle_socket_memory() {
    const N: usize = 500;
    let dir = temp_dir("memory");
    std::fs::write(dir.join("app.py"), ENV_FUNCTION).unwrap();
    let command = format!("python3 {}", dir.join("app.py").display());
    let ca = dir.join("ca");
    let (child, ws_url, _) = serve(
        &[
            "--backend-url",
            "http://127.0.0.1:9",
            "--lambda",
            &command,
            "--tls-dir",
            ca.to_str().unwrap(),
            "--new-connections-per-second",
            "0",
        ],
        &[],
    )
    .await;
    let pid = child.id().unwrap();
    let addr: std::net::SocketAddr = ws_url
        .trim_start_matches("ws://")
        .trim_end_matches("/dev")
        .parse()
        .unwrap();
    let connector = tls_connector(&ca.join("ca.pem"));
    let settle = || tokio::time::sleep(Duration::from_secs(1));
    let mut plain = Vec::new();
    let mut secure = Vec::new();
    // Warm up both paths (allocator arenas, the TLS session machinery).
    for _ in 0..20 {
        plain.push(tokio_tungstenite::connect_async(&ws_url).await.unwrap().0);
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let tls = connector.connect(name, tcp).await.unwrap();
        secure.push(
            tokio_tungstenite::client_async(format!("wss://localhost:{}/dev", addr.port()), tls)
                .await
                .unwrap()
                .0,
        );
    }
    settle().await;
    let before = rss_kib(pid);
    for _ in 0..N {
        plain.push(tokio_tungstenite::connect_async(&ws_url).await.unwrap().0);
    }
    settle().await;
    let after_plain = rss_kib(pid);
    for _ in 0..N {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let tls = connector.connect(name, tcp).await.unwrap();
        secure.push(
            tokio_tungstenite::client_async(format!("wss://localhost:{}/dev", addr.port()), tls)
                .await
                .unwrap()
                .0,
        );
    }
    settle().await;
    let after_tls = rss_kib(pid);
    let per = |kib: u64| kib as f64 * 1024.0 / N as f64;
    println!(
        "idle sockets, {N} of each: ws:// {:.0} B each, wss:// {:.0} B each (gateway RSS {before} -> {after_plain} -> {after_tls} KiB)",
        per(after_plain - before),
        per(after_tls - after_plain)
    );
    drop((plain, secure, child));
    let _ = std::fs::remove_dir_all(&dir);
}

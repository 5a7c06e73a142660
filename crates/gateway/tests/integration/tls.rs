//! TLS beside plain HTTP on the gateway's one port: raw TLS clients that trust only the local
//! CA check the certificate's names; `wss://` and `ws://` clients on the same port; HTTPS
//! `@connections`; a stalled handshake and a garbage first byte bounded as a plain
//! connection is.

use crate::common::{next_text, within, Recorder};
use futures::{SinkExt as _, StreamExt as _};
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, ServerName};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;
use wsproxy_gateway::{ConnectionLimits, Gateway, GatewayConfig, ServingGateway};

/// A gateway with TLS on, its folder, and a client configuration trusting its CA only.
struct TlsGateway {
    addr: SocketAddr,
    dir: PathBuf,
    client: Arc<rustls::ClientConfig>,
    serving: ServingGateway,
}

impl TlsGateway {
    async fn start(name: &str, limits: ConnectionLimits) -> Self {
        let dir = std::env::temp_dir().join(format!("wsproxy-tls-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let recorder = Arc::new(Recorder::default());
        let bound = Gateway::builder()
            .config(GatewayConfig {
                listen: "127.0.0.1:0".parse().unwrap(),
                limits,
                ..GatewayConfig::default()
            })
            .integration(recorder.clone())
            .tls_dir(&dir)
            .bind()
            .await
            .expect("bind");
        assert_eq!(
            bound.https_endpoint(),
            Some(format!("https://{}/dev", bound.local_addr()))
        );
        let serving = bound.spawn();
        let _ = recorder.connections.set(serving.connections().clone());
        let ca = std::fs::read(dir.join("ca.pem")).expect("ca.pem");
        let mut roots = rustls::RootCertStore::empty();
        roots.add(pem_cert(&ca)).expect("the CA is a certificate");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let client = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        Self {
            addr: serving.local_addr(),
            dir,
            client: Arc::new(client),
            serving,
        }
    }

    /// A TLS connection verified for `name` (a DNS name or an IP address).
    async fn tls(&self, name: &str) -> std::io::Result<TlsStream<TcpStream>> {
        let tcp = TcpStream::connect(self.addr).await?;
        let name = ServerName::try_from(name.to_owned()).unwrap();
        let connector = tokio_rustls::TlsConnector::from(self.client.clone());
        within("a TLS handshake", connector.connect(name, tcp)).await
    }

    async fn stop(mut self) {
        within("shutdown", self.serving.shutdown()).await.unwrap();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The next text message of a `wss://` socket.
async fn next_secure_text(ws: &mut WebSocketStream<TlsStream<TcpStream>>) -> String {
    loop {
        match within("a text message", ws.next()).await {
            Some(Ok(Message::Text(t))) => return t.as_str().to_owned(),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("expected a text message, got {other:?}"),
        }
    }
}

/// The certificate of a PEM file (the local CA has one).
fn pem_cert(pem: &[u8]) -> CertificateDer<'static> {
    use base64::Engine as _;
    let text = String::from_utf8_lossy(pem);
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    CertificateDer::from(
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap(),
    )
}

#[tokio::test]
async fn the_certificate_covers_the_local_names_only() {
    let gw = TlsGateway::start("names", ConnectionLimits::default()).await;
    for name in ["localhost", "127.0.0.1", "::1"] {
        let tls = gw.tls(name).await;
        assert!(tls.is_ok(), "{name}: {:?}", tls.err());
        let (_, session) = tls.unwrap().into_inner();
        assert_eq!(session.alpn_protocol(), None, "no ALPN asked, none chosen");
    }
    let wrong = gw
        .tls("example.com")
        .await
        .expect_err("not a name of the certificate");
    assert!(
        wrong.to_string().contains("not valid for name"),
        "a name error: {wrong}"
    );
    gw.stop().await;
}

#[tokio::test]
async fn wss_ws_and_https_share_the_port() {
    let gw = TlsGateway::start("port", ConnectionLimits::default()).await;
    // wss:// on the TLS connection; the events' domainName is the Host the client used.
    let tls = gw.tls("localhost").await.unwrap();
    let url = format!("wss://localhost:{}/dev", gw.addr.port());
    let (mut secure, _) = within("a wss handshake", tokio_tungstenite::client_async(url, tls))
        .await
        .expect("wss upgrade");
    let hello: serde_json::Value =
        serde_json::from_str(&next_secure_text(&mut secure).await).unwrap();
    let id = hello["hello"].as_str().unwrap().to_owned();

    // ws:// on the same port still works.
    let (mut plain, _) = within(
        "a ws handshake",
        tokio_tungstenite::connect_async(format!("ws://{}/dev", gw.addr)),
    )
    .await
    .expect("ws upgrade");
    let _ = next_text(&mut plain).await;
    plain.send(Message::text("over ws")).await.unwrap();

    // https:// @connections reaches the wss socket.
    let tls = gw.tls("127.0.0.1").await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .unwrap();
    tokio::spawn(conn);
    let post = http::Request::post(format!("/dev/@connections/{id}"))
        .header("host", gw.addr.to_string())
        .body(Full::new(bytes::Bytes::from_static(b"pushed over https")))
        .unwrap();
    let answer = within("an HTTPS answer", sender.send_request(post))
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let _ = answer.into_body().collect().await;
    assert_eq!(next_secure_text(&mut secure).await, "pushed over https");
    drop((secure, plain));
    gw.stop().await;
}

/// How long until the gateway closes `stream`, which sent `sent` and nothing more.
async fn closed_after(mut stream: TcpStream, sent: &[u8]) -> Duration {
    let started = Instant::now();
    stream.write_all(sent).await.unwrap();
    let mut buf = [0u8; 1024];
    within("the gateway to close the connection", async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => continue,
            }
        }
    })
    .await;
    started.elapsed()
}

#[tokio::test]
async fn a_stalled_handshake_is_closed_as_stalled_headers_are() {
    let timeout = Duration::from_millis(600);
    let gw = TlsGateway::start(
        "stall",
        ConnectionLimits {
            header_read_timeout: timeout,
            ..ConnectionLimits::default()
        },
    )
    .await;
    let connect = || TcpStream::connect(gw.addr);
    // A TLS record header announcing a ClientHello that never comes.
    let stalled_tls = closed_after(connect().await.unwrap(), &[0x16, 0x03, 0x01, 0x02, 0x00]);
    // Nothing at all; half a request line.
    let silent = closed_after(connect().await.unwrap(), b"");
    let stalled_http = closed_after(connect().await.unwrap(), b"GET /dev HTTP/1.1\r\nHo");
    let (stalled_tls, silent, stalled_http) = tokio::join!(stalled_tls, silent, stalled_http);
    for (what, took) in [
        ("a stalled TLS handshake", stalled_tls),
        ("a silent connection", silent),
        ("stalled headers", stalled_http),
    ] {
        assert!(
            took >= timeout / 2,
            "{what}: closed after {took:?}, before the timeout"
        );
        assert!(
            took < timeout * 5,
            "{what}: held {took:?}, far past the {timeout:?} timeout"
        );
    }

    // A completed handshake with no request after it: the same deadline, from the accept.
    let started = Instant::now();
    let mut idle_tls = gw.tls("localhost").await.unwrap();
    let mut buf = [0u8; 64];
    let n = within("the close", idle_tls.read(&mut buf)).await;
    assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");
    assert!(
        started.elapsed() < timeout * 5,
        "held {:?}",
        started.elapsed()
    );

    // A garbage first byte is plain HTTP, answered 400 by the HTTP parser.
    let mut garbage = connect().await.unwrap();
    garbage
        .write_all(b"\x00\x01\x02 nonsense\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = within("the answer", garbage.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 400"),
        "{answer}"
    );
    gw.stop().await;
}

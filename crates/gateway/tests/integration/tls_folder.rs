//! The local CA's folder shared by gateways: four started at once on one empty folder end
//! with one CA that verifies every one of their certificates; a folder whose key and
//! certificate don't match, or whose files are truncated, is repaired at start (the old
//! files kept aside); a CA that is not wsproxy's is refused, untouched.

use crate::common::{within, Recorder};
use rustls::pki_types::{CertificateDer, ServerName};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::net::TcpStream;
use wsproxy_gateway::{Gateway, GatewayConfig, GatewayError, ServingGateway};

/// A fresh, empty folder for one test (removed when the test ends).
pub(crate) struct Folder(pub(crate) PathBuf);

impl Folder {
    pub(crate) fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("wsproxy-tls-folder-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Self(dir)
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Binds a gateway with TLS from `dir` on 127.0.0.1:0.
pub(crate) async fn bind(dir: &Path) -> Result<ServingGateway, GatewayError> {
    let recorder = Arc::new(Recorder::default());
    let bound = Gateway::builder()
        .config(GatewayConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            ..GatewayConfig::default()
        })
        .integration(recorder)
        .tls_dir(dir)
        .bind()
        .await?;
    Ok(bound.spawn())
}

/// The certificate of a PEM text.
pub(crate) fn pem_cert(pem: &str) -> CertificateDer<'static> {
    use base64::Engine as _;
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    CertificateDer::from(
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .expect("base64"),
    )
}

/// A TLS handshake with the gateway at `addr` by a client trusting only the `ca.pem` now in
/// `dir`, for `localhost`.
pub(crate) async fn handshake(dir: &Path, addr: SocketAddr) -> std::io::Result<()> {
    let ca = std::fs::read_to_string(dir.join("ca.pem")).expect("ca.pem");
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pem_cert(&ca)).expect("ca.pem is a certificate");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = TcpStream::connect(addr).await?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    let name = ServerName::try_from("localhost").unwrap();
    within("a TLS handshake", connector.connect(name, tcp))
        .await
        .map(drop)
}

/// `dir`'s bundle ends with its CA.
fn assert_bundle_matches(dir: &Path) {
    let ca = std::fs::read_to_string(dir.join("ca.pem")).unwrap();
    let bundle = std::fs::read_to_string(dir.join("bundle.pem")).unwrap();
    assert!(
        bundle.ends_with(&ca),
        "bundle.pem does not close with ca.pem"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_gateways_started_at_once_on_an_empty_folder_share_one_ca() {
    let folder = Folder::new("four");
    let starts: Vec<_> = (0..4)
        .map(|_| {
            let dir = folder.0.clone();
            tokio::spawn(async move { bind(&dir).await })
        })
        .collect();
    let mut gateways = Vec::new();
    for start in starts {
        gateways.push(start.await.unwrap().expect("a gateway binds"));
    }
    for gw in &gateways {
        let verified = handshake(&folder.0, gw.local_addr()).await;
        assert!(
            verified.is_ok(),
            "the gateway on {} serves a certificate ca.pem does not verify: {:?}",
            gw.local_addr(),
            verified.err()
        );
    }
    assert_bundle_matches(&folder.0);
    for mut gw in gateways {
        within("shutdown", gw.shutdown()).await.unwrap();
    }
}

/// Makes the local CA in a fresh folder `name` and returns the folder.
pub(crate) async fn made(name: &str) -> Folder {
    let folder = Folder::new(name);
    let mut gw = bind(&folder.0).await.expect("a gateway binds");
    within("shutdown", gw.shutdown()).await.unwrap();
    folder
}

#[tokio::test]
async fn a_key_and_certificate_that_do_not_match_are_replaced_keeping_the_old_ones() {
    let folder = made("mismatch").await;
    let other = made("mismatch-other").await;
    let stray = std::fs::read_to_string(other.0.join("ca.pem")).unwrap();
    std::fs::write(folder.0.join("ca.pem"), &stray).unwrap();
    let mut gw = bind(&folder.0).await.expect("the folder is repaired");
    handshake(&folder.0, gw.local_addr())
        .await
        .expect("the new ca.pem verifies the served certificate");
    assert_ne!(
        std::fs::read_to_string(folder.0.join("ca.pem")).unwrap(),
        stray
    );
    assert_eq!(
        std::fs::read_to_string(folder.0.join("ca.pem.broken")).unwrap(),
        stray,
        "the broken certificate is kept aside"
    );
    assert!(folder.0.join("ca-key.pem.broken").is_file());
    assert_bundle_matches(&folder.0);
    within("shutdown", gw.shutdown()).await.unwrap();
}

#[tokio::test]
async fn truncated_and_missing_files_are_replaced() {
    for (name, file, keep) in [
        ("short-key", "ca-key.pem", 40),
        ("short-cert", "ca.pem", 200),
        ("empty-cert", "ca.pem", 0),
    ] {
        let folder = made(name).await;
        let path = folder.0.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, &text[..keep]).unwrap();
        let mut gw = bind(&folder.0)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let verified = handshake(&folder.0, gw.local_addr()).await;
        assert!(verified.is_ok(), "{name}: {:?}", verified.err());
        assert_bundle_matches(&folder.0);
        within("shutdown", gw.shutdown()).await.unwrap();
    }
    let folder = made("no-cert").await;
    std::fs::remove_file(folder.0.join("ca.pem")).unwrap();
    let mut gw = bind(&folder.0).await.expect("a missing ca.pem is remade");
    handshake(&folder.0, gw.local_addr()).await.unwrap();
    within("shutdown", gw.shutdown()).await.unwrap();
}

#[tokio::test]
async fn a_ca_that_is_not_wsproxys_is_refused_and_left_alone() {
    let folder = Folder::new("foreign");
    std::fs::create_dir_all(&folder.0).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::default();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Someone else's CA");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    std::fs::write(folder.0.join("ca.pem"), cert.pem()).unwrap();
    std::fs::write(folder.0.join("ca-key.pem"), key.serialize_pem()).unwrap();
    // Kept private, as a key should be (an exposed one is refused before anything else).
    std::fs::set_permissions(
        folder.0.join("ca-key.pem"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let Err(e) = bind(&folder.0).await else {
        panic!("a CA that is not wsproxy's is refused");
    };
    let e = e.to_string();
    assert!(
        e.contains(&folder.0.display().to_string()) && e.contains("not wsproxy's"),
        "{e}"
    );
    assert_eq!(
        std::fs::read_to_string(folder.0.join("ca.pem")).unwrap(),
        cert.pem(),
        "the folder's CA is left as it was"
    );
}

//! The local CA's limits: its key signs for the loopback names only (name constraints), a CA
//! an earlier wsproxy made without them is replaced, and a folder others can write or a key
//! others can read is refused.

use crate::common::within;
use crate::tls_folder::{bind, handshake, made, pem_cert, Folder};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::client::danger::ServerCertVerifier as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::sync::Arc;

/// The CA settings wsproxy used before name constraints (and its name, as now).
fn unconstrained_ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "wsproxy local development CA");
    name.push(DnType::OrganizationName, "wsproxy");
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params
}

/// A server certificate for `name` signed with the CA key of `dir`, as a thief of the key
/// would make one.
fn forged(dir: &Path, name: &str) -> CertificateDer<'static> {
    let key = KeyPair::from_pem(&std::fs::read_to_string(dir.join("ca-key.pem")).unwrap())
        .expect("the CA key");
    let issuer = Issuer::new(unconstrained_ca_params(), key);
    let leaf_key = KeyPair::generate().unwrap();
    let params = CertificateParams::new(vec![name.to_owned()]).unwrap();
    params.signed_by(&leaf_key, &issuer).unwrap().der().clone()
}

/// Whether a client trusting `dir`'s `ca.pem` (as the functions' bundle does) accepts `leaf`
/// for `name`.
fn trusted(dir: &Path, leaf: &CertificateDer<'static>, name: &str) -> Result<(), String> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(pem_cert(
            &std::fs::read_to_string(dir.join("ca.pem")).unwrap(),
        ))
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier =
        rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .unwrap();
    let name = ServerName::try_from(name.to_owned()).unwrap();
    verifier
        .verify_server_cert(leaf, &[], &name, &[], UnixTime::now())
        .map(drop)
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn a_leaked_ca_key_signs_for_no_real_site() {
    let folder = made("leaked").await;
    let dir = &folder.0;
    assert_eq!(trusted(dir, &forged(dir, "localhost"), "localhost"), Ok(()));
    for site in ["example.com", "www.amazonaws.com", "10.1.2.3", "8.8.8.8"] {
        assert!(
            trusted(dir, &forged(dir, site), site).is_err(),
            "a certificate for {site} signed by the local CA's key is trusted"
        );
    }
}

#[tokio::test]
async fn an_unconstrained_ca_an_earlier_wsproxy_made_is_replaced() {
    let folder = Folder::new("unconstrained");
    let dir = &folder.0;
    std::fs::create_dir_all(dir).unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let key = KeyPair::generate().unwrap();
    let old = unconstrained_ca_params().self_signed(&key).unwrap().pem();
    std::fs::write(dir.join("ca.pem"), &old).unwrap();
    std::fs::write(dir.join("ca-key.pem"), key.serialize_pem()).unwrap();
    std::fs::set_permissions(
        dir.join("ca-key.pem"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    assert!(trusted(dir, &forged(dir, "example.com"), "example.com").is_ok());

    let mut gw = bind(dir).await.expect("a gateway binds");
    let new = std::fs::read_to_string(dir.join("ca.pem")).unwrap();
    assert_ne!(new, old, "the unconstrained CA is replaced");
    assert_eq!(
        std::fs::read_to_string(dir.join("ca.pem.old")).unwrap(),
        old,
        "and kept aside"
    );
    assert!(trusted(dir, &forged(dir, "example.com"), "example.com").is_err());
    handshake(dir, gw.local_addr())
        .await
        .expect("the new CA verifies the gateway");
    within("shutdown", gw.shutdown()).await.unwrap();
    // Made once: the next start keeps it.
    let mut gw = bind(dir).await.expect("a gateway binds");
    assert_eq!(std::fs::read_to_string(dir.join("ca.pem")).unwrap(), new);
    within("shutdown", gw.shutdown()).await.unwrap();
}

#[tokio::test]
async fn a_folder_others_can_write_or_a_key_others_can_read_is_refused() {
    let folder = made("exposed").await;
    let dir = &folder.0;
    let key = dir.join("ca-key.pem");
    let chmod = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    for (path, mode, fix) in [
        (dir, 0o777, "go-w"),
        (dir, 0o720, "go-w"),
        (&key, 0o644, "600"),
    ] {
        chmod(path, mode);
        let e = bind(dir)
            .await
            .expect_err("an exposed CA folder")
            .to_string();
        let expected = format!("chmod {fix} {}", path.display());
        assert!(e.contains(&expected), "{mode:o}: {e}");
        chmod(path, if path == dir { 0o700 } else { 0o600 });
    }
    // A folder others may read (not write) and a private key are fine.
    chmod(dir, 0o755);
    let mut gw = bind(dir).await.expect("a gateway binds");
    within("shutdown", gw.shutdown()).await.unwrap();
}

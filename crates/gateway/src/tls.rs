//! TLS with a locally generated certificate, so that a function can reach `@connections` at
//! `https://{requestContext.domainName}/{stage}` as it does on AWS.
//!
//! A folder keeps a local certificate authority (`ca.pem`, its key `ca-key.pem`, mode 0600),
//! made once on first use (however many gateways start at once: they take turns on a lock
//! file, `ca.lock`) and reused after; a key and certificate that don't match, or a truncated
//! file, are replaced at start (the old files kept as `*.broken`). The CA may sign only for
//! `localhost`, the loopback networks and the listen addresses (name constraints), so its
//! key, if it leaked, could not make a certificate the functions trust for a real site; a
//! CA without them (made by an earlier wsproxy), or one that does not permit this gateway's
//! address, is replaced (the old files kept as `*.old`). A folder others can write, or a
//! key others can read, is refused. Each start signs a fresh
//! server certificate for `localhost`, `127.0.0.1`, `::1` and the listen address, held in
//! memory only. `bundle.pem`
//! is the system's CA certificates plus the local one, for the variables that replace the
//! system store (`SSL_CERT_FILE`, `AWS_CA_BUNDLE`, `REQUESTS_CA_BUNDLE`): a bundle of the
//! local CA alone would break the function's other HTTPS calls.

mod ca;

use base64::Engine as _;
use ca::{Ca, Stored, CA_FILE};
use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, Issuer, KeyPair, KeyUsagePurpose};
use rustls::client::danger::ServerCertVerifier as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How many names every server certificate starts with: `localhost`, `127.0.0.1`, `::1`.
const LOOPBACK_NAMES: usize = 3;
/// The system's CA certificates and the local one.
const BUNDLE_FILE: &str = "bundle.pem";

/// Why the local certificate could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Reading or writing the folder failed.
    #[error("{path}: {source}; check that the folder is writable, or choose another with --tls-dir (or turn TLS off with --no-tls)")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A stored key or a new certificate could not be used.
    #[error(
        "{what}: {reason}; delete {dir} to make a new local CA (functions then trust the new one)"
    )]
    Certificate {
        /// What was being done.
        what: &'static str,
        /// The library's reason.
        reason: String,
        /// The TLS folder.
        dir: PathBuf,
    },
    /// The folder is writable, or the CA's key readable, by other users.
    #[error(
        "{path} is {problem}: the local CA's key must stay private (a certificate it signs is \
         trusted by the functions); run `chmod {chmod} {path}`, or choose another folder with \
         --tls-dir"
    )]
    Exposed {
        /// The folder or key file.
        path: PathBuf,
        /// What others can do with it.
        problem: &'static str,
        /// The `chmod` mode that fixes it.
        chmod: &'static str,
    },
    /// The folder holds another CA than wsproxy's, which does not work with its key.
    #[error(
        "{dir} holds a CA that is not wsproxy's local CA, and {why}; give wsproxy its own \
         folder with --tls-dir (or turn TLS off with --no-tls)"
    )]
    NotOurs {
        /// The TLS folder.
        dir: PathBuf,
        /// What is wrong with it.
        why: String,
    },
}

/// The local CA and the gateway's TLS settings made from it.
#[derive(Clone)]
pub struct LocalTls {
    dir: PathBuf,
    names: Vec<String>,
    server: Arc<rustls::ServerConfig>,
}

impl std::fmt::Debug for LocalTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalTls")
            .field("dir", &self.dir)
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

impl LocalTls {
    /// Loads the local CA from `dir` (making it, and the folder, on first use), signs a
    /// server certificate for `localhost`, `127.0.0.1`, `::1` and `addresses`, and writes
    /// `bundle.pem`.
    pub fn load_or_create(dir: &Path, addresses: &[IpAddr]) -> Result<Self, TlsError> {
        let mut names = vec!["localhost".to_owned(), "127.0.0.1".into(), "::1".into()];
        for ip in addresses.iter().filter(|ip| !ip.is_unspecified()) {
            let ip = ip.to_canonical().to_string();
            if !names.contains(&ip) {
                names.push(ip);
            }
        }
        // Held until the bundle is written: every gateway of this folder reads, makes or
        // repairs the one CA in turn, and the bundle always closes with it.
        let _locked = ca::lock(dir)?;
        let mut ca = match ca::read(dir)? {
            Stored::Missing => ca::create(dir, addresses)?,
            Stored::Found(ca) => *ca,
            Stored::Broken(why) => ca::repair(dir, addresses, &why)?,
        };
        if ca::is_ours(&ca.der) && !ca::has_name_constraints(&ca.der) {
            let why = "it has no name constraints (an earlier wsproxy made it), so its key \
                       could sign a certificate for any site that the functions would trust";
            ca = ca::renew(dir, addresses, why)?;
        }
        let mut leaf = sign(&ca, &names, dir)?;
        if let Err(why) = verify(&ca.der, &leaf.0) {
            let loopback = sign(&ca, &names[..LOOPBACK_NAMES], dir)?;
            ca = if verify(&ca.der, &loopback.0).is_ok() {
                let extra = names[LOOPBACK_NAMES..].join(", ");
                let why = format!("it does not permit this gateway's address ({extra})");
                ca::renew(dir, addresses, &why)?
            } else {
                let why = format!("{CA_FILE} does not verify a certificate its key signed: {why}");
                ca::repair(dir, addresses, &why)?
            };
            leaf = sign(&ca, &names, dir)?;
            verify(&ca.der, &leaf.0).map_err(|reason| TlsError::Certificate {
                what: "checking the new local CA",
                reason,
                dir: dir.to_path_buf(),
            })?;
        }
        let (cert, key) = leaf;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|b| {
                b.with_no_client_auth().with_single_cert(
                    vec![cert, ca.der.clone()],
                    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
                )
            })
            .map_err(|e| TlsError::Certificate {
                what: "the TLS settings",
                reason: e.to_string(),
                dir: dir.to_path_buf(),
            })?;
        // HTTP/1.1 only: WebSocket upgrades and the SDKs' `@connections` calls use it.
        server.alpn_protocols = vec![b"http/1.1".to_vec()];
        write_bundle(dir, &ca.pem)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            names,
            server: Arc::new(server),
        })
    }

    /// The folder of the local CA.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The local CA's certificate (`ca.pem`): what a client trusts to reach the gateway.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join(CA_FILE)
    }

    /// The system's CA certificates plus the local one (`bundle.pem`).
    pub fn bundle_file(&self) -> PathBuf {
        self.dir.join(BUNDLE_FILE)
    }

    /// The names the server certificate covers.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The variables that make a function process trust the gateway: the bundle for
    /// boto3/botocore and the AWS SDKs (`AWS_CA_BUNDLE`), OpenSSL and Python
    /// (`SSL_CERT_FILE`), `requests` (`REQUESTS_CA_BUNDLE`); the CA alone for Node, which
    /// adds it to its own (`NODE_EXTRA_CA_CERTS`).
    pub fn trust_env(&self) -> Vec<(String, String)> {
        let bundle = self.bundle_file().display().to_string();
        let ca = self.ca_file().display().to_string();
        [
            ("AWS_CA_BUNDLE", bundle.clone()),
            ("SSL_CERT_FILE", bundle.clone()),
            ("REQUESTS_CA_BUNDLE", bundle),
            ("NODE_EXTRA_CA_CERTS", ca),
        ]
        .map(|(k, v)| (k.to_owned(), v))
        .to_vec()
    }

    pub(crate) fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(self.server.clone())
    }
}

/// A fresh server certificate for `names` signed by `ca`, and its key.
fn sign(
    ca: &Ca,
    names: &[String],
    dir: &Path,
) -> Result<(CertificateDer<'static>, KeyPair), TlsError> {
    let bad = |what, e: rcgen::Error| TlsError::Certificate {
        what,
        reason: e.to_string(),
        dir: dir.to_path_buf(),
    };
    let issuer = Issuer::new(ca::params(), &ca.key);
    let mut params = CertificateParams::new(names.to_vec())
        .map_err(|e| bad("the server certificate's names", e))?;
    params
        .distinguished_name
        .push(DnType::CommonName, "wsproxy local gateway");
    params.use_authority_key_identifier_extension = true;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    // Within the 398 days clients accept for a server certificate; made anew each start.
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(365);
    let key = KeyPair::generate().map_err(|e| bad("a server key", e))?;
    let cert = params
        .signed_by(&key, &issuer)
        .map_err(|e| bad("signing the server certificate", e))?;
    Ok((cert.der().clone(), key))
}

/// Whether a client trusting only `ca` accepts `leaf` for `localhost`, as a function's
/// does: what makes a key and a certificate a pair.
fn verify(ca: &CertificateDer<'static>, leaf: &CertificateDer<'static>) -> Result<(), String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.clone()).map_err(|e| e.to_string())?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier =
        rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| e.to_string())?;
    let name = ServerName::try_from("localhost").map_err(|e| e.to_string())?;
    verifier
        .verify_server_cert(leaf, &[], &name, &[], UnixTime::now())
        .map(drop)
        .map_err(|e| e.to_string())
}

/// Writes `bundle.pem`: the system's CA certificates, then the local CA.
fn write_bundle(dir: &Path, ca_pem: &str) -> Result<(), TlsError> {
    let system = rustls_native_certs::load_native_certs();
    let mut bundle = String::new();
    for cert in &system.certs {
        bundle.push_str(&pem_encode(cert));
    }
    if system.certs.is_empty() {
        tracing::warn!(
            "no system CA certificates found: functions trust only the local CA over HTTPS"
        );
    }
    bundle.push_str(ca_pem);
    ca::write_file(&dir.join(BUNDLE_FILE), bundle.as_bytes(), 0o644)
}

/// `cert` as a PEM block.
fn pem_encode(cert: &CertificateDer<'_>) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(cert.as_ref());
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

#[cfg(test)]
mod tests;

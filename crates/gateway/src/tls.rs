//! TLS with a locally generated certificate, so that a function can reach `@connections` at
//! `https://{requestContext.domainName}/{stage}` as it does on AWS.
//!
//! A folder keeps a local certificate authority (`ca.pem`, its key `ca-key.pem`, mode 0600),
//! made on first use and reused after; each start signs a fresh server certificate for
//! `localhost`, `127.0.0.1`, `::1` and the listen address, held in memory only. `bundle.pem`
//! is the system's CA certificates plus the local one, for the variables that replace the
//! system store (`SSL_CERT_FILE`, `AWS_CA_BUNDLE`, `REQUESTS_CA_BUNDLE`): a bundle of the
//! local CA alone would break the function's other HTTPS calls.

use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::io::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The local CA's certificate.
const CA_FILE: &str = "ca.pem";
/// The local CA's private key (mode 0600).
const CA_KEY_FILE: &str = "ca-key.pem";
/// The system's CA certificates and the local one.
const BUNDLE_FILE: &str = "bundle.pem";
/// The local CA's name, as it shows in certificate viewers.
const CA_NAME: &str = "wsproxy local development CA";

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
        create_private_dir(dir)?;
        let (ca_pem, ca_key) = load_or_create_ca(dir)?;
        let bad = |what, e: rcgen::Error| TlsError::Certificate {
            what,
            reason: e.to_string(),
            dir: dir.to_path_buf(),
        };
        let mut names = vec!["localhost".to_owned(), "127.0.0.1".into(), "::1".into()];
        for ip in addresses.iter().filter(|ip| !ip.is_unspecified()) {
            let ip = ip.to_canonical().to_string();
            if !names.contains(&ip) {
                names.push(ip);
            }
        }
        let issuer = Issuer::new(ca_params(), ca_key);
        let mut params = CertificateParams::new(names.clone())
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
        let ca_der = pem_der(&ca_pem).ok_or_else(|| TlsError::Certificate {
            what: "reading ca.pem",
            reason: "no certificate in it".into(),
            dir: dir.to_path_buf(),
        })?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|b| {
                b.with_no_client_auth().with_single_cert(
                    vec![cert.der().clone(), ca_der],
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
        write_bundle(dir, &ca_pem)?;
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

/// The local CA's fixed name and settings: with the stored key, they make the same issuer
/// on every start.
fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, CA_NAME);
    name.push(DnType::OrganizationName, "wsproxy");
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(10 * 365);
    params
}

/// The CA's certificate (PEM) and key: read from `dir`, or made and written there.
fn load_or_create_ca(dir: &Path) -> Result<(String, KeyPair), TlsError> {
    let cert_path = dir.join(CA_FILE);
    let key_path = dir.join(CA_KEY_FILE);
    let bad = |what, e: rcgen::Error| TlsError::Certificate {
        what,
        reason: e.to_string(),
        dir: dir.to_path_buf(),
    };
    if key_path.exists() && cert_path.exists() {
        let read = |p: &Path| {
            std::fs::read_to_string(p).map_err(|source| TlsError::Io {
                path: p.to_path_buf(),
                source,
            })
        };
        let key = KeyPair::from_pem(&read(&key_path)?).map_err(|e| bad("reading ca-key.pem", e))?;
        return Ok((read(&cert_path)?, key));
    }
    let key = KeyPair::generate().map_err(|e| bad("making the CA key", e))?;
    let cert = ca_params()
        .self_signed(&key)
        .map_err(|e| bad("making the CA certificate", e))?;
    write_file(&key_path, key.serialize_pem().as_bytes(), 0o600)?;
    write_file(&cert_path, cert.pem().as_bytes(), 0o644)?;
    Ok((cert.pem(), key))
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
    write_file(&dir.join(BUNDLE_FILE), bundle.as_bytes(), 0o644)
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

/// The first certificate of a PEM text.
fn pem_der(pem: &str) -> Option<CertificateDer<'static>> {
    let body: String = pem
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN CERTIFICATE-----"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .ok()?;
    Some(CertificateDer::from(der))
}

/// Creates `dir` (mode 0700 for a new folder).
fn create_private_dir(dir: &Path) -> Result<(), TlsError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|source| TlsError::Io {
        path: dir.to_path_buf(),
        source,
    })
}

/// Writes `path` whole through a temporary file renamed over it, created with `mode`.
fn write_file(path: &Path, data: &[u8], mode: u32) -> Result<(), TlsError> {
    let io = |source| TlsError::Io {
        path: path.to_path_buf(),
        source,
    };
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(&tmp).map_err(io)?;
    file.write_all(data).map_err(io)?;
    file.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("wsproxy-tls-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn the_ca_is_kept_private_and_reused() {
        let dir = temp_dir("reuse");
        let first = LocalTls::load_or_create(&dir, &["192.0.2.7".parse().unwrap()]).unwrap();
        assert!(first.names().contains(&"192.0.2.7".to_owned()));
        let ca = std::fs::read_to_string(first.ca_file()).unwrap();
        let key = std::fs::read_to_string(dir.join(CA_KEY_FILE)).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&dir.join(CA_KEY_FILE)), 0o600);
            assert_eq!(mode(&dir), 0o700);
        }
        let second = LocalTls::load_or_create(&dir, &[]).unwrap();
        assert_eq!(std::fs::read_to_string(second.ca_file()).unwrap(), ca);
        assert_eq!(std::fs::read_to_string(dir.join(CA_KEY_FILE)).unwrap(), key);
        let bundle = std::fs::read_to_string(second.bundle_file()).unwrap();
        assert!(bundle.ends_with(&ca), "the local CA closes the bundle");
        assert!(
            !second.trust_env().iter().any(|(_, v)| v.contains("key")),
            "no key is handed out"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn pem_round_trips() {
        let der = CertificateDer::from(vec![7u8; 100]);
        assert_eq!(pem_der(&pem_encode(&der)), Some(der));
    }
}

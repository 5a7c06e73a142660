//! The local CA's folder: `ca.pem` and its key `ca-key.pem`, read, made or repaired under an
//! exclusive lock on `ca.lock`, so that gateways starting at once on an empty folder end
//! with one CA (each would otherwise make its own and rename it over the others', leaving
//! one's key beside another's certificate).

use super::TlsError;
use rcgen::{
    BasicConstraints, CertificateParams, CidrSubnet, DistinguishedName, DnType, GeneralSubtree,
    IsCa, KeyPair, KeyUsagePurpose, NameConstraints,
};
use rustls::pki_types::CertificateDer;
use std::fs::File;
use std::io::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// The local CA's certificate.
pub(super) const CA_FILE: &str = "ca.pem";
/// The local CA's private key (mode 0600).
pub(super) const CA_KEY_FILE: &str = "ca-key.pem";
/// Locked while the CA is read, made or repaired and the bundle written.
const LOCK_FILE: &str = "ca.lock";
/// The local CA's name, as it shows in certificate viewers.
const CA_NAME: &str = "wsproxy local development CA";
/// Added to the name of a file set aside by a repair.
const BROKEN_SUFFIX: &str = ".broken";
/// Added to the name of a file set aside when a working CA is replaced by a narrower one.
const OLD_SUFFIX: &str = ".old";
/// The DER of the name constraints extension's id (2.5.29.30).
const NAME_CONSTRAINTS_OID: [u8; 5] = [0x06, 0x03, 0x55, 0x1d, 0x1e];

/// The local CA: its certificate (PEM and DER) and key.
pub(super) struct Ca {
    /// `ca.pem`'s text.
    pub(super) pem: String,
    /// The certificate.
    pub(super) der: CertificateDer<'static>,
    /// Its private key.
    pub(super) key: KeyPair,
}

/// The folder's lock, held until dropped (closing the file releases it).
#[must_use = "the folder is unlocked when this is dropped"]
pub(super) struct Locked {
    _file: File,
}

/// Creates `dir` (mode 0700 for a new folder) and takes its exclusive lock, waiting for any
/// other process (or gateway of this one) holding it.
pub(super) fn lock(dir: &Path) -> Result<Locked, TlsError> {
    create_private_dir(dir)?;
    refuse_exposed(dir, 0o022, "writable by other users", "go-w")?;
    let path = dir.join(LOCK_FILE);
    let io = |source| TlsError::Io {
        path: path.clone(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(&path).map_err(io)?;
    file.lock().map_err(io)?;
    Ok(Locked { _file: file })
}

/// What the folder holds.
pub(super) enum Stored {
    /// Neither file: a new folder.
    Missing,
    /// A readable certificate and key (whether they match is checked by signing with them).
    Found(Box<Ca>),
    /// A file missing, truncated or garbled: why.
    Broken(String),
}

/// Reads the CA of `dir` (locked by the caller).
pub(super) fn read(dir: &Path) -> Result<Stored, TlsError> {
    let cert = read_if_there(&dir.join(CA_FILE))?;
    let key_path = dir.join(CA_KEY_FILE);
    if key_path.exists() {
        refuse_exposed(&key_path, 0o077, "readable by other users", "600")?;
    }
    let key = read_if_there(&key_path)?;
    let (pem, key) = match (cert, key) {
        (None, None) => return Ok(Stored::Missing),
        (None, Some(_)) => return Ok(Stored::Broken(format!("{CA_FILE} is missing"))),
        (Some(_), None) => return Ok(Stored::Broken(format!("{CA_KEY_FILE} is missing"))),
        (Some(cert), Some(key)) => (cert, key),
    };
    let Some(der) = pem_der(&pem).filter(|der| is_certificate(der)) else {
        return Ok(Stored::Broken(format!(
            "{CA_FILE} is not a readable certificate (truncated?)"
        )));
    };
    let Ok(key) = KeyPair::from_pem(&key) else {
        return Ok(Stored::Broken(format!(
            "{CA_KEY_FILE} is not a readable private key (truncated?)"
        )));
    };
    Ok(Stored::Found(Box::new(Ca { pem, der, key })))
}

/// Refuses `path` when its mode has any of the `exposed` bits: others could replace the CA
/// (a folder they can write) or sign with its key (a key they can read).
fn refuse_exposed(
    path: &Path,
    exposed: u32,
    problem: &'static str,
    chmod: &'static str,
) -> Result<(), TlsError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let meta = std::fs::metadata(path).map_err(|source| TlsError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if meta.permissions().mode() & exposed != 0 {
            return Err(TlsError::Exposed {
                path: path.to_path_buf(),
                problem,
                chmod,
            });
        }
    }
    #[cfg(not(unix))]
    let _ = (path, exposed, problem, chmod);
    Ok(())
}

/// True when `der` is wsproxy's local CA (by its name).
pub(super) fn is_ours(der: &[u8]) -> bool {
    der.windows(CA_NAME.len()).any(|w| w == CA_NAME.as_bytes())
}

/// True when the certificate `der` carries name constraints (CAs made before they were
/// added have none: their key could sign for any site).
pub(super) fn has_name_constraints(der: &[u8]) -> bool {
    der.windows(NAME_CONSTRAINTS_OID.len())
        .any(|w| w == NAME_CONSTRAINTS_OID)
}

/// Makes a new CA in `dir` (locked by the caller), limited to the loopback names and
/// `addresses`, and writes it.
pub(super) fn create(dir: &Path, addresses: &[IpAddr]) -> Result<Ca, TlsError> {
    let bad = |what, e: rcgen::Error| TlsError::Certificate {
        what,
        reason: e.to_string(),
        dir: dir.to_path_buf(),
    };
    let key = KeyPair::generate().map_err(|e| bad("making the CA key", e))?;
    let mut params = params();
    params.name_constraints = Some(permitted(addresses));
    let cert = params
        .self_signed(&key)
        .map_err(|e| bad("making the CA certificate", e))?;
    write_file(
        &dir.join(CA_KEY_FILE),
        key.serialize_pem().as_bytes(),
        0o600,
    )?;
    write_file(&dir.join(CA_FILE), cert.pem().as_bytes(), 0o644)?;
    Ok(Ca {
        pem: cert.pem(),
        der: cert.der().clone(),
        key,
    })
}

/// Replaces the broken CA of `dir` (locked by the caller) with a new one, `why` it is broken
/// said in one log line naming the folder; the old files are kept as `*.broken`. A readable
/// certificate of another CA is not wsproxy's to replace: refused.
pub(super) fn repair(dir: &Path, addresses: &[IpAddr], why: &str) -> Result<Ca, TlsError> {
    let ca = replace(dir, addresses, why, BROKEN_SUFFIX)?;
    tracing::warn!(
        "the local CA in {} was broken ({why}): made a new one (functions trust it from this \
         start on); the old files are kept there as *{BROKEN_SUFFIX}",
        dir.display()
    );
    Ok(ca)
}

/// Replaces the working CA of `dir` (locked by the caller) with one limited to the loopback
/// names and `addresses`, `why` said in one log line naming the folder; the old files are
/// kept as `*.old`. Another CA than wsproxy's is refused.
pub(super) fn renew(dir: &Path, addresses: &[IpAddr], why: &str) -> Result<Ca, TlsError> {
    let ca = replace(dir, addresses, why, OLD_SUFFIX)?;
    tracing::warn!(
        "the local CA in {} is replaced: {why}. The new one permits only the loopback names \
         and this gateway's addresses; functions trust it from this start on (restart any \
         server still running on the old one); the old files are kept there as *{OLD_SUFFIX}",
        dir.display()
    );
    Ok(ca)
}

/// Sets the CA files of `dir` aside with `suffix` and makes a new CA, unless the folder
/// holds a readable certificate of another CA.
fn replace(dir: &Path, addresses: &[IpAddr], why: &str, suffix: &str) -> Result<Ca, TlsError> {
    let cert_path = dir.join(CA_FILE);
    if let Some(der) = read_if_there(&cert_path)?.as_deref().and_then(pem_der) {
        if is_certificate(&der) && !is_ours(&der) {
            return Err(TlsError::NotOurs {
                dir: dir.to_path_buf(),
                why: why.to_owned(),
            });
        }
    }
    for name in [CA_FILE, CA_KEY_FILE] {
        let path = dir.join(name);
        let aside = dir.join(format!("{name}{suffix}"));
        match std::fs::rename(&path, &aside) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(TlsError::Io { path, source }),
        }
    }
    create(dir, addresses)
}

/// The names a local CA may sign for: `localhost` (and its subdomains), the loopback
/// networks and `addresses`, so that its key, if it leaked, signs for no real site.
fn permitted(addresses: &[IpAddr]) -> NameConstraints {
    let mut permitted = vec![
        GeneralSubtree::DnsName("localhost".to_owned()),
        GeneralSubtree::IpAddress(CidrSubnet::from_v4_prefix([127, 0, 0, 0], 8)),
        GeneralSubtree::IpAddress(CidrSubnet::from_addr_prefix(
            std::net::Ipv6Addr::LOCALHOST.into(),
            128,
        )),
    ];
    for ip in addresses.iter().map(IpAddr::to_canonical) {
        if ip.is_unspecified() || ip.is_loopback() {
            continue;
        }
        let prefix = if ip.is_ipv4() { 32 } else { 128 };
        permitted.push(GeneralSubtree::IpAddress(CidrSubnet::from_addr_prefix(
            ip, prefix,
        )));
    }
    NameConstraints {
        permitted_subtrees: permitted,
        excluded_subtrees: Vec::new(),
    }
}

/// The local CA's fixed name and settings: with the stored key, they make the same issuer
/// on every start.
pub(super) fn params() -> CertificateParams {
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

/// True when `der` parses as a trust anchor.
fn is_certificate(der: &CertificateDer<'_>) -> bool {
    rustls::RootCertStore::empty().add(der.clone()).is_ok()
}

/// The text of `path`, or `None` when there is no such file.
fn read_if_there(path: &Path) -> Result<Option<String>, TlsError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(TlsError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The first certificate of a PEM text.
pub(super) fn pem_der(pem: &str) -> Option<CertificateDer<'static>> {
    use base64::Engine as _;
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
pub(super) fn write_file(path: &Path, data: &[u8], mode: u32) -> Result<(), TlsError> {
    let io = |source| TlsError::Io {
        path: path.to_path_buf(),
        source,
    };
    let tmp: PathBuf = path.with_extension(format!("tmp{}", std::process::id()));
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

//! The local CA's unit tests: kept private and reused, limited by name constraints, older
//! or narrower CAs replaced, exposed folders and keys refused.

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
    let key = std::fs::read_to_string(dir.join(ca::CA_KEY_FILE)).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.join(ca::CA_KEY_FILE)), 0o600);
        assert_eq!(mode(&dir), 0o700);
    }
    let second = LocalTls::load_or_create(&dir, &[]).unwrap();
    assert_eq!(std::fs::read_to_string(second.ca_file()).unwrap(), ca);
    assert_eq!(
        std::fs::read_to_string(dir.join(ca::CA_KEY_FILE)).unwrap(),
        key
    );
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
    assert_eq!(ca::pem_der(&pem_encode(&der)), Some(der));
}

#[test]
fn a_ca_that_does_not_permit_the_listen_address_is_replaced_once() {
    let dir = temp_dir("address");
    let ip = |s: &str| -> IpAddr { s.parse().unwrap() };
    let first = LocalTls::load_or_create(&dir, &[ip("192.0.2.7")]).unwrap();
    let ca = std::fs::read_to_string(first.ca_file()).unwrap();
    let again = LocalTls::load_or_create(&dir, &[ip("192.0.2.7"), ip("127.0.0.1")]).unwrap();
    assert_eq!(std::fs::read_to_string(again.ca_file()).unwrap(), ca);
    let other = LocalTls::load_or_create(&dir, &[ip("192.0.2.8")]).unwrap();
    let renewed = std::fs::read_to_string(other.ca_file()).unwrap();
    assert_ne!(renewed, ca, "192.0.2.8 is not permitted by the first CA");
    assert_eq!(std::fs::read_to_string(dir.join("ca.pem.old")).unwrap(), ca);
    let kept = LocalTls::load_or_create(&dir, &[ip("192.0.2.8")]).unwrap();
    assert_eq!(std::fs::read_to_string(kept.ca_file()).unwrap(), renewed);
    std::fs::remove_dir_all(&dir).unwrap();
}

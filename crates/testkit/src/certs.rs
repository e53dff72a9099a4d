//! Throwaway TLS certificates for test servers (rcgen).

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

/// A throwaway PKI for TLS tests, written as PEM files (mode 0600) into a temporary directory.
///
/// * `ca.pem`: a self-signed CA ("binvault test CA");
/// * `server-cert.pem` / `server-key.pem`: a server certificate signed by that CA, for the SANs
///   given to [`TestCerts::generate_for`] (`localhost` and `127.0.0.1` with
///   [`TestCerts::generate`]);
/// * `client-cert.pem` / `client-key.pem`: a client certificate (CN `binvault-client`) signed by
///   the same CA, for `REQUIRE X509` tests;
/// * `other-ca.pem`: an unrelated CA ("binvault unrelated CA") that signed nothing here, for
///   "certificate verification fails" tests.
///
/// Keys are ECDSA P-256 (what rcgen with ring generates), certificates are valid from 2000 to
/// 2099. MariaDB 10.11 (Debian, OpenSSL 3) and rustls both accept them.
///
/// The value is cheap to clone; the directory is removed when the last clone is dropped (a
/// [`MariaDb`](crate::MariaDb) started with these certificates holds a clone).
#[derive(Debug, Clone)]
pub struct TestCerts {
    /// The directory holding the files below.
    pub dir: PathBuf,
    /// The CA certificate (PEM); give it to clients as the trust root (`--ssl-ca`).
    pub ca_pem: PathBuf,
    /// The server certificate (PEM), signed by the CA (`--ssl-cert`).
    pub server_cert: PathBuf,
    /// The server certificate's private key (PKCS#8 PEM, `--ssl-key`).
    pub server_key: PathBuf,
    /// A client certificate (PEM) signed by the CA.
    pub client_cert: PathBuf,
    /// The client certificate's private key (PKCS#8 PEM).
    pub client_key: PathBuf,
    /// An unrelated CA certificate (PEM): verifying the server against it must fail.
    pub other_ca_pem: PathBuf,
    /// The CA certificate in DER form (for rustls root stores).
    pub ca_der: Vec<u8>,
    /// The unrelated CA certificate in DER form.
    pub other_ca_der: Vec<u8>,
    /// The server certificate in DER form.
    pub server_cert_der: Vec<u8>,
    /// The subject alternative names of the server certificate, as given.
    pub server_names: Vec<String>,
    _tmp: Arc<tempfile::TempDir>,
}

impl TestCerts {
    /// A CA and a server certificate for `localhost` and `127.0.0.1` (DNS name and IP address
    /// SANs), plus the client certificate and the unrelated CA.
    pub fn generate() -> anyhow::Result<TestCerts> {
        Self::generate_for(&["localhost", "127.0.0.1"])
    }

    /// Like [`TestCerts::generate`] but the server certificate carries exactly `server_names` as
    /// SANs (strings that parse as an IP address become IP SANs, the others DNS names); e.g.
    /// `generate_for(&["wrong.example"])` for hostname-mismatch tests. Its CN is the first name.
    pub fn generate_for(server_names: &[&str]) -> anyhow::Result<TestCerts> {
        let tmp = tempfile::Builder::new()
            .prefix("bv-certs-")
            .tempdir()
            .context("TestCerts: create temp dir")?;
        let dir = tmp.path().to_path_buf();

        let (ca_cert, ca_key) = make_ca("binvault test CA")?;
        let (other_ca, _other_key) = make_ca("binvault unrelated CA")?;

        let names: Vec<String> = server_names.iter().map(|s| s.to_string()).collect();
        let mut server_params =
            CertificateParams::new(names.clone()).context("TestCerts: server SANs")?;
        set_validity(&mut server_params);
        server_params.distinguished_name.push(
            DnType::CommonName,
            names
                .first()
                .map(String::as_str)
                .unwrap_or("binvault test server"),
        );
        server_params
            .distinguished_name
            .push(DnType::OrganizationName, "binvault tests");
        server_params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        server_params.use_authority_key_identifier_extension = true;
        let server_key = KeyPair::generate().context("TestCerts: server key")?;
        let server_cert = server_params
            .signed_by(&server_key, &ca_cert, &ca_key)
            .context("TestCerts: sign server certificate")?;

        let mut client_params =
            CertificateParams::new(Vec::<String>::new()).context("TestCerts: client params")?;
        set_validity(&mut client_params);
        client_params
            .distinguished_name
            .push(DnType::CommonName, "binvault-client");
        client_params
            .distinguished_name
            .push(DnType::OrganizationName, "binvault tests");
        client_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        client_params.use_authority_key_identifier_extension = true;
        let client_key = KeyPair::generate().context("TestCerts: client key")?;
        let client_cert = client_params
            .signed_by(&client_key, &ca_cert, &ca_key)
            .context("TestCerts: sign client certificate")?;

        let ca_pem = write_private(&dir, "ca.pem", &ca_cert.pem())?;
        let other_ca_pem = write_private(&dir, "other-ca.pem", &other_ca.pem())?;
        let server_cert_path = write_private(&dir, "server-cert.pem", &server_cert.pem())?;
        let server_key_path = write_private(&dir, "server-key.pem", &server_key.serialize_pem())?;
        let client_cert_path = write_private(&dir, "client-cert.pem", &client_cert.pem())?;
        let client_key_path = write_private(&dir, "client-key.pem", &client_key.serialize_pem())?;

        Ok(TestCerts {
            dir,
            ca_pem,
            server_cert: server_cert_path,
            server_key: server_key_path,
            client_cert: client_cert_path,
            client_key: client_key_path,
            other_ca_pem,
            ca_der: ca_cert.der().to_vec(),
            other_ca_der: other_ca.der().to_vec(),
            server_cert_der: server_cert.der().to_vec(),
            server_names: names,
            _tmp: Arc::new(tmp),
        })
    }
}

/// A self-signed CA certificate and its key.
fn make_ca(common_name: &str) -> anyhow::Result<(Certificate, KeyPair)> {
    let mut params =
        CertificateParams::new(Vec::<String>::new()).context("TestCerts: CA params")?;
    set_validity(&mut params);
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "binvault tests");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let key = KeyPair::generate().context("TestCerts: CA key")?;
    let cert = params
        .self_signed(&key)
        .context("TestCerts: self-sign CA")?;
    Ok((cert, key))
}

fn set_validity(params: &mut CertificateParams) {
    params.not_before = rcgen::date_time_ymd(2000, 1, 1);
    params.not_after = rcgen::date_time_ymd(2099, 12, 31);
}

/// Writes `contents` to `dir/name` with mode 0600.
fn write_private(dir: &Path, name: &str, contents: &str) -> anyhow::Result<PathBuf> {
    let path = dir.join(name);
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("TestCerts: create {}", path.display()))?;
    f.write_all(contents.as_bytes())
        .with_context(|| format!("TestCerts: write {}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn files_exist_private_and_pem() {
        let certs = TestCerts::generate().unwrap();
        for p in [
            &certs.ca_pem,
            &certs.server_cert,
            &certs.server_key,
            &certs.client_cert,
            &certs.client_key,
            &certs.other_ca_pem,
        ] {
            let meta = std::fs::metadata(p).unwrap();
            assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{}", p.display());
            let text = std::fs::read_to_string(p).unwrap();
            assert!(text.starts_with("-----BEGIN "), "{}", p.display());
        }
        assert_ne!(certs.ca_der, certs.other_ca_der);
        let dir = certs.dir.clone();
        let clone = certs.clone();
        drop(certs);
        assert!(dir.exists(), "a clone keeps the directory");
        drop(clone);
        assert!(!dir.exists());
    }
}

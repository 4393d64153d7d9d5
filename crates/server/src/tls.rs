//! HTTPS: the certificate and key files, read into the configuration that the serving
//! loop (`serve.rs`) hands each connection's handshake to, so that HTTP and HTTPS share
//! one loop (graceful shutdown, the connection cap, the header timeout, the peer address
//! for the join rate limit).
//!
//! rustls with the `ring` provider (no C toolchain beyond a compiler, the same provider
//! the client's reqwest uses); TLS 1.2 and 1.3, HTTP/1.1 by ALPN.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The PEM files of a server certificate and its private key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain: the server's certificate first, then any intermediates.
    pub cert: PathBuf,
    /// Its private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// A certificate or key file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the TLS certificate {}: {source}", path.display())]
    ReadCert { path: PathBuf, source: io::Error },
    #[error("cannot read the TLS key {}: {source}", path.display())]
    ReadKey { path: PathBuf, source: io::Error },
    #[error("the TLS certificate {} is not a PEM certificate chain: {reason}", path.display())]
    BadCert { path: PathBuf, reason: String },
    #[error("the TLS key {} is not a PEM private key: {reason}", path.display())]
    BadKey { path: PathBuf, reason: String },
    #[error("the TLS key {} cannot be used with the certificate {}: {reason}", key.display(), cert.display())]
    Mismatch {
        cert: PathBuf,
        key: PathBuf,
        reason: String,
    },
}

/// Reads both files and builds the server's TLS configuration.
pub fn load(files: &TlsFiles) -> Result<Arc<ServerConfig>, TlsError> {
    let cert_pem = read(&files.cert).map_err(|source| TlsError::ReadCert {
        path: files.cert.clone(),
        source,
    })?;
    let key_pem = read(&files.key).map_err(|source| TlsError::ReadKey {
        path: files.key.clone(),
        source,
    })?;
    let bad_cert = |reason: String| TlsError::BadCert {
        path: files.cert.clone(),
        reason,
    };
    let certs = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad_cert(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad_cert("no `BEGIN CERTIFICATE` block in it".into()));
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| TlsError::BadKey {
        path: files.key.clone(),
        reason: e.to_string(),
    })?;
    let mismatch = |reason: String| TlsError::Mismatch {
        cert: files.cert.clone(),
        key: files.key.clone(),
        reason,
    };
    let mut config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| mismatch(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| mismatch(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A file's bytes; a directory is an error too.
fn read(path: &Path) -> io::Result<Vec<u8>> {
    if path.is_dir() {
        return Err(io::Error::other("it is a directory"));
    }
    std::fs::read(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    type R = Result<(), Box<dyn std::error::Error>>;

    /// A self-signed certificate for 127.0.0.1 and its key, as PEM files in `dir`.
    fn write_pair(dir: &Path, name: &str) -> Result<TlsFiles, Box<dyn std::error::Error>> {
        let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()])?;
        let files = TlsFiles {
            cert: dir.join(format!("{name}.crt")),
            key: dir.join(format!("{name}.key")),
        };
        std::fs::write(&files.cert, cert.cert.pem())?;
        std::fs::write(&files.key, cert.signing_key.serialize_pem())?;
        Ok(files)
    }

    fn message(files: &TlsFiles) -> String {
        match load(files) {
            Ok(_) => "loaded".into(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_matching_pair_loads_and_offers_http_1_1() -> R {
        let dir = tempfile::tempdir()?;
        let files = write_pair(dir.path(), "server")?;
        let config = load(&files)?;
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
        Ok(())
    }

    #[test]
    fn every_unusable_file_is_named_in_the_error() -> R {
        let dir = tempfile::tempdir()?;
        let good = write_pair(dir.path(), "a")?;
        let other = write_pair(dir.path(), "b")?;
        let missing = dir.path().join("missing.pem");
        let garbage = dir.path().join("garbage.pem");
        std::fs::write(&garbage, "not a pem file\n")?;

        let m = message(&TlsFiles {
            cert: missing.clone(),
            key: good.key.clone(),
        });
        assert!(
            m.contains("certificate") && m.contains(&missing.display().to_string()),
            "{m}"
        );
        let m = message(&TlsFiles {
            cert: good.cert.clone(),
            key: missing.clone(),
        });
        assert!(
            m.contains("key") && m.contains(&missing.display().to_string()),
            "{m}"
        );
        let m = message(&TlsFiles {
            cert: garbage.clone(),
            key: good.key.clone(),
        });
        assert!(m.contains(&garbage.display().to_string()), "{m}");
        // A key where the certificate belongs, and the other way round.
        let m = message(&TlsFiles {
            cert: good.key.clone(),
            key: good.cert.clone(),
        });
        assert!(m.contains(&good.key.display().to_string()), "{m}");
        let m = message(&TlsFiles {
            cert: good.cert.clone(),
            key: garbage.clone(),
        });
        assert!(m.contains(&garbage.display().to_string()), "{m}");
        let m = message(&TlsFiles {
            cert: dir.path().to_path_buf(),
            key: good.key.clone(),
        });
        assert!(m.contains("directory"), "{m}");
        // Someone else's key.
        let m = message(&TlsFiles {
            cert: good.cert.clone(),
            key: other.key.clone(),
        });
        assert!(
            m.contains(&good.cert.display().to_string())
                && m.contains(&other.key.display().to_string()),
            "{m}"
        );
        Ok(())
    }
}

//! HTTPS: the certificate and key files, and a listener that hands `axum::serve` TLS
//! connections, so that HTTP and HTTPS share one serving loop (graceful shutdown, the
//! peer address for the join rate limit).
//!
//! rustls with the `ring` provider (no C toolchain beyond a compiler, the same provider
//! the client's reqwest uses); TLS 1.2 and 1.3, HTTP/1.1 by ALPN.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::server::TlsStream;

/// How long a client may take to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections that finished their handshake and wait for `axum::serve` to take them.
const READY_QUEUE: usize = 64;

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

/// TLS connections for `axum::serve`: a background task accepts TCP connections and runs
/// each handshake in a task of its own (a slow or silent client holds up nobody); the
/// finished ones queue here. Connections whose handshake fails (say, plain HTTP sent to
/// the HTTPS port) are closed and logged at debug level.
///
/// Dropping it (as `axum::serve` does when it stops accepting) stops the accept task and
/// closes the listening socket.
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local_addr: SocketAddr,
    acceptor: JoinHandle<()>,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, config: Arc<ServerConfig>) -> io::Result<Self> {
        let local_addr = tcp.local_addr()?;
        let (tx, ready) = mpsc::channel(READY_QUEUE);
        let acceptor = tokio::spawn(accept_loop(tcp, TlsAcceptor::from(config), tx));
        Ok(Self {
            ready,
            local_addr,
            acceptor,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.acceptor.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(conn) => conn,
            // The accept task ended (it only does when this listener is dropped): no more
            // connections.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local_addr)
    }
}

async fn accept_loop(
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    ready: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    loop {
        let accepted = tokio::select! {
            accepted = tcp.accept() => accepted,
            () = ready.closed() => return,
        };
        let (stream, peer) = match accepted {
            Ok(conn) => conn,
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                // Out of file descriptors or the like: wait for some to be freed.
                tracing::error!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        // Small writes (handshake flights, SSE events) go out at once.
        let _ = stream.set_nodelay(true);
        let acceptor = acceptor.clone();
        let ready = ready.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    let _ = ready.send((tls, peer)).await;
                }
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        });
    }
}

/// Errors of one connection, not of the listening socket.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
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

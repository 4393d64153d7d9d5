//! The serving loop: accepts TCP connections (HTTPS: runs each TLS handshake), and serves
//! HTTP/1.1 on each with hyper, in place of `axum::serve`, for what that one does not
//! offer:
//!
//! - a **header read timeout** ([`ServeOptions::header_timeout`]): a connection that has
//!   not sent a whole request head within it, whether new or idle between requests, is
//!   closed (a client that sends half a request line and stalls holds a connection only
//!   that long);
//! - a **connection cap** ([`ServeOptions::max_connections`]): a connection over it is
//!   answered `503` with `Connection: close` (plain HTTP; an HTTPS one is closed before
//!   its handshake) instead of the process running out of file descriptors.
//!
//! Graceful shutdown works as with `axum::serve`: no new connections, requests in flight
//! finish (event streams end on the same signal), idle connections close, and the loop
//! returns once every connection is gone. Each request carries the peer's
//! `ConnectInfo<SocketAddr>`, as `into_make_service_with_connect_info` gives it.

use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use quickreply_proto::api::{ErrorBody, codes};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tower_service::Service as _;

use crate::limits::Throttle;

/// How long a client may take to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long writing the `503` to a connection over the cap may take.
const REFUSAL_WRITE_TIMEOUT: Duration = Duration::from_secs(2);
/// Most bytes of a refused connection's request read (and dropped) before closing it.
const REFUSAL_DRAIN: usize = 64 * 1024;
/// `Retry-After` of a refused connection, in seconds.
const REFUSAL_RETRY_SECS: u64 = 5;

/// How connections are served.
#[derive(Clone, Debug)]
pub(crate) struct ServeOptions {
    /// Longest wait for a whole request head (new and idle connections alike).
    pub header_timeout: Duration,
    /// Most open connections; the rest are refused.
    pub max_connections: usize,
    /// HTTPS with this configuration (`None`: plain HTTP).
    pub tls: Option<Arc<ServerConfig>>,
}

/// Serves `app` on `listener` until `shutdown` turns `true`, then waits for every
/// connection to finish.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    options: ServeOptions,
    mut shutdown: watch::Receiver<bool>,
) -> io::Result<()> {
    let permits = Arc::new(Semaphore::new(options.max_connections));
    let acceptor = options.tls.clone().map(TlsAcceptor::from);
    let refusals = Throttle::default();
    // Every connection task holds a receiver; the loop waits for all to be dropped.
    let (close_tx, close_rx) = watch::channel(());
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.wait_for(|stop| *stop) => break,
        };
        let (stream, peer) = match accepted {
            Ok(conn) => conn,
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                // Out of file descriptors or the like: wait for some to be freed.
                tracing::error!(error = %e, "accept failed");
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    _ = shutdown.wait_for(|stop| *stop) => break,
                }
            }
        };
        // Small writes (handshake flights, SSE events) go out at once.
        let _ = stream.set_nodelay(true);
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            if let Some(refused) = refusals.due() {
                tracing::warn!(
                    max_connections = options.max_connections,
                    refused,
                    "connections refused: the server is at its connection cap (raise the \
                     open-files limit or --max-connections)"
                );
            }
            if acceptor.is_none() {
                tokio::spawn(refuse(stream, options.max_connections));
            }
            // HTTPS: closed here (a 503 would need the handshake first).
            continue;
        };
        let app = app.clone();
        let acceptor = acceptor.clone();
        let shutdown = shutdown.clone();
        let close_rx = close_rx.clone();
        let header_timeout = options.header_timeout;
        tokio::spawn(async move {
            match acceptor {
                None => serve_connection(stream, peer, app, header_timeout, shutdown).await,
                Some(acceptor) => {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            serve_connection(tls, peer, app, header_timeout, shutdown).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
            }
            drop(permit);
            drop(close_rx);
        });
    }
    // No new connections from here; wait for those open to finish.
    drop(listener);
    drop(close_rx);
    close_tx.closed().await;
    Ok(())
}

/// Serves HTTP/1.1 on one connection until the peer leaves, the header timeout closes it,
/// or (gracefully) the server stops.
async fn serve_connection<IO>(
    io: IO,
    peer: SocketAddr,
    app: Router,
    header_timeout: Duration,
    mut shutdown: watch::Receiver<bool>,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let mut req = req.map(Body::new);
        req.extensions_mut().insert(ConnectInfo(peer));
        let mut app = app.clone();
        // A router is always ready: no `poll_ready` needed.
        async move { app.call(req).await }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let mut conn = pin!(builder.serve_connection(TokioIo::new(io), service));
    let mut stopping = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "connection ended");
                }
                return;
            }
            _ = shutdown.wait_for(|stop| *stop), if !stopping => {
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// Answers a connection over the cap `503` and closes it.
async fn refuse(mut stream: TcpStream, max: usize) {
    let body = ErrorBody {
        code: codes::UNAVAILABLE.into(),
        message: format!(
            "the server has as many connections open as it takes ({max}): try again in a few seconds"
        ),
        current: None,
    };
    let body = serde_json::to_vec(&body).unwrap_or_default();
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nretry-after: {REFUSAL_RETRY_SECS}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let write = async {
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(&body).await?;
        stream.shutdown().await?;
        // Read what the client sent until it closes too: closing with its request unread
        // would reset the connection, and the client might lose the answer.
        let mut sink = [0u8; 4096];
        let mut left = REFUSAL_DRAIN;
        while left > 0 {
            let n = stream.read(&mut sink).await?;
            if n == 0 {
                break;
            }
            left = left.saturating_sub(n);
        }
        Ok::<_, io::Error>(())
    };
    let _ = tokio::time::timeout(REFUSAL_WRITE_TIMEOUT, write).await;
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

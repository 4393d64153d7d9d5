//! The QuickReply sync server: teams, devices, libraries of items with a change feed, image
//! blobs and live `head` events. The wire protocol is `quickreply_proto::api`; this crate
//! implements exactly it.
//!
//! # Running
//!
//! [`spawn`] opens the data directory, binds, and serves until [`ServerHandle::stop`];
//! the `quickreply-server` binary wraps it with flags ([`cli`]), prints
//! `setup code: XXXX-XXXX-XXXX-XXXX` while the server has no users, then
//! `listening on http://ADDR` (`https://ADDR` with TLS), and shuts down gracefully on
//! SIGTERM or Ctrl-C.
//!
//! # HTTPS
//!
//! With [`Config::tls`] (`--tls-cert FILE --tls-key FILE`, PEM) the server speaks only
//! HTTPS ([`tls`]: rustls with the `ring` provider, TLS 1.2/1.3, HTTP/1.1). Both files are
//! read before anything else; one that is missing, unreadable or invalid, or a key that
//! does not belong to the certificate, stops the start with an error naming the file.
//! Connections come through the same serving loop as plain HTTP (`serve`; handshakes run in
//! tasks of their own, 10 s at most), so graceful shutdown, the connection limits and the
//! peer address of the join rate limit work alike. Clients trust a private CA through the OS store or
//! `SSL_CERT_FILE` (see `crates/server/README.md`).
//!
//! # Connection limits
//!
//! A header read timeout ([`Config::header_timeout`], 30 s) closes connections that do not
//! send a whole request head in time; connections and event streams are capped
//! ([`limits`]: by default from the open-files limit, which the binary raises to the hard
//! limit at start and logs), and what is over a cap is answered `503 unavailable` with
//! `Retry-After` and closed, so the server stays reachable for `/healthz` and writes.
//!
//! # Storage layout
//!
//! Without a database URL, `<data-dir>/server.db` is a SQLite database
//! ([`store::SqliteStore`]; PostgreSQL has the same tables, see below):
//!
//! - `teams`, `users` (role, personal library), `devices` (SHA-256 of the bearer token,
//!   `last_seen`, `revoked`, reported app version and cursors), `codes` (SHA-256 of the
//!   setup, invite and pairing codes, with role, uses left and expiry);
//! - `libraries` (`personal` with its user, or `team`; `head` = last sequence number,
//!   `last_change` = server-wide change number of its last write);
//! - `items`: the latest state of every item of every library (live or tombstone) with
//!   `version`, `seq` (the library's change feed order), the `op` of the write that made
//!   it, the server-wide `change_no` (SSE event ids), and its last `writer` and document
//!   `size` (the storage quota, `store::quota`, whose running totals are
//!   `users.stored_bytes`); a `meta` row holds the counter;
//! - `item_blobs` (which live items refer to which image) and `blobs` (size, sniffed type).
//!
//! `<data-dir>/blobs/<sha256>` holds the images, written to a temporary file, synced and
//! renamed into place before their row is stored.
//!
//! Every request's storage work runs on `spawn_blocking`: one writer connection behind a
//! mutex (each write is one transaction: item, version, sequence, head and change number
//! move together) and a small pool of reader connections. The [`store::Store`] trait keeps
//! the HTTP layer independent of the database: [`store::PgStore`] implements it on
//! PostgreSQL with the same answers.
//!
//! # PostgreSQL
//!
//! `--database-url postgres://user:password@host:port/db` (or `QUICKREPLY_DATABASE_URL`,
//! or `database_url` in the `--config` file) stores everything in that database instead
//! of the data directory, which is then unused; several server instances may share the
//! database behind a load balancer. Give the server a database of its own (the tables go
//! into its default schema); no TLS to the database (run it on a trusted network or over
//! a Unix socket, `postgres://user@%2Fvar%2Frun%2Fpostgresql/db`).
//!
//! - The schema is created on first start and upgraded by numbered migrations
//!   (`schema_version`), under an advisory lock so instances starting together do not race.
//! - Each instance keeps a pool of 16 connections plus one listener connection.
//! - Sequence numbers: a write locks its library's row (`SELECT … FOR NO KEY UPDATE`)
//!   before reading the item and head, so they stay strictly increasing and gap-free with
//!   writers on every instance. SSE ids: a counter row that the write updates late and
//!   holds locked until commit, so ids increase in commit order (a `SEQUENCE` would not)
//!   and resuming with `Last-Event-ID` never skips a change.
//! - Live events: each write sends `NOTIFY quickreply_changes, '{"kind":"change",
//!   "library_id", "head", "change_no", "team_id", "personal_user"}'` inside its
//!   transaction; every instance `LISTEN`s on a dedicated connection and broadcasts what
//!   it hears to its SSE clients, the writing instance included (it does not announce its
//!   own writes directly), so each change is announced once, in commit order, everywhere.
//!   A lost listener connection is re-established every second; the instance then
//!   re-announces every library changed meanwhile.
//! - Revocations are notified too (`{"kind":"revoked","device_id"}`): every instance
//!   empties its token cache and ends the device's streams. The token cache (5 s) stays:
//!   on another instance a revoked token keeps working for the moment the notification
//!   takes to arrive (milliseconds), at most 5 s if that instance's listener is down.
//! - Images are kept in the database (`blob_data`), so every instance serves every image
//!   without a shared file system.
//! - Per instance: the join and invite rate limits, the metrics counters and the SSE clients. While
//!   the database has no user, every instance start replaces the setup code: use the one
//!   printed last (or start one instance first).
//! - Durability is PostgreSQL's: a write is answered after its commit (with the default
//!   `synchronous_commit=on`, flushed to the WAL).
//!
//! # Durability
//!
//! WAL journal with `synchronous=NORMAL`: a write is answered only after its transaction
//! is committed to the WAL, so a crash or `kill -9` of the server loses no acknowledged
//! write; a power loss or OS crash may lose the last few commits (the database stays
//! consistent). Retried writes are recognised by their `op` and answered without writing
//! twice.
//!
//! # Auth rules
//!
//! - Every endpoint except `POST /v1/join`, `/healthz` and `/metrics` (below) needs
//!   `Authorization: Bearer <token>`; unknown tokens and revoked devices get `401`.
//!   Tokens (256 random bits) and codes (80 bits, `XXXX-XXXX-XXXX-XXXX`) are stored only
//!   as SHA-256 hashes. Joining is rate-limited per client IP (`--join-per-minute`), making
//!   invite and pairing codes per device (`--invite-per-minute`); both answer `429
//!   rate_limited` with `Retry-After`.
//! - The setup code makes the first user the team's owner; invite codes add members with
//!   the invite's role (owners may invite any role, editors agents and editors, agents
//!   nobody); pairing codes (anyone, for themselves) add a device to the creator's user.
//! - A personal library is readable and writable by its user only (not even the owner
//!   sees it); a team library is readable by every member and writable by owners and
//!   editors. A library the caller cannot read answers `404` (its existence is never
//!   revealed); one they can read but not write answers `403`.
//! - Blobs may be uploaded by any member and are readable only while a live item of a
//!   library the caller can read refers to them.
//! - Devices are listed for the owner (whole team) or for their own user; the owner may
//!   revoke any device of the team, everyone their own user's devices.
//! - `/metrics` (counts only) is served on the public address only with
//!   `--metrics-token` (asked for as `Authorization: Bearer <token>`); `--metrics-addr`
//!   serves it on a second, plain-HTTP address of its own instead (with the token too, when
//!   one is set). With neither, nobody can read it (`404`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

mod admin;
mod blobs;
pub mod cli;
mod clock;
mod codes;
mod error;
mod events;
mod extract;
mod http;
pub mod limits;
mod metrics;
mod pages;
mod ratelimit;
pub mod scan;
mod serve;
mod signin;
mod stale;
mod state;
pub mod store;
mod suggestions;
pub mod tls;
mod validate;

pub use clock::Clock;
pub use error::Error;
pub use tls::TlsFiles;

/// Capacity of the change broadcast (a slower subscriber re-reads heads from the store).
const EVENT_BUFFER: usize = 4096;

/// [`Config::member_quota`] by default: 256 MiB, room for thousands of replies and a few
/// hundred images per member.
pub const DEFAULT_MEMBER_QUOTA: u64 = 256 * 1024 * 1024;

/// How the server runs. [`Default`] gives the documented defaults.
#[derive(Clone, Debug)]
pub struct Config {
    /// Holds `server.db` and `blobs/`; created if missing (unused with `database_url`).
    pub data_dir: PathBuf,
    /// `postgres://user:password@host:port/db`: store everything in PostgreSQL instead of
    /// the data directory (see [the crate docs](crate#postgresql)).
    pub database_url: Option<String>,
    /// `ADDR:PORT` to listen on (port 0: any free port; see [`Server::addr`]).
    pub listen: String,
    /// Name of the team the setup code creates.
    pub team_name: String,
    /// Largest JSON request body (bytes).
    pub max_body: usize,
    /// Largest image blob (bytes); [`quickreply_proto::MAX_IMAGE_BYTES`] by default, the
    /// limit clients apply when an image is added.
    pub max_image: usize,
    /// Interval of SSE keep-alive comments.
    pub heartbeat: Duration,
    /// Join attempts allowed per client IP per minute.
    pub join_per_minute: u32,
    /// Invite and pairing codes each device may make per minute.
    pub invite_per_minute: u32,
    /// Serve HTTPS with this certificate and key (`None`: plain HTTP).
    pub tls: Option<TlsFiles>,
    /// The bearer token `/metrics` asks for (`None`: `/metrics` is not served on
    /// [`Self::listen`]).
    pub metrics_token: Option<String>,
    /// `ADDR:PORT` of a second, plain-HTTP listener that serves only `/metrics` and
    /// `/healthz` (with [`Self::metrics_token`] when one is set): for a scraper on a
    /// private network (`None`: no such listener).
    pub metrics_listen: Option<String>,
    /// Longest wait for a whole request head; a connection that has not sent one by then
    /// (new, or idle between requests) is closed.
    pub header_timeout: Duration,
    /// Most open connections (`None`: from the open-files limit, see [`limits`]).
    pub max_connections: Option<usize>,
    /// Most open event streams in total (`None`: from the connection cap, see [`limits`]).
    pub max_streams: Option<usize>,
    /// Most open event streams of one device.
    pub max_streams_per_device: usize,
    /// Bytes of replies and images each member may keep on the server (0: no quota; see
    /// `store::quota`).
    pub member_quota: u64,
    /// Scanning to sign in with WeCom, Feishu, DingTalk, WeChat or QQ (`scan`): the
    /// providers and the public URL (none: the feature is off).
    pub scan: scan::config::ScanConfig,
    /// The clock (tests move it forward to expire codes).
    pub clock: Clock,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
            database_url: None,
            listen: "127.0.0.1:8787".into(),
            team_name: "我的团队".into(),
            max_body: 1024 * 1024,
            max_image: quickreply_proto::MAX_IMAGE_BYTES as usize,
            heartbeat: Duration::from_secs(15),
            join_per_minute: 10,
            invite_per_minute: 30,
            tls: None,
            metrics_token: None,
            metrics_listen: None,
            header_timeout: Duration::from_secs(30),
            max_connections: None,
            max_streams: None,
            max_streams_per_device: limits::DEFAULT_STREAMS_PER_DEVICE,
            member_quota: DEFAULT_MEMBER_QUOTA,
            scan: scan::config::ScanConfig::default(),
            clock: Clock::system(),
        }
    }
}

/// A running server.
#[derive(Debug)]
pub struct Server {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// Whether it serves HTTPS ([`Config::tls`]).
    pub https: bool,
    /// The address of the metrics listener ([`Config::metrics_listen`]).
    pub metrics_addr: Option<SocketAddr>,
    /// The owner setup code, while the server has no users (a new one on every start until
    /// it is used).
    pub setup_code: Option<String>,
    /// Stops it.
    pub handle: ServerHandle,
}

impl Server {
    /// Its base URL: `http://ADDR` or `https://ADDR`.
    pub fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }
}

/// Stops a running server. Dropping it stops the server too.
#[derive(Debug)]
pub struct ServerHandle {
    shutdown: watch::Sender<bool>,
    task: JoinHandle<std::io::Result<()>>,
}

impl ServerHandle {
    /// Asks the server to stop: no new connections, event streams end, requests in flight
    /// finish.
    pub fn shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Waits until the server has stopped.
    pub async fn wait(self) -> Result<(), Error> {
        let ServerHandle { shutdown, task } = self;
        let result = task
            .await
            .map_err(|e| Error::internal(format!("server task failed: {e}")));
        drop(shutdown);
        Ok(result??)
    }

    /// [`Self::shutdown`] and [`Self::wait`].
    pub async fn stop(self) -> Result<(), Error> {
        self.shutdown();
        self.wait().await
    }
}

/// The storage a server runs on.
struct Storage {
    store: Arc<dyn store::Store>,
    /// `None`: images are kept by the store.
    blobs: Option<blobs::BlobDir>,
    /// PostgreSQL's change fan-out.
    listener: Option<store::postgres::Listener>,
    /// Where it is, for the log.
    describe: String,
}

/// `<data-dir>/server.db` and `<data-dir>/blobs/`.
async fn open_sqlite(data_dir: PathBuf) -> Result<Storage, Error> {
    let describe = data_dir.display().to_string();
    let (store, blob_dir) = tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&data_dir)?;
        let store = store::SqliteStore::open(&data_dir.join("server.db"))?;
        let blobs = blobs::BlobDir::open(&data_dir.join("blobs"))?;
        Ok::<_, Error>((store, blobs))
    })
    .await
    .map_err(|e| Error::internal(format!("opening the data directory failed: {e}")))??;
    Ok(Storage {
        store: Arc::new(store),
        blobs: Some(blob_dir),
        listener: None,
        describe,
    })
}

/// A PostgreSQL database: a connection pool (schema migrated) and the listener connection.
async fn open_postgres(url: &str) -> Result<Storage, Error> {
    let store = store::PgStore::connect(url).await?;
    let listener = store.listen().await?;
    Ok(Storage {
        describe: format!("postgres://{}", store.target()),
        store: Arc::new(store),
        blobs: None,
        listener: Some(listener),
    })
}

/// Binds the metrics listener and serves `/metrics` there until `shutdown`.
async fn serve_metrics(
    listen: &str,
    state: state::AppState,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(SocketAddr, JoinHandle<std::io::Result<()>>), Error> {
    let socket = TcpListener::bind(listen)
        .await
        .map_err(|source| Error::Bind {
            addr: listen.to_string(),
            source,
        })?;
    let addr = socket.local_addr()?;
    let app = http::metrics_router(state);
    let task = tokio::spawn(async move {
        axum::serve(socket, app)
            .with_graceful_shutdown(async move {
                let _ = shutdown.wait_for(|s| *s).await;
            })
            .await
    });
    Ok((addr, task))
}

/// Reads the TLS files (when given), opens the storage (the data directory, or
/// PostgreSQL with `database_url`), binds `config.listen` and serves in the background.
pub async fn spawn(config: Config) -> Result<Server, Error> {
    // First, so that an unusable certificate or key stops the start before anything is
    // created.
    let tls = match config.tls.clone() {
        Some(files) => Some(
            tokio::task::spawn_blocking(move || tls::load(&files))
                .await
                .map_err(|e| Error::internal(format!("reading the TLS files failed: {e}")))??,
        ),
        None => None,
    };
    let Storage {
        store,
        blobs: blob_dir,
        listener,
        describe,
    } = match &config.database_url {
        Some(url) => open_postgres(url).await?,
        None => open_sqlite(config.data_dir.clone()).await?,
    };

    let listener_socket =
        TcpListener::bind(&config.listen)
            .await
            .map_err(|source| Error::Bind {
                addr: config.listen.clone(),
                source,
            })?;
    let addr = listener_socket.local_addr()?;

    let code = codes::new_code()?;
    let code_hash = codes::hash_code(&code);
    let now = config.clock.now_ms();
    let setup_store = Arc::clone(&store);
    let needs_setup =
        tokio::task::spawn_blocking(move || setup_store.ensure_setup_code(&code_hash, now))
            .await
            .map_err(|e| Error::internal(format!("setup task failed: {e}")))??;

    let open_files = limits::open_files();
    let caps = limits::Limits::derive(
        open_files.map(|f| f.soft),
        config.max_connections,
        config.max_streams,
        config.max_streams_per_device,
    );
    if let Some(files) = open_files {
        let room = files.soft.saturating_sub(limits::FILE_RESERVE);
        if u64::try_from(caps.max_connections).unwrap_or(u64::MAX) > room {
            tracing::warn!(
                max_connections = caps.max_connections,
                open_files = files.soft,
                "max_connections leaves fewer than {} of the open-files limit for the \
                 database and images: at the cap the server may fail to open files",
                limits::FILE_RESERVE
            );
        }
    }

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let (events, _) = broadcast::channel(EVENT_BUFFER);
    let state = state::AppState(Arc::new(state::Inner {
        auth_cache: state::AuthCache::default(),
        store,
        blobs: blob_dir,
        team_name: config.team_name.clone(),
        max_image: config.max_image,
        member_quota: config.member_quota,
        heartbeat: config.heartbeat,
        events,
        metrics: metrics::Metrics::default(),
        join_limiter: ratelimit::RateLimiter::new(config.join_per_minute),
        invite_limiter: ratelimit::RateLimiter::new(config.invite_per_minute),
        clock: config.clock.clone(),
        shutdown: shutdown_rx.clone(),
        metrics_token_hash: config
            .metrics_token
            .as_deref()
            .map(|t| codes::sha256_hex(t.trim().as_bytes())),
        streams: limits::StreamSlots::new(caps.max_streams, caps.max_streams_per_device),
        pages: pages::PageCache::default(),
        scan: scan::Scan {
            base_url: config
                .scan
                .public_url
                .as_deref()
                .map(|u| u.trim_end_matches('/').to_string())
                .unwrap_or_else(|| {
                    format!("{}://{addr}", if tls.is_some() { "https" } else { "http" })
                }),
            config: config.scan.clone(),
            http: scan::providers::client()?,
        },
    }));
    let metrics_listener = match &config.metrics_listen {
        Some(listen) => Some(serve_metrics(listen, state.clone(), shutdown_rx.clone()).await?),
        None => None,
    };
    if let Some(listener) = listener {
        // Every committed change and revocation, from every instance, in commit order.
        let heard_by = state.clone();
        tokio::spawn(listener.run(shutdown_rx.clone(), move |heard| match heard {
            store::postgres::Heard::Change(change, item) => {
                let _ = heard_by
                    .events
                    .send(state::Notice::change(change, item.as_deref()));
            }
            store::postgres::Heard::Revoked(device) => {
                heard_by.auth_cache.clear();
                let _ = heard_by.events.send(state::Notice::Revoked(device));
            }
            store::postgres::Heard::Resync => heard_by.auth_cache.clear(),
        }));
    }
    let app = http::router(state, config.max_body, config.max_image);
    let https = tls.is_some();
    let options = serve::ServeOptions {
        header_timeout: config.header_timeout,
        max_connections: caps.max_connections,
        tls,
    };
    let task = tokio::spawn(serve::serve(listener_socket, app, options, shutdown_rx));
    let (metrics_addr, task) = match metrics_listener {
        None => (None, task),
        Some((metrics_addr, metrics_task)) => (
            Some(metrics_addr),
            // The server has stopped once both listeners have.
            tokio::spawn(async move {
                let (api, metrics) = tokio::join!(task, metrics_task);
                metrics.map_err(std::io::Error::other)??;
                api.map_err(std::io::Error::other)?
            }),
        ),
    };
    tracing::info!(
        %addr,
        https,
        ?metrics_addr,
        storage = %describe,
        open_files = open_files.map(|f| f.soft),
        max_connections = caps.max_connections,
        max_event_streams = caps.max_streams,
        max_event_streams_per_device = caps.max_streams_per_device,
        header_timeout_secs = config.header_timeout.as_secs_f64(),
        "serving"
    );
    Ok(Server {
        addr,
        https,
        metrics_addr,
        setup_code: needs_setup.then_some(code),
        handle: ServerHandle {
            shutdown: shutdown_tx,
            task,
        },
    })
}

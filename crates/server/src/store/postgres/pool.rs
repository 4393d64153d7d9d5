//! Connections to PostgreSQL: a pool of [`POOL_SIZE`] per instance, the transactions the
//! `Store` methods run in (read-committed writes, repeatable-read snapshots for reads),
//! and the bridge from the blocking `Store` calls to the async client (`run`). The query
//! helpers (`one`, `opt`, `all`, `exec`) prepare through each connection's statement
//! cache.

use std::future::Future;
use std::str::FromStr as _;
use std::time::Duration;

use deadpool_postgres::{
    GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime, Transaction,
};
use tokio_postgres::types::ToSql;
use tokio_postgres::{IsolationLevel, NoTls, Row};

use super::PgStore;
use crate::Error;

/// Connections per server instance (PostgreSQL's default `max_connections` is 100).
const POOL_SIZE: usize = 16;
/// How long a request waits for a pooled connection before failing.
const POOL_WAIT: Duration = Duration::from_secs(30);
/// How long connecting may take, unless the URL says otherwise.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// `user@host:port/db` of a connection configuration (never the password).
fn describe(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "{}@{host}:{port}/{}",
        config.get_user().unwrap_or(""),
        config.get_dbname().unwrap_or("")
    )
}

/// Parses a `postgres://user:password@host:port/db` URL (or `key=value` settings).
pub fn parse_url(url: &str) -> Result<tokio_postgres::Config, tokio_postgres::Error> {
    tokio_postgres::Config::from_str(url)
}

pub(super) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

pub(super) async fn one(
    c: &impl GenericClient,
    sql: &str,
    params: Params<'_>,
) -> Result<Row, Error> {
    let st = c.prepare_cached(sql).await?;
    Ok(c.query_one(&st, params).await?)
}

pub(super) async fn opt(
    c: &impl GenericClient,
    sql: &str,
    params: Params<'_>,
) -> Result<Option<Row>, Error> {
    let st = c.prepare_cached(sql).await?;
    Ok(c.query_opt(&st, params).await?)
}

pub(super) async fn all(
    c: &impl GenericClient,
    sql: &str,
    params: Params<'_>,
) -> Result<Vec<Row>, Error> {
    let st = c.prepare_cached(sql).await?;
    Ok(c.query(&st, params).await?)
}

pub(super) async fn exec(
    c: &impl GenericClient,
    sql: &str,
    params: Params<'_>,
) -> Result<u64, Error> {
    let st = c.prepare_cached(sql).await?;
    Ok(c.execute(&st, params).await?)
}

impl PgStore {
    /// Connects to the database (a pool of connections) and brings its schema up to date.
    /// Must be called on a multi-threaded Tokio runtime, which the store then uses.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        let mut config =
            parse_url(url).map_err(|e| Error::internal(format!("invalid database URL: {e}")))?;
        if config.get_application_name().is_none() {
            config.application_name("quickreply-server");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let target = describe(&config);
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| Error::internal(format!("PostgreSQL connection pool: {e}")))?;
        let store = Self {
            pool,
            config,
            runtime: tokio::runtime::Handle::current(),
            target,
        };
        store.migrate().await?;
        Ok(store)
    }

    /// `user@host:port/db` (for logs).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Runs storage work on the store's runtime, blocking this (non-async) thread.
    pub(super) fn run<T>(&self, work: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
        self.runtime.block_on(work)
    }

    /// Runs `f` in one read-committed write transaction, committed when it returns `Ok`.
    pub(super) async fn write<T>(
        &self,
        f: impl AsyncFnOnce(&Transaction<'_>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let out = f(&tx).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Runs `f` in one read-only transaction on one snapshot (repeatable read).
    pub(super) async fn read<T>(
        &self,
        f: impl AsyncFnOnce(&Transaction<'_>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut client = self.pool.get().await?;
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let out = f(&tx).await?;
        tx.commit().await?;
        Ok(out)
    }
}

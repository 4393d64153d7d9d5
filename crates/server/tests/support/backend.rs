//! What the server's integration tests share: their result type, and the two storage
//! backends every scenario runs on (`on_both_backends!`). A test file includes it after
//! `mod pg;` with `#[macro_use] #[path = "support/backend.rs"] mod backend;`.

use quickreply_server::Config;

pub type R<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

pub fn fail(msg: impl Into<String>) -> Box<dyn std::error::Error + Send + Sync> {
    msg.into().into()
}

/// Where a test server keeps its data.
#[derive(Clone, Debug)]
pub enum Backend {
    Sqlite,
    /// A database URL.
    Postgres(String),
}

impl Backend {
    /// A fresh PostgreSQL database; `None` when PostgreSQL tests are skipped.
    pub fn postgres() -> R<Option<Self>> {
        match crate::pg::shared()? {
            Some(cluster) => Ok(Some(Backend::Postgres(cluster.database()?))),
            None => Ok(None),
        }
    }

    /// The configuration of a server on this backend (data directory `dir`).
    pub fn config(&self, dir: &std::path::Path) -> Config {
        Config {
            data_dir: dir.to_path_buf(),
            database_url: match self {
                Backend::Sqlite => None,
                Backend::Postgres(url) => Some(url.clone()),
            },
            listen: "127.0.0.1:0".into(),
            ..Config::default()
        }
    }
}

/// Runs each scenario `name(Backend) -> R` as `sqlite::name` and `postgres::name`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() -> super::R {
                    super::$name(super::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() -> super::R {
                    match super::Backend::postgres()? {
                        Some(backend) => super::$name(backend).await,
                        None => Ok(()),
                    }
                }
            )*
        }
    };
}

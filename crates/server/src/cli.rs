//! Command-line flags, `QUICKREPLY_*` environment variables and the `--config` TOML file.
//!
//! A flag wins over its environment variable, which wins over the file, which wins over
//! the default. The file's keys are the flag names with underscores (`data_dir`,
//! `database_url`, `listen`, `team_name`, `max_body`, `max_image`, `heartbeat_secs`,
//! `join_per_minute`, `invite_per_minute`, `tls_cert`, `tls_key`, `metrics_token`,
//! `metrics_addr`, `header_timeout_secs`, `max_connections`, `max_event_streams`,
//! `max_event_streams_per_device`, `member_quota`, `public_url`, and `[scan.<provider>]`
//! tables for scanning to sign in, also read from `QUICKREPLY_<PROVIDER>_<KEY>`, see
//! `scan::config`); unknown keys are an error. Relative paths are relative to the working
//! directory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;
use serde::Deserialize;

use crate::{Config, TlsFiles};

/// QuickReply sync server.
#[derive(Clone, Debug, Default, Parser)]
#[command(name = "quickreply-server", version, about)]
pub struct Args {
    /// TOML file with any of the options below (keys: the flag names with underscores).
    #[arg(long, env = "QUICKREPLY_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Directory of the database (server.db) and images (blobs/) [default: ./data].
    #[arg(long, env = "QUICKREPLY_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Store everything in PostgreSQL (postgres://user:password@host:port/db) instead of the
    /// data directory; several servers may share one database [default: none, SQLite].
    #[arg(long, env = "QUICKREPLY_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
    /// Address to listen on; port 0 picks a free port [default: 127.0.0.1:8787].
    #[arg(long, env = "QUICKREPLY_LISTEN", value_name = "ADDR:PORT")]
    pub listen: Option<String>,
    /// Name of the team the setup code creates [default: 我的团队].
    #[arg(long, env = "QUICKREPLY_TEAM_NAME", value_name = "NAME")]
    pub team_name: Option<String>,
    /// Largest JSON request body in bytes [default: 1048576].
    #[arg(long, env = "QUICKREPLY_MAX_BODY", value_name = "BYTES")]
    pub max_body: Option<usize>,
    /// Largest image in bytes [default: 10485760, the clients' own limit: they refuse bigger
    /// images when they are added, so a larger value changes nothing, a smaller one makes
    /// the server refuse images clients took]. Every upload must also be a decodable PNG,
    /// JPEG, GIF, WebP or BMP image (else 415 or 422 `bad_image`).
    #[arg(long, env = "QUICKREPLY_MAX_IMAGE", value_name = "BYTES")]
    pub max_image: Option<usize>,
    /// Seconds between keep-alive comments on event streams [default: 15].
    #[arg(long, env = "QUICKREPLY_HEARTBEAT_SECS", value_name = "SECS")]
    pub heartbeat_secs: Option<u64>,
    /// Join attempts allowed per client IP and minute [default: 10].
    #[arg(long, env = "QUICKREPLY_JOIN_PER_MINUTE", value_name = "N")]
    pub join_per_minute: Option<u32>,
    /// Invite and pairing codes each device may make per minute [default: 30].
    #[arg(long, env = "QUICKREPLY_INVITE_PER_MINUTE", value_name = "N")]
    pub invite_per_minute: Option<u32>,
    /// Serve HTTPS with this PEM certificate chain (server certificate first); needs
    /// --tls-key [default: none, plain HTTP].
    #[arg(long, env = "QUICKREPLY_TLS_CERT", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "QUICKREPLY_TLS_KEY", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// Serve /metrics on the main address to requests with `Authorization: Bearer TOKEN`
    /// (at least 16 characters). Without it (and without --metrics-addr) /metrics is not
    /// served at all [default: none].
    #[arg(
        long,
        env = "QUICKREPLY_METRICS_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub metrics_token: Option<String>,
    /// Serve /metrics (and /healthz) on a second, plain-HTTP address of its own, e.g. on a
    /// private network for the scraper; with --metrics-token that address asks for the
    /// token too [default: none].
    #[arg(long, env = "QUICKREPLY_METRICS_ADDR", value_name = "ADDR:PORT")]
    pub metrics_addr: Option<String>,
    /// Seconds a connection may take to send a whole request head (new, or idle between
    /// requests) before it is closed [default: 30].
    #[arg(long, env = "QUICKREPLY_HEADER_TIMEOUT_SECS", value_name = "SECS")]
    pub header_timeout_secs: Option<u64>,
    /// Most open connections; more are answered 503 and closed [default: the open-files
    /// limit less 128].
    #[arg(long, env = "QUICKREPLY_MAX_CONNECTIONS", value_name = "N")]
    pub max_connections: Option<usize>,
    /// Most open event streams (live sync), all devices together; more are answered 503
    /// [default: max-connections less 128, at least half of it].
    #[arg(long, env = "QUICKREPLY_MAX_EVENT_STREAMS", value_name = "N")]
    pub max_event_streams: Option<usize>,
    /// Most open event streams of one device; more are answered 503 [default: 8].
    #[arg(
        long,
        env = "QUICKREPLY_MAX_EVENT_STREAMS_PER_DEVICE",
        value_name = "N"
    )]
    pub max_event_streams_per_device: Option<usize>,
    /// Bytes of replies (the documents each member wrote last) and images (those each
    /// uploaded first) each member may keep; writes past it are refused with 507; 0: no
    /// quota [default: 268435456, 256 MiB].
    #[arg(long, env = "QUICKREPLY_MEMBER_QUOTA", value_name = "BYTES")]
    pub member_quota: Option<u64>,
    /// The URL phones reach this server at, for scanning to sign in with WeCom, Feishu,
    /// DingTalk, WeChat or QQ: the providers send the phone back to
    /// <URL>/v1/scan/callback/<provider>, whose domain the provider's app must trust. The
    /// providers themselves: `[scan.wecom]` … tables in --config or QUICKREPLY_WECOM_APP_ID,
    /// _SECRET, _AGENT_ID, _AUTO_JOIN, _TENANT, _ENDPOINT (likewise FEISHU, DINGTALK,
    /// WECHAT, QQ) [default: the address it listens on].
    #[arg(long, env = "QUICKREPLY_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
}

/// The `--config` file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub team_name: Option<String>,
    pub max_body: Option<usize>,
    pub max_image: Option<usize>,
    pub heartbeat_secs: Option<u64>,
    pub join_per_minute: Option<u32>,
    pub invite_per_minute: Option<u32>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub metrics_token: Option<String>,
    pub metrics_addr: Option<String>,
    pub header_timeout_secs: Option<u64>,
    pub max_connections: Option<usize>,
    pub max_event_streams: Option<usize>,
    pub max_event_streams_per_device: Option<usize>,
    pub member_quota: Option<u64>,
    pub public_url: Option<String>,
    /// `[scan.wecom]`, `[scan.feishu]`, …
    pub scan: Option<std::collections::BTreeMap<String, crate::scan::config::ProviderFile>>,
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a valid configuration file: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

impl FileConfig {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_path_buf(),
            source,
        })
    }
}

impl Args {
    /// The configuration: these flags over the `--config` file over the defaults.
    pub fn into_config(self) -> Result<Config, ConfigError> {
        let file = match &self.config {
            Some(path) => FileConfig::load(path)?,
            None => FileConfig::default(),
        };
        self.merge(file)
    }

    /// These flags over `file` over the defaults (providers to scan with: the environment
    /// over the file).
    pub fn merge(self, file: FileConfig) -> Result<Config, ConfigError> {
        self.merge_with_env(file, &|k| std::env::var(k).ok())
    }

    /// [`Self::merge`], looking environment variables up with `env`.
    pub fn merge_with_env(
        self,
        file: FileConfig,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let d = Config::default();
        let public_url = self
            .public_url
            .clone()
            .or(file.public_url.clone())
            .map(|u| u.trim().trim_end_matches('/').to_string())
            .filter(|u| !u.is_empty());
        if let Some(u) = &public_url
            && !(u.starts_with("https://") || u.starts_with("http://"))
        {
            return Err(ConfigError::Invalid(
                "public_url must be an https:// (or http://) URL, e.g. https://sync.example.com"
                    .into(),
            ));
        }
        let (providers, endpoints) = crate::scan::config::providers(file.scan.as_ref(), env)
            .map_err(ConfigError::Invalid)?;
        let scan = crate::scan::config::ScanConfig {
            public_url,
            providers,
            endpoints,
        };
        // An empty value (say, an empty environment variable) means none.
        let path = |p: Option<PathBuf>| p.filter(|p| !p.as_os_str().is_empty());
        let tls = match (
            path(self.tls_cert).or(path(file.tls_cert)),
            path(self.tls_key).or(path(file.tls_key)),
        ) {
            (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
            (None, None) => None,
            (Some(_), None) | (None, Some(_)) => {
                return Err(ConfigError::Invalid(
                    "tls_cert and tls_key go together: give both (HTTPS) or neither (HTTP)".into(),
                ));
            }
        };
        let config = Config {
            data_dir: self.data_dir.or(file.data_dir).unwrap_or(d.data_dir),
            // An empty value (say, an empty environment variable) means SQLite.
            database_url: self
                .database_url
                .or(file.database_url)
                .map(|u| u.trim().to_string())
                .filter(|u| !u.is_empty()),
            listen: self.listen.or(file.listen).unwrap_or(d.listen),
            team_name: self.team_name.or(file.team_name).unwrap_or(d.team_name),
            max_body: self.max_body.or(file.max_body).unwrap_or(d.max_body),
            max_image: self.max_image.or(file.max_image).unwrap_or(d.max_image),
            heartbeat: self
                .heartbeat_secs
                .or(file.heartbeat_secs)
                .map_or(d.heartbeat, Duration::from_secs),
            join_per_minute: self
                .join_per_minute
                .or(file.join_per_minute)
                .unwrap_or(d.join_per_minute),
            invite_per_minute: self
                .invite_per_minute
                .or(file.invite_per_minute)
                .unwrap_or(d.invite_per_minute),
            tls,
            // An empty value (say, an empty environment variable) means none.
            metrics_token: self
                .metrics_token
                .or(file.metrics_token)
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty()),
            metrics_listen: self
                .metrics_addr
                .or(file.metrics_addr)
                .map(|a| a.trim().to_string())
                .filter(|a| !a.is_empty()),
            header_timeout: self
                .header_timeout_secs
                .or(file.header_timeout_secs)
                .map_or(d.header_timeout, Duration::from_secs),
            max_connections: self.max_connections.or(file.max_connections),
            max_streams: self.max_event_streams.or(file.max_event_streams),
            max_streams_per_device: self
                .max_event_streams_per_device
                .or(file.max_event_streams_per_device)
                .unwrap_or(d.max_streams_per_device),
            member_quota: self
                .member_quota
                .or(file.member_quota)
                .unwrap_or(d.member_quota),
            scan,
            clock: d.clock,
        };
        if config
            .metrics_token
            .as_ref()
            .is_some_and(|t| t.chars().count() < 16)
        {
            return Err(ConfigError::Invalid(
                "metrics_token must be at least 16 characters (it guards /metrics)".into(),
            ));
        }
        if let Some(url) = &config.database_url {
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                return Err(ConfigError::Invalid(
                    "database_url must be a postgres://user:password@host:port/db URL".into(),
                ));
            }
            if let Err(e) = crate::store::postgres::parse_url(url) {
                return Err(ConfigError::Invalid(format!(
                    "database_url is not a valid PostgreSQL URL: {e}"
                )));
            }
        }
        if config.team_name.trim().is_empty() {
            return Err(ConfigError::Invalid("team_name must not be empty".into()));
        }
        if config.max_body < 1024 {
            return Err(ConfigError::Invalid(
                "max_body must be at least 1024".into(),
            ));
        }
        if config.max_image < 1024 {
            return Err(ConfigError::Invalid(
                "max_image must be at least 1024".into(),
            ));
        }
        if config.heartbeat.is_zero() {
            return Err(ConfigError::Invalid(
                "heartbeat_secs must be at least 1".into(),
            ));
        }
        if config.header_timeout.is_zero() {
            return Err(ConfigError::Invalid(
                "header_timeout_secs must be at least 1".into(),
            ));
        }
        if config.max_connections == Some(0) {
            return Err(ConfigError::Invalid(
                "max_connections must be at least 1".into(),
            ));
        }
        if config.max_streams == Some(0) || config.max_streams_per_device == 0 {
            return Err(ConfigError::Invalid(
                "max_event_streams and max_event_streams_per_device must be at least 1".into(),
            ));
        }
        if let (Some(conns), Some(streams)) = (config.max_connections, config.max_streams)
            && streams >= conns
        {
            return Err(ConfigError::Invalid(format!(
                "max_event_streams ({streams}) must be below max_connections ({conns}): \
                 streams held open would leave no connection for other requests"
            )));
        }
        if config.join_per_minute == 0 {
            return Err(ConfigError::Invalid(
                "join_per_minute must be at least 1".into(),
            ));
        }
        if config.invite_per_minute == 0 {
            return Err(ConfigError::Invalid(
                "invite_per_minute must be at least 1".into(),
            ));
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_file_which_wins_over_defaults() -> Result<(), Box<dyn std::error::Error>>
    {
        let file: FileConfig = toml::from_str(
            "listen = \"0.0.0.0:9000\"\nteam_name = \"小店\"\nheartbeat_secs = 5\n",
        )?;
        let args = Args::try_parse_from(["quickreply-server", "--listen", "127.0.0.1:0"])?;
        let config = args.merge(file)?;
        assert_eq!(config.listen, "127.0.0.1:0");
        assert_eq!(config.team_name, "小店");
        assert_eq!(config.heartbeat, Duration::from_secs(5));
        assert_eq!(config.max_body, 1024 * 1024);
        assert_eq!(config.data_dir, PathBuf::from("./data"));
        Ok(())
    }

    #[test]
    fn scan_providers_and_public_url_from_the_file_and_environment()
    -> Result<(), Box<dyn std::error::Error>> {
        let file: FileConfig = toml::from_str(
            "public_url = \"https://sync.example/\"\n[scan.feishu]\napp_id = \"cli_a\"\n\
             secret = \"s\"\n",
        )?;
        let env = |k: &str| {
            (k == "QUICKREPLY_QQ_APP_ID" || k == "QUICKREPLY_QQ_SECRET").then(|| "x".to_string())
        };
        let c = Args::try_parse_from(["quickreply-server"])?.merge_with_env(file, &env)?;
        assert_eq!(c.scan.public_url.as_deref(), Some("https://sync.example"));
        assert_eq!(c.scan.providers.len(), 2);
        let bad: FileConfig = toml::from_str("public_url = \"sync.example\"\n")?;
        assert!(
            Args::try_parse_from(["quickreply-server"])?
                .merge_with_env(bad, &|_| None)
                .is_err()
        );
        Ok(())
    }

    #[test]
    fn unknown_file_keys_and_flags_are_refused() {
        assert!(toml::from_str::<FileConfig>("tls_certificate = \"x\"").is_err());
        assert!(Args::try_parse_from(["quickreply-server", "--tls-certificate", "x"]).is_err());
    }

    #[test]
    fn tls_files_from_flags_or_file_both_or_neither() -> Result<(), Box<dyn std::error::Error>> {
        let file: FileConfig =
            toml::from_str("tls_cert = \"/etc/qr/cert.pem\"\ntls_key = \"/etc/qr/key.pem\"\n")?;
        let none = Args::try_parse_from(["quickreply-server"])?;
        assert_eq!(
            none.clone().merge(file.clone())?.tls,
            Some(TlsFiles {
                cert: "/etc/qr/cert.pem".into(),
                key: "/etc/qr/key.pem".into(),
            })
        );
        assert_eq!(none.clone().merge(FileConfig::default())?.tls, None);
        // A flag wins over the file, each file separately.
        let flag = Args::try_parse_from(["quickreply-server", "--tls-cert", "my.crt"])?;
        assert_eq!(
            flag.clone().merge(file)?.tls,
            Some(TlsFiles {
                cert: "my.crt".into(),
                key: "/etc/qr/key.pem".into(),
            })
        );
        let both = Args::try_parse_from([
            "quickreply-server",
            "--tls-cert",
            "a.crt",
            "--tls-key",
            "a.key",
        ])?;
        assert!(both.merge(FileConfig::default())?.tls.is_some());
        // One without the other.
        let err = flag
            .merge(FileConfig::default())
            .err()
            .map(|e| e.to_string());
        assert!(
            err.as_deref().is_some_and(|e| e.contains("tls_key")),
            "{err:?}"
        );
        let key_only: FileConfig = toml::from_str("tls_key = \"k.pem\"\n")?;
        assert!(none.merge(key_only).is_err());
        Ok(())
    }

    #[test]
    fn invite_per_minute_defaults_to_30_and_must_be_positive()
    -> Result<(), Box<dyn std::error::Error>> {
        let none = Args::try_parse_from(["quickreply-server"])?;
        assert_eq!(
            none.clone().merge(FileConfig::default())?.invite_per_minute,
            30
        );
        let file: FileConfig = toml::from_str("invite_per_minute = 5\n")?;
        assert_eq!(none.merge(file.clone())?.invite_per_minute, 5);
        let flag = Args::try_parse_from(["quickreply-server", "--invite-per-minute", "7"])?;
        assert_eq!(flag.merge(file)?.invite_per_minute, 7);
        let zero = Args::try_parse_from(["quickreply-server", "--invite-per-minute", "0"])?;
        assert!(zero.merge(FileConfig::default()).is_err());
        Ok(())
    }

    #[test]
    fn metrics_token_and_address_from_flags_or_file() -> Result<(), Box<dyn std::error::Error>> {
        let none = Args::try_parse_from(["quickreply-server"])?;
        let config = none.clone().merge(FileConfig::default())?;
        assert_eq!((config.metrics_token, config.metrics_listen), (None, None));
        let file: FileConfig = toml::from_str(
            "metrics_token = \"0123456789abcdef\"\nmetrics_addr = \"10.0.0.5:9100\"\n",
        )?;
        let config = none.clone().merge(file.clone())?;
        assert_eq!(config.metrics_token.as_deref(), Some("0123456789abcdef"));
        assert_eq!(config.metrics_listen.as_deref(), Some("10.0.0.5:9100"));
        let flag = Args::try_parse_from(["quickreply-server", "--metrics-addr", "127.0.0.1:0"])?;
        assert_eq!(
            flag.merge(file)?.metrics_listen.as_deref(),
            Some("127.0.0.1:0")
        );
        let short = Args::try_parse_from(["quickreply-server", "--metrics-token", "secret"])?;
        let err = short
            .merge(FileConfig::default())
            .err()
            .map(|e| e.to_string());
        assert!(
            err.as_deref().is_some_and(|e| e.contains("16 characters")),
            "{err:?}"
        );
        Ok(())
    }

    #[test]
    fn connection_limits_from_flags_or_file_with_defaults_and_checks()
    -> Result<(), Box<dyn std::error::Error>> {
        let none = Args::try_parse_from(["quickreply-server"])?.merge(FileConfig::default())?;
        assert_eq!(none.header_timeout, Duration::from_secs(30));
        assert_eq!((none.max_connections, none.max_streams), (None, None));
        assert_eq!(none.max_streams_per_device, 8);
        assert_eq!(none.member_quota, 256 * 1024 * 1024);
        let quota: FileConfig = toml::from_str("member_quota = 0\n")?;
        assert_eq!(
            Args::try_parse_from(["quickreply-server"])?
                .merge(quota.clone())?
                .member_quota,
            0
        );
        assert_eq!(
            Args::try_parse_from(["quickreply-server", "--member-quota", "1000000"])?
                .merge(quota)?
                .member_quota,
            1_000_000
        );
        let file: FileConfig = toml::from_str(
            "header_timeout_secs = 5\nmax_connections = 500\nmax_event_streams = 400\n\
             max_event_streams_per_device = 2\n",
        )?;
        let c = Args::try_parse_from(["quickreply-server", "--max-event-streams", "300"])?
            .merge(file)?;
        assert_eq!(c.header_timeout, Duration::from_secs(5));
        assert_eq!(
            (c.max_connections, c.max_streams, c.max_streams_per_device),
            (Some(500), Some(300), 2)
        );
        for bad in [
            &["--header-timeout-secs", "0"][..],
            &["--max-connections", "0"],
            &["--max-event-streams", "0"],
            &["--max-event-streams-per-device", "0"],
            &["--max-connections", "100", "--max-event-streams", "100"],
        ] {
            let args = Args::try_parse_from(
                std::iter::once("quickreply-server").chain(bad.iter().copied()),
            )?;
            assert!(
                args.merge(FileConfig::default()).is_err(),
                "{bad:?} accepted"
            );
        }
        Ok(())
    }

    #[test]
    fn database_url_from_flag_or_file_and_checked() -> Result<(), Box<dyn std::error::Error>> {
        let file: FileConfig = toml::from_str("database_url = \"postgres://qr@db:5432/qr\"\n")?;
        let none = Args::try_parse_from(["quickreply-server"])?;
        assert_eq!(
            none.clone().merge(file.clone())?.database_url.as_deref(),
            Some("postgres://qr@db:5432/qr")
        );
        let flag = Args::try_parse_from([
            "quickreply-server",
            "--database-url",
            "postgresql://other@127.0.0.1:6543/x",
        ])?;
        assert_eq!(
            flag.merge(file)?.database_url.as_deref(),
            Some("postgresql://other@127.0.0.1:6543/x")
        );
        assert_eq!(none.merge(FileConfig::default())?.database_url, None);
        let socket = Args::try_parse_from([
            "quickreply-server",
            "--database-url",
            "postgres://qr@%2Fvar%2Frun%2Fpostgresql/qr",
        ])?;
        assert!(socket.merge(FileConfig::default())?.database_url.is_some());
        for bad in ["x", "mysql://a@b/c", "postgres://a@b:notaport/c"] {
            let args = Args::try_parse_from(["quickreply-server", "--database-url", bad])?;
            assert!(args.merge(FileConfig::default()).is_err(), "{bad} accepted");
        }
        Ok(())
    }
}

//! `quickreply-server`: see the library's documentation and `--help`.

use std::io::Write as _;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser as _;
use quickreply_server::cli::Args;
use quickreply_server::limits::{Raised, raise_open_files};

/// How long in-flight requests may take to finish after a stop signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();

    let config = Args::parse().into_config()?;
    // Before anything is opened: the connection caps are derived from the limit in force.
    match raise_open_files() {
        Raised::Raised { from, now } => tracing::info!(
            from,
            soft = now.soft,
            hard = now.hard,
            "open-files limit raised"
        ),
        Raised::Kept(now) => tracing::info!(
            soft = now.soft,
            hard = now.hard,
            "open-files limit (already at the hard limit, or the OS refused to raise it)"
        ),
        Raised::NotApplicable => {}
    }
    let server = quickreply_server::spawn(config)
        .await
        .context("cannot start the server")?;
    {
        let mut out = std::io::stdout().lock();
        if let Some(code) = &server.setup_code {
            writeln!(out, "setup code: {code}")?;
        }
        writeln!(out, "listening on {}", server.url())?;
        out.flush()?;
    }

    stop_signal().await;
    tracing::info!("stopping: finishing requests in flight");
    server.handle.shutdown();
    match tokio::time::timeout(SHUTDOWN_GRACE, server.handle.wait()).await {
        Ok(result) => result.context("the server failed")?,
        Err(_) => tracing::warn!("requests still running after {SHUTDOWN_GRACE:?}: exiting"),
    }
    Ok(())
}

/// Ctrl-C, or SIGTERM on Unix.
async fn stop_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

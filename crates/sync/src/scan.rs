//! Scanning to sign in with WeCom, Feishu, DingTalk, WeChat or QQ (the server's
//! `/v1/scan…`): a new computer shows the provider's page as a QR code, the person scans
//! it with the app on their phone, and the computer is signed in — as the member the
//! identity is linked to, as a new agent when the team lets its corp join by itself, or
//! after a lead approves it (an ordinary [`Signin`]). A signed-in computer links its
//! member's identity the same way ([`link`]).

use std::time::Duration;

use quickreply_core::i18n::tr;
use quickreply_core::store::Store;
use quickreply_proto::api::{
    IdentityInfo, ScanLinkRequest, ScanPoll, ScanProvider, ScanProviderInfo, ScanRequest,
    ScanStarted, ScanState,
};

use crate::accounts::{client_for, not_joined_yet};
use crate::error::{Result, SyncError};
use crate::http::Client;
use crate::membership::{Signin, adopt};
use crate::model::Account;
use crate::secret::TokenPlace;

/// The providers `server` signs in with (empty when none is configured, or the server is
/// older than scanning).
pub fn scan_providers(server: &str) -> Result<Vec<ScanProviderInfo>> {
    let anon = Client::new(server, None)?;
    match anon.scan_providers() {
        Err(SyncError::Server { status: 404, .. }) => Ok(Vec::new()),
        other => other,
    }
}

/// A scan in progress: show [`Scan::url`] as a QR code and [`Scan::poll`] it.
#[derive(Clone, Debug)]
pub struct Scan {
    server: Client,
    started: ScanStarted,
}

/// Where a scan stands after a poll.
#[derive(Debug)]
pub enum ScanStep {
    /// Nobody scanned yet.
    Waiting,
    /// Signed in (a new account on this computer).
    Joined(Account, TokenPlace),
    /// Linked to the caller's member (a [`link`]).
    Linked,
    /// An identity the team does not know: a lead approves this sign-in (show its code,
    /// then [`Signin::wait`]); `String` is the provider's display name.
    Approval(Signin, Option<String>),
}

impl Scan {
    /// The provider's page: what the QR code holds (or a browser opens).
    pub fn url(&self) -> &str {
        &self.started.url
    }

    pub fn provider(&self) -> ScanProvider {
        self.started.provider
    }

    /// Unix milliseconds after which the scan no longer works.
    pub fn expires_at(&self) -> i64 {
        self.started.expires_at
    }

    /// One look at the attempt.
    pub fn poll(&self, store: &Store) -> Result<ScanStep> {
        let got = self
            .server
            .scan_poll(self.started.id, &self.started.secret)?;
        step(store, &self.server, got)
    }

    /// Polls every `every` until something other than waiting happens.
    pub fn wait(&self, store: &Store, every: Duration) -> Result<ScanStep> {
        loop {
            match self.poll(store)? {
                ScanStep::Waiting => std::thread::sleep(every),
                done => return Ok(done),
            }
        }
    }
}

fn step(store: &Store, server: &Client, got: ScanPoll) -> Result<ScanStep> {
    match got.state {
        ScanState::Waiting => Ok(ScanStep::Waiting),
        ScanState::SignedIn => {
            let resp = got
                .join
                .ok_or_else(|| SyncError::Protocol("a scan sign-in came without a token".into()))?;
            let (acc, place) = adopt(store, server, &resp)?;
            Ok(ScanStep::Joined(acc, place))
        }
        ScanState::Linked => Ok(ScanStep::Linked),
        ScanState::Approval => {
            let started = got.signin.ok_or_else(|| {
                SyncError::Protocol("a scan waiting for approval came without its code".into())
            })?;
            Ok(ScanStep::Approval(
                Signin {
                    server: server.clone(),
                    started,
                },
                got.display_name,
            ))
        }
        ScanState::Failed | ScanState::Expired => {
            let (code, message) = match got.error {
                Some(e) => (e.code, tr(e.zh, e.en)),
                None => (
                    "expired".to_string(),
                    tr(
                        "扫码登录已经过期：请重新开始",
                        "the scan sign-in expired: start again",
                    ),
                ),
            };
            Err(SyncError::Server {
                status: 400,
                code,
                message,
            })
        }
    }
}

/// Starts signing this computer in to `server` by scanning with `provider`.
pub fn scan_signin(
    store: &Store,
    server: &str,
    provider: ScanProvider,
    device_name: &str,
    user_name: Option<&str>,
) -> Result<Scan> {
    let anon = Client::new(server, None)?;
    not_joined_yet(store, &anon)?;
    let started = anon.scan_start(&ScanRequest {
        provider,
        device_name: device_name.to_string(),
        user_name: user_name.map(str::to_string),
        app_version: env!("CARGO_PKG_VERSION").to_string(),
        web: false,
    })?;
    Ok(Scan {
        server: anon,
        started,
    })
}

/// Starts linking `acc`'s member to their identity at `provider`: once scanned, scanning
/// with it signs any new computer of theirs in.
pub fn link(store: &Store, acc: &Account, provider: ScanProvider) -> Result<Scan> {
    let client = client_for(store, acc)?;
    let started = client.scan_link(&ScanLinkRequest { provider })?;
    // Polling needs no token.
    let server = Client::new(&acc.server, None)?;
    Ok(Scan { server, started })
}

/// The identities linked to `acc`'s member.
pub fn identities(store: &Store, acc: &Account) -> Result<Vec<IdentityInfo>> {
    client_for(store, acc)?.identities()
}

/// Unlinks `acc`'s member's identity at `provider`.
pub fn unlink(store: &Store, acc: &Account, provider: ScanProvider) -> Result<()> {
    client_for(store, acc)?.unlink_identity(provider)
}

//! Scanning to sign in with WeCom, Feishu, DingTalk, WeChat or QQ: `/v1/scan…` and
//! `/v1/identities…` (see `quickreply_proto::api::ScanRequest`).
//!
//! The server does the OAuth exchange: it holds the app's secret. A computer starts an
//! attempt (`POST /v1/scan`, no token) and gets the provider's page, whose URL carries a
//! single-use `state` (256 random bits, stored hashed), and a secret to poll with. It shows
//! the page as a QR code; the person scans it with the provider's app on their phone and
//! agrees; the provider sends the phone's browser to `/v1/scan/callback/{provider}` with a
//! `code` and the `state`. The callback takes the state (once: a replayed callback finds it
//! used), asks the provider who this is, and decides:
//!
//! - an identity linked to a member: the computer's next poll gets a device of theirs;
//! - unknown, and the owner let the corp's (WeCom) or tenant's (Feishu, DingTalk) own
//!   people join: a new agent, whose identity is linked at once;
//! - unknown otherwise: the next poll starts an ordinary sign-in by approval (`signin`)
//!   with the provider's display name as the name, polled with the same secret; once a
//!   lead approves it and the computer collects its token, the identity is linked to the
//!   member it became (or was added to);
//! - a link attempt (`POST /v1/scan/link`, a signed-in device): the identity is linked to
//!   the caller's member.
//!
//! A wrong state, a used one, an expired attempt, a provider refusal (a replayed or
//! foreign code) and a provider that does not answer each end with a clear message in
//! Chinese and English on the phone and in the poll, and nothing is created. Devices are
//! made at the poll through the same store paths as invite and pairing codes (a one-use
//! code made by the server and spent at once).

pub mod config;
pub mod providers;

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use quickreply_proto::api::{
    IdentityInfo, JoinResponse, Role, ScanError, ScanLinkRequest, ScanPoll, ScanProvider,
    ScanProviderInfo, ScanRequest, ScanSetting, ScanSettingInput, ScanStarted, ScanState,
    SigninPollRequest, SigninStarted,
};
use serde::Deserialize;
use uuid::Uuid;

use self::config::{ProviderConfig, ScanConfig};
use crate::Error;
use crate::codes;
use crate::extract::{ApiPath, Auth, JsonBody};
use crate::state::AppState;
use crate::store::scan::{
    Identity, NewScan, ScanResult, ScanRow, ScanStatus, StoredProvider, Taken,
};
use crate::store::{Join, NewSignin, Store};
use crate::validate::newcomer;

/// How long an attempt waits for the scan (the providers' codes live 5 to 10 minutes).
pub const SCAN_TTL_MS: i64 = 5 * 60 * 1000;

/// After its expiry, how long an attempt whose callback is still asking the provider is
/// answered as waiting (the provider calls time out well before).
const EXCHANGE_GRACE_MS: i64 = 60 * 1000;

/// What the handlers share: the configuration, the client that asks the providers and
/// where phones reach this server.
pub struct Scan {
    pub config: ScanConfig,
    pub http: reqwest::Client,
    /// `public_url`, or the address the server listens on, without a trailing `/`.
    pub base_url: String,
}

impl Scan {
    fn redirect_uri(&self, provider: ScanProvider) -> String {
        format!("{}/v1/scan/callback/{}", self.base_url, provider.as_str())
    }
}

fn not_configured(provider: ScanProvider) -> Error {
    Error::NotFound(format!(
        "这个服务器没有设置{}登录 / this server does not sign in with {}: the owner sets it \
         up (the admin page's 登录方式 tab, or the server's configuration: see its README, \
         “Scan to sign in”)",
        provider.name_zh(),
        provider.name_en()
    ))
}

/// Every provider the server signs in with: those of the config file and the environment,
/// then those the owner set on the admin page (with the file's `endpoint` for them, if
/// any).
async fn configured(st: &AppState) -> Result<Vec<ProviderConfig>, Error> {
    let mut all = st.scan.config.providers.clone();
    let stored = st.db(|s| s.scan_settings()).await?;
    for p in stored {
        if all.iter().any(|c| c.provider == p.provider) {
            continue;
        }
        all.push(ProviderConfig {
            provider: p.provider,
            app_id: p.app_id,
            secret: p.secret,
            agent_id: p.agent_id,
            auto_join: p.auto_join,
            tenant: p.tenant,
            endpoint: st.scan.config.endpoints.get(&p.provider).cloned(),
        });
    }
    all.sort_by_key(|c| c.provider);
    Ok(all)
}

async fn provider_config(st: &AppState, provider: ScanProvider) -> Result<ProviderConfig, Error> {
    configured(st)
        .await?
        .into_iter()
        .find(|c| c.provider == provider)
        .ok_or_else(|| not_configured(provider))
}

/// `GET /v1/scan`: the providers this server signs in with.
pub(crate) async fn list(State(st): State<AppState>) -> Result<Json<Vec<ScanProviderInfo>>, Error> {
    Ok(Json(
        configured(&st)
            .await?
            .iter()
            .map(|p| ScanProviderInfo {
                provider: p.provider,
                name_zh: p.provider.name_zh().into(),
                name_en: p.provider.name_en().into(),
            })
            .collect(),
    ))
}

/// `POST /v1/scan`: rate-limited per address like joining.
pub(crate) async fn start(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    JsonBody(req): JsonBody<ScanRequest>,
) -> Result<(StatusCode, Json<ScanStarted>), Error> {
    st.join_limiter
        .check(peer.ip())
        .map_err(|retry_after| Error::RateLimited {
            message: "too many sign-in attempts from this address: wait a minute and try again"
                .into(),
            retry_after,
        })?;
    let (device_name, user_name) =
        newcomer(&req.device_name, req.user_name.as_deref(), &req.app_version)?;
    begin(
        &st,
        req.provider,
        None,
        device_name,
        user_name,
        req.app_version,
        req.web,
        peer,
    )
    .await
}

/// `POST /v1/scan/link`: a signed-in device links its member's identity.
pub(crate) async fn link(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Auth(me): Auth,
    JsonBody(req): JsonBody<ScanLinkRequest>,
) -> Result<(StatusCode, Json<ScanStarted>), Error> {
    st.invite_limiter
        .check(me.device_id)
        .map_err(|retry_after| Error::RateLimited {
            message: "this device started too many links: wait a minute".into(),
            retry_after,
        })?;
    begin(
        &st,
        req.provider,
        Some(me.user_id),
        me.device_name.clone(),
        None,
        String::new(),
        false,
        peer,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn begin(
    st: &AppState,
    provider: ScanProvider,
    link_user: Option<Uuid>,
    device_name: String,
    user_name: Option<String>,
    app_version: String,
    web: bool,
    peer: SocketAddr,
) -> Result<(StatusCode, Json<ScanStarted>), Error> {
    let cfg = provider_config(st, provider).await?;
    let state = codes::new_token()?;
    let secret = codes::new_token()?;
    let now = st.now();
    let started = ScanStarted {
        id: Uuid::now_v7(),
        provider,
        url: providers::authorize_url(&cfg, &st.scan.redirect_uri(provider), &state),
        secret: secret.clone(),
        expires_at: now + SCAN_TTL_MS,
    };
    let new = NewScan {
        id: started.id,
        provider,
        state_hash: codes::hash_token(&state),
        secret_hash: codes::hash_token(&secret),
        link_user,
        device_name,
        user_name,
        app_version,
        web,
        ip: peer.ip().to_string(),
        now,
        expires_at: started.expires_at,
    };
    st.db(move |s| s.create_scan(&new)).await?;
    Ok((StatusCode::CREATED, Json(started)))
}

#[derive(Deserialize)]
pub(crate) struct CallbackQuery {
    code: Option<String>,
    /// DingTalk's name of the code.
    #[serde(rename = "authCode")]
    auth_code: Option<String>,
    state: Option<String>,
    /// Feishu, QQ and others on a refusal.
    error: Option<String>,
}

/// `GET /v1/scan/callback/{provider}`: the provider sends the phone here.
pub(crate) async fn callback(
    State(st): State<AppState>,
    ApiPath(provider): ApiPath<String>,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let Some(provider) = ScanProvider::parse(&provider) else {
        return page(Err(fail(
            "state_unknown",
            "这个登录链接不对：没有这个登录方式。请回到电脑上重新开始登录。",
            "this sign-in link is wrong: no such provider. Start the sign-in again on the computer.",
        )));
    };
    match handle_callback(&st, provider, q).await {
        Ok(outcome) => page(Ok(outcome)),
        Err(CallbackError::Shown(e)) => page(Err(e)),
        Err(CallbackError::Server(e)) => {
            tracing::error!(error = %e, provider = provider.as_str(), "scan callback failed");
            page(Err(fail(
                "internal",
                "服务器出错了，没有登录。请回到电脑上重新开始登录。",
                "the server failed; nothing was signed in. Start the sign-in again on the computer.",
            )))
        }
    }
}

enum CallbackError {
    /// Shown on the phone; the attempt (if any) is unchanged or failed already.
    Shown(ScanError),
    Server(Error),
}

impl From<Error> for CallbackError {
    fn from(e: Error) -> Self {
        CallbackError::Server(e)
    }
}

/// What the phone is told once it worked.
enum Outcome {
    SignedIn,
    Linked,
    Approval(String),
}

async fn handle_callback(
    st: &AppState,
    provider: ScanProvider,
    q: CallbackQuery,
) -> Result<Outcome, CallbackError> {
    let state = q.state.unwrap_or_default();
    if state.trim().is_empty() {
        return Err(CallbackError::Shown(state_unknown()));
    }
    let state_hash = codes::hash_token(state.trim());
    let now = st.now();
    let taken = st.db(move |s| s.take_scan_state(&state_hash, now)).await?;
    let row = match taken {
        Taken::Fresh(row) if row.provider == provider => *row,
        Taken::Fresh(row) => {
            // A state of another provider's attempt: that attempt fails, nothing is made.
            let e = state_unknown();
            finish(st, row.id, failed(e.clone())).await?;
            return Err(CallbackError::Shown(e));
        }
        Taken::Used => {
            return Err(CallbackError::Shown(fail(
                "state_used",
                "这个登录链接已经用过了（每次扫码只能用一次），这次没有登录。请回到电脑上重新开始登录。",
                "this sign-in link was used already (each scan works once); nothing was signed in this time. Start the sign-in again on the computer.",
            )));
        }
        Taken::Expired => return Err(CallbackError::Shown(expired())),
        Taken::Unknown => return Err(CallbackError::Shown(state_unknown())),
    };
    let code = q.code.or(q.auth_code).filter(|c| !c.trim().is_empty());
    let Some(code) = code else {
        let e = match q.error {
            Some(_) => fail(
                "denied",
                "你在手机上没有同意登录，没有登录。",
                "you did not agree on the phone; nothing was signed in.",
            ),
            None => providers::refused(provider, "-", "the redirect carries no code"),
        };
        finish(st, row.id, failed(e.clone())).await?;
        return Err(CallbackError::Shown(e));
    };
    let cfg = provider_config(st, provider).await?;
    let redirect_uri = st.scan.redirect_uri(provider);
    let identity = match providers::identify(&st.scan.http, &cfg, code.trim(), &redirect_uri).await
    {
        Ok(identity) => identity,
        Err(e) => {
            tracing::warn!(
                provider = provider.as_str(),
                error = %e.en,
                "scan sign-in refused"
            );
            finish(st, row.id, failed(e.clone())).await?;
            return Err(CallbackError::Shown(e));
        }
    };
    let (result, outcome) = decide(st, &cfg, &row, identity).await?;
    let shown = result.error.clone();
    finish(st, row.id, result).await?;
    match shown {
        Some(e) => Err(CallbackError::Shown(e)),
        None => Ok(outcome),
    }
}

/// What an identity makes of an attempt.
async fn decide(
    st: &AppState,
    cfg: &ProviderConfig,
    row: &ScanRow,
    identity: Identity,
) -> Result<(ScanResult, Outcome), Error> {
    let now = st.now();
    if let Some(user) = row.link_user {
        let id = identity.clone();
        let linked = st.db(move |s| s.link_identity(user, &id, now)).await;
        return Ok(match linked {
            Ok(()) => (
                ScanResult {
                    status: ScanStatus::Linked,
                    user_id: Some(user),
                    identity: Some(identity),
                    error: None,
                },
                Outcome::Linked,
            ),
            Err(Error::Conflict(_)) => (
                failed(fail(
                    "linked_elsewhere",
                    &format!(
                        "这个{}账号（{}）已经关联了团队里的另一位成员，没有关联。请对方先在“设置 → 团队”里取消关联。",
                        identity.provider.name_zh(),
                        identity.display_name
                    ),
                    &format!(
                        "this {} account ({}) is linked to another member of the team already; nothing was linked. They unlink it first (Settings → Team).",
                        identity.provider.name_en(),
                        identity.display_name
                    ),
                )),
                Outcome::Linked,
            ),
            Err(e) => return Err(e),
        });
    }
    let (provider, subject) = (identity.provider, identity.subject.clone());
    let member = st.db(move |s| s.identity_user(provider, &subject)).await?;
    let name = identity.display_name.clone();
    let (status, outcome) = match member {
        Some(_) => (ScanStatus::Member, Outcome::SignedIn),
        None if joins_automatically(cfg, &identity) => (ScanStatus::Join, Outcome::SignedIn),
        None => (ScanStatus::Approval, Outcome::Approval(name)),
    };
    Ok((
        ScanResult {
            status,
            user_id: member,
            identity: Some(identity),
            error: None,
        },
        outcome,
    ))
}

/// Whether an unknown identity joins as an agent without approval: the owner allowed it,
/// and it is of the team's own corp (WeCom: a member's userid, not an outsider's openid) or
/// tenant (Feishu tenant_key, DingTalk corpId, as configured).
fn joins_automatically(cfg: &ProviderConfig, identity: &Identity) -> bool {
    if !cfg.auto_join {
        return false;
    }
    match cfg.provider {
        ScanProvider::Wecom => identity.tenant.as_deref() == Some(cfg.app_id.as_str()),
        ScanProvider::Feishu | ScanProvider::Dingtalk => {
            identity.tenant.is_some() && identity.tenant == cfg.tenant
        }
        ScanProvider::Wechat | ScanProvider::Qq => false,
    }
}

async fn finish(st: &AppState, id: Uuid, result: ScanResult) -> Result<(), Error> {
    st.db(move |s| s.finish_scan(id, &result)).await
}

fn failed(error: ScanError) -> ScanResult {
    ScanResult {
        status: ScanStatus::Failed,
        user_id: None,
        identity: None,
        error: Some(error),
    }
}

fn fail(code: &str, zh: &str, en: &str) -> ScanError {
    ScanError {
        code: code.into(),
        zh: zh.into(),
        en: en.into(),
    }
}

fn state_unknown() -> ScanError {
    fail(
        "state_unknown",
        "这个登录链接不是这台服务器发出的，或者已经失效（state 不对），没有登录。请回到电脑上重新开始登录。",
        "this sign-in link was not made by this server or is no longer valid (wrong state); nothing was signed in. Start the sign-in again on the computer.",
    )
}

fn expired() -> ScanError {
    fail(
        "expired",
        "扫码登录已经过期（5 分钟内有效），没有登录。请回到电脑上重新开始登录。",
        "this scan sign-in has expired (it lasts 5 minutes); nothing was signed in. Start the sign-in again on the computer.",
    )
}

/// `POST /v1/scan/{id}/poll`.
pub(crate) async fn poll(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    JsonBody(req): JsonBody<SigninPollRequest>,
) -> Result<Json<ScanPoll>, Error> {
    let secret_hash = codes::hash_token(&req.secret);
    let signin_id = Uuid::now_v7();
    let row = st
        .db(move |s| s.collect_scan(id, &secret_hash, signin_id))
        .await?
        .ok_or_else(|| {
            Error::NotFound("no such scan sign-in: it was collected already or is long gone".into())
        })?;
    let now = st.now();
    let display_name = row.identity.as_ref().map(|i| i.display_name.clone());
    let answer = |state: ScanState| ScanPoll {
        state,
        join: None,
        signin: None,
        display_name: display_name.clone(),
        error: None,
    };
    Ok(Json(match row.status {
        ScanStatus::Waiting if row.expires_at <= now => ScanPoll {
            error: Some(expired()),
            ..answer(ScanState::Expired)
        },
        // The server stopped while asking the provider: the attempt will not finish.
        ScanStatus::Exchanging if row.expires_at + EXCHANGE_GRACE_MS <= now => ScanPoll {
            error: Some(expired()),
            ..answer(ScanState::Expired)
        },
        ScanStatus::Waiting | ScanStatus::Exchanging => answer(ScanState::Waiting),
        ScanStatus::Failed => ScanPoll {
            error: row.error.clone(),
            ..answer(ScanState::Failed)
        },
        ScanStatus::Linked => answer(ScanState::Linked),
        ScanStatus::ApprovalSent => answer(ScanState::Approval),
        ScanStatus::Approval => {
            let signin = approval(&st, &row, signin_id, &req.secret).await?;
            ScanPoll {
                signin: Some(signin),
                ..answer(ScanState::Approval)
            }
        }
        ScanStatus::Member | ScanStatus::Join => {
            let team_name = st.team_name.clone();
            let joined = st.db(move |s| let_in(s, &row, team_name, now)).await;
            match joined {
                Ok(join) => {
                    tracing::info!(
                        user = %join.me.user_name,
                        device = %join.me.device_name,
                        "device signed in by scanning"
                    );
                    ScanPoll {
                        join: Some(join),
                        ..answer(ScanState::SignedIn)
                    }
                }
                Err(Error::NotFound(_) | Error::InvalidCode(_)) => ScanPoll {
                    error: Some(fail(
                        "member_gone",
                        "扫码的人已经不在团队里了，没有登录。请联系团队负责人。",
                        "whoever scanned is no longer in the team; nothing was signed in. Ask a team lead.",
                    )),
                    ..answer(ScanState::Failed)
                },
                Err(e) => return Err(e),
            }
        }
    }))
}

/// Starts the sign-in by approval of an unknown identity (polled with the same secret).
async fn approval(
    st: &AppState,
    row: &ScanRow,
    signin_id: Uuid,
    secret: &str,
) -> Result<SigninStarted, Error> {
    let code = codes::new_short_code()?;
    let now = st.now();
    let started = SigninStarted {
        id: signin_id,
        code: code.clone(),
        secret: secret.to_string(),
        expires_at: now + crate::signin::SIGNIN_TTL_MS,
    };
    let shown = row.identity.as_ref().map(|i| {
        let name: String = i.display_name.chars().take(40).collect();
        format!("{name}（{}）", i.provider.name_zh())
    });
    let new = NewSignin {
        id: signin_id,
        secret_hash: codes::hash_token(secret),
        code_hash: codes::hash_code(&code),
        device_name: row.device_name.clone(),
        user_name: row.user_name.clone().or(shown),
        app_version: row.app_version.clone(),
        web: row.web,
        ip: row.ip.clone(),
        expires_at: started.expires_at,
        now,
    };
    st.db(move |s| s.create_signin(&new)).await?;
    Ok(started)
}

/// Makes the device: a one-use code made by the server (a device of the linked member, or
/// a new agent), spent at once; a new agent's identity is linked to them.
fn let_in(
    s: &dyn Store,
    row: &ScanRow,
    team_name: String,
    now: i64,
) -> Result<JoinResponse, Error> {
    let code = codes::new_code()?;
    let code_hash = codes::hash_code(&code);
    let member = if row.status == ScanStatus::Member {
        Some(
            row.user_id
                .ok_or_else(|| Error::internal("a member scan without its member"))?,
        )
    } else {
        None
    };
    s.scan_code(&code_hash, member, now)?;
    let token = codes::new_token()?;
    let user_name = row
        .user_name
        .clone()
        .or_else(|| row.identity.as_ref().map(|i| i.display_name.clone()));
    let me = s.join(&Join {
        code_hash,
        token_hash: codes::hash_token(&token),
        device_name: row.device_name.clone(),
        user_name,
        app_version: row.app_version.clone(),
        team_name,
        now,
    })?;
    if member.is_none()
        && let Some(identity) = &row.identity
    {
        s.link_identity(me.user_id, identity, now)?;
    }
    Ok(JoinResponse { token, me })
}

/// `GET /v1/identities`: the caller's linked identities.
pub(crate) async fn identities(
    State(st): State<AppState>,
    Auth(me): Auth,
) -> Result<Json<Vec<IdentityInfo>>, Error> {
    let user = me.user_id;
    Ok(Json(st.db(move |s| s.identities(user)).await?))
}

/// `DELETE /v1/identities/{provider}`: unlinks the caller's identity there.
pub(crate) async fn unlink(
    State(st): State<AppState>,
    Auth(me): Auth,
    ApiPath(provider): ApiPath<String>,
) -> Result<StatusCode, Error> {
    let provider = ScanProvider::parse(&provider)
        .ok_or_else(|| Error::NotFound(format!("no provider “{provider}”")))?;
    let user = me.user_id;
    if st.db(move |s| s.unlink_identity(user, provider)).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::NotFound(format!(
            "no {} account is linked to you",
            provider.name_en()
        )))
    }
}

fn owner_only(me: &quickreply_proto::api::Me) -> Result<(), Error> {
    if me.role != Role::Owner {
        return Err(Error::Forbidden(
            "只有团队主管能设置登录方式 / only the team's owner sets up the sign-in providers"
                .into(),
        ));
    }
    Ok(())
}

/// `GET /v1/scan/settings` (owner): every provider as the server has it, never a secret.
pub(crate) async fn settings(
    State(st): State<AppState>,
    Auth(me): Auth,
) -> Result<Json<Vec<ScanSetting>>, Error> {
    owner_only(&me)?;
    let stored = st.db(|s| s.scan_settings()).await?;
    let out = ScanProvider::ALL
        .into_iter()
        .map(|provider| {
            let callback_url = st.scan.redirect_uri(provider);
            if let Some(c) = st.scan.config.provider(provider) {
                return ScanSetting {
                    provider,
                    configured: true,
                    from_config: true,
                    app_id: c.app_id.clone(),
                    agent_id: c.agent_id.clone(),
                    auto_join: c.auto_join,
                    tenant: c.tenant.clone(),
                    has_secret: true,
                    callback_url,
                    updated_at: None,
                };
            }
            match stored.iter().find(|p| p.provider == provider) {
                Some(p) => ScanSetting {
                    provider,
                    configured: true,
                    from_config: false,
                    app_id: p.app_id.clone(),
                    agent_id: p.agent_id.clone(),
                    auto_join: p.auto_join,
                    tenant: p.tenant.clone(),
                    has_secret: !p.secret.is_empty(),
                    callback_url,
                    updated_at: Some(p.updated_at),
                },
                None => ScanSetting {
                    provider,
                    configured: false,
                    from_config: false,
                    app_id: String::new(),
                    agent_id: None,
                    auto_join: false,
                    tenant: None,
                    has_secret: false,
                    callback_url,
                    updated_at: None,
                },
            }
        })
        .collect();
    Ok(Json(out))
}

fn provider_in_path(name: &str) -> Result<ScanProvider, Error> {
    ScanProvider::parse(name).ok_or_else(|| {
        Error::NotFound(format!(
            "no sign-in provider “{name}”: wecom, feishu, dingtalk, wechat or qq"
        ))
    })
}

fn from_config(provider: ScanProvider) -> Error {
    Error::Conflict(format!(
        "{}登录是在服务器的配置文件或环境变量里设置的，请在那里修改 / {} is set in the \
         server's config file or environment: change it there",
        provider.name_zh(),
        provider.name_en()
    ))
}

/// `PUT /v1/scan/settings/{provider}` (owner).
pub(crate) async fn put_setting(
    State(st): State<AppState>,
    Auth(me): Auth,
    ApiPath(name): ApiPath<String>,
    JsonBody(input): JsonBody<ScanSettingInput>,
) -> Result<StatusCode, Error> {
    owner_only(&me)?;
    let provider = provider_in_path(&name)?;
    if st.scan.config.provider(provider).is_some() {
        return Err(from_config(provider));
    }
    let text = |v: Option<String>| v.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let stored = st.db(|s| s.scan_settings()).await?;
    let kept = stored.into_iter().find(|p| p.provider == provider);
    let secret = match (text(input.secret), kept) {
        (Some(s), _) => s,
        (None, Some(k)) => k.secret,
        (None, None) => {
            return Err(Error::BadRequest(format!(
                "请填写{}应用的 Secret / give the {} app's secret",
                provider.name_zh(),
                provider.name_en()
            )));
        }
    };
    let cfg = ProviderConfig {
        provider,
        app_id: input.app_id.trim().to_string(),
        secret,
        agent_id: text(input.agent_id),
        auto_join: input.auto_join,
        tenant: text(input.tenant),
        endpoint: None,
    };
    config::check(&cfg).map_err(|e| Error::BadRequest(setting_refusal(provider, &e)))?;
    let setting = StoredProvider {
        provider,
        app_id: cfg.app_id,
        secret: cfg.secret,
        agent_id: cfg.agent_id,
        auto_join: cfg.auto_join,
        tenant: cfg.tenant,
        updated_at: st.now(),
    };
    let user = me.user_id;
    st.db(move |s| s.put_scan_setting(&setting, user)).await?;
    tracing::info!(provider = provider.as_str(), by = %me.user_name, "sign-in provider set");
    Ok(StatusCode::NO_CONTENT)
}

/// Why a provider's setting is refused, in Chinese first.
fn setting_refusal(provider: ScanProvider, en: &str) -> String {
    let zh = if en.contains("agent_id") {
        "企业微信需要填写自建应用的 AgentId".to_string()
    } else if en.contains("needs tenant") {
        format!(
            "{}的“同企业成员自动加入”需要填写企业的{}",
            provider.name_zh(),
            if provider == ScanProvider::Feishu {
                "tenant_key"
            } else {
                "corpId"
            }
        )
    } else if en.contains("auto_join is for") {
        format!("{}账号人人都有，不能自动加入", provider.name_zh())
    } else {
        format!("请填写{}应用的 App ID 和 Secret", provider.name_zh())
    };
    format!("{zh} / {en}")
}

/// `DELETE /v1/scan/settings/{provider}` (owner).
pub(crate) async fn delete_setting(
    State(st): State<AppState>,
    Auth(me): Auth,
    ApiPath(name): ApiPath<String>,
) -> Result<StatusCode, Error> {
    owner_only(&me)?;
    let provider = provider_in_path(&name)?;
    if st.scan.config.provider(provider).is_some() {
        return Err(from_config(provider));
    }
    if st.db(move |s| s.delete_scan_setting(provider)).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_configured(provider))
    }
}

/// The page the phone shows after the provider sent it back (Chinese first).
fn page(result: Result<Outcome, ScanError>) -> Response {
    let (status, title, zh, en) = match &result {
        Ok(Outcome::SignedIn) => (
            StatusCode::OK,
            "已登录 / Signed in",
            "已登录。请回到电脑上，QuickReply 马上就好。".to_string(),
            "Signed in. Go back to the computer: QuickReply is ready in a moment.".to_string(),
        ),
        Ok(Outcome::Linked) => (
            StatusCode::OK,
            "已关联 / Linked",
            "已关联。以后用这个账号扫码就能登录新电脑。".to_string(),
            "Linked. From now on, scanning with this account signs your new computers in."
                .to_string(),
        ),
        Ok(Outcome::Approval(name)) => (
            StatusCode::OK,
            "等待批准 / Waiting for approval",
            format!(
                "{}，团队里还没有关联你的账号：电脑上会显示一个登录码，请团队负责人批准。",
                escape(name)
            ),
            format!(
                "{}, no member has your account yet: the computer shows a sign-in code for a team lead to approve.",
                escape(name)
            ),
        ),
        Err(e) => (
            StatusCode::BAD_REQUEST,
            "没有登录 / Not signed in",
            escape(&e.zh),
            escape(&e.en),
        ),
    };
    let html = format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title></head><body style=\"font-family:sans-serif;margin:2em;\
         line-height:1.6\"><h1>{title}</h1><p id=\"zh\">{zh}</p><p id=\"en\" lang=\"en\">{en}</p>\
         </body></html>"
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(provider: ScanProvider, auto_join: bool, tenant: Option<&str>) -> ProviderConfig {
        ProviderConfig {
            provider,
            app_id: "ww-corp".into(),
            secret: "s".into(),
            agent_id: Some("1".into()),
            auto_join,
            tenant: tenant.map(str::to_string),
            endpoint: None,
        }
    }

    fn who(provider: ScanProvider, tenant: Option<&str>) -> Identity {
        Identity {
            provider,
            subject: "u".into(),
            display_name: "张三".into(),
            tenant: tenant.map(str::to_string),
        }
    }

    #[test]
    fn only_the_teams_own_corp_or_tenant_joins_automatically() {
        let wecom = cfg(ScanProvider::Wecom, true, None);
        assert!(joins_automatically(
            &wecom,
            &who(ScanProvider::Wecom, Some("ww-corp"))
        ));
        assert!(!joins_automatically(
            &wecom,
            &who(ScanProvider::Wecom, None)
        ));
        assert!(!joins_automatically(
            &cfg(ScanProvider::Wecom, false, None),
            &who(ScanProvider::Wecom, Some("ww-corp"))
        ));
        let feishu = cfg(ScanProvider::Feishu, true, Some("t1"));
        assert!(joins_automatically(
            &feishu,
            &who(ScanProvider::Feishu, Some("t1"))
        ));
        assert!(!joins_automatically(
            &feishu,
            &who(ScanProvider::Feishu, Some("t2"))
        ));
        assert!(!joins_automatically(
            &cfg(ScanProvider::Qq, true, Some("x")),
            &who(ScanProvider::Qq, Some("x"))
        ));
    }

    #[test]
    fn the_phone_page_escapes_names() {
        let r = page(Ok(Outcome::Approval("<b>x</b>".into())));
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            escape("<a href=\"x\">&"),
            "&lt;a href=&quot;x&quot;&gt;&amp;"
        );
    }
}

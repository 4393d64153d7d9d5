//! Sign-in by approval: `/v1/signin…` (see `quickreply_proto::api::SigninRequest`).
//!
//! A new computer (or a browser opening the admin page) asks without a token and gets a
//! short code to show (as text and as a QR code) plus a secret to poll with. A signed-in
//! member looks the code up, sees what is asking (device name, address, time), and
//! approves it — as one more device of their own (anyone) or as a new member with a role
//! (the invite rules) — or denies it. The asker's next poll collects its device token.
//!
//! Nothing usable is stored: the code and the secret are kept as SHA-256 hashes, and the
//! token is made when the asker collects it (with a one-use code made for the approver
//! and spent at once, through the same store paths as invite and pairing codes), so the
//! approver's rights are checked again at that moment: a device revoked in between
//! cannot let anyone in.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use quickreply_proto::api::{
    InviteRequest, JoinResponse, SigninDecision, SigninDenial, SigninInfo, SigninPoll,
    SigninPollRequest, SigninRequest, SigninStarted, SigninState,
};
use serde::Deserialize;
use uuid::Uuid;

use crate::Error;
use crate::codes;
use crate::extract::{ApiPath, ApiQuery, Auth, JsonBody};
use crate::state::AppState;
use crate::store::{Join, NewInvite, NewSignin, SigninRow, SigninVerdict, Store};
use crate::validate::newcomer;

/// How long a sign-in waits for approval.
pub const SIGNIN_TTL_MS: i64 = 10 * 60 * 1000;

/// `POST /v1/signin`: rate-limited per address like joining.
pub(crate) async fn start(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    JsonBody(req): JsonBody<SigninRequest>,
) -> Result<(StatusCode, Json<SigninStarted>), Error> {
    limited(
        st.join_limiter.check(peer.ip()),
        "too many sign-in attempts from this address: wait a minute and try again",
    )?;
    let (device_name, user_name) =
        newcomer(&req.device_name, req.user_name.as_deref(), &req.app_version)?;
    let code = codes::new_short_code()?;
    let secret = codes::new_token()?;
    let now = st.now();
    let started = SigninStarted {
        id: Uuid::now_v7(),
        code: code.clone(),
        secret: secret.clone(),
        expires_at: now + SIGNIN_TTL_MS,
    };
    let new = NewSignin {
        id: started.id,
        secret_hash: codes::hash_token(&secret),
        code_hash: codes::hash_code(&code),
        device_name,
        user_name,
        app_version: req.app_version,
        web: req.web,
        ip: peer.ip().to_string(),
        expires_at: started.expires_at,
        now,
    };
    st.db(move |s| s.create_signin(&new)).await?;
    Ok((StatusCode::CREATED, Json(started)))
}

/// `POST /v1/signin/{id}/poll`: where it stands; once approved, the device token (once).
pub(crate) async fn poll(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    JsonBody(req): JsonBody<SigninPollRequest>,
) -> Result<Json<SigninPoll>, Error> {
    let secret_hash = codes::hash_token(&req.secret);
    let now = st.now();
    let row = st
        .db(move |s| s.collect_signin(id, &secret_hash, now))
        .await?
        .ok_or_else(|| {
            Error::NotFound("no such sign-in: it was collected already or is long gone".into())
        })?;
    if row.state != SigninState::Approved {
        return Ok(Json(SigninPoll {
            state: row.state,
            join: None,
        }));
    }
    let team_name = st.team_name.clone();
    let signin_id = row.id;
    let join = st
        .db(move |s| {
            let join = let_in(s, &row, team_name, now)?;
            // A sign-in started by scanning (`scan`): the identity is the member's now.
            s.link_after_approval(signin_id, join.me.user_id, now)?;
            Ok(join)
        })
        .await?;
    tracing::info!(
        user = %join.me.user_name,
        device = %join.me.device_name,
        role = join.me.role.as_str(),
        "device signed in by approval"
    );
    Ok(Json(SigninPoll {
        state: SigninState::Approved,
        join: Some(join),
    }))
}

/// Makes the approved computer's device: a one-use code for the approver (checked now,
/// with the approver's current rights), spent at once.
fn let_in(
    s: &dyn Store,
    row: &SigninRow,
    team_name: String,
    now: i64,
) -> Result<JoinResponse, Error> {
    let approver = row
        .approver
        .and_then(|d| s.device_me(d).transpose())
        .transpose()?
        .ok_or_else(|| {
            Error::Forbidden(
                "the device that approved this sign-in has been revoked since: ask again".into(),
            )
        })?;
    let code = codes::new_code()?;
    let code_hash = codes::hash_code(&code);
    s.create_invite(
        &approver,
        &NewInvite {
            code_hash: code_hash.clone(),
            request: InviteRequest {
                role: row.member.unwrap_or(approver.role),
                uses: 1,
                expires_in: 60,
                pairing: row.member.is_none(),
            },
            expires_at: now + 60_000,
            now,
        },
    )?;
    let token = codes::new_token()?;
    let me = s.join(&Join {
        code_hash,
        token_hash: codes::hash_token(&token),
        device_name: row.device_name.clone(),
        user_name: row.user_name.clone(),
        app_version: row.app_version.clone(),
        team_name,
        now,
    })?;
    Ok(JoinResponse { token, me })
}

#[derive(Deserialize)]
pub(crate) struct LookupQuery {
    code: String,
}

/// `GET /v1/signin?code=…`: what is asking, for the approver (per-device rate limit).
pub(crate) async fn lookup(
    State(st): State<AppState>,
    Auth(me): Auth,
    ApiQuery(q): ApiQuery<LookupQuery>,
) -> Result<Json<SigninInfo>, Error> {
    limited(
        st.invite_limiter.check(me.device_id),
        "this device looked up too many sign-in codes: wait a minute",
    )?;
    let code = codes::normalize_code(&q.code);
    let code_hash = codes::hash_code(&code);
    let now = st.now();
    let row = st
        .db(move |s| s.signin_by_code(&code_hash, now))
        .await?
        .ok_or_else(not_waiting)?;
    Ok(Json(SigninInfo {
        code: display(&code),
        device_name: row.device_name,
        user_name: row.user_name,
        app_version: row.app_version,
        web: row.web,
        ip: row.ip,
        created_at: row.created_at,
        expires_at: row.expires_at,
    }))
}

/// `POST /v1/signin/approve`.
pub(crate) async fn approve(
    State(st): State<AppState>,
    Auth(me): Auth,
    JsonBody(req): JsonBody<SigninDecision>,
) -> Result<StatusCode, Error> {
    limited(
        st.invite_limiter.check(me.device_id),
        "this device approved too many sign-ins: wait a minute",
    )?;
    decide(
        &st,
        me,
        &req.code,
        SigninVerdict::Approve { member: req.member },
    )
    .await
}

/// `POST /v1/signin/deny` (the per-device budget of looking up and approving, so that
/// denying cannot sweep the sign-in codes either).
pub(crate) async fn deny(
    State(st): State<AppState>,
    Auth(me): Auth,
    JsonBody(req): JsonBody<SigninDenial>,
) -> Result<StatusCode, Error> {
    limited(
        st.invite_limiter.check(me.device_id),
        "this device denied too many sign-ins: wait a minute",
    )?;
    decide(&st, me, &req.code, SigninVerdict::Deny).await
}

async fn decide(
    st: &AppState,
    me: quickreply_proto::api::Me,
    code: &str,
    verdict: SigninVerdict,
) -> Result<StatusCode, Error> {
    if codes::normalize_code(code).is_empty() {
        return Err(not_waiting());
    }
    let code_hash = codes::hash_code(code);
    let now = st.now();
    st.db(move |s| s.decide_signin(&me, &code_hash, verdict, now))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn limited(check: Result<(), std::time::Duration>, message: &str) -> Result<(), Error> {
    check.map_err(|retry_after| Error::RateLimited {
        message: message.into(),
        retry_after,
    })
}

fn not_waiting() -> Error {
    Error::NotFound("no sign-in is waiting with this code: check it, or it may have expired".into())
}

/// `ABCDEFGH` → `ABCD-EFGH`.
fn display(normalized: &str) -> String {
    let chars: Vec<char> = normalized.chars().collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_shown_in_groups_of_four() {
        assert_eq!(display("ABCDEFGH"), "ABCD-EFGH");
        assert_eq!(display("ABC"), "ABC");
        assert_eq!(display(""), "");
    }
}

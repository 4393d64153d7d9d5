//! Request extractors of the API: the authenticated caller ([`Auth`]) and the body, path
//! and query parameters, each rejected as a JSON [`Error`] instead of axum's plain text.
//! Used by the router's handlers and by `events`, `signin` and `admin` alike.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use quickreply_proto::api::Me;
use serde::de::DeserializeOwned;

use crate::Error;
use crate::codes;
use crate::state::AppState;
use crate::store::TokenRefusal;

/// The authenticated caller (`Authorization: Bearer <token>`).
pub(crate) struct Auth(pub Me);

impl FromRequestParts<AppState> for Auth {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(Error::Unauthorized(
                "missing `Authorization: Bearer <token>`: join first".into(),
            ));
        };
        let token = match value.to_str().unwrap_or_default().trim().split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            _ => "",
        };
        if token.is_empty() {
            return Err(Error::Unauthorized(
                "the Authorization header must be `Bearer <token>`".into(),
            ));
        }
        let hash = codes::hash_token(token);
        let generation = match state.auth_cache.get(&hash) {
            Ok(me) => return Ok(Auth(me)),
            Err(generation) => generation,
        };
        let now = state.now();
        let key = hash.clone();
        let found = state.db(move |s| s.authenticate(&key, now)).await?;
        let Some(me) = found else {
            let key = hash.clone();
            let refusal = state.db(move |s| s.token_refusal(&key)).await?;
            return Err(Error::Unauthorized(match refusal {
                TokenRefusal::Removed { team_name } => format!(
                    "you have been removed from the team “{team_name}”: this computer can no longer sync with it (a lead can invite you again)"
                ),
                TokenRefusal::Revoked | TokenRefusal::Unknown => "unknown or revoked token".into(),
            }));
        };
        state.auth_cache.put(hash, me.clone(), generation);
        Ok(Auth(me))
    }
}

/// A JSON body, rejected as `400 bad_request` with serde's message (`413 too_large` when
/// over the limit). The content type is not checked.
pub(crate) struct JsonBody<T>(pub T);

fn bytes_rejection(r: BytesRejection) -> Error {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Error::TooLarge("the request body is larger than this server accepts".into())
    } else {
        Error::BadRequest(r.body_text())
    }
}

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Error> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(bytes_rejection)?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| Error::BadRequest(format!("invalid JSON body: {e}")))
    }
}

/// The raw body (blobs).
pub(crate) struct RawBody(pub Bytes);

impl FromRequest<AppState> for RawBody {
    type Rejection = Error;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Error> {
        Bytes::from_request(req, state)
            .await
            .map(RawBody)
            .map_err(|r| match bytes_rejection(r) {
                // Raw bodies are images: say what the limit is.
                Error::TooLarge(_) => Error::TooLarge(format!(
                    "the image is larger than this server accepts: images are at most {} bytes",
                    state.max_image
                )),
                e => e,
            })
    }
}

/// Path parameters, rejected as JSON `400`.
pub(crate) struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for ApiPath<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(t)| ApiPath(t))
            .map_err(|r| Error::BadRequest(r.body_text()))
    }
}

/// Query parameters, rejected as JSON `400`.
pub(crate) struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequestParts<AppState> for ApiQuery<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(t)| ApiQuery(t))
            .map_err(|r| Error::BadRequest(r.body_text()))
    }
}

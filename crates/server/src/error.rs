//! The one error type of the server and how it becomes an HTTP answer ([`ErrorBody`]).

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use quickreply_proto::api::{ErrorBody, Item, codes};

/// Everything that can go wrong while answering a request or starting the server.
///
/// The variants that name an HTTP status are answered as such with their message; storage
/// and I/O failures are logged and answered `500 internal` without details.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 400 `bad_request`: malformed JSON, a bad parameter, an invalid document.
    #[error("{0}")]
    BadRequest(String),
    /// 428 `bad_request`: a write without `If-Match`.
    #[error("{0}")]
    PreconditionRequired(String),
    /// 401 `unauthorized`: no token, an unknown one or a revoked device's.
    #[error("{0}")]
    Unauthorized(String),
    /// 403 `forbidden`: the caller sees the thing but may not do this to it.
    #[error("{0}")]
    Forbidden(String),
    /// 404 `not_found`: absent, or not the caller's to see (never told apart).
    #[error("{0}")]
    NotFound(String),
    /// 409 `conflict`: a duplicate name or id.
    #[error("{0}")]
    Conflict(String),
    /// 412 `conflict`: the item's version is not the one in `If-Match`; carries the item as
    /// the server has it (`None` when it does not exist).
    #[error("the item was changed on the server: pull it, merge and write again")]
    VersionConflict(Option<Box<Item>>),
    /// 400 `invalid_code`: a join code that is unknown, expired or used up.
    #[error("{0}")]
    InvalidCode(String),
    /// 413 `too_large`.
    #[error("{0}")]
    TooLarge(String),
    /// 429 `rate_limited`, answered with `Retry-After` (whole seconds, at least 1).
    #[error("{message}")]
    RateLimited {
        message: String,
        retry_after: Duration,
    },
    /// 503 `unavailable`, answered with `Retry-After` and `Connection: close`: the server
    /// is at a cap (event streams); the client tries again later.
    #[error("{message}")]
    Unavailable {
        message: String,
        retry_after: Duration,
    },
    /// 507 `quota_exceeded`: the write would take the member past their storage quota.
    #[error("{0}")]
    QuotaExceeded(String),
    /// 400 `hash_mismatch`: an uploaded blob whose SHA-256 is not the one in its path.
    #[error("{0}")]
    HashMismatch(String),
    /// 415 `bad_image`: an uploaded blob that is not an image of an allowed type.
    #[error("{0}")]
    UnsupportedImage(String),
    /// 422 `bad_image`: an uploaded image that cannot be decoded or has too many pixels.
    #[error("{0}")]
    BadImage(String),
    /// 422 `compliance_blocked`: a reply in a team library holds a word whose rule the
    /// lead set to block. Not 412, which tells the client to merge and write again: this
    /// write is refused as it is, and the client keeps it as refused until it is fixed.
    #[error("{0}")]
    ComplianceBlocked(String),
    /// 500: the database failed.
    #[error("database: {0}")]
    Database(#[from] rusqlite::Error),
    /// 500: PostgreSQL failed (or a connection to it).
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// 500: no PostgreSQL connection could be had from the pool.
    #[error("PostgreSQL connection pool: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    /// 500: a file or socket failed.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The TLS certificate or key cannot be used (start-up only).
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    /// Binding the listening socket failed (start-up only).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    /// 500: anything else that should not happen (stored data that does not parse, …).
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// The HTTP status and [`codes`] entry of this error.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Error::BadRequest(_) => (StatusCode::BAD_REQUEST, codes::BAD_REQUEST),
            Error::PreconditionRequired(_) => {
                (StatusCode::PRECONDITION_REQUIRED, codes::BAD_REQUEST)
            }
            Error::Unauthorized(_) => (StatusCode::UNAUTHORIZED, codes::UNAUTHORIZED),
            Error::Forbidden(_) => (StatusCode::FORBIDDEN, codes::FORBIDDEN),
            Error::NotFound(_) => (StatusCode::NOT_FOUND, codes::NOT_FOUND),
            Error::Conflict(_) => (StatusCode::CONFLICT, codes::CONFLICT),
            Error::VersionConflict(_) => (StatusCode::PRECONDITION_FAILED, codes::CONFLICT),
            Error::InvalidCode(_) => (StatusCode::BAD_REQUEST, codes::INVALID_CODE),
            Error::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, codes::TOO_LARGE),
            Error::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, codes::RATE_LIMITED),
            Error::HashMismatch(_) => (StatusCode::BAD_REQUEST, codes::HASH_MISMATCH),
            Error::Unavailable { .. } => (StatusCode::SERVICE_UNAVAILABLE, codes::UNAVAILABLE),
            Error::QuotaExceeded(_) => (StatusCode::INSUFFICIENT_STORAGE, codes::QUOTA_EXCEEDED),
            Error::UnsupportedImage(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, codes::BAD_IMAGE),
            Error::BadImage(_) => (StatusCode::UNPROCESSABLE_ENTITY, codes::BAD_IMAGE),
            Error::ComplianceBlocked(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, codes::COMPLIANCE_BLOCKED)
            }
            Error::Database(_)
            | Error::Postgres(_)
            | Error::Pool(_)
            | Error::Io(_)
            | Error::Tls(_)
            | Error::Bind { .. }
            | Error::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, codes::INTERNAL),
        }
    }

    /// Whether this is the answer to one request (a `4xx`, or `507` over the quota) rather
    /// than a failure of the server: in a batch of writes, one write's refusal is that
    /// write's answer and the others go on.
    pub fn is_refusal(&self) -> bool {
        let (status, _) = self.status_and_code();
        status.is_client_error() || matches!(self, Error::QuotaExceeded(_))
    }

    /// The body of this error's answer, as [`IntoResponse`] writes it.
    pub fn body(self) -> ErrorBody {
        let (status, code) = self.status_and_code();
        let expected = matches!(self, Error::Unavailable { .. } | Error::QuotaExceeded(_));
        let message = if status.is_server_error() && !expected {
            tracing::error!(error = %self, "request failed");
            "internal server error (see the server log)".to_string()
        } else {
            self.to_string()
        };
        let current = match self {
            Error::VersionConflict(item) => item.map(|b| *b),
            _ => None,
        };
        ErrorBody {
            code: code.to_string(),
            message,
            current,
        }
    }

    /// A 500 from a message.
    pub fn internal(msg: impl Into<String>) -> Self {
        Error::Internal(msg.into())
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, _) = self.status_and_code();
        let retry_after = match &self {
            Error::RateLimited { retry_after, .. } | Error::Unavailable { retry_after, .. } => {
                Some(retry_after_secs(*retry_after))
            }
            _ => None,
        };
        // A refused connection is not kept open for the next request.
        let close = matches!(self, Error::Unavailable { .. });
        // Refusals by a cap are 5xx but meant for the client: their message is kept.
        let body = self.body();
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if close {
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

/// `Retry-After` in whole seconds, rounded up and at least 1 (`0` would invite an
/// immediate retry that is refused again).
pub(crate) fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

/// The [`codes`] entry for a bare HTTP status (answers produced outside the handlers).
pub fn code_for_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => codes::UNAUTHORIZED,
        403 => codes::FORBIDDEN,
        404 => codes::NOT_FOUND,
        409 | 412 => codes::CONFLICT,
        413 => codes::TOO_LARGE,
        429 => codes::RATE_LIMITED,
        503 => codes::UNAVAILABLE,
        507 => codes::QUOTA_EXCEEDED,
        s if s >= 500 => codes::INTERNAL,
        _ => codes::BAD_REQUEST,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn rate_limited_answers_429_json_with_retry_after_in_whole_seconds()
    -> Result<(), Box<dyn std::error::Error>> {
        for (wait, header) in [
            (Duration::from_millis(12_300), "13"),
            (Duration::from_secs(60), "60"),
            (Duration::ZERO, "1"),
        ] {
            let response = Error::RateLimited {
                message: "slow down".into(),
                retry_after: wait,
            }
            .into_response();
            assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
            assert_eq!(
                response.headers().get(header::RETRY_AFTER),
                Some(&HeaderValue::from_static(header))
            );
            let body = axum::body::to_bytes(response.into_body(), 4096).await?;
            let body: ErrorBody = serde_json::from_slice(&body)?;
            assert_eq!(body.code, codes::RATE_LIMITED);
            assert_eq!(body.message, "slow down");
        }
        Ok(())
    }
}

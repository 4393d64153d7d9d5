//! The `/v1` API: the router, its middleware and the handlers of the plain request/answer
//! endpoints (see `quickreply_proto::api`). The live stream (`events`), sign-in by approval
//! (`signin`) and the admin page (`admin`) have modules of their own; all of them share
//! [`AppState`] (`state`) and the extractors (`extract`), so nothing imports this module
//! but `lib.rs`.

use std::net::SocketAddr;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use quickreply_proto::api::{
    BatchResult, BatchResults, BatchWrite, CodeInfo, CreateLibrary, DeviceInfo, ErrorBody,
    InviteRequest, InviteResponse, Item, ItemVersion, JoinRequest, JoinResponse, LibraryDigest,
    LibraryInfo, MAX_BATCH, MAX_PAGE, MAX_USAGE_ENTRIES, Me, MissedReport, MissedSearch,
    MissedTotal, PutItem, RoleChange, StatusReport, UsageCount, UsageReport, UsageTotal,
};
use serde::Deserialize;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;
use uuid::Uuid;

use crate::blobs::{ImageRefusal, check_image};
use crate::codes::{self, is_sha256_hex, sha256_hex};
use crate::error::code_for_status;
use crate::extract::{ApiPath, ApiQuery, Auth, JsonBody, RawBody};
use crate::state::{AppState, Notice};
use crate::store::{BlobRow, ItemWrite, Join, NewInvite, UsageQuery, WriteOutcome, policy};
use crate::{Error, events, validate};

/// Longest invite lifetime (90 days), in seconds.
const MAX_INVITE_SECS: u64 = 90 * 24 * 3600;
/// Most cursors one status report may carry.
const MAX_CURSORS: usize = 10_000;
/// Default and largest period of a usage query (days).
const DEFAULT_USAGE_DAYS: i64 = 30;
const MAX_USAGE_DAYS: i64 = 366;

/// The API.
pub(crate) fn router(state: AppState, max_body: usize, max_image: usize) -> Router {
    let blob_routes = put(put_blob)
        .get(get_blob)
        .layer(DefaultBodyLimit::max(max_image));
    Router::new()
        .route("/v1/join", post(join))
        .route("/v1/me", get(me))
        .route(
            "/v1/signin",
            post(crate::signin::start).get(crate::signin::lookup),
        )
        .route("/v1/signin/{id}/poll", post(crate::signin::poll))
        .route("/v1/signin/approve", post(crate::signin::approve))
        .route("/v1/signin/deny", post(crate::signin::deny))
        .route("/v1/scan", get(crate::scan::list).post(crate::scan::start))
        .route("/v1/scan/link", post(crate::scan::link))
        .route("/v1/scan/settings", get(crate::scan::settings))
        .route(
            "/v1/scan/settings/{provider}",
            put(crate::scan::put_setting).delete(crate::scan::delete_setting),
        )
        .route("/v1/scan/{id}/poll", post(crate::scan::poll))
        .route("/v1/scan/callback/{provider}", get(crate::scan::callback))
        .route("/v1/identities", get(crate::scan::identities))
        .route(
            "/v1/identities/{provider}",
            axum::routing::delete(crate::scan::unlink),
        )
        .route("/v1/invites", post(create_invite))
        .route("/v1/devices", get(devices))
        .route("/v1/devices/{id}", axum::routing::delete(revoke_device))
        .route("/v1/members/{id}/role", put(set_role))
        .route("/v1/members/{id}", axum::routing::delete(remove_member))
        .route("/v1/codes", get(open_codes))
        .route("/v1/codes/{id}", axum::routing::delete(cancel_code))
        .route("/v1/status", post(report_status))
        .route("/v1/libraries", get(libraries).post(create_library))
        .route("/v1/libraries/{id}/changes", get(changes))
        .route("/v1/libraries/{id}/digest", get(digest))
        .route(
            "/v1/libraries/{id}/usage",
            post(report_usage).get(usage_totals),
        )
        .route("/v1/missed", post(report_missed).get(missed_totals))
        .route(
            "/v1/libraries/{id}/items/{key}",
            put(put_item).delete(delete_item),
        )
        .route("/v1/libraries/{id}/items", post(write_items))
        .route("/v1/libraries/{id}/items/{key}/history", get(history))
        .route("/v1/blobs/{sha256}", blob_routes)
        .route("/v1/events", get(events::events))
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(public_metrics))
        .merge(crate::suggestions::routes())
        .merge(crate::admin::routes())
        .merge(crate::stale::routes())
        .fallback(fallback)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(RequestBodyLimitLayer::new(max_body.max(max_image)))
        .layer(middleware::from_fn_with_state(state.clone(), finish))
        .layer(TraceLayer::new_for_http().on_failure(log_failure))
        .with_state(state)
}

// ---- middleware ----

/// Logs failed answers, except refusals by a cap (`503` over the event-stream cap, `507`
/// over a storage quota): those are expected under load and logged, throttled, where they
/// are decided.
fn log_failure(
    class: tower_http::classify::ServerErrorsFailureClass,
    latency: std::time::Duration,
    _span: &tracing::Span,
) {
    use tower_http::classify::ServerErrorsFailureClass::StatusCode as Status;
    if let Status(status) = class
        && matches!(status.as_u16(), 503 | 507)
    {
        return;
    }
    tracing::error!(classification = %class, latency_ms = latency.as_millis(), "response failed");
}

/// Counts answers by status and turns every error that is not JSON yet (unknown method,
/// the global body limit, …) into an [`ErrorBody`].
async fn finish(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let response = json_errors(next.run(req).await, state.max_image).await;
    state.metrics.record_status(response.status().as_u16());
    response
}

async fn json_errors(response: Response, max_image: usize) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => format!(
            "the request body is larger than this server accepts (images are at most \
             {max_image} bytes)"
        ),
        StatusCode::METHOD_NOT_ALLOWED => "method not allowed on this endpoint".to_string(),
        _ if text.is_empty() => status.canonical_reason().unwrap_or("error").to_lowercase(),
        _ => text,
    };
    let body = ErrorBody {
        code: code_for_status(status).to_string(),
        message,
        current: None,
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    Response::from_parts(parts, Body::from(bytes))
}

async fn fallback(method: Method, uri: Uri) -> Error {
    Error::NotFound(format!("no such endpoint: {method} {}", uri.path()))
}

// ---- handlers ----

async fn join(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    JsonBody(req): JsonBody<JoinRequest>,
) -> Result<Json<JoinResponse>, Error> {
    if let Err(retry_after) = st.join_limiter.check(peer.ip()) {
        return Err(Error::RateLimited {
            message: "too many join attempts from this address: wait a minute and try again".into(),
            retry_after,
        });
    }
    let (device_name, user_name) =
        validate::newcomer(&req.device_name, req.user_name.as_deref(), &req.app_version)?;
    if codes::normalize_code(&req.code).is_empty() {
        return Err(Error::InvalidCode("enter the code you were given".into()));
    }
    let token = codes::new_token()?;
    let join = Join {
        code_hash: codes::hash_code(&req.code),
        token_hash: codes::hash_token(&token),
        device_name,
        user_name,
        app_version: req.app_version,
        team_name: st.team_name.clone(),
        now: st.now(),
    };
    let me = st.db(move |s| s.join(&join)).await?;
    tracing::info!(
        user = %me.user_name,
        device = %me.device_name,
        role = me.role.as_str(),
        "device joined"
    );
    Ok(Json(JoinResponse { token, me }))
}

async fn me(Auth(me): Auth) -> Json<Me> {
    Json(me)
}

async fn create_invite(
    State(st): State<AppState>,
    Auth(me): Auth,
    JsonBody(req): JsonBody<InviteRequest>,
) -> Result<(StatusCode, Json<InviteResponse>), Error> {
    if !(1..=1000).contains(&req.uses) {
        return Err(Error::BadRequest("uses must be 1–1000".into()));
    }
    if !(60..=MAX_INVITE_SECS).contains(&req.expires_in) {
        return Err(Error::BadRequest(format!(
            "expires_in must be 60 s – 90 days ({MAX_INVITE_SECS} s)"
        )));
    }
    policy::may_invite(&me, &req)?;
    if let Err(retry_after) = st.invite_limiter.check(me.device_id) {
        return Err(Error::RateLimited {
            message: format!(
                "this device made too many invite and pairing codes: try again in {} s",
                crate::error::retry_after_secs(retry_after)
            ),
            retry_after,
        });
    }
    let code = codes::new_code()?;
    let now = st.now();
    let ms = i64::try_from(req.expires_in).unwrap_or(i64::MAX / 2) * 1000;
    let response = InviteResponse {
        code: code.clone(),
        role: if req.pairing { me.role } else { req.role },
        uses: req.uses,
        expires_at: now + ms,
        pairing: req.pairing,
    };
    let invite = NewInvite {
        code_hash: codes::hash_code(&code),
        request: req,
        expires_at: now + ms,
        now,
    };
    st.db(move |s| s.create_invite(&me, &invite)).await?;
    Ok((StatusCode::CREATED, Json(response)))
}

async fn devices(
    State(st): State<AppState>,
    Auth(me): Auth,
) -> Result<Json<Vec<DeviceInfo>>, Error> {
    Ok(Json(st.db(move |s| s.devices(&me)).await?))
}

async fn revoke_device(
    State(st): State<AppState>,
    Auth(me): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, Error> {
    let by = me.device_id;
    st.db(move |s| s.revoke_device(&me, id)).await?;
    st.auth_cache.clear();
    tracing::info!(device = %id, by = %by, "device revoked");
    // No subscriber is fine.
    let _ = st.events.send(Notice::Revoked(id));
    Ok(StatusCode::NO_CONTENT)
}

async fn set_role(
    State(st): State<AppState>,
    Auth(me): Auth,
    ApiPath(id): ApiPath<Uuid>,
    JsonBody(req): JsonBody<RoleChange>,
) -> Result<StatusCode, Error> {
    let by = me.user_id;
    st.db(move |s| s.set_role(&me, id, req.role)).await?;
    // Cached callers carry their role.
    st.auth_cache.clear();
    tracing::info!(user = %id, by = %by, role = req.role.as_str(), "role changed");
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_member(
    State(st): State<AppState>,
    Auth(me): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, Error> {
    let by = me.user_id;
    let now = st.now();
    let devices = st.db(move |s| s.remove_member(&me, id, now)).await?;
    st.auth_cache.clear();
    tracing::info!(user = %id, by = %by, devices = devices.len(), "member removed");
    for device in devices {
        // No subscriber is fine.
        let _ = st.events.send(Notice::Revoked(device));
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn open_codes(
    State(st): State<AppState>,
    Auth(me): Auth,
) -> Result<Json<Vec<CodeInfo>>, Error> {
    let now = st.now();
    Ok(Json(st.db(move |s| s.open_codes(&me, now)).await?))
}

async fn cancel_code(
    State(st): State<AppState>,
    Auth(me): Auth,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, Error> {
    let by = me.user_id;
    let now = st.now();
    let code = id.clone();
    st.db(move |s| s.cancel_code(&me, &code, now)).await?;
    tracing::info!(code = %id, by = %by, "code cancelled");
    Ok(StatusCode::NO_CONTENT)
}

async fn report_status(
    State(st): State<AppState>,
    Auth(me): Auth,
    JsonBody(report): JsonBody<StatusReport>,
) -> Result<StatusCode, Error> {
    validate::app_version(&report.app_version)?;
    if report.cursors.len() > MAX_CURSORS {
        return Err(Error::BadRequest(format!(
            "at most {MAX_CURSORS} cursors per report"
        )));
    }
    validate::skipped(&report.cursors)?;
    st.db(move |s| s.report_status(&me, &report)).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn libraries(
    State(st): State<AppState>,
    Auth(me): Auth,
) -> Result<Json<Vec<LibraryInfo>>, Error> {
    Ok(Json(st.db(move |s| s.libraries(&me)).await?))
}

async fn create_library(
    State(st): State<AppState>,
    Auth(me): Auth,
    JsonBody(mut req): JsonBody<CreateLibrary>,
) -> Result<(StatusCode, Json<LibraryInfo>), Error> {
    policy::may_create_library(&me)?;
    req.name = validate::name("name", &req.name)?;
    let now = st.now();
    let (info, created) = st.db(move |s| s.create_library(&me, &req, now)).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(info)))
}

#[derive(Debug, Deserialize)]
struct ChangesQuery {
    since: Option<i64>,
    limit: Option<i64>,
}

async fn changes(
    State(st): State<AppState>,
    Auth(me): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ChangesQuery>,
) -> Result<Response, Error> {
    let since = q.since.unwrap_or(0);
    if since < 0 {
        return Err(Error::BadRequest("since must not be negative".into()));
    }
    let limit = match q.limit {
        None => MAX_PAGE,
        Some(l) if l < 1 => return Err(Error::BadRequest("limit must be at least 1".into())),
        Some(l) => usize::try_from(l).unwrap_or(MAX_PAGE).min(MAX_PAGE),
    };
    // A page many devices ask for at the same head is read and encoded once (`pages`);
    // the right to read the library is checked first, every time.
    let who = me.clone();
    let head = st.db(move |s| s.library_head(&who, id)).await?;
    let body = match st.pages.get(&(id, since, limit, head)) {
        Some(body) => body,
        None => {
            // The documents go out as stored (see `store::raw`): the same JSON as `Changes`.
            let page = st.db(move |s| s.changes_raw(&me, id, since, limit)).await?;
            let body: std::sync::Arc<[u8]> = page
                .to_json()
                .map_err(|e| Error::internal(format!("a stored document does not parse: {e}")))?
                .into();
            st.pages.put((id, since, limit, page.head), body.clone());
            body
        }
    };
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        Body::from(Bytes::from_owner(body)),
    )
        .into_response())
}

async fn digest(
    State(st): State<AppState>,
    Auth(me): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<LibraryDigest>, Error> {
    Ok(Json(st.db(move |s| s.digest(&me, id)).await?))
}

async fn report_usage(
    State(st): State<AppState>,
    Auth(me): Auth,
    ApiPath(id): ApiPath<Uuid>,
    JsonBody(report): JsonBody<UsageReport>,
) -> Result<StatusCode, Error> {
    if report.counts.len() > MAX_USAGE_ENTRIES {
        return Err(Error::TooLarge(format!(
            "at most {MAX_USAGE_ENTRIES} counts per usage report"
        )));
    }
    // Every count is checked before anything is written.
    for c in &report.counts {
        validate::usage_key(&c.key)?;
        validate::day(&c.day)?;
        validate::fires(c.count, &c.day)?;
    }
    let counts: Vec<UsageCount> = last_of_each(&report.counts, |c| (&c.key, &c.day));
    let now = st.now();
    let device = me.device_id;
    let ignored = st
        .db(move |s| s.report_usage(&me, id, &counts, now))
        .await?;
    if ignored > 0 {
        // A reply created and fired here but never sent, or a client that makes keys up:
        // not an error the reporting computer could fix by sending again.
        st.metrics.usage_ignored(ignored);
        tracing::info!(%device, library = %id, ignored, "usage counts of unknown keys ignored");
    }
    Ok(StatusCode::NO_CONTENT)
}

/// A report's entries with each key once, in their order: an entry given twice counts as
/// its last one (a later count replaces an earlier one, as across reports).
fn last_of_each<'a, T: Clone, K: Eq + std::hash::Hash>(
    entries: &'a [T],
    key: impl Fn(&'a T) -> K,
) -> Vec<T> {
    let mut latest = std::collections::HashMap::with_capacity(entries.len());
    for (i, e) in entries.iter().enumerate() {
        latest.insert(key(e), i);
    }
    entries
        .iter()
        .enumerate()
        .filter(|&(i, e)| latest.get(&key(e)) == Some(&i))
        .map(|(_, e)| e.clone())
        .collect()
}

#[derive(Debug, Deserialize)]
struct UsageParams {
    days: Option<i64>,
    user: Option<Uuid>,
}

/// Usage totals of the last `days` days, today included, by the server's UTC date: counts
/// of days (as the devices reported them) from UTC today − (days − 1) on.
async fn usage_totals(
    State(st): State<AppState>,
    Auth(me): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<UsageParams>,
) -> Result<Json<Vec<UsageTotal>>, Error> {
    let query = UsageQuery {
        library_id: id,
        since_day: since_day(&st, q.days)?,
        user: q.user,
    };
    Ok(Json(st.db(move |s| s.usage(&me, &query)).await?))
}

async fn report_missed(
    State(st): State<AppState>,
    Auth(me): Auth,
    JsonBody(report): JsonBody<MissedReport>,
) -> Result<StatusCode, Error> {
    if report.searches.len() > MAX_USAGE_ENTRIES {
        return Err(Error::TooLarge(format!(
            "at most {MAX_USAGE_ENTRIES} searches per report"
        )));
    }
    // As for usage: everything is checked before anything is written.
    for m in &report.searches {
        validate::missed_query(&m.query)?;
        validate::day(&m.day)?;
    }
    let searches: Vec<MissedSearch> = last_of_each(&report.searches, |m| (&m.query, &m.day));
    let now = st.now();
    st.db(move |s| s.report_missed(&me, &searches, now)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The team's searches that found nothing over the last `days` days (as for usage).
async fn missed_totals(
    State(st): State<AppState>,
    Auth(me): Auth,
    ApiQuery(q): ApiQuery<UsageParams>,
) -> Result<Json<Vec<MissedTotal>>, Error> {
    let since_day = since_day(&st, q.days)?;
    Ok(Json(
        st.db(move |s| s.missed(&me, &since_day, q.user)).await?,
    ))
}

/// The first day (`YYYY-MM-DD`) of a period of `days` days that ends today, by the
/// server's UTC date.
fn since_day(st: &AppState, days: Option<i64>) -> Result<String, Error> {
    let days = days.unwrap_or(DEFAULT_USAGE_DAYS);
    if !(1..=MAX_USAGE_DAYS).contains(&days) {
        return Err(Error::BadRequest(format!(
            "days must be 1–{MAX_USAGE_DAYS}"
        )));
    }
    let today = st.now().div_euclid(86_400_000);
    Ok(validate::date_of_epoch_day(today - (days - 1)))
}

/// The version in `If-Match` (`"3"`, `3` or `W/"3"`).
fn if_match(headers: &HeaderMap) -> Result<i64, Error> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Err(Error::PreconditionRequired(
            "writes need `If-Match: \"<version>\"` with the version you last saw (\"0\" for a new item)"
                .into(),
        ));
    };
    let text = value.to_str().unwrap_or_default().trim();
    let bare = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
    bare.parse::<i64>().ok().filter(|v| *v >= 0).ok_or_else(|| {
        Error::BadRequest(format!(
            "If-Match must be an item version such as \"3\", not `{text}`"
        ))
    })
}

fn item_response(item: Item) -> Response {
    let etag = HeaderValue::from_str(&format!("\"{}\"", item.version))
        .unwrap_or(HeaderValue::from_static("\"0\""));
    ([(header::ETAG, etag)], Json(item)).into_response()
}

async fn write_item(st: &AppState, me: Me, write: ItemWrite) -> Result<Response, Error> {
    let events = st.events.clone();
    let outcome = st
        .db(move |s| {
            // Announced while the store still holds its write lock: subscribers hear of
            // changes in commit order, so `Last-Event-ID` never skips one. (PostgreSQL does
            // not call this: every instance hears the commit through its listener.)
            s.write_item(&me, &write, &|change, item| {
                let _ = events.send(Notice::change(*change, Some(item)));
            })
        })
        .await?;
    match outcome {
        WriteOutcome::Written(item, _) => {
            st.metrics.item_written();
            Ok(item_response(item))
        }
        WriteOutcome::Replay(item) => Ok(item_response(item)),
        WriteOutcome::Conflict(current) => Err(Error::VersionConflict(current.map(Box::new))),
    }
}

/// `POST /v1/libraries/{id}/items`: a batch of writes, each answered as its single
/// `PUT`/`DELETE` would be (see [`BatchWrite`]); a malformed write is refused (`400`) in
/// its place and the others go on.
async fn write_items(
    State(st): State<AppState>,
    Auth(me): Auth,
    ApiPath(id): ApiPath<Uuid>,
    JsonBody(body): JsonBody<BatchWrite>,
) -> Result<Json<BatchResults>, Error> {
    if body.writes.len() > MAX_BATCH {
        return Err(Error::TooLarge(format!(
            "a batch holds at most {MAX_BATCH} writes, not {}: send them in several",
            body.writes.len()
        )));
    }
    let now = st.now();
    let mut results: Vec<Option<BatchResult>> = vec![None; body.writes.len()];
    let mut writes = Vec::with_capacity(body.writes.len());
    let mut places = Vec::with_capacity(body.writes.len());
    for (i, w) in body.writes.into_iter().enumerate() {
        if let Err(e) = validate::batch_item(&w) {
            results[i] = Some(refused(e));
            continue;
        }
        places.push(i);
        writes.push(ItemWrite {
            library_id: id,
            key: w.key,
            if_match: w.if_match,
            op: w.op,
            doc: w.doc,
            now,
            quota: st.member_quota,
        });
    }
    let events = st.events.clone();
    let outcomes = st
        .db(move |s| {
            // Announced once, while the store still holds its write lock (as for one write).
            s.write_items(&me, &writes, &|change, item| {
                let _ = events.send(Notice::change(*change, Some(item)));
            })
        })
        .await?;
    for (i, outcome) in places.into_iter().zip(outcomes) {
        results[i] = Some(match outcome {
            Ok(WriteOutcome::Written(item, _)) => {
                st.metrics.item_written();
                written(item)
            }
            Ok(WriteOutcome::Replay(item)) => written(item),
            Ok(WriteOutcome::Conflict(current)) => {
                refused(Error::VersionConflict(current.map(Box::new)))
            }
            Err(e) => refused(e),
        });
    }
    Ok(Json(BatchResults {
        results: results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| refused(Error::internal("a write of the batch got no answer")))
            })
            .collect(),
    }))
}

fn written(item: Item) -> BatchResult {
    BatchResult {
        status: StatusCode::OK.as_u16(),
        item: Some(item),
        error: None,
    }
}

fn refused(e: Error) -> BatchResult {
    let (status, _) = e.status_and_code();
    BatchResult {
        status: status.as_u16(),
        item: None,
        error: Some(e.body()),
    }
}

async fn put_item(
    State(st): State<AppState>,
    Auth(me): Auth,
    ApiPath((id, key)): ApiPath<(Uuid, String)>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<PutItem>,
) -> Result<Response, Error> {
    let if_match = if_match(&headers)?;
    validate::put(&key, &body)?;
    let write = ItemWrite {
        library_id: id,
        key,
        if_match,
        op: body.op,
        doc: Some(body.doc),
        now: st.now(),
        quota: st.member_quota,
    };
    write_item(&st, me, write).await
}

async fn history(
    State(st): State<AppState>,
    Auth(me): Auth,
    ApiPath((id, key)): ApiPath<(Uuid, String)>,
) -> Result<Json<Vec<ItemVersion>>, Error> {
    validate::key(&key)?;
    Ok(Json(
        st.db(move |s| {
            let mut versions = s.history(&me, id, &key)?;
            crate::suggestions::credit(s, id, &key, &mut versions)?;
            Ok(versions)
        })
        .await?,
    ))
}

#[derive(Debug, Deserialize)]
struct DeleteQuery {
    op: Option<String>,
}

async fn delete_item(
    State(st): State<AppState>,
    Auth(me): Auth,
    ApiPath((id, key)): ApiPath<(Uuid, String)>,
    ApiQuery(q): ApiQuery<DeleteQuery>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let if_match = if_match(&headers)?;
    validate::key(&key)?;
    let Some(op) = q.op else {
        return Err(Error::BadRequest(
            "deletes need `?op=<write id>` (a client-chosen id that makes retries safe)".into(),
        ));
    };
    validate::op(&op)?;
    let write = ItemWrite {
        library_id: id,
        key,
        if_match,
        op,
        doc: None,
        now: st.now(),
        quota: st.member_quota,
    };
    write_item(&st, me, write).await
}

async fn put_blob(
    State(st): State<AppState>,
    Auth(me): Auth,
    ApiPath(sha): ApiPath<String>,
    RawBody(bytes): RawBody,
) -> Result<StatusCode, Error> {
    if !is_sha256_hex(&sha) {
        return Err(Error::BadRequest(
            "the path must be the image's SHA-256 in lowercase hex".into(),
        ));
    }
    if bytes.len() > st.max_image {
        return Err(Error::TooLarge(format!(
            "the image is {} bytes: images are at most {} bytes",
            bytes.len(),
            st.max_image
        )));
    }
    if bytes.is_empty() {
        return Err(Error::BadRequest("the image is empty".into()));
    }
    // A new image must fit its uploader's quota (checked before it is written).
    if st.member_quota > 0 {
        let (sha2, user) = (sha.clone(), me.user_id);
        let (known, used) = st
            .db(move |s| Ok((s.blob(&sha2)?.is_some(), s.stored_bytes(user)?)))
            .await?;
        if !known {
            let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
            crate::store::quota::check_blob(st.member_quota, used, size)?;
        }
    }
    // Decoding takes up to MAX_IMAGE_PIXELS × 4 bytes: two uploads at a time at most.
    static IMAGE_CHECKS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);
    let _checking = IMAGE_CHECKS
        .acquire()
        .await
        .map_err(|e| Error::internal(format!("image checks: {e}")))?;
    let blobs = st.blobs.clone();
    let now = st.now();
    let sha2 = sha.clone();
    let stored: Result<(BlobRow, Bytes), Error> = tokio::task::spawn_blocking(move || {
        let actual = sha256_hex(&bytes);
        if actual != sha2 {
            return Err(Error::HashMismatch(format!(
                "the body's SHA-256 is {actual}, not {sha2}"
            )));
        }
        // Only images every computer can take: one that is none would stop every
        // computer's pull of the library that refers to it.
        let mime = check_image(&bytes).map_err(|refusal| match refusal {
            ImageRefusal::Type(m) => Error::UnsupportedImage(m),
            ImageRefusal::Damaged(m) => Error::BadImage(m),
        })?;
        if let Some(dir) = &blobs {
            dir.put(&sha2, &bytes)?;
        }
        let row = BlobRow {
            size: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
            mime: mime.to_string(),
        };
        Ok((row, bytes))
    })
    .await
    .map_err(|e| Error::internal(format!("blob task failed: {e}")))?;
    let (row, bytes) = stored?;
    if st.blobs.is_some() {
        st.db(move |s| s.insert_blob(&me, &sha, &row, now)).await?;
    } else {
        st.db(move |s| s.put_blob_bytes(&me, &sha, &row, &bytes, now))
            .await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn get_blob(
    State(st): State<AppState>,
    Auth(me): Auth,
    ApiPath(sha): ApiPath<String>,
) -> Result<Response, Error> {
    let not_found = || Error::NotFound("no such image in a library you can read".into());
    if !is_sha256_hex(&sha) {
        return Err(not_found());
    }
    let sha2 = sha.clone();
    let row = st
        .db(move |s| {
            Ok(if s.blob_readable(&me, &sha2)? {
                s.blob(&sha2)?
            } else {
                None
            })
        })
        .await?
        .ok_or_else(not_found)?;
    let bytes = match &st.blobs {
        Some(dir) => {
            let path = dir.path(&sha).ok_or_else(not_found)?;
            match tokio::fs::read(&path).await {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(not_found()),
                Err(e) => return Err(e.into()),
            }
        }
        None => st
            .db(move |s| s.blob_bytes(&sha))
            .await?
            .ok_or_else(not_found)?,
    };
    let mime = HeaderValue::from_str(&row.mime)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=31536000, immutable"),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// `/metrics` on the public address: only with the metrics token.
async fn public_metrics(State(st): State<AppState>, headers: HeaderMap) -> Result<Response, Error> {
    if st.metrics_token_hash.is_none() {
        return Err(Error::NotFound(
            "/metrics is not served on this address: start the server with --metrics-token \
             (then ask with `Authorization: Bearer <token>`) or --metrics-addr"
                .into(),
        ));
    }
    metrics(st, &headers).await
}

/// The router of the separate metrics address (`--metrics-addr`): `/metrics` (with the
/// metrics token, when one is set) and `/healthz`.
pub(crate) fn metrics_router(state: AppState) -> Router {
    let max_image = state.max_image;
    Router::new()
        .route(
            "/metrics",
            get(
                |State(st): State<AppState>, headers: HeaderMap| async move {
                    metrics(st, &headers).await
                },
            ),
        )
        .route("/healthz", get(|| async { "ok" }))
        .fallback(fallback)
        .layer(middleware::from_fn(
            move |req: Request, next: Next| async move {
                json_errors(next.run(req).await, max_image).await
            },
        ))
        .with_state(state)
}

/// The Prometheus text, once the metrics token (if one is set) is shown.
async fn metrics(st: AppState, headers: &HeaderMap) -> Result<Response, Error> {
    if let Some(expected) = &st.metrics_token_hash {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| sha256_hex(token.trim().as_bytes()));
        // Hashes of equal length are compared, so the time taken says nothing of the token.
        if given.as_deref() != Some(expected.as_str()) {
            return Err(Error::Unauthorized(
                "/metrics needs `Authorization: Bearer <the server's metrics token>`".into(),
            ));
        }
    }
    let stats = st.db(|s| s.stats()).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        st.metrics.render(&stats),
    )
        .into_response())
}

//! Stale replies and the archive folder (issue #23, part 4), for a library's writers:
//!
//! - `GET /v1/libraries/{id}/stale?days=N&limit=L&offset=O`: the replies no one fired in
//!   the last N days (1–366, default 30) that are older than those N days, one page
//!   (default 200, at most 1000) with the total ([`StaleReplies`]);
//! - `POST /v1/libraries/{id}/archive`: moves replies into the library's 归档 folder,
//!   created if it has none, in one transaction of ordinary writes, all or nothing
//!   ([`ArchiveResult`]).
//!
//! "The last N days" are the team's dates ([`TEAM_UTC_OFFSET_MINUTES`], Beijing time):
//! today and the N − 1 days before it, as the devices date their fire counts. A reply is
//! older than the period when it was created before the period's first day began. The
//! store decides the rest (`store::stale`).

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use quickreply_proto::api::{
    ArchiveRequest, ArchiveResult, MAX_ARCHIVE, MAX_STALE_DAYS, MAX_STALE_PAGE, StaleQuery,
    StaleReplies, TEAM_UTC_OFFSET_MINUTES,
};
use uuid::Uuid;

use crate::extract::{ApiPath, ApiQuery, Auth, JsonBody};
use crate::state::{AppState, Notice};
use crate::store::stale::{ArchiveAsk, StaleAsk};
use crate::{Error, validate};

/// Default period (days) and page of a stale question.
const DEFAULT_DAYS: u32 = 30;
const DEFAULT_LIMIT: usize = 200;
const DAY_MS: i64 = 86_400_000;

/// The routes, merged into the API's router.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/libraries/{id}/stale", get(stale))
        .route("/v1/libraries/{id}/archive", post(archive))
}

/// The period of `days` days that ends on the team's today, at `now`: its first day and
/// the moment that day began (Unix ms).
pub(crate) fn period(now: i64, days: u32) -> (String, i64) {
    let offset = TEAM_UTC_OFFSET_MINUTES * 60_000;
    let today = (now + offset).div_euclid(DAY_MS);
    let first = today - (i64::from(days) - 1);
    (validate::date_of_epoch_day(first), first * DAY_MS - offset)
}

async fn stale(
    State(st): State<AppState>,
    Auth(me): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<StaleQuery>,
) -> Result<Json<StaleReplies>, Error> {
    let days = q.days.unwrap_or(DEFAULT_DAYS);
    if !(1..=MAX_STALE_DAYS).contains(&days) {
        return Err(Error::BadRequest(format!(
            "days must be 1–{MAX_STALE_DAYS} (天数须在 1 到 {MAX_STALE_DAYS} 之间)"
        )));
    }
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_STALE_PAGE).contains(&limit) {
        return Err(Error::BadRequest(format!(
            "limit must be 1–{MAX_STALE_PAGE} (每页 1 到 {MAX_STALE_PAGE} 条)"
        )));
    }
    let (since_day, created_before) = period(st.now(), days);
    let ask = StaleAsk {
        library_id: id,
        days,
        since_day,
        created_before,
        limit,
        offset: q.offset.unwrap_or(0),
    };
    Ok(Json(st.db(move |s| s.stale(&me, &ask)).await?))
}

async fn archive(
    State(st): State<AppState>,
    Auth(me): Auth,
    ApiPath(id): ApiPath<Uuid>,
    JsonBody(req): JsonBody<ArchiveRequest>,
) -> Result<Json<ArchiveResult>, Error> {
    if req.keys.is_empty() {
        return Err(Error::BadRequest(
            "choose at least one reply to archive (请至少选择一条回复)".into(),
        ));
    }
    if req.keys.len() > MAX_ARCHIVE {
        return Err(Error::TooLarge(format!(
            "at most {MAX_ARCHIVE} replies per archive request, not {} (每次最多归档 {MAX_ARCHIVE} 条): send them in several",
            req.keys.len()
        )));
    }
    let mut keys = Vec::with_capacity(req.keys.len());
    for key in req.keys {
        validate::key(&key)?;
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let ask = ArchiveAsk {
        library_id: id,
        keys,
        now: st.now(),
        quota: st.member_quota,
        batch: Uuid::now_v7(),
        new_folder: Uuid::now_v7(),
    };
    let events = st.events.clone();
    let by = me.user_id;
    let answer = st
        .db(move |s| {
            // Announced once, while the store still holds its write lock (as for a batch).
            s.archive(&me, &ask, &|change, item| {
                let _ = events.send(Notice::change(*change, Some(item)));
            })
        })
        .await?;
    for _ in 0..answer.moved.len() + usize::from(answer.folder_created) {
        st.metrics.item_written();
    }
    tracing::info!(library = %id, by = %by, moved = answer.moved.len(), "replies archived");
    Ok(Json(answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_is_the_team_s_days_ending_today() {
        // 2026-03-01 17:00 UTC is 2026-03-02 01:00 in Beijing.
        let now = 1_772_384_400_000;
        let (first, start) = period(now, 1);
        assert_eq!(first, "2026-03-02");
        // Beijing midnight of 2026-03-02 is 2026-03-01 16:00 UTC.
        assert_eq!(start, now - 3_600_000);
        let (first, start) = period(now, 30);
        assert_eq!(first, "2026-02-01");
        assert_eq!(start, now - 3_600_000 - 29 * DAY_MS);
    }
}

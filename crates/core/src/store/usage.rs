//! Usage: fires per reply per day (the ranking boost and the lead's usage report) and
//! searches that found nothing (counted per day and team, without the buyer's text).

use chrono::Utc;
use rusqlite::params;
use uuid::Uuid;

use super::{Store, now_ms};
use crate::error::Result;
use crate::search::usage_boost;

impl Store {
    /// Count one fire of a reply (counts only, never content).
    pub fn record_fire(&mut self, id: Uuid) -> Result<()> {
        let now = Utc::now();
        self.conn.execute(
            "INSERT INTO usage (snippet_id, day, count, last_at) VALUES (?1, ?2, 1, ?3)
             ON CONFLICT (snippet_id, day) DO UPDATE SET count = count + 1, last_at = excluded.last_at",
            params![id.to_string(), now.format("%Y-%m-%d").to_string(), now.timestamp_millis()],
        )?;
        Ok(())
    }

    /// Counts a search that found nothing, as the team's "searches that found nothing"
    /// report shows it: only what [`quickreply_proto::api::missed_query`] keeps (short
    /// searches without long numbers or e-mail addresses). `false` when not counted.
    ///
    /// `team`: the server address of the team whose chat window the search was made
    /// beside (a profile naming a team); only that team hears of it. `None`: every team.
    pub fn record_missed_search(&mut self, query: &str, team: Option<&str>) -> Result<bool> {
        let Some(query) = quickreply_proto::api::missed_query(query) else {
            return Ok(false);
        };
        let now = Utc::now();
        let team = team.map_or("", |t| t.trim().trim_end_matches('/'));
        self.conn.execute(
            "INSERT INTO missed_searches (query, day, team, count, last_at) VALUES (?1, ?2, ?3, 1, ?4)
             ON CONFLICT (query, day, team) DO UPDATE SET count = count + 1, last_at = excluded.last_at",
            params![
                query,
                now.format("%Y-%m-%d").to_string(),
                team,
                now.timestamp_millis()
            ],
        )?;
        Ok(true)
    }

    /// This computer's searches that found nothing whose count changed after `since` (Unix
    /// ms), of the last `days` days, and the newest change among them: those for the
    /// team at `server` and those made for no team in particular, each (query, day) one
    /// count.
    pub fn missed_searches_since(
        &self,
        since: i64,
        days: u32,
        server: &str,
    ) -> Result<(Vec<quickreply_proto::api::MissedSearch>, i64)> {
        let first_day = (Utc::now() - chrono::Duration::days(i64::from(days)))
            .format("%Y-%m-%d")
            .to_string();
        let mut st = self.conn.prepare_cached(
            "SELECT query, day, sum(count), max(last_at) FROM missed_searches
             WHERE day > ?2 AND (team = '' OR team = ?3)
             GROUP BY query, day HAVING max(last_at) > ?1 ORDER BY day, query",
        )?;
        let mut newest = since;
        let team = server.trim().trim_end_matches('/');
        let rows = st
            .query_map(params![since, first_day, team], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })?
            .map(|row| {
                row.map(|(query, day, count, at)| {
                    newest = newest.max(at);
                    quickreply_proto::api::MissedSearch {
                        query,
                        day,
                        count: count.clamp(0, i64::from(u32::MAX)) as u32,
                    }
                })
            })
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok((rows, newest))
    }

    /// The search boost a reply earns from its use (fires in the last 30 days, recency),
    /// as the search index holds it.
    pub fn boost_of(&self, id: Uuid) -> Result<u32> {
        let since = (Utc::now() - chrono::Duration::days(30))
            .format("%Y-%m-%d")
            .to_string();
        let (fires, last): (i64, Option<i64>) = self.conn.query_row(
            "SELECT ifnull(sum(count), 0), max(last_at) FROM usage WHERE snippet_id = ?1 AND day > ?2",
            params![id.to_string(), since],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(usage_boost(
            fires.max(0) as u64,
            last.map(|l| (now_ms() - l) / 1000),
        ))
    }

    /// Fires of a reply in the last `days` days.
    pub fn fires(&self, id: Uuid, days: i64) -> Result<u64> {
        let since = (Utc::now() - chrono::Duration::days(days))
            .format("%Y-%m-%d")
            .to_string();
        let n: i64 = self.conn.query_row(
            "SELECT ifnull(sum(count), 0) FROM usage WHERE snippet_id = ?1 AND day > ?2",
            params![id.to_string(), since],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    // ----- search ----------------------------------------------------------------------
}

//! [`SuggestStore`] on SQLite.

use quickreply_proto::api::Suggestion;
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use super::SqliteStore;
use super::pool::Cached;
use super::rows::load_library;
use crate::Error;
use crate::store::LibraryRow;
use crate::store::rows::Cells as _;
use crate::store::suggest::{
    Credit, Decided, MAX_LISTED, NewRow, SUGGESTION_COLUMNS, SUGGESTION_FROM, SuggestStore,
    suggestion_from,
};

fn by_id(conn: &rusqlite::Connection, id: Uuid) -> Result<Option<(Suggestion, Uuid)>, Error> {
    Ok(conn
        .row(
            &format!("SELECT {SUGGESTION_COLUMNS} FROM {SUGGESTION_FROM} WHERE s.id = ?1"),
            [id.to_string()],
            |r| suggestion_from(r),
        )
        .optional()?)
}

impl SuggestStore for SqliteStore {
    fn insert_suggestion(&self, n: &NewRow) -> Result<(Suggestion, bool), Error> {
        self.write(|tx| {
            let inserted = tx.exec(
                "INSERT INTO suggestions (id, team_id, library_id, key, base_version, doc, note,
                                          author_user, author_device, created_at, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'pending')
                 ON CONFLICT (id) DO NOTHING",
                params![
                    n.id.to_string(),
                    n.team_id.to_string(),
                    n.library_id.to_string(),
                    n.key,
                    n.base_version,
                    n.doc_json,
                    n.note,
                    n.author_user.to_string(),
                    n.author_device.to_string(),
                    n.now
                ],
            )?;
            match by_id(tx, n.id)? {
                Some((s, _)) => Ok((s, inserted > 0)),
                None => Err(Error::internal("a stored suggestion cannot be read back")),
            }
        })
    }

    fn suggestion(&self, id: Uuid) -> Result<Option<(Suggestion, Uuid)>, Error> {
        self.read(|conn| by_id(conn, id))
    }

    fn suggestions(
        &self,
        team_id: Uuid,
        author: Option<Uuid>,
        decided_since: i64,
    ) -> Result<Vec<Suggestion>, Error> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {SUGGESTION_COLUMNS} FROM {SUGGESTION_FROM}
                 WHERE s.team_id = ?1 AND (?2 IS NULL OR s.author_user = ?2)
                   AND (s.status = 'pending' OR s.decided_at >= ?3)
                 ORDER BY s.created_at DESC, s.id LIMIT ?4"
            ))?;
            let rows = stmt.query_map(
                params![
                    team_id.to_string(),
                    author.map(|a| a.to_string()),
                    decided_since,
                    MAX_LISTED
                ],
                |r| suggestion_from(r).map(|(s, _)| s),
            )?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn pending_by(&self, author: Uuid) -> Result<i64, Error> {
        self.read(|conn| {
            Ok(conn.row(
                "SELECT count(*) FROM suggestions WHERE author_user = ?1 AND status = 'pending'",
                [author.to_string()],
                |r| r.int(0),
            )?)
        })
    }

    fn decide_suggestion(&self, id: Uuid, d: &Decided) -> Result<bool, Error> {
        self.write(|tx| {
            let n = tx.exec(
                "UPDATE suggestions SET status = ?1, decided_by = ?2, comment = ?3,
                                        decided_at = ?4, result_version = ?5
                 WHERE id = ?6 AND status = 'pending'",
                params![
                    d.status.as_str(),
                    d.by.to_string(),
                    d.comment,
                    d.at,
                    d.result_version,
                    id.to_string()
                ],
            )?;
            Ok(n > 0)
        })
    }

    fn suggestion_credits(&self, library_id: Uuid, key: &str) -> Result<Vec<Credit>, Error> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT s.result_version, s.author_user, u.name
                 FROM suggestions s JOIN users u ON u.id = s.author_user
                 WHERE s.library_id = ?1 AND s.key = ?2 AND s.status = 'accepted'
                   AND s.result_version IS NOT NULL",
            )?;
            let rows = stmt.query_map(params![library_id.to_string(), key], |r| {
                Ok((r.int(0)?, r.uuid(1)?, r.text(2)?))
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn library_row(&self, id: Uuid) -> Result<Option<LibraryRow>, Error> {
        self.read(|conn| load_library(conn, id))
    }
}

//! [`SuggestStore`] on PostgreSQL.

use deadpool_postgres::GenericClient;
use quickreply_proto::api::Suggestion;
use uuid::Uuid;

use super::PgStore;
use super::pool::{all, exec, one, opt};
use super::rows::load_library;
use crate::Error;
use crate::store::LibraryRow;
use crate::store::rows::Cells as _;
use crate::store::suggest::{
    Credit, Decided, MAX_LISTED, NewRow, SUGGESTION_COLUMNS, SUGGESTION_FROM, SuggestStore,
    suggestion_from,
};

async fn by_id(c: &impl GenericClient, id: Uuid) -> Result<Option<(Suggestion, Uuid)>, Error> {
    opt(
        c,
        &format!("SELECT {SUGGESTION_COLUMNS} FROM {SUGGESTION_FROM} WHERE s.id = $1"),
        &[&id],
    )
    .await?
    .map(|r| suggestion_from(&r))
    .transpose()
}

impl SuggestStore for PgStore {
    fn insert_suggestion(&self, n: &NewRow) -> Result<(Suggestion, bool), Error> {
        self.run(self.write(async |tx| {
            let inserted = exec(
                tx,
                "INSERT INTO suggestions (id, team_id, library_id, key, base_version, doc, note,
                                          author_user, author_device, created_at, status)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending')
                 ON CONFLICT (id) DO NOTHING",
                &[
                    &n.id,
                    &n.team_id,
                    &n.library_id,
                    &n.key,
                    &n.base_version,
                    &n.doc_json,
                    &n.note,
                    &n.author_user,
                    &n.author_device,
                    &n.now,
                ],
            )
            .await?;
            match by_id(tx, n.id).await? {
                Some((s, _)) => Ok((s, inserted > 0)),
                None => Err(Error::internal("a stored suggestion cannot be read back")),
            }
        }))
    }

    fn suggestion(&self, id: Uuid) -> Result<Option<(Suggestion, Uuid)>, Error> {
        self.run(async {
            let client = self.pool.get().await?;
            by_id(&client, id).await
        })
    }

    fn suggestions(
        &self,
        team_id: Uuid,
        author: Option<Uuid>,
        decided_since: i64,
    ) -> Result<Vec<Suggestion>, Error> {
        self.run(async {
            let client = self.pool.get().await?;
            let rows = all(
                &client,
                &format!(
                    "SELECT {SUGGESTION_COLUMNS} FROM {SUGGESTION_FROM}
                     WHERE s.team_id = $1 AND ($2::uuid IS NULL OR s.author_user = $2)
                       AND (s.status = 'pending' OR s.decided_at >= $3)
                     ORDER BY s.created_at DESC, s.id LIMIT $4"
                ),
                &[&team_id, &author, &decided_since, &MAX_LISTED],
            )
            .await?;
            rows.iter()
                .map(|r| suggestion_from(r).map(|(s, _)| s))
                .collect()
        })
    }

    fn pending_by(&self, author: Uuid) -> Result<i64, Error> {
        self.run(async {
            let client = self.pool.get().await?;
            let row = one(
                &client,
                "SELECT count(*) FROM suggestions WHERE author_user = $1 AND status = 'pending'",
                &[&author],
            )
            .await?;
            row.int(0)
        })
    }

    fn decide_suggestion(&self, id: Uuid, d: &Decided) -> Result<bool, Error> {
        self.run(self.write(async |tx| {
            let n = exec(
                tx,
                "UPDATE suggestions SET status = $1, decided_by = $2, comment = $3,
                                        decided_at = $4, result_version = $5
                 WHERE id = $6 AND status = 'pending'",
                &[
                    &d.status.as_str(),
                    &d.by,
                    &d.comment,
                    &d.at,
                    &d.result_version,
                    &id,
                ],
            )
            .await?;
            Ok(n > 0)
        }))
    }

    fn suggestion_credits(&self, library_id: Uuid, key: &str) -> Result<Vec<Credit>, Error> {
        self.run(async {
            let client = self.pool.get().await?;
            let rows = all(
                &client,
                "SELECT s.result_version, s.author_user, u.name
                 FROM suggestions s JOIN users u ON u.id = s.author_user
                 WHERE s.library_id = $1 AND s.key = $2 AND s.status = 'accepted'
                   AND s.result_version IS NOT NULL",
                &[&library_id, &key],
            )
            .await?;
            rows.iter()
                .map(|r| Ok((r.int(0)?, r.uuid(1)?, r.text(2)?)))
                .collect()
        })
    }

    fn library_row(&self, id: Uuid) -> Result<Option<LibraryRow>, Error> {
        self.run(async {
            let client = self.pool.get().await?;
            load_library(&client, id).await
        })
    }
}

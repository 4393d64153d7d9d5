//! [`StaleStore`] on PostgreSQL.

use deadpool_postgres::{GenericClient, Transaction};
use quickreply_proto::FolderDoc;
use quickreply_proto::api::{ArchiveResult, Item, Me, StaleReplies};

use super::PgStore;
use super::item_write::{notify_change, write_item};
use super::pool::{all, opt};
use super::rows::{item_from_row, library_from_row, load_library};
use crate::Error;
use crate::store::rows::{ITEM_COLUMNS, LIBRARY_COLUMNS};
use crate::store::stale::{
    ArchiveAsk, StaleAsk, StaleStore, archive_folder, folder_from, folders_sql, in_folder_pattern,
    not_written, plan_archive, replies, result, stale_from, stale_sql, usage_since_sql,
};
use crate::store::write::{blobs as doc_blobs, doc_json};
use crate::store::{Change, WriteOutcome, policy};

/// The live folders of a library.
async fn folders(c: &impl GenericClient, library: uuid::Uuid) -> Result<Vec<FolderDoc>, Error> {
    let mut out = Vec::new();
    for row in all(c, &folders_sql('$'), &[&library]).await? {
        out.extend(folder_from(&row)?);
    }
    Ok(out)
}

impl StaleStore for PgStore {
    fn stale(&self, me: &Me, ask: &StaleAsk) -> Result<StaleReplies, Error> {
        let limit = i64::try_from(ask.limit).unwrap_or(i64::MAX);
        let offset = i64::try_from(ask.offset).unwrap_or(i64::MAX);
        self.run(self.read(async |tx| {
            policy::check_write(me, load_library(tx, ask.library_id).await?)?;
            let folders = folders(tx, ask.library_id).await?;
            let archive = archive_folder(&folders).map(|f| f.id);
            let rows = all(
                tx,
                &stale_sql('$', " COLLATE \"C\""),
                &[
                    &ask.library_id,
                    &ask.since_day,
                    &ask.created_before,
                    &in_folder_pattern(archive),
                    &limit,
                    &offset,
                ],
            )
            .await?;
            let mut page = Vec::new();
            for row in &rows {
                page.extend(stale_from(row, &folders)?);
            }
            let usage_since: Option<String> =
                match opt(tx, &usage_since_sql('$'), &[&ask.library_id]).await? {
                    Some(row) => row.try_get(0)?,
                    None => None,
                };
            Ok(replies(ask, page, usage_since, archive))
        }))
    }

    fn archive(
        &self,
        me: &Me,
        ask: &ArchiveAsk,
        _on_commit: &dyn Fn(&Change, &Item),
    ) -> Result<ArchiveResult, Error> {
        self.run(self.write(async |tx| archive_in(tx, me, ask).await))
    }
}

/// The archive in `tx`: the library locked first (as every write locks it), so the items
/// read are those the writes replace.
async fn archive_in(
    tx: &Transaction<'_>,
    me: &Me,
    ask: &ArchiveAsk,
) -> Result<ArchiveResult, Error> {
    let lib = opt(
        tx,
        &format!("SELECT {LIBRARY_COLUMNS} FROM libraries WHERE id = $1 FOR NO KEY UPDATE"),
        &[&ask.library_id],
    )
    .await?
    .map(|r| library_from_row(&r))
    .transpose()?;
    let lib = policy::check_write(me, lib)?;
    let folders = folders(tx, lib.id).await?;
    let mut items = Vec::with_capacity(ask.keys.len());
    for key in &ask.keys {
        let item = opt(
            tx,
            &format!("SELECT {ITEM_COLUMNS} FROM items WHERE library_id = $1 AND key = $2"),
            &[&ask.library_id, key],
        )
        .await?
        .map(|r| item_from_row(&r))
        .transpose()?;
        items.push((key.clone(), item));
    }
    let plan = plan_archive(ask, &folders, items)?;
    let mut last: Option<(Change, Item)> = None;
    for w in &plan.writes {
        let blobs: Vec<String> = doc_blobs(w).into_iter().map(str::to_string).collect();
        let doc = doc_json(w)?;
        // A refusal returns before the commit: nothing of the archive stays.
        match write_item(tx, me, w, &blobs, doc.as_deref(), false).await? {
            WriteOutcome::Written(item, change) => last = Some((change, item)),
            other => return Err(not_written(&other)),
        }
    }
    let head = match &last {
        Some((change, item)) => {
            notify_change(tx, change, item).await?;
            change.head
        }
        None => lib.head,
    };
    Ok(result(plan, head))
}

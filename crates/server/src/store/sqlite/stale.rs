//! [`StaleStore`] on SQLite.

use quickreply_proto::FolderDoc;
use quickreply_proto::api::{ArchiveResult, Item, Me, StaleReplies};
use rusqlite::{Connection, params};

use super::SqliteStore;
use super::item_write::write_item;
use super::rows::{load_item, load_library};
use crate::Error;
use crate::store::stale::{
    ArchiveAsk, StaleAsk, StaleStore, archive_folder, folder_from, folders_sql, in_folder_pattern,
    not_written, plan_archive, replies, result, stale_from, stale_sql, usage_since_sql,
};
use crate::store::{Change, WriteOutcome, policy};

/// The live folders of a library.
fn folders(conn: &Connection, library: &str) -> Result<Vec<FolderDoc>, Error> {
    let mut stmt = conn.prepare_cached(&folders_sql('?'))?;
    let rows = stmt.query_map([library], |r| folder_from(r))?;
    let mut out = Vec::new();
    for row in rows {
        out.extend(row?);
    }
    Ok(out)
}

impl StaleStore for SqliteStore {
    fn stale(&self, me: &Me, ask: &StaleAsk) -> Result<StaleReplies, Error> {
        self.read(|conn| {
            policy::check_write(me, load_library(conn, ask.library_id)?)?;
            let lib = ask.library_id.to_string();
            let folders = folders(conn, &lib)?;
            let archive = archive_folder(&folders).map(|f| f.id);
            let mut stmt = conn.prepare_cached(&stale_sql('?', ""))?;
            let rows = stmt.query_map(
                params![
                    lib,
                    ask.since_day,
                    ask.created_before,
                    in_folder_pattern(archive),
                    i64::try_from(ask.limit).unwrap_or(i64::MAX),
                    i64::try_from(ask.offset).unwrap_or(i64::MAX)
                ],
                |r| stale_from(r, &folders),
            )?;
            let mut page = Vec::new();
            for row in rows {
                page.extend(row?);
            }
            let usage_since: Option<String> = conn
                .prepare_cached(&usage_since_sql('?'))?
                .query_row([&lib], |r| r.get(0))?;
            Ok(replies(ask, page, usage_since, archive))
        })
    }

    fn archive(
        &self,
        me: &Me,
        ask: &ArchiveAsk,
        on_commit: &dyn Fn(&Change, &Item),
    ) -> Result<ArchiveResult, Error> {
        let announce = |(_, last): &(ArchiveResult, Option<(Change, Item)>)| {
            if let Some((change, item)) = last {
                on_commit(change, item);
            }
        };
        let (answer, _) = self.write_then(
            |tx| {
                let lib = policy::check_write(me, load_library(tx, ask.library_id)?)?;
                let folders = folders(tx, &lib.id.to_string())?;
                let items = ask
                    .keys
                    .iter()
                    .map(|k| Ok((k.clone(), load_item(tx, ask.library_id, k)?)))
                    .collect::<Result<Vec<_>, Error>>()?;
                let plan = plan_archive(ask, &folders, items)?;
                let mut last = None;
                for w in &plan.writes {
                    // Any refusal returns before the commit: nothing of the archive stays.
                    match write_item(tx, me, w)? {
                        WriteOutcome::Written(item, change) => last = Some((change, item)),
                        other => return Err(not_written(&other)),
                    }
                }
                let head = last
                    .as_ref()
                    .map_or(lib.head, |(c, _): &(Change, Item)| c.head);
                Ok((result(plan, head), last))
            },
            announce,
        )?;
        Ok(answer)
    }
}

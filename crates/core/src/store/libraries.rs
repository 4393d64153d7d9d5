//! Libraries and their folder trees.

use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use quickreply_proto::LibraryKind;
use quickreply_proto::check::NameOf;

use super::{Folder, Library, Store, check_folder_name, check_name, now_ms};
use crate::error::{Error, Result};

impl Store {
    pub fn libraries(&self) -> Result<Vec<Library>> {
        let mut st = self
            .conn
            .prepare("SELECT id, name, kind FROM libraries ORDER BY kind, name")?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name, kind) = row?;
            out.push(Library {
                id: Uuid::parse_str(&id).unwrap_or_default(),
                name,
                kind: LibraryKind::parse(&kind).unwrap_or(LibraryKind::Team),
            });
        }
        Ok(out)
    }

    pub fn library(&self, name: &str) -> Result<Library> {
        self.libraries()?
            .into_iter()
            .find(|l| l.name == name)
            .ok_or_else(|| Error::NoSuchLibrary(name.to_string()))
    }

    /// Create a (local) team library.
    pub fn create_library(&mut self, name: &str, kind: LibraryKind) -> Result<Library> {
        check_name(
            name,
            NameOf::Library,
            crate::i18n::tr_static("话术库名称", "the library name"),
        )?;
        if self.library(name).is_ok() {
            return Err(Error::LibraryExists(name.to_string()));
        }
        let id = Uuid::now_v7();
        self.conn.execute(
            "INSERT INTO libraries (id, name, kind, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![id.to_string(), name, kind.as_str(), now_ms()],
        )?;
        Ok(Library {
            id,
            name: name.to_string(),
            kind,
        })
    }

    // ----- folders ---------------------------------------------------------------------

    /// All folders of a library with their paths, in tree order.
    pub fn folders(&self, library: &Library) -> Result<Vec<Folder>> {
        self.folder_tree(library, true)
    }

    /// [`Store::folders`]; without `counts` each folder's `snippet_count` is 0 and no
    /// reply is counted (the tree order alone, for sorting a library's replies).
    pub(super) fn folder_tree(&self, library: &Library, counts: bool) -> Result<Vec<Folder>> {
        let mut st = self.conn.prepare_cached(if counts {
            "SELECT f.id, f.parent_id, f.name, f.position,
                    (SELECT count(*) FROM snippets s WHERE s.folder_id = f.id), f.starts_at, f.ends_at
             FROM folders f WHERE f.library_id = ?1 ORDER BY f.position, f.name"
        } else {
            "SELECT f.id, f.parent_id, f.name, f.position, 0, f.starts_at, f.ends_at
             FROM folders f WHERE f.library_id = ?1 ORDER BY f.position, f.name"
        })?;
        let rows = st.query_map([library.id.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
            ))
        })?;
        let mut flat = Vec::new();
        for row in rows {
            let (id, parent, name, position, count, starts_at, ends_at) = row?;
            flat.push(Folder {
                id: Uuid::parse_str(&id).unwrap_or_default(),
                library_id: library.id,
                parent_id: parent.and_then(|p| Uuid::parse_str(&p).ok()),
                name,
                path: String::new(),
                position,
                snippet_count: count as usize,
                starts_at,
                ends_at,
            });
        }
        // Depth-first walk from the root gives tree order and full paths.
        let mut out = Vec::with_capacity(flat.len());
        fn walk(flat: &[Folder], parent: Option<Uuid>, prefix: &str, out: &mut Vec<Folder>) {
            for f in flat.iter().filter(|f| f.parent_id == parent) {
                let mut f = f.clone();
                f.path = if prefix.is_empty() {
                    f.name.clone()
                } else {
                    format!("{prefix}/{}", f.name)
                };
                let (id, path) = (f.id, f.path.clone());
                out.push(f);
                walk(flat, Some(id), &path, out);
            }
        }
        walk(&flat, None, "", &mut out);
        Ok(out)
    }

    pub(super) fn folder_id_in(
        tx: &Connection,
        library: Uuid,
        path: &str,
        create: bool,
    ) -> Result<Option<Uuid>> {
        let mut parent: Option<Uuid> = None;
        for name in path.split('/').map(str::trim).filter(|s| !s.is_empty()) {
            check_folder_name(name)?;
            let found: Option<String> = tx
                .prepare_cached(
                    "SELECT id FROM folders WHERE library_id = ?1 AND parent_id IS ?2 AND name = ?3",
                )?
                .query_row(
                    params![library.to_string(), parent.map(|p| p.to_string()), name],
                    |r| r.get(0),
                )
                .optional()?;
            parent = Some(match found {
                Some(id) => Uuid::parse_str(&id).unwrap_or_default(),
                None if create => {
                    let id = Uuid::now_v7();
                    tx.prepare_cached(
                        "INSERT INTO folders (id, library_id, parent_id, name, position)
                         VALUES (?1, ?2, ?3, ?4, (SELECT ifnull(max(position), -1) + 1 FROM folders
                                 WHERE library_id = ?2 AND parent_id IS ?3))",
                    )?
                    .execute(params![
                        id.to_string(),
                        library.to_string(),
                        parent.map(|p| p.to_string()),
                        name
                    ])?;
                    id
                }
                None => return Err(Error::NoSuchFolder(path.to_string())),
            });
        }
        Ok(parent)
    }

    /// Create a folder path (and its missing parents).
    pub fn create_folder(&mut self, library: &Library, path: &str) -> Result<Uuid> {
        if path.split('/').all(|s| s.trim().is_empty()) {
            return Err(Error::Empty(crate::i18n::tr_static(
                "文件夹名称",
                "the folder name",
            )));
        }
        let tx = self.conn.transaction()?;
        let id = Self::folder_id_in(&tx, library.id, path, true)?;
        tx.commit()?;
        Ok(id.unwrap_or_default())
    }

    /// Delete a folder; with `recursive`, its sub-folders and replies too. Returns the
    /// number of replies deleted.
    pub fn remove_folder(
        &mut self,
        library: &Library,
        path: &str,
        recursive: bool,
    ) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let id = Self::folder_id_in(&tx, library.id, path, false)?
            .ok_or_else(|| Error::NoSuchFolder(path.to_string()))?;
        let count: i64 = tx.query_row(
            "WITH RECURSIVE sub(id) AS (SELECT ?1 UNION ALL SELECT f.id FROM folders f JOIN sub ON f.parent_id = sub.id)
             SELECT count(*) FROM snippets WHERE folder_id IN (SELECT id FROM sub)",
            [id.to_string()],
            |r| r.get(0),
        )?;
        if count > 0 && !recursive {
            return Err(Error::FolderNotEmpty(path.to_string(), count as usize));
        }
        tx.execute("DELETE FROM folders WHERE id = ?1", [id.to_string()])?;
        tx.commit()?;
        Ok(count as usize)
    }

    // ----- images ----------------------------------------------------------------------
}

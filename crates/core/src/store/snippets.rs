//! Replies: adding (one, many, or an import batch in one transaction), editing, copying,
//! reordering, removing, images, and reading them back with their folder paths.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use uuid::Uuid;

use quickreply_proto::{Part, is_valid_code};

use super::search_columns::{body_text, search_columns};
use super::{
    ImportBatch, Library, NewSnippet, Snippet, SnippetEdit, Store, TreeRow, check_parts,
    check_title, clean_tags, image_part, now_ms, split_list,
};
use crate::blob::{ImageInfo, read_image_file};
use crate::error::{Error, Result};
use crate::template::{self};

impl Store {
    /// Check and store an image file; returns the part that refers to it.
    pub fn add_image(&self, path: &Path) -> Result<Part> {
        let (bytes, info) = read_image_file(path)?;
        self.put_image_bytes(&bytes, &info)?;
        Ok(image_part(&info))
    }

    /// Check and store image bytes (pasted or dropped into the editor); `name` only
    /// names them in errors.
    pub fn add_image_bytes(&self, bytes: &[u8], name: &str) -> Result<Part> {
        let info = crate::blob::inspect_image(bytes, Path::new(name))?;
        self.put_image_bytes(bytes, &info)?;
        Ok(image_part(&info))
    }

    /// Store already-checked image bytes.
    pub fn put_image_bytes(&self, bytes: &[u8], info: &ImageInfo) -> Result<()> {
        self.blobs.put(bytes, &info.sha256)?;
        self.conn.execute(
            "INSERT INTO blobs (sha256, mime, width, height, size, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (sha256) DO NOTHING",
            params![info.sha256, info.mime, info.width, info.height, info.size as i64, now_ms()],
        )?;
        Ok(())
    }

    // ----- replies ---------------------------------------------------------------------

    pub(super) fn check_code(
        tx: &Connection,
        library: Uuid,
        code: &str,
        except: Option<Uuid>,
    ) -> Result<()> {
        if !is_valid_code(code) {
            return Err(Error::InvalidCode(code.to_string()));
        }
        let taken: Option<(String, String)> = tx
            .prepare_cached("SELECT id, title FROM snippets WHERE library_id = ?1 AND code = ?2")?
            .query_row(params![library.to_string(), code], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        if let Some((id, title)) = taken
            && Some(id) != except.map(|e| e.to_string())
        {
            return Err(Error::CodeTaken {
                code: code.to_string(),
                title,
            });
        }
        Ok(())
    }

    /// Add a reply; returns it as stored.
    pub fn add_snippet(&mut self, library: &Library, new: NewSnippet) -> Result<Snippet> {
        let tx = self.conn.transaction()?;
        let id = Self::insert_snippet(&tx, library, new)?;
        tx.commit()?;
        self.snippet(id)
    }

    /// Add many replies in one transaction (all or nothing).
    pub fn add_snippets(&mut self, library: &Library, news: Vec<NewSnippet>) -> Result<Vec<Uuid>> {
        let tx = self.conn.transaction()?;
        let mut ids = Vec::with_capacity(news.len());
        for new in news {
            ids.push(Self::insert_snippet(&tx, library, new)?);
        }
        tx.commit()?;
        Ok(ids)
    }

    pub(super) fn insert_snippet(
        tx: &Transaction<'_>,
        library: &Library,
        new: NewSnippet,
    ) -> Result<Uuid> {
        super::check_reply(&new)?;
        let title = new.title.trim().to_string();
        let code = new
            .code
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty());
        if let Some(code) = &code {
            Self::check_code(tx, library.id, code, None)?;
        }
        let folder_id = Self::folder_id_in(tx, library.id, &new.folder, true)?;
        let tags = clean_tags(&new.tags);
        let apps = clean_tags(&new.apps);
        let body = body_text(&new.parts);
        let d = search_columns(&title, code.as_deref(), &tags, &body);
        let id = Uuid::now_v7();
        let now = now_ms();
        let parts = serde_json::to_string(&new.parts).unwrap_or_else(|_| "[]".into());
        tx.prepare_cached(
            "INSERT INTO snippets (id, library_id, folder_id, title, code, tags, apps, parts, position,
                                   version, created_at, updated_at, body_text, search_pinyin, search_initials,
                                   mask0, mask1, mask2, mask3, search_tags_pinyin, search_fold)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,
                     (SELECT ifnull(max(position), -1) + 1 FROM snippets WHERE library_id = ?2 AND folder_id IS ?3),
                     1, ?9, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
        )?
        .execute(params![
                id.to_string(),
                library.id.to_string(),
                folder_id.map(|f| f.to_string()),
                title,
                code,
                tags.join("\n"),
                apps.join("\n"),
                parts,
                now,
                body,
                d.pinyin,
                d.initials,
                d.mask[0],
                d.mask[1],
                d.mask[2],
                d.mask[3],
                d.tags_pinyin,
                d.fold
            ],
        )?;
        Ok(id)
    }

    /// Write a reply exactly as the sync server has it (insert or replace by id), with its
    /// derived search columns. The caller decides, through `sync_mode`, whether this is
    /// an applied remote change or a local one.
    pub fn write_snippet_doc(
        tx: &Connection,
        library_id: Uuid,
        doc: &quickreply_proto::SnippetDoc,
    ) -> Result<()> {
        let tags = clean_tags(&doc.tags);
        let apps = clean_tags(&doc.apps);
        let body = body_text(&doc.parts);
        let d = search_columns(&doc.title, doc.code.as_deref(), &tags, &body);
        let now = now_ms();
        tx.prepare_cached(
            "INSERT INTO snippets (id, library_id, folder_id, title, code, tags, apps, parts, position,
                                   version, created_at, updated_at, body_text, search_pinyin, search_initials,
                                   mask0, mask1, mask2, mask3, search_tags_pinyin, search_fold, starts_at, ends_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)
             ON CONFLICT (id) DO UPDATE SET library_id = excluded.library_id, folder_id = excluded.folder_id,
                title = excluded.title, code = excluded.code, tags = excluded.tags, apps = excluded.apps,
                parts = excluded.parts, position = excluded.position, version = version + 1,
                updated_at = excluded.updated_at, body_text = excluded.body_text,
                search_pinyin = excluded.search_pinyin, search_initials = excluded.search_initials,
                mask0 = excluded.mask0, mask1 = excluded.mask1, mask2 = excluded.mask2,
                mask3 = excluded.mask3, search_tags_pinyin = excluded.search_tags_pinyin,
                search_fold = excluded.search_fold, starts_at = excluded.starts_at,
                ends_at = excluded.ends_at",
        )?
        .execute(params![
            doc.id.to_string(),
            library_id.to_string(),
            doc.folder_id.map(|f| f.to_string()),
            doc.title,
            doc.code,
            tags.join("\n"),
            apps.join("\n"),
            serde_json::to_string(&doc.parts).unwrap_or_else(|_| "[]".into()),
            doc.position,
            now,
            body,
            d.pinyin,
            d.initials,
            d.mask[0],
            d.mask[1],
            d.mask[2],
            d.mask[3],
            d.tags_pinyin,
            d.fold,
            doc.starts_at,
            doc.ends_at
        ])?;
        Ok(())
    }

    /// Change a reply; bumps its version.
    pub fn edit_snippet(&mut self, id: Uuid, edit: SnippetEdit) -> Result<Snippet> {
        let cur = self.snippet(id)?;
        let tx = self.conn.transaction()?;
        Self::apply_edit(&tx, &cur, edit)?;
        tx.commit()?;
        self.snippet(id)
    }

    pub(super) fn apply_edit(tx: &Transaction<'_>, cur: &Snippet, edit: SnippetEdit) -> Result<()> {
        let title = edit
            .title
            .map(|t| t.trim().to_string())
            .unwrap_or_else(|| cur.title.clone());
        check_title(&title)?;
        let code = match edit.code {
            Some(c) => c.map(|c| c.trim().to_string()).filter(|c| !c.is_empty()),
            None => cur.code.clone(),
        };
        let tags = edit
            .tags
            .map_or_else(|| cur.tags.clone(), |t| clean_tags(&t));
        let apps = edit
            .apps
            .map_or_else(|| cur.apps.clone(), |t| clean_tags(&t));
        let parts = edit.parts.unwrap_or_else(|| cur.parts.clone());
        check_parts(&parts)?;
        if let Some(code) = &code {
            Self::check_code(tx, cur.library_id, code, Some(cur.id))?;
        }
        let folder_id = match &edit.folder {
            Some(path) => Self::folder_id_in(tx, cur.library_id, path, true)?,
            None => cur.folder_id,
        };
        let body = body_text(&parts);
        let d = search_columns(&title, code.as_deref(), &tags, &body);
        tx.execute(
            "UPDATE snippets SET title = ?2, code = ?3, tags = ?4, apps = ?5, parts = ?6, folder_id = ?7,
                    version = version + 1, updated_at = ?8, body_text = ?9, search_pinyin = ?10, search_initials = ?11,
                    mask0 = ?12, mask1 = ?13, mask2 = ?14, mask3 = ?15, search_tags_pinyin = ?16,
                    search_fold = ?17
             WHERE id = ?1",
            params![
                cur.id.to_string(),
                title,
                code,
                tags.join("\n"),
                apps.join("\n"),
                serde_json::to_string(&parts).unwrap_or_else(|_| "[]".into()),
                folder_id.map(|f| f.to_string()),
                now_ms(),
                body,
                d.pinyin,
                d.initials,
                d.mask[0],
                d.mask[1],
                d.mask[2],
                d.mask[3],
                d.tags_pinyin,
                d.fold
            ],
        )?;
        Ok(())
    }

    /// Apply an import in one transaction: create folders, add and edit replies, and set
    /// variable defaults where no value exists yet (personal-scope ones in `personal`);
    /// a variable with only an example is added unset (`example = 1`).
    /// Returns how many variables were added.
    pub fn import_batch(
        &mut self,
        library: &Library,
        personal: &Library,
        batch: ImportBatch<'_>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<usize> {
        let ImportBatch {
            folders,
            adds,
            edits,
            vars,
        } = batch;
        let total = edits.len() + adds.len();
        let mut done = 0;
        progress(0, total);
        let curs = edits
            .iter()
            .map(|(id, _)| self.snippet(*id))
            .collect::<Result<Vec<_>>>()?;
        let tx = self.conn.transaction()?;
        for f in folders {
            Self::folder_id_in(&tx, library.id, f, true)?;
        }
        // Edits first: one may free a shortcut code that an added reply takes.
        for (cur, (_, edit)) in curs.iter().zip(edits) {
            Self::apply_edit(&tx, cur, edit)?;
            done += 1;
            if done % 64 == 0 {
                progress(done, total);
            }
        }
        for new in adds {
            Self::insert_snippet(&tx, library, new)?;
            done += 1;
            if done % 64 == 0 {
                progress(done, total);
            }
        }
        let mut added = 0;
        for (name, def) in vars {
            if !template::is_valid_var_name(name) {
                return Err(Error::InvalidVariableName(name.clone()));
            }
            let lib = if def.is_personal() { personal } else { library };
            added += tx.execute(
                "INSERT INTO variables (library_id, name, value, description, example)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (library_id, name) DO NOTHING",
                params![
                    lib.id.to_string(),
                    name,
                    def.stored_value(),
                    def.description,
                    def.is_example()
                ],
            )?;
        }
        tx.commit()?;
        progress(total, total);
        Ok(added)
    }

    pub fn remove_snippet(&mut self, id: Uuid) -> Result<()> {
        let n = self
            .conn
            .execute("DELETE FROM snippets WHERE id = ?1", [id.to_string()])?;
        if n == 0 {
            return Err(Error::NoSuchSnippet(id.to_string()));
        }
        Ok(())
    }

    /// Put `ids` (replies of `library`) into the folder `folder` (a path, created when
    /// missing; empty for the root) in this order, positions 0, 1, 2 …; one transaction.
    /// This is drag-to-reorder, within a folder or into another one.
    pub fn reorder(&mut self, library: &Library, folder: &str, ids: &[Uuid]) -> Result<()> {
        let tx = self.conn.transaction()?;
        let folder_id = Self::folder_id_in(&tx, library.id, folder, true)?;
        for (pos, id) in ids.iter().enumerate() {
            let n = tx.execute(
                "UPDATE snippets SET folder_id = ?3, position = ?4,
                        version = CASE WHEN folder_id IS ?3 THEN version ELSE version + 1 END,
                        updated_at = CASE WHEN folder_id IS ?3 THEN updated_at ELSE ?5 END
                 WHERE id = ?1 AND library_id = ?2",
                params![
                    id.to_string(),
                    library.id.to_string(),
                    folder_id.map(|f| f.to_string()),
                    pos as i64,
                    now_ms()
                ],
            )?;
            if n == 0 {
                return Err(Error::NoSuchSnippet(id.to_string()));
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Copy a reply into another library (a team reply into the personal one, to change
    /// it there): same folder path and parts; the title gets a suffix when the folder
    /// already has it, and the shortcut code is dropped when the target uses it. The
    /// original is never touched.
    pub fn copy_to(&mut self, id: Uuid, target: &Library) -> Result<Snippet> {
        let src = self.snippet(id)?;
        let taken_title = |title: &str| -> Result<bool> {
            Ok(self
                .snippets(Some(target))?
                .iter()
                .any(|s| s.folder == src.folder && s.title == title))
        };
        let mut title = src.title.clone();
        let mut n = 1;
        while taken_title(&title)? {
            n += 1;
            title = crate::i18n::tr(
                format!(
                    "{}（副本{}）",
                    src.title,
                    if n == 2 { String::new() } else { n.to_string() }
                ),
                format!(
                    "{} (copy{})",
                    src.title,
                    if n == 2 {
                        String::new()
                    } else {
                        format!(" {n}")
                    }
                ),
            );
        }
        let code = src.code.clone().filter(|c| {
            !self
                .snippets(Some(target))
                .is_ok_and(|all| all.iter().any(|s| s.code.as_deref() == Some(c)))
        });
        self.add_snippet(
            target,
            NewSnippet {
                title,
                code,
                tags: src.tags,
                apps: src.apps,
                folder: src.folder,
                parts: src.parts,
            },
        )
    }

    pub(super) const SNIPPET_COLS: &'static str =
        "s.id, l.name, s.library_id, s.folder_id, s.title, s.code, s.tags, s.apps, s.parts,
         s.position, s.version, s.created_at, s.updated_at, s.starts_at, s.ends_at";

    pub(super) fn row_to_snippet(r: &rusqlite::Row<'_>) -> rusqlite::Result<Snippet> {
        let parts: String = r.get(8)?;
        Ok(Snippet {
            id: Uuid::parse_str(&r.get::<_, String>(0)?).unwrap_or_default(),
            library: r.get(1)?,
            library_id: Uuid::parse_str(&r.get::<_, String>(2)?).unwrap_or_default(),
            folder_id: r
                .get::<_, Option<String>>(3)?
                .and_then(|f| Uuid::parse_str(&f).ok()),
            folder: String::new(),
            title: r.get(4)?,
            code: r.get(5)?,
            tags: split_list(&r.get::<_, String>(6)?),
            apps: split_list(&r.get::<_, String>(7)?),
            parts: serde_json::from_str(&parts).unwrap_or_default(),
            position: r.get(9)?,
            version: r.get(10)?,
            created_at: r.get(11)?,
            updated_at: r.get(12)?,
            starts_at: r.get(13)?,
            ends_at: r.get(14)?,
        })
    }

    /// Every folder's full path (`售前/尺码`), as [`Store::folders`] gives them, without
    /// counting each folder's replies: this runs for every reply read ([`Store::snippet`]),
    /// and those counts cost a walk over the whole library (100 ms for 20 replies of a
    /// library of 100 000, per keystroke in the panel).
    pub(super) fn folder_paths(&self) -> Result<HashMap<Uuid, String>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT id, parent_id, name FROM folders")?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut children: HashMap<Option<&str>, Vec<(&str, &str)>> = HashMap::new();
        for (id, parent, name) in &rows {
            children
                .entry(parent.as_deref())
                .or_default()
                .push((id.as_str(), name.as_str()));
        }
        // From the roots down, as `folders` walks (a folder no root leads to has no path).
        let mut map = HashMap::new();
        let mut stack: Vec<(&str, String)> = Vec::new();
        for (id, name) in children.get(&None).into_iter().flatten() {
            stack.push((id, (*name).to_string()));
        }
        while let Some((id, path)) = stack.pop() {
            for (child, name) in children.get(&Some(id)).into_iter().flatten() {
                stack.push((child, format!("{path}/{name}")));
            }
            map.insert(Uuid::parse_str(id).unwrap_or_default(), path);
        }
        Ok(map)
    }

    pub(super) fn with_paths(&self, mut list: Vec<Snippet>) -> Result<Vec<Snippet>> {
        let paths = self.folder_paths()?;
        for s in &mut list {
            if let Some(p) = s.folder_id.and_then(|f| paths.get(&f)) {
                s.folder = p.clone();
            }
        }
        Ok(list)
    }

    pub fn snippet(&self, id: Uuid) -> Result<Snippet> {
        let sql = format!(
            "SELECT {} FROM snippets s JOIN libraries l ON l.id = s.library_id WHERE s.id = ?1",
            Self::SNIPPET_COLS
        );
        let s = self
            .conn
            .query_row(&sql, [id.to_string()], Self::row_to_snippet)
            .optional()?
            .ok_or_else(|| Error::NoSuchSnippet(id.to_string()))?;
        Ok(self.with_paths(vec![s])?.remove(0))
    }

    /// Whether there is no reply in any library (cheap: the first-run check).
    pub fn is_empty(&self) -> Result<bool> {
        let any: bool = self
            .conn
            .query_row("SELECT EXISTS (SELECT 1 FROM snippets)", [], |r| r.get(0))?;
        Ok(!any)
    }

    /// One library's replies as the editor's tree lists them (title, code, folder, number
    /// of parts), in folder then position order: a light read of only those columns, for
    /// a library of 100 000 replies ([`Store::snippets`] parses every reply whole).
    pub fn tree_rows(&self, library: &Library) -> Result<Vec<TreeRow>> {
        let paths = self.folder_paths()?;
        let mut st = self.conn.prepare(
            "SELECT id, title, code, folder_id, json_array_length(parts) FROM snippets
             WHERE library_id = ?1 ORDER BY position, title",
        )?;
        let mut rows = st
            .query_map([library.id.to_string()], |r| {
                let folder: Option<String> = r.get(3)?;
                Ok((
                    TreeRow {
                        id: Uuid::parse_str(&r.get::<_, String>(0)?).unwrap_or_default(),
                        title: r.get(1)?,
                        code: r.get(2)?,
                        folder: String::new(),
                        parts: usize::try_from(r.get::<_, i64>(4)?).unwrap_or_default(),
                    },
                    folder,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .map(|(mut row, folder)| {
                if let Some(p) = folder
                    .and_then(|f: String| Uuid::parse_str(&f).ok())
                    .and_then(|f| paths.get(&f))
                {
                    row.folder.clone_from(p);
                }
                row
            })
            .collect::<Vec<_>>();
        // Stable: replies keep their position order within a folder.
        rows.sort_by(|a, b| a.folder.cmp(&b.folder));
        Ok(rows)
    }

    /// How many replies there are, in every library.
    pub fn reply_count(&self) -> Result<usize> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM snippets", [], |r| r.get(0))?;
        Ok(usize::try_from(n).unwrap_or_default())
    }

    /// Replies of one library (or all), in folder and position order.
    pub fn snippets(&self, library: Option<&Library>) -> Result<Vec<Snippet>> {
        // Read in table order and put in tree order here: an SQL `ORDER BY` over these
        // rows sorts every row with all its columns, and the order wanted (the folders'
        // tree order) is not in the table. At 100 000 replies both sorts together cost
        // more than reading the rows (see `crates/core/benches/packs.rs`).
        let sql = format!(
            "SELECT {} FROM snippets s JOIN libraries l ON l.id = s.library_id
             WHERE (?1 IS NULL OR s.library_id = ?1)",
            Self::SNIPPET_COLS
        );
        let mut st = self.conn.prepare(&sql)?;
        let list = st
            .query_map([library.map(|l| l.id.to_string())], Self::row_to_snippet)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let list = self.with_paths(list)?;
        // Tree order: each folder's place in the tree (root first, libraries in the order
        // `libraries` lists them), then position; then the library and the title.
        let libraries = self.libraries()?;
        let mut folder_rank: HashMap<Uuid, usize> = HashMap::new();
        for l in library.map_or(&libraries[..], std::slice::from_ref) {
            for f in self.folder_tree(l, false)? {
                let next = folder_rank.len() + 1;
                folder_rank.insert(f.id, next);
            }
        }
        let library_rank: HashMap<Uuid, usize> = libraries
            .iter()
            .enumerate()
            .map(|(i, l)| (l.id, i))
            .collect();
        // Each key is computed once (a hash lookup per comparison cost 25 000
        // instructions per reply at 100 000 replies).
        let mut keys: Vec<(usize, i64, usize, usize)> = list
            .iter()
            .enumerate()
            .map(|(i, s)| {
                (
                    s.folder_id
                        .and_then(|f| folder_rank.get(&f).copied())
                        .unwrap_or(0),
                    s.position,
                    library_rank.get(&s.library_id).copied().unwrap_or(0),
                    i,
                )
            })
            .collect();
        keys.sort_unstable_by(|a, b| {
            (a.0, a.1, a.2)
                .cmp(&(b.0, b.1, b.2))
                .then_with(|| list[a.3].title.cmp(&list[b.3].title))
                .then(a.3.cmp(&b.3))
        });
        let mut slots: Vec<Option<Snippet>> = list.into_iter().map(Some).collect();
        Ok(keys
            .iter()
            .filter_map(|k| slots.get_mut(k.3).and_then(Option::take))
            .collect())
    }

    /// Find a reply by id, id prefix (8+ hex digits), shortcut code or exact title.
    pub fn resolve(&self, library: Option<&Library>, key: &str) -> Result<Snippet> {
        let key = key.trim();
        if let Ok(id) = Uuid::parse_str(key) {
            return self.snippet(id);
        }
        let lib = library.map(|l| l.id.to_string());
        let mut found: Vec<(String, String, String)> = Vec::new();
        for (col, op) in [
            ("code", "= ?2"),
            ("title", "= ?2"),
            ("id", "LIKE ?2 || '%'"),
        ] {
            if col == "id"
                && (key.len() < 8 || !key.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'))
            {
                continue;
            }
            let sql = format!(
                "SELECT s.id, s.title, l.name FROM snippets s JOIN libraries l ON l.id = s.library_id
                 WHERE (?1 IS NULL OR s.library_id = ?1) AND s.{col} {op} ORDER BY l.kind, l.name LIMIT 10"
            );
            let mut st = self.conn.prepare(&sql)?;
            found = st
                .query_map(params![lib, key.to_lowercase()], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            if col == "title" && found.is_empty() {
                found = st
                    .query_map(params![lib, key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
            }
            if !found.is_empty() {
                break;
            }
        }
        match found.len() {
            0 => Err(Error::NoSuchSnippet(key.to_string())),
            1 => self.snippet(Uuid::parse_str(&found[0].0).unwrap_or_default()),
            _ => Err(Error::AmbiguousSnippet(
                key.to_string(),
                found
                    .iter()
                    .map(|(id, t, l)| format!("{l}/{t} ({})", &id[..8]))
                    .collect::<Vec<_>>()
                    .join(", "),
            )),
        }
    }

    // ----- variables -------------------------------------------------------------------
}

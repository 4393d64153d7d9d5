//! The store's model: what a library, folder, reply (`Snippet`), variable and search
//! option are to the rest of the program.

use std::path::PathBuf;

use uuid::Uuid;

use quickreply_proto::{LibraryKind, Part};

use crate::blob::ImageInfo;

/// A library as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Library {
    pub id: Uuid,
    pub name: String,
    pub kind: LibraryKind,
}

/// A library's variable as the editor lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variable {
    pub name: String,
    pub value: String,
    /// Agents may replace a team library's value with a personal one of the same name.
    pub overridable: bool,
    /// `value` is only an example (a pack's hint), not a real value: the variable is
    /// unset. Rendering never uses it (see [`crate::Store::unset_vars`]).
    pub example: bool,
}

/// A reply as the editor's tree lists it ([`crate::Store::tree_rows`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeRow {
    pub id: Uuid,
    pub title: String,
    pub code: Option<String>,
    /// Its folder's path, empty at the root.
    pub folder: String,
    /// How many parts it has.
    pub parts: usize,
}

/// One row of a batch of variables saved together ([`crate::Store::save_variables`]):
/// `old` is the variable's saved name (`None` for a new one), `var` what it becomes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VariableChange {
    pub old: Option<String>,
    pub var: Variable,
}

/// Why a batch of variables was not saved: nothing of it was written.
#[derive(Debug, thiserror::Error)]
pub enum SaveVariablesError {
    /// These rows (index into the batch) are wrong, each with its reason.
    #[error("{}", .0.iter().map(|(_, e)| e.to_string()).collect::<Vec<_>>().join("; "))]
    Rows(Vec<(usize, crate::Error)>),
    /// The store itself failed (no row is to blame).
    #[error(transparent)]
    Store(#[from] crate::Error),
}

/// A folder with its full path (`售前/尺码`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Folder {
    pub id: Uuid,
    pub library_id: Uuid,
    pub parent_id: Option<Uuid>,
    pub name: String,
    pub path: String,
    pub position: i64,
    pub snippet_count: usize,
    /// 生效 of everything inside (its own; a parent's narrows it further).
    pub starts_at: Option<String>,
    /// 失效 of everything inside (its own).
    pub ends_at: Option<String>,
}

/// A reply as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snippet {
    pub id: Uuid,
    pub library: String,
    pub library_id: Uuid,
    pub folder_id: Option<Uuid>,
    /// Folder path, empty for the library root.
    pub folder: String,
    pub title: String,
    pub code: Option<String>,
    pub tags: Vec<String>,
    pub apps: Vec<String>,
    pub parts: Vec<Part>,
    pub position: i64,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// 生效 of the reply itself (RFC 3339, see [`quickreply_proto::schedule`]); its
    /// folders' dates narrow it further ([`crate::Store::reply_window`]).
    pub starts_at: Option<String>,
    /// 失效 of the reply itself (exclusive instant).
    pub ends_at: Option<String>,
}

/// What `add` needs. Image parts must already be stored with [`Store::add_image`](super::Store::add_image).
#[derive(Clone, Debug, Default)]
pub struct NewSnippet {
    pub title: String,
    pub code: Option<String>,
    pub tags: Vec<String>,
    pub apps: Vec<String>,
    /// Folder path (`物流` or `售前/尺码`), created when missing; empty for the root.
    pub folder: String,
    pub parts: Vec<Part>,
}

/// What `edit` changes; `None` keeps the current value.
#[derive(Clone, Debug, Default)]
pub struct SnippetEdit {
    pub title: Option<String>,
    /// `Some(None)` removes the code.
    pub code: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub apps: Option<Vec<String>>,
    pub folder: Option<String>,
    pub parts: Option<Vec<Part>>,
}

/// What [`Store::import_batch`](super::Store::import_batch) writes: folders to create, replies to add and to edit,
/// variable defaults.
#[derive(Debug, Default)]
pub struct ImportBatch<'a> {
    pub folders: &'a [String],
    pub adds: Vec<NewSnippet>,
    pub edits: Vec<(Uuid, SnippetEdit)>,
    pub vars: &'a [(String, crate::source::VarDef)],
}

/// A rendered part, ready for the clipboard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rendered {
    Text(String),
    Image {
        path: PathBuf,
        mime: String,
        width: u32,
        height: u32,
    },
}

/// Search options.
#[derive(Clone, Debug)]
pub struct SearchOptions {
    /// Only this library; `None` searches all.
    pub library: Option<Uuid>,
    pub limit: usize,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            library: None,
            limit: 20,
        }
    }
}

/// Normalise a tag list: trimmed, no empties, no duplicates, order kept.
pub fn clean_tags(tags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tags
        .iter()
        .flat_map(|t| t.split([',', '，', '\n']))
        .map(str::trim)
    {
        if !t.is_empty() && !out.iter().any(|o| o == t) {
            out.push(t.to_string());
        }
    }
    out
}

/// The part that refers to a stored image.
pub fn image_part(info: &ImageInfo) -> Part {
    Part::Image {
        sha256: info.sha256.clone(),
        mime: info.mime.clone(),
        width: info.width,
        height: info.height,
    }
}

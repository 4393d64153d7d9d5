//! Campaign dates (生效 / 失效) on import: what a pack says is applied after its replies
//! and folders are written. A reply takes the pack's dates when the import added it, or
//! left it as it was or replaced it with the pack's version; a reply whose library
//! version is kept (policy skip) keeps its dates. A pack without dates on a reply or
//! folder does not clear the library's (most formats have no dates at all). Dates that do
//! not read are not applied and are reported by `qreply lint` of the pack.
//!
//! Carried by `.qrpack` (and a library read as a pack, hence `qreply export` to .qrpack);
//! not by CSV/XLSX, the source format or the foreign formats.

use std::collections::HashMap;

use crate::error::Result;
use crate::source::Pack;
use crate::store::{Library, Store};

use super::{PlanItem, Policy, Status};

/// Apply the dates of `pack` to what the import wrote into `library`.
pub(super) fn apply(
    store: &mut Store,
    pack: &Pack,
    library: &Library,
    items: &[PlanItem],
    policy: Policy,
) -> Result<()> {
    let dated_folders: Vec<_> = pack
        .folders
        .iter()
        .filter(|f| f.starts_at.is_some() || f.ends_at.is_some())
        .collect();
    let dated_replies: Vec<_> = pack
        .snippets
        .iter()
        .filter(|s| s.starts_at.is_some() || s.ends_at.is_some())
        .collect();
    if dated_folders.is_empty() && dated_replies.is_empty() {
        return Ok(());
    }
    let ok = |s: Option<&str>, e: Option<&str>| quickreply_proto::check::dates(s, e).is_ok();
    let folders: HashMap<String, uuid::Uuid> = store
        .folders(library)?
        .into_iter()
        .map(|f| (f.path, f.id))
        .collect();
    for f in dated_folders {
        let path = super::norm_folder(&f.path);
        if let Some(id) = folders.get(&path)
            && ok(f.starts_at.as_deref(), f.ends_at.as_deref())
        {
            store.set_folder_dates(*id, f.starts_at.as_deref(), f.ends_at.as_deref())?;
        }
    }
    // The library's version kept (or a copy added beside it): not dated from the pack.
    let kept: Vec<(String, &str)> = items
        .iter()
        .filter(|i| {
            i.status == Status::Skipped
                || (matches!(i.status, Status::Changed | Status::Conflicting)
                    && policy != Policy::Overwrite)
        })
        .map(|i| (super::norm_folder(&i.folder), i.title.as_str()))
        .collect();
    let replies: HashMap<(String, String), uuid::Uuid> = store
        .tree_rows(library)?
        .into_iter()
        .map(|r| ((r.folder, r.title), r.id))
        .collect();
    for s in dated_replies {
        let folder = super::norm_folder(&s.folder);
        let title = s.title.trim().to_string();
        if kept.iter().any(|(f, t)| *f == folder && t.trim() == title)
            || !ok(s.starts_at.as_deref(), s.ends_at.as_deref())
        {
            continue;
        }
        if let Some(id) = replies.get(&(folder, title)) {
            store.set_reply_dates(*id, s.starts_at.as_deref(), s.ends_at.as_deref())?;
        }
    }
    Ok(())
}

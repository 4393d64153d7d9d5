//! Moving replies between packs and libraries. This first slice knows the source format
//! (`snippets/`) and reading a library as a pack (for `lint`); the import/export formats
//! of the packs issue build on the same [`Pack`] type.

use std::collections::HashMap;

use quickreply_proto::Part;

use crate::blob::read_image_file;
use crate::error::Result;
use crate::source::{ImageRef, Origin, Pack, PackFolder, PackMeta, PackPart, PackSnippet, VarDef};
use crate::store::{Library, NewSnippet, SnippetEdit, Store, image_part};

/// Read a library as a pack (origins are `library/folder/title`).
pub fn from_library(store: &Store, library: &Library) -> Result<Pack> {
    let place = |folder: &str, title: &str| Origin::Library {
        place: [library.name.as_str(), folder, title]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join("/"),
    };
    let folders = store
        .folders(library)?
        .into_iter()
        .map(|f| PackFolder {
            origin: place(&f.path, ""),
            path: f.path,
        })
        .collect();
    let snippets = store
        .snippets(Some(library))?
        .into_iter()
        .map(|s| {
            let origin = place(&s.folder, &s.title);
            PackSnippet {
                parts: s
                    .parts
                    .iter()
                    .map(|p| match p {
                        Part::Text { body } => PackPart::Text {
                            body: body.clone(),
                            origin: origin.clone(),
                        },
                        Part::Image { sha256, .. } => PackPart::Image {
                            image: ImageRef::Blob(sha256.clone()),
                            origin: origin.clone(),
                        },
                    })
                    .collect(),
                folder: s.folder,
                title: s.title,
                code: s.code,
                tags: s.tags,
                apps: s.apps,
                origin,
            }
        })
        .collect();
    let variables = store
        .vars(library)?
        .into_iter()
        .map(|(name, value)| {
            (
                name,
                VarDef {
                    default: value,
                    ..VarDef::default()
                },
            )
        })
        .collect();
    Ok(Pack {
        meta: PackMeta {
            name: library.name.clone(),
            variables,
            ..PackMeta::default()
        },
        folders,
        snippets,
    })
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub variables_added: usize,
}

/// Import a pack into a library in one transaction. A reply is the same reply when its
/// folder and title match; it is updated when its content differs, left alone when not,
/// so importing the same pack twice changes nothing. Variables get the pack's defaults
/// only where the library has no value yet (a lead's values are never overwritten);
/// personal-scope variables go to the personal library.
pub fn import(store: &mut Store, pack: &Pack, library: &Library) -> Result<ImportReport> {
    // Read and check every image first: a bad image aborts before anything is written.
    let mut images: HashMap<std::path::PathBuf, Part> = HashMap::new();
    for s in &pack.snippets {
        for p in &s.parts {
            if let PackPart::Image {
                image: ImageRef::File(path),
                ..
            } = p
                && !images.contains_key(path)
            {
                let (bytes, info) = read_image_file(path)?;
                store.put_image_bytes(&bytes, &info)?;
                images.insert(path.clone(), image_part(&info));
            }
        }
    }
    let existing: HashMap<(String, String), crate::store::Snippet> = store
        .snippets(Some(library))?
        .into_iter()
        .map(|s| ((s.folder.clone(), s.title.clone()), s))
        .collect();
    let personal = store.library(crate::store::PERSONAL)?;
    let mut report = ImportReport::default();
    let mut adds = Vec::new();
    let mut edits = Vec::new();
    for s in &pack.snippets {
        let parts: Vec<Part> = s
            .parts
            .iter()
            .filter_map(|p| match p {
                PackPart::Text { body, .. } => Some(Part::Text { body: body.clone() }),
                PackPart::Image {
                    image: ImageRef::File(path),
                    ..
                } => images.get(path).cloned(),
                PackPart::Image {
                    image: ImageRef::Blob(_),
                    ..
                } => None,
            })
            .collect();
        match existing.get(&(s.folder.clone(), s.title.clone())) {
            Some(cur)
                if cur.parts == parts
                    && cur.code == s.code
                    && cur.tags == crate::store::clean_tags(&s.tags)
                    && cur.apps == crate::store::clean_tags(&s.apps) =>
            {
                report.unchanged += 1
            }
            Some(cur) => {
                edits.push((
                    cur.id,
                    SnippetEdit {
                        code: Some(s.code.clone()),
                        tags: Some(s.tags.clone()),
                        apps: Some(s.apps.clone()),
                        parts: Some(parts),
                        ..SnippetEdit::default()
                    },
                ));
                report.updated += 1;
            }
            None => {
                adds.push(NewSnippet {
                    title: s.title.clone(),
                    code: s.code.clone(),
                    tags: s.tags.clone(),
                    apps: s.apps.clone(),
                    folder: s.folder.clone(),
                    parts,
                });
                report.added += 1;
            }
        }
    }
    let folders: Vec<String> = pack.folders.iter().map(|f| f.path.clone()).collect();
    let vars: Vec<(String, VarDef)> = pack
        .meta
        .variables
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    store
        .import_batch(library, &personal, &folders, adds, edits, &vars)
        .map(|vars_added| {
            report.variables_added = vars_added;
            report
        })
}

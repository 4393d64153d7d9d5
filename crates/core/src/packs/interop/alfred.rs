//! Alfred snippet collections (`.alfredsnippets`).

use std::io::{Read, Seek};
use std::path::Path;

use serde::Deserialize;

use super::*;
use crate::i18n::tr;
use crate::packs::common::Skipped;
use crate::source::{Origin, Pack, PackMeta};

#[derive(Debug, Deserialize)]
struct AlfredFile {
    alfredsnippet: AlfredSnippet,
}

#[derive(Debug, Deserialize)]
struct AlfredSnippet {
    snippet: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    keyword: String,
}

/// An `.alfredsnippets` collection: a zip of one JSON file per snippet (checked like a
/// `.qrpack` archive first).
pub fn read_alfred<R: Read + Seek>(
    input: R,
    path: &Path,
) -> Result<(Pack, Vec<Skipped>), crate::Error> {
    let mut zip = zip::ZipArchive::new(input).map_err(|e| err(path, e.to_string()))?;
    crate::packs::common::check_archive(&mut zip, path)?;
    let mut pack = Pack {
        meta: PackMeta {
            name: path
                .file_stem()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            ..PackMeta::default()
        },
        ..Pack::default()
    };
    let mut skipped = Vec::new();
    let mut names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
    names.sort();
    for name in names.into_iter().filter(|n| n.ends_with(".json")) {
        let origin = Origin::Library {
            place: format!("{}: {name}", path.display()),
        };
        let mut buf = Vec::new();
        zip.by_name(&name)
            .map_err(|e| err(path, e.to_string()))?
            .take(crate::packs::common::MAX_CELL_BYTES as u64 * 4)
            .read_to_end(&mut buf)
            .map_err(|e| err(path, e.to_string()))?;
        let Ok(file) = serde_json::from_slice::<AlfredFile>(&buf) else {
            skipped.push(Skipped {
                origin,
                reason: tr("不是 Alfred 话术 JSON", "not an Alfred snippet JSON"),
            });
            continue;
        };
        let s = file.alfredsnippet;
        push_curly(
            &mut pack,
            &mut skipped,
            origin,
            s.name,
            &s.snippet,
            &s.keyword,
        );
    }
    Ok((pack, skipped))
}

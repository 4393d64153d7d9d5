//! Moving replies between packs and libraries. Every format reads into and writes from
//! the same [`Pack`] type: the source format (`snippets/`, in [`crate::source`]), the
//! native `.qrpack` archive ([`qrpack`]), and a library read as a pack (for `lint` and
//! export).

pub mod common;
mod dates;
pub mod error;
pub mod interop;
pub mod qrpack;
pub mod table;

use std::collections::HashMap;

use quickreply_proto::Part;

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
            starts_at: f.starts_at,
            ends_at: f.ends_at,
        })
        .collect();
    let snippets = store
        .snippets(Some(library))?
        .into_iter()
        .map(|s| {
            let origin = place(&s.folder, &s.title);
            PackSnippet {
                // Moved, not copied: at 100 000 replies an export is bound by memory
                // traffic (every phase costs more per reply than at 10 000, by the same
                // instructions per reply), and the bodies are most of it.
                parts: s
                    .parts
                    .into_iter()
                    .map(|p| match p {
                        Part::Text { body } => PackPart::Text {
                            body,
                            origin: origin.clone(),
                        },
                        Part::Image { sha256, .. } => PackPart::Image {
                            image: ImageRef::Blob(sha256),
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
                starts_at: s.starts_at,
                ends_at: s.ends_at,
            }
        })
        .collect();
    let variables = store
        .variables(library)?
        .into_iter()
        .map(|(name, value, description, example)| {
            let (default, example) = if example {
                (String::new(), value)
            } else {
                (value, String::new())
            };
            (
                name,
                VarDef {
                    default,
                    example,
                    description,
                    scope: None,
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
    /// One line per reply (and per refused folder or variable name), exactly the lines
    /// [`preview`] gives for the same pack and library: the preview and the import share
    /// one plan.
    pub items: Vec<PlanItem>,
    /// Replies, folders and variables not imported because the store refuses them
    /// ([`Status::Skipped`] lines).
    pub skipped: usize,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Replies whose shortcut code was taken (handled by the policy).
    pub conflicts: usize,
    /// Replies of the pack not written (policy `skip`, or a copy that exists already).
    pub kept: usize,
    pub variables_added: usize,
}

/// What importing one reply would do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    New,
    /// Same folder and title as a reply in the library, different content.
    Changed,
    Unchanged,
    /// Its shortcut code is taken by another reply (in the library or earlier in the pack).
    Conflicting,
    /// Not imported: the store would refuse it (the note gives the store's reason). Also
    /// a folder or variable of the pack whose name the store refuses.
    Skipped,
}

/// What to do with changed and conflicting replies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Policy {
    /// Leave the library's reply as it is; do not import the pack's.
    Skip,
    /// The pack wins: changed replies are updated, a taken code moves to the pack's reply.
    Overwrite,
    /// Keep both (the default, nothing is lost): a changed reply is added as a copy titled
    /// "…（导入）", a reply whose code is taken is added without the code.
    #[default]
    KeepBoth,
}

impl Policy {
    pub fn parse(s: &str) -> Option<Policy> {
        Some(match s {
            "skip" => Policy::Skip,
            "overwrite" => Policy::Overwrite,
            "keep-both" => Policy::KeepBoth,
            _ => return None,
        })
    }
}

/// One line of an import preview.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanItem {
    pub status: Status,
    pub folder: String,
    pub title: String,
    pub origin: Origin,
    /// What the policy does with it, for changed and conflicting replies.
    pub note: Option<String>,
}

struct Plan {
    items: Vec<PlanItem>,
    adds: Vec<NewSnippet>,
    edits: Vec<(uuid::Uuid, SnippetEdit)>,
    /// The pack's folders and variables the store takes.
    folders: Vec<String>,
    vars: Vec<(String, VarDef)>,
}

/// Check every image of a pack (reading files and archive entries) and return the part
/// each reference becomes; with `store_them`, the images are also put in the blob store.
fn image_parts(store: &Store, pack: &Pack, store_them: bool) -> Result<HashMap<ImageRef, Part>> {
    let mut images: HashMap<ImageRef, Part> = HashMap::new();
    for s in &pack.snippets {
        for p in &s.parts {
            let PackPart::Image { image, .. } = p else {
                continue;
            };
            if images.contains_key(image) {
                continue;
            }
            let (bytes, info) = qrpack::image_reader(Some(store.blobs()))(image)?;
            if store_them {
                store.put_image_bytes(&bytes, &info)?;
            }
            images.insert(image.clone(), image_part(&info));
        }
    }
    Ok(images)
}

/// Add a note to a preview line (after any it has).
fn add_note(item: &mut PlanItem, note: String) {
    item.note = Some(match item.note.take() {
        Some(first) => format!("{first}{}{note}", crate::i18n::tr("；", "; ")),
        None => note,
    });
}

fn plan(
    store: &Store,
    pack: &Pack,
    library: &Library,
    policy: Policy,
    store_images: bool,
) -> Result<Plan> {
    use crate::i18n::tr;
    // Every image is read and checked first: a bad image aborts before anything is written.
    let images = image_parts(store, pack, store_images)?;
    let local = store.snippets(Some(library))?;
    // The library's replies by folder and title (several may share both), and by folder
    // alone for replies matched by their content.
    let mut existing: HashMap<(String, String), Vec<&crate::store::Snippet>> = HashMap::new();
    let mut in_folder: HashMap<String, Vec<&crate::store::Snippet>> = HashMap::new();
    for s in &local {
        existing
            .entry((norm_folder(&s.folder), s.title.trim().to_string()))
            .or_default()
            .push(s);
        in_folder.entry(norm_folder(&s.folder)).or_default().push(s);
    }
    // Who holds each code: the library's replies, then the pack's as they are planned.
    let mut holders: HashMap<String, Option<uuid::Uuid>> = local
        .iter()
        .filter_map(|s| s.code.clone().map(|c| (c, Some(s.id))))
        .collect();
    let mut plan = Plan {
        items: Vec::with_capacity(pack.snippets.len()),
        adds: Vec::new(),
        edits: Vec::new(),
        folders: Vec::new(),
        vars: Vec::new(),
    };
    // The pack's own folders (empty ones included) and variables: a name the store
    // refuses is a skipped line, not a refused file.
    for f in &pack.folders {
        match crate::store::check_folder_path(&f.path) {
            Ok(()) => plan.folders.push(f.path.clone()),
            Err(e) => plan.items.push(PlanItem {
                status: Status::Skipped,
                folder: f.path.clone(),
                title: String::new(),
                origin: f.origin.clone(),
                note: Some(e.to_string()),
            }),
        }
    }
    for (name, def) in &pack.meta.variables {
        if crate::template::is_valid_var_name(name) {
            plan.vars.push((name.clone(), def.clone()));
        } else {
            plan.items.push(PlanItem {
                status: Status::Skipped,
                folder: String::new(),
                title: String::new(),
                origin: Origin::Library {
                    place: format!("{} {{{name}}}", tr("变量", "variable")),
                },
                note: Some(crate::Error::InvalidVariableName(name.clone()).to_string()),
            });
        }
    }
    let copy_suffix = tr("（导入）", " (imported)");
    for s in &pack.snippets {
        let parts: Vec<Part> = s
            .parts
            .iter()
            .filter_map(|p| match p {
                PackPart::Text { body, .. } => Some(Part::Text { body: body.clone() }),
                PackPart::Image { image, .. } => images.get(image).cloned(),
            })
            .collect();
        let folder = norm_folder(&s.folder);
        let candidates: &[&crate::store::Snippet] = existing
            .get(&(folder.clone(), s.title.trim().to_string()))
            .map_or(&[], Vec::as_slice);
        let mut item = PlanItem {
            status: Status::New,
            folder: s.folder.clone(),
            title: s.title.clone(),
            origin: s.origin.clone(),
            note: None,
        };
        // A code the store would refuse costs the reply its code, not the file its import
        // (readers normalise foreign triggers already; this covers every format).
        let code = s
            .code
            .clone()
            .filter(|c| quickreply_proto::is_valid_code(c));
        if let Some(bad) = s.code.as_ref().filter(|_| code.is_none()) {
            add_note(
                &mut item,
                tr(
                    format!(
                        "快捷编码「{bad}」无效（只能是 1–16 个小写字母或数字），导入时不带编码"
                    ),
                    format!(
                        "shortcut code \"{bad}\" is invalid (1–16 lowercase letters or digits); imported without it"
                    ),
                ),
            );
        }
        // A reply imported earlier without its code (the code was taken) is unchanged.
        let same_code = |cur: &crate::store::Snippet| {
            cur.code == code
                || cur.code.is_none()
                    && code
                        .as_ref()
                        .and_then(|c| holders.get(c))
                        .is_some_and(|h| *h != Some(cur.id))
        };
        let same = |cur: &&crate::store::Snippet| {
            cur.parts == parts
                && same_code(cur)
                && cur.tags == crate::store::clean_tags(&s.tags)
                && cur.apps == crate::store::clean_tags(&s.apps)
        };
        // A reply without a title of its own (its title was made from its text, as for
        // espanso matches and plain text) is the same reply when its content is: its
        // made-up title says nothing about which reply it is.
        // Asked only where it can change the outcome (a reply of the same folder
        // exists): making a title from the text costs more than the rest of the plan
        // of a reply, for every reply of a big pack.
        let untitled = || {
            s.texts().first().is_some_and(|t| {
                let made = interop::title_of(t);
                !made.is_empty() && made == s.title.trim()
            })
        };
        let in_this_folder = in_folder.get(&folder);
        let found = candidates.iter().any(same)
            || in_this_folder.is_some_and(|all| untitled() && all.iter().any(same));
        if found {
            item.status = Status::Unchanged;
            plan.items.push(item);
            continue;
        }
        // A different reply that happens to share a made-up title is a new one.
        let cur = candidates.first().copied().filter(|_| !untitled());
        let new = NewSnippet {
            title: s.title.clone(),
            code: code.clone(),
            tags: s.tags.clone(),
            apps: s.apps.clone(),
            folder: s.folder.clone(),
            parts,
        };
        // The reply this action writes to (None: a new reply), and its code.
        let (mut target, mut new) = match cur {
            Some(cur) => {
                item.status = Status::Changed;
                match policy {
                    Policy::Skip => {
                        add_note(
                            &mut item,
                            tr("保留话术库里的版本", "the library's version is kept"),
                        );
                        plan.items.push(item);
                        continue;
                    }
                    Policy::Overwrite => {
                        add_note(
                            &mut item,
                            tr("用包里的版本覆盖", "replaced by the pack's version"),
                        );
                        (Some(cur.id), new)
                    }
                    Policy::KeepBoth => {
                        // The copy's title stays within the store's limit: a long title is
                        // cut readably so that the suffix fits.
                        let room = quickreply_proto::check::MAX_NAME
                            .saturating_sub(copy_suffix.chars().count());
                        let base = s.title.trim();
                        let base = if base.chars().count() > room {
                            interop::cut_line(base, room)
                        } else {
                            base.to_string()
                        };
                        let title = format!("{base}{copy_suffix}");
                        let taken_copy = existing.contains_key(&(folder.clone(), title.clone()));
                        if !taken_copy {
                            add_note(
                                &mut item,
                                tr(
                                    format!("另存为「{title}」"),
                                    format!("added as \"{title}\""),
                                ),
                            );
                        }
                        if taken_copy {
                            add_note(
                                &mut item,
                                tr(
                                    format!("「{title}」已存在，未再添加"),
                                    format!("\"{title}\" exists already, not added again"),
                                ),
                            );
                            plan.items.push(item);
                            continue;
                        }
                        (
                            None,
                            NewSnippet {
                                title,
                                code: None,
                                ..new
                            },
                        )
                    }
                }
            }
            None => (None, new),
        };
        // What the store checks before writing (title, parts, templates, size, folder
        // names): a reply it would refuse is skipped with the store's own reason, so the
        // preview and the import agree line by line and the import is never refused.
        if let Err(e) = crate::store::check_reply(&new) {
            item.status = Status::Skipped;
            item.note = Some(e.to_string());
            plan.items.push(item);
            continue;
        }
        if let Some(code) = new.code.clone()
            && let Some(holder) = holders.get(&code).copied()
            && (holder.is_none() || holder != target)
        {
            item.status = Status::Conflicting;
            match (policy, holder) {
                (Policy::Skip, _) => {
                    add_note(
                        &mut item,
                        tr(
                            format!("快捷编码 {code} 已被占用，跳过"),
                            format!("shortcut code {code} is taken; skipped"),
                        ),
                    );
                    plan.items.push(item);
                    continue;
                }
                (Policy::Overwrite, Some(other)) => {
                    add_note(
                        &mut item,
                        tr(
                            format!("快捷编码 {code} 从原话术移到这条"),
                            format!("shortcut code {code} moves to this reply"),
                        ),
                    );
                    plan.edits.insert(
                        0,
                        (
                            other,
                            SnippetEdit {
                                code: Some(None),
                                ..SnippetEdit::default()
                            },
                        ),
                    );
                }
                _ => {
                    add_note(
                        &mut item,
                        tr(
                            format!("快捷编码 {code} 已被占用，导入时不带编码"),
                            format!("shortcut code {code} is taken; imported without it"),
                        ),
                    );
                    new.code = None;
                }
            }
        }
        if let Some(code) = &new.code {
            holders.insert(code.clone(), target);
        }
        match target.take() {
            Some(id) => plan.edits.push((
                id,
                SnippetEdit {
                    code: Some(new.code),
                    tags: Some(new.tags),
                    apps: Some(new.apps),
                    parts: Some(new.parts),
                    ..SnippetEdit::default()
                },
            )),
            None => plan.adds.push(new),
        }
        plan.items.push(item);
    }
    Ok(plan)
}

/// A folder path as the store keeps it: `/`-separated names, trimmed, no empty ones.
fn norm_folder(path: &str) -> String {
    path.split('/')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("/")
}

/// What importing a pack into a library would do, without changing anything.
pub fn preview(
    store: &Store,
    pack: &Pack,
    library: &Library,
    policy: Policy,
) -> Result<Vec<PlanItem>> {
    Ok(plan(store, pack, library, policy, false)?.items)
}

/// Import a pack into a library in one transaction. A reply is the same reply when its
/// folder and title match; unchanged ones are left alone (importing the same pack twice
/// changes nothing), changed ones and shortcut-code clashes follow `policy`. Variables
/// get the pack's defaults only where the library has no value yet (a lead's values are
/// never overwritten); personal-scope variables go to the personal library.
pub fn import(
    store: &mut Store,
    pack: &Pack,
    library: &Library,
    policy: Policy,
) -> Result<ImportReport> {
    import_with_progress(store, pack, library, policy, &mut |_, _| {})
}

/// [`import`], telling `progress(done, total)` how far the writing is (replies written of
/// those to write; the desktop app's progress bar). Nothing is visible to other readers
/// before the end: it is still one transaction.
pub fn import_with_progress(
    store: &mut Store,
    pack: &Pack,
    library: &Library,
    policy: Policy,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ImportReport> {
    let plan = plan(store, pack, library, policy, true)?;
    let count = |s: Status| plan.items.iter().filter(|i| i.status == s).count();
    let skipped = count(Status::Skipped);
    // Lines for the pack's replies (the others are skipped folder and variable names).
    let replies = pack.snippets.len();
    let skipped_replies = skipped - (plan.items.len() - replies);
    let mut report = ImportReport {
        skipped,
        items: Vec::new(),
        added: plan.adds.len(),
        updated: plan.edits.len() - plan.edits.iter().filter(|(_, e)| e.parts.is_none()).count(),
        unchanged: plan
            .items
            .iter()
            .filter(|i| i.status == Status::Unchanged)
            .count(),
        conflicts: plan
            .items
            .iter()
            .filter(|i| i.status == Status::Conflicting)
            .count(),
        kept: replies
            - skipped_replies
            - plan.adds.len()
            - plan.edits.iter().filter(|(_, e)| e.parts.is_some()).count()
            - plan
                .items
                .iter()
                .filter(|i| i.status == Status::Unchanged)
                .count(),
        variables_added: 0,
    };
    let personal = store.library(crate::store::PERSONAL)?;
    report.variables_added = store.import_batch(
        library,
        &personal,
        crate::store::ImportBatch {
            folders: &plan.folders,
            adds: plan.adds,
            edits: plan.edits,
            vars: &plan.vars,
        },
        progress,
    )?;
    dates::apply(store, pack, library, &plan.items, policy)?;
    report.items = plan.items;
    Ok(report)
}

/// A pack as read, with the rows or entries that could not be used (and why).
#[derive(Clone, Debug, Default)]
pub struct ReadPack {
    pub pack: Pack,
    pub skipped: Vec<common::Skipped>,
}

/// Formats a path can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Source,
    Qrpack,
    Csv,
    Xlsx,
    Espanso,
    Raycast,
    Alfred,
    TextExpander,
    Text,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s.to_ascii_lowercase().as_str() {
            "source" | "dir" | "folder" => Format::Source,
            "qrpack" => Format::Qrpack,
            "csv" => Format::Csv,
            "xlsx" => Format::Xlsx,
            "espanso" | "yml" | "yaml" => Format::Espanso,
            "raycast" | "json" => Format::Raycast,
            "alfred" | "alfredsnippets" => Format::Alfred,
            "textexpander" => Format::TextExpander,
            "text" | "txt" => Format::Text,
            _ => return None,
        })
    }

    /// The format an output file name asks for.
    pub fn from_extension(path: &std::path::Path) -> Option<Format> {
        Format::parse(path.extension()?.to_str()?)
    }
}

/// Read a pack from a path. The format is detected from the content (a folder is a
/// source pack, a zip a `.qrpack`, text a CSV) unless `format` says otherwise. A CSV
/// without a header whose first column is clearly abbreviations is a TextExpander export;
/// when that cannot be told, the error asks for `--format`.
///
/// Every reply gets a title the store accepts (see [`fit_titles`]), and a file that
/// yields nothing to import is an error naming it (with the first reasons entries were
/// skipped), so an import never "succeeds" with nothing.
pub fn read_path(path: &std::path::Path, format: Option<Format>) -> Result<ReadPack> {
    let mut read = read_any(path, format)?;
    fit_titles(&mut read);
    if read.pack.snippets.is_empty() && read.pack.meta.variables.is_empty() {
        return Err(nothing_found(path, &read.skipped));
    }
    Ok(read)
}

/// The error for a file or folder that holds no reply to import.
fn nothing_found(path: &std::path::Path, skipped: &[common::Skipped]) -> crate::Error {
    use crate::i18n::tr;
    let kind = if path.is_dir() {
        tr("文件夹", "folder")
    } else {
        tr("文件", "file")
    };
    let mut message = tr(
        format!("这个{kind}里没有找到可导入的话术（0 条）"),
        format!("no replies to import were found in this {kind} (0 found)"),
    );
    if !skipped.is_empty() {
        let shown: Vec<String> = skipped
            .iter()
            .take(5)
            .map(|s| format!("{}: {}", s.origin, s.reason))
            .collect();
        message.push_str(&tr(
            format!("；{} 条无法导入：{}", skipped.len(), shown.join("；")),
            format!(
                "; {} entries could not be used: {}",
                skipped.len(),
                shown.join("; ")
            ),
        ));
        if skipped.len() > shown.len() {
            message.push_str(&tr("……", "…"));
        }
    } else if !path.is_dir() {
        message.push_str(&tr(
            "；如果格式认错了，请用 --format 指定",
            "; if the format was guessed wrong, give it with --format",
        ));
    }
    interop::InteropError {
        path: path.to_path_buf(),
        message,
    }
    .into()
}

/// Titles and folder names the store accepts: one line, at most 200 characters (a
/// longer one is cut readably, with a per-line note); a reply without a title gets one
/// made from its text (or its shortcut code, for an image).
fn fit_titles(read: &mut ReadPack) {
    use crate::i18n::tr;
    use quickreply_proto::check::{self, NameOf};
    // A name the store takes is kept exactly (a title with two spaces in it is the
    // author's; collapsing them would make our own export come back as new replies).
    let fit = |name: &str, of: NameOf| {
        if check::name(of, name).is_ok() {
            name.trim().to_string()
        } else {
            interop::fit_name(name)
        }
    };
    let fit_path = |path: &str| {
        path.split('/')
            .map(|n| fit(n, NameOf::Folder))
            .collect::<Vec<_>>()
            .join("/")
    };
    for s in &mut read.pack.snippets {
        let fitted = fit(&s.title, NameOf::Title);
        let fitted = if fitted.is_empty() {
            s.texts()
                .first()
                .map(|t| interop::title_of(t))
                .filter(|t| !t.is_empty())
                .or_else(|| s.code.clone())
                .unwrap_or_else(|| tr("图片", "image"))
        } else {
            fitted
        };
        if fitted != s.title.trim() && !s.title.trim().is_empty() {
            if s.title.chars().count() > quickreply_proto::check::MAX_NAME {
                read.skipped.push(common::Skipped::note(
                    s.origin.clone(),
                    tr(
                        format!(
                            "标题有 {} 个字，超过 {} 字，已截短为「{fitted}」",
                            s.title.chars().count(),
                            quickreply_proto::check::MAX_NAME
                        ),
                        format!(
                            "the title has {} characters, more than {}; cut to \"{fitted}\"",
                            s.title.chars().count(),
                            quickreply_proto::check::MAX_NAME
                        ),
                    ),
                ));
            } else if s.title.contains(['\n', '\r']) {
                read.skipped.push(common::Skipped::note(
                    s.origin.clone(),
                    tr(
                        format!("标题里有换行，已合成一行：「{fitted}」"),
                        format!("the title had line breaks; joined into one line: \"{fitted}\""),
                    ),
                ));
            }
        }
        s.title = fitted;
        if crate::store::check_folder_path(&s.folder).is_err() {
            s.folder = fit_path(&s.folder);
        }
    }
    for f in &mut read.pack.folders {
        if crate::store::check_folder_path(&f.path).is_err() {
            f.path = fit_path(&f.path);
        }
    }
}

/// Whether a folder looks like an espanso setup: a `match/` folder in it, or `.yml`
/// files (a few levels down) and no source-pack files (`.md`).
fn has_match_files(dir: &std::path::Path, depth: usize) -> (bool, bool) {
    let mut yml = false;
    let mut md = false;
    let Ok(rd) = std::fs::read_dir(dir) else {
        return (false, false);
    };
    for p in rd.filter_map(|e| e.ok().map(|e| e.path())) {
        let ext = p
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("yml" | "yaml") if p.is_file() => yml = true,
            Some("md") if p.is_file() => md = true,
            _ if p.is_dir() && depth < 3 => {
                let (y, m) = has_match_files(&p, depth + 1);
                yml |= y;
                md |= m;
            }
            _ => {}
        }
    }
    (yml, md)
}

/// The format of a folder: an espanso package or match folder, an Alfred collection
/// folder (or Alfred's `snippets/` folder), else a source pack.
fn dir_kind(path: &std::path::Path) -> Format {
    if path.join("package.yml").is_file() || path.join("match").is_dir() {
        return Format::Espanso;
    }
    if path.join("pack.toml").is_file() {
        return Format::Source;
    }
    if interop::is_alfred_dir(path) {
        return Format::Alfred;
    }
    match has_match_files(path, 0) {
        (true, false) => Format::Espanso,
        _ => Format::Source,
    }
}

fn read_any(path: &std::path::Path, format: Option<Format>) -> Result<ReadPack> {
    let detected = format.is_none();
    let format = match format {
        Some(f) => f,
        None if path.is_dir() => dir_kind(path),
        None => {
            let mut file = std::fs::File::open(path).map_err(crate::Error::io(path))?;
            let mut head = vec![0u8; 4096];
            let n = std::io::Read::read(&mut file, &mut head).map_err(crate::Error::io(path))?;
            let head = &head[..n];
            let text = String::from_utf8_lossy(head);
            let trimmed = text.trim_start_matches('\u{feff}').trim_start();
            let ext = path
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase);
            if qrpack::is_zip(head) {
                zip_kind(path)?
            } else if interop::is_plist(head) || ext.as_deref() == Some("textexpander") {
                Format::TextExpander
            } else if head.contains(&0) {
                return Err(crate::Error::UnknownFormat(path.to_path_buf()));
            } else if trimmed.starts_with('[') && trimmed.contains("\"text\"")
                || ext.as_deref() == Some("json")
            {
                Format::Raycast
            } else if text.lines().any(|l| l.trim_end() == "matches:") {
                Format::Espanso
            } else if ext.as_deref() == Some("txt") {
                Format::Text
            } else {
                Format::Csv
            }
        }
    };
    match format {
        Format::Source => Ok(ReadPack {
            pack: crate::source::read_dir(path)?,
            skipped: Vec::new(),
        }),
        Format::Qrpack => {
            let file = std::fs::File::open(path).map_err(crate::Error::io(path))?;
            let (_, pack) = qrpack::read(std::io::BufReader::new(file), path)?;
            Ok(ReadPack {
                pack,
                skipped: Vec::new(),
            })
        }
        Format::Xlsx => {
            let bytes = std::fs::read(path).map_err(crate::Error::io(path))?;
            let (pack, skipped) = table::read_xlsx(&bytes, path)?;
            Ok(ReadPack { pack, skipped })
        }
        Format::Espanso => {
            let mut head = [0u8; 4];
            let n = std::fs::File::open(path)
                .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
                .unwrap_or(0);
            let (pack, skipped) = if path.is_file() && qrpack::is_zip(&head[..n]) {
                let file = std::fs::File::open(path).map_err(crate::Error::io(path))?;
                interop::read_espanso_zip(std::io::BufReader::new(file), path)?
            } else {
                interop::read_espanso(path)?
            };
            Ok(ReadPack { pack, skipped })
        }
        Format::Alfred if path.is_dir() => {
            let (pack, skipped) = interop::read_alfred_dir(path)?;
            Ok(ReadPack { pack, skipped })
        }
        Format::Alfred => {
            let file = std::fs::File::open(path).map_err(crate::Error::io(path))?;
            let (pack, skipped) = interop::read_alfred(std::io::BufReader::new(file), path)?;
            Ok(ReadPack { pack, skipped })
        }
        Format::Raycast | Format::TextExpander | Format::Text => {
            let meta = std::fs::metadata(path).map_err(crate::Error::io(path))?;
            if meta.len() as usize > common::MAX_FILE_BYTES {
                return Err(common::too_large(path, meta.len() as usize).into());
            }
            let bytes = std::fs::read(path).map_err(crate::Error::io(path))?;
            let (pack, skipped) = match format {
                Format::Raycast => interop::read_raycast(&bytes, path)?,
                Format::TextExpander => interop::read_textexpander(&bytes, path)?,
                _ => interop::read_text(&bytes, path)?,
            };
            Ok(ReadPack { pack, skipped })
        }
        Format::Csv => {
            let meta = std::fs::metadata(path).map_err(crate::Error::io(path))?;
            if meta.len() as usize > common::MAX_FILE_BYTES {
                return Err(common::too_large(path, meta.len() as usize).into());
            }
            let bytes = std::fs::read(path).map_err(crate::Error::io(path))?;
            let kind = match common::decode(&bytes, path) {
                Ok(text) if detected => interop::csv_kind(&text),
                _ => interop::CsvKind::Table,
            };
            let (pack, skipped) = match kind {
                interop::CsvKind::Table => table::read_csv(&bytes, path)?,
                interop::CsvKind::TextExpander => interop::read_textexpander(&bytes, path)?,
                interop::CsvKind::Ambiguous => {
                    return Err(interop::InteropError {
                        path: path.to_path_buf(),
                        message: crate::i18n::tr(
                            "看不出这是 TextExpander 导出的 CSV（缩写,内容,名称）还是话术表格（标题,内容）：请用 --format textexpander 或 --format csv 指明，或给表格加一行表头（标题,内容）",
                            "cannot tell whether this is a TextExpander CSV (abbreviation,content,label) or a table of replies (title,content): say which with --format textexpander or --format csv, or give the table a header row (title,content)",
                        ),
                    }
                    .into());
                }
            };
            Ok(ReadPack { pack, skipped })
        }
    }
}

/// Write a pack to a file in a format (atomically). Returns a note on what the format
/// could not carry (images, variables or prompts it has no way to express), if anything.
pub fn write_path(
    pack: &Pack,
    blobs: Option<&crate::blob::BlobDir>,
    path: &std::path::Path,
    format: Format,
) -> Result<Option<String>> {
    let io = |e: std::io::Error| crate::Error::io(path)(e);
    let (bytes, left_out) = match format {
        Format::Qrpack => {
            let mut out = std::io::Cursor::new(Vec::new());
            let created = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            qrpack::write(pack, &mut out, &created, &qrpack::image_reader(blobs))?;
            write_atomic(path, &out.into_inner())?;
            return Ok(None);
        }
        Format::Csv => {
            let mut out = Vec::new();
            table::write_csv(pack, &mut out).map_err(io)?;
            (out, Vec::new())
        }
        Format::Xlsx => {
            let (bytes, _) = table::write_xlsx(pack).map_err(|e| io(std::io::Error::other(e)))?;
            (bytes, Vec::new())
        }
        Format::Espanso => {
            let (text, left) = interop::write_espanso(pack);
            (text.into_bytes(), left)
        }
        Format::Raycast => {
            let (text, left) = interop::write_raycast(pack);
            (text.into_bytes(), left)
        }
        Format::Text => (interop::write_text(pack).into_bytes(), Vec::new()),
        Format::Source | Format::Alfred | Format::TextExpander => {
            return Err(crate::Error::UnknownFormat(path.to_path_buf()));
        }
    };
    write_atomic(path, &bytes)?;
    let images: usize = pack.snippets.iter().map(PackSnippet::images).sum();
    let mut notes = Vec::new();
    if images > 0 {
        notes.push(crate::i18n::tr(
            format!("这个格式不能保存图片：{images} 个图片段落没有导出"),
            format!("this format cannot hold images: {images} image parts were left out"),
        ));
    }
    if !left_out.is_empty() {
        notes.push(crate::i18n::tr(
            format!(
                "{} 条话术用了这个格式没有的变量或填写项，没有导出：{}",
                left_out.len(),
                left_out.join("、")
            ),
            format!(
                "{} replies use variables or prompts this format lacks and were left out: {}",
                left_out.len(),
                left_out.join(", ")
            ),
        ));
    }
    Ok((!notes.is_empty()).then(|| notes.join("\n")))
}

/// Write a pack as `.qrpack` to a file.
pub fn write_qrpack(
    pack: &Pack,
    blobs: Option<&crate::blob::BlobDir>,
    path: &std::path::Path,
) -> Result<()> {
    write_path(pack, blobs, path, Format::Qrpack).map(|_| ())
}

/// Write a file atomically: its folder is created, the bytes go to a temporary file
/// beside it, which is then renamed into place (a crash leaves the old file or the new).
pub(crate) fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(crate::Error::io(dir))?;
    }
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    let tmp = path.with_file_name(name);
    std::fs::write(&tmp, bytes).map_err(crate::Error::io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        crate::Error::io(path)(e)
    })
}

/// A zip is an XLSX workbook when it has `xl/workbook.xml`, a `.qrpack` when it has
/// `manifest.json`, an Alfred collection when it has `info.plist`, a zipped espanso
/// package when it has a `package.yml`.
fn zip_kind(path: &std::path::Path) -> Result<Format> {
    let file = std::fs::File::open(path).map_err(crate::Error::io(path))?;
    let Ok(mut z) = zip::ZipArchive::new(std::io::BufReader::new(file)) else {
        return Ok(Format::Qrpack);
    };
    Ok(if z.index_for_name("xl/workbook.xml").is_some() {
        Format::Xlsx
    } else if z.index_for_name("manifest.json").is_some() {
        Format::Qrpack
    } else if z.index_for_name("info.plist").is_some() {
        Format::Alfred
    } else if z
        .file_names()
        .any(|n| n.is_ok_and(|n| n.rsplit('/').next() == Some("package.yml")))
    {
        Format::Espanso
    } else if holds_alfred_json(&mut z) {
        Format::Alfred
    } else {
        Format::Qrpack
    })
}

/// Whether a zip's first `.json` entry is an Alfred snippet (collections exported
/// without `info.plist`). Reads at most one small entry.
fn holds_alfred_json<R: std::io::Read + std::io::Seek>(z: &mut zip::ZipArchive<R>) -> bool {
    use std::io::Read;
    let mut names: Vec<String> = z
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .filter(|n| n.to_ascii_lowercase().ends_with(".json"))
        .collect();
    names.sort();
    let Some(first) = names.first() else {
        return false;
    };
    let mut buf = Vec::new();
    z.by_name(first)
        .ok()
        .and_then(|e| {
            e.take(common::MAX_CELL_BYTES as u64 * 4)
                .read_to_end(&mut buf)
                .ok()
        })
        .is_some_and(|_| interop::is_alfred_json(&buf))
}

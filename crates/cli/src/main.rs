//! `qreply`: QuickReply from the terminal — manage, search and fire replies, check packs.

// Standard output, for every command: a reader that stops reading (`qreply search … |
// head`) closes the pipe, and that is a normal end, not an error — `qreply` stops quietly
// with exit code 0, the way `grep` or `ls` end in a pipe. These two macros shadow the
// standard `print!`/`println!` everywhere in this crate (they are declared before the
// modules); code that locks standard output itself uses [`stdout::lock`].
macro_rules! print {
    ($($arg:tt)*) => { $crate::stdout::print(format_args!($($arg)*)) };
}
macro_rules! println {
    () => { $crate::stdout::print(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::stdout::print(format_args!("{}\n", format_args!($($arg)*))) };
}

mod args;
mod clipboard;
mod compliance_cmd;
mod dates_cmd;
mod lint_cmd;
mod scan_cmd;
mod shown;
mod stale_cmd;
mod suggest_cmd;
mod sync_cmd;

/// Standard output that ends `qreply` quietly when the reader has gone (see the macros
/// above). Any other failure to write is an error, said on standard error (exit 1).
mod stdout {
    use std::io::{self, Write};

    /// What to do when writing failed: a closed pipe ends the program normally.
    fn failed(e: io::Error) -> io::Error {
        if e.kind() == io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        e
    }

    /// `print!`/`println!`: write, or end as [`failed`] says.
    pub fn print(args: std::fmt::Arguments<'_>) {
        if let Err(e) = io::stdout().lock().write_fmt(args) {
            let e = failed(e);
            eprintln!(
                "{}: {}",
                quickreply_core::i18n::tr("错误", "error"),
                quickreply_core::i18n::tr(
                    format!("无法写到标准输出：{e}"),
                    format!("cannot write to standard output: {e}")
                )
            );
            std::process::exit(1);
        }
    }

    /// Standard output locked for many writes; a closed pipe ends the program normally,
    /// other errors are returned.
    pub struct Out(io::StdoutLock<'static>);

    pub fn lock() -> Out {
        Out(io::stdout().lock())
    }

    impl Write for Out {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.write(buf).map_err(failed)
        }

        fn flush(&mut self) -> io::Result<()> {
            self.0.flush().map_err(failed)
        }
    }
}

use args::{BuiltinCmd, Cli, Cmd, CodesCmd, LibraryCmd, MembersCmd, VarsCmd};
use lint_cmd::{lint_path, lint_store};
use shown::{shown, shown_text};

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::{ArgMatches, CommandFactory, FromArgMatches};
use quickreply_core::i18n::{self, Lang, tr};
use quickreply_core::proto::{LibraryKind, Part};
use quickreply_core::store::{PERSONAL, default_data_dir};
use quickreply_core::{
    Library, NewSnippet, Rendered, SearchOptions, Snippet, SnippetEdit, Store, packs, source,
};
use quickreply_sync as sync;
use serde_json::json;

/// A built-in pack by language, or a clear error listing the ones there are.
fn builtin_pack(lang: &str) -> Result<quickreply_core::source::Pack> {
    match quickreply_core::builtin::pack(lang) {
        Some(p) => Ok(p?),
        None => bail!(tr(
            format!(
                "没有内置话术包「{lang}」（可用：{}）",
                quickreply_core::builtin::languages().join("、")
            ),
            format!(
                "there is no built-in pack \"{lang}\" (there are: {})",
                quickreply_core::builtin::languages().join(", ")
            )
        )),
    }
}

/// `--text` and `--image` in the order they were given.
fn ordered_parts(m: &ArgMatches, texts: &[String], images: &[PathBuf]) -> Vec<(usize, Source)> {
    let mut out = Vec::new();
    if let Some(idx) = m.indices_of("texts") {
        out.extend(idx.zip(texts.iter().cloned().map(Source::Text)));
    }
    if let Some(idx) = m.indices_of("images") {
        out.extend(idx.zip(images.iter().cloned().map(Source::Image)));
    }
    out.sort_by_key(|(i, _)| *i);
    out
}

enum Source {
    Text(String),
    Image(PathBuf),
}

fn build_parts(store: &Store, sources: Vec<(usize, Source)>) -> Result<Vec<Part>> {
    sources
        .into_iter()
        .map(|(_, s)| {
            Ok(match s {
                Source::Text(body) => Part::Text { body },
                Source::Image(path) => store.add_image(&path)?,
            })
        })
        .collect()
}

fn lib_opt(store: &Store, name: Option<&str>) -> Result<Option<Library>> {
    Ok(match name {
        Some(n) => Some(store.library(n)?),
        None => None,
    })
}

/// One reply as a line: title, code, library/folder, id (team replies are other
/// people's text: escaped).
fn line(s: &Snippet) -> String {
    let folder = if s.folder.is_empty() {
        s.library.clone()
    } else {
        format!("{}/{}", s.library, s.folder)
    };
    format!(
        "{}\t{}\t{}\t{}",
        shown(&s.title),
        shown(s.code.as_deref().unwrap_or("-")),
        shown(&folder),
        s.id
    )
}

fn snippet_json(s: &Snippet) -> serde_json::Value {
    json!({
        "id": s.id,
        "title": s.title,
        "code": s.code,
        "library": s.library,
        "folder": s.folder,
        "tags": s.tags,
        "apps": s.apps,
        "parts": s.parts,
        "version": s.version,
        "starts_at": s.starts_at,
        "ends_at": s.ends_at,
    })
}

fn print_json(v: &serde_json::Value) -> Result<()> {
    let mut out = stdout::lock();
    writeln!(out, "{}", shown::json_text(v)?)?;
    Ok(())
}

/// Report variables a reply uses that nothing defines (add/edit warn, lint fails).
fn warn_unknown_vars(store: &Store, s: &Snippet) -> Result<()> {
    let vars = store.effective_vars(s.library_id)?;
    let mut unknown = Vec::new();
    for body in s.parts.iter().filter_map(Part::text) {
        for seg in quickreply_core::template::parse(body)? {
            if let quickreply_core::template::Segment::Var(name) = seg
                && !vars.contains_key(name)
                && quickreply_core::template::Builtin::from_name(name).is_none()
                && !unknown.contains(&name.to_string())
            {
                unknown.push(name.to_string());
            }
        }
    }
    for name in unknown {
        let name = shown(&name);
        eprintln!(
            "{}",
            tr(
                format!(
                    "注意：变量 {{{name}}} 还没有设置，发送前请用 `qreply vars set {name} …` 设置"
                ),
                format!(
                    "note: variable {{{name}}} is not set yet; set it with `qreply vars set {name} …` before firing"
                )
            )
        );
    }
    Ok(())
}

fn ask_prompts(names: &[String], given: &mut HashMap<String, String>) -> Result<()> {
    let missing: Vec<&String> = names.iter().filter(|n| !given.contains_key(*n)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        bail!(tr(
            format!(
                "这条话术需要填写：{}；请用 --set 名称=值 提供",
                missing
                    .iter()
                    .map(|n| format!("{{?{n}}}"))
                    .collect::<Vec<_>>()
                    .join("、")
            ),
            format!(
                "this reply asks for {}; give them with --set NAME=VALUE",
                missing
                    .iter()
                    .map(|n| format!("{{?{n}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        ));
    }
    for name in missing {
        eprint!("{}: ", shown(name));
        std::io::stderr().flush()?;
        let mut value = String::new();
        std::io::stdin().read_line(&mut value)?;
        given.insert(
            name.clone(),
            value.trim_end_matches(['\n', '\r']).to_string(),
        );
    }
    Ok(())
}

/// Variables the reply uses that have no value yet (only a built-in pack's example):
/// asked for on a terminal like a prompt (the example as a hint, never as the answer);
/// otherwise, and for an empty answer, the fire is refused with the names and the
/// `qreply vars set` that fixes it. `--set NAME=VALUE` answers one for this fire.
fn ask_unset(store: &Store, s: &Snippet, given: &mut HashMap<String, String>) -> Result<()> {
    let missing: Vec<(String, String)> = store
        .unset_used(s.library_id, &s.parts)?
        .into_iter()
        .filter(|(n, _)| given.get(n).is_none_or(|v| v.trim().is_empty()))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let refuse =
        || quickreply_core::Error::UnsetVariables(missing.iter().map(|(n, _)| n.clone()).collect());
    if !std::io::stdin().is_terminal() {
        return Err(refuse().into());
    }
    for (name, example) in &missing {
        eprint!(
            "{}",
            tr(
                format!("{{{}}} 还没有设置（例：{}）：", shown(name), shown(example)),
                format!(
                    "{{{}}} has no value yet (e.g. {}): ",
                    shown(name),
                    shown(example)
                )
            )
        );
        std::io::stderr().flush()?;
        let mut value = String::new();
        std::io::stdin().read_line(&mut value)?;
        let value = value.trim_end_matches(['\n', '\r']);
        if value.trim().is_empty() {
            return Err(refuse().into());
        }
        given.insert(name.clone(), value.to_string());
        eprintln!(
            "{}",
            tr(
                format!("以后不再询问：qreply vars set {} 值", shown(name)),
                format!("to stop being asked: qreply vars set {} VALUE", shown(name))
            )
        );
    }
    Ok(())
}

/// First run: a store without any reply offers the built-in packs (on stderr, so that
/// scripts reading stdout are not disturbed).
fn offer_builtin(store: &Store) -> Result<()> {
    if store.is_empty()? {
        let n = quickreply_core::builtin::pack("zh-CN")
            .and_then(|p| p.ok())
            .map_or(0, |p| p.snippets.len());
        eprintln!(
            "{}",
            tr(
                format!(
                    "话术库还是空的。导入 {n} 条内置电商客服话术：qreply builtin import zh-CN（英文版：qreply builtin import en）"
                ),
                format!(
                    "Your library is empty. Import {n} built-in e-commerce replies with: qreply builtin import zh-CN (English: qreply builtin import en)"
                )
            )
        );
    }
    Ok(())
}

/// The per-line report of `qreply import`: the reader's remarks (`skipped`: not
/// imported; `note`: imported, with a remark), then the plan's line per reply
/// (`new`/`changed`/`unchanged`/`conflicting` title, folder, origin and note, or `skipped`
/// origin and the store's reason). The preview prints every line; the import, which
/// runs the same plan, prints the same lines except those without a note (plain new and
/// unchanged replies, which its counts sum up).
fn print_import_lines(
    remarks: &[packs::common::Skipped],
    items: &[packs::PlanItem],
    every_line: bool,
) {
    for s in remarks {
        let label = if s.is_note() {
            tr("备注", "note")
        } else {
            tr("跳过", "skipped")
        };
        println!(
            "{label}\t{}\t{}",
            shown(&s.origin.to_string()),
            shown(&s.reason)
        );
    }
    for i in items {
        if !every_line && i.note.is_none() {
            continue;
        }
        let note = i.note.as_deref().unwrap_or_default();
        let status = match i.status {
            packs::Status::New => tr("新增", "new"),
            packs::Status::Changed => tr("更新", "changed"),
            packs::Status::Unchanged => tr("未变", "unchanged"),
            packs::Status::Conflicting => tr("冲突", "conflicting"),
            packs::Status::Skipped => {
                println!(
                    "{}\t{}\t{}",
                    tr("跳过", "skipped"),
                    shown(&i.origin.to_string()),
                    shown(note)
                );
                continue;
            }
        };
        let note = i
            .note
            .as_deref()
            .map(|n| format!("\t{}", shown(n)))
            .unwrap_or_default();
        println!(
            "{status}\t{}\t{}\t{}{note}",
            shown(&i.title),
            shown(&i.folder),
            shown(&i.origin.to_string())
        );
    }
}

fn export_format(format: Option<packs::Format>, output: &std::path::Path) -> packs::Format {
    format
        .or_else(|| packs::Format::from_extension(output))
        .unwrap_or(packs::Format::Qrpack)
}

fn report_export(
    pack: &quickreply_core::source::Pack,
    output: &std::path::Path,
    note: Option<String>,
) {
    if let Some(note) = note {
        eprintln!("{}", shown_text(&note));
    }
    println!(
        "{}",
        tr(
            format!(
                "已导出 {} 条话术、{} 个文件夹到 {}",
                pack.snippets.len(),
                pack.folders.len(),
                output.display()
            ),
            format!(
                "exported {} replies in {} folders to {}",
                pack.snippets.len(),
                pack.folders.len(),
                output.display()
            )
        )
    );
}

fn run(cli: Cli, m: &ArgMatches) -> Result<i32> {
    if let Cmd::HoldClipboard = cli.cmd {
        clipboard::hold()?;
        return Ok(0);
    }
    if let Cmd::Lint {
        path: Some(path),
        platform,
        ..
    } = &cli.cmd
    {
        return Ok(i32::from(lint_path(path, *platform)? > 0));
    }
    if let Cmd::Export {
        output,
        from: Some(from),
        format,
        ..
    } = &cli.cmd
    {
        let pack = source::read_dir(from)?;
        let note = packs::write_path(&pack, None, output, export_format(*format, output))?;
        report_export(&pack, output, note);
        return Ok(0);
    }
    let dir = cli.data_dir.clone().unwrap_or_else(default_data_dir);
    let mut store = Store::open(&dir)?;
    let sub = m.subcommand().map(|(_, m)| m);
    let team = cli.team.as_deref();
    match cli.cmd {
        Cmd::Add {
            title,
            code,
            folder,
            tags,
            apps,
            texts,
            images,
            library,
            json,
        } => {
            let lib = store.library(&library)?;
            let sources = ordered_parts(sub.unwrap_or(m), &texts, &images);
            let parts = build_parts(&store, sources)?;
            let s = store.add_snippet(
                &lib,
                NewSnippet {
                    title,
                    code,
                    tags,
                    apps,
                    folder,
                    parts,
                },
            )?;
            warn_unknown_vars(&store, &s)?;
            if json {
                print_json(&snippet_json(&s))?;
            } else {
                println!("{}", line(&s));
            }
        }
        Cmd::Edit {
            key,
            title,
            code,
            no_code,
            folder,
            tags,
            apps,
            texts,
            images,
            library,
        } => {
            let lib = lib_opt(&store, library.as_deref())?;
            let cur = store.resolve(lib.as_ref(), &key)?;
            let sources = ordered_parts(sub.unwrap_or(m), &texts, &images);
            let parts = if sources.is_empty() {
                None
            } else {
                Some(build_parts(&store, sources)?)
            };
            let code = if no_code { Some(None) } else { code.map(Some) };
            let s = store.edit_snippet(
                cur.id,
                SnippetEdit {
                    title,
                    code,
                    tags,
                    apps,
                    folder,
                    parts,
                },
            )?;
            warn_unknown_vars(&store, &s)?;
            println!("{}", line(&s));
        }
        Cmd::Rm {
            key,
            folder,
            recursive,
            library,
        } => {
            if let Some(folder) = folder {
                let lib = store.library(library.as_deref().unwrap_or(PERSONAL))?;
                let n = store.remove_folder(&lib, &folder, recursive)?;
                println!(
                    "{}",
                    tr(
                        format!("已删除文件夹「{folder}」和 {n} 条话术"),
                        format!("deleted folder \"{folder}\" and {n} replies")
                    )
                );
            } else if let Some(key) = key {
                let lib = lib_opt(&store, library.as_deref())?;
                let s = store.resolve(lib.as_ref(), &key)?;
                store.remove_snippet(s.id)?;
                println!(
                    "{}",
                    tr(
                        format!("已删除「{}」", shown(&s.title)),
                        format!("deleted \"{}\"", shown(&s.title))
                    )
                );
            }
        }
        Cmd::Ls {
            library,
            folder,
            folders,
            json,
        } => {
            let lib = lib_opt(&store, library.as_deref())?;
            if folders {
                let libs = match lib {
                    Some(l) => vec![l],
                    None => store.libraries()?,
                };
                let mut rows = Vec::new();
                for l in &libs {
                    for f in store.folders(l)? {
                        rows.push((l.name.clone(), f));
                    }
                }
                if json {
                    print_json(&json!(rows.iter().map(|(l, f)| json!({"library": l, "path": f.path, "replies": f.snippet_count})).collect::<Vec<_>>()))?;
                } else {
                    for (l, f) in rows {
                        println!("{}/{}\t{}", shown(&l), shown(&f.path), f.snippet_count);
                    }
                }
                return Ok(0);
            }
            let mut list = store.snippets(lib.as_ref())?;
            offer_builtin(&store)?;
            if let Some(folder) = folder {
                let prefix = format!("{folder}/");
                list.retain(|s| s.folder == folder || s.folder.starts_with(&prefix));
            }
            if json {
                print_json(&json!(list.iter().map(snippet_json).collect::<Vec<_>>()))?;
            } else {
                let mut out = stdout::lock();
                for s in &list {
                    writeln!(out, "{}", line(s))?;
                }
            }
        }
        Cmd::Show { key, library, json } => {
            let lib = lib_opt(&store, library.as_deref())?;
            let s = store.resolve(lib.as_ref(), &key)?;
            if json {
                print_json(&snippet_json(&s))?;
            } else {
                println!("{}", line(&s));
                if !s.tags.is_empty() {
                    println!("tags: {}", shown(&s.tags.join(", ")));
                }
                for (i, p) in s.parts.iter().enumerate() {
                    println!("--- {}/{}", i + 1, s.parts.len());
                    match p {
                        Part::Text { body } => println!("{}", shown_text(body)),
                        Part::Image {
                            sha256,
                            mime,
                            width,
                            height,
                        } => println!("[{} {width}×{height} {}]", shown(mime), shown(sha256)),
                    }
                }
            }
        }
        Cmd::Search {
            query,
            library,
            limit,
            json,
        } => {
            let lib = lib_opt(&store, library.as_deref())?;
            let q = query.join(" ");
            offer_builtin(&store)?;
            // The on-disk search cache: one file read instead of every row (see
            // core's store::search_cache), ranked exactly like `Store::search`.
            // `QUICKREPLY_SEARCH_CACHE=0` reads the rows instead (`bench search` compares).
            let opts = SearchOptions {
                library: lib.map(|l| l.id),
                limit,
            };
            let hits = if std::env::var_os("QUICKREPLY_SEARCH_CACHE").is_some_and(|v| v == "0") {
                store.search(&q, &opts)?
            } else {
                store.search_cached(&q, &opts)?
            };
            if hits.is_empty() {
                // The team's "searches that found nothing" (counts; see `usage --missed`).
                store.record_missed_search(&q, None)?;
            }
            let mut out = stdout::lock();
            let mut rows = Vec::new();
            for h in hits {
                let s = store.snippet(h.key)?;
                if json {
                    let mut v = snippet_json(&s);
                    v["score"] = json!(h.score);
                    rows.push(v);
                } else {
                    writeln!(out, "{}", line(&s))?;
                }
            }
            drop(out);
            if json {
                print_json(&json!(rows))?;
            }
        }
        Cmd::Fire {
            key,
            library,
            sets,
            clipboard: to_clipboard,
            part,
            json,
        } => {
            let lib = lib_opt(&store, library.as_deref())?;
            let s = store.resolve(lib.as_ref(), &key)?;
            // 未生效 / 已过期: not sent (the panel does not even list it).
            store.check_in_window(&s, quickreply_core::proto::schedule::now_ms())?;
            let mut given = HashMap::new();
            for kv in &sets {
                let Some((k, v)) = kv.split_once('=') else {
                    bail!(tr(
                        format!("--set 需要 名称=值 的形式，收到「{kv}」"),
                        format!("--set needs NAME=VALUE, got \"{kv}\"")
                    ));
                };
                given.insert(
                    k.trim().trim_start_matches(['?', '？']).to_string(),
                    v.to_string(),
                );
            }
            ask_prompts(&Store::prompts_of(&s)?, &mut given)?;
            ask_unset(&store, &s, &mut given)?;
            let read_clip = clipboard::read_text;
            let rendered = store.render(&s, &given, Some(&read_clip))?;
            if to_clipboard {
                let Some(p) = rendered.get(part.wrapping_sub(1)) else {
                    bail!(tr(
                        format!("这条话术只有 {} 段，没有第 {part} 段", rendered.len()),
                        format!(
                            "this reply has {} parts, there is no part {part}",
                            rendered.len()
                        )
                    ));
                };
                clipboard::put(p)?;
                store.record_fire(s.id)?;
                let next = if part < rendered.len() {
                    tr(
                        format!(
                            "；下一段：qreply fire {key} --clipboard --part {}",
                            part + 1
                        ),
                        format!("; next: qreply fire {key} --clipboard --part {}", part + 1),
                    )
                } else {
                    String::new()
                };
                eprintln!(
                    "{}",
                    tr(
                        format!(
                            "已复制「{}」第 {part}/{} 段到剪贴板{next}",
                            shown(&s.title),
                            rendered.len()
                        ),
                        format!(
                            "copied \"{}\" part {part}/{} to the clipboard{next}",
                            shown(&s.title),
                            rendered.len()
                        )
                    )
                );
                return Ok(0);
            }
            store.record_fire(s.id)?;
            if json {
                let parts: Vec<_> = rendered.iter().map(|r| match r {
                    Rendered::Text(t) => json!({"type": "text", "text": t}),
                    Rendered::Image { path, mime, width, height } => json!({"type": "image", "path": path, "mime": mime, "width": width, "height": height}),
                }).collect();
                print_json(&json!({"id": s.id, "title": s.title, "parts": parts}))?;
            } else {
                // The text itself is the output: exact when piped, escaped on a terminal.
                let tty = std::io::stdout().is_terminal();
                for (i, r) in rendered.iter().enumerate() {
                    if i > 0 {
                        println!();
                    }
                    match r {
                        Rendered::Text(t) if tty => println!("{}", shown_text(t)),
                        Rendered::Text(t) => println!("{t}"),
                        Rendered::Image {
                            path,
                            width,
                            height,
                            ..
                        } => println!(
                            "[{} {width}×{height}: {}]",
                            tr("图片", "image"),
                            path.display()
                        ),
                    }
                }
            }
        }
        Cmd::Compliance { library, cmd } => compliance_cmd::run(&mut store, &library, cmd)?,
        Cmd::Dates { cmd } => dates_cmd::run(&mut store, cmd)?,
        Cmd::Vars { cmd } => match cmd {
            VarsCmd::Set {
                name,
                value,
                library,
                overridable,
                fixed,
            } => {
                let lib = store.library(&library)?;
                store.set_var(&lib, &name, &value)?;
                if overridable || fixed {
                    store.set_var_overridable(&lib, &name, overridable)?;
                }
                println!("{name} = {value}");
            }
            VarsCmd::Unset { name, library } => {
                let lib = store.library(&library)?;
                if !store.unset_var(&lib, &name)? {
                    bail!(tr(
                        format!("话术库 {library} 没有变量 {name}"),
                        format!("library {library} has no variable {name}")
                    ));
                }
            }
            VarsCmd::Ls { library, json } => {
                let libs = match lib_opt(&store, library.as_deref())? {
                    Some(l) => vec![l],
                    None => store.libraries()?,
                };
                let mut rows = Vec::new();
                for l in libs {
                    for v in store.variable_list(&l)? {
                        rows.push((l.name.clone(), v));
                    }
                }
                if json {
                    // An unset variable: `value` is null, its example beside it.
                    print_json(&json!(
                        rows.iter()
                            .map(|(l, v)| json!({
                                "library": l,
                                "name": v.name,
                                "value": (!v.example).then_some(&v.value),
                                "example": v.example.then_some(&v.value),
                                "overridable": v.overridable,
                            }))
                            .collect::<Vec<_>>()
                    ))?;
                } else {
                    let mark = tr("（客服可改）", " (agents may override)");
                    for (l, v) in rows {
                        let value = if v.example {
                            tr(
                                format!("（未设置，例：{}）", shown(&v.value)),
                                format!("(unset, e.g. {})", shown(&v.value)),
                            )
                        } else {
                            shown(&v.value).to_string()
                        };
                        println!(
                            "{}\t{}\t{}{}",
                            shown(&l),
                            shown(&v.name),
                            value,
                            if v.overridable { mark.as_str() } else { "" }
                        );
                    }
                }
            }
        },
        Cmd::Library { cmd } => match cmd {
            LibraryCmd::Ls { json } => {
                let libs = store.libraries()?;
                if json {
                    print_json(&json!(
                        libs.iter()
                            .map(|l| json!({"id": l.id, "name": l.name, "kind": l.kind}))
                            .collect::<Vec<_>>()
                    ))?;
                } else {
                    for l in libs {
                        println!("{}\t{}", shown(&l.name), l.kind.as_str());
                    }
                }
            }
            LibraryCmd::Add { name } => {
                let target = match team {
                    Some(t) => Some(sync::choose_account(&store, Some(t))?),
                    None => None,
                };
                let l = store.create_library(&name, LibraryKind::Team)?;
                if let Some(acc) = target {
                    sync::set_library_account(&store, l.id, Some(acc.id))?;
                }
                println!("{}\t{}", l.name, l.kind.as_str());
            }
        },
        Cmd::Lint {
            library, platform, ..
        } => {
            return Ok(i32::from(
                lint_store(&store, library.as_deref(), platform)? > 0,
            ));
        }
        Cmd::Import {
            path,
            into,
            preview,
            format,
            on_conflict,
        } => {
            let lib = store.library(&into)?;
            let packs::ReadPack { pack, skipped } = packs::read_path(&path, format)?;
            if preview {
                let items = packs::preview(&store, &pack, &lib, on_conflict)?;
                print_import_lines(&skipped, &items, true);
                let n = |s: packs::Status| items.iter().filter(|i| i.status == s).count();
                let not_imported =
                    n(packs::Status::Skipped) + skipped.iter().filter(|s| !s.is_note()).count();
                eprintln!(
                    "{}",
                    tr(
                        format!(
                            "预览（未写入）：新增 {}，更新 {}，未变 {}，跳过 {not_imported}",
                            n(packs::Status::New),
                            n(packs::Status::Changed),
                            n(packs::Status::Unchanged)
                        ),
                        format!(
                            "preview (nothing written): {} new, {} changed, {} unchanged, {not_imported} skipped",
                            n(packs::Status::New),
                            n(packs::Status::Changed),
                            n(packs::Status::Unchanged)
                        )
                    )
                );
                return Ok(0);
            }
            let r = packs::import(&mut store, &pack, &lib, on_conflict)?;
            print_import_lines(&skipped, &r.items, false);
            let not_imported = r.skipped + skipped.iter().filter(|s| !s.is_note()).count();
            println!(
                "{}",
                tr(
                    format!(
                        "导入到 {into}：新增 {}，更新 {}，未变 {}，新变量 {}，跳过 {not_imported}",
                        r.added, r.updated, r.unchanged, r.variables_added
                    ),
                    format!(
                        "imported into {into}: {} added, {} updated, {} unchanged, {} new variables, {not_imported} skipped",
                        r.added, r.updated, r.unchanged, r.variables_added
                    )
                )
            );
        }
        Cmd::Export {
            output,
            library,
            format,
            ..
        } => {
            let lib = store.library(&library)?;
            let pack = packs::from_library(&store, &lib)?;
            let note = packs::write_path(
                &pack,
                Some(store.blobs()),
                &output,
                export_format(format, &output),
            )?;
            report_export(&pack, &output, note);
        }
        Cmd::Builtin { cmd } => match cmd {
            BuiltinCmd::Ls => {
                for lang in quickreply_core::builtin::languages() {
                    let p = builtin_pack(lang)?;
                    println!("{lang}\t{}\t{}", p.snippets.len(), p.meta.name);
                }
            }
            BuiltinCmd::Import { pack: lang, into } => {
                let lib = store.library(&into)?;
                let pack = builtin_pack(&lang)?;
                let r = packs::import(&mut store, &pack, &lib, packs::Policy::KeepBoth)?;
                println!(
                    "{}",
                    tr(
                        format!(
                            "已导入内置话术 {lang} 到 {into}：新增 {}，未变 {}，新变量 {}；用 qreply vars ls 查看并修改店铺信息",
                            r.added, r.unchanged, r.variables_added
                        ),
                        format!(
                            "imported the built-in {lang} replies into {into}: {} added, {} unchanged, {} new variables; see and adapt the shop facts with qreply vars ls",
                            r.added, r.unchanged, r.variables_added
                        )
                    )
                );
            }
        },
        Cmd::Join {
            server,
            code,
            device,
            name,
        } => sync_cmd::join(&mut store, &server, &code, device, name)?,
        Cmd::Signin {
            server,
            device,
            name,
            with: None,
        } => sync_cmd::signin(&mut store, &server, device, name)?,
        Cmd::Signin {
            server,
            device,
            name,
            with: Some(provider),
        } => scan_cmd::signin(&mut store, &server, provider, device, name)?,
        Cmd::Link { provider, unlink } => scan_cmd::link(&store, team, provider, unlink)?,
        Cmd::Approve {
            code,
            member,
            deny,
            yes,
        } => sync_cmd::approve(&store, team, &code, member, deny, yes)?,
        Cmd::History {
            reply,
            library,
            json,
        } => {
            let lib = lib_opt(&store, library.as_deref())?;
            let s = store.resolve(lib.as_ref(), &reply)?;
            sync_cmd::history(&store, &s, json)?;
        }
        Cmd::Restore {
            reply,
            version,
            library,
        } => {
            let lib = lib_opt(&store, library.as_deref())?;
            let s = store.resolve(lib.as_ref(), &reply)?;
            sync_cmd::restore(&mut store, &s, version)?;
        }
        Cmd::Invite {
            role,
            uses,
            expires,
            pairing,
        } => sync_cmd::invite(&store, team, role, uses, expires, pairing)?,
        Cmd::Sync { watch } => sync_cmd::sync(&mut store, &dir, team, watch)?,
        Cmd::Status { json } => return sync_cmd::status(&mut store, team, json),
        Cmd::Refused { action, json } => return sync_cmd::refused(&mut store, action, json),
        Cmd::Devices { revoke, json } => sync_cmd::devices(&store, team, revoke, json)?,
        Cmd::Suggest {
            reply,
            new,
            library,
            title,
            body,
            file,
            note,
        } => suggest_cmd::suggest(
            &mut store,
            suggest_cmd::Suggest {
                reply,
                new,
                library,
                title,
                body,
                file,
                note,
            },
        )?,
        Cmd::Suggestions { cmd, json } => suggest_cmd::suggestions(&mut store, cmd, json)?,
        Cmd::Codes { cmd: None, json } => sync_cmd::codes(&store, team, json)?,
        Cmd::Codes {
            cmd: Some(CodesCmd::Cancel { id }),
            ..
        } => sync_cmd::cancel_code(&store, team, &id)?,
        Cmd::Members { cmd: None, json } => sync_cmd::members(&store, team, json)?,
        Cmd::Members {
            cmd: Some(MembersCmd::Remove { who, yes }),
            ..
        } => sync_cmd::remove_member(&store, team, &who, yes)?,
        Cmd::Stale {
            library,
            days,
            archive,
            json,
        } => stale_cmd::stale(&store, &library, days, archive, json)?,
        Cmd::Usage {
            missed: true,
            days,
            json,
            ..
        } => sync_cmd::missed(&store, team, days, json)?,
        Cmd::Usage {
            library,
            days,
            json,
            ..
        } => sync_cmd::usage(&store, &library, days, json)?,
        Cmd::Leave => sync_cmd::leave(&mut store, team)?,
        Cmd::HoldClipboard => {}
    }
    Ok(0)
}

fn main() {
    let m = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&m) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    if let Some(l) = cli.lang.as_deref() {
        i18n::set_lang(if l.to_ascii_lowercase().starts_with("en") {
            Lang::En
        } else {
            Lang::Zh
        });
    }
    match run(cli, &m) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            // Core errors already include their cause in their message: print each
            // cause of the chain only when it adds something.
            let mut msg = e.to_string();
            for cause in e.chain().skip(1) {
                let c = cause.to_string();
                if !msg.contains(&c) {
                    msg = format!("{msg}: {c}");
                }
            }
            // Messages may quote a server or a teammate (names, titles): escaped.
            eprintln!("{}: {}", tr("错误", "error"), shown_text(&msg));
            std::process::exit(1);
        }
    }
}

//! `qreply suggest` and `qreply suggestions`: agents' suggestions (建议修改 / 建议新增)
//! over `quickreply_sync::suggest`. A suggestion is queued on this computer and sent at
//! once if the server can be reached, else with the next sync; a lead accepts or
//! declines it from the list.

use std::path::Path;

use anyhow::{Result, bail};
use quickreply_core::i18n::tr;
use quickreply_core::proto::{Part, SnippetDoc};
use quickreply_core::store::Store;
use quickreply_sync::{self as sync, LocalSuggestion, SuggestionState};
use uuid::Uuid;

use crate::args::SuggestionsCmd;
use crate::shown::{json_text, shown, shown_text};
use crate::sync_cmd::local_time;

/// The proposed text: `--body`, or the file of `--file`.
fn text_of(body: Option<String>, file: Option<&Path>) -> Result<Option<String>> {
    match (body, file) {
        (Some(b), _) => Ok(Some(b)),
        (None, Some(path)) => match std::fs::read_to_string(path) {
            Ok(t) => Ok(Some(t.trim_end_matches(['\n', '\r']).to_string())),
            Err(e) => bail!(tr(
                format!("读不了文件 {}：{e}", path.display()),
                format!("cannot read the file {}: {e}", path.display())
            )),
        },
        (None, None) => Ok(None),
    }
}

/// `doc` with its text replaced by `body` (one text part first; images stay).
fn with_text(doc: &SnippetDoc, body: &str) -> SnippetDoc {
    let mut parts = vec![Part::Text {
        body: body.to_string(),
    }];
    parts.extend(
        doc.parts
            .iter()
            .filter(|p| matches!(p, Part::Image { .. }))
            .cloned(),
    );
    SnippetDoc {
        parts,
        ..doc.clone()
    }
}

/// The text parts of a reply, joined by blank lines.
fn body(doc: &SnippetDoc) -> String {
    doc.parts
        .iter()
        .filter_map(Part::text)
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Arguments of `qreply suggest`.
pub struct Suggest {
    pub reply: Option<String>,
    pub new: bool,
    pub library: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub file: Option<std::path::PathBuf>,
    pub note: String,
}

pub fn suggest(store: &mut Store, a: Suggest) -> Result<()> {
    let text = text_of(a.body, a.file.as_deref())?;
    let (library, doc) = if a.new {
        let Some(name) = a.library.as_deref() else {
            bail!(tr(
                "建议新增要指明团队话术库：--library 名称",
                "a new reply needs its team library: --library NAME"
            ));
        };
        let (Some(title), Some(text)) = (a.title.clone(), text.clone()) else {
            bail!(tr(
                "建议新增要有标题和内容：--title … --body …（或 --file 文件）",
                "a new reply needs a title and a text: --title … --body … (or --file FILE)"
            ));
        };
        let lib = store.library(name)?;
        let doc = SnippetDoc {
            id: Uuid::now_v7(),
            folder_id: None,
            title,
            code: None,
            tags: Vec::new(),
            parts: vec![Part::Text { body: text }],
            apps: Vec::new(),
            position: 0,
            starts_at: None,
            ends_at: None,
        };
        (lib.id, doc)
    } else {
        let lib = match a.library.as_deref() {
            Some(n) => Some(store.library(n)?),
            None => None,
        };
        let reply = a.reply.unwrap_or_default();
        let s = store.resolve(lib.as_ref(), &reply)?;
        let mut doc = sync::reply_doc(store, s.library_id, s.id)?;
        if text.is_none() && a.title.is_none() {
            bail!(tr(
                "要建议改成什么？用 --body 文本、--file 文件 或 --title 标题",
                "what should it become? give --body TEXT, --file FILE or --title TITLE"
            ));
        }
        if let Some(t) = &text {
            doc = with_text(&doc, t);
        }
        if let Some(t) = a.title {
            doc.title = t;
        }
        (s.library_id, doc)
    };
    let title = doc.title.clone();
    let id = sync::suggest(store, library, doc, &a.note)?;
    let short = sync::short_id(id);
    // Sent at once when the server can be reached; otherwise it waits, safely.
    let account = sync::find_suggestion(store, &short)?.account;
    match sync::sync_account(store, account) {
        Ok(_) => println!(
            "{}",
            tr(
                format!("已提交建议 {short}：「{}」，等组长审核", shown(&title)),
                format!(
                    "suggestion {short} sent: \"{}\", waiting for a lead",
                    shown(&title)
                )
            )
        ),
        Err(e) => println!(
            "{}",
            tr(
                format!(
                    "已记下建议 {short}：「{}」，联网同步时发送（{}）",
                    shown(&title),
                    shown_text(&e.to_string())
                ),
                format!(
                    "suggestion {short} kept: \"{}\", sent with the next sync ({})",
                    shown(&title),
                    shown_text(&e.to_string())
                )
            )
        ),
    }
    Ok(())
}

pub fn suggestions(store: &mut Store, cmd: Option<SuggestionsCmd>, json_out: bool) -> Result<()> {
    match cmd {
        None => list(store, json_out),
        Some(SuggestionsCmd::Accept {
            id,
            body,
            file,
            comment,
        }) => {
            let s = sync::find_suggestion(store, &id)?;
            let edited = text_of(body, file.as_deref())?.map(|t| with_text(&s.doc, &t));
            let done = sync::accept(store, s.id, edited, comment)?;
            // The written reply comes back with a sync.
            let synced = sync::sync_account(store, s.account);
            println!(
                "{}",
                tr(
                    format!(
                        "已采纳 {} 的建议「{}」（第 {} 版）",
                        shown(&done.author_name),
                        shown(&done.doc.title),
                        done.result_version.unwrap_or_default()
                    ),
                    format!(
                        "accepted {}'s suggestion \"{}\" (version {})",
                        shown(&done.author_name),
                        shown(&done.doc.title),
                        done.result_version.unwrap_or_default()
                    )
                )
            );
            synced?;
            Ok(())
        }
        Some(SuggestionsCmd::Decline { id, comment }) => {
            let s = sync::find_suggestion(store, &id)?;
            let done = sync::decline(store, s.id, &comment)?;
            println!(
                "{}",
                tr(
                    format!("已拒绝 {} 的建议", shown(&done.author_name)),
                    format!("declined {}'s suggestion", shown(&done.author_name))
                )
            );
            Ok(())
        }
        Some(SuggestionsCmd::Withdraw { id }) => {
            let s = sync::find_suggestion(store, &id)?;
            sync::withdraw(store, s.id)?;
            println!("{}", tr("已撤回这条建议", "suggestion withdrawn"));
            Ok(())
        }
    }
}

fn list(store: &mut Store, json_out: bool) -> Result<()> {
    // Fresh when the server can be reached; the last list otherwise.
    let offline = sync::sync_once(store).err();
    let all = sync::suggestions(store)?;
    if json_out {
        println!("{}", json_text(&serde_json::to_value(&all)?)?);
        return Ok(());
    }
    if let Some(e) = offline {
        eprintln!(
            "{}",
            tr(
                format!("（连不上服务器，显示上次同步时的内容：{e}）"),
                format!("(the server cannot be reached: as of the last sync: {e})")
            )
        );
    }
    if all.is_empty() {
        println!("{}", tr("没有建议", "no suggestions"));
    }
    for s in &all {
        print_one(s);
    }
    Ok(())
}

fn print_one(s: &LocalSuggestion) {
    let kind = if s.base_version == 0 {
        tr("建议新增", "new reply")
    } else {
        tr("建议修改", "change")
    };
    let who = s
        .server
        .as_ref()
        .map(|x| format!("{} · {}", shown(&x.author_name), shown(&x.author_device)))
        .unwrap_or_else(|| tr("我", "me"));
    println!(
        "[{}] {}  {} · {}（{kind}，{who}，{}）",
        sync::short_id(s.id),
        s.state.label(),
        shown(&s.library_name),
        shown(&s.doc.title),
        local_time(s.created_at)
    );
    if !s.note.is_empty() {
        println!("    {}{}", tr("说明：", "note: "), shown(&s.note));
    }
    if let Some(server) = &s.server
        && s.state == SuggestionState::Pending
    {
        if let Some(current) = &server.current {
            println!(
                "    {}{}",
                tr("现在：", "now:      "),
                shown(&body(current))
            );
        }
        if server.changed_since_base() && s.base_version > 0 {
            println!(
                "    {}",
                tr(
                    "（提建议之后这条话术又被改过）",
                    "(the reply changed after the suggestion was made)"
                )
            );
        }
    }
    println!("    {}{}", tr("建议：", "proposed: "), shown(&body(&s.doc)));
    if let Some(e) = &s.error {
        println!("    {}{}", tr("原因：", "reason: "), shown_text(e));
    }
    if let Some(server) = &s.server
        && let Some(c) = &server.comment
    {
        println!(
            "    {}{}（{}）",
            tr("组长回复：", "lead's comment: "),
            shown(c),
            shown(server.decided_by_name.as_deref().unwrap_or_default())
        );
    }
}

//! `qreply dates`: campaign dates (生效 / 失效) of replies and folders, typed in Beijing
//! time (see `quickreply_proto::schedule`), and the list of dated replies.

use std::io::Write;

use anyhow::{Result, anyhow};
use quickreply_core::i18n::tr;
use quickreply_core::proto::schedule::{
    DateError, Status, Window, display_end, display_start, now_ms, parse_end_input,
    parse_start_input,
};
use quickreply_core::store::PERSONAL;
use quickreply_core::{Library, Store};
use serde_json::json;

use crate::args::DatesCmd;
use crate::shown::shown;

fn date_error(e: DateError) -> anyhow::Error {
    anyhow!(tr(e.zh(), e.en()))
}

/// A typed date replacing a stored one: `None` keeps it, `""` clears it.
fn typed(
    given: Option<&str>,
    stored: Option<String>,
    parse: fn(&str) -> Result<Option<String>, DateError>,
) -> Result<Option<String>> {
    match given {
        None => Ok(stored),
        Some(s) => parse(s).map_err(date_error),
    }
}

fn status_word(s: Status) -> String {
    tr(s.zh(), s.en())
}

/// `2026-11-11 → 2026-11-12`, open sides as `…`.
fn span(start: Option<&str>, end: Option<&str>) -> String {
    format!(
        "{} → {}",
        start.map_or_else(|| "…".to_string(), display_start),
        end.map_or_else(|| "…".to_string(), display_end)
    )
}

pub(crate) fn run(store: &mut Store, cmd: DatesCmd) -> Result<()> {
    match cmd {
        DatesCmd::Set {
            key,
            folder,
            from,
            until,
            library,
        } => {
            if folder {
                let lib = store.library(library.as_deref().unwrap_or(PERSONAL))?;
                let path = key.trim().trim_matches('/');
                let f = store
                    .folders(&lib)?
                    .into_iter()
                    .find(|f| f.path == path)
                    .ok_or_else(|| quickreply_core::Error::NoSuchFolder(path.to_string()))?;
                let s = typed(from.as_deref(), f.starts_at, parse_start_input)?;
                let e = typed(until.as_deref(), f.ends_at, parse_end_input)?;
                Window::of(s.as_deref(), e.as_deref()).map_err(date_error)?;
                store.set_folder_dates(f.id, s.as_deref(), e.as_deref())?;
                println!(
                    "{}",
                    tr(
                        format!(
                            "文件夹「{}」：{}（北京时间）",
                            shown(path),
                            span(s.as_deref(), e.as_deref())
                        ),
                        format!(
                            "folder \"{}\": {} (Beijing time)",
                            shown(path),
                            span(s.as_deref(), e.as_deref())
                        ),
                    )
                );
            } else {
                let lib = match library.as_deref() {
                    Some(l) => Some(store.library(l)?),
                    None => None,
                };
                let r = store.resolve(lib.as_ref(), &key)?;
                let s = typed(from.as_deref(), r.starts_at.clone(), parse_start_input)?;
                let e = typed(until.as_deref(), r.ends_at.clone(), parse_end_input)?;
                Window::of(s.as_deref(), e.as_deref()).map_err(date_error)?;
                let r = store.set_reply_dates(r.id, s.as_deref(), e.as_deref())?;
                let status = store.reply_window(r.id)?.status(now_ms());
                println!(
                    "{}",
                    tr(
                        format!(
                            "「{}」：{}（北京时间），{}",
                            shown(&r.title),
                            span(s.as_deref(), e.as_deref()),
                            status_word(status)
                        ),
                        format!(
                            "\"{}\": {} (Beijing time), {}",
                            shown(&r.title),
                            span(s.as_deref(), e.as_deref()),
                            status_word(status)
                        ),
                    )
                );
            }
        }
        DatesCmd::Ls { library, json } => {
            let libs: Vec<Library> = match library.as_deref() {
                Some(l) => vec![store.library(l)?],
                None => store.libraries()?,
            };
            let now = now_ms();
            let mut rows = Vec::new();
            let mut out = crate::stdout::lock();
            for lib in &libs {
                for d in store.dated_replies(lib, now)? {
                    if json {
                        rows.push(json!({
                            "id": d.id,
                            "library": lib.name,
                            "title": d.title,
                            "code": d.code,
                            "status": d.status,
                            "from": d.shown_start(),
                            "until": d.shown_end(),
                        }));
                    } else {
                        writeln!(
                            out,
                            "{}\t{}\t{} → {}\t{}/{}",
                            status_word(d.status),
                            shown(&d.title),
                            d.shown_start().unwrap_or_else(|| "…".into()),
                            d.shown_end().unwrap_or_else(|| "…".into()),
                            shown(&lib.name),
                            d.code.as_deref().map(shown).unwrap_or_default()
                        )?;
                    }
                }
            }
            if json {
                writeln!(
                    out,
                    "{}",
                    crate::shown::json_text(&serde_json::Value::Array(rows))?
                )?;
            }
        }
    }
    Ok(())
}

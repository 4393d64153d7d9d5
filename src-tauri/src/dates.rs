//! Campaign dates (生效 / 失效) in the editor: a reply's and its folder's dates as a lead
//! types them (Beijing time, see `quickreply_proto::schedule`), setting them, and where
//! each dated reply of a library stands (the tree's 未生效 / 已过期 groups). The panel
//! leaves out-of-date replies out at every search (`App::search`).

use std::collections::HashMap;

use quickreply_core::i18n::tr;
use quickreply_core::proto::schedule::{
    DateError, Status, display_end, display_start, now_ms, parse_inputs,
};
use serde::Serialize;
use tauri::State;

use crate::app::App;
use crate::ipc::{Res, err, parse_id};

fn date_error(e: DateError) -> String {
    tr(e.zh(), e.en())
}

/// Where a dated reply stands and its window as shown (`2026-11-01 → 2026-11-12`).
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DatedView {
    pub status: Status,
    /// 生效 as typed (team zone), if bounded.
    pub start: Option<String>,
    /// 失效 as typed: the last day shown, or the moment it goes.
    pub end: Option<String>,
}

/// The dates of a reply in the editor: its own (as typed), its folder's, and the window
/// that counts with where it stands now.
#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ReplyDates {
    start: String,
    end: String,
    folder: String,
    folder_start: String,
    folder_end: String,
    /// The window that counts (own ∩ folders'), `None` when always shown.
    effective: Option<DatedView>,
}

/// The dated replies of a library, by id (for the tree).
pub fn dated_map(app: &App, library: &str) -> Res<HashMap<String, DatedView>> {
    let inner = app.lock().map_err(err)?;
    let lib = inner.store.library(library).map_err(err)?;
    Ok(inner
        .store
        .dated_replies(&lib, now_ms())
        .map_err(err)?
        .into_iter()
        .map(|d| {
            let v = DatedView {
                status: d.status,
                start: d.shown_start(),
                end: d.shown_end(),
            };
            (d.id.to_string(), v)
        })
        .collect())
}

fn reply_dates_of(app: &App, id: uuid::Uuid) -> Res<ReplyDates> {
    let inner = app.lock().map_err(err)?;
    let s = inner.store.snippet(id).map_err(err)?;
    let lib = inner.store.library(&s.library).map_err(err)?;
    let folder = inner
        .store
        .folders(&lib)
        .map_err(err)?
        .into_iter()
        .find(|f| f.path == s.folder);
    let w = inner.store.reply_window(id).map_err(err)?;
    let shown = |v: &Option<String>, f: fn(&str) -> String| v.as_deref().map(f).unwrap_or_default();
    Ok(ReplyDates {
        start: shown(&s.starts_at, display_start),
        end: shown(&s.ends_at, display_end),
        folder_start: folder
            .as_ref()
            .map(|f| shown(&f.starts_at, display_start))
            .unwrap_or_default(),
        folder_end: folder
            .as_ref()
            .map(|f| shown(&f.ends_at, display_end))
            .unwrap_or_default(),
        folder: s.folder,
        effective: (!w.is_open()).then(|| {
            let stored = |ms: i64| {
                quickreply_core::proto::schedule::format_instant(
                    ms,
                    quickreply_core::proto::schedule::TEAM_OFFSET_MINUTES,
                )
            };
            DatedView {
                status: w.status(now_ms()),
                start: w.start.map(|ms| display_start(&stored(ms))),
                end: w.end.map(|ms| display_end(&stored(ms))),
            }
        }),
    })
}

#[tauri::command]
pub fn reply_dates(app: State<'_, App>, id: String) -> Res<ReplyDates> {
    reply_dates_of(&app, parse_id(&id)?)
}

/// Set a reply's own dates as typed (empty: none); answers its dates as now stored.
#[tauri::command]
pub fn set_reply_dates(
    app: State<'_, App>,
    id: String,
    start: String,
    end: String,
) -> Res<ReplyDates> {
    let id = parse_id(&id)?;
    let (s, e) = parse_inputs(&start, &end).map_err(date_error)?;
    {
        let mut inner = app.lock().map_err(err)?;
        inner
            .store
            .set_reply_dates(id, s.as_deref(), e.as_deref())
            .map_err(err)?;
    }
    reply_dates_of(&app, id)
}

/// Set the dates of a reply's folder (they apply to everything inside it); answers the
/// reply's dates as now stored.
#[tauri::command]
pub fn set_folder_dates(
    app: State<'_, App>,
    id: String,
    start: String,
    end: String,
) -> Res<ReplyDates> {
    let id = parse_id(&id)?;
    let (s, e) = parse_inputs(&start, &end).map_err(date_error)?;
    {
        let mut inner = app.lock().map_err(err)?;
        let reply = inner.store.snippet(id).map_err(err)?;
        let lib = inner.store.library(&reply.library).map_err(err)?;
        let folder = inner
            .store
            .folders(&lib)
            .map_err(err)?
            .into_iter()
            .find(|f| f.path == reply.folder)
            .ok_or_else(|| {
                tr(
                    "这条话术在根目录：根目录不能设日期，请给话术本身设",
                    "this reply is at the root, which has no dates: set the reply's own",
                )
            })?;
        inner
            .store
            .set_folder_dates(folder.id, s.as_deref(), e.as_deref())
            .map_err(err)?;
    }
    reply_dates_of(&app, id)
}

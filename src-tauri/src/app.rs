//! The app's state and what the panel does with it. Tauri commands (`commands.rs`),
//! global hotkeys and the tray all call into here; the logic itself lives in `core`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use anyhow::{Result, anyhow};
use quickreply_core::fire::{Queue, Step, prefer};
use quickreply_core::i18n::{Lang, switch_lang, tr};
use quickreply_core::missed::MissTracker;
use quickreply_core::proto::{LibraryKind, Part};
use quickreply_core::search::{Synonyms, marks};
use quickreply_core::settings::{Scope, Settings, WindowMode, settings_path};
use quickreply_core::{Rendered, SearchIndex, SearchOptions, Snippet, Store};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, PhysicalPosition, PhysicalSize, WebviewWindow};
use uuid::Uuid;

use quickreply_desktop::clipboard::Clipboard;
use quickreply_desktop::{Desktop, WindowInfo};

pub const PANEL: &str = "panel";
/// The panel window's title (`tauri.conf.json`): how the desktop side tells it from the
/// editor, settings and note windows (`Desktop::focus_own`).
pub const PANEL_TITLE: &str = "QuickReply";

pub struct Inner {
    pub store: Store,
    index: SearchIndex,
    index_version: i64,
    /// False while the search index is being built after start-up ([`spawn_index`]): the
    /// panel is shown at once and searches go to the store meanwhile (same ranking).
    index_ready: bool,
    /// Replies this process changed (or fired) while the index was being built: brought
    /// up to date in it when it lands.
    index_pending: Vec<Uuid>,
    pub settings: Settings,
    pub queue: Queue,
    /// The chat window the panel serves (the active one when it was opened or docked).
    pub target: Option<WindowInfo>,
    /// Whether the panel's current search found nothing (the team's report of searches
    /// that found nothing).
    pub misses: MissTracker,
}

pub struct App {
    pub data_dir: PathBuf,
    inner: Mutex<Inner>,
    pub desktop: Mutex<Option<Box<dyn Desktop>>>,
    /// Why there is no desktop integration, for the settings window.
    pub desktop_note: Option<String>,
    pub clipboard: Clipboard,
    /// A problem found at start-up (an unreadable settings file, a hotkey another program
    /// holds), shown in the panel until the settings are saved.
    pub startup_note: Mutex<Option<String>>,
    /// The background sync's last state, `None` when this computer has not joined.
    pub sync: Mutex<Option<SyncView>>,
}

/// What the panel's sync indicator shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncView {
    /// `ok`, `offline`, `conflict`, `refused`, `signedOut` or `error`.
    pub state: String,
    /// Details for the tooltip: the server, conflict titles, the error.
    pub detail: String,
    /// Unix ms of the last successful round.
    pub last_ok: Option<i64>,
    /// Local changes not yet on the server (the indicator says "syncing", or offline
    /// with N changes kept here).
    pub pending: usize,
    /// Local changes refused (by the server, or by the shared limits before sending) and
    /// kept here until they are fixed, retried or discarded: while there are any, the
    /// indicator says so (state `refused`) whatever the last round did.
    pub refused: usize,
    /// With several teams joined, the team whose state is shown (the worst), unless all
    /// are up to date.
    pub team: Option<String>,
    /// Items this computer could not take from a server (an image missing there or no
    /// image), of every team: the rest is synced, they are tried at every sync.
    pub skipped: usize,
    /// The first of their titles ([`crate::sync::SHOWN_SKIPPED`]).
    pub skipped_titles: Vec<String>,
}

/// A search hit as the panel lists it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HitView {
    pub id: String,
    pub title: String,
    pub code: Option<String>,
    pub folder: String,
    pub library: String,
    pub team: bool,
    /// The first text part, one line, with the variables filled in that are known before
    /// the fire ([`quickreply_core::template::fill_for_display`]).
    pub preview: String,
    /// `text` / `image` per part, in order.
    pub parts: Vec<&'static str>,
    pub favourite: Option<String>,
    /// The sha256 of the first image part, for the row's thumbnail (`image_bytes`).
    pub thumb: Option<String>,
    /// Why it matched: character ranges `[start, end)` of `title` and of `preview` the
    /// query found ([`quickreply_core::search::marks`]), drawn highlighted.
    pub title_marks: Vec<(u32, u32)>,
    pub preview_marks: Vec<(u32, u32)>,
}

/// A rendered part for the panel's preview.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum PartView {
    /// `marks`: the `[start, end)` character ranges the panel's query found in the text
    /// ([`quickreply_core::search::marks`]), drawn highlighted like the row's.
    Text {
        text: String,
        marks: Vec<(u32, u32)>,
    },
    /// `sha256` names the stored image, for its thumbnail (`image_bytes`).
    Image {
        width: u32,
        height: u32,
        sha256: String,
    },
}

impl PartView {
    /// The view of `part` rendered as `r`.
    pub fn of(part: &Part, r: Rendered) -> PartView {
        match r {
            Rendered::Text(text) => PartView::Text {
                text,
                marks: Vec::new(),
            },
            Rendered::Image { width, height, .. } => PartView::Image {
                width,
                height,
                sha256: match part {
                    Part::Image { sha256, .. } => sha256.clone(),
                    Part::Text { .. } => String::new(),
                },
            },
        }
    }

    /// Rendered `parts`, each with the part it came from.
    pub fn all(parts: &[Part], rendered: Vec<Rendered>) -> Vec<PartView> {
        parts
            .iter()
            .zip(rendered)
            .map(|(p, r)| PartView::of(p, r))
            .collect()
    }

    /// The view with the ranges of its text that `query` found marked (none for an
    /// empty query or an image).
    pub fn marked(mut self, query: &str, synonyms: &Synonyms) -> PartView {
        if let PartView::Text { text, marks: m } = &mut self {
            *m = marks(query.trim(), text, synonyms);
        }
        self
    }
}

/// The one-line previews of the listed replies, each library's variables read once per
/// search.
#[derive(Default)]
struct RowPreviews {
    vars: HashMap<Uuid, HashMap<String, String>>,
}

impl RowPreviews {
    /// The first text part of `s` on one line (at most 90 characters), its variables
    /// filled in as far as they are known before the fire.
    fn of(&mut self, store: &Store, s: &Snippet) -> String {
        let Some(body) = s.parts.iter().find_map(Part::text) else {
            return String::new();
        };
        let vars = self
            .vars
            .entry(s.library_id)
            .or_insert_with(|| store.effective_vars(s.library_id).unwrap_or_default());
        let prompts = HashMap::new();
        let ctx = quickreply_core::template::RenderContext {
            vars,
            prompts: &prompts,
            now: chrono::Local::now(),
            clipboard: None,
        };
        one_line(&quickreply_core::template::fill_for_display(body, &ctx))
    }
}

/// Text on one line of at most 90 characters.
fn one_line(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(90)
        .collect()
}

/// What a fire did.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FireOutcome {
    pub title: String,
    /// The part now on the clipboard (1-based) and the count; with auto-paste every part
    /// was pasted and `index == total`.
    pub index: usize,
    pub total: usize,
    pub pasted: bool,
}

/// What the panel shows around the list.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PanelState {
    pub settings: Settings,
    pub queue_title: String,
    pub queue_index: usize,
    pub queue_total: usize,
    pub target_title: Option<String>,
    pub target_id: Option<u64>,
    pub profile: Option<String>,
    pub desktop_note: Option<String>,
    pub note: Option<String>,
    pub count: usize,
    pub sync: Option<SyncView>,
    /// A part of the last reply still waiting for the next-part hotkey.
    pub queue_note: Option<crate::note::QueueNote>,
}

fn lang_of(settings: &Settings) -> Lang {
    if settings.language == "en" {
        Lang::En
    } else {
        Lang::Zh
    }
}

/// The store in `data_dir`. One whose database file had been emptied (a full disk, a
/// crash) is set aside by the store and opened afresh here, and the panel's startup note
/// says what happened and where the empty file was kept: a GUI app's error on stderr
/// would reach nobody, and the next start would open an empty library without a word.
fn open_store(data_dir: &std::path::Path, note: &mut Option<String>) -> Result<Store> {
    match Store::open(data_dir) {
        Err(e @ quickreply_core::Error::EmptyStore { .. }) => {
            *note = Some(e.to_string());
            Ok(Store::open(data_dir)?)
        }
        opened => Ok(opened?),
    }
}

impl App {
    /// Open the store (seeding it with the built-in replies on first run) and the settings.
    pub fn open(data_dir: PathBuf) -> Result<App> {
        let mut startup_note = None;
        let settings = match Settings::load(&settings_path(&data_dir)) {
            Ok(s) => s,
            Err(e) => {
                startup_note = Some(e.to_string());
                Settings::default()
            }
        };
        switch_lang(lang_of(&settings));
        let mut store = open_store(&data_dir, &mut startup_note)?;
        if store.is_empty()? {
            let lang = if settings.language == "en" {
                "en"
            } else {
                "zh-CN"
            };
            if let Some(pack) = quickreply_core::builtin::pack(lang) {
                let lib = store.library(quickreply_core::store::PERSONAL)?;
                quickreply_core::packs::import(
                    &mut store,
                    &pack?,
                    &lib,
                    quickreply_core::packs::Policy::KeepBoth,
                )?;
            }
        }
        // The search index is built in the background once the window is up
        // ([`spawn_index`]): with 100 000 replies it takes longer than the whole rest of
        // the start.
        let index = SearchIndex::default();
        let index_version = store.data_version()?;
        let (desktop, desktop_note) = match quickreply_desktop::connect() {
            Ok(d) => (Some(d), None),
            Err(e) => (None, Some(e)),
        };
        Ok(App {
            data_dir,
            inner: Mutex::new(Inner {
                store,
                index,
                index_version,
                index_ready: false,
                index_pending: Vec::new(),
                settings,
                queue: Queue::default(),
                target: None,
                misses: MissTracker::new(),
            }),
            desktop: Mutex::new(desktop),
            desktop_note,
            clipboard: Clipboard::default(),
            startup_note: Mutex::new(startup_note),
            sync: Mutex::new(None),
        })
    }

    pub fn lock(&self) -> Result<MutexGuard<'_, Inner>> {
        self.inner
            .lock()
            .map_err(|_| anyhow!("state lock poisoned"))
    }

    pub fn with_desktop<T>(&self, f: impl FnOnce(&mut dyn Desktop) -> T) -> Option<T> {
        let mut d = self.desktop.lock().ok()?;
        d.as_mut().map(|d| f(d.as_mut()))
    }

    pub fn settings(&self) -> Settings {
        self.lock().map(|i| i.settings.clone()).unwrap_or_default()
    }

    pub fn state(&self) -> Result<PanelState> {
        let inner = self.lock()?;
        let (i, n) = inner.queue.position();
        let profile = inner.target.as_ref().and_then(|t| {
            inner
                .settings
                .profile_for(&t.name_refs(), &t.title)
                .map(|p| p.name.clone())
        });
        Ok(PanelState {
            settings: inner.settings.clone(),
            queue_title: inner.queue.title.clone(),
            queue_index: i,
            queue_total: n,
            target_title: inner.target.as_ref().map(|t| t.title.clone()),
            target_id: inner.target.as_ref().map(|t| t.id),
            profile,
            desktop_note: self.desktop_note.clone(),
            note: self.startup_note.lock().ok().and_then(|n| n.clone()),
            count: if inner.index_ready {
                inner.index.len()
            } else {
                inner.store.reply_count()?
            },
            queue_note: crate::note::note_of(&inner),
            sync: self.sync.lock().ok().and_then(|s| s.clone()).map(|mut v| {
                v.pending = quickreply_sync::pending(&inner.store).unwrap_or(v.pending);
                v
            }),
        })
    }

    /// Reload the search index when another process (the CLI, a sync) changed the store.
    pub fn refresh(&self) -> Result<()> {
        let mut inner = self.lock()?;
        let v = inner.store.data_version()?;
        if v != inner.index_version {
            inner.index = inner.store.search_index()?;
            inner.index_version = v;
            inner.index_ready = true;
            inner.index_pending.clear();
        }
        Ok(())
    }

    /// Build the search index on a connection of its own and put it in place (the
    /// start-up's, see [`spawn_index`]); replies changed meanwhile are brought up to date.
    /// Nothing happens when a rebuild got there first.
    pub fn load_index(&self) -> Result<()> {
        let version = {
            let inner = self.lock()?;
            if inner.index_ready {
                return Ok(());
            }
            inner.store.data_version()?
        };
        let index = Store::open(&self.data_dir)?.search_index()?;
        let mut guard = self.lock()?;
        let inner = &mut *guard;
        if inner.index_ready {
            return Ok(());
        }
        inner.index = index;
        // Another process's change since `version` makes the next refresh rebuild.
        inner.index_version = version;
        let pending = std::mem::take(&mut inner.index_pending);
        inner.store.reindex(&mut inner.index, &pending)?;
        inner.index_ready = true;
        Ok(())
    }

    /// Rebuild the search index (after a bulk change such as an import).
    pub fn reload_index(&self) -> Result<()> {
        let mut inner = self.lock()?;
        inner.index = inner.store.search_index()?;
        inner.index_version = inner.store.data_version()?;
        inner.index_ready = true;
        inner.index_pending.clear();
        Ok(())
    }

    /// Bring the search index's synonyms up to date after this process changed a
    /// library's variables (a lead's `搜索同义词`, typed in the editor): a change that
    /// another process or the sync made rebuilds the index at the next refresh instead.
    pub fn variables_changed(&self) -> Result<()> {
        let mut guard = self.lock()?;
        let inner = &mut *guard;
        let synonyms = inner.store.search_synonyms()?;
        inner.index.set_synonyms(synonyms);
        Ok(())
    }

    /// Update the search index after this process changed these replies.
    pub fn changed(&self, ids: &[Uuid]) -> Result<()> {
        let mut guard = self.lock()?;
        let inner = &mut *guard;
        if !inner.index_ready {
            inner.index_pending.extend_from_slice(ids);
            return Ok(());
        }
        inner.store.reindex(&mut inner.index, ids)?;
        Ok(())
    }

    /// The replies of one library that `query` finds, best first (the editor's search
    /// box): the panel's index and ranking, without a chat app's preferences.
    pub fn search_library(&self, library: Uuid, query: &str, limit: usize) -> Result<Vec<Uuid>> {
        let inner = self.lock()?;
        let hits = if inner.index_ready {
            inner.index.search(query.trim(), Some(library), limit)
        } else {
            // The editor finds replies outside their dates too.
            inner.store.search_any_time(
                query.trim(),
                &SearchOptions {
                    library: Some(library),
                    limit,
                },
            )?
        };
        Ok(hits.into_iter().map(|h| h.key).collect())
    }

    pub fn search(&self, query: &str) -> Result<Vec<HitView>> {
        const SHOWN: usize = 20;
        let mut inner = self.lock()?;
        let profile = inner
            .target
            .as_ref()
            .and_then(|t| inner.settings.profile_for(&t.name_refs(), &t.title))
            .cloned();
        let mut wanted = if profile.is_some() { SHOWN * 2 } else { SHOWN };
        // Other platforms' folders are left out below: look further so the list stays full.
        if inner.settings.platforms.is_some() {
            wanted *= 2;
        }
        let scope = inner.settings.scope;
        // Replies outside their 生效 / 失效 dates are not listed, as of this keystroke:
        // a date that passes while the panel is open counts from the next search.
        let out_of_dates = inner
            .store
            .hidden_replies(quickreply_core::proto::schedule::now_ms())?;
        wanted += out_of_dates.len();
        // A chat window of one team's shop shows no other team's replies.
        let hidden = match profile.as_ref().and_then(|p| p.team.as_deref()) {
            Some(team) => quickreply_sync::other_teams_libraries(&inner.store, team)?,
            None => Vec::new(),
        };
        let libraries = if scope == Scope::All && hidden.is_empty() {
            None
        } else {
            Some(
                inner
                    .store
                    .libraries()?
                    .into_iter()
                    .filter(|l| scope.keeps(l.kind) && !hidden.contains(&l.id))
                    .map(|l| l.id)
                    .collect::<Vec<_>>(),
            )
        };
        let mut hits = if inner.index_ready {
            inner
                .index
                .search_libraries(query.trim(), libraries.as_deref(), wanted)
        } else {
            store_search(&inner.store, query.trim(), libraries.as_deref(), wanted)?
        };
        hits.retain(|h| !out_of_dates.contains(&h.key));
        if inner.settings.platforms.is_some() {
            let store = &inner.store;
            let settings = &inner.settings;
            hits.retain(|h| {
                store
                    .snippet(h.key)
                    .map_or(true, |s| !settings.hides_folder(&s.folder))
            });
        }
        // Only a search of every library says what the libraries lack; one narrowed to
        // personal or team replies counts as having found something.
        let found = if scope == Scope::All { hits.len() } else { 1 };
        if let Some(missed) = inner.misses.searched(query, found) {
            let team = profile.as_ref().and_then(|p| p.team.as_deref());
            inner.store.record_missed_search(&missed, team)?;
        }
        let mut scored: Vec<(u32, Snippet)> = Vec::with_capacity(hits.len());
        for h in hits {
            scored.push((h.score, inner.store.snippet(h.key)?));
        }
        prefer(&mut scored, profile.as_ref());
        scored.truncate(SHOWN);
        let mut previews = RowPreviews::default();
        let shown: Vec<String> = scored
            .iter()
            .map(|(_, s)| previews.of(&inner.store, s))
            .collect();
        let favs = &inner.settings.favourites;
        let synonyms = inner.index.synonyms();
        let q = query.trim();
        Ok(scored
            .into_iter()
            .zip(shown)
            .map(|((_, s), preview)| HitView {
                id: s.id.to_string(),
                title_marks: marks(q, &s.title, synonyms),
                preview_marks: marks(q, &preview, synonyms),
                preview,
                thumb: s.parts.iter().find_map(|p| match p {
                    Part::Image { sha256, .. } => Some(sha256.clone()),
                    Part::Text { .. } => None,
                }),
                parts: s
                    .parts
                    .iter()
                    .map(|p| match p {
                        Part::Text { .. } => "text",
                        Part::Image { .. } => "image",
                    })
                    .collect(),
                favourite: favs
                    .iter()
                    .find(|f| f.snippet == s.id)
                    .map(|f| f.hotkey.clone()),
                team: inner
                    .store
                    .library(&s.library)
                    .map(|l| l.kind == LibraryKind::Team)
                    .unwrap_or(false),
                title: s.title,
                code: s.code,
                folder: s.folder,
                library: s.library,
            })
            .collect())
    }

    pub fn prompts(&self, id: Uuid) -> Result<Vec<String>> {
        let inner = self.lock()?;
        let s = inner.store.snippet(id)?;
        Ok(Store::prompts_of(&s)?)
    }

    /// The variables a reply uses that have no value yet, with their examples: a fire
    /// asks for them first (`setup::reply_unset`), like the prompts.
    pub fn unset_of(&self, id: Uuid) -> Result<Vec<(String, String)>> {
        let inner = self.lock()?;
        let s = inner.store.snippet(id)?;
        Ok(inner.store.unset_used(s.library_id, &s.parts)?)
    }

    pub(crate) fn render(
        &self,
        id: Uuid,
        answers: &HashMap<String, String>,
    ) -> Result<(Snippet, Vec<Rendered>)> {
        let inner = self.lock()?;
        let s = inner.store.snippet(id)?;
        let clip = || self.clipboard.text();
        let parts = inner.store.render(&s, answers, Some(&clip))?;
        Ok((s, parts))
    }

    /// The panel's preview: like a fire's render, except that a variable with no value
    /// yet shows as 【name】 (the panel marks it), never as its example; what `query` found
    /// in the text is marked as in the row.
    pub fn preview(
        &self,
        id: Uuid,
        answers: &HashMap<String, String>,
        query: &str,
    ) -> Result<Vec<PartView>> {
        let inner = self.lock()?;
        let s = inner.store.snippet(id)?;
        let clip = || self.clipboard.text();
        let parts = inner
            .store
            .render_preview(s.library_id, &s.parts, answers, Some(&clip))?;
        let synonyms = inner.index.synonyms();
        Ok(PartView::all(&s.parts, parts)
            .into_iter()
            .map(|p| p.marked(query, synonyms))
            .collect())
    }

    /// Fire a reply: render it, count it, put its first part on the clipboard (or paste
    /// every part into the target window with auto-paste), and give the focus back to the
    /// chat window in every mode, so that the agent's Ctrl+V lands there and never in the
    /// panel's search box. A fire that fails leaves nothing stale to paste and says so
    /// ([`App::fire_failed`]); the focus then stays where the message is.
    pub fn fire(
        &self,
        app: &AppHandle,
        id: Uuid,
        answers: &HashMap<String, String>,
    ) -> Result<FireOutcome> {
        let fired = self.fire_reply(app, id, answers).map_err(|e| {
            let title = self
                .lock()
                .ok()
                .and_then(|i| i.store.snippet(id).ok())
                .map(|s| s.title);
            anyhow!(self.fire_failed(title.as_deref(), &e.to_string()))
        });
        crate::note::update(app);
        fired
    }

    /// After a fire failed: the fire queue is emptied and a reply this app left on the
    /// clipboard is taken off it, so that neither a reflexive Ctrl+V nor the next-part
    /// hotkey sends an old reply; returns the message for the agent, which says what was
    /// not sent, why, and what the clipboard holds now.
    pub fn fire_failed(&self, title: Option<&str>, why: &str) -> String {
        if let Ok(mut inner) = self.lock() {
            inner.queue = Queue::default();
        }
        let clipboard = match self.clipboard.clear_if_ours() {
            Ok(true) => tr(
                "剪贴板里的话术已清除，现在粘贴不会发出任何话术。",
                "The reply on the clipboard was removed: pasting now sends no reply.",
            ),
            Ok(false) => tr(
                "剪贴板没有动过（里面不是话术）。",
                "The clipboard was left as it was (it holds no reply).",
            ),
            Err(e) => tr(
                format!("剪贴板无法清空（{e}），请不要粘贴。"),
                format!("The clipboard could not be emptied ({e}): do not paste."),
            ),
        };
        // The panel's banner heads this with 没有发出 / Not sent.
        match title {
            Some(t) => tr(
                format!("「{t}」：{why}。{clipboard}"),
                format!("\"{t}\": {why}. {clipboard}"),
            ),
            None => tr(format!("{why}。{clipboard}"), format!("{why}. {clipboard}")),
        }
    }

    fn fire_reply(
        &self,
        app: &AppHandle,
        id: Uuid,
        answers: &HashMap<String, String>,
    ) -> Result<FireOutcome> {
        {
            let inner = self.lock()?;
            let s = inner.store.snippet(id)?;
            inner
                .store
                .check_in_window(&s, quickreply_core::proto::schedule::now_ms())?;
        }
        let (snippet, parts) = self.render(id, answers)?;
        if parts.is_empty() {
            return Err(anyhow!(tr("这条话术没有内容", "this reply is empty")));
        }
        let (auto_paste, press_enter, restore, popup, target) = {
            let mut inner = self.lock()?;
            inner.store.record_fire(id)?;
            inner.misses.fired();
            if inner.index_ready {
                let boost = inner.store.boost_of(id)?;
                inner.index.set_boost(id, boost);
            } else {
                inner.index_pending.push(id);
            }
            inner.queue = Queue::new(id, snippet.title.clone(), parts);
            let target = inner.target.clone();
            let profile = target
                .as_ref()
                .and_then(|t| inner.settings.profile_for(&t.name_refs(), &t.title));
            (
                inner.settings.auto_paste_in(profile) && self.desktop_note.is_none(),
                inner.settings.press_enter,
                inner.settings.restore_clipboard,
                inner.settings.mode == WindowMode::Popup,
                target,
            )
        };
        if popup {
            hide_panel_window(app);
        }
        if auto_paste && let Some(target) = target {
            let steps = self.lock()?.queue.drain();
            let outcome = FireOutcome {
                title: snippet.title,
                index: steps.len(),
                total: steps.len(),
                pasted: true,
            };
            let handle = app.clone();
            let title = outcome.title.clone();
            std::thread::spawn(move || {
                let app = handle.state::<App>();
                if let Err(e) = app.paste_steps(target.id, &steps, press_enter, restore) {
                    let message = app.fire_failed(Some(&title), &e.to_string());
                    report_failure(&handle, message);
                }
            });
            return Ok(outcome);
        }
        let step = self.lock()?.queue.take();
        let Some(step) = step else {
            return Err(anyhow!(tr("这条话术没有内容", "this reply is empty")));
        };
        self.clipboard.put(&step.part)?;
        // Docked or popup: the agent pastes in the chat window, not in our search box.
        if let Some(t) = target {
            self.with_desktop(|d| d.activate(t.id));
        }
        Ok(FireOutcome {
            title: snippet.title,
            index: step.index,
            total: step.total,
            pasted: false,
        })
    }

    fn paste_steps(
        &self,
        target: u64,
        steps: &[Step],
        press_enter: bool,
        restore: bool,
    ) -> Result<()> {
        let saved = restore.then(|| self.clipboard.save());
        let pasted = self.paste_each(target, steps, press_enter);
        // The agent's clipboard comes back whether or not every part went in.
        if let Some(saved) = saved {
            std::thread::sleep(Duration::from_millis(400));
            self.clipboard.restore(saved)?;
        }
        pasted
    }

    fn paste_each(&self, target: u64, steps: &[Step], press_enter: bool) -> Result<()> {
        self.with_desktop(|d| d.activate(target)).transpose()?;
        std::thread::sleep(Duration::from_millis(80));
        for (i, step) in steps.iter().enumerate() {
            if i > 0 {
                // Let the chat app fetch the previous part before the clipboard changes.
                std::thread::sleep(Duration::from_millis(250));
            }
            self.clipboard.put(&step.part)?;
            self.with_desktop(|d| d.paste(press_enter)).transpose()?;
        }
        Ok(())
    }

    /// The next part of the queued reply onto the clipboard.
    pub fn next_part(&self) -> Result<Option<FireOutcome>> {
        let step = {
            let mut inner = self.lock()?;
            let title = inner.queue.title.clone();
            inner.queue.take().map(|s| (title, s))
        };
        let Some((title, step)) = step else {
            return Ok(None);
        };
        self.clipboard.put(&step.part)?;
        Ok(Some(FireOutcome {
            title,
            index: step.index,
            total: step.total,
            pasted: false,
        }))
    }

    pub fn save_settings(&self, new: Settings) -> Result<Settings> {
        let saved = new.save(&settings_path(&self.data_dir))?;
        switch_lang(lang_of(&saved));
        self.lock()?.settings = saved.clone();
        // A start-up problem (unreadable settings, a taken hotkey) is settled by a save.
        if let Ok(mut n) = self.startup_note.lock() {
            *n = None;
        }
        Ok(saved)
    }
}

/// Build the search index in the background (started once the panel is up): until it is
/// in place the panel searches the store itself, which ranks alike but scans the
/// database per keystroke.
pub fn spawn_index(app: &AppHandle) {
    let handle = app.clone();
    let started = std::thread::Builder::new()
        .name("search-index".into())
        .spawn(move || {
            if let Err(e) = handle.state::<App>().load_index() {
                eprintln!("could not build the search index in the background: {e}");
            }
        });
    if let Err(e) = started {
        eprintln!("could not start building the search index: {e}");
        let _ = app.state::<App>().load_index();
    }
}

/// The panel's search while the index is being built: the store's scan (ranked as the
/// index ranks), over the given libraries only.
fn store_search(
    store: &Store,
    query: &str,
    libraries: Option<&[Uuid]>,
    limit: usize,
) -> Result<Vec<quickreply_core::search::Hit<Uuid>>> {
    // Out-of-date replies are left out by the caller.
    let search = |library, limit| store.search_any_time(query, &SearchOptions { library, limit });
    Ok(match libraries {
        None => search(None, limit)?,
        Some([one]) => search(Some(*one), limit)?,
        Some(list) => {
            // Each library's best, merged by score.
            let mut all = Vec::new();
            for l in list {
                all.extend(search(Some(*l), limit)?);
            }
            all.sort_by_key(|h| std::cmp::Reverse(h.score));
            all.truncate(limit);
            all
        }
    })
}

/// Tell the agent a fire failed where they will see it: the panel comes up if it was
/// hidden (a favourite's hotkey, a paste that failed after the popup stepped aside) and
/// shows `message` as its alert.
pub fn report_failure(app: &AppHandle, message: String) {
    let visible = panel(app).is_some_and(|w| w.is_visible().unwrap_or(false));
    if !visible && let Err(e) = show_panel(app) {
        eprintln!("could not show the panel for a failed fire: {e}");
    }
    let _ = app.emit("fire-error", message);
}

pub fn panel(app: &AppHandle) -> Option<WebviewWindow> {
    app.get_webview_window(PANEL)
}

pub fn hide_panel_window(app: &AppHandle) {
    if let Some(w) = panel(app) {
        let _ = w.hide();
    }
}

/// Where the popup panel appears: near the right edge inside the target window, or in
/// the middle of the screen when there is none.
fn popup_position(
    target: Option<&WindowInfo>,
    size: PhysicalSize<u32>,
    screen: PhysicalSize<u32>,
) -> PhysicalPosition<i32> {
    let (w, h) = (size.width as i32, size.height as i32);
    let (sw, sh) = (screen.width as i32, screen.height as i32);
    let (x, y) = match target {
        Some(t) if t.width > 0 => (t.x + t.width as i32 - w - 24, t.y + 48),
        _ => ((sw - w) / 2, (sh - h) / 3),
    };
    PhysicalPosition::new(x.clamp(0, (sw - w).max(0)), y.clamp(0, (sh - h).max(0)))
}

/// Show the panel for the window that is active now.
pub fn show_panel(app: &AppHandle) -> Result<()> {
    // The panel says what is queued itself.
    crate::note::hide(app);
    let state = app.state::<App>();
    let active = state.with_desktop(|d| d.active_window()).flatten();
    let docked = {
        let mut inner = state.lock()?;
        end_search(&mut inner);
        if let Some(a) = active.filter(|a| !a.is_own()) {
            inner.target = Some(a);
        }
        inner.settings.mode == WindowMode::Docked
    };
    state.refresh()?;
    let Some(w) = panel(app) else {
        return Err(anyhow!("the panel window is missing"));
    };
    let mut placed = None;
    if !docked {
        // Before its first map the window reports 0×0; use the size it is created with
        // (tauri.conf.json).
        let size = w
            .outer_size()
            .ok()
            .filter(|s| s.width > 0 && s.height > 0)
            .unwrap_or(PhysicalSize::new(380, 560));
        let screen = w
            .current_monitor()?
            .or(w.primary_monitor()?)
            .map(|m| *m.size())
            .unwrap_or(PhysicalSize::new(1280, 800));
        let target = state.lock()?.target.clone();
        let at = popup_position(target.as_ref(), size, screen);
        w.set_position(at)?;
        placed = Some(at);
    }
    app.state::<crate::aside::Popup>().showing(true);
    w.show()?;
    w.set_focus()?;
    app.emit("panel-shown", state.state()?)?;
    // Make sure the window manager gives the new window the focus and leaves it where we
    // put it (it is mapped by the event loop after this returns, and a window manager
    // may place a newly mapped window itself).
    let handle = app.clone();
    std::thread::spawn(move || {
        let state = handle.state::<App>();
        for _ in 0..20 {
            std::thread::sleep(Duration::from_millis(25));
            if state
                .with_desktop(|d| d.focus_own(PANEL_TITLE))
                .and_then(Result::ok)
                == Some(true)
            {
                break;
            }
        }
        if let (Some(at), Some(w)) = (placed, panel(&handle)) {
            let _ = w.set_position(at);
        }
        handle.state::<crate::aside::Popup>().showing(false);
    });
    Ok(())
}

pub fn toggle_panel(app: &AppHandle) -> Result<()> {
    let visible = panel(app)
        .map(|w| w.is_visible().unwrap_or(false))
        .unwrap_or(false);
    // The window manager's word on the focus (GTK learns of it a little later).
    let focused = app
        .state::<App>()
        .with_desktop(|d| d.active_window())
        .map(|a| a.is_some_and(|a| a.is_own()))
        .unwrap_or_else(|| panel(app).is_some_and(|w| w.is_focused().unwrap_or(false)));
    if visible && focused {
        hide_and_return(app);
        Ok(())
    } else {
        show_panel(app)
    }
}

/// The panel's search ended: count it when it found nothing (a failure to count is
/// logged, never in the user's way).
pub(crate) fn end_search(inner: &mut Inner) {
    let team = inner
        .target
        .as_ref()
        .and_then(|t| inner.settings.profile_for(&t.name_refs(), &t.title))
        .and_then(|p| p.team.clone());
    if let Some(missed) = inner.misses.ended()
        && let Err(e) = inner.store.record_missed_search(&missed, team.as_deref())
    {
        eprintln!("could not count a search that found nothing: {e}");
    }
}

/// Hide the panel (in popup mode) and give the focus back to the chat window.
pub fn hide_and_return(app: &AppHandle) {
    let state = app.state::<App>();
    let (docked, target) = match state.lock() {
        Ok(mut i) => {
            end_search(&mut i);
            (i.settings.mode == WindowMode::Docked, i.target.clone())
        }
        Err(_) => (false, None),
    };
    if !docked {
        hide_panel_window(app);
        crate::note::update(app);
    }
    if let Some(t) = target {
        state.with_desktop(|d| d.activate(t.id));
    }
}

/// The popup lost the focus to another program's window (see `aside`): it hides, counts
/// the search it ended, and leaves the focus where the agent put it.
pub fn hide_on_blur(app: &AppHandle) {
    if let Ok(mut inner) = app.state::<App>().lock() {
        end_search(&mut inner);
    }
    hide_panel_window(app);
    crate::note::update(app);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preview_marks_what_the_query_found_in_its_text() {
        let text = |t: &str| PartView::Text {
            text: t.into(),
            marks: Vec::new(),
        };
        let marks_of = |p: PartView| match p {
            PartView::Text { marks, .. } => Some(marks),
            PartView::Image { .. } => None,
        };
        let none = Synonyms::default();
        // The initials fh typed: 发货 marked (characters 2..4), as in the row.
        assert_eq!(
            marks_of(text("亲，发货时间是付款后48小时内").marked(" fh ", &none)),
            Some(vec![(2, 4)])
        );
        assert_eq!(
            marks_of(text("亲，发货时间").marked("", &none)),
            Some(vec![])
        );
        let image = PartView::Image {
            width: 1,
            height: 1,
            sha256: "x".into(),
        };
        assert!(matches!(image.marked("fh", &none), PartView::Image { .. }));
    }

    #[test]
    fn the_panel_is_found_by_the_title_the_config_gives_it() {
        let conf: serde_json::Value =
            serde_json::from_str(include_str!("../tauri.conf.json")).expect("tauri.conf.json");
        let panel = conf["app"]["windows"]
            .as_array()
            .and_then(|ws| ws.iter().find(|w| w["label"] == PANEL))
            .expect("the panel window is configured");
        assert_eq!(panel["title"], PANEL_TITLE);
    }

    #[test]
    fn an_emptied_database_opens_afresh_with_a_note_that_says_so() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("quickreply.db");
        std::fs::write(&db, b"").expect("write");
        std::fs::File::options()
            .write(true)
            .open(&db)
            .and_then(|f| f.set_modified(std::time::SystemTime::now() - Duration::from_secs(600)))
            .expect("age the file");
        let mut note = None;
        let store = open_store(dir.path(), &mut note).expect("opened afresh");
        assert!(store.is_empty().expect("empty"));
        let note = note.expect("a startup note");
        assert!(note.contains("quickreply.db.empty-"), "{note}");
        // A healthy store opens without a note.
        let mut again = None;
        open_store(dir.path(), &mut again).expect("opens");
        assert_eq!(again, None);
    }

    #[test]
    fn list_rows_show_the_first_line_with_its_variables_filled_in() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(dir.path()).expect("store");
        let lib = store
            .library(quickreply_core::store::PERSONAL)
            .expect("personal");
        store.set_var(&lib, "店铺名", "小满家").expect("var");
        let reply = store
            .add_snippet(
                &lib,
                quickreply_core::NewSnippet {
                    title: "欢迎".into(),
                    parts: vec![
                        Part::Text {
                            body: "亲，欢迎来到{店铺名}～\n{?买家昵称}您好，{快递}包邮".into(),
                        },
                        Part::Text {
                            body: "第二条".into(),
                        },
                    ],
                    ..Default::default()
                },
            )
            .expect("reply");
        let row = RowPreviews::default().of(&store, &reply);
        assert_eq!(row, "亲，欢迎来到小满家～ «买家昵称»您好，{快递}包邮");
        assert_eq!(one_line(&"很长".repeat(60)).chars().count(), 90);
    }

    /// A personal text reply added by this process, its index brought up to date.
    fn add_personal(app: &App, title: &str, body: &str) -> Result<Uuid> {
        let added = {
            let mut inner = app.lock()?;
            let lib = inner.store.library(quickreply_core::store::PERSONAL)?;
            inner
                .store
                .add_snippet(
                    &lib,
                    quickreply_core::NewSnippet {
                        title: title.into(),
                        parts: vec![Part::Text { body: body.into() }],
                        ..Default::default()
                    },
                )?
                .id
        };
        app.changed(&[added])?;
        Ok(added)
    }

    #[test]
    fn synonyms_typed_in_this_app_reach_its_open_panel() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let app = App::open(dir.path().to_path_buf())?;
        app.load_index()?;
        let added = add_personal(
            &app,
            "顺丰到付说明",
            "亲，需要顺丰的话可以选到付，运费由快递员上门收取哦～",
        )?;
        let question = "丰哥到付可以吗";
        let rank = |app: &App| -> Result<Option<usize>> {
            Ok(app
                .search(question)?
                .iter()
                .position(|h| h.id == added.to_string()))
        };
        let before = rank(&app)?;
        {
            let mut inner = app.lock()?;
            let lib = inner.store.library(quickreply_core::store::PERSONAL)?;
            inner.store.set_var(
                &lib,
                quickreply_core::search::SYNONYMS_VARIABLE,
                "顺丰, 丰哥",
            )?;
        }
        app.variables_changed()?;
        let after = rank(&app)?;
        // 丰哥 now means 顺丰: the reply about 顺丰 到付 rises in this app's open panel
        // (no restart, no reload by hand).
        assert!(
            after.is_some_and(|a| a < 3 && before.is_none_or(|b| a < b)),
            "{before:?} → {after:?}"
        );
        Ok(())
    }

    #[test]
    fn the_panel_searches_before_the_index_is_built_and_finds_the_same() -> Result<()> {
        let dir = tempfile::tempdir()?;
        // A first start: the built-in replies; the index is not built yet.
        let app = App::open(dir.path().to_path_buf())?;
        let added = add_personal(
            &app,
            "开学季发货提醒",
            "亲，开学季订单多，付款后按顺序尽快发出～",
        )?;
        let queries = ["", "fahuo", "fh", "kxjfh", "退货 流程", "yhq", "破损怎么办"];
        let ids = |hits: Vec<HitView>| hits.into_iter().map(|h| h.id).collect::<Vec<_>>();
        let mut before = Vec::new();
        for q in queries {
            before.push(ids(app.search(q)?));
        }
        assert_eq!(before[3].first(), Some(&added.to_string()));
        let lib = app
            .lock()?
            .store
            .library(quickreply_core::store::PERSONAL)?;
        let editor_before = app.search_library(lib.id, "fahuo", 50)?;
        let count = app.state()?.count;
        assert!(!app.lock()?.index_ready);
        // The index lands: every search answers as before, the count is the same.
        app.load_index()?;
        assert!(app.lock()?.index_ready);
        for (q, was) in queries.iter().zip(&before) {
            assert_eq!(&ids(app.search(q)?), was, "query {q:?}");
        }
        assert_eq!(app.search_library(lib.id, "fahuo", 50)?, editor_before);
        assert_eq!(app.state()?.count, count);
        // A change after it is in place goes into it at once.
        app.lock()?.store.remove_snippet(added)?;
        app.changed(&[added])?;
        assert!(ids(app.search("kxjfh")?).first() != Some(&added.to_string()));
        Ok(())
    }

    #[test]
    fn popup_sits_inside_the_target_and_on_screen() {
        let screen = PhysicalSize::new(1280, 800);
        let size = PhysicalSize::new(380, 560);
        let t = WindowInfo {
            x: 100,
            y: 50,
            width: 900,
            height: 700,
            ..WindowInfo::default()
        };
        assert_eq!(
            popup_position(Some(&t), size, screen),
            PhysicalPosition::new(596, 98)
        );
        let off = WindowInfo {
            x: 1200,
            y: 700,
            width: 300,
            height: 300,
            ..WindowInfo::default()
        };
        let p = popup_position(Some(&off), size, screen);
        assert!(p.x + 380 <= 1280 && p.y + 560 <= 800, "{p:?}");
        assert_eq!(
            popup_position(None, size, screen),
            PhysicalPosition::new(450, 80)
        );
    }
}

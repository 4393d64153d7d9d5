//! The first-run setup (店铺设置) and the variables a fire must ask for.
//!
//! The built-in packs declare shop facts (客服名, 快递公司, 包邮门槛, 活动…) with only an
//! example, so they start unset (`core::store::variables`). The setup screen asks for
//! them once on the first start — in the panel window, keyboard only — together with the
//! platforms the shop sells on; it can be reopened (Ctrl+I in the panel, the tray's
//! 店铺设置…, Settings). Values go to the personal library; a name a team library sets
//! (and does not let agents override) stays the team's and is shown, not asked. Until a
//! variable has a value, firing a reply that uses it asks for it in the panel like a
//! `{?prompt}` (`reply_unset`), and the answer can be kept (`remember_vars`).

use std::collections::{BTreeMap, HashMap};

use quickreply_core::proto::LibraryKind;
use quickreply_core::settings::platform_of;
use quickreply_core::store::PERSONAL;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, State};

use crate::app::{self, App};
use crate::ipc::{Res, err, parse_id};

/// One variable as the setup screen shows it.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SetupField {
    pub name: String,
    pub description: String,
    /// This user's value (personal library); `None` while unset.
    pub value: Option<String>,
    /// The pack's example, a hint for the empty field.
    pub example: Option<String>,
    /// A team library's fixed value: the team's fact, shown but not asked.
    pub team: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SetupView {
    pub fields: Vec<SetupField>,
    /// The platforms there are replies for (sub-folders of 平台专用), in folder order.
    pub platforms: Vec<String>,
    /// The ones chosen; `None`: not chosen yet (all shown).
    pub chosen: Option<Vec<String>>,
    pub setup_done: bool,
}

/// A variable a reply needs before it can be sent, with the example as a hint.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnsetView {
    pub name: String,
    pub example: String,
}

fn view(app: &App) -> anyhow::Result<SetupView> {
    let inner = app.lock()?;
    let store = &inner.store;
    let personal = store.library(PERSONAL)?;
    let mut fields: BTreeMap<String, SetupField> = BTreeMap::new();
    for (name, value, description, example) in store.variables(&personal)? {
        let f = fields.entry(name.clone()).or_default();
        f.name = name;
        f.description = description;
        if example {
            f.example = Some(value);
        } else {
            f.value = Some(value);
        }
    }
    let mut platforms: Vec<String> = Vec::new();
    for lib in store.libraries()? {
        for folder in store.folders(&lib)? {
            // A platform is a folder right under 平台专用 (its own sub-folders are its).
            if let Some(p) = platform_of(&folder.path)
                && folder.path.matches('/').count() == 1
                && !platforms.iter().any(|x| x == p)
            {
                platforms.push(p.to_string());
            }
        }
        if lib.kind != LibraryKind::Team {
            continue;
        }
        let open = store.overridable_vars(&lib)?;
        for (name, value, description, example) in store.variables(&lib)? {
            let f = fields.entry(name.clone()).or_default();
            f.name = name.clone();
            if f.description.is_empty() {
                f.description = description;
            }
            if example {
                f.example.get_or_insert(value);
            } else if !open.contains(&name) {
                f.team = Some(value);
            }
        }
    }
    Ok(SetupView {
        fields: fields.into_values().collect(),
        platforms,
        chosen: inner.settings.platforms.clone(),
        setup_done: inner.settings.setup_done,
    })
}

#[tauri::command]
pub fn setup_state(app: State<'_, App>) -> Res<SetupView> {
    view(&app).map_err(err)
}

/// Save the setup: each non-empty value into the personal library (a name the team sets
/// is left to the team; an unchanged value is not written again, so nothing syncs for
/// nothing), the platforms into the settings, and the setup as done.
#[tauri::command]
pub fn save_setup(
    handle: AppHandle,
    values: HashMap<String, String>,
    platforms: Option<Vec<String>>,
) -> Res<SetupView> {
    let app = handle.state::<App>();
    let current = view(&app).map_err(err)?;
    {
        let mut inner = app.lock().map_err(err)?;
        let personal = inner.store.library(PERSONAL).map_err(err)?;
        for (name, value) in &values {
            let value = value.trim();
            let field = current.fields.iter().find(|f| &f.name == name);
            let team = field.is_some_and(|f| f.team.is_some());
            let same = field.and_then(|f| f.value.as_deref()) == Some(value);
            if value.is_empty() || team || same {
                continue;
            }
            inner.store.set_var(&personal, name, value).map_err(err)?;
        }
    }
    let mut settings = app.settings();
    settings.platforms = platforms;
    settings.setup_done = true;
    let saved = app.save_settings(settings).map_err(err)?;
    crate::commands::announce(&handle, &saved);
    view(&app).map_err(err)
}

/// Put the setup off (Esc): it does not come up by itself again; replies still ask for
/// what is unset when they are fired.
#[tauri::command]
pub fn setup_later(handle: AppHandle) -> Res<()> {
    let app = handle.state::<App>();
    let mut settings = app.settings();
    settings.setup_done = true;
    let saved = app.save_settings(settings).map_err(err)?;
    crate::commands::announce(&handle, &saved);
    Ok(())
}

/// Show the panel with the setup screen (the tray, Settings).
#[tauri::command]
pub fn open_setup(handle: AppHandle) -> Res<()> {
    open(&handle);
    Ok(())
}

pub fn open(handle: &AppHandle) {
    if let Err(e) = app::show_panel(handle) {
        eprintln!("could not show the panel for the setup: {e}");
    }
    let _ = handle.emit("open-setup", ());
}

/// The variables a reply uses that have no value yet, in order: the panel asks for them
/// before it fires (with the `{?prompts}`), never sending an example.
#[tauri::command]
pub fn reply_unset(app: State<'_, App>, id: String) -> Res<Vec<UnsetView>> {
    Ok(app
        .unset_of(parse_id(&id)?)
        .map_err(err)?
        .into_iter()
        .map(|(name, example)| UnsetView { name, example })
        .collect())
}

/// Keep answers given in the panel as the variables' values (personal library), so the
/// next fire does not ask. Blank answers are not kept.
#[tauri::command]
pub fn remember_vars(app: State<'_, App>, values: HashMap<String, String>) -> Res<()> {
    let mut inner = app.lock().map_err(err)?;
    let personal = inner.store.library(PERSONAL).map_err(err)?;
    for (name, value) in values {
        let value = value.trim();
        if !value.is_empty() {
            inner.store.set_var(&personal, &name, value).map_err(err)?;
        }
    }
    Ok(())
}

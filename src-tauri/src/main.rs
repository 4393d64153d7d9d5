//! QuickReply desktop app: the reply panel beside the chat window.
//!
//! `quickreply [--data-dir DIR] [--hidden]`. The window is the panel; the tray icon,
//! global hotkeys, clipboard, paste and docking are wired here to `quickreply-core`.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod app;
mod aside;
mod commands;
mod compliance;
mod conflicts;
mod dates;
mod dock;
mod editor;
mod history;
mod hotkeys;
mod ipc;
mod multi_open;
mod note;
mod settings_window;
mod setup;
mod suggestions;
mod sync;
mod team;
mod team_scan;
mod transfer;
mod tray;

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use tauri::Manager;
use tauri_plugin_autostart::MacosLauncher;

#[derive(Parser, Debug)]
#[command(
    name = "quickreply",
    version,
    about = "QuickReply: replies for customer service, one key away"
)]
struct Args {
    /// Where the library lives (default: the OS data dir, or QUICKREPLY_DATA_DIR).
    #[arg(long, env = "QUICKREPLY_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Start in the tray without showing the panel (used when starting at login).
    #[arg(long)]
    hidden: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(quickreply_core::store::default_data_dir);
    let sync_dir = data_dir.clone();
    let state = app::App::open(data_dir.clone())
        .with_context(|| format!("cannot open the library in {}", data_dir.display()))?;
    let hidden = args.hidden;
    tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            // A second start shows the running app's panel instead.
            let _ = app::show_panel(app);
        }))
        .plugin(
            tauri_plugin_global_shortcut::Builder::new()
                .with_handler(|app, shortcut, event| {
                    hotkeys::on_pressed(app, shortcut, event.state)
                })
                .build(),
        )
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_autostart::init(
            MacosLauncher::LaunchAgent,
            Some(vec!["--hidden"]),
        ))
        .manage(state)
        .manage(multi_open::MultiOpen::new(data_dir.clone()))
        .manage(team::Team::default())
        .manage(team_scan::Linking::default())
        .manage(aside::Popup::default())
        .on_window_event(aside::on_window_event)
        .invoke_handler(tauri::generate_handler![
            commands::panel_state,
            commands::search,
            commands::prompts,
            commands::preview,
            commands::fire,
            compliance::fire_check,
            compliance::compliance_check,
            compliance::compliance_policy,
            compliance::save_compliance_policy,
            commands::next_part,
            commands::hide_panel,
            commands::save_settings,
            commands::set_scope,
            settings_window::open_settings,
            settings_window::close_settings,
            settings_window::recording_hotkey,
            settings_window::save_settings_form,
            aside::hold_panel,
            note::queue_note,
            editor::new_reply_titled,
            editor::take_new_reply,
            editor::open_editor,
            editor::editor_tree,
            dates::reply_dates,
            dates::set_reply_dates,
            dates::set_folder_dates,
            editor::editor_search,
            editor::get_reply,
            editor::save_reply,
            editor::delete_reply,
            history::reply_history,
            conflicts::conflict_list,
            conflicts::conflict_keep_current,
            conflicts::conflict_take_mine,
            history::restore_version,
            suggestions::suggestion_list,
            suggestions::suggest_reply,
            suggestions::suggestion_accept,
            suggestions::suggestion_decline,
            suggestions::suggestion_withdraw,
            editor::library_vars,
            editor::unknown_vars,
            editor::save_vars,
            editor::delete_var,
            editor::reorder,
            editor::copy_to_personal,
            editor::add_image,
            editor::paste_image,
            editor::add_image_file,
            editor::image_bytes,
            editor::render_draft,
            transfer::pack_preview,
            transfer::pack_import,
            transfer::pack_export,
            team::team_state,
            team::team_join,
            team::team_signin_start,
            team::team_signin_cancel,
            team_scan::team_scan_providers,
            team_scan::team_scan_start,
            team_scan::team_identities,
            team_scan::team_unlink,
            team_scan::team_link_start,
            team_scan::team_link_cancel,
            team::team_lookup,
            team::team_decide,
            team::team_leave,
            setup::setup_state,
            setup::save_setup,
            setup::setup_later,
            setup::open_setup,
            setup::reply_unset,
            setup::remember_vars,
            multi_open::multi_open_state,
            multi_open::multi_open_start,
            multi_open::multi_open_choose,
        ])
        .setup(move |app| {
            let handle = app.handle().clone();
            #[cfg(target_os = "linux")]
            {
                let h = handle.clone();
                match quickreply_desktop::x11_hotkeys::X11Hotkeys::start(move |name| {
                    hotkeys::on_hotkey(&h, name)
                }) {
                    Ok(x) => {
                        app.manage(x);
                    }
                    Err(e) => {
                        eprintln!("X11 hotkeys unavailable ({e}); using the global-shortcut plugin")
                    }
                }
            }
            #[cfg(windows)]
            {
                let h = handle.clone();
                match quickreply_desktop::win_hotkeys::WinHotkeys::start(move |name| {
                    hotkeys::on_hotkey(&h, name)
                }) {
                    Ok(w) => {
                        app.manage(w);
                    }
                    Err(e) => {
                        eprintln!(
                            "Windows hotkeys unavailable ({e}); using the global-shortcut plugin"
                        )
                    }
                }
            }
            tray::follow_start_at_login(&handle);
            let settings = handle.state::<app::App>().settings();
            if let Err(e) = hotkeys::register(&handle, &settings) {
                // The app still works from the tray and the panel; the note says why.
                if let Ok(mut n) = handle.state::<app::App>().startup_note.lock() {
                    *n = Some(e.to_string());
                }
            }
            tray::create(&handle)?;
            multi_open::spawn_count_watch(handle.clone());
            dock::spawn(handle.clone());
            sync::spawn(handle.clone(), sync_dir.clone());
            if !hidden {
                app::show_panel(&handle)?;
            }
            // After the panel: with a large library the index takes a while to build.
            app::spawn_index(&handle);
            Ok(())
        })
        .run(tauri::generate_context!())
        .context("the app stopped with an error")?;
    Ok(())
}

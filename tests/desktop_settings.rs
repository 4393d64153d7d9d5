//! The settings window, end to end, under Xvfb + openbox: opened from the panel by
//! keyboard as a window of its own, fully on the screen; its sections by keyboard
//! (arrows in the side list, Ctrl+1…7, Tab into the fields); hotkeys recorded by
//! pressing them (xdotool); a refused save showing each problem next to its field; a
//! saved hotkey taking effect at once; Esc back to the popup panel it came from; one window brought forward, not a second one;
//! Esc and the window's close button asking before dropping unsaved changes; the team section with no team.
//!
//! These need the system packages and the built app, so they are ignored in the plain
//! test run; `cargo xtask test` builds the app and runs them (leg 5). The other
//! `desktop_*.rs` files test the rest of the app; their shared fixtures are in
//! `support/desktop.rs`.

use std::time::Duration;

use anyhow::{Context, Result};
use quickreply_core::settings::{Settings, WindowMode, settings_path};
use quickreply_e2e::desktop::{library, panel_window};
use quickreply_e2e::x11::Conn;
use quickreply_e2e::{App, Display, wait_for};

const TITLE: &str = "QuickReply 设置";

/// The id of the focused element in the session's window.
fn focused(app: &App) -> Option<String> {
    app.script("return document.activeElement && document.activeElement.id")
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
}

fn wait_focus(app: &App, id: &str) -> Result<()> {
    wait_for(
        &format!("the focus on #{id}"),
        Duration::from_secs(10),
        || (focused(app).as_deref() == Some(id)).then_some(()),
    )
    .with_context(|| format!("the focus is on {:?}", focused(app)))
}

/// The section shown: its tab is selected and its panel is the one not hidden.
fn wait_section(app: &App, section: &str) -> Result<()> {
    wait_for(
        &format!("the {section} section"),
        Duration::from_secs(10),
        || {
            let v = app
                .script(&format!(
                    "const t = document.querySelector('#tab-{section}');
                     const shown = [...document.querySelectorAll('[role=tabpanel]')].filter(p => !p.hidden).map(p => p.id);
                     return t && t.getAttribute('aria-selected') === 'true' && shown.length === 1 && shown[0] === 'sec-{section}';"
                ))
                .ok()?;
            (v.as_bool() == Some(true)).then_some(())
        },
    )
}

fn value(app: &App, css: &str) -> Option<String> {
    app.script(&format!("return document.querySelector('{css}').value"))
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
}

fn wait_value(app: &App, css: &str, want: &str) -> Result<()> {
    wait_for(
        &format!("{css} to show {want}"),
        Duration::from_secs(10),
        || (value(app, css).as_deref() == Some(want)).then_some(()),
    )
    .with_context(|| format!("{css} shows {:?}", value(app, css)))
}

/// Text of an element whether or not its section is the one shown.
fn text_anywhere(app: &App, css: &str) -> Option<String> {
    app.script(&format!(
        "const e = document.querySelector('{css}'); return e ? e.textContent : null"
    ))
    .ok()
    .and_then(|v| v.as_str().map(str::to_string))
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn settings_window_by_keyboard_records_hotkeys_and_shows_errors_at_their_fields() -> Result<()> {
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    library(dir.path(), Settings::default())?;
    let x = Conn::open(&d.name)?;
    let app = App::start(&d, dir.path())?;
    let panel = panel_window(&x)?;
    app.element("#search")?;

    // Ctrl+, in the panel: the settings open in a normal window of their own, whole on
    // the 1280×800 screen, with the keyboard focus; the popup steps aside.
    app.open_settings()?;
    let win = wait_for("the settings window", Duration::from_secs(15), || {
        x.find_titled(TITLE)
    })?;
    wait_for(
        "the settings window to have the focus",
        Duration::from_secs(10),
        || (x.active() == Some(win) && x.has_focus(win)).then_some(()),
    )?;
    let (fx, fy, fw, fh) = x.frame(win)?;
    assert!(
        fx >= 0 && fy >= 0 && fx + fw as i32 <= 1280 && fy + fh as i32 <= 800,
        "the window's frame {:?} is not whole on the screen",
        (fx, fy, fw, fh)
    );
    assert!(fw >= 560 && fh >= 420, "{:?}", (fw, fh));
    wait_for("the popup to step aside", Duration::from_secs(10), || {
        (!x.is_viewable(panel)).then_some(())
    })?;
    // Its side list has the focus, on 常用; the save button is in view without scrolling.
    wait_focus(&app, "tab-general")?;
    wait_section(&app, "general")?;
    let in_view = app.script(
        "const r = document.querySelector('#settings-save').getBoundingClientRect();
         return r.bottom <= window.innerHeight && r.right <= window.innerWidth && r.height > 0",
    )?;
    assert_eq!(in_view.as_bool(), Some(true), "the save button is in view");
    d.screenshot("settings-window.png")?;

    // Between sections by keyboard: the arrows in the list, Ctrl+1…7 anywhere.
    d.key("Down")?;
    wait_section(&app, "hotkeys")?;
    wait_focus(&app, "tab-hotkeys")?;
    d.key("ctrl+7")?;
    wait_section(&app, "look")?;
    d.key("Up")?;
    wait_section(&app, "team")?;
    // No team joined: the section says so and offers to join.
    app.wait_text("#team-none", |t| t == "未加入团队")?;
    app.element("#team-server")?;
    d.key("ctrl+2")?;
    wait_section(&app, "hotkeys")?;
    wait_focus(&app, "tab-hotkeys")?;

    // Tab into the recorder. A key without a modifier is refused beside the field.
    d.key("Tab")?;
    wait_focus(&app, "set-hotkey")?;
    d.key("q")?;
    app.wait_text("#set-hotkey-note", |t| t.contains("Ctrl、Alt 或 Super"))?;
    wait_value(&app, "#set-hotkey", "Ctrl+Alt+Space")?;
    // The combination pressed is what the field shows.
    d.key("ctrl+alt+q")?;
    wait_value(&app, "#set-hotkey", "Ctrl+Alt+Q")?;
    assert!(app.find("#set-hotkey-note")?.is_none(), "the refusal went");
    // Enter records anew, Esc cancels that (the window stays), Backspace clears.
    d.key("Return")?;
    d.key("Escape")?;
    wait_value(&app, "#set-hotkey", "Ctrl+Alt+Q")?;
    assert!(x.is_viewable(win), "Esc in the recorder only cancelled");
    d.key("Return")?;
    d.key("BackSpace")?;
    wait_value(&app, "#set-hotkey", "")?;
    // The app's own current combination can be recorded too: while the recorder has the
    // focus the app lets go of its hotkeys, so the keys reach the field instead of
    // toggling the panel.
    d.key("Return")?;
    d.key("ctrl+alt+space")?;
    wait_value(&app, "#set-hotkey", "Ctrl+Alt+Space")?;
    wait_focus(&app, "set-hotkey")?;
    d.key("Return")?;
    d.key("ctrl+alt+q")?;
    wait_value(&app, "#set-hotkey", "Ctrl+Alt+Q")?;

    // The next-part hotkey set to the same combination: the save is refused, and the
    // reason shows under that field, naming the other use.
    d.key("Tab")?;
    wait_focus(&app, "set-nextpart")?;
    d.key("ctrl+alt+q")?;
    wait_value(&app, "#set-nextpart", "Ctrl+Alt+Q")?;
    // A profile without a name too (应用配置, Ctrl+5).
    d.key("ctrl+5")?;
    wait_section(&app, "profiles")?;
    d.key("Tab")?;
    d.key("ctrl+a")?;
    d.key("BackSpace")?;
    wait_value(&app, r#"[data-field="profile.0.name"]"#, "")?;
    d.key("ctrl+s")?;
    // The first problem's section comes up with its field focused; both are marked.
    wait_section(&app, "hotkeys")?;
    wait_focus(&app, "set-nextpart")?;
    let twice = app.wait_text("#err-nextPartHotkey", |t| {
        t.contains("Ctrl+Alt+Q") && t.contains("显示/隐藏面板")
    })?;
    assert!(!twice.contains("设置无效"), "{twice}");
    let unnamed = text_anywhere(&app, "#err-profile-0-name").unwrap_or_default();
    assert!(unnamed.contains("缺少名称"), "{unnamed:?}");
    app.element("#tab-hotkeys .mark")?;
    app.element("#tab-profiles .mark")?;
    app.wait_text("#settings-problems", |t| t.contains('2'))?;
    d.screenshot("settings-errors.png")?;
    assert_eq!(
        Settings::load(&settings_path(dir.path()))?.hotkey,
        "Ctrl+Alt+Space",
        "nothing saved"
    );

    // Fixed: another next-part hotkey, a name; Ctrl+S saves.
    d.key("ctrl+alt+w")?;
    wait_value(&app, "#set-nextpart", "Ctrl+Alt+W")?;
    d.key("ctrl+5")?;
    wait_section(&app, "profiles")?;
    d.key("Tab")?;
    d.run("xdotool", &["type", "--delay", "30", "WeChat"])?;
    wait_value(&app, r#"[data-field="profile.0.name"]"#, "WeChat")?;
    d.key("ctrl+s")?;
    app.wait_text("#settings-status", |t| t == "设置已保存")?;
    let saved = wait_for("the settings on disk", Duration::from_secs(10), || {
        Settings::load(&settings_path(dir.path()))
            .ok()
            .filter(|s| s.hotkey == "Ctrl+Alt+Q")
    })?;
    assert_eq!(saved.next_part_hotkey, "Ctrl+Alt+W");
    assert_eq!(saved.profiles[0].name, "WeChat");
    assert!(app.find("#err-nextPartHotkey")?.is_none());
    assert!(app.find("#tab-profiles .mark")?.is_none());

    // Esc with nothing unsaved closes the window at once, back to the panel it was
    // opened from.
    d.key("Escape")?;
    wait_for(
        "the settings window to close",
        Duration::from_secs(10),
        || x.find_titled(TITLE).is_none().then_some(()),
    )?;
    wait_for("the panel back", Duration::from_secs(10), || {
        x.is_viewable(panel).then_some(())
    })?;
    // The new hotkey works at once, and the old one is free for other programs.
    d.key("ctrl+alt+q")?;
    wait_for(
        "the new hotkey to hide the panel",
        Duration::from_secs(10),
        || (!x.is_viewable(panel)).then_some(()),
    )?;
    x.grab_ctrl_alt(0x20)
        .context("Ctrl+Alt+Space is still held by the app")?;
    app.close();
    Ok(())
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn one_settings_window_beside_a_usable_docked_panel_asks_before_dropping_changes() -> Result<()> {
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    let settings = Settings {
        mode: WindowMode::Docked,
        ..Settings::default()
    };
    library(dir.path(), settings)?;
    let x = Conn::open(&d.name)?;
    let chat = x.stand_in("wechat", "微信", (40, 60, 520, 600))?;
    let app = App::start(&d, dir.path())?;
    let panel = panel_window(&x)?;
    x.activate(chat)?;
    wait_for("the docked panel", Duration::from_secs(10), || {
        x.is_viewable(panel).then_some(())
    })?;

    let (panel_handle, settings_handle) = app.open_settings()?;
    let win = wait_for("the settings window", Duration::from_secs(15), || {
        x.find_titled(TITLE)
    })?;
    // The docked panel stays, under the settings window while that is in use (the
    // screen leaves no room beside it), and keeps working while the settings are open.
    assert!(x.is_viewable(panel), "the docked panel stays");
    wait_for(
        "the settings window above the always-on-top panel",
        Duration::from_secs(10),
        || x.stacked_above(win, panel).then_some(()),
    )?;
    app.switch_to(&panel_handle)?;
    app.search("fh")?;
    app.wait_text("#hit-0 .title", |t| !t.is_empty())?;
    // Ctrl+, again brings the same window forward, no second one.
    x.activate(chat)?;
    wait_for("the chat window active", Duration::from_secs(10), || {
        (x.active() == Some(chat)).then_some(())
    })?;
    app.type_into(
        "#search",
        &format!("{},{}", quickreply_e2e::CTRL, quickreply_e2e::NULL),
    )?;
    wait_for(
        "the settings window brought forward",
        Duration::from_secs(10),
        || (x.active() == Some(win)).then_some(()),
    )?;
    assert_eq!(x.find_titled(TITLE), Some(win));
    assert_eq!(app.windows()?.len(), 2, "the panel and one settings window");

    // An unsaved change: Esc asks. Esc again keeps editing; Esc, Tab, Enter closes
    // without saving.
    app.switch_to(&settings_handle)?;
    wait_focus(&app, "tab-general")?;
    for _ in 0..3 {
        d.key("Tab")?;
    }
    wait_focus(&app, "set-paused")?;
    d.key("space")?;
    app.element("#settings-unsaved")?;
    d.key("Escape")?;
    app.wait_text("#settings-ask", |t| t.contains("未保存"))?;
    wait_focus(&app, "settings-ask-save")?;
    d.screenshot("settings-ask.png")?;
    d.key("Escape")?;
    wait_for("the question to go", Duration::from_secs(10), || {
        app.find("#settings-ask").ok()?.is_none().then_some(())
    })?;
    assert!(x.is_viewable(win));
    // The window's close button asks the same question.
    x.close(win)?;
    app.wait_text("#settings-ask", |t| t.contains("未保存"))?;
    assert!(
        x.is_viewable(win),
        "the close button did not drop the change"
    );
    d.key("Escape")?;
    wait_for("the question to go", Duration::from_secs(10), || {
        app.find("#settings-ask").ok()?.is_none().then_some(())
    })?;
    d.key("Escape")?;
    app.element("#settings-ask")?;
    d.key("Tab")?;
    wait_focus(&app, "settings-ask-discard")?;
    d.key("Return")?;
    wait_for(
        "the settings window to close",
        Duration::from_secs(10),
        || x.find_titled(TITLE).is_none().then_some(()),
    )?;
    assert!(
        !Settings::load(&settings_path(dir.path()))?.paused,
        "not saved"
    );
    assert!(x.is_viewable(panel), "the docked panel is still there");
    app.close();
    Ok(())
}

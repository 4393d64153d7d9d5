//! The desktop app, end to end, under Xvfb + openbox: the real binary driven through
//! tauri-driver/WebKitWebDriver, global hotkeys pressed with xdotool, the clipboard read
//! with xclip, stand-in chat windows made with x11rb.
//!
//! These need the system packages and the built app, so they are ignored in the plain
//! test run; `cargo xtask test` builds the app and runs them (leg 5).

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use quickreply_core::settings::{Favourite, Scope, Settings, WindowMode, settings_path};
use quickreply_core::{Rendered, Store};
use quickreply_e2e::x11::{Conn, PasteTarget, Tray};
use quickreply_e2e::{ALT, App, CTRL, Display, ENTER, ESCAPE, NULL, SessionBus, wait_for};
use x11rb::protocol::xproto::ConnectionExt as _;

/// A library with the built-in Chinese replies, and settings written before the start.
fn library(dir: &Path, settings: Settings) -> Result<Store> {
    let mut store = Store::open(dir)?;
    let pack = quickreply_core::builtin::pack("zh-CN").context("no built-in pack")??;
    let lib = store.library("personal")?;
    quickreply_core::packs::import(
        &mut store,
        &pack,
        &lib,
        quickreply_core::packs::Policy::KeepBoth,
    )?;
    settings.save(&settings_path(dir))?;
    Ok(store)
}

/// What firing a reply puts on the clipboard, rendered by the library itself.
fn rendered(store: &Store, code: &str) -> Result<Vec<Rendered>> {
    let s = store.resolve(None, code)?;
    Ok(store.render(&s, &HashMap::new(), None)?)
}

fn text_of(parts: &[Rendered], i: usize) -> Result<String> {
    match parts.get(i) {
        Some(Rendered::Text(t)) => Ok(t.clone()),
        other => bail!("part {i} is not text: {other:?}"),
    }
}

fn panel_window(x: &Conn) -> Result<u32> {
    wait_for("the panel window", Duration::from_secs(20), || {
        x.find_titled("QuickReply")
    })
}

fn wait_clipboard(d: &Display, want: &str) -> Result<()> {
    let mut last = None;
    wait_for(
        "the reply on the clipboard",
        Duration::from_secs(10),
        || {
            last = d.clipboard_text();
            (last.as_deref() == Some(want)).then_some(())
        },
    )
    .with_context(|| format!("clipboard holds {last:?}, want {want:?}"))
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn pinyin_search_fires_text_and_image_to_the_clipboard() -> Result<()> {
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    let store = library(dir.path(), Settings::default())?;
    let app = App::start(&d, dir.path())?;

    // Pinyin for 发货 finds a shipping reply first; Enter puts it on the clipboard.
    app.search("fahuo")?;
    app.wait_text("#hit-0 .title", |t| t.starts_with("发货"))?;
    d.screenshot("panel.png")?;
    let first = app.attribute("#hit-0", "data-id")?;
    app.press(ENTER)?;
    wait_clipboard(&d, &text_of(&rendered(&store, &first)?, 0)?)?;

    // Initials work too, and a one-image reply puts a real PNG on the clipboard.
    app.search("vcmt")?;
    app.wait_text("#hit-0 .title", |t| t.starts_with("尺码表单图"))?;
    app.press(ENTER)?;
    let png = wait_for("an image on the clipboard", Duration::from_secs(10), || {
        d.clipboard_png()
    })?;
    let img = image::load_from_memory(&png)?;
    let Some(Rendered::Image { width, height, .. }) = rendered(&store, "vcmt")?.into_iter().next()
    else {
        bail!("vcmt is not an image reply");
    };
    assert_eq!((img.width(), img.height()), (width, height));

    // A text → image → text reply queues: the panel shows 1/3 and the next part follows.
    app.search("vcm")?;
    app.wait_text("#hit-0 .title", |t| t.starts_with("尺码表图文"))?;
    app.press(ENTER)?;
    let parts = rendered(&store, "vcm")?;
    wait_clipboard(&d, &text_of(&parts, 0)?)?;
    app.wait_text("#queue", |t| t.contains("1/3"))?;
    d.key("ctrl+alt+n")?;
    wait_for(
        "the second part (an image)",
        Duration::from_secs(10),
        || d.clipboard_png(),
    )?;
    d.key("ctrl+alt+n")?;
    wait_clipboard(&d, &text_of(&parts, 2)?)?;

    // A reply with a blank ({?快递单号}) asks for it inline before firing.
    d.key("ctrl+alt+space")?;
    app.search("fhtz")?;
    app.wait_text("#hit-0 .title", |t| t.starts_with("已发货通知"))?;
    app.press(ENTER)?;
    app.type_into(
        "#prompts input[data-prompt='快递单号']",
        &format!("SF1234567890{ENTER}"),
    )?;
    let s = store.resolve(None, "fhtz")?;
    let answers = HashMap::from([("快递单号".to_string(), "SF1234567890".to_string())]);
    let want = text_of(&store.render(&s, &answers, None)?, 0)?;
    assert!(want.contains("SF1234567890"));
    wait_clipboard(&d, &want)?;

    // A search that finds nothing is counted for the team's report when it ends (Esc
    // clears it); a search that found replies is not.
    d.key("ctrl+alt+space")?;
    app.search("fahuo")?;
    app.wait_text("#hit-0 .title", |t| t.starts_with("发货"))?;
    app.press(ESCAPE)?;
    app.search("zzqx")?;
    app.wait_text("#hits li.none", |t| !t.is_empty())?;
    d.screenshot("panel-nothing-found.png")?;
    app.press(ESCAPE)?;
    let missed = wait_for("the search counted", Duration::from_secs(10), || {
        store
            .missed_searches_since(0, 30, "")
            .ok()
            .map(|(rows, _)| rows)
            .filter(|rows| !rows.is_empty())
    })?;
    let missed: Vec<_> = missed.iter().map(|m| (m.query.as_str(), m.count)).collect();
    assert_eq!(missed, vec![("zzqx", 1)]);
    app.close();
    Ok(())
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn global_hotkeys_toggle_the_panel_and_fire_a_favourite() -> Result<()> {
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    let mut settings = Settings::default();
    let store = {
        let s = library(dir.path(), Settings::default())?;
        let thanks = s.resolve(None, "vxx")?;
        let fh = s.resolve(None, "fh")?;
        settings.favourites = vec![
            Favourite {
                hotkey: "Ctrl+Alt+1".into(),
                snippet: fh.id,
            },
            Favourite {
                hotkey: "Ctrl+Alt+2".into(),
                snippet: thanks.id,
            },
        ];
        settings.save(&settings_path(dir.path()))?;
        s
    };
    let x = Conn::open(&d.name)?;
    let chat = x.stand_in("WeChat", "微信", (60, 60, 700, 600))?;
    let app = App::start(&d, dir.path())?;
    let panel = panel_window(&x)?;
    app.element("#search")?;
    wait_for("the panel to show", Duration::from_secs(10), || {
        x.is_viewable(panel).then_some(())
    })?;

    // The panel hotkey hides the focused panel and brings it back.
    wait_for(
        "the panel to have the focus",
        Duration::from_secs(10),
        || (x.active() == Some(panel)).then_some(()),
    )?;
    d.key("ctrl+alt+space")?;
    wait_for("the panel to hide", Duration::from_secs(10), || {
        (!x.is_viewable(panel)).then_some(())
    })?;
    x.activate(chat)?;
    d.key("ctrl+alt+space")?;
    wait_for("the panel to come back", Duration::from_secs(10), || {
        x.is_viewable(panel).then_some(())
    })?;
    // It knows which chat app it serves.
    app.wait_text("#context", |t| t.contains("WeChat"))?;
    d.screenshot("panel-wechat.png")?;

    // A favourite's hotkey fires it without opening anything.
    x.activate(chat)?;
    d.key("ctrl+alt+1")?;
    wait_clipboard(&d, &text_of(&rendered(&store, "fh")?, 0)?)?;
    app.close();
    Ok(())
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn docked_panel_follows_the_chat_window() -> Result<()> {
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    let settings = Settings {
        mode: WindowMode::Docked,
        ..Settings::default()
    };
    library(dir.path(), settings)?;
    let x = Conn::open(&d.name)?;
    let app = App::start(&d, dir.path())?;
    let panel = panel_window(&x)?;
    app.element("#search")?;
    let chat = x.stand_in("WeChat", "微信 - 买家小王", (80, 60, 600, 560))?;
    x.activate(chat)?;

    let beside = |x: &Conn| -> Option<()> {
        let c = x.frame(chat).ok()?;
        let p = x.frame(panel).ok()?;
        (x.is_viewable(panel) && p.0 == c.0 + c.2 as i32 && p.1 == c.1 && p.3 == c.3).then_some(())
    };
    wait_for(
        "the panel docked to the right edge",
        Duration::from_secs(10),
        || beside(&x),
    )
    .with_context(|| {
        format!(
            "chat {:?}, panel {:?}",
            x.frame(chat).ok(),
            x.frame(panel).ok()
        )
    })?;
    // Let WebKit repaint at the new size before the picture.
    std::thread::sleep(Duration::from_millis(700));
    d.screenshot("docked.png")?;

    // The chat window moves: the panel follows.
    x.move_to(chat, 240, 120)?;
    wait_for("the chat window to move", Duration::from_secs(5), || {
        x.frame(chat).ok().filter(|f| f.0 >= 200).map(|_| ())
    })?;
    wait_for("the panel to follow", Duration::from_secs(10), || {
        beside(&x)
    })
    .with_context(|| {
        format!(
            "chat {:?}, panel {:?}",
            x.frame(chat).ok(),
            x.frame(panel).ok()
        )
    })?;

    // Minimised chat window: the panel hides.
    x.iconify(chat)?;
    wait_for("the panel to hide", Duration::from_secs(10), || {
        (!x.is_viewable(panel)).then_some(())
    })?;
    app.close();
    Ok(())
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn auto_paste_puts_the_reply_into_the_chat_window() -> Result<()> {
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    let settings = Settings {
        auto_paste: true,
        ..Settings::default()
    };
    let store = library(dir.path(), settings)?;
    let x = Conn::open(&d.name)?;
    let chat = PasteTarget::start(&d.name, "WeChat", "微信 - 买家小李", (40, 40, 640, 520))?;
    x.activate(chat.window)?;
    wait_for(
        "the chat window to be active",
        Duration::from_secs(10),
        || (x.active() == Some(chat.window)).then_some(()),
    )?;
    let app = App::start(&d, dir.path())?;
    app.element("#search")?;
    // The panel opens on the hotkey over the active chat window.
    x.activate(chat.window)?;
    d.key("ctrl+alt+space")?;
    app.wait_text("#context", |t| t.contains("WeChat"))?;
    app.search("fh")?;
    app.wait_text("#hit-0 .title", |t| t.starts_with("发货时间"))?;
    app.press(ENTER)?;
    let want = text_of(&rendered(&store, "fh")?, 0)?;
    wait_for(
        "the paste in the chat window",
        Duration::from_secs(10),
        || chat.pastes().contains(&want).then_some(()),
    )
    .with_context(|| format!("the chat window got {:?}", chat.pastes()))?;
    // Focus is back in the chat window.
    assert_eq!(x.active(), Some(chat.window));
    app.close();
    Ok(())
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn editor_writes_a_reply_that_the_panel_then_finds() -> Result<()> {
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    let store = library(dir.path(), Settings::default())?;
    let shop = store
        .vars(&store.library("personal")?)?
        .into_iter()
        .find(|(k, _)| k == "店铺名")
        .map(|(_, v)| v)
        .context("the built-in pack sets 店铺名")?;
    let app = App::start(&d, dir.path())?;
    // Ctrl+E in the panel opens the editor window.
    let (panel, _) = app.open_editor()?;
    app.element("#tree .reply")?;
    app.click("#new-reply")?;
    app.type_into("#ed-title", "开学季发货提醒")?;
    app.type_into("#ed-code", "kxj")?;
    app.type_into(
        "#ed-part-0",
        "亲，{店铺名}开学季订单量大，付款后会按顺序尽快发出～",
    )?;
    // The live preview fills the shop's variable.
    app.wait_text("#ed-preview", |t| t.contains(&shop) && !t.contains('{'))?;
    app.type_into("#ed-title", &format!("{CTRL}s{NULL}"))?;
    app.wait_text("#ed-status", |t| t.contains("开学季发货提醒"))?;
    std::thread::sleep(Duration::from_millis(300));
    d.screenshot("editor.png")?;
    // The panel finds the new reply by its pinyin initials at once.
    app.switch_to(&panel)?;
    app.search("kxjfh")?;
    app.wait_text("#hit-0 .title", |t| t.starts_with("开学季发货提醒"))?;
    app.close();
    Ok(())
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn editor_takes_images_pasted_from_the_clipboard_and_dropped_from_a_file_manager() -> Result<()> {
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    let store = library(dir.path(), Settings::default())?;
    let picture = |name: &str, (w, h): (u32, u32), rgb: [u8; 3]| -> Result<std::path::PathBuf> {
        let path = dir.path().join(name);
        image::RgbImage::from_pixel(w, h, image::Rgb(rgb)).save(&path)?;
        Ok(path)
    };
    let pasted = picture("尺码表.png", (64, 48), [200, 40, 40])?;
    let dropped = picture("细节 图.png", (30, 20), [40, 40, 200])?;
    let app = App::start(&d, dir.path())?;
    app.open_editor()?;
    app.element("#tree .reply")?;
    app.click("#new-reply")?;
    app.type_into("#ed-title", "尺码参考图")?;
    app.type_into("#ed-code", "ccckt")?;
    app.type_into("#ed-part-0", "亲，尺码参考下图～")?;

    // Copied as an image by another program, pasted with Ctrl+V.
    let copied = std::process::Command::new("xclip")
        .args(["-selection", "clipboard", "-t", "image/png", "-i"])
        .arg(&pasted)
        .env("DISPLAY", &d.name)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()?;
    assert!(copied.success(), "xclip could not hold the image");
    app.type_into("#ed-part-0", &format!("{CTRL}v{NULL}"))?;
    app.wait_text(".parts .img span", |t| t.contains("64") && t.contains("48"))?;

    // Dragged from a file manager (XDND, a file:// URI) onto the reply's parts.
    let x = Conn::open(&d.name)?;
    let editor = wait_for("the editor window", Duration::from_secs(10), || {
        x.find_titled("QuickReply 话术编辑")
    })?;
    let origin = x
        .conn
        .translate_coordinates(editor, x.root, 0, 0)?
        .reply()?;
    let (wx, wy) = (origin.dst_x, origin.dst_y);
    let at = app.script(
        "const r = document.querySelector('.parts').getBoundingClientRect();
         return [Math.round(r.left + r.width / 2), Math.round(r.top + r.height / 2)];",
    )?;
    let (px, py) = (
        at[0].as_i64().context("x of the parts")?,
        at[1].as_i64().context("y of the parts")?,
    );
    let root = (
        i16::try_from(i64::from(wx) + px)?,
        i16::try_from(i64::from(wy) + py)?,
    );
    quickreply_e2e::x11::drop_files(&d.name, editor, root, &[dropped.as_path()])?;
    wait_for("the dropped image", Duration::from_secs(10), || {
        (app.count(".parts .img").ok()? == 2).then_some(())
    })?;
    std::thread::sleep(Duration::from_millis(300));
    d.screenshot("editor-images.png")?;
    app.type_into("#ed-title", &format!("{CTRL}s{NULL}"))?;
    app.wait_text("#ed-status", |t| t.contains("尺码参考图"))?;

    let saved = store.resolve(None, "ccckt")?;
    let shape: Vec<String> = saved
        .parts
        .iter()
        .map(|p| match p {
            quickreply_core::proto::Part::Text { body } => body.clone(),
            quickreply_core::proto::Part::Image { width, height, .. } => {
                format!("{width}×{height}")
            }
        })
        .collect();
    assert_eq!(shape, vec!["亲，尺码参考下图～", "64×48", "30×20"]);
    app.close();
    Ok(())
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn settings_refuse_bad_hotkeys_and_apply_new_ones_at_once() -> Result<()> {
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    library(dir.path(), Settings::default())?;
    let x = Conn::open(&d.name)?;
    let app = App::start(&d, dir.path())?;
    let panel = panel_window(&x)?;
    app.type_into("#search", &format!("{CTRL},{NULL}"))?;
    app.element("#settings")?;
    // A hotkey without a modifier is refused with a reason, and nothing is saved.
    app.clear("#set-hotkey").context("clear the hotkey")?;
    app.type_into("#set-hotkey", "Space")?;
    app.type_into("#set-hotkey", &format!("{CTRL}s{NULL}"))?;
    app.wait_text("#settings-error", |t| t.contains("修饰键"))?;
    let on_disk = Settings::load(&settings_path(dir.path()))?;
    assert_eq!(on_disk.hotkey, "Ctrl+Alt+Space");
    // A good one applies at once, with the language.
    app.clear("#set-hotkey")?;
    app.type_into("#set-hotkey", "ctrl+alt+q")?;
    app.script(
        "const s = document.querySelector('#set-language'); s.value = 'en'; s.dispatchEvent(new Event('change', { bubbles: true }));",
    )?;
    std::thread::sleep(Duration::from_millis(300));
    d.screenshot("settings.png")?;
    app.type_into("#set-hotkey", &format!("{CTRL}s{NULL}"))?;
    wait_for("the settings on disk", Duration::from_secs(10), || {
        Settings::load(&settings_path(dir.path()))
            .ok()
            .filter(|s| s.hotkey == "Ctrl+Alt+Q" && s.language == "en")
    })?;
    app.type_into("#set-hotkey", "\u{E00C}")?; // Escape: back to the panel
    wait_for("the English panel", Duration::from_secs(10), || {
        app.attribute("#search", "placeholder")
            .ok()
            .filter(|p| p.starts_with("Search"))
    })?;
    wait_for(
        "the panel to have the focus",
        Duration::from_secs(10),
        || (x.active() == Some(panel)).then_some(()),
    )?;
    d.key("ctrl+alt+q")?;
    wait_for(
        "the new hotkey to hide the panel",
        Duration::from_secs(10),
        || (!x.is_viewable(panel)).then_some(()),
    )?;
    app.close();
    Ok(())
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn a_hotkey_held_by_another_program_is_reported() -> Result<()> {
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    library(dir.path(), Settings::default())?;
    // Another program already has Ctrl+Alt+Space.
    let other = Conn::open(&d.name)?;
    other.grab_ctrl_alt(0x20)?;
    let app = App::start(&d, dir.path())?;
    app.wait_text("#note", |t| {
        t.contains("Ctrl+Alt+Space") && t.contains("占用")
    })?;
    app.close();
    Ok(())
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn editor_copies_team_replies_and_reorders_by_keyboard() -> Result<()> {
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    let mut store = Store::open(dir.path())?;
    let team = store.create_library("售后组", quickreply_core::proto::LibraryKind::Team)?;
    let personal = store.library("personal")?;
    let text = |t: &str| quickreply_core::proto::Part::Text { body: t.into() };
    let team_reply = store.add_snippet(
        &team,
        quickreply_core::NewSnippet {
            title: "补发说明".into(),
            folder: "售后".into(),
            parts: vec![text("亲，少发的配件今天给您补发～")],
            ..Default::default()
        },
    )?;
    let ids = store.add_snippets(
        &personal,
        ["第一条", "第二条", "第三条"]
            .iter()
            .map(|t| quickreply_core::NewSnippet {
                title: (*t).into(),
                folder: "常用".into(),
                parts: vec![text(t)],
                ..Default::default()
            })
            .collect(),
    )?;
    drop(store);
    Settings::default().save(&settings_path(dir.path()))?;
    let app = App::start(&d, dir.path())?;
    app.open_editor()?;
    // The first reply of the personal library is open; Alt+↓ moves it below the second.
    app.wait_text("#ed-title", |_| true)?;
    let first = format!("#r-{} button", ids[0]);
    app.click(&first)?;
    app.type_into("#tree", "\u{E00A}\u{E015}\u{E000}")?; // Alt+Down
    let reordered = || -> Option<()> {
        let s = Store::open(dir.path()).ok()?;
        let pos = |id| s.snippet(id).ok().map(|x| x.position);
        (pos(ids[1])? < pos(ids[0])? && pos(ids[0])? < pos(ids[2])?).then_some(())
    };
    wait_for("the reply to move down", Duration::from_secs(10), reordered)?;
    // A team reply is copied into the personal library, the original untouched.
    app.click(".libs button.team")?;
    app.click(&format!("#r-{} button", team_reply.id))?;
    app.wait_text("#ed-copy", |t| !t.is_empty())?;
    app.click("#ed-copy")?;
    app.wait_text("#ed-status", |t| t.contains("补发说明"))?;
    let s = Store::open(dir.path())?;
    let copies: Vec<_> = s
        .snippets(Some(&s.library("personal")?))?
        .into_iter()
        .filter(|x| x.title == "补发说明")
        .collect();
    assert_eq!(copies.len(), 1);
    assert_eq!(copies[0].parts, team_reply.parts);
    assert_eq!(s.snippet(team_reply.id)?, team_reply);
    app.close();
    Ok(())
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn panel_scope_switch_filters_team_and_personal_replies_and_is_kept() -> Result<()> {
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    let mut store = library(dir.path(), Settings::default())?;
    let team = store.create_library("售后组", quickreply_core::proto::LibraryKind::Team)?;
    let team_reply = store.add_snippet(
        &team,
        quickreply_core::NewSnippet {
            title: "发货时效（团队口径）".into(),
            folder: "售前".into(),
            parts: vec![quickreply_core::proto::Part::Text {
                body: "亲，现货 48 小时内发货哦～".into(),
            }],
            ..Default::default()
        },
    )?;
    drop(store);
    let app = App::start(&d, dir.path())?;
    app.wait_text("#scope-all", |t| t.contains("全部"))?;
    assert_eq!(app.attribute("#scope-all", "aria-checked")?, "true");
    let marks = |app: &App| -> Result<Vec<bool>> {
        let n = app.count("#hits li[data-id]")?;
        (0..n)
            .map(|i| Ok(app.count(&format!("#hit-{i} .where .team"))? == 1))
            .collect()
    };
    // All: the team's reply and personal ones, each marked.
    app.search("fahuo")?;
    app.wait_text("#hit-1 .title", |t| !t.is_empty())?;
    let all = marks(&app)?;
    assert!(all.contains(&true) && all.contains(&false), "{all:?}");
    // Alt+T: only the team's replies, marked 团队 · 售后组.
    app.press(&format!("{ALT}t{NULL}"))?;
    app.wait_text("#hit-0 .title", |t| t.starts_with("发货时效（团队口径）"))?;
    assert_eq!(app.attribute("#scope-team", "aria-checked")?, "true");
    assert_eq!(app.count("#hits li[data-id]")?, 1);
    assert_eq!(
        app.attribute("#hit-0", "data-id")?,
        team_reply.id.to_string()
    );
    app.wait_text("#hit-0 .where .team", |t| {
        t.contains("团队") && t.contains("售后组")
    })?;
    d.screenshot("panel-scope-team.png")?;
    // Alt+P: only personal replies; the choice is kept in the settings file.
    app.press(&format!("{ALT}p{NULL}"))?;
    app.wait_text("#scope-personal", |_| true)?;
    wait_for("personal replies only", Duration::from_secs(10), || {
        let m = marks(&app).ok()?;
        (!m.is_empty() && m.iter().all(|team| !team)).then_some(())
    })?;
    let saved = Settings::load(&settings_path(dir.path()))?;
    assert_eq!(saved.scope, Scope::Personal);
    // Nothing personal matches the team's own words: the panel says where it looked.
    app.search("tuandui")?;
    app.wait_text("#hits li.none", |t| {
        t.contains("个人") && t.contains("Alt+A")
    })?;
    d.screenshot("panel-scope-personal-empty.png")?;
    // A click on 全部 goes back to everything (the mouse works as well as the keys).
    app.click("#scope-all")?;
    app.wait_text("#hit-0 .title", |t| t.starts_with("发货时效（团队口径）"))?;
    assert_eq!(
        Settings::load(&settings_path(dir.path()))?.scope,
        Scope::All
    );
    app.close();
    Ok(())
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn editor_variables_lead_marks_overridable_and_an_agent_sees_them_read_only() -> Result<()> {
    const TAB: &str = "\u{E004}";
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    let mut store = Store::open(dir.path())?;
    let team = store.create_library("售后组", quickreply_core::proto::LibraryKind::Team)?;
    store.add_snippet(
        &team,
        quickreply_core::NewSnippet {
            title: "欢迎语".into(),
            parts: vec![quickreply_core::proto::Part::Text {
                body: "欢迎光临{店铺名}，我是{客服名}".into(),
            }],
            ..Default::default()
        },
    )?;
    drop(store);
    Settings::default().save(&settings_path(dir.path()))?;

    // The lead (a writable team library): Alt+V opens the variables, all by keyboard.
    let app = App::start(&d, dir.path())?;
    app.open_editor()?;
    app.wait_text(".libs button.team", |t| t.contains("售后组"))?;
    app.click(".libs button.team")?;
    app.type_into("#tree", &format!("{ALT}v{NULL}"))?;
    app.wait_text("#vars h2", |t| t.contains("售后组"))?;
    app.click("#var-add")?;
    app.type_into("#var-name-0", "店铺名")?;
    app.keys(&format!("{TAB}小鹿家{TAB} {ENTER}"))?;
    app.wait_text("#ed-status", |t| t.contains("店铺名"))?;
    app.click("#var-add")?;
    app.type_into("#var-name-1", "客服名")?;
    app.keys(&format!("{TAB}小鹿{ENTER}"))?;
    app.wait_text("#ed-status", |t| t.contains("客服名"))?;
    let store = Store::open(dir.path())?;
    let team = store.library("售后组")?;
    let flags: Vec<_> = store
        .variable_list(&team)?
        .into_iter()
        .map(|v| (v.name, v.value, v.overridable))
        .collect();
    assert_eq!(
        flags,
        vec![
            ("客服名".to_string(), "小鹿".to_string(), false),
            ("店铺名".to_string(), "小鹿家".to_string(), true),
        ]
    );
    app.wait_text("#vars", |t| t.contains("允许成员用个人值覆盖"))?;
    app.screenshot("editor-vars-lead.png")?;
    // Editing a value and unticking the box save at once; Delete removes a row.
    app.click("#var-over-1")?;
    wait_for("the flag cleared", Duration::from_secs(10), || {
        let s = Store::open(dir.path()).ok()?;
        s.overridable_vars(&team).ok()?.is_empty().then_some(())
    })?;
    app.click("#var-over-1")?;
    wait_for("the flag set again", Duration::from_secs(10), || {
        let s = Store::open(dir.path()).ok()?;
        s.overridable_vars(&team)
            .ok()?
            .contains("店铺名")
            .then_some(())
    })?;
    app.close();

    // An agent: the same library, read-only (as sync links it for an agent).
    let db = rusqlite::Connection::open(dir.path().join("quickreply.db"))?;
    db.execute(
        "INSERT INTO sync_libraries (library_id, remote_id, writable) VALUES (?1, ?2, 0)",
        [team.id.to_string(), uuid_like(&team.id.to_string())],
    )?;
    drop(db);
    let app = App::start(&d, dir.path())?;
    app.open_editor()?;
    app.wait_text(".libs button.team", |t| t.contains("售后组"))?;
    app.click(".libs button.team")?;
    app.type_into("#tree", &format!("{ALT}v{NULL}"))?;
    app.wait_text("#vars-readonly", |t| t.contains("只读"))?;
    app.wait_text("#vars tr[data-var='店铺名']", |t| {
        t.contains("小鹿家") && t.contains("可覆盖")
    })?;
    app.wait_text("#vars tr[data-var='客服名']", |t| t.contains("固定"))?;
    // The lead's values stay as they are; only an overridable one takes a personal value.
    assert_eq!(app.count("#vars input")?, 1, "one overridable variable");
    assert_eq!(app.count("#var-mine-客服名")?, 0);
    app.type_into("#var-mine-店铺名", &format!("小鹿家·阿强的店{ENTER}"))?;
    app.wait_text("#ed-status", |t| t.contains("小鹿家·阿强的店"))?;
    let s = Store::open(dir.path())?;
    assert_eq!(s.effective_vars(team.id)?["店铺名"], "小鹿家·阿强的店");
    assert_eq!(s.effective_vars(team.id)?["客服名"], "小鹿");
    assert_eq!(
        s.variable_list(&team)?.len(),
        2,
        "the team's variables unchanged"
    );
    app.screenshot("editor-vars-agent.png")?;
    // Alt+V goes back to the replies.
    app.type_into("#tree", &format!("{ALT}v{NULL}"))?;
    app.wait_text("#vars-open", |t| t.contains("变量"))?;
    assert_eq!(app.count("#vars")?, 0);
    app.close();
    Ok(())
}

/// A stand-in remote id for a library linked by hand.
fn uuid_like(id: &str) -> String {
    format!("{}0", &id[..id.len() - 1])
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn editor_history_restores_a_version_for_the_lead_and_only_shows_it_to_an_agent() -> Result<()> {
    use quickreply_e2e::sync::{Client, Server, lead_with_team};
    const TEAM: &str = "售后话术";
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    let mut server = Server::start(dir.path())?;
    let lead = lead_with_team(
        dir.path(),
        &server,
        TEAM,
        &[("", "退货地址", "thdz", "亲，退货请寄到售后部")],
    )?;
    lead.ok(&[
        "edit",
        "thdz",
        "--library",
        TEAM,
        "--text",
        "亲，退货请寄到杭州仓，运费我们出",
    ])?;
    lead.ok(&["sync"])?;
    let id = Store::open(&lead.data)?.resolve(None, "thdz")?.id;
    let open_history = |app: &App| -> Result<()> {
        app.open_editor()?;
        app.wait_text(".libs button.team", |t| t.contains(TEAM))?;
        app.click(".libs button.team")?;
        app.click(&format!("#r-{id} button"))?;
        app.wait_text("#ed-title", |_| true)?;
        app.type_into("#tree", &format!("{CTRL}h{NULL}"))?;
        Ok(())
    };

    // The lead: Ctrl+H lists both versions (who, which computer), Enter restores the
    // first, and the restore reaches the server as a new version.
    let app = App::start(&d, &lead.data)?;
    open_history(&app)?;
    app.wait_text("#history li[data-version='2']", |t| t.contains("最新"))?;
    app.wait_text("#history li[data-version='1']", |t| {
        t.contains("王主管") && t.contains("lead-pc")
    })?;
    // Version 1 is chosen (the newest is the reply as it is) and shown in full.
    app.wait_text("#history-text", |t| t.contains("亲，退货请寄到售后部"))?;
    std::thread::sleep(Duration::from_millis(400));
    app.screenshot("editor-history.png")?;
    app.keys(ENTER)?;
    app.wait_text("#ed-status", |t| t.contains("第 1 版"))?;
    assert_eq!(app.count("#history")?, 0);
    let text = |data: &Path| -> Option<String> {
        let s = Store::open(data).ok()?;
        s.snippet(id)
            .ok()?
            .parts
            .first()?
            .text()
            .map(str::to_string)
    };
    assert_eq!(text(&lead.data).as_deref(), Some("亲，退货请寄到售后部"));
    wait_for(
        "the restore on the server as version 3",
        Duration::from_secs(15),
        || {
            let out = lead.ok(&["history", "thdz", "--library", TEAM]).ok()?;
            out.contains("v3").then_some(())
        },
    )?;
    app.close();

    // An agent sees the versions, read-only: no restore button, Enter does nothing.
    let invite = lead.invite(&["--role", "agent"])?;
    let agent = Client::new(dir.path(), "agent-pc");
    agent.join(&server, &invite, "小李")?;
    agent.ok(&["sync"])?;
    let app = App::start(&d, &agent.data)?;
    open_history(&app)?;
    app.wait_text("#history-readonly", |t| {
        t.contains("只有主管或编辑可以恢复")
    })?;
    app.wait_text("#history li[data-version='3']", |t| t.contains("王主管"))?;
    assert_eq!(app.count("#history-restore")?, 0);
    app.keys(ENTER)?;
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(
        app.count("#history")?,
        1,
        "Enter restores nothing for an agent"
    );
    app.screenshot("editor-history-agent.png")?;
    assert_eq!(text(&agent.data).as_deref(), Some("亲，退货请寄到售后部"));

    // Offline: the history says so in words, and closes with Esc.
    app.keys(ESCAPE)?;
    wait_for("the history closed", Duration::from_secs(5), || {
        (app.count("#history").ok()? == 0).then_some(())
    })?;
    server.kill9();
    app.type_into("#tree", &format!("{CTRL}h{NULL}"))?;
    app.wait_text("#history-error", |t| t.contains("连不上同步服务器"))?;
    std::thread::sleep(Duration::from_millis(400));
    app.screenshot("editor-history-offline.png")?;
    app.close();
    Ok(())
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn editor_conflicts_side_by_side_take_mine_and_edit_a_merge() -> Result<()> {
    use quickreply_e2e::sync::{Client, Server, lead_with_team};
    const TEAM: &str = "售后话术";
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    let server = Server::start(dir.path())?;
    let lead = lead_with_team(
        dir.path(),
        &server,
        TEAM,
        &[
            ("", "退货地址", "thdz", "亲，退货请寄到售后部"),
            ("", "发货时间", "fhsj", "亲，48小时内发货"),
        ],
    )?;
    let invite = lead.invite(&["--role", "editor"])?;
    let editor = Client::new(dir.path(), "editor-pc");
    editor.join(&server, &invite, "小张")?;
    editor.ok(&["sync"])?;
    // The same reply text changed on both computers: the lead's reaches the server first.
    for (code, theirs, mine) in [
        ("thdz", "亲，退货请寄到杭州仓", "亲，退货请寄到宁波仓"),
        ("fhsj", "亲，24小时内发货", "亲，当天发货"),
    ] {
        lead.ok(&["edit", code, "--library", TEAM, "--text", theirs])?;
        editor.ok(&["edit", code, "--library", TEAM, "--text", mine])?;
    }
    lead.ok(&["sync"])?;
    editor.ok(&["sync"])?;
    let store = Store::open(&editor.data)?;
    let conflicts = store.conflicts()?;
    assert_eq!(conflicts.len(), 2, "{conflicts:?}");
    assert!(conflicts.iter().all(|c| c.original.is_some()));
    let fhsj = store.resolve(None, "fhsj")?.id;
    let thdz = store.resolve(None, "thdz")?.id;
    drop(store);
    let text = |id| -> Option<String> {
        let s = Store::open(&editor.data).ok()?;
        s.snippet(id)
            .ok()?
            .parts
            .first()?
            .text()
            .map(str::to_string)
    };

    let app = App::start(&d, &editor.data)?;
    app.open_editor()?;
    app.wait_text("#conflicts-open", |t| t.contains("冲突 2"))?;
    app.type_into("#tree", &format!("{ALT}c{NULL}"))?;
    let fhsj_row = wait_for(
        "the conflict of fhsj listed",
        Duration::from_secs(10),
        || {
            (0..2).find(|i| {
                app.text(&format!("#conflict-{i}"))
                    .is_ok_and(|t| t.contains("发货时间"))
            })
        },
    )?;
    app.click(&format!("#conflict-{fhsj_row} button"))?;
    // The server's version beside this computer's.
    app.wait_text("#conflict-current", |t| t.contains("亲，24小时内发货"))?;
    app.wait_text("#conflict-mine", |t| {
        t.contains("亲，当天发货") && t.contains("冲突副本")
    })?;
    std::thread::sleep(Duration::from_millis(400));
    app.screenshot("editor-conflict.png")?;
    // 2: take mine — the reply has this computer's text, the copy is gone.
    app.keys("2")?;
    app.wait_text("#ed-status", |t| t.contains("已用本机的版本"))?;
    assert_eq!(text(fhsj).as_deref(), Some("亲，当天发货"));
    // 3: edit a merge — the current reply opens with the copy beside it.
    app.wait_text("#conflict-current", |t| t.contains("亲，退货请寄到杭州仓"))?;
    app.keys("3")?;
    app.wait_text("#merge-copy", |t| t.contains("亲，退货请寄到宁波仓"))?;
    app.wait_text("#ed-preview", |t| t.contains("亲，退货请寄到杭州仓"))?;
    app.clear("#ed-part-0")?;
    app.type_into("#ed-part-0", "亲，江浙沪寄杭州仓，其他地区寄宁波仓")?;
    app.type_into("#ed-part-0", &format!("{CTRL}s{NULL}"))?;
    app.wait_text("#ed-status", |t| t.contains("退货地址"))?;
    std::thread::sleep(Duration::from_millis(400));
    app.screenshot("editor-conflict-merge.png")?;
    app.click("#merge-done")?;
    wait_for("no conflicts left", Duration::from_secs(10), || {
        let s = Store::open(&editor.data).ok()?;
        s.conflicts().ok()?.is_empty().then_some(())
    })?;
    assert_eq!(
        text(thdz).as_deref(),
        Some("亲，江浙沪寄杭州仓，其他地区寄宁波仓")
    );
    // The badge follows a moment later (it is refreshed after the settle).
    wait_for("the conflict badge to go", Duration::from_secs(10), || {
        (app.count("#conflicts-open").ok()? == 0).then_some(())
    })?;
    app.close();
    Ok(())
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn auto_paste_sends_every_part_presses_enter_and_restores_the_clipboard() -> Result<()> {
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    let settings = Settings {
        auto_paste: true,
        press_enter: true,
        restore_clipboard: true,
        ..Settings::default()
    };
    let store = library(dir.path(), settings)?;
    let x = Conn::open(&d.name)?;
    let chat = PasteTarget::start(&d.name, "WeChat", "微信 - 买家小赵", (40, 40, 640, 520))?;
    let app = App::start(&d, dir.path())?;
    app.element("#search")?;
    // Something of the agent's own is on the clipboard before the fire.
    let mut xclip = std::process::Command::new("xclip")
        .args(["-selection", "clipboard", "-i"])
        .env("DISPLAY", &d.name)
        .stdin(std::process::Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = xclip.stdin.take() {
        std::io::Write::write_all(&mut stdin, "订单号 2026112300042".as_bytes())?;
    }
    xclip.wait()?;
    wait_clipboard(&d, "订单号 2026112300042")?;
    x.activate(chat.window)?;
    d.key("ctrl+alt+space")?;
    app.wait_text("#context", |t| t.contains("WeChat"))?;
    // Text → image → text: both texts arrive in order, each followed by Enter (the image
    // is pasted too; the stand-in only reads text).
    app.search("vcm")?;
    app.wait_text("#hit-0 .title", |t| t.starts_with("尺码表图文"))?;
    app.press(ENTER)?;
    let parts = rendered(&store, "vcm")?;
    let want = vec![
        text_of(&parts, 0)?,
        "⏎".to_string(),
        "⏎".to_string(),
        text_of(&parts, 2)?,
        "⏎".to_string(),
    ];
    wait_for(
        "every part in the chat window",
        Duration::from_secs(15),
        || (chat.pastes() == want).then_some(()),
    )
    .with_context(|| format!("the chat window got {:?}", chat.pastes()))?;
    // And the agent's clipboard is back.
    wait_clipboard(&d, "订单号 2026112300042")?;
    app.close();
    Ok(())
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn editor_imports_with_a_preview_and_exports_a_pack() -> Result<()> {
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    Settings::default().save(&settings_path(dir.path()))?;
    {
        // One reply so that the app does not fill the library with the built-in ones.
        let mut s = Store::open(dir.path())?;
        let lib = s.library("personal")?;
        s.add_snippet(
            &lib,
            quickreply_core::NewSnippet {
                title: "已有的话术".into(),
                parts: vec![quickreply_core::proto::Part::Text {
                    body: "你好".into(),
                }],
                ..Default::default()
            },
        )?;
    }
    let app = App::start(&d, dir.path())?;
    app.open_editor()?;
    app.element("#tree .reply")?;

    // A file that is not there: a clear error, nothing changes.
    app.type_into("#tree", &format!("{CTRL}i{NULL}"))?;
    app.type_into("#transfer-path", &format!("/nonexistent/话术.csv{ENTER}"))?;
    app.wait_text("#transfer-error", |t| t.contains("/nonexistent/话术.csv"))?;

    // A GBK spreadsheet export from Excel: preview first, then import.
    let csv = quickreply_e2e::root().join("tests/fixtures/店铺话术-Excel导出.csv");
    app.clear("#transfer-path")?;
    app.type_into("#transfer-path", &format!("{}{ENTER}", csv.display()))?;
    let counts = app.wait_text("#transfer-counts", |t| t.contains("新增"))?;
    std::thread::sleep(Duration::from_millis(300));
    d.screenshot("import-preview.png")?;
    let before = Store::open(dir.path())?.snippets(None)?.len();
    app.type_into("#transfer-path", ENTER)?;
    app.wait_text("#ed-status", |t| t.contains("已导入"))?;
    let after = Store::open(dir.path())?.snippets(None)?.len();
    assert!(after > before, "{counts}: {before} → {after}");
    assert!(
        counts.contains(&format!("新增 {}", after - before)),
        "{counts}"
    );

    // Export the library as a .qrpack and read it back.
    let out = dir.path().join("导出.qrpack");
    app.type_into("#tree", &format!("{CTRL}\u{E008}e{NULL}"))?; // Ctrl+Shift+E
    app.type_into("#transfer-path", &format!("{}{ENTER}", out.display()))?;
    app.wait_text("#ed-status", |t| t.contains("已导出"))?;
    let back = quickreply_core::packs::read_path(&out, None)?;
    assert_eq!(back.pack.snippets.len(), after);
    app.close();
    Ok(())
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn a_second_start_shows_the_running_panel_instead() -> Result<()> {
    let d = Display::start()?;
    let bus = SessionBus::start()?;
    let dir = tempfile::tempdir()?;
    library(dir.path(), Settings::default())?;
    let x = Conn::open(&d.name)?;
    let app = App::start_on_bus(&d, dir.path(), Some(&bus))?;
    let panel = panel_window(&x)?;
    wait_for(
        "the panel to have the focus",
        Duration::from_secs(10),
        || (x.active() == Some(panel)).then_some(()),
    )?;
    d.key("ctrl+alt+space")?;
    wait_for("the panel to hide", Duration::from_secs(10), || {
        (!x.is_viewable(panel)).then_some(())
    })?;
    // Starting the app again (from the menu, a desktop icon) hands over and exits.
    let mut second = std::process::Command::new(quickreply_e2e::app_binary()?)
        .env("DISPLAY", &d.name)
        .env("QUICKREPLY_DATA_DIR", dir.path())
        .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("second.log"))?)
        .spawn()?;
    let status = wait_for("the second start to exit", Duration::from_secs(20), || {
        second.try_wait().ok().flatten()
    })
    .with_context(|| {
        let _ = second.kill();
        format!(
            "bus {}: {}",
            bus.address,
            std::fs::read_to_string(dir.path().join("second.log")).unwrap_or_default()
        )
    })?;
    assert!(status.success(), "{status}");
    wait_for("the running panel to show", Duration::from_secs(10), || {
        x.is_viewable(panel).then_some(())
    })?;
    assert_eq!(
        x.find_titled("QuickReply"),
        Some(panel),
        "no second panel window"
    );
    app.close();
    Ok(())
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn the_tray_icon_docks_in_the_system_tray() -> Result<()> {
    let d = Display::start()?;
    let tray = Tray::start(&d.name)?;
    let dir = tempfile::tempdir()?;
    library(dir.path(), Settings::default())?;
    let app = App::start(&d, dir.path())?;
    app.element("#search")?;
    let x = Conn::open(&d.name)?;
    // The icon may be re-created while the app starts; one must remain.
    let alive = |w: &u32| {
        x.conn
            .get_window_attributes(*w)
            .ok()
            .and_then(|c| c.reply().ok())
            .is_some()
    };
    wait_for("the tray icon", Duration::from_secs(15), || {
        Some(tray.icons()).filter(|i| !i.is_empty())
    })?;
    std::thread::sleep(Duration::from_millis(500));
    let icons = tray.icons();
    let live: Vec<u32> = icons.iter().copied().filter(alive).collect();
    assert_eq!(live.len(), 1, "one live icon of {icons:?}");
    app.close();
    Ok(())
}

/// The words of the `Exec=` line of a desktop entry (auto-launch writes them unquoted).
fn exec_line(entry: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(entry)?;
    let exec = text
        .lines()
        .find_map(|l| l.strip_prefix("Exec="))
        .with_context(|| format!("no Exec line in {text}"))?;
    Ok(exec.split_whitespace().map(str::to_string).collect())
}

/// Open Settings (Ctrl+,) and tick or untick 开机时启动 with Tab and Space, then Ctrl+S.
fn set_start_at_login(app: &App, on: bool) -> Result<()> {
    app.type_into("#search", &format!("{CTRL},{NULL}"))?;
    app.element("#settings")?;
    let focused = || {
        app.script("return document.activeElement && document.activeElement.id")
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
    };
    for _ in 0..30 {
        if focused().as_deref() == Some("set-startatlogin") {
            break;
        }
        app.keys("\u{E004}")?; // Tab
    }
    assert_eq!(
        focused().as_deref(),
        Some("set-startatlogin"),
        "tabbed to it"
    );
    let checked = || {
        app.script("return document.querySelector('#set-startatlogin').checked")
            .ok()
            .and_then(|v| v.as_bool())
    };
    assert_eq!(checked(), Some(!on));
    app.keys(" ")?;
    wait_for("the box to change", Duration::from_secs(5), || {
        (checked() == Some(on)).then_some(())
    })?;
    app.type_into("#set-startatlogin", &format!("{CTRL}s{NULL}"))
}

/// Kills the app started as a login session would when the test fails half way.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn start_at_login_starts_in_the_tray_whose_menu_pauses_opens_settings_and_quits() -> Result<()> {
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    let home = tempfile::tempdir()?;
    library(dir.path(), Settings::default())?;
    let x = Conn::open(&d.name)?;
    let entry = home.path().join(".config/autostart/QuickReply.desktop");
    let env = [("HOME", home.path().as_os_str())];
    let on_disk = || Settings::load(&settings_path(dir.path())).ok();

    // 1. Settings → 开机时启动, saved: the autostart entry starts the app with --hidden.
    let app = App::start_with_env(&d, dir.path(), &env)?;
    panel_window(&x)?;
    set_start_at_login(&app, true)?;
    wait_for("the autostart entry", Duration::from_secs(10), || {
        entry.exists().then_some(())
    })?;
    assert_eq!(on_disk().map(|s| s.start_at_login), Some(true));
    let exec = exec_line(&entry)?;
    let bin = quickreply_e2e::app_binary()?.canonicalize()?;
    assert_eq!(
        exec.first().map(|e| Path::new(e).canonicalize().ok()),
        Some(Some(bin)),
        "{exec:?}"
    );
    assert!(exec.iter().any(|a| a == "--hidden"), "{exec:?}");
    app.close();
    // An entry the settings know nothing of, as the Windows installer's 开机时启动 writes
    // one: the app takes the OS's word when it starts, so a later save keeps the entry.
    let mut forgot = on_disk().context("the settings file")?;
    forgot.start_at_login = false;
    forgot.save(&settings_path(dir.path()))?;

    // 2. Log in: a tray is running and the session runs the entry's command.
    let tray = Tray::start(&d.name)?;
    let log = dir.path().join("login.log");
    let mut login = Child(
        std::process::Command::new(&exec[0])
            .args(&exec[1..])
            .env("DISPLAY", &d.name)
            .env("HOME", home.path())
            .env("QUICKREPLY_DATA_DIR", dir.path())
            .env("QUICKREPLY_LANG", "zh-CN")
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .spawn()?,
    );
    let icon = wait_for("the tray icon to dock", Duration::from_secs(20), || {
        tray.icons().into_iter().rev().find(|w| x.is_viewable(*w))
    })
    .with_context(|| std::fs::read_to_string(&log).unwrap_or_default())?;
    assert_eq!(x.find_titled("QuickReply"), None, "--hidden shows no panel");
    wait_for(
        "the settings to follow the autostart entry",
        Duration::from_secs(10),
        || on_disk().filter(|s| s.start_at_login),
    )?;

    // 3. The tray menu, clicked and chosen from by keyboard like a user.
    let (ix, iy) = Tray::icon_point();
    let choose = |downs: usize, shot: Option<&str>| -> Result<()> {
        let before = x.popups();
        d.run(
            "xdotool",
            &["mousemove", &ix.to_string(), &iy.to_string(), "click", "3"],
        )?;
        let menu = wait_for("the tray menu", Duration::from_secs(10), || {
            x.popups().into_iter().find(|w| !before.contains(w))
        })?;
        if let Some(name) = shot {
            d.screenshot(name)?;
        }
        for _ in 0..downs {
            d.key("Down")?;
        }
        d.key("Return")?;
        wait_for("the menu to close", Duration::from_secs(10), || {
            (!x.is_viewable(menu)).then_some(())
        })
    };
    // 暂停快捷键 (second item) pauses, and again resumes; both are saved.
    choose(2, Some("tray-menu.png"))?;
    wait_for("paused on disk", Duration::from_secs(10), || {
        on_disk().filter(|s| s.paused)
    })?;
    choose(2, Some("tray-menu-paused.png"))?;
    wait_for("resumed on disk", Duration::from_secs(10), || {
        on_disk().filter(|s| !s.paused)
    })?;
    assert!(
        entry.exists(),
        "saving the settings kept the autostart entry"
    );
    assert_eq!(
        x.find_titled("QuickReply"),
        None,
        "still hidden after pausing"
    );
    assert!(x.is_viewable(icon));
    // 打开面板 shows the panel; the panel hotkey hides it again.
    choose(1, None)?;
    let panel = panel_window(&x)?;
    wait_for("the panel to show", Duration::from_secs(10), || {
        x.is_viewable(panel).then_some(())
    })?;
    wait_for(
        "the panel to have the focus",
        Duration::from_secs(10),
        || (x.active() == Some(panel)).then_some(()),
    )?;
    d.key("ctrl+alt+space")?;
    wait_for("the panel to hide", Duration::from_secs(10), || {
        (!x.is_viewable(panel)).then_some(())
    })?;
    // 设置… shows the panel on its settings page with the hotkey field focused (the
    // keyboard focus really in the panel, not only the window manager's word): a hotkey
    // typed there and saved with Ctrl+S reaches the settings file. The page is drawn a
    // moment after the window maps, so the typing is repeated until it lands.
    choose(3, None)?;
    wait_for(
        "the keyboard focus in the panel",
        Duration::from_secs(10),
        || (x.is_viewable(panel) && x.has_focus(panel)).then_some(()),
    )?;
    let mut saved = None;
    for _ in 0..5 {
        d.key("ctrl+a")?;
        d.run("xdotool", &["type", "--delay", "30", "ctrl+alt+q"])?;
        d.key("ctrl+s")?;
        saved = wait_for("the typed hotkey", Duration::from_secs(2), || {
            on_disk().filter(|s| s.hotkey == "Ctrl+Alt+Q")
        })
        .ok();
        if saved.is_some() {
            break;
        }
    }
    saved.context("the hotkey typed in Settings never reached the settings file")?;
    d.screenshot("tray-settings.png")?;
    // 退出 QuickReply ends the app with status 0.
    choose(4, None)?;
    let status = wait_for("the app to quit", Duration::from_secs(10), || {
        login.0.try_wait().ok().flatten()
    })?;
    assert!(status.success(), "{status}");

    // 4. Unticking 开机时启动 removes the entry.
    let app = App::start_with_env(&d, dir.path(), &env)?;
    panel_window(&x)?;
    set_start_at_login(&app, false)?;
    wait_for("the autostart entry to go", Duration::from_secs(10), || {
        (!entry.exists()).then_some(())
    })?;
    assert_eq!(on_disk().map(|s| s.start_at_login), Some(false));
    app.close();
    Ok(())
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn a_lead_edit_reaches_the_running_app_through_live_sync() -> Result<()> {
    use quickreply_e2e::sync::{Client, Server, lead_with_team};
    const TEAM: &str = "售后话术";
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    let mut server = Server::start(dir.path())?;
    let lead = lead_with_team(
        dir.path(),
        &server,
        TEAM,
        &[("", "退货地址", "thdz", "亲，退货请寄到售后部")],
    )?;
    let invite = lead.invite(&["--role", "agent"])?;
    let agent = Client::new(dir.path(), "agent-pc");
    agent.join(&server, &invite, "小李")?;

    let app = App::start(&d, &agent.data)?;
    app.search("thdz")?;
    app.wait_text("#hit-0 .title", |t| t.starts_with("退货地址"))?;
    app.wait_text("#sync", |t| t.contains("团队话术已同步"))?;

    // The lead adds a reply; the running app has it without a restart or a click.
    lead.ok(&[
        "add",
        "--library",
        TEAM,
        "--title",
        "双十二活动",
        "--code",
        "sse",
        "--text",
        "亲，双十二全场满300减40",
    ])?;
    lead.ok(&["sync"])?;
    wait_for(
        "the lead's new reply in the app",
        Duration::from_secs(10),
        || {
            app.search("sse").ok()?;
            std::thread::sleep(Duration::from_millis(150));
            let t = app.text("#hit-0 .title").ok()?;
            t.starts_with("双十二活动").then_some(())
        },
    )?;
    d.screenshot("synced-panel.png")?;
    app.press(ENTER)?;
    wait_clipboard(&d, "亲，双十二全场满300减40")?;

    // The server goes away: the indicator says offline, and the replies still fire.
    server.kill9();
    d.key("ctrl+alt+space")?;
    app.wait_text("#sync", |t| t.contains("离线"))?;
    // A reply written while offline waits on this computer, and the indicator says so.
    agent.ok(&[
        "add",
        "--title",
        "离线写的话术",
        "--text",
        "亲，稍等我查一下～",
    ])?;
    // The panel opened again reads the indicator afresh.
    let x = Conn::open(&d.name)?;
    let panel = panel_window(&x)?;
    for (press, shown) in [(true, false), (true, true)] {
        if press {
            d.key("ctrl+alt+space")?;
        }
        wait_for("the panel to toggle", Duration::from_secs(10), || {
            (x.is_viewable(panel) == shown).then_some(())
        })?;
    }
    app.wait_text("#sync", |t| t.contains("1 条改动保存在本机"))?;
    d.screenshot("offline-panel.png")?;

    // Back, and the lead revokes this computer: the app signs out by itself — the team's
    // replies go, the personal ones stay, and Settings → Team offers to join again.
    server.restart()?;
    app.wait_text("#sync", |t| t.contains("团队话术已同步"))?;
    let lead_sees = lead.ok(&["sync"]).and_then(|_| lead.titles("personal"));
    assert!(
        !lead_sees?.contains(&"离线写的话术".to_string()),
        "the agent's personal reply stays the agent's"
    );
    lead.ok(&["devices", "--revoke", "agent-pc"])?;
    app.wait_text("#sync", |t| t.contains("本机已被移出团队"))?;
    app.search("thdz")?;
    app.wait_text("#hits li.none", |t| !t.is_empty())?;
    d.screenshot("signed-out-panel.png")?;
    let store = Store::open(&agent.data)?;
    let kinds: Vec<_> = store.libraries()?.into_iter().map(|l| l.kind).collect();
    assert_eq!(
        kinds,
        vec![quickreply_core::proto::LibraryKind::Personal],
        "only the personal library is left"
    );
    assert!(quickreply_sync::account(&store)?.is_none());
    app.close();
    Ok(())
}

/// In the running app, Settings → Team: join the server at `url` with an invite `code`
/// as (user, device), trying a wrong code first; waits until the app shows the `role`.
fn join_by_invite(app: &App, url: &str, code: &str, who: (&str, &str, &str)) -> Result<()> {
    let (user, device, role) = who;
    app.type_into("#search", &format!("{CTRL},{NULL}"))?;
    app.wait_text("#team", |t| t.contains("还没有加入团队"))?;
    app.type_into("#team-server", url)?;
    app.type_into("#team-user", user)?;
    app.clear("#team-device")?;
    app.type_into("#team-device", device)?;
    app.type_into("#team-code", &format!("WRONG-CODE{ENTER}"))?;
    let refused = app.wait_text("#team-error", |t| t.contains("服务器"))?;
    assert!(
        Store::open(&app.data_dir)
            .map(|s| quickreply_sync::account(&s).ok().flatten().is_none())
            .unwrap_or(false),
        "joined after {refused}"
    );
    app.clear("#team-code")?;
    app.type_into("#team-code", &format!("{code}{ENTER}"))?;
    app.wait_text("#team-role", |t| t == role)?;
    app.wait_text("#team-status", |t| t.contains("已加入团队"))?;
    app.wait_text("#team-server-shown", |t| {
        t.trim_end_matches('/') == url.trim_end_matches('/')
    })?;
    Ok(())
}

/// Search `query` in the panel until its first hit's title starts with `title` (a
/// change that arrives by sync); how long that took.
fn wait_for_hit(app: &App, query: &str, title: &str) -> Result<Duration> {
    let started = std::time::Instant::now();
    wait_for(
        &format!("“{title}” in the panel"),
        Duration::from_secs(20),
        || {
            app.search(query).ok()?;
            std::thread::sleep(Duration::from_millis(100));
            let t = app.text("#hit-0 .title").ok()?;
            t.starts_with(title).then_some(())
        },
    )?;
    Ok(started.elapsed())
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn settings_team_section_joins_by_invite_and_by_approval() -> Result<()> {
    use quickreply_e2e::sync::{Client, Server, lead_with_team};
    const TEAM: &str = "售后话术";
    const ESCAPE: &str = "\u{E00C}";
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    let server = Server::start(dir.path())?;
    let lead = lead_with_team(
        dir.path(),
        &server,
        TEAM,
        &[("", "退货地址", "thdz", "亲，退货请寄到售后部")],
    )?;
    let invite = lead.invite(&["--role", "agent"])?;
    let finds_the_team_reply = |app: &App| wait_for_hit(app, "thdz", "退货地址").map(|_| ());

    // App A joins with an invite code from Settings → Team; a wrong code first: the
    // server's refusal in Chinese, and nothing changes.
    let a_dir = dir.path().join("app-a");
    library(&a_dir, Settings::default())?;
    let app = App::start(&d, &a_dir)?;
    join_by_invite(&app, &server.url, &invite, ("小李", "app-a", "客服"))?;
    // Back in the panel, the team's reply has arrived without a restart.
    app.type_into("#team-approve-code", ESCAPE)?;
    finds_the_team_reply(&app)?;
    app.close();

    // App B signs in by approval: it shows a code and a QR code; the lead approves.
    let b_dir = dir.path().join("app-b");
    library(&b_dir, Settings::default())?;
    let app = App::start(&d, &b_dir)?;
    app.type_into("#search", &format!("{CTRL},{NULL}"))?;
    app.type_into("#team-how-approval", " ")?;
    wait_for("the code field to go", Duration::from_secs(5), || {
        app.find("#team-code").ok()?.is_none().then_some(())
    })?;
    app.type_into("#team-server", &server.url)?;
    app.type_into("#team-user", "小刘")?;
    app.clear("#team-device")?;
    app.type_into("#team-device", &format!("app-b{ENTER}"))?;
    let code = app.wait_text("#team-signin-code", |t| t.len() == 9 && t.contains('-'))?;
    app.element("#team-qr")?;
    app.wait_text("#team-signin-status", |t| t.contains("等待批准"))?;
    std::thread::sleep(Duration::from_millis(500));
    d.screenshot("team-signin.png")?;
    let approved = lead.run(&["approve", &code, "--member", "agent"])?;
    assert!(
        approved.code == 0 && approved.stderr.contains("app-b"),
        "{approved:?}"
    );
    app.wait_text("#team-role", |t| t == "客服")?;
    app.wait_text("#team-joined", |t| {
        t.contains("小刘") && t.contains("app-b")
    })?;
    app.wait_text("#team-status", |t| t.contains("已批准"))?;
    // The background sync started at once: a first round reached the server.
    app.wait_text("#team-last-sync", |t| t.starts_with("20"))?;
    std::thread::sleep(Duration::from_millis(300));
    d.screenshot("team-joined.png")?;

    // B, an agent, lets in one more computer of its own: it sees who asks and may
    // approve it only as its own computer.
    let laptop = Client::new(dir.path(), "laptop");
    let asking = laptop.signin_in_background(&server, None)?;
    let laptop_code = asking.code.clone();
    app.type_into(
        "#team-approve-code",
        &format!("{}{ENTER}", laptop_code.to_lowercase()),
    )?;
    app.wait_text("#team-request", |t| t.contains("laptop"))?;
    assert!(app.find("#team-decide-agent")?.is_none());
    app.type_into("#team-decide-device", ENTER)?;
    app.wait_text("#team-status", |t| t.contains("已批准"))?;
    asking.finish("the laptop to join", Duration::from_secs(15))?;

    // The panel has the team's reply; then B leaves after confirming.
    app.type_into("#team-approve-code", ESCAPE)?;
    finds_the_team_reply(&app)?;
    app.type_into("#search", &format!("{CTRL},{NULL}"))?;
    app.type_into("#team-leave", ENTER)?;
    app.type_into("#team-leave-yes", ENTER)?;
    app.wait_text("#team-status", |t| t.contains("已退出团队"))?;
    app.element("#team-server")?;
    let left = Store::open(&b_dir)?;
    assert!(quickreply_sync::account(&left)?.is_none());
    app.close();
    Ok(())
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn an_editors_app_approves_another_and_both_panels_get_a_lead_edit_live() -> Result<()> {
    use quickreply_e2e::sync::{Server, lead_with_team};
    const TEAM: &str = "售后话术";
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    let server = Server::start(dir.path())?;
    let lead = lead_with_team(
        dir.path(),
        &server,
        TEAM,
        &[("", "退货地址", "thdz", "亲，退货请寄到售后部")],
    )?;

    // App A, a team editor's, joins by invite code; app B, running at the same time on
    // the same desktop, asks to sign in and A approves it as a new agent.
    let a_dir = dir.path().join("app-a");
    library(&a_dir, Settings::default())?;
    let a = App::start(&d, &a_dir)?;
    let invite = lead.invite(&["--role", "editor"])?;
    join_by_invite(&a, &server.url, &invite, ("小王", "app-a", "编辑"))?;

    let b_dir = dir.path().join("app-b");
    library(
        &b_dir,
        Settings {
            hotkey: "Ctrl+Alt+B".into(),
            next_part_hotkey: "Ctrl+Alt+M".into(),
            ..Settings::default()
        },
    )?;
    let b = App::start(&d, &b_dir)?;
    b.type_into("#search", &format!("{CTRL},{NULL}"))?;
    b.type_into("#team-how-approval", " ")?;
    b.type_into("#team-server", &server.url)?;
    b.type_into("#team-user", "小刘")?;
    b.clear("#team-device")?;
    b.type_into("#team-device", &format!("app-b{ENTER}"))?;
    let code = b.wait_text("#team-signin-code", |t| t.len() == 9 && t.contains('-'))?;
    b.element("#team-qr")?;

    a.type_into("#team-approve-code", &format!("{code}{ENTER}"))?;
    a.wait_text("#team-request", |t| {
        t.contains("app-b") && t.contains("小刘")
    })?;
    a.type_into("#team-decide-agent", ENTER)?;
    a.wait_text("#team-status", |t| t.contains("已批准"))?;
    b.wait_text("#team-role", |t| t == "客服")?;
    b.wait_text("#team-joined", |t| {
        t.contains("小刘") && t.contains("app-b")
    })?;

    // Both panels have the team's reply; the lead edits it and both show the new text
    // without a click (the time it took is printed; `cargo xtask bench sync` measures it).
    for app in [&a, &b] {
        app.type_into("#team-approve-code", ESCAPE)?;
        wait_for_hit(app, "thdz", "退货地址")?;
    }
    lead.ok(&[
        "edit",
        "thdz",
        "--library",
        TEAM,
        "--title",
        "退货地址（新仓库）",
    ])?;
    lead.ok(&["sync"])?;
    let edited = std::time::Instant::now();
    let mut shown: [Option<Duration>; 2] = [None, None];
    wait_for(
        "the lead's edit in both panels",
        Duration::from_secs(20),
        || {
            for (i, app) in [&a, &b].into_iter().enumerate() {
                if shown[i].is_none()
                    && app.search("thdz").is_ok()
                    && app
                        .text("#hit-0 .title")
                        .is_ok_and(|t| t.starts_with("退货地址（新仓库）"))
                {
                    shown[i] = Some(edited.elapsed());
                }
            }
            shown.iter().all(Option::is_some).then_some(())
        },
    )?;
    eprintln!(
        "the lead's edit showed in app A after {:?}, in app B after {:?}",
        shown[0], shown[1]
    );
    wait_for_hit(&b, "thdz", "退货地址（新仓库）")?;
    std::thread::sleep(Duration::from_millis(300));
    d.screenshot("two-apps-live.png")?;
    a.close();
    b.close();
    Ok(())
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn an_agent_of_two_shops_joins_both_and_each_chat_window_shows_its_teams_replies() -> Result<()> {
    use quickreply_core::settings::Profile;
    use quickreply_e2e::sync::{Client, shop};
    const TEAM: &str = "售后话术";
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    let (server_a, _lead_a, invite_a) = shop(dir.path(), "店铺A", TEAM, "A店：付款后48小时内发货")?;
    let (server_b, lead_b, invite_b) =
        shop(dir.path(), "店铺B", TEAM, "B店：今天16点前付款当天发货")?;

    // The agent works in two shops' Qianniu windows; a profile per shop, told apart by
    // the window title, names the shop's team.
    let agent = Client::new(dir.path(), "agent-pc");
    let profile = |shop: &str, server: &str| Profile {
        name: format!("千牛 {shop}"),
        matches: vec!["aliworkbench".into()],
        titles: vec![shop.into()],
        team: Some(server.into()),
        ..Profile::default()
    };
    let mut settings = Settings {
        mode: WindowMode::Docked,
        ..Settings::default()
    };
    settings.profiles.push(profile("店铺A", &server_a.url));
    // Shop B's profile gets its team in Settings once shop B is joined.
    settings.profiles.push(Profile {
        team: None,
        ..profile("店铺B", &server_b.url)
    });
    Store::open(&agent.data)?;
    settings.save(&settings_path(&agent.data))?;
    agent.join(&server_a, &invite_a, "小李")?;
    let app = App::start(&d, &agent.data)?;
    let x = Conn::open(&d.name)?;
    let panel = panel_window(&x)?;
    let chat_a = x.stand_in("AliWorkBench", "接待中心 - 店铺A", (60, 60, 560, 560))?;
    let chat_b = x.stand_in("AliWorkBench", "接待中心 - 店铺B", (200, 100, 560, 560))?;
    x.activate(chat_a)?;
    wait_for(
        "the panel docked to shop A",
        Duration::from_secs(10),
        || x.is_viewable(panel).then_some(()),
    )?;

    // Shop B is joined from Settings → Team beside shop A.
    app.type_into("#search", &format!("{CTRL},{NULL}"))?;
    app.wait_text("#team-name-shown", |t| t == "店铺A")?;
    app.type_into("#team-add", ENTER)?;
    app.type_into("#team-server", &server_b.url)?;
    app.type_into("#team-user", "小李")?;
    app.clear("#team-device")?;
    app.type_into("#team-device", "agent-pc")?;
    app.type_into("#team-code", &format!("{invite_b}{ENTER}"))?;
    app.wait_text("#team-status", |t| t.contains("已加入团队"))?;
    app.wait_text("#team-name-shown", |t| t == "店铺B")?;
    assert_eq!(app.count("#team-account option")?, 2);
    d.screenshot("two-teams-settings.png")?;
    let store = Store::open(&agent.data)?;
    let teams: Vec<String> = quickreply_sync::accounts(&store)?
        .into_iter()
        .map(|a| a.team_name)
        .collect();
    assert_eq!(teams, vec!["店铺A".to_string(), "店铺B".to_string()]);
    // The last profile (千牛 店铺B) is for shop B's team; Ctrl+S saves.
    let team_of_b = ".profile:last-of-type .profile-team";
    app.wait_text(team_of_b, |t| t.contains("店铺B"))?;
    // As the app keeps server addresses: with the trailing slash.
    let address_b = format!("{}/", server_b.url.trim_end_matches('/'));
    app.select_value(team_of_b, &address_b)?;
    app.type_into(team_of_b, &format!("{CTRL}s{NULL}"))?;
    wait_for(
        "shop B's profile saved with its team",
        Duration::from_secs(10),
        || {
            let saved = Settings::load(&settings_path(&agent.data)).ok()?;
            let p = saved.profiles.iter().find(|p| p.name == "千牛 店铺B")?;
            (p.team.as_deref() == Some(address_b.as_str())).then_some(())
        },
    )?;
    app.script("document.querySelector('.profile:last-of-type').scrollIntoView()")?;
    std::thread::sleep(Duration::from_millis(300));
    d.screenshot("two-teams-profile.png")?;
    app.type_into("#team-approve-code", "\u{E00C}")?;

    // Each shop's window gets the panel with its own team's reply, never the other's.
    // Both teams call their library 售后话术: shop B's arrived here as 售后话术 (2).
    let only = |library: &str| -> Result<()> {
        let seen = std::cell::RefCell::new(String::new());
        wait_for(
            &format!("only {library} beside its shop's window"),
            Duration::from_secs(20),
            || {
                app.search("fh").ok()?;
                std::thread::sleep(Duration::from_millis(200));
                seen.replace(app.text("#hits").ok()?);
                let whence = app.text("#hit-0 .where").ok()?;
                (app.count("#hits li").ok()? == 1 && whence.contains(&format!("· {library} /")))
                    .then_some(())
            },
        )
        .with_context(|| format!("the panel showed: {}", seen.borrow()))
    };
    let shop_b = format!("{TEAM} (2)");
    x.activate(chat_a)?;
    only(TEAM)?;
    d.screenshot("two-teams-shop-a.png")?;
    app.press(ENTER)?;
    wait_clipboard(&d, "A店：付款后48小时内发货")?;
    x.activate(chat_b)?;
    only(&shop_b)?;
    d.screenshot("two-teams-shop-b.png")?;
    app.press(ENTER)?;
    wait_clipboard(&d, "B店：今天16点前付款当天发货")?;

    // A search that finds nothing beside shop B's window is shop B's question only.
    app.search("赠品卡")?;
    app.wait_text("#hits li.none", |t| !t.is_empty())?;
    app.press(ESCAPE)?;
    let asked = |server: &str| -> bool {
        store
            .missed_searches_since(0, 30, server)
            .map(|(rows, _)| rows.iter().any(|m| m.query == "赠品卡"))
            .unwrap_or(false)
    };
    wait_for(
        "the search counted for shop B",
        Duration::from_secs(10),
        || asked(&server_b.url).then_some(()),
    )?;
    assert!(
        !asked(&server_a.url),
        "shop A must not hear of shop B's question"
    );

    // Shop B's lead edits: the app has it live, in shop B's window.
    lead_b.ok(&[
        "edit",
        "fh",
        "--library",
        TEAM,
        "--text",
        "B店：全天付款当天发货",
    ])?;
    lead_b.ok(&["sync"])?;
    wait_for("shop B's edit to arrive", Duration::from_secs(10), || {
        let s = Store::open(&agent.data).ok()?;
        let lib = s.library(&shop_b).ok()?;
        let r = s.resolve(Some(&lib), "fh").ok()?;
        r.parts
            .iter()
            .find_map(quickreply_core::proto::Part::text)
            .filter(|t| t.contains("全天"))
            .map(|_| ())
    })?;
    only(&shop_b)?;
    app.press(ENTER)?;
    wait_clipboard(&d, "B店：全天付款当天发货")?;

    // Shop B's lead revokes this computer: the app signs out of shop B only.
    lead_b.ok(&["devices", "--revoke", "agent-pc"])?;
    let teams_now = || -> Option<Vec<String>> {
        let s = Store::open(&agent.data).ok()?;
        let accounts = quickreply_sync::accounts(&s).ok()?;
        Some(accounts.into_iter().map(|a| a.team_name).collect())
    };
    wait_for(
        "the app to sign out of shop B",
        Duration::from_secs(20),
        || (teams_now()? == ["店铺A"]).then_some(()),
    )?;
    // The one indicator names the team it is about.
    app.wait_text("#sync", |t| t.contains("店铺B：本机已被移出团队"))?;
    // Beside shop B's window no team's replies show any more; shop A's still fire
    // beside shop A's.
    wait_for("shop B's reply to go", Duration::from_secs(10), || {
        app.search("fh").ok()?;
        std::thread::sleep(Duration::from_millis(200));
        (app.count("#hits li.none").ok()? == 1).then_some(())
    })?;
    d.screenshot("two-teams-b-signed-out.png")?;
    x.activate(chat_a)?;
    only(TEAM)?;

    // Leaving shop A in Settings: the last team; its replies stay here.
    app.type_into("#search", &format!("{CTRL},{NULL}"))?;
    app.wait_text("#team-name-shown", |t| t == "店铺A")?;
    assert_eq!(app.count("#team-account")?, 0, "one team left: no switch");
    app.type_into("#team-leave", ENTER)?;
    app.type_into("#team-leave-yes", ENTER)?;
    app.wait_text("#team-status", |t| t.contains("已退出团队"))?;
    assert_eq!(teams_now(), Some(Vec::new()));
    let kept = Store::open(&agent.data)?;
    assert!(
        kept.library(TEAM).is_ok(),
        "shop A's library stays as a local one"
    );
    app.close();
    Ok(())
}

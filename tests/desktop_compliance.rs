//! The compliance check (合规检查) in the app, end to end under Xvfb: a reply is checked
//! for the platform of the chat app the panel serves, and the agent confirms a flagged
//! word before it is sent. The built-in 添加客服微信 (a WeChat-only reply) is flagged
//! beside Qianniu and fires at once in WeChat; a reply that inserts the clipboard
//! mid-sentence shows what it will insert first.
//!
//! Ignored in the plain test run like every `desktop_*.rs`; `cargo xtask test` runs it
//! (leg 5).

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use quickreply_core::settings::{Settings, WindowMode};
use quickreply_core::{Rendered, Store};
use quickreply_e2e::desktop::{library, panel_window, wait_clipboard};
use quickreply_e2e::x11::{Conn, PasteTarget};
use quickreply_e2e::{App, Display, ENTER, ESCAPE, wait_for};

/// The first part of a reply found by its title, as the library renders it.
fn first_text(store: &Store, title: &str) -> Result<String> {
    let s = store.resolve(None, title)?;
    match store.render(&s, &HashMap::new(), None)?.first() {
        Some(Rendered::Text(t)) => Ok(t.clone()),
        other => bail!("{title}: the first part is not text: {other:?}"),
    }
}

/// Puts a text on the clipboard as another program would (xclip stays as its owner).
fn copy(d: &Display, dir: &std::path::Path, text: &str) -> Result<()> {
    let file = dir.join("copied.txt");
    std::fs::write(&file, text)?;
    d.run(
        "sh",
        &[
            "-c",
            &format!(
                "xclip -selection clipboard -i '{}' >/dev/null 2>&1",
                file.display()
            ),
        ],
    )?;
    wait_for("the copied text", Duration::from_secs(10), || {
        (d.clipboard_text().as_deref() == Some(text)).then_some(())
    })
}

/// The app on the built-in library with its editor open and the tree drawn.
fn editor_open(d: &Display) -> Result<(tempfile::TempDir, App)> {
    let dir = tempfile::tempdir()?;
    library(dir.path(), Settings::default())?;
    let app = App::start(d, dir.path())?;
    app.open_editor()?;
    app.element("#tree .reply")?;
    Ok((dir, app))
}

/// Opens the panel from the chat window and picks the reply titled `title`.
fn pick(d: &Display, x: &Conn, app: &App, panel: u32, title: &str) -> Result<()> {
    d.key("ctrl+alt+space")?;
    wait_for(
        "the panel to have the focus",
        Duration::from_secs(10),
        || (x.active() == Some(panel)).then_some(()),
    )?;
    app.search(title)?;
    app.wait_text("#hit-0 .title", |t| t.starts_with(title))?;
    Ok(())
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn a_flagged_word_is_confirmed_beside_qianniu_and_not_asked_in_wechat() -> Result<()> {
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    // Docked, no auto-paste: a fire puts the reply on the clipboard.
    let settings = Settings {
        mode: WindowMode::Docked,
        auto_paste_chat_apps: false,
        ..Settings::default()
    };
    let store = library(dir.path(), settings)?;
    let want = first_text(&store, "添加客服微信")?;
    let x = Conn::open(&d.name)?;
    let app = App::start(&d, dir.path())?;
    let panel = panel_window(&x)?;
    app.element("#search")?;

    // Beside Qianniu (Taobao's rules) the WeChat reply is held for a confirmation.
    let qianniu = PasteTarget::start(
        &d.name,
        "AliWorkBench",
        "接待中心 - 买家小孙",
        (60, 60, 600, 560),
    )?;
    x.activate(qianniu.window)?;
    app.wait_text("#context", |t| t.contains("千牛"))?;
    pick(&d, &x, &app, panel, "添加客服微信")?;
    app.press(ENTER)?;
    let shown = app.wait_text("#fire-check", |t| t.contains("站外引流：联系方式"))?;
    assert!(shown.contains("按淘宝/天猫的规则检查"), "{shown}");
    let word = app.text("#fire-check li[data-rule='offsite-contact'] mark")?;
    assert_eq!(word, "微信");
    assert!(shown.contains("仍然发送 (Enter)"), "{shown}");
    app.screenshot("compliance-confirm-qianniu.png")?;
    assert_ne!(
        d.clipboard_text().as_deref(),
        Some(want.as_str()),
        "nothing is on the clipboard before the agent confirms"
    );
    // Enter confirms: the reply goes to the clipboard.
    app.press(ENTER)?;
    wait_clipboard(&d, &want)?;
    wait_for("the confirmation gone", Duration::from_secs(10), || {
        (app.count("#fire-check").ok()? == 0).then_some(())
    })?;

    // Escape takes it back: nothing is sent.
    copy(&d, dir.path(), "别的内容")?;
    x.activate(qianniu.window)?;
    pick(&d, &x, &app, panel, "添加客服微信")?;
    app.press(ENTER)?;
    app.wait_text("#fire-check", |t| t.contains("微信"))?;
    app.press(ESCAPE)?;
    wait_for("the confirmation gone", Duration::from_secs(10), || {
        (app.count("#fire-check").ok()? == 0).then_some(())
    })?;
    assert_eq!(d.clipboard_text().as_deref(), Some("别的内容"));

    // In WeChat the same reply fires at once.
    let wechat = PasteTarget::start(&d.name, "WeChat", "微信 - 买家小孙", (120, 80, 600, 560))?;
    x.activate(wechat.window)?;
    app.wait_text("#context", |t| t.contains("WeChat"))?;
    pick(&d, &x, &app, panel, "添加客服微信")?;
    app.press(ENTER)?;
    wait_clipboard(&d, &want)?;
    assert_eq!(app.count("#fire-check")?, 0, "no confirmation in WeChat");
    app.close();
    Ok(())
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn a_clipboard_mid_sentence_is_shown_before_it_is_sent() -> Result<()> {
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    let settings = Settings {
        mode: WindowMode::Docked,
        auto_paste_chat_apps: false,
        ..Settings::default()
    };
    library(dir.path(), settings)?;
    let x = Conn::open(&d.name)?;
    let app = App::start(&d, dir.path())?;
    let panel = panel_window(&x)?;
    app.element("#search")?;
    let chat = PasteTarget::start(&d.name, "WeChat", "微信 - 买家小孙", (60, 60, 600, 560))?;
    x.activate(chat.window)?;
    app.wait_text("#context", |t| t.contains("WeChat"))?;
    copy(&d, dir.path(), "杭州转运中心")?;
    x.activate(chat.window)?;
    // 快递太慢了: 包裹现在到了{剪贴板}，还在正常运输…
    pick(&d, &x, &app, panel, "快递太慢了")?;
    app.press(ENTER)?;
    let shown = app
        .wait_text("#check-clipboard", |t| t.contains("杭州转运中心"))
        .context("the clipboard shown before the fire")?;
    assert!(shown.starts_with("将插入剪贴板内容："), "{shown}");
    assert_eq!(app.count("#fire-check li")?, 0, "no word flagged");
    app.screenshot("compliance-clipboard.png")?;
    app.press(ENTER)?;
    wait_for(
        "the reply with the clipboard in it",
        Duration::from_secs(10),
        || {
            d.clipboard_text()
                .filter(|t| t.contains("包裹现在到了杭州转运中心，还在正常运输"))
        },
    )?;
    app.close();
    Ok(())
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn the_editor_highlights_a_flagged_word_as_one_types() -> Result<()> {
    let d = Display::start()?;
    let (_dir, app) = editor_open(&d)?;
    app.click("#new-reply")?;
    app.type_into("#ed-title", "面料介绍")?;
    app.type_into("#ed-part-0", "亲，这款是全网最好的面料，加我微信领券～")?;
    let shown = app.wait_text("#ed-flags-0", |t| t.contains("站外引流：联系方式"))?;
    assert!(shown.contains("广告法极限词"), "{shown}");
    let marks = app.script(
        "return [...document.querySelectorAll('#ed-flags-0 mark')].map(m => m.textContent)",
    )?;
    assert_eq!(marks, serde_json::json!(["全网最好的", "加我", "微信"]));
    app.screenshot("compliance-editor.png")?;
    // Fixed as one types: an idiom such as 第一时间 is no claim.
    app.clear("#ed-part-0")?;
    app.type_into("#ed-part-0", "亲，我们第一时间为您发货～")?;
    wait_for("the flags gone", Duration::from_secs(10), || {
        (app.count("#ed-flags-0").ok()? == 0).then_some(())
    })?;
    app.close();
    Ok(())
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn a_rule_the_library_blocks_cannot_be_sent() -> Result<()> {
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    let settings = Settings {
        mode: WindowMode::Docked,
        auto_paste_chat_apps: false,
        ..Settings::default()
    };
    let mut store = library(dir.path(), settings)?;
    // The library's list (what `qreply compliance block offsite-contact` writes).
    let lib = store.library("personal")?;
    quickreply_core::compliance::set_policy(
        &mut store,
        &lib,
        &quickreply_core::compliance::Policy {
            block: vec!["offsite-contact".into()],
            ..Default::default()
        },
    )?;
    let x = Conn::open(&d.name)?;
    let app = App::start(&d, dir.path())?;
    let panel = panel_window(&x)?;
    app.element("#search")?;
    let qianniu = PasteTarget::start(
        &d.name,
        "AliWorkBench",
        "接待中心 - 买家小孙",
        (60, 60, 600, 560),
    )?;
    x.activate(qianniu.window)?;
    app.wait_text("#context", |t| t.contains("千牛"))?;
    pick(&d, &x, &app, panel, "添加客服微信")?;
    app.press(ENTER)?;
    let shown = app.wait_text("#fire-check", |t| {
        t.contains("团队已禁止发送含这个词的话术")
    })?;
    assert!(shown.starts_with("不能发送：添加客服微信"), "{shown}");
    assert!(shown.contains("站外引流：联系方式"), "{shown}");
    assert_eq!(app.count("#check-send")?, 0, "no way to send it");
    assert_eq!(
        app.count("#fire-check li.blocked")?,
        1,
        "the blocked word is marked"
    );
    app.screenshot("compliance-blocked.png")?;
    app.press(ESCAPE)?;
    wait_for("the confirmation gone", Duration::from_secs(10), || {
        (app.count("#fire-check").ok()? == 0).then_some(())
    })?;
    app.close();
    Ok(())
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn a_profile_set_to_another_platform_is_checked_by_its_rules() -> Result<()> {
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    let settings = Settings {
        mode: WindowMode::Docked,
        auto_paste_chat_apps: false,
        ..Settings::default()
    };
    let store = library(dir.path(), settings)?;
    let want = first_text(&store, "淘宝查订单")?;
    let x = Conn::open(&d.name)?;
    let app = App::start(&d, dir.path())?;
    let panel = panel_window(&x)?;
    app.element("#search")?;
    // The Qianniu profile's window serves a Douyin shop here (设置 → 应用配置 → 合规检查平台).
    let qianniu = 2;
    assert!(
        Settings::default().profiles[qianniu].name.contains("千牛"),
        "the built-in profiles' order"
    );
    let handles = app.open_settings()?;
    app.click("#tab-profiles")?;
    let css = format!(".profile:nth-child({}) .profile-platform", qianniu + 1);
    app.select_value(&css, "douyin")?;
    app.screenshot("compliance-settings-platform.png")?;
    app.type_into(
        &css,
        &format!("{}s{}", quickreply_e2e::CTRL, quickreply_e2e::NULL),
    )?;
    app.wait_text("#settings-status", |t| t == "设置已保存")?;
    let saved = Settings::load(&quickreply_core::settings::settings_path(dir.path()))?;
    assert_eq!(
        saved.profiles[qianniu].platform,
        Some(quickreply_core::compliance::Platform::Douyin)
    );
    app.escape_settings(&css, (&handles.0, &handles.1))?;

    // Beside Qianniu a Taobao reply is fine on Taobao; checked as Douyin, 淘宝 is flagged.
    let chat = PasteTarget::start(
        &d.name,
        "AliWorkBench",
        "接待中心 - 买家小孙",
        (60, 60, 600, 560),
    )?;
    x.activate(chat.window)?;
    app.wait_text("#context", |t| t.contains("千牛"))?;
    pick(&d, &x, &app, panel, "淘宝查订单")?;
    app.press(ENTER)?;
    let shown = app.wait_text("#fire-check", |t| t.contains("抖音电商：站外导流"))?;
    assert!(shown.contains("按抖音电商的规则检查"), "{shown}");
    app.press(ENTER)?;
    wait_clipboard(&d, &want)?;
    app.close();
    Ok(())
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn a_favourite_with_a_flagged_word_asks_in_the_panel_first() -> Result<()> {
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    let mut settings = Settings {
        mode: WindowMode::Docked,
        auto_paste_chat_apps: false,
        ..Settings::default()
    };
    let store = library(dir.path(), settings.clone())?;
    let reply = store.resolve(None, "添加客服微信")?;
    settings.favourites = vec![quickreply_core::settings::Favourite {
        hotkey: "Ctrl+Alt+1".into(),
        snippet: reply.id,
    }];
    settings.save(&quickreply_core::settings::settings_path(dir.path()))?;
    let want = first_text(&store, "添加客服微信")?;
    let x = Conn::open(&d.name)?;
    let app = App::start(&d, dir.path())?;
    let panel = panel_window(&x)?;
    app.element("#search")?;
    let qianniu = PasteTarget::start(
        &d.name,
        "AliWorkBench",
        "接待中心 - 买家小孙",
        (60, 60, 600, 560),
    )?;
    x.activate(qianniu.window)?;
    app.wait_text("#context", |t| t.contains("千牛"))?;
    // The reply is in the panel's list (as the prompts of a favourite need too).
    pick(&d, &x, &app, panel, "添加客服微信")?;
    x.activate(qianniu.window)?;
    wait_for("the chat window active", Duration::from_secs(10), || {
        (x.active() == Some(qianniu.window)).then_some(())
    })?;
    d.key("ctrl+alt+1")?;
    app.wait_text("#fire-check", |t| t.contains("站外引流：联系方式"))?;
    assert_ne!(d.clipboard_text().as_deref(), Some(want.as_str()));
    app.press(ENTER)?;
    wait_clipboard(&d, &want)?;
    app.close();
    Ok(())
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn the_lead_keeps_the_word_lists_and_blocked_rules_in_the_editor() -> Result<()> {
    use quickreply_e2e::{ALT, CTRL, NULL};
    let d = Display::start()?;
    let (dir, app) = editor_open(&d)?;
    // Alt+V: the variables, and below them the 合规设置 (not a raw @合规 row).
    app.type_into("#tree", &format!("{ALT}v{NULL}"))?;
    app.wait_text("#policy", |t| t.contains("合规设置"))?;
    app.type_into("#policy-words", "秒杀价，全网最低")?;
    app.type_into("#policy-allow", "最新款")?;
    app.click("#policy-block-team")?;
    // Ctrl+S inside the section saves it.
    app.type_into("#policy-allow", &format!("{CTRL}s{NULL}"))?;
    app.wait_text("#ed-status", |t| t.contains("合规设置已保存"))?;
    let store = Store::open(dir.path())?;
    let lib = store.library("personal")?;
    let saved = quickreply_core::compliance::policy_of(&store, &lib)?
        .map_err(|e| anyhow::anyhow!(e.en()))?;
    assert_eq!(saved.words, vec!["秒杀价", "全网最低"]);
    assert_eq!(saved.allow, vec!["最新款"]);
    assert_eq!(saved.block, vec!["team"]);
    assert_eq!(
        app.count("tr[data-var='@合规']")?,
        0,
        "the settings are not a variable row"
    );
    app.screenshot("compliance-settings.png")?;
    // The editor checks a draft with them at once: the team's word, blocked.
    app.type_into("#tree", &format!("{ALT}v{NULL}"))?;
    app.element("#new-reply")?;
    app.click("#new-reply")?;
    app.type_into("#ed-title", "活动价")?;
    app.type_into("#ed-part-0", "亲，今天秒杀价只要九块九")?;
    let shown = app.wait_text("#ed-flags-0", |t| t.contains("秒杀价"))?;
    assert!(shown.contains("团队"), "{shown}");
    app.close();
    Ok(())
}

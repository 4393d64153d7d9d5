//! The first run (issue #19, item 2), end to end under Xvfb + openbox: a fresh profile
//! opens on the shop setup; it is filled in with the keyboard only; a reply then fires
//! with the shop's own facts. A reply that uses a fact still unset asks for it in the
//! panel and never puts the pack's example on the clipboard. And the setup screen in
//! both themes and both languages.
//!
//! Needs the system packages and the built app, so ignored in the plain test run (see
//! `desktop_panel.rs`).

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use quickreply_core::Store;
use quickreply_core::settings::{Settings, Theme, settings_path};
use quickreply_e2e::desktop::{library_as_imported, panel_window, wait_clipboard};
use quickreply_e2e::x11::Conn;
use quickreply_e2e::{App, CTRL, Display, ENTER, ESCAPE, NULL, wait_for};
use serde_json::Value;

/// Tab in WebDriver key codes.
const TAB: &str = "\u{E004}";
/// Backspace in WebDriver key codes.
const BACKSPACE: &str = "\u{E003}";

/// The element that has the keyboard focus, as a WebDriver element id.
fn focused(app: &App) -> Result<String> {
    let v = app.script("return document.activeElement")?;
    v.as_object()
        .and_then(|o| o.values().next())
        .and_then(Value::as_str)
        .map(str::to_string)
        .context("no focused element")
}

/// An attribute of the focused element (`data-var` of a setup field).
fn focused_attr(app: &App, name: &str) -> Result<String> {
    let v = app.script(&format!(
        "return document.activeElement.getAttribute('{name}') || ''"
    ))?;
    Ok(v.as_str().unwrap_or_default().to_string())
}

/// Type `text` where the keyboard focus is (as an input method would commit it).
fn type_here(app: &App, text: &str) -> Result<()> {
    let el = focused(app)?;
    app.send_keys(&el, text)
}

/// Tab until the field `attr = value` has the focus (at most `max` presses), checking
/// that Tab really walks the form.
fn tab_to(app: &App, attr: &str, value: &str, max: usize) -> Result<()> {
    for _ in 0..max {
        if focused_attr(app, attr)? == value {
            return Ok(());
        }
        app.keys(TAB)?;
    }
    if focused_attr(app, attr)? == value {
        return Ok(());
    }
    bail!("Tab never reached [{attr}={value}]")
}

/// The titles the panel lists now.
fn titles(app: &App) -> Result<Vec<String>> {
    let v = app.script(
        "return [...document.querySelectorAll('#hits .title')].map(e => e.textContent.trim())",
    )?;
    Ok(v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default())
}

/// Search and fire the reply titled `title`; returns its id.
fn fire_title(app: &App, title: &str) -> Result<String> {
    app.search(title)?;
    app.wait_text("#hit-0 .title", |t| t.starts_with(title))?;
    let id = app.attribute("#hit-0", "data-id")?;
    app.press(ENTER)?;
    Ok(id)
}

fn text_of(store: &Store, id: &str, answers: &HashMap<String, String>) -> Result<String> {
    let s = store.snippet(id.parse()?)?;
    match store.render(&s, answers, None)?.into_iter().next() {
        Some(quickreply_core::Rendered::Text(t)) => Ok(t),
        other => bail!("not a text reply: {other:?}"),
    }
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn a_fresh_profile_is_set_up_by_keyboard_and_never_fires_an_example() -> Result<()> {
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    let x = Conn::open(&d.name)?;
    // Nothing in the data directory: the app seeds the built-in replies itself.
    let app = App::start(&d, dir.path())?;
    panel_window(&x)?;

    // 1. The setup comes up by itself, the first field focused, examples as hints only.
    app.element("#setup")?;
    let hint = app.attribute("#setup input[data-var='快递公司']", "placeholder")?;
    assert_eq!(hint, "例：中通快递");
    assert_eq!(
        app.script("return document.querySelector(\"#setup input[data-var='快递公司']\").value")?,
        Value::from(""),
        "an example is never a value"
    );
    assert_eq!(focused_attr(&app, "data-var")?, "店铺名");
    d.screenshot("setup-zh-light.png")?;

    // 2. Filled in with the keyboard only: Tab between fields, Space ticks a platform,
    // Enter saves. 工作时间, 发货时间 … are left empty on purpose.
    // 店铺名 holds the pack's default (本店, true of any shop): two Backspaces and the name.
    type_here(&app, &format!("{BACKSPACE}{BACKSPACE}小鹿家居"))?;
    app.keys(TAB)?;
    assert_eq!(focused_attr(&app, "data-var")?, "客服名");
    type_here(&app, "阿花")?;
    tab_to(&app, "data-var", "快递公司", 3)?;
    type_here(&app, "顺丰速运")?;
    tab_to(&app, "data-var", "包邮门槛", 3)?;
    type_here(&app, "满59元")?;
    tab_to(&app, "data-var", "活动名称", 2)?;
    type_here(&app, "开学季")?;
    tab_to(&app, "data-platform", "淘宝天猫", 12)?;
    app.keys(" ")?;
    d.screenshot("setup-zh-filled.png")?;
    app.keys(ENTER)?;
    app.element("#search")?;
    app.wait_text("#status", |t| t.contains("店铺设置已保存"))?;

    let store = Store::open(dir.path())?;
    let personal = store.library("personal")?;
    let vars: HashMap<String, String> = store.vars(&personal)?.into_iter().collect();
    assert_eq!(vars.get("店铺名").map(String::as_str), Some("小鹿家居"));
    assert_eq!(vars.get("客服名").map(String::as_str), Some("阿花"));
    assert_eq!(vars.get("快递公司").map(String::as_str), Some("顺丰速运"));
    assert_eq!(vars.get("包邮门槛").map(String::as_str), Some("满59元"));
    assert!(store.unset_vars(personal.id)?.contains_key("发货时间"));
    let settings = Settings::load(&settings_path(dir.path()))?;
    assert!(settings.setup_done);
    assert_eq!(settings.platforms, Some(vec!["淘宝天猫".to_string()]));

    // 3. A reply with the shop's courier fires with the value typed in.
    let none = HashMap::new();
    let id = fire_title(&app, "发什么快递")?;
    let want = text_of(&store, &id, &none)?;
    assert!(
        want.contains("顺丰速运") && !want.contains("中通"),
        "{want}"
    );
    wait_clipboard(&d, &want)?;

    // 4. A reply with a fact still unset: the preview marks it, the fire asks for it
    // inline and nothing new reaches the clipboard — above all not the example.
    d.key("ctrl+alt+space")?;
    app.search("发货时间")?;
    app.wait_text("#hit-0 .title", |t| t.starts_with("发货时间"))?;
    app.wait_text("#preview mark.unset", |t| t == "【发货时间】")?;
    let unset_id = app.attribute("#hit-0", "data-id")?;
    app.press(ENTER)?;
    app.element("#prompts input[data-prompt='发货时间'][data-kind='variable']")?;
    assert_eq!(
        app.attribute("#prompts input[data-prompt='发货时间']", "placeholder")?,
        "例：48小时"
    );
    std::thread::sleep(Duration::from_millis(300)); // let the form paint for the picture
    d.screenshot("ask-unset-zh.png")?;
    // Enter with the field empty sends nothing and says what is missing.
    app.keys(ENTER)?;
    app.wait_text("#ask-need", |t| t.contains("发货时间"))?;
    assert_eq!(d.clipboard_text().as_deref(), Some(want.as_str()));
    type_here(&app, "24小时")?;
    app.keys(ENTER)?;
    let answered = text_of(
        &store,
        &unset_id,
        &HashMap::from([("发货时间".to_string(), "24小时".to_string())]),
    )?;
    assert!(answered.contains("24小时") && !answered.contains("48小时"));
    wait_clipboard(&d, &answered)?;
    // Remembered (ticked by default): the next fire does not ask.
    let vars: HashMap<String, String> = store.vars(&personal)?.into_iter().collect();
    assert_eq!(vars.get("发货时间").map(String::as_str), Some("24小时"));
    d.key("ctrl+alt+space")?;
    fire_title(&app, "发什么快递")?;
    wait_clipboard(&d, &want)?;
    d.key("ctrl+alt+space")?;
    fire_title(&app, "发货时间")?;
    wait_clipboard(&d, &answered)?;
    assert_eq!(app.count("#prompts")?, 0);

    // 5. Other platforms' replies are left out of the panel; the chosen one's stay.
    d.key("ctrl+alt+space")?;
    app.search("淘宝查订单")?;
    app.wait_text("#hit-0 .title", |t| t.starts_with("淘宝查订单"))?;
    app.search("京东价保申请")?;
    let shown = wait_for(
        "the search for 京东价保申请",
        Duration::from_secs(10),
        || {
            titles(&app)
                .ok()
                .filter(|t| !t.iter().any(|x| x.starts_with("淘宝查订单")))
        },
    )?;
    assert!(
        !shown.iter().any(|t| t.starts_with("京东价保申请")),
        "{shown:?}"
    );

    // 6. Ctrl+I opens the setup again, with what was saved; Esc goes back.
    app.press(&format!("{CTRL}i{NULL}"))?;
    app.element("#setup")?;
    assert_eq!(
        app.script("return document.querySelector(\"#setup input[data-var='客服名']\").value")?,
        Value::from("阿花")
    );
    assert_eq!(
        app.script(
            "return document.querySelector(\"#setup input[data-platform='淘宝天猫']\").checked"
        )?,
        Value::from(true)
    );
    app.keys(ESCAPE)?;
    app.element("#search")?;
    app.close();
    Ok(())
}

/// The setup screen as a new user meets it, in the other theme and language pairs (the
/// Chinese light one is in the test above), read on screenshots; Esc puts it off for
/// good: the next start opens on the search.
#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn the_setup_screen_in_both_themes_and_languages_and_esc_puts_it_off() -> Result<()> {
    for (lang, theme, shot, legend, field, hint) in [
        (
            "zh-CN",
            Theme::Dark,
            "setup-zh-dark.png",
            "发货与快递",
            "快递公司",
            "例：中通快递",
        ),
        (
            "en",
            Theme::Light,
            "setup-en-light.png",
            "Shipping",
            "carrier",
            "e.g. DHL Express",
        ),
        (
            "en",
            Theme::Dark,
            "setup-en-dark.png",
            "Shipping",
            "carrier",
            "e.g. DHL Express",
        ),
    ] {
        let d = Display::start()?;
        let dir = tempfile::tempdir()?;
        let x = Conn::open(&d.name)?;
        // A fresh profile whose language and theme were chosen (the installer's page):
        // the app seeds that language's pack.
        Settings {
            language: lang.into(),
            theme,
            ..Settings::default()
        }
        .save(&settings_path(dir.path()))?;
        let app = App::start(&d, dir.path())?;
        panel_window(&x)?;
        app.wait_text("#setup legend", |t| !t.is_empty())?;
        let legends = app.script(
            "return [...document.querySelectorAll('#setup legend')].map(e => e.textContent.trim())",
        )?;
        assert!(
            legends
                .as_array()
                .is_some_and(|a| a.iter().any(|l| l == legend)),
            "{lang}: {legends}"
        );
        assert_eq!(
            app.attribute(&format!("#setup input[data-var='{field}']"), "placeholder")?,
            hint
        );
        std::thread::sleep(Duration::from_millis(300));
        d.screenshot(shot)?;
        app.keys(ESCAPE)?;
        app.element("#search")?;
        wait_for("the setup put off", Duration::from_secs(10), || {
            Settings::load(&settings_path(dir.path()))
                .ok()
                .filter(|s| s.setup_done)
        })?;
        app.close();
        if lang == "en" && theme == Theme::Dark {
            // Put off means put off: the next start opens on the search.
            let app = App::start(&d, dir.path())?;
            app.element("#search")?;
            assert_eq!(app.count("#setup")?, 0);
            app.close();
        }
    }
    Ok(())
}

/// A library imported by an earlier version's fixture, its facts unset, with the setup
/// put off: firing still asks (the setup is not the only guard).
#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn with_the_setup_put_off_a_fire_still_asks_and_esc_sends_nothing() -> Result<()> {
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    library_as_imported(
        dir.path(),
        Settings {
            setup_done: true,
            ..Settings::default()
        },
    )?;
    let x = Conn::open(&d.name)?;
    let app = App::start(&d, dir.path())?;
    panel_window(&x)?;
    app.element("#search")?;
    assert_eq!(app.count("#setup")?, 0, "put off: not shown by itself");
    fire_title(&app, "发什么快递")?;
    app.element("#prompts input[data-prompt='快递公司'][data-kind='variable']")?;
    // Esc: nothing sent, nothing remembered, and the search is kept (the question's Esc
    // is its own, not also the panel's Esc that clears the box).
    app.keys(ESCAPE)?;
    app.element("#search")?;
    assert_eq!(app.count("#prompts")?, 0);
    assert_eq!(
        app.script("return document.querySelector('#search').value")?
            .as_str(),
        Some("发什么快递")
    );
    assert!(app.text("#hit-0 .title")?.starts_with("发什么快递"));
    let clip = d.clipboard_text().unwrap_or_default();
    assert!(!clip.contains("中通快递"), "{clip}");
    // Answered without remembering (Tab to the box, Space unticks it, Enter sends):
    // sent once with the answer, still unset after.
    fire_title(&app, "发什么快递")?;
    app.element("#prompts input[data-prompt='快递公司']")?;
    type_here(&app, "韵达")?;
    app.keys(TAB)?;
    assert_eq!(focused_attr(&app, "id")?, "ask-remember");
    app.keys(" ")?;
    app.keys(ENTER)?;
    wait_for("the answered reply", Duration::from_secs(10), || {
        d.clipboard_text().filter(|t| t.contains("韵达"))
    })?;
    let store = Store::open(dir.path())?;
    let personal = store.library("personal")?;
    assert!(store.unset_vars(personal.id)?.contains_key("快递公司"));
    app.close();
    Ok(())
}

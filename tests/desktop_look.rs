//! The app's language and theme, end to end under Xvfb + openbox (the real binary driven
//! through tauri-driver): one language at a time in every window, a switch saved in the
//! settings window redrawing the settings themselves, the panel and an editor that is
//! already open, and the personal library shown by its name in the language.
//!
//! Screenshots of the panel, every section of the settings window (at its default size,
//! each checked for controls cut off) and the editor in both themes and both languages
//! land in `target/e2e/look-*.png`. The colours themselves are checked by
//! `ui/src/lib/contrast.test.ts` (WCAG AA in both themes).
//!
//! Ignored in the plain test run like the other `desktop_*.rs`; `cargo xtask test` runs
//! it (leg 5).

use std::time::Duration;

use anyhow::{Context, Result};
use quickreply_core::settings::{Settings, settings_path};
use quickreply_e2e::desktop::{library, panel_window};
use quickreply_e2e::x11::Conn;
use quickreply_e2e::{ALT, App, CTRL, Display, NULL, wait_for};

/// What the windows should show for one language.
struct Words {
    lang: &'static str,
    settings: &'static str,
    saved: &'static str,
    personal: &'static str,
    new_reply: &'static str,
    help: &'static str,
    vars_title: &'static str,
    window: &'static str,
    settings_window: &'static str,
}

const ZH: Words = Words {
    lang: "zh-CN",
    settings: "设置",
    saved: "设置已保存",
    personal: "个人",
    new_reply: "新建 (Ctrl+N)",
    help: "↑↓ 选择",
    vars_title: "「个人」的变量",
    window: "QuickReply 话术编辑",
    settings_window: "QuickReply 设置",
};

const EN: Words = Words {
    lang: "en",
    settings: "Settings",
    saved: "Settings saved",
    personal: "Personal",
    new_reply: "New (Ctrl+N)",
    help: "↑↓ select",
    vars_title: "Variables of \"Personal\"",
    window: "QuickReply editor",
    settings_window: "QuickReply settings",
};

/// Whether the page shows the dark theme, and the background `button` is drawn on.
fn look(app: &App, button: &str) -> Result<(bool, String)> {
    let v = app.script(&format!(
        "return [document.documentElement.classList.contains('dark'),
                 getComputedStyle(document.querySelector('{button}')).backgroundColor];"
    ))?;
    Ok((
        v[0].as_bool().context("the dark class")?,
        v[1].as_str().context("a button's background")?.to_string(),
    ))
}

/// The settings window's sections, in the order of Ctrl+1…7.
const SECTIONS: [&str; 7] = [
    "general", "hotkeys", "paste", "dock", "profiles", "team", "look",
];

/// `clipped(css, within)`: the visible controls under `css` that stick out of the box
/// of `within` (the content column, the window) or whose text does not fit their own
/// box, as "tag#id: why".
const CLIPPED: &str = "function clipped(css, within) {
  const root = document.querySelector(css);
  const box = document.querySelector(within).getBoundingClientRect();
  const out = [];
  for (const el of root.querySelectorAll('button, input, select, label')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const name = el.tagName.toLowerCase() + '#' + (el.id || el.className || el.textContent.trim().slice(0, 12));
    if (r.left < box.left - 1 || r.right > box.right + 1) out.push(name + ': outside the window');
    if (el.tagName !== 'INPUT' && el.scrollWidth > el.clientWidth + 1) out.push(name + ': text cut');
  }
  return out;
}";

/// The background of buttons, inputs and selects in each theme (`--bg` of app.css).
fn button_bg(dark: bool) -> &'static str {
    if dark {
        "rgb(27, 31, 34)"
    } else {
        "rgb(255, 255, 255)"
    }
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn a_language_or_theme_switch_reaches_every_open_window_at_once() -> Result<()> {
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    let settings = Settings {
        theme: quickreply_core::settings::Theme::Light,
        ..Settings::default()
    };
    library(dir.path(), settings)?;
    let x = Conn::open(&d.name)?;
    let app = App::start(&d, dir.path())?;
    let panel_x11 = panel_window(&x)?;
    let (panel, editor) = app.open_editor()?;

    // The editor as it opens: Chinese, light, the personal library by its name.
    app.wait_text("#new-reply", |t| t == ZH.new_reply)?;
    app.wait_text(".libs button", |t| t == ZH.personal)?;
    app.screenshot("look-editor-zh-light.png")?;

    for (n, (words, dark)) in [(&EN, true), (&ZH, true), (&EN, false), (&ZH, false)]
        .into_iter()
        .enumerate()
    {
        let n = n + 1;
        let tag = format!("{}-{}", words.lang, if dark { "dark" } else { "light" });
        // The panel again (the popup stepped aside for the editor), its settings.
        app.switch_to(&panel)?;
        if !x.is_viewable(panel_x11) {
            d.key("ctrl+alt+space")?;
        }
        app.element("#search")?;
        let handles = app.open_settings()?;
        app.script(&format!(
            "for (const [id, v] of [['#set-language', '{}'], ['#set-theme', '{}']]) {{
               const s = document.querySelector(id); s.value = v;
               s.dispatchEvent(new Event('change', {{ bubbles: true }}));
             }}",
            words.lang,
            if dark { "dark" } else { "light" },
        ))?;
        app.type_into("#tab-general", &format!("{CTRL}s{NULL}"))?;
        wait_for("the settings on disk", Duration::from_secs(10), || {
            Settings::load(&settings_path(dir.path()))
                .ok()
                .filter(|s| s.language == words.lang)
        })?;
        // The settings redraw in the new language and theme while still open, their
        // window's title too.
        app.wait_text("#settings h1", |t| t == words.settings)
            .with_context(|| format!("switch {n}: the settings in {}", words.lang))?;
        app.wait_text("#settings-status", |t| t == words.saved)?;
        wait_for("the settings' theme", Duration::from_secs(10), || {
            look(&app, "#settings-close")
                .ok()
                .filter(|(d, bg)| *d == dark && bg == button_bg(dark))
        })
        .with_context(|| format!("switch {n}: the settings' theme"))?;
        wait_for(
            "the settings window's title",
            Duration::from_secs(10),
            || x.find_titled(words.settings_window),
        )?;
        // Every section at the window's default size (Ctrl+1…7): nothing sticks out of
        // the window or is cut inside its own box.
        for (i, section) in SECTIONS.iter().enumerate() {
            app.type_into("#tab-general", &format!("{CTRL}{}{NULL}", i + 1))?;
            wait_for(
                &format!("the {section} section"),
                Duration::from_secs(10),
                || {
                    let shown = app
                        .script(&format!(
                            "return !document.querySelector('#sec-{section}').hidden"
                        ))
                        .ok()?;
                    (shown.as_bool() == Some(true)).then_some(())
                },
            )?;
            let clipped = app.script(&format!(
                "{CLIPPED}; return [...clipped('#sec-{section}', '.content'), ...clipped('.bar', '#settings'), ...clipped('.side', '#settings')]"
            ))?;
            assert_eq!(
                clipped.as_array().map(Vec::len),
                Some(0),
                "switch {n}, {section}: clipped controls {clipped}"
            );
            // The screen as it is (the window and its frame), a moment after the switch.
            std::thread::sleep(Duration::from_millis(200));
            d.screenshot(&format!("look-settings-{tag}-{}-{section}.png", i + 1))?;
        }
        // Esc closes them (all saved): back in the panel, the personal library by its
        // name in the language just chosen.
        app.escape_settings("#tab-look", (&handles.0, &handles.1))?;
        app.wait_text("#hit-0 .where", |t| {
            t.starts_with(words.personal) && !t.contains("personal")
        })?;
        std::thread::sleep(Duration::from_millis(200));
        app.screenshot(&format!("look-panel-{tag}.png"))?;

        // The editor, open all along, follows without being reopened.
        app.switch_to(&editor)?;
        app.wait_text("#new-reply", |t| t == words.new_reply)
            .with_context(|| format!("switch {n}: the open editor in {}", words.lang))?;
        app.wait_text("footer .help", |t| t.starts_with(words.help))?;
        app.wait_text(".libs button", |t| t == words.personal)?;
        wait_for("the editor's theme", Duration::from_secs(10), || {
            look(&app, "#new-reply")
                .ok()
                .filter(|(d, bg)| *d == dark && bg == button_bg(dark))
        })
        .with_context(|| format!("switch {n}: the open editor's theme"))?;
        wait_for("the editor window's title", Duration::from_secs(10), || {
            x.find_titled(words.window)
        })?;
        app.screenshot(&format!("look-editor-{tag}.png"))?;
        // Its variables page names the personal library in the language too.
        app.type_into("#tree", &format!("{ALT}v{NULL}"))?;
        app.wait_text("#vars h2", |t| t == words.vars_title)?;
        app.screenshot(&format!("look-vars-{tag}.png"))?;
        app.type_into("#var-add", &format!("{ALT}v{NULL}"))?;
        app.element("#tree")?;
    }
    app.close();
    Ok(())
}

//! Campaign dates (生效 / 失效) in the app, end to end under Xvfb: a reply whose 失效 has
//! passed and the replies of a folder whose 生效 is still to come are not in the panel;
//! the editor lists them under 已过期 / 未生效 with their dates; clearing a date there
//! (keyboard only: Alt+D, type, Enter) brings the reply back into the panel at once.
//! Dates are relative to today (Beijing time).
//!
//! Ignored in the plain test run like every `desktop_*.rs`; `cargo xtask test` runs it
//! (leg 5).

use std::time::Duration;

use anyhow::Result;
use quickreply_core::proto::Part;
use quickreply_core::proto::schedule::{TEAM_OFFSET_MINUTES, format_instant, now_ms};
use quickreply_core::settings::Settings;
use quickreply_core::{NewSnippet, Store};
use quickreply_e2e::desktop::library;
use quickreply_e2e::{ALT, App, CTRL, Display, ENTER, NULL, wait_for};

const DAY: i64 = 86_400_000;

/// Midnight (Beijing time) `days` from today, as stored.
fn midnight(days: i64) -> String {
    let date = &format_instant(now_ms() + days * DAY, TEAM_OFFSET_MINUTES)[..10];
    format!("{date}T00:00:00+08:00")
}

fn add(store: &mut Store, title: &str, code: &str, folder: &str) -> Result<uuid::Uuid> {
    let lib = store.library("personal")?;
    Ok(store
        .add_snippet(
            &lib,
            NewSnippet {
                title: title.into(),
                code: Some(code.into()),
                folder: folder.into(),
                parts: vec![Part::Text {
                    body: format!("亲，{title}在这里～"),
                }],
                ..NewSnippet::default()
            },
        )?
        .id)
}

/// Wait until the panel's search for `query` shows `title` first, or (`None`) nothing.
fn panel_shows(app: &App, query: &str, title: Option<&str>) -> Result<()> {
    app.search(query)?;
    wait_for(
        &format!("the panel's hits for {query}: {title:?}"),
        Duration::from_secs(10),
        || {
            let first = app.find("#hit-0 .title").ok()?;
            match (title, first) {
                (None, None) => Some(()),
                (Some(t), Some(_)) => app
                    .text("#hit-0 .title")
                    .ok()
                    .filter(|s| s.starts_with(t))
                    .map(|_| ()),
                _ => None,
            }
        },
    )
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn out_of_date_replies_leave_the_panel_and_are_grouped_in_the_editor() -> Result<()> {
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    let mut store = library(dir.path(), Settings::default())?;
    let presale = add(&mut store, "双11预售定金说明", "zz11", "大促活动")?;
    let spring = add(&mut store, "春节停发通知", "zz22", "节日通知")?;
    let sale = add(&mut store, "店庆满减说明", "zz33", "大促活动")?;
    // Expired: the last day shown was yesterday. Still on: the last day is tomorrow.
    store.set_reply_dates(presale, None, Some(&midnight(0)))?;
    store.set_reply_dates(sale, Some(&midnight(-3)), Some(&midnight(2)))?;
    // A folder still to come: everything in it waits.
    let folder = store
        .folders(&store.library("personal")?)?
        .into_iter()
        .find(|f| f.path == "节日通知")
        .map(|f| f.id)
        .ok_or_else(|| anyhow::anyhow!("no folder 节日通知"))?;
    store.set_folder_dates(folder, Some(&midnight(5)), None)?;
    drop(store);
    let yesterday = &midnight(-1)[..10];
    let in_five_days = &midnight(5)[..10];

    let app = App::start(&d, dir.path())?;
    app.element("#search")?;
    panel_shows(&app, "zz33", Some("店庆满减说明"))?;
    panel_shows(&app, "zz11", None)?;
    panel_shows(&app, "zz22", None)?;

    // The editor: both groups at the end of the tree, with the dates.
    let (panel, _editor) = app.open_editor()?;
    app.element("#tree .reply")?;
    // End: the last reply of the tree, the last of the 已过期 group.
    app.type_into("#tree", "\u{E010}")?;
    // (Read as the page has it: a heading at the edge of the scrolled tree may be
    // clipped, and WebDriver gives no text for what is not in view.)
    let heading = |id: &str| -> Option<String> {
        app.script(&format!(
            "const e = document.getElementById('{id}'); return e ? e.textContent : null"
        ))
        .ok()?
        .as_str()
        .map(str::to_string)
    };
    let expired = wait_for("the 已过期 group", Duration::from_secs(15), || {
        heading("group-expired").filter(|t| t.contains("已过期"))
    })?;
    assert!(expired.contains("面板不显示"), "{expired}");
    let upcoming = heading("group-upcoming").unwrap_or_default();
    assert!(upcoming.contains("未生效"), "{upcoming}");
    let order = app.script(
        "return [...document.querySelectorAll('#tree li')].map(li => li.id || li.textContent.trim()).filter(Boolean)",
    )?;
    let order: Vec<String> = serde_json::from_value(order)?;
    let at = |id: &str| order.iter().position(|x| x == id);
    let (g_up, g_ex) = (at("group-upcoming"), at("group-expired"));
    let (r_pre, r_spring, r_sale) = (
        at(&format!("r-{presale}")),
        at(&format!("r-{spring}")),
        at(&format!("r-{sale}")),
    );
    assert!(
        g_up < r_spring && r_spring < g_ex && g_ex < r_pre,
        "groups and their replies in order: {order:?}"
    );
    // The tree draws only the rows in view: the active reply, in its folder, is above.
    assert!(
        r_sale.is_none_or(|s| Some(s) < g_up),
        "the active reply stays in its folder: {order:?}"
    );
    let dates_of = |id: &uuid::Uuid| {
        app.script(&format!(
            "return document.querySelector('#r-{id} small.dates').textContent"
        ))
    };
    assert_eq!(
        dates_of(&presale)?,
        serde_json::json!(format!("… → {yesterday}"))
    );
    assert_eq!(
        dates_of(&spring)?,
        serde_json::json!(format!("{in_five_days} → …"))
    );
    let now = app.wait_text("#ed-dates-now", |t| t.contains("已过期"))?;
    assert!(now.contains(yesterday), "{now}");
    assert_eq!(app.attribute("#ed-ends", "value")?, yesterday);
    app.screenshot("dates-editor.png")?;

    // Keyboard only: Alt+D to the dates, Tab to 失效, clear it, Enter saves.
    app.type_into("#ed-title", &format!("{ALT}d{NULL}"))?;
    wait_for("the focus in 生效", Duration::from_secs(5), || {
        (app.script("return document.activeElement && document.activeElement.id")
            .ok()?
            == serde_json::json!("ed-starts"))
        .then_some(())
    })?;
    app.keys("\u{E004}")?; // Tab
    // Select all, delete, Enter.
    app.type_into("#ed-ends", &format!("{CTRL}a{NULL}\u{E003}{ENTER}"))?;
    app.wait_text("#ed-dates-now", |t| t.contains("一直显示"))?;
    wait_for("the expired group gone", Duration::from_secs(10), || {
        (app.count("#group-expired").ok()? == 0).then_some(())
    })?;
    // A date that does not read is refused with the reason, nothing saved.
    app.type_into("#ed-starts", &format!("明天{ENTER}"))?;
    let refused = app.wait_text("#ed-dates-error", |t| t.contains("无法识别"))?;
    assert!(refused.contains("明天"), "{refused}");

    // Back in the panel: shown again.
    app.switch_to(&panel)?;
    panel_shows(&app, "zz11", Some("双11预售定金说明"))?;
    panel_shows(&app, "zz22", None)?;
    app.close();
    Ok(())
}

//! Settings → Team → 扫码登录 in the running app, end to end, under Xvfb + openbox: the
//! real server configured with a WeCom app whose endpoint is a stand-in on loopback
//! (`support/standin.rs`). The sign-in box shows WeCom's login page as a QR code
//! (screenshot `target/e2e/team-scan.png`); the stand-in "scans" it as the phone would,
//! and the app ends signed in — as the lead whose WeCom account is linked (who then
//! unlinks and links it again from the same section), or, for an account nobody has
//! linked, after the lead approves the code the box then shows.
//!
//! Needs the system packages and the built app, so it is ignored in the plain test run;
//! `cargo xtask test` builds the app and runs it (leg 5).

use std::time::Duration;

use anyhow::{Context, Result};
use quickreply_core::settings::Settings;
use quickreply_e2e::desktop::library;
use quickreply_e2e::standin::{WecomStandIn, query};
use quickreply_e2e::sync::{Client, Server};
use quickreply_e2e::{App, CTRL, Display, ENTER, NULL, wait_for};

/// Settings (Ctrl+,) on its 团队 section (Ctrl+6).
fn team_settings(app: &App) -> Result<()> {
    app.open_settings()?;
    app.type_into("#tab-general", &format!("{CTRL}6{NULL}"))?;
    wait_for("the team section", Duration::from_secs(10), || {
        let shown = app
            .script("return !document.querySelector('#sec-team').hidden")
            .ok()?;
        (shown.as_bool() == Some(true)).then_some(())
    })?;
    Ok(())
}

/// Chooses 扫码登录, types the server and this computer's name, presses Enter: the box
/// shows WeCom's page as a QR code; answers the page's URL.
fn start_scan(app: &App, server: &str, device: &str) -> Result<String> {
    team_settings(app)?;
    app.type_into("#team-how-scan", " ")?;
    app.type_into("#team-server", server)?;
    app.clear("#team-device")?;
    app.type_into("#team-device", &format!("{device}{ENTER}"))?;
    app.wait_text("#team-scan-hint", |t| t.contains("企业微信"))?;
    app.wait_text("#team-signin-status", |t| t.contains("等待用企业微信扫码"))?;
    app.element("#team-qr")?;
    let url = app.attribute("#team-qr", "alt")?;
    Ok(url)
}

#[test]
#[ignore = "needs Xvfb, openbox, tauri-driver and the built app: run by `cargo xtask test`"]
fn the_team_section_shows_the_wecom_qr_code_and_signs_in_after_the_scan() -> Result<()> {
    let d = Display::start()?;
    let dir = tempfile::tempdir()?;
    let wecom = WecomStandIn::start("ww-shop", "wecom-app-secret")?;
    let config = dir.path().join("server.toml");
    std::fs::write(
        &config,
        format!(
            "[scan.wecom]\napp_id = \"ww-shop\"\nsecret = \"wecom-app-secret\"\n\
             agent_id = \"1000002\"\nendpoint = \"{}\"\n",
            wecom.base
        ),
    )?;
    let server = Server::start_with(dir.path(), ["--config".as_ref(), config.as_os_str()])?;
    let lead = Client::new(dir.path(), "lead-pc");
    lead.join(
        &server,
        server.setup_code.as_deref().context("no setup code")?,
        "老板",
    )?;
    // The lead's WeCom account is linked (qreply link wecom, scanned).
    let mut linking = lead
        .command(&["link", "wecom"])?
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let out = linking.stdout.take().context("no stdout")?;
    let mut first = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(out), &mut first)?;
    wecom.scan(first.trim(), "boss")?;
    let linked = wait_for("the link", Duration::from_secs(20), || {
        linking.try_wait().ok().flatten()
    })?;
    assert!(linked.success());

    // The lead's new computer: the app shows WeCom's QR code; the scan signs it in.
    let a_dir = dir.path().join("app-a");
    library(&a_dir, Settings::default())?;
    let app = App::start(&d, &a_dir)?;
    let url = start_scan(&app, &server.url, "app-a")?;
    let q = query(&url);
    assert_eq!(q.get("appid").map(String::as_str), Some("ww-shop"));
    assert_eq!(q.get("login_type").map(String::as_str), Some("CorpApp"));
    std::thread::sleep(Duration::from_millis(500));
    d.screenshot("team-scan.png")?;
    let (status, page) = wecom.scan(&url, "boss")?;
    assert!(status == 200 && page.contains("已登录"), "{status} {page}");
    app.wait_text("#team-role", |t| t == "主管")?;
    app.wait_text("#team-joined", |t| {
        t.contains("老板") && t.contains("app-a")
    })?;
    app.wait_text("#team-last-sync", |t| t.starts_with("20"))?;
    // The lead's accounts for scanning: WeCom linked; unlinked, then linked again here.
    app.wait_text("#team-scan-wecom", |t| t.contains("已关联 boss"))?;
    d.screenshot("team-scan-joined.png")?;
    app.type_into("#team-unlink-wecom", ENTER)?;
    app.wait_text("#team-scan-status", |t| {
        t.contains("已取消关联企业微信账号")
    })?;
    app.wait_text("#team-scan-wecom", |t| t.contains("未关联"))?;
    app.type_into("#team-link-wecom", ENTER)?;
    app.wait_text("#team-link-status", |t| t.contains("等待用企业微信扫码"))?;
    let link = app.attribute("#team-link-qr", "alt")?;
    let (status, page) = wecom.scan(&link, "boss")?;
    assert!(status == 200 && page.contains("已关联"), "{status} {page}");
    app.wait_text("#team-scan-status", |t| t.contains("已关联企业微信账号"))?;
    app.wait_text("#team-scan-wecom", |t| t.contains("已关联 boss"))?;
    app.close();

    // Someone nobody linked yet: the box turns into an approval code; the lead approves.
    let b_dir = dir.path().join("app-b");
    library(&b_dir, Settings::default())?;
    let app = App::start(&d, &b_dir)?;
    let url = start_scan(&app, &server.url, "app-b")?;
    wecom.scan(&url, "xiaoliu")?;
    let code = app.wait_text("#team-signin-code", |t| t.len() == 9 && t.contains('-'))?;
    app.wait_text("#team-signin-status", |t| t.contains("xiaoliu"))?;
    d.screenshot("team-scan-approval.png")?;
    let approved = lead.run(&["approve", &code, "--member", "agent", "--yes"])?;
    assert!(
        approved.code == 0 && approved.stderr.contains("xiaoliu（企业微信）"),
        "{approved:?}"
    );
    app.wait_text("#team-role", |t| t == "客服")?;
    app.close();
    Ok(())
}

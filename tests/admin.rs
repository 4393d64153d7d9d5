//! The server's admin page (`/admin/`) in real headless Chromium against the real
//! `quickreply-server` and real `qreply` computers: sign-in by approval, members and
//! roles, the sync status board, usage, invites, approving a new computer from the page,
//! a reply's history with one-click restore, replies no one uses moved into 归档, a
//! search that found nothing turned into a reply, and what an agent may not do. Screenshots go to `target/e2e/admin-*.png`.
//!
//! Needs the Debian packages `chromium` and `chromium-driver` (leg 5 of `cargo xtask
//! test` installs them and runs this with the other ignored end-to-end tests):
//! `cargo build --bins && cargo test -p quickreply-e2e --test admin -- --ignored`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use quickreply_e2e::sync::{Client, Server, lead_with_team};
use quickreply_e2e::wait_for;
use quickreply_e2e::webdriver::{Chromium, Session};
use serde_json::{Value, json};

const TEAM: &str = "团队话术";

/// The device token the admin page keeps after signing in.
fn page_token(page: &Session) -> Result<String> {
    Ok(page
        .script("return localStorage.getItem('quickreply-admin-token')")?
        .as_str()
        .unwrap_or_default()
        .to_string())
}

/// A lead with a published team library, and an agent who synced it.
fn team(dir: &std::path::Path) -> Result<(Server, Client, Client)> {
    let server = Server::start(dir)?;
    let lead = lead_with_team(
        dir,
        &server,
        TEAM,
        &[
            (
                "售后",
                "退货地址",
                "thdz",
                "亲，退货请寄到售后部，备注订单号哦",
            ),
            ("物流", "发货时间", "fh", "亲，付款后48小时内发货"),
            ("售后", "催好评", "hp", "亲，满意的话给个五星好评吧"),
            ("售前", "尺码推荐", "cm", "亲，告诉我身高体重，帮您推荐尺码"),
        ],
    )?;
    let invite = lead.invite(&["--role", "agent"])?;
    let agent = Client::new(dir, "agent-pc");
    agent.join(&server, &invite, "小李")?;
    agent.ok(&["sync"])?;
    Ok((server, lead, agent))
}

/// A device of `lead`'s device list by name.
fn device(lead: &Client, name: &str) -> Result<Value> {
    let list = lead.json(&["devices"])?;
    list.as_array()
        .into_iter()
        .flatten()
        .find(|d| d["name"] == name)
        .cloned()
        .ok_or_else(|| anyhow!("no device {name} in {list:#}"))
}

fn field(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

/// Signs the page in: waits for its code and lets `approver` approve it (as one more
/// device of the approver's own).
fn sign_in(page: &Session, server: &Server, approver: &Client, shot: &str) -> Result<()> {
    page.navigate(&format!("{}/admin/", server.url))?;
    let code = page.wait_text("#signin-code", |t| t.len() == 9)?;
    // The QR code is drawn by the server for the page's own approve link.
    let src = page.attribute("img.qr", "src")?;
    assert!(src.contains("/admin/qr.svg?text="), "{src}");
    wait_for("the QR image", Duration::from_secs(10), || {
        page.script("return document.querySelector('img.qr').naturalWidth")
            .ok()
            .and_then(|v| v.as_u64())
            .filter(|w| *w > 0)
    })?;
    page.screenshot(shot)?;
    let shown = approver.run(&["approve", &code, "--yes"])?;
    if shown.code != 0 {
        bail!("qreply approve {code}: {shown:?}");
    }
    // The page polls every 1.5 s, then shows the app.
    page.element("#members .member")?;
    Ok(())
}

/// Clicks `refresh` until the text of `css` satisfies `ok` (the page does not refresh
/// by itself).
fn refresh_until(
    page: &Session,
    refresh: &str,
    css: &str,
    ok: impl Fn(&str) -> bool,
) -> Result<String> {
    let mut last = String::new();
    for _ in 0..20 {
        page.click(refresh)?;
        if let Ok(t) = page.wait_text_for(css, Duration::from_secs(2), &ok) {
            return Ok(t);
        }
        last = page.text(css).unwrap_or_default();
    }
    bail!("{css} never matched; last text {last:?}")
}

/// `qreply signin` on a new computer: (its code, the running process).
fn start_signin(c: &Client, server: &Server, name: &str) -> Result<(String, Child)> {
    let mut child = c
        .command(&["signin", &server.url, "--device", &c.name, "--name", name])?
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
    let mut lines = BufReader::new(stdout).lines();
    let code = lines
        .next()
        .transpose()?
        .ok_or_else(|| anyhow!("qreply signin printed no code"))?;
    std::thread::spawn(move || for _ in lines.by_ref() {});
    Ok((code.trim().to_string(), child))
}

/// An API call with a token, whatever the status: (status, JSON body or null).
fn call(method: &str, url: &str, token: &str, body: Option<Value>) -> Result<(u16, Value)> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let auth = format!("Bearer {token}");
    let resp = match (method, body) {
        ("PUT", Some(b)) => agent.put(url).header("Authorization", &auth).send_json(&b),
        ("GET", _) => agent.get(url).header("Authorization", &auth).call(),
        ("DELETE", _) => agent.delete(url).header("Authorization", &auth).call(),
        (m, _) => bail!("unsupported method {m}"),
    };
    let mut resp = resp.with_context(|| format!("{method} {url}"))?;
    let status = resp.status().as_u16();
    let v = resp.body_mut().read_json().unwrap_or(Value::Null);
    Ok((status, v))
}

#[test]
#[ignore = "needs headless Chromium (chromium, chromium-driver): leg 5 of cargo xtask test"]
fn a_lead_runs_the_team_from_the_admin_page_and_an_agent_sees_only_their_own() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (server, lead, agent) = team(dir.path())?;

    // ---- the lead signs the page in by approval ----
    let page = Chromium::start(1280, 900)?;
    sign_in(&page, &server, &lead, "admin-signin-desktop.png")?;
    let members = page.wait_text("#members", |t| t.contains("小李") && t.contains("王主管"))?;
    assert!(members.contains("agent-pc"), "{members}");
    assert!(
        members.contains("管理页 · Chrome"),
        "the page's own device: {members}"
    );
    page.screenshot("admin-members-desktop.png")?;

    // ---- the owner makes the agent an editor, and the team keeps an owner ----
    let agent_dev = device(&lead, "agent-pc")?;
    let agent_user = field(&agent_dev, "user_id");
    page.select_value(&format!("#role-{agent_user}"), "editor")?;
    page.click(&format!(".save-role[data-user=\"{agent_user}\"]"))?;
    page.wait_text("#status", |t| t.contains("小李") && t.contains("编辑"))?;
    wait_for("小李 an editor", Duration::from_secs(10), || {
        device(&lead, "agent-pc")
            .ok()
            .filter(|d| d["role"] == "editor")
    })?;
    page.element(&format!(
        ".member[data-user=\"{agent_user}\"][data-role=\"editor\"]"
    ))?;
    let lead_user = field(&device(&lead, "lead-pc")?, "user_id");
    page.select_value(&format!("#role-{lead_user}"), "agent")?;
    page.click(&format!(".save-role[data-user=\"{lead_user}\"]"))?;
    let refused = page.wait_text("#status", |t| t.contains("409"))?;
    assert!(refused.contains("the team needs an owner"), "{refused}");
    // Back to agent for the rest.
    page.select_value(&format!("#role-{agent_user}"), "agent")?;
    page.click(&format!(".save-role[data-user=\"{agent_user}\"]"))?;
    page.element(&format!(
        ".member[data-user=\"{agent_user}\"][data-role=\"agent\"]"
    ))?;
    assert_eq!(device(&lead, "agent-pc")?["role"], "agent");

    // ---- the sync board: the agent is behind after the lead's edit, then up to date ----
    let agent_dev_id = field(&agent_dev, "id");
    let cell = format!(".sync-cell[data-device=\"{agent_dev_id}\"]");
    page.click("#tab-board")?;
    page.wait_text(&cell, |t| t.contains("已是最新"))?;
    lead.ok(&[
        "edit",
        "发货时间",
        "--library",
        TEAM,
        "--text",
        "亲，双十一期间付款后72小时内发货",
    ])?;
    lead.ok(&["sync"])?;
    let behind = refresh_until(&page, "#board-refresh", &cell, |t| t.contains("落后"))?;
    assert!(behind.contains("落后 1 条更改"), "{behind}");
    page.screenshot("admin-board-desktop.png")?;
    agent.ok(&["sync"])?;
    refresh_until(&page, "#board-refresh", &cell, |t| t.contains("已是最新"))?;
    let summary = page.text("#board-summary")?;
    assert!(summary.contains("2 台最新"), "{summary}");

    // ---- a reply whose image is damaged on the server: the board names it under the
    // agent's computer, which has everything else; gone once the reply is ----
    let png = dir.path().join("尺码表.png");
    image::RgbImage::from_pixel(6, 4, image::Rgb([10, 120, 200])).save(&png)?;
    let sha = quickreply_core::blob::sha256_hex(&std::fs::read(&png)?);
    let png = png.to_string_lossy();
    lead.ok(&[
        "add",
        "--library",
        TEAM,
        "--title",
        "尺码表",
        "--text",
        "亲，请看图",
        "--image",
        &png,
    ])?;
    lead.ok(&["sync"])?;
    std::fs::write(server.data.join("blobs").join(&sha), b"no image at all")?;
    agent.ok(&["sync"])?;
    let skipped_cell = refresh_until(&page, "#board-refresh", &cell, |t| {
        t.contains("跳过了 1 条")
    })?;
    assert!(
        skipped_cell.contains("尺码表") && skipped_cell.contains("unusable"),
        "the title and why: {skipped_cell}"
    );
    let note = page.text("#board-skipped")?;
    assert!(note.contains("1 台电脑"), "{note}");
    page.screenshot("admin-board-skipped.png")?;
    lead.ok(&["rm", "尺码表", "--library", TEAM])?;
    lead.ok(&["sync"])?;
    agent.ok(&["sync"])?;
    refresh_until(&page, "#board-refresh", &cell, |t| t.contains("已是最新"))?;
    let again = page.text(&cell)?;
    assert!(!again.contains("尺码表"), "{again}");

    // ---- usage: the agent fires replies and syncs; the chart shows bars ----
    for key in ["fh", "fh", "fh", "thdz"] {
        let out = agent
            .command(&["fire", key, "--library", TEAM])?
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .output()?;
        if !out.status.success() {
            bail!(
                "qreply fire {key}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    // Searches that found nothing: counted by qreply, reported by the sync.
    for q in [
        &["search", "运费险"][..],
        &["search", "运费险"],
        &["search", "能开专票吗"],
        &["search", "13812345678"],
    ] {
        agent.ok(q)?;
    }
    agent.ok(&["sync"])?;
    page.click("#tab-usage")?;
    let summary = page.wait_text("#usage-summary", |t| t.contains("共 4 次"))?;
    assert!(summary.contains("4 条话术"), "{summary}");
    assert_eq!(
        page.count("#usage-most rect.bar")?,
        2,
        "two replies were used"
    );
    assert_eq!(
        page.count("#usage-least rect.bar")?,
        4,
        "every reply, least used first"
    );
    let most = page.text("#usage-most")?;
    assert!(most.contains("发货时间"), "{most}");
    let folders = page.text("#usage-folders")?;
    assert!(
        folders.contains("物流") && folders.contains('3'),
        "{folders}"
    );
    page.element("#usage-members rect.bar")?;
    // … and the searches that found nothing, most searched first (no phone number).
    let missed = page.wait_text("#usage-missed-section", |t| t.contains("运费险"))?;
    assert!(missed.contains("能开专票吗"), "{missed}");
    assert!(
        !missed.contains("1381"),
        "numbers are never counted: {missed}"
    );
    assert_eq!(page.text("#missed-summary")?, "2 个词，共搜索 3 次");
    assert_eq!(page.count("#usage-missed rect.bar")?, 2);
    let first =
        page.script("return document.querySelector('#usage-missed g.row text').textContent")?;
    assert_eq!(first, json!("运费险"), "the most searched first");
    page.click("#missed-export")?;
    page.wait_text("#status", |t| t.contains("missed-searches-7d.csv"))?;
    page.script("document.getElementById('usage-missed-section').scrollIntoView()")?;
    page.screenshot("admin-usage-missed-desktop.png")?;
    page.script("window.scrollTo(0, 0)")?;
    page.screenshot("admin-usage-desktop.png")?;

    // ---- an invite made on the page lets a new computer in ----
    page.click("#tab-invite")?;
    page.select_value("#invite-role", "agent")?;
    page.click("#invite-create")?;
    let code = page.wait_text("#invite-code", |t| t.len() >= 19)?;
    let newbie = Client::new(dir.path(), "newbie-pc");
    newbie.join(&server, &code, "小张")?;
    assert_eq!(device(&lead, "newbie-pc")?["role"], "agent");
    page.screenshot("admin-invite-desktop.png")?;

    // ---- open codes: listed by id (never the code), cancelled with a confirmation ----
    let spare = lead.invite(&["--role", "editor", "--uses", "2"])?;
    let codes = lead.json(&["codes"])?;
    let spare_id = codes
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["role"] == "editor")
        .map(|c| field(c, "id"))
        .ok_or_else(|| anyhow!("the editor invite is not listed: {codes:#}"))?;
    page.click("#tab-members")?;
    page.click("#tab-invite")?;
    let row = format!(".code-row[data-id=\"{spare_id}\"]");
    let text = page.wait_text(&row, |t| t.contains("编辑") && t.contains("剩 2 次"))?;
    assert!(text.contains("王主管"), "who made it: {text}");
    let listed = page.text("#codes")?;
    assert!(!listed.contains(&spare), "a code is shown: {listed}");
    page.click(&format!(".cancel-code[data-id=\"{spare_id}\"]"))?;
    page.element(&format!(".confirm-cancel-code[data-id=\"{spare_id}\"]"))?;
    let focused =
        page.script("return document.activeElement.classList.contains('confirm-cancel-code')")?;
    assert_eq!(
        focused,
        json!(true),
        "the confirmation takes the keyboard focus"
    );
    page.screenshot("admin-codes-desktop.png")?;
    page.click(&format!(".confirm-cancel-code[data-id=\"{spare_id}\"]"))?;
    page.wait_text("#status", |t| t.contains("已作废") && t.contains(&spare_id))?;
    wait_for("the row to go", Duration::from_secs(10), || {
        (page.count(&row).ok()? == 0).then_some(())
    })?;
    let stranger = Client::new(dir.path(), "stranger-pc");
    let r = stranger.run(&["join", &server.url, &spare, "--name", "陌生人"])?;
    assert_ne!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("cancelled"), "{}", r.stderr);

    // ---- #approve=: a computer showing a sign-in code is let in from the page ----
    let laptop = Client::new(dir.path(), "laptop-pc");
    let (code, mut child) = start_signin(&laptop, &server, "小陈")?;
    page.navigate(&format!("{}/admin/#approve={code}", server.url))?;
    let info = page.wait_text("#approve-info", |t| t.contains("laptop-pc"))?;
    assert!(
        info.contains("小陈") && info.contains("127.0.0.1"),
        "{info}"
    );
    page.element("#approve-owner")?;
    // The link opens with 拒绝 focused: Enter alone never lets anyone in.
    let focused = page.script("return document.activeElement && document.activeElement.id")?;
    assert_eq!(focused, json!("approve-deny"));
    page.screenshot("admin-approve-desktop.png")?;
    page.click("#approve-agent")?;
    page.wait_text("#status", |t| t.contains("已批准"))?;
    let status = wait_for("qreply signin to finish", Duration::from_secs(20), || {
        child.try_wait().ok().flatten()
    })?;
    assert!(status.success(), "qreply signin: {status}");
    let laptop_dev = device(&lead, "laptop-pc")?;
    assert_eq!(laptop_dev["user_name"], "小陈");
    assert_eq!(laptop_dev["role"], "agent");

    // ---- the owner removes a member (asked first); their computer is shut out ----
    let newbie_user = field(&device(&lead, "newbie-pc")?, "user_id");
    page.click("#tab-members")?;
    page.wait_text("#members", |t| t.contains("小张"))?;
    assert_eq!(
        page.count(&format!(
            ".member[data-user=\"{lead_user}\"] .remove-member"
        ))?,
        0,
        "the owner cannot remove themselves"
    );
    page.click(&format!(".remove-member[data-user=\"{newbie_user}\"]"))?;
    let ask = page.wait_text(".remove-row", |t| t.contains("小张"))?;
    assert!(ask.contains("1 台设备"), "{ask}");
    // Cancel first: nothing happens, the button is back (and focused).
    page.click(".cancel-remove")?;
    let focused =
        page.script("return document.activeElement.classList.contains('remove-member')")?;
    assert_eq!(focused, json!(true));
    assert_eq!(device(&lead, "newbie-pc")?["revoked"], false);
    page.click(&format!(".remove-member[data-user=\"{newbie_user}\"]"))?;
    page.screenshot("admin-remove-member-desktop.png")?;
    page.click(&format!(".confirm-remove[data-user=\"{newbie_user}\"]"))?;
    page.wait_text("#status", |t| t.contains("已将 小张 移出团队"))?;
    let members = page.wait_text("#members", |t| !t.contains("小张"))?;
    assert!(members.contains("小李"), "{members}");
    let r = newbie.run(&["sync"])?;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("removed from the team"), "{}", r.stderr);

    // ---- the same pages at phone width ----
    page.set_window_size(390, 1100)?;
    page.click("#tab-members")?;
    page.wait_text("#members", |t| t.contains("小陈"))?;
    page.screenshot("admin-members-phone.png")?;
    page.click("#tab-board")?;
    page.element("#board")?;
    page.screenshot("admin-board-phone.png")?;
    page.click("#tab-usage")?;
    page.element("#usage-most rect.bar")?;
    page.screenshot("admin-usage-phone.png")?;
    page.element("#usage-missed rect.bar")?;
    page.script("document.getElementById('usage-missed-section').scrollIntoView()")?;
    page.screenshot("admin-usage-missed-phone.png")?;
    let overflow = page.script(
        "return document.documentElement.scrollWidth > document.documentElement.clientWidth",
    )?;
    assert_eq!(
        overflow,
        json!(false),
        "the usage page scrolls sideways on a phone"
    );

    // ---- an agent on the page: no lead-only actions, and the API refuses them ----
    let phone = Chromium::start(390, 1100)?;
    sign_in(&phone, &server, &agent, "admin-signin-phone.png")?;
    let mine = phone.wait_text("#members", |t| t.contains("小李"))?;
    assert!(
        !mine.contains("王主管"),
        "an agent sees only their own devices: {mine}"
    );
    assert_eq!(phone.count("#tab-invite")?, 0);
    assert_eq!(phone.count("#tab-usage")?, 0);
    assert_eq!(
        phone.count("#tab-replies")?,
        0,
        "agents have no Replies tab"
    );
    assert_eq!(phone.count(".save-role")?, 0);
    assert_eq!(phone.count(".remove-member")?, 0);
    assert_eq!(phone.count("select[id^=\"role-\"]")?, 0);
    phone.screenshot("admin-agent-phone.png")?;
    let token = page_token(&phone)?;
    assert!(!token.is_empty(), "the page keeps its token");
    let (status, body) = call(
        "PUT",
        &format!("{}/v1/members/{agent_user}/role", server.url),
        &token,
        Some(json!({"role": "owner"})),
    )?;
    assert_eq!(status, 403, "{body}");
    let libs = server.get("/v1/libraries", &token)?;
    let team_id = libs
        .as_array()
        .into_iter()
        .flatten()
        .find(|l| l["name"] == TEAM)
        .map(|l| field(l, "id"))
        .ok_or_else(|| anyhow!("no team library in {libs}"))?;
    let (status, body) = call(
        "GET",
        &format!("{}/v1/libraries/{team_id}/usage?days=7", server.url),
        &token,
        None,
    )?;
    assert_eq!(status, 403, "{body}");
    let (status, body) = call(
        "GET",
        &format!("{}/v1/missed?days=7", server.url),
        &token,
        None,
    )?;
    assert_eq!(status, 403, "{body}");
    let (status, body) = call("GET", &format!("{}/v1/codes", server.url), &token, None)?;
    assert_eq!(status, 403, "{body}");
    let (status, body) = call(
        "DELETE",
        &format!("{}/v1/members/{newbie_user}", server.url),
        &token,
        None,
    )?;
    assert_eq!(status, 403, "{body}");

    // ---- signing out revokes the page's device ----
    phone.click("#signout")?;
    phone.element("#signin-code")?;
    let (status, _) = call("GET", &format!("{}/v1/me", server.url), &token, None)?;
    assert_eq!(status, 401);
    Ok(())
}

/// The text of the first part of the team library's item `key`, and its version, as the
/// server has it.
fn server_item(server: &Server, token: &str, team_id: &str, key: &str) -> Result<(String, i64)> {
    let changes = server.get(&format!("/v1/libraries/{team_id}/changes?since=0"), token)?;
    let item = changes["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|i| i["key"] == key)
        .ok_or_else(|| anyhow!("no item {key} in {changes:#}"))?;
    Ok((
        item["doc"]["parts"][0]["body"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        item["version"].as_i64().unwrap_or_default(),
    ))
}

#[test]
#[ignore = "needs headless Chromium (chromium, chromium-driver): leg 5 of cargo xtask test"]
fn a_lead_restores_an_old_version_of_a_reply_from_the_admin_page() -> Result<()> {
    const V1: &str = "亲，付款后48小时内发货";
    const V2: &str = "亲，双十一期间付款后72小时内发货";
    const V4: &str = "亲，今天下单明天发货";
    let dir = tempfile::tempdir()?;
    let (server, lead, agent) = team(dir.path())?;
    // Version 2 of 发货时间, written with qreply and synced.
    lead.ok(&["edit", "发货时间", "--library", TEAM, "--text", V2])?;
    lead.ok(&["sync"])?;
    agent.ok(&["sync"])?;
    assert_eq!(
        agent.json(&["show", "fh", "--library", TEAM])?["parts"][0]["body"],
        V2
    );

    let page = Chromium::start(1280, 900)?;
    sign_in(&page, &server, &lead, "admin-replies-signin-desktop.png")?;
    page.click("#tab-replies")?;
    let listed = page.wait_text("#replies-list", |t| t.contains("发货时间"))?;
    for title in ["退货地址", "催好评", "尺码推荐", "售后", "物流"] {
        assert!(listed.contains(title), "{title} missing: {listed}");
    }
    // The search box filters by title.
    page.type_into("#replies-search", "发货")?;
    let filtered = page.wait_text("#replies-list", |t| !t.contains("退货地址"))?;
    assert!(filtered.contains("发货时间"), "{filtered}");
    assert_eq!(page.count(".reply-item")?, 1, "{filtered}");
    let key = page
        .attribute(".reply-item", "data-key")
        .context("the reply's key")?;
    // Keyboard: the reply is a button; Enter opens its history.
    page.script("document.querySelector('.reply-item').focus()")?;
    page.keys("\u{E007}")?;
    let versions = page.wait_text("#replies-versions", |t| t.contains("第 1 版"))?;
    for want in ["第 2 版", "当前版本", V1, V2, "王主管", "lead-pc"] {
        assert!(versions.contains(want), "{want} missing: {versions}");
    }
    assert_eq!(
        page.script("return document.activeElement && document.activeElement.id")?,
        json!("history-title"),
        "the focus moves to the history"
    );
    assert_eq!(
        page.count(".restore")?,
        1,
        "no restore button on the current version"
    );
    page.screenshot("admin-replies-desktop.png")?;

    // One click restores version 1: version 3 on the server, with version 1's text.
    let token = page_token(&page)?;
    let libs = server.get("/v1/libraries", &token)?;
    let team_id = libs
        .as_array()
        .into_iter()
        .flatten()
        .find(|l| l["name"] == TEAM)
        .map(|l| field(l, "id"))
        .ok_or_else(|| anyhow!("no team library in {libs}"))?;
    assert_eq!(
        server_item(&server, &token, &team_id, &key)?,
        (V2.to_string(), 2)
    );
    page.click(".restore[data-version=\"1\"]")?;
    let status = page.wait_text("#status", |t| t.contains("已恢复"))?;
    assert!(
        status.contains("第 1 版") && status.contains("第 3 版"),
        "{status}"
    );
    assert_eq!(
        server_item(&server, &token, &team_id, &key)?,
        (V1.to_string(), 3)
    );
    page.wait_text("#replies-versions", |t| t.contains("第 3 版"))?;
    assert!(
        page.text("li.version[data-current]")?.contains(V1),
        "the new current version shows version 1's text"
    );
    // Another computer gets it with an ordinary sync, as a new version.
    agent.ok(&["sync"])?;
    assert_eq!(
        agent.json(&["show", "fh", "--library", TEAM])?["parts"][0]["body"],
        V1
    );
    let agent_versions = agent.json(&["history", "fh", "--library", TEAM])?;
    assert_eq!(agent_versions[0]["version"], 3, "{agent_versions:#}");
    page.screenshot("admin-replies-restored-desktop.png")?;

    // Someone edits it meanwhile: restoring from the stale page is refused (412), the
    // page reloads, says so, and shows the newer version; nothing is overwritten.
    lead.ok(&["sync"])?;
    lead.ok(&["edit", "发货时间", "--library", TEAM, "--text", V4])?;
    lead.ok(&["sync"])?;
    page.click(".restore[data-version=\"2\"]")?;
    let status = page.wait_text("#status", |t| t.contains("刚刚被别人改过"))?;
    assert!(status.contains("发货时间"), "{status}");
    page.wait_text("#replies-versions", |t| t.contains("第 4 版"))?;
    assert!(page.text("li.version[data-current]")?.contains(V4));
    assert_eq!(
        server_item(&server, &token, &team_id, &key)?,
        (V4.to_string(), 4)
    );

    // English, then a phone: no sideways scrolling.
    page.click("#lang")?;
    page.wait_text("#tab-replies", |t| t == "Replies")?;
    page.wait_text("#replies-versions", |t| t.contains("Version 4"))?;
    page.element(".restore[aria-label=\"Restore version 1\"]")?;
    page.screenshot("admin-replies-english-desktop.png")?;
    page.click("#lang")?;
    page.wait_text("#tab-replies", |t| t == "话术")?;
    page.set_window_size(390, 1100)?;
    page.wait_text("#replies-versions", |t| t.contains("第 4 版"))?;
    page.screenshot("admin-replies-phone.png")?;
    let overflow = page.script(
        "return document.documentElement.scrollWidth > document.documentElement.clientWidth",
    )?;
    assert_eq!(
        overflow,
        json!(false),
        "the Replies tab scrolls sideways on a phone"
    );
    page.click(".restore[data-version=\"1\"]")?;
    page.wait_text("#status", |t| t.contains("第 5 版"))?;
    page.screenshot("admin-replies-restored-phone.png")?;
    assert_eq!(
        server_item(&server, &token, &team_id, &key)?,
        (V1.to_string(), 5)
    );
    Ok(())
}

#[test]
#[ignore = "needs headless Chromium (chromium, chromium-driver): leg 5 of cargo xtask test"]
fn the_owner_sets_up_wecom_sign_in_on_the_providers_tab() -> Result<()> {
    use quickreply_e2e::standin::WecomStandIn;
    let dir = tempfile::tempdir()?;
    // The server's config file only points WeCom at the stand-in; the app itself is set
    // up on the page.
    let wecom = WecomStandIn::start("ww-shop", "typed-on-the-page-secret")?;
    let config = dir.path().join("server.toml");
    std::fs::write(
        &config,
        format!("[scan.wecom]\nendpoint = \"{}\"\n", wecom.base),
    )?;
    let server = Server::start_with(dir.path(), ["--config".as_ref(), config.as_os_str()])?;
    let lead = lead_with_team(
        dir.path(),
        &server,
        TEAM,
        &[("", "退货地址", "thdz", "亲，退货请寄到售后部")],
    )?;
    let page = Chromium::start(1280, 1100)?;
    sign_in(&page, &server, &lead, "admin-providers-signin.png")?;
    page.click("#tab-providers")?;
    page.wait_text("#providers-title", |t| t.contains("扫码登录"))?;
    for p in ["wecom", "feishu", "dingtalk", "wechat", "qq"] {
        assert_eq!(page.text(&format!("#prov-{p}-state"))?, "未设置");
    }
    let callback = page.text("#prov-wecom-callback")?;
    assert!(callback.ends_with("/v1/scan/callback/wecom"), "{callback}");
    // Without the AgentId: refused, in Chinese, nothing saved.
    page.type_into("#prov-wecom-app", "ww-shop")?;
    page.type_into("#prov-wecom-secret", "typed-on-the-page-secret")?;
    page.click("#prov-wecom-save")?;
    page.wait_text("#status", |t| {
        t.contains("企业微信需要填写自建应用的 AgentId")
    })?;
    let (_, listed) = call("GET", &format!("{}/v1/scan", server.url), "", None)?;
    assert_eq!(listed, json!([]));
    // With it (Enter in the form): saved; the secret is not shown again.
    page.type_into("#prov-wecom-agent", "1000002\u{E007}")?;
    page.wait_text("#status", |t| t.contains("已保存企业微信登录设置"))?;
    page.wait_text("#prov-wecom-state", |t| t.starts_with("已启用"))?;
    assert_eq!(
        page.attribute("#prov-wecom-secret", "value")
            .unwrap_or_default(),
        ""
    );
    assert!(
        page.attribute("#prov-wecom-secret", "placeholder")?
            .contains("已保存")
    );
    let html = page.script("return document.documentElement.outerHTML")?;
    assert!(!html.to_string().contains("typed-on-the-page-secret"));
    page.screenshot("admin-providers.png")?;
    let token = page_token(&page)?;
    let (status, settings) = call(
        "GET",
        &format!("{}/v1/scan/settings", server.url),
        &token,
        None,
    )?;
    assert_eq!(status, 200);
    assert!(!settings.to_string().contains("typed-on-the-page-secret"));

    // It works: the owner links their own WeCom account on the same tab.
    page.wait_text("#my-wecom", |t| t.contains("未关联"))?;
    page.click("#link-wecom")?;
    page.wait_text("#link-hint", |t| t.contains("企业微信"))?;
    let login = page.attribute("#link-open", "href")?;
    let (status, body) = wecom.scan(&login, "boss")?;
    assert!(status == 200 && body.contains("已关联"), "{status} {body}");
    page.wait_text("#status", |t| t.contains("已关联企业微信账号"))?;
    page.wait_text("#my-wecom", |t| t.contains("已关联 boss"))?;
    let (_, mine) = call(
        "GET",
        &format!("{}/v1/identities", server.url),
        &token,
        None,
    )?;
    assert_eq!(mine[0]["display_name"], "boss", "{mine}");
    page.screenshot("admin-providers-linked.png")?;
    page.click("#unlink-wecom")?;
    page.wait_text("#status", |t| t.contains("已取消关联企业微信账号"))?;
    page.wait_text("#my-wecom", |t| t.contains("未关联"))?;

    // Turned off on the page: no longer offered.
    page.click("#prov-wecom-remove")?;
    page.wait_text("#status", |t| t.contains("已停用企业微信登录"))?;
    page.wait_text("#prov-wecom-state", |t| t == "未设置")?;
    let (_, listed) = call("GET", &format!("{}/v1/scan", server.url), "", None)?;
    assert_eq!(listed, json!([]));
    Ok(())
}

#[test]
#[ignore = "needs headless Chromium (chromium, chromium-driver): leg 5 of cargo xtask test"]
fn the_admin_page_signs_in_by_scanning_with_wecom() -> Result<()> {
    use quickreply_e2e::standin::WecomStandIn;
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
    let lead = lead_with_team(
        dir.path(),
        &server,
        TEAM,
        &[("", "退货地址", "thdz", "亲，退货请寄到售后部")],
    )?;
    // The lead's WeCom account is linked.
    let mut linking = lead
        .command(&["link", "wecom"])?
        .stdout(Stdio::piped())
        .spawn()?;
    let out = linking.stdout.take().context("no stdout")?;
    let mut url = String::new();
    BufReader::new(out).read_line(&mut url)?;
    wecom.scan(url.trim(), "boss")?;
    let done = wait_for("qreply link", Duration::from_secs(20), || {
        linking.try_wait().ok().flatten()
    })?;
    assert!(done.success());

    // The page offers WeCom under its sign-in code; choosing it shows WeCom's QR code.
    let page = Chromium::start(1280, 900)?;
    page.navigate(&format!("{}/admin/", server.url))?;
    page.wait_text("#signin-code", |t| t.len() == 9)?;
    page.wait_text("#signin-scan", |t| t.contains("用企业微信扫码登录"))?;
    page.click("#signin-scan-wecom")?;
    page.wait_text("#scan-hint", |t| t.contains("企业微信"))?;
    let login = page.attribute("#scan-open", "href")?;
    assert!(
        login.starts_with(&format!("{}/wwlogin/sso/login?", wecom.base)),
        "{login}"
    );
    let src = page.attribute("img.qr", "src")?;
    assert!(src.contains("wwlogin"), "{src}");
    wait_for("the QR image", Duration::from_secs(10), || {
        page.script("return document.querySelector('img.qr').naturalWidth")
            .ok()
            .and_then(|v| v.as_u64())
            .filter(|w| *w > 0)
    })?;
    page.screenshot("admin-scan-signin.png")?;
    let (status, body) = wecom.scan(&login, "boss")?;
    assert_eq!(status, 200, "{body}");
    page.element("#members .member")?;
    let token = page_token(&page)?;
    let me = server.get("/v1/me", &token)?;
    assert_eq!(me["role"], "owner", "{me}");

    // Someone nobody linked: the page turns to the sign-in code for a lead to approve.
    let other = Chromium::start(1280, 900)?;
    other.navigate(&format!("{}/admin/", server.url))?;
    other.click("#signin-scan-wecom")?;
    let login = other.attribute("#scan-open", "href")?;
    wecom.scan(&login, "xiaoliu")?;
    other.wait_text("#signin-note", |t| t.contains("xiaoliu"))?;
    let code = other.wait_text("#signin-code", |t| t.len() == 9)?;
    let shown = lead.run(&["approve", &code, "--member", "agent", "--yes"])?;
    assert_eq!(shown.code, 0, "{shown:?}");
    assert!(
        shown.stderr.contains("xiaoliu（企业微信）"),
        "{}",
        shown.stderr
    );
    other.element("#members .member")?;
    Ok(())
}

/// Makes every reply of the server's SQLite database look written `days` days ago: the
/// server dates a reply by its oldest kept version, stamped with its own clock, and the
/// real binary cannot be told to live in the future.
fn backdate_replies(server: &Server, days: i64) -> Result<()> {
    let db = rusqlite::Connection::open(server.data.join("server.db"))?;
    db.busy_timeout(Duration::from_secs(10))?;
    let ms = days * 86_400_000;
    db.execute("UPDATE item_history SET updated_at = updated_at - ?1", [ms])?;
    db.execute("UPDATE items SET updated_at = updated_at - ?1", [ms])?;
    Ok(())
}

/// The row of `#stale-list` whose title is `title`: clicks its checkbox.
fn choose_stale(page: &Session, title: &str) -> Result<()> {
    let found = page.script(&format!(
        "const row = [...document.querySelectorAll('#stale-list tbody tr')]
             .find((r) => r.children[1].textContent === {title:?});
         if (!row) return false;
         row.querySelector('input').focus();
         return true;"
    ))?;
    if found != json!(true) {
        bail!(
            "no stale reply {title} listed: {}",
            page.text("#stale-list")?
        );
    }
    // Space ticks the focused checkbox: no mouse needed.
    page.keys(" ")
}

#[test]
#[ignore = "needs headless Chromium (chromium, chromium-driver): leg 5 of cargo xtask test"]
fn a_lead_archives_unused_replies_and_writes_a_reply_for_a_missed_search() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (server, lead, agent) = team(dir.path())?;
    // The four replies were written 100 days ago; the agent fires 发货时间 today and
    // searches 运费险 twice without finding anything.
    backdate_replies(&server, 100)?;
    for _ in 0..2 {
        let out = agent
            .command(&["fire", "fh", "--library", TEAM])?
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .output()?;
        if !out.status.success() {
            bail!("qreply fire fh: {}", String::from_utf8_lossy(&out.stderr));
        }
        agent.ok(&["search", "运费险"])?;
    }
    agent.ok(&["sync"])?;

    let page = Chromium::start(1280, 1000)?;
    sign_in(&page, &server, &lead, "admin-stale-signin-desktop.png")?;
    page.click("#tab-usage")?;
    // 90 days by default: the three replies nobody fired, never fired, with their folders.
    let summary = page.wait_text("#stale-summary", |t| t.contains("90 天"))?;
    assert!(summary.contains("3 条话术"), "{summary}");
    let listed = page.text("#stale-list")?;
    for want in ["退货地址", "催好评", "尺码推荐", "售后", "售前", "从未"] {
        assert!(listed.contains(want), "{want} missing: {listed}");
    }
    assert!(!listed.contains("发货时间"), "fired today: {listed}");
    // Usage was first recorded today: the page says what "90 days" can mean here.
    let since = page.text("#stale-usage-since")?;
    assert!(since.contains("使用记录从"), "{since}");
    page.script("document.getElementById('stale-section').scrollIntoView()")?;
    page.screenshot("admin-stale-desktop.png")?;

    // Nothing ticked: the page says so and writes nothing.
    page.click("#stale-archive")?;
    page.wait_text("#status", |t| t.contains("请先勾选"))?;
    // Two ticked with the keyboard, one click: both move into 归档, created now.
    choose_stale(&page, "催好评")?;
    choose_stale(&page, "尺码推荐")?;
    page.click("#stale-archive")?;
    let status = page.wait_text("#status", |t| t.contains("已把 2 条话术"))?;
    assert!(status.contains("归档"), "{status}");
    let summary = page.wait_text("#stale-summary", |t| t.contains("1 条话术"))?;
    assert!(summary.contains("90 天"), "{summary}");
    assert!(page.text("#stale-list")?.contains("退货地址"));
    page.screenshot("admin-stale-archived-desktop.png")?;
    // The agent's computer gets the move with an ordinary sync.
    agent.ok(&["sync"])?;
    let archived = agent.json(&["ls", "--library", TEAM, "--folder", "归档"])?;
    let titles: Vec<&str> = archived
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["title"].as_str())
        .collect();
    assert_eq!(titles.len(), 2, "{archived:#}");
    assert!(
        titles.contains(&"催好评") && titles.contains(&"尺码推荐"),
        "{archived:#}"
    );

    // The most searched search without a reply becomes one: 写回复 opens a form with the
    // search as title and tag; an empty reply is refused, a written one saved.
    page.wait_text("#missed-top", |t| t.contains("运费险"))?;
    page.click("#missed-write-0")?;
    page.element("#draft-form")?;
    assert_eq!(
        page.script("return document.getElementById('draft-title').value")?,
        json!("运费险")
    );
    assert_eq!(
        page.script("return document.getElementById('draft-tags').value")?,
        json!("运费险")
    );
    assert_eq!(
        page.script("return document.activeElement && document.activeElement.id")?,
        json!("draft-body"),
        "the focus is on the text to write"
    );
    page.click("#draft-save")?;
    page.wait_text("#status", |t| t.contains("请先写好回复内容"))?;
    page.type_into(
        "#draft-body",
        "亲，本店每单都送运费险，退换货运费由保险公司承担～",
    )?;
    page.select_value("#draft-folder", &{
        let id = page.script(
            "return [...document.querySelectorAll('#draft-folder option')].find((o) => o.textContent === '售后').value",
        )?;
        id.as_str().unwrap_or_default().to_string()
    })?;
    page.script("document.getElementById('draft-form').scrollIntoView()")?;
    page.screenshot("admin-missed-draft-desktop.png")?;
    page.click("#draft-save")?;
    let saved = page.wait_text("#status", |t| t.contains("已保存"))?;
    assert!(
        saved.contains("运费险") && saved.contains("售后"),
        "{saved}"
    );
    assert_eq!(page.count("#draft-form")?, 0, "the form closes");
    // Agents find it by the search that found nothing before.
    agent.ok(&["sync"])?;
    let hits = agent.json(&["search", "运费险"])?;
    let first = &hits[0];
    assert_eq!(first["title"], "运费险", "{hits:#}");
    let shown = agent.json(&["show", "运费险", "--library", TEAM])?;
    assert_eq!(shown["tags"], json!(["运费险"]), "{shown:#}");
    assert!(
        shown["parts"][0]["body"]
            .as_str()
            .is_some_and(|b| b.contains("运费险")),
        "{shown:#}"
    );

    // English: the section and its help are translated.
    page.click("#lang")?;
    page.wait_text("#stale-summary", |t| t.contains("unused for 90 days"))?;
    assert!(
        page.text("#stale-help")?
            .contains("Replies of the chosen library")
    );
    page.screenshot("admin-stale-english-desktop.png")?;
    Ok(())
}

/// A Beijing-time date `days` from today, as a lead types it.
fn day(days: i64) -> String {
    use quickreply_core::proto::schedule::{TEAM_OFFSET_MINUTES, format_instant, now_ms};
    format_instant(now_ms() + days * 86_400_000, TEAM_OFFSET_MINUTES)[..10].to_string()
}

#[test]
#[ignore = "needs headless Chromium (chromium, chromium-driver): leg 5 of cargo xtask test"]
fn a_lead_sees_upcoming_and_expired_replies_on_the_admin_page() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (server, lead, _agent) = team(dir.path())?;
    // 退货地址 ended yesterday, the 售前 folder starts in three days, 发货时间 runs
    // until ten days from now; 催好评 has no dates.
    lead.ok(&[
        "dates",
        "set",
        "thdz",
        "--library",
        TEAM,
        "--until",
        &day(-1),
    ])?;
    lead.ok(&[
        "dates",
        "set",
        "售前",
        "--folder",
        "--library",
        TEAM,
        "--from",
        &day(3),
    ])?;
    lead.ok(&[
        "dates",
        "set",
        "fh",
        "--library",
        TEAM,
        "--from",
        &day(-2),
        "--until",
        &day(10),
    ])?;
    lead.ok(&["sync"])?;

    let page = Chromium::start(1280, 900)?;
    sign_in(&page, &server, &lead, "admin-schedule-signin.png")?;
    page.click("#tab-schedule")?;
    let upcoming = page.wait_text("#schedule-upcoming", |t| t.contains("尺码推荐"))?;
    assert!(upcoming.contains("即将生效（1）"), "{upcoming}");
    assert!(
        upcoming.contains(&day(3)) && upcoming.contains("文件夹的日期"),
        "{upcoming}"
    );
    let expired = page.text("#schedule-expired")?;
    assert!(
        expired.contains("已过期（1）")
            && expired.contains("退货地址")
            && expired.contains(&day(-1)),
        "{expired}"
    );
    let active = page.text("#schedule-active")?;
    assert!(
        active.contains("发货时间") && active.contains(&day(-2)) && active.contains(&day(10)),
        "{active}"
    );
    for table in [&upcoming, &expired, &active] {
        assert!(
            !table.contains("催好评"),
            "an undated reply is not listed: {table}"
        );
    }
    page.screenshot("admin-schedule.png")?;

    // In English too.
    page.click("#lang")?;
    let expired = page.wait_text("#schedule-expired", |t| t.contains("Expired (1)"))?;
    assert!(expired.contains("退货地址"), "{expired}");
    Ok(())
}

/// The text parts of a reply `qreply show --json` printed.
fn shown_body(c: &Client, code: &str) -> Result<String> {
    let v = c.json(&["show", code, "--library", TEAM])?;
    Ok(v["parts"][0]["body"]
        .as_str()
        .unwrap_or_default()
        .to_string())
}

/// An agent's suggestions by title: (state, the lead's comment).
fn outcomes(c: &Client) -> Result<Vec<(String, String, String)>> {
    let v = c.json(&["suggestions"])?;
    Ok(v.as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            (
                field(&s["doc"], "title"),
                field(s, "state"),
                s["server"]["comment"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect())
}

#[test]
#[ignore = "needs headless Chromium (chromium, chromium-driver): leg 5 of cargo xtask test"]
fn a_lead_decides_agents_suggestions_on_the_admin_page() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (server, lead, agent) = team(dir.path())?;
    // 小李 suggests a change, another change and a new reply (sent at once: online).
    agent.ok(&[
        "suggest",
        "fh",
        "--library",
        TEAM,
        "--body",
        "亲，付款后24小时内发货",
        "--note",
        "仓库提速了",
    ])?;
    agent.ok(&[
        "suggest",
        "hp",
        "--library",
        TEAM,
        "--body",
        "亲，满意请给五星哦",
    ])?;
    agent.ok(&[
        "suggest",
        "--new",
        "--library",
        TEAM,
        "--title",
        "周末发货吗",
        "--body",
        "亲，周末也发货",
    ])?;

    let page = Chromium::start(1280, 900)?;
    sign_in(
        &page,
        &server,
        &lead,
        "admin-suggestions-signin-desktop.png",
    )?;
    page.click("#tab-suggestions")?;
    let listed = page.wait_text("#sugg-list", |t| t.contains("周末发货吗"))?;
    for want in [
        "待审核（3）",
        "发货时间",
        "催好评",
        "小李",
        "agent-pc",
        "说明：仓库提速了",
        "建议新增",
        "建议修改",
    ] {
        assert!(listed.contains(want), "{want} missing: {listed}");
    }
    // The word diff: what goes, what comes.
    let fh = "article.suggestion[aria-label=\"发货时间\"]";
    assert_eq!(page.text(&format!("{fh} del"))?, "48");
    assert_eq!(page.text(&format!("{fh} ins"))?, "24");
    assert_eq!(
        page.text("article.suggestion[aria-label=\"周末发货吗\"] ins")?,
        "亲，周末也发货"
    );
    page.screenshot("admin-suggestions-desktop.png")?;

    // Keyboard: Enter on 采纳 accepts.
    page.script(&format!(
        "document.querySelector('{}').focus()",
        format!("{fh} .accept").replace('\'', "\\'")
    ))?;
    page.keys("\u{E007}")?;
    let status = page.wait_text("#status", |t| t.contains("已采纳"))?;
    assert!(
        status.contains("小李") && status.contains("第 2 版"),
        "{status}"
    );
    page.wait_text("#sugg-pending-title", |t| t.contains("（2）"))?;

    // Edit, then accept.
    let hp = "article.suggestion[aria-label=\"催好评\"]";
    page.click(&format!("{hp} .edit"))?;
    page.clear(&format!("{hp} .sugg-edit-text"))?;
    page.type_into(
        &format!("{hp} .sugg-edit-text"),
        "亲，满意的话请给五星好评哦",
    )?;
    page.type_into(&format!("{hp} .sugg-comment"), "改得更客气一点")?;
    page.click(&format!("{hp} .accept-edited"))?;
    page.wait_text("#status", |t| t.contains("催好评"))?;

    // Decline: a reason is required.
    let new = "article.suggestion[aria-label=\"周末发货吗\"]";
    page.click(&format!("{new} .decline"))?;
    page.click(&format!("{new} .confirm-decline"))?;
    page.wait_text("#status", |t| t.contains("请写明拒绝的理由"))?;
    page.type_into(&format!("{new} .sugg-decline-comment"), "周末不发货")?;
    page.click(&format!("{new} .confirm-decline"))?;
    page.wait_text("#status", |t| t.contains("已拒绝"))?;
    let decided = page.wait_text("#sugg-decided", |t| t.contains("周末不发货"))?;
    assert!(
        decided.contains("已采纳") && decided.contains("未采纳"),
        "{decided}"
    );
    page.element("#sugg-none")?;
    page.screenshot("admin-suggestions-decided-desktop.png")?;

    // The agent gets the replies and the outcomes.
    agent.ok(&["sync"])?;
    assert_eq!(shown_body(&agent, "fh")?, "亲，付款后24小时内发货");
    assert_eq!(shown_body(&agent, "hp")?, "亲，满意的话请给五星好评哦");
    let out = outcomes(&agent)?;
    for want in [
        ("发货时间", "accepted", ""),
        ("催好评", "accepted", "改得更客气一点"),
        ("周末发货吗", "declined", "周末不发货"),
    ] {
        assert!(
            out.iter()
                .any(|(t, s, c)| (t.as_str(), s.as_str(), c.as_str()) == want),
            "{want:?} missing: {out:?}"
        );
    }
    // The Replies tab's history names whose suggestion a version was.
    page.click("#tab-replies")?;
    page.wait_text("#replies-list", |t| t.contains("发货时间"))?;
    page.type_into("#replies-search", "发货时间")?;
    page.wait_text("#replies-list", |t| !t.contains("退货地址"))?;
    page.click(".reply-item")?;
    let versions = page.wait_text("#replies-versions", |t| t.contains("第 2 版"))?;
    assert!(versions.contains("采纳 小李 的建议"), "{versions}");

    // The reply changes after the page listed the suggestion: accepting is refused,
    // the page reloads and warns, and the second accept goes over the new text.
    agent.ok(&[
        "suggest",
        "cm",
        "--library",
        TEAM,
        "--body",
        "亲，告诉我身高体重，马上推荐尺码",
    ])?;
    page.click("#tab-suggestions")?;
    let cm = "article.suggestion[aria-label=\"尺码推荐\"]";
    page.element(cm)?;
    lead.ok(&["sync"])?;
    lead.ok(&[
        "edit",
        "尺码推荐",
        "--library",
        TEAM,
        "--text",
        "亲，发一下身高体重哦",
    ])?;
    lead.ok(&["sync"])?;
    page.click(&format!("{cm} .accept"))?;
    page.wait_text("#status", |t| t.contains("刚刚又被改过"))?;
    let warn = page.text(&format!("{cm} .sugg-warn"))?;
    assert!(warn.contains("又被改过"), "{warn}");
    // The diff is against the text now, not the one the agent saw.
    assert_eq!(page.text(&format!("{cm} del"))?, "发一下");
    page.screenshot("admin-suggestions-conflict-desktop.png")?;
    page.click(&format!("{cm} .accept"))?;
    page.wait_text("#status", |t| t.contains("第 3 版"))?;

    // English, and a phone: no sideways scrolling.
    page.click("#lang")?;
    page.wait_text("#tab-suggestions", |t| t == "Suggestions")?;
    page.wait_text("#sugg-list", |t| t.contains("Recently decided"))?;
    page.set_window_size(390, 1100)?;
    page.screenshot("admin-suggestions-english-phone.png")?;
    let overflow = page.script(
        "return document.documentElement.scrollWidth > document.documentElement.clientWidth",
    )?;
    assert_eq!(
        overflow,
        json!(false),
        "the Suggestions tab scrolls sideways on a phone"
    );

    // An agent's page has no Suggestions tab.
    let agent_page = Chromium::start(1280, 900)?;
    sign_in(
        &agent_page,
        &server,
        &agent,
        "admin-suggestions-agent-signin.png",
    )?;
    assert_eq!(agent_page.count("#tab-suggestions")?, 0);
    Ok(())
}

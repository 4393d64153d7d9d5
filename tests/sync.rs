//! Sync end to end with real processes on loopback: `quickreply-server` and several
//! `qreply` "computers" (a lead, an editor, agents), each with its own data directory.
//! After every scenario each client's digest equals the server's (`qreply status`).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};
use quickreply_e2e::sync::{Client, Run, Server, lead_with_team, shop};
use quickreply_e2e::wait_for;
use serde_json::Value;

const TEAM: &str = "售后话术";

fn assert_in_sync(clients: &[&Client]) -> Result<()> {
    for c in clients {
        let st = c.status()?;
        if st["in_sync"] != Value::Bool(true) {
            bail!("{} is not in sync with the server: {st:#}", c.name);
        }
        for lib in st["libraries"].as_array().into_iter().flatten() {
            if lib["local"] != lib["server"] {
                bail!("{}: digests differ: {lib:#}", c.name);
            }
        }
    }
    Ok(())
}

fn count_of(c: &Client, library: &str) -> Result<u64> {
    let st = c.status()?;
    st["libraries"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|l| l["name"] == library)
        .and_then(|l| l["server"]["count"].as_u64())
        .ok_or_else(|| anyhow::anyhow!("{}: no library {library} in {st:#}", c.name))
}

/// A lead with a published team library and an invite code for `uses` members.
fn team(dir: &std::path::Path, uses: u32) -> Result<(Server, Client, String)> {
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
                "亲，退货请寄到{店铺名}售后部，备注订单号哦",
            ),
            ("售后", "发货时间", "fh", "亲，付款后48小时内发货"),
            ("售后", "催好评", "hp", "亲，满意的话给个五星好评吧"),
        ],
    )?;
    lead.ok(&["vars", "set", "店铺名", "小美家居", "--library", TEAM])?;
    lead.ok(&["sync"])?;
    let invite = lead.invite(&["--role", "agent", "--uses", &uses.to_string()])?;
    Ok((server, lead, invite))
}

#[test]
fn a_lead_edit_reaches_every_watching_agent_and_agents_cannot_write_the_team_library() -> Result<()>
{
    let dir = tempfile::tempdir()?;
    let (server, lead, invite) = team(dir.path(), 2)?;
    let a1 = Client::new(dir.path(), "agent1-pc");
    let a2 = Client::new(dir.path(), "agent2-pc");
    a1.join(&server, &invite, "小李")?;
    a2.join(&server, &invite, "小张")?;
    assert_eq!(a1.titles(TEAM)?.len(), 3, "joining pulls the team library");

    // The invite had two uses.
    let a3 = Client::new(dir.path(), "agent3-pc");
    let r = a3.run(&["join", &server.url, &invite, "--name", "小赵"])?;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("invalid_code"), "{}", r.stderr);

    // Both agents watch; the lead edits once.
    let _w1 = a1.watch()?;
    let _w2 = a2.watch()?;
    std::thread::sleep(Duration::from_millis(500));
    lead.ok(&[
        "edit",
        "fh",
        "--library",
        TEAM,
        "--text",
        "亲，今天16点前付款当天发货",
    ])?;
    lead.ok(&["sync"])?;
    for a in [&a1, &a2] {
        wait_for(
            &format!("{} to receive the lead's edit", a.name),
            Duration::from_secs(10),
            || {
                let s = a.json(&["show", "fh", "--library", TEAM]).ok()?;
                let body = s["parts"][0]["body"].as_str()?.to_string();
                body.contains("当天发货").then_some(())
            },
        )?;
        // Straight from the event: no request per agent for a lead's edit.
        let log = a.watch_log()?;
        assert!(
            log.contains("received 1 change(s) live"),
            "{}: {log}",
            a.name
        );
    }
    // … and the lead's device list learns within a moment that both agents have it.
    let team_lib = lead.status()?["libraries"]
        .as_array()
        .and_then(|l| l.iter().find(|l| l["name"] == TEAM).cloned())
        .ok_or_else(|| anyhow::anyhow!("no team library in the lead's status"))?;
    wait_for(
        "the agents' status reports to show the new head",
        Duration::from_secs(10),
        || {
            let devices = lead.json(&["devices"]).ok()?;
            let caught_up = devices
                .as_array()?
                .iter()
                .filter(|d| d["role"] == "agent")
                .filter(|d| {
                    d["cursors"].as_array().is_some_and(|c| {
                        c.iter().any(|c| {
                            c["library_id"] == team_lib["remote"] && c["cursor"] == team_lib["head"]
                        })
                    })
                })
                .count();
            (caught_up == 2).then_some(())
        },
    )?;
    // Images travel as blobs: a reply with a picture arrives with the picture.
    let png = dir.path().join("size-chart.png");
    image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 90]))
        .save(&png)?;
    lead.ok(&[
        "add",
        "--library",
        TEAM,
        "--title",
        "尺码表",
        "--text",
        "亲，尺码表请看图：",
        "--image",
        png.to_str().unwrap_or_default(),
    ])?;
    lead.ok(&["sync"])?;
    for a in [&a1, &a2] {
        let sha = wait_for(
            &format!("{} to receive the picture reply", a.name),
            Duration::from_secs(10),
            || {
                let s = a.json(&["show", "尺码表", "--library", TEAM]).ok()?;
                s["parts"][1]["sha256"].as_str().map(str::to_string)
            },
        )?;
        let blob = a.data.join("blobs").join(&sha[..2]).join(&sha);
        let bytes = std::fs::read(&blob)?;
        assert_eq!(image::load_from_memory(&bytes)?.width(), 64, "{}", a.name);
    }

    // Team variables arrive too.
    let vars = a1.ok(&["vars", "ls", "--library", TEAM])?;
    assert!(vars.contains("小美家居"), "{vars}");

    // An agent cannot change the team library: refused locally, nothing queued.
    let r = a1.run(&[
        "add",
        "--library",
        TEAM,
        "--title",
        "私自加的",
        "--text",
        "x",
    ])?;
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("read-only team library"), "{}", r.stderr);

    // An agent's personal reply stays personal: the lead never sees it.
    a1.ok(&["add", "--title", "我的开场白", "--text", "您好，我是小李"])?;
    a1.ok(&["sync"])?;
    lead.ok(&["sync"])?;
    let lead_all = lead.json(&["ls"])?;
    assert!(
        !lead_all.to_string().contains("我的开场白"),
        "a personal reply leaked: {lead_all}"
    );
    let a2_all = a2.json(&["ls"])?;
    assert!(!a2_all.to_string().contains("我的开场白"));

    drop(_w1);
    drop(_w2);
    assert_in_sync(&[&lead, &a1, &a2])?;
    Ok(())
}

#[test]
fn concurrent_edits_merge_or_keep_both_versions_and_offline_agents_catch_up() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (server, lead, invite) = team(dir.path(), 1)?;
    let editor_code = lead.invite(&["--role", "editor"])?;
    let editor = Client::new(dir.path(), "editor-pc");
    editor.join(&server, &editor_code, "陈编辑")?;
    let agent = Client::new(dir.path(), "agent-pc");
    agent.join(&server, &invite, "小李")?;

    // Disjoint fields: the lead renames, the editor rewrites the text → both kept.
    lead.ok(&["edit", "hp", "--library", TEAM, "--title", "邀请好评"])?;
    editor.ok(&[
        "edit",
        "hp",
        "--library",
        TEAM,
        "--text",
        "亲，收到后记得五星好评哦",
    ])?;
    lead.ok(&["sync"])?;
    editor.ok(&["sync"])?;
    lead.ok(&["sync"])?;
    for c in [&lead, &editor] {
        let s = c.json(&["show", "hp", "--library", TEAM])?;
        assert_eq!(s["title"], "邀请好评", "{}: {s}", c.name);
        assert_eq!(
            s["parts"][0]["body"], "亲，收到后记得五星好评哦",
            "{}",
            c.name
        );
    }

    // The same field: the server's version stays, the other becomes a visible copy.
    lead.ok(&["edit", "thdz", "--library", TEAM, "--text", "主管的版本"])?;
    editor.ok(&["edit", "thdz", "--library", TEAM, "--text", "编辑的版本"])?;
    editor.ok(&["sync"])?;
    let out = lead.ok(&["sync"])?;
    assert!(out.contains("conflict"), "{out}");
    editor.ok(&["sync"])?;
    for c in [&lead, &editor] {
        let all = c.json(&["ls", "--library", TEAM])?.to_string();
        assert!(all.contains("编辑的版本"), "{}: {all}", c.name);
        assert!(all.contains("主管的版本"), "{}: {all}", c.name);
        assert!(all.contains("conflict copy"), "{}: {all}", c.name);
    }

    // The agent was offline for all of it, plus 40 more replies: one sync catches up.
    for i in 0..40 {
        lead.ok(&[
            "add",
            "--library",
            TEAM,
            "--folder",
            "活动",
            "--title",
            &format!("活动话术{i}"),
            "--text",
            &format!("第{i}条活动说明"),
        ])?;
    }
    lead.ok(&["sync"])?;
    agent.ok(&["sync"])?;
    editor.ok(&["sync"])?;
    assert_eq!(agent.titles(TEAM)?.len(), lead.titles(TEAM)?.len());
    assert_eq!(count_of(&agent, TEAM)?, count_of(&lead, TEAM)?);
    assert_in_sync(&[&lead, &editor, &agent])?;

    // Silent drift (a computer that lost part of the history but believes it is up to
    // date) is found by the digests and repaired by `status`.
    let full = agent.titles(TEAM)?.len();
    {
        let db = rusqlite::Connection::open(agent.data.join("quickreply.db"))?;
        db.execute_batch(
            "UPDATE sync_mode SET applying = 1;
             DELETE FROM sync_items WHERE key IN (SELECT id FROM snippets WHERE title LIKE '活动话术1%');
             DELETE FROM snippets WHERE title LIKE '活动话术1%';
             UPDATE sync_mode SET applying = 0;",
        )?;
    }
    assert!(agent.titles(TEAM)?.len() < full);
    let st = agent.status()?;
    assert_eq!(st["in_sync"], Value::Bool(true), "{st:#}");
    assert_eq!(st["repaired"][0], TEAM, "{st:#}");
    assert_eq!(agent.titles(TEAM)?.len(), full);
    Ok(())
}

#[test]
fn personal_replies_follow_a_person_to_a_second_computer_and_revoked_or_departed_devices_are_locked_out()
-> Result<()> {
    let dir = tempfile::tempdir()?;
    let (server, lead, invite) = team(dir.path(), 1)?;
    let home = Client::new(dir.path(), "agent-home");
    home.ok(&[
        "add",
        "--title",
        "自我介绍",
        "--code",
        "zw",
        "--text",
        "您好，我是客服小李",
    ])?;
    home.join(&server, &invite, "小李")?;
    let pairing = home.invite(&["--pairing"])?;
    let office = Client::new(dir.path(), "agent-office");
    office.join(&server, &pairing, "ignored")?;
    // A pairing code the office computer makes while it is still trusted (issue #17).
    let office_pairing = office.invite(&["--pairing"])?;
    assert!(office.titles("personal")?.contains(&"自我介绍".to_string()));
    let st = office.status()?;
    assert_eq!(
        st["user"], "小李",
        "a pairing code adds a computer, not a person"
    );

    // Edits on either computer reach the other.
    office.ok(&["edit", "zw", "--text", "您好，我是小李，很高兴为您服务"])?;
    office.ok(&["sync"])?;
    home.ok(&["sync"])?;
    let s = home.json(&["show", "zw"])?;
    assert_eq!(s["parts"][0]["body"], "您好，我是小李，很高兴为您服务");
    assert_in_sync(&[&home, &office])?;

    // The lead sees both computers and revokes the office one.
    let devices = lead.json(&["devices"])?;
    let names: Vec<&str> = devices
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["name"].as_str())
        .collect();
    assert!(
        names.contains(&"agent-office") && names.contains(&"agent-home"),
        "{names:?}"
    );
    lead.ok(&["devices", "--revoke", "agent-office"])?;
    // Its pairing code died with it: nobody joins with it any more.
    let stranger = Client::new(dir.path(), "stranger");
    let r = stranger.run(&["join", &server.url, &office_pairing, "--device", "stranger"])?;
    assert_ne!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("removed from the team"), "{}", r.stderr);
    assert!(stranger.run(&["sync"])?.stderr.contains("qreply join"));
    let r = office.run(&["sync"])?;
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("401"), "{}", r.stderr);
    // The revoked computer keeps its replies locally.
    assert!(office.titles("personal")?.contains(&"自我介绍".to_string()));
    home.ok(&["sync"])?;

    // Leaving revokes the computer on the server: its old token is refused at once. An
    // owner's computer stays listed (the team never loses its owner's last way in).
    let token = home.token()?;
    let left = home.run(&["leave"])?;
    assert_eq!(left.code, 0, "{left:?}");
    assert!(
        left.stderr.contains("revoked this computer"),
        "{}",
        left.stderr
    );
    assert!(
        server.get("/v1/me", &token).is_err(),
        "the token still works"
    );
    assert!(home.titles("personal")?.contains(&"自我介绍".to_string()));
    let left = lead.run(&["leave"])?;
    assert_eq!(left.code, 0, "{left:?}");
    assert!(left.stderr.contains("keeps it listed"), "{}", left.stderr);
    Ok(())
}

#[test]
fn kill_9_of_the_server_mid_push_loses_no_acknowledged_write_and_duplicates_none() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (mut server, lead, invite) = team(dir.path(), 1)?;
    let agent = Client::new(dir.path(), "agent-pc");
    agent.join(&server, &invite, "小李")?;
    // 2000 replies in one local import, then a push that the server dies in.
    let csv = dir.path().join("many.csv");
    let mut text = String::from("title,code,folder,text\n");
    for i in 0..2000 {
        text.push_str(&format!("批量话术{i},,批量,第{i}条\n"));
    }
    std::fs::write(&csv, text)?;
    lead.ok(&["import", csv.to_str().unwrap_or_default(), "--into", TEAM])?;
    let token = lead.token()?;
    let head = |server: &Server| -> Option<i64> {
        let libs = server.get("/v1/libraries", &token).ok()?;
        libs.as_array()?
            .iter()
            .find(|l| l["name"] == TEAM)?
            .get("head")?
            .as_i64()
    };
    let before = head(&server).ok_or_else(|| anyhow::anyhow!("no team library head"))?;
    let mut push = lead
        .command(&["sync"])?
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    // The push goes in batches of 500 writes: killed once the first batch is in.
    wait_for(
        "the first batch of the push on the server",
        Duration::from_secs(60),
        || head(&server).filter(|h| *h > before),
    )?;
    server.kill9();
    let status = push.wait()?;
    assert!(!status.success(), "the push was cut by the kill");
    server.restart()?;
    lead.ok(&["sync"])?;
    let titles = lead.titles(TEAM)?;
    assert_eq!(titles.len(), 2003);
    assert_eq!(
        count_of(&lead, TEAM)?,
        2003 + 1 + 1 + 1,
        "replies, 2 folders, 1 variable"
    );
    assert_in_sync(&[&lead])?;

    // A client killed mid-pull resumes without gaps or duplicates.
    let mut pull = agent
        .command(&["sync"])?
        .stdout(std::process::Stdio::null())
        .spawn()?;
    std::thread::sleep(Duration::from_millis(250));
    let _ = pull.kill();
    let _ = pull.wait();
    agent.ok(&["sync"])?;
    assert_eq!(agent.titles(TEAM)?.len(), 2003);
    assert_in_sync(&[&agent, &lead])?;
    Ok(())
}

#[test]
fn a_lead_s_bulk_import_reaches_a_watching_agent() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (server, lead, invite) = team(dir.path(), 1)?;
    let agent = Client::new(dir.path(), "agent-pc");
    agent.join(&server, &invite, "小李")?;
    let _watching = agent.watch()?;
    // 1,200 replies in one local import: pushed in three batch requests, announced to the
    // agent once per batch.
    let csv = dir.path().join("import.csv");
    let mut text = String::from("title,code,folder,text\n");
    for i in 0..1200 {
        text.push_str(&format!("导入话术{i},,导入,第{i}条\n"));
    }
    std::fs::write(&csv, text)?;
    lead.ok(&["import", csv.to_str().unwrap_or_default(), "--into", TEAM])?;
    lead.ok(&["sync"])?;
    wait_for(
        "the watching agent to have every imported reply",
        Duration::from_secs(60),
        || (agent.titles(TEAM).ok()?.len() == 1203).then_some(()),
    )?;
    assert_in_sync(&[&lead, &agent])?;
    Ok(())
}

#[test]
fn the_device_token_is_kept_in_the_os_keyring_when_one_runs() -> Result<()> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir()?;
    let server = Server::start(dir.path())?;
    let bus = quickreply_e2e::SessionBus::start()?;
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home)?;
    let mut keyring = Command::new("gnome-keyring-daemon")
        .args(["--foreground", "--unlock", "--components=secrets"])
        .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
        .env("HOME", &home)
        .env("XDG_RUNTIME_DIR", &home)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| anyhow::anyhow!("gnome-keyring-daemon (Debian package gnome-keyring): {e}"))?;
    if let Some(mut stdin) = keyring.stdin.take() {
        stdin.write_all(b"keyring-password")?;
    }
    let with_bus = |c: &Client, args: &[&str]| -> Result<quickreply_e2e::sync::Run> {
        let out = c
            .command(args)?
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .env("HOME", &home)
            .output()?;
        Ok(quickreply_e2e::sync::Run::of(out))
    };
    let lead = Client::new(dir.path(), "lead-pc");
    let code = server.setup_code.clone().unwrap_or_default();
    // The secret service may take a moment to claim its bus name.
    let joined = wait_for("the keyring to answer", Duration::from_secs(10), || {
        let r = with_bus(&lead, &["join", &server.url, &code, "--name", "王主管"]).ok()?;
        (r.code == 0).then_some(r)
    });
    let r = match joined {
        Ok(r) => r,
        Err(e) => {
            let _ = keyring.kill();
            return Err(e);
        }
    };
    let result = (|| -> Result<()> {
        assert!(!r.stderr.contains("no OS keyring"), "{}", r.stderr);
        assert!(
            !lead.data.join("sync-token").exists(),
            "the token must not be on disk"
        );
        let again = with_bus(&lead, &["sync"])?;
        assert_eq!(again.code, 0, "{again:?}");
        // Without the keyring the token cannot be found.
        let blind = lead.run(&["sync"])?;
        assert_eq!(blind.code, 1, "{blind:?}");
        let left = with_bus(&lead, &["leave"])?;
        assert_eq!(left.code, 0, "{left:?}");
        Ok(())
    })();
    let _ = keyring.kill();
    let _ = keyring.wait();
    result
}

#[test]
fn an_agents_fires_reach_the_leads_usage_once_however_often_it_syncs() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (server, lead, invite) = team(dir.path(), 1)?;
    let agent = Client::new(dir.path(), "agent-pc");
    agent.join(&server, &invite, "小李")?;
    // Printed to stdout (no --clipboard), without any display to talk to.
    for _ in 0..2 {
        let out = agent
            .command(&["fire", "fh", "--library", TEAM])?
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .output()?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() || !stdout.contains("付款后48小时内发货") {
            bail!(
                "qreply fire exited {}:\n{stdout}{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let fired = |lead: &Client| -> Result<Vec<(String, u64, u64)>> {
        let v = lead.json(&["usage", "--library", TEAM])?;
        Ok(v.as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                (
                    r["title"].as_str().unwrap_or_default().to_string(),
                    r["count"].as_u64().unwrap_or_default(),
                    r["devices"].as_u64().unwrap_or_default(),
                )
            })
            .collect())
    };
    assert_eq!(fired(&lead)?, vec![], "nothing reported before a sync");
    agent.ok(&["sync"])?;
    let once = vec![("发货时间".to_string(), 2, 1)];
    assert_eq!(fired(&lead)?, once);
    // Syncing again resends today's counts: they replace, never add.
    agent.ok(&["sync"])?;
    assert_eq!(fired(&lead)?, once);
    // Agents may not read the team's usage.
    let r = agent.run(&["usage", "--library", TEAM, "--json"])?;
    assert_ne!(r.code, 0, "{}", r.stdout);
    assert!(r.stderr.contains("403"), "{}", r.stderr);
    Ok(())
}

/// Issue #17: counts no person can have made (25 000 fires of one reply in a day, from a
/// bug or a script) are refused by the server; the computer says so once and does not
/// get stuck resending them, and its later syncs go through.
#[test]
fn a_usage_report_the_server_refuses_is_reported_once_and_never_blocks_syncing() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (server, lead, invite) = team(dir.path(), 1)?;
    let agent = Client::new(dir.path(), "agent-pc");
    agent.join(&server, &invite, "小李")?;
    let out = agent
        .command(&["fire", "fh", "--library", TEAM])?
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()?;
    if !out.status.success() {
        bail!("qreply fire: {}", String::from_utf8_lossy(&out.stderr));
    }
    {
        let db = rusqlite::Connection::open(agent.data.join("quickreply.db"))?;
        let changed = db.execute("UPDATE usage SET count = 25000", [])?;
        assert_eq!(changed, 1);
    }
    let r = agent.run(&["sync"])?;
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains("refused by the server") && r.stderr.contains("more than"),
        "{}",
        r.stderr
    );
    let r = agent.run(&["sync"])?;
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!r.stderr.contains("refused"), "sent again: {}", r.stderr);
    let usage = lead.json(&["usage", "--library", TEAM])?;
    assert_eq!(usage, serde_json::json!([]), "nothing of it was stored");
    assert_in_sync(&[&agent, &lead])?;
    Ok(())
}

/// Issue #17: a lead lists the team's open codes (never the codes themselves), cancels
/// one (joining with it then fails, saying so) and removes a member entirely: every
/// computer of theirs is refused at its next sync, saying they were removed, and their
/// pairing code lets nobody in.
#[test]
fn a_lead_cancels_a_code_and_removes_a_member_whose_computers_are_then_shut_out() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (server, lead, invite) = team(dir.path(), 2)?;
    let home = Client::new(dir.path(), "agent-home");
    home.join(&server, &invite, "小李")?;
    let office = Client::new(dir.path(), "agent-office");
    office.join(&server, &home.invite(&["--pairing"])?, "ignored")?;
    let home_pairing = home.invite(&["--pairing", "--uses", "3"])?;
    let spare = lead.invite(&["--role", "editor"])?;

    // Open: the rest of the agent invite, 小李's pairing code, the editor invite.
    let codes = lead.json(&["codes"])?;
    let list = codes.as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 3, "{codes:#}");
    let editor_invite = list
        .iter()
        .find(|c| c["role"] == "editor")
        .ok_or_else(|| anyhow::anyhow!("no editor invite listed: {codes:#}"))?;
    assert_eq!(editor_invite["pairing"], false);
    let id = editor_invite["id"].as_str().unwrap_or_default().to_string();
    assert!(
        list.iter()
            .any(|c| c["pairing"] == true && c["created_by_name"] == "小李"),
        "{codes:#}"
    );
    let text = lead.ok(&["codes"])?;
    assert!(text.contains(&id), "{text}");
    for code in [&spare, &home_pairing, &invite] {
        assert!(!text.contains(code.as_str()), "a code is shown: {text}");
    }
    // Agents may not see them.
    let r = home.run(&["codes"])?;
    assert!(r.code != 0 && r.stderr.contains("403"), "{r:?}");

    lead.ok(&["codes", "cancel", &id])?;
    let newcomer = Client::new(dir.path(), "newcomer");
    let r = newcomer.run(&["join", &server.url, &spare, "--name", "小新"])?;
    assert_ne!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("cancelled"), "{}", r.stderr);

    // Removing asks first; without a terminal to ask on, --yes is needed.
    let members = lead.json(&["members"])?;
    let li = members
        .as_array()
        .and_then(|m| m.iter().find(|m| m["name"] == "小李").cloned())
        .ok_or_else(|| anyhow::anyhow!("小李 not listed: {members:#}"))?;
    assert_eq!(li["devices"].as_array().map(Vec::len), Some(2), "{li:#}");
    let r = lead.run(&["members", "remove", "小李"])?;
    assert_ne!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("--yes"), "{}", r.stderr);
    home.ok(&["sync"])?;
    let out = lead.ok(&["members", "remove", "小李", "--yes"])?;
    assert!(out.contains("2 computer(s) revoked"), "{out}");

    for c in [&home, &office] {
        let r = c.run(&["sync"])?;
        assert_eq!(r.code, 1, "{}: {r:?}", c.name);
        assert!(
            r.stderr.contains("removed from the team"),
            "{}: {}",
            c.name,
            r.stderr
        );
    }
    let r = newcomer.run(&["join", &server.url, &home_pairing, "--name", "小新"])?;
    assert_ne!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("cancelled"), "{}", r.stderr);
    let members = lead.json(&["members"])?;
    assert!(
        members
            .as_array()
            .is_some_and(|m| m.iter().all(|m| m["name"] != "小李")),
        "{members:#}"
    );
    // The rest of the team carries on: the agent invite still lets someone in.
    newcomer.join(&server, &invite, "小新")?;
    assert_in_sync(&[&lead, &newcomer])?;
    Ok(())
}

#[test]
fn searches_that_found_nothing_reach_the_lead_as_counts_without_buyer_text() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (server, lead, invite) = team(dir.path(), 1)?;
    let agent = Client::new(dir.path(), "agent-pc");
    agent.join(&server, &invite, "小李")?;
    for q in [
        &["search", "潜水", "氧气瓶"][..],
        &["search", "潜水  氧气瓶"],
        &["search", "能开专票吗"],
        &["search", "wxyz"],
        &["search", "13812345678"],
        &["search", "fh"],
    ] {
        agent.ok(q)?;
    }
    let missed = |who: &Client| -> Result<Vec<(String, u64, u64)>> {
        let v = who.json(&["usage", "--missed", "--days", "7"])?;
        Ok(v.as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                (
                    r["query"].as_str().unwrap_or_default().to_string(),
                    r["count"].as_u64().unwrap_or_default(),
                    r["devices"].as_u64().unwrap_or_default(),
                )
            })
            .collect())
    };
    assert_eq!(missed(&lead)?, vec![], "nothing reported before a sync");
    agent.ok(&["sync"])?;
    // The phone number was never counted, the search that found a reply neither.
    let once = vec![
        ("潜水 氧气瓶".to_string(), 2, 1),
        ("wxyz".to_string(), 1, 1),
        ("能开专票吗".to_string(), 1, 1),
    ];
    assert_eq!(missed(&lead)?, once);
    agent.ok(&["sync"])?;
    assert_eq!(missed(&lead)?, once, "a second sync replaces, never adds");
    let text = lead.ok(&["usage", "--missed"])?;
    assert!(text.contains("潜水 氧气瓶"), "{text}");
    // Agents report them but may not read the team's.
    let r = agent.run(&["usage", "--missed"])?;
    assert_ne!(r.code, 0, "{}", r.stdout);
    assert!(r.stderr.contains("403"), "{}", r.stderr);
    Ok(())
}

/// A private certificate authority (`ca.pem`) and a server certificate it signed for
/// 127.0.0.1 (`server.crt`, `server.key`) in `dir`.
fn private_ca(dir: &std::path::Path) -> Result<(PathBuf, PathBuf, PathBuf)> {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "QuickReply test CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_string()])?;
    params
        .distinguished_name
        .push(DnType::CommonName, "sync.example.test");
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, &ca)?;
    let (ca_file, cert_file, key_file) = (
        dir.join("ca.pem"),
        dir.join("server.crt"),
        dir.join("server.key"),
    );
    std::fs::write(&ca_file, ca.pem())?;
    std::fs::write(&cert_file, cert.pem())?;
    std::fs::write(&key_file, key.serialize_pem())?;
    Ok((ca_file, cert_file, key_file))
}

#[test]
fn a_self_hosted_https_server_with_a_private_ca_syncs_for_clients_given_ssl_cert_file() -> Result<()>
{
    let dir = tempfile::tempdir()?;
    let (ca, cert, key) = private_ca(dir.path())?;
    let server = Server::start_with(
        dir.path(),
        [
            "--tls-cert".as_ref(),
            cert.as_os_str(),
            "--tls-key".as_ref(),
            key.as_os_str(),
        ],
    )?;
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
    let code = server.setup_code.clone().unwrap_or_default();

    // Without the CA the client refuses the server, and says what to do.
    let stranger = Client::new(dir.path(), "stranger-pc");
    let r = Run::of(
        stranger
            .command(&["join", &server.url, &code, "--device", "x", "--name", "x"])?
            .env_remove("SSL_CERT_FILE")
            .env_remove("SSL_CERT_DIR")
            .output()?,
    );
    assert_ne!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stderr.contains("UnknownIssuer") && r.stderr.contains("SSL_CERT_FILE"),
        "{}",
        r.stderr
    );
    // http:// to the HTTPS port: refused, with a hint.
    let plain = server.url.replacen("https://", "http://", 1);
    let r = stranger.run(&["join", &plain, &code, "--device", "x", "--name", "x"])?;
    assert_ne!(r.code, 0, "{}", r.stdout);
    assert!(r.stderr.contains("use an https:// address"), "{}", r.stderr);

    // With SSL_CERT_FILE naming the CA: join, publish, invite.
    let lead = Client::new(dir.path(), "lead-pc").with_env("SSL_CERT_FILE", &ca);
    lead.join(&server, &code, "王主管")?;
    lead.ok(&["library", "add", TEAM])?;
    lead.ok(&[
        "add",
        "--library",
        TEAM,
        "--title",
        "发货时间",
        "--code",
        "fh",
        "--text",
        "亲，付款后48小时内发货",
    ])?;
    lead.ok(&["sync"])?;
    let invite = lead.invite(&["--role", "agent", "--uses", "1"])?;

    // A second computer joins over HTTPS and has the reply …
    let agent = Client::new(dir.path(), "agent-pc").with_env("SSL_CERT_FILE", &ca);
    agent.join(&server, &invite, "小李")?;
    assert_eq!(agent.titles(TEAM)?, vec!["发货时间".to_string()]);

    // … and the lead's next reply arrives live over the TLS event stream.
    let _watch = agent.watch()?;
    lead.ok(&[
        "add",
        "--library",
        TEAM,
        "--title",
        "退货地址",
        "--code",
        "thdz",
        "--text",
        "亲，退货请寄到售后部",
    ])?;
    lead.ok(&["sync"])?;
    wait_for(
        "the new reply to reach the agent",
        Duration::from_secs(15),
        || {
            agent
                .titles(TEAM)
                .ok()
                .filter(|t| t.contains(&"退货地址".to_string()))
        },
    )?;
    assert_in_sync(&[&lead, &agent])?;
    Ok(())
}

#[test]
fn a_new_computer_signs_in_by_approval_as_a_member_or_as_anothers_device() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (server, lead, invite) = team(dir.path(), 1)?;

    // A new agent's computer shows a code (and a QR code); the lead lets it in as an
    // agent. No invite code was typed anywhere.
    let newbie = Client::new(dir.path(), "newbie-pc");
    let asking = newbie.signin_in_background(&server, Some("小刘"))?;
    let code = asking.code.clone();
    assert_eq!(code.len(), 9, "{code}");
    let shown = lead.run(&["approve", &code, "--member", "agent", "--yes"])?;
    assert_eq!(shown.code, 0, "{shown:?}");
    assert!(shown.stderr.contains("newbie-pc"), "{}", shown.stderr);
    assert!(shown.stdout.contains("approved as a new member (agent)"));
    let out = asking.finish("the new agent's sign-in", Duration::from_secs(20))?;
    assert!(out.contains("qreply approve"), "{out}");
    assert_eq!(newbie.titles(TEAM)?.len(), 3, "the team library arrived");
    let me = newbie.status()?;
    assert_eq!(me["in_sync"], true, "{me:#}");

    // The new agent cannot let members in, but adds their own second computer.
    let laptop = Client::new(dir.path(), "newbie-laptop");
    let asking = laptop.signin_in_background(&server, None)?;
    let code = asking.code.clone();
    let refused = newbie.run(&["approve", &code, "--member", "agent", "--yes"])?;
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("403"), "{}", refused.stderr);
    newbie.ok(&["approve", &code, "--yes"])?;
    asking.finish("the agent's second computer", Duration::from_secs(20))?;
    let devices = lead.json(&["devices"])?;
    let mine: Vec<&Value> = devices
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["user_name"] == "小刘")
        .collect();
    assert_eq!(mine.len(), 2, "{devices:#}");

    // Denied: the asking computer is told, and stays unjoined.
    let stranger = Client::new(dir.path(), "stranger-pc");
    let asking = stranger.signin_in_background(&server, None)?;
    let code = asking.code.clone();
    lead.ok(&["approve", &code, "--deny"])?;
    let err = asking
        .finish("the denied sign-in", Duration::from_secs(20))
        .err()
        .map(|e| e.to_string());
    assert!(
        err.as_deref().is_some_and(|e| e.contains("denied")),
        "{err:?}"
    );
    let r = stranger.run(&["sync"])?;
    assert_eq!(r.code, 1, "{r:?}");

    // The invite code was never needed.
    drop(invite);
    assert_in_sync(&[&lead, &newbie, &laptop])?;
    Ok(())
}

#[test]
fn a_lead_restores_an_earlier_version_of_a_team_reply_and_agents_receive_it() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (server, lead, invite) = team(dir.path(), 1)?;
    let agent = Client::new(dir.path(), "agent-pc");
    agent.join(&server, &invite, "小李")?;
    for text in ["亲，今天下单明天发货", "亲，大促期间72小时内发货"] {
        lead.ok(&["edit", "fh", "--library", TEAM, "--text", text])?;
        lead.ok(&["sync"])?;
    }
    // Who changed it, when, from where: the three versions, newest first.
    let versions = lead.json(&["history", "fh", "--library", TEAM])?;
    let seen: Vec<(i64, String)> = versions
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| {
            (
                v["version"].as_i64().unwrap_or_default(),
                format!("{}@{}", v["user_name"], v["device_name"]).replace('"', ""),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (3, "王主管@lead-pc".to_string()),
            (2, "王主管@lead-pc".to_string()),
            (1, "王主管@lead-pc".to_string()),
        ]
    );
    let listing = lead.ok(&["history", "fh", "--library", TEAM])?;
    assert!(
        listing.contains("v1") && listing.contains("48小时"),
        "{listing}"
    );

    // An agent may read the history but not restore a team reply.
    let r = agent.run(&["restore", "fh", "--version", "1", "--library", TEAM])?;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("read-only"), "{}", r.stderr);

    // The lead restores version 1: it is sent at once and reaches the agent.
    let out = lead.ok(&["restore", "fh", "--version", "1", "--library", TEAM])?;
    assert!(out.contains("restored"), "{out}");
    agent.ok(&["sync"])?;
    let shown = agent.json(&["show", "fh", "--library", TEAM])?;
    assert_eq!(shown["parts"][0]["body"], "亲，付款后48小时内发货");
    let versions = agent.json(&["history", "fh", "--library", TEAM])?;
    assert_eq!(versions[0]["version"], 4, "the restore is a new version");

    // No such version: a clear error, nothing changed.
    let r = lead.run(&["restore", "fh", "--version", "9", "--library", TEAM])?;
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("no version 9"), "{}", r.stderr);
    assert_in_sync(&[&lead, &agent])?;
    Ok(())
}

#[test]
fn agents_override_a_team_variable_only_while_the_lead_allows_it() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (server, lead, invite) = team(dir.path(), 1)?;
    let agent = Client::new(dir.path(), "agent-pc");
    agent.join(&server, &invite, "小李")?;
    lead.ok(&[
        "vars",
        "set",
        "发货时间",
        "48小时",
        "--library",
        TEAM,
        "--overridable",
    ])?;
    lead.ok(&[
        "add",
        "--library",
        TEAM,
        "--title",
        "时效",
        "--code",
        "sx",
        "--text",
        "亲，{发货时间}内发货哦",
    ])?;
    lead.ok(&["sync"])?;
    agent.ok(&["sync"])?;
    let fire = |c: &Client| c.ok(&["fire", "sx", "--library", TEAM]);
    assert!(
        fire(&agent)?.contains("48小时"),
        "the team value by default"
    );
    agent.ok(&["vars", "set", "发货时间", "24小时"])?;
    assert!(fire(&agent)?.contains("24小时"), "the agent's own value");
    let vars = agent.json(&["vars", "ls", "--library", TEAM])?;
    assert_eq!(vars[0]["overridable"], true, "{vars:#}");

    // The lead fixes the value: every agent's reply says the team's again.
    lead.ok(&[
        "vars",
        "set",
        "发货时间",
        "72小时",
        "--library",
        TEAM,
        "--fixed",
    ])?;
    lead.ok(&["sync"])?;
    agent.ok(&["sync"])?;
    assert!(fire(&agent)?.contains("72小时"));
    assert_in_sync(&[&lead, &agent])?;
    Ok(())
}

/// The team names and library names of each account in `qreply status --json`.
fn accounts_of(c: &Client) -> Result<Vec<(String, Vec<String>)>> {
    let st = c.status()?;
    let list = match &st {
        Value::Array(a) => a.clone(),
        one => vec![one.clone()],
    };
    Ok(list
        .iter()
        .map(|a| {
            let libs = a["libraries"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|l| l["name"].as_str().map(str::to_string))
                .collect();
            (a["team"].as_str().unwrap_or_default().to_string(), libs)
        })
        .collect())
}

#[test]
fn an_agent_of_two_shops_syncs_both_teams_and_never_mixes_them() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (server_a, lead_a, invite_a) = shop(dir.path(), "店铺A", TEAM, "A店：付款后48小时内发货")?;
    let (server_b, lead_b, invite_b) =
        shop(dir.path(), "店铺B", TEAM, "B店：今天16点前付款当天发货")?;
    let agent = Client::new(dir.path(), "agent-pc");
    agent.ok(&[
        "add",
        "--title",
        "问候",
        "--code",
        "hi",
        "--text",
        "您好，在的",
    ])?;
    agent.join(&server_a, &invite_a, "小李")?;
    // Joining a second server adds a team beside the first; the same server twice is
    // refused.
    agent.join(&server_b, &invite_b, "小李")?;
    let again = agent.run(&["join", &server_b.url, &invite_b])?;
    assert_eq!(again.code, 1, "{again:?}");
    assert!(again.stderr.contains("already joined"), "{}", again.stderr);

    // Each team's library came from its own server; the personal library syncs with
    // the team joined first only.
    let both = accounts_of(&agent)?;
    assert_eq!(both.len(), 2, "{both:?}");
    assert_eq!(both[0].0, "店铺A");
    assert_eq!(both[1].0, "店铺B");
    assert!(both[0].1.contains(&TEAM.to_string()), "{both:?}");
    assert!(both[0].1.iter().any(|l| l == "personal"), "{both:?}");
    assert_eq!(both[1].1, vec![format!("{TEAM} (2)")], "{both:?}");
    let body = |lib: &str| -> Result<String> {
        let s = agent.json(&["show", "fh", "--library", lib])?;
        Ok(s["parts"][0]["body"]
            .as_str()
            .unwrap_or_default()
            .to_string())
    };
    assert!(body(TEAM)?.starts_with("A店"));
    assert!(body(&format!("{TEAM} (2)"))?.starts_with("B店"));
    assert_in_sync(&[&lead_a, &lead_b])?;

    // One watch follows both servers: each lead's edit arrives in its own library.
    let _w = agent.watch()?;
    std::thread::sleep(Duration::from_millis(500));
    let edit = |lead: &Client, text: &str| {
        lead.ok(&["edit", "fh", "--library", TEAM, "--text", text])?;
        lead.ok(&["sync"])
    };
    edit(&lead_a, "A店：付款后24小时内发货")?;
    edit(&lead_b, "B店：全天付款当天发货")?;
    wait_for(
        "both leads' edits to arrive",
        Duration::from_secs(10),
        || {
            let a = body(TEAM).ok()?;
            let b = body(&format!("{TEAM} (2)")).ok()?;
            (a.contains("24小时") && b.contains("全天")).then_some(())
        },
    )?;
    drop(_w);

    // A team command must say which team once there are several.
    let which = agent.run(&["invite", "--pairing"])?;
    assert_eq!(which.code, 1, "{which:?}");
    assert!(
        which.stderr.contains("店铺A") && which.stderr.contains("店铺B"),
        "{}",
        which.stderr
    );
    let nope = agent.run(&["--team", "店铺C", "leave"])?;
    assert_eq!(nope.code, 1, "{nope:?}");
    assert!(nope.stderr.contains("店铺C"), "{}", nope.stderr);
    agent.ok(&["--team", &server_b.url, "invite", "--pairing"])?;

    // Leaving shop B: its library stays here as a local one; shop A goes on syncing
    // and never receives shop B's library, although this editor may publish there.
    agent.ok(&["--team", "店铺B", "leave"])?;
    let left = accounts_of(&agent)?;
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(body(&format!("{TEAM} (2)"))?.contains("全天"));
    agent.ok(&[
        "add",
        "--library",
        TEAM,
        "--title",
        "催付",
        "--code",
        "cf",
        "--text",
        "亲，库存不多了",
    ])?;
    agent.ok(&["sync"])?;
    lead_a.ok(&["sync"])?;
    let libs = lead_a.json(&["library", "ls"])?;
    let names: Vec<&str> = libs
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l["name"].as_str())
        .collect();
    assert!(!names.iter().any(|n| n.contains("(2)")), "{names:?}");
    assert!(lead_a.titles(TEAM)?.contains(&"催付".to_string()));
    assert_in_sync(&[&agent, &lead_a])?;
    Ok(())
}

/// The client chooses a team library's id (its local one) when it publishes it, so two
/// servers can list the same id: here a lead who left shop A sets up shop B on the same
/// computer, and the library kept from A is published to B under its id. An agent of
/// both shops keeps A's library as A's (writable), and is told why B's copy is not
/// synced.
#[test]
fn a_library_id_listed_by_two_teams_servers_stays_with_the_first_team() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (server_a, lead_a, _) = shop(dir.path(), "店铺A", TEAM, "A店：付款后48小时内发货")?;
    let editor_a = lead_a.invite(&["--role", "editor", "--uses", "2"])?;

    // 小王 edits shop A's library, leaves shop A (the library stays here), then sets up
    // shop B's server: the library goes to B with the id it had.
    let dir_b = dir.path().join("店铺B");
    std::fs::create_dir_all(&dir_b)?;
    let wang = Client::new(&dir_b, "wang-pc");
    wang.join(&server_a, &editor_a, "小王")?;
    assert_eq!(wang.titles(TEAM)?, vec!["发货时间".to_string()]);
    wang.ok(&["leave"])?;
    let server_b = Server::start_with(&dir_b, ["--team-name", "店铺B"])?;
    wang.join(
        &server_b,
        &server_b.setup_code.clone().unwrap_or_default(),
        "小王",
    )?;
    let lib_id = |c: &Client, name: &str| -> Result<String> {
        let libs = c.json(&["library", "ls"])?;
        libs.as_array()
            .into_iter()
            .flatten()
            .find(|l| l["name"] == name)
            .and_then(|l| l["id"].as_str().map(str::to_string))
            .ok_or_else(|| anyhow::anyhow!("{}: no library {name} in {libs:#}", c.name))
    };
    let id_a = lib_id(&lead_a, TEAM)?;
    assert_eq!(lib_id(&wang, TEAM)?, id_a, "published to B under A's id");
    let agent_b = wang.invite(&["--role", "agent"])?;

    // An editor of shop A is an agent of shop B.
    let li = Client::new(dir.path(), "li-pc");
    li.join(&server_a, &editor_a, "小李")?;
    let joined_b = li.run(&[
        "join",
        &server_b.url,
        &agent_b,
        "--device",
        "li-pc",
        "--name",
        "小李",
    ])?;
    assert_eq!(joined_b.code, 0, "{joined_b:?}");
    assert!(
        joined_b.stderr.contains("same id") && joined_b.stderr.contains("店铺A"),
        "{}",
        joined_b.stderr
    );

    // Shop A's library is still writable here and still syncs with A.
    li.ok(&[
        "add",
        "--library",
        TEAM,
        "--title",
        "催付",
        "--code",
        "cf",
        "--text",
        "亲，库存不多了",
    ])?;
    let again = li.run(&["sync"])?;
    assert_eq!(again.code, 0, "{again:?}");
    assert!(again.stderr.contains("same id"), "{}", again.stderr);
    lead_a.ok(&["sync"])?;
    assert!(lead_a.titles(TEAM)?.contains(&"催付".to_string()));
    let accounts = accounts_of(&li)?;
    assert_eq!(accounts.len(), 2, "{accounts:?}");
    assert!(accounts[0].1.contains(&TEAM.to_string()), "{accounts:?}");
    assert!(
        !accounts[1].1.iter().any(|l| l.starts_with(TEAM)),
        "{accounts:?}"
    );
    let st = li.status()?;
    let a_lib = st[0]["libraries"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|l| l["name"] == TEAM)
        .cloned()
        .unwrap_or_default();
    assert_eq!(a_lib["writable"], true, "{st:#}");
    assert_in_sync(&[&lead_a])?;
    Ok(())
}

/// What a terminal would receive from a run: no byte that acts on it (ESC, BEL, CR,
/// other C0/C1 controls, bidi overrides), only their visible escapes.
fn assert_harmless(what: &str, r: &Run) -> Result<()> {
    for text in [&r.stdout, &r.stderr] {
        if let Some(c) = text.chars().find(|&c| {
            (c.is_control() && c != '\n' && c != '\t')
                || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        }) {
            bail!("{what}: raw {c:?} printed:\n{text:?}");
        }
    }
    Ok(())
}

#[test]
fn names_and_titles_a_teammate_chose_reach_the_leads_terminal_escaped() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (server, lead, _) = team(dir.path(), 1)?;
    let evil = "evil\x1b[2J\x07";
    let shown = "evil\\x1b[2J\\x07";
    // An editor names their computer and themselves with escape sequences, and adds a
    // reply and a library whose names carry more.
    let invite = lead.invite(&["--role", "editor"])?;
    let mallory = Client::new(dir.path(), "mallory-pc");
    mallory.ok(&[
        "join",
        &server.url,
        &invite,
        "--device",
        evil,
        "--name",
        "坏\u{202E}人\x1b[31m",
    ])?;
    mallory.ok(&[
        "add",
        "--library",
        TEAM,
        "--title",
        "好评返现\x1b]0;pwned\x07",
        "--code",
        "hx",
        "--text",
        "亲\x1b[1A\x1b[2K，五星好评返现5元",
    ])?;
    mallory.ok(&["library", "add", "活动\x1b[2J"])?;
    mallory.ok(&["sync"])?;

    let sync = lead.run(&["sync"])?;
    assert_eq!(sync.code, 0, "{sync:?}");
    let devices = lead.run(&["devices"])?;
    assert_eq!(devices.code, 0, "{devices:?}");
    assert_harmless("qreply devices", &devices)?;
    assert!(devices.stdout.contains(shown), "{}", devices.stdout);
    assert!(devices.stdout.contains("\\u{202e}"), "{}", devices.stdout);
    let ls = lead.run(&["ls", "--library", TEAM])?;
    assert_harmless("qreply ls", &ls)?;
    assert!(
        ls.stdout.contains("好评返现\\x1b]0;pwned\\x07"),
        "{}",
        ls.stdout
    );
    let show = lead.run(&["show", "hx", "--library", TEAM])?;
    assert_harmless("qreply show", &show)?;
    assert!(
        show.stdout.contains("亲\\x1b[1A\\x1b[2K"),
        "{}",
        show.stdout
    );
    let status = lead.run(&["status"])?;
    assert_harmless("qreply status", &status)?;
    assert!(status.stdout.contains("活动\\x1b[2J"), "{}", status.stdout);
    let history = lead.run(&["history", "hx", "--library", TEAM])?;
    assert_harmless("qreply history", &history)?;
    assert!(history.stdout.contains(shown), "{}", history.stdout);
    // Piped, the fired text is the exact reply (for scripts); JSON escapes by itself.
    let fired = lead.run(&["fire", "hx", "--library", TEAM])?;
    assert!(fired.stdout.contains("亲\x1b[1A"), "{fired:?}");
    let json = lead.run(&["devices", "--json"])?;
    assert_harmless("qreply devices --json", &json)?;

    // A computer asking to sign in under such a name: the lead sees who asks, escaped,
    // and must confirm. Without a terminal and without --yes nothing is approved.
    let newcomer = Client::new(dir.path(), "newcomer-pc");
    let asking = newcomer.signin_as(&server, evil, Some("新\x07人"))?;
    let code = asking.code.clone();
    let refused = lead.run(&["approve", &code, "--member", "agent"])?;
    assert_eq!(refused.code, 1, "{refused:?}");
    assert_harmless("qreply approve (no terminal)", &refused)?;
    assert!(refused.stderr.contains(shown), "{}", refused.stderr);
    assert!(refused.stderr.contains("--yes"), "{}", refused.stderr);
    // On a terminal, anything but y leaves it waiting …
    let no = lead.run_on_tty(&["approve", &code, "--member", "agent"], "n\n")?;
    assert_eq!(no.code, 1, "{no:?}");
    assert!(no.stdout.contains("[y/N]"), "{no:?}");
    assert!(no.stdout.contains("not approved"), "{no:?}");
    assert_harmless("qreply approve (answered n)", &no)?;
    // … and y lets it in.
    let yes = lead.run_on_tty(&["approve", &code, "--member", "agent"], "y\n")?;
    assert_eq!(yes.code, 0, "{yes:?}");
    assert!(yes.stdout.contains(shown), "{yes:?}");
    assert!(yes.stdout.contains("approved as a new member"), "{yes:?}");
    asking.finish("the approved sign-in", Duration::from_secs(20))?;
    let devices = lead.run(&["devices"])?;
    assert_harmless("qreply devices", &devices)?;
    assert!(devices.stdout.contains("新\\x07人"), "{}", devices.stdout);
    assert_in_sync(&[&lead, &mallory, &newcomer])?;
    Ok(())
}

/// A PNG file `name` in `dir`, different for each `seed`; returns its path and SHA-256.
fn png_file(dir: &std::path::Path, name: &str, seed: u8) -> Result<(PathBuf, String)> {
    let img = image::RgbImage::from_fn(8 + u32::from(seed), 6, |x, y| {
        image::Rgb([seed, (x * 20) as u8, (y * 30) as u8])
    });
    let path = dir.join(name);
    img.save(&path)?;
    let sha = quickreply_core::blob::sha256_hex(&std::fs::read(&path)?);
    Ok((path, sha))
}

/// The titles `qreply status --json` lists as skipped, over every library.
fn skipped_titles(c: &Client) -> Result<Vec<String>> {
    let st = c.status()?;
    let mut out: Vec<String> = st["libraries"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|l| l["skipped"].as_array().cloned().unwrap_or_default())
        .filter_map(|s| s["title"].as_str().map(str::to_string))
        .collect();
    out.sort();
    Ok(out)
}

#[test]
fn one_bad_image_never_blocks_a_librarys_sync_and_is_named_until_fixed() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (server, lead, invite) = team(dir.path(), 2)?;
    let agent = Client::new(dir.path(), "agent-pc");
    agent.join(&server, &invite, "小李")?;
    agent.ok(&["sync"])?;

    // The lead adds two replies with an image and one without.
    let (size_png, size_sha) = png_file(dir.path(), "尺码表.png", 1)?;
    let (colour_png, colour_sha) = png_file(dir.path(), "色卡.png", 2)?;
    for (title, png) in [("尺码表", &size_png), ("色卡", &colour_png)] {
        let png = png.to_string_lossy();
        lead.ok(&[
            "add",
            "--library",
            TEAM,
            "--title",
            title,
            "--text",
            "亲，请看图",
            "--image",
            &png,
        ])?;
    }
    lead.ok(&[
        "add",
        "--library",
        TEAM,
        "--title",
        "好评返现",
        "--text",
        "亲，好评返现5元",
    ])?;
    lead.ok(&["sync"])?;

    // A hostile teammate cannot upload a blob that is no image any more (refused with a
    // message naming the problem) ...
    let garbage = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>";
    let garbage_sha = quickreply_core::blob::sha256_hex(garbage);
    let refused = ureq::put(&format!("{}/v1/blobs/{garbage_sha}", server.url))
        .header("Authorization", &format!("Bearer {}", lead.token()?))
        .config()
        .http_status_as_error(false)
        .build()
        .send(&garbage[..])?;
    assert_eq!(refused.status().as_u16(), 415);
    let body: Value = refused.into_body().read_json()?;
    assert_eq!(body["code"], "bad_image");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("not an image")),
        "{body}"
    );

    // ... but a server can still hold bad images: one stored before the check (here:
    // its file overwritten with something that is no image) and one whose file is gone
    // (a restore without the blobs directory).
    let blobs = server.data.join("blobs");
    std::fs::write(blobs.join(&size_sha), garbage)?;
    std::fs::remove_file(blobs.join(&colour_sha))?;

    // The agent's pull takes everything else, says what it skipped, and status names it.
    let r = agent.run(&["sync"])?;
    assert_eq!(r.code, 0, "a bad item does not fail the sync: {r:?}");
    assert!(
        r.stderr.contains("skipped \"尺码表\"") && r.stderr.contains("skipped \"色卡\""),
        "{}",
        r.stderr
    );
    let mut titles = agent.titles(TEAM)?;
    titles.sort();
    assert_eq!(titles, vec!["催好评", "发货时间", "好评返现", "退货地址"]);
    assert_eq!(skipped_titles(&agent)?, vec!["尺码表", "色卡"]);
    let st = agent.run(&["status"])?;
    assert_eq!(st.code, 2, "status fails while anything is skipped: {st:?}");
    assert!(
        st.stdout.contains("2 items could not be taken")
            && st.stdout.contains("\"色卡\": its image")
            && st.stdout.contains("missing on the server")
            && st.stdout.contains("\"尺码表\": its image")
            && st.stdout.contains("unusable"),
        "{}",
        st.stdout
    );

    // A new computer joining gets every good reply too.
    let newcomer = Client::new(dir.path(), "new-pc");
    newcomer.join(&server, &invite, "小张")?;
    let r = newcomer.run(&["sync"])?;
    assert_eq!(r.code, 0, "{r:?}");
    let mut titles = newcomer.titles(TEAM)?;
    titles.sort();
    assert_eq!(titles, vec!["催好评", "发货时间", "好评返现", "退货地址"]);
    assert_eq!(skipped_titles(&newcomer)?, vec!["尺码表", "色卡"]);

    // The lead's board lists what each computer skipped.
    let devices = server.get("/v1/devices", &lead.token()?)?;
    let agent_pc = devices
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["name"] == "agent-pc")
        .ok_or_else(|| anyhow::anyhow!("agent-pc not listed: {devices:#}"))?;
    let mut reported: Vec<&str> = agent_pc["cursors"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["skipped"].as_array().into_iter().flatten())
        .filter_map(|s| s["title"].as_str())
        .collect();
    reported.sort();
    assert_eq!(reported, vec!["尺码表", "色卡"], "{agent_pc:#}");

    // The missing image turns up again: the next sync takes its reply.
    std::fs::copy(&colour_png, blobs.join(&colour_sha))?;
    agent.ok(&["sync"])?;
    assert!(agent.titles(TEAM)?.contains(&"色卡".to_string()));
    assert_eq!(skipped_titles(&agent)?, vec!["尺码表"]);

    // The lead fixes the other reply with a good image: taken everywhere, nothing skipped.
    let (fixed_png, _) = png_file(dir.path(), "尺码表2.png", 3)?;
    let fixed_png = fixed_png.to_string_lossy();
    lead.ok(&[
        "edit",
        "尺码表",
        "--library",
        TEAM,
        "--text",
        "亲，请看新图",
        "--image",
        &fixed_png,
    ])?;
    lead.ok(&["sync"])?;
    for c in [&agent, &newcomer] {
        c.ok(&["sync"])?;
        let mut titles = c.titles(TEAM)?;
        titles.sort();
        assert_eq!(
            titles,
            vec![
                "催好评",
                "发货时间",
                "好评返现",
                "尺码表",
                "色卡",
                "退货地址"
            ]
        );
        assert_eq!(skipped_titles(c)?, Vec::<String>::new(), "{}", c.name);
    }
    let devices = server.get("/v1/devices", &lead.token()?)?;
    assert!(
        devices
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|d| d["cursors"].as_array().into_iter().flatten())
            .all(|c| c.get("skipped").is_none()),
        "the board's skipped lists are empty again: {devices:#}"
    );
    assert_in_sync(&[&lead, &agent, &newcomer])?;
    Ok(())
}

//! What a server refuses is refused here first, and never forgotten: names are checked
//! by one validator on both sides, a teammate's item that points at a folder the server
//! never took lands in the library root instead of breaking everyone's pull, and a
//! change the server still refuses stays visible (`qreply status` exits 2, `qreply
//! refused` lists it) until it is fixed, retried or discarded. Real `qreply` and
//! `quickreply-server` processes on loopback.

#![allow(clippy::expect_used, clippy::panic)]

use anyhow::{Result, anyhow, bail};
use quickreply_e2e::sync::{Client, Server, lead_with_team};
use serde_json::{Value, json};

const TEAM: &str = "售后话术";

/// A library's line of `qreply status --json`.
fn library_status(st: &Value, name: &str) -> Value {
    st["libraries"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|l| l["name"] == name)
        .cloned()
        .unwrap_or_default()
}

fn library_remote(c: &Client, name: &str) -> Result<String> {
    let st = c.status()?;
    st["libraries"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|l| l["name"] == name)
        .and_then(|l| l["remote"].as_str().map(str::to_string))
        .ok_or_else(|| anyhow!("{}: no library {name} in {st:#}", c.name))
}

fn in_sync(c: &Client) -> Result<()> {
    let r = c.run(&["status", "--json"])?;
    let st: Value = serde_json::from_str(&r.stdout)?;
    if r.code != 0 || st["in_sync"] != Value::Bool(true) {
        bail!(
            "{} is not in sync (exit {}): {st:#}{}",
            c.name,
            r.code,
            r.stderr
        );
    }
    Ok(())
}

/// The reply's folder path, as `qreply show --json` gives it.
fn folder_of(c: &Client, title: &str) -> Result<Value> {
    Ok(c.json(&["show", title, "--library", TEAM])?["folder"].clone())
}

#[test]
fn a_name_over_the_limit_is_refused_here_and_a_reply_in_a_missing_folder_lands_in_the_root()
-> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Server::start(dir.path())?;
    let lead = lead_with_team(
        dir.path(),
        &server,
        TEAM,
        &[
            ("售后", "退货地址", "thdz", "亲，退货请寄到售后部哦"),
            ("", "发货时间", "fh", "亲，付款后48小时内发货"),
        ],
    )?;
    let invite = lead.invite(&["--role", "agent", "--uses", "3"])?;
    let agent = Client::new(dir.path(), "agent-pc");
    agent.join(&server, &invite, "小李")?;

    // 201 characters: refused by the CLI before anything is saved or queued, with the
    // same limit and words as the server.
    let long = "长".repeat(201);
    let r = lead.run(&[
        "add",
        "--library",
        TEAM,
        "--folder",
        &long,
        "--title",
        "尺码",
        "--text",
        "亲，看尺码表",
    ])?;
    assert_ne!(r.code, 0, "{r:?}");
    assert!(
        r.stderr
            .contains("at most 200 characters, this one has 201"),
        "{}",
        r.stderr
    );
    let r = lead.run(&["add", "--library", TEAM, "--title", &long, "--text", "亲"])?;
    assert_ne!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("title is at most 200"), "{}", r.stderr);
    assert_eq!(lead.titles(TEAM)?.len(), 2, "nothing was added");
    let st = lead.status()?;
    assert_eq!(library_status(&st, TEAM)["pending"], json!(0), "{st:#}");
    // Exactly 200 is fine on both sides.
    let ok = "夹".repeat(200);
    lead.ok(&[
        "add",
        "--library",
        TEAM,
        "--folder",
        &ok,
        "--title",
        "尺码",
        "--text",
        "亲，看尺码表",
    ])?;
    lead.ok(&["sync"])?;

    // An older or hostile client put a reply whose folder the server never took (the
    // server refused the folder, accepted the reply): written straight to the API.
    let remote = library_remote(&lead, TEAM)?;
    let id = uuid::Uuid::now_v7();
    let body = json!({
        "op": "hostile-1",
        "kind": "snippet",
        "doc": {
            "id": id, "folder_id": uuid::Uuid::now_v7(), "title": "孤儿话术",
            "parts": [{"type": "text", "body": "亲，这条话术的文件夹不在服务器上"}],
        },
    });
    let resp = ureq::put(&format!("{}/v1/libraries/{remote}/items/{id}", server.url))
        .header("Authorization", &format!("Bearer {}", lead.token()?))
        .header("If-Match", "\"0\"")
        .config()
        .http_status_as_error(false)
        .build()
        .send_json(&body)?;
    let status = resp.status();
    let text = resp.into_body().read_to_string()?;
    assert!(status.is_success(), "{status}: {text}");

    // The agent (read-only) pulls it: in the root, no "read-only library" failure.
    let out = agent.ok(&["sync"])?;
    assert!(out.contains("received"), "{out}");
    assert_eq!(folder_of(&agent, "孤儿话术")?, json!(""));
    assert_eq!(agent.titles(TEAM)?.len(), 4);
    in_sync(&agent)?;

    // A new computer joins and gets every reply.
    let newcomer = Client::new(dir.path(), "new-pc");
    newcomer.join(&server, &invite, "小张")?;
    assert_eq!(newcomer.titles(TEAM)?.len(), 4);
    assert_eq!(folder_of(&newcomer, "孤儿话术")?, json!(""));
    in_sync(&newcomer)?;

    // The lead's computer may write: it mends the server's copy (the reply moves to
    // the root there too), and everyone agrees again.
    let out = lead.ok(&["sync"])?;
    assert!(
        out.contains("sent 1"),
        "the lead mends the server's copy: {out}"
    );
    assert_eq!(folder_of(&lead, "孤儿话术")?, json!(""));
    in_sync(&lead)?;
    agent.ok(&["sync"])?;
    in_sync(&agent)?;
    Ok(())
}

#[test]
fn a_change_the_server_refuses_stays_visible_until_it_is_fixed_or_discarded() -> Result<()> {
    let dir = tempfile::tempdir()?;
    // A server that takes at most 4 KB per write (far below the built-in limit, so the
    // client's own check lets the change through and the server is the one to refuse).
    let server = Server::start_with(dir.path(), ["--max-body", "4096"])?;
    let lead = lead_with_team(
        dir.path(),
        &server,
        TEAM,
        &[("", "发货时间", "fh", "亲，付款后48小时内发货")],
    )?;
    let long_text = "亲，".repeat(1500);

    // A new reply too large for this server.
    lead.ok(&[
        "add",
        "--library",
        TEAM,
        "--title",
        "长说明",
        "--text",
        &long_text,
    ])?;
    let r = lead.run(&["sync"])?;
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("长说明"), "{}", r.stderr);
    for round in 0..2 {
        // Still there after another sync: refused, kept, not forgotten.
        let r = lead.run(&["status", "--json"])?;
        assert_eq!(r.code, 2, "round {round}: {r:?}");
        let st: Value = serde_json::from_str(&r.stdout)?;
        assert_eq!(st["in_sync"], json!(false), "{st:#}");
        assert_eq!(library_status(&st, TEAM)["refused"], json!(1), "{st:#}");
        assert_eq!(library_status(&st, TEAM)["pending"], json!(0), "{st:#}");
        assert_eq!(st["refused"][0]["title"], json!("长说明"), "{st:#}");
        let reason = st["refused"][0]["reason"].as_str().unwrap_or_default();
        assert!(reason.contains("refused by the server"), "{reason}");
        let r = lead.run(&["refused"])?;
        assert_eq!(r.code, 2, "{r:?}");
        assert!(r.stderr.contains("长说明"), "{}", r.stderr);
        let out = lead.ok(&["sync"])?;
        assert!(out.contains("sent 0"), "not sent again unchanged: {out}");
    }

    // Fixed by editing: sent again at once, taken, and the refusal is gone.
    lead.ok(&[
        "edit",
        "长说明",
        "--library",
        TEAM,
        "--text",
        "亲，详见商品页",
    ])?;
    let out = lead.ok(&["sync"])?;
    assert!(out.contains("sent 1"), "{out}");
    in_sync(&lead)?;
    let r = lead.run(&["refused", "--json"])?;
    assert_eq!((r.code, r.stdout.trim()), (0, "[]"), "{r:?}");

    // An edit of a reply the server has, refused, then discarded: back to the
    // server's version.
    lead.ok(&["edit", "fh", "--library", TEAM, "--text", &long_text])?;
    lead.ok(&["sync"])?;
    assert_eq!(lead.run(&["status"])?.code, 2);
    // A new reply, refused, then discarded: it goes (the server never had it).
    lead.ok(&[
        "add",
        "--library",
        TEAM,
        "--title",
        "另一条长说明",
        "--text",
        &long_text,
    ])?;
    lead.ok(&["sync"])?;
    let list: Value = serde_json::from_str(&lead.run(&["refused", "--json"])?.stdout)?;
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list:#}");
    let r = lead.run(&["refused", "discard", "没有这条"])?;
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("no refused change") && !r.stderr.contains("unexpected answer"),
        "{}",
        r.stderr
    );
    lead.ok(&["refused", "discard", "发货时间"])?;
    let fh = lead.json(&["show", "fh", "--library", TEAM])?;
    assert_eq!(fh["parts"][0]["body"], json!("亲，付款后48小时内发货"));
    lead.ok(&["refused", "discard", "--all"])?;
    assert!(!lead.titles(TEAM)?.contains(&"另一条长说明".to_string()));
    in_sync(&lead)?;

    // Retry: refused, then sent again on request (still refused by this server: kept).
    lead.ok(&["edit", "fh", "--library", TEAM, "--text", &long_text])?;
    lead.ok(&["sync"])?;
    let out = lead.ok(&["refused", "retry", "发货时间"])?;
    assert!(out.contains("1 change(s) will be sent again"), "{out}");
    let r = lead.run(&["sync"])?;
    assert!(r.stdout.contains("sent 0"), "{r:?}");
    assert!(r.stderr.contains("发货时间"), "refused again: {}", r.stderr);
    assert_eq!(lead.run(&["status"])?.code, 2);
    Ok(())
}

/// A noisy PNG (hard to compress) of `w`×`h` pixels in `dir`; returns its path and SHA-256.
fn noisy_png(dir: &std::path::Path, name: &str, w: u32, h: u32) -> Result<(String, String)> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let v = x
            .wrapping_mul(2_654_435_761)
            .wrapping_add(y.wrapping_mul(40_503));
        image::Rgb([(v >> 3) as u8, (v >> 11) as u8, (v >> 19) as u8])
    });
    let path = dir.join(name);
    img.save(&path)?;
    let sha = quickreply_core::blob::sha256_hex(&std::fs::read(&path)?);
    Ok((path.to_string_lossy().into_owned(), sha))
}

#[test]
fn a_reply_whose_image_is_refused_or_lost_here_is_kept_and_shown_and_never_stops_the_rest()
-> Result<()> {
    let dir = tempfile::tempdir()?;
    // A server that takes images up to 4 KB only.
    let server = Server::start_with(dir.path(), ["--max-image", "4096"])?;
    let lead = lead_with_team(
        dir.path(),
        &server,
        TEAM,
        &[("", "发货时间", "fh", "亲，付款后48小时内发货")],
    )?;
    // Too large for this server: refused there, with the reply that shows it.
    let (big, _) = noisy_png(dir.path(), "尺码表.png", 96, 96)?;
    lead.ok(&[
        "add",
        "--library",
        TEAM,
        "--title",
        "尺码表",
        "--image",
        &big,
    ])?;
    // Its picture lost from this computer's data folder before it was ever sent.
    let (small, sha) = noisy_png(dir.path(), "色卡.png", 8, 8)?;
    lead.ok(&[
        "add",
        "--library",
        TEAM,
        "--title",
        "色卡",
        "--image",
        &small,
    ])?;
    std::fs::remove_file(lead.data.join("blobs").join(&sha[..2]).join(&sha))?;
    // And an ordinary reply in the same round.
    lead.ok(&[
        "add",
        "--library",
        TEAM,
        "--title",
        "催付",
        "--text",
        "亲，库存不多了哦",
    ])?;

    let r = lead.run(&["sync"])?;
    assert_eq!(r.code, 0, "the round goes on: {r:?}");
    assert!(r.stdout.contains("sent 1"), "{r:?}");
    assert!(
        r.stderr.contains("尺码表") && r.stderr.contains("色卡"),
        "{}",
        r.stderr
    );
    let r = lead.run(&["status", "--json"])?;
    assert_eq!(r.code, 2, "{r:?}");
    let st: Value = serde_json::from_str(&r.stdout)?;
    let reasons: Vec<(String, String)> = st["refused"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|x| {
            (
                x["title"].as_str().unwrap_or_default().to_string(),
                x["reason"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(reasons.len(), 2, "{st:#}");
    assert!(
        reasons
            .iter()
            .any(|(t, r)| t == "尺码表" && r.contains("refused by the server")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|(t, r)| t == "色卡" && r.contains("cannot be read on this computer")),
        "{reasons:?}"
    );
    // The ordinary reply reached the team.
    let invite = lead.invite(&["--role", "agent"])?;
    let agent = Client::new(dir.path(), "agent-pc");
    agent.join(&server, &invite, "小李")?;
    let mut titles = agent.titles(TEAM)?;
    titles.sort();
    assert_eq!(titles, vec!["催付".to_string(), "发货时间".to_string()]);

    // Both given up: the replies the server never took go, and all agree.
    lead.ok(&["refused", "discard", "--all"])?;
    let mut titles = lead.titles(TEAM)?;
    titles.sort();
    assert_eq!(titles, vec!["催付".to_string(), "发货时间".to_string()]);
    in_sync(&lead)?;
    Ok(())
}

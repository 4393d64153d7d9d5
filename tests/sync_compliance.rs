//! The lead's compliance list travels like a team variable, and the server holds the team
//! to it: the lead blocks a rule with `qreply compliance`, a teammate's `qreply` sees the
//! same list after a sync (`compliance show`, `lint`), and a reply with a blocked word is
//! refused by the server (kept as refused, with the word and the rule) until it is fixed.
//! Real `qreply` and `quickreply-server` processes on loopback.

#![allow(clippy::expect_used, clippy::panic)]

use anyhow::Result;
use quickreply_e2e::sync::{Client, Server, lead_with_team};
use serde_json::{Value, json};

const TEAM: &str = "售后话术";

#[test]
fn a_rule_the_lead_blocks_is_synced_and_enforced_by_the_server() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Server::start(dir.path())?;
    let lead = lead_with_team(
        dir.path(),
        &server,
        TEAM,
        &[("", "发货时间", "fh", "亲，付款后48小时内发货")],
    )?;
    lead.ok(&["compliance", "--library", TEAM, "block", "offsite-contact"])?;
    lead.ok(&["compliance", "--library", TEAM, "add", "秒杀价"])?;
    lead.ok(&["sync"])?;

    let invite = lead.invite(&["--role", "editor", "--uses", "1"])?;
    let editor = Client::new(dir.path(), "editor-pc");
    editor.join(&server, &invite, "小李")?;
    editor.ok(&["sync"])?;
    // The teammate has the lead's list.
    let shown = editor.ok(&["compliance", "--library", TEAM, "show"])?;
    assert!(
        shown.contains("offsite-contact\toff-platform contact\tblock"),
        "{shown}"
    );
    assert!(
        shown.contains("team\tthe team's words\twarn\t秒杀价"),
        "{shown}"
    );

    // A reply with 微信: lint says the team blocks it, and the server refuses it.
    editor.ok(&[
        "add",
        "--library",
        TEAM,
        "--title",
        "加微信",
        "--text",
        "亲，加我微信，秒杀价给您留着",
    ])?;
    let r = editor.run(&["lint", "--library", TEAM])?;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout.contains("\"微信\": off-platform contact")
            && r.stdout.contains("; the team blocks it"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("\"秒杀价\": the team's word list"),
        "{}",
        r.stdout
    );
    let r = editor.run(&["sync"])?;
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("加微信"), "{}", r.stderr);
    let st: Value = serde_json::from_str(&editor.run(&["status", "--json"])?.stdout)?;
    assert_eq!(st["in_sync"], json!(false), "{st:#}");
    assert_eq!(st["refused"][0]["title"], json!("加微信"), "{st:#}");
    let reason = st["refused"][0]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("“加我” in “加微信”: off-platform contact")
            && reason.contains("the team blocks rule offsite-contact"),
        "{reason}"
    );
    lead.ok(&["sync"])?;
    assert!(
        !lead.titles(TEAM)?.contains(&"加微信".to_string()),
        "the lead never gets it"
    );

    // Fixed: taken at once.
    editor.ok(&[
        "edit",
        "加微信",
        "--library",
        TEAM,
        "--text",
        "亲，有问题随时在这里找我～",
    ])?;
    let out = editor.ok(&["sync"])?;
    assert!(out.contains("sent 1"), "{out}");
    let r = editor.run(&["refused", "--json"])?;
    assert_eq!((r.code, r.stdout.trim()), (0, "[]"), "{r:?}");
    lead.ok(&["sync"])?;
    assert!(lead.titles(TEAM)?.contains(&"加微信".to_string()));
    Ok(())
}

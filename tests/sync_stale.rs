//! `qreply stale` against the real server: a lead lists the team library's replies no one
//! fired in 60 days and moves them into 归档 with `--archive`; an agent's computer gets
//! the move at its next sync, and may not ask.

use std::time::Duration;

use anyhow::{Result, bail};
use quickreply_e2e::sync::{Client, Server, lead_with_team};
use serde_json::Value;

const TEAM: &str = "团队话术";

/// Makes every reply look written `days` days ago (the server dates a reply by its
/// oldest kept version, with its own clock, which the real binary cannot be told to move).
fn backdate_replies(server: &Server, days: i64) -> Result<()> {
    let db = rusqlite::Connection::open(server.data.join("server.db"))?;
    db.busy_timeout(Duration::from_secs(10))?;
    let ms = days * 86_400_000;
    db.execute("UPDATE item_history SET updated_at = updated_at - ?1", [ms])?;
    db.execute("UPDATE items SET updated_at = updated_at - ?1", [ms])?;
    Ok(())
}

fn titles(v: &Value, field: &str) -> Vec<String> {
    let mut out: Vec<String> = v[field]
        .as_array()
        .or(v.as_array())
        .into_iter()
        .flatten()
        .filter_map(|r| r["title"].as_str().map(str::to_string))
        .collect();
    out.sort();
    out
}

#[test]
#[ignore = "runs the real server and qreply binaries: leg 5 of cargo xtask test"]
fn a_lead_archives_replies_no_one_fired_with_qreply_stale() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Server::start(dir.path())?;
    let lead = lead_with_team(
        dir.path(),
        &server,
        TEAM,
        &[
            ("售后", "退货地址", "thdz", "亲，退货请寄到售后部"),
            ("物流", "发货时间", "fh", "亲，付款后48小时内发货"),
            ("售后", "催好评", "hp", "亲，满意的话给个五星好评吧"),
        ],
    )?;
    let invite = lead.invite(&["--role", "agent"])?;
    let agent = Client::new(dir.path(), "agent-pc");
    agent.join(&server, &invite, "小李")?;
    agent.ok(&["sync"])?;
    backdate_replies(&server, 100)?;
    let out = agent
        .command(&["fire", "fh", "--library", TEAM])?
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()?;
    if !out.status.success() {
        bail!("qreply fire fh: {}", String::from_utf8_lossy(&out.stderr));
    }
    agent.ok(&["sync"])?;

    // The lead lists them: never fired, with their folder.
    let listed = lead.json(&["stale", "--library", TEAM, "--days", "60"])?;
    assert_eq!(
        titles(&listed, "replies"),
        ["催好评", "退货地址"],
        "{listed:#}"
    );
    assert_eq!(listed["total"], 2);
    assert!(listed["replies"][0]["folder"] == "售后", "{listed:#}");
    let text = lead.ok(&["stale", "--library", TEAM, "--days", "60"])?;
    assert!(
        (text.contains("从未") || text.contains("never")) && text.contains("--archive"),
        "{text}"
    );

    // An agent may not ask: a clear refusal, nothing moved.
    let refused = agent.run(&["stale", "--library", TEAM])?;
    assert_ne!(refused.code, 0);
    assert!(refused.stderr.contains("403"), "{refused:?}");

    // --archive moves both into 归档, created now.
    let moved = lead.ok(&["stale", "--library", TEAM, "--days", "60", "--archive"])?;
    assert!(
        moved.contains("已把 2 条话术移到「归档」")
            || moved.contains("moved 2 replies into the 归档 folder"),
        "{moved}"
    );
    assert_eq!(
        titles(
            &lead.json(&["stale", "--library", TEAM, "--days", "60"])?,
            "replies"
        )
        .len(),
        0
    );
    // Every computer gets the move with an ordinary sync.
    for c in [&agent, &lead] {
        c.ok(&["sync"])?;
        let archived = c.json(&["ls", "--library", TEAM, "--folder", "归档"])?;
        assert_eq!(
            titles(&archived, ""),
            ["催好评", "退货地址"],
            "{archived:#}"
        );
    }
    Ok(())
}

//! Agents' suggestions across real processes: an agent's `qreply` suggests a change and a
//! new reply while the server is down (kept on the agent's computer), sends them when it
//! is back; another agent sees neither; the lead's `qreply suggestions` shows both with
//! the current and the proposed text, accepts the change and declines the new reply with
//! a comment; the agent's library then has the new text, its list the outcomes, and the
//! reply's history credits the agent. Real `qreply` and `quickreply-server` on loopback.

#![allow(clippy::expect_used, clippy::panic)]

use anyhow::{Context, Result};
use quickreply_e2e::sync::{Client, Server, lead_with_team};
use serde_json::Value;

const TEAM: &str = "售后话术";

/// `qreply suggestions --json`, as (title, state) pairs.
fn states(c: &Client) -> Result<Vec<(String, String)>> {
    let v = c.json(&["suggestions"])?;
    Ok(v.as_array()
        .context("a list")?
        .iter()
        .map(|s| {
            (
                s["doc"]["title"].as_str().unwrap_or_default().to_string(),
                s["state"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect())
}

fn find<'a>(list: &'a Value, title: &str) -> Result<&'a Value> {
    list.as_array()
        .context("a list")?
        .iter()
        .find(|s| s["doc"]["title"] == title)
        .with_context(|| format!("no suggestion “{title}” in {list}"))
}

/// The short id a list shows: the last 8 hex digits.
fn short(s: &Value) -> Result<String> {
    let id = s["id"].as_str().context("an id")?.replace('-', "");
    Ok(id[id.len() - 8..].to_string())
}

#[test]
fn an_offline_suggestion_is_sent_later_and_the_leads_decision_reaches_the_agent() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut server = Server::start(dir.path())?;
    let lead = lead_with_team(
        dir.path(),
        &server,
        TEAM,
        &[("", "发货时间", "fh", "亲，付款后48小时内发货")],
    )?;
    let agent = Client::new(dir.path(), "agent-pc");
    agent.join(
        &server,
        &lead.invite(&["--role", "agent", "--uses", "2"])?,
        "小王",
    )?;
    agent.ok(&["sync"])?;

    // Offline: the server is down; both suggestions are kept on the agent's computer.
    server.kill9();
    let out = agent.ok(&[
        "suggest",
        "fh",
        "--library",
        TEAM,
        "--body",
        "亲，付款后24小时内发货哦",
        "--note",
        "仓库提速了",
    ])?;
    assert!(out.contains("sent with the next sync"), "{out}");
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
    let queued = states(&agent)?;
    assert_eq!(queued.len(), 2, "{queued:?}");
    assert!(queued.iter().all(|(_, s)| s == "queued"), "{queued:?}");
    // The agent's copy of the reply is untouched.
    let shown = agent.json(&["show", "fh", "--library", TEAM])?;
    assert!(shown.to_string().contains("48小时"), "{shown}");

    // Back online: the next sync sends them.
    server.restart()?;
    agent.ok(&["sync"])?;
    let sent = states(&agent)?;
    assert!(sent.iter().all(|(_, s)| s == "pending"), "{sent:?}");

    // Another agent sees none of them.
    let other = Client::new(dir.path(), "agent2-pc");
    other.join(
        &server,
        &lead.invite(&["--role", "agent", "--uses", "1"])?,
        "小张",
    )?;
    assert!(states(&other)?.is_empty());

    // The lead's inbox: both, with the current and the proposed text.
    let inbox = lead.ok(&["suggestions"])?;
    assert!(inbox.contains("pending"), "{inbox}");
    assert!(
        inbox.contains("now:      亲，付款后48小时内发货"),
        "{inbox}"
    );
    assert!(
        inbox.contains("proposed: 亲，付款后24小时内发货哦"),
        "{inbox}"
    );
    assert!(inbox.contains("note: 仓库提速了"), "{inbox}");
    assert!(inbox.contains("小王 · agent-pc"), "{inbox}");
    let list = lead.json(&["suggestions"])?;
    let change = find(&list, "发货时间")?;
    let new_one = find(&list, "周末发货吗")?;
    let out = lead.ok(&[
        "suggestions",
        "accept",
        &short(change)?,
        "--comment",
        "好的",
    ])?;
    assert!(out.contains("accepted 小王's suggestion"), "{out}");
    lead.ok(&[
        "suggestions",
        "decline",
        &short(new_one)?,
        "--comment",
        "周末不发货，别这么说",
    ])?;
    // An agent cannot decide.
    let r = other.run(&["suggestions", "decline", &short(new_one)?, "--comment", "x"])?;
    assert_ne!(r.code, 0, "{r:?}");

    // The agent's library has the accepted text, the list the outcomes.
    agent.ok(&["sync"])?;
    let shown = agent.json(&["show", "fh", "--library", TEAM])?;
    assert!(shown.to_string().contains("24小时内发货哦"), "{shown}");
    let mine = agent.json(&["suggestions"])?;
    assert_eq!(find(&mine, "发货时间")?["state"], "accepted");
    let declined = find(&mine, "周末发货吗")?;
    assert_eq!(declined["state"], "declined");
    assert_eq!(declined["server"]["comment"], "周末不发货，别这么说");
    let text = agent.ok(&["suggestions"])?;
    assert!(
        text.contains("lead's comment: 周末不发货，别这么说（王主管）"),
        "{text}"
    );
    // The outcome is there offline too.
    server.kill9();
    let offline = states(&agent)?;
    assert!(
        offline.contains(&("周末发货吗".to_string(), "declined".to_string())),
        "{offline:?}"
    );
    server.restart()?;
    // History: written by the lead, credited to the agent.
    let history = lead.ok(&["history", "fh", "--library", TEAM])?;
    assert!(history.contains("suggested by 小王"), "{history}");
    Ok(())
}

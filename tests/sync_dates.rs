//! Campaign dates travel with the team's replies: the lead dates a reply and a folder
//! with `qreply dates`, an agent's `qreply` gets them at the next sync and hides the
//! out-of-date replies from `search` (and refuses to fire them); when the lead clears a
//! date, the agent's next sync shows the reply again. Real `qreply` and
//! `quickreply-server` processes on loopback; dates relative to today (Beijing time).

#![allow(clippy::expect_used, clippy::panic)]

use anyhow::Result;
use quickreply_core::proto::schedule::{TEAM_OFFSET_MINUTES, format_instant, now_ms};
use quickreply_e2e::sync::{Client, Server, lead_with_team};

const TEAM: &str = "大促话术";
const DAY: i64 = 86_400_000;

/// A Beijing-time date `days` from today, as typed.
fn day(days: i64) -> String {
    format_instant(now_ms() + days * DAY, TEAM_OFFSET_MINUTES)[..10].to_string()
}

fn titles(c: &Client, query: &str) -> Result<Vec<String>> {
    Ok(c.ok(&["search", query, "--library", TEAM])?
        .lines()
        .filter_map(|l| l.split('\t').next())
        .map(str::to_string)
        .collect())
}

#[test]
fn a_leads_dates_reach_the_agent_and_hide_the_reply_there() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Server::start(dir.path())?;
    let lead = lead_with_team(
        dir.path(),
        &server,
        TEAM,
        &[
            (
                "双11",
                "预售定金说明",
                "ysdj",
                "亲，预售定金已开，付定金立减",
            ),
            (
                "双11",
                "尾款时间说明",
                "wksj",
                "亲，尾款时间在活动页可以看到",
            ),
            ("", "发货时间说明", "fhsj", "亲，付款后48小时内发货"),
        ],
    )?;
    let invite = lead.invite(&["--role", "agent"])?;
    let agent = Client::new(dir.path(), "agent-pc");
    agent.join(&server, &invite, "小李")?;
    agent.ok(&["sync"])?;
    assert_eq!(titles(&agent, "说明")?.len(), 3);

    // The presale ended yesterday; the 双11 folder starts in three days.
    lead.ok(&[
        "dates",
        "set",
        "ysdj",
        "--library",
        TEAM,
        "--until",
        &day(-1),
    ])?;
    lead.ok(&[
        "dates",
        "set",
        "双11",
        "--folder",
        "--library",
        TEAM,
        "--from",
        &day(3),
    ])?;
    lead.ok(&["sync"])?;
    agent.ok(&["sync"])?;
    assert_eq!(titles(&agent, "说明")?, vec!["发货时间说明"]);
    let fire = agent.run(&["fire", "wksj", "--library", TEAM])?;
    assert_eq!(fire.code, 1, "{fire:?}");
    assert!(
        fire.stderr.contains("not active yet") && fire.stderr.contains(&day(3)),
        "{}",
        fire.stderr
    );
    let listed = agent.json(&["dates", "ls", "--library", TEAM])?;
    let status = |title: &str| {
        listed
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["title"] == title)
            .map(|r| r["status"].as_str().unwrap_or_default().to_string())
    };
    // Both: the presale's own end passed, and its folder has not started yet.
    assert_eq!(status("预售定金说明").as_deref(), Some("expired"));
    assert_eq!(status("尾款时间说明").as_deref(), Some("upcoming"));
    assert_eq!(status("发货时间说明"), None);

    // The lead opens the folder now: the folder's reply comes back at the agent's.
    lead.ok(&[
        "dates",
        "set",
        "双11",
        "--folder",
        "--library",
        TEAM,
        "--from",
        "",
    ])?;
    lead.ok(&["sync"])?;
    agent.ok(&["sync"])?;
    let mut shown = titles(&agent, "说明")?;
    shown.sort();
    assert_eq!(shown, vec!["发货时间说明", "尾款时间说明"]);
    Ok(())
}

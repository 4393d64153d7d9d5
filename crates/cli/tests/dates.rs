//! Campaign dates (生效 / 失效) through the real `qreply`: set on a reply and a folder,
//! hidden from `search` (cached and not), refused by `fire`, flagged by `lint`, listed by
//! `dates ls`. Dates are relative to today, in Beijing time.

mod common;

use common::Qr;
use quickreply_proto::schedule::{TEAM_OFFSET_MINUTES, format_instant, now_ms};

const DAY: i64 = 86_400_000;

/// A Beijing-time date `days` from today, as typed (`2026-11-11`).
fn day(days: i64) -> String {
    format_instant(now_ms() + days * DAY, TEAM_OFFSET_MINUTES)[..10].to_string()
}

fn add(q: &Qr, title: &str, code: &str, folder: &str) {
    q.ok([
        "add",
        "--title",
        title,
        "--code",
        code,
        "--folder",
        folder,
        "--text",
        &format!("{title}：亲，活动说明在这里"),
    ]);
}

#[test]
fn dated_replies_are_hidden_refused_flagged_and_listed() {
    let q = Qr::new();
    add(&q, "双11预售说明", "ys", "活动");
    add(&q, "春节发货通知", "cj", "节日");
    add(&q, "年货节活动说明", "nh", "节日");
    add(&q, "活动常规说明", "cg", "");
    for cache in ["1", "0"] {
        let titles = Qr::titles(&q.run_env(["search", "说明"], cache));
        assert_eq!(titles.len(), 4, "{titles:?}");
    }

    // Expired yesterday (the last day shown was yesterday).
    let out = q.ok(["dates", "set", "ys", "--until", &day(-1)]);
    assert!(out.contains("expired"), "{out}");
    // A folder not started yet: both replies inside are hidden.
    q.ok(["dates", "set", "节日", "--folder", "--from", &day(2)]);
    // Shown through today: still shown.
    q.ok(["dates", "set", "cg", "--until", &day(0)]);
    for cache in ["1", "0"] {
        let titles = Qr::titles(&q.run_env(["search", "说明"], cache));
        assert_eq!(titles, vec!["活动常规说明"], "cache {cache}");
        let all = Qr::titles(&q.run_env(["search", ""], cache));
        assert_eq!(all, vec!["活动常规说明"], "cache {cache}");
    }

    let fire = q.run(["fire", "ys"]);
    assert_eq!(fire.code, 1);
    assert!(
        fire.stderr.contains("has expired") && fire.stderr.contains(&day(-1)),
        "{}",
        fire.stderr
    );
    let fire = q.run(["fire", "nh"]);
    assert_eq!(fire.code, 1);
    assert!(
        fire.stderr.contains("not active yet") && fire.stderr.contains(&day(2)),
        "{}",
        fire.stderr
    );
    q.ok(["fire", "cg"]);

    // lint: the expired reply is a warning (exit 0); a bad order is refused when typed.
    let lint = q.run(["lint"]);
    assert_eq!(lint.code, 0, "{}{}", lint.stdout, lint.stderr);
    assert!(
        lint.stdout.contains("双11预售说明")
            && lint.stdout.contains("expired")
            && lint.stdout.contains("(warning)"),
        "{}",
        lint.stdout
    );
    let bad = q.run(["dates", "set", "cg", "--from", &day(5), "--until", &day(1)]);
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("must be after"), "{}", bad.stderr);
    let bad = q.run(["dates", "set", "cg", "--from", "双11"]);
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("cannot be read"), "{}", bad.stderr);

    let ls: serde_json::Value =
        serde_json::from_str(&q.ok(["dates", "ls", "--json"])).expect("json");
    let rows = ls.as_array().cloned().unwrap_or_default();
    let status = |t: &str| {
        rows.iter()
            .find(|r| r["title"] == t)
            .map(|r| r["status"].as_str().unwrap_or_default().to_string())
    };
    assert_eq!(status("双11预售说明").as_deref(), Some("expired"));
    assert_eq!(status("春节发货通知").as_deref(), Some("upcoming"));
    assert_eq!(status("年货节活动说明").as_deref(), Some("upcoming"));
    assert_eq!(status("活动常规说明").as_deref(), Some("active"));
    assert_eq!(rows.len(), 4);
    let show: serde_json::Value =
        serde_json::from_str(&q.ok(["show", "ys", "--json"])).expect("json");
    assert!(
        show["ends_at"]
            .as_str()
            .is_some_and(|e| e.ends_with("T00:00:00+08:00")),
        "{show}"
    );

    // Cleared: shown again.
    q.ok(["dates", "set", "ys", "--until", ""]);
    q.ok(["dates", "set", "节日", "--folder", "--from", ""]);
    let titles = Qr::titles(&q.ok(["search", "说明"]));
    assert_eq!(titles.len(), 4, "{titles:?}");
    let lint = q.run(["lint"]);
    assert!(!lint.stdout.contains("expired"), "{}", lint.stdout);
}

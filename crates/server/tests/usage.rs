//! Counts the devices report, against a real server on both backends: how often each
//! reply was used (read by those who may write the library) and the searches that found
//! nothing (read by the team's leads).
//!
//! Every scenario runs once on SQLite (a temporary data directory, `sqlite::*`) and once
//! on PostgreSQL (a fresh database of the test binary's throwaway cluster, `postgres::*`;
//! see `support/pg.rs`); the server and fixtures are `support/server.rs`.

#[path = "support/pg.rs"]
mod pg;
#[macro_use]
#[path = "support/backend.rs"]
mod backend;
#[path = "support/server.rs"]
mod server;

use quickreply_proto::api::{
    Item, MAX_FIRES_PER_DAY, MAX_USAGE_ENTRIES, MissedReport, MissedSearch, MissedTotal,
    UsageCount, UsageReport, UsageTotal,
};
use reqwest::{Method, StatusCode};
use uuid::Uuid;

use backend::{Backend, R};
use server::{Srv, err, ok_json, var};

on_both_backends!(
    usage_is_reported_by_readers_and_read_by_writers,
    absurd_counts_are_refused_and_unknown_keys_left_out,
    searches_that_found_nothing_are_counted_for_the_team_and_read_by_leads,
);

/// The UTC date `offset` days from today (`YYYY-MM-DD`).
fn utc_day(offset: i64) -> R<String> {
    let secs = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs(),
    )?;
    // Howard Hinnant's `civil_from_days`.
    let z = secs.div_euclid(86_400) + offset + 719_468;
    let (era, doe) = (z.div_euclid(146_097), z.rem_euclid(146_097));
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    Ok(format!("{y:04}-{m:02}-{d:02}"))
}

fn usage(entries: &[(&str, &str, u32)]) -> UsageReport {
    UsageReport {
        counts: entries
            .iter()
            .map(|(key, day, count)| UsageCount {
                key: (*key).into(),
                day: (*day).into(),
                count: *count,
            })
            .collect(),
    }
}

fn total(key: &str, count: u64, devices: u32) -> UsageTotal {
    UsageTotal {
        key: key.into(),
        count,
        devices,
    }
}

impl Srv {
    async fn report(&self, token: &str, lib: Uuid, report: &UsageReport) -> R<reqwest::Response> {
        Ok(self
            .req(Method::POST, &format!("/v1/libraries/{lib}/usage"), token)
            .json(report)
            .send()
            .await?)
    }

    async fn usage_raw(&self, token: &str, lib: Uuid, query: &str) -> R<reqwest::Response> {
        Ok(self
            .req(
                Method::GET,
                &format!("/v1/libraries/{lib}/usage{query}"),
                token,
            )
            .send()
            .await?)
    }

    async fn usage(&self, token: &str, lib: Uuid, query: &str) -> R<Vec<UsageTotal>> {
        ok_json(self.usage_raw(token, lib, query).await?).await
    }
}

async fn usage_is_reported_by_readers_and_read_by_writers(b: Backend) -> R {
    let srv = Srv::start(&b).await?;
    let t = srv.team().await?;
    let (today, yesterday, long_ago) = (utc_day(0)?, utc_day(-1)?, utc_day(-40)?);
    // Counts are kept only for keys their library has (had).
    for name in ["k1", "k2", "k3"] {
        ok_json::<Item>(srv.put(&t.owner, t.lib, 0, name, &var(name, "v")).await?).await?;
    }
    let mine = t.agent_me.personal_library;
    ok_json::<Item>(srv.put(&t.agent, mine, 0, "p1", &var("p1", "v")).await?).await?;

    // An agent (a reader) reports; reporting again replaces its counts instead of adding.
    let first = usage(&[
        ("var:k1", &today, 3),
        ("var:k2", &today, 1),
        ("var:k1", &yesterday, 2),
        ("var:k1", &long_ago, 50),
    ]);
    let sent = srv.report(&t.agent, t.lib, &first).await?;
    assert_eq!(sent.status(), StatusCode::NO_CONTENT);
    let sent = srv.report(&t.agent, t.lib, &first).await?;
    assert_eq!(sent.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        srv.usage(&t.owner, t.lib, "").await?,
        vec![total("var:k1", 5, 1), total("var:k2", 1, 1)],
        "resending the same report changes nothing"
    );
    let sent = srv
        .report(
            &t.agent,
            t.lib,
            &usage(&[("var:k1", &today, 4), ("var:k1", &today, 5)]),
        )
        .await?;
    assert_eq!(sent.status(), StatusCode::NO_CONTENT);

    // The lead's own device fires too: totals add up devices.
    let sent = srv
        .report(
            &t.owner,
            t.lib,
            &usage(&[("var:k1", &today, 1), ("var:k3", &today, 6)]),
        )
        .await?;
    assert_eq!(sent.status(), StatusCode::NO_CONTENT);

    let all = vec![
        total("var:k1", 8, 2),
        total("var:k3", 6, 1),
        total("var:k2", 1, 1),
    ];
    assert_eq!(srv.usage(&t.owner, t.lib, "").await?, all);
    assert_eq!(srv.usage(&t.owner, t.lib, "?days=30").await?, all);
    assert_eq!(
        srv.usage(&t.owner, t.lib, "?days=1").await?,
        vec![
            total("var:k1", 6, 2),
            total("var:k3", 6, 1),
            total("var:k2", 1, 1)
        ],
        "yesterday is outside one day; equal counts by key"
    );
    assert_eq!(
        srv.usage(&t.owner, t.lib, "?days=366").await?,
        vec![
            total("var:k1", 58, 2),
            total("var:k3", 6, 1),
            total("var:k2", 1, 1)
        ],
    );
    assert_eq!(
        srv.usage(
            &t.owner,
            t.lib,
            &format!("?days=30&user={}", t.agent_me.user_id)
        )
        .await?,
        vec![total("var:k1", 7, 1), total("var:k2", 1, 1)],
        "only the agent's devices"
    );
    assert_eq!(
        srv.usage(&t.owner, t.lib, &format!("?user={}", Uuid::now_v7()))
            .await?,
        vec![],
    );

    // Agents may not read team usage; nobody sees another user's personal library.
    err(
        srv.usage_raw(&t.agent, t.lib, "").await?,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await?;
    let owners_personal = t.owner_me.personal_library;
    err(
        srv.usage_raw(&t.agent, owners_personal, "").await?,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await?;
    err(
        srv.report(&t.agent, owners_personal, &usage(&[("var:k1", &today, 1)]))
            .await?,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await?;
    err(
        srv.usage_raw(&t.owner, Uuid::now_v7(), "").await?,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await?;
    // … but their own personal library's, yes.
    let sent = srv
        .report(&t.agent, mine, &usage(&[("var:p1", &today, 2)]))
        .await?;
    assert_eq!(sent.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        srv.usage(&t.agent, mine, "?days=7").await?,
        vec![total("var:p1", 2, 1)]
    );

    // Bad periods.
    for q in [
        "?days=0",
        "?days=367",
        "?days=-1",
        "?days=x",
        "?user=nobody",
    ] {
        err(
            srv.usage_raw(&t.owner, t.lib, q).await?,
            StatusCode::BAD_REQUEST,
            "bad_request",
        )
        .await?;
    }

    // Bad reports are rejected whole: nothing of them is written.
    let long_key = "k".repeat(101);
    for bad in [
        usage(&[("var:k1", &today, 100), ("var:k1", "2023-02-29", 1)]),
        usage(&[("var:k1", &today, 100), ("var:k1", "2024-13-01", 1)]),
        usage(&[("var:k1", &today, 100), ("var:k1", "20240101", 1)]),
        usage(&[("var:k1", &today, 100), ("", &today, 1)]),
        usage(&[("var:k1", &today, 100), (&long_key, &today, 1)]),
    ] {
        err(
            srv.report(&t.agent, t.lib, &bad).await?,
            StatusCode::BAD_REQUEST,
            "bad_request",
        )
        .await?;
    }
    let too_many: Vec<(String, u32)> = (0..=MAX_USAGE_ENTRIES)
        .map(|i| (format!("var:x{i}"), 1))
        .collect();
    let too_many = UsageReport {
        counts: too_many
            .into_iter()
            .map(|(key, count)| UsageCount {
                key,
                day: today.clone(),
                count,
            })
            .collect(),
    };
    err(
        srv.report(&t.agent, t.lib, &too_many).await?,
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
    )
    .await?;
    assert_eq!(srv.usage(&t.owner, t.lib, "").await?, all);
    // The largest report allowed is accepted (its keys the library has: 1001 of them).
    for i in 0..1001 {
        let name = format!("x{i}");
        ok_json::<Item>(srv.put(&t.agent, mine, 0, &name, &var(&name, "v")).await?).await?;
    }
    let mut most = too_many;
    most.counts.truncate(MAX_USAGE_ENTRIES);
    let sent = srv.report(&t.agent, mine, &most).await?;
    assert_eq!(sent.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        srv.usage(&t.agent, mine, "").await?.len(),
        1000,
        "at most 1000 rows"
    );
    srv.stop().await?;
    Ok(())
}

/// Issue #17: a day's fires past what a person can make are refused (the entry, or the
/// report that would take the device past it over every library); counts of keys the
/// library never had are left out without failing the rest, while a reply deleted since
/// it was fired still counts (a client must never be stuck resending a report).
async fn absurd_counts_are_refused_and_unknown_keys_left_out(b: Backend) -> R {
    let srv = Srv::start(&b).await?;
    let t = srv.team().await?;
    let today = utc_day(0)?;
    let mine = t.agent_me.personal_library;
    for name in ["a", "b", "gone"] {
        ok_json::<Item>(srv.put(&t.owner, t.lib, 0, name, &var(name, "v")).await?).await?;
    }
    ok_json::<Item>(srv.put(&t.agent, mine, 0, "p", &var("p", "v")).await?).await?;
    // "gone" is deleted before the agent's computer reports the day it was fired.
    let r = srv
        .req(
            Method::DELETE,
            &format!("/v1/libraries/{}/items/var:gone?op=del", t.lib),
            &t.owner,
        )
        .header("If-Match", "\"1\"")
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::OK);

    let sent = srv
        .report(
            &t.agent,
            t.lib,
            &usage(&[
                ("var:a", &today, 5),
                ("var:gone", &today, 2),
                ("var:never-was", &today, 7),
                ("a-made-up-key", &today, 1),
            ]),
        )
        .await?;
    assert_eq!(sent.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        srv.usage(&t.owner, t.lib, "").await?,
        vec![total("var:a", 5, 1), total("var:gone", 2, 1)]
    );

    // One reply fired more often in a day than a person can: refused, naming it.
    let ceiling = MAX_FIRES_PER_DAY;
    let body = err(
        srv.report(
            &t.agent,
            t.lib,
            &usage(&[("var:b", &today, 1), ("var:a", &today, ceiling + 1)]),
        )
        .await?,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await?;
    assert!(
        body.message.contains("more than a person"),
        "{}",
        body.message
    );
    // Each entry plausible, but the day's total over both libraries is not: refused
    // whole, in either library.
    let half = ceiling / 2;
    let body = err(
        srv.report(
            &t.agent,
            t.lib,
            &usage(&[("var:a", &today, half), ("var:b", &today, half)]),
        )
        .await?,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await?;
    assert!(body.message.contains(&today), "{}", body.message);
    let sent = srv
        .report(
            &t.agent,
            t.lib,
            &usage(&[("var:a", &today, half), ("var:b", &today, 10)]),
        )
        .await?;
    assert_eq!(
        sent.status(),
        StatusCode::NO_CONTENT,
        "the gone reply's 2 still fit"
    );
    err(
        srv.report(&t.agent, mine, &usage(&[("var:p", &today, half)]))
            .await?,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await?;
    assert_eq!(srv.usage(&t.agent, mine, "").await?, vec![]);
    // Another device of the team has a day of its own.
    let sent = srv
        .report(&t.owner, t.lib, &usage(&[("var:b", &today, ceiling)]))
        .await?;
    assert_eq!(sent.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        srv.usage(&t.owner, t.lib, "").await?,
        vec![
            total("var:b", u64::from(ceiling) + 10, 2),
            total("var:a", u64::from(half), 1),
            total("var:gone", 2, 1),
        ]
    );
    srv.stop().await?;
    Ok(())
}

fn missed(entries: &[(&str, &str, u32)]) -> MissedReport {
    MissedReport {
        searches: entries
            .iter()
            .map(|(query, day, count)| MissedSearch {
                query: (*query).into(),
                day: (*day).into(),
                count: *count,
            })
            .collect(),
    }
}

fn missed_total(query: &str, count: u64, devices: u32) -> MissedTotal {
    MissedTotal {
        query: query.into(),
        count,
        devices,
    }
}

impl Srv {
    async fn report_missed(&self, token: &str, report: &MissedReport) -> R<reqwest::Response> {
        Ok(self
            .req(Method::POST, "/v1/missed", token)
            .json(report)
            .send()
            .await?)
    }

    async fn missed_raw(&self, token: &str, query: &str) -> R<reqwest::Response> {
        Ok(self
            .req(Method::GET, &format!("/v1/missed{query}"), token)
            .send()
            .await?)
    }

    async fn missed(&self, token: &str, query: &str) -> R<Vec<MissedTotal>> {
        ok_json(self.missed_raw(token, query).await?).await
    }
}

async fn searches_that_found_nothing_are_counted_for_the_team_and_read_by_leads(b: Backend) -> R {
    let srv = Srv::start(&b).await?;
    let t = srv.team().await?;
    let (today, long_ago) = (utc_day(0)?, utc_day(-40)?);

    // Any member reports; a resend replaces the device's counts.
    let first = missed(&[
        ("发票", &today, 3),
        ("zhbj", &today, 1),
        ("发票", &long_ago, 9),
    ]);
    for _ in 0..2 {
        let sent = srv.report_missed(&t.agent, &first).await?;
        assert_eq!(sent.status(), StatusCode::NO_CONTENT);
    }
    let sent = srv
        .report_missed(&t.owner, &missed(&[("发票", &today, 2)]))
        .await?;
    assert_eq!(sent.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        srv.missed(&t.owner, "").await?,
        vec![missed_total("发票", 5, 2), missed_total("zhbj", 1, 1)]
    );
    assert_eq!(
        srv.missed(&t.owner, "?days=366").await?,
        vec![missed_total("发票", 14, 2), missed_total("zhbj", 1, 1)]
    );
    assert_eq!(
        srv.missed(&t.owner, &format!("?days=7&user={}", t.agent_me.user_id))
            .await?,
        vec![missed_total("发票", 3, 1), missed_total("zhbj", 1, 1)],
        "only the agent's devices"
    );

    // Agents report but may not read the team's; bad periods are refused.
    err(
        srv.missed_raw(&t.agent, "").await?,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await?;
    for q in ["?days=0", "?days=367", "?user=nobody"] {
        err(
            srv.missed_raw(&t.owner, q).await?,
            StatusCode::BAD_REQUEST,
            "bad_request",
        )
        .await?;
    }

    // What clients never send is refused, and the whole report with it: phone and order
    // numbers, e-mail addresses, long pasted text, searches not normalised.
    for bad in [
        missed(&[("退货", &today, 1), ("13812345678", &today, 1)]),
        missed(&[("退货", &today, 1), ("a@b.com", &today, 1)]),
        missed(&[("退货", &today, 1), (&"字".repeat(25), &today, 1)]),
        missed(&[("退货", &today, 1), ("ZHBJ", &today, 1)]),
        missed(&[("退货", &today, 1), (" 退货", &today, 1)]),
        missed(&[("退货", &today, 1), ("", &today, 1)]),
        missed(&[("退货", &today, 1), ("退货", "2024-02-30", 1)]),
    ] {
        err(
            srv.report_missed(&t.agent, &bad).await?,
            StatusCode::BAD_REQUEST,
            "bad_request",
        )
        .await?;
    }
    assert_eq!(
        srv.missed(&t.owner, "").await?,
        vec![missed_total("发票", 5, 2), missed_total("zhbj", 1, 1)],
        "nothing of a refused report is written"
    );
    let r = srv
        .http
        .post(srv.url("/v1/missed"))
        .json(&first)
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    srv.stop().await?;
    Ok(())
}

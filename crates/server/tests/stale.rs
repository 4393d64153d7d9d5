//! Stale replies and the archive folder, against a real server on both backends: which
//! replies no one fired in the last N days (and are older than them), and moving them
//! into the library's 归档 folder in one all-or-nothing transaction of ordinary writes
//! that agents receive like any other change.

#[path = "support/pg.rs"]
mod pg;
#[macro_use]
#[path = "support/backend.rs"]
mod backend;
#[path = "support/server.rs"]
mod server;

use std::time::Duration;

use quickreply_proto::api::{
    ARCHIVE_FOLDER, ArchiveRequest, ArchiveResult, Item, ItemDoc, ItemVersion, Role, StaleReplies,
    TEAM_UTC_OFFSET_MINUTES, UsageCount, UsageReport, codes,
};
use quickreply_proto::compliance::{POLICY_VAR, Policy};
use quickreply_proto::{FolderDoc, Part, SnippetDoc};
use reqwest::{Method, StatusCode};
use uuid::Uuid;

use backend::{Backend, R, fail};
use server::{Srv, err, ok_json, var};

on_both_backends!(
    stale_replies_are_those_no_one_fired_in_the_period_and_older_than_it,
    archiving_moves_replies_into_one_folder_that_agents_receive,
    an_archive_is_all_or_nothing_and_for_writers_only,
);

const DAY: Duration = Duration::from_secs(86_400);

/// The team's date (Beijing) `offset` days from the server's today.
fn team_day(srv: &Srv, offset: i64) -> String {
    let ms = srv.clock.now_ms() + TEAM_UTC_OFFSET_MINUTES * 60_000;
    // Howard Hinnant's `civil_from_days`.
    let z = ms.div_euclid(86_400_000) + offset + 719_468;
    let (era, doe) = (z.div_euclid(146_097), z.rem_euclid(146_097));
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn reply(title: &str, folder: Option<Uuid>, body: &str) -> ItemDoc {
    ItemDoc::Snippet(SnippetDoc {
        id: Uuid::now_v7(),
        folder_id: folder,
        title: title.into(),
        code: None,
        tags: vec![],
        parts: vec![Part::Text { body: body.into() }],
        apps: vec![],
        position: 0,
        starts_at: None,
        ends_at: None,
    })
}

fn folder(name: &str) -> ItemDoc {
    ItemDoc::Folder(FolderDoc {
        id: Uuid::now_v7(),
        parent_id: None,
        name: name.into(),
        position: 0,
        starts_at: None,
        ends_at: None,
    })
}

fn folder_of(doc: Option<&ItemDoc>) -> Option<Uuid> {
    match doc {
        Some(ItemDoc::Snippet(s)) => s.folder_id,
        _ => None,
    }
}

impl Srv {
    /// Writes a new item as `token`: its key.
    async fn add(&self, token: &str, lib: Uuid, doc: &ItemDoc) -> R<String> {
        let item: Item = ok_json(
            self.put(token, lib, 0, &Uuid::now_v7().to_string(), doc)
                .await?,
        )
        .await?;
        Ok(item.key)
    }

    async fn stale_raw(&self, token: &str, lib: Uuid, query: &str) -> R<reqwest::Response> {
        Ok(self
            .req(
                Method::GET,
                &format!("/v1/libraries/{lib}/stale{query}"),
                token,
            )
            .send()
            .await?)
    }

    async fn stale(&self, token: &str, lib: Uuid, query: &str) -> R<StaleReplies> {
        ok_json(self.stale_raw(token, lib, query).await?).await
    }

    async fn archive_raw(&self, token: &str, lib: Uuid, keys: &[&str]) -> R<reqwest::Response> {
        Ok(self
            .req(Method::POST, &format!("/v1/libraries/{lib}/archive"), token)
            .json(&ArchiveRequest {
                keys: keys.iter().map(|k| (*k).to_string()).collect(),
            })
            .send()
            .await?)
    }

    async fn archive(&self, token: &str, lib: Uuid, keys: &[&str]) -> R<ArchiveResult> {
        ok_json(self.archive_raw(token, lib, keys).await?).await
    }

    async fn fire(&self, token: &str, lib: Uuid, key: &str, day: &str) -> R {
        let sent = self
            .req(Method::POST, &format!("/v1/libraries/{lib}/usage"), token)
            .json(&UsageReport {
                counts: vec![UsageCount {
                    key: key.into(),
                    day: day.into(),
                    count: 2,
                }],
            })
            .send()
            .await?;
        if sent.status() != StatusCode::NO_CONTENT {
            return Err(fail(format!("usage report: {}", sent.status())));
        }
        Ok(())
    }

    /// Every item of a library as `token` pulls it, by key.
    async fn items(&self, token: &str, lib: Uuid) -> R<std::collections::HashMap<String, Item>> {
        let page = self.changes(token, lib, 0, 1000).await?;
        Ok(page.items.into_iter().map(|i| (i.key.clone(), i)).collect())
    }
}

async fn stale_replies_are_those_no_one_fired_in_the_period_and_older_than_it(b: Backend) -> R {
    let srv = Srv::start(&b).await?;
    let t = srv.team().await?;
    let after_sales = folder("售后");
    let after_sales_id = srv.add(&t.owner, t.lib, &after_sales).await?;
    // Written 100 days ago.
    let never = srv
        .add(&t.owner, t.lib, &reply("从没用过", None, "亲"))
        .await?;
    let in_folder = srv
        .add(
            &t.owner,
            t.lib,
            &reply("退货地址", after_sales_id.parse().ok(), "亲，地址是…"),
        )
        .await?;
    let long_ago = srv
        .add(&t.owner, t.lib, &reply("双十一预售", None, "亲，预售…"))
        .await?;
    let lately = srv
        .add(
            &t.owner,
            t.lib,
            &reply("发货时间", None, "亲，48 小时内发货"),
        )
        .await?;
    let variable = var("店铺名", "小店");
    ok_json::<Item>(srv.put(&t.owner, t.lib, 0, "v", &variable).await?).await?;
    srv.clock.advance(100 * DAY);
    // Written today: never fired, but not stale.
    let new = srv
        .add(&t.owner, t.lib, &reply("新品", None, "亲，新品上架"))
        .await?;
    // An agent fired one 70 days ago and one 5 days ago (their computer's date).
    srv.fire(&t.agent, t.lib, &long_ago, &team_day(&srv, -70))
        .await?;
    srv.fire(&t.agent, t.lib, &lately, &team_day(&srv, -5))
        .await?;

    let thirty = srv.stale(&t.owner, t.lib, "?days=30").await?;
    assert_eq!(thirty.days, 30);
    assert_eq!(thirty.since_day, team_day(&srv, -29));
    assert_eq!(thirty.total, 3);
    assert_eq!(thirty.usage_since, Some(team_day(&srv, -70)));
    assert_eq!(thirty.archive_folder, None);
    let keys: Vec<&str> = thirty.replies.iter().map(|r| r.key.as_str()).collect();
    // Never fired first (oldest first), then the longest unused.
    assert_eq!(
        keys,
        [never.as_str(), in_folder.as_str(), long_ago.as_str()]
    );
    assert_eq!(thirty.replies[0].title, "从没用过");
    assert_eq!(thirty.replies[0].last_fired, None);
    assert_eq!(thirty.replies[1].folder.as_deref(), Some("售后"));
    assert_eq!(thirty.replies[2].last_fired, Some(team_day(&srv, -70)));
    assert!(
        thirty
            .replies
            .iter()
            .all(|r| r.created_at < thirty.created_before)
    );
    assert!(!keys.contains(&new.as_str()) && !keys.contains(&lately.as_str()));

    // Over 60 days the reply fired 70 days ago is still stale; over 90 it is not.
    assert_eq!(srv.stale(&t.owner, t.lib, "?days=60").await?.total, 3);
    let ninety = srv.stale(&t.owner, t.lib, "?days=90").await?;
    assert_eq!(ninety.total, 2);
    assert!(ninety.replies.iter().all(|r| r.key != long_ago));
    // Over 101 days nothing is older than the period.
    assert_eq!(srv.stale(&t.owner, t.lib, "?days=101").await?.total, 0);

    // Pages: the total stays, the page moves.
    let page = srv
        .stale(&t.owner, t.lib, "?days=30&limit=1&offset=1")
        .await?;
    assert_eq!(page.total, 3);
    assert_eq!(page.replies.len(), 1);
    assert_eq!(page.replies[0].key, in_folder);

    // Only writers ask; periods and pages out of range are refused.
    err(
        srv.stale_raw(&t.agent, t.lib, "?days=30").await?,
        StatusCode::FORBIDDEN,
        codes::FORBIDDEN,
    )
    .await?;
    for bad in ["?days=0", "?days=367", "?limit=0", "?limit=1001"] {
        let e = err(
            srv.stale_raw(&t.owner, t.lib, bad).await?,
            StatusCode::BAD_REQUEST,
            codes::BAD_REQUEST,
        )
        .await?;
        assert!(
            e.message.contains("须") || e.message.contains("每页"),
            "{}",
            e.message
        );
    }
    err(
        srv.stale_raw(&t.owner, Uuid::now_v7(), "").await?,
        StatusCode::NOT_FOUND,
        codes::NOT_FOUND,
    )
    .await?;
    // An agent's own personal library is theirs to ask about.
    let mine = t.agent_me.personal_library;
    srv.add(&t.agent, mine, &reply("我的", None, "亲")).await?;
    assert_eq!(srv.stale(&t.agent, mine, "?days=30").await?.total, 0);
    Ok(())
}

async fn archiving_moves_replies_into_one_folder_that_agents_receive(b: Backend) -> R {
    let srv = Srv::start(&b).await?;
    let t = srv.team().await?;
    let a = srv
        .add(&t.owner, t.lib, &reply("旧活动 A", None, "亲，活动 A"))
        .await?;
    let b2 = srv
        .add(&t.owner, t.lib, &reply("旧活动 B", None, "亲，活动 B"))
        .await?;
    let c = srv
        .add(&t.owner, t.lib, &reply("旧活动 C", None, "亲，活动 C"))
        .await?;
    let keep = srv
        .add(&t.owner, t.lib, &reply("常用", None, "亲，在的"))
        .await?;
    let head_before = srv.changes(&t.agent, t.lib, 0, 1000).await?.cursor;

    let first = srv.archive(&t.owner, t.lib, &[&a, &b2, &a]).await?;
    assert!(first.folder_created);
    assert_eq!(first.moved, [a.clone(), b2.clone()]);
    assert!(first.already.is_empty());
    // The folder and two moves: three ordinary writes.
    assert_eq!(first.head, head_before + 3);

    // An agent pulls the folder and the moved replies like any change.
    let items = srv.items(&t.agent, t.lib).await?;
    let archive = items
        .get(&first.folder_id.to_string())
        .ok_or_else(|| fail("the agent has no archive folder"))?;
    assert!(
        matches!(&archive.doc, Some(ItemDoc::Folder(f)) if f.name == ARCHIVE_FOLDER && f.parent_id.is_none())
    );
    for key in [&a, &b2] {
        let item = items
            .get(key.as_str())
            .ok_or_else(|| fail("moved reply missing"))?;
        assert_eq!(folder_of(item.doc.as_ref()), Some(first.folder_id));
        assert_eq!(item.version, 2);
    }
    assert_eq!(
        folder_of(items.get(keep.as_str()).and_then(|i| i.doc.as_ref())),
        None
    );
    // The move is in the reply's history, by the lead's device.
    let history: Vec<ItemVersion> = ok_json(
        srv.req(
            Method::GET,
            &format!("/v1/libraries/{}/items/{a}/history", t.lib),
            &t.agent,
        )
        .send()
        .await?,
    )
    .await?;
    assert_eq!(history.len(), 2);
    assert_eq!(folder_of(history[0].doc.as_ref()), Some(first.folder_id));
    assert_eq!(folder_of(history[1].doc.as_ref()), None);

    // Again: the same folder, what is in it already is left alone.
    let second = srv.archive(&t.owner, t.lib, &[&b2, &c]).await?;
    assert!(!second.folder_created);
    assert_eq!(second.folder_id, first.folder_id);
    assert_eq!(second.already, std::slice::from_ref(&b2));
    assert_eq!(second.moved, std::slice::from_ref(&c));
    assert_eq!(second.head, first.head + 1);

    // Archived replies are no longer listed as stale; the others are.
    srv.clock.advance(40 * DAY);
    let stale = srv.stale(&t.owner, t.lib, "?days=30").await?;
    assert_eq!(stale.archive_folder, Some(first.folder_id));
    assert_eq!(stale.total, 1);
    assert_eq!(stale.replies[0].key, keep);

    // A lead who renames the folder keeps it as an ordinary one: the next archive makes a
    // new 归档.
    let renamed = ItemDoc::Folder(FolderDoc {
        id: first.folder_id,
        parent_id: None,
        name: "去年活动".into(),
        position: 0,
        starts_at: None,
        ends_at: None,
    });
    ok_json::<Item>(
        srv.put(&t.owner, t.lib, archive.version, "rename", &renamed)
            .await?,
    )
    .await?;
    let third = srv.archive(&t.owner, t.lib, &[&keep]).await?;
    assert!(third.folder_created);
    assert_ne!(third.folder_id, first.folder_id);
    Ok(())
}

/// Asserts that nothing was written to `lib` since its head was `head` (every item still
/// at its first version).
async fn unchanged(srv: &Srv, agent: &str, lib: Uuid, head: i64) -> R {
    let page = srv.changes(agent, lib, 0, 1000).await?;
    if page.cursor != head || page.items.iter().any(|i| i.version != 1) {
        return Err(fail(format!(
            "something was written: head {} (was {head})",
            page.cursor
        )));
    }
    Ok(())
}

async fn an_archive_is_all_or_nothing_and_for_writers_only(b: Backend) -> R {
    let srv = Srv::start(&b).await?;
    let t = srv.team().await?;
    let code = srv.invite(&t.owner, Role::Editor, 1, false).await?;
    let (editor, _) = srv.join(&code, "编辑机", Some("小李")).await?;
    let fine = srv
        .add(&editor, t.lib, &reply("售后", None, "亲，售后请找我"))
        .await?;
    let early = srv
        .add(
            &editor,
            t.lib,
            &reply("加微信", None, "亲，加我微信发您优惠"),
        )
        .await?;
    let shelf = srv.add(&editor, t.lib, &folder("售前")).await?;
    let head = srv.changes(&t.agent, t.lib, 0, 1000).await?.cursor;

    // An agent may not; nothing written.
    err(
        srv.archive_raw(&t.agent, t.lib, &[&fine]).await?,
        StatusCode::FORBIDDEN,
        codes::FORBIDDEN,
    )
    .await?;
    unchanged(&srv, &t.agent, t.lib, head).await?;
    // A key the library never had, a folder, nothing at all: refused, nothing written (not
    // even the folder of the good key before it).
    let e = err(
        srv.archive_raw(&editor, t.lib, &[&fine, "nope"]).await?,
        StatusCode::NOT_FOUND,
        codes::NOT_FOUND,
    )
    .await?;
    assert!(e.message.contains("nope"), "{}", e.message);
    unchanged(&srv, &t.agent, t.lib, head).await?;
    let e = err(
        srv.archive_raw(&editor, t.lib, &[&fine, &shelf]).await?,
        StatusCode::BAD_REQUEST,
        codes::BAD_REQUEST,
    )
    .await?;
    assert!(e.message.contains("not a reply"), "{}", e.message);
    err(
        srv.archive_raw(&editor, t.lib, &[]).await?,
        StatusCode::BAD_REQUEST,
        codes::BAD_REQUEST,
    )
    .await?;
    unchanged(&srv, &t.agent, t.lib, head).await?;

    // The compliance check applies to the move like any write: once the lead blocks
    // off-platform contact, the old reply naming WeChat cannot be moved, and neither is
    // the other one.
    let policy = Policy {
        words: vec![],
        allow: vec![],
        block: vec!["offsite-contact".into()],
    };
    ok_json::<Item>(
        srv.put(
            &t.owner,
            t.lib,
            0,
            "p",
            &var(POLICY_VAR, &policy.to_value()),
        )
        .await?,
    )
    .await?;
    let e = err(
        srv.archive_raw(&editor, t.lib, &[&fine, &early]).await?,
        StatusCode::UNPROCESSABLE_ENTITY,
        codes::COMPLIANCE_BLOCKED,
    )
    .await?;
    assert!(e.message.contains("加微信"), "{}", e.message);
    let items = srv.items(&t.agent, t.lib).await?;
    assert!(
        items
            .values()
            .all(|i| i.key.starts_with("var:") || i.version == 1)
    );
    assert!(
        items
            .values()
            .all(|i| !matches!(&i.doc, Some(ItemDoc::Folder(f)) if f.name == ARCHIVE_FOLDER))
    );
    // The good one alone goes through.
    let done = srv.archive(&editor, t.lib, &[&fine]).await?;
    assert_eq!(done.moved, [fine]);
    Ok(())
}

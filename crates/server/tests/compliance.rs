//! The compliance check on the server, on both backends: once the lead sets a rule of a
//! team library to block (the policy variable `@合规`, synced like any team variable), a
//! reply holding such a word is refused (`422 compliance_blocked`, naming the word and the
//! rule) by a single write and in place inside a batch; a reply meant for WeChat only may
//! name WeChat; warn-only rules and personal libraries are never refused; a policy
//! clients could not read is refused itself.

#[path = "support/pg.rs"]
mod pg;
#[macro_use]
#[path = "support/backend.rs"]
mod backend;
#[path = "support/server.rs"]
mod server;

use quickreply_proto::api::{BatchItem, BatchResults, BatchWrite, ItemDoc, Role, codes};
use quickreply_proto::compliance::{POLICY_VAR, Policy};
use quickreply_proto::{Part, SnippetDoc};
use reqwest::{Method, StatusCode};

use backend::{Backend, R};
use server::{Srv, err, ok_json, snippet, var};

on_both_backends!(
    a_blocked_rule_refuses_team_replies_and_warnings_do_not,
    a_policy_clients_cannot_read_is_refused,
);

fn text(body: &str) -> Vec<Part> {
    vec![Part::Text { body: body.into() }]
}

fn for_apps(doc: ItemDoc, apps: &[&str]) -> ItemDoc {
    match doc {
        ItemDoc::Snippet(s) => ItemDoc::Snippet(SnippetDoc {
            apps: apps.iter().map(|a| a.to_string()).collect(),
            ..s
        }),
        other => other,
    }
}

async fn a_blocked_rule_refuses_team_replies_and_warnings_do_not(b: Backend) -> R {
    let srv = Srv::start(&b).await?;
    let t = srv.team().await?;
    // An editor writes the team's replies; the owner (the lead) sets the policy.
    let code = srv.invite(&t.owner, Role::Editor, 1, false).await?;
    let (editor, _) = srv.join(&code, "编辑机", Some("小李")).await?;
    // Before the lead blocks anything, every rule only warns: the server takes it.
    let early = snippet("加微信", text("亲，加我微信发您优惠"));
    ok_json::<serde_json::Value>(srv.put(&editor, t.lib, 0, "e1", &early).await?).await?;

    let policy = Policy {
        words: vec!["秒杀价".into()],
        allow: vec![],
        block: vec!["offsite-contact".into(), "team".into()],
    };
    let p = var(POLICY_VAR, &policy.to_value());
    ok_json::<serde_json::Value>(srv.put(&t.owner, t.lib, 0, "p1", &p).await?).await?;

    // A new reply, and an edit of the old one, with 微信: refused with the rule named.
    let blocked = snippet("加微信2", text("亲，可以添加客服微信～"));
    let e = err(
        srv.put(&editor, t.lib, 0, "b1", &blocked).await?,
        StatusCode::UNPROCESSABLE_ENTITY,
        codes::COMPLIANCE_BLOCKED,
    )
    .await?;
    assert!(e.message.contains("“微信” in “加微信2”"), "{}", e.message);
    assert!(e.message.contains("off-platform contact"), "{}", e.message);
    assert!(e.message.contains("rule offsite-contact"), "{}", e.message);
    assert!(e.message.contains("站外引流：联系方式"), "{}", e.message);
    err(
        srv.put(&editor, t.lib, 1, "e2", &early).await?,
        StatusCode::UNPROCESSABLE_ENTITY,
        codes::COMPLIANCE_BLOCKED,
    )
    .await?;
    // The lead's own word is blocked too.
    let own = snippet("秒杀", text("今天秒杀价 99 元"));
    let e = err(
        srv.put(&t.owner, t.lib, 0, "o1", &own).await?,
        StatusCode::UNPROCESSABLE_ENTITY,
        codes::COMPLIANCE_BLOCKED,
    )
    .await?;
    assert!(e.message.contains("“秒杀价”"), "{}", e.message);

    // Fine: a WeChat-only reply naming WeChat; a warn-only rule (顶级); a personal library.
    let wechat = for_apps(snippet("加微信3", text("亲，添加客服微信～")), &["wechat"]);
    ok_json::<serde_json::Value>(srv.put(&editor, t.lib, 0, "w1", &wechat).await?).await?;
    let warned = snippet("顶级", text("顶级面料"));
    ok_json::<serde_json::Value>(srv.put(&editor, t.lib, 0, "w2", &warned).await?).await?;
    let personal = t.agent_me.personal_library;
    ok_json::<serde_json::Value>(srv.put(&t.agent, personal, 0, "w3", &blocked).await?).await?;

    // In a batch the blocked write is refused in its place and the others go on.
    let ok = snippet("发货", text("今天发"));
    let results: BatchResults = ok_json(
        srv.req(
            Method::POST,
            &format!("/v1/libraries/{}/items", t.lib),
            &editor,
        )
        .json(&BatchWrite {
            writes: vec![
                BatchItem {
                    key: ok.key(),
                    if_match: 0,
                    op: "k1".into(),
                    doc: Some(ok.clone()),
                },
                BatchItem {
                    key: blocked.key(),
                    if_match: 0,
                    op: "k2".into(),
                    doc: Some(blocked.clone()),
                },
            ],
        })
        .send()
        .await?,
    )
    .await?;
    let statuses: Vec<u16> = results.results.iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![200, 422]);
    assert_eq!(
        results.results[1].error.as_ref().map(|e| e.code.as_str()),
        Some(codes::COMPLIANCE_BLOCKED)
    );

    // The lead sets the rule back to warn: the reply is taken.
    let relaxed = var(POLICY_VAR, &Policy::default().to_value());
    ok_json::<serde_json::Value>(srv.put(&t.owner, t.lib, 1, "p2", &relaxed).await?).await?;
    ok_json::<serde_json::Value>(srv.put(&editor, t.lib, 0, "b2", &blocked).await?).await?;
    Ok(())
}

async fn a_policy_clients_cannot_read_is_refused(b: Backend) -> R {
    let srv = Srv::start(&b).await?;
    let t = srv.team().await?;
    let typo = var(POLICY_VAR, r#"{"block":["offsite-contacts"]}"#);
    let e = err(
        srv.put(&t.owner, t.lib, 0, "p1", &typo).await?,
        StatusCode::BAD_REQUEST,
        codes::BAD_REQUEST,
    )
    .await?;
    assert!(
        e.message.contains("name no rule \"offsite-contacts\""),
        "{}",
        e.message
    );
    let broken = var(POLICY_VAR, "{not json");
    err(
        srv.put(&t.owner, t.lib, 0, "p2", &broken).await?,
        StatusCode::BAD_REQUEST,
        codes::BAD_REQUEST,
    )
    .await?;
    Ok(())
}

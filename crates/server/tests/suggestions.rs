//! Agents' suggestions (建议修改 / 建议新增) on both backends: an agent proposes a change
//! or a new reply; sending it again is the same suggestion; agents see only their own and
//! leads see all, with base, current and proposed; accepting writes it as the lead's
//! write credited to the agent in history (as proposed or as the lead edited it);
//! declining carries a comment the author sees; the author withdraws; a reply changed
//! meanwhile is a 412 with the current item; the compliance check refuses an accept; and
//! the live stream tells the leads and the author, never another agent.

#[path = "support/pg.rs"]
mod pg;
#[macro_use]
#[path = "support/backend.rs"]
mod backend;
#[path = "support/server.rs"]
mod server;

use std::time::Duration;

use quickreply_proto::api::{
    AcceptSuggestion, DeclineSuggestion, ItemDoc, ItemVersion, MAX_PENDING_SUGGESTIONS,
    NewSuggestion, Role, Suggestion, SuggestionEvent, SuggestionStatus, codes,
};
use quickreply_proto::compliance::{POLICY_VAR, Policy};
use quickreply_proto::{Part, SnippetDoc};
use reqwest::{Method, StatusCode};
use uuid::Uuid;

use backend::{Backend, R, fail};
use server::{Srv, SseReader, err, ok_json, snippet, var};

on_both_backends!(
    agents_suggest_and_see_only_their_own,
    accepting_writes_the_reply_credited_to_the_agent,
    declining_and_withdrawing,
    accepting_after_the_reply_changed_needs_the_current_version,
    a_blocked_reply_cannot_be_accepted,
    the_stream_tells_leads_and_the_author_only,
    a_member_has_at_most_so_many_waiting,
);

fn text(body: &str) -> Vec<Part> {
    vec![Part::Text { body: body.into() }]
}

fn doc_of(d: &ItemDoc) -> R<SnippetDoc> {
    match d {
        ItemDoc::Snippet(s) => Ok(s.clone()),
        _ => Err(fail("not a reply")),
    }
}

fn with_body(d: &SnippetDoc, body: &str) -> SnippetDoc {
    SnippetDoc {
        parts: text(body),
        ..d.clone()
    }
}

async fn suggest(srv: &Srv, token: &str, lib: Uuid, s: &NewSuggestion) -> R<reqwest::Response> {
    Ok(srv
        .req(
            Method::POST,
            &format!("/v1/libraries/{lib}/suggestions"),
            token,
        )
        .json(s)
        .send()
        .await?)
}

async fn list(srv: &Srv, token: &str) -> R<Vec<Suggestion>> {
    ok_json(
        srv.req(Method::GET, "/v1/suggestions", token)
            .send()
            .await?,
    )
    .await
}

async fn accept(srv: &Srv, token: &str, id: Uuid, a: &AcceptSuggestion) -> R<reqwest::Response> {
    Ok(srv
        .req(Method::POST, &format!("/v1/suggestions/{id}/accept"), token)
        .json(a)
        .send()
        .await?)
}

async fn decline(srv: &Srv, token: &str, id: Uuid, comment: &str) -> R<reqwest::Response> {
    Ok(srv
        .req(
            Method::POST,
            &format!("/v1/suggestions/{id}/decline"),
            token,
        )
        .json(&DeclineSuggestion {
            comment: comment.into(),
        })
        .send()
        .await?)
}

async fn history(srv: &Srv, token: &str, lib: Uuid, key: &str) -> R<Vec<ItemVersion>> {
    ok_json(
        srv.req(
            Method::GET,
            &format!("/v1/libraries/{lib}/items/{key}/history"),
            token,
        )
        .send()
        .await?,
    )
    .await
}

/// A team with a reply (version 1) and a second agent.
struct Setup {
    srv: Srv,
    t: server::Team,
    agent2: String,
    reply: SnippetDoc,
}

async fn setup(b: &Backend) -> R<Setup> {
    let srv = Srv::start(b).await?;
    let t = srv.team().await?;
    let code = srv.invite(&t.owner, Role::Agent, 1, false).await?;
    let (agent2, _) = srv.join(&code, "客服2号机", Some("小张")).await?;
    let reply = snippet("发货时间", text("亲，下单后48小时内发货"));
    ok_json::<serde_json::Value>(srv.put(&t.owner, t.lib, 0, "w1", &reply).await?).await?;
    Ok(Setup {
        srv,
        t,
        agent2,
        reply: doc_of(&reply)?,
    })
}

fn change_of(reply: &SnippetDoc, body: &str, note: &str) -> NewSuggestion {
    NewSuggestion {
        id: Uuid::now_v7(),
        doc: with_body(reply, body),
        base_version: 1,
        note: note.into(),
    }
}

async fn agents_suggest_and_see_only_their_own(b: Backend) -> R {
    let Setup {
        srv,
        t,
        agent2,
        reply,
    } = setup(&b).await?;
    let mine = change_of(&reply, "亲，下单后24小时内发货哦", "仓库已提速");
    let first: Suggestion = ok_json(suggest(&srv, &t.agent, t.lib, &mine).await?).await?;
    assert_eq!(first.status, SuggestionStatus::Pending);
    assert_eq!(first.author_name, "小王");
    assert_eq!(first.key, reply.id.to_string());
    // Sent again (a queued suggestion retried): the same one, stored once.
    let again: Suggestion = ok_json(suggest(&srv, &t.agent, t.lib, &mine).await?).await?;
    assert_eq!(again, first);
    // The same id for something else is refused.
    let other = NewSuggestion {
        note: "另一条".into(),
        ..change_of(&reply, "别的", "")
    };
    let reused = NewSuggestion {
        id: mine.id,
        ..other
    };
    err(
        suggest(&srv, &t.agent, t.lib, &reused).await?,
        StatusCode::CONFLICT,
        codes::CONFLICT,
    )
    .await?;
    // 建议新增 from the second agent.
    let fresh = doc_of(&snippet("周末发货吗", text("亲，周末也正常发货")))?;
    let new_one = NewSuggestion {
        id: Uuid::now_v7(),
        doc: fresh.clone(),
        base_version: 0,
        note: String::new(),
    };
    ok_json::<Suggestion>(suggest(&srv, &agent2, t.lib, &new_one).await?).await?;

    // Each agent sees only their own; the lead sees both, with base and current.
    let a1 = list(&srv, &t.agent).await?;
    assert_eq!(a1.iter().map(|s| s.id).collect::<Vec<_>>(), vec![mine.id]);
    let a2 = list(&srv, &agent2).await?;
    assert_eq!(
        a2.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![new_one.id]
    );
    let lead = list(&srv, &t.owner).await?;
    assert_eq!(lead.len(), 2);
    let change = lead
        .iter()
        .find(|s| s.id == mine.id)
        .ok_or_else(|| fail("the lead does not see the change"))?;
    assert_eq!(change.base.as_ref(), Some(&reply));
    assert_eq!(change.current.as_ref(), Some(&reply));
    assert_eq!(change.current_version, Some(1));
    assert!(!change.changed_since_base());
    let added = lead
        .iter()
        .find(|s| s.id == new_one.id)
        .ok_or_else(|| fail("the lead does not see the new one"))?;
    assert!(added.is_new() && added.current.is_none() && added.base.is_none());

    // Another agent's suggestion does not exist for an agent.
    err(
        decline(&srv, &agent2, mine.id, "不行").await?,
        StatusCode::NOT_FOUND,
        codes::NOT_FOUND,
    )
    .await?;
    // Their own cannot be accepted by them.
    err(
        accept(
            &srv,
            &t.agent,
            mine.id,
            &AcceptSuggestion {
                if_match: 1,
                ..Default::default()
            },
        )
        .await?,
        StatusCode::FORBIDDEN,
        codes::FORBIDDEN,
    )
    .await?;
    // No personal libraries, no one else's personal library, no stranger.
    err(
        suggest(
            &srv,
            &t.agent,
            t.agent_me.personal_library,
            &change_of(&reply, "x", ""),
        )
        .await?,
        StatusCode::BAD_REQUEST,
        codes::BAD_REQUEST,
    )
    .await?;
    err(
        suggest(
            &srv,
            &t.agent,
            t.owner_me.personal_library,
            &change_of(&reply, "x", ""),
        )
        .await?,
        StatusCode::NOT_FOUND,
        codes::NOT_FOUND,
    )
    .await?;
    err(
        suggest(&srv, "not-a-token", t.lib, &change_of(&reply, "x", "")).await?,
        StatusCode::UNAUTHORIZED,
        codes::UNAUTHORIZED,
    )
    .await?;
    // An invalid reply is refused as a write would be.
    let empty = NewSuggestion {
        doc: SnippetDoc {
            title: String::new(),
            ..reply.clone()
        },
        ..change_of(&reply, "x", "")
    };
    err(
        suggest(&srv, &t.agent, t.lib, &empty).await?,
        StatusCode::BAD_REQUEST,
        codes::BAD_REQUEST,
    )
    .await?;
    Ok(())
}

async fn accepting_writes_the_reply_credited_to_the_agent(b: Backend) -> R {
    let Setup {
        srv,
        t,
        agent2,
        reply,
    } = setup(&b).await?;
    let s1 = change_of(&reply, "亲，下单后24小时内发货哦", "");
    ok_json::<Suggestion>(suggest(&srv, &t.agent, t.lib, &s1).await?).await?;
    let take = AcceptSuggestion {
        if_match: 1,
        doc: None,
        comment: Some("好的，谢谢".into()),
    };
    let done: Suggestion = ok_json(accept(&srv, &t.owner, s1.id, &take).await?).await?;
    assert_eq!(done.status, SuggestionStatus::Accepted);
    assert_eq!(done.result_version, Some(2));
    assert_eq!(done.decided_by, Some(t.owner_me.user_id));
    // Accepting again (a retry whose answer was lost) answers the same.
    let again: Suggestion = ok_json(accept(&srv, &t.owner, s1.id, &take).await?).await?;
    assert_eq!(again.result_version, Some(2));

    // The reply is written: the lead wrote it, history credits the agent.
    let changes = srv.changes(&t.agent, t.lib, 0, 100).await?;
    let item = changes
        .items
        .iter()
        .find(|i| i.key == reply.id.to_string())
        .ok_or_else(|| fail("the reply is gone"))?;
    assert_eq!(item.version, 2);
    assert_eq!(item.doc, Some(ItemDoc::Snippet(s1.doc.clone())));
    let h = history(&srv, &t.agent, t.lib, &reply.id.to_string()).await?;
    assert_eq!(h[0].version, 2);
    assert_eq!(h[0].user_id, t.owner_me.user_id);
    assert_eq!(h[0].suggested_by, Some(t.agent_me.user_id));
    assert_eq!(h[0].suggested_by_name.as_deref(), Some("小王"));
    assert_eq!(h[1].suggested_by, None);
    // The agent sees the outcome.
    let mine = list(&srv, &t.agent).await?;
    assert_eq!(mine[0].status, SuggestionStatus::Accepted);
    assert_eq!(mine[0].comment.as_deref(), Some("好的，谢谢"));

    // Edit then accept: a new reply, as the lead rewrote it.
    let fresh = doc_of(&snippet("周末发货吗", text("周末发")))?;
    let s2 = NewSuggestion {
        id: Uuid::now_v7(),
        doc: fresh.clone(),
        base_version: 0,
        note: String::new(),
    };
    ok_json::<Suggestion>(suggest(&srv, &agent2, t.lib, &s2).await?).await?;
    let edited = with_body(&fresh, "亲，周末也正常发货，顺丰包邮");
    // The edit must stay the same reply.
    let moved = SnippetDoc {
        id: Uuid::now_v7(),
        ..edited.clone()
    };
    err(
        accept(
            &srv,
            &t.owner,
            s2.id,
            &AcceptSuggestion {
                if_match: 0,
                doc: Some(moved),
                comment: None,
            },
        )
        .await?,
        StatusCode::BAD_REQUEST,
        codes::BAD_REQUEST,
    )
    .await?;
    let done: Suggestion = ok_json(
        accept(
            &srv,
            &t.owner,
            s2.id,
            &AcceptSuggestion {
                if_match: 0,
                doc: Some(edited.clone()),
                comment: None,
            },
        )
        .await?,
    )
    .await?;
    assert_eq!(done.result_version, Some(1));
    let h = history(&srv, &agent2, t.lib, &fresh.id.to_string()).await?;
    assert_eq!(h[0].doc, Some(ItemDoc::Snippet(edited)));
    assert_eq!(h[0].suggested_by_name.as_deref(), Some("小张"));
    // A decided suggestion cannot be declined.
    err(
        decline(&srv, &t.owner, s2.id, "晚了").await?,
        StatusCode::CONFLICT,
        codes::CONFLICT,
    )
    .await?;
    Ok(())
}

async fn declining_and_withdrawing(b: Backend) -> R {
    let Setup {
        srv,
        t,
        agent2,
        reply,
    } = setup(&b).await?;
    let s1 = change_of(&reply, "亲，马上发", "");
    ok_json::<Suggestion>(suggest(&srv, &t.agent, t.lib, &s1).await?).await?;
    // A decline needs a comment.
    err(
        decline(&srv, &t.owner, s1.id, "  ").await?,
        StatusCode::BAD_REQUEST,
        codes::BAD_REQUEST,
    )
    .await?;
    let no: Suggestion =
        ok_json(decline(&srv, &t.owner, s1.id, "“马上”说不准，会被投诉").await?).await?;
    assert_eq!(no.status, SuggestionStatus::Declined);
    let mine = list(&srv, &t.agent).await?;
    assert_eq!(mine[0].status, SuggestionStatus::Declined);
    assert_eq!(mine[0].comment.as_deref(), Some("“马上”说不准，会被投诉"));
    assert_eq!(mine[0].decided_by_name.as_deref(), Some("老板"));
    // Nothing was written.
    assert_eq!(
        history(&srv, &t.agent, t.lib, &reply.id.to_string())
            .await?
            .len(),
        1
    );

    // Withdrawn by its author only, and only while pending.
    let s2 = change_of(&reply, "亲，今天发", "");
    ok_json::<Suggestion>(suggest(&srv, &agent2, t.lib, &s2).await?).await?;
    let withdraw = |token: &str, id: Uuid| {
        srv.req(
            Method::POST,
            &format!("/v1/suggestions/{id}/withdraw"),
            token,
        )
        .send()
    };
    err(
        withdraw(&t.agent, s2.id).await?,
        StatusCode::NOT_FOUND,
        codes::NOT_FOUND,
    )
    .await?;
    err(
        withdraw(&t.owner, s2.id).await?,
        StatusCode::FORBIDDEN,
        codes::FORBIDDEN,
    )
    .await?;
    let gone: Suggestion = ok_json(withdraw(&agent2, s2.id).await?).await?;
    assert_eq!(gone.status, SuggestionStatus::Withdrawn);
    err(
        accept(
            &srv,
            &t.owner,
            s2.id,
            &AcceptSuggestion {
                if_match: 1,
                ..Default::default()
            },
        )
        .await?,
        StatusCode::CONFLICT,
        codes::CONFLICT,
    )
    .await?;
    Ok(())
}

async fn accepting_after_the_reply_changed_needs_the_current_version(b: Backend) -> R {
    let Setup { srv, t, reply, .. } = setup(&b).await?;
    let s1 = change_of(&reply, "亲，下单后24小时内发货哦", "");
    ok_json::<Suggestion>(suggest(&srv, &t.agent, t.lib, &s1).await?).await?;
    // Meanwhile the lead changes the reply.
    let lead_edit = with_body(&reply, "亲，下单后36小时内发货");
    ok_json::<serde_json::Value>(
        srv.put(
            &t.owner,
            t.lib,
            1,
            "w2",
            &ItemDoc::Snippet(lead_edit.clone()),
        )
        .await?,
    )
    .await?;
    // The list shows base, current and proposed.
    let listed = list(&srv, &t.owner).await?;
    assert_eq!(listed[0].base.as_ref(), Some(&reply));
    assert_eq!(listed[0].current.as_ref(), Some(&lead_edit));
    assert_eq!(listed[0].current_version, Some(2));
    assert!(listed[0].changed_since_base());
    // Accepting at the version the agent saw is a conflict carrying the current item.
    let stale = accept(
        &srv,
        &t.owner,
        s1.id,
        &AcceptSuggestion {
            if_match: 1,
            ..Default::default()
        },
    )
    .await?;
    let e = err(stale, StatusCode::PRECONDITION_FAILED, codes::CONFLICT).await?;
    let current = e.current.ok_or_else(|| fail("the 412 carries no item"))?;
    assert_eq!(current.version, 2);
    assert_eq!(
        list(&srv, &t.agent).await?[0].status,
        SuggestionStatus::Pending
    );
    // Having seen the current text, the lead accepts over it.
    let done: Suggestion = ok_json(
        accept(
            &srv,
            &t.owner,
            s1.id,
            &AcceptSuggestion {
                if_match: 2,
                ..Default::default()
            },
        )
        .await?,
    )
    .await?;
    assert_eq!(done.result_version, Some(3));
    Ok(())
}

async fn a_blocked_reply_cannot_be_accepted(b: Backend) -> R {
    let Setup { srv, t, reply, .. } = setup(&b).await?;
    let policy = Policy {
        words: vec![],
        allow: vec![],
        block: vec!["offsite-contact".into()],
    };
    let p = var(POLICY_VAR, &policy.to_value());
    ok_json::<serde_json::Value>(srv.put(&t.owner, t.lib, 0, "p1", &p).await?).await?;
    let s1 = change_of(&reply, "亲，加客服微信发您优惠券", "");
    ok_json::<Suggestion>(suggest(&srv, &t.agent, t.lib, &s1).await?).await?;
    let e = err(
        accept(
            &srv,
            &t.owner,
            s1.id,
            &AcceptSuggestion {
                if_match: 1,
                ..Default::default()
            },
        )
        .await?,
        StatusCode::UNPROCESSABLE_ENTITY,
        codes::COMPLIANCE_BLOCKED,
    )
    .await?;
    assert!(e.message.contains("微信"), "{}", e.message);
    // Still pending: the lead may edit it into shape and accept that.
    assert_eq!(
        list(&srv, &t.owner).await?[0].status,
        SuggestionStatus::Pending
    );
    let fixed = with_body(&reply, "亲，优惠券在店铺首页领取");
    let done: Suggestion = ok_json(
        accept(
            &srv,
            &t.owner,
            s1.id,
            &AcceptSuggestion {
                if_match: 1,
                doc: Some(fixed),
                comment: Some("不能提微信，我改了一下".into()),
            },
        )
        .await?,
    )
    .await?;
    assert_eq!(done.result_version, Some(2));
    Ok(())
}

/// The next `suggestion` event of a stream (skipping `head` events).
async fn next_suggestion(sse: &mut SseReader) -> R<SuggestionEvent> {
    loop {
        let ev = sse
            .next(Duration::from_secs(20))
            .await?
            .ok_or_else(|| fail("the stream ended"))?;
        if ev.event == "suggestion" {
            assert!(ev.id.is_empty(), "a suggestion event has no id");
            return Ok(serde_json::from_str(&ev.data)?);
        }
    }
}

async fn the_stream_tells_leads_and_the_author_only(b: Backend) -> R {
    let Setup {
        srv,
        t,
        agent2,
        reply,
    } = setup(&b).await?;
    let mut lead = SseReader::open(&srv, &t.owner, None).await?;
    let mut author = SseReader::open(&srv, &t.agent, None).await?;
    let mut other = SseReader::open(&srv, &agent2, None).await?;
    let s1 = change_of(&reply, "亲，下单后24小时内发货哦", "");
    ok_json::<Suggestion>(suggest(&srv, &t.agent, t.lib, &s1).await?).await?;
    let ev = next_suggestion(&mut lead).await?;
    assert_eq!((ev.id, ev.status), (s1.id, SuggestionStatus::Pending));
    assert_eq!(next_suggestion(&mut author).await?.id, s1.id);
    ok_json::<Suggestion>(decline(&srv, &t.owner, s1.id, "先不改").await?).await?;
    let ev = next_suggestion(&mut author).await?;
    assert_eq!((ev.id, ev.status), (s1.id, SuggestionStatus::Declined));
    // The other agent heard nothing of it: the first suggestion event it hears is its own.
    let s2 = change_of(&reply, "亲，今天发", "");
    ok_json::<Suggestion>(suggest(&srv, &agent2, t.lib, &s2).await?).await?;
    assert_eq!(next_suggestion(&mut other).await?.id, s2.id);
    Ok(())
}

async fn a_member_has_at_most_so_many_waiting(b: Backend) -> R {
    let Setup {
        srv,
        t,
        agent2,
        reply,
    } = setup(&b).await?;
    let mut first = None;
    for i in 0..MAX_PENDING_SUGGESTIONS {
        let s = change_of(&reply, &format!("第{i}条"), "");
        ok_json::<Suggestion>(suggest(&srv, &t.agent, t.lib, &s).await?).await?;
        first.get_or_insert(s);
    }
    let first = first.ok_or_else(|| fail("no suggestion made"))?;
    // One more is refused, saying why; a retry of one sent before is still answered.
    let e = err(
        suggest(&srv, &t.agent, t.lib, &change_of(&reply, "再来一条", "")).await?,
        StatusCode::CONFLICT,
        codes::CONFLICT,
    )
    .await?;
    assert!(e.message.contains("waiting for a lead"), "{}", e.message);
    assert!(e.message.contains("已到上限"), "{}", e.message);
    ok_json::<Suggestion>(suggest(&srv, &t.agent, t.lib, &first).await?).await?;
    // Another member is not held back by it; a decided one makes room.
    ok_json::<Suggestion>(suggest(&srv, &agent2, t.lib, &change_of(&reply, "小张的", "")).await?)
        .await?;
    ok_json::<Suggestion>(decline(&srv, &t.owner, first.id, "重复了").await?).await?;
    ok_json::<Suggestion>(
        suggest(&srv, &t.agent, t.lib, &change_of(&reply, "再来一条", "")).await?,
    )
    .await?;
    Ok(())
}

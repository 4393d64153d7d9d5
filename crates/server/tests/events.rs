//! Live `head` events (SSE) against a real server on both backends, and two servers on
//! one PostgreSQL database (the `multi_instance` tests): heads, sequence numbers, digests
//! and images agree, and a revocation on one instance locks the device out on the other.
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

use std::time::Duration;

use quickreply_proto::api::{Item, LibraryDigest, Me, PutItem, Role};
use reqwest::{Method, StatusCode};
use uuid::Uuid;

use backend::{Backend, R, fail};
use server::{Srv, SseReader, Team, enc, err, head_of, image, ok_json, sha_hex, snippet, var};

on_both_backends!(events_announce_heads_live_and_resume_from_last_event_id,);

async fn events_announce_heads_live_and_resume_from_last_event_id(b: Backend) -> R {
    let srv = Srv::start(&b).await?;
    let t = srv.team().await?;
    let quick = Duration::from_millis(300);
    let wait = Duration::from_secs(5);

    ok_json::<Item>(srv.put(&t.owner, t.lib, 0, "o1", &var("a", "1")).await?).await?;

    // A fresh stream announces every non-empty readable library.
    let mut agent = SseReader::open(&srv, &t.agent, None).await?;
    let first = agent
        .next(wait)
        .await?
        .ok_or_else(|| fail("no initial head"))?;
    let h = head_of(&first)?;
    assert_eq!((h.library_id, h.head), (t.lib, 1));
    assert_eq!(h.item, None, "a replayed head carries no item");
    assert!(
        agent.next(quick).await?.is_none(),
        "nothing else to announce"
    );

    // A write is pushed live.
    ok_json::<Item>(srv.put(&t.owner, t.lib, 0, "o2", &var("b", "1")).await?).await?;
    let live = agent
        .next(wait)
        .await?
        .ok_or_else(|| fail("no live head"))?;
    let h = head_of(&live)?;
    assert_eq!((h.library_id, h.head), (t.lib, 2));
    // … with the small item inline: one change after the agent's cursor 1.
    let inline = h.next_after(1).ok_or_else(|| fail("no inline item"))?;
    assert_eq!(
        (inline.key.as_str(), inline.version, inline.seq),
        ("var:b", 1, 2)
    );
    assert_eq!(inline.doc, Some(var("b", "1")));
    assert!(h.next_after(0).is_none(), "two behind: pull instead");
    // A big item is announced without it (the client pulls).
    let big = "长".repeat(2000);
    ok_json::<Item>(srv.put(&t.owner, t.lib, 0, "o3", &var("big", &big)).await?).await?;
    let big_ev = agent
        .next(wait)
        .await?
        .ok_or_else(|| fail("no head for the big item"))?;
    let h = head_of(&big_ev)?;
    assert_eq!((h.head, h.item), (3, None));
    let last_id = big_ev.id.clone();
    assert!(last_id.parse::<i64>()? > live.id.parse::<i64>()?);
    assert!(live.id.parse::<i64>()? > first.id.parse::<i64>()?);

    // The owner's personal writes are not the agent's business.
    ok_json::<Item>(
        srv.put(
            &t.owner,
            t.owner_me.personal_library,
            0,
            "p1",
            &var("p", "1"),
        )
        .await?,
    )
    .await?;
    assert!(
        agent.next(quick).await?.is_none(),
        "foreign personal library leaked"
    );
    drop(agent);

    // Offline meanwhile: the agent's own library changes. Resuming sees only that.
    ok_json::<Item>(
        srv.put(
            &t.agent,
            t.agent_me.personal_library,
            0,
            "a1",
            &var("x", "1"),
        )
        .await?,
    )
    .await?;
    let mut resumed = SseReader::open(&srv, &t.agent, Some(&last_id)).await?;
    let ev = resumed
        .next(wait)
        .await?
        .ok_or_else(|| fail("no resumed head"))?;
    let h = head_of(&ev)?;
    assert_eq!((h.library_id, h.head), (t.agent_me.personal_library, 1));
    assert!(
        resumed.next(quick).await?.is_none(),
        "the team head was already seen"
    );

    // Up to date: nothing at all.
    let mut current = SseReader::open(&srv, &t.agent, Some(&ev.id)).await?;
    assert!(current.next(quick).await?.is_none());
    drop(current);

    // Revoking the device ends its stream.
    let r = srv
        .req(
            Method::DELETE,
            &format!("/v1/devices/{}", t.agent_me.device_id),
            &t.owner,
        )
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(resumed.ended(wait).await?, "a revoked device's stream ends");

    // Shutting down ends the owner's stream too, and the server stops.
    let mut owner = SseReader::open(&srv, &t.owner, None).await?;
    let mut heads = Vec::new();
    while let Some(ev) = owner.next(quick).await? {
        heads.push(head_of(&ev)?.library_id);
    }
    assert_eq!(
        heads,
        vec![t.lib, t.owner_me.personal_library],
        "oldest change first"
    );
    let stopping = tokio::spawn(srv.stop());
    assert!(owner.ended(wait).await?);
    tokio::time::timeout(wait, stopping).await???;
    Ok(())
}

// ---- several instances on one PostgreSQL database ----

/// Two servers on one fresh PostgreSQL database: the first made the team.
async fn two_instances() -> R<Option<(Srv, Srv, Team, String)>> {
    let Some(cluster) = pg::shared()? else {
        return Ok(None);
    };
    let url = cluster.database()?;
    let backend = Backend::Postgres(url.clone());
    let a = Srv::start(&backend).await?;
    let t = a.team().await?;
    let b = Srv::start_any(&backend, |_| {}).await?;
    assert!(
        b.setup.is_empty(),
        "the database has an owner: no setup code"
    );
    Ok(Some((a, b, t, url)))
}

async fn digest_of(srv: &Srv, token: &str, lib: Uuid) -> R<LibraryDigest> {
    ok_json(
        srv.req(Method::GET, &format!("/v1/libraries/{lib}/digest"), token)
            .send()
            .await?,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_instance_heads_seqs_digests_and_images_agree() -> R {
    let Some((a, b, t, url)) = two_instances().await? else {
        return Ok(());
    };
    let wait = Duration::from_secs(5);

    // A client of instance B hears of a write made through instance A.
    let mut on_b = SseReader::open(&b, &t.agent, None).await?;
    ok_json::<Item>(a.put(&t.owner, t.lib, 0, "o1", &var("a", "1")).await?).await?;
    let ev = on_b
        .next(wait)
        .await?
        .ok_or_else(|| fail("instance B did not announce a write made through A"))?;
    let h = head_of(&ev)?;
    assert_eq!((h.library_id, h.head), (t.lib, 1));
    assert_eq!(
        h.next_after(0).map(|i| i.key.as_str()),
        Some("var:a"),
        "the NOTIFY carried the item"
    );
    let mut last_id: i64 = ev.id.parse()?;

    // Concurrent writers on both instances, interleaved: the team library's sequence stays
    // gap-free and every write got its own number.
    let writers: i64 = 4;
    let per_writer: i64 = 10;
    let mut tasks = Vec::new();
    for w in 0..writers {
        let (base_a, base_b) = (a.base.clone(), b.base.clone());
        let token = t.owner.clone();
        let lib = t.lib;
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut seqs = Vec::new();
            for i in 0..per_writer {
                let base = if (w + i) % 2 == 0 { &base_a } else { &base_b };
                let doc = var(&format!("w{w}-{i}"), "x");
                let item: Item = ok_json(
                    http.put(format!(
                        "{base}/v1/libraries/{lib}/items/{}",
                        enc(&doc.key())
                    ))
                    .bearer_auth(&token)
                    .header("If-Match", "\"0\"")
                    .json(&PutItem {
                        op: format!("op-{w}-{i}"),
                        doc,
                    })
                    .send()
                    .await?,
                )
                .await?;
                seqs.push(item.seq);
            }
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(seqs)
        }));
    }
    let mut seqs = Vec::new();
    for task in tasks {
        seqs.extend(task.await??);
    }
    seqs.sort_unstable();
    let total = 1 + writers * per_writer;
    let expected: Vec<i64> = (2..=total).collect();
    assert_eq!(seqs, expected, "one seq per write, no gaps, no repeats");

    // Both instances serve the same feed and digest.
    let feed_a = a.changes(&t.agent, t.lib, 0, 1000).await?;
    let feed_b = b.changes(&t.agent, t.lib, 0, 1000).await?;
    assert_eq!(feed_a, feed_b);
    let feed_seqs: Vec<i64> = feed_a.items.iter().map(|i| i.seq).collect();
    assert_eq!(feed_seqs, (1..=total).collect::<Vec<_>>());
    let (da, db) = (
        digest_of(&a, &t.agent, t.lib).await?,
        digest_of(&b, &t.agent, t.lib).await?,
    );
    assert_eq!(da, db);
    assert_eq!(da.head, total);
    assert_eq!(da.digest.count, u64::try_from(total)?);

    // B announced those heads in commit order: ids and heads only grow, up to the last.
    let mut head = 1;
    while head < total {
        let ev = on_b
            .next(wait)
            .await?
            .ok_or_else(|| fail(format!("instance B stopped announcing at head {head}")))?;
        let h = head_of(&ev)?;
        let id: i64 = ev.id.parse()?;
        assert!(id > last_id, "event ids grow: {id} after {last_id}");
        assert!(h.head > head, "heads grow: {} after {head}", h.head);
        (last_id, head) = (id, h.head);
    }
    // Announced once: nothing more (each instance broadcasts only what it hears).
    assert!(on_b.next(Duration::from_millis(300)).await?.is_none());

    // An image uploaded through A is served by B.
    let png = server::png(7);
    let sha = sha_hex(&png);
    let r = a
        .req(Method::PUT, &format!("/v1/blobs/{sha}"), &t.owner)
        .body(png.clone())
        .send()
        .await?;
    assert!(r.status().is_success(), "{}", r.status());
    ok_json::<Item>(
        a.put(&t.owner, t.lib, 0, "img", &snippet("图", vec![image(&sha)]))
            .await?,
    )
    .await?;
    let r = b
        .req(Method::GET, &format!("/v1/blobs/{sha}"), &t.agent)
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await?.to_vec(), png);
    let ev = on_b.next(wait).await?.ok_or_else(|| fail("no head"))?;
    assert_eq!(head_of(&ev)?.head, total + 1);

    // B's listener connection is cut: it reconnects and announces what it missed.
    let db_name = url.rsplit('/').next().unwrap_or_default().to_string();
    let killed = pg::shared()?
        .ok_or_else(|| fail("the cluster went away"))?
        .psql(
            &db_name,
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE application_name = 'quickreply-server listener'
               AND datname = current_database()",
        )?;
    assert_eq!(killed, "2", "both instances listen");
    ok_json::<Item>(a.put(&t.owner, t.lib, 0, "late", &var("late", "1")).await?).await?;
    let ev = on_b
        .next(Duration::from_secs(10))
        .await?
        .ok_or_else(|| fail("no head after the listener reconnected"))?;
    assert_eq!(head_of(&ev)?.head, total + 2);

    a.stop().await?;
    b.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_instance_revoke_through_a_locks_out_on_b() -> R {
    let Some((a, b, t, _)) = two_instances().await? else {
        return Ok(());
    };
    let code = a.invite(&t.agent, Role::Owner, 1, true).await?;
    let (laptop, laptop_me) = a.join(&code, "笔记本", None).await?;

    // B knows the token (and caches it), and streams events to it.
    let me: Me = ok_json(b.req(Method::GET, "/v1/me", &laptop).send().await?).await?;
    assert_eq!(me.device_id, laptop_me.device_id);
    let mut stream = SseReader::open(&b, &laptop, None).await?;

    let r = a
        .req(
            Method::DELETE,
            &format!("/v1/devices/{}", laptop_me.device_id),
            &t.owner,
        )
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    // Instance A: at once.
    err(
        a.req(Method::GET, "/v1/me", &laptop).send().await?,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await?;
    // Instance B forgets its cached token when the revocation's NOTIFY arrives, which takes
    // a moment: until then the token may still work there. It must stop working well
    // before the cache's 5 s lifetime would have expired it anyway.
    let revoked_at = std::time::Instant::now();
    loop {
        let r = b.req(Method::GET, "/v1/me", &laptop).send().await?;
        if r.status() == StatusCode::UNAUTHORIZED {
            break;
        }
        assert_eq!(r.status(), StatusCode::OK);
        if revoked_at.elapsed() > Duration::from_secs(2) {
            return Err(fail("instance B still accepts a token revoked through A"));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    eprintln!(
        "revoked token refused by the other instance after {:?}",
        revoked_at.elapsed()
    );
    assert!(
        stream.ended(Duration::from_secs(5)).await?,
        "the revoked device's stream on B ends"
    );
    // The agent's other device is unaffected on both.
    for srv in [&a, &b] {
        ok_json::<Me>(srv.req(Method::GET, "/v1/me", &t.agent).send().await?).await?;
    }
    a.stop().await?;
    b.stop().await?;
    Ok(())
}

//! Batch writes (`POST /v1/libraries/{id}/items`) against a real server on both backends:
//! each write is answered as its single `PUT`/`DELETE` would be (version checks, replays,
//! conflicts, refusals in place), the head is announced once per batch, and the sync
//! client pushes a bulk import in batches, merges a conflict met inside one, and still
//! syncs with a server that has no batch endpoint (one write at a time, as before).
//!
//! Every scenario runs once on SQLite and once on PostgreSQL (see `support/backend.rs`).

#[path = "support/pg.rs"]
mod pg;
#[macro_use]
#[path = "support/backend.rs"]
mod backend;
#[path = "support/server.rs"]
mod server;

use std::time::Duration;

use quickreply_proto::api::{BatchItem, BatchResults, BatchWrite, Item, ItemDoc, MAX_BATCH, Role};
use quickreply_proto::{Part, SnippetDoc};
use reqwest::{Method, StatusCode};
use uuid::Uuid;

use backend::{Backend, R, fail};
use server::{Srv, SseReader, err, head_of, ok_json, snippet, var};

on_both_backends!(
    a_batch_answers_each_write_as_its_single_write_would,
    the_sync_client_pushes_a_bulk_import_in_batches_and_merges_conflicts_in_them,
    the_sync_client_still_pushes_to_a_server_without_batches,
    pages_of_the_feed_served_again_are_never_stale_nor_shown_to_others,
);

fn put(key: &str, if_match: i64, op: &str, doc: &ItemDoc) -> BatchItem {
    BatchItem {
        key: key.into(),
        if_match,
        op: op.into(),
        doc: Some(doc.clone()),
    }
}

fn delete(key: &str, if_match: i64, op: &str) -> BatchItem {
    BatchItem {
        key: key.into(),
        if_match,
        op: op.into(),
        doc: None,
    }
}

async fn batch(srv: &Srv, token: &str, lib: Uuid, writes: Vec<BatchItem>) -> R<BatchResults> {
    ok_json(
        srv.req(Method::POST, &format!("/v1/libraries/{lib}/items"), token)
            .json(&BatchWrite { writes })
            .send()
            .await?,
    )
    .await
}

fn item(results: &BatchResults, i: usize) -> R<Item> {
    let r = results
        .results
        .get(i)
        .ok_or_else(|| fail(format!("no result {i}")))?;
    r.item
        .clone()
        .filter(|_| r.status == 200)
        .ok_or_else(|| fail(format!("result {i}: {r:?}")))
}

fn statuses(results: &BatchResults) -> Vec<u16> {
    results.results.iter().map(|r| r.status).collect()
}

async fn a_batch_answers_each_write_as_its_single_write_would(b: Backend) -> R {
    let srv = Srv::start(&b).await?;
    let t = srv.team().await?;
    let quick = Duration::from_millis(300);
    let wait = Duration::from_secs(5);
    let mut agent_events = SseReader::open(&srv, &t.agent, None).await?;

    let a = snippet(
        "发货",
        vec![Part::Text {
            body: "今天发".into(),
        }],
    );
    let v = var("店名", "小美家居");
    let d = snippet(
        "退货",
        vec![Part::Text {
            body: "七天".into(),
        }],
    );
    let results = batch(
        &srv,
        &t.owner,
        t.lib,
        vec![
            put(&a.key(), 0, "a1", &a),
            put(&v.key(), 0, "v1", &v),
            // Deleting what never existed, a document under another key: refused in place.
            delete("nothing-here", 0, "x1"),
            put("other-key", 0, "x2", &d),
            put(&d.key(), 0, "d1", &d),
        ],
    )
    .await?;
    assert_eq!(statuses(&results), vec![200, 200, 404, 400, 200]);
    let first = item(&results, 0)?;
    assert_eq!((first.version, first.seq, first.op.as_str()), (1, 1, "a1"));
    assert_eq!(
        item(&results, 4)?.seq,
        3,
        "refused writes take no sequence number"
    );
    let refusal = results.results[3]
        .error
        .clone()
        .ok_or_else(|| fail("no error"))?;
    assert_eq!(refusal.code, "bad_request");
    assert!(refusal.message.contains("other-key"), "{}", refusal.message);

    // The whole batch is one head event (with the last item inline), not one per write.
    let ev = agent_events
        .next(wait)
        .await?
        .ok_or_else(|| fail("no event"))?;
    let head = head_of(&ev)?;
    assert_eq!(head.head, 3);
    assert_eq!(head.item.map(|i| i.key), Some(d.key()));
    assert!(
        agent_events.next(quick).await?.is_none(),
        "one event per batch"
    );

    // A replay answers the item as it is; a stale version is a 412 with the current
    // item; the right versions edit and delete.
    let mut a2 = a.clone();
    if let ItemDoc::Snippet(SnippetDoc { title, .. }) = &mut a2 {
        *title = "发货时间".into();
    }
    let results = batch(
        &srv,
        &t.owner,
        t.lib,
        vec![
            put(&a.key(), 0, "a1", &a),
            put(&a.key(), 0, "a-stale", &a2),
            put(&a.key(), 1, "a2", &a2),
            delete(&v.key(), 1, "v2"),
            delete(&v.key(), 2, "v3"),
        ],
    )
    .await?;
    assert_eq!(statuses(&results), vec![200, 412, 200, 200, 404]);
    assert_eq!(item(&results, 0)?, first, "a replay writes nothing");
    let conflict = results.results[1]
        .error
        .clone()
        .ok_or_else(|| fail("no error"))?;
    assert_eq!(conflict.code, "conflict");
    assert_eq!(conflict.current, Some(first.clone()));
    assert_eq!(item(&results, 2)?.version, 2);
    let gone = item(&results, 3)?;
    assert!(gone.deleted && gone.doc.is_none());

    // The change feed holds what the single writes would have left.
    let feed = srv.changes(&t.agent, t.lib, 0, 100).await?;
    let mut seen: Vec<(String, i64, bool)> = feed
        .items
        .iter()
        .map(|i| (i.key.clone(), i.version, i.deleted))
        .collect();
    seen.sort();
    let mut want = vec![(a.key(), 2, false), (v.key(), 2, true), (d.key(), 1, false)];
    want.sort();
    assert_eq!(seen, want);
    assert_eq!(feed.cursor, 5);

    // An agent may not write the team library: every write refused, nothing written.
    let results = batch(
        &srv,
        &t.agent,
        t.lib,
        vec![put(&var("x", "1").key(), 0, "g1", &var("x", "1"))],
    )
    .await?;
    assert_eq!(statuses(&results), vec![403]);
    assert_eq!(srv.changes(&t.agent, t.lib, 0, 100).await?.cursor, 5);

    // More than a batch may hold: refused as a whole.
    let many = (0..=MAX_BATCH)
        .map(|i| {
            let doc = var(&format!("v{i}"), "1");
            put(&doc.key(), 0, &format!("m{i}"), &doc)
        })
        .collect();
    let resp = srv
        .req(
            Method::POST,
            &format!("/v1/libraries/{}/items", t.lib),
            &t.owner,
        )
        .json(&BatchWrite { writes: many })
        .send()
        .await?;
    err(resp, StatusCode::PAYLOAD_TOO_LARGE, "too_large").await?;
    srv.stop().await?;
    Ok(())
}

/// Pages many devices ask for are encoded once and served again (`src/pages.rs`): never
/// after the library moved on, and never to a device that may not read the library.
async fn pages_of_the_feed_served_again_are_never_stale_nor_shown_to_others(b: Backend) -> R {
    let srv = Srv::start(&b).await?;
    let t = srv.team().await?;
    let a = var("店名", "小美家居");
    ok_json::<Item>(srv.put(&t.owner, t.lib, 0, "a1", &a).await?).await?;
    let first = srv.changes(&t.agent, t.lib, 0, 100).await?;
    assert_eq!(srv.changes(&t.owner, t.lib, 0, 100).await?, first);
    assert_eq!(first.items.len(), 1);
    // The same page after a write: the new version, not the page served before.
    ok_json::<Item>(
        srv.put(&t.owner, t.lib, 1, "a2", &var("店名", "小美"))
            .await?,
    )
    .await?;
    let second = srv.changes(&t.agent, t.lib, 0, 100).await?;
    assert_eq!(second.items.len(), 1);
    assert_eq!((second.items[0].version, second.cursor), (2, 2));
    // The owner's personal library, read by the owner: still not the agent's to read.
    let personal = t.owner_me.personal_library;
    ok_json::<Item>(srv.put(&t.owner, personal, 0, "p1", &a).await?).await?;
    srv.changes(&t.owner, personal, 0, 100).await?;
    let resp = srv
        .req(
            Method::GET,
            &format!("/v1/libraries/{personal}/changes?since=0&limit=100"),
            &t.agent,
        )
        .send()
        .await?;
    err(resp, StatusCode::NOT_FOUND, "not_found").await?;
    srv.stop().await?;
    Ok(())
}

/// `n` new replies, as an import makes them.
fn imported(n: usize) -> Vec<quickreply_core::NewSnippet> {
    (0..n)
        .map(|i| quickreply_core::NewSnippet {
            title: format!("导入话术{i}"),
            tags: vec!["导入".into()],
            parts: vec![Part::Text {
                body: format!("亲，这是第{i}条导入的回复"),
            }],
            ..Default::default()
        })
        .collect()
}

/// A lead's computer (the team's owner, with `lib` synced) in `dir`.
fn lead_computer(
    dir: &std::path::Path,
    base: &str,
    setup: &str,
    lib: Uuid,
) -> R<quickreply_core::Store> {
    let mut store = quickreply_core::Store::open(dir)?;
    let (acc, _) = quickreply_sync::join(&mut store, base, setup, "lead-pc", Some("王主管"))?;
    let client = quickreply_sync::client_for(&store, &acc)?;
    client.create_library(&quickreply_proto::api::CreateLibrary {
        id: lib,
        name: "团队话术".into(),
    })?;
    quickreply_sync::sync_once(&mut store)?;
    Ok(store)
}

fn team_of(store: &quickreply_core::Store, lib: Uuid) -> R<quickreply_core::store::Library> {
    store
        .libraries()?
        .into_iter()
        .find(|l| l.id == lib)
        .ok_or_else(|| fail("no team library"))
}

async fn the_sync_client_pushes_a_bulk_import_in_batches_and_merges_conflicts_in_them(
    b: Backend,
) -> R {
    let srv = Srv::start(&b).await?;
    let (base, setup) = (srv.base.clone(), srv.setup.clone());
    let lib = Uuid::now_v7();
    let dir = tempfile::tempdir()?;
    let lead_dir = dir.path().join("lead");
    let n = MAX_BATCH * 2 + 7;
    // The lead imports (more than two batches' worth) and edits one reply that a second
    // computer of the lead changes on the server meanwhile.
    let (store, first, code) = tokio::task::spawn_blocking(move || -> R<_> {
        let mut store = lead_computer(&lead_dir, &base, &setup, lib)?;
        let team = team_of(&store, lib)?;
        let first = store.add_snippet(
            &team,
            quickreply_core::NewSnippet {
                title: "首条话术".into(),
                parts: vec![Part::Text {
                    body: "亲，在的".into(),
                }],
                ..Default::default()
            },
        )?;
        quickreply_sync::sync_once(&mut store)?;
        store.add_snippets(&team, imported(n))?;
        store.edit_snippet(
            first.id,
            quickreply_core::SnippetEdit {
                tags: Some(vec!["本机".into()]),
                ..Default::default()
            },
        )?;
        let acc = quickreply_sync::accounts(&store)?
            .into_iter()
            .next()
            .ok_or_else(|| fail("no account"))?;
        let code = quickreply_sync::client_for(&store, &acc)?
            .invite(&quickreply_proto::api::InviteRequest {
                role: Role::Editor,
                uses: 1,
                expires_in: 600,
                pairing: false,
            })?
            .code;
        Ok((store, first.id, code))
    })
    .await??;
    // The other computer's edit of the same reply (its title), straight to the server.
    let (editor, _) = srv.join(&code, "lead-laptop", Some("小李")).await?;
    let feed = srv.changes(&editor, lib, 0, 10).await?;
    let current = feed
        .items
        .iter()
        .find(|i| i.key == first.to_string())
        .cloned()
        .ok_or_else(|| fail("the first reply is not on the server"))?;
    let mut theirs = current.doc.clone().ok_or_else(|| fail("no doc"))?;
    if let ItemDoc::Snippet(s) = &mut theirs {
        s.title = "首条话术（改）".into();
    }
    ok_json::<Item>(
        srv.put(&editor, lib, current.version, "laptop-1", &theirs)
            .await?,
    )
    .await?;

    let (report, count, title, tags, store) = tokio::task::spawn_blocking(move || -> R<_> {
        let mut store = store;
        let report = quickreply_sync::sync_once(&mut store)?;
        let team = team_of(&store, lib)?;
        let count = store.snippets(Some(&team))?.len();
        let merged = store.snippet(first)?;
        Ok((report, count, merged.title, merged.tags, store))
    })
    .await??;
    assert_eq!(report.pushed, n + 1, "{report:?}");
    assert!(report.refused.is_empty(), "{report:?}");
    assert_eq!(count, n + 1);
    // Both edits kept: the title from the laptop, the tag from this computer.
    assert_eq!(title, "首条话术（改）");
    assert_eq!(tags, vec!["本机".to_string()]);
    // The server has every reply, and agrees with the lead's computer.
    let mut store = store;
    let verify = tokio::task::spawn_blocking(move || quickreply_sync::verify(&mut store)).await??;
    assert!(
        verify.iter().all(|l| l.in_sync()),
        "the lead's computer and the server disagree: {verify:?}"
    );
    let mut live = 0;
    let mut since = 0;
    loop {
        let page = srv.changes(&editor, lib, since, 1000).await?;
        live += page.items.iter().filter(|i| !i.deleted).count();
        since = page.cursor;
        if !page.more {
            break;
        }
    }
    assert_eq!(live, n + 1);
    srv.stop().await?;
    Ok(())
}

async fn the_sync_client_still_pushes_to_a_server_without_batches(b: Backend) -> R {
    let srv = Srv::start(&b).await?;
    let old = old_server::start(&srv.base).await?;
    let (setup, lib) = (srv.setup.clone(), Uuid::now_v7());
    let dir = tempfile::tempdir()?;
    let lead_dir = dir.path().join("lead");
    let n = 30;
    let base = old.base.clone();
    let (report, count) = tokio::task::spawn_blocking(move || -> R<_> {
        let mut store = lead_computer(&lead_dir, &base, &setup, lib)?;
        let team = team_of(&store, lib)?;
        store.add_snippets(&team, imported(n))?;
        let report = quickreply_sync::sync_once(&mut store)?;
        let verify = quickreply_sync::verify(&mut store)?;
        assert!(verify.iter().all(|l| l.in_sync()), "{verify:?}");
        Ok((report, store.snippets(Some(&team))?.len()))
    })
    .await??;
    assert_eq!((report.pushed, count), (n, n), "{report:?}");
    assert!(
        old.refused_batches() > 0,
        "the client tried a batch, heard 404 and wrote one by one"
    );
    srv.stop().await?;
    Ok(())
}

/// A server as it was before batches: a proxy in front of the real one that answers
/// `POST /v1/libraries/{id}/items` as an unknown endpoint (`404`, the old server's JSON)
/// and passes everything else on.
mod old_server {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::body::{Body, Bytes};
    use axum::extract::{Request, State};
    use axum::http::{HeaderMap, Method, StatusCode};
    use axum::response::{IntoResponse, Response};

    use crate::backend::R;

    pub struct Old {
        pub base: String,
        refused: Arc<AtomicUsize>,
    }

    impl Old {
        pub fn refused_batches(&self) -> usize {
            self.refused.load(Ordering::Relaxed)
        }
    }

    #[derive(Clone)]
    struct Proxy {
        upstream: String,
        http: reqwest::Client,
        refused: Arc<AtomicUsize>,
    }

    pub async fn start(upstream: &str) -> R<Old> {
        let refused = Arc::new(AtomicUsize::new(0));
        let proxy = Proxy {
            upstream: upstream.to_string(),
            http: reqwest::Client::new(),
            refused: refused.clone(),
        };
        let app = axum::Router::new().fallback(forward).with_state(proxy);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Old {
            base: format!("http://{addr}"),
            refused,
        })
    }

    async fn forward(State(p): State<Proxy>, req: Request) -> Response {
        let (parts, body) = req.into_parts();
        let path = parts
            .uri
            .path_and_query()
            .map(|pq| pq.as_str().to_string())
            .unwrap_or_default();
        let segments: Vec<&str> = parts.uri.path().split('/').collect();
        if parts.method == Method::POST
            && matches!(segments.as_slice(), ["", "v1", "libraries", _, "items"])
        {
            p.refused.fetch_add(1, Ordering::Relaxed);
            let body = format!(
                r#"{{"code":"not_found","message":"no such endpoint: POST {}"}}"#,
                parts.uri.path()
            );
            return (
                StatusCode::NOT_FOUND,
                [("content-type", "application/json")],
                body,
            )
                .into_response();
        }
        let bytes: Bytes = match axum::body::to_bytes(body, 64 * 1024 * 1024).await {
            Ok(b) => b,
            Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
        };
        let mut rb = p
            .http
            .request(parts.method.clone(), format!("{}{path}", p.upstream))
            .body(bytes);
        for (name, value) in parts.headers.iter() {
            if name != "host" && name != "content-length" {
                rb = rb.header(name, value);
            }
        }
        let resp = match rb.send().await {
            Ok(r) => r,
            Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
        };
        let status = resp.status();
        let mut headers = HeaderMap::new();
        for (name, value) in resp.headers() {
            if name != "content-length" && name != "transfer-encoding" {
                headers.insert(name, value.clone());
            }
        }
        let body = resp.bytes().await.unwrap_or_default();
        (status, headers, Body::from(body)).into_response()
    }
}

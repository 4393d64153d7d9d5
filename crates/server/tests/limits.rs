//! Connection limits (`limits.rs`, `serve.rs`): the header read timeout, the connection
//! cap, and the event-stream caps under load; and pages of changes capped by bytes
//! (`MAX_PAGE_BYTES`), with the sync client paging through large items. All on both
//! backends.
//!
//! `event_streams_over_the_caps_are_refused_and_the_server_stays_reachable` is the load
//! test: it starts the real `quickreply-server` binary under `prlimit --nofile=1024:1024`
//! (soft and hard, so the server cannot raise it), opens 1,100 event streams from 11
//! devices on loopback, and checks that the excess is answered `503` with a clear message
//! while `/healthz` and writes still answer and held streams still get live events.

#[path = "support/pg.rs"]
mod pg;
#[macro_use]
#[path = "support/backend.rs"]
mod backend;
#[path = "support/server.rs"]
mod server;

use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use quickreply_proto::Part;
use quickreply_proto::api::{Item, MAX_PAGE_BYTES};

use quickreply_proto::api::{ItemDoc, Role};
use reqwest::{Method, StatusCode};

use backend::{Backend, R, fail};
use server::{Srv, enc, err, ok_json, sha_hex, snippet};

on_both_backends!(
    a_stalled_request_head_is_closed_after_the_header_timeout,
    connections_over_the_cap_get_503_and_the_rest_keep_working,
    event_streams_over_the_caps_are_refused_and_the_server_stays_reachable,
    pages_of_changes_are_capped_by_bytes_and_hold_at_least_one_item,
    the_sync_client_pages_through_large_items,
    members_are_refused_writes_past_their_storage_quota,
    a_client_over_its_quota_keeps_the_change_and_still_pulls,
);

/// The most any single wait in these tests may take before it counts as a failure (not a
/// timing assertion: only a bound so a broken server cannot hang the test).
const GUARD: Duration = Duration::from_secs(20);

/// Reads until the peer closes the connection; `Ok(bytes)` once it did.
async fn read_to_close(stream: &mut TcpStream) -> R<Vec<u8>> {
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(GUARD, stream.read(&mut buf)).await {
            Err(_) => return Err(fail("the server did not close the connection")),
            Ok(Ok(0)) | Ok(Err(_)) => return Ok(all),
            Ok(Ok(n)) => all.extend_from_slice(&buf[..n]),
        }
    }
}

/// An answer's head (status line and headers, lower-cased) and as much of its body as came
/// with it.
async fn read_head(stream: &mut TcpStream) -> R<(String, Vec<u8>)> {
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = all.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&all[..end]).to_lowercase();
            return Ok((head, all[end + 4..].to_vec()));
        }
        let n = tokio::time::timeout(GUARD, stream.read(&mut buf))
            .await
            .map_err(|_| fail("no answer"))??;
        if n == 0 {
            return Err(fail(format!(
                "closed before a whole answer: {}",
                String::from_utf8_lossy(&all)
            )));
        }
        all.extend_from_slice(&buf[..n]);
    }
}

fn status_of(head: &str) -> u16 {
    head.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        l.split_once(':')
            .filter(|(n, _)| n.trim() == name)
            .map(|(_, v)| v.trim())
    })
}

/// The rest of a body of `content-length`, after `got`.
#[cfg(unix)]
async fn read_body(stream: &mut TcpStream, head: &str, mut got: Vec<u8>) -> R<Vec<u8>> {
    let len: usize = header(head, "content-length")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| fail(format!("no content-length: {head}")))?;
    let mut buf = [0u8; 4096];
    while got.len() < len {
        let n = tokio::time::timeout(GUARD, stream.read(&mut buf))
            .await
            .map_err(|_| fail("body did not come"))??;
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    Ok(got)
}

async fn a_stalled_request_head_is_closed_after_the_header_timeout(b: Backend) -> R {
    let srv = Srv::start_with(&b, |c| c.header_timeout = Duration::from_secs(1)).await?;
    let addr = srv.base.trim_start_matches("http://").to_string();

    // Half a request line, then nothing: the server closes the connection without an
    // answer of any use (hyper sends nothing or a bare 408).
    let mut half = TcpStream::connect(&addr).await?;
    half.write_all(b"GET /heal").await?;
    let answer = read_to_close(&mut half).await?;
    let text = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || text.starts_with("HTTP/1.1 408"),
        "unexpected answer: {text}"
    );

    // A connection that sends nothing at all, and one idle after a request, likewise.
    let mut silent = TcpStream::connect(&addr).await?;
    read_to_close(&mut silent).await?;
    let mut idle = TcpStream::connect(&addr).await?;
    idle.write_all(format!("GET /healthz HTTP/1.1\r\nhost: {addr}\r\n\r\n").as_bytes())
        .await?;
    let (head, _) = read_head(&mut idle).await?;
    assert_eq!(status_of(&head), 200, "{head}");
    read_to_close(&mut idle).await?;

    // Whole requests are served as ever.
    let r = srv.http.get(srv.url("/healthz")).send().await?;
    assert_eq!(r.text().await?, "ok");
    srv.stop().await?;
    Ok(())
}

async fn connections_over_the_cap_get_503_and_the_rest_keep_working(b: Backend) -> R {
    let srv = Srv::start_with(&b, |c| {
        c.max_connections = Some(4);
        c.max_streams = Some(2);
    })
    .await?;
    let addr = srv.base.trim_start_matches("http://").to_string();
    // Four connections that hold the cap (each has made a request, so each is accepted).
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut s = TcpStream::connect(&addr).await?;
        s.write_all(format!("GET /healthz HTTP/1.1\r\nhost: {addr}\r\n\r\n").as_bytes())
            .await?;
        let (head, _) = read_head(&mut s).await?;
        assert_eq!(status_of(&head), 200, "{head}");
        held.push(s);
    }
    // The fifth is answered 503 (JSON, Retry-After) and closed, its request unread.
    let mut over = TcpStream::connect(&addr).await?;
    over.write_all(format!("GET /healthz HTTP/1.1\r\nhost: {addr}\r\n\r\n").as_bytes())
        .await?;
    let answer = read_to_close(&mut over).await?;
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| fail(format!("not an HTTP answer: {text}")))?;
    let head = head.to_lowercase();
    assert_eq!(status_of(&head), 503, "{text}");
    assert!(header(&head, "retry-after").is_some(), "{head}");
    let body: quickreply_proto::api::ErrorBody = serde_json::from_str(body)?;
    assert_eq!(body.code, "unavailable");
    assert!(body.message.contains("(4)"), "{}", body.message);

    // One fewer held: the server answers again.
    held.pop();
    let mut ok = None;
    for _ in 0..100 {
        // The freed connection's task ends a moment after the peer closes.
        match srv.http.get(srv.url("/healthz")).send().await {
            Ok(r) if r.status() == reqwest::StatusCode::OK => {
                ok = Some(r.text().await?);
                break;
            }
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    assert_eq!(ok.as_deref(), Some("ok"));
    drop(held);
    srv.stop().await?;
    Ok(())
}

/// A reply whose text is `bytes` long (no shortcut code: many of them may share a
/// library).
fn large_reply(title: &str, bytes: usize) -> quickreply_proto::api::ItemDoc {
    let mut doc = snippet(
        title,
        vec![Part::Text {
            body: "话".repeat(bytes / 3),
        }],
    );
    if let quickreply_proto::api::ItemDoc::Snippet(s) = &mut doc {
        s.code = None;
    }
    doc
}

async fn pages_of_changes_are_capped_by_bytes_and_hold_at_least_one_item(b: Backend) -> R {
    let srv = Srv::start_with(&b, |c| c.max_body = 6 * 1024 * 1024).await?;
    let t = srv.team().await?;
    // Ten replies of ~900 kB: four fit in a page of 4 MiB.
    let mut sizes = Vec::new();
    for i in 0..10 {
        let doc = large_reply(&format!("长话术{i}"), 900_000);
        sizes.push(serde_json::to_string(&doc)?.len());
        ok_json::<Item>(
            srv.put(&t.owner, t.lib, 0, &format!("big{i}"), &doc)
                .await?,
        )
        .await?;
    }
    let per_page = MAX_PAGE_BYTES / sizes[0];
    assert_eq!(per_page, 4);
    let mut since = 0;
    let mut pages = Vec::new();
    loop {
        let page = srv.changes(&t.agent, t.lib, since, 1000).await?;
        let bytes: usize = page
            .items
            .iter()
            .map(|i| serde_json::to_string(&i.doc).map(|j| j.len()))
            .sum::<Result<_, _>>()?;
        assert!(bytes <= MAX_PAGE_BYTES, "a page of {bytes} bytes");
        assert!(!page.items.is_empty(), "an empty page at {since}");
        assert_eq!(page.cursor, page.items.last().map_or(0, |i| i.seq));
        pages.push(page.items.len());
        since = page.cursor;
        if !page.more {
            break;
        }
    }
    assert_eq!(pages, vec![4, 4, 2]);
    assert_eq!(since, 10);

    // The count limit still applies under the byte cap, and `more` says so.
    let page = srv.changes(&t.agent, t.lib, 0, 3).await?;
    assert_eq!((page.items.len(), page.cursor, page.more), (3, 3, true));

    // One item larger than a whole page still comes, alone, so a client gets on.
    let huge = large_reply("超长话术", MAX_PAGE_BYTES + 100_000);
    ok_json::<Item>(srv.put(&t.owner, t.lib, 0, "huge", &huge).await?).await?;
    let small = server::var("称呼", "亲");
    ok_json::<Item>(srv.put(&t.owner, t.lib, 0, "small", &small).await?).await?;
    let page = srv.changes(&t.agent, t.lib, 10, 1000).await?;
    assert_eq!(page.items.len(), 1);
    assert_eq!((page.items[0].seq, page.cursor, page.more), (11, 11, true));
    let page = srv.changes(&t.agent, t.lib, 11, 1000).await?;
    assert_eq!((page.items.len(), page.cursor, page.more), (1, 12, false));
    srv.stop().await?;
    Ok(())
}

async fn the_sync_client_pages_through_large_items(b: Backend) -> R {
    let srv = Srv::start_with(&b, |c| c.max_body = 2 * 1024 * 1024).await?;
    let t = srv.team().await?;
    // 12 MB of replies: at least three pages.
    for i in 0..12 {
        let doc = large_reply(&format!("长话术{i}"), 1_000_000);
        ok_json::<Item>(
            srv.put(&t.owner, t.lib, 0, &format!("big{i}"), &doc)
                .await?,
        )
        .await?;
    }
    let code = srv
        .invite(&t.owner, quickreply_proto::api::Role::Agent, 1, false)
        .await?;
    let base = srv.base.clone();
    let lib = t.lib;
    let dir = tempfile::tempdir()?;
    let data = dir.path().to_path_buf();
    let (pulled, replies) = tokio::task::spawn_blocking(move || -> R<(usize, usize)> {
        let mut store = quickreply_core::Store::open(&data)?;
        quickreply_sync::join(&mut store, &base, &code, "新电脑", Some("新人"))?;
        let report = quickreply_sync::sync_once(&mut store)?;
        let library = store
            .libraries()?
            .into_iter()
            .find(|l| l.id == lib)
            .ok_or_else(|| fail("the team library did not arrive"))?;
        Ok((report.pulled, store.snippets(Some(&library))?.len()))
    })
    .await??;
    assert_eq!(replies, 12);
    assert!(pulled >= 12, "pulled {pulled}");
    srv.stop().await?;
    Ok(())
}

/// `doc` with its text `bytes` long (the same reply, edited).
fn resized(doc: &ItemDoc, bytes: usize) -> ItemDoc {
    let mut doc = doc.clone();
    if let ItemDoc::Snippet(s) = &mut doc {
        s.parts = vec![Part::Text {
            body: "话".repeat(bytes / 3),
        }];
    }
    doc
}

/// Every live item's key of a library, as `token` reads it.
async fn keys(srv: &Srv, token: &str, lib: uuid::Uuid) -> R<Vec<String>> {
    let page = srv.changes(token, lib, 0, 1000).await?;
    Ok(page
        .items
        .into_iter()
        .filter(|i| !i.deleted)
        .map(|i| i.key)
        .collect())
}

async fn members_are_refused_writes_past_their_storage_quota(b: Backend) -> R {
    const QUOTA: u64 = 100_000;
    let srv = Srv::start_with(&b, |c| c.member_quota = QUOTA).await?;
    let t = srv.team().await?;
    let code = srv.invite(&t.owner, Role::Editor, 1, false).await?;
    let (editor, _) = srv.join(&code, "编辑电脑", Some("小李")).await?;
    let mine = t.owner_me.personal_library;

    // 40 kB + 40 kB fit in 100 kB; a third does not, and nothing of it is stored.
    let a = large_reply("甲", 40_000);
    let b2 = large_reply("乙", 40_000);
    let c = large_reply("丙", 40_000);
    let a1: Item = ok_json(srv.put(&t.owner, mine, 0, "a1", &a).await?).await?;
    let b1: Item = ok_json(srv.put(&t.owner, mine, 0, "b1", &b2).await?).await?;
    let e = err(
        srv.put(&t.owner, mine, 0, "c1", &c).await?,
        StatusCode::INSUFFICIENT_STORAGE,
        "quota_exceeded",
    )
    .await?;
    assert!(
        e.message.contains("storage quota") && e.message.contains(&format!("{QUOTA} bytes")),
        "{}",
        e.message
    );
    assert_eq!(keys(&srv, &t.owner, mine).await?.len(), 2);

    // Making room: a smaller edit, then the third fits; a delete frees its bytes.
    ok_json::<Item>(
        srv.put(&t.owner, mine, a1.version, "a2", &resized(&a, 10_000))
            .await?,
    )
    .await?;
    ok_json::<Item>(srv.put(&t.owner, mine, 0, "c1", &c).await?).await?;
    let r = srv
        .req(
            Method::DELETE,
            &format!("/v1/libraries/{mine}/items/{}?op=b-del", enc(&b2.key())),
            &t.owner,
        )
        .header("If-Match", format!("\"{}\"", b1.version))
        .send()
        .await?;
    assert!(r.status().is_success(), "{}", r.status());
    // Owner: 10 kB + 40 kB.

    // A team reply is charged to whoever wrote it last: the owner's 40 kB team reply
    // rewritten by the editor is the editor's, and the owner has room again.
    let team_reply = large_reply("团队", 40_000);
    let t1: Item = ok_json(srv.put(&t.owner, t.lib, 0, "t1", &team_reply).await?).await?;
    let d = large_reply("丁", 40_000);
    err(
        srv.put(&t.owner, mine, 0, "d1", &d).await?,
        StatusCode::INSUFFICIENT_STORAGE,
        "quota_exceeded",
    )
    .await?;
    ok_json::<Item>(
        srv.put(
            &editor,
            t.lib,
            t1.version,
            "t2",
            &resized(&team_reply, 41_000),
        )
        .await?,
    )
    .await?;
    ok_json::<Item>(srv.put(&t.owner, mine, 0, "d1", &d).await?).await?;
    // Owner: 10 + 40 + 40 kB; editor: 41 kB.

    // Images count for whoever uploads them first; one already stored costs nothing.
    // A real image (the server stores nothing else) of about 20 kB: noise does not
    // compress.
    let noise = image::RgbImage::from_fn(82, 82, |x, y| {
        let v = x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503).rotate_left(7);
        image::Rgb([(v >> 3) as u8, (v >> 11) as u8, (v >> 19) as u8])
    });
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(noise)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)?;
    assert!((19_000..22_000).contains(&png.len()), "{}", png.len());
    let sha = sha_hex(&png);
    let upload = |token: &str| {
        srv.req(Method::PUT, &format!("/v1/blobs/{sha}"), token)
            .body(png.clone())
            .send()
    };
    let e = err(
        upload(&t.owner).await?,
        StatusCode::INSUFFICIENT_STORAGE,
        "quota_exceeded",
    )
    .await?;
    assert!(e.message.contains("100000 bytes"), "{}", e.message);
    assert_eq!(upload(&editor).await?.status(), StatusCode::NO_CONTENT);
    assert_eq!(upload(&t.owner).await?.status(), StatusCode::NO_CONTENT);
    // The editor now keeps 61 kB: 40 kB more does not fit.
    err(
        srv.put(&editor, t.lib, 0, "e1", &large_reply("戊", 40_000))
            .await?,
        StatusCode::INSUFFICIENT_STORAGE,
        "quota_exceeded",
    )
    .await?;
    srv.stop().await?;
    Ok(())
}

async fn a_client_over_its_quota_keeps_the_change_and_still_pulls(b: Backend) -> R {
    let srv = Srv::start_with(&b, |c| c.member_quota = 50_000).await?;
    let t = srv.team().await?;
    let code = srv.invite(&t.owner, Role::Editor, 1, false).await?;
    let base = srv.base.clone();
    let dir = tempfile::tempdir()?;
    let data = dir.path().to_path_buf();
    let mut store = tokio::task::spawn_blocking(move || -> R<quickreply_core::Store> {
        let mut store = quickreply_core::Store::open(&data)?;
        quickreply_sync::join(&mut store, &base, &code, "编辑电脑", Some("小李"))?;
        quickreply_sync::sync_once(&mut store)?;
        let personal = store.library(quickreply_core::store::PERSONAL)?;
        store.add_snippet(
            &personal,
            quickreply_core::NewSnippet {
                title: "超长话术".into(),
                parts: vec![Part::Text {
                    body: "话".repeat(30_000),
                }],
                ..Default::default()
            },
        )?;
        Ok(store)
    })
    .await??;
    // Meanwhile the owner adds a team reply.
    ok_json::<Item>(
        srv.put(&t.owner, t.lib, 0, "o1", &server::var("称呼", "亲"))
            .await?,
    )
    .await?;
    let lib = t.lib;
    let (refused, pulled, waiting, store) = tokio::task::spawn_blocking(move || {
        let report = quickreply_sync::sync_once(&mut store)?;
        let team = store
            .libraries()?
            .into_iter()
            .find(|l| l.id == lib)
            .ok_or_else(|| fail("no team library"))?;
        let vars = store.variable_list(&team)?.len();
        let waiting = quickreply_sync::pending(&store)?;
        R::Ok((report.refused, vars, waiting, store))
    })
    .await??;
    // (A round pushes before and after pulling: the refusal may be listed for each.)
    assert!(
        !refused.is_empty() && refused.iter().all(|r| r.contains("storage quota")),
        "{refused:?}"
    );
    assert_eq!(pulled, 1, "the round went on and pulled the team's change");
    assert!(waiting > 0, "the refused change waits to be sent again");
    drop(store);
    srv.stop().await?;
    Ok(())
}

/// 1,100 event streams at a 1,024 open-files limit (see the file's docs).
async fn event_streams_over_the_caps_are_refused_and_the_server_stays_reachable(b: Backend) -> R {
    #[cfg(unix)]
    {
        load::run(b).await
    }
    #[cfg(not(unix))]
    {
        let _ = b;
        Ok(())
    }
}

#[cfg(unix)]
mod load {
    use std::io::BufRead as _;
    use std::process::{Child, Command, Stdio};
    use std::time::Duration;

    use quickreply_proto::api::{
        ErrorBody, InviteRequest, InviteResponse, Item, JoinRequest, JoinResponse, PutItem, Role,
    };
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::TcpStream;

    use super::{GUARD, header, read_body, read_head, read_to_close, status_of};
    use crate::backend::{Backend, R, fail};
    use crate::server::{enc, ok_json, var};

    /// The soft and hard open-files limit the server runs under.
    const OPEN_FILES: u64 = 1024;
    /// Its event-stream cap at that limit: (1,024 − 128 files) − 128 connections.
    const STREAM_CAP: usize = 768;
    /// The per-device cap the test sets.
    const PER_DEVICE: usize = 100;
    /// Streams the first device asks for (50 over its cap) …
    const FIRST_DEVICE: usize = 150;
    /// … and each of the ten others (under their cap; together over the total).
    const OTHER_DEVICES: usize = 10;
    const PER_OTHER: usize = 95;

    /// Kills the server when the test ends, however it ends.
    struct Running(Child);

    impl Drop for Running {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    pub async fn run(b: Backend) -> R {
        // This process holds ~800 sockets itself.
        rlimit::increase_nofile_limit(4096)?;
        let dir = tempfile::tempdir()?;
        let log = std::fs::File::create(dir.path().join("server.log"))?;
        let mut command = Command::new("prlimit");
        command
            .arg(format!("--nofile={OPEN_FILES}:{OPEN_FILES}"))
            .arg("--")
            .arg(env!("CARGO_BIN_EXE_quickreply-server"))
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args(["--listen", "127.0.0.1:0", "--join-per-minute", "1000"])
            // Streams given back are noticed at the next keep-alive write.
            .args(["--heartbeat-secs", "1"])
            .args(["--max-event-streams-per-device", &PER_DEVICE.to_string()])
            .env_remove("QUICKREPLY_DATABASE_URL")
            .env_remove("QUICKREPLY_CONFIG")
            .stdout(Stdio::piped())
            .stderr(log);
        if let Backend::Postgres(url) = &b {
            command.env("QUICKREPLY_DATABASE_URL", url);
        }
        let mut child = Running(
            command
                .spawn()
                .map_err(|e| fail(format!("cannot run prlimit (util-linux): {e}")))?,
        );
        let stdout = child.0.stdout.take().ok_or_else(|| fail("no stdout"))?;
        let (code, addr) = tokio::task::spawn_blocking(move || -> R<(String, String)> {
            let mut lines = std::io::BufReader::new(stdout).lines();
            let first = lines.next().ok_or_else(|| fail("no output"))??;
            let code = first
                .strip_prefix("setup code: ")
                .ok_or_else(|| fail(format!("first line: {first}")))?
                .to_string();
            let second = lines.next().ok_or_else(|| fail("no second line"))??;
            let addr = second
                .strip_prefix("listening on http://")
                .ok_or_else(|| fail(format!("second line: {second}")))?
                .to_string();
            Ok((code, addr))
        })
        .await??;
        let result = scenario(&code, &addr).await;
        drop(child);
        if result.is_err() {
            let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(30).collect();
            eprintln!(
                "server log (last lines, newest first):\n{}",
                tail.join("\n")
            );
        } else {
            let log = std::fs::read_to_string(dir.path().join("server.log"))?;
            assert!(
                log.contains("open_files=1024") && log.contains("max_event_streams=768"),
                "the server logs its effective limit and caps:\n{log}"
            );
        }
        result
    }

    async fn scenario(code: &str, addr: &str) -> R {
        let base = format!("http://{addr}");
        let http = reqwest::Client::new();
        let join = |code: String, device: String| {
            let http = http.clone();
            let base = base.clone();
            async move {
                ok_json::<JoinResponse>(
                    http.post(format!("{base}/v1/join"))
                        .json(&JoinRequest {
                            code,
                            device_name: device,
                            user_name: None,
                            app_version: "test".into(),
                        })
                        .send()
                        .await?,
                )
                .await
            }
        };
        let owner = join(code.to_string(), "前台电脑".into()).await?;
        let invite: InviteResponse = ok_json(
            http.post(format!("{base}/v1/invites"))
                .bearer_auth(&owner.token)
                .json(&InviteRequest {
                    role: Role::Agent,
                    uses: 20,
                    expires_in: 3600,
                    pairing: false,
                })
                .send()
                .await?,
        )
        .await?;
        let mut devices = vec![(owner.token.clone(), FIRST_DEVICE)];
        for i in 0..OTHER_DEVICES {
            let agent = join(invite.code.clone(), format!("客服{i}号机")).await?;
            devices.push((agent.token, PER_OTHER));
        }
        let asked: usize = devices.iter().map(|(_, n)| n).sum();
        assert_eq!(asked, 1100);

        // Open them one after another, every device in turn (so the total cap is reached
        // with devices still under theirs).
        let mut held: Vec<TcpStream> = Vec::new();
        let (mut by_device, mut by_total) = (0usize, 0usize);
        let mut first_device_held = 0usize;
        for (d, (token, want)) in devices.iter().enumerate() {
            for _ in 0..*want {
                let mut s = TcpStream::connect(addr).await?;
                s.write_all(
                    format!(
                        "GET /v1/events HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {token}\r\n\
                         accept: text/event-stream\r\n\r\n"
                    )
                    .as_bytes(),
                )
                .await?;
                let (head, rest) = read_head(&mut s).await?;
                match status_of(&head) {
                    200 => {
                        assert!(
                            header(&head, "content-type")
                                .is_some_and(|v| v.starts_with("text/event-stream")),
                            "{head}"
                        );
                        if d == 0 {
                            first_device_held += 1;
                        }
                        held.push(s);
                    }
                    503 => {
                        assert_eq!(header(&head, "connection"), Some("close"), "{head}");
                        assert!(header(&head, "retry-after").is_some(), "{head}");
                        let body = read_body(&mut s, &head, rest).await?;
                        let body: ErrorBody = serde_json::from_slice(&body)?;
                        assert_eq!(body.code, "unavailable");
                        if body
                            .message
                            .contains(&format!("this device has {PER_DEVICE}"))
                        {
                            by_device += 1;
                        } else if body
                            .message
                            .contains(&format!("the server has {STREAM_CAP} event streams"))
                        {
                            by_total += 1;
                        } else {
                            return Err(fail(format!("unclear refusal: {}", body.message)));
                        }
                        // The refused connection is closed by the server (its descriptor
                        // is free again).
                        read_to_close(&mut s).await?;
                    }
                    other => return Err(fail(format!("stream answered {other}: {head}"))),
                }
            }
        }
        println!(
            "held {} streams; refused {by_device} by the per-device cap, {by_total} by the total cap",
            held.len()
        );
        assert_eq!(first_device_held, PER_DEVICE);
        assert_eq!(by_device, FIRST_DEVICE - PER_DEVICE);
        assert_eq!(held.len(), STREAM_CAP);
        assert_eq!(by_total, 1100 - STREAM_CAP - by_device);

        // With every stream held: /healthz answers, a write succeeds, and a held stream
        // of the writer's device hears it live.
        let health = http.get(format!("{base}/healthz")).send().await?;
        assert_eq!(health.text().await?, "ok");
        let lib = owner.me.personal_library;
        let doc = var("greeting", "您好");
        let written: Item = ok_json(
            http.put(format!(
                "{base}/v1/libraries/{lib}/items/{}",
                enc(&doc.key())
            ))
            .bearer_auth(&owner.token)
            .header("If-Match", "\"0\"")
            .json(&PutItem {
                op: "load-1".into(),
                doc,
            })
            .send()
            .await?,
        )
        .await?;
        assert_eq!(written.version, 1);
        let first = held.first_mut().ok_or_else(|| fail("nothing held"))?;
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        let needle = format!("\"library_id\":\"{lib}\"");
        while !String::from_utf8_lossy(&seen).contains(&needle) {
            let n = tokio::time::timeout(GUARD, first.read(&mut buf))
                .await
                .map_err(|_| fail("no live event on a held stream"))??;
            if n == 0 {
                return Err(fail("a held stream was closed"));
            }
            seen.extend_from_slice(&buf[..n]);
        }

        // Streams given back free their places: one more opens.
        held.truncate(STREAM_CAP - 1);
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut again = None;
        for _ in 0..100 {
            let r = http
                .get(format!("{base}/v1/events"))
                .bearer_auth(&devices[OTHER_DEVICES].0)
                .send()
                .await?;
            if r.status() == reqwest::StatusCode::OK {
                again = Some(r);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(again.is_some(), "no stream opened after one was given back");
        Ok(())
    }
}

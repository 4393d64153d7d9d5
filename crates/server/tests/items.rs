//! Items against a real server on both backends: versioned writes (conflicts, replays,
//! tombstones), the change feed and digests, every version's history, and image blobs.
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
    Digest, ErrorBody, Item, ItemDoc, ItemVersion, LibraryDigest, PutItem, Role,
};
use quickreply_proto::{FolderDoc, Part};
use reqwest::{Method, StatusCode};
use uuid::Uuid;

use backend::{Backend, R, fail};
use server::{Srv, enc, err, image, ok_json, sha_hex, snippet, var};

on_both_backends!(
    writes_conflict_replay_and_leave_tombstones,
    changes_come_in_pages_and_digests_follow_writes,
    every_version_is_kept_with_who_wrote_it_and_restores_as_a_write,
    blobs_are_verified_and_readable_only_where_referenced,
    blobs_must_be_decodable_images_of_an_allowed_type_and_size,
    an_unset_variable_keeps_its_example_flag_and_a_set_one_is_written_as_before,
);

async fn writes_conflict_replay_and_leave_tombstones(b: Backend) -> R {
    let srv = Srv::start(&b).await?;
    let (tok, me) = srv.owner().await?;
    let lib = me.personal_library;
    let doc = snippet(
        "发货",
        vec![Part::Text {
            body: "亲，今天发货".into(),
        }],
    );
    let key = doc.key();

    let resp = srv.put(&tok, lib, 0, "op-1", &doc).await?;
    assert_eq!(
        resp.headers().get("etag").and_then(|v| v.to_str().ok()),
        Some("\"1\"")
    );
    let first: Item = ok_json(resp).await?;
    assert_eq!((first.version, first.seq, first.deleted), (1, 1, false));
    assert_eq!(first.op, "op-1");
    assert_eq!(first.doc.as_ref(), Some(&doc));

    // The same write again (its answer was lost): the item as it is, nothing written.
    let replay: Item = ok_json(srv.put(&tok, lib, 0, "op-1", &doc).await?).await?;
    assert_eq!(replay, first);
    // Another write from version 0: a conflict carrying the current item.
    let conflict = srv.put(&tok, lib, 0, "op-2", &doc).await?;
    let body = err(conflict, StatusCode::PRECONDITION_FAILED, "conflict").await?;
    assert_eq!(body.current, Some(first.clone()));

    // If-Match without quotes works; missing is refused.
    let edited = snippet(
        "发货",
        vec![Part::Text {
            body: "明天发".into(),
        }],
    );
    let edited = match (edited, &doc) {
        (ItemDoc::Snippet(mut s), ItemDoc::Snippet(orig)) => {
            s.id = orig.id;
            ItemDoc::Snippet(s)
        }
        _ => return Err(fail("snippets expected")),
    };
    let path = format!("/v1/libraries/{lib}/items/{key}");
    let second: Item = ok_json(
        srv.req(Method::PUT, &path, &tok)
            .header("If-Match", "1")
            .json(&PutItem {
                op: "op-3".into(),
                doc: edited.clone(),
            })
            .send()
            .await?,
    )
    .await?;
    assert_eq!((second.version, second.seq), (2, 2));
    let r = srv
        .req(Method::PUT, &path, &tok)
        .json(&PutItem {
            op: "op-4".into(),
            doc: edited.clone(),
        })
        .send()
        .await?;
    let status = r.status();
    assert!(
        status == StatusCode::PRECONDITION_REQUIRED || status == StatusCode::BAD_REQUEST,
        "{status}"
    );
    let body: ErrorBody = r.json().await?;
    assert!(body.message.contains("If-Match"), "{}", body.message);

    // The key must be the document's; documents are validated.
    let r = srv
        .req(
            Method::PUT,
            &format!("/v1/libraries/{lib}/items/other"),
            &tok,
        )
        .header("If-Match", "\"0\"")
        .json(&PutItem {
            op: "x".into(),
            doc: doc.clone(),
        })
        .send()
        .await?;
    err(r, StatusCode::BAD_REQUEST, "bad_request").await?;
    for bad in [
        snippet("", vec![Part::Text { body: "x".into() }]),
        snippet("t", vec![]),
        snippet(
            "t",
            vec![Part::Text {
                body: String::new(),
            }],
        ),
        snippet("t", vec![image("not-a-hash")]),
        snippet("t", vec![image(&"a".repeat(64))]), // never uploaded
        ItemDoc::Folder(FolderDoc {
            id: Uuid::now_v7(),
            parent_id: None,
            name: " ".into(),
            position: 0,
            starts_at: None,
            ends_at: None,
        }),
        var("", "x"),
    ] {
        let r = srv.put(&tok, lib, 0, "bad", &bad).await?;
        let body = err(r, StatusCode::BAD_REQUEST, "bad_request").await?;
        assert!(!body.message.is_empty());
    }
    let mut bad_code = snippet("t", vec![Part::Text { body: "x".into() }]);
    if let ItemDoc::Snippet(s) = &mut bad_code {
        s.code = Some("发货".into());
    }
    err(
        srv.put(&tok, lib, 0, "bad", &bad_code).await?,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await?;

    // Delete: If-Match and op; a tombstone in the feed; replay-safe; absent → 404.
    let del = |if_match: &'static str, op: &'static str, key: String| {
        srv.req(
            Method::DELETE,
            &format!("/v1/libraries/{lib}/items/{key}?op={op}"),
            &tok,
        )
        .header("If-Match", if_match)
        .send()
    };
    let tomb: Item = ok_json(del("\"2\"", "del-1", key.clone()).await?).await?;
    assert!(tomb.deleted && tomb.doc.is_none());
    assert_eq!((tomb.version, tomb.seq), (3, 3));
    let again: Item = ok_json(del("\"2\"", "del-1", key.clone()).await?).await?;
    assert_eq!(again, tomb);
    err(
        del("\"0\"", "del-2", "absent".into()).await?,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await?;
    let no_op = srv
        .req(Method::DELETE, &path, &tok)
        .header("If-Match", "3")
        .send()
        .await?;
    err(no_op, StatusCode::BAD_REQUEST, "bad_request").await?;

    let ch = srv.changes(&tok, lib, 0, 100).await?;
    assert_eq!(ch.items.len(), 1, "one entry per item: its latest state");
    assert_eq!(ch.items[0], tomb);
    assert_eq!(ch.cursor, 3);
    assert!(!ch.more);
    let raw = srv
        .req(
            Method::GET,
            &format!("/v1/libraries/{lib}/changes?since=0"),
            &tok,
        )
        .send()
        .await?
        .text()
        .await?;
    assert!(
        raw.contains("\"deleted\":true") && !raw.contains("\"doc\""),
        "{raw}"
    );

    // A tombstone can be written over (recreated) from its version.
    let back: Item = ok_json(srv.put(&tok, lib, 3, "op-5", &doc).await?).await?;
    assert_eq!((back.version, back.seq, back.deleted), (4, 4, false));
    srv.stop().await?;
    Ok(())
}

async fn changes_come_in_pages_and_digests_follow_writes(b: Backend) -> R {
    let srv = Srv::start(&b).await?;
    let (tok, me) = srv.owner().await?;
    let lib = me.personal_library;
    let digest = |tok: String| {
        let url = srv.url(&format!("/v1/libraries/{lib}/digest"));
        let http = srv.http.clone();
        async move { ok_json::<LibraryDigest>(http.get(url).bearer_auth(tok).send().await?).await }
    };
    let empty = digest(tok.clone()).await?;
    assert_eq!(empty.head, 0);
    assert_eq!(empty.digest, Digest::of([]));

    for i in 0..5 {
        ok_json::<Item>(
            srv.put(&tok, lib, 0, &format!("op{i}"), &var(&format!("v{i}"), "x"))
                .await?,
        )
        .await?;
    }
    let d5 = digest(tok.clone()).await?;
    assert_eq!(d5.head, 5);
    let keys: Vec<String> = (0..5).map(|i| format!("var:v{i}")).collect();
    assert_eq!(d5.digest, Digest::of(keys.iter().map(|k| (k.as_str(), 1))));

    let p1 = srv.changes(&tok, lib, 0, 2).await?;
    assert_eq!(
        p1.items.iter().map(|i| i.seq).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert!(p1.more);
    assert_eq!(p1.cursor, 2);
    let p2 = srv.changes(&tok, lib, p1.cursor, 2).await?;
    assert_eq!(
        p2.items.iter().map(|i| i.seq).collect::<Vec<_>>(),
        vec![3, 4]
    );
    assert!(p2.more);
    let p3 = srv.changes(&tok, lib, p2.cursor, 2).await?;
    assert_eq!(p3.items.len(), 1);
    assert!(!p3.more);
    assert_eq!(p3.cursor, 5);
    let p4 = srv.changes(&tok, lib, 5, 2).await?;
    assert!(p4.items.is_empty() && !p4.more);
    assert_eq!(p4.cursor, 5);

    // Rewriting an item moves it to the end of the feed.
    ok_json::<Item>(srv.put(&tok, lib, 1, "op-again", &var("v0", "y")).await?).await?;
    let tail = srv.changes(&tok, lib, 5, 10).await?;
    assert_eq!(tail.items.len(), 1);
    assert_eq!(
        (tail.items[0].key.as_str(), tail.items[0].seq),
        ("var:v0", 6)
    );
    let d6 = digest(tok.clone()).await?;
    assert_ne!(d6.digest, d5.digest);
    assert_eq!(d6.digest.count, 5);

    for bad in ["since=-1", "limit=0", "since=abc"] {
        let r = srv
            .req(
                Method::GET,
                &format!("/v1/libraries/{lib}/changes?{bad}"),
                &tok,
            )
            .send()
            .await?;
        err(r, StatusCode::BAD_REQUEST, "bad_request").await?;
    }
    srv.stop().await?;
    Ok(())
}

async fn every_version_is_kept_with_who_wrote_it_and_restores_as_a_write(b: Backend) -> R {
    let srv = Srv::start(&b).await?;
    let t = srv.team().await?;
    let editor_code = srv.invite(&t.owner, Role::Editor, 1, false).await?;
    let (editor, _) = srv.join(&editor_code, "编辑的电脑", Some("小美")).await?;
    let history = |token: &str, key: &str| {
        srv.req(
            Method::GET,
            &format!("/v1/libraries/{}/items/{}/history", t.lib, enc(key)),
            token,
        )
        .send()
    };
    ok_json::<Item>(
        srv.put(&t.owner, t.lib, 0, "h1", &var("发货", "48小时"))
            .await?,
    )
    .await?;
    ok_json::<Item>(
        srv.put(&editor, t.lib, 1, "h2", &var("发货", "24小时"))
            .await?,
    )
    .await?;
    let del = srv
        .req(
            Method::DELETE,
            &format!("/v1/libraries/{}/items/{}?op=h3", t.lib, enc("var:发货")),
            &t.owner,
        )
        .header("If-Match", "\"2\"")
        .send()
        .await?;
    ok_json::<Item>(del).await?;

    // Newest first, with who and where; the agent (a reader) may look too.
    let versions: Vec<ItemVersion> = ok_json(history(&t.agent, "var:发货").await?).await?;
    let seen: Vec<(i64, bool, &str, &str)> = versions
        .iter()
        .map(|v| {
            (
                v.version,
                v.deleted,
                v.user_name.as_str(),
                v.device_name.as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (3, true, "老板", "前台电脑"),
            (2, false, "小美", "编辑的电脑"),
            (1, false, "老板", "前台电脑"),
        ]
    );
    assert_eq!(versions[2].doc, Some(var("发货", "48小时")));

    // Restoring version 1 is a write of its document over the tombstone.
    let old = versions[2].doc.clone().ok_or_else(|| fail("no doc"))?;
    let restored: Item = ok_json(srv.put(&editor, t.lib, 3, "h4", &old).await?).await?;
    assert_eq!((restored.version, restored.deleted), (4, false));
    let versions: Vec<ItemVersion> = ok_json(history(&t.owner, "var:发货").await?).await?;
    assert_eq!(versions.len(), 4);
    assert_eq!(versions[0].doc, Some(var("发货", "48小时")));

    // Someone else's personal library, and items that never were: not found.
    let other = srv
        .req(
            Method::GET,
            &format!(
                "/v1/libraries/{}/items/{}/history",
                t.owner_me.personal_library,
                enc("var:x")
            ),
            &t.agent,
        )
        .send()
        .await?;
    err(other, StatusCode::NOT_FOUND, "not_found").await?;
    err(
        history(&t.owner, "var:从没有过").await?,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await?;
    srv.stop().await?;
    Ok(())
}

async fn blobs_are_verified_and_readable_only_where_referenced(b: Backend) -> R {
    let srv = Srv::start_with(&b, |c| c.max_image = 4096).await?;
    let t = srv.team().await?;
    let png = server::png(3);
    let sha = sha_hex(&png);
    let blob_path = format!("/v1/blobs/{sha}");

    let r = srv
        .req(
            Method::PUT,
            &format!("/v1/blobs/{}", sha_hex(b"other")),
            &t.agent,
        )
        .body(png.clone())
        .send()
        .await?;
    err(r, StatusCode::BAD_REQUEST, "hash_mismatch").await?;
    // A real image, but larger than this server's limit of 4096 bytes.
    let big = server::image_bytes(image::ImageFormat::Bmp, 40, 40);
    assert!(big.len() > 4096);
    let r = srv
        .req(
            Method::PUT,
            &format!("/v1/blobs/{}", sha_hex(&big)),
            &t.agent,
        )
        .body(big)
        .send()
        .await?;
    let body = err(r, StatusCode::PAYLOAD_TOO_LARGE, "too_large").await?;
    assert!(
        body.message.contains("at most 4096 bytes"),
        "{}",
        body.message
    );
    let r = srv
        .req(Method::PUT, &blob_path, &t.agent)
        .body(png.clone())
        .send()
        .await?;
    assert!(r.status().is_success(), "{}", r.status());
    let r = srv
        .req(Method::PUT, &blob_path, &t.agent)
        .body(png.clone())
        .send()
        .await?;
    assert!(r.status().is_success(), "uploads are idempotent");

    // Not referenced anywhere yet: nobody reads it.
    err(
        srv.req(Method::GET, &blob_path, &t.agent).send().await?,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await?;

    // Referenced from the agent's personal library: the agent only.
    let doc = snippet("图", vec![image(&sha)]);
    ok_json::<Item>(
        srv.put(&t.agent, t.agent_me.personal_library, 0, "a", &doc)
            .await?,
    )
    .await?;
    let r = srv.req(Method::GET, &blob_path, &t.agent).send().await?;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("image/png")
    );
    assert_eq!(r.bytes().await?.to_vec(), png);
    err(
        srv.req(Method::GET, &blob_path, &t.owner).send().await?,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await?;

    // Referenced from the team library: every member.
    let team_doc = snippet("图", vec![image(&sha)]);
    ok_json::<Item>(srv.put(&t.owner, t.lib, 0, "o", &team_doc).await?).await?;
    let r = srv.req(Method::GET, &blob_path, &t.owner).send().await?;
    assert_eq!(r.status(), StatusCode::OK);

    // Deleting the reference takes the access away again.
    let r = srv
        .req(
            Method::DELETE,
            &format!("/v1/libraries/{}/items/{}?op=d", t.lib, team_doc.key()),
            &t.owner,
        )
        .header("If-Match", "\"1\"")
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::OK);
    err(
        srv.req(Method::GET, &blob_path, &t.owner).send().await?,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await?;
    let r = srv
        .req(Method::PUT, "/v1/blobs/..%2Fserver.db", &t.owner)
        .body(png)
        .send()
        .await?;
    err(r, StatusCode::BAD_REQUEST, "bad_request").await?;
    srv.stop().await?;
    Ok(())
}

/// What one refused upload answers: its status, code and a message naming the problem;
/// nothing is stored (an item referring to it is refused as referring to a missing image).
async fn refused_blob(
    srv: &Srv,
    t: &server::Team,
    bytes: Vec<u8>,
    status: StatusCode,
    code: &str,
    says: &str,
) -> R {
    let sha = sha_hex(&bytes);
    let r = srv
        .req(Method::PUT, &format!("/v1/blobs/{sha}"), &t.owner)
        .body(bytes)
        .send()
        .await?;
    let body = err(r, status, code).await?;
    assert!(
        body.message.contains(says),
        "the {status} answer names the problem ({says}): {}",
        body.message
    );
    let doc = snippet("坏图", vec![image(&sha)]);
    let r = srv
        .put(&t.owner, t.lib, 0, &format!("op-{sha}"), &doc)
        .await?;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "an item referring to a refused upload is refused too"
    );
    Ok(())
}

async fn blobs_must_be_decodable_images_of_an_allowed_type_and_size(b: Backend) -> R {
    use image::ImageFormat as F;
    let srv = Srv::start(&b).await?;
    let t = srv.team().await?;
    let unsupported = StatusCode::UNSUPPORTED_MEDIA_TYPE;
    let damaged = StatusCode::UNPROCESSABLE_ENTITY;

    // Not an image at all: text, an HTML page, an SVG (scripts), an executable.
    for bytes in [
        b"just some text".to_vec(),
        b"<html><script>alert(1)</script></html>".to_vec(),
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script/></svg>".to_vec(),
        b"MZ\x90\0\x03\0\0\0".to_vec(),
    ] {
        refused_blob(&srv, &t, bytes, unsupported, "bad_image", "not an image").await?;
    }
    // Images of a type replies may not carry.
    refused_blob(
        &srv,
        &t,
        b"II*\0\x08\0\0\0\x01\0\0\x01\x03\0\x01\0\0\0\x04\0\0\0".to_vec(),
        unsupported,
        "bad_image",
        "image/tiff images are not allowed",
    )
    .await?;
    refused_blob(
        &srv,
        &t,
        b"\0\0\x01\0\x01\0\x10\x10\0\0\x01\0\x20\0\x68\x04\0\0\x16\0\0\0".to_vec(),
        unsupported,
        "bad_image",
        "not allowed",
    )
    .await?;
    // The right signature, but no image behind it: a PNG cut short, a bare signature.
    let whole = server::image_bytes(F::Png, 64, 64);
    refused_blob(
        &srv,
        &t,
        whole[..whole.len() / 2].to_vec(),
        damaged,
        "bad_image",
        "cannot be decoded",
    )
    .await?;
    refused_blob(
        &srv,
        &t,
        b"\x89PNG\r\n\x1a\n fake image".to_vec(),
        damaged,
        "bad_image",
        "cannot be decoded",
    )
    .await?;
    // Too large: the default limit is the clients' own (a 10 MiB body is answered 413
    // before it is sent whole, so the size answer is checked with a small limit in
    // `blobs_are_verified_and_readable_only_where_referenced`).
    assert_eq!(
        quickreply_server::Config::default().max_image as u64,
        quickreply_proto::MAX_IMAGE_BYTES
    );
    assert_eq!(
        quickreply_core::blob::MAX_IMAGE_BYTES,
        quickreply_proto::MAX_IMAGE_BYTES,
        "the clients refuse the same images locally"
    );

    // Every allowed type is taken and served with its own content type.
    for (format, mime) in [
        (F::Png, "image/png"),
        (F::Jpeg, "image/jpeg"),
        (F::Gif, "image/gif"),
        (F::WebP, "image/webp"),
        (F::Bmp, "image/bmp"),
    ] {
        let bytes = server::image_bytes(format, 5, 3);
        let sha = sha_hex(&bytes);
        let r = srv
            .req(Method::PUT, &format!("/v1/blobs/{sha}"), &t.owner)
            .body(bytes)
            .send()
            .await?;
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "{mime}");
        let doc = snippet(mime, vec![image(&sha)]);
        ok_json::<Item>(
            srv.put(&t.owner, t.lib, 0, &format!("ok-{sha}"), &doc)
                .await?,
        )
        .await?;
        let r = srv
            .req(Method::GET, &format!("/v1/blobs/{sha}"), &t.agent)
            .send()
            .await?;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            r.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some(mime)
        );
    }
    srv.stop().await?;
    Ok(())
}

/// A variable with only an example (unset, `"example": true`) is stored and handed out
/// with the flag; a set one's document carries no such key, as before the flag existed
/// (so older clients read both).
async fn an_unset_variable_keeps_its_example_flag_and_a_set_one_is_written_as_before(
    b: Backend,
) -> R {
    let srv = Srv::start(&b).await?;
    let (tok, me) = srv.owner().await?;
    let lib = me.personal_library;
    let ItemDoc::Variable(mut v) = var("快递公司", "中通快递") else {
        return Err(fail("var() makes a variable"));
    };
    v.example = true;
    let unset = ItemDoc::Variable(v.clone());
    let put: Item = ok_json(srv.put(&tok, lib, 0, "e1", &unset).await?).await?;
    assert_eq!(put.doc.as_ref(), Some(&unset));
    let changes = || async {
        srv.req(
            Method::GET,
            &format!("/v1/libraries/{lib}/changes?since=0"),
            &tok,
        )
        .send()
        .await?
        .text()
        .await
    };
    let raw = changes().await?;
    assert!(raw.contains("\"example\":true"), "{raw}");
    v.example = false;
    v.value = "顺丰".into();
    let set = ItemDoc::Variable(v);
    let put: Item = ok_json(srv.put(&tok, lib, 1, "e2", &set).await?).await?;
    assert_eq!(put.doc.as_ref(), Some(&set));
    let raw = changes().await?;
    assert!(raw.contains("顺丰") && !raw.contains("example"), "{raw}");
    srv.stop().await?;
    Ok(())
}

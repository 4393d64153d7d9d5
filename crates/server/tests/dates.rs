//! Campaign dates (生效 / 失效) on a real server, both backends: a reply's and a folder's
//! dates round-trip through writes, batches and the change feed as they were sent; a date
//! that does not read, or an end not after its start, is refused with the reason; a
//! document without dates (an older client) is stored and served without them.

#[path = "support/pg.rs"]
mod pg;
#[macro_use]
#[path = "support/backend.rs"]
mod backend;
#[path = "support/server.rs"]
mod server;

use quickreply_proto::api::{BatchItem, BatchWrite, Item, ItemDoc};
use quickreply_proto::{FolderDoc, Part};
use reqwest::{Method, StatusCode};
use uuid::Uuid;

use backend::{Backend, R, fail};
use server::{Srv, err, ok_json, snippet};

on_both_backends!(
    dates_round_trip_and_bad_ones_are_refused,
    a_document_without_dates_is_served_without_them,
);

fn dated(
    title: &str,
    folder: Option<Uuid>,
    starts: Option<&str>,
    ends: Option<&str>,
) -> R<ItemDoc> {
    match snippet(
        title,
        vec![Part::Text {
            body: format!("{title}，亲"),
        }],
    ) {
        ItemDoc::Snippet(mut s) => {
            s.code = None;
            s.folder_id = folder;
            s.starts_at = starts.map(str::to_string);
            s.ends_at = ends.map(str::to_string);
            Ok(ItemDoc::Snippet(s))
        }
        _ => Err(fail("a reply expected")),
    }
}

async fn dates_round_trip_and_bad_ones_are_refused(b: Backend) -> R {
    let srv = Srv::start(&b).await?;
    let t = srv.team().await?;
    let folder = ItemDoc::Folder(FolderDoc {
        id: Uuid::now_v7(),
        parent_id: None,
        name: "双11".into(),
        position: 0,
        starts_at: Some("2026-11-01T00:00:00+08:00".into()),
        ends_at: Some("2026-11-12T00:00:00+08:00".into()),
    });
    let folder_id = match &folder {
        ItemDoc::Folder(f) => f.id,
        _ => return Err(fail("a folder expected")),
    };
    let reply = dated(
        "预售定金说明",
        Some(folder_id),
        Some("2026-10-24T20:00:00+08:00"),
        // Another offset is kept as written: the instant is what counts.
        Some("2026-11-11T16:00:00Z"),
    )?;
    for (op, doc) in [("op-f", &folder), ("op-r", &reply)] {
        let item: Item = ok_json(srv.put(&t.owner, t.lib, 0, op, doc).await?).await?;
        assert_eq!(item.doc.as_ref(), Some(doc));
    }
    // An agent pulls them with their dates, exactly as written.
    let changes = srv.changes(&t.agent, t.lib, 0, 100).await?;
    let docs: Vec<&ItemDoc> = changes
        .items
        .iter()
        .filter_map(|i| i.doc.as_ref())
        .collect();
    assert!(
        docs.contains(&&folder) && docs.contains(&&reply),
        "{docs:?}"
    );

    // Refused: a date without an offset, one that does not read, an end before its start.
    for (starts, ends, says) in [
        (Some("2026-11-11"), None, "2026-11-11"),
        (None, Some("双11当天"), "双11当天"),
        (
            Some("2026-11-12T00:00:00+08:00"),
            Some("2026-11-11T00:00:00+08:00"),
            "must be after",
        ),
    ] {
        let bad = dated("坏日期", None, starts, ends)?;
        let body = err(
            srv.put(&t.owner, t.lib, 0, "op-bad", &bad).await?,
            StatusCode::BAD_REQUEST,
            "bad_request",
        )
        .await?;
        assert!(body.message.contains(says), "{}", body.message);
    }
    let bad_folder = ItemDoc::Folder(FolderDoc {
        id: Uuid::now_v7(),
        parent_id: None,
        name: "春节".into(),
        position: 0,
        starts_at: None,
        ends_at: Some("明年".into()),
    });
    err(
        srv.put(&t.owner, t.lib, 0, "op-badf", &bad_folder).await?,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await?;

    // In a batch: the bad one is refused, the good one written.
    let good = dated("年货节", None, None, Some("2027-01-20T00:00:00+08:00"))?;
    let bad = dated("坏", None, Some("soon"), None)?;
    let write = |doc: &ItemDoc, op: &str| BatchItem {
        key: doc.key(),
        if_match: 0,
        op: op.into(),
        doc: Some(doc.clone()),
    };
    let batch = BatchWrite {
        writes: vec![write(&good, "b-1"), write(&bad, "b-2")],
    };
    let resp = srv
        .req(
            Method::POST,
            &format!("/v1/libraries/{}/items", t.lib),
            &t.owner,
        )
        .json(&batch)
        .send()
        .await?;
    let text = resp.text().await?;
    let after = srv.changes(&t.agent, t.lib, 0, 100).await?;
    assert!(
        after.items.iter().any(|i| i.doc.as_ref() == Some(&good)),
        "{text}"
    );
    assert!(!after.items.iter().any(|i| i.key == bad.key()), "{text}");
    srv.stop().await?;
    Ok(())
}

async fn a_document_without_dates_is_served_without_them(b: Backend) -> R {
    let srv = Srv::start(&b).await?;
    let t = srv.team().await?;
    // What a client from before dates sends: no such fields at all.
    let id = Uuid::now_v7();
    let old = serde_json::json!({
        "op": "old-1",
        "kind": "snippet",
        "doc": {
            "id": id, "folder_id": null, "title": "发货时间",
            "parts": [{ "type": "text", "body": "48小时内发货" }], "position": 0
        }
    });
    let resp = srv
        .req(
            Method::PUT,
            &format!("/v1/libraries/{}/items/{id}", t.lib),
            &t.owner,
        )
        .header("If-Match", "\"0\"")
        .json(&old)
        .send()
        .await?;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await?);
    let raw = srv
        .req(
            Method::GET,
            &format!("/v1/libraries/{}/changes?since=0", t.lib),
            &t.agent,
        )
        .send()
        .await?
        .text()
        .await?;
    assert!(
        raw.contains("发货时间") && !raw.contains("starts_at") && !raw.contains("ends_at"),
        "{raw}"
    );
    srv.stop().await?;
    Ok(())
}

//! The sync API against a real server (in-process, on 127.0.0.1:0), over HTTP with
//! reqwest, on both storage backends: every scenario runs once on SQLite (a temporary
//! data directory, `sqlite::*`) and once on PostgreSQL (a fresh database of the test
//! binary's throwaway cluster, `postgres::*`; see `support/pg.rs`). The `multi_instance`
//! tests run two servers on one PostgreSQL database.

#[path = "support/pg.rs"]
mod pg;
#[macro_use]
#[path = "support/backend.rs"]
mod backend;

use std::time::Duration;

use futures_util::StreamExt as _;
use quickreply_proto::api::{
    Changes, CreateLibrary, DeviceInfo, Digest, ErrorBody, InviteRequest, InviteResponse, Item,
    ItemDoc, ItemVersion, JoinRequest, JoinResponse, LibraryDigest, LibraryInfo, MAX_USAGE_ENTRIES,
    Me, MissedReport, MissedSearch, MissedTotal, PutItem, Role, RoleChange, SigninDecision,
    SigninDenial, SigninInfo, SigninPoll, SigninPollRequest, SigninRequest, SigninStarted,
    SigninState, StatusReport, UsageCount, UsageReport, UsageTotal, VariableDoc,
};
use quickreply_proto::{FolderDoc, LibraryKind, Part, SnippetDoc};
use quickreply_server::{Clock, Config, Server, spawn};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use backend::{Backend, R, fail};

on_both_backends!(
    setup_code_makes_the_owner_once_and_is_renewed_until_used,
    roles_decide_who_reads_and_writes_what,
    writes_conflict_replay_and_leave_tombstones,
    changes_come_in_pages_and_digests_follow_writes,
    blobs_are_verified_and_readable_only_where_referenced,
    invites_expire_run_out_and_are_validated,
    pairing_adds_a_device_and_revoking_ends_its_token,
    errors_are_json_and_joins_are_rate_limited,
    events_announce_heads_live_and_resume_from_last_event_id,
    health_and_metrics,
    usage_is_reported_by_readers_and_read_by_writers,
    binary_prints_its_lines_and_stops_on_sigterm,
    signin_by_approval_lets_in_a_device_or_a_member_once,
    the_owner_changes_roles_and_the_team_keeps_an_owner,
    every_version_is_kept_with_who_wrote_it_and_restores_as_a_write,
    searches_that_found_nothing_are_counted_for_the_team_and_read_by_leads,
);

struct Srv {
    base: String,
    http: reqwest::Client,
    /// The setup code it printed ("" when it printed none).
    setup: String,
    clock: Clock,
    server: Option<Server>,
    dir: tempfile::TempDir,
}

impl Srv {
    async fn start(b: &Backend) -> R<Self> {
        Self::start_with(b, |_| {}).await
    }

    async fn start_with(b: &Backend, tweak: impl FnOnce(&mut Config)) -> R<Self> {
        let srv = Self::start_any(b, tweak).await?;
        if srv.setup.is_empty() {
            return Err(fail("a new server prints a setup code"));
        }
        Ok(srv)
    }

    /// A server with or without a setup code (a second instance on a used database).
    async fn start_any(b: &Backend, tweak: impl FnOnce(&mut Config)) -> R<Self> {
        let dir = tempfile::tempdir()?;
        let clock = Clock::system();
        let mut config = Config {
            heartbeat: Duration::from_secs(1),
            join_per_minute: 1000,
            clock: clock.clone(),
            ..b.config(dir.path())
        };
        tweak(&mut config);
        let server = spawn(config).await?;
        Ok(Self {
            base: format!("http://{}", server.addr),
            http: reqwest::Client::new(),
            setup: server.setup_code.clone().unwrap_or_default(),
            clock,
            server: Some(server),
            dir,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn req(&self, method: Method, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path)).bearer_auth(token)
    }

    async fn join_raw(&self, code: &str, device: &str, user: Option<&str>) -> R<reqwest::Response> {
        Ok(self
            .http
            .post(self.url("/v1/join"))
            .json(&JoinRequest {
                code: code.into(),
                device_name: device.into(),
                user_name: user.map(str::to_string),
                app_version: "test".into(),
            })
            .send()
            .await?)
    }

    async fn join(&self, code: &str, device: &str, user: Option<&str>) -> R<(String, Me)> {
        let j: JoinResponse = ok_json(self.join_raw(code, device, user).await?).await?;
        Ok((j.token, j.me))
    }

    async fn owner(&self) -> R<(String, Me)> {
        self.join(&self.setup, "前台电脑", Some("老板")).await
    }

    async fn invite(&self, token: &str, role: Role, uses: u32, pairing: bool) -> R<String> {
        let inv: InviteResponse = ok_json(
            self.req(Method::POST, "/v1/invites", token)
                .json(&InviteRequest {
                    role,
                    uses,
                    expires_in: 3600,
                    pairing,
                })
                .send()
                .await?,
        )
        .await?;
        Ok(inv.code)
    }

    /// Owner, a team library, and an agent.
    async fn team(&self) -> R<Team> {
        let (owner, owner_me) = self.owner().await?;
        let lib = Uuid::now_v7();
        let info: LibraryInfo = ok_json(
            self.req(Method::POST, "/v1/libraries", &owner)
                .json(&CreateLibrary {
                    id: lib,
                    name: "团队话术".into(),
                })
                .send()
                .await?,
        )
        .await?;
        assert_eq!(info.kind, LibraryKind::Team);
        let code = self.invite(&owner, Role::Agent, 5, false).await?;
        let (agent, agent_me) = self.join(&code, "客服1号机", Some("小王")).await?;
        Ok(Team {
            owner,
            owner_me,
            agent,
            agent_me,
            lib,
        })
    }

    async fn put(
        &self,
        token: &str,
        lib: Uuid,
        if_match: i64,
        op: &str,
        doc: &ItemDoc,
    ) -> R<reqwest::Response> {
        Ok(self
            .req(
                Method::PUT,
                &format!("/v1/libraries/{lib}/items/{}", enc(&doc.key())),
                token,
            )
            .header("If-Match", format!("\"{if_match}\""))
            .json(&PutItem {
                op: op.into(),
                doc: doc.clone(),
            })
            .send()
            .await?)
    }

    async fn changes(&self, token: &str, lib: Uuid, since: i64, limit: usize) -> R<Changes> {
        ok_json(
            self.req(
                Method::GET,
                &format!("/v1/libraries/{lib}/changes?since={since}&limit={limit}"),
                token,
            )
            .send()
            .await?,
        )
        .await
    }

    async fn stop(mut self) -> R<tempfile::TempDir> {
        if let Some(s) = self.server.take() {
            s.handle.stop().await?;
        }
        Ok(self.dir)
    }
}

struct Team {
    owner: String,
    owner_me: Me,
    agent: String,
    agent_me: Me,
    lib: Uuid,
}

/// Percent-encodes a path segment.
fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn ok_json<T: DeserializeOwned>(resp: reqwest::Response) -> R<T> {
    let status = resp.status();
    let text = resp.text().await?;
    if !status.is_success() {
        return Err(fail(format!("expected success, got {status}: {text}")));
    }
    Ok(serde_json::from_str(&text)?)
}

/// Asserts an error answer: status, JSON body and code.
async fn err(resp: reqwest::Response, status: StatusCode, code: &str) -> R<ErrorBody> {
    let got = resp.status();
    let is_json = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let text = resp.text().await?;
    if got != status {
        return Err(fail(format!("expected {status}, got {got}: {text}")));
    }
    if !is_json {
        return Err(fail(format!("error body is not JSON: {text}")));
    }
    let body: ErrorBody = serde_json::from_str(&text)?;
    if body.code != code {
        return Err(fail(format!("expected code {code}: {text}")));
    }
    assert!(!body.message.is_empty());
    Ok(body)
}

fn var(name: &str, value: &str) -> ItemDoc {
    ItemDoc::Variable(VariableDoc {
        name: name.into(),
        value: value.into(),
        description: String::new(),
        overridable: false,
    })
}

fn snippet(title: &str, parts: Vec<Part>) -> ItemDoc {
    ItemDoc::Snippet(SnippetDoc {
        id: Uuid::now_v7(),
        folder_id: None,
        title: title.into(),
        code: Some("fh".into()),
        tags: vec![],
        parts,
        apps: vec![],
        position: 0,
    })
}

fn image(sha: &str) -> Part {
    Part::Image {
        sha256: sha.into(),
        mime: "image/png".into(),
        width: 1,
        height: 1,
    }
}

fn sha_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

async fn setup_code_makes_the_owner_once_and_is_renewed_until_used(b: Backend) -> R {
    let srv = Srv::start(&b).await?;
    let first_code = srv.setup.clone();
    // Restarting before anyone joined prints a new code; the old one is dead.
    let dir = srv.stop().await?;
    let config = b.config(dir.path());
    let server = spawn(config.clone()).await?;
    let code = server
        .setup_code
        .clone()
        .ok_or_else(|| fail("no setup code on the second start"))?;
    assert_ne!(code, first_code);
    let base = format!("http://{}", server.addr);
    let http = reqwest::Client::new();
    let join = |code: String| {
        http.post(format!("{base}/v1/join"))
            .json(&JoinRequest {
                code,
                device_name: "前台电脑".into(),
                user_name: Some("老板".into()),
                app_version: "1.0".into(),
            })
            .send()
    };
    err(
        join(first_code).await?,
        StatusCode::BAD_REQUEST,
        "invalid_code",
    )
    .await?;

    // Case and dashes do not matter.
    let typed = code.replace('-', "").to_lowercase();
    let joined: JoinResponse = ok_json(join(typed).await?).await?;
    assert_eq!(joined.me.role, Role::Owner);
    assert_eq!(joined.me.user_name, "老板");
    assert_eq!(joined.me.team_name, "我的团队");
    assert_eq!(joined.token.len(), 64);

    let me: Me = ok_json(
        http.get(format!("{base}/v1/me"))
            .bearer_auth(&joined.token)
            .send()
            .await?,
    )
    .await?;
    assert_eq!(me, joined.me);
    let libs: Vec<LibraryInfo> = ok_json(
        http.get(format!("{base}/v1/libraries"))
            .bearer_auth(&joined.token)
            .send()
            .await?,
    )
    .await?;
    assert_eq!(libs.len(), 1);
    assert_eq!(libs[0].id, me.personal_library);
    assert_eq!(libs[0].kind, LibraryKind::Personal);
    assert!(libs[0].writable);

    let again = join(code).await?;
    let body = err(again, StatusCode::BAD_REQUEST, "invalid_code").await?;
    assert!(body.message.contains("code"), "{}", body.message);

    server.handle.stop().await?;
    let server = spawn(config).await?;
    assert_eq!(
        server.setup_code, None,
        "no setup code once there is an owner"
    );
    server.handle.stop().await?;
    Ok(())
}

async fn roles_decide_who_reads_and_writes_what(b: Backend) -> R {
    let srv = Srv::start(&b).await?;
    let t = srv.team().await?;
    assert_eq!(t.agent_me.role, Role::Agent);
    assert_eq!(t.agent_me.team_id, t.owner_me.team_id);
    assert_ne!(t.agent_me.personal_library, t.owner_me.personal_library);

    // Creating the same id again is answered with it; a second library with the same
    // name is a conflict.
    let again = srv
        .req(Method::POST, "/v1/libraries", &t.owner)
        .json(&CreateLibrary {
            id: t.lib,
            name: "团队话术".into(),
        })
        .send()
        .await?;
    assert_eq!(again.status(), StatusCode::OK);
    let same_name = srv
        .req(Method::POST, "/v1/libraries", &t.owner)
        .json(&CreateLibrary {
            id: Uuid::now_v7(),
            name: "团队话术".into(),
        })
        .send()
        .await?;
    err(same_name, StatusCode::CONFLICT, "conflict").await?;

    // The agent sees its personal library and the team's, the team's read-only.
    let libs: Vec<LibraryInfo> = ok_json(
        srv.req(Method::GET, "/v1/libraries", &t.agent)
            .send()
            .await?,
    )
    .await?;
    let ids: Vec<(Uuid, bool)> = libs.iter().map(|l| (l.id, l.writable)).collect();
    assert_eq!(
        ids,
        vec![(t.agent_me.personal_library, true), (t.lib, false)]
    );

    // Owner writes the team library, the agent reads it but cannot write it.
    let doc = var("店铺名", "小店");
    ok_json::<Item>(srv.put(&t.owner, t.lib, 0, "o1", &doc).await?).await?;
    let ch = srv.changes(&t.agent, t.lib, 0, 100).await?;
    assert_eq!(ch.items.len(), 1);
    assert_eq!(ch.items[0].doc, Some(doc.clone()));
    let denied = srv
        .put(&t.agent, t.lib, 1, "a1", &var("店铺名", "黑店"))
        .await?;
    err(denied, StatusCode::FORBIDDEN, "forbidden").await?;
    let denied = srv
        .req(Method::POST, "/v1/libraries", &t.agent)
        .json(&CreateLibrary {
            id: Uuid::now_v7(),
            name: "x".into(),
        })
        .send()
        .await?;
    err(denied, StatusCode::FORBIDDEN, "forbidden").await?;

    // Personal libraries are invisible to everyone else, the owner included.
    ok_json::<Item>(
        srv.put(
            &t.agent,
            t.agent_me.personal_library,
            0,
            "a2",
            &var("x", "1"),
        )
        .await?,
    )
    .await?;
    for (token, other) in [
        (&t.owner, t.agent_me.personal_library),
        (&t.agent, t.owner_me.personal_library),
    ] {
        let r = srv
            .req(
                Method::GET,
                &format!("/v1/libraries/{other}/changes"),
                token,
            )
            .send()
            .await?;
        err(r, StatusCode::NOT_FOUND, "not_found").await?;
        let r = srv
            .req(Method::GET, &format!("/v1/libraries/{other}/digest"), token)
            .send()
            .await?;
        err(r, StatusCode::NOT_FOUND, "not_found").await?;
        let r = srv.put(token, other, 0, "x", &var("y", "1")).await?;
        err(r, StatusCode::NOT_FOUND, "not_found").await?;
    }
    // An unknown library looks the same.
    let r = srv
        .req(
            Method::GET,
            &format!("/v1/libraries/{}/changes", Uuid::now_v7()),
            &t.owner,
        )
        .send()
        .await?;
    err(r, StatusCode::NOT_FOUND, "not_found").await?;
    let owner_libs: Vec<LibraryInfo> = ok_json(
        srv.req(Method::GET, "/v1/libraries", &t.owner)
            .send()
            .await?,
    )
    .await?;
    assert!(
        owner_libs
            .iter()
            .all(|l| l.id != t.agent_me.personal_library)
    );

    // Invites: agents invite nobody, editors no owners.
    let inv = |role, pairing| InviteRequest {
        role,
        uses: 1,
        expires_in: 600,
        pairing,
    };
    let r = srv
        .req(Method::POST, "/v1/invites", &t.agent)
        .json(&inv(Role::Agent, false))
        .send()
        .await?;
    err(r, StatusCode::FORBIDDEN, "forbidden").await?;
    let code = srv.invite(&t.owner, Role::Editor, 1, false).await?;
    let (editor, editor_me) = srv.join(&code, "主管电脑", None).await?;
    assert_eq!(editor_me.role, Role::Editor);
    assert_eq!(
        editor_me.user_name, "主管电脑",
        "user name defaults to the device's"
    );
    let r = srv
        .req(Method::POST, "/v1/invites", &editor)
        .json(&inv(Role::Owner, false))
        .send()
        .await?;
    err(r, StatusCode::FORBIDDEN, "forbidden").await?;
    srv.invite(&editor, Role::Agent, 1, false).await?;
    // Editors write team libraries.
    ok_json::<Item>(
        srv.put(&editor, t.lib, 1, "e1", &var("店铺名", "大店"))
            .await?,
    )
    .await?;
    srv.stop().await?;
    Ok(())
}

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

async fn blobs_are_verified_and_readable_only_where_referenced(b: Backend) -> R {
    let srv = Srv::start_with(&b, |c| c.max_image = 4096).await?;
    let t = srv.team().await?;
    let png = b"\x89PNG\r\n\x1a\n fake image".to_vec();
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
    let big = vec![7u8; 5000];
    let r = srv
        .req(
            Method::PUT,
            &format!("/v1/blobs/{}", sha_hex(&big)),
            &t.agent,
        )
        .body(big)
        .send()
        .await?;
    err(r, StatusCode::PAYLOAD_TOO_LARGE, "too_large").await?;
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

async fn invites_expire_run_out_and_are_validated(b: Backend) -> R {
    let srv = Srv::start(&b).await?;
    let (owner, _) = srv.owner().await?;

    let once = srv.invite(&owner, Role::Agent, 1, false).await?;
    srv.join(&once, "a", None).await?;
    let body = err(
        srv.join_raw(&once, "b", None).await?,
        StatusCode::BAD_REQUEST,
        "invalid_code",
    )
    .await?;
    assert!(body.message.contains("used up"), "{}", body.message);

    let later = srv.invite(&owner, Role::Agent, 10, false).await?;
    srv.clock.advance(Duration::from_secs(3601));
    let body = err(
        srv.join_raw(&later, "c", None).await?,
        StatusCode::BAD_REQUEST,
        "invalid_code",
    )
    .await?;
    assert!(body.message.contains("expired"), "{}", body.message);

    err(
        srv.join_raw("AAAA-BBBB-CCCC-DDDD", "d", None).await?,
        StatusCode::BAD_REQUEST,
        "invalid_code",
    )
    .await?;

    for (uses, expires_in) in [(0, 600), (1001, 600), (1, 59), (1, 90 * 86400 + 1)] {
        let r = srv
            .req(Method::POST, "/v1/invites", &owner)
            .json(&InviteRequest {
                role: Role::Agent,
                uses,
                expires_in,
                pairing: false,
            })
            .send()
            .await?;
        err(r, StatusCode::BAD_REQUEST, "bad_request").await?;
    }
    srv.stop().await?;
    Ok(())
}

async fn pairing_adds_a_device_and_revoking_ends_its_token(b: Backend) -> R {
    let srv = Srv::start(&b).await?;
    let t = srv.team().await?;

    // The agent pairs a second machine: same user, same personal library.
    let code = srv.invite(&t.agent, Role::Owner, 1, true).await?;
    let (laptop, laptop_me) = srv.join(&code, "笔记本", Some("ignored")).await?;
    assert_eq!(laptop_me.user_id, t.agent_me.user_id);
    assert_eq!(laptop_me.personal_library, t.agent_me.personal_library);
    assert_eq!(
        laptop_me.role,
        Role::Agent,
        "pairing never changes the role"
    );
    assert_eq!(laptop_me.user_name, "小王");
    assert_ne!(laptop_me.device_id, t.agent_me.device_id);

    let status = StatusReport {
        app_version: "1.2.3".into(),
        cursors: vec![quickreply_proto::api::Cursor {
            library_id: t.lib,
            cursor: 7,
        }],
    };
    let r = srv
        .req(Method::POST, "/v1/status", &laptop)
        .json(&status)
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);

    // The owner sees every device of the team; the agent only its own user's.
    let all: Vec<DeviceInfo> =
        ok_json(srv.req(Method::GET, "/v1/devices", &t.owner).send().await?).await?;
    assert_eq!(all.len(), 3);
    let lap = all
        .iter()
        .find(|d| d.id == laptop_me.device_id)
        .ok_or_else(|| fail("laptop not listed"))?;
    assert_eq!(lap.app_version, "1.2.3");
    assert_eq!(lap.cursors, status.cursors);
    assert_eq!(lap.user_name, "小王");
    assert!(lap.last_seen.is_some());
    assert!(!lap.revoked);
    let mine: Vec<DeviceInfo> =
        ok_json(srv.req(Method::GET, "/v1/devices", &t.agent).send().await?).await?;
    assert_eq!(mine.len(), 2);
    assert!(mine.iter().all(|d| d.user_id == t.agent_me.user_id));

    // The agent cannot revoke the owner's device; the owner revokes the laptop.
    let r = srv
        .req(
            Method::DELETE,
            &format!("/v1/devices/{}", t.owner_me.device_id),
            &t.agent,
        )
        .send()
        .await?;
    err(r, StatusCode::FORBIDDEN, "forbidden").await?;
    let r = srv
        .req(
            Method::DELETE,
            &format!("/v1/devices/{}", laptop_me.device_id),
            &t.owner,
        )
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    err(
        srv.req(Method::GET, "/v1/me", &laptop).send().await?,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await?;
    // The other device of that user still works, and sees the revocation.
    let mine: Vec<DeviceInfo> =
        ok_json(srv.req(Method::GET, "/v1/devices", &t.agent).send().await?).await?;
    assert!(
        mine.iter()
            .any(|d| d.id == laptop_me.device_id && d.revoked)
    );

    // Users may revoke their own devices.
    let r = srv
        .req(
            Method::DELETE,
            &format!("/v1/devices/{}", t.agent_me.device_id),
            &t.agent,
        )
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    err(
        srv.req(Method::GET, "/v1/libraries", &t.agent)
            .send()
            .await?,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await?;
    srv.stop().await?;
    Ok(())
}

async fn errors_are_json_and_joins_are_rate_limited(b: Backend) -> R {
    let srv = Srv::start_with(&b, |c| {
        c.join_per_minute = 3;
        c.max_body = 2048;
    })
    .await?;
    let (tok, me) = srv.owner().await?;

    let r = srv
        .http
        .post(srv.url("/v1/join"))
        .header("content-type", "application/json")
        .body("{\"code\": 12")
        .send()
        .await?;
    let body = err(r, StatusCode::BAD_REQUEST, "bad_request").await?;
    assert!(body.message.contains("JSON"), "{}", body.message);
    let r = srv
        .req(Method::POST, "/v1/invites", &tok)
        .json(&serde_json::json!({"role": "boss", "uses": 1, "expires_in": 600}))
        .send()
        .await?;
    let body = err(r, StatusCode::BAD_REQUEST, "bad_request").await?;
    assert!(body.message.contains("boss"), "{}", body.message);

    err(
        srv.req(Method::GET, "/v1/nothing", &tok).send().await?,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await?;
    err(
        srv.http.get(srv.url("/v1/me")).send().await?,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await?;
    err(
        srv.req(Method::GET, "/v1/me", "0".repeat(64).as_str())
            .send()
            .await?,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await?;
    let huge = var("big", &"x".repeat(5000));
    err(
        srv.put(&tok, me.personal_library, 0, "o", &huge).await?,
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
    )
    .await?;
    let r = srv.req(Method::PATCH, "/v1/me", &tok).send().await?;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body: ErrorBody = r.json().await?;
    assert_eq!(body.code, "bad_request");

    // Three join attempts a minute from one address (the owner's join was one).
    for _ in 0..2 {
        err(
            srv.join_raw("WRONG-CODE", "x", None).await?,
            StatusCode::BAD_REQUEST,
            "invalid_code",
        )
        .await?;
    }
    let r = srv.join_raw("WRONG-CODE", "x", None).await?;
    assert!(r.headers().contains_key("retry-after"));
    err(r, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await?;
    srv.stop().await?;
    Ok(())
}

/// One parsed server-sent event.
#[derive(Debug, Default)]
struct Sse {
    event: String,
    id: String,
    data: String,
}

struct SseReader {
    stream: futures_util::stream::BoxStream<'static, reqwest::Result<axum::body::Bytes>>,
    buf: String,
}

impl SseReader {
    async fn open(srv: &Srv, token: &str, last_id: Option<&str>) -> R<Self> {
        let mut req = srv.req(Method::GET, "/v1/events", token);
        if let Some(id) = last_id {
            req = req.header("Last-Event-ID", id);
        }
        let resp = req.send().await?;
        if resp.status() != StatusCode::OK {
            return Err(fail(format!("events: {}", resp.status())));
        }
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert!(ct.starts_with("text/event-stream"), "{ct}");
        Ok(Self {
            stream: resp.bytes_stream().boxed(),
            buf: String::new(),
        })
    }

    /// The next event (comments skipped), `None` after `wait` or at the end of the stream.
    async fn next(&mut self, wait: Duration) -> R<Option<Sse>> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut ev = Sse::default();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        ev.event = v.trim().into();
                    } else if let Some(v) = line.strip_prefix("id:") {
                        ev.id = v.trim().into();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        ev.data.push_str(v.trim());
                    }
                }
                if !ev.event.is_empty() || !ev.data.is_empty() {
                    return Ok(Some(ev));
                }
            }
            match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Err(_) | Ok(None) => return Ok(None),
                Ok(Some(chunk)) => self.buf.push_str(&String::from_utf8_lossy(&chunk?)),
            }
        }
    }

    /// Whether the server closed the stream within `wait` (whatever it sent before).
    async fn ended(&mut self, wait: Duration) -> R<bool> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Err(_) => return Ok(false),
                Ok(None) | Ok(Some(Err(_))) => return Ok(true),
                Ok(Some(Ok(_))) => {}
            }
        }
    }
}

fn head_of(ev: &Sse) -> R<quickreply_proto::api::HeadEvent> {
    assert_eq!(ev.event, "head");
    Ok(serde_json::from_str(&ev.data)?)
}

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

    // An agent (a reader) reports; reporting again replaces its counts instead of adding.
    let first = usage(&[
        ("k1", &today, 3),
        ("k2", &today, 1),
        ("k1", &yesterday, 2),
        ("k1", &long_ago, 50),
    ]);
    let sent = srv.report(&t.agent, t.lib, &first).await?;
    assert_eq!(sent.status(), StatusCode::NO_CONTENT);
    let sent = srv.report(&t.agent, t.lib, &first).await?;
    assert_eq!(sent.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        srv.usage(&t.owner, t.lib, "").await?,
        vec![total("k1", 5, 1), total("k2", 1, 1)],
        "resending the same report changes nothing"
    );
    let sent = srv
        .report(
            &t.agent,
            t.lib,
            &usage(&[("k1", &today, 4), ("k1", &today, 5)]),
        )
        .await?;
    assert_eq!(sent.status(), StatusCode::NO_CONTENT);

    // The lead's own device fires too: totals add up devices.
    let sent = srv
        .report(
            &t.owner,
            t.lib,
            &usage(&[("k1", &today, 1), ("k3", &today, 6)]),
        )
        .await?;
    assert_eq!(sent.status(), StatusCode::NO_CONTENT);

    let all = vec![total("k1", 8, 2), total("k3", 6, 1), total("k2", 1, 1)];
    assert_eq!(srv.usage(&t.owner, t.lib, "").await?, all);
    assert_eq!(srv.usage(&t.owner, t.lib, "?days=30").await?, all);
    assert_eq!(
        srv.usage(&t.owner, t.lib, "?days=1").await?,
        vec![total("k1", 6, 2), total("k3", 6, 1), total("k2", 1, 1)],
        "yesterday is outside one day; equal counts by key"
    );
    assert_eq!(
        srv.usage(&t.owner, t.lib, "?days=366").await?,
        vec![total("k1", 58, 2), total("k3", 6, 1), total("k2", 1, 1)],
    );
    assert_eq!(
        srv.usage(
            &t.owner,
            t.lib,
            &format!("?days=30&user={}", t.agent_me.user_id)
        )
        .await?,
        vec![total("k1", 7, 1), total("k2", 1, 1)],
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
        srv.report(&t.agent, owners_personal, &usage(&[("k1", &today, 1)]))
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
    let mine = t.agent_me.personal_library;
    let sent = srv
        .report(&t.agent, mine, &usage(&[("p1", &today, 2)]))
        .await?;
    assert_eq!(sent.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        srv.usage(&t.agent, mine, "?days=7").await?,
        vec![total("p1", 2, 1)]
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
        usage(&[("k1", &today, 100), ("k1", "2023-02-29", 1)]),
        usage(&[("k1", &today, 100), ("k1", "2024-13-01", 1)]),
        usage(&[("k1", &today, 100), ("k1", "20240101", 1)]),
        usage(&[("k1", &today, 100), ("", &today, 1)]),
        usage(&[("k1", &today, 100), (&long_key, &today, 1)]),
    ] {
        err(
            srv.report(&t.agent, t.lib, &bad).await?,
            StatusCode::BAD_REQUEST,
            "bad_request",
        )
        .await?;
    }
    let too_many: Vec<(String, u32)> = (0..=MAX_USAGE_ENTRIES)
        .map(|i| (format!("x{i}"), 1))
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
    // The largest report allowed is accepted.
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

async fn health_and_metrics(b: Backend) -> R {
    let srv = Srv::start(&b).await?;
    let r = srv.http.get(srv.url("/healthz")).send().await?;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await?, "ok");
    let (tok, me) = srv.owner().await?;
    ok_json::<Item>(
        srv.put(&tok, me.personal_library, 0, "o", &var("a", "b"))
            .await?,
    )
    .await?;
    let _sse = SseReader::open(&srv, &tok, None).await?;
    let text = srv
        .http
        .get(srv.url("/metrics"))
        .send()
        .await?
        .text()
        .await?;
    for line in [
        "quickreply_item_writes_total 1",
        "quickreply_sse_clients 1",
        "quickreply_libraries 1",
        "quickreply_items 1",
        "quickreply_http_responses_total{class=\"2xx\"}",
    ] {
        assert!(text.contains(line), "{line} missing in:\n{text}");
    }
    srv.stop().await?;
    Ok(())
}

/// The binary: flags, env and `--config`, the two stdout lines, SIGTERM (PostgreSQL
/// through `QUICKREPLY_DATABASE_URL`).
async fn binary_prints_its_lines_and_stops_on_sigterm(b: Backend) -> R {
    // Blocking HTTP and processes: off the async threads.
    tokio::task::spawn_blocking(move || binary_scenario(b)).await?
}

#[cfg(not(unix))]
fn binary_scenario(_b: Backend) -> R {
    Ok(())
}

#[cfg(unix)]
fn binary_scenario(b: Backend) -> R {
    use std::io::BufRead as _;
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir()?;
    let config = dir.path().join("server.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\nteam_name = \"配置里的团队\"\nlisten = \"127.0.0.1:1\"\n",
            dir.path().join("data")
        ),
    )?;
    let mut command = Command::new(env!("CARGO_BIN_EXE_quickreply-server"));
    command
        .arg("--config")
        .arg(&config)
        .env("QUICKREPLY_LISTEN", "127.0.0.1:0")
        .env("QUICKREPLY_HEARTBEAT_SECS", "1")
        .env_remove("QUICKREPLY_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Backend::Postgres(url) = &b {
        command.env("QUICKREPLY_DATABASE_URL", url);
    }
    let mut child = command.spawn()?;
    let result = (|| -> R {
        let stdout = child.stdout.take().ok_or_else(|| fail("no stdout"))?;
        let mut lines = std::io::BufReader::new(stdout).lines();
        let first = lines.next().ok_or_else(|| fail("no output"))??;
        let code = first
            .strip_prefix("setup code: ")
            .ok_or_else(|| fail(format!("first line: {first}")))?
            .to_string();
        let second = lines.next().ok_or_else(|| fail("no second line"))??;
        let addr = second
            .strip_prefix("listening on http://")
            .ok_or_else(|| fail(format!("second line: {second}")))?;
        let base = format!("http://{addr}");
        let http = reqwest::blocking::Client::new();
        assert_eq!(http.get(format!("{base}/healthz")).send()?.text()?, "ok");
        let joined: JoinResponse = http
            .post(format!("{base}/v1/join"))
            .json(&JoinRequest {
                code,
                device_name: "pc".into(),
                user_name: None,
                app_version: String::new(),
            })
            .send()?
            .json()?;
        assert_eq!(joined.me.team_name, "配置里的团队");

        let status = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status()?;
        assert!(status.success());
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(exit) = child.try_wait()? {
                assert!(exit.success(), "exit status {exit}");
                return Ok(());
            }
            if std::time::Instant::now() > deadline {
                return Err(fail("still running 10 s after SIGTERM"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    })();
    if result.is_err() {
        let _ = child.kill();
        let _ = child.wait();
    }
    result
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
    let png = b"\x89PNG\r\n\x1a\n shared image".to_vec();
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

impl Srv {
    async fn signin_start(&self, device: &str, user: Option<&str>) -> R<SigninStarted> {
        let resp = self
            .http
            .post(self.url("/v1/signin"))
            .json(&SigninRequest {
                device_name: device.into(),
                user_name: user.map(str::to_string),
                app_version: "test".into(),
                web: false,
            })
            .send()
            .await?;
        assert_eq!(resp.status(), StatusCode::CREATED);
        ok_json(resp).await
    }

    async fn signin_poll_raw(&self, id: Uuid, secret: &str) -> R<reqwest::Response> {
        Ok(self
            .http
            .post(self.url(&format!("/v1/signin/{id}/poll")))
            .json(&SigninPollRequest {
                secret: secret.into(),
            })
            .send()
            .await?)
    }

    async fn signin_poll(&self, started: &SigninStarted) -> R<SigninPoll> {
        ok_json(self.signin_poll_raw(started.id, &started.secret).await?).await
    }

    async fn decide(
        &self,
        token: &str,
        code: &str,
        member: Option<Option<Role>>,
    ) -> R<reqwest::Response> {
        let rb = match member {
            Some(member) => {
                self.req(Method::POST, "/v1/signin/approve", token)
                    .json(&SigninDecision {
                        code: code.into(),
                        member,
                    })
            }
            None => self
                .req(Method::POST, "/v1/signin/deny", token)
                .json(&SigninDenial { code: code.into() }),
        };
        Ok(rb.send().await?)
    }
}

async fn signin_by_approval_lets_in_a_device_or_a_member_once(b: Backend) -> R {
    let srv = Srv::start(&b).await?;
    let t = srv.team().await?;

    // A new computer asks; nobody has answered yet.
    let a = srv.signin_start("仓库电脑", Some("小刘")).await?;
    assert_eq!(a.code.len(), 9, "{}", a.code);
    assert_eq!(srv.signin_poll(&a).await?.state, SigninState::Pending);
    // A wrong secret learns nothing.
    err(
        srv.signin_poll_raw(a.id, "0000").await?,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await?;
    // Without a token, nobody can look it up or approve it.
    let r = srv
        .http
        .get(srv.url(&format!("/v1/signin?code={}", a.code)))
        .send()
        .await?;
    err(r, StatusCode::UNAUTHORIZED, "unauthorized").await?;

    // The agent looks it up (typed in lower case without the dash) and sees what asks.
    let typed = a.code.replace('-', "").to_lowercase();
    let info: SigninInfo = ok_json(
        srv.req(Method::GET, &format!("/v1/signin?code={typed}"), &t.agent)
            .send()
            .await?,
    )
    .await?;
    assert_eq!(
        (
            info.code.as_str(),
            info.device_name.as_str(),
            info.ip.as_str()
        ),
        (a.code.as_str(), "仓库电脑", "127.0.0.1")
    );
    assert_eq!(info.user_name.as_deref(), Some("小刘"));
    // An agent may not let in a member …
    err(
        srv.decide(&t.agent, &a.code, Some(Some(Role::Agent)))
            .await?,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await?;
    assert_eq!(srv.signin_poll(&a).await?.state, SigninState::Pending);
    // … but may add the computer as one more of their own devices.
    let r = srv.decide(&t.agent, &typed, Some(None)).await?;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    // Decided once: a second decision finds nothing waiting.
    err(
        srv.decide(&t.owner, &a.code, None).await?,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await?;
    let got = srv.signin_poll(&a).await?;
    assert_eq!(got.state, SigninState::Approved);
    let join = got.join.ok_or_else(|| fail("no token with the approval"))?;
    assert_eq!(
        join.me.user_id, t.agent_me.user_id,
        "the agent's own device"
    );
    assert_eq!(join.me.device_name, "仓库电脑");
    assert_eq!(join.me.role, Role::Agent);
    let me: Me = ok_json(srv.req(Method::GET, "/v1/me", &join.token).send().await?).await?;
    assert_eq!(me.device_id, join.me.device_id);
    // Collected once: the request is gone.
    err(
        srv.signin_poll_raw(a.id, &a.secret).await?,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await?;

    // The owner lets a new editor in.
    let e = srv.signin_start("新同事的电脑", Some("小周")).await?;
    let r = srv
        .decide(&t.owner, &e.code, Some(Some(Role::Editor)))
        .await?;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let join = srv
        .signin_poll(&e)
        .await?
        .join
        .ok_or_else(|| fail("no token for the new editor"))?;
    assert_eq!(
        (join.me.user_name.as_str(), join.me.role),
        ("小周", Role::Editor)
    );
    assert_ne!(join.me.user_id, t.owner_me.user_id);
    assert_eq!(join.me.team_id, t.owner_me.team_id);
    // The new editor can write the team library right away.
    ok_json::<Item>(
        srv.put(&join.token, t.lib, 0, "e1", &var("店名", "小美家居"))
            .await?,
    )
    .await?;

    // Denied: the asker learns it, and it cannot be approved afterwards.
    let d = srv.signin_start("陌生电脑", None).await?;
    assert_eq!(
        srv.decide(&t.owner, &d.code, None).await?.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(srv.signin_poll(&d).await?.state, SigninState::Denied);
    err(
        srv.decide(&t.owner, &d.code, Some(None)).await?,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await?;

    // Approved by a device that is revoked before the asker collects: nobody gets in.
    let (second, second_me) = srv
        .join(
            &srv.invite(&t.agent, Role::Agent, 1, true).await?,
            "小王的笔记本",
            None,
        )
        .await?;
    let r2 = srv.signin_start("又一台", None).await?;
    assert_eq!(
        srv.decide(&second, &r2.code, Some(None)).await?.status(),
        StatusCode::NO_CONTENT
    );
    let r = srv
        .req(
            Method::DELETE,
            &format!("/v1/devices/{}", second_me.device_id),
            &t.owner,
        )
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    err(
        srv.signin_poll_raw(r2.id, &r2.secret).await?,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await?;

    // Unanswered for ten minutes: expired, and no longer approvable.
    let x = srv.signin_start("慢吞吞的电脑", None).await?;
    srv.clock.advance(Duration::from_secs(601));
    assert_eq!(srv.signin_poll(&x).await?.state, SigninState::Expired);
    err(
        srv.decide(&t.owner, &x.code, Some(None)).await?,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await?;

    // Bad input: an empty device name, an unknown code.
    let r = srv
        .http
        .post(srv.url("/v1/signin"))
        .json(&serde_json::json!({"device_name": "  "}))
        .send()
        .await?;
    err(r, StatusCode::BAD_REQUEST, "bad_request").await?;
    err(
        srv.decide(&t.owner, "ZZZZ-ZZZZ", Some(None)).await?,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await?;
    srv.stop().await?;
    Ok(())
}

async fn the_owner_changes_roles_and_the_team_keeps_an_owner(b: Backend) -> R {
    let srv = Srv::start(&b).await?;
    let t = srv.team().await?;
    let set = |token: &str, user: Uuid, role: Role| {
        srv.req(Method::PUT, &format!("/v1/members/{user}/role"), token)
            .json(&RoleChange { role })
            .send()
    };
    // An agent cannot promote themselves.
    err(
        set(&t.agent, t.agent_me.user_id, Role::Editor).await?,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await?;
    err(
        srv.put(&t.agent, t.lib, 0, "a1", &var("x", "1")).await?,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await?;
    // The owner makes the agent an editor: it can write the team library at once.
    assert_eq!(
        set(&t.owner, t.agent_me.user_id, Role::Editor)
            .await?
            .status(),
        StatusCode::NO_CONTENT
    );
    let me: Me = ok_json(srv.req(Method::GET, "/v1/me", &t.agent).send().await?).await?;
    assert_eq!(me.role, Role::Editor);
    ok_json::<Item>(srv.put(&t.agent, t.lib, 0, "a2", &var("x", "1")).await?).await?;
    // The only owner cannot step down …
    err(
        set(&t.owner, t.owner_me.user_id, Role::Editor).await?,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await?;
    let me: Me = ok_json(srv.req(Method::GET, "/v1/me", &t.owner).send().await?).await?;
    assert_eq!(
        me.role,
        Role::Owner,
        "the refused change left nothing behind"
    );
    // … until someone else is owner.
    assert_eq!(
        set(&t.owner, t.agent_me.user_id, Role::Owner)
            .await?
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        set(&t.owner, t.owner_me.user_id, Role::Agent)
            .await?
            .status(),
        StatusCode::NO_CONTENT
    );
    err(
        srv.put(&t.owner, t.lib, 0, "o9", &var("y", "1")).await?,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await?;
    // Unknown members, and bad roles.
    err(
        set(&t.agent, Uuid::now_v7(), Role::Agent).await?,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await?;
    let r = srv
        .req(
            Method::PUT,
            &format!("/v1/members/{}/role", t.owner_me.user_id),
            &t.agent,
        )
        .json(&serde_json::json!({"role": "boss"}))
        .send()
        .await?;
    err(r, StatusCode::BAD_REQUEST, "bad_request").await?;
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

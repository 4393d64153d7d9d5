//! Members and devices against a real server on both backends: the setup code and the
//! owner, roles and what they may read and write, invites, pairing and revoking devices,
//! role changes, and sign-in by approval.
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

use quickreply_proto::LibraryKind;
use quickreply_proto::api::{
    CODE_ID_LEN, CodeInfo, CreateLibrary, DeviceInfo, InviteRequest, Item, ItemVersion,
    JoinRequest, JoinResponse, LibraryInfo, Me, Role, RoleChange, SigninDecision, SigninDenial,
    SigninInfo, SigninPoll, SigninPollRequest, SigninRequest, SigninStarted, SigninState,
    StatusReport,
};
use quickreply_server::spawn;
use reqwest::{Method, StatusCode};
use uuid::Uuid;

use backend::{Backend, R, fail};
use server::{Srv, SseReader, err, ok_json, sha_hex, snippet, var};

on_both_backends!(
    setup_code_makes_the_owner_once_and_is_renewed_until_used,
    roles_decide_who_reads_and_writes_what,
    invites_expire_run_out_and_are_validated,
    codes_die_with_their_makers_rights,
    pairing_adds_a_device_and_revoking_ends_its_token,
    the_owner_changes_roles_and_the_team_keeps_an_owner,
    signin_by_approval_lets_in_a_device_or_a_member_once,
    leads_list_and_cancel_open_codes,
    the_owner_removes_a_member_entirely,
);

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

/// Issue #17: a code is only as good as its maker's rights when it is used. A fired
/// agent's pairing code made beforehand lets nobody in; a demoted editor's editor invite
/// makes no editor; the same codes work while their makers keep their rights.
async fn codes_die_with_their_makers_rights(b: Backend) -> R {
    let srv = Srv::start(&b).await?;
    let t = srv.team().await?;
    let (editor, editor_me) = srv
        .join(
            &srv.invite(&t.owner, Role::Editor, 1, false).await?,
            "主管电脑",
            Some("小张"),
        )
        .await?;

    // Made while everyone still had their rights.
    let agents_pairing = srv.invite(&t.agent, Role::Agent, 5, true).await?;
    let editors_invite = srv.invite(&editor, Role::Editor, 5, false).await?;
    let editors_agent_invite = srv.invite(&editor, Role::Agent, 5, false).await?;
    let editors_pairing = srv.invite(&editor, Role::Agent, 5, true).await?;

    // They work while their makers keep their rights.
    let (_, second) = srv.join(&agents_pairing, "小王的笔记本", None).await?;
    assert_eq!(second.user_id, t.agent_me.user_id);
    let (_, new_editor) = srv.join(&editors_invite, "新主管", Some("小陈")).await?;
    assert_eq!(new_editor.role, Role::Editor);

    // The agent is fired: every device of theirs revoked by the owner.
    for device in [t.agent_me.device_id, second.device_id] {
        let r = srv
            .req(Method::DELETE, &format!("/v1/devices/{device}"), &t.owner)
            .send()
            .await?;
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }
    let body = err(
        srv.join_raw(&agents_pairing, "家里的电脑", None).await?,
        StatusCode::BAD_REQUEST,
        "invalid_code",
    )
    .await?;
    assert!(
        body.message.contains("removed from the team"),
        "{}",
        body.message
    );

    // The editor is demoted to agent: their editor invite makes no editor any more, nor
    // does their agent invite (agents invite nobody); their own pairing code still
    // works, for they are still a member.
    let r = srv
        .req(
            Method::PUT,
            &format!("/v1/members/{}/role", editor_me.user_id),
            &t.owner,
        )
        .json(&RoleChange { role: Role::Agent })
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    for code in [&editors_invite, &editors_agent_invite] {
        let body = err(
            srv.join_raw(code, "又一台", Some("小刘")).await?,
            StatusCode::BAD_REQUEST,
            "invalid_code",
        )
        .await?;
        assert!(
            body.message.contains("may no longer invite"),
            "{}",
            body.message
        );
    }
    let (_, paired) = srv.join(&editors_pairing, "小张的笔记本", None).await?;
    assert_eq!(
        (paired.user_id, paired.role),
        (editor_me.user_id, Role::Agent)
    );

    // Nobody got in through a dead code: the team has the owner, the fired agent, the
    // demoted editor and the one editor invited before the demotion.
    let devices: Vec<DeviceInfo> =
        ok_json(srv.req(Method::GET, "/v1/devices", &t.owner).send().await?).await?;
    let mut users: Vec<Uuid> = devices.iter().map(|d| d.user_id).collect();
    users.sort();
    users.dedup();
    assert_eq!(users.len(), 4, "{devices:?}");
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
            // One reply this computer could not take: the lead's board lists it.
            skipped: vec![quickreply_proto::api::SkippedItem {
                key: Uuid::nil().to_string(),
                version: 3,
                title: "尺码表".into(),
                reason: "图片无法解码".into(),
            }],
            skipped_total: 1,
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

/// The id `GET /v1/codes` shows for a code: the start of the SHA-256 of the code as the
/// server keeps it (upper case, no dashes).
fn code_id(code: &str) -> String {
    sha_hex(code.replace('-', "").to_uppercase().as_bytes())[..CODE_ID_LEN].to_string()
}

impl Srv {
    async fn codes(&self, token: &str) -> R<Vec<CodeInfo>> {
        ok_json(self.req(Method::GET, "/v1/codes", token).send().await?).await
    }

    async fn cancel(&self, token: &str, id: &str) -> R<reqwest::Response> {
        Ok(self
            .req(Method::DELETE, &format!("/v1/codes/{id}"), token)
            .send()
            .await?)
    }

    async fn remove(&self, token: &str, user: Uuid) -> R<reqwest::Response> {
        Ok(self
            .req(Method::DELETE, &format!("/v1/members/{user}"), token)
            .send()
            .await?)
    }
}

/// Issue #17: leads see the team's open codes (who made each, for which role, until when;
/// never the code) and cancel one, after which it lets nobody in.
async fn leads_list_and_cancel_open_codes(b: Backend) -> R {
    let srv = Srv::start(&b).await?;
    let t = srv.team().await?;
    let (editor, _) = srv
        .join(
            &srv.invite(&t.owner, Role::Editor, 1, false).await?,
            "主管电脑",
            Some("小张"),
        )
        .await?;
    let before = srv.codes(&t.owner).await?;
    // `team()`'s agent invite (5 uses, one spent) is the only open code so far.
    assert_eq!(before.len(), 1, "{before:?}");
    assert_eq!((before[0].role, before[0].uses_left), (Role::Agent, 4));

    let owners_agent_invite = srv.invite(&t.owner, Role::Agent, 3, false).await?;
    let owners_owner_invite = srv.invite(&t.owner, Role::Owner, 1, false).await?;
    let owners_pairing = srv.invite(&t.owner, Role::Agent, 1, true).await?;
    let editors_invite = srv.invite(&editor, Role::Editor, 2, false).await?;
    let agents_pairing = srv.invite(&t.agent, Role::Agent, 1, true).await?;
    let spent = srv.invite(&t.owner, Role::Agent, 1, false).await?;
    srv.join(&spent, "用掉的", Some("小李")).await?;
    let expiring = srv.invite(&t.owner, Role::Agent, 1, false).await?;

    let codes = srv.codes(&t.owner).await?;
    assert_eq!(codes.len(), 7, "{codes:?}");
    let find = |code: &str| -> R<CodeInfo> {
        let id = code_id(code);
        codes
            .iter()
            .find(|c| c.id == id)
            .cloned()
            .ok_or_else(|| fail(format!("{code} ({id}) not listed: {codes:?}")))
    };
    let c = find(&owners_owner_invite)?;
    assert_eq!((c.pairing, c.role, c.uses_left), (false, Role::Owner, 1));
    assert_eq!(c.created_by_user, Some(t.owner_me.user_id));
    assert_eq!(c.created_by_name.as_deref(), Some("老板"));
    assert_eq!(c.created_by_device.as_deref(), Some("前台电脑"));
    assert!(c.expires_at.is_some_and(|at| at > c.created_at));
    let c = find(&agents_pairing)?;
    assert_eq!((c.pairing, c.role), (true, Role::Agent));
    assert_eq!(c.created_by_name.as_deref(), Some("小王"));
    assert_eq!(
        find(&editors_invite)?.created_by_name.as_deref(),
        Some("小张")
    );
    assert!(codes.iter().all(|c| c.id != code_id(&spent)), "used up");
    // The codes themselves are nowhere in the answer.
    let text = srv
        .req(Method::GET, "/v1/codes", &t.owner)
        .send()
        .await?
        .text()
        .await?;
    for code in [&owners_agent_invite, &owners_owner_invite, &agents_pairing] {
        assert!(!text.contains(code.as_str()) && !text.contains(&code.replace('-', "")));
    }
    // Editors see the same list; agents none (authz.rs).
    assert_eq!(srv.codes(&editor).await?, codes);

    // An editor cancels invites they may make, not an owner invite nor someone else's
    // pairing code.
    for code in [&owners_owner_invite, &owners_pairing, &agents_pairing] {
        err(
            srv.cancel(&editor, &code_id(code)).await?,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await?;
    }
    let r = srv.cancel(&editor, &code_id(&owners_agent_invite)).await?;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = srv.cancel(&editor, &code_id(&editors_invite)).await?;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    // The owner cancels anything, by the id in any case or by a longer piece of the hash.
    let r = srv
        .cancel(&t.owner, &code_id(&agents_pairing).to_uppercase())
        .await?;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let long = sha_hex(owners_pairing.replace('-', "").as_bytes())[..20].to_string();
    let r = srv.cancel(&t.owner, &long).await?;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);

    // A cancelled code lets nobody in, and says why.
    for code in [
        &owners_agent_invite,
        &editors_invite,
        &agents_pairing,
        &owners_pairing,
    ] {
        let body = err(
            srv.join_raw(code, "新电脑", Some("新人")).await?,
            StatusCode::BAD_REQUEST,
            "invalid_code",
        )
        .await?;
        assert!(body.message.contains("cancelled"), "{}", body.message);
    }
    // Cancelled, used up, unknown or malformed: nothing to cancel.
    for id in [
        code_id(&owners_agent_invite),
        code_id(&spent),
        "0000000000".into(),
        "xyz".into(),
        "abc".into(),
    ] {
        err(
            srv.cancel(&t.owner, &id).await?,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await?;
    }
    // Expired codes leave the list.
    assert!(
        srv.codes(&t.owner)
            .await?
            .iter()
            .any(|c| c.id == code_id(&expiring))
    );
    srv.clock.advance(Duration::from_secs(3601));
    let left = srv.codes(&t.owner).await?;
    assert_eq!(
        left,
        vec![],
        "every code above expires in an hour or was cancelled"
    );
    srv.stop().await?;
    Ok(())
}

/// Issue #17: the owner removes a member entirely: every device's token refused (saying
/// so), their codes cancelled, a sign-in they approved but that was not collected yet
/// denied, their streams ended; they are listed nowhere, while history still names them.
async fn the_owner_removes_a_member_entirely(b: Backend) -> R {
    let srv = Srv::start(&b).await?;
    let t = srv.team().await?;
    let (editor, editor_me) = srv
        .join(
            &srv.invite(&t.owner, Role::Editor, 1, false).await?,
            "主管电脑",
            Some("小张"),
        )
        .await?;
    let (laptop, laptop_me) = srv
        .join(
            &srv.invite(&editor, Role::Editor, 1, true).await?,
            "小张的笔记本",
            None,
        )
        .await?;
    assert_eq!(laptop_me.user_id, editor_me.user_id);
    let reply = snippet(
        "发货时间",
        vec![quickreply_proto::Part::Text {
            body: "24小时发货".into(),
        }],
    );
    ok_json::<Item>(srv.put(&editor, t.lib, 0, "o1", &reply).await?).await?;
    // What the editor holds: a pairing code, an invite, a sign-in approved as their own
    // device and not collected yet, an open event stream.
    let pairing = srv.invite(&editor, Role::Editor, 3, true).await?;
    let invite = srv.invite(&editor, Role::Agent, 3, false).await?;
    let asking = srv.signin_start("家里的电脑", None).await?;
    let r = srv.decide(&laptop, &asking.code, Some(None)).await?;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let mut stream = SseReader::open(&srv, &editor, None).await?;
    let owners_invite = srv.invite(&t.owner, Role::Agent, 1, false).await?;

    // Not themselves, not a stranger; only the owner (authz.rs).
    err(
        srv.remove(&t.owner, t.owner_me.user_id).await?,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await?;
    err(
        srv.remove(&t.owner, Uuid::now_v7()).await?,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await?;
    let r = srv.remove(&t.owner, editor_me.user_id).await?;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);

    for token in [&editor, &laptop] {
        let body = err(
            srv.req(Method::GET, "/v1/libraries", token).send().await?,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        )
        .await?;
        assert!(
            body.message.contains("removed from the team"),
            "{}",
            body.message
        );
    }
    assert!(
        stream.ended(Duration::from_secs(10)).await?,
        "the stream ends"
    );
    for code in [&pairing, &invite] {
        let body = err(
            srv.join_raw(code, "又一台", Some("小刘")).await?,
            StatusCode::BAD_REQUEST,
            "invalid_code",
        )
        .await?;
        assert!(body.message.contains("cancelled"), "{}", body.message);
    }
    let poll = srv.signin_poll(&asking).await?;
    assert_eq!(
        (poll.state, poll.join.is_some()),
        (SigninState::Denied, false)
    );

    // Listed nowhere: no devices, no codes; no role to change; removing again finds nobody.
    let devices: Vec<DeviceInfo> =
        ok_json(srv.req(Method::GET, "/v1/devices", &t.owner).send().await?).await?;
    assert!(
        devices.iter().all(|d| d.user_id != editor_me.user_id),
        "{devices:?}"
    );
    let codes = srv.codes(&t.owner).await?;
    assert!(
        codes.iter().any(|c| c.id == code_id(&owners_invite)),
        "{codes:?}"
    );
    assert!(
        codes
            .iter()
            .all(|c| c.created_by_user != Some(editor_me.user_id)),
        "{codes:?}"
    );
    let r = srv
        .req(
            Method::PUT,
            &format!("/v1/members/{}/role", editor_me.user_id),
            &t.owner,
        )
        .json(&RoleChange { role: Role::Owner })
        .send()
        .await?;
    err(r, StatusCode::NOT_FOUND, "not_found").await?;
    err(
        srv.remove(&t.owner, editor_me.user_id).await?,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await?;
    // The history still says who wrote the reply; everyone else carries on.
    let history: Vec<ItemVersion> = ok_json(
        srv.req(
            Method::GET,
            &format!("/v1/libraries/{}/items/{}/history", t.lib, reply.key()),
            &t.agent,
        )
        .send()
        .await?,
    )
    .await?;
    assert_eq!(history[0].user_name, "小张");
    srv.join(&owners_invite, "新人电脑", Some("新人")).await?;
    srv.stop().await?;
    Ok(())
}

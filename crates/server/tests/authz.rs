//! Authorisation: every action only a lead (owner, or owner/editor) may take, tried with
//! the token of someone who may not. Table-driven: each row is one request that must be
//! answered `403` with a JSON [`ErrorBody`] (`"code": "forbidden"`) whose message says
//! who may do it, and after which nothing the team can see has changed (members, roles,
//! devices, libraries, every item and its history, usage, a waiting sign-in). Most rows
//! have a control: the same request from a member who may, which succeeds, so a row
//! cannot pass by being refused for another reason. Runs on SQLite (`sqlite::*`) and on
//! PostgreSQL (`postgres::*`, the throwaway cluster of `support/pg.rs`).

#[path = "support/pg.rs"]
mod pg;
#[macro_use]
#[path = "support/backend.rs"]
mod backend;

use std::time::Duration;

use quickreply_proto::api::{
    CodeInfo, ErrorBody, InviteRequest, InviteResponse, Item, ItemDoc, ItemVersion, JoinRequest,
    JoinResponse, Me, MissedReport, MissedSearch, PutItem, Role, SigninDecision, SigninPoll,
    SigninPollRequest, SigninRequest, SigninStarted, SigninState, UsageCount, UsageReport,
    VariableDoc,
};
use quickreply_proto::{FolderDoc, Part, SnippetDoc};
use quickreply_server::{Clock, Config, Server, spawn};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use uuid::Uuid;

use backend::{Backend, R, fail};

on_both_backends!(
    lead_only_actions_are_refused_and_change_nothing,
    an_approval_by_a_lead_demoted_before_collection_lets_nobody_in,
);

struct Srv {
    base: String,
    http: reqwest::Client,
    setup: String,
    server: Option<Server>,
    _dir: tempfile::TempDir,
}

impl Srv {
    async fn start(b: &Backend) -> R<Self> {
        let dir = tempfile::tempdir()?;
        let config = Config {
            heartbeat: Duration::from_secs(1),
            join_per_minute: 1000,
            invite_per_minute: 1000,
            clock: Clock::system(),
            ..b.config(dir.path())
        };
        let server = spawn(config).await?;
        Ok(Self {
            base: format!("http://{}", server.addr),
            http: reqwest::Client::new(),
            setup: server
                .setup_code
                .clone()
                .ok_or_else(|| fail("a new server prints a setup code"))?,
            server: Some(server),
            _dir: dir,
        })
    }

    fn req(&self, method: Method, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
    }

    async fn get<T: DeserializeOwned>(&self, path: &str, token: &str) -> R<T> {
        ok_json(self.req(Method::GET, path, token).send().await?).await
    }

    async fn join(&self, code: &str, device: &str, user: Option<&str>) -> R<(String, Me)> {
        let j: JoinResponse = ok_json(
            self.http
                .post(format!("{}/v1/join", self.base))
                .json(&JoinRequest {
                    code: code.into(),
                    device_name: device.into(),
                    user_name: user.map(str::to_string),
                    app_version: "test".into(),
                })
                .send()
                .await?,
        )
        .await?;
        Ok((j.token, j.me))
    }

    async fn invite(&self, token: &str, role: Role, pairing: bool) -> R<String> {
        let inv: InviteResponse = ok_json(
            self.req(Method::POST, "/v1/invites", token)
                .json(&InviteRequest {
                    role,
                    uses: 1,
                    expires_in: 3600,
                    pairing,
                })
                .send()
                .await?,
        )
        .await?;
        Ok(inv.code)
    }

    async fn put(&self, token: &str, lib: Uuid, if_match: i64, doc: &ItemDoc) -> R<Item> {
        ok_json(
            self.req(
                Method::PUT,
                &format!("/v1/libraries/{lib}/items/{}", doc.key()),
                token,
            )
            .header("If-Match", format!("\"{if_match}\""))
            .json(&PutItem {
                op: Uuid::now_v7().to_string(),
                doc: doc.clone(),
            })
            .send()
            .await?,
        )
        .await
    }

    async fn signin_start(&self, device: &str) -> R<SigninStarted> {
        ok_json(
            self.http
                .post(format!("{}/v1/signin", self.base))
                .json(&SigninRequest {
                    device_name: device.into(),
                    user_name: Some("新人".into()),
                    app_version: "test".into(),
                    web: false,
                })
                .send()
                .await?,
        )
        .await
    }

    async fn signin_poll(&self, s: &SigninStarted) -> R<reqwest::Response> {
        Ok(self
            .http
            .post(format!("{}/v1/signin/{}/poll", self.base, s.id))
            .json(&SigninPollRequest {
                secret: s.secret.clone(),
            })
            .send()
            .await?)
    }

    async fn stop(mut self) -> R {
        if let Some(s) = self.server.take() {
            s.handle.stop().await?;
        }
        Ok(())
    }
}

async fn ok_json<T: DeserializeOwned>(resp: reqwest::Response) -> R<T> {
    let status = resp.status();
    let text = resp.text().await?;
    if !status.is_success() {
        return Err(fail(format!("expected success, got {status}: {text}")));
    }
    Ok(serde_json::from_str(&text)?)
}

/// The team of every test: an owner, an editor, an agent with two devices, a team
/// library with a reply that has two versions (and a variable), usage and missed searches.
struct Team {
    owner: String,
    owner_me: Me,
    editor: String,
    editor_me: Me,
    agent: String,
    agent_me: Me,
    agent_laptop: Me,
    lib: Uuid,
    /// The reply: version 1 "48小时发货", version 2 "24小时发货".
    reply: SnippetDoc,
    reply_v1: SnippetDoc,
    /// Ids (`GET /v1/codes`) of open codes: the owner's agent invite, owner invite and
    /// pairing code.
    agent_invite: String,
    owner_invite: String,
    owners_pairing: String,
}

fn reply(id: Uuid, text: &str) -> SnippetDoc {
    SnippetDoc {
        id,
        folder_id: None,
        title: "发货时间".into(),
        code: Some("fh".into()),
        tags: vec![],
        parts: vec![Part::Text { body: text.into() }],
        apps: vec![],
        position: 0,
        starts_at: None,
        ends_at: None,
    }
}

async fn team(srv: &Srv) -> R<Team> {
    let (owner, owner_me) = srv.join(&srv.setup, "老板的电脑", Some("老板")).await?;
    let lib = Uuid::now_v7();
    let _: Value = ok_json(
        srv.req(Method::POST, "/v1/libraries", &owner)
            .json(&json!({"id": lib, "name": "团队话术"}))
            .send()
            .await?,
    )
    .await?;
    let (editor, editor_me) = srv
        .join(
            &srv.invite(&owner, Role::Editor, false).await?,
            "编辑的电脑",
            Some("小美"),
        )
        .await?;
    let (agent, agent_me) = srv
        .join(
            &srv.invite(&owner, Role::Agent, false).await?,
            "客服1号机",
            Some("小王"),
        )
        .await?;
    let (_, agent_laptop) = srv
        .join(
            &srv.invite(&agent, Role::Agent, true).await?,
            "小王的笔记本",
            None,
        )
        .await?;
    let id = Uuid::now_v7();
    let reply_v1 = reply(id, "48小时发货");
    let reply_v2 = reply(id, "24小时发货");
    srv.put(&owner, lib, 0, &ItemDoc::Snippet(reply_v1.clone()))
        .await?;
    srv.put(&editor, lib, 1, &ItemDoc::Snippet(reply_v2.clone()))
        .await?;
    srv.put(
        &owner,
        lib,
        0,
        &ItemDoc::Variable(VariableDoc {
            name: "店名".into(),
            value: "小美家居".into(),
            description: String::new(),
            overridable: false,
            example: false,
        }),
    )
    .await?;
    let today = today();
    let r = srv
        .req(Method::POST, &format!("/v1/libraries/{lib}/usage"), &agent)
        .json(&UsageReport {
            counts: vec![UsageCount {
                key: id.to_string(),
                day: today.clone(),
                count: 3,
            }],
        })
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = srv
        .req(Method::POST, "/v1/missed", &agent)
        .json(&MissedReport {
            searches: vec![MissedSearch {
                query: "退货运费".into(),
                day: today,
                count: 2,
            }],
        })
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "{}", r.text().await?);
    // Open codes: an agent invite, an owner invite, the owner's pairing code.
    let mut ids = Vec::new();
    for (role, pairing) in [
        (Role::Agent, false),
        (Role::Owner, false),
        // A pairing code's role is its maker's.
        (Role::Owner, true),
    ] {
        srv.invite(&owner, role, pairing).await?;
        let codes: Vec<CodeInfo> = srv.get("/v1/codes", &owner).await?;
        let newest = codes
            .iter()
            .find(|c| !ids.contains(&c.id))
            .ok_or_else(|| fail("the new code is not listed"))?;
        assert_eq!((newest.role, newest.pairing), (role, pairing));
        ids.push(newest.id.clone());
    }
    let [agent_invite, owner_invite, owners_pairing] =
        <[String; 3]>::try_from(ids).map_err(|_| fail("three codes"))?;
    Ok(Team {
        agent_invite,
        owner_invite,
        owners_pairing,
        owner,
        owner_me,
        editor,
        editor_me,
        agent,
        agent_me,
        agent_laptop,
        lib,
        reply: reply_v2,
        reply_v1,
    })
}

/// Today's UTC date, `YYYY-MM-DD` (civil-from-days).
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let z = i64::try_from(secs / 86_400).unwrap_or_default() + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Everything the team can see, read with each member's own token: the devices with
/// their users and roles (the owner's list), every library each member can read with
/// its head and items, the reply's history, usage and missed totals. `last_seen` and
/// the reported cursors are left out (any request may move them).
async fn snapshot(srv: &Srv, t: &Team) -> R<Value> {
    let mut devices: Value = srv.get("/v1/devices", &t.owner).await?;
    if let Some(list) = devices.as_array_mut() {
        for d in list {
            if let Some(d) = d.as_object_mut() {
                d.remove("last_seen");
                d.remove("cursors");
            }
        }
    }
    let mut libraries = serde_json::Map::new();
    for (who, token) in [
        ("owner", &t.owner),
        ("editor", &t.editor),
        ("agent", &t.agent),
    ] {
        let libs: Value = srv.get("/v1/libraries", token).await?;
        let mut seen = Vec::new();
        for lib in libs.as_array().into_iter().flatten() {
            let id = lib["id"].as_str().unwrap_or_default();
            let changes: Value = srv
                .get(&format!("/v1/libraries/{id}/changes?since=0"), token)
                .await?;
            seen.push(json!({"library": lib, "changes": changes}));
        }
        libraries.insert(who.into(), Value::Array(seen));
    }
    let history: Vec<ItemVersion> = srv
        .get(
            &format!("/v1/libraries/{}/items/{}/history", t.lib, t.reply.id),
            &t.owner,
        )
        .await?;
    let usage: Value = srv
        .get(&format!("/v1/libraries/{}/usage?days=7", t.lib), &t.owner)
        .await?;
    let missed: Value = srv.get("/v1/missed?days=7", &t.owner).await?;
    let codes: Value = srv.get("/v1/codes", &t.owner).await?;
    let scan_settings: Value = srv.get("/v1/scan/settings", &t.owner).await?;
    Ok(json!({
        "scan_settings": scan_settings,
        "codes": codes,
        "devices": devices,
        "libraries": libraries,
        "history": serde_json::to_value(history)?,
        "usage": usage,
        "missed": missed,
    }))
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Owner,
    Editor,
    Agent,
}

impl Who {
    fn token(self, t: &Team) -> &str {
        match self {
            Who::Owner => &t.owner,
            Who::Editor => &t.editor,
            Who::Agent => &t.agent,
        }
    }
}

/// `If-Match` of a row.
#[derive(Clone, Copy, Debug)]
enum IfMatch {
    No,
    /// A new item.
    New,
    /// The item's current version on the server (read just before the request).
    Current,
}

/// One row: `who` sends `method path` (with `body`), gets 403 whose message contains
/// `says`; `control` may do the same successfully.
struct Case {
    what: &'static str,
    who: Who,
    method: Method,
    path: String,
    body: Option<Value>,
    if_match: IfMatch,
    /// Needs a sign-in waiting (its code is put into the body as `"code"`).
    signin: bool,
    says: &'static str,
    control: Option<Who>,
}

fn case(what: &'static str, who: Who, method: Method, path: String) -> Case {
    Case {
        what,
        who,
        method,
        path,
        body: None,
        if_match: IfMatch::No,
        signin: false,
        says: "",
        control: None,
    }
}

impl Case {
    fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
    fn if_match(mut self, m: IfMatch) -> Self {
        self.if_match = m;
        self
    }
    fn signin(mut self) -> Self {
        self.signin = true;
        self
    }
    fn says(mut self, s: &'static str) -> Self {
        self.says = s;
        self
    }
    fn control(mut self, who: Who) -> Self {
        self.control = Some(who);
        self
    }
}

fn put_body(doc: &ItemDoc) -> R<Value> {
    Ok(serde_json::to_value(PutItem {
        op: "authz-op".into(),
        doc: doc.clone(),
    })?)
}

fn invite(role: Role) -> Value {
    json!({"role": role, "uses": 1, "expires_in": 3600, "pairing": false})
}

fn cases(t: &Team) -> R<Vec<Case>> {
    use Who::*;
    let lib = t.lib;
    let key = t.reply.id;
    let item = format!("/v1/libraries/{lib}/items/{key}");
    let mut edited = t.reply.clone();
    edited.parts = vec![Part::Text {
        body: "当天发货".into(),
    }];
    let folder = ItemDoc::Folder(FolderDoc {
        id: Uuid::now_v7(),
        parent_id: None,
        name: "售后".into(),
        position: 0,
        starts_at: None,
        ends_at: None,
    });
    let new_reply = ItemDoc::Snippet(reply(Uuid::now_v7(), "您好"));
    let new_var = ItemDoc::Variable(VariableDoc {
        name: "电话".into(),
        value: "400-000".into(),
        description: String::new(),
        overridable: false,
        example: false,
    });
    let role = |user: Uuid| format!("/v1/members/{user}/role");
    let member = |user: Uuid| format!("/v1/members/{user}");
    let code = |id: &str| format!("/v1/codes/{id}");
    let device = |d: Uuid| format!("/v1/devices/{d}");
    Ok(vec![
        // Inviting new members.
        case(
            "agent invites an agent",
            Agent,
            Method::POST,
            "/v1/invites".into(),
        )
        .body(invite(Role::Agent))
        .says("agents cannot invite")
        .control(Editor),
        case(
            "agent invites an editor",
            Agent,
            Method::POST,
            "/v1/invites".into(),
        )
        .body(invite(Role::Editor))
        .says("agents cannot invite")
        .control(Editor),
        case(
            "agent invites an owner",
            Agent,
            Method::POST,
            "/v1/invites".into(),
        )
        .body(invite(Role::Owner))
        .says("agents cannot invite")
        .control(Owner),
        case(
            "editor invites an owner",
            Editor,
            Method::POST,
            "/v1/invites".into(),
        )
        .body(invite(Role::Owner))
        .says("only the owner may invite another owner")
        .control(Owner),
        // Roles (owner only).
        case(
            "agent makes themselves editor",
            Agent,
            Method::PUT,
            role(t.agent_me.user_id),
        )
        .body(json!({"role": "editor"}))
        .says("only the owner may change roles"),
        case(
            "agent makes themselves owner",
            Agent,
            Method::PUT,
            role(t.agent_me.user_id),
        )
        .body(json!({"role": "owner"}))
        .says("only the owner may change roles"),
        case(
            "agent demotes the owner",
            Agent,
            Method::PUT,
            role(t.owner_me.user_id),
        )
        .body(json!({"role": "agent"}))
        .says("only the owner may change roles"),
        case(
            "editor promotes an agent",
            Editor,
            Method::PUT,
            role(t.agent_me.user_id),
        )
        .body(json!({"role": "editor"}))
        .says("only the owner may change roles"),
        case(
            "editor makes themselves owner",
            Editor,
            Method::PUT,
            role(t.editor_me.user_id),
        )
        .body(json!({"role": "owner"}))
        .says("only the owner may change roles"),
        // Revoking other members' devices (owner only).
        case(
            "agent revokes the owner's device",
            Agent,
            Method::DELETE,
            device(t.owner_me.device_id),
        )
        .says("only the owner may revoke another member's device"),
        case(
            "agent revokes the editor's device",
            Agent,
            Method::DELETE,
            device(t.editor_me.device_id),
        )
        .says("only the owner may revoke another member's device"),
        case(
            "editor revokes an agent's device",
            Editor,
            Method::DELETE,
            device(t.agent_laptop.device_id),
        )
        .says("only the owner may revoke another member's device"),
        case(
            "editor revokes the owner's device",
            Editor,
            Method::DELETE,
            device(t.owner_me.device_id),
        )
        .says("only the owner may revoke another member's device"),
        // Open codes (owner/editor; an owner invite and others' pairing codes: owner).
        case(
            "agent lists the team's codes",
            Agent,
            Method::GET,
            "/v1/codes".into(),
        )
        .says("only owners and editors may list and cancel")
        .control(Editor),
        case(
            "agent cancels an agent invite",
            Agent,
            Method::DELETE,
            code(&t.agent_invite),
        )
        .says("only owners and editors may list and cancel")
        .control(Editor),
        case(
            "editor cancels an owner invite",
            Editor,
            Method::DELETE,
            code(&t.owner_invite),
        )
        .says("only the owner may cancel an invite for a new owner")
        .control(Owner),
        case(
            "editor cancels the owner's pairing code",
            Editor,
            Method::DELETE,
            code(&t.owners_pairing),
        )
        .says("only the owner may cancel another member's pairing code")
        .control(Owner),
        // Removing members (owner only).
        case(
            "agent removes the owner",
            Agent,
            Method::DELETE,
            member(t.owner_me.user_id),
        )
        .says("only the owner may remove members"),
        case(
            "agent removes the editor",
            Agent,
            Method::DELETE,
            member(t.editor_me.user_id),
        )
        .says("only the owner may remove members"),
        case(
            "editor removes an agent",
            Editor,
            Method::DELETE,
            member(t.agent_me.user_id),
        )
        .says("only the owner may remove members"),
        case(
            "editor removes the owner",
            Editor,
            Method::DELETE,
            member(t.owner_me.user_id),
        )
        .says("only the owner may remove members"),
        // Team libraries (owner/editor).
        case(
            "agent creates a team library",
            Agent,
            Method::POST,
            "/v1/libraries".into(),
        )
        .body(json!({"id": Uuid::now_v7(), "name": "客服自建库"}))
        .says("only owners and editors may create team libraries")
        .control(Editor),
        case(
            "agent adds a reply to the team library",
            Agent,
            Method::PUT,
            format!("/v1/libraries/{lib}/items/{}", new_reply.key()),
        )
        .body(put_body(&new_reply)?)
        .if_match(IfMatch::New)
        .says("may read team libraries but not change them")
        .control(Editor),
        case("agent edits a team reply", Agent, Method::PUT, item.clone())
            .body(put_body(&ItemDoc::Snippet(edited))?)
            .if_match(IfMatch::Current)
            .says("may read team libraries but not change them")
            .control(Editor),
        case(
            "agent restores an old version (a write of version 1)",
            Agent,
            Method::PUT,
            item.clone(),
        )
        .body(put_body(&ItemDoc::Snippet(t.reply_v1.clone()))?)
        .if_match(IfMatch::Current)
        .says("may read team libraries but not change them")
        .control(Owner),
        case(
            "agent adds a folder to the team library",
            Agent,
            Method::PUT,
            format!("/v1/libraries/{lib}/items/{}", folder.key()),
        )
        .body(put_body(&folder)?)
        .if_match(IfMatch::New)
        .says("may read team libraries but not change them"),
        case(
            "agent sets a team variable",
            Agent,
            Method::PUT,
            format!("/v1/libraries/{lib}/items/var:%E7%94%B5%E8%AF%9D"),
        )
        .body(put_body(&new_var)?)
        .if_match(IfMatch::New)
        .says("may read team libraries but not change them"),
        case(
            "agent deletes a team reply",
            Agent,
            Method::DELETE,
            format!("{item}?op=authz-del"),
        )
        .if_match(IfMatch::Current)
        .says("may read team libraries but not change them"),
        // Usage and missed searches (owner/editor).
        case(
            "agent reads the team library's usage",
            Agent,
            Method::GET,
            format!("/v1/libraries/{lib}/usage?days=30"),
        )
        .says("may read team libraries but not change them")
        .control(Editor),
        case(
            "agent reads a member's usage",
            Agent,
            Method::GET,
            format!(
                "/v1/libraries/{lib}/usage?days=30&user={}",
                t.owner_me.user_id
            ),
        )
        .says("may read team libraries but not change them")
        .control(Editor),
        case(
            "agent reads the team's missed searches",
            Agent,
            Method::GET,
            "/v1/missed?days=30".into(),
        )
        .says("only owners and editors")
        .control(Editor),
        // Sign-in providers for scanning (the owner only).
        case(
            "editor reads the sign-in provider settings",
            Editor,
            Method::GET,
            "/v1/scan/settings".into(),
        )
        .says("只有团队主管")
        .control(Owner),
        case(
            "editor sets up QQ sign-in",
            Editor,
            Method::PUT,
            "/v1/scan/settings/qq".into(),
        )
        .body(json!({"app_id": "101", "secret": "qq-secret"}))
        .says("only the team's owner")
        .control(Owner),
        case(
            "agent turns QQ sign-in off",
            Agent,
            Method::DELETE,
            "/v1/scan/settings/qq".into(),
        )
        .says("只有团队主管")
        .control(Owner),
        // Letting in a new member by approving a sign-in (invite rules).
        case(
            "agent approves a sign-in as a new agent",
            Agent,
            Method::POST,
            "/v1/signin/approve".into(),
        )
        .body(json!({"member": "agent"}))
        .signin()
        .says("agents cannot invite")
        .control(Editor),
        case(
            "agent approves a sign-in as a new owner",
            Agent,
            Method::POST,
            "/v1/signin/approve".into(),
        )
        .body(json!({"member": "owner"}))
        .signin()
        .says("agents cannot invite")
        .control(Owner),
        case(
            "editor approves a sign-in as a new owner",
            Editor,
            Method::POST,
            "/v1/signin/approve".into(),
        )
        .body(json!({"member": "owner"}))
        .signin()
        .says("only the owner may invite another owner")
        .control(Owner),
    ])
}

/// Sends a row's request as `who` (the current version read first when needed).
async fn send(srv: &Srv, t: &Team, c: &Case, who: Who, signin_code: &str) -> R<reqwest::Response> {
    let mut rb = srv.req(c.method.clone(), &c.path, who.token(t));
    let version = match c.if_match {
        IfMatch::No => None,
        IfMatch::New => Some(0),
        IfMatch::Current => {
            let history: Vec<ItemVersion> = srv
                .get(
                    &format!("{}/history", c.path.split('?').next().unwrap_or_default()),
                    &t.owner,
                )
                .await?;
            Some(history.first().map_or(0, |v| v.version))
        }
    };
    if let Some(v) = version {
        rb = rb.header("If-Match", format!("\"{v}\""));
    }
    if let Some(body) = &c.body {
        let mut body = body.clone();
        if c.signin
            && let Some(o) = body.as_object_mut()
        {
            o.insert("code".into(), Value::String(signin_code.into()));
        }
        if let Some(op) = body.get_mut("op") {
            *op = Value::String(Uuid::now_v7().to_string());
        }
        rb = rb.json(&body);
    }
    Ok(rb.send().await?)
}

async fn lead_only_actions_are_refused_and_change_nothing(b: Backend) -> R {
    let srv = Srv::start(&b).await?;
    let t = team(&srv).await?;
    let cases = cases(&t)?;
    let mut problems = Vec::new();
    for c in &cases {
        let signin = if c.signin {
            Some(
                srv.signin_start(&format!("想进来的电脑 ({})", c.what))
                    .await?,
            )
        } else {
            None
        };
        let code = signin.as_ref().map(|s| s.code.clone()).unwrap_or_default();
        let before = snapshot(&srv, &t).await?;
        let resp = send(&srv, &t, c, c.who, &code).await?;
        let status = resp.status();
        let json = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        let text = resp.text().await?;
        let body: Option<ErrorBody> = serde_json::from_str(&text).ok();
        if status != StatusCode::FORBIDDEN {
            problems.push(format!("{}: expected 403, got {status}: {text}", c.what));
            continue;
        }
        match &body {
            Some(b) if json && b.code == "forbidden" && b.message.contains(c.says) => {}
            _ => problems.push(format!(
                "{}: expected a JSON forbidden error saying {:?}, got {text}",
                c.what, c.says
            )),
        }
        let after = snapshot(&srv, &t).await?;
        if before != after {
            problems.push(format!(
                "{}: the refused request changed something:\nbefore {before:#}\nafter  {after:#}",
                c.what
            ));
        }
        if let Some(s) = &signin {
            let poll: SigninPoll = ok_json(srv.signin_poll(s).await?).await?;
            if poll.state != SigninState::Pending || poll.join.is_some() {
                problems.push(format!("{}: the sign-in is no longer waiting", c.what));
            }
        }
        // The same request from a member who may: accepted (the row is refused for
        // the caller's role, not for a bad request).
        if let Some(who) = c.control {
            let resp = send(&srv, &t, c, who, &code).await?;
            if !resp.status().is_success() {
                problems.push(format!(
                    "{}: the control as {who:?} failed: {} {}",
                    c.what,
                    resp.status(),
                    resp.text().await?
                ));
            }
            if let Some(s) = &signin {
                let poll: SigninPoll = ok_json(srv.signin_poll(s).await?).await?;
                let role = poll.join.map(|j| j.me.role);
                let asked = c.body.as_ref().and_then(|b| b["member"].as_str());
                if role.map(Role::as_str) != asked {
                    problems.push(format!(
                        "{}: the control let in {role:?}, not {asked:?}",
                        c.what
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {} rows failed:\n{}",
        problems.len(),
        cases.len(),
        problems.join("\n")
    );

    // Listing devices is not refused, but beyond the owner nobody sees others' devices.
    for (who, me, count) in [(Who::Agent, &t.agent_me, 2), (Who::Editor, &t.editor_me, 1)] {
        let list: Vec<quickreply_proto::api::DeviceInfo> =
            srv.get("/v1/devices", who.token(&t)).await?;
        assert_eq!(list.len(), count, "{who:?} sees {list:?}");
        assert!(
            list.iter().all(|d| d.user_id == me.user_id),
            "{who:?} sees another member's device: {list:?}"
        );
    }
    let all: Vec<quickreply_proto::api::DeviceInfo> = srv.get("/v1/devices", &t.owner).await?;
    for me in [&t.owner_me, &t.editor_me, &t.agent_me, &t.agent_laptop] {
        assert!(
            all.iter().any(|d| d.id == me.device_id),
            "the owner sees every device: {all:?}"
        );
    }

    // What an agent may do stays possible: revoke their own other device, read the
    // team library and its history, pairing codes for themselves.
    let r = srv
        .req(
            Method::DELETE,
            &format!("/v1/devices/{}", t.agent_laptop.device_id),
            &t.agent,
        )
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let history: Vec<ItemVersion> = srv
        .get(
            &format!("/v1/libraries/{}/items/{}/history", t.lib, t.reply.id),
            &t.agent,
        )
        .await?;
    assert!(history.len() >= 2);
    srv.invite(&t.agent, Role::Agent, true).await?;
    // A device of no one in the team, or none at all: 404, as before.
    let r = srv
        .req(
            Method::DELETE,
            &format!("/v1/devices/{}", Uuid::now_v7()),
            &t.agent,
        )
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    srv.stop().await
}

async fn an_approval_by_a_lead_demoted_before_collection_lets_nobody_in(b: Backend) -> R {
    let srv = Srv::start(&b).await?;
    let t = team(&srv).await?;
    let asking = srv.signin_start("新同事的电脑").await?;
    let r = srv
        .req(Method::POST, "/v1/signin/approve", &t.editor)
        .json(&SigninDecision {
            code: asking.code.clone(),
            member: Some(Role::Editor),
        })
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    // The owner makes the editor an agent before the new computer collects its token.
    let r = srv
        .req(
            Method::PUT,
            &format!("/v1/members/{}/role", t.editor_me.user_id),
            &t.owner,
        )
        .json(&json!({"role": "agent"}))
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let before: Vec<quickreply_proto::api::DeviceInfo> = srv.get("/v1/devices", &t.owner).await?;
    let r = srv.signin_poll(&asking).await?;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: ErrorBody = serde_json::from_str(&r.text().await?)?;
    assert_eq!(body.code, "forbidden");
    assert!(body.message.contains("agents cannot invite"), "{body:?}");
    let after: Vec<quickreply_proto::api::DeviceInfo> = srv.get("/v1/devices", &t.owner).await?;
    assert_eq!(before.len(), after.len(), "nobody was let in: {after:?}");
    srv.stop().await
}

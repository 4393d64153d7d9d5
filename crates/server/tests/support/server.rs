//! The test server the API scenarios talk to ([`Srv`]: one `quickreply-server` in this
//! process on 127.0.0.1:0, reached over HTTP with reqwest) and the small fixtures they
//! share: a team with an owner, a library and an agent ([`Team`]), documents, and
//! assertions on answers ([`ok_json`], [`err`]). A test file includes it after `mod pg;`
//! and `mod backend;` with `#[path = "support/server.rs"] mod server;`.

// Each test binary uses a part of it.
#![allow(dead_code)]

use std::time::Duration;

use futures_util::StreamExt as _;
use quickreply_proto::api::{
    Changes, CreateLibrary, ErrorBody, InviteRequest, InviteResponse, ItemDoc, JoinRequest,
    JoinResponse, LibraryInfo, Me, PutItem, Role, VariableDoc,
};
use quickreply_proto::{LibraryKind, Part, SnippetDoc};
use quickreply_server::{Clock, Config, Server, spawn};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use crate::backend::{Backend, R, fail};

pub struct Srv {
    pub base: String,
    pub http: reqwest::Client,
    /// The setup code it printed ("" when it printed none).
    pub setup: String,
    pub clock: Clock,
    pub server: Option<Server>,
    pub dir: tempfile::TempDir,
}

impl Srv {
    pub async fn start(b: &Backend) -> R<Self> {
        Self::start_with(b, |_| {}).await
    }

    pub async fn start_with(b: &Backend, tweak: impl FnOnce(&mut Config)) -> R<Self> {
        let srv = Self::start_any(b, tweak).await?;
        if srv.setup.is_empty() {
            return Err(fail("a new server prints a setup code"));
        }
        Ok(srv)
    }

    /// A server with or without a setup code (a second instance on a used database).
    pub async fn start_any(b: &Backend, tweak: impl FnOnce(&mut Config)) -> R<Self> {
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

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn req(&self, method: Method, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path)).bearer_auth(token)
    }

    pub async fn join_raw(
        &self,
        code: &str,
        device: &str,
        user: Option<&str>,
    ) -> R<reqwest::Response> {
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

    pub async fn join(&self, code: &str, device: &str, user: Option<&str>) -> R<(String, Me)> {
        let j: JoinResponse = ok_json(self.join_raw(code, device, user).await?).await?;
        Ok((j.token, j.me))
    }

    pub async fn owner(&self) -> R<(String, Me)> {
        self.join(&self.setup, "前台电脑", Some("老板")).await
    }

    pub async fn invite(&self, token: &str, role: Role, uses: u32, pairing: bool) -> R<String> {
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
    pub async fn team(&self) -> R<Team> {
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

    pub async fn put(
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

    pub async fn changes(&self, token: &str, lib: Uuid, since: i64, limit: usize) -> R<Changes> {
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

    pub async fn stop(mut self) -> R<tempfile::TempDir> {
        if let Some(s) = self.server.take() {
            s.handle.stop().await?;
        }
        Ok(self.dir)
    }
}

pub struct Team {
    pub owner: String,
    pub owner_me: Me,
    pub agent: String,
    pub agent_me: Me,
    pub lib: Uuid,
}

/// Percent-encodes a path segment.
pub fn enc(s: &str) -> String {
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

pub async fn ok_json<T: DeserializeOwned>(resp: reqwest::Response) -> R<T> {
    let status = resp.status();
    let text = resp.text().await?;
    if !status.is_success() {
        return Err(fail(format!("expected success, got {status}: {text}")));
    }
    Ok(serde_json::from_str(&text)?)
}

/// Asserts an error answer: status, JSON body and code.
pub async fn err(resp: reqwest::Response, status: StatusCode, code: &str) -> R<ErrorBody> {
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

pub fn var(name: &str, value: &str) -> ItemDoc {
    ItemDoc::Variable(VariableDoc {
        name: name.into(),
        value: value.into(),
        description: String::new(),
        overridable: false,
        example: false,
    })
}

pub fn snippet(title: &str, parts: Vec<Part>) -> ItemDoc {
    ItemDoc::Snippet(SnippetDoc {
        id: Uuid::now_v7(),
        folder_id: None,
        title: title.into(),
        code: Some("fh".into()),
        tags: vec![],
        parts,
        apps: vec![],
        position: 0,
        starts_at: None,
        ends_at: None,
    })
}

pub fn image(sha: &str) -> Part {
    Part::Image {
        sha256: sha.into(),
        mime: "image/png".into(),
        width: 1,
        height: 1,
    }
}

/// A real image of `width` × `height` pixels in `format` (the server decodes every upload).
pub fn image_bytes(format: image::ImageFormat, width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = Vec::new();
    // Encoding to memory fails only for formats without an encoder (not the ones used).
    let _ =
        image::DynamicImage::ImageRgb8(img).write_to(&mut std::io::Cursor::new(&mut out), format);
    out
}

/// A small PNG, different for each `seed`.
pub fn png(seed: u32) -> Vec<u8> {
    image_bytes(image::ImageFormat::Png, 1 + seed % 50, 1 + seed / 50)
}

pub fn sha_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// One parsed server-sent event.
#[derive(Debug, Default)]
pub struct Sse {
    pub event: String,
    pub id: String,
    pub data: String,
}

pub struct SseReader {
    stream: futures_util::stream::BoxStream<'static, reqwest::Result<axum::body::Bytes>>,
    buf: String,
}

impl SseReader {
    pub async fn open(srv: &Srv, token: &str, last_id: Option<&str>) -> R<Self> {
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
    pub async fn next(&mut self, wait: Duration) -> R<Option<Sse>> {
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
    pub async fn ended(&mut self, wait: Duration) -> R<bool> {
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

pub fn head_of(ev: &Sse) -> R<quickreply_proto::api::HeadEvent> {
    assert_eq!(ev.event, "head");
    Ok(serde_json::from_str(&ev.data)?)
}

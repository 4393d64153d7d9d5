//! What both sync benchmarks (`sync.rs`, `sync_scale.rs`) say to the server over HTTP:
//! the replies they write and a small blocking client of the API.

use std::time::Duration;

use anyhow::{Result, anyhow};
use quickreply_proto::api::{
    InviteRequest, InviteResponse, ItemDoc, JoinRequest, JoinResponse, PutItem, Role,
};
use quickreply_proto::{Part, SnippetDoc};
use reqwest::blocking::Client;
use uuid::Uuid;

/// The `i`th reply a benchmark writes: an ordinary short reply with a tag.
pub fn snippet(i: usize) -> SnippetDoc {
    SnippetDoc {
        id: Uuid::now_v7(),
        folder_id: None,
        title: format!("压测话术{i}"),
        code: None,
        tags: vec!["压测".into()],
        parts: vec![Part::Text {
            body: format!("亲，这是第{i}条压测回复，请放心购买哦，有问题随时联系客服"),
        }],
        apps: vec![],
        position: i as i64,
        starts_at: None,
        ends_at: None,
    }
}

pub struct Api {
    pub base: String,
    pub http: Client,
}

impl Api {
    /// A client of the server at `base` whose requests give up after 120 s.
    pub fn new(base: &str) -> Result<Api> {
        Ok(Api::with(
            base,
            Client::builder()
                .timeout(Duration::from_secs(120))
                .build()?,
        ))
    }

    /// A client of the server at `base` over `http` (its own pool settings).
    pub fn with(base: &str, http: Client) -> Api {
        Api {
            base: base.to_string(),
            http,
        }
    }

    pub fn post<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        token: Option<&str>,
        body: &impl serde::Serialize,
    ) -> Result<T> {
        let mut rb = self.http.post(format!("{}{path}", self.base)).json(body);
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        let resp = rb.send()?;
        let status = resp.status();
        let text = resp.text()?;
        if !status.is_success() {
            return Err(anyhow!("POST {path}: {status} {text}"));
        }
        Ok(serde_json::from_str(&text)?)
    }

    /// Writes a new reply (`If-Match: "0"`).
    pub fn put(&self, token: &str, library: Uuid, doc: SnippetDoc) -> Result<()> {
        let key = doc.id.to_string();
        let resp = self
            .http
            .put(format!("{}/v1/libraries/{library}/items/{key}", self.base))
            .bearer_auth(token)
            .header("If-Match", "\"0\"")
            .json(&PutItem {
                op: Uuid::now_v7().to_string(),
                doc: ItemDoc::Snippet(doc),
            })
            .send()?;
        if !resp.status().is_success() {
            return Err(anyhow!("PUT: {} {}", resp.status(), resp.text()?));
        }
        Ok(())
    }

    /// Joins with `code` as a new computer (and person) called `name`.
    pub fn join(&self, code: &str, name: &str) -> Result<JoinResponse> {
        self.post(
            "/v1/join",
            None,
            &JoinRequest {
                code: code.into(),
                device_name: name.into(),
                user_name: Some(name.into()),
                app_version: "bench".into(),
            },
        )
    }

    /// An agents' invite with `uses` uses.
    pub fn invite(&self, token: &str, uses: u32) -> Result<String> {
        let r: InviteResponse = self.post(
            "/v1/invites",
            Some(token),
            &InviteRequest {
                role: Role::Agent,
                uses,
                expires_in: 3600,
                pairing: false,
            },
        )?;
        Ok(r.code)
    }
}

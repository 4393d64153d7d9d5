//! The HTTP side of sync: typed calls of the `/v1` API (see `quickreply_proto::api`)
//! over `reqwest` with rustls, and a reader of the server's SSE stream.

use std::io::{BufRead, BufReader, Read};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::Url;
use reqwest::blocking::{Client as Http, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use quickreply_proto::api::{
    BatchResults, BatchWrite, Changes, CodeInfo, CreateLibrary, DeviceInfo, ErrorBody, HeadEvent,
    IdentityInfo, InviteRequest, InviteResponse, Item, ItemVersion, JoinRequest, JoinResponse,
    LibraryDigest, LibraryInfo, Me, MissedReport, MissedTotal, PutItem, ScanLinkRequest, ScanPoll,
    ScanProvider, ScanProviderInfo, ScanRequest, ScanStarted, SigninDecision, SigninDenial,
    SigninInfo, SigninPoll, SigninPollRequest, SigninRequest, SigninStarted, StatusReport,
    UsageReport, UsageTotal,
};

use crate::error::SyncError;
use quickreply_core::i18n::tr;

/// The answer to a write: accepted, or refused because the item changed on the server
/// (`412`), with the item as the server has it.
#[derive(Debug)]
pub enum WriteOutcome {
    Done(Item),
    Conflict(Item),
}

/// A client of one sync server, with or without a device token.
#[derive(Clone, Debug)]
pub struct Client {
    base: Url,
    http: Http,
    stream: Http,
    token: Option<String>,
}

impl Client {
    /// `server` is the base address (`http://127.0.0.1:8787`, `https://sync.example.com/qr`).
    pub fn new(server: &str, token: Option<String>) -> Result<Client, SyncError> {
        let mut base = Url::parse(server.trim()).map_err(|e| SyncError::BadUrl {
            url: server.to_string(),
            reason: e.to_string(),
        })?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(SyncError::BadUrl {
                url: server.to_string(),
                reason: "http:// or https://".into(),
            });
        }
        if !base.path().ends_with('/') {
            let p = format!("{}/", base.path());
            base.set_path(&p);
        }
        let build = |timeout: Option<Duration>| {
            Http::builder()
                .connect_timeout(Duration::from_secs(10))
                .timeout(timeout)
                .user_agent(concat!("quickreply/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| SyncError::Http {
                    url: server.to_string(),
                    reason: describe(&e),
                })
        };
        Ok(Client {
            base,
            http: build(Some(Duration::from_secs(60)))?,
            stream: build(None)?,
            token,
        })
    }

    /// The server's base address.
    pub fn server(&self) -> &str {
        self.base.as_str()
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut u = self.base.clone();
        if let Ok(mut s) = u.path_segments_mut() {
            s.pop_if_empty().extend(segments);
        }
        u
    }

    fn auth(&self, rb: RequestBuilder) -> RequestBuilder {
        match &self.token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    fn send(&self, rb: RequestBuilder) -> Result<Response, SyncError> {
        let rb = self.auth(rb);
        rb.send().map_err(|e| SyncError::Http {
            url: self.base.to_string(),
            reason: describe(&e),
        })
    }

    fn error_of(resp: Response) -> SyncError {
        let status = resp.status().as_u16();
        let text = resp.text().unwrap_or_default();
        match serde_json::from_str::<ErrorBody>(&text) {
            Ok(b) => SyncError::Server {
                status,
                code: b.code,
                message: b.message,
            },
            Err(_) => SyncError::Server {
                status,
                code: String::new(),
                message: text.chars().take(300).collect(),
            },
        }
    }

    fn json<T: DeserializeOwned>(&self, rb: RequestBuilder) -> Result<T, SyncError> {
        let resp = self.send(rb)?;
        if !resp.status().is_success() {
            return Err(Self::error_of(resp));
        }
        let url = resp.url().to_string();
        let bytes = resp.bytes().map_err(|e| SyncError::Http {
            url: url.clone(),
            reason: describe(&e),
        })?;
        serde_json::from_slice(&bytes).map_err(|e| SyncError::Protocol(format!("{url}: {e}")))
    }

    fn empty(&self, rb: RequestBuilder) -> Result<(), SyncError> {
        let resp = self.send(rb)?;
        if !resp.status().is_success() {
            return Err(Self::error_of(resp));
        }
        Ok(())
    }

    pub fn join(&self, req: &JoinRequest) -> Result<JoinResponse, SyncError> {
        self.json(self.http.post(self.url(&["v1", "join"])).json(req))
    }

    /// `POST /v1/signin` (no token needed).
    pub fn signin_start(&self, req: &SigninRequest) -> Result<SigninStarted, SyncError> {
        self.json(self.http.post(self.url(&["v1", "signin"])).json(req))
    }

    pub fn signin_poll(&self, id: Uuid, secret: &str) -> Result<SigninPoll, SyncError> {
        self.json(
            self.http
                .post(self.url(&["v1", "signin", &id.to_string(), "poll"]))
                .json(&SigninPollRequest {
                    secret: secret.to_string(),
                }),
        )
    }

    pub fn signin_lookup(&self, code: &str) -> Result<SigninInfo, SyncError> {
        let mut url = self.url(&["v1", "signin"]);
        url.query_pairs_mut().append_pair("code", code);
        self.json(self.http.get(url))
    }

    pub fn signin_approve(&self, req: &SigninDecision) -> Result<(), SyncError> {
        self.empty(
            self.http
                .post(self.url(&["v1", "signin", "approve"]))
                .json(req),
        )
    }

    pub fn signin_deny(&self, req: &SigninDenial) -> Result<(), SyncError> {
        self.empty(
            self.http
                .post(self.url(&["v1", "signin", "deny"]))
                .json(req),
        )
    }

    /// `GET /v1/scan`: the providers the server signs in with (none on an older server).
    pub fn scan_providers(&self) -> Result<Vec<ScanProviderInfo>, SyncError> {
        self.json(self.http.get(self.url(&["v1", "scan"])))
    }

    /// `POST /v1/scan` (no token needed).
    pub fn scan_start(&self, req: &ScanRequest) -> Result<ScanStarted, SyncError> {
        self.json(self.http.post(self.url(&["v1", "scan"])).json(req))
    }

    /// `POST /v1/scan/link`: link this member's identity at a provider.
    pub fn scan_link(&self, req: &ScanLinkRequest) -> Result<ScanStarted, SyncError> {
        self.json(self.http.post(self.url(&["v1", "scan", "link"])).json(req))
    }

    pub fn scan_poll(&self, id: Uuid, secret: &str) -> Result<ScanPoll, SyncError> {
        self.json(
            self.http
                .post(self.url(&["v1", "scan", &id.to_string(), "poll"]))
                .json(&SigninPollRequest {
                    secret: secret.to_string(),
                }),
        )
    }

    /// `GET /v1/identities`: this member's linked identities.
    pub fn identities(&self) -> Result<Vec<IdentityInfo>, SyncError> {
        self.json(self.http.get(self.url(&["v1", "identities"])))
    }

    /// `DELETE /v1/identities/{provider}`.
    pub fn unlink_identity(&self, provider: ScanProvider) -> Result<(), SyncError> {
        self.empty(
            self.http
                .delete(self.url(&["v1", "identities", provider.as_str()])),
        )
    }

    /// The kept versions of an item, newest first.
    pub fn history(&self, library: Uuid, key: &str) -> Result<Vec<ItemVersion>, SyncError> {
        self.json(self.http.get(self.url(&[
            "v1",
            "libraries",
            &library.to_string(),
            "items",
            key,
            "history",
        ])))
    }

    /// `POST /v1/libraries/{id}/suggestions` (the same id again answers the stored one).
    pub fn suggest(
        &self,
        library: Uuid,
        s: &quickreply_proto::api::NewSuggestion,
    ) -> Result<quickreply_proto::api::Suggestion, SyncError> {
        self.json(
            self.http
                .post(self.url(&["v1", "libraries", &library.to_string(), "suggestions"]))
                .json(s),
        )
    }

    /// `GET /v1/suggestions`: a lead's inbox, an agent's own.
    pub fn suggestions(&self) -> Result<Vec<quickreply_proto::api::Suggestion>, SyncError> {
        self.json(self.http.get(self.url(&["v1", "suggestions"])))
    }

    /// `POST /v1/suggestions/{id}/{action}` (`accept`, `decline`, `withdraw`) with `body`.
    pub fn decide_suggestion(
        &self,
        id: Uuid,
        action: &str,
        body: &serde_json::Value,
    ) -> Result<quickreply_proto::api::Suggestion, SyncError> {
        self.json(
            self.http
                .post(self.url(&["v1", "suggestions", &id.to_string(), action]))
                .json(body),
        )
    }

    pub fn me(&self) -> Result<Me, SyncError> {
        self.json(self.http.get(self.url(&["v1", "me"])))
    }

    pub fn invite(&self, req: &InviteRequest) -> Result<InviteResponse, SyncError> {
        self.json(self.http.post(self.url(&["v1", "invites"])).json(req))
    }

    pub fn devices(&self) -> Result<Vec<DeviceInfo>, SyncError> {
        self.json(self.http.get(self.url(&["v1", "devices"])))
    }

    pub fn revoke(&self, device: Uuid) -> Result<(), SyncError> {
        self.empty(
            self.http
                .delete(self.url(&["v1", "devices", &device.to_string()])),
        )
    }

    /// The team's open invite and pairing codes (owner/editor).
    pub fn codes(&self) -> Result<Vec<CodeInfo>, SyncError> {
        self.json(self.http.get(self.url(&["v1", "codes"])))
    }

    /// Cancels an open code by its id ([`CodeInfo::id`]).
    pub fn cancel_code(&self, id: &str) -> Result<(), SyncError> {
        self.empty(self.http.delete(self.url(&["v1", "codes", id])))
    }

    /// Removes a member from the team (the owner).
    pub fn remove_member(&self, user: Uuid) -> Result<(), SyncError> {
        self.empty(
            self.http
                .delete(self.url(&["v1", "members", &user.to_string()])),
        )
    }

    pub fn report(&self, report: &StatusReport) -> Result<(), SyncError> {
        self.empty(self.http.post(self.url(&["v1", "status"])).json(report))
    }

    pub fn libraries(&self) -> Result<Vec<LibraryInfo>, SyncError> {
        self.json(self.http.get(self.url(&["v1", "libraries"])))
    }

    pub fn create_library(&self, req: &CreateLibrary) -> Result<LibraryInfo, SyncError> {
        self.json(self.http.post(self.url(&["v1", "libraries"])).json(req))
    }

    pub fn changes(&self, library: Uuid, since: i64, limit: usize) -> Result<Changes, SyncError> {
        let mut u = self.url(&["v1", "libraries", &library.to_string(), "changes"]);
        u.query_pairs_mut()
            .append_pair("since", &since.to_string())
            .append_pair("limit", &limit.to_string());
        self.json(self.http.get(u))
    }

    pub fn digest(&self, library: Uuid) -> Result<LibraryDigest, SyncError> {
        self.json(
            self.http
                .get(self.url(&["v1", "libraries", &library.to_string(), "digest"])),
        )
    }

    fn write(&self, rb: RequestBuilder) -> Result<WriteOutcome, SyncError> {
        let resp = self.send(rb)?;
        if resp.status() == StatusCode::PRECONDITION_FAILED {
            let text = resp.text().unwrap_or_default();
            let body: ErrorBody = serde_json::from_str(&text)
                .map_err(|e| SyncError::Protocol(format!("412: {e}")))?;
            // Without `current` the server has no such item (the version this device
            // knew is gone): answer as if it were a tombstone at version 0.
            return Ok(WriteOutcome::Conflict(
                body.current.unwrap_or_else(absent_item),
            ));
        }
        if !resp.status().is_success() {
            return Err(Self::error_of(resp));
        }
        let text = resp.text().unwrap_or_default();
        serde_json::from_str(&text)
            .map(WriteOutcome::Done)
            .map_err(|e| SyncError::Protocol(e.to_string()))
    }

    pub fn put_item(
        &self,
        library: Uuid,
        key: &str,
        if_match: i64,
        put: &PutItem,
    ) -> Result<WriteOutcome, SyncError> {
        let u = self.url(&["v1", "libraries", &library.to_string(), "items", key]);
        self.write(
            self.http
                .put(u)
                .header("If-Match", format!("\"{if_match}\""))
                .json(put),
        )
    }

    /// `POST /v1/libraries/{id}/items`: several writes at once, each answered in its
    /// place. `Ok(None)`: the server has no batch endpoint (an older server answers
    /// `404`/`405`) or refuses this batch as a whole (`400`, `413`): send the writes one by
    /// one. A revoked token (`401`), `429`, `5xx` and the network are errors, as for one
    /// write.
    pub fn write_items(
        &self,
        library: Uuid,
        batch: &BatchWrite,
    ) -> Result<Option<BatchResults>, SyncError> {
        let u = self.url(&["v1", "libraries", &library.to_string(), "items"]);
        let resp = self.send(self.http.post(u).json(batch))?;
        let status = resp.status().as_u16();
        if matches!(status, 400 | 404 | 405 | 413) {
            return Ok(None);
        }
        if !resp.status().is_success() {
            return Err(Self::error_of(resp));
        }
        let bytes = resp.bytes().map_err(|e| SyncError::Http {
            url: self.base.to_string(),
            reason: describe(&e),
        })?;
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| SyncError::Protocol(format!("a batch's answer: {e}")))
    }

    pub fn delete_item(
        &self,
        library: Uuid,
        key: &str,
        if_match: i64,
        op: &str,
    ) -> Result<WriteOutcome, SyncError> {
        let mut u = self.url(&["v1", "libraries", &library.to_string(), "items", key]);
        u.query_pairs_mut().append_pair("op", op);
        self.write(
            self.http
                .delete(u)
                .header("If-Match", format!("\"{if_match}\"")),
        )
    }

    pub fn report_usage(&self, library: Uuid, report: &UsageReport) -> Result<(), SyncError> {
        self.empty(
            self.http
                .post(self.url(&["v1", "libraries", &library.to_string(), "usage"]))
                .json(report),
        )
    }

    pub fn usage(&self, library: Uuid, days: u32) -> Result<Vec<UsageTotal>, SyncError> {
        let mut u = self.url(&["v1", "libraries", &library.to_string(), "usage"]);
        u.query_pairs_mut().append_pair("days", &days.to_string());
        self.json(self.http.get(u))
    }

    /// `GET /v1/libraries/{id}/stale`: replies no one fired in the last `days` days.
    pub fn stale(
        &self,
        library: Uuid,
        days: u32,
        limit: usize,
        offset: usize,
    ) -> Result<quickreply_proto::api::StaleReplies, SyncError> {
        let mut u = self.url(&["v1", "libraries", &library.to_string(), "stale"]);
        u.query_pairs_mut()
            .append_pair("days", &days.to_string())
            .append_pair("limit", &limit.to_string())
            .append_pair("offset", &offset.to_string());
        self.json(self.http.get(u))
    }

    /// `POST /v1/libraries/{id}/archive`: moves replies into the library's 归档 folder.
    pub fn archive(
        &self,
        library: Uuid,
        keys: Vec<String>,
    ) -> Result<quickreply_proto::api::ArchiveResult, SyncError> {
        self.json(
            self.http
                .post(self.url(&["v1", "libraries", &library.to_string(), "archive"]))
                .json(&quickreply_proto::api::ArchiveRequest { keys }),
        )
    }

    pub fn report_missed(&self, report: &MissedReport) -> Result<(), SyncError> {
        self.empty(self.http.post(self.url(&["v1", "missed"])).json(report))
    }

    pub fn missed(&self, days: u32) -> Result<Vec<MissedTotal>, SyncError> {
        let mut u = self.url(&["v1", "missed"]);
        u.query_pairs_mut().append_pair("days", &days.to_string());
        self.json(self.http.get(u))
    }

    pub fn put_blob(&self, sha256: &str, bytes: Vec<u8>) -> Result<(), SyncError> {
        self.empty(
            self.http
                .put(self.url(&["v1", "blobs", sha256]))
                .header("Content-Type", "application/octet-stream")
                .body(bytes),
        )
    }

    pub fn get_blob(&self, sha256: &str) -> Result<Vec<u8>, SyncError> {
        let resp = self.send(self.http.get(self.url(&["v1", "blobs", sha256])))?;
        if !resp.status().is_success() {
            return Err(Self::error_of(resp));
        }
        resp.bytes()
            .map(|b| b.to_vec())
            .map_err(|e| SyncError::Http {
                url: self.base.to_string(),
                reason: describe(&e),
            })
    }

    /// Open the server's event stream, resuming after `last_id` when given.
    pub fn events(&self, last_id: Option<&str>) -> Result<Events, SyncError> {
        let mut rb = self
            .stream
            .get(self.url(&["v1", "events"]))
            .header("Accept", "text/event-stream");
        if let Some(id) = last_id {
            rb = rb.header("Last-Event-ID", id);
        }
        let resp = self.send(rb)?;
        if !resp.status().is_success() {
            return Err(Self::error_of(resp));
        }
        Ok(Events {
            reader: BufReader::new(Box::new(resp)),
        })
    }
}

/// What a `412` without `current` stands for: the server has no such item (the version
/// this device knew is gone), as if it were a tombstone at version 0.
pub(crate) fn absent_item() -> Item {
    Item {
        key: String::new(),
        version: 0,
        seq: 0,
        deleted: true,
        doc: None,
        updated_at: 0,
        op: String::new(),
    }
}

/// One server-sent event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Event {
    pub id: Option<String>,
    pub event: String,
    pub data: String,
}

impl Event {
    /// The library head this event announces, if it is a `head` event.
    pub fn head(&self) -> Option<HeadEvent> {
        (self.event == "head")
            .then(|| serde_json::from_str(&self.data).ok())
            .flatten()
    }
}

/// An SSE stream: blocking reads, one event at a time.
pub struct Events {
    reader: BufReader<Box<dyn Read + Send>>,
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Events")
    }
}

impl Events {
    /// From any byte stream (tests).
    pub fn from_reader(r: impl Read + Send + 'static) -> Events {
        Events {
            reader: BufReader::new(Box::new(r)),
        }
    }

    /// The next event; `Ok(None)` when the stream ended.
    pub fn next_event(&mut self) -> Result<Option<Event>, SyncError> {
        let mut ev = Event::default();
        let mut any = false;
        loop {
            let mut line = String::new();
            let n = self
                .reader
                .read_line(&mut line)
                .map_err(|e| SyncError::Protocol(format!("event stream: {e}")))?;
            if n == 0 {
                return Ok(None);
            }
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if any {
                    if ev.event.is_empty() {
                        ev.event = "message".into();
                    }
                    return Ok(Some(ev));
                }
                continue;
            }
            if line.starts_with(':') {
                continue;
            }
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            any = true;
            match field {
                "id" => ev.id = Some(value.to_string()),
                "event" => ev.event = value.to_string(),
                "data" => {
                    if !ev.data.is_empty() {
                        ev.data.push('\n');
                    }
                    ev.data.push_str(value);
                }
                _ => {}
            }
        }
    }
}

/// A request error with its causes, where the useful part is (`error sending request`
/// alone does not say that the connection was refused or the certificate not trusted),
/// and what to do about a certificate signed by an unknown (private) authority.
fn describe(e: &reqwest::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    if out.contains("UnknownIssuer") {
        out.push_str(&tr(
            "（服务器的证书不是公共证书机构签发的：把它的 CA 证书装进系统的证书库，或用环境变量 SSL_CERT_FILE 指向它）",
            " (the server's certificate is not signed by a public authority: install its CA certificate in the system store, or point SSL_CERT_FILE at it)",
        ));
    } else if out.contains("CaUsedAsEndEntity") {
        out.push_str(&tr(
            "（服务器用的是一张 CA 证书：服务器证书需要 basicConstraints=CA:FALSE，或由 CA 另行签发）",
            " (the server presents a CA certificate: a server certificate needs basicConstraints=CA:FALSE, or is signed by the CA)",
        ));
    } else if e.url().is_some_and(|u| u.scheme() == "http") && out.contains("invalid HTTP version")
    {
        out.push_str(&tr(
            "（这个服务器可能只接受 HTTPS：地址改用 https://）",
            " (the server may speak HTTPS only: use an https:// address)",
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_events_are_parsed() {
        let lib = Uuid::nil();
        let text = format!(
            ": hello\n\nid: 7\nevent: head\ndata: {{\"library_id\":\"{lib}\",\"head\":3}}\n\n: ping\n\ndata: a\ndata: b\n\n"
        );
        let mut ev = Events::from_reader(std::io::Cursor::new(text.into_bytes()));
        let first = ev.next_event().ok().flatten().unwrap_or_default();
        assert_eq!(first.id.as_deref(), Some("7"));
        assert_eq!(
            first.head(),
            Some(HeadEvent {
                library_id: lib,
                head: 3,
                item: None,
            })
        );
        let second = ev.next_event().ok().flatten().unwrap_or_default();
        assert_eq!(second.event, "message");
        assert_eq!(second.data, "a\nb");
        assert!(matches!(ev.next_event(), Ok(None)));
    }

    #[test]
    fn bad_server_addresses_are_refused() {
        assert!(matches!(
            Client::new("ftp://x", None),
            Err(SyncError::BadUrl { .. })
        ));
        assert!(matches!(
            Client::new("not a url", None),
            Err(SyncError::BadUrl { .. })
        ));
        let c = Client::new("http://127.0.0.1:1/base", None);
        assert!(
            c.is_ok_and(|c| c.url(&["v1", "items", "var:店铺名"]).as_str()
                == "http://127.0.0.1:1/base/v1/items/var:%E5%BA%97%E9%93%BA%E5%90%8D")
        );
    }

    #[test]
    fn a_failed_request_says_why() -> Result<(), Box<dyn std::error::Error>> {
        // A port nothing listens on: the reason names the refused connection, not just
        // "error sending request".
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let c = Client::new(&format!("http://127.0.0.1:{port}"), None)?;
        match c.me() {
            Err(SyncError::Http { reason, .. }) => {
                assert!(reason.contains("error sending request"), "{reason}");
                assert!(reason.to_lowercase().contains("connect"), "{reason}");
                assert!(!reason.contains("SSL_CERT_FILE"), "{reason}");
            }
            other => return Err(format!("expected an HTTP error, got {other:?}").into()),
        }
        Ok(())
    }
}

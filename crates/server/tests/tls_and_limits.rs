//! HTTPS (`Config::tls`, `--tls-cert`/`--tls-key`) with a certificate made at test time,
//! and the per-device limit on invite and pairing codes. SQLite only: neither depends on
//! the storage backend (`items.rs`, `members.rs`, `events.rs`, `usage.rs` and
//! `service.rs` run the protocol on both).

use std::path::Path;
use std::time::Duration;

use futures_util::StreamExt as _;
use quickreply_proto::api::{
    Changes, CreateLibrary, ErrorBody, InviteRequest, ItemDoc, JoinRequest, JoinResponse,
    LibraryInfo, PutItem, Role, VariableDoc, codes,
};
use quickreply_server::{Config, Server, TlsFiles, spawn};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use uuid::Uuid;

type R<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn fail(msg: impl Into<String>) -> Box<dyn std::error::Error + Send + Sync> {
    msg.into().into()
}

/// A self-signed certificate for 127.0.0.1 and localhost, written as `server.crt` and
/// `server.key` in `dir`; also returns the certificate's PEM.
fn self_signed(dir: &Path) -> R<(TlsFiles, String)> {
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])?;
    let files = TlsFiles {
        cert: dir.join("server.crt"),
        key: dir.join("server.key"),
    };
    let pem = cert.cert.pem();
    std::fs::write(&files.cert, &pem)?;
    std::fs::write(&files.key, cert.signing_key.serialize_pem())?;
    Ok((files, pem))
}

fn config(dir: &Path) -> Config {
    Config {
        data_dir: dir.join("data"),
        listen: "127.0.0.1:0".into(),
        heartbeat: Duration::from_secs(1),
        ..Config::default()
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

async fn join(http: &reqwest::Client, base: &str, code: &str, device: &str) -> R<String> {
    let joined: JoinResponse = ok_json(join_raw(http, base, code, device).await?).await?;
    Ok(joined.token)
}

async fn join_raw(
    http: &reqwest::Client,
    base: &str,
    code: &str,
    device: &str,
) -> R<reqwest::Response> {
    Ok(http
        .post(format!("{base}/v1/join"))
        .json(&JoinRequest {
            code: code.into(),
            device_name: device.into(),
            user_name: None,
            app_version: "test".into(),
        })
        .send()
        .await?)
}

async fn invite_raw(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    role: Role,
    pairing: bool,
) -> R<reqwest::Response> {
    Ok(http
        .post(format!("{base}/v1/invites"))
        .bearer_auth(token)
        .json(&InviteRequest {
            role,
            uses: 1,
            expires_in: 3600,
            pairing,
        })
        .send()
        .await?)
}

fn setup_code(server: &Server) -> R<String> {
    server
        .setup_code
        .clone()
        .ok_or_else(|| fail("a new server prints a setup code"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_serves_the_api_to_clients_that_trust_the_certificate_and_nothing_else() -> R {
    let dir = tempfile::tempdir()?;
    let (files, pem) = self_signed(dir.path())?;
    let server = spawn(Config {
        tls: Some(files),
        join_per_minute: 3,
        ..config(dir.path())
    })
    .await?;
    let base = server.url();
    assert_eq!(base, format!("https://{}", server.addr));
    let setup = setup_code(&server)?;
    let http = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes())?)
        .build()?;

    // (a) Join, create a team library, write into it, read the change back.
    assert_eq!(
        http.get(format!("{base}/healthz"))
            .send()
            .await?
            .text()
            .await?,
        "ok"
    );
    let owner = join(&http, &base, &setup, "office-pc").await?;
    let lib = Uuid::now_v7();
    let _: LibraryInfo = ok_json(
        http.post(format!("{base}/v1/libraries"))
            .bearer_auth(&owner)
            .json(&CreateLibrary {
                id: lib,
                name: "售后话术".into(),
            })
            .send()
            .await?,
    )
    .await?;
    let doc = ItemDoc::Variable(VariableDoc {
        name: "shop".into(),
        value: "小美家居".into(),
        description: String::new(),
        overridable: false,
        example: false,
    });
    let written = http
        .put(format!("{base}/v1/libraries/{lib}/items/{}", doc.key()))
        .bearer_auth(&owner)
        .header("If-Match", "\"0\"")
        .json(&PutItem {
            op: Uuid::now_v7().to_string(),
            doc: doc.clone(),
        })
        .send()
        .await?;
    assert!(written.status().is_success(), "{}", written.status());
    let changes: Changes = ok_json(
        http.get(format!("{base}/v1/libraries/{lib}/changes?since=0"))
            .bearer_auth(&owner)
            .send()
            .await?,
    )
    .await?;
    assert_eq!(changes.items.len(), 1);
    assert_eq!(changes.items[0].doc.as_ref(), Some(&doc));

    // The peer address reaches the handlers over TLS: the per-IP join limit still counts
    // (the setup join above was the first of 3).
    for _ in 0..2 {
        let r = join_raw(&http, &base, "AAAA-BBBB-CCCC-DDDD", "x").await?;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    }
    let r = join_raw(&http, &base, "AAAA-BBBB-CCCC-DDDD", "x").await?;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);

    // A client that does not trust the certificate is refused by its own TLS check.
    let untrusting = reqwest::Client::new();
    let e = untrusting
        .get(format!("{base}/healthz"))
        .send()
        .await
        .err()
        .ok_or_else(|| fail("an untrusted certificate was accepted"))?;
    let chain = error_chain(&e);
    assert!(chain.to_lowercase().contains("certificate"), "{chain}");

    // (b) Plain HTTP to the HTTPS port gets no answer; the server keeps serving.
    let plain = format!("http://{}/healthz", server.addr);
    assert!(untrusting.get(&plain).send().await.is_err());
    assert!(
        http.get(format!("{base}/healthz"))
            .send()
            .await?
            .status()
            .is_success()
    );

    // Graceful stop: an open event stream over TLS ends and the server stops.
    let mut events = http
        .get(format!("{base}/v1/events"))
        .bearer_auth(&owner)
        .send()
        .await?
        .bytes_stream();
    let _first = tokio::time::timeout(Duration::from_secs(5), events.next()).await?;
    tokio::time::timeout(Duration::from_secs(10), server.handle.stop()).await??;
    let drained = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(chunk) = events.next().await {
            if chunk.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(drained.is_ok(), "the event stream did not end");
    assert!(http.get(format!("{base}/healthz")).send().await.is_err());
    Ok(())
}

/// An error and its sources, for messages.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unusable_certificate_or_key_stops_the_start_naming_the_file() -> R {
    let dir = tempfile::tempdir()?;
    let (good, _) = self_signed(dir.path())?;
    let missing = dir.path().join("no-such-cert.pem");
    let e = spawn(Config {
        tls: Some(TlsFiles {
            cert: missing.clone(),
            key: good.key.clone(),
        }),
        ..config(dir.path())
    })
    .await
    .err()
    .ok_or_else(|| fail("a server started without its certificate"))?;
    let message = e.to_string();
    assert!(
        message.contains(&missing.display().to_string()),
        "{message}"
    );
    // Nothing was created.
    assert!(!dir.path().join("data").exists());

    let bad_key = dir.path().join("bad.key");
    std::fs::write(&bad_key, "-----BEGIN PRIVATE KEY-----\nnope\n")?;
    let e = spawn(Config {
        tls: Some(TlsFiles {
            cert: good.cert.clone(),
            key: bad_key.clone(),
        }),
        ..config(dir.path())
    })
    .await
    .err()
    .ok_or_else(|| fail("a server started with a broken key"))?;
    assert!(
        e.to_string().contains(&bad_key.display().to_string()),
        "{e}"
    );
    Ok(())
}

#[cfg(unix)]
#[test]
fn the_binary_refuses_bad_tls_settings_and_prints_its_https_address() -> R {
    use std::io::BufRead as _;
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir()?;
    let (good, pem) = self_signed(dir.path())?;
    let missing = dir.path().join("missing.crt");
    let server = |args: &[&std::ffi::OsStr]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_quickreply-server"));
        c.arg("--data-dir")
            .arg(dir.path().join("data"))
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env_remove("QUICKREPLY_DATABASE_URL")
            .env_remove("QUICKREPLY_TLS_CERT")
            .env_remove("QUICKREPLY_TLS_KEY")
            .env_remove("QUICKREPLY_CONFIG");
        c
    };

    // A missing certificate: a clear error naming it, exit status 1.
    let out = server(&[
        "--tls-cert".as_ref(),
        missing.as_os_str(),
        "--tls-key".as_ref(),
        good.key.as_os_str(),
    ])
    .output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&missing.display().to_string()) && stderr.contains("certificate"),
        "{stderr}"
    );
    // One file without the other.
    let out = server(&["--tls-cert".as_ref(), good.cert.as_os_str()]).output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("tls_key"), "{stderr}");

    // Both from the environment: HTTPS.
    let mut child = server(&[])
        .env("QUICKREPLY_TLS_CERT", &good.cert)
        .env("QUICKREPLY_TLS_KEY", &good.key)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let result = (|| -> R {
        let stdout = child.stdout.take().ok_or_else(|| fail("no stdout"))?;
        let mut lines = std::io::BufReader::new(stdout).lines();
        let _setup = lines.next().ok_or_else(|| fail("no output"))??;
        let second = lines.next().ok_or_else(|| fail("no second line"))??;
        let base = second
            .strip_prefix("listening on ")
            .filter(|b| b.starts_with("https://127.0.0.1:"))
            .ok_or_else(|| fail(format!("second line: {second}")))?;
        let http = reqwest::blocking::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes())?)
            .build()?;
        assert_eq!(http.get(format!("{base}/healthz")).send()?.text()?, "ok");
        Ok(())
    })();
    let _ = child.kill();
    let _ = child.wait();
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_device_makes_at_most_30_codes_a_minute() -> R {
    let dir = tempfile::tempdir()?;
    // The default limit.
    let server = spawn(config(dir.path())).await?;
    let base = server.url();
    let http = reqwest::Client::new();
    let owner = join(&http, &base, &setup_code(&server)?, "office-pc").await?;
    let first = invite_raw(&http, &base, &owner, Role::Editor, false).await?;
    let code: quickreply_proto::api::InviteResponse = ok_json(first).await?;
    let editor = join(&http, &base, &code.code, "editor-pc").await?;

    // Invites and pairing codes count together: 1 + 29 = 30.
    for i in 1..30 {
        let r = invite_raw(&http, &base, &owner, Role::Agent, i % 2 == 0).await?;
        assert_eq!(r.status(), StatusCode::CREATED, "code {}", i + 1);
    }
    for pairing in [false, true] {
        let r = invite_raw(&http, &base, &owner, Role::Agent, pairing).await?;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry_after: u64 = r
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| fail("no Retry-After"))?;
        assert!((1..=60).contains(&retry_after), "{retry_after}");
        let body: ErrorBody = serde_json::from_str(&r.text().await?)?;
        assert_eq!(body.code, codes::RATE_LIMITED);
        assert!(body.message.contains("too many"), "{}", body.message);
    }
    // Another device is not held up, and the limited one may still do everything else.
    let r = invite_raw(&http, &base, &editor, Role::Agent, false).await?;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = http
        .request(Method::GET, format!("{base}/v1/me"))
        .bearer_auth(&owner)
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::OK);
    // Requests that would make no code are refused for what they are, not counted.
    let r = http
        .post(format!("{base}/v1/invites"))
        .bearer_auth(&editor)
        .json(&InviteRequest {
            role: Role::Owner,
            uses: 1,
            expires_in: 3600,
            pairing: false,
        })
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    server.handle.stop().await?;
    Ok(())
}

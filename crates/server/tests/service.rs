//! The server as a service, on both backends: errors are JSON and joins are rate-limited,
//! `/healthz` and `/metrics`, and the binary (its flags, its two stdout lines, SIGTERM).
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

#[cfg(unix)]
use std::time::Duration;

use quickreply_proto::api::{ErrorBody, Item};
#[cfg(unix)]
use quickreply_proto::api::{JoinRequest, JoinResponse};
use reqwest::{Method, StatusCode};

#[cfg(unix)]
use backend::fail;
use backend::{Backend, R};
use server::{Srv, SseReader, err, ok_json, var};

on_both_backends!(
    errors_are_json_and_joins_are_rate_limited,
    health_and_metrics,
    metrics_need_the_token_or_their_own_address,
    denying_sign_ins_is_rate_limited_per_device,
    binary_prints_its_lines_and_stops_on_sigterm,
);

/// The metrics token the tests configure.
const METRICS_TOKEN: &str = "test-metrics-token-0123456789";

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

async fn health_and_metrics(b: Backend) -> R {
    let srv = Srv::start_with(&b, |c| c.metrics_token = Some(METRICS_TOKEN.into())).await?;
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
        .bearer_auth(METRICS_TOKEN)
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

/// Issue #17: `/metrics` is not for anyone who can reach the server. Without a token or a
/// metrics address it is not served; with a token only to requests that show it; with a
/// metrics address there (the public address still refuses it).
async fn metrics_need_the_token_or_their_own_address(b: Backend) -> R {
    let srv = Srv::start(&b).await?;
    let (tok, _) = srv.owner().await?;
    let body = err(
        srv.http.get(srv.url("/metrics")).send().await?,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await?;
    assert!(body.message.contains("--metrics-token"), "{}", body.message);
    // A member's device token is not the metrics token.
    err(
        srv.req(Method::GET, "/metrics", &tok).send().await?,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await?;
    srv.stop().await?;

    // (On PostgreSQL the next servers share the database, which has its owner now.)
    let srv = Srv::start_any(&b, |c| c.metrics_token = Some(METRICS_TOKEN.into())).await?;
    for wrong in [
        None,
        Some(tok.as_str()),
        Some("test-metrics-token-012345678"),
    ] {
        let mut rb = srv.http.get(srv.url("/metrics"));
        if let Some(t) = wrong {
            rb = rb.bearer_auth(t);
        }
        let body = err(rb.send().await?, StatusCode::UNAUTHORIZED, "unauthorized").await?;
        assert!(body.message.contains("metrics token"), "{}", body.message);
    }
    let r = srv
        .http
        .get(srv.url("/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await?.contains("quickreply_users "));
    srv.stop().await?;

    // A metrics address of its own: served there (no token set, none asked), not on the
    // public address.
    let srv = Srv::start_any(&b, |c| c.metrics_listen = Some("127.0.0.1:0".into())).await?;
    let metrics_addr = srv
        .server
        .as_ref()
        .and_then(|s| s.metrics_addr)
        .ok_or_else(|| backend::fail("no metrics address"))?;
    assert_ne!(metrics_addr.port(), 0);
    let text = srv
        .http
        .get(format!("http://{metrics_addr}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    assert!(text.contains("quickreply_users "), "{text}");
    err(
        srv.http
            .get(format!("http://{metrics_addr}/v1/me"))
            .send()
            .await?,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await?;
    err(
        srv.http.get(srv.url("/metrics")).send().await?,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await?;
    // Both listeners stop with the server.
    srv.stop().await?;
    assert!(
        reqwest::Client::new()
            .get(format!("http://{metrics_addr}/healthz"))
            .send()
            .await
            .is_err()
    );

    // Both: the metrics address asks for the token too.
    let srv = Srv::start_any(&b, |c| {
        c.metrics_listen = Some("127.0.0.1:0".into());
        c.metrics_token = Some(METRICS_TOKEN.into());
    })
    .await?;
    let metrics_addr = srv
        .server
        .as_ref()
        .and_then(|s| s.metrics_addr)
        .ok_or_else(|| backend::fail("no metrics address"))?;
    let url = format!("http://{metrics_addr}/metrics");
    err(
        srv.http.get(&url).send().await?,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await?;
    let r = srv.http.get(&url).bearer_auth(METRICS_TOKEN).send().await?;
    assert_eq!(r.status(), StatusCode::OK);
    srv.stop().await?;
    Ok(())
}

/// Issue #17: denying sign-ins shares the per-device budget of looking them up and
/// approving (30 a minute by default), so a device cannot sweep the short codes by
/// denying either; other devices are not held up.
async fn denying_sign_ins_is_rate_limited_per_device(b: Backend) -> R {
    let srv = Srv::start(&b).await?;
    let t = srv.team().await?;
    let deny = |token: &str, code: &str| {
        srv.req(Method::POST, "/v1/signin/deny", token)
            .json(&serde_json::json!({ "code": code }))
            .send()
    };
    for i in 0..30 {
        let code = format!("AAAA-{i:04}");
        err(
            deny(&t.agent, &code).await?,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await?;
    }
    let r = deny(&t.agent, "AAAA-BBBB").await?;
    assert!(r.headers().contains_key("retry-after"));
    let body = err(r, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await?;
    assert!(body.message.contains("denied too many"), "{}", body.message);
    err(
        deny(&t.owner, "AAAA-BBBB").await?,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await?;
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
        .env("QUICKREPLY_METRICS_TOKEN", METRICS_TOKEN)
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
        let metrics = http
            .get(format!("{base}/metrics"))
            .bearer_auth(METRICS_TOKEN)
            .send()?;
        assert_eq!(
            metrics.status(),
            StatusCode::OK,
            "the token from the environment"
        );
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

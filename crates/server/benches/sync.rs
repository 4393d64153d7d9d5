//! `cargo xtask bench sync` (= `cargo bench -p quickreply-server --bench sync`):
//!
//! 1. sustained writes: 8 concurrent writers `PUT` new replies for 5 s (target ≥ 2,000
//!    items/s on SQLite).
//! 2. first sync: a new computer joins a team whose library holds 10,000 replies and
//!    runs `quickreply_sync::sync_once` into a real store (target ≤ 2 s).
//! 3. live push: 500 devices hold `GET /v1/events` open on loopback; a lead writes a
//!    reply 20 times; each device, on the `head` event, takes the reply from the event
//!    when it carries it inline and it is the device's next change (as `quickreply_sync::watch`
//!    does), else fetches the change feed. The time from the start of the lead's `PUT` to
//!    each device having the new version in hand is the latency (p50/p99; target p99 ≤
//!    250 ms). Devices that had to fetch are counted and reported.
//! 4. sustained writes on PostgreSQL, as in 1., on a throwaway cluster with
//!    PostgreSQL's default durability (skipped where PostgreSQL is not installed).
//!
//! The server runs in this process (release build, its own tokio runtime); clients are
//! plain threads. Everything shares the machine's cores, so the figures are an upper
//! bound of what a dedicated server would show.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};

#[path = "support/api.rs"]
mod api;
#[path = "../tests/support/pg.rs"]
mod pg;
use api::{Api, snippet};
use quickreply_proto::api::{Changes, CreateLibrary, HeadEvent};
use reqwest::blocking::Client;
use uuid::Uuid;

const AGENTS: usize = 500;
/// Live-push deliveries that needed a fetch of the change feed.
static FETCHES: AtomicUsize = AtomicUsize::new(0);
const ROUNDS: usize = 20;
const WRITERS: usize = 8;
const FIRST_SYNC: usize = 10_000;

const WRITE_SECS: u64 = 5;

/// [`WRITERS`] threads write new replies into `library` for [`WRITE_SECS`]; answers how
/// many were acknowledged.
fn sustained_writes(base: &str, token: &str, library: Uuid) -> Result<usize> {
    let written = Arc::new(AtomicUsize::new(0));
    let stop_at = Instant::now() + Duration::from_secs(WRITE_SECS);
    let mut handles = Vec::new();
    for w in 0..WRITERS {
        let (base, token, written) = (base.to_string(), token.to_string(), written.clone());
        handles.push(std::thread::spawn(move || -> Result<()> {
            let api = Api::new(&base)?;
            let mut i = w * 1_000_000;
            while Instant::now() < stop_at {
                api.put(&token, library, snippet(i))?;
                written.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
            Ok(())
        }));
    }
    for h in handles {
        h.join().map_err(|_| anyhow!("writer panicked"))??;
    }
    Ok(written.load(Ordering::Relaxed))
}

/// Phase 4, the same write rate on PostgreSQL: a throwaway cluster with PostgreSQL's default
/// durability (fsync and synchronous commit on), the server in this process.
fn postgres_writes(rt: &tokio::runtime::Runtime) -> Result<()> {
    let cluster = match pg::durable() {
        Ok(Some(c)) => c,
        Ok(None) => {
            println!("sync: sustained writes on PostgreSQL: skipped (no PostgreSQL binaries)");
            return Ok(());
        }
        Err(e) => return Err(anyhow!("PostgreSQL: {e}")),
    };
    let url = cluster.database().map_err(|e| anyhow!("PostgreSQL: {e}"))?;
    let config = quickreply_server::Config {
        database_url: Some(url),
        listen: "127.0.0.1:0".into(),
        join_per_minute: 100_000,
        ..Default::default()
    };
    let server = rt.block_on(quickreply_server::spawn(config))?;
    let base = format!("http://{}", server.addr);
    let api = Api::new(&base)?;
    let setup = server.setup_code.clone().context("no setup code")?;
    let lead = api.join(&setup, "lead")?.token;
    let library = Uuid::now_v7();
    let _: serde_json::Value = api.post(
        "/v1/libraries",
        Some(&lead),
        &CreateLibrary {
            id: library,
            name: "写入压测".into(),
        },
    )?;
    let n = sustained_writes(&base, &lead, library)?;
    println!(
        "sync: sustained writes on PostgreSQL (fsync on), {WRITERS} writers: {:.0} items/s",
        n as f64 / WRITE_SECS as f64
    );
    server.handle.shutdown();
    Ok(())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// One agent: an SSE stream read line by line; on a head event, fetch the changes and
/// report when `wanted` (key) is in hand.
fn agent(
    addr: std::net::SocketAddr,
    base: String,
    token: String,
    library: Uuid,
    wanted: Arc<Mutex<Option<(String, Instant)>>>,
    samples: Arc<Mutex<Vec<f64>>>,
    ready: Arc<Barrier>,
) -> Result<()> {
    let http = Client::builder().timeout(Duration::from_secs(30)).build()?;
    let mut stream = TcpStream::connect(addr)?;
    write!(
        stream,
        "GET /v1/events HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
    )?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    // Headers.
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
    }
    let mut cursor = 0i64;
    let mut done_keys = std::collections::HashSet::new();
    ready.wait();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        // Chunked encoding: data lines carry the JSON; anything else is framing.
        let Some(data) = line.strip_prefix("data:") else {
            continue;
        };
        // As `quickreply_sync::watch` does: take the inline item when it is the next change,
        // else pull.
        let head: HeadEvent = serde_json::from_str(data.trim())?;
        if head.library_id != library {
            continue;
        }
        let keys: Vec<String> = match head.next_after(cursor) {
            Some(item) => {
                cursor = head.head;
                vec![item.key.clone()]
            }
            None => {
                FETCHES.fetch_add(1, Ordering::Relaxed);
                let changes: Changes = http
                    .get(format!(
                        "{base}/v1/libraries/{library}/changes?since={cursor}"
                    ))
                    .bearer_auth(&token)
                    .send()?
                    .json()?;
                cursor = changes.cursor.max(cursor);
                changes.items.into_iter().map(|i| i.key).collect()
            }
        };
        let target = wanted.lock().map_err(|_| anyhow!("poisoned"))?.clone();
        if let Some((key, t0)) = target
            && !done_keys.contains(&key)
            && keys.contains(&key)
        {
            let ms = t0.elapsed().as_secs_f64() * 1000.0;
            samples.lock().map_err(|_| anyhow!("poisoned"))?.push(ms);
            done_keys.insert(key);
        }
    }
}

fn main() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let config = quickreply_server::Config {
        data_dir: dir.path().join("server"),
        listen: "127.0.0.1:0".into(),
        join_per_minute: 100_000,
        ..Default::default()
    };
    let server = rt.block_on(quickreply_server::spawn(config))?;
    let addr = server.addr;
    let base = format!("http://{addr}");
    let api = Api::with(
        &base,
        Client::builder()
            .timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(64)
            .build()?,
    );
    let setup = server.setup_code.clone().context("no setup code")?;
    let owner = api.join(&setup, "lead")?;
    let lead = owner.token.clone();
    let library = Uuid::now_v7();
    let _: serde_json::Value = api.post(
        "/v1/libraries",
        Some(&lead),
        &CreateLibrary {
            id: library,
            name: "压测团队库".into(),
        },
    )?;

    // 1. sustained writes, into the lead's personal library (the live-push clients below
    // start on an empty team library, and the new computer of 2. does not see it).
    let n = sustained_writes(&base, &lead, owner.me.personal_library)?;
    println!(
        "sync: sustained writes on SQLite, {WRITERS} writers: {:.0} items/s (target ≥ 2000)",
        n as f64 / WRITE_SECS as f64
    );

    // 2. first sync of a 10k library into a real client store.
    let big = Uuid::now_v7();
    let _: serde_json::Value = api.post(
        "/v1/libraries",
        Some(&lead),
        &CreateLibrary {
            id: big,
            name: "一万条".into(),
        },
    )?;
    let next = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for _ in 0..WRITERS {
        let (base, lead, next) = (base.clone(), lead.clone(), next.clone());
        handles.push(std::thread::spawn(move || -> Result<()> {
            let api = Api::new(&base)?;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= FIRST_SYNC {
                    return Ok(());
                }
                api.put(&lead, big, snippet(i))?;
            }
        }));
    }
    for h in handles {
        h.join().map_err(|_| anyhow!("writer panicked"))??;
    }
    let code = api.invite(&lead, 1)?;
    let client_dir = dir.path().join("new-computer");
    let mut store = quickreply_core::Store::open(&client_dir)?;
    let t = Instant::now();
    let _ = quickreply_sync::join(&mut store, &base, &code, "new-pc", Some("新人"))?;
    let report = quickreply_sync::sync_once(&mut store)?;
    let secs = t.elapsed().as_secs_f64();
    let lib = store
        .libraries()?
        .into_iter()
        .find(|l| l.id == big)
        .context("the big library did not arrive")?;
    let count = store.snippets(Some(&lib))?.len();
    println!(
        "sync: first sync of a {FIRST_SYNC}-reply team library into a new computer: {secs:.2} s, {count} replies applied, {} changes pulled (target ≤ 2 s)",
        report.pulled
    );
    if count != FIRST_SYNC {
        return Err(anyhow!("expected {FIRST_SYNC} replies, got {count}"));
    }
    // 3. live push to 500 SSE clients.
    let code = api.invite(&lead, AGENTS as u32)?;
    let tokens = (0..AGENTS)
        .map(|i| api.join(&code, &format!("agent{i}")).map(|r| r.token))
        .collect::<Result<Vec<_>>>()?;
    let wanted = Arc::new(Mutex::new(None::<(String, Instant)>));
    let samples = Arc::new(Mutex::new(Vec::new()));
    let ready = Arc::new(Barrier::new(AGENTS + 1));
    for token in tokens {
        let (base, wanted, samples, ready) =
            (base.clone(), wanted.clone(), samples.clone(), ready.clone());
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                if let Err(e) = agent(addr, base, token, library, wanted, samples, ready) {
                    eprintln!("agent: {e}");
                }
            })?;
    }
    ready.wait();
    std::thread::sleep(Duration::from_millis(500));
    let mut per_round = Vec::new();
    for round in 0..ROUNDS {
        let before = samples.lock().map_err(|_| anyhow!("poisoned"))?.len();
        let doc = snippet(round);
        *wanted.lock().map_err(|_| anyhow!("poisoned"))? =
            Some((doc.id.to_string(), Instant::now()));
        api.put(&lead, library, doc)?;
        let start = Instant::now();
        while samples.lock().map_err(|_| anyhow!("poisoned"))?.len() < before + AGENTS
            && start.elapsed() < Duration::from_secs(10)
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        let got = samples.lock().map_err(|_| anyhow!("poisoned"))?.len() - before;
        per_round.push(got);
        std::thread::sleep(Duration::from_millis(200));
    }
    let mut s = samples.lock().map_err(|_| anyhow!("poisoned"))?.clone();
    s.sort_by(f64::total_cmp);
    println!(
        "sync: live push to {AGENTS} SSE clients, {ROUNDS} writes: write→in hand p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} of {} deliveries, {} by fetching the feed; target p99 ≤ 250 ms)",
        percentile(&s, 0.5),
        percentile(&s, 0.99),
        s.last().copied().unwrap_or(f64::NAN),
        s.len(),
        AGENTS * ROUNDS,
        FETCHES.load(Ordering::Relaxed)
    );

    server.handle.shutdown();
    postgres_writes(&rt)
}

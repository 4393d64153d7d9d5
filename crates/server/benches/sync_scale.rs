//! `cargo xtask bench sync-scale` (= `cargo bench -p quickreply-server --bench sync_scale`):
//! the sync targets of issue #21 at team-library scale. The server is the real
//! `quickreply-server` binary, a child process on loopback (one per phase, fresh data
//! directory), so its memory is its own: each phase reports the server's peak RSS
//! (`VmHWM` of `/proc/<pid>/status`, reset with `clear_refs` after the setup, and the
//! largest `VmRSS` sampled every 20 ms).
//!
//! 1. **first sync**, at 10k and 100k replies (`QR_BENCH_SIZES`): a team library is
//!    filled on the server (not timed), then a new computer joins with an invite and runs
//!    `quickreply_sync::sync_once` into a fresh client store (SQLite). Printed: seconds,
//!    replies/s, and the 100k-vs-10k rate (linear when within 20 %). Target: 100k ≤ 10 s.
//!    With `QR_BENCH_PG=1` the same on PostgreSQL (a throwaway cluster; skipped where
//!    PostgreSQL is not installed).
//! 2. **bulk import** (`QR_BENCH_IMPORT`, default 10,000 replies): a lead's computer
//!    (a real client store, joined as the team's owner, its team library synced) imports
//!    the replies into the team library in one transaction, then syncs (the push). 100
//!    agents watch meanwhile (`QR_BENCH_AGENTS`): `QR_BENCH_REAL` of them (default 4) are
//!    real client stores running `quickreply_sync::watch`, the others light SSE readers
//!    that take inline items and pull the change feed on every `head` event. Measured:
//!    from the import's commit until the last agent has every reply (target ≤ 5 s), and
//!    the push alone.
//!
//! `QR_BENCH_PHASES=first,import` picks phases. Everything shares the machine's cores
//! (2 on the project's machines), so the figures are an upper bound of what a dedicated
//! server would show.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use quickreply_core::store::{NewSnippet, Store};
use quickreply_proto::Part;
use quickreply_proto::api::{Changes, CreateLibrary, HeadEvent, InviteRequest, Role};
use reqwest::blocking::Client;
use uuid::Uuid;

#[path = "support/api.rs"]
mod api;
#[path = "../tests/support/pg.rs"]
mod pg;
use api::{Api, snippet};

const WRITERS: usize = 8;

fn env_list(name: &str, default: &[usize]) -> Vec<usize> {
    std::env::var(name)
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .filter(|v: &Vec<usize>| !v.is_empty())
        .unwrap_or_else(|| default.to_vec())
}

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(default)
}

fn phase(name: &str) -> bool {
    std::env::var("QR_BENCH_PHASES").map_or(true, |p| p.split(',').any(|x| x.trim() == name))
}

/// The server binary as a child process.
struct Server {
    child: Child,
    base: String,
    setup: String,
    peak_sampled: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Server {
    fn start(dir: &Path, database_url: Option<&str>) -> Result<Server> {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_quickreply-server"));
        cmd.arg("--data-dir")
            .arg(dir.join("server"))
            .args(["--listen", "127.0.0.1:0", "--join-per-minute", "100000"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(url) = database_url {
            cmd.args(["--database-url", url]);
        }
        let mut child = cmd.spawn().context("starting quickreply-server")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let mut setup = String::new();
        let base = loop {
            let line = lines
                .next()
                .context("the server ended before listening")??;
            if let Some(code) = line.strip_prefix("setup code: ") {
                setup = code.trim().to_string();
            }
            if let Some(url) = line.strip_prefix("listening on ") {
                break url.trim().trim_end_matches('/').to_string();
            }
        };
        // Keep reading its stdout so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
        let peak_sampled = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (pid, peak, halt) = (child.id(), peak_sampled.clone(), stop.clone());
        std::thread::spawn(move || {
            while !halt.load(Ordering::Relaxed) {
                if let Some(kb) = status_kb(pid, "VmRSS:") {
                    peak.fetch_max(kb, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        Ok(Server {
            child,
            base,
            setup,
            peak_sampled,
            stop,
        })
    }

    /// Forget the peak so far (after a phase's setup).
    fn reset_peak(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5");
        self.peak_sampled.store(0, Ordering::Relaxed);
    }

    /// "peak RSS X MiB (sampled Y MiB), now Z MiB".
    fn memory(&self) -> String {
        let pid = self.child.id();
        let mib = |kb: Option<u64>| kb.map_or("?".into(), |k| format!("{:.0}", k as f64 / 1024.0));
        format!(
            "server peak RSS {} MiB (VmHWM; sampled max {} MiB, now {} MiB)",
            mib(status_kb(pid, "VmHWM:")),
            mib(Some(self.peak_sampled.load(Ordering::Relaxed))),
            mib(status_kb(pid, "VmRSS:"))
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Fills `library` with `n` replies, [`WRITERS`] writers at once (setup, not timed).
fn fill(base: &str, token: &str, library: Uuid, n: usize) -> Result<()> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for _ in 0..WRITERS {
        let (base, token, next) = (base.to_string(), token.to_string(), next.clone());
        handles.push(std::thread::spawn(move || -> Result<()> {
            let api = Api::new(&base)?;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return Ok(());
                }
                api.put(&token, library, snippet(i))?;
            }
        }));
    }
    for h in handles {
        h.join().map_err(|_| anyhow!("writer panicked"))??;
    }
    Ok(())
}

/// Phase 1 at one size: seconds of the first sync.
fn first_sync(n: usize, database_url: Option<&str>, backend: &str) -> Result<f64> {
    let dir = tempfile::tempdir()?;
    let server = Server::start(dir.path(), database_url)?;
    let api = Api::new(&server.base)?;
    let lead = api.join(&server.setup, "lead")?.token;
    let library = Uuid::now_v7();
    let _: serde_json::Value = api.post(
        "/v1/libraries",
        Some(&lead),
        &CreateLibrary {
            id: library,
            name: "大团队库".into(),
        },
    )?;
    let t = Instant::now();
    fill(&server.base, &lead, library, n)?;
    let fill_secs = t.elapsed().as_secs_f64();
    let code = api.invite(&lead, 1)?;
    let mut store = Store::open(&dir.path().join("new-computer"))?;
    server.reset_peak();
    let t = Instant::now();
    let _ = quickreply_sync::join(&mut store, &server.base, &code, "new-pc", Some("新人"))?;
    let report = quickreply_sync::sync_once(&mut store)?;
    let secs = t.elapsed().as_secs_f64();
    let lib = store
        .libraries()?
        .into_iter()
        .find(|l| l.id == library)
        .context("the team library did not arrive")?;
    let count = store.snippets(Some(&lib))?.len();
    println!(
        "sync-scale: first sync of a {n}-reply team library ({backend}) into a new computer: \
         {secs:.2} s, {:.0} replies/s ({count} applied, {} pulled; filling the server took \
         {fill_secs:.1} s); {}",
        n as f64 / secs,
        report.pulled,
        server.memory()
    );
    if count != n {
        return Err(anyhow!("expected {n} replies, got {count}"));
    }
    Ok(secs)
}

/// Phase 1 at every size; `database` gives each size a fresh database (`None`: SQLite).
fn first_syncs(database: &dyn Fn() -> Result<Option<String>>, backend: &str) -> Result<()> {
    let mut rates = Vec::new();
    for n in env_list("QR_BENCH_SIZES", &[10_000, 100_000]) {
        let url = database()?;
        let secs = first_sync(n, url.as_deref(), backend)?;
        rates.push((n, n as f64 / secs, secs));
    }
    if let (Some(small), Some(big)) = (rates.first(), rates.last())
        && big.0 > small.0
    {
        println!(
            "sync-scale: first sync ({backend}) linearity: {:.0} replies/s at {} vs {:.0} at {}: \
             {:+.0} % (within ±20 % is linear); {:.2} s at {} (target ≤ 10 s at 100k)",
            big.1,
            big.0,
            small.1,
            small.0,
            (big.1 / small.1 - 1.0) * 100.0,
            big.2,
            big.0
        );
    }
    Ok(())
}

/// A light agent: an SSE stream read line by line; on a `head` event of `library`, take
/// the inline item when it is the next change, else pull the change feed to its end;
/// once `n` distinct replies are in hand, note when.
#[allow(clippy::too_many_arguments)]
fn light_agent(
    base: String,
    token: String,
    library: Uuid,
    n: usize,
    start: Arc<Mutex<Option<Instant>>>,
    done: Arc<Mutex<Vec<(f64, bool)>>>,
    ready: Arc<Barrier>,
) -> Result<()> {
    let addr = base.trim_start_matches("http://").to_string();
    let http = Client::builder()
        .timeout(Duration::from_secs(120))
        .build()?;
    let mut stream = TcpStream::connect(&addr)?;
    write!(
        stream,
        "GET /v1/events HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
    )?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
    }
    ready.wait();
    let mut cursor = 0i64;
    let mut keys = HashSet::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let Some(data) = line.strip_prefix("data:") else {
            continue;
        };
        let head: HeadEvent = serde_json::from_str(data.trim())?;
        if head.library_id != library || head.head <= cursor {
            continue;
        }
        if let Some(item) = head.next_after(cursor) {
            cursor = head.head;
            keys.insert(item.key.clone());
        } else {
            loop {
                let changes: Changes = http
                    .get(format!(
                        "{base}/v1/libraries/{library}/changes?since={cursor}&limit=1000"
                    ))
                    .bearer_auth(&token)
                    .send()?
                    .json()?;
                cursor = changes.cursor.max(cursor);
                keys.extend(changes.items.into_iter().map(|i| i.key));
                if !changes.more {
                    break;
                }
            }
        }
        if keys.len() >= n {
            let t0 = start.lock().map_err(|_| anyhow!("poisoned"))?;
            let secs = t0.map_or(f64::NAN, |t| t.elapsed().as_secs_f64());
            done.lock()
                .map_err(|_| anyhow!("poisoned"))?
                .push((secs, false));
            return Ok(());
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Phase 2: a lead's bulk import reaching the agents.
fn bulk_import() -> Result<()> {
    let n = env_num("QR_BENCH_IMPORT", 10_000);
    let agents = env_num("QR_BENCH_AGENTS", 100);
    let real = env_num("QR_BENCH_REAL", 4).min(agents);
    let dir = tempfile::tempdir()?;
    let server = Server::start(dir.path(), None)?;
    let base = server.base.clone();
    // The lead's computer: the team's owner, with a team library synced.
    let mut lead = Store::open(&dir.path().join("lead-pc"))?;
    let (acc, _) =
        quickreply_sync::join(&mut lead, &base, &server.setup, "lead-pc", Some("王主管"))?;
    let client = quickreply_sync::client_for(&lead, &acc)?;
    let library = Uuid::now_v7();
    client.create_library(&CreateLibrary {
        id: library,
        name: "团队话术".into(),
    })?;
    quickreply_sync::sync_once(&mut lead)?;
    let team = lead
        .libraries()?
        .into_iter()
        .find(|l| l.id == library)
        .context("the team library is not on the lead's computer")?;
    let code = client
        .invite(&InviteRequest {
            role: Role::Agent,
            uses: agents as u32,
            expires_in: 3600,
            pairing: false,
        })?
        .code;
    let api = Api::new(&base)?;
    let start = Arc::new(Mutex::new(None::<Instant>));
    let done = Arc::new(Mutex::new(Vec::<(f64, bool)>::new()));
    let ready = Arc::new(Barrier::new(agents - real + 1));
    // Real agents: client stores running the sync crate's watch loop.
    let synced = Arc::new(AtomicUsize::new(0));
    for i in 0..real {
        let path = dir.path().join(format!("agent-real-{i}"));
        let mut store = Store::open(&path)?;
        let (acc, _) =
            quickreply_sync::join(&mut store, &base, &code, &format!("agent-pc-{i}"), None)?;
        drop(store);
        let (start, done, synced) = (start.clone(), done.clone(), synced.clone());
        std::thread::spawn(move || {
            let mut pulled = 0usize;
            let mut first = true;
            let r = quickreply_sync::watch(&path, acc.id, Duration::from_millis(500), |r| {
                if first {
                    first = false;
                    synced.fetch_add(1, Ordering::Relaxed);
                    return true;
                }
                if let Ok(report) = r {
                    pulled += report.pulled;
                }
                if pulled >= n {
                    let t0 = start.lock().ok().and_then(|t| *t);
                    if let Ok(mut d) = done.lock() {
                        d.push((t0.map_or(f64::NAN, |t| t.elapsed().as_secs_f64()), true));
                    }
                    return false;
                }
                true
            });
            if let Err(e) = r {
                eprintln!("real agent {i}: {e}");
            }
        });
    }
    for i in real..agents {
        let token = api.join(&code, &format!("agent{i}"))?.token;
        let (base, start, done, ready) = (base.clone(), start.clone(), done.clone(), ready.clone());
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                if let Err(e) = light_agent(base, token, library, n, start, done, ready) {
                    eprintln!("light agent: {e}");
                }
            })?;
    }
    ready.wait();
    while synced.load(Ordering::Relaxed) < real {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    server.reset_peak();
    let news: Vec<NewSnippet> = (0..n)
        .map(|i| NewSnippet {
            title: format!("导入话术{i}"),
            code: None,
            tags: vec!["导入".into()],
            apps: vec![],
            folder: String::new(),
            parts: vec![Part::Text {
                body: format!("亲，这是第{i}条导入的回复，请放心购买哦，有问题随时联系客服"),
            }],
        })
        .collect();
    lead.add_snippets(&team, news)?;
    let t0 = Instant::now();
    *start.lock().map_err(|_| anyhow!("poisoned"))? = Some(t0);
    let report = quickreply_sync::sync_once(&mut lead)?;
    let push_secs = t0.elapsed().as_secs_f64();
    let deadline = Instant::now() + Duration::from_secs(300);
    while done.lock().map_err(|_| anyhow!("poisoned"))?.len() < agents && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    let d = done.lock().map_err(|_| anyhow!("poisoned"))?.clone();
    let mut all: Vec<f64> = d.iter().map(|(s, _)| *s).collect();
    all.sort_by(f64::total_cmp);
    let real_max = d
        .iter()
        .filter(|(_, r)| *r)
        .map(|(s, _)| *s)
        .fold(f64::NAN, f64::max);
    println!(
        "sync-scale: bulk import of {n} replies by a lead, {agents} agents watching ({real} real \
         client stores): push {push_secs:.2} s ({} pushed); import→last agent has every reply \
         {:.2} s (p50 {:.2} s; real stores' last {real_max:.2} s; {} of {agents} agents done; \
         target ≤ 5 s); {}",
        report.pushed,
        all.last().copied().unwrap_or(f64::NAN),
        percentile(&all, 0.5),
        all.len(),
        server.memory()
    );
    if all.len() < agents {
        return Err(anyhow!(
            "only {} of {agents} agents got every reply",
            all.len()
        ));
    }
    for i in 0..real {
        let store = Store::open(&dir.path().join(format!("agent-real-{i}")))?;
        let lib = store
            .libraries()?
            .into_iter()
            .find(|l| l.id == library)
            .context("no team library on an agent")?;
        let count = store.snippets(Some(&lib))?.len();
        if count != n {
            return Err(anyhow!("real agent {i} has {count} replies, not {n}"));
        }
    }
    Ok(())
}

fn main() -> Result<()> {
    if phase("first") {
        first_syncs(&|| Ok(None), "SQLite")?;
        if std::env::var("QR_BENCH_PG").is_ok_and(|v| v == "1") {
            match pg::durable() {
                Ok(Some(cluster)) => {
                    let fresh = || {
                        cluster
                            .database()
                            .map(Some)
                            .map_err(|e| anyhow!("PostgreSQL: {e}"))
                    };
                    first_syncs(&fresh, "PostgreSQL")?;
                }
                Ok(None) => println!("sync-scale: PostgreSQL: skipped (not installed)"),
                Err(e) => return Err(anyhow!("PostgreSQL: {e}")),
            }
        }
    }
    if phase("import") {
        bulk_import()?;
    }
    Ok(())
}

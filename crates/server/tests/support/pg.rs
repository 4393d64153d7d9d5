//! A throwaway PostgreSQL cluster for the tests: found, initialised, started and removed
//! by the test binary itself.
//!
//! - Binaries: `$QUICKREPLY_PG_BIN` (a directory), else the newest
//!   `/usr/lib/postgresql/<version>/bin` (Debian's `postgresql` package), else `initdb` on
//!   `PATH`. None found: [`shared`] fails with a message saying what to install, unless
//!   `QUICKREPLY_SKIP_PG=1` (then it answers `None` and the caller skips, saying so).
//! - `initdb -D <tmp>/data -A trust -U postgres --no-sync -E UTF8 --locale=C`, then
//!   `postgres -D <tmp>/data -p <free port> -k <tmp> -c listen_addresses=127.0.0.1
//!   -c fsync=off …` (logging to `<tmp>/postgres.log`), ready once `pg_isready` says so.
//! - initdb and postgres refuse to run as root: as root (CI) the temporary directory (in
//!   `/tmp`) is `chown -R postgres:postgres` and both run through
//!   `runuser -u postgres -- …` (the `postgres` user comes with Debian's package).
//! - One cluster per test binary ([`shared`]), one fresh database per test
//!   ([`Cluster::database`], with `createdb`).
//! - Clean-up: a small watchdog shell reads a pipe that only this process holds; when the
//!   process ends (however: the shared cluster is a static and never dropped, a test may
//!   panic, the runner may kill it) the pipe closes and the watchdog stops the postmaster
//!   (SIGQUIT, then SIGKILL) and removes the directory.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long the cluster may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running cluster.
pub struct Cluster {
    pub port: u16,
    bin: PathBuf,
    dir: PathBuf,
    next_db: AtomicU32,
    /// Holds the watchdog's stdin: closing it stops and removes the cluster.
    watchdog: Mutex<Option<Child>>,
    postgres: Mutex<Option<Child>>,
}

/// The cluster of this test binary, started on first use. `Ok(None)`: no PostgreSQL and
/// `QUICKREPLY_SKIP_PG=1` (a note is printed; skip the test).
pub fn shared() -> Result<Option<&'static Cluster>, String> {
    static CLUSTER: OnceLock<Result<Option<Cluster>, String>> = OnceLock::new();
    let cluster = CLUSTER.get_or_init(|| match find_bin() {
        Some(bin) => start(&bin, false).map(Some),
        None if std::env::var("QUICKREPLY_SKIP_PG").is_ok_and(|v| v == "1") => Ok(None),
        None => Err(format!(
            "PostgreSQL tests: no PostgreSQL server binaries (initdb, postgres) found in {}. \
             Install them (Debian: apt-get install postgresql) or set QUICKREPLY_SKIP_PG=1 to \
             skip these tests knowingly.",
            match std::env::var_os("QUICKREPLY_PG_BIN") {
                Some(dir) => format!("QUICKREPLY_PG_BIN={}", PathBuf::from(dir).display()),
                None => "/usr/lib/postgresql/*/bin or PATH".to_string(),
            }
        )),
    });
    match cluster {
        Ok(Some(c)) => Ok(Some(c)),
        Ok(None) => {
            eprintln!("SKIPPED: no PostgreSQL binaries and QUICKREPLY_SKIP_PG=1");
            Ok(None)
        }
        Err(e) => Err(e.clone()),
    }
}

impl Cluster {
    /// Creates a fresh database; answers its URL.
    pub fn database(&self) -> Result<String, String> {
        let name = format!(
            "qr_{}_{}",
            std::process::id(),
            self.next_db.fetch_add(1, Ordering::Relaxed)
        );
        let out = Command::new(self.bin.join("createdb"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
            ])
            .arg(&name)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run createdb: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "createdb {name} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(self.url(&name))
    }

    /// The URL of a database of this cluster.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Runs one SQL command on a database with `psql`; answers its output (unaligned,
    /// tuples only).
    pub fn psql(&self, db: &str, sql: &str) -> Result<String, String> {
        let out = Command::new(self.bin.join("psql"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
            ])
            .args([
                "-X",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                db,
                "-c",
                sql,
            ])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run psql: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "psql failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Closing the watchdog's stdin makes it stop postgres and remove the directory;
        // postgres (or runuser) is reaped here so that the watchdog sees it gone.
        let mut watchdog = self.watchdog.get_mut().ok().and_then(Option::take);
        if let Some(w) = watchdog.as_mut() {
            drop(w.stdin.take());
        }
        if let Some(mut p) = self.postgres.get_mut().ok().and_then(Option::take) {
            let _ = p.wait();
        }
        if let Some(mut w) = watchdog {
            let _ = w.wait();
        }
    }
}

fn has_server(dir: &Path) -> bool {
    dir.join("initdb").is_file() && dir.join("postgres").is_file()
}

/// Where initdb and postgres are.
fn find_bin() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("QUICKREPLY_PG_BIN") {
        let dir = PathBuf::from(dir);
        return has_server(&dir).then_some(dir);
    }
    // A Windows build (the Wine leg) sees Linux's /usr/lib/postgresql through drive Z:,
    // whose programs it cannot run: there only QUICKREPLY_PG_BIN names a PostgreSQL.
    if cfg!(windows) {
        return None;
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            has_server(&bin).then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    std::env::split_paths(&std::env::var_os("PATH")?).find(|d| has_server(d))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `program` as the `postgres` user when we are root, else as ourselves.
fn as_pg(root: bool, program: &Path) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// A cluster of its own with PostgreSQL's default durability (fsync and synchronous
/// commit on, unlike the tests' cluster): for benchmarks. `Ok(None)`: no PostgreSQL
/// binaries here.
pub fn durable() -> Result<Option<Cluster>, String> {
    match find_bin() {
        Some(bin) => start(&bin, true).map(Some),
        None => Ok(None),
    }
}

fn start(bin: &Path, durable: bool) -> Result<Cluster, String> {
    let root = is_root();
    // The postgres user must be able to reach the directory: /tmp rather than a TMPDIR
    // that may sit in root's home.
    let base = if root {
        PathBuf::from("/tmp")
    } else {
        std::env::temp_dir()
    };
    let dir = tempfile::Builder::new()
        .prefix("quickreply-pg-")
        .tempdir_in(&base)
        .map_err(|e| format!("cannot create a directory in {}: {e}", base.display()))?
        .keep();
    let started = start_in(bin, &dir, root, durable);
    if started.is_err() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    started
}

fn start_in(bin: &Path, dir: &Path, root: bool, durable: bool) -> Result<Cluster, String> {
    if root {
        let user = Command::new("id")
            .args(["-u", "postgres"])
            .output()
            .map_err(|e| format!("cannot run id: {e}"))?;
        if !user.status.success() {
            return Err(
                "running as root, where initdb and postgres refuse to run, and there \
                 is no `postgres` user to run them as (Debian: apt-get install postgresql)"
                    .into(),
            );
        }
        let status = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir)
            .status()
            .map_err(|e| format!("cannot run chown: {e}"))?;
        if !status.success() {
            return Err(format!(
                "chown -R postgres:postgres {} failed",
                dir.display()
            ));
        }
    }
    let data = dir.join("data");
    let out = as_pg(root, &bin.join("initdb"))
        .arg("-D")
        .arg(&data)
        .args(["-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
        .args(["--locale=C"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run initdb: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "initdb failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let log_path = dir.join("postgres.log");
    let mut last_error = String::new();
    for _attempt in 0..5 {
        let port = free_port()?;
        let log = std::fs::File::create(&log_path).map_err(|e| e.to_string())?;
        let log2 = log.try_clone().map_err(|e| e.to_string())?;
        let mut postgres = as_pg(root, &bin.join("postgres"));
        postgres
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string()])
            .arg("-k")
            .arg(dir)
            .args(["-c", "listen_addresses=127.0.0.1"]);
        if !durable {
            postgres
                .args(["-c", "fsync=off"])
                .args(["-c", "synchronous_commit=off"])
                .args(["-c", "full_page_writes=off"]);
        }
        let mut child = postgres
            .args(["-c", "max_connections=300"])
            .args(["-c", "shared_buffers=32MB"])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .spawn()
            .map_err(|e| format!("cannot start postgres: {e}"))?;
        match wait_ready(bin, port, &mut child) {
            Ok(()) => {
                let watchdog = spawn_watchdog(&data, dir).inspect_err(|_| {
                    let _ = child.kill();
                })?;
                return Ok(Cluster {
                    port,
                    bin: bin.to_path_buf(),
                    dir: dir.to_path_buf(),
                    next_db: AtomicU32::new(0),
                    watchdog: Mutex::new(Some(watchdog)),
                    postgres: Mutex::new(Some(child)),
                });
            }
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                last_error = format!("{e}\n{log}");
                if !log.contains("could not bind") && !log.contains("already in use") {
                    break;
                }
                // Somebody took the port meanwhile: another one.
            }
        }
    }
    Err(format!("postgres did not start: {last_error}"))
}

fn wait_ready(bin: &Path, port: u16, child: &mut Child) -> Result<(), String> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("postgres exited ({status})"));
        }
        let ready = Command::new(bin.join("pg_isready"))
            .args([
                "-q",
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                "postgres",
            ])
            .stdin(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ready {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("postgres not ready after {START_TIMEOUT:?}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Stops the postmaster (its pid from `postmaster.pid`) and removes `dir` once its stdin
/// closes, that is when this process drops it or ends.
fn spawn_watchdog(data: &Path, dir: &Path) -> Result<Child, String> {
    let pid = std::fs::read_to_string(data.join("postmaster.pid"))
        .ok()
        .and_then(|s| s.lines().next().map(str::trim).map(str::to_string))
        .filter(|p| p.parse::<u32>().is_ok())
        .ok_or("cannot read postmaster.pid")?;
    const SCRIPT: &str = r#"
        cat >/dev/null
        kill -QUIT "$1" 2>/dev/null
        i=0
        while kill -0 "$1" 2>/dev/null && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i+1)); done
        kill -KILL "$1" 2>/dev/null
        rm -rf "$2"
    "#;
    Command::new("sh")
        .args(["-c", SCRIPT, "pg-watchdog", &pid])
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the clean-up watchdog: {e}"))
}

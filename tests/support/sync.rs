//! Real processes for the sync tests: `quickreply-server` on loopback with its own data
//! directory, and `qreply` clients, each with a data directory of its own (one
//! "computer" each).

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;

/// A binary of this workspace's build (`cargo nextest run --workspace` builds them all).
pub fn bin(name: &str) -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    // target/debug/deps/<test> → target/debug/<name>
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| anyhow!("no target dir above {}", exe.display()))?;
    let bin = dir.join(name);
    if !bin.exists() {
        bail!(
            "{} is missing: build it with cargo build --workspace",
            bin.display()
        );
    }
    Ok(bin)
}

/// A running `quickreply-server`.
pub struct Server {
    child: Option<Child>,
    pub data: PathBuf,
    pub url: String,
    /// The owner setup code printed at the first start.
    pub setup_code: Option<String>,
    port: u16,
    /// Flags added to every start.
    args: Vec<OsString>,
}

impl Server {
    /// Start a new server on a free port with a fresh data directory under `dir`.
    pub fn start(dir: &Path) -> Result<Server> {
        Self::start_with(dir, Vec::<OsString>::new())
    }

    /// [`Self::start`] with more flags (`--tls-cert`, …); `url` is what the server
    /// printed (`https://…` with TLS).
    pub fn start_with<I, A>(dir: &Path, args: I) -> Result<Server>
    where
        I: IntoIterator<Item = A>,
        A: Into<OsString>,
    {
        let data = dir.join("server");
        let mut s = Server {
            child: None,
            data,
            url: String::new(),
            setup_code: None,
            port: 0,
            args: args.into_iter().map(Into::into).collect(),
        };
        s.launch()?;
        Ok(s)
    }

    fn launch(&mut self) -> Result<()> {
        let mut child = Command::new(bin("quickreply-server")?)
            .arg("--data-dir")
            .arg(&self.data)
            .args(["--listen", &format!("127.0.0.1:{}", self.port)])
            .args(["--heartbeat-secs", "1"])
            .args(&self.args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting quickreply-server")?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        self.child = Some(child);
        loop {
            let line = rx
                .recv_timeout(Duration::from_secs(30))
                .context("quickreply-server did not say where it listens")?;
            if let Some(code) = line.strip_prefix("setup code: ") {
                self.setup_code = Some(code.trim().to_string());
            }
            if let Some(url) = line.strip_prefix("listening on ") {
                self.url = url.trim().to_string();
                self.port = self
                    .url
                    .rsplit(':')
                    .next()
                    .and_then(|p| p.trim_end_matches('/').parse().ok())
                    .ok_or_else(|| anyhow!("no port in {url}"))?;
                return Ok(());
            }
        }
    }

    /// `kill -9`: no graceful shutdown, whatever was in flight is cut.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Start again on the same port and data directory.
    pub fn restart(&mut self) -> Result<()> {
        self.kill9();
        self.launch()
    }

    /// A GET on the server with a device token, as JSON.
    pub fn get(&self, path: &str, token: &str) -> Result<Value> {
        let resp = ureq::get(&format!("{}{path}", self.url))
            .header("Authorization", &format!("Bearer {token}"))
            .call()?;
        Ok(resp.into_body().read_json()?)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// The lead's computer `lead-pc` in `dir`: the team's owner 王主管 (joined with the
/// server's setup code), with the team library `team` holding `replies` (folder — ""
/// for none —, title, shortcut code, text), synced.
pub fn lead_with_team(
    dir: &Path,
    server: &Server,
    team: &str,
    replies: &[(&str, &str, &str, &str)],
) -> Result<Client> {
    let lead = Client::new(dir, "lead-pc");
    lead.join(
        server,
        &server.setup_code.clone().unwrap_or_default(),
        "王主管",
    )?;
    lead.ok(&["library", "add", team])?;
    for (folder, title, code, text) in replies {
        let mut args = vec!["add", "--library", team, "--title", title, "--code", code];
        if !folder.is_empty() {
            args.extend(["--folder", folder]);
        }
        args.extend(["--text", text]);
        lead.ok(&args)?;
    }
    lead.ok(&["sync"])?;
    Ok(lead)
}

/// A shop of its own: a server in `root/name` whose team is called `name`, its lead
/// with the team library `library` holding the reply 发货时间 (code `fh`) saying `text`,
/// and an editor's invite code.
pub fn shop(
    root: &Path,
    name: &str,
    library: &str,
    text: &str,
) -> Result<(Server, Client, String)> {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir)?;
    let server = Server::start_with(&dir, ["--team-name", name])?;
    let lead = lead_with_team(&dir, &server, library, &[("物流", "发货时间", "fh", text)])?;
    let invite = lead.invite(&["--role", "editor"])?;
    Ok((server, lead, invite))
}

/// One computer with `qreply`.
pub struct Client {
    pub data: PathBuf,
    pub name: String,
    /// Environment of every `qreply` run on this computer (`SSL_CERT_FILE`, …).
    pub env: Vec<(OsString, OsString)>,
}

/// What a `qreply` run printed.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// What a finished process printed.
    pub fn of(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Client {
    pub fn new(dir: &Path, name: &str) -> Client {
        Client {
            data: dir.join(name),
            name: name.to_string(),
            env: Vec::new(),
        }
    }

    /// This computer with `key=value` in the environment of every `qreply` run.
    pub fn with_env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Client {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn command(&self, args: &[&str]) -> Result<Command> {
        let mut c = Command::new(bin("qreply")?);
        c.arg("--data-dir")
            .arg(&self.data)
            .args(["--lang", "en"])
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        Ok(c)
    }

    /// Run `qreply ARGS` on a terminal (a pseudo-terminal from util-linux `script`),
    /// typing `input`; what it printed, both streams together as a terminal shows them
    /// (in `stdout`, with the typed input echoed).
    pub fn run_on_tty(&self, args: &[&str], input: &str) -> Result<Run> {
        use std::io::Write;
        let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
        let mut line = vec![
            quote(&bin("qreply")?.to_string_lossy()),
            "--data-dir".into(),
            quote(&self.data.to_string_lossy()),
            "--lang".into(),
            "en".into(),
        ];
        line.extend(args.iter().map(|a| quote(a)));
        let mut child = Command::new("script")
            .args(["-qefc", &line.join(" "), "/dev/null"])
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("running util-linux script (package bsdutils) for a pseudo-terminal")?;
        let mut stdin = child.stdin.take().context("no stdin")?;
        stdin.write_all(input.as_bytes())?;
        let out = child.wait_with_output()?;
        drop(stdin);
        // The terminal's own line ends (\r\n) as plain ones, so that a \r left is one
        // the program printed.
        let mut run = Run::of(out);
        run.stdout = run.stdout.replace("\r\n", "\n");
        Ok(run)
    }

    /// Run `qreply ARGS`, whatever its exit code.
    pub fn run(&self, args: &[&str]) -> Result<Run> {
        Ok(Run::of(self.command(args)?.output()?))
    }

    /// Run `qreply ARGS` and fail unless it succeeds.
    pub fn ok(&self, args: &[&str]) -> Result<String> {
        let r = self.run(args)?;
        if r.code != 0 {
            bail!(
                "{}: qreply {} exited {}:\n{}{}",
                self.name,
                args.join(" "),
                r.code,
                r.stdout,
                r.stderr
            );
        }
        Ok(r.stdout)
    }

    /// `qreply ARGS --json`, parsed.
    pub fn json(&self, args: &[&str]) -> Result<Value> {
        let mut a = args.to_vec();
        a.push("--json");
        let out = self.ok(&a)?;
        serde_json::from_str(&out).with_context(|| format!("{}: not JSON: {out}", self.name))
    }

    /// Join as `user` on this computer.
    pub fn join(&self, server: &Server, code: &str, user: &str) -> Result<String> {
        self.ok(&[
            "join",
            &server.url,
            code,
            "--device",
            &self.name,
            "--name",
            user,
        ])
    }

    /// A new invite (or pairing) code.
    pub fn invite(&self, args: &[&str]) -> Result<String> {
        let mut a = vec!["invite"];
        a.extend_from_slice(args);
        Ok(self.ok(&a)?.trim().to_string())
    }

    /// The device token (for direct API checks).
    pub fn token(&self) -> Result<String> {
        Ok(std::fs::read_to_string(self.data.join("sync-token"))?
            .trim()
            .to_string())
    }

    /// `qreply status --json`: (all in sync, the libraries).
    pub fn status(&self) -> Result<Value> {
        let r = self.run(&["status", "--json"])?;
        serde_json::from_str(&r.stdout)
            .with_context(|| format!("{}: status: {}{}", self.name, r.stdout, r.stderr))
    }

    /// Titles of the replies in a library.
    pub fn titles(&self, library: &str) -> Result<Vec<String>> {
        let v = self.json(&["ls", "--library", library])?;
        Ok(v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s["title"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// `qreply sync --watch` in the background, killed when dropped; its output goes
    /// to [`Self::watch_log`].
    pub fn watch(&self) -> Result<Watcher> {
        let log = std::fs::File::create(self.watch_log_path())?;
        let child = self
            .command(&["sync", "--watch"])?
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        Ok(Watcher(child))
    }
}

impl Client {
    fn watch_log_path(&self) -> std::path::PathBuf {
        self.data.with_file_name(format!("{}-watch.log", self.name))
    }

    /// What this computer's `sync --watch` printed so far.
    pub fn watch_log(&self) -> Result<String> {
        Ok(std::fs::read_to_string(self.watch_log_path())?)
    }
}

impl Client {
    /// `qreply signin SERVER --device <this computer> [--name NAME]` in the background,
    /// once it has printed its code.
    pub fn signin_in_background(&self, server: &Server, name: Option<&str>) -> Result<Asking> {
        self.signin_as(server, &self.name, name)
    }

    /// [`Self::signin_in_background`] under another device name.
    pub fn signin_as(&self, server: &Server, device: &str, name: Option<&str>) -> Result<Asking> {
        let mut args = vec!["signin", server.url.as_str(), "--device", device];
        if let Some(n) = name {
            args.extend(["--name", n]);
        }
        let child = self
            .command(&args)?
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let mut asking = Asking {
            code: String::new(),
            child,
        };
        let stdout = asking.child.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        asking.code = lines
            .next()
            .transpose()?
            .context("qreply signin printed no code")?
            .trim()
            .to_string();
        // Keep draining so the process never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.by_ref() {});
        Ok(asking)
    }
}

/// A `qreply signin` waiting for approval; killed if dropped unfinished.
pub struct Asking {
    /// The code it shows (`XXXX-XXXX`).
    pub code: String,
    child: Child,
}

impl Asking {
    /// Waits (up to `timeout`) for it to end: its messages (stderr) when it joined, an
    /// error with them when it failed.
    pub fn finish(mut self, what: &str, timeout: Duration) -> Result<String> {
        use std::io::Read;
        let status = crate::wait_for(what, timeout, || self.child.try_wait().ok().flatten())?;
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            e.read_to_string(&mut err)?;
        }
        if !status.success() {
            bail!("{what}: qreply signin failed ({status}):\n{err}");
        }
        Ok(err)
    }
}

impl Drop for Asking {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A background `qreply sync --watch`.
pub struct Watcher(pub Child);

impl Watcher {
    pub fn kill9(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.kill9();
    }
}

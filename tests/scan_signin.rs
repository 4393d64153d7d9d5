//! Scanning to sign in, across processes: the real `quickreply-server` configured (by its
//! `--config` file) with a WeCom app whose endpoint is a stand-in on loopback
//! (`support/standin.rs`), and real `qreply` computers. A lead links their WeCom account
//! (`qreply link wecom`), then their second computer signs in by scanning (`qreply signin
//! URL --with wecom`); an unknown member's scan waits for a lead's `qreply approve`; a
//! replayed callback, a foreign code and an unconfigured provider fail clearly and sign
//! nobody in.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use quickreply_e2e::standin::{WecomStandIn, follow, query};
use quickreply_e2e::sync::{Client, Server};

/// A background `qreply` whose stdout lines arrive one by one.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Running {
    fn start(client: &Client, args: &[&str]) -> Result<Self> {
        let mut child = client
            .command(args)?
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let stdout = child.stdout.take().context("no stdout")?;
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Running { child, lines })
    }

    fn line(&self, what: &str) -> Result<String> {
        self.lines
            .recv_timeout(Duration::from_secs(20))
            .with_context(|| format!("qreply printed no {what}"))
    }

    /// Waits for it to end: (success, stderr).
    fn finish(mut self) -> Result<(bool, String)> {
        use std::io::Read;
        let status = quickreply_e2e::wait_for("qreply to finish", Duration::from_secs(30), || {
            self.child.try_wait().ok().flatten()
        })?;
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            e.read_to_string(&mut err)?;
        }
        Ok((status.success(), err))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_linked_wecom_account_signs_a_new_computer_in_and_an_unknown_one_is_approved() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let wecom = WecomStandIn::start("ww-shop", "wecom-app-secret")?;
    let config = dir.path().join("server.toml");
    std::fs::write(
        &config,
        format!(
            "[scan.wecom]\napp_id = \"ww-shop\"\nsecret = \"wecom-app-secret\"\n\
             agent_id = \"1000002\"\nendpoint = \"{}\"\n",
            wecom.base
        ),
    )?;
    let server = Server::start_with(dir.path(), ["--config".as_ref(), config.as_os_str()])?;
    let lead = Client::new(dir.path(), "lead-pc");
    lead.join(
        &server,
        server.setup_code.as_deref().context("no setup code")?,
        "老板",
    )?;

    // The lead links their WeCom account from the signed-in computer.
    let linking = Running::start(&lead, &["link", "wecom"])?;
    let url = linking.line("link")?;
    let (status, page) = wecom.scan(&url, "boss")?;
    assert_eq!(status, 200, "{page}");
    let (ok, err) = linking.finish()?;
    assert!(ok, "{err}");
    let listed = lead.ok(&["link"])?;
    assert!(listed.contains("wecom\tWeCom\tboss"), "{listed}");

    // Their laptop signs in by scanning: no code typed, no approval.
    let laptop = Client::new(dir.path(), "lead-laptop");
    let asking = Running::start(&laptop, &["signin", &server.url, "--with", "wecom"])?;
    let url = asking.line("WeCom link")?;
    assert_eq!(
        query(&url).get("agentid").map(String::as_str),
        Some("1000002")
    );
    let (status, page) = wecom.scan(&url, "boss")?;
    assert!(status == 200 && page.contains("已登录"), "{status} {page}");
    // The same redirect again (a replayed callback) is refused and changes nothing.
    let q = query(&url);
    let redirect = q.get("redirect_uri").context("no redirect_uri")?;
    let state = q.get("state").context("no state")?;
    let (status, page) = follow(&format!("{redirect}?code=CODE1&state={state}"))?;
    assert_eq!(status, 400);
    // Before the laptop collected its sign-in the scan is marked used; once collected it
    // is gone, and the state is unknown: refused either way.
    assert!(
        page.contains("已经用过") || page.contains("state 不对"),
        "{page}"
    );
    let (ok, err) = asking.finish()?;
    assert!(ok, "{err}");
    let status = laptop.status()?;
    assert_eq!(status["user"], "老板", "{status:#}");

    // Someone the team does not know yet: a lead approves the code the computer shows.
    let newbie = Client::new(dir.path(), "newbie-pc");
    let asking = Running::start(&newbie, &["signin", &server.url, "--with", "wecom"])?;
    let url = asking.line("WeCom link")?;
    wecom.scan(&url, "xiaoliu")?;
    let code = asking.line("approval code")?;
    let approved = lead.run(&["approve", &code, "--member", "agent", "--yes"])?;
    assert_eq!(approved.code, 0, "{approved:?}");
    assert!(
        approved.stderr.contains("xiaoliu（企业微信）"),
        "{}",
        approved.stderr
    );
    let (ok, err) = asking.finish()?;
    assert!(ok, "{err}");
    // Linked once approved: their next computer signs in by scanning alone.
    let second = Client::new(dir.path(), "newbie-laptop");
    let asking = Running::start(&second, &["signin", &server.url, "--with", "wecom"])?;
    wecom.scan(&asking.line("WeCom link")?, "xiaoliu")?;
    let (ok, err) = asking.finish()?;
    assert!(ok, "{err}");
    assert_eq!(second.status()?["role"], "agent");

    // A foreign code (WeCom refuses it): a clear error, nobody signed in.
    let stranger = Client::new(dir.path(), "stranger-pc");
    let asking = Running::start(&stranger, &["signin", &server.url, "--with", "wecom"])?;
    let q = query(&asking.line("WeCom link")?);
    let redirect = q.get("redirect_uri").context("no redirect_uri")?;
    let (status, page) = follow(&format!(
        "{redirect}?code=NOT-FROM-WECOM&state={}",
        q.get("state").context("no state")?
    ))?;
    assert_eq!(status, 400);
    assert!(page.contains("企业微信拒绝了这次登录"), "{page}");
    let (ok, err) = asking.finish()?;
    assert!(!ok);
    assert!(err.contains("WeCom refused this sign-in"), "{err}");
    if stranger.run(&["status"])?.stdout.contains("老板") {
        bail!("the stranger was signed in");
    }
    // A provider the server is not set up for.
    let refused = stranger.run(&["signin", &server.url, "--with", "feishu"])?;
    assert_eq!(refused.code, 1);
    assert!(
        refused
            .stderr
            .contains("does not sign in with Feishu (offered: WeCom)"),
        "{}",
        refused.stderr
    );
    Ok(())
}

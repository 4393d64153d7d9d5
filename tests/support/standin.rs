//! A stand-in for WeCom (企业微信) on loopback for the cross-process tests: the two server
//! calls of its Web login, speaking the same paths, parameters and JSON as the real API,
//! plus the phone that scans. (The server's own tests run all five providers against
//! `crates/server/tests/support/standin.rs`.) Plain `std::net`: one thread, one request per
//! connection.
//!
//! - `GET /cgi-bin/gettoken?corpid=ID&corpsecret=SECRET` →
//!   `{"errcode":0,"errmsg":"ok","access_token":…,"expires_in":7200}`
//!   (https://developer.work.weixin.qq.com/document/path/91039)
//! - `GET /cgi-bin/auth/getuserinfo?access_token=…&code=…` → `{"errcode":0,"errmsg":"ok",
//!   "userid":…}` for a corp member; a used or unknown code → `{"errcode":40029,
//!   "errmsg":"invalid code"}` (https://developer.work.weixin.qq.com/document/path/98177)

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, anyhow};
use serde_json::{Value, json};

#[derive(Default)]
struct State {
    /// Single-use codes → the userid who scanned.
    codes: HashMap<String, String>,
    tokens: Vec<String>,
    next: u64,
}

/// The WeCom stand-in.
#[derive(Clone)]
pub struct WecomStandIn {
    /// `http://127.0.0.1:PORT` (the provider's `endpoint` on the server).
    pub base: String,
    corp_id: String,
    secret: String,
    state: Arc<Mutex<State>>,
}

/// `%XX` and `+` decoded.
pub fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The query of a URL, decoded.
pub fn query(url: &str) -> HashMap<String, String> {
    let q = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let q = q.split('#').next().unwrap_or_default();
    q.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

impl WecomStandIn {
    pub fn start(corp_id: &str, secret: &str) -> Result<Self> {
        let socket = TcpListener::bind("127.0.0.1:0")?;
        let me = WecomStandIn {
            base: format!("http://{}", socket.local_addr()?),
            corp_id: corp_id.into(),
            secret: secret.into(),
            state: Arc::default(),
        };
        let serving = me.clone();
        std::thread::spawn(move || {
            for conn in socket.incoming().map_while(std::result::Result::ok) {
                let _ = serving.answer(conn);
            }
        });
        Ok(me)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn answer(&self, mut conn: TcpStream) -> Result<()> {
        let mut reader = BufReader::new(conn.try_clone()?);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
                break;
            }
        }
        let target = line.split_whitespace().nth(1).unwrap_or_default();
        let path = target.split('?').next().unwrap_or_default();
        let q = query(target);
        let arg = |k: &str| q.get(k).cloned().unwrap_or_default();
        let body: Value = match path {
            "/cgi-bin/gettoken" => {
                if arg("corpid") == self.corp_id && arg("corpsecret") == self.secret {
                    let mut st = self.lock();
                    st.next += 1;
                    let token = format!("TOKEN{}", st.next);
                    st.tokens.push(token.clone());
                    json!({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200})
                } else {
                    json!({"errcode": 40001, "errmsg": "invalid credential"})
                }
            }
            "/cgi-bin/auth/getuserinfo" => {
                let mut st = self.lock();
                if !st.tokens.contains(&arg("access_token")) {
                    json!({"errcode": 40014, "errmsg": "invalid access_token"})
                } else {
                    match st.codes.remove(&arg("code")) {
                        Some(userid) => json!({"errcode": 0, "errmsg": "ok", "userid": userid}),
                        None => json!({"errcode": 40029, "errmsg": "invalid code"}),
                    }
                }
            }
            _ => json!({"errcode": 404, "errmsg": "no such API"}),
        };
        let body = body.to_string();
        write!(
            conn,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        )?;
        Ok(())
    }

    /// A single-use code WeCom issued for `userid` (a member of the corp).
    pub fn code_for(&self, userid: &str) -> String {
        let mut st = self.lock();
        st.next += 1;
        let code = format!("CODE{}", st.next);
        st.codes.insert(code.clone(), userid.into());
        code
    }

    /// The phone: opens the WeCom login page `authorize_url` (checks it is the corp's
    /// CorpApp login), the member `userid` agrees, and WeCom redirects to the server's
    /// callback with a new code; answers the callback's status and page.
    pub fn scan(&self, authorize_url: &str, userid: &str) -> Result<(u16, String)> {
        if !authorize_url.starts_with(&format!("{}/wwlogin/sso/login?", self.base)) {
            return Err(anyhow!("not the WeCom login page: {authorize_url}"));
        }
        let q = query(authorize_url);
        if q.get("appid") != Some(&self.corp_id)
            || q.get("login_type").map(String::as_str) != Some("CorpApp")
        {
            return Err(anyhow!("not this corp's app: {authorize_url}"));
        }
        let redirect = q.get("redirect_uri").context("no redirect_uri")?;
        let state = q.get("state").context("no state")?;
        let code = self.code_for(userid);
        follow(&format!("{redirect}?code={code}&state={state}"))
    }
}

/// The phone's browser opening `url`: its status and page.
pub fn follow(url: &str) -> Result<(u16, String)> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut resp = agent.get(url).call()?;
    let status = resp.status().as_u16();
    Ok((status, resp.body_mut().read_to_string()?))
}

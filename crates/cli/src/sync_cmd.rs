//! `qreply join | invite | sync | status | devices | codes | members | leave`: thin wrappers over
//! `quickreply_sync`. A computer may have joined several servers (teams); the
//! commands about one team take it from `--team` and need it only once there are
//! several ([`sync::choose_account`]).

use std::path::Path;
use std::time::Duration;

use anyhow::{Result, bail};
use quickreply_core::i18n::tr;
use quickreply_core::proto::api::{InviteRequest, Role};
use quickreply_core::store::{Snippet, Store};
use quickreply_sync::{self as sync, LibraryStatus, Report};

use crate::args::RefusedCmd;
use serde_json::json;

use crate::shown::{json_text, shown, shown_text};

/// `7d`, `12h`, `30m`, `90s` or plain seconds.
pub fn parse_duration(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, unit) = s
        .find(|c: char| !c.is_ascii_digit())
        .map_or((s, ""), |i| s.split_at(i));
    let n: u64 = num.parse().map_err(|_| {
        tr(
            format!("时长「{s}」无效：用 7d、12h、30m 或秒数"),
            format!("invalid duration \"{s}\": use 7d, 12h, 30m or seconds"),
        )
    })?;
    let mult = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(tr(
                format!("时长单位「{unit}」无效：用 d、h、m 或 s"),
                format!("invalid duration unit \"{unit}\": use d, h, m or s"),
            ));
        }
    };
    Ok(n.saturating_mul(mult))
}

pub fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| {
        tr(
            format!("角色「{s}」无效：agent（客服）、editor（编辑）或 owner（主管）"),
            format!("invalid role \"{s}\": agent, editor or owner"),
        )
    })
}

fn role_name(r: Role) -> String {
    match r {
        Role::Owner => tr("主管", "owner"),
        Role::Editor => tr("编辑", "editor"),
        Role::Agent => tr("客服", "agent"),
    }
}

pub fn join(
    store: &mut Store,
    server: &str,
    code: &str,
    device: Option<String>,
    name: Option<String>,
) -> Result<()> {
    let device = device.unwrap_or_else(sync::host_name);
    let joined = sync::join(store, server, code, &device, name.as_deref())?;
    welcome(store, joined)
}

/// A QR code for the terminal (two rows per character line).
pub(crate) fn terminal_qr(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::unicode::Dense1x2>()
            .dark_color(qrcode::render::unicode::Dense1x2::Light)
            .light_color(qrcode::render::unicode::Dense1x2::Dark)
            .quiet_zone(true)
            .build(),
    )
}

pub fn signin(
    store: &mut Store,
    server: &str,
    device: Option<String>,
    name: Option<String>,
) -> Result<()> {
    let device = device.unwrap_or_else(sync::host_name);
    let pending = sync::signin(store, server, &device, name.as_deref())?;
    let until = local_time(pending.expires_at());
    let code = shown(pending.code());
    println!("{code}");
    if let Some(qr) = terminal_qr(&pending.approve_url()) {
        eprintln!("{qr}");
    }
    eprintln!(
        "{}",
        tr(
            format!(
                "请已登录的同事批准这个登录码（{until} 前有效）：在其电脑上运行 qreply approve {code}，或用手机扫上面的二维码"
            ),
            format!(
                "ask a signed-in teammate to approve this code (valid until {until}): qreply approve {code} on their computer, or scan the QR code above with a signed-in phone"
            )
        )
    );
    let joined = pending.wait(store, Duration::from_secs(1))?;
    welcome(store, joined)
}

/// `qreply approve CODE`: shows who asks (device, name, app or browser, address, when)
/// and, to let them in, asks 批准？[y/N] on a terminal; `--yes` answers for scripts. A
/// denial needs no confirmation (it lets nobody in).
pub fn approve(
    store: &Store,
    team: Option<&str>,
    code: &str,
    member: Option<Role>,
    deny: bool,
    yes: bool,
) -> Result<()> {
    let acc = sync::choose_account(store, team)?;
    let info = sync::lookup_signin(store, &acc, code)?;
    eprintln!("{}", describe_signin(&info));
    if !deny && !yes {
        let stdin = std::io::stdin();
        let tty = std::io::IsTerminal::is_terminal(&stdin);
        let what = match member {
            None => tr(
                "批准为你的另一台电脑？[y/N] ".to_string(),
                "Approve it as another computer of yours? [y/N] ".to_string(),
            ),
            Some(r) => tr(
                format!("批准为新成员（{}）？[y/N] ", role_name(r)),
                format!("Approve it as a new member ({})? [y/N] ", role_name(r)),
            ),
        };
        if !confirm(&mut stdin.lock(), tty, &what)? {
            bail!(tr(
                "没有批准：什么也没改（登录请求仍在等待，10 分钟内有效）",
                "not approved: nothing changed (the sign-in request is still waiting, for up to 10 minutes)"
            ));
        }
    }
    sync::decide_signin(store, &acc, code, !deny, member)?;
    let done = match (deny, member) {
        (true, _) => tr("已拒绝".to_string(), "denied".to_string()),
        (false, None) => tr(
            "已批准：它成为你的另一台电脑".to_string(),
            "approved as another computer of yours".to_string(),
        ),
        (false, Some(r)) => tr(
            format!("已批准：新成员（{}）", role_name(r)),
            format!("approved as a new member ({})", role_name(r)),
        ),
    };
    println!("{done}");
    Ok(())
}

/// Who asks to sign in, as one line (their names escaped: they typed them).
fn describe_signin(info: &quickreply_core::proto::api::SigninInfo) -> String {
    let device = shown(&info.device_name);
    let who = match &info.user_name {
        Some(n) => tr(
            format!("电脑「{device}」，自称「{}」", shown(n)),
            format!("computer \"{device}\", calling themselves \"{}\"", shown(n)),
        ),
        None => tr(
            format!("电脑「{device}」"),
            format!("computer \"{device}\""),
        ),
    };
    let app = if info.web {
        tr(
            "网页（手机或浏览器）".to_string(),
            "web page (phone or browser)".to_string(),
        )
    } else {
        format!("QuickReply {}", shown(&info.app_version))
    };
    let asked = local_time(info.created_at);
    let ip = shown(&info.ip);
    tr(
        format!(
            "登录请求 {}：{who}，{app}，来自 {ip}，{asked}",
            shown(&info.code)
        ),
        format!(
            "sign-in {}: {who}, {app}, from {ip} at {asked}",
            shown(&info.code)
        ),
    )
}

/// Ask `question` on stderr and read the answer from `input` (stdin): yes only for
/// y / yes / 是. Not a terminal: refused, telling to pass `--yes`.
fn confirm(input: &mut impl std::io::BufRead, tty: bool, question: &str) -> Result<bool> {
    if !tty {
        bail!(tr(
            "要批准请确认：在终端里运行并回答 y，或在脚本里加 --yes",
            "approving needs a confirmation: run it in a terminal and answer y, or pass --yes in scripts"
        ));
    }
    eprint!("{question}");
    std::io::Write::flush(&mut std::io::stderr())?;
    let mut answer = String::new();
    input.read_line(&mut answer)?;
    Ok(is_yes(&answer))
}

fn is_yes(answer: &str) -> bool {
    matches!(
        answer.trim().to_lowercase().as_str(),
        "y" | "yes" | "是" | "是的"
    )
}

pub fn history(store: &Store, snippet: &Snippet, json_out: bool) -> Result<()> {
    let versions = sync::history(store, snippet)?;
    if json_out {
        println!("{}", json_text(&serde_json::to_value(&versions)?)?);
        return Ok(());
    }
    for v in &versions {
        let what = match (&v.doc, v.deleted) {
            (_, true) => tr("（删除）".to_string(), "(deleted)".to_string()),
            (Some(quickreply_core::proto::api::ItemDoc::Snippet(d)), _) => {
                let first = d
                    .parts
                    .iter()
                    .find_map(|p| match p {
                        quickreply_core::proto::Part::Text { body } => Some(body.as_str()),
                        quickreply_core::proto::Part::Image { .. } => None,
                    })
                    .unwrap_or_default();
                let short: String = first.chars().take(40).collect();
                format!("{} — {}", shown(&d.title), shown(&short))
            }
            _ => String::new(),
        };
        let credit = v
            .suggested_by_name
            .as_deref()
            .map(|n| {
                tr(
                    format!("，采纳 {} 的建议", shown(n)),
                    format!(", suggested by {}", shown(n)),
                )
            })
            .unwrap_or_default();
        println!(
            "v{}  {}  {}（{}{credit}）  {what}",
            v.version,
            local_time(v.updated_at),
            shown(&v.user_name),
            shown(&v.device_name)
        );
    }
    Ok(())
}

pub fn restore(store: &mut Store, snippet: &Snippet, version: i64) -> Result<()> {
    let doc = sync::restore(store, snippet, version)?;
    println!(
        "{}",
        tr(
            format!("已把「{}」恢复到第 {version} 版", shown(&doc.title)),
            format!("restored \"{}\" to version {version}", shown(&doc.title))
        )
    );
    let r = sync::sync_once(store)?;
    print_report(&r);
    Ok(())
}

pub(crate) fn local_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// After joining (by code or by approval): where the token went, who we are, first sync.
pub(crate) fn welcome(
    store: &mut Store,
    (acc, place): (sync::Account, sync::TokenPlace),
) -> Result<()> {
    if let sync::TokenPlace::File(path, why) = &place {
        eprintln!(
            "{}",
            tr(
                format!(
                    "提示：系统钥匙串不可用（{why}），本机的同步凭据保存在 {}（仅本用户可读）",
                    path.display()
                ),
                format!(
                    "note: no OS keyring ({why}); this computer's sync credential is kept in {} (readable by you only)",
                    path.display()
                )
            )
        );
    }
    println!(
        "{}",
        tr(
            format!(
                "已加入 {}：团队「{}」，{}（{}），本机「{}」",
                shown(&acc.server),
                shown(&acc.team_name),
                shown(&acc.user_name),
                role_name(acc.role),
                shown(&acc.device_name)
            ),
            format!(
                "joined {}: team \"{}\", {} ({}), this computer \"{}\"",
                shown(&acc.server),
                shown(&acc.team_name),
                shown(&acc.user_name),
                role_name(acc.role),
                shown(&acc.device_name)
            )
        )
    );
    let r = sync::sync_account(store, acc.id)?;
    print_report(&r);
    Ok(())
}

pub fn invite(
    store: &Store,
    team: Option<&str>,
    role: Role,
    uses: u32,
    expires: u64,
    pairing: bool,
) -> Result<()> {
    let acc = sync::choose_account(store, team)?;
    let resp = sync::invite(
        store,
        &acc,
        &InviteRequest {
            role,
            uses,
            expires_in: expires,
            pairing,
        },
    )?;
    let until = local_time(resp.expires_at);
    println!("{}", shown(&resp.code));
    let what = if resp.pairing {
        tr(
            "配对码：在你的另一台电脑上运行 qreply join <服务器地址> <配对码>".to_string(),
            "pairing code: on your other computer run qreply join <server> <code>".to_string(),
        )
    } else {
        tr(
            format!("邀请码（{}）", role_name(resp.role)),
            format!("invite code ({})", role_name(resp.role)),
        )
    };
    eprintln!(
        "{}",
        tr(
            format!("{what}，可用 {} 次，{until} 前有效", resp.uses),
            format!("{what}, {} uses, valid until {until}", resp.uses)
        )
    );
    Ok(())
}

/// What a round did, with each change refused in it.
fn print_report(r: &Report) {
    if r.live {
        println!(
            "{}",
            tr(
                format!("已实时接收 {} 条更改", r.pulled),
                format!("received {} change(s) live", r.pulled)
            )
        );
    } else {
        println!(
            "{}",
            tr(
                format!("已同步：发送 {}，接收 {}", r.pushed, r.pulled),
                format!("synced: sent {}, received {}", r.pushed, r.pulled)
            )
        );
    }
    for c in &r.conflicts {
        let c = shown(c);
        println!(
            "{}",
            tr(
                format!("冲突：{c}（两个版本都保留了）"),
                format!("conflict: {c} (both versions kept)")
            )
        );
    }
    for c in &r.refused {
        let c = shown_text(c);
        eprintln!(
            "{}",
            tr(
                format!("服务器未接受：{c}（本机保留）"),
                format!("refused by the server: {c} (kept here)")
            )
        );
    }
    for c in &r.skipped {
        eprintln!("{}: {}", tr("注意", "note"), shown_text(c));
    }
}

/// The items this computer could not take from a server (the rest was applied), on
/// stderr: they are tried again at every sync, and `qreply status` names them too.
fn print_skipped(store: &Store) -> Result<()> {
    for s in sync::skipped(store)? {
        eprintln!(
            "{}",
            tr(
                format!(
                    "已跳过「{}」里的「{}」：{}（其余都已同步，每次同步都会重试）",
                    s.library, s.title, s.reason
                ),
                format!(
                    "skipped \"{}\" of \"{}\": {} (everything else is synced; tried again at every sync)",
                    s.title, s.library, s.reason
                )
            )
        );
    }
    Ok(())
}

/// One round with every account (or the `--team` one); `--watch` follows each account's
/// server in a thread of its own.
pub fn sync(store: &mut Store, dir: &Path, team: Option<&str>, watch: bool) -> Result<()> {
    let chosen = match team {
        Some(_) => vec![sync::choose_account(store, team)?],
        None => sync::accounts(store)?,
    };
    if chosen.is_empty() {
        return Err(sync::SyncError::NotJoined.into());
    }
    if !watch {
        let r = match team {
            Some(_) => sync::sync_account(store, chosen[0].id)?,
            None => sync::sync_once(store)?,
        };
        print_report(&r);
        print_refused(&sync::refused(store)?, &r.refused);
        print_skipped(store)?;
        return Ok(());
    }
    let several = chosen.len() > 1;
    let watches: Vec<_> = chosen
        .into_iter()
        .map(|acc| {
            let dir = dir.to_path_buf();
            std::thread::spawn(move || {
                use std::io::Write;
                let label = if several {
                    format!("[{}] ", shown(&acc.team_name))
                } else {
                    String::new()
                };
                sync::watch(&dir, acc.id, Duration::from_millis(500), |r| {
                    match r {
                        Ok(r) => {
                            print!("{label}");
                            print_report(r);
                        }
                        Err(e) => eprintln!(
                            "{label}{}: {}",
                            tr("同步失败，稍后重试", "sync failed, will retry"),
                            shown_text(&e.to_string())
                        ),
                    }
                    let _ = std::io::stdout().flush();
                    true
                })
            })
        })
        .collect();
    for w in watches {
        match w.join() {
            Ok(r) => r?,
            Err(_) => bail!("sync watch thread panicked"),
        }
    }
    Ok(())
}

fn refused_json(r: &sync::Refused) -> serde_json::Value {
    json!({
        "library": r.library,
        "remote": r.remote,
        "key": r.key,
        "title": r.title,
        "reason": r.reason,
        "at": r.at,
    })
}

/// The refused changes of one account, as JSON.
fn refused_of(store: &Store, account: i64) -> Result<Vec<serde_json::Value>> {
    Ok(sync::refused(store)?
        .iter()
        .filter(|r| r.account == account)
        .map(refused_json)
        .collect())
}

/// Lines for people: how many refused changes are kept here, what to do about them, and
/// each one not in `just_said` (the lines a round already printed).
fn print_refused(list: &[sync::Refused], just_said: &[String]) {
    if list.is_empty() {
        return;
    }
    eprintln!(
        "{}",
        tr(
            format!(
                "{} 个本地改动未被接受，仍保留在本机、不会再发送；修改后会自动重发，\
                 或用 qreply refused retry/discard 重试或放弃：",
                list.len()
            ),
            format!(
                "{} local changes were refused; they are kept here and not sent again. \
                 Editing one sends it again; qreply refused retry/discard retries or gives \
                 them up:",
                list.len()
            )
        )
    );
    for r in list {
        if just_said
            .iter()
            .any(|l| l.starts_with(&format!("{}: ", r.title)))
        {
            continue;
        }
        eprintln!(
            "  「{}」（{}）: {}",
            shown(&r.title),
            shown(&r.library),
            shown_text(&r.reason)
        );
    }
}

/// `qreply refused`: list, retry or discard the refused local changes. Listing exits 2
/// while any is kept (as `qreply status` does), 0 when there are none.
pub fn refused(store: &mut Store, action: Option<RefusedCmd>, json_out: bool) -> Result<i32> {
    match action {
        None => {
            let list = sync::refused(store)?;
            if json_out {
                let v: Vec<_> = list.iter().map(refused_json).collect();
                println!("{}", json_text(&serde_json::Value::Array(v))?);
            } else if list.is_empty() {
                println!("{}", tr("没有被拒绝的改动", "no refused changes"));
            } else {
                print_refused(&list, &[]);
            }
            return Ok(if list.is_empty() { 0 } else { 2 });
        }
        Some(RefusedCmd::Retry { which, .. }) => {
            let n = sync::retry(store, which.as_deref())?;
            println!(
                "{}",
                tr(
                    format!("{n} 个改动会在下次同步时重新发送"),
                    format!("{n} change(s) will be sent again at the next sync")
                )
            );
        }
        Some(RefusedCmd::Discard { which, .. }) => {
            let n = sync::discard(store, which.as_deref())?;
            println!(
                "{}",
                tr(
                    format!("已放弃 {n} 个改动，恢复为服务器上的版本"),
                    format!("discarded {n} change(s): back to the server's version")
                )
            );
        }
    }
    Ok(0)
}

fn status_json(s: &LibraryStatus) -> serde_json::Value {
    json!({
        "account": s.account,
        "name": s.name,
        "remote": s.remote,
        "writable": s.writable,
        "in_sync": s.in_sync(),
        "pending": s.pending,
        "refused": s.refused,
        "cursor": s.cursor,
        "head": s.head,
        "local": {"count": s.local.count, "hash": s.local.hash},
        "server": {"count": s.server.count, "hash": s.server.hash},
        "skipped": s.skipped.iter().map(|k| json!({
            "key": k.key,
            "version": k.version,
            "title": k.title,
            "reason": k.reason,
            "since": k.first_at,
        })).collect::<Vec<_>>(),
    })
}

/// Prints each account and the state of its libraries; repairs libraries whose digests
/// differ although nothing is pending (and not only by skipped items). Exit code 0 when
/// everything is in sync, 2 otherwise, including while any item is skipped (named with
/// why: an image missing on the server or no image, …). JSON: one account as an object (as before several accounts), several as
/// an array.
pub fn status(store: &mut Store, team: Option<&str>, json_out: bool) -> Result<i32> {
    let chosen = match team {
        Some(_) => vec![sync::choose_account(store, team)?],
        None => sync::accounts(store)?,
    };
    if chosen.is_empty() {
        return Err(sync::SyncError::NotJoined.into());
    }
    let before = sync::status(store)?;
    let after = sync::verify(store)?;
    let mut all = true;
    let mut out = Vec::new();
    for acc in &chosen {
        let before: Vec<&LibraryStatus> = before.iter().filter(|s| s.account == acc.id).collect();
        let after: Vec<&LibraryStatus> = after.iter().filter(|s| s.account == acc.id).collect();
        let repaired: Vec<&str> = before
            .iter()
            .filter(|b| !b.in_sync() && after.iter().any(|a| a.remote == b.remote && a.in_sync()))
            .map(|b| b.name.as_str())
            .collect();
        let in_sync = after.iter().all(|s| s.in_sync());
        all &= in_sync;
        if json_out {
            out.push(json!({
                "account": acc.id,
                "server": acc.server,
                "team": acc.team_name,
                "user": acc.user_name,
                "role": acc.role.as_str(),
                "device": acc.device_name,
                "in_sync": in_sync,
                "repaired": repaired,
                "libraries": after.iter().map(|s| status_json(s)).collect::<Vec<_>>(),
                "refused": refused_of(store, acc.id)?,
            }));
            continue;
        }
        println!(
            "{}",
            tr(
                format!(
                    "{}. {}：团队「{}」，{}（{}）",
                    acc.id,
                    shown(&acc.server),
                    shown(&acc.team_name),
                    shown(&acc.user_name),
                    role_name(acc.role)
                ),
                format!(
                    "{}. {}: team \"{}\", {} ({})",
                    acc.id,
                    shown(&acc.server),
                    shown(&acc.team_name),
                    shown(&acc.user_name),
                    role_name(acc.role)
                )
            )
        );
        for s in &after {
            let ro = if s.writable {
                String::new()
            } else {
                tr("（只读）", " (read-only)")
            };
            println!("  {}{ro}: {}", shown(&s.name), shown_text(&s.describe()));
        }
        for r in &repaired {
            let r = shown(r);
            println!(
                "{}",
                tr(
                    format!("已修复「{r}」：重新拉取后与服务器一致"),
                    format!("repaired \"{r}\": equal to the server after a full pull")
                )
            );
        }
    }
    let refused = sync::refused(store)?;
    if !json_out {
        print_refused(&refused, &[]);
    }
    if json_out {
        let v = match <[serde_json::Value; 1]>::try_from(out) {
            Ok([one]) => one,
            Err(many) => serde_json::Value::Array(many),
        };
        println!("{}", json_text(&serde_json::to_value(&v)?)?);
    }
    Ok(if all { 0 } else { 2 })
}

pub fn devices(
    store: &Store,
    team: Option<&str>,
    revoke: Option<String>,
    json_out: bool,
) -> Result<()> {
    let acc = sync::choose_account(store, team)?;
    let client = sync::client_for(store, &acc)?;
    if let Some(id) = revoke {
        let list = client.devices()?;
        let found = list
            .iter()
            .find(|d| {
                d.id.to_string() == id || (id.len() >= 4 && d.id.to_string().starts_with(&id))
            })
            .or_else(|| list.iter().find(|d| d.name == id));
        let Some(dev) = found else {
            bail!(tr(
                format!("没有设备「{id}」（qreply devices 列出设备）"),
                format!("no device \"{id}\" (qreply devices lists them)")
            ));
        };
        client.revoke(dev.id)?;
        println!(
            "{}",
            tr(
                format!(
                    "已停用设备「{}」（{}）",
                    shown(&dev.name),
                    shown(&dev.user_name)
                ),
                format!(
                    "revoked device \"{}\" ({})",
                    shown(&dev.name),
                    shown(&dev.user_name)
                )
            )
        );
        return Ok(());
    }
    let list = client.devices()?;
    if json_out {
        println!("{}", json_text(&serde_json::to_value(&list)?)?);
        return Ok(());
    }
    for d in list {
        let seen = d
            .last_seen
            .and_then(chrono::DateTime::from_timestamp_millis)
            .map(|t| {
                t.with_timezone(&chrono::Local)
                    .format("%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_else(|| "-".into());
        let state = if d.revoked {
            tr("已停用", "revoked")
        } else {
            String::new()
        };
        println!(
            "{}  {}  {}（{}）  {seen}  {} {state}",
            &d.id.to_string()[..8],
            shown(&d.name),
            shown(&d.user_name),
            role_name(d.role),
            shown(&d.app_version)
        );
    }
    Ok(())
}

/// The team's open invite and pairing codes (leads and editors).
pub fn codes(store: &Store, team: Option<&str>, json_out: bool) -> Result<()> {
    let acc = sync::choose_account(store, team)?;
    let list = sync::open_codes(store, &acc)?;
    if json_out {
        println!("{}", json_text(&serde_json::to_value(&list)?)?);
        return Ok(());
    }
    if list.is_empty() {
        println!(
            "{}",
            tr(
                "没有可用的邀请码或配对码",
                "no open invite or pairing codes"
            )
        );
        return Ok(());
    }
    for c in list {
        let kind = if c.pairing {
            tr("配对码", "pairing")
        } else {
            tr("邀请码", "invite")
        };
        let expires = c
            .expires_at
            .map_or_else(|| tr("不过期", "never"), local_time);
        let by = match (&c.created_by_name, &c.created_by_device) {
            (Some(n), Some(d)) => format!("{}（{}）", shown(n), shown(d)),
            (Some(n), None) => shown(n).into_owned(),
            _ => tr("服务器命令行", "the server's command line"),
        };
        println!(
            "{}  {kind}  {}  {}  {}  {by}",
            c.id,
            role_name(c.role),
            tr(
                format!("剩 {} 次", c.uses_left),
                format!("{} use(s) left", c.uses_left)
            ),
            tr(format!("{expires} 过期"), format!("expires {expires}")),
        );
    }
    Ok(())
}

/// Cancel an open code of the team by its id.
pub fn cancel_code(store: &Store, team: Option<&str>, id: &str) -> Result<()> {
    let acc = sync::choose_account(store, team)?;
    sync::cancel_code(store, &acc, id)?;
    println!(
        "{}",
        tr(
            format!("已作废代码 {id}：再用它加入会被拒绝"),
            format!("cancelled code {id}: joining with it is refused from now on")
        )
    );
    Ok(())
}

/// The team's members and their computers (the owner sees everyone).
pub fn members(store: &Store, team: Option<&str>, json_out: bool) -> Result<()> {
    let acc = sync::choose_account(store, team)?;
    let list = sync::members(store, &acc)?;
    if json_out {
        let v: Vec<_> = list
            .iter()
            .map(|m| {
                json!({
                    "user_id": m.user_id,
                    "name": m.name,
                    "role": m.role,
                    "devices": m.devices.iter().map(|d| d.name.clone()).collect::<Vec<_>>(),
                })
            })
            .collect();
        println!("{}", json_text(&serde_json::Value::Array(v))?);
        return Ok(());
    }
    for m in list {
        let devices: Vec<String> = m
            .devices
            .iter()
            .map(|d| shown(&d.name).into_owned())
            .collect();
        println!(
            "{}  {}（{}）  {}",
            &m.user_id.to_string()[..8],
            shown(&m.name),
            role_name(m.role),
            devices.join(", ")
        );
    }
    Ok(())
}

/// Remove a member from the team entirely (the owner), after asking unless `yes`.
pub fn remove_member(store: &Store, team: Option<&str>, who: &str, yes: bool) -> Result<()> {
    use std::io::{IsTerminal as _, Write as _};
    let acc = sync::choose_account(store, team)?;
    let member = sync::find_member(&sync::members(store, &acc)?, who)?;
    let devices: Vec<String> = member
        .devices
        .iter()
        .map(|d| shown(&d.name).into_owned())
        .collect();
    let name = shown(&member.name);
    let team_name = shown(&acc.team_name);
    if !yes {
        if !std::io::stdin().is_terminal() {
            bail!(tr(
                format!("移除成员「{}」需要确认：加上 --yes", name),
                format!(
                    "removing the member \"{}\" needs confirming: add --yes",
                    name
                )
            ));
        }
        eprint!(
            "{} ",
            tr(
                format!(
                    "从团队「{}」移除「{}」（{}）？其 {} 台电脑（{}）会被停用并在下次同步时退出，其邀请码和配对码作废。[y/N]",
                    team_name,
                    name,
                    role_name(member.role),
                    devices.len(),
                    devices.join("、")
                ),
                format!(
                    "remove \"{}\" ({}) from the team \"{}\"? Their {} computer(s) ({}) are revoked and signed out at their next sync, and their invite and pairing codes cancelled. [y/N]",
                    name,
                    role_name(member.role),
                    team_name,
                    devices.len(),
                    devices.join(", ")
                )
            )
        );
        std::io::stderr().flush()?;
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if !matches!(answer.trim().to_lowercase().as_str(), "y" | "yes" | "是") {
            println!("{}", tr("没有移除任何人", "nobody was removed"));
            return Ok(());
        }
    }
    sync::remove_member(store, &acc, member.user_id)?;
    println!(
        "{}",
        tr(
            format!(
                "已将「{}」移出团队：停用了 {} 台电脑，其代码已作废",
                name,
                devices.len()
            ),
            format!(
                "removed \"{}\" from the team: {} computer(s) revoked, their codes cancelled",
                name,
                devices.len()
            )
        )
    );
    Ok(())
}

/// The most used replies of a synced library, all computers together (leads, editors).
pub fn usage(store: &Store, library: &str, days: u32, json_out: bool) -> Result<()> {
    let lib = store.library(library)?;
    let rows = sync::usage(store, &lib, days)?;
    if json_out {
        let v: Vec<_> = rows
            .iter()
            .map(|(t, n, d)| json!({"title": t, "count": n, "devices": d}))
            .collect();
        println!("{}", json_text(&serde_json::to_value(&v)?)?);
        return Ok(());
    }
    if rows.is_empty() {
        println!(
            "{}",
            tr(
                format!("最近 {days} 天「{library}」还没有人用过"),
                format!("nobody fired a reply of \"{library}\" in the last {days} days")
            )
        );
    }
    for (title, n, d) in rows {
        println!(
            "{n:>6}  {}  {}",
            shown(&title),
            tr(format!("（{d} 台电脑）"), format!("({d} computers)"))
        );
    }
    Ok(())
}

/// The team's searches that found nothing (`qreply usage --missed`).
pub fn missed(store: &Store, team: Option<&str>, days: u32, json_out: bool) -> Result<()> {
    let acc = sync::choose_account(store, team)?;
    let rows = sync::missed(store, &acc, days)?;
    if json_out {
        println!("{}", json_text(&serde_json::to_value(&rows)?)?);
        return Ok(());
    }
    if rows.is_empty() {
        println!(
            "{}",
            tr(
                format!("最近 {days} 天没有找不到结果的搜索"),
                format!("no search found nothing in the last {days} days")
            )
        );
    }
    for m in rows {
        println!(
            "{:>6}  {}  {}",
            m.count,
            shown(&m.query),
            tr(
                format!("（{} 台电脑）", m.devices),
                format!("({} computers)", m.devices)
            )
        );
    }
    Ok(())
}

pub fn leave(store: &mut Store, team: Option<&str>) -> Result<()> {
    let acc = sync::choose_account(store, team)?;
    let told = sync::leave(store, &acc)?;
    println!(
        "{}",
        tr(
            format!("已退出 {}；话术都留在本机", shown(&acc.server)),
            format!(
                "left {}; all replies stay on this computer",
                shown(&acc.server)
            )
        )
    );
    match told {
        sync::Departure::Revoked => eprintln!(
            "{}",
            tr("服务器已注销本机", "the server revoked this computer")
        ),
        sync::Departure::KeptForOwner => eprintln!(
            "{}",
            tr(
                "本机是负责人的电脑，服务器上仍保留它；不再使用时请在另一台电脑上运行 qreply devices --revoke",
                "this is an owner's computer, so the server keeps it listed; revoke it from another computer with qreply devices --revoke when it is no longer used"
            )
        ),
        sync::Departure::NotTold(why) => {
            let why = shown_text(&why);
            eprintln!(
                "{}",
                tr(
                    format!("没能通知服务器（{why}）：服务器上仍列着本机，请负责人注销它"),
                    format!(
                        "the server could not be told ({why}): it still lists this computer; ask a lead to revoke it"
                    )
                )
            )
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("7d"), Ok(604_800));
        assert_eq!(parse_duration("12h"), Ok(43_200));
        assert_eq!(parse_duration("30m"), Ok(1_800));
        assert_eq!(parse_duration("90"), Ok(90));
        assert!(parse_duration("7w").is_err());
        assert!(parse_duration("d").is_err());
    }

    #[test]
    fn approving_is_confirmed_only_by_a_yes_on_a_terminal() -> Result<()> {
        for (answer, yes) in [
            ("y\n", true),
            ("Yes\r\n", true),
            (" 是 \n", true),
            ("\n", false),
            ("n\n", false),
            ("", false),
            ("yy\n", false),
        ] {
            assert_eq!(
                confirm(&mut answer.as_bytes(), true, "批准？[y/N] ")?,
                yes,
                "{answer:?}"
            );
        }
        let refused = confirm(&mut "y\n".as_bytes(), false, "批准？[y/N] ");
        let msg = refused.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("--yes"), "{msg}");
        Ok(())
    }

    #[test]
    fn a_sign_in_request_is_described_with_its_names_escaped() {
        let info = quickreply_core::proto::api::SigninInfo {
            code: "ABCD-EFGH".into(),
            device_name: "evil\x1b[2J\x07".into(),
            user_name: Some("小\u{202E}李".into()),
            app_version: "0.1.0".into(),
            web: false,
            ip: "192.0.2.7".into(),
            created_at: 0,
            expires_at: 0,
        };
        let line = describe_signin(&info);
        assert!(!line.contains('\x1b') && !line.contains('\x07') && !line.contains('\u{202E}'));
        assert!(line.contains("evil\\x1b[2J\\x07"), "{line}");
        assert!(
            line.contains("192.0.2.7") && line.contains("ABCD-EFGH"),
            "{line}"
        );
    }
}

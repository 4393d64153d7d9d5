//! `qreply join | invite | sync | status | devices | leave`: thin wrappers over
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
use serde_json::json;

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
fn terminal_qr(text: &str) -> Option<String> {
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
    println!("{}", pending.code());
    if let Some(qr) = terminal_qr(&pending.approve_url()) {
        eprintln!("{qr}");
    }
    eprintln!(
        "{}",
        tr(
            format!(
                "请已登录的同事批准这个登录码（{until} 前有效）：在其电脑上运行 qreply approve {code}，或用手机扫上面的二维码",
                code = pending.code()
            ),
            format!(
                "ask a signed-in teammate to approve this code (valid until {until}): qreply approve {code} on their computer, or scan the QR code above with a signed-in phone",
                code = pending.code()
            )
        )
    );
    let joined = pending.wait(store, Duration::from_secs(1))?;
    welcome(store, joined)
}

pub fn approve(
    store: &Store,
    team: Option<&str>,
    code: &str,
    member: Option<Role>,
    deny: bool,
) -> Result<()> {
    let acc = sync::choose_account(store, team)?;
    let info = sync::lookup_signin(store, &acc, code)?;
    let who = match &info.user_name {
        Some(n) => format!("「{}」（{n}）", info.device_name),
        None => format!("「{}」", info.device_name),
    };
    let asked = local_time(info.created_at);
    eprintln!(
        "{}",
        tr(
            format!("登录请求 {}：{who}，来自 {}，{asked}", info.code, info.ip),
            format!("sign-in {}: {who} from {} at {asked}", info.code, info.ip)
        )
    );
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

pub fn history(store: &Store, snippet: &Snippet, json_out: bool) -> Result<()> {
    let versions = sync::history(store, snippet)?;
    if json_out {
        println!("{}", serde_json::to_string_pretty(&versions)?);
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
                format!("{} — {short}", d.title)
            }
            _ => String::new(),
        };
        println!(
            "v{}  {}  {}（{}）  {what}",
            v.version,
            local_time(v.updated_at),
            v.user_name,
            v.device_name
        );
    }
    Ok(())
}

pub fn restore(store: &mut Store, snippet: &Snippet, version: i64) -> Result<()> {
    let doc = sync::restore(store, snippet, version)?;
    println!(
        "{}",
        tr(
            format!("已把「{}」恢复到第 {version} 版", doc.title),
            format!("restored \"{}\" to version {version}", doc.title)
        )
    );
    let r = sync::sync_once(store)?;
    print_report(&r);
    Ok(())
}

fn local_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// After joining (by code or by approval): where the token went, who we are, first sync.
fn welcome(store: &mut Store, (acc, place): (sync::Account, sync::TokenPlace)) -> Result<()> {
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
                acc.server,
                acc.team_name,
                acc.user_name,
                role_name(acc.role),
                acc.device_name
            ),
            format!(
                "joined {}: team \"{}\", {} ({}), this computer \"{}\"",
                acc.server,
                acc.team_name,
                acc.user_name,
                role_name(acc.role),
                acc.device_name
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
    println!("{}", resp.code);
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
        println!(
            "{}",
            tr(
                format!("冲突：{c}（两个版本都保留了）"),
                format!("conflict: {c} (both versions kept)")
            )
        );
    }
    for c in &r.refused {
        eprintln!(
            "{}",
            tr(
                format!("服务器未接受：{c}（本机保留）"),
                format!("refused by the server: {c} (kept here)")
            )
        );
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
                    format!("[{}] ", acc.team_name)
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
                            "{label}{}: {e}",
                            tr("同步失败，稍后重试", "sync failed, will retry")
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

fn status_json(s: &LibraryStatus) -> serde_json::Value {
    json!({
        "account": s.account,
        "name": s.name,
        "remote": s.remote,
        "writable": s.writable,
        "in_sync": s.in_sync(),
        "pending": s.pending,
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
            }));
            continue;
        }
        println!(
            "{}",
            tr(
                format!(
                    "{}. {}：团队「{}」，{}（{}）",
                    acc.id,
                    acc.server,
                    acc.team_name,
                    acc.user_name,
                    role_name(acc.role)
                ),
                format!(
                    "{}. {}: team \"{}\", {} ({})",
                    acc.id,
                    acc.server,
                    acc.team_name,
                    acc.user_name,
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
            println!("  {}{ro}: {}", s.name, s.describe());
        }
        for r in &repaired {
            println!(
                "{}",
                tr(
                    format!("已修复「{r}」：重新拉取后与服务器一致"),
                    format!("repaired \"{r}\": equal to the server after a full pull")
                )
            );
        }
    }
    if json_out {
        let v = match <[serde_json::Value; 1]>::try_from(out) {
            Ok([one]) => one,
            Err(many) => serde_json::Value::Array(many),
        };
        println!("{}", serde_json::to_string_pretty(&v)?);
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
                format!("已停用设备「{}」（{}）", dev.name, dev.user_name),
                format!("revoked device \"{}\" ({})", dev.name, dev.user_name)
            )
        );
        return Ok(());
    }
    let list = client.devices()?;
    if json_out {
        println!("{}", serde_json::to_string_pretty(&list)?);
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
            d.name,
            d.user_name,
            role_name(d.role),
            d.app_version
        );
    }
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
        println!("{}", serde_json::to_string_pretty(&v)?);
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
            "{n:>6}  {title}  {}",
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
        println!("{}", serde_json::to_string_pretty(&rows)?);
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
            m.query,
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
            format!("已退出 {}；话术都留在本机", acc.server),
            format!("left {}; all replies stay on this computer", acc.server)
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
        sync::Departure::NotTold(why) => eprintln!(
            "{}",
            tr(
                format!("没能通知服务器（{why}）：服务器上仍列着本机，请负责人注销它"),
                format!(
                    "the server could not be told ({why}): it still lists this computer; ask a lead to revoke it"
                )
            )
        ),
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
}

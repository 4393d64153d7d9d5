//! `qreply signin URL --with PROVIDER` and `qreply link`: scanning to sign in with WeCom,
//! Feishu, DingTalk, WeChat or QQ (see `quickreply_sync::scan_signin`).

use std::time::Duration;

use anyhow::{Result, bail};
use quickreply_core::i18n::tr;
use quickreply_core::proto::api::ScanProvider;
use quickreply_core::store::Store;
use quickreply_sync::{self as sync, ScanStep};

use crate::shown::shown;
use crate::sync_cmd::{local_time, terminal_qr, welcome};

/// `wecom`, `feishu`, `dingtalk`, `wechat` or `qq`.
pub fn parse_provider(s: &str) -> Result<ScanProvider, String> {
    ScanProvider::parse(&s.trim().to_ascii_lowercase()).ok_or_else(|| {
        tr(
            format!("「{s}」不是扫码登录方式：wecom（企业微信）、feishu（飞书）、dingtalk（钉钉）、wechat（微信）或 qq"),
            format!("\"{s}\" is not a sign-in provider: wecom, feishu, dingtalk, wechat or qq"),
        )
    })
}

fn name(p: ScanProvider) -> String {
    tr(p.name_zh(), p.name_en())
}

/// Prints the provider's page (stdout, first line) and its QR code (stderr).
fn show(scan: &sync::Scan, what_zh: &str, what_en: &str) {
    println!("{}", scan.url());
    if let Some(qr) = terminal_qr(scan.url()) {
        eprintln!("{qr}");
    }
    let until = local_time(scan.expires_at());
    let p = scan.provider();
    eprintln!(
        "{}",
        tr(
            format!(
                "用手机{}扫上面的二维码{what_zh}（{until} 前有效；也可以在浏览器里打开上面的链接）",
                p.name_zh()
            ),
            format!(
                "scan the QR code above with {} on your phone {what_en} (valid until {until}; or open the link above in a browser)",
                p.name_en()
            )
        )
    );
}

/// `qreply signin URL --with PROVIDER`.
pub fn signin(
    store: &mut Store,
    server: &str,
    provider: ScanProvider,
    device: Option<String>,
    user: Option<String>,
) -> Result<()> {
    let offered = sync::scan_providers(server)?;
    if !offered.iter().any(|p| p.provider == provider) {
        let names: Vec<String> = offered.iter().map(|p| name(p.provider)).collect();
        bail!(tr(
            format!(
                "这个服务器没有设置{}登录（可用：{}）：请让团队主管在服务器上设置，或用 qreply signin {server} 请同事批准",
                provider.name_zh(),
                if names.is_empty() {
                    "无".to_string()
                } else {
                    names.join("、")
                }
            ),
            format!(
                "this server does not sign in with {} (offered: {}): ask the team owner to set it up on the server, or use qreply signin {server} to be approved by a teammate",
                provider.name_en(),
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            )
        ));
    }
    let device = device.unwrap_or_else(sync::host_name);
    let scan = sync::scan_signin(store, server, provider, &device, user.as_deref())?;
    show(&scan, "登录", "to sign in");
    match scan.wait(store, Duration::from_secs(1))? {
        ScanStep::Joined(acc, place) => welcome(store, (acc, place)),
        ScanStep::Approval(pending, who) => {
            let code = shown(pending.code()).into_owned();
            println!("{code}");
            let who = who.map(|w| shown(&w).into_owned()).unwrap_or_default();
            eprintln!(
                "{}",
                tr(
                    format!(
                        "团队里还没有关联 {who} 的{}账号：请团队负责人批准这个登录码：qreply approve {code}（或在管理页的“批准登录”里）",
                        provider.name_zh()
                    ),
                    format!(
                        "no member has the {} account {who} yet: ask a team lead to approve this code: qreply approve {code} (or in the admin page's Approve sign-in)",
                        provider.name_en()
                    )
                )
            );
            let joined = pending.wait(store, Duration::from_secs(1))?;
            welcome(store, joined)
        }
        ScanStep::Linked | ScanStep::Waiting => bail!(tr(
            "服务器的回答不对（不是登录）",
            "the server answered something other than a sign-in"
        )),
    }
}

/// `qreply link [PROVIDER] [--unlink]`.
pub fn link(
    store: &Store,
    team: Option<&str>,
    provider: Option<ScanProvider>,
    unlink: bool,
) -> Result<()> {
    let acc = sync::choose_account(store, team)?;
    let Some(provider) = provider else {
        let linked = sync::identities(store, &acc)?;
        if linked.is_empty() {
            println!(
                "{}",
                tr(
                    "还没有关联任何扫码登录账号：qreply link wecom（或 feishu、dingtalk、wechat、qq）",
                    "no account linked for scanning yet: qreply link wecom (or feishu, dingtalk, wechat, qq)"
                )
            );
        }
        for i in linked {
            println!(
                "{}\t{}\t{}",
                i.provider.as_str(),
                name(i.provider),
                shown(&i.display_name)
            );
        }
        return Ok(());
    };
    if unlink {
        sync::unlink(store, &acc, provider)?;
        println!(
            "{}",
            tr(
                format!("已取消关联{}账号", provider.name_zh()),
                format!("unlinked the {} account", provider.name_en())
            )
        );
        return Ok(());
    }
    let scan = sync::link(store, &acc, provider)?;
    show(&scan, "关联你的账号", "to link your account");
    match scan.wait(store, Duration::from_secs(1))? {
        ScanStep::Linked => {
            println!(
                "{}",
                tr(
                    format!("已关联：以后用{}扫码就能登录新电脑", provider.name_zh()),
                    format!(
                        "linked: from now on, scanning with {} signs your new computers in",
                        provider.name_en()
                    )
                )
            );
            Ok(())
        }
        _ => bail!(tr(
            "服务器的回答不对（不是关联）",
            "the server answered something other than a link"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_are_named_as_in_urls_in_any_case() {
        assert_eq!(parse_provider("WeCom"), Ok(ScanProvider::Wecom));
        assert_eq!(parse_provider(" qq "), Ok(ScanProvider::Qq));
        assert!(parse_provider("weibo").is_err());
    }
}

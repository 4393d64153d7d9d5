//! `qreply stale`: a synced library's replies no one fired in N days, and with
//! `--archive` moving them into its 归档 folder (the server decides and writes both; see
//! `quickreply_sync::stale`).

use anyhow::Result;
use quickreply_core::i18n::tr;
use quickreply_core::store::Store;
use quickreply_sync as sync;
use serde_json::json;

use crate::shown::{json_text, shown};

pub(crate) fn stale(
    store: &Store,
    library: &str,
    days: u32,
    archive: bool,
    json_out: bool,
) -> Result<()> {
    let lib = store.library(library)?;
    let found = sync::stale::stale(store, &lib, days)?;
    let keys: Vec<String> = found.replies.iter().map(|r| r.key.clone()).collect();
    let archived = if archive && !keys.is_empty() {
        sync::stale::archive(store, &lib, &keys)?
    } else {
        Vec::new()
    };
    let moved: usize = archived.iter().map(|a| a.moved.len()).sum();
    if json_out {
        let v = json!({
            "days": found.days,
            "since_day": found.since_day,
            "usage_since": found.usage_since,
            "total": found.total,
            "replies": found.replies,
            "archived": archived,
        });
        println!("{}", json_text(&v)?);
        return Ok(());
    }
    if found.replies.is_empty() {
        println!(
            "{}",
            tr(
                format!("「{library}」没有 {days} 天内没人用过的话术"),
                format!(
                    "every reply of \"{library}\" was fired in the last {days} days (or is newer)"
                )
            )
        );
    }
    let never = tr("从未".to_string(), "never".to_string());
    for r in &found.replies {
        println!(
            "{:<10}  {}{}",
            r.last_fired.as_deref().unwrap_or(&never),
            shown(&r.title),
            r.folder
                .as_deref()
                .map(|f| format!("  [{}]", shown(f)))
                .unwrap_or_default()
        );
    }
    match &found.usage_since {
        Some(first) if *first <= found.since_day => {}
        Some(first) => eprintln!(
            "{}",
            tr(
                format!("注意：这个库的使用记录从 {first} 才开始，更早的使用没有统计"),
                format!(
                    "note: this library's usage was first recorded on {first}; earlier use was never counted"
                )
            )
        ),
        None => eprintln!(
            "{}",
            tr(
                "注意：这个库还没有任何使用记录".to_string(),
                "note: this library has no usage recorded yet".to_string()
            )
        ),
    }
    if archive {
        println!(
            "{}",
            tr(
                format!(
                    "已把 {moved} 条话术移到「归档」文件夹（同步后各电脑都会看到；移回原文件夹即可恢复）"
                ),
                format!(
                    "moved {moved} replies into the 归档 folder (every computer gets it at its next sync; move one back to undo)"
                )
            )
        );
    } else if !found.replies.is_empty() {
        println!(
            "{}",
            tr(
                format!(
                    "共 {} 条；加 --archive 把它们移到「归档」文件夹",
                    found.total
                ),
                format!(
                    "{} in all; add --archive to move them into the 归档 folder",
                    found.total
                )
            )
        );
    }
    Ok(())
}

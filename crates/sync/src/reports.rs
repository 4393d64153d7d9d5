//! What this computer tells its team's server besides items: fire counts, searches that
//! found nothing, where its cursors are; and reading the team's usage and missed
//! searches back (leads).

use uuid::Uuid;

use quickreply_core::i18n::tr;
use quickreply_core::store::{self, Store};
use quickreply_proto::api::{
    Cursor, MAX_SKIPPED_REPORTED, MAX_SKIPPED_TEXT, MissedReport, MissedTotal, SkippedItem,
    StatusReport,
};

use crate::accounts::{client_for, client_of};
use crate::error::{Result, SyncError};
use crate::http::Client;
use crate::links::{linked, linked_of};
use crate::model::Account;
use crate::round::Report;
use crate::tables;

/// A text as the status report may carry it (at most [`MAX_SKIPPED_TEXT`] characters).
fn cut(text: &str) -> String {
    if text.chars().count() <= MAX_SKIPPED_TEXT {
        return text.to_string();
    }
    let mut out: String = text.chars().take(MAX_SKIPPED_TEXT - 1).collect();
    out.push('…');
    out
}

/// Tell the server where this computer's cursors are and which items it skipped (the
/// lead's status board).
pub(crate) fn report_status(store: &Store, client: &Client, account: i64) -> Result<()> {
    let skipped = crate::skipped(store)?;
    let cursors = linked_of(store, account)?
        .iter()
        .map(|l| {
            let mine: Vec<&crate::Skipped> = skipped
                .iter()
                .filter(|s| s.account == account && s.remote == l.remote)
                .collect();
            Cursor {
                library_id: l.remote,
                cursor: l.cursor,
                skipped: mine
                    .iter()
                    .take(MAX_SKIPPED_REPORTED)
                    .map(|s| SkippedItem {
                        key: s.key.clone(),
                        version: s.version,
                        title: cut(&s.title),
                        reason: cut(&s.reason),
                    })
                    .collect(),
                skipped_total: u32::try_from(mine.len()).unwrap_or(u32::MAX),
            }
        })
        .collect();
    client.report(&StatusReport {
        app_version: env!("CARGO_PKG_VERSION").to_string(),
        cursors,
    })?;
    Ok(())
}

/// Send the fire counts that changed since the last report (each the whole day's count,
/// which the server keeps per device and day, so a resend is harmless); nothing is
/// sent for a library without new fires. Counts only, never content. A report the
/// server refuses for what it holds (a `4xx` other than `401`, `404` and `429`: more
/// fires in a day than a person can make, say) would be refused again and again: it is
/// noted in `report.refused` and not sent again, so the round goes on.
pub(crate) fn report_usage(
    store: &Store,
    client: &Client,
    account: i64,
    report: &mut Report,
) -> Result<()> {
    for l in linked_of(store, account)? {
        let since = tables::usage_sent(store.conn(), l.local)?;
        let (counts, newest) = tables::usage_since(store.conn(), l.local, since)?;
        if counts.is_empty() {
            continue;
        }
        for chunk in counts.chunks(quickreply_proto::api::MAX_USAGE_ENTRIES) {
            let sent = client.report_usage(
                l.remote,
                &quickreply_proto::api::UsageReport {
                    counts: chunk.to_vec(),
                },
            );
            match sent {
                Ok(()) => {}
                // A server without usage statistics: nothing to report to.
                Err(SyncError::Server { status: 404, .. }) => return Ok(()),
                Err(SyncError::Server {
                    status, message, ..
                }) if (400..500).contains(&status) && status != 401 && status != 429 => {
                    report.refused.push(tr(
                        format!("话术库「{}」的使用统计被服务器拒绝，不再重发：{message}", l.name),
                        format!(
                            "the usage counts of the library \"{}\" were refused by the server and will not be sent again: {message}",
                            l.name
                        ),
                    ));
                }
                Err(e) => return Err(e),
            }
        }
        tables::set_usage_sent(store.conn(), l.local, newest)?;
    }
    Ok(())
}

/// How many days back a first report of searches that found nothing goes.
pub(crate) const MISSED_REPORT_DAYS: u32 = 30;

/// Send this computer's searches that found nothing whose counts changed since the last
/// report (each the day's whole count; the server keeps them per device, query and day).
/// A search made beside one team's chat window goes to that team only; one made
/// elsewhere to every team.
pub(crate) fn report_missed(store: &Store, client: &Client, account: i64) -> Result<()> {
    let since = tables::missed_sent(store.conn(), account)?;
    let server = client.server().to_string();
    let (searches, newest) = store.missed_searches_since(since, MISSED_REPORT_DAYS, &server)?;
    if searches.is_empty() {
        return Ok(());
    }
    for chunk in searches.chunks(quickreply_proto::api::MAX_USAGE_ENTRIES) {
        match client.report_missed(&MissedReport {
            searches: chunk.to_vec(),
        }) {
            Ok(()) => {}
            // A server from before these reports: nothing to report to.
            Err(SyncError::Server { status: 404, .. }) => return Ok(()),
            Err(e) => return Err(e),
        }
    }
    tables::set_missed_sent(store.conn(), account, newest)
}

/// `acc`'s team's searches that found nothing over the last `days` days, all devices
/// together, most searched first (leads and editors).
pub fn missed(store: &Store, acc: &Account, days: u32) -> Result<Vec<MissedTotal>> {
    let client = client_for(store, acc)?;
    client.missed(days)
}

/// The most used replies of a synced library over the last `days`, all devices
/// together (leads and editors): (title or key, fires, devices).
pub fn usage(
    store: &Store,
    library: &store::Library,
    days: u32,
) -> Result<Vec<(String, u64, u32)>> {
    let Some(l) = linked(store)?.into_iter().find(|l| l.local == library.id) else {
        return Err(SyncError::Unavailable(tr(
            format!("话术库「{}」没有同步", library.name),
            format!("the library \"{}\" is not synced", library.name),
        )));
    };
    let (_, client) = client_of(store, &l)?;
    let totals = client.usage(l.remote, days)?;
    Ok(totals
        .into_iter()
        .map(|t| {
            let title = Uuid::parse_str(&t.key)
                .ok()
                .and_then(|id| store.snippet(id).ok())
                .map_or_else(|| t.key.clone(), |s| s.title);
            (title, t.count, t.devices)
        })
        .collect())
}

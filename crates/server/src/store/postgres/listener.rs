//! The fan-out of live changes: every instance keeps one connection that `LISTEN`s on
//! [`CHANNEL`] and hears every instance's commits in commit order ([`Listener`]); writes
//! and revocations send their `NOTIFY` ([`Payload`], `NOTIFY_CHANGE`) inside their
//! transactions. A lost connection is re-established and the changes missed meanwhile
//! are announced again.

use std::time::Duration;

use futures_util::StreamExt as _;
use quickreply_proto::api::Item;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};
use tokio_postgres::{AsyncMessage, NoTls, Notification};
use uuid::Uuid;

use super::PgStore;
use super::rows::library_from_row;
use crate::Error;
use crate::store::Change;
use crate::store::rows::LIBRARY_COLUMNS;

/// Pause between attempts to re-establish the listener connection.
const RECONNECT_EVERY: Duration = Duration::from_secs(1);
/// The `NOTIFY` channel.
pub const CHANNEL: &str = "quickreply_changes";
/// `application_name` of the listener connections (`pg_stat_activity` tells them apart).
pub const LISTENER_NAME: &str = "quickreply-server listener";

/// What travels in a `NOTIFY quickreply_changes` payload (JSON).
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(super) enum Payload {
    /// A committed write (built in SQL by the write itself, see `NOTIFY_CHANGE`).
    Change {
        library_id: Uuid,
        head: i64,
        change_no: i64,
        team_id: Uuid,
        personal_user: Option<Uuid>,
        /// The written item when small enough for the event (see `MAX_INLINE_ITEM`).
        #[serde(default)]
        item: Option<Box<Item>>,
    },
    /// A revoked device.
    Revoked { device_id: Uuid },
}

/// The notification of a write, sent in its transaction: `$1` library, `$2` head, `$3`
/// team, `$4` personal user, `$5` the item's JSON when it fits in an event (else `NULL`;
/// a `NOTIFY` payload stays under PostgreSQL's 8,000 bytes); the change number is the
/// counter this transaction holds.
pub(super) const NOTIFY_CHANGE: &str = "SELECT pg_notify('quickreply_changes', json_build_object(
        'kind', 'change',
        'library_id', $1::uuid,
        'head', $2::bigint,
        'change_no', (SELECT value FROM meta WHERE key = 'change_no'),
        'team_id', $3::uuid,
        'personal_user', $4::uuid,
        'item', $5::text::json)::text)";

impl PgStore {
    /// Opens the listener connection (`LISTEN quickreply_changes`); [`Listener::run`] then
    /// forwards what it hears.
    pub async fn listen(&self) -> Result<Listener, Error> {
        let mut config = self.config.clone();
        config.application_name(LISTENER_NAME);
        let mut listener = Listener {
            config,
            target: self.target.clone(),
            conn: None,
            last: 0,
        };
        listener.connect().await?;
        // Changes committed before now are not announced again: nobody is subscribed yet.
        if let Some(conn) = &listener.conn {
            listener.last = conn
                .client
                .query_one("SELECT value FROM meta WHERE key = 'change_no'", &[])
                .await?
                .try_get(0)?;
        }
        Ok(listener)
    }
}

/// What a [`Listener`] hears, in commit order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Heard {
    /// A committed write (on any instance).
    Change(Change, Option<Box<Item>>),
    /// A device was revoked (on any instance): forget cached tokens, end its streams.
    Revoked(Uuid),
    /// The listener connection was lost and is back: notifications may have been missed
    /// (the changes are announced again right after this; revocations are not, so forget
    /// every cached token).
    Resync,
}

struct ListenConn {
    client: tokio_postgres::Client,
    notifications: mpsc::UnboundedReceiver<Notification>,
}

/// One dedicated connection that `LISTEN`s on `quickreply_changes`.
pub struct Listener {
    config: tokio_postgres::Config,
    target: String,
    conn: Option<ListenConn>,
    /// The newest change number announced (older notifications are not announced again).
    last: i64,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener")
            .field("target", &self.target)
            .field("last", &self.last)
            .finish_non_exhaustive()
    }
}

impl Listener {
    async fn connect(&mut self) -> Result<(), Error> {
        self.conn = None;
        let (client, mut connection) = self.config.connect(NoTls).await?;
        let (tx, notifications) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
            while let Some(message) = messages.next().await {
                match message {
                    Ok(AsyncMessage::Notification(n)) => {
                        if tx.send(n).is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "the PostgreSQL listener connection failed");
                        return;
                    }
                }
            }
        });
        client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
        self.conn = Some(ListenConn {
            client,
            notifications,
        });
        Ok(())
    }

    /// Announces every library that changed after the last change announced.
    async fn catch_up(&mut self, sink: &(impl Fn(Heard) + Send)) -> Result<(), Error> {
        let Some(conn) = &self.conn else {
            return Ok(());
        };
        let rows = conn
            .client
            .query(
                &format!(
                    "SELECT {LIBRARY_COLUMNS} FROM libraries WHERE last_change > $1
                     ORDER BY last_change"
                ),
                &[&self.last],
            )
            .await?;
        for row in &rows {
            let lib = library_from_row(row)?;
            self.last = self.last.max(lib.last_change);
            sink(Heard::Change(lib.change(), None));
        }
        Ok(())
    }

    fn heard(&mut self, n: &Notification, sink: &impl Fn(Heard)) {
        match serde_json::from_str::<Payload>(n.payload()) {
            Ok(Payload::Change {
                library_id,
                head,
                change_no,
                team_id,
                personal_user,
                item,
            }) => {
                if change_no > self.last {
                    self.last = change_no;
                    sink(Heard::Change(
                        Change {
                            library_id,
                            head,
                            change_no,
                            team_id,
                            personal_user,
                        },
                        item,
                    ));
                }
            }
            Ok(Payload::Revoked { device_id }) => sink(Heard::Revoked(device_id)),
            Err(e) => tracing::warn!(
                error = %e,
                payload = n.payload(),
                "ignoring a notification that does not parse"
            ),
        }
    }

    /// Forwards what it hears to `sink` until `shutdown` turns true (or its sender is
    /// dropped), reconnecting after a lost connection.
    pub async fn run(
        mut self,
        mut shutdown: watch::Receiver<bool>,
        sink: impl Fn(Heard) + Send + 'static,
    ) {
        loop {
            let next = match self.conn.as_mut() {
                Some(conn) => tokio::select! {
                    _ = shutdown.wait_for(|stop| *stop) => return,
                    n = conn.notifications.recv() => n,
                },
                None => None,
            };
            if let Some(n) = next {
                self.heard(&n, &sink);
                continue;
            }
            if self.conn.is_some() {
                tracing::warn!(database = %self.target, "lost the PostgreSQL listener connection: reconnecting");
            }
            self.conn = None;
            tokio::select! {
                _ = shutdown.wait_for(|stop| *stop) => return,
                _ = tokio::time::sleep(RECONNECT_EVERY) => {}
            }
            let back = async {
                self.connect().await?;
                sink(Heard::Resync);
                self.catch_up(&sink).await
            };
            match back.await {
                Ok(()) => tracing::info!(database = %self.target, "listening again"),
                Err(e) => {
                    tracing::warn!(error = %e, database = %self.target, "cannot listen yet");
                    self.conn = None;
                }
            }
        }
    }
}

//! [`ScanStore`] on SQLite.

use quickreply_proto::api::{IdentityInfo, Role, ScanProvider};
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use super::SqliteStore;
use super::pool::Cached;
use crate::Error;
use crate::store::rows::Cells as _;
use crate::store::scan::{
    Identity, NewScan, SCAN_COLUMNS, SCAN_KEEP_MS, SETTING_COLUMNS, ScanResult, ScanRow,
    ScanStatus, ScanStore, StoredProvider, Taken, identity_info_from, linked_elsewhere, scan_from,
    stored_provider_from,
};

/// Inserts `identity` for `user_id` unless it is linked: `Some(other)` when it is linked
/// to another member.
fn insert_identity(
    tx: &rusqlite::Connection,
    user_id: Uuid,
    identity: &Identity,
    now: i64,
) -> Result<Option<Uuid>, Error> {
    let linked = tx
        .row(
            "SELECT i.user_id FROM identities i JOIN users u ON u.id = i.user_id
             WHERE i.provider = ?1 AND i.subject = ?2 AND u.removed_at IS NULL",
            params![identity.provider.as_str(), identity.subject],
            |r| r.uuid(0),
        )
        .optional()?;
    match linked {
        Some(other) if other != user_id => Ok(Some(other)),
        Some(_) => Ok(None),
        None => {
            tx.exec(
                "INSERT OR REPLACE INTO identities
                     (provider, subject, user_id, display_name, tenant, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    identity.provider.as_str(),
                    identity.subject,
                    user_id.to_string(),
                    identity.display_name,
                    identity.tenant,
                    now
                ],
            )?;
            Ok(None)
        }
    }
}

impl ScanStore for SqliteStore {
    fn create_scan(&self, n: &NewScan) -> Result<(), Error> {
        self.write(|tx| {
            tx.exec(
                "DELETE FROM scans WHERE expires_at < ?1",
                [n.now - SCAN_KEEP_MS],
            )?;
            tx.exec(
                "INSERT INTO scans (id, provider, state_hash, secret_hash, link_user,
                                    device_name, user_name, app_version, web, ip, created_at,
                                    expires_at, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'waiting')",
                params![
                    n.id.to_string(),
                    n.provider.as_str(),
                    n.state_hash,
                    n.secret_hash,
                    n.link_user.map(|u| u.to_string()),
                    n.device_name,
                    n.user_name,
                    n.app_version,
                    n.web,
                    n.ip,
                    n.now,
                    n.expires_at
                ],
            )?;
            Ok(())
        })
    }

    fn take_scan_state(&self, state_hash: &str, now: i64) -> Result<Taken, Error> {
        self.write(|tx| {
            let row = tx
                .row(
                    &format!("SELECT {SCAN_COLUMNS} FROM scans WHERE state_hash = ?1"),
                    [state_hash],
                    |r| scan_from(r),
                )
                .optional()?;
            Ok(match row {
                None => Taken::Unknown,
                Some(row) if row.status != ScanStatus::Waiting => Taken::Used,
                Some(row) if row.expires_at <= now => Taken::Expired,
                Some(mut row) => {
                    tx.exec(
                        "UPDATE scans SET status = 'exchanging' WHERE id = ?1",
                        [row.id.to_string()],
                    )?;
                    row.status = ScanStatus::Exchanging;
                    Taken::Fresh(Box::new(row))
                }
            })
        })
    }

    fn finish_scan(&self, id: Uuid, r: &ScanResult) -> Result<(), Error> {
        let identity = r.identity.as_ref();
        let error = r.error.as_ref();
        self.write(|tx| {
            tx.exec(
                "UPDATE scans SET status = ?1, user_id = ?2, subject = ?3, display_name = ?4,
                                  tenant = ?5, error_code = ?6, error_zh = ?7, error_en = ?8
                 WHERE id = ?9",
                params![
                    r.status.as_str(),
                    r.user_id.map(|u| u.to_string()),
                    identity.map(|i| &i.subject),
                    identity.map(|i| &i.display_name),
                    identity.and_then(|i| i.tenant.as_ref()),
                    error.map(|e| &e.code),
                    error.map(|e| &e.zh),
                    error.map(|e| &e.en),
                    id.to_string()
                ],
            )?;
            Ok(())
        })
    }

    fn collect_scan(
        &self,
        id: Uuid,
        secret_hash: &str,
        signin_id: Uuid,
    ) -> Result<Option<ScanRow>, Error> {
        self.write(|tx| {
            let row = tx
                .row(
                    &format!("SELECT {SCAN_COLUMNS} FROM scans WHERE id = ?1 AND secret_hash = ?2"),
                    params![id.to_string(), secret_hash],
                    |r| scan_from(r),
                )
                .optional()?;
            let Some(row) = row else {
                return Ok(None);
            };
            if row.status.is_final() {
                tx.exec("DELETE FROM scans WHERE id = ?1", [id.to_string()])?;
            } else if row.status == ScanStatus::Approval {
                tx.exec(
                    "UPDATE scans SET status = 'approval_sent', signin_id = ?1 WHERE id = ?2",
                    params![signin_id.to_string(), id.to_string()],
                )?;
            }
            Ok(Some(row))
        })
    }

    fn identity_user(&self, provider: ScanProvider, subject: &str) -> Result<Option<Uuid>, Error> {
        self.read(|conn| {
            Ok(conn
                .row(
                    "SELECT i.user_id FROM identities i JOIN users u ON u.id = i.user_id
                     WHERE i.provider = ?1 AND i.subject = ?2 AND u.removed_at IS NULL",
                    params![provider.as_str(), subject],
                    |r| r.uuid(0),
                )
                .optional()?)
        })
    }

    fn link_identity(&self, user_id: Uuid, identity: &Identity, now: i64) -> Result<(), Error> {
        self.write(|tx| match insert_identity(tx, user_id, identity, now)? {
            Some(_) => Err(linked_elsewhere(identity)),
            None => Ok(()),
        })
    }

    fn link_after_approval(&self, signin_id: Uuid, user_id: Uuid, now: i64) -> Result<(), Error> {
        self.write(|tx| {
            let row = tx
                .row(
                    &format!(
                        "SELECT {SCAN_COLUMNS} FROM scans
                         WHERE signin_id = ?1 AND status = 'approval_sent'"
                    ),
                    [signin_id.to_string()],
                    |r| scan_from(r),
                )
                .optional()?;
            if let Some(ScanRow {
                id,
                identity: Some(identity),
                ..
            }) = row
            {
                // Linked to someone else meanwhile: that link stays.
                insert_identity(tx, user_id, &identity, now)?;
                tx.exec("DELETE FROM scans WHERE id = ?1", [id.to_string()])?;
            }
            Ok(())
        })
    }

    fn scan_code(&self, code_hash: &str, user: Option<Uuid>, now: i64) -> Result<(), Error> {
        self.write(|tx| {
            let (kind, team_id, role) = match user {
                Some(user_id) => {
                    let found = tx
                        .row(
                            "SELECT team_id, role FROM users
                             WHERE id = ?1 AND removed_at IS NULL",
                            [user_id.to_string()],
                            |r| Ok((r.uuid(0)?, r.role(1)?)),
                        )
                        .optional()?;
                    let (team, role) = found.ok_or_else(|| {
                        Error::NotFound("this member is no longer in the team".into())
                    })?;
                    ("pairing", team, role)
                }
                None => {
                    let team = tx
                        .row(
                            "SELECT id FROM teams ORDER BY created_at LIMIT 1",
                            [],
                            |r| r.uuid(0),
                        )
                        .optional()?
                        .ok_or_else(|| Error::NotFound("this server has no team yet".into()))?;
                    ("invite", team, Role::Agent)
                }
            };
            tx.exec(
                "INSERT INTO codes (hash, kind, team_id, user_id, role, uses_left, expires_at,
                                    created_by, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, NULL, ?7)",
                params![
                    code_hash,
                    kind,
                    team_id.to_string(),
                    user.map(|u| u.to_string()),
                    role.as_str(),
                    now + 60_000,
                    now
                ],
            )?;
            Ok(())
        })
    }

    fn identities(&self, user_id: Uuid) -> Result<Vec<IdentityInfo>, Error> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT provider, display_name, created_at FROM identities
                 WHERE user_id = ?1 ORDER BY provider",
            )?;
            let rows = stmt.query_map([user_id.to_string()], |r| identity_info_from(r))?;
            Ok(rows
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .flatten()
                .collect())
        })
    }

    fn unlink_identity(&self, user_id: Uuid, provider: ScanProvider) -> Result<bool, Error> {
        self.write(|tx| {
            Ok(tx.exec(
                "DELETE FROM identities WHERE user_id = ?1 AND provider = ?2",
                params![user_id.to_string(), provider.as_str()],
            )? > 0)
        })
    }

    fn scan_settings(&self) -> Result<Vec<StoredProvider>, Error> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {SETTING_COLUMNS} FROM scan_settings ORDER BY provider"
            ))?;
            let rows = stmt.query_map([], |r| stored_provider_from(r))?;
            Ok(rows
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .flatten()
                .collect())
        })
    }

    fn put_scan_setting(&self, p: &StoredProvider, user: Uuid) -> Result<(), Error> {
        self.write(|tx| {
            tx.exec(
                "INSERT OR REPLACE INTO scan_settings
                     (provider, app_id, secret, agent_id, auto_join, tenant, updated_at, updated_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    p.provider.as_str(),
                    p.app_id,
                    p.secret,
                    p.agent_id,
                    p.auto_join,
                    p.tenant,
                    p.updated_at,
                    user.to_string()
                ],
            )?;
            Ok(())
        })
    }

    fn delete_scan_setting(&self, provider: ScanProvider) -> Result<bool, Error> {
        self.write(|tx| {
            Ok(tx.exec(
                "DELETE FROM scan_settings WHERE provider = ?1",
                [provider.as_str()],
            )? > 0)
        })
    }
}

//! [`ScanStore`] on PostgreSQL.

use deadpool_postgres::Transaction;
use quickreply_proto::api::{IdentityInfo, Role, ScanProvider};
use uuid::Uuid;

use super::PgStore;
use super::pool::{all, exec, opt};
use crate::Error;
use crate::store::rows::Cells as _;
use crate::store::scan::{
    Identity, NewScan, SCAN_COLUMNS, SCAN_KEEP_MS, SETTING_COLUMNS, ScanResult, ScanRow,
    ScanStatus, ScanStore, StoredProvider, Taken, identity_info_from, linked_elsewhere, scan_from,
    stored_provider_from,
};

/// Inserts `identity` for `user_id` unless it is linked: `Some(other)` when it is linked
/// to another member (nil when another transaction linked it meanwhile).
async fn insert_identity(
    tx: &Transaction<'_>,
    user_id: Uuid,
    identity: &Identity,
    now: i64,
) -> Result<Option<Uuid>, Error> {
    let provider = identity.provider.as_str();
    let linked = opt(
        tx,
        "SELECT i.user_id FROM identities i JOIN users u ON u.id = i.user_id
         WHERE i.provider = $1 AND i.subject = $2 AND u.removed_at IS NULL
         FOR UPDATE OF i",
        &[&provider, &identity.subject],
    )
    .await?
    .map(|r| r.uuid(0))
    .transpose()?;
    match linked {
        Some(other) if other != user_id => Ok(Some(other)),
        Some(_) => Ok(None),
        None => {
            // A row of a removed member is taken over; one another transaction just
            // linked to an active member is not (nothing written: linked elsewhere).
            let written = exec(
                tx,
                "INSERT INTO identities (provider, subject, user_id, display_name, tenant,
                                         created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (provider, subject) DO UPDATE
                 SET user_id = EXCLUDED.user_id, display_name = EXCLUDED.display_name,
                     tenant = EXCLUDED.tenant, created_at = EXCLUDED.created_at
                 WHERE identities.user_id = EXCLUDED.user_id
                    OR NOT EXISTS (SELECT 1 FROM users u
                                   WHERE u.id = identities.user_id AND u.removed_at IS NULL)",
                &[
                    &provider,
                    &identity.subject,
                    &user_id,
                    &identity.display_name,
                    &identity.tenant,
                    &now,
                ],
            )
            .await?;
            Ok((written == 0).then_some(Uuid::nil()))
        }
    }
}

impl ScanStore for PgStore {
    fn create_scan(&self, n: &NewScan) -> Result<(), Error> {
        self.run(self.write(async |tx| {
            exec(
                tx,
                "DELETE FROM scans WHERE expires_at < $1",
                &[&(n.now - SCAN_KEEP_MS)],
            )
            .await?;
            exec(
                tx,
                "INSERT INTO scans (id, provider, state_hash, secret_hash, link_user,
                                    device_name, user_name, app_version, web, ip, created_at,
                                    expires_at, status)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'waiting')",
                &[
                    &n.id,
                    &n.provider.as_str(),
                    &n.state_hash,
                    &n.secret_hash,
                    &n.link_user,
                    &n.device_name,
                    &n.user_name,
                    &n.app_version,
                    &n.web,
                    &n.ip,
                    &n.now,
                    &n.expires_at,
                ],
            )
            .await?;
            Ok(())
        }))
    }

    fn take_scan_state(&self, state_hash: &str, now: i64) -> Result<Taken, Error> {
        self.run(self.write(async |tx| {
            let row = opt(
                tx,
                &format!("SELECT {SCAN_COLUMNS} FROM scans WHERE state_hash = $1 FOR UPDATE"),
                &[&state_hash],
            )
            .await?
            .as_ref()
            .map(scan_from)
            .transpose()?;
            Ok(match row {
                None => Taken::Unknown,
                Some(row) if row.status != ScanStatus::Waiting => Taken::Used,
                Some(row) if row.expires_at <= now => Taken::Expired,
                Some(mut row) => {
                    exec(
                        tx,
                        "UPDATE scans SET status = 'exchanging' WHERE id = $1",
                        &[&row.id],
                    )
                    .await?;
                    row.status = ScanStatus::Exchanging;
                    Taken::Fresh(Box::new(row))
                }
            })
        }))
    }

    fn finish_scan(&self, id: Uuid, r: &ScanResult) -> Result<(), Error> {
        let identity = r.identity.as_ref();
        let error = r.error.as_ref();
        let subject = identity.map(|i| i.subject.as_str());
        let display_name = identity.map(|i| i.display_name.as_str());
        let tenant = identity.and_then(|i| i.tenant.as_deref());
        let code = error.map(|e| e.code.as_str());
        let zh = error.map(|e| e.zh.as_str());
        let en = error.map(|e| e.en.as_str());
        self.run(async {
            let client = self.pool.get().await?;
            exec(
                &client,
                "UPDATE scans SET status = $1, user_id = $2, subject = $3, display_name = $4,
                                  tenant = $5, error_code = $6, error_zh = $7, error_en = $8
                 WHERE id = $9",
                &[
                    &r.status.as_str(),
                    &r.user_id,
                    &subject,
                    &display_name,
                    &tenant,
                    &code,
                    &zh,
                    &en,
                    &id,
                ],
            )
            .await?;
            Ok(())
        })
    }

    fn collect_scan(
        &self,
        id: Uuid,
        secret_hash: &str,
        signin_id: Uuid,
    ) -> Result<Option<ScanRow>, Error> {
        self.run(self.write(async |tx| {
            let row = opt(
                tx,
                &format!(
                    "SELECT {SCAN_COLUMNS} FROM scans WHERE id = $1 AND secret_hash = $2
                     FOR UPDATE"
                ),
                &[&id, &secret_hash],
            )
            .await?
            .as_ref()
            .map(scan_from)
            .transpose()?;
            let Some(row) = row else {
                return Ok(None);
            };
            if row.status.is_final() {
                exec(tx, "DELETE FROM scans WHERE id = $1", &[&id]).await?;
            } else if row.status == ScanStatus::Approval {
                exec(
                    tx,
                    "UPDATE scans SET status = 'approval_sent', signin_id = $1 WHERE id = $2",
                    &[&signin_id, &id],
                )
                .await?;
            }
            Ok(Some(row))
        }))
    }

    fn identity_user(&self, provider: ScanProvider, subject: &str) -> Result<Option<Uuid>, Error> {
        self.run(async {
            let client = self.pool.get().await?;
            opt(
                &client,
                "SELECT i.user_id FROM identities i JOIN users u ON u.id = i.user_id
                 WHERE i.provider = $1 AND i.subject = $2 AND u.removed_at IS NULL",
                &[&provider.as_str(), &subject],
            )
            .await?
            .map(|r| r.uuid(0))
            .transpose()
        })
    }

    fn link_identity(&self, user_id: Uuid, identity: &Identity, now: i64) -> Result<(), Error> {
        self.run(self.write(
            async |tx| match insert_identity(tx, user_id, identity, now).await? {
                Some(_) => Err(linked_elsewhere(identity)),
                None => Ok(()),
            },
        ))
    }

    fn link_after_approval(&self, signin_id: Uuid, user_id: Uuid, now: i64) -> Result<(), Error> {
        self.run(self.write(async |tx| {
            let row = opt(
                tx,
                &format!(
                    "SELECT {SCAN_COLUMNS} FROM scans
                     WHERE signin_id = $1 AND status = 'approval_sent' FOR UPDATE"
                ),
                &[&signin_id],
            )
            .await?
            .as_ref()
            .map(scan_from)
            .transpose()?;
            if let Some(ScanRow {
                id,
                identity: Some(identity),
                ..
            }) = row
            {
                // Linked to someone else meanwhile: that link stays.
                insert_identity(tx, user_id, &identity, now).await?;
                exec(tx, "DELETE FROM scans WHERE id = $1", &[&id]).await?;
            }
            Ok(())
        }))
    }

    fn scan_code(&self, code_hash: &str, user: Option<Uuid>, now: i64) -> Result<(), Error> {
        self.run(self.write(async |tx| {
            let (kind, team_id, role) = match user {
                Some(user_id) => {
                    let row = opt(
                        tx,
                        "SELECT team_id, role FROM users WHERE id = $1 AND removed_at IS NULL",
                        &[&user_id],
                    )
                    .await?
                    .ok_or_else(|| {
                        Error::NotFound("this member is no longer in the team".into())
                    })?;
                    ("pairing", row.uuid(0)?, row.role(1)?)
                }
                None => {
                    let row = opt(tx, "SELECT id FROM teams ORDER BY created_at LIMIT 1", &[])
                        .await?
                        .ok_or_else(|| Error::NotFound("this server has no team yet".into()))?;
                    ("invite", row.uuid(0)?, Role::Agent)
                }
            };
            exec(
                tx,
                "INSERT INTO codes (hash, kind, team_id, user_id, role, uses_left, expires_at,
                                    created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, 1, $6, NULL, $7)",
                &[
                    &code_hash,
                    &kind,
                    &team_id,
                    &user,
                    &role.as_str(),
                    &(now + 60_000),
                    &now,
                ],
            )
            .await?;
            Ok(())
        }))
    }

    fn identities(&self, user_id: Uuid) -> Result<Vec<IdentityInfo>, Error> {
        self.run(async {
            let client = self.pool.get().await?;
            let rows = all(
                &client,
                "SELECT provider, display_name, created_at FROM identities
                 WHERE user_id = $1 ORDER BY provider",
                &[&user_id],
            )
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                out.extend(identity_info_from(row)?);
            }
            Ok(out)
        })
    }

    fn unlink_identity(&self, user_id: Uuid, provider: ScanProvider) -> Result<bool, Error> {
        self.run(async {
            let client = self.pool.get().await?;
            Ok(exec(
                &client,
                "DELETE FROM identities WHERE user_id = $1 AND provider = $2",
                &[&user_id, &provider.as_str()],
            )
            .await?
                > 0)
        })
    }

    fn scan_settings(&self) -> Result<Vec<StoredProvider>, Error> {
        self.run(async {
            let client = self.pool.get().await?;
            let rows = all(
                &client,
                &format!("SELECT {SETTING_COLUMNS} FROM scan_settings ORDER BY provider"),
                &[],
            )
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                out.extend(stored_provider_from(row)?);
            }
            Ok(out)
        })
    }

    fn put_scan_setting(&self, p: &StoredProvider, user: Uuid) -> Result<(), Error> {
        self.run(async {
            let client = self.pool.get().await?;
            exec(
                &client,
                "INSERT INTO scan_settings
                     (provider, app_id, secret, agent_id, auto_join, tenant, updated_at, updated_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (provider) DO UPDATE
                 SET app_id = EXCLUDED.app_id, secret = EXCLUDED.secret,
                     agent_id = EXCLUDED.agent_id, auto_join = EXCLUDED.auto_join,
                     tenant = EXCLUDED.tenant, updated_at = EXCLUDED.updated_at,
                     updated_by = EXCLUDED.updated_by",
                &[
                    &p.provider.as_str(),
                    &p.app_id,
                    &p.secret,
                    &p.agent_id,
                    &p.auto_join,
                    &p.tenant,
                    &p.updated_at,
                    &user,
                ],
            )
            .await?;
            Ok(())
        })
    }

    fn delete_scan_setting(&self, provider: ScanProvider) -> Result<bool, Error> {
        self.run(async {
            let client = self.pool.get().await?;
            Ok(exec(
                &client,
                "DELETE FROM scan_settings WHERE provider = $1",
                &[&provider.as_str()],
            )
            .await?
                > 0)
        })
    }
}

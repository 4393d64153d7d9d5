//! Where the device token lives: the OS keyring (Secret Service on Linux, the
//! Credential Manager on Windows, the Keychain on macOS) through the `keyring` crate;
//! where no keyring answers (a headless server, a desktop without a secret service), a
//! file `sync-token` in the data directory readable by the user only, and the caller
//! warns about it. `QUICKREPLY_TOKEN_STORE=file` chooses the file on purpose.
//!
//! Each account (sync server) of a data directory has its own token: account 1 keeps the
//! names of a single-account install (`sync-token`, keyring user `sync-token:<dir>`);
//! account `n` adds `-n` / `#n`.

use std::path::{Path, PathBuf};

use crate::error::{Result, SyncError};

const SERVICE: &str = "QuickReply";
const TOKEN_FILE: &str = "sync-token";

/// Where a token was put.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenPlace {
    Keyring,
    /// The fallback file (and why the keyring was not used).
    File(PathBuf, String),
}

fn file(data_dir: &Path, account: i64) -> PathBuf {
    match account {
        1 => data_dir.join(TOKEN_FILE),
        n => data_dir.join(format!("{TOKEN_FILE}-{n}")),
    }
}

/// One keyring entry per data directory and account (several profiles on one OS user
/// are possible).
fn entry(data_dir: &Path, account: i64) -> keyring::Result<keyring::Entry> {
    let dir = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    let user = match account {
        1 => format!("sync-token:{}", dir.display()),
        n => format!("sync-token:{}#{n}", dir.display()),
    };
    keyring::Entry::new(SERVICE, &user)
}

fn keyring_wanted() -> bool {
    std::env::var("QUICKREPLY_TOKEN_STORE").map_or(true, |v| v != "file")
}

fn write_file(path: &Path, token: &str) -> Result<()> {
    use std::io::Write;
    let err = |e: std::io::Error| SyncError::Token(path.to_path_buf(), e.to_string());
    let tmp = path.with_extension("tmp");
    {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp).map_err(err)?;
        f.write_all(token.as_bytes()).map_err(err)?;
        f.sync_all().map_err(err)?;
    }
    std::fs::rename(&tmp, path).map_err(err)
}

/// Keep `token` of an account of this data directory: in the keyring if one answers
/// (and reads it back), else in the 0600 file.
pub fn save(data_dir: &Path, account: i64, token: &str) -> Result<TokenPlace> {
    let why = if keyring_wanted() {
        let stored = entry(data_dir, account).and_then(|e| {
            e.set_password(token)?;
            e.get_password()
        });
        match stored {
            Ok(back) if back == token => {
                remove_file(data_dir, account)?;
                return Ok(TokenPlace::Keyring);
            }
            Ok(_) => "the keyring returned another value".to_string(),
            Err(e) => e.to_string(),
        }
    } else {
        "QUICKREPLY_TOKEN_STORE=file".to_string()
    };
    let path = file(data_dir, account);
    write_file(&path, token)?;
    Ok(TokenPlace::File(path, why))
}

/// The token of an account of this data directory: the file if there is one, else the
/// keyring.
pub fn load(data_dir: &Path, account: i64) -> Result<String> {
    let path = file(data_dir, account);
    match std::fs::read_to_string(&path) {
        Ok(t) => return Ok(t.trim().to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(SyncError::Token(path, e.to_string())),
    }
    if !keyring_wanted() {
        return Err(SyncError::NotJoined);
    }
    match entry(data_dir, account).and_then(|e| e.get_password()) {
        Ok(t) => Ok(t),
        Err(keyring::Error::NoEntry) => Err(SyncError::NotJoined),
        Err(e) => Err(SyncError::Token(path, format!("keyring: {e}"))),
    }
}

/// Where the token of an account of this data directory is now.
pub fn place(data_dir: &Path, account: i64) -> TokenPlace {
    let path = file(data_dir, account);
    if path.exists() {
        TokenPlace::File(path, String::new())
    } else {
        TokenPlace::Keyring
    }
}

fn remove_file(data_dir: &Path, account: i64) -> Result<()> {
    let path = file(data_dir, account);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(SyncError::Token(path, e.to_string())),
    }
}

/// Forget an account's token (file and keyring).
pub fn delete(data_dir: &Path, account: i64) -> Result<()> {
    remove_file(data_dir, account)?;
    if keyring_wanted()
        && let Ok(e) = entry(data_dir, account)
    {
        match e.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => {}
            // No keyring at all: nothing was stored there.
            Err(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_fallback_is_private_and_round_trips() -> Result<()> {
        let dir = tempfile::tempdir().map_err(quickreply_core::Error::io("tmp"))?;
        let path = file(dir.path(), 1);
        write_file(&path, "secret-token")?;
        write_file(&file(dir.path(), 2), "second-token")?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .map_err(quickreply_core::Error::io(&path))?
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(load(dir.path(), 1)?, "secret-token");
        assert_eq!(load(dir.path(), 2)?, "second-token");
        assert!(matches!(place(dir.path(), 1), TokenPlace::File(..)));
        remove_file(dir.path(), 1)?;
        assert!(!path.exists());
        assert_eq!(load(dir.path(), 2)?, "second-token");
        Ok(())
    }

    /// On Windows the token goes to the Credential Manager (Wine has one too), or, when it
    /// does not answer, to the file with the reason; either way it round-trips and
    /// forgetting it leaves nothing behind.
    #[cfg(windows)]
    #[test]
    fn windows_keeps_the_token_in_the_credential_manager_or_the_file() -> Result<()> {
        let dir = tempfile::tempdir().map_err(quickreply_core::Error::io("tmp"))?;
        let placed = save(dir.path(), 3, "win-token")?;
        match &placed {
            TokenPlace::Keyring => assert!(!file(dir.path(), 3).exists()),
            TokenPlace::File(p, why) => assert!(p.exists() && !why.is_empty(), "{why}"),
        }
        eprintln!("token kept in {placed:?}");
        assert_eq!(load(dir.path(), 3)?, "win-token");
        delete(dir.path(), 3)?;
        assert!(matches!(load(dir.path(), 3), Err(SyncError::NotJoined)));
        Ok(())
    }
}

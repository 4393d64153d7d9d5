//! Image blobs on disk: `<data-dir>/blobs/<sha256>`, written to a temporary file, synced
//! and renamed into place, so a blob file is either whole or absent. Its record in the
//! store is written only after the rename: an item can never refer to a missing file.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use uuid::Uuid;

use crate::codes::is_sha256_hex;

/// The blob directory.
#[derive(Clone, Debug)]
pub struct BlobDir {
    dir: PathBuf,
}

impl BlobDir {
    /// Opens (creating) the directory and removes temporary files a crash left behind.
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        fs::create_dir_all(dir)?;
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            if entry.file_name().to_string_lossy().starts_with(".tmp-") {
                // Best effort: a leftover temp file is harmless.
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    /// The file of a blob. `sha256` must be checked with `is_sha256_hex` first (it is a path
    /// component).
    pub fn path(&self, sha256: &str) -> Option<PathBuf> {
        is_sha256_hex(sha256).then(|| self.dir.join(sha256))
    }

    /// Stores a blob (already verified) durably; a blob that exists is left as it is.
    pub fn put(&self, sha256: &str, bytes: &[u8]) -> std::io::Result<()> {
        let Some(path) = self.path(sha256) else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a SHA-256",
            ));
        };
        if path.is_file() {
            return Ok(());
        }
        let tmp = self.dir.join(format!(".tmp-{}", Uuid::now_v7()));
        let result = (|| {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            fs::rename(&tmp, &path)?;
            // Make the rename itself durable (directories can be synced on Unix).
            if let Ok(d) = fs::File::open(&self.dir) {
                let _ = d.sync_all();
            }
            Ok(())
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }
}

/// The content type of an image, from its first bytes; `application/octet-stream` for
/// anything else (declared types are not trusted: they could make a browser run a file).
pub fn sniff_mime(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        "image/gif"
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        "image/webp"
    } else if bytes.starts_with(b"BM") {
        "image/bmp"
    } else {
        "application/octet-stream"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::sha256_hex;

    #[test]
    fn blobs_are_written_whole_and_named_by_hash() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let blobs = BlobDir::open(dir.path())?;
        let bytes = b"\x89PNG\r\n\x1a\nrest";
        let sha = sha256_hex(bytes);
        blobs.put(&sha, bytes)?;
        blobs.put(&sha, bytes)?;
        let path = blobs.path(&sha).ok_or(std::io::ErrorKind::NotFound)?;
        assert_eq!(fs::read(path)?, bytes);
        assert_eq!(
            fs::read_dir(dir.path())?.count(),
            1,
            "no temporary files left"
        );
        assert!(blobs.path("../x").is_none());
        assert_eq!(sniff_mime(bytes), "image/png");
        assert_eq!(sniff_mime(b"<svg"), "application/octet-stream");
        Ok(())
    }
}

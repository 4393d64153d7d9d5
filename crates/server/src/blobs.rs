//! Image blobs on disk: `<data-dir>/blobs/<sha256>`, written to a temporary file, synced
//! and renamed into place, so a blob file is either whole or absent. Its record in the
//! store is written only after the rename: an item can never refer to a missing file.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use quickreply_proto::{IMAGE_TYPES, MAX_IMAGE_PIXELS};
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

/// Why an upload is not an image a reply may carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageRefusal {
    /// Not an image at all, or an image of a type replies may not carry (`415`).
    Type(String),
    /// An image of an allowed type that cannot be decoded, or whose dimensions are out of
    /// range (`422`).
    Damaged(String),
}

/// Checks that `bytes` are an image clients will take, as `quickreply_core::blob` checks
/// it on every computer: one of [`IMAGE_TYPES`] (from its content, never a declared
/// type), fully decodable within the same memory limit, 1 to [`MAX_IMAGE_PIXELS`] pixels.
/// Returns its MIME type. The caller has checked the size already.
pub fn check_image(bytes: &[u8]) -> Result<&'static str, ImageRefusal> {
    use image::ImageFormat as F;
    let allowed = IMAGE_TYPES.join(", ");
    let format = image::guess_format(bytes).map_err(|_| {
        ImageRefusal::Type(format!("the upload is not an image (allowed: {allowed})"))
    })?;
    let mime = match format {
        F::Png => "image/png",
        F::Jpeg => "image/jpeg",
        F::Gif => "image/gif",
        F::WebP => "image/webp",
        F::Bmp => "image/bmp",
        other => {
            return Err(ImageRefusal::Type(format!(
                "{} images are not allowed (allowed: {allowed})",
                other.to_mime_type()
            )));
        }
    };
    let reader = || {
        let mut r = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
        let mut limits = image::Limits::default();
        limits.max_alloc = Some(MAX_IMAGE_PIXELS * 4 + 1024 * 1024);
        r.limits(limits);
        r
    };
    let damaged = |e: image::ImageError| {
        ImageRefusal::Damaged(format!("the {mime} image cannot be decoded: {e}"))
    };
    // The header first: a huge canvas is refused before anything is allocated for it.
    let (width, height) = reader().into_dimensions().map_err(damaged)?;
    if width == 0 || height == 0 || u64::from(width) * u64::from(height) > MAX_IMAGE_PIXELS {
        return Err(ImageRefusal::Damaged(format!(
            "the image is {width}×{height} pixels: images have 1 to {MAX_IMAGE_PIXELS} pixels"
        )));
    }
    reader().decode().map_err(damaged)?;
    Ok(mime)
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
        Ok(())
    }

    fn encoded(format: image::ImageFormat, width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(width, height, image::Rgb([200, 30, 30]));
        let mut out = Vec::new();
        let written = image::DynamicImage::ImageRgb8(img)
            .write_to(&mut std::io::Cursor::new(&mut out), format);
        assert!(written.is_ok(), "{written:?}");
        out
    }

    #[test]
    fn only_decodable_images_of_the_allowed_types_pass() {
        use image::ImageFormat as F;
        for (format, mime) in [
            (F::Png, "image/png"),
            (F::Jpeg, "image/jpeg"),
            (F::Gif, "image/gif"),
            (F::Bmp, "image/bmp"),
        ] {
            assert_eq!(check_image(&encoded(format, 3, 2)), Ok(mime));
        }
        // Text, an SVG, a bare PNG signature: not images.
        for bytes in [
            &b"hello"[..],
            b"<svg xmlns='http://www.w3.org/2000/svg'/>",
            b"\x89PNG\r\n\x1a\nrest",
        ] {
            assert!(
                matches!(
                    check_image(bytes),
                    Err(ImageRefusal::Type(_)) | Err(ImageRefusal::Damaged(_))
                ),
                "{bytes:?}"
            );
        }
        assert!(
            matches!(check_image(b"hello"), Err(ImageRefusal::Type(m)) if m.contains("not an image"))
        );
        // A TIFF is an image, but not one replies may carry.
        let tiff = b"II*\0\x08\0\0\0";
        assert!(
            matches!(check_image(tiff), Err(ImageRefusal::Type(m)) if m.contains("image/tiff")),
        );
        // A PNG cut in half does not decode.
        let png = encoded(F::Png, 40, 40);
        assert!(matches!(
            check_image(&png[..png.len() / 2]),
            Err(ImageRefusal::Damaged(m)) if m.contains("cannot be decoded")
        ));
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = u32::MAX;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn a_canvas_of_too_many_pixels_is_refused_from_its_header() {
        // A PNG header claiming 100000 × 100000 pixels: refused before decoding.
        let mut png = encoded(image::ImageFormat::Png, 1, 1);
        png[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        png[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        // The IHDR chunk's CRC (over its type and data, bytes 12..29), made right again.
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        assert!(matches!(
            check_image(&png),
            Err(ImageRefusal::Damaged(m)) if m.contains("100000×100000")
        ));
    }
}

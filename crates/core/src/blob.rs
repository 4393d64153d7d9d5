//! Content-addressed image blobs: `blobs/<first two hex digits>/<sha256>` beside the
//! database. Images are checked before they are stored: size limit, a format we can put on
//! a clipboard, fully decodable, sane dimensions.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::i18n::tr;

/// Largest image file accepted, the sync server's default limit too
/// ([`quickreply_proto::MAX_IMAGE_BYTES`]): a bigger image is refused when it is added,
/// never at every sync.
pub const MAX_IMAGE_BYTES: u64 = quickreply_proto::MAX_IMAGE_BYTES;
/// Largest image in pixels (width × height), as the server checks it.
pub const MAX_IMAGE_PIXELS: u64 = quickreply_proto::MAX_IMAGE_PIXELS;

/// What we know about a stored image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageInfo {
    pub sha256: String,
    pub mime: String,
    pub width: u32,
    pub height: u32,
    pub size: u64,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn too_big(size: u64) -> String {
    let mb = size as f64 / 1048576.0;
    tr(
        format!(
            "文件有 {mb:.1} MB，超过上限 {} MB",
            MAX_IMAGE_BYTES / 1048576
        ),
        format!(
            "the file is {mb:.1} MB, more than the {} MB limit",
            MAX_IMAGE_BYTES / 1048576
        ),
    )
}

/// Check that bytes are an image we accept; `path` only names it in errors.
pub fn inspect_image(bytes: &[u8], path: &Path) -> Result<ImageInfo> {
    let bad = |reason: String| Error::BadImage {
        path: path.to_path_buf(),
        reason,
    };
    if bytes.len() as u64 > MAX_IMAGE_BYTES {
        return Err(bad(too_big(bytes.len() as u64)));
    }
    let format = image::guess_format(bytes).map_err(|_| {
        bad(tr(
            "不是支持的图片格式（支持 PNG、JPEG、GIF、WebP、BMP）",
            "not an image in a supported format (PNG, JPEG, GIF, WebP, BMP)",
        ))
    })?;
    let mime = match format {
        image::ImageFormat::Png => "image/png",
        image::ImageFormat::Jpeg => "image/jpeg",
        image::ImageFormat::Gif => "image/gif",
        image::ImageFormat::WebP => "image/webp",
        image::ImageFormat::Bmp => "image/bmp",
        _ => {
            return Err(bad(tr(
                "不是支持的图片格式（支持 PNG、JPEG、GIF、WebP、BMP）",
                "not an image in a supported format (PNG, JPEG, GIF, WebP, BMP)",
            )));
        }
    };
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_IMAGE_PIXELS * 4 + 1024 * 1024);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| {
        bad(tr(
            format!("图片无法解码：{e}"),
            format!("the image cannot be decoded: {e}"),
        ))
    })?;
    let (width, height) = (img.width(), img.height());
    if width == 0 || height == 0 || u64::from(width) * u64::from(height) > MAX_IMAGE_PIXELS {
        return Err(bad(tr(
            format!("图片尺寸 {width}×{height} 超出范围"),
            format!("image dimensions {width}×{height} are out of range"),
        )));
    }
    Ok(ImageInfo {
        sha256: sha256_hex(bytes),
        mime: mime.to_string(),
        width,
        height,
        size: bytes.len() as u64,
    })
}

/// Read an image file, refusing huge files before reading them.
pub fn read_image_file(path: &Path) -> Result<(Vec<u8>, ImageInfo)> {
    let meta = std::fs::metadata(path).map_err(Error::io(path))?;
    if meta.len() > MAX_IMAGE_BYTES {
        return Err(Error::BadImage {
            path: path.to_path_buf(),
            reason: too_big(meta.len()),
        });
    }
    let bytes = std::fs::read(path).map_err(Error::io(path))?;
    let info = inspect_image(&bytes, path)?;
    Ok((bytes, info))
}

/// Decoded pixels of an image file, 8-bit RGBA row by row (what clipboards take).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rgba {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

/// Decode an image file to RGBA, with the same size limits as [`inspect_image`].
pub fn decode_rgba(path: &Path) -> Result<Rgba> {
    let bad = |e: String| Error::BadImage {
        path: path.to_path_buf(),
        reason: tr(
            format!("图片无法解码：{e}"),
            format!("the image cannot be decoded: {e}"),
        ),
    };
    let mut reader = image::ImageReader::open(path)
        .map_err(Error::io(path))?
        .with_guessed_format()
        .map_err(Error::io(path))?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_IMAGE_PIXELS * 4 + 1024 * 1024);
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|e| bad(e.to_string()))?
        .into_rgba8();
    let (width, height) = img.dimensions();
    Ok(Rgba {
        width,
        height,
        pixels: img.into_raw(),
    })
}

/// The blob directory.
#[derive(Clone, Debug)]
pub struct BlobDir {
    root: PathBuf,
}

impl BlobDir {
    pub fn new(root: impl Into<PathBuf>) -> BlobDir {
        BlobDir { root: root.into() }
    }

    pub fn path_of(&self, sha256: &str) -> PathBuf {
        let prefix = sha256.get(..2).unwrap_or("00");
        self.root.join(prefix).join(sha256)
    }

    /// Store bytes under their hash (atomically: temp file, fsync, rename). Storing the
    /// same content twice is a no-op.
    pub fn put(&self, bytes: &[u8], sha256: &str) -> Result<PathBuf> {
        let path = self.path_of(sha256);
        if path.exists() {
            return Ok(path);
        }
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        std::fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
        let mut tmp = tempfile_in(&dir)?;
        tmp.1.write_all(bytes).map_err(Error::io(&tmp.0))?;
        tmp.1.sync_all().map_err(Error::io(&tmp.0))?;
        std::fs::rename(&tmp.0, &path).map_err(Error::io(&path))?;
        Ok(path)
    }

    /// Whether the blob is present and its content still matches its hash.
    pub fn verify(&self, sha256: &str) -> bool {
        std::fs::read(self.path_of(sha256)).is_ok_and(|b| sha256_hex(&b) == sha256)
    }

    pub fn get(&self, sha256: &str) -> Result<Vec<u8>> {
        let path = self.path_of(sha256);
        std::fs::read(&path).map_err(Error::io(path))
    }
}

fn tempfile_in(dir: &Path) -> Result<(PathBuf, std::fs::File)> {
    for n in 0..100u32 {
        let p = dir.join(format!(".tmp-{}-{n}", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&p)
        {
            Ok(f) => return Ok((p, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io(p)(e)),
        }
    }
    Err(Error::io(dir)(std::io::Error::other(
        "no free temp file name",
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn tiny_png() -> Vec<u8> {
        let img = image::RgbaImage::from_pixel(3, 2, image::Rgba([200, 30, 30, 255]));
        let mut out = Vec::new();
        let _ = image::DynamicImage::ImageRgba8(img)
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png);
        out
    }

    #[test]
    fn accepts_a_real_png_and_reports_its_size() {
        let png = tiny_png();
        let info = inspect_image(&png, Path::new("x.png"));
        let info = info.ok();
        assert_eq!(info.as_ref().map(|i| (i.width, i.height)), Some((3, 2)));
        assert_eq!(info.map(|i| i.mime), Some("image/png".to_string()));
    }

    #[test]
    fn rejects_text_truncated_and_oversized_files() {
        let e = inspect_image(b"hello, not an image", Path::new("a.png"));
        assert!(matches!(e, Err(Error::BadImage { .. })));
        let png = tiny_png();
        let e = inspect_image(&png[..png.len() / 2], Path::new("b.png"));
        assert!(matches!(e, Err(Error::BadImage { .. })));
        let big = vec![0u8; (MAX_IMAGE_BYTES + 1) as usize];
        let e = inspect_image(&big, Path::new("c.png"));
        assert!(matches!(e, Err(Error::BadImage { .. })));
    }

    #[test]
    fn images_over_the_servers_limit_are_refused_here_naming_it() {
        // 15 MiB: under the old local limit (20 MiB), over the server's 10 MiB, so it was
        // taken here and refused at every sync. Now it is refused when it is added.
        assert_eq!(MAX_IMAGE_BYTES, 10 * 1024 * 1024);
        let mut big = tiny_png();
        big.resize(15 * 1024 * 1024, 0);
        match inspect_image(&big, Path::new("大图.png")) {
            Err(Error::BadImage { reason, .. }) => {
                assert!(
                    reason.contains("15.0 MB") && reason.contains("10 MB"),
                    "{reason}"
                );
            }
            other => panic!("a 15 MiB image was not refused: {other:?}"),
        }
    }

    #[test]
    fn put_is_content_addressed_and_idempotent() {
        let dir = tempfile::tempdir().ok();
        let Some(dir) = dir else { return };
        let blobs = BlobDir::new(dir.path());
        let png = tiny_png();
        let sha = sha256_hex(&png);
        let p1 = blobs.put(&png, &sha).ok();
        let p2 = blobs.put(&png, &sha).ok();
        assert_eq!(p1, p2);
        assert!(blobs.verify(&sha));
        assert!(!blobs.verify(&"0".repeat(64)));
    }
}

//! The app's clipboard: one long-lived arboard handle (on X11 the content lives in the
//! process that owns the selection, so the handle must outlive the fire).

use std::sync::Mutex;

use crate::{Error, Result};
use quickreply_core::Rendered;

/// What was on the clipboard before a fire, to put back afterwards.
pub enum Saved {
    Text(String),
    Image(arboard::ImageData<'static>),
    Nothing,
}

#[derive(Default)]
pub struct Clipboard {
    inner: Mutex<Option<arboard::Clipboard>>,
}

impl Clipboard {
    fn with<T>(&self, f: impl FnOnce(&mut arboard::Clipboard) -> Result<T>) -> Result<T> {
        let mut guard = self
            .inner
            .lock()
            .map_err(|_| Error::Clipboard(arboard::Error::ClipboardOccupied))?;
        if guard.is_none() {
            *guard = Some(arboard::Clipboard::new()?);
        }
        match guard.as_mut() {
            Some(cb) => f(cb),
            None => Err(Error::Clipboard(arboard::Error::ClipboardNotSupported)),
        }
    }

    /// Put one rendered part on the clipboard.
    pub fn put(&self, part: &Rendered) -> Result<()> {
        match part {
            Rendered::Text(t) => self.with(|cb| Ok(cb.set_text(t.clone())?)),
            Rendered::Image { path, .. } => {
                let img = quickreply_core::blob::decode_rgba(path)?;
                let data = arboard::ImageData {
                    width: img.width as usize,
                    height: img.height as usize,
                    bytes: img.pixels.into(),
                };
                self.with(|cb| Ok(cb.set_image(data)?))
            }
        }
    }

    /// The clipboard's text, for `{剪贴板}`.
    pub fn text(&self) -> Option<String> {
        self.with(|cb| Ok(cb.get_text()?)).ok()
    }

    /// The clipboard's image as PNG bytes (a screenshot or an image copied in another
    /// program), `None` when it holds none. The editor's paste uses it: WebKitGTK does
    /// not hand pasted images to the page.
    pub fn image_png(&self) -> Option<Vec<u8>> {
        let img = self.with(|cb| Ok(cb.get_image()?)).ok()?;
        let rgba = image::RgbaImage::from_raw(
            u32::try_from(img.width).ok()?,
            u32::try_from(img.height).ok()?,
            img.bytes.into_owned(),
        )?;
        let mut png = Vec::new();
        rgba.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .ok()?;
        Some(png)
    }

    pub fn save(&self) -> Saved {
        if let Some(t) = self.text() {
            return Saved::Text(t);
        }
        match self.with(|cb| Ok(cb.get_image()?)) {
            Ok(img) => Saved::Image(img.to_owned_img()),
            Err(_) => Saved::Nothing,
        }
    }

    pub fn restore(&self, saved: Saved) -> Result<()> {
        match saved {
            Saved::Text(t) => self.with(|cb| Ok(cb.set_text(t)?)),
            Saved::Image(img) => self.with(|cb| Ok(cb.set_image(img)?)),
            Saved::Nothing => self.with(|cb| Ok(cb.clear()?)),
        }
    }
}

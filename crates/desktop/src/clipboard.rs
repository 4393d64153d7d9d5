//! The app's clipboard: one long-lived arboard handle (on X11 the content lives in the
//! process that owns the selection, so the handle must outlive the fire).

use std::collections::VecDeque;
use std::hash::{DefaultHasher, Hash, Hasher};
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
    /// What this process put on the clipboard lately, as [`Mark`]s: a fire that fails
    /// takes a reply it left there off again ([`Clipboard::clear_if_ours`]), and leaves
    /// anything else (the agent's own copy) alone.
    ours: Mutex<VecDeque<Mark>>,
}

/// How a part put on the clipboard is recognised later: a text by a hash of it, an image
/// by its size (an image read back may be re-encoded, its size stays).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mark {
    Text(u64),
    Image(usize, usize),
}

/// How many parts put on the clipboard are remembered.
const REMEMBERED: usize = 32;

fn text_mark(t: &str) -> Mark {
    let mut h = DefaultHasher::new();
    t.hash(&mut h);
    Mark::Text(h.finish())
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
            Rendered::Text(t) => {
                self.remember(text_mark(t));
                self.with(|cb| Ok(cb.set_text(t.clone())?))
            }
            Rendered::Image { path, .. } => {
                let img = quickreply_core::blob::decode_rgba(path)?;
                let data = arboard::ImageData {
                    width: img.width as usize,
                    height: img.height as usize,
                    bytes: img.pixels.into(),
                };
                self.remember(Mark::Image(data.width, data.height));
                self.with(|cb| Ok(cb.set_image(data)?))
            }
        }
    }

    fn remember(&self, mark: Mark) {
        if let Ok(mut ours) = self.ours.lock() {
            ours.retain(|m| *m != mark);
            ours.push_back(mark);
            while ours.len() > REMEMBERED {
                ours.pop_front();
            }
        }
    }

    /// After a fire that failed: empty the clipboard when it holds a part this process put
    /// there (a previous reply, or part of this one), so that a reflexive Ctrl+V sends no
    /// stale reply. Anything else on it (the agent's own copy) stays. Returns whether it
    /// was emptied.
    pub fn clear_if_ours(&self) -> Result<bool> {
        let ours = self.ours.lock().map(|o| o.clone()).unwrap_or_default();
        let now = match self.text() {
            Some(t) => Some(text_mark(&t)),
            None => self
                .with(|cb| Ok(cb.get_image()?))
                .ok()
                .map(|img| Mark::Image(img.width, img.height)),
        };
        match now {
            Some(mark) if ours.contains(&mark) => {
                self.with(|cb| Ok(cb.clear()?))?;
                Ok(true)
            }
            _ => Ok(false),
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

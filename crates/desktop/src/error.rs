//! What can go wrong between the app and the desktop OS.

/// An error of the desktop side. [`Error::Refused`] carries a sentence for the user in
/// their language (a hotkey taken by another program); the others name the OS facility.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A sentence for the user, already translated.
    #[error("{0}")]
    Refused(String),
    /// The X server refused or went away.
    #[error("X11: {0}")]
    X11(String),
    /// A Win32 call failed.
    #[error("Windows: {0}")]
    Win32(String),
    #[error("clipboard: {0}")]
    Clipboard(#[from] arboard::Error),
    #[error("{0}")]
    Core(#[from] quickreply_core::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(target_os = "linux")]
mod x11_errors {
    use super::Error;

    macro_rules! from_x11 {
        ($($t:ty),*) => {$(
            impl From<$t> for Error {
                fn from(e: $t) -> Error {
                    Error::X11(e.to_string())
                }
            }
        )*};
    }
    from_x11!(
        x11rb::errors::ConnectError,
        x11rb::errors::ConnectionError,
        x11rb::errors::ReplyError,
        x11rb::errors::ReplyOrIdError
    );
}

//! What every command module answers the UI with: [`Res`], [`err`] and [`parse_id`].
//!
//! They sit here, below all the command modules, rather than in `commands`: `commands`
//! saves the settings and so refreshes the tray (`tray`), whose menu opens the editor
//! (`editor`); had the editor taken these from `commands`, the three would import each
//! other in a circle.

use quickreply_core::i18n::tr;
use uuid::Uuid;

/// What a command answers: errors reach the UI as one localized sentence.
pub(crate) type Res<T> = Result<T, String>;

pub(crate) fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

pub(crate) fn parse_id(id: &str) -> Res<Uuid> {
    Uuid::parse_str(id).map_err(|_| {
        tr(
            format!("无效的话术编号：{id}"),
            format!("invalid reply id: {id}"),
        )
    })
}

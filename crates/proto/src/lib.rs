//! Wire and storage types shared by the QuickReply client (`quickreply-core`) and the sync
//! server. Everything here is plain data with serde: no I/O, no logic beyond validation
//! helpers that both sides must agree on.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub mod api;
pub mod check;
pub mod compliance;
pub mod schedule;
pub mod stale;
pub mod suggest;

/// Largest image a reply may carry (bytes): clients refuse bigger files when they are
/// imported or pasted, and it is the server's default `--max-image`, so an image a client
/// accepts is never refused at every sync. Chat apps refuse much bigger images anyway.
pub const MAX_IMAGE_BYTES: u64 = 10 * 1024 * 1024;

/// Largest image in pixels (width × height), checked by clients and the server alike.
pub const MAX_IMAGE_PIXELS: u64 = 40_000_000;

/// The image types a reply may carry (what every clipboard takes), as MIME types; the
/// server refuses any other upload, and clients refuse to import them.
pub const IMAGE_TYPES: [&str; 5] = [
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/bmp",
];

/// One ordered piece of a reply: a chat message of text, or an image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Part {
    /// Text with `{variables}`, rendered when the reply is fired.
    Text { body: String },
    /// A content-addressed image blob.
    Image {
        sha256: String,
        mime: String,
        width: u32,
        height: u32,
    },
}

impl Part {
    /// The text body, if this is a text part.
    pub fn text(&self) -> Option<&str> {
        match self {
            Part::Text { body } => Some(body),
            Part::Image { .. } => None,
        }
    }
}

/// Which kind of library: one personal library per user, any number of team libraries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LibraryKind {
    Personal,
    Team,
}

impl LibraryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LibraryKind::Personal => "personal",
            LibraryKind::Team => "team",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "personal" => Some(LibraryKind::Personal),
            "team" => Some(LibraryKind::Team),
            _ => None,
        }
    }
}

/// The synced content of a reply (everything but its place in the change feed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnippetDoc {
    pub id: Uuid,
    pub folder_id: Option<Uuid>,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    pub parts: Vec<Part>,
    /// Chat apps this reply is meant for (`wechat`, `qianniu`, …); empty means all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub apps: Vec<String>,
    #[serde(default)]
    pub position: i64,
    /// 生效: the first instant it shows, RFC 3339 with offset (see [`schedule`]); absent
    /// for always. Older programs ignore it (and show the reply always).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<String>,
    /// 失效: the first instant it no longer shows (exclusive), RFC 3339 with offset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<String>,
}

/// The synced content of a folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderDoc {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub name: String,
    #[serde(default)]
    pub position: i64,
    /// 生效 of everything inside (see [`SnippetDoc::starts_at`] and [`schedule`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<String>,
    /// 失效 of everything inside.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<String>,
}

/// Whether a shortcut code is well formed: 1–16 lowercase ASCII letters or digits.
pub fn is_valid_code(code: &str) -> bool {
    (1..=16).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_serialise_with_a_type_tag() {
        let p = Part::Text {
            body: "亲".to_string(),
        };
        let json = serde_json::to_string(&p).unwrap_or_default();
        assert_eq!(json, r#"{"type":"text","body":"亲"}"#);
        let back: Part = serde_json::from_str(&json).unwrap_or(Part::Text {
            body: String::new(),
        });
        assert_eq!(back, p);
    }

    #[test]
    fn codes_are_short_lowercase_ascii() {
        assert!(is_valid_code("fh"));
        assert!(is_valid_code("th7"));
        assert!(!is_valid_code(""));
        assert!(!is_valid_code("FH"));
        assert!(!is_valid_code("发货"));
        assert!(!is_valid_code("a-b"));
        assert!(!is_valid_code("abcdefghijklmnopq"));
    }

    #[test]
    fn library_kind_round_trips() {
        for k in [LibraryKind::Personal, LibraryKind::Team] {
            assert_eq!(LibraryKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(LibraryKind::parse("other"), None);
    }
}

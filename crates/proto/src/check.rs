//! The one validator of what a library item may hold, used by the client before it
//! saves or queues anything and by the server before it stores a write. Both sides
//! call the same functions with the same limits, so a change the client accepts is a
//! change the server accepts (only a server configured with smaller limits than these
//! defaults can still refuse one, and the client keeps such a refusal visible).
//!
//! Messages come in both languages ([`Invalid::zh`], [`Invalid::en`]): the server answers
//! in English, the client shows the user's language.

use std::fmt;

use crate::api::ItemDoc;
use crate::{Part, is_valid_code};

/// Longest reply title, folder name, variable name or library name (characters).
pub const MAX_NAME: usize = 200;

/// Largest item document, as the JSON the client sends (bytes). The server's default
/// body limit is 1 MiB; this leaves room for the rest of the request (the op id).
pub const MAX_DOC_BYTES: usize = 1024 * 1024 - 1024;

/// What a name names, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameOf {
    Title,
    Folder,
    Variable,
    Library,
}

impl NameOf {
    fn zh(self) -> &'static str {
        match self {
            NameOf::Title => "回复标题",
            NameOf::Folder => "文件夹名",
            NameOf::Variable => "变量名",
            NameOf::Library => "话术库名",
        }
    }

    fn en(self) -> &'static str {
        match self {
            NameOf::Title => "a reply's title",
            NameOf::Folder => "a folder's name",
            NameOf::Variable => "a variable's name",
            NameOf::Library => "a library's name",
        }
    }
}

/// Why an item (or a name in it) is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invalid {
    /// Empty or only spaces.
    Empty(NameOf),
    /// Longer than [`MAX_NAME`] characters (`len` is the length given).
    TooLong { of: NameOf, len: usize },
    /// A line break in a one-line name.
    LineBreak(NameOf),
    /// A shortcut code that is not 1–16 lowercase letters or digits.
    Code(String),
    /// A reply without parts.
    NoParts,
    /// Part `n` (from 1) is empty text.
    EmptyText(usize),
    /// Part `n` (from 1) refers to an image by something that is not a SHA-256.
    ImageRef(usize, String),
    /// A folder whose parent is itself.
    OwnParent,
    /// The whole document is larger than [`MAX_DOC_BYTES`] (`size` bytes).
    TooLarge { size: usize },
    /// A 生效 / 失效 date that does not read, or an end not after the start.
    Date(crate::schedule::DateError),
}

impl Invalid {
    /// The message in Simplified Chinese.
    pub fn zh(&self) -> String {
        match self {
            Invalid::Empty(of) => format!("{}不能为空", of.zh()),
            Invalid::TooLong { of, len } => {
                format!("{}最多 {MAX_NAME} 个字，这里有 {len} 个", of.zh())
            }
            Invalid::LineBreak(of) => format!("{}不能换行", of.zh()),
            Invalid::Code(code) => {
                format!("快捷码「{code}」无效：只能是 1–16 个小写字母或数字")
            }
            Invalid::NoParts => "回复至少要有一段内容".to_string(),
            Invalid::EmptyText(n) => format!("第 {n} 段是空的文字"),
            Invalid::ImageRef(n, r) => format!("第 {n} 段引用的图片「{r}」不是 SHA-256"),
            Invalid::OwnParent => "文件夹不能放在自己里面".to_string(),
            Invalid::TooLarge { size } => format!(
                "这条内容有 {} KB，超过了同步上限 {} KB",
                size.div_ceil(1024),
                MAX_DOC_BYTES / 1024
            ),
            Invalid::Date(e) => e.zh(),
        }
    }

    /// The message in English.
    pub fn en(&self) -> String {
        match self {
            Invalid::Empty(of) => format!("{} must not be empty", capital(of.en())),
            Invalid::TooLong { of, len } => format!(
                "{} is at most {MAX_NAME} characters, this one has {len}",
                capital(of.en())
            ),
            Invalid::LineBreak(of) => format!("{} must be one line", capital(of.en())),
            Invalid::Code(code) => {
                format!("shortcut code “{code}” is invalid: 1–16 lowercase letters or digits")
            }
            Invalid::NoParts => "a reply needs at least one part".to_string(),
            Invalid::EmptyText(n) => format!("part {n} is empty text"),
            Invalid::ImageRef(n, r) => {
                format!("part {n} refers to image “{r}”: not a SHA-256 (64 lowercase hex digits)")
            }
            Invalid::OwnParent => "a folder cannot be its own parent".to_string(),
            Invalid::TooLarge { size } => format!(
                "this item is {} KB, over the sync limit of {} KB",
                size.div_ceil(1024),
                MAX_DOC_BYTES / 1024
            ),
            Invalid::Date(e) => e.en(),
        }
    }
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en())
    }
}

impl std::error::Error for Invalid {}

/// A one-line name: not empty after trimming, no line break, at most [`MAX_NAME`]
/// characters (counted after trimming, as both sides store it trimmed).
pub fn name(of: NameOf, value: &str) -> Result<(), Invalid> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Invalid::Empty(of));
    }
    if v.contains(['\n', '\r']) {
        return Err(Invalid::LineBreak(of));
    }
    let len = v.chars().count();
    if len > MAX_NAME {
        return Err(Invalid::TooLong { of, len });
    }
    Ok(())
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The parts of a reply: at least one, no empty text, images named by their SHA-256.
pub fn parts(parts: &[Part]) -> Result<(), Invalid> {
    if parts.is_empty() {
        return Err(Invalid::NoParts);
    }
    for (i, part) in parts.iter().enumerate() {
        match part {
            Part::Text { body } if body.trim().is_empty() => {
                return Err(Invalid::EmptyText(i + 1));
            }
            Part::Image { sha256, .. } if !is_sha256_hex(sha256) => {
                return Err(Invalid::ImageRef(i + 1, sha256.clone()));
            }
            _ => {}
        }
    }
    Ok(())
}

/// 生效 / 失效 of a reply or folder: RFC 3339 instants with an offset, the end after the
/// start (see [`crate::schedule`]).
pub fn dates(starts_at: Option<&str>, ends_at: Option<&str>) -> Result<(), Invalid> {
    crate::schedule::Window::of(starts_at, ends_at)
        .map(|_| ())
        .map_err(Invalid::Date)
}

/// A whole item document's content, as the server stores it and every client applies it
/// (its size: [`size`]).
pub fn doc(doc: &ItemDoc) -> Result<(), Invalid> {
    match doc {
        ItemDoc::Snippet(s) => {
            name(NameOf::Title, &s.title)?;
            if let Some(code) = &s.code
                && !is_valid_code(code)
            {
                return Err(Invalid::Code(code.clone()));
            }
            parts(&s.parts)?;
            dates(s.starts_at.as_deref(), s.ends_at.as_deref())?;
        }
        ItemDoc::Folder(f) => {
            name(NameOf::Folder, &f.name)?;
            if f.parent_id == Some(f.id) {
                return Err(Invalid::OwnParent);
            }
            dates(f.starts_at.as_deref(), f.ends_at.as_deref())?;
        }
        ItemDoc::Variable(v) => name(NameOf::Variable, &v.name)?,
    }
    Ok(())
}

/// The size of a document as the client sends it: at most [`MAX_DOC_BYTES`]. (The
/// server bounds what it takes by its request body limit, `--max-body`, 1 MiB unless
/// its admin changed it.)
pub fn size(doc: &ItemDoc) -> Result<(), Invalid> {
    let size = serde_json::to_vec(doc).map_or(usize::MAX, |v| v.len());
    if size > MAX_DOC_BYTES {
        return Err(Invalid::TooLarge { size });
    }
    Ok(())
}

/// What a client checks before it sends a document: [`doc`] and [`size`].
pub fn item(doc: &ItemDoc) -> Result<(), Invalid> {
    self::doc(doc)?;
    size(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SnippetDoc;
    use crate::api::VariableDoc;
    use uuid::Uuid;

    fn snippet(title: &str, parts: Vec<Part>, code: Option<&str>) -> ItemDoc {
        ItemDoc::Snippet(SnippetDoc {
            id: Uuid::nil(),
            folder_id: None,
            title: title.into(),
            code: code.map(str::to_string),
            tags: vec![],
            parts,
            apps: vec![],
            position: 0,
            starts_at: None,
            ends_at: None,
        })
    }

    fn text(s: &str) -> Part {
        Part::Text { body: s.into() }
    }

    #[test]
    fn replies_are_checked() {
        assert_eq!(doc(&snippet("发货", vec![text("亲")], Some("fh"))), Ok(()));
        assert_eq!(
            doc(&snippet(" ", vec![text("亲")], None)),
            Err(Invalid::Empty(NameOf::Title))
        );
        assert_eq!(
            doc(&snippet(&"长".repeat(201), vec![text("亲")], None)),
            Err(Invalid::TooLong {
                of: NameOf::Title,
                len: 201
            })
        );
        assert_eq!(
            doc(&snippet(&"长".repeat(200), vec![text("亲")], None)),
            Ok(())
        );
        assert_eq!(doc(&snippet("t", vec![], None)), Err(Invalid::NoParts));
        assert_eq!(
            doc(&snippet("t", vec![text("x"), text(" ")], None)),
            Err(Invalid::EmptyText(2))
        );
        assert!(matches!(
            doc(&snippet("t", vec![text("x")], Some("FH"))),
            Err(Invalid::Code(_))
        ));
        let image = |sha: &str| Part::Image {
            sha256: sha.into(),
            mime: "image/png".into(),
            width: 1,
            height: 1,
        };
        assert_eq!(
            doc(&snippet("t", vec![image(&"a".repeat(64))], None)),
            Ok(())
        );
        assert!(matches!(
            doc(&snippet("t", vec![image("../../etc/passwd")], None)),
            Err(Invalid::ImageRef(1, _))
        ));
        let big = snippet("t", vec![text(&"亲".repeat(MAX_DOC_BYTES / 3 + 1))], None);
        assert_eq!(doc(&big), Ok(()));
        assert!(matches!(item(&big), Err(Invalid::TooLarge { .. })));
    }

    #[test]
    fn folder_and_variable_names_have_the_same_limit_as_titles() {
        let folder = |name: &str| {
            ItemDoc::Folder(crate::FolderDoc {
                id: Uuid::nil(),
                parent_id: None,
                name: name.into(),
                position: 0,
                starts_at: None,
                ends_at: None,
            })
        };
        assert_eq!(doc(&folder(&"夹".repeat(200))), Ok(()));
        assert_eq!(
            doc(&folder(&"夹".repeat(201))),
            Err(Invalid::TooLong {
                of: NameOf::Folder,
                len: 201
            })
        );
        assert_eq!(
            doc(&folder("a\nb")),
            Err(Invalid::LineBreak(NameOf::Folder))
        );
        let own = ItemDoc::Folder(crate::FolderDoc {
            id: Uuid::nil(),
            parent_id: Some(Uuid::nil()),
            name: "x".into(),
            position: 0,
            starts_at: None,
            ends_at: None,
        });
        assert_eq!(doc(&own), Err(Invalid::OwnParent));
        let var = ItemDoc::Variable(VariableDoc {
            name: "".into(),
            value: "v".into(),
            description: String::new(),
            overridable: false,
            example: false,
        });
        assert_eq!(doc(&var), Err(Invalid::Empty(NameOf::Variable)));
    }

    #[test]
    fn messages_name_the_limit_in_both_languages() {
        let e = Invalid::TooLong {
            of: NameOf::Folder,
            len: 201,
        };
        assert_eq!(e.zh(), "文件夹名最多 200 个字，这里有 201 个");
        assert_eq!(
            e.en(),
            "A folder's name is at most 200 characters, this one has 201"
        );
        assert_eq!(e.to_string(), e.en());
    }
}

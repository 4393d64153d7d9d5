//! Raycast snippets JSON, and the curly placeholders (`{clipboard}`, `{cursor}`, …)
//! Raycast and Alfred share.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::*;
use crate::i18n::tr;
use crate::packs::common::Skipped;
use crate::source::{Origin, Pack, PackMeta, PackPart, PackSnippet};

#[derive(Debug, Serialize, Deserialize)]
struct RaycastSnippet {
    name: String,
    text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    keyword: Option<String>,
}

/// Raycast and Alfred placeholders (`{clipboard}`, `{date}`, `{time}`, `{cursor}`,
/// `{argument name="x"}`) to ours; anything else stays literal.
pub(super) fn from_curly_placeholders(text: &str) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut notes = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&literal(&rest[..open]));
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&literal(&rest[open..]));
            rest = "";
            break;
        };
        let inner = &after[..close];
        let name = inner.split_whitespace().next().unwrap_or_default();
        match name {
            "clipboard" => out.push_str("{剪贴板}"),
            "date" => out.push_str("{日期}"),
            "time" => out.push_str("{时间}"),
            "cursor" => notes.push(tr(
                "{cursor} 光标位置不支持，已去掉",
                "{cursor} is not supported and was removed",
            )),
            "argument" => {
                let label = inner
                    .split("name=\"")
                    .nth(1)
                    .and_then(|s| s.split('"').next())
                    .filter(|s| !s.is_empty())
                    .unwrap_or("参数");
                out.push_str(&format!("{{?{label}}}"));
            }
            _ => out.push_str(&literal(&format!("{{{inner}}}"))),
        }
        rest = &after[close + 1..];
    }
    out.push_str(&literal(rest));
    (out, notes)
}

/// Add one Raycast/Alfred-style snippet (curly placeholders) to a pack, or list it as
/// skipped when it has no content; placeholders it cannot map are listed too.
pub(super) fn push_curly(
    pack: &mut Pack,
    skipped: &mut Vec<Skipped>,
    origin: Origin,
    name: String,
    text: &str,
    keyword: &str,
) {
    let (body, notes) = from_curly_placeholders(text);
    skipped.extend(notes.into_iter().map(|reason| Skipped {
        origin: origin.clone(),
        reason,
    }));
    if body.trim().is_empty() {
        skipped.push(Skipped {
            origin,
            reason: tr("内容为空", "empty content"),
        });
        return;
    }
    let keys = from_triggers(&[keyword]);
    skipped.extend(keys.note.map(|reason| Skipped {
        origin: origin.clone(),
        reason,
    }));
    pack.snippets.push(PackSnippet {
        folder: String::new(),
        title: if name.trim().is_empty() {
            title_of(&body)
        } else {
            name
        },
        code: keys.code,
        tags: keys.tags,
        apps: Vec::new(),
        parts: vec![PackPart::Text {
            body,
            origin: origin.clone(),
        }],
        origin,
    });
}

pub fn read_raycast(bytes: &[u8], path: &Path) -> Result<(Pack, Vec<Skipped>), InteropError> {
    let list: Vec<RaycastSnippet> = serde_json::from_slice(bytes).map_err(|e| {
        err(
            path,
            tr(
                format!("不是 Raycast 话术 JSON（第 {} 行）：{e}", e.line()),
                format!("not Raycast snippets JSON (line {}): {e}", e.line()),
            ),
        )
    })?;
    let mut pack = Pack {
        meta: PackMeta {
            name: "Raycast".into(),
            ..PackMeta::default()
        },
        ..Pack::default()
    };
    let mut skipped = Vec::new();
    for (i, r) in list.into_iter().enumerate() {
        let origin = Origin::Library {
            place: format!("{}: [{i}] {}", path.display(), r.name),
        };
        push_curly(
            &mut pack,
            &mut skipped,
            origin,
            r.name,
            &r.text,
            r.keyword.as_deref().unwrap_or(""),
        );
    }
    Ok((pack, skipped))
}

pub(super) fn curly_map(v: &str) -> Option<String> {
    match builtin_kind(v)? {
        crate::template::Builtin::Date => Some("{date}".into()),
        crate::template::Builtin::Time => Some("{time}".into()),
        crate::template::Builtin::Clipboard => Some("{clipboard}".into()),
        _ => None,
    }
}

/// Raycast snippets JSON; replies with team variables or prompts are left out (listed).
pub fn write_raycast(pack: &Pack) -> (String, Vec<String>) {
    let mut list = Vec::new();
    let mut left_out = Vec::new();
    for s in &pack.snippets {
        let text = s.texts();
        match to_foreign(&text.join("\n\n"), &mut curly_map) {
            Some(text) if !text.is_empty() => list.push(RaycastSnippet {
                name: s.title.clone(),
                text,
                keyword: s.code.clone(),
            }),
            _ => left_out.push(s.title.clone()),
        }
    }
    (
        serde_json::to_string_pretty(&list).unwrap_or_default(),
        left_out,
    )
}

//! TextExpander CSV exports and plain text.

use std::path::Path;

use super::*;
use crate::i18n::tr;
use crate::packs::common::Skipped;
use crate::source::{Origin, Pack, PackMeta, PackPart, PackSnippet};

/// TextExpander's CSV export: abbreviation, content, label — no header row.
pub fn read_textexpander(bytes: &[u8], path: &Path) -> Result<(Pack, Vec<Skipped>), crate::Error> {
    let text = crate::packs::common::decode(bytes, path)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut pack = Pack {
        meta: PackMeta {
            name: "TextExpander".into(),
            ..PackMeta::default()
        },
        ..Pack::default()
    };
    let mut skipped = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| err(path, e.to_string()))?;
        let line = rec.position().map_or(0, |p| p.line()) as usize;
        let origin = Origin::File {
            path: path.to_path_buf(),
            line,
        };
        let abbr = rec.get(0).unwrap_or_default().trim();
        let content = rec.get(1).unwrap_or_default();
        let label = rec.get(2).unwrap_or_default().trim();
        if content.trim().is_empty() {
            skipped.push(Skipped {
                origin,
                reason: tr("内容为空", "empty content"),
            });
            continue;
        }
        // TextExpander fill-ins (%fill:…%, %clipboard, dates) are mostly not portable.
        let body = literal(content).replace("%clipboard", "{剪贴板}");
        if body.contains("%fill") || body.contains("%key:") || body.contains("%snippet:") {
            skipped.push(Skipped {
                origin,
                reason: tr(
                    "含有 TextExpander 填空或按键指令，无法转换",
                    "uses TextExpander fill-ins or key commands, which cannot be converted",
                ),
            });
            continue;
        }
        pack.snippets.push(PackSnippet {
            folder: String::new(),
            title: if label.is_empty() {
                title_of(content)
            } else {
                label.to_string()
            },
            code: code_of(abbr),
            tags: if code_of(abbr).is_none() && !abbr.is_empty() {
                vec![abbr.to_string()]
            } else {
                Vec::new()
            },
            apps: Vec::new(),
            parts: vec![PackPart::Text {
                body,
                origin: origin.clone(),
            }],
            origin,
        });
    }
    Ok((pack, skipped))
}

/// Plain text: replies separated by blank lines; a first line `# title` names a reply.
pub fn read_text(bytes: &[u8], path: &Path) -> Result<(Pack, Vec<Skipped>), crate::Error> {
    let text = crate::packs::common::decode(bytes, path)?;
    let mut pack = Pack {
        meta: PackMeta {
            name: path
                .file_stem()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            ..PackMeta::default()
        },
        ..Pack::default()
    };
    let mut block: Vec<&str> = Vec::new();
    let mut start = 1;
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().chain(std::iter::once(&"")).enumerate() {
        if line.trim().is_empty() {
            if !block.is_empty() {
                let (title, body) = match block[0].strip_prefix("# ") {
                    Some(t) if block.len() > 1 => (t.trim().to_string(), block[1..].join("\n")),
                    _ => (title_of(&block.join("\n")), block.join("\n")),
                };
                let origin = Origin::File {
                    path: path.to_path_buf(),
                    line: start,
                };
                pack.snippets.push(PackSnippet {
                    folder: String::new(),
                    title,
                    code: None,
                    tags: Vec::new(),
                    apps: Vec::new(),
                    parts: vec![PackPart::Text {
                        body: literal(&body),
                        origin: origin.clone(),
                    }],
                    origin,
                });
                block.clear();
            }
            start = i + 2;
        } else {
            block.push(line.trim_end());
        }
    }
    Ok((pack, Vec::new()))
}

/// Plain text export: `# title`, the text, a blank line.
pub fn write_text(pack: &Pack) -> String {
    let mut out = String::new();
    for s in &pack.snippets {
        let text = s.texts();
        let body = text
            .join("\n")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        out.push_str(&format!("# {}\n{}\n\n", s.title, body));
    }
    out
}

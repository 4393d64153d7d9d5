//! The date checks of `qreply lint` (生效 / 失效, see [`quickreply_proto::schedule`]):
//! a date that does not read and an end not after its start are errors (the sync server
//! refuses both, and such a reply would never show as meant); a reply whose window is
//! over — its own 失效 or a folder's — is a warning: keeping last year's 双11 scripts
//! for next year is fine, but the lead should know the panel no longer shows them.
//! Replies still to start are not flagged (`qreply dates` lists them).

use std::collections::HashMap;

use quickreply_proto::schedule::{
    DateError, Status, TEAM_OFFSET_MINUTES, Window, display_end, format_instant,
};

use crate::i18n::tr;
use crate::source::{Origin, Pack};

/// One date finding: an error, or a warning that does not fail lint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateFinding {
    pub origin: Origin,
    pub message: String,
    pub warning: bool,
}

impl std::fmt::Display for DateFinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.origin, self.message)
    }
}

fn error(origin: &Origin, e: &DateError) -> DateFinding {
    DateFinding {
        origin: origin.clone(),
        message: tr(
            format!("生效/失效日期有误：{}", e.zh()),
            format!("bad 生效/失效 date: {}", e.en()),
        ),
        warning: false,
    }
}

/// Check the dates of every folder and reply of a pack at `now` (Unix ms).
pub fn dates(pack: &Pack, now: i64) -> Vec<DateFinding> {
    let mut out = Vec::new();
    let mut folders: HashMap<&str, Window> = HashMap::new();
    for f in &pack.folders {
        match Window::of(f.starts_at.as_deref(), f.ends_at.as_deref()) {
            Ok(w) => {
                folders.insert(f.path.as_str(), w);
            }
            Err(e) => out.push(error(&f.origin, &e)),
        }
    }
    // A folder's window is narrowed by each folder above it.
    let above = |path: &str| -> Window {
        let mut w = Window::default();
        let mut at = String::new();
        for name in path.split('/').filter(|n| !n.is_empty()) {
            if !at.is_empty() {
                at.push('/');
            }
            at.push_str(name);
            if let Some(f) = folders.get(at.as_str()) {
                w = w.intersect(*f);
            }
        }
        w
    };
    for s in &pack.snippets {
        let own = match Window::of(s.starts_at.as_deref(), s.ends_at.as_deref()) {
            Ok(w) => w,
            Err(e) => {
                out.push(error(&s.origin, &e));
                continue;
            }
        };
        let w = own.intersect(above(&s.folder));
        if w.status(now) == Status::Expired {
            let last = w
                .end
                .map(|ms| display_end(&format_instant(ms, TEAM_OFFSET_MINUTES)))
                .unwrap_or_default();
            let by_folder = own.end != w.end;
            out.push(DateFinding {
                origin: s.origin.clone(),
                message: if by_folder {
                    tr(
                        format!("已过期：所在文件夹「{}」只显示到 {last}（北京时间），面板里已不再显示", s.folder),
                        format!("expired: its folder \"{}\" was shown through {last} (Beijing time); the panel no longer shows it", s.folder),
                    )
                } else {
                    tr(
                        format!("已过期：只显示到 {last}（北京时间），面板里已不再显示；活动结束可以删掉或改日期"),
                        format!("expired: shown through {last} (Beijing time); the panel no longer shows it. Delete it or change its dates if the campaign is over"),
                    )
                },
                warning: true,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{PackFolder, PackPart, PackSnippet};

    const DAY: i64 = 86_400_000;

    fn origin(line: usize) -> Origin {
        Origin::File {
            path: "x.md".into(),
            line,
        }
    }

    fn reply(
        line: usize,
        folder: &str,
        starts: Option<String>,
        ends: Option<String>,
    ) -> PackSnippet {
        PackSnippet {
            folder: folder.into(),
            title: format!("r{line}"),
            code: None,
            tags: vec![],
            apps: vec![],
            parts: vec![PackPart::Text {
                body: "亲".into(),
                origin: origin(line),
            }],
            origin: origin(line),
            starts_at: starts,
            ends_at: ends,
        }
    }

    fn at(ms: i64) -> Option<String> {
        Some(format_instant(ms, TEAM_OFFSET_MINUTES))
    }

    #[test]
    fn expired_is_a_warning_and_bad_dates_are_errors() {
        let now = 1_800_000_000_000;
        let pack = Pack {
            folders: vec![PackFolder {
                path: "双11".into(),
                origin: origin(100),
                starts_at: None,
                ends_at: at(now - DAY),
            }],
            snippets: vec![
                reply(1, "", None, at(now - DAY)),
                reply(2, "", at(now + DAY), None),
                reply(3, "", Some("11月11日".into()), None),
                reply(4, "", at(now + 2 * DAY), at(now + DAY)),
                reply(5, "双11", None, None),
                reply(6, "", at(now - DAY), at(now + DAY)),
            ],
            ..Default::default()
        };
        let found = dates(&pack, now);
        let lines: Vec<(usize, bool)> = found
            .iter()
            .map(|f| match f.origin {
                Origin::File { line, .. } => (line, f.warning),
                Origin::Library { .. } => (0, f.warning),
            })
            .collect();
        assert_eq!(lines, vec![(1, true), (3, false), (4, false), (5, true)]);
        assert!(found[1].message.contains("11月11日"), "{}", found[1]);
        assert!(found[3].message.contains("双11"), "{}", found[3]);
    }
}

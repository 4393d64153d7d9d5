//! Firing logic shared by the desktop app and tests: the queue of a multi-part reply
//! (without auto-paste each press of the fire hotkey puts the next part on the clipboard,
//! the panel shows 2/3) and the per-app ordering of search hits.

use uuid::Uuid;

use crate::settings::Profile;
use crate::{Rendered, Snippet};

/// The parts of a fired reply still to be put on the clipboard.
#[derive(Clone, Debug, Default)]
pub struct Queue {
    pub snippet: Option<Uuid>,
    pub title: String,
    parts: Vec<Rendered>,
    next: usize,
}

/// One step of a queue: the part and where it stands (`index` counts from 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub index: usize,
    pub total: usize,
    pub part: Rendered,
}

impl Queue {
    pub fn new(snippet: Uuid, title: impl Into<String>, parts: Vec<Rendered>) -> Queue {
        Queue {
            snippet: Some(snippet),
            title: title.into(),
            parts,
            next: 0,
        }
    }

    /// The next part, or `None` when every part has been taken.
    pub fn take(&mut self) -> Option<Step> {
        let part = self.parts.get(self.next)?.clone();
        self.next += 1;
        Some(Step {
            index: self.next,
            total: self.parts.len(),
            part,
        })
    }

    /// Every part not yet taken, in order (auto-paste pastes them all).
    pub fn drain(&mut self) -> Vec<Step> {
        std::iter::from_fn(|| self.take()).collect()
    }

    /// Parts taken so far and the total (`(2, 3)` shows as 2/3).
    pub fn position(&self) -> (usize, usize) {
        (self.next, self.parts.len())
    }

    /// The part the next `take` gives, if any (the on-screen note says what comes next).
    pub fn upcoming(&self) -> Option<&Rendered> {
        self.parts.get(self.next)
    }

    pub fn is_done(&self) -> bool {
        self.next >= self.parts.len()
    }
}

/// Reorder scored hits so that the replies a profile prefers come first: a preferred
/// library or folder adds a bonus that outweighs a small score gap but not a much better
/// match. Stable for equal totals.
pub fn prefer(hits: &mut [(u32, Snippet)], profile: Option<&Profile>) {
    let Some(p) = profile else { return };
    if p.libraries.is_empty() && p.folders.is_empty() {
        return;
    }
    let bonus = |s: &Snippet| -> u32 {
        let lib = p
            .libraries
            .iter()
            .position(|l| *l == s.library)
            .map_or(0, |i| 40u32.saturating_sub(i as u32 * 5));
        let folder = if p
            .folders
            .iter()
            .any(|f| s.folder == *f || s.folder.starts_with(&format!("{f}/")))
        {
            30
        } else {
            0
        };
        lib + folder
    };
    hits.sort_by_key(|(score, s)| std::cmp::Reverse(score + bonus(s)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Rendered {
        Rendered::Text(s.into())
    }

    #[test]
    fn queue_walks_parts_in_order() {
        let mut q = Queue::new(Uuid::nil(), "t", vec![text("a"), text("b"), text("c")]);
        assert_eq!(q.position(), (0, 3));
        let first = q.take().expect("first");
        assert_eq!((first.index, first.total, first.part), (1, 3, text("a")));
        assert_eq!(q.position(), (1, 3));
        assert_eq!(q.upcoming(), Some(&text("b")));
        let rest = q.drain();
        assert_eq!(rest.iter().map(|s| s.index).collect::<Vec<_>>(), vec![2, 3]);
        assert!(q.is_done());
        assert_eq!(q.upcoming(), None);
        assert!(q.take().is_none());
    }

    fn snippet(library: &str, folder: &str, title: &str) -> Snippet {
        Snippet {
            id: Uuid::now_v7(),
            library: library.into(),
            library_id: Uuid::nil(),
            folder_id: None,
            folder: folder.into(),
            title: title.into(),
            code: None,
            tags: vec![],
            apps: vec![],
            parts: vec![],
            position: 0,
            version: 1,
            created_at: 0,
            updated_at: 0,
            starts_at: None,
            ends_at: None,
        }
    }

    #[test]
    fn profiles_pull_their_libraries_and_folders_up() {
        let mut hits = vec![
            (100, snippet("personal", "售前", "a")),
            (90, snippet("淘宝店", "售前", "b")),
            (20, snippet("淘宝店", "物流", "c")),
            (80, snippet("personal", "物流/延迟", "d")),
        ];
        let p = Profile {
            name: "千牛".into(),
            libraries: vec!["淘宝店".into()],
            folders: vec!["物流".into()],
            ..Profile::default()
        };
        prefer(&mut hits, Some(&p));
        let order: Vec<&str> = hits.iter().map(|(_, s)| s.title.as_str()).collect();
        // b 90+40, d 80+30, a 100, c 20+70
        assert_eq!(order, vec!["b", "d", "a", "c"]);
        let before: Vec<String> = hits.iter().map(|(_, s)| s.title.clone()).collect();
        prefer(&mut hits, None);
        let after: Vec<String> = hits.iter().map(|(_, s)| s.title.clone()).collect();
        assert_eq!(before, after);
    }
}

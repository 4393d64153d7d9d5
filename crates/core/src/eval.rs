//! Search quality measurement: real buyer questions and agent keywords, each with the
//! built-in replies (by title) that answer it, run through the same two searches the
//! products use — the panel's in-memory [`SearchIndex`] and `qreply search`'s
//! [`Store::search`] — to count how often a fitting reply comes first or in the top 3.
//!
//! The data set is `crates/core/benches/search-eval.toml` (every group cites the public
//! page its entries come from); `cargo xtask eval search` runs it and prints the hit rates
//! and every miss. A measurement, not a test: `tests/search_eval_data.rs` only checks that
//! the data file is well formed and names replies that exist.
//!
//! The `[[heldout]]` groups are buyer questions from pages the search was never tuned on:
//! they are reported on their own line, so that a change tuned to the `[[questions]]`
//! shows whether it generalises. Nothing may be changed to make a held-out case pass.

use std::collections::HashSet;
use std::fmt::Write as _;

use serde::Deserialize;

use crate::i18n::tr;
use crate::{SearchOptions, Store};

/// How many results the panel asks for (`src-tauri` `App::search`, without a profile).
pub const PANEL_LIMIT: usize = 20;
/// `qreply search`'s default `--limit`.
pub const CLI_LIMIT: usize = 10;

/// One query and the titles of the replies that answer it (any one of them counts).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// What the buyer typed (a question) or what the agent types (a keyword).
    pub q: String,
    /// Titles in the built-in zh-CN library.
    pub fit: Vec<String>,
}

/// Entries taken from one public page.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// The page the entries come from.
    pub source: String,
    /// Optional: what was taken from it and how (verbatim, shortened …).
    #[serde(default)]
    pub note: String,
    pub cases: Vec<Case>,
}

/// The whole data set.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Dataset {
    #[serde(default)]
    pub questions: Vec<Group>,
    #[serde(default)]
    pub keywords: Vec<Group>,
    /// Buyer questions kept out of tuning (see the module documentation).
    #[serde(default)]
    pub heldout: Vec<Group>,
}

/// The data file could not be read as a data set.
#[derive(Debug, thiserror::Error)]
#[error("{}", tr(format!("评测数据格式不对：{reason}"), format!("the evaluation data is not valid: {reason}")))]
pub struct DataError {
    reason: String,
}

impl Dataset {
    pub fn parse(text: &str) -> Result<Dataset, DataError> {
        toml::from_str(text).map_err(|e| DataError {
            reason: e.to_string(),
        })
    }

    /// Every question case, in file order.
    pub fn question_cases(&self) -> impl Iterator<Item = &Case> {
        self.questions.iter().flat_map(|g| &g.cases)
    }

    /// Every keyword case, in file order.
    pub fn keyword_cases(&self) -> impl Iterator<Item = &Case> {
        self.keywords.iter().flat_map(|g| &g.cases)
    }

    /// Every held-out question case, in file order.
    pub fn heldout_cases(&self) -> impl Iterator<Item = &Case> {
        self.heldout.iter().flat_map(|g| &g.cases)
    }

    /// What is wrong with the data against the library's `titles`: titles that do not
    /// exist, groups without a source URL, cases without a fitting title, queries listed
    /// twice, held-out questions that are also tuning questions. Empty when the data is
    /// sound.
    pub fn problems(&self, titles: &HashSet<String>) -> Vec<String> {
        let mut out = Vec::new();
        for (kind, groups) in [
            ("question", &self.questions),
            ("keyword", &self.keywords),
            ("held-out question", &self.heldout),
        ] {
            let mut seen = HashSet::new();
            for g in groups {
                if !(g.source.starts_with("https://") || g.source.starts_with("http://")) {
                    out.push(format!("{kind} group without a source URL: {:?}", g.source));
                }
                if g.cases.is_empty() {
                    out.push(format!("{kind} group {} has no cases", g.source));
                }
                for c in &g.cases {
                    if c.q.trim().is_empty() {
                        out.push(format!("empty {kind} in {}", g.source));
                    }
                    if !seen.insert(c.q.trim().to_string()) {
                        out.push(format!("{kind} {:?} is listed twice", c.q));
                    }
                    if c.fit.is_empty() {
                        out.push(format!("{kind} {:?} names no fitting reply", c.q));
                    }
                    for t in &c.fit {
                        if !titles.contains(t) {
                            out.push(format!("{kind} {:?}: no reply titled {t:?}", c.q));
                        }
                    }
                }
            }
        }
        let tuned: HashSet<&str> = self.question_cases().map(|c| c.q.trim()).collect();
        for c in self.heldout_cases() {
            if tuned.contains(c.q.trim()) {
                out.push(format!(
                    "held-out question {:?} is also a tuning question",
                    c.q
                ));
            }
        }
        out
    }
}

/// Where the first fitting reply came, for one case and one search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub q: String,
    /// 1-based rank of the first fitting reply among the results; `None`: not found.
    pub rank: Option<usize>,
    /// The titles of the first three results.
    pub top: Vec<String>,
    pub fit: Vec<String>,
}

/// Hit rates of one search over one kind of case.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub outcomes: Vec<Outcome>,
}

impl Tally {
    pub fn total(&self) -> usize {
        self.outcomes.len()
    }

    /// Cases whose first fitting reply is within the first `n` results.
    pub fn within(&self, n: usize) -> usize {
        self.outcomes
            .iter()
            .filter(|o| o.rank.is_some_and(|r| r <= n))
            .count()
    }

    /// Percentage within the first `n` (0 for no cases).
    pub fn rate(&self, n: usize) -> f64 {
        if self.outcomes.is_empty() {
            return 0.0;
        }
        100.0 * self.within(n) as f64 / self.total() as f64
    }

    /// Cases not answered in the first `n` results.
    pub fn misses(&self, n: usize) -> impl Iterator<Item = &Outcome> {
        self.outcomes
            .iter()
            .filter(move |o| o.rank.is_none_or(|r| r > n))
    }
}

/// One search as the products call it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// The desktop panel: [`crate::SearchIndex::search_libraries`] over every library,
    /// query trimmed, [`PANEL_LIMIT`] results.
    Panel,
    /// `qreply search "…"`: [`Store::search`], [`CLI_LIMIT`] results.
    Cli,
}

/// The results of the whole data set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub questions: Tally,
    pub keywords: Tally,
    /// The held-out questions (`[[heldout]]`).
    pub heldout: Tally,
}

impl Report {
    /// Whether both reports put the same replies in the top 3 of every case, with the
    /// fitting one at the same place (ranks past 3 may differ: the searches ask for
    /// different numbers of results).
    pub fn same_top3(&self, other: &Report) -> bool {
        let key = |t: &Tally| -> Vec<(Option<usize>, Vec<String>)> {
            t.outcomes
                .iter()
                .map(|o| (o.rank.filter(|r| *r <= 3), o.top.clone()))
                .collect()
        };
        key(&self.questions) == key(&other.questions)
            && key(&self.keywords) == key(&other.keywords)
            && key(&self.heldout) == key(&other.heldout)
    }
}

/// Run every case of `data` through `engine` over everything in `store`.
pub fn run(store: &Store, data: &Dataset, engine: Engine) -> crate::Result<Report> {
    let index = match engine {
        Engine::Panel => Some(store.search_index()?),
        Engine::Cli => None,
    };
    let one = |c: &Case| -> crate::Result<Outcome> {
        let hits = match &index {
            Some(index) => index.search_libraries(c.q.trim(), None, PANEL_LIMIT),
            None => store.search(
                &c.q,
                &SearchOptions {
                    library: None,
                    limit: CLI_LIMIT,
                },
            )?,
        };
        let mut titles = Vec::with_capacity(hits.len());
        for h in &hits {
            titles.push(store.snippet(h.key)?.title);
        }
        let rank = titles.iter().position(|t| c.fit.contains(t)).map(|i| i + 1);
        titles.truncate(3);
        Ok(Outcome {
            q: c.q.clone(),
            rank,
            top: titles,
            fit: c.fit.clone(),
        })
    };
    let mut report = Report::default();
    for c in data.question_cases() {
        report.questions.outcomes.push(one(c)?);
    }
    for c in data.keyword_cases() {
        report.keywords.outcomes.push(one(c)?);
    }
    for c in data.heldout_cases() {
        report.heldout.outcomes.push(one(c)?);
    }
    Ok(report)
}

/// The report as text: hit rates, then every case not answered in the top 3 (with what
/// came instead) and every case answered at 2 or 3 (so a top-1 miss is visible too).
pub fn render(report: &Report, engine_name: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "== {engine_name}");
    for (kind, t) in [
        ("questions", &report.questions),
        ("keywords", &report.keywords),
        ("held-out", &report.heldout),
    ] {
        if kind == "held-out" && t.total() == 0 {
            continue;
        }
        let _ = writeln!(
            s,
            "{kind:<10} {:>4} cases   top-1 {:>5.1} % ({})   top-3 {:>5.1} % ({})",
            t.total(),
            t.rate(1),
            t.within(1),
            t.rate(3),
            t.within(3),
        );
    }
    for (kind, t) in [
        ("questions", &report.questions),
        ("keywords", &report.keywords),
        ("held-out questions", &report.heldout),
    ] {
        let misses: Vec<&Outcome> = t.misses(3).collect();
        if !misses.is_empty() {
            let _ = writeln!(s, "-- {kind} without a fitting reply in the top 3:");
            for o in misses {
                let at = o
                    .rank
                    .map_or("not found".to_string(), |r| format!("at {r}"));
                let _ = writeln!(
                    s,
                    "  {:?} ({at}) → {}   wanted: {}",
                    o.q,
                    o.top.join(" | "),
                    o.fit.join(" | ")
                );
            }
        }
        let late: Vec<&Outcome> = t
            .outcomes
            .iter()
            .filter(|o| o.rank.is_some_and(|r| r == 2 || r == 3))
            .collect();
        if !late.is_empty() {
            let _ = writeln!(s, "-- {kind} answered at 2 or 3 (top-1 misses):");
            for o in late {
                let _ = writeln!(
                    s,
                    "  {:?} (at {}) → {}",
                    o.q,
                    o.rank.unwrap_or_default(),
                    o.top.join(" | ")
                );
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;

    #[test]
    fn problems_name_unknown_titles_missing_sources_and_duplicates() {
        let data = Dataset::parse(
            r#"
            [[questions]]
            source = "https://example.com/faq"
            cases = [
              { q = "什么时候发货？", fit = ["发货时间"] },
              { q = "什么时候发货？", fit = ["没有这条"] },
            ]
            [[keywords]]
            source = "somewhere"
            cases = [{ q = "fh", fit = [] }]
            "#,
        )
        .expect("parses");
        let titles: HashSet<String> = ["发货时间".to_string()].into();
        let p = data.problems(&titles);
        assert_eq!(p.len(), 4, "{p:#?}");
        assert!(p[0].contains("listed twice"));
        assert!(p[1].contains("没有这条"));
        assert!(p[2].contains("without a source URL"));
        assert!(p[3].contains("names no fitting reply"));
    }

    #[test]
    fn a_heldout_question_may_not_be_a_tuning_question() {
        let data = Dataset::parse(
            r#"
            [[questions]]
            source = "https://example.com/faq"
            cases = [{ q = "什么时候发货？", fit = ["发货时间"] }]
            [[heldout]]
            source = "https://example.org/help"
            cases = [
              { q = " 什么时候发货？", fit = ["发货时间"] },
              { q = "几号发？", fit = ["发货时间"] },
            ]
            "#,
        )
        .expect("parses");
        let titles: HashSet<String> = ["发货时间".to_string()].into();
        let p = data.problems(&titles);
        assert_eq!(p.len(), 1, "{p:#?}");
        assert!(p[0].contains("also a tuning question"), "{p:#?}");
        assert_eq!(data.heldout_cases().count(), 2);
    }

    #[test]
    fn render_reports_heldout_questions_on_their_own_line() {
        let o = |q: &str, rank| Outcome {
            q: q.to_string(),
            rank,
            top: vec!["甲".to_string()],
            fit: vec!["乙".to_string()],
        };
        let report = Report {
            questions: Tally {
                outcomes: vec![o("问一", Some(1))],
            },
            keywords: Tally::default(),
            heldout: Tally {
                outcomes: vec![o("留出一", Some(1)), o("留出二", None)],
            },
        };
        let text = render(&report, "panel");
        let line = text
            .lines()
            .find(|l| l.starts_with("held-out"))
            .expect("a held-out line");
        assert!(
            line.contains("2 cases") && line.contains("top-1  50.0 %"),
            "{line}"
        );
        assert!(
            text.contains("held-out questions without a fitting reply"),
            "{text}"
        );
        assert!(text.contains("\"留出二\" (not found)"), "{text}");
        // No held-out cases: no held-out line.
        let none = render(&Report::default(), "panel");
        assert!(!none.contains("held-out"), "{none}");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let e = Dataset::parse("[[questions]]\nsource = \"https://x\"\ncases = []\nurl = 1\n");
        assert!(e.is_err());
    }

    #[test]
    fn tally_counts_ranks_within_one_and_three() {
        let o = |rank| Outcome {
            q: String::new(),
            rank,
            top: vec![],
            fit: vec![],
        };
        let t = Tally {
            outcomes: vec![o(Some(1)), o(Some(3)), o(Some(4)), o(None)],
        };
        assert_eq!((t.within(1), t.within(3)), (1, 2));
        assert_eq!(t.rate(3), 50.0);
        assert_eq!(t.misses(3).count(), 2);
    }
}

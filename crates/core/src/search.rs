//! Fuzzy search over replies: title, shortcut code, tags, body, and the pinyin of title
//! and tags (full, `tuihuo`, and initials, `th`), with recent and frequent replies ranked
//! up. Matching is `nucleo-matcher` (the matcher of the helix editor), pinyin comes from
//! the `pinyin` crate; this module only decides which fields count how much.
//!
//! A query is split on whitespace into atoms; every atom must match some field of a reply
//! (so `退货 yunfei` finds a reply whose title has 退货 and whose pinyin has yunfei). A
//! reply's score is the sum over atoms of the best weighted field score, plus its usage
//! boost.

use nucleo_matcher::pattern::{Atom, AtomKind, CaseMatching, Normalization};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use pinyin::ToPinyin;

/// The searchable text of one reply, as stored beside it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchFields<'a> {
    pub title: &'a str,
    pub code: &'a str,
    pub tags: &'a str,
    /// Text parts joined by newlines.
    pub body: &'a str,
    /// Pinyin of title and tags, syllables run together per word (`fahuoshijian`).
    pub pinyin: &'a str,
    /// Initials of title and tags (`fhsj`).
    pub initials: &'a str,
}

/// Pinyin of a text: (full, initials). Non-Chinese letters and digits are kept
/// (lowercased); everything else separates words with a space.
pub fn pinyin_of(text: &str) -> (String, String) {
    let mut full = String::new();
    let mut initials = String::new();
    let sep = |s: &mut String| {
        if !s.is_empty() && !s.ends_with(' ') {
            s.push(' ');
        }
    };
    for (c, py) in text.chars().zip(text.to_pinyin()) {
        match py {
            Some(p) => {
                full.push_str(p.plain());
                initials.push_str(p.first_letter());
            }
            None if c.is_alphanumeric() => {
                full.extend(c.to_lowercase());
                initials.extend(c.to_lowercase());
            }
            None => {
                sep(&mut full);
                sep(&mut initials);
            }
        }
    }
    (full.trim_end().to_string(), initials.trim_end().to_string())
}

/// Field weights (the matcher's score is multiplied by these).
const W_TITLE: u32 = 4;
const W_PINYIN: u32 = 3;
const W_INITIALS: u32 = 3;
const W_TAGS: u32 = 3;
const W_BODY: u32 = 1;
/// A shortcut code typed exactly beats any fuzzy match; a code prefix is strong too.
const CODE_EXACT: u32 = 100_000;
const CODE_PREFIX: u32 = 2_000;

struct QueryAtom {
    atom: Atom,
    lower: String,
    ascii: bool,
}

/// A parsed query, reusable across many replies (it owns the matcher's scratch space).
pub struct Scorer {
    atoms: Vec<QueryAtom>,
    matcher: Matcher,
    buf: Vec<char>,
}

impl Scorer {
    pub fn new(query: &str) -> Scorer {
        let atoms = query
            .split_whitespace()
            .map(|a| {
                let lower = a.to_lowercase();
                QueryAtom {
                    atom: Atom::new(
                        &lower,
                        CaseMatching::Ignore,
                        Normalization::Smart,
                        AtomKind::Fuzzy,
                        false,
                    ),
                    ascii: lower.is_ascii(),
                    lower,
                }
            })
            .collect();
        Scorer {
            atoms,
            matcher: Matcher::new(Config::DEFAULT),
            buf: Vec::new(),
        }
    }

    /// True when the query has no atoms (everything matches with score 0).
    pub fn is_empty(&self) -> bool {
        self.atoms.is_empty()
    }

    fn field(matcher: &mut Matcher, buf: &mut Vec<char>, atom: &Atom, text: &str) -> u32 {
        if text.is_empty() {
            return 0;
        }
        let hay = Utf32Str::new(text, buf);
        atom.score(hay, matcher).map_or(0, u32::from)
    }

    /// The match score of a reply, or `None` if some atom matches no field.
    pub fn score(&mut self, f: &SearchFields<'_>) -> Option<u32> {
        let mut total = 0u32;
        for qa in &self.atoms {
            let m = &mut self.matcher;
            let buf = &mut self.buf;
            let mut best = 0u32;
            if qa.ascii && !f.code.is_empty() {
                if f.code == qa.lower {
                    best = CODE_EXACT;
                } else if f.code.starts_with(&qa.lower) {
                    best = CODE_PREFIX;
                }
            }
            if best < CODE_EXACT {
                best = best.max(W_TITLE * Self::field(m, buf, &qa.atom, f.title));
                best = best.max(W_TAGS * Self::field(m, buf, &qa.atom, f.tags));
                if qa.ascii {
                    best = best.max(W_PINYIN * Self::field(m, buf, &qa.atom, f.pinyin));
                    best = best.max(W_INITIALS * Self::field(m, buf, &qa.atom, f.initials));
                }
                if best == 0 {
                    best = W_BODY * Self::field(m, buf, &qa.atom, f.body);
                }
            }
            if best == 0 {
                return None;
            }
            total = total.saturating_add(best);
        }
        Some(total)
    }
}

/// How much usage lifts a reply: frequent (fires in the last 30 days) and recent (last
/// fire) replies rank up, bounded so that usage reorders close matches but never beats a
/// clearly better one.
pub fn usage_boost(fires_30d: u64, seconds_since_last: Option<i64>) -> u32 {
    let freq = (12.0 * (1.0 + fires_30d as f64).ln()).min(60.0) as u32;
    let recent = match seconds_since_last {
        Some(s) if s < 3_600 => 30,
        Some(s) if s < 86_400 => 15,
        Some(s) if s < 7 * 86_400 => 5,
        _ => 0,
    };
    freq + recent
}

/// One ranked result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit<K> {
    pub key: K,
    pub score: u32,
}

/// Keeps the best `limit` hits seen so far, best first; ties keep the earlier one first.
pub struct TopK<K> {
    limit: usize,
    hits: Vec<(u32, usize, K)>,
    seq: usize,
}

impl<K> TopK<K> {
    pub fn new(limit: usize) -> TopK<K> {
        TopK {
            limit,
            hits: Vec::with_capacity(limit.min(1024) + 1),
            seq: 0,
        }
    }

    /// Whether a score would enter the list (lets callers skip building a key).
    pub fn admits(&self, score: u32) -> bool {
        self.limit > 0
            && (self.hits.len() < self.limit || self.hits.last().is_some_and(|h| h.0 < score))
    }

    pub fn push(&mut self, score: u32, key: K) {
        self.seq += 1;
        if !self.admits(score) {
            return;
        }
        let at = self.hits.partition_point(|(s, q, _)| {
            (*s, std::cmp::Reverse(*q)) >= (score, std::cmp::Reverse(self.seq))
        });
        self.hits.insert(at, (score, self.seq, key));
        self.hits.truncate(self.limit);
    }

    pub fn into_hits(self) -> Vec<Hit<K>> {
        self.hits
            .into_iter()
            .map(|(score, _, key)| Hit { key, score })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields<'a>(
        title: &'a str,
        code: &'a str,
        body: &'a str,
        py: &'a (String, String),
    ) -> SearchFields<'a> {
        SearchFields {
            title,
            code,
            tags: "",
            body,
            pinyin: &py.0,
            initials: &py.1,
        }
    }

    #[test]
    fn pinyin_full_and_initials() {
        assert_eq!(
            pinyin_of("发货时间"),
            ("fahuoshijian".to_string(), "fhsj".to_string())
        );
        assert_eq!(
            pinyin_of("退货, 7天 OK"),
            ("tuihuo 7tian ok".to_string(), "th 7t ok".to_string())
        );
    }

    #[test]
    fn chinese_pinyin_initials_and_codes_match() {
        let py = pinyin_of("发货时间");
        let f = fields("发货时间", "fh", "亲，付款后48小时内发货", &py);
        for q in ["发货", "fahuo", "fhsj", "fh", "时间", "48小时", "FaHuo"] {
            assert!(Scorer::new(q).score(&f).is_some(), "{q} should match");
        }
        assert!(Scorer::new("退货").score(&f).is_none());
        assert!(Scorer::new("发货 tuihuo").score(&f).is_none());
    }

    #[test]
    fn exact_code_beats_fuzzy_title() {
        let p1 = pinyin_of("发货时间");
        let p2 = pinyin_of("放心购买");
        let a = fields("发货时间", "fh", "", &p1);
        let b = fields("放心购买", "", "", &p2);
        let mut s = Scorer::new("fh");
        assert!(s.score(&a) > s.score(&b));
    }

    #[test]
    fn title_beats_body() {
        let p1 = pinyin_of("退货流程");
        let p2 = pinyin_of("售后说明");
        let a = fields("退货流程", "", "在订单页申请", &p1);
        let b = fields("售后说明", "", "如需退货请联系", &p2);
        let mut s = Scorer::new("退货");
        assert!(s.score(&a) > s.score(&b));
    }

    #[test]
    fn atoms_may_match_different_fields() {
        let py = pinyin_of("退货运费");
        let f = fields("退货运费", "", "运费险可以报销", &py);
        assert!(Scorer::new("退货 yunfei").score(&f).is_some());
    }

    #[test]
    fn usage_boost_is_bounded_and_monotonic() {
        assert_eq!(usage_boost(0, None), 0);
        assert!(usage_boost(10, None) > usage_boost(1, None));
        assert!(usage_boost(1, Some(10)) > usage_boost(1, Some(100_000)));
        assert!(usage_boost(u64::MAX / 2, Some(0)) <= 90);
    }

    #[test]
    fn top_k_keeps_the_best_in_order() {
        let mut t = TopK::new(3);
        for (s, k) in [(5, "a"), (9, "b"), (1, "c"), (9, "d"), (7, "e")] {
            t.push(s, k);
        }
        let keys: Vec<_> = t.into_hits().into_iter().map(|h| h.key).collect();
        assert_eq!(keys, vec!["b", "d", "e"]);
    }
}

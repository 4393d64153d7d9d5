//! Why a hit matched: the character ranges of a title or text that the query found, for
//! the panel to highlight. Computed apart from the ranking (only for the rows shown).
//!
//! Per atom of the query: a Chinese (or English) atom marks where it occurs as typed;
//! an ASCII atom that is not in the text marks the Chinese characters whose initials
//! (`fh` → 发货) or pinyin (`tuihuo` → 退货) it typed; otherwise the matcher's own
//! positions of a fuzzy match. A whole question marks its words and their synonyms.

use nucleo_matcher::pattern::{Atom, AtomKind, CaseMatching, Normalization};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use pinyin::ToPinyin;

use super::{Question, Synonyms, normalize_query, normalize_text};

/// Ranges `[start, end)` in characters of `text`, sorted and merged, that `query`
/// matched. `text` is as shown (it is normalised here the same way search does, one
/// character for one, so positions stay).
pub fn marks(query: &str, text: &str, synonyms: &Synonyms) -> Vec<(u32, u32)> {
    let norm: Vec<char> = normalize_text(text)
        .chars()
        .flat_map(char::to_lowercase)
        .collect();
    // `to_lowercase` may grow a character (İ): fall back to no marks rather than wrong ones.
    if norm.len() != text.chars().count() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let query = normalize_query(query).to_lowercase();
    for atom in query.split_whitespace() {
        let needle: Vec<char> = atom.chars().collect();
        let found = occurrences(&norm, &needle);
        if !found.is_empty() {
            out.extend(found);
        } else if atom.is_ascii() {
            let py = pinyin_marks(&norm, atom);
            if py.is_empty() {
                out.extend(fuzzy(&norm, atom));
            } else {
                out.extend(py);
            }
        } else if Question::new(atom, synonyms).is_none() {
            out.extend(fuzzy(&norm, atom));
        }
    }
    if let Some(q) = Question::new(&query, synonyms) {
        for alts in q.words() {
            for w in alts {
                let w: Vec<char> = w.chars().collect();
                out.extend(occurrences(&norm, &w));
            }
        }
    }
    merge(out)
}

/// Every place `needle` occurs in `hay` (both lowercase).
fn occurrences(hay: &[char], needle: &[char]) -> Vec<(u32, u32)> {
    if needle.is_empty() || needle.len() > hay.len() {
        return Vec::new();
    }
    hay.windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| (i as u32, (i + needle.len()) as u32))
        .collect()
}

/// The Chinese characters whose initials or pinyin `atom` typed contiguously.
fn pinyin_marks(text: &[char], atom: &str) -> Vec<(u32, u32)> {
    let s: String = text.iter().collect();
    // Per character: its pinyin, if it has one.
    let py: Vec<Option<&'static str>> = s
        .as_str()
        .to_pinyin()
        .map(|p| p.map(|p| p.plain()))
        .collect();
    let mut out = Vec::new();
    let a = atom.as_bytes();
    for start in 0..py.len() {
        // Initials: one letter per character, consecutive characters.
        let mut i = start;
        let mut k = 0;
        while k < a.len() && i < py.len() {
            match py[i] {
                Some(p) if p.as_bytes().first() == Some(&a[k]) => {
                    i += 1;
                    k += 1;
                }
                _ => break,
            }
        }
        if k == a.len() && a.len() > 1 {
            out.push((start as u32, i as u32));
            continue;
        }
        // Full pinyin: whole syllables, the last one possibly begun.
        let (mut i, mut rest) = (start, a);
        while !rest.is_empty() && i < py.len() {
            let Some(p) = py[i] else { break };
            let p = p.as_bytes();
            if rest.starts_with(p) {
                rest = &rest[p.len()..];
                i += 1;
            } else if p.starts_with(rest) && i > start {
                rest = &[];
                i += 1;
            } else {
                break;
            }
        }
        if rest.is_empty() && i > start && (i - start > 1 || a.len() >= 2) {
            out.push((start as u32, i as u32));
        }
    }
    out
}

/// The matcher's positions of a fuzzy match, as ranges of one character.
fn fuzzy(text: &[char], atom: &str) -> Vec<(u32, u32)> {
    let mut matcher = Matcher::new(Config::DEFAULT);
    let pattern = Atom::new(
        atom,
        CaseMatching::Ignore,
        Normalization::Smart,
        AtomKind::Fuzzy,
        false,
    );
    let mut indices = Vec::new();
    if pattern
        .indices(Utf32Str::Unicode(text), &mut matcher, &mut indices)
        .is_none()
    {
        return Vec::new();
    }
    indices.into_iter().map(|i| (i, i + 1)).collect()
}

fn merge(mut v: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    v.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::new();
    for (s, e) in v {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(q: &str, text: &str) -> Vec<(u32, u32)> {
        marks(q, text, &Synonyms::default())
    }

    #[test]
    fn chinese_words_mark_where_they_stand() {
        assert_eq!(m("发票", "开发票"), vec![(1, 3)]);
        assert_eq!(m("发票", "发票和发票"), vec![(0, 2), (3, 5)]);
        // Traditional characters typed find simplified ones (and the other way).
        assert_eq!(m("發票", "开发票"), vec![(1, 3)]);
        assert_eq!(m("退货 运费", "退货运费谁出"), vec![(0, 4)]);
        assert!(m("退款", "发货时间").is_empty());
    }

    #[test]
    fn initials_and_pinyin_mark_the_chinese_characters() {
        assert_eq!(m("fh", "发货时间"), vec![(0, 2)]);
        assert_eq!(m("sj", "发货时间"), vec![(2, 4)]);
        assert_eq!(m("ts", "扬言投诉"), vec![(2, 4)]);
        assert_eq!(m("tuihuo", "怎么退货"), vec![(2, 4)]);
        // A syllable begun counts: `tuih` marks 退货.
        assert_eq!(m("tuih", "怎么退货"), vec![(2, 4)]);
        // English text is matched as typed.
        assert_eq!(m("ok", "好的OK"), vec![(2, 4)]);
    }

    #[test]
    fn fuzzy_matches_mark_their_characters() {
        assert_eq!(m("发时", "发货时间"), vec![(0, 1), (2, 3)]);
    }

    #[test]
    fn a_question_marks_its_words_and_synonyms() {
        // 退钱 is a synonym of 退款.
        let got = m("亲，我想退钱怎么办？", "退款多久到账");
        assert_eq!(got, vec![(0, 2)]);
    }
}

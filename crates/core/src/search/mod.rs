//! Fuzzy search over replies: title, shortcut code, tags, body, and the pinyin of title
//! and tags (full, `tuihuo`, and initials, `th`), with recent and frequent replies ranked
//! up. Matching is `nucleo-matcher` (the matcher of the helix editor), pinyin comes from
//! the `pinyin` crate; this module only decides which fields count how much.
//!
//! A query is split on whitespace into atoms; every atom must match some field of a reply
//! (so `退货 yunfei` finds a reply whose title has 退货 and whose pinyin has yunfei). A
//! reply's score is the sum over atoms of the best weighted field score, plus its usage
//! boost.
//!
//! Queries and replies are normalised alike first ([`normalize_text`]: full-width forms,
//! traditional characters; [`normalize_query`]: punctuation and politeness), so a pasted
//! `什麼時候發貨？` searches as `什么时候发货`. A query of three or more Chinese
//! characters is also a [`Question`]: its words (jieba, synonyms) rank replies by BM25.
//! Strict hits that contain every atom as typed (title, tags, code, pinyin) stay first;
//! then the question's ranking; then the remaining strict (scattered) hits.

use nucleo_matcher::pattern::{Atom, AtomKind, CaseMatching, Normalization};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use pinyin::ToPinyin;
use uuid::Uuid;

mod marks;
mod normalize;
mod question;
mod topic;
pub(crate) use topic::Shape as TopicShape;

pub use marks::marks;
use normalize::is_cjk_punct;
pub use normalize::{is_traditional, normalize_query, normalize_text};
pub use question::{Question, SYNONYMS_VARIABLE, Synonyms, TermCounts};

/// The searchable text of one reply, as stored beside it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchFields<'a> {
    pub title: &'a str,
    pub code: &'a str,
    pub tags: &'a str,
    /// Text parts joined by newlines.
    pub body: &'a str,
    /// Pinyin of the title, syllables run together per word (`fahuoshijian`).
    pub pinyin: &'a str,
    /// Initials of the title (`fhsj`).
    pub initials: &'a str,
    /// Pinyin and initials of the tags (`jitianfa jtf`): tags count less than the title.
    pub tags_pinyin: &'a str,
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
const W_TAGS: u32 = 2;
const W_TAG_PINYIN: u32 = 2;
const W_BODY: u32 = 1;
/// Longest non-ASCII atom matched against reply bodies.
const BODY_MAX_CJK_ATOM: usize = 4;
/// A shortcut code typed exactly beats any fuzzy match; a code prefix is strong too.
const CODE_EXACT: u32 = 100_000;
const CODE_PREFIX: u32 = 2_000;
/// A Chinese word whose initials are a reply's whole code (`换货` and `hh`), besides its
/// own match.
const CODE_WORD: u32 = 200;

struct QueryAtom {
    atom: Atom,
    /// The same needle as a substring atom: pinyin and initials must be typed
    /// contiguously (`tuihuo`, `tuih`, `fhsj`, `hsj`), or every title would match as
    /// scattered letters.
    substring: Atom,
    lower: String,
    /// A Chinese atom's pinyin initials (`换货` → `hh`): a reply whose shortcut code is
    /// exactly that is the one its author meant for the word.
    initials: String,
    ascii: bool,
    /// More than one character (a single one is in too many words to count as typed).
    long: bool,
    mask: Mask,
    /// Characters of the atom and their adjacent pairs ([`topic::pairs`]), for the
    /// topic part of the upper bound.
    chars: usize,
    pairs: Mask,
    /// Per field, the highest weighted score the atom can reach there: its score
    /// against itself (consecutive from the start is the best case of the matcher's
    /// scoring; `max_score_is_the_self_score` checks it on generated text).
    best: [u32; FIELDS],
}

/// A 256-bit set of the (normalised, lowercased) characters of a text: a field can only
/// match an atom whose characters it has, which skips most fields without running the
/// matcher.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mask(pub [u64; 4]);

impl Mask {
    pub const ALL: Mask = Mask([u64::MAX; 4]);

    pub fn of(text: &str) -> Mask {
        let mut m = [0u64; 4];
        for c in text.chars() {
            let c = nucleo_matcher::chars::to_lower_case(nucleo_matcher::chars::normalize(c));
            let h = (c as u32).wrapping_mul(0x9E37_79B1) >> 24;
            m[(h >> 6) as usize] |= 1u64 << (h & 63);
        }
        Mask(m)
    }

    pub fn union(self, other: Mask) -> Mask {
        Mask([0, 1, 2, 3].map(|i| self.0[i] | other.0[i]))
    }

    /// Whether the two sets share any character.
    pub fn intersects(self, other: Mask) -> bool {
        (0..4).any(|i| self.0[i] & other.0[i] != 0)
    }

    /// Whether every character of `needle` may be in this text.
    pub fn covers(self, needle: Mask) -> bool {
        (0..4).all(|i| self.0[i] & needle.0[i] == needle.0[i])
    }
}

/// A set of pairs of ASCII letters and digits that occur in a reply: adjacent pairs of
/// the texts matched as substrings (`contiguous`: pinyin and initials) and ordered pairs (`a`
/// somewhere before `b`) of the texts matched fuzzily. An ASCII atom can only match
/// where every adjacent pair of its characters is in that set: `fh` needs an `f` before
/// an `h` in the title, tags or body, or `fh` in the pinyin or initials. A fuzzy text with
/// more than 24 ASCII characters (an English body) would fill the set, so it makes the
/// set "everything".
pub fn pair_mask(fuzzy: &[&str], contiguous: &[&str]) -> Mask {
    let mut m = [0u64; 4];
    let mut add = |a: u8, b: u8| {
        let h = pair_hash(a, b);
        m[(h >> 6) as usize] |= 1u64 << (h & 63);
    };
    let ascii = |text: &str| -> Vec<u8> {
        text.bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|b| b.to_ascii_lowercase())
            .collect()
    };
    for text in fuzzy {
        // Accented Latin letters normalise to ASCII in the matcher: no filtering then.
        if text.chars().any(|c| !c.is_ascii() && (c as u32) < 0x2E80) {
            return Mask::ALL;
        }
        let chars = ascii(text);
        if chars.len() > 24 {
            return Mask::ALL;
        }
        for (i, &a) in chars.iter().enumerate() {
            for &b in &chars[i + 1..] {
                add(a, b);
            }
        }
    }
    for text in contiguous {
        for w in text.as_bytes().windows(2) {
            if w[0].is_ascii_alphanumeric() && w[1].is_ascii_alphanumeric() {
                add(w[0].to_ascii_lowercase(), w[1].to_ascii_lowercase());
            }
        }
    }
    Mask(m)
}

fn pair_hash(a: u8, b: u8) -> u32 {
    (u32::from(a) << 8 | u32::from(b)).wrapping_mul(0x9E37_79B1) >> 24
}

/// The adjacent pairs of an ASCII needle (empty mask for shorter or non-ASCII needles).
fn needle_pairs(needle: &str) -> Mask {
    let mut m = [0u64; 4];
    if needle.is_ascii() {
        let chars: Vec<u8> = needle.bytes().filter(u8::is_ascii_alphanumeric).collect();
        for w in chars.windows(2) {
            let h = pair_hash(w[0], w[1]);
            m[(h >> 6) as usize] |= 1u64 << (h & 63);
        }
    }
    Mask(m)
}

/// The fields of a reply in the order the scorer weighs them.
const FIELDS: usize = 6;
const F_TITLE: usize = 0;
const F_TAGS: usize = 1;
const F_PINYIN: usize = 2;
const F_INITIALS: usize = 3;
const F_BODY: usize = 4;
const F_TAG_PINYIN: usize = 5;
const WEIGHTS: [u32; FIELDS] = [W_TITLE, W_TAGS, W_PINYIN, W_INITIALS, W_BODY, W_TAG_PINYIN];

/// Fields matched as substrings (ASCII pinyin, typed contiguously).
fn is_substring_field(i: usize) -> bool {
    i == F_PINYIN || i == F_INITIALS || i == F_TAG_PINYIN
}

/// A parsed query, reusable across many replies (it owns the matcher's scratch space).
pub struct Scorer {
    atoms: Vec<QueryAtom>,
    matcher: Matcher,
    bufs: [Vec<char>; FIELDS],
}

impl Scorer {
    /// Parse a query as typed ([`normalize_query`] is applied here).
    pub fn new(query: &str) -> Scorer {
        let mut matcher = Matcher::new(Config::DEFAULT);
        let mut buf = Vec::new();
        let query = normalize_query(query);
        let atoms = query
            .split_whitespace()
            .map(|a| {
                let lower = a.to_lowercase();
                let mut qa = QueryAtom {
                    atom: Atom::new(
                        &lower,
                        CaseMatching::Ignore,
                        Normalization::Smart,
                        AtomKind::Fuzzy,
                        false,
                    ),
                    substring: Atom::new(
                        &lower,
                        CaseMatching::Ignore,
                        Normalization::Smart,
                        AtomKind::Substring,
                        false,
                    ),
                    ascii: lower.is_ascii(),
                    long: lower.chars().nth(1).is_some(),
                    initials: if lower.is_ascii() {
                        String::new()
                    } else {
                        let (_, i) = pinyin_of(&lower);
                        if i.chars().count() == lower.chars().count() {
                            i
                        } else {
                            String::new()
                        }
                    },
                    mask: Mask::of(&lower),
                    chars: lower.chars().count(),
                    pairs: topic::pairs(lower.chars()),
                    lower,
                    best: [0; FIELDS],
                };
                let hay = Utf32Str::new(&qa.lower, &mut buf);
                let fuzzy = qa.atom.score(hay, &mut matcher).map_or(0, u32::from);
                let substring = qa.substring.score(hay, &mut matcher).map_or(0, u32::from);
                for (i, best) in qa.best.iter_mut().enumerate() {
                    *best = WEIGHTS[i]
                        * if is_substring_field(i) {
                            substring
                        } else {
                            fuzzy
                        };
                }
                qa
            })
            .collect();
        Scorer {
            atoms,
            matcher,
            bufs: Default::default(),
        }
    }

    /// True when the query has no atoms (everything matches with score 0).
    pub fn is_empty(&self) -> bool {
        self.atoms.is_empty()
    }

    /// The characters every matching reply has somewhere (for a stored prefilter).
    pub fn mask(&self) -> Mask {
        self.atoms
            .iter()
            .fold(Mask::default(), |m, a| m.union(a.mask))
    }

    /// The [`pair_mask`] bits every matching reply has when every atom is ASCII (none
    /// otherwise: a CJK atom may match a title whatever the pinyin holds), as the index's
    /// scan filters with them. For a stored prefilter, like [`Scorer::mask`].
    pub fn pair_needle(&self) -> Mask {
        if self.atoms.iter().all(|a| a.ascii) {
            self.atoms
                .iter()
                .fold(Mask::default(), |m, a| m.union(needle_pairs(&a.lower)))
        } else {
            Mask::default()
        }
    }

    /// Each field's [`Mask`] as the index keeps them, in the order [`Scorer::upper_bound`]
    /// and [`Scorer::score_masked`] take them: title, tags, pinyin, initials, body, tags'
    /// pinyin (title, tags and body normalised).
    pub fn field_masks(f: &SearchFields<'_>) -> [Mask; FIELDS] {
        [f.title, f.tags, f.pinyin, f.initials, f.body, f.tags_pinyin].map(Mask::of)
    }

    /// [`Scorer::field_masks`] with the body's mask known already (`Mask::of(f.body)`,
    /// kept beside the row): the body is the long field.
    pub fn field_masks_with_body(f: &SearchFields<'_>, body: Mask) -> [Mask; FIELDS] {
        let mut m = [f.title, f.tags, f.pinyin, f.initials, "", f.tags_pinyin].map(Mask::of);
        m[F_BODY] = body;
        m
    }

    /// The most a reply can score judging by its field masks alone ([`Scorer::field_masks`]):
    /// the index skips a reply whose bound (plus its usage boost) cannot enter a full
    /// result list, and so may any scan that ranks like it. Without the reply's
    /// [`topic::Shape`] an atom's topic bonus counts at its most ([`topic::MAX`]) wherever
    /// the masks let the title or tags hold it.
    pub fn upper_bound(&self, code: &str, masks: &[Mask; FIELDS]) -> u32 {
        upper_bound(&self.atoms, code, masks, |qa, covers| {
            let fields: &[usize] = if qa.ascii {
                &[F_INITIALS, F_PINYIN, F_TAG_PINYIN]
            } else {
                &[F_TITLE, F_TAGS]
            };
            if fields.iter().any(|&i| covers[i]) {
                topic::MAX
            } else {
                0
            }
        })
    }

    /// [`Scorer::upper_bound`] with the reply's [`topic::Shape`] known ([`topic_shape`]):
    /// the bound the in-memory index prunes by, for a scan that keeps the shape.
    pub(crate) fn upper_bound_shaped(
        &self,
        code: &str,
        masks: &[Mask; FIELDS],
        shape: &topic::Shape,
    ) -> u32 {
        upper_bound(&self.atoms, code, masks, |qa, covers| {
            shape_bound(shape, qa, covers)
        })
    }

    /// [`Scorer::score`] given the fields' masks ([`Scorer::field_masks`]): the same score
    /// (the masks only skip fields that cannot match, as in the index), without converting
    /// the text of fields no atom's characters are all in.
    pub fn score_masked(&mut self, f: &SearchFields<'_>, masks: &[Mask; FIELDS]) -> Option<u32> {
        let atoms = &self.atoms;
        let wanted = |i: usize| atoms.iter().any(|qa| masks[i].covers(qa.mask));
        let [b0, b1, b2, b3, b4, b5] = &mut self.bufs;
        let empty: &[u8] = &[];
        let texts = [
            if wanted(F_TITLE) {
                Utf32Str::new(f.title, b0)
            } else {
                Utf32Str::Ascii(empty)
            },
            if wanted(F_TAGS) {
                Utf32Str::new(f.tags, b1)
            } else {
                Utf32Str::Ascii(empty)
            },
            if wanted(F_PINYIN) {
                Utf32Str::new(f.pinyin, b2)
            } else {
                Utf32Str::Ascii(empty)
            },
            if wanted(F_INITIALS) {
                Utf32Str::new(f.initials, b3)
            } else {
                Utf32Str::Ascii(empty)
            },
            if wanted(F_BODY) {
                Utf32Str::new(f.body, b4)
            } else {
                Utf32Str::Ascii(empty)
            },
            if wanted(F_TAG_PINYIN) {
                Utf32Str::new(f.tags_pinyin, b5)
            } else {
                Utf32Str::Ascii(empty)
            },
        ];
        score_fields(&self.atoms, &mut self.matcher, f.code, &texts, masks)
    }

    /// Whether every atom occurs as typed in the reply (see [`is_strong`]); the fields as
    /// for [`Scorer::score`].
    pub fn is_strong(&mut self, f: &SearchFields<'_>) -> bool {
        let [b0, b1, b2, b3, b4, b5] = &mut self.bufs;
        let texts = [
            Utf32Str::new(f.title, b0),
            Utf32Str::new(f.tags, b1),
            Utf32Str::new(f.pinyin, b2),
            Utf32Str::new(f.initials, b3),
            Utf32Str::new("", b4),
            Utf32Str::new(f.tags_pinyin, b5),
        ];
        is_strong(&self.atoms, f.code, &texts)
    }

    /// The match score of a reply given as plain strings, or `None` if some atom
    /// matches no field. Title, tags and body must be normalised ([`normalize_text`]),
    /// as the store's search rows and the index's entries are.
    pub fn score(&mut self, f: &SearchFields<'_>) -> Option<u32> {
        let [b0, b1, b2, b3, b4, b5] = &mut self.bufs;
        let texts = [
            Utf32Str::new(f.title, b0),
            Utf32Str::new(f.tags, b1),
            Utf32Str::new(f.pinyin, b2),
            Utf32Str::new(f.initials, b3),
            Utf32Str::new(f.body, b4),
            Utf32Str::new(f.tags_pinyin, b5),
        ];
        score_fields(
            &self.atoms,
            &mut self.matcher,
            f.code,
            &texts,
            &[Mask::ALL; FIELDS],
        )
    }
}

fn score_fields(
    atoms: &[QueryAtom],
    matcher: &mut Matcher,
    code: &str,
    texts: &[Utf32Str<'_>; FIELDS],
    masks: &[Mask; FIELDS],
) -> Option<u32> {
    let mut total = 0u32;
    for qa in atoms {
        let mut best = 0u32;
        if qa.ascii && !code.is_empty() {
            if code == qa.lower {
                best = CODE_EXACT;
            } else if code.starts_with(&qa.lower) {
                best = CODE_PREFIX;
            }
        }
        if best < CODE_EXACT {
            let mut field = |i: usize| -> u32 {
                let substring = is_substring_field(i);
                if !masks[i].covers(qa.mask) || !could_match(&qa.lower, texts[i], substring) {
                    return 0;
                }
                // A word typed as it stands in the title, a tag or the initials counts
                // the same wherever it stands: Chinese titles put their topic last
                // (`怎么查物流`, `开发票`) as often as first (`物流绕路了`), and the
                // matcher's bonus for the start would prefer the latter. [`topic_bonus`]
                // decides between them.
                if (i == F_TITLE || i == F_TAGS || i == F_INITIALS)
                    && qa.long
                    && contains(texts[i], &qa.lower)
                {
                    return qa.best[i];
                }
                let atom = if substring { &qa.substring } else { &qa.atom };
                atom.score(texts[i], matcher)
                    .map_or(0, |s| WEIGHTS[i] * u32::from(s))
            };
            best = best.max(field(F_TITLE)).max(field(F_TAGS));
            if qa.ascii {
                best = best
                    .max(field(F_PINYIN))
                    .max(field(F_INITIALS))
                    .max(field(F_TAG_PINYIN));
            }
            // Body text only for short atoms: a long Chinese atom (a whole question)
            // scattered over a paragraph is noise; [`Question`] handles those.
            if best == 0 && (qa.ascii || qa.lower.chars().count() <= BODY_MAX_CJK_ATOM) {
                best = field(F_BODY);
            }
            if best > 0 {
                best += topic_bonus(qa, texts, masks);
                if !qa.initials.is_empty() && code == qa.initials {
                    best += CODE_WORD;
                }
            }
        }
        if best == 0 {
            return None;
        }
        total = total.saturating_add(best);
    }
    Some(total)
}

/// [`topic::bonus`] of an atom for a reply's fields: a Chinese atom against the title and
/// tags, an ASCII one against their pinyin and initials.
fn topic_bonus(qa: &QueryAtom, texts: &[Utf32Str<'_>; FIELDS], masks: &[Mask; FIELDS]) -> u32 {
    let fields: &[usize] = if qa.ascii {
        &[F_INITIALS, F_PINYIN, F_TAG_PINYIN]
    } else {
        &[F_TITLE, F_TAGS]
    };
    if !fields.iter().any(|&i| masks[i].covers(qa.mask)) {
        return 0;
    }
    let (titles, tags, tag_sep) = if qa.ascii {
        (
            &[texts[F_INITIALS], texts[F_PINYIN]][..],
            texts[F_TAG_PINYIN],
            ' ',
        )
    } else {
        (&[texts[F_TITLE]][..], texts[F_TAGS], '\n')
    };
    topic::bonus(
        &qa.lower,
        &topic::Topic {
            titles,
            tags,
            tag_sep,
        },
    )
}

/// Whether every atom occurs as typed (contiguously, ignoring case) in the title or the
/// tags, is the shortcut code or a prefix of it, or (ASCII) occurs in the pinyin or
/// initials: a strict hit that is better evidence than a whole question's words.
fn is_strong(atoms: &[QueryAtom], code: &str, texts: &[Utf32Str<'_>; FIELDS]) -> bool {
    atoms.iter().all(|qa| {
        (qa.ascii && !code.is_empty() && code.starts_with(&qa.lower))
            || contains(texts[F_TITLE], &qa.lower)
            || contains(texts[F_TAGS], &qa.lower)
            || (qa.ascii
                && [F_PINYIN, F_INITIALS, F_TAG_PINYIN]
                    .iter()
                    .any(|&i| contains(texts[i], &qa.lower)))
    })
}

/// Whether `needle` (lowercase) occurs in `hay`, ignoring case.
fn contains(hay: Utf32Str<'_>, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    match hay {
        Utf32Str::Ascii(b) => {
            needle.is_ascii()
                && b.windows(needle.len())
                    .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
        }
        Utf32Str::Unicode(c) => c.windows(needle.chars().count()).any(|w| {
            w.iter()
                .zip(needle.chars())
                .all(|(a, b)| *a == b || a.to_lowercase().eq(std::iter::once(b)))
        }),
    }
}

/// A fast exact pre-check before the matcher runs: can `needle` (lowercase) occur in
/// `hay` as a subsequence (or, with `substring`, contiguously)? Only decides where the
/// answer is certain without Unicode normalisation (ASCII text, CJK characters);
/// anything else is left to the matcher.
fn could_match(needle: &str, hay: Utf32Str<'_>, substring: bool) -> bool {
    const CJK: u32 = 0x2E80;
    match hay {
        Utf32Str::Ascii(bytes) => {
            if !needle.is_ascii() {
                return false;
            }
            let n = needle.as_bytes();
            if substring {
                n.is_empty() || bytes.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
            } else {
                let mut it = n.iter();
                let mut want = it.next();
                for b in bytes {
                    match want {
                        Some(w) if b.to_ascii_lowercase() == *w => want = it.next(),
                        Some(_) => {}
                        None => break,
                    }
                }
                want.is_none()
            }
        }
        Utf32Str::Unicode(chars) => {
            // Needle characters we can compare exactly: ASCII (against ASCII) and CJK.
            if substring || needle.chars().any(|c| !c.is_ascii() && (c as u32) < CJK) {
                return true;
            }
            let mut it = needle.chars();
            let mut want = it.next();
            for &c in chars {
                let Some(w) = want else { break };
                if c.is_ascii() {
                    if c.to_ascii_lowercase() == w {
                        want = it.next();
                    }
                } else if (c as u32) < CJK {
                    // Might normalise to an ASCII letter (é → e): let the matcher decide.
                    return true;
                } else if c == w {
                    want = it.next();
                }
            }
            want.is_none()
        }
    }
}

/// The most a reply can score on `atoms` judging by its masks alone (cheap), given the
/// most each atom's topic bonus can be (`topic`, told which field masks cover the atom):
/// used to skip replies that cannot enter a full result list. The scan asks it twice:
/// with the bound of the reply's [`topic::Shape`] (no text read), then for the replies
/// that pass with the topic bonus itself (their title and tags read, no matcher run).
fn upper_bound(
    atoms: &[QueryAtom],
    code: &str,
    masks: &[Mask; FIELDS],
    topic: impl Fn(&QueryAtom, &[bool; FIELDS]) -> u32,
) -> u32 {
    let mut total = 0u32;
    for qa in atoms {
        let mut best = 0;
        if qa.ascii && !code.is_empty() && code.starts_with(&qa.lower) {
            best = if code == qa.lower {
                CODE_EXACT
            } else {
                CODE_PREFIX
            };
        }
        let covers = masks.map(|m| m.covers(qa.mask));
        for (i, covers) in covers.into_iter().enumerate() {
            if (qa.ascii || !is_substring_field(i)) && covers {
                best = best.max(qa.best[i]);
            }
        }
        if best < CODE_EXACT {
            best += topic(qa, &covers);
            if !qa.initials.is_empty() && code == qa.initials {
                best += CODE_WORD;
            }
        }
        total = total.saturating_add(best);
    }
    total
}

/// The [`topic::Shape`] of a reply whose title, tags and body are normalised already,
/// exactly as [`SearchIndex`] makes it (its texts converted as the index's arena does).
pub(crate) fn topic_shape(f: &SearchFields<'_>) -> topic::Shape {
    let mut bufs: [Vec<char>; 5] = Default::default();
    let [b0, b1, b2, b3, b4] = &mut bufs;
    topic::Shape::of(
        [
            Utf32Str::new(f.title, b0),
            Utf32Str::new(f.initials, b1),
            Utf32Str::new(f.pinyin, b2),
        ],
        [
            (Utf32Str::new(f.tags, b3), '\n'),
            (Utf32Str::new(f.tags_pinyin, b4), ' '),
        ],
    )
}

/// The bound of [`topic::bonus`] for an atom by a reply's [`topic::Shape`].
fn shape_bound(shape: &topic::Shape, qa: &QueryAtom, covers: &[bool; FIELDS]) -> u32 {
    shape.bound(
        qa.chars,
        qa.pairs,
        qa.ascii,
        [covers[F_TITLE], covers[F_INITIALS], covers[F_PINYIN]],
        covers[if qa.ascii { F_TAG_PINYIN } else { F_TAGS }],
    )
}

/// Where a field's text sits in the [`Arena`].
#[derive(Clone, Copy, Debug, Default)]
struct Span {
    unicode: bool,
    start: u32,
    len: u32,
}

/// All field texts of an index in two contiguous buffers (ASCII bytes, other text as
/// chars), in entry order: a scan then reads memory front to back instead of chasing one
/// allocation per field.
#[derive(Default)]
struct Arena {
    ascii: Vec<u8>,
    chars: Vec<char>,
}

impl Arena {
    fn add(&mut self, text: &str) -> Span {
        if text.is_ascii() {
            let start = self.ascii.len() as u32;
            self.ascii.extend_from_slice(text.as_bytes());
            Span {
                unicode: false,
                start,
                len: text.len() as u32,
            }
        } else {
            let start = self.chars.len() as u32;
            // The same grapheme handling as `Utf32Str::new`.
            self.chars.extend(nucleo_matcher::chars::graphemes(text));
            Span {
                unicode: true,
                start,
                len: self.chars.len() as u32 - start,
            }
        }
    }

    fn get(&self, s: Span) -> Utf32Str<'_> {
        let range = s.start as usize..(s.start + s.len) as usize;
        if s.unicode {
            Utf32Str::Unicode(&self.chars[range])
        } else {
            Utf32Str::Ascii(&self.ascii[range])
        }
    }
}

/// Which libraries' replies a search keeps.
type Keep<'a> = dyn Fn(Uuid) -> bool + Sync + 'a;

struct Entry {
    id: Uuid,
    library: Uuid,
    code: Box<str>,
    texts: [Span; FIELDS],
    masks: [Mask; FIELDS],
    boost: u32,
}

/// An in-memory search index for the desktop app: the same ranking as
/// [`crate::Store::search`], with each field pre-converted for the matcher and a
/// character mask per field, scanned on all cores. Build it with
/// [`crate::Store::search_index`] and keep it current with [`SearchIndex::upsert`].
#[derive(Default)]
pub struct SearchIndex {
    entries: Vec<Entry>,
    arena: Arena,
    /// Per entry, the union of its field masks, kept apart from the entries so that the
    /// first filter of a scan reads 32 contiguous bytes per reply.
    summary: Vec<Mask>,
    /// Per entry, the [`pair_mask`] of all its fields.
    pairs: Vec<Mask>,
    /// Per entry, its [`topic::Shape`] (apart: read only where a topic field may match).
    shapes: Vec<topic::Shape>,
    /// Synonyms besides the built-in ones (the libraries' `搜索同义词`).
    synonyms: Synonyms,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("entries", &self.entries.len())
            .finish()
    }
}

impl SearchIndex {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The synonyms used besides the built-in table.
    pub fn synonyms(&self) -> &Synonyms {
        &self.synonyms
    }

    /// Synonyms to use besides the built-in table (see [`Synonyms`]).
    pub fn set_synonyms(&mut self, synonyms: Synonyms) {
        self.synonyms = synonyms;
    }

    fn entry(
        &mut self,
        id: Uuid,
        library: Uuid,
        f: &SearchFields<'_>,
        boost: u32,
    ) -> (Entry, Mask, Mask, topic::Shape) {
        let (title, tags, body) = (
            normalize_text(f.title),
            normalize_text(f.tags),
            normalize_text(f.body),
        );
        let f = &SearchFields {
            title: &title,
            tags: &tags,
            body: &body,
            ..f.clone()
        };
        let texts = [f.title, f.tags, f.pinyin, f.initials, f.body, f.tags_pinyin];
        let pairs = pair_mask(
            &[f.title, f.code, f.tags, f.body],
            &[f.pinyin, f.initials, f.tags_pinyin],
        );
        let masks = texts.map(Mask::of);
        let summary = masks.iter().fold(Mask::of(f.code), |m, f| m.union(*f));
        let spans = texts.map(|t| self.arena.add(t));
        let t = |i: usize| self.arena.get(spans[i]);
        let shape = topic::Shape::of(
            [t(F_TITLE), t(F_INITIALS), t(F_PINYIN)],
            [(t(F_TAGS), '\n'), (t(F_TAG_PINYIN), ' ')],
        );
        let entry = Entry {
            id,
            library,
            code: f.code.into(),
            masks,
            texts: spans,
            boost,
        };
        (entry, summary, pairs, shape)
    }

    /// Append a reply known not to be in the index yet (bulk building).
    pub(crate) fn push(&mut self, id: Uuid, library: Uuid, f: &SearchFields<'_>, boost: u32) {
        let (entry, summary, pairs, shape) = self.entry(id, library, f, boost);
        self.entries.push(entry);
        self.summary.push(summary);
        self.pairs.push(pairs);
        self.shapes.push(shape);
    }

    /// Add or replace a reply.
    pub fn upsert(&mut self, id: Uuid, library: Uuid, f: &SearchFields<'_>, boost: u32) {
        match self.entries.iter().position(|e| e.id == id) {
            Some(i) => {
                let (entry, summary, pairs, shape) = self.entry(id, library, f, boost);
                self.entries[i] = entry;
                self.summary[i] = summary;
                self.pairs[i] = pairs;
                self.shapes[i] = shape;
            }
            None => self.push(id, library, f, boost),
        }
    }

    pub fn remove(&mut self, id: Uuid) {
        if let Some(i) = self.entries.iter().position(|e| e.id == id) {
            self.entries.remove(i);
            self.summary.remove(i);
            self.pairs.remove(i);
            self.shapes.remove(i);
        }
    }

    /// Change a reply's usage boost (after it was fired).
    pub fn set_boost(&mut self, id: Uuid, boost: u32) {
        if let Some(e) = self.entries.iter_mut().find(|e| e.id == id) {
            e.boost = boost;
        }
    }

    fn scan(
        &self,
        query: &str,
        range: std::ops::Range<usize>,
        keep: &Keep<'_>,
        limit: usize,
        want_strong: bool,
    ) -> TopK<(Uuid, bool)> {
        let scorer = Scorer::new(query);
        let needle = scorer.mask();
        let Scorer {
            atoms, mut matcher, ..
        } = scorer;
        // Pairs only filter when every atom is ASCII (a CJK atom may match a title
        // whatever the pinyin holds).
        let pairs = if atoms.iter().all(|a| a.ascii) {
            atoms
                .iter()
                .fold(Mask::default(), |m, a| m.union(needle_pairs(&a.lower)))
        } else {
            Mask::default()
        };
        let mut top = TopK::new(limit);
        let entries = &self.entries[range.clone()];
        let summaries = &self.summary[range.clone()];
        let entry_pairs = &self.pairs[range.clone()];
        let shapes = &self.shapes[range];
        for (((e, summary), ep), shape) in
            entries.iter().zip(summaries).zip(entry_pairs).zip(shapes)
        {
            if !summary.covers(needle) || !ep.covers(pairs) || !keep(e.library) {
                continue;
            }
            let mut texts = None;
            if let Some(min) = top.threshold()
                && !atoms.is_empty()
            {
                let by_shape = upper_bound(&atoms, &e.code, &e.masks, |qa, covers| {
                    shape_bound(shape, qa, covers)
                });
                if by_shape.saturating_add(e.boost) <= min {
                    continue;
                }
                let t = texts.insert(e.texts.map(|t| self.arena.get(t)));
                let by_topic = upper_bound(&atoms, &e.code, &e.masks, |qa, _| {
                    topic_bonus(qa, t, &e.masks)
                });
                if by_topic.saturating_add(e.boost) <= min {
                    continue;
                }
            }
            let texts = texts.unwrap_or_else(|| e.texts.map(|t| self.arena.get(t)));
            let score = if atoms.is_empty() {
                Some(e.boost)
            } else {
                score_fields(&atoms, &mut matcher, &e.code, &texts, &e.masks).map(|s| s + e.boost)
            };
            if let Some(score) = score
                && top.admits(score)
            {
                let strong = want_strong && is_strong(&atoms, &e.code, &texts);
                top.push(score, (e.id, strong));
            }
        }
        top
    }

    /// Ranked search, best first; a full question falls back to [`Question`] matching.
    pub fn search(&self, query: &str, library: Option<Uuid>, limit: usize) -> Vec<Hit<Uuid>> {
        self.search_where(query, &|l| library.is_none_or(|x| x == l), limit)
    }

    /// [`SearchIndex::search`] over the replies of the given libraries only (`None`: all),
    /// e.g. the panel's personal / team switch.
    pub fn search_libraries(
        &self,
        query: &str,
        libraries: Option<&[Uuid]>,
        limit: usize,
    ) -> Vec<Hit<Uuid>> {
        self.search_where(
            query,
            &|l| libraries.is_none_or(|ls| ls.contains(&l)),
            limit,
        )
    }

    fn search_where(&self, query: &str, keep: &Keep<'_>, limit: usize) -> Vec<Hit<Uuid>> {
        let question = Question::new(query, &self.synonyms);
        let strict = self.search_strict(query, keep, limit, question.is_some());
        let Some(q) = question else {
            return without_strength(strict);
        };
        if strict.iter().filter(|h| h.key.1).count() >= limit {
            return without_strength(strict);
        }
        let mut found = Vec::new();
        let mut total = 0;
        for (e, summary) in self.entries.iter().zip(&self.summary) {
            if !keep(e.library) {
                continue;
            }
            total += 1;
            if !q.may_match(*summary) {
                continue;
            }
            let t = |f: usize| self.arena.get(e.texts[f]);
            let c = q.counts_in([t(F_TITLE), t(F_TAGS)], t(F_BODY));
            if c.any() {
                found.push((e.id, e.boost, c));
            }
        }
        merge_question_hits(strict, q.rank(&found, total, limit), limit)
    }

    fn search_strict(
        &self,
        query: &str,
        keep: &Keep<'_>,
        limit: usize,
        want_strong: bool,
    ) -> Vec<Hit<(Uuid, bool)>> {
        let n = self.entries.len();
        let threads = rayon::current_num_threads().min(8);
        if threads < 2 || n < 20_000 {
            return self.scan(query, 0..n, keep, limit, want_strong).into_hits();
        }
        // rayon's pool keeps its threads: no thread is started per keystroke.
        let chunk = n.div_ceil(threads);
        let parts: Vec<Vec<Hit<(Uuid, bool)>>> = {
            use rayon::prelude::*;
            (0..threads)
                .into_par_iter()
                .map(|i| {
                    let range = (i * chunk).min(n)..((i + 1) * chunk).min(n);
                    self.scan(query, range, keep, limit, want_strong)
                        .into_hits()
                })
                .collect()
        };
        // Chunks are in index order, so pushing them in order keeps ties stable.
        let mut top = TopK::new(limit);
        for hit in parts.into_iter().flatten() {
            top.push(hit.score, hit.key);
        }
        top.into_hits()
    }
}

/// Character bigrams of a text (whitespace and ASCII punctuation dropped), sorted and
/// deduplicated: the unit of near-duplicate detection.
pub fn bigrams(chars: impl Iterator<Item = char>) -> Vec<u64> {
    let chars: Vec<char> = chars
        .filter(|c| !c.is_whitespace() && !c.is_ascii_punctuation() && !is_cjk_punct(*c))
        .flat_map(char::to_lowercase)
        .collect();
    let mut v: Vec<u64> = chars
        .windows(2)
        .map(|w| (u64::from(w[0] as u32) << 32) | u64::from(w[1] as u32))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Strict hits without their strength (a query that is no question).
pub fn without_strength(strict: Vec<Hit<(Uuid, bool)>>) -> Vec<Hit<Uuid>> {
    strict
        .into_iter()
        .map(|h| Hit {
            key: h.key.0,
            score: h.score,
        })
        .collect()
}

/// A question's result: strict hits that have every atom as typed (`true`) first, then
/// the question's ranking, then the other strict hits, each reply once, up to `limit`.
pub fn merge_question_hits(
    strict: Vec<Hit<(Uuid, bool)>>,
    question: Vec<Hit<Uuid>>,
    limit: usize,
) -> Vec<Hit<Uuid>> {
    let (strong, weak): (Vec<_>, Vec<_>) = strict.into_iter().partition(|h| h.key.1);
    let mut out: Vec<Hit<Uuid>> = without_strength(strong);
    for h in question.into_iter().chain(without_strength(weak)) {
        if out.len() >= limit {
            break;
        }
        if !out.iter().any(|s| s.key == h.key) {
            out.push(h);
        }
    }
    out.truncate(limit);
    out
}

/// Strict hits first, then question hits not already listed, up to `limit`.
pub fn with_question_hits(
    strict: Vec<Hit<Uuid>>,
    question: Vec<Hit<Uuid>>,
    limit: usize,
) -> Vec<Hit<Uuid>> {
    let mut out = strict;
    for h in question {
        if out.len() >= limit {
            break;
        }
        if !out.iter().any(|s| s.key == h.key) {
            out.push(h);
        }
    }
    out
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

    /// The score a new hit must beat once the list is full.
    pub fn threshold(&self) -> Option<u32> {
        if self.limit == 0 {
            return Some(u32::MAX);
        }
        (self.hits.len() == self.limit).then(|| self.hits.last().map_or(0, |h| h.0))
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
mod tests;

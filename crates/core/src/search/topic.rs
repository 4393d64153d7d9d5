//! What a reply is *about*: a bonus for a query atom that is the reply's topic rather
//! than a passing word in it.
//!
//! The matcher scores where and how tightly an atom occurs; it cannot tell `发票` in
//! `开发票` (the reply about invoices) from `发票` in `退货后的发票` (a reply about
//! something else that mentions invoices), and it favours a title that *starts* with
//! the atom. A bare keyword or initials typed by an agent (`发票`, `wl`, `ts`) means the
//! reply about that topic, so on top of the best field score an atom earns:
//!
//! * the whole title typed (`开发票`, or its initials `kfp` / pinyin `kaifapiao`);
//! * the share of the title it covers when it occurs in it contiguously: a short title
//!   made mostly of the keyword is about it, a long one mentions it;
//! * a tag that *is* the atom (`发票`, or a tag's pinyin / initials): tags are the
//!   author's own keywords for the reply;
//! * each further tag containing it (up to [`TAG_EACH_MAX`]).
//!
//! Atoms of one character (or one letter) earn only the exact bonuses: as a substring
//! they are in too many words to mean anything.

use nucleo_matcher::Utf32Str;

use super::Mask;

/// The whole title typed (or its whole pinyin / initials).
pub(super) const EXACT_TITLE: u32 = 320;
/// Times the share of the title the atom covers (contiguously).
pub(super) const COVER: u32 = 240;
/// A tag that is the atom.
pub(super) const EXACT_TAG: u32 = 240;
/// Each tag that contains the atom.
pub(super) const TAG_EACH: u32 = 40;
/// Tags counted for [`TAG_EACH`].
pub(super) const TAG_EACH_MAX: u32 = 3;
/// The most [`bonus`] gives an atom, whatever the reply (a bound for a scan that keeps
/// no [`Shape`]).
pub(super) const MAX: u32 = EXACT_TITLE + EXACT_TAG + TAG_EACH * TAG_EACH_MAX;

/// The text of one field (title, its pinyin or initials) or the separated words of one
/// field (tags, tag pinyin), as stored in the index.
pub(super) struct Topic<'a> {
    /// Texts the whole title is written as: for a Chinese atom the title, for an ASCII
    /// one the title's initials and pinyin (an English title is its own pinyin).
    pub titles: &'a [Utf32Str<'a>],
    /// Text of the tags and the character that separates them.
    pub tags: Utf32Str<'a>,
    pub tag_sep: char,
}

/// The topic bonus of `needle` (lowercase) for a reply; see the module documentation.
pub(super) fn bonus(needle: &str, topic: &Topic<'_>) -> u32 {
    let n = needle.chars().count();
    if n == 0 {
        return 0;
    }
    let mut title = 0;
    for t in topic.titles {
        let len = t.len();
        if len == 0 {
            continue;
        }
        if eq_ignoring_spaces(*t, needle) {
            title = EXACT_TITLE;
            break;
        }
        if n > 1 && super::contains(*t, needle) {
            title = title.max(COVER * n as u32 / len as u32);
        }
    }
    let (mut exact, mut containing) = (false, 0u32);
    for_each_word(topic.tags, topic.tag_sep, |w| {
        if eq_ignoring_spaces(w, needle) {
            exact = true;
        } else if n > 1 && super::contains(w, needle) {
            containing += 1;
        }
    });
    title + if exact { EXACT_TAG } else { 0 } + TAG_EACH * containing.min(TAG_EACH_MAX)
}

/// What the scan's upper bound may know of a reply's topic fields without reading them:
/// which pairs of adjacent characters they have (an atom of two or more characters can
/// only be in a text that has all its pairs), how long the titles are (the share an atom
/// can cover; whether it can be the whole title), which lengths the tags have (whether
/// one can be the atom) and how many there are. Built once per reply by [`Shape::of`];
/// [`Shape::bound`] is never below [`bonus`] (`the_bound_is_never_below_the_bonus`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Shape {
    /// [`pairs`] of the title, its initials and its pinyin.
    title_pairs: Mask,
    /// [`pairs`] of the tags and their pinyin and initials.
    tag_pairs: Mask,
    /// [`pairs`] of the tag words of three or more characters, each on its own: only
    /// these can contain an atom of two or more characters without being it.
    long_tag_pairs: Mask,
    /// Characters other than spaces of the title, its initials, its pinyin.
    title_len: [u16; 3],
    /// Per tag text (tags, their pinyin): a bit for each length (characters other than
    /// spaces, 63 for longer) of its words.
    tag_lens: [u64; 2],
    /// Per tag text, how many words it has (at most 255).
    tag_words: [u8; 2],
}

/// Which of the title texts in [`Shape`] (and [`Topic::titles`]) an atom is held against:
/// a Chinese atom the title, an ASCII one its initials and pinyin.
pub(super) const CJK_TITLES: &[usize] = &[0];
pub(super) const ASCII_TITLES: &[usize] = &[1, 2];

impl Shape {
    /// Bytes of [`Shape::to_bytes`]: the on-disk search cache keeps one per reply.
    pub(crate) const BYTES: usize = 3 * 32 + 3 * 2 + 2 * 8 + 2;

    /// The shape as bytes (little-endian, fields in declaration order).
    pub(crate) fn to_bytes(self) -> [u8; Self::BYTES] {
        let mut out = [0u8; Self::BYTES];
        let words = [self.title_pairs, self.tag_pairs, self.long_tag_pairs]
            .into_iter()
            .flat_map(|m| m.0)
            .chain(self.tag_lens);
        let mut at = 0;
        for w in words {
            out[at..at + 8].copy_from_slice(&w.to_le_bytes());
            at += 8;
            if at == 96 {
                // The title lengths sit between the masks and the tag lengths.
                for l in self.title_len {
                    out[at..at + 2].copy_from_slice(&l.to_le_bytes());
                    at += 2;
                }
            }
        }
        out[at..].copy_from_slice(&self.tag_words);
        out
    }

    /// The shape [`Shape::to_bytes`] wrote.
    pub(crate) fn from_bytes(b: &[u8; Self::BYTES]) -> Shape {
        let u64_at = |at: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[at..at + 8]);
            u64::from_le_bytes(a)
        };
        let mask_at = |at: usize| Mask([0, 1, 2, 3].map(|i| u64_at(at + 8 * i)));
        let u16_at = |at: usize| u16::from_le_bytes([b[at], b[at + 1]]);
        Shape {
            title_pairs: mask_at(0),
            tag_pairs: mask_at(32),
            long_tag_pairs: mask_at(64),
            title_len: [u16_at(96), u16_at(98), u16_at(100)],
            tag_lens: [u64_at(102), u64_at(110)],
            tag_words: [b[118], b[119]],
        }
    }

    /// The shape of a reply's title, initials, pinyin (`titles`) and its tags and tag
    /// pinyin (each text with its word separator).
    pub(super) fn of(titles: [Utf32Str<'_>; 3], tags: [(Utf32Str<'_>, char); 2]) -> Shape {
        let mut shape = Shape {
            title_pairs: titles
                .iter()
                .fold(Mask::default(), |m, t| m.union(pairs(chars(*t)))),
            tag_pairs: tags
                .iter()
                .fold(Mask::default(), |m, (t, _)| m.union(pairs(chars(*t)))),
            title_len: titles.map(|t| non_space_len(t).min(usize::from(u16::MAX)) as u16),
            ..Shape::default()
        };
        for (k, (text, sep)) in tags.into_iter().enumerate() {
            for_each_word(text, sep, |w| {
                let len = non_space_len(w);
                shape.tag_lens[k] |= 1 << len.min(63);
                shape.tag_words[k] = shape.tag_words[k].saturating_add(1);
                if len >= 3 {
                    shape.long_tag_pairs = shape.long_tag_pairs.union(pairs(chars(w)));
                }
            });
        }
        shape
    }

    /// The most [`bonus`] can give an atom of `n` characters whose [`pairs`] are
    /// `needle_pairs`: `ascii` picks the texts as [`Topic`] does; `title_may` says per
    /// title text whether its character mask covers the atom, `tags_may` the same for
    /// the tag text. Reads nothing of the shape where the masks rule the texts out.
    pub(super) fn bound(
        &self,
        n: usize,
        needle_pairs: Mask,
        ascii: bool,
        title_may: [bool; 3],
        tags_may: bool,
    ) -> u32 {
        let titles = if ascii { ASCII_TITLES } else { CJK_TITLES };
        if n == 0 || !(tags_may || titles.iter().any(|&i| title_may[i])) {
            return 0;
        }
        let mut title = 0;
        if self.title_pairs.covers(needle_pairs) {
            for &i in titles {
                let len = usize::from(self.title_len[i]);
                if !title_may[i] || len == 0 {
                    continue;
                }
                if len == n {
                    title = EXACT_TITLE;
                } else if n > 1 && len > n {
                    // The share of a text of at least `len` characters.
                    title = title.max(COVER * n as u32 / len as u32);
                }
            }
        }
        let mut tags = 0;
        if tags_may && self.tag_pairs.covers(needle_pairs) {
            let k = usize::from(ascii);
            let exact = self.tag_lens[k] & (1 << n.min(63)) != 0;
            let words = u32::from(self.tag_words[k]) - u32::from(exact);
            tags = if exact { EXACT_TAG } else { 0 }
                + if n > 1 && self.long_tag_pairs.covers(needle_pairs) {
                    TAG_EACH * words.min(TAG_EACH_MAX)
                } else {
                    0
                };
        }
        title + tags
    }
}

/// The characters of a text.
fn chars(text: Utf32Str<'_>) -> impl Iterator<Item = char> + '_ {
    let (ascii, unicode) = match text {
        Utf32Str::Ascii(b) => (Some(b.iter().map(|c| *c as char)), None),
        Utf32Str::Unicode(c) => (None, Some(c.iter().copied())),
    };
    ascii
        .into_iter()
        .flatten()
        .chain(unicode.into_iter().flatten())
}

fn non_space_len(text: Utf32Str<'_>) -> usize {
    chars(text).filter(|c| *c != ' ').count()
}

/// A character as [`bonus`] compares it (lowercase where that is one character).
fn lower(c: char) -> char {
    let mut l = c.to_lowercase();
    match (l.next(), l.next()) {
        (Some(one), None) => one,
        _ => c,
    }
}

/// The set of pairs of adjacent characters of a text (lowercase, spaces skipped: a title
/// is the atom ignoring its spaces), hashed into a [`Mask`]: every text that contains an
/// atom, or is it, has the atom's pairs.
pub(super) fn pairs(text: impl Iterator<Item = char>) -> Mask {
    let mut m = [0u64; 4];
    let mut prev: Option<char> = None;
    for c in text.filter(|c| *c != ' ').map(lower) {
        if let Some(p) = prev {
            let h =
                ((p as u32).wrapping_mul(0x85EB_CA6B) ^ c as u32).wrapping_mul(0x9E37_79B1) >> 24;
            m[(h >> 6) as usize] |= 1u64 << (h & 63);
        }
        prev = Some(c);
    }
    Mask(m)
}

/// Call `f` with every non-empty piece of `text` between `sep` characters (trimmed of
/// spaces).
fn for_each_word(text: Utf32Str<'_>, sep: char, mut f: impl FnMut(Utf32Str<'_>)) {
    match text {
        Utf32Str::Ascii(b) => {
            let sep = sep as u8;
            for w in b.split(|c| *c == sep) {
                let w = w.trim_ascii();
                if !w.is_empty() {
                    f(Utf32Str::Ascii(w));
                }
            }
        }
        Utf32Str::Unicode(c) => {
            for w in c.split(|c| *c == sep) {
                let start = w.iter().position(|c| *c != ' ').unwrap_or(w.len());
                let end = w.iter().rposition(|c| *c != ' ').map_or(start, |e| e + 1);
                if start < end {
                    f(Utf32Str::Unicode(&w[start..end]));
                }
            }
        }
    }
}

/// Whether `hay` is `needle` (lowercase), ignoring case and spaces in `hay` (a title's
/// pinyin has a space where the title has punctuation).
fn eq_ignoring_spaces(hay: Utf32Str<'_>, needle: &str) -> bool {
    match hay {
        Utf32Str::Ascii(b) => {
            needle.is_ascii() && {
                let mut want = needle.bytes();
                b.iter()
                    .filter(|c| **c != b' ')
                    .all(|c| want.next().is_some_and(|w| w == c.to_ascii_lowercase()))
                    && want.next().is_none()
            }
        }
        Utf32Str::Unicode(c) => {
            let mut want = needle.chars();
            c.iter()
                .filter(|c| **c != ' ')
                .all(|c| want.next().is_some_and(|w| w == *c || lower(*c) == w))
                && want.next().is_none()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf32(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    fn cjk<'a>(title: &'a [char], tags: &'a [char]) -> (Vec<Utf32Str<'a>>, Utf32Str<'a>) {
        (vec![Utf32Str::Unicode(title)], Utf32Str::Unicode(tags))
    }

    fn of(needle: &str, title: &str, tags: &str) -> u32 {
        let (t, g) = (utf32(title), utf32(tags));
        let (titles, tags) = cjk(&t, &g);
        bonus(
            needle,
            &Topic {
                titles: &titles,
                tags,
                tag_sep: '\n',
            },
        )
    }

    #[test]
    fn the_reply_about_a_keyword_beats_one_that_mentions_it() {
        // The invoice reply (short title, the keyword as a tag) over one that mentions it.
        assert!(of("发票", "开发票", "发票\n开票\n报销") > of("发票", "发票开错了", "重开发票"));
        // A short title made mostly of the keyword over a long one that starts with it.
        assert!(of("发货", "发货时间", "") > of("发货", "发货前改地址", ""));
        // More of the author's tags about it.
        assert!(of("快递", "能指定快递吗", "选快递\n换快递") > of("快递", "快递到不了", "不派送"));
        assert_eq!(of("发票", "开发票", ""), COVER * 2 / 3);
        assert_eq!(of("开发票", "开发票", ""), EXACT_TITLE);
        assert_eq!(of("发票", "其他", " 发票 \n发票抬头"), EXACT_TAG + TAG_EACH);
        assert_eq!(of("发票", "其他", "没有"), 0);
    }

    #[test]
    fn single_characters_count_only_whole() {
        assert_eq!(of("退", "退货怎么申请", "退货\n退款"), 0);
        assert_eq!(of("退", "其他", "退"), EXACT_TAG);
    }

    #[test]
    fn initials_and_pinyin_of_titles_and_tags() {
        // 扬言投诉: initials yyts, pinyin yangyantousu; tags 投诉 and 举报.
        let titles = [Utf32Str::Ascii(b"yyts"), Utf32Str::Ascii(b"yangyantousu")];
        let t = Topic {
            titles: &titles,
            tags: Utf32Str::Ascii(b"tousu jubao ts jb"),
            tag_sep: ' ',
        };
        assert_eq!(bonus("ts", &t), COVER * 2 / 4 + EXACT_TAG);
        assert_eq!(bonus("yyts", &t), EXACT_TITLE);
        assert_eq!(bonus("tousu", &t), COVER * 5 / 12 + EXACT_TAG);
        // A title's pinyin with a space for its punctuation is still the whole title.
        let titles = [Utf32Str::Ascii(b"th 7t")];
        let t = Topic {
            titles: &titles,
            tags: Utf32Str::Ascii(b""),
            tag_sep: ' ',
        };
        assert_eq!(bonus("th7t", &t), EXACT_TITLE);
        assert!(bonus("th7", &t) < EXACT_TITLE);
    }
}

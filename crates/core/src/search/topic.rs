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
/// The most [`bonus`] can give one atom (for the scan's upper bound).
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
    let mut want = needle.chars();
    let mut ok = true;
    let mut step = |c: char| {
        if c == ' ' || !ok {
            return;
        }
        ok = want
            .next()
            .is_some_and(|w| w == c || c.to_lowercase().eq(std::iter::once(w)));
    };
    match hay {
        Utf32Str::Ascii(b) => b.iter().for_each(|c| step(*c as char)),
        Utf32Str::Unicode(c) => c.iter().for_each(|c| step(*c)),
    }
    ok && want.next().is_none()
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

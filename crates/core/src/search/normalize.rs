//! The same normalisation for what a buyer types and for the replies searched: full-width
//! letters and digits become ASCII (`ＯＫ１２` → `OK12`) and traditional characters
//! simplified ones (`發貨` → `发货`, through
//! the `fast2s` table). Every change is one character for one character, so positions in
//! a normalised text are positions in the original.
//!
//! A query is then cleaned further ([`normalize_query`]): punctuation (`？`, `!`, `。`,
//! `~`, `……`) separates words instead of having to be matched, and politeness around a
//! question (`亲，`, `请问`, a trailing `呀` / `吗` / `呢` / `啊` / `哦` …) is dropped
//! as long as something of at least two characters is left (`在吗` stays `在吗`).

use std::borrow::Cow;
use std::sync::OnceLock;

/// First code point of the table of traditional characters.
const TRAD_FROM: u32 = 0x3400;
/// One past the last code point of the table.
const TRAD_TO: u32 = 0x1_0000;

/// A bit per character in `TRAD_FROM..TRAD_TO`: set where `fast2s` changes the
/// character on its own. Built once, on the first text that has a CJK character.
fn traditional() -> &'static [u64] {
    static TABLE: OnceLock<Vec<u64>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let all: String = (TRAD_FROM..TRAD_TO).filter_map(char::from_u32).collect();
        let converted = fast2s::convert(&all);
        let mut bits = vec![0u64; ((TRAD_TO - TRAD_FROM) as usize).div_ceil(64)];
        for (a, b) in all.chars().zip(converted.chars()) {
            if a != b {
                let i = (a as u32 - TRAD_FROM) as usize;
                bits[i / 64] |= 1 << (i % 64);
            }
        }
        bits
    })
}

/// Whether `fast2s` simplifies this character.
pub fn is_traditional(c: char) -> bool {
    let u = c as u32;
    if !(TRAD_FROM..TRAD_TO).contains(&u) {
        return false;
    }
    let i = (u - TRAD_FROM) as usize;
    traditional()[i / 64] & (1 << (i % 64)) != 0
}

/// A full-width letter or digit as its ASCII character. (Full-width punctuation stays:
/// queries treat it as a separator anyway, and nearly every Chinese reply has a `，`, so
/// mapping it would make every reply "changed" and every search normalise every row.)
fn half_width(c: char) -> Option<char> {
    match c as u32 {
        u @ (0xFF10..=0xFF19 | 0xFF21..=0xFF3A | 0xFF41..=0xFF5A) => {
            char::from_u32(u - 0xFF01 + 0x21)
        }
        _ => None,
    }
}

/// [`normalize_text`], borrowing the text when nothing changes (most replies).
pub fn normalize_text(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    let (mut wide, mut trad) = (false, false);
    for c in text.chars() {
        wide |= half_width(c).is_some();
        trad |= is_traditional(c);
    }
    if !wide && !trad {
        return Cow::Borrowed(text);
    }
    let simplified = if trad {
        fast2s::convert(text)
    } else {
        text.to_string()
    };
    if !wide {
        return Cow::Owned(simplified);
    }
    Cow::Owned(
        simplified
            .chars()
            .map(|c| half_width(c).unwrap_or(c))
            .collect(),
    )
}

/// CJK and general punctuation (besides ASCII punctuation).
pub(crate) fn is_cjk_punct(c: char) -> bool {
    matches!(c,
        '\u{2000}'..='\u{206F}' // general punctuation: … “ ” ‘ ’ — ‖
        | '\u{3000}'..='\u{303F}' // 、。「」【】〜
        | '\u{FE30}'..='\u{FE4F}' // vertical forms
        | '\u{FF00}'..='\u{FF0F}'
        | '\u{FF1A}'..='\u{FF20}'
        | '\u{FF3B}'..='\u{FF40}'
        | '\u{FF5B}'..='\u{FF65}'
        | '·')
}

/// Any punctuation a query may carry.
pub(crate) fn is_punct(c: char) -> bool {
    c.is_ascii_punctuation() || is_cjk_punct(c)
}

/// Said before a question, dropped from the start of a word.
const POLITE_PREFIXES: &[&str] = &[
    "亲爱的",
    "亲亲",
    "亲",
    "请问一下",
    "请问下",
    "请问",
    "问一下",
    "问下",
    "麻烦问下",
    "您好",
    "你好",
    "哈喽",
    "在吗",
];
/// Particles dropped from the end of a word.
const PARTICLES: &[char] = &[
    '呀', '吗', '嘛', '呢', '啊', '哦', '喔', '吧', '啦', '哈', '了',
];

/// Drop politeness from one word while at least two characters are left.
fn strip_politeness(word: &str) -> &str {
    let mut w = word;
    loop {
        let before = w;
        for p in POLITE_PREFIXES {
            if let Some(rest) = w.strip_prefix(p)
                && rest.chars().count() >= 2
            {
                w = rest;
                break;
            }
        }
        if let Some(c) = w.chars().last()
            && PARTICLES.contains(&c)
            && w.chars().count() > 2
        {
            w = &w[..w.len() - c.len_utf8()];
        }
        if w == before {
            return w;
        }
    }
}

/// Whether a word is nothing but politeness (`亲`, `请问`, `亲亲`).
fn only_politeness(word: &str) -> bool {
    POLITE_PREFIXES.iter().any(|p| *p == word && *p != "在吗")
        || word.chars().all(|c| PARTICLES.contains(&c))
}

/// A query as the scorer takes it: [`normalize_text`], punctuation as spaces (except
/// between two ASCII letters or digits: `1.5kg`, `c-12` stay whole), politeness dropped
/// from each word and words of politeness alone dropped when something else is left.
/// Never makes a query empty that had a letter, digit or CJK character.
pub fn normalize_query(query: &str) -> String {
    let text = normalize_text(query);
    let chars: Vec<char> = text.chars().collect();
    let mut spaced = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let inner = i > 0
            && chars[i - 1].is_ascii_alphanumeric()
            && chars.get(i + 1).is_some_and(char::is_ascii_alphanumeric);
        if is_punct(c) && !(inner && c.is_ascii()) {
            spaced.push(' ');
        } else {
            spaced.push(c);
        }
    }
    let words: Vec<&str> = spaced.split_whitespace().map(strip_politeness).collect();
    let kept: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| !only_politeness(w))
        .collect();
    if kept.is_empty() {
        words.join(" ")
    } else {
        kept.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_normalised_char_for_char() {
        assert_eq!(normalize_text("發貨時間"), "发货时间");
        assert_eq!(normalize_text("ＶＩＰ会员１２３"), "VIP会员123");
        assert_eq!(normalize_text("退貨　ＯＫ？"), "退货　OK？");
        assert!(matches!(normalize_text("亲，您好！"), Cow::Borrowed(_)));
        for t in ["發貨時間", "ＶＩＰ會員", "退货", "abc"] {
            assert_eq!(normalize_text(t).chars().count(), t.chars().count());
        }
        assert!(matches!(normalize_text("发货时间"), Cow::Borrowed(_)));
        assert!(is_traditional('貨') && !is_traditional('货') && !is_traditional('a'));
    }

    #[test]
    fn queries_lose_punctuation_and_politeness() {
        for (q, want) in [
            ("什么时候发货？", "什么时候发货"),
            ("发什么快递?", "发什么快递"),
            ("发货了吗？", "发货"),
            ("请问什么时候发货", "什么时候发货"),
            ("什么时候发货呀", "什么时候发货"),
            ("亲，什么时候发货~", "什么时候发货"),
            ("亲亲，在吗？", "在吗"),
            ("在吗？", "在吗"),
            ("在吗", "在吗"),
            ("好了", "好了"),
            ("什麼時候發貨？", "什么时候发货"),
            ("ＦＨ", "FH"),
            ("1.5kg c-12 v1.0?", "1.5kg c-12 v1.0"),
            ("退货 yunfei!!", "退货 yunfei"),
            ("亲", "亲"),
            ("？", ""),
            ("【活动】……优惠券！", "活动 优惠券"),
        ] {
            assert_eq!(normalize_query(q), want, "{q}");
        }
    }
}

//! Finding matches: words, phone numbers and links over a normalised copy of the text
//! (one normalised char per original char, so positions carry over).

use super::rules::{Rule, RuleKind};
use super::{Hit, Platform, Policy, TEAM_RULE, rules_for};

/// Full-width ASCII as half-width, ASCII letters lowercased: one char for one char.
fn normal(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    };
    c.to_ascii_lowercase()
}

fn word_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// Char ranges where `word` occurs in `text`; an ASCII word edge must not touch another
/// ASCII letter or digit (so `wx` is not found in `wxyz`).
fn find_word(text: &[char], word: &str) -> Vec<(usize, usize)> {
    let w: Vec<char> = word.chars().map(normal).collect();
    let mut out = Vec::new();
    if w.is_empty() || w.len() > text.len() {
        return out;
    }
    for s in 0..=text.len() - w.len() {
        let e = s + w.len();
        if text[s..e] != w[..] {
            continue;
        }
        let left_ok = !word_char(w[0]) || s == 0 || !word_char(text[s - 1]);
        let right_ok = !word_char(w[w.len() - 1]) || e == text.len() || !word_char(text[e]);
        if left_ok && right_ok {
            out.push((s, e));
        }
    }
    out
}

/// Phone numbers: 11-digit mobiles (1[3-9]…), landlines (0 + area code, a dash, 7–8
/// digits) and 400/800 numbers, digits optionally grouped by `-` or spaces. A longer run
/// of digits (an order number) is no phone number.
fn find_phones(text: &[char]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        if !text[i].is_ascii_digit() || (i > 0 && word_char(text[i - 1])) {
            i += 1;
            continue;
        }
        // the run: digits with single separators between digits
        let start = i;
        let mut digits = String::new();
        let mut dash_after = None;
        let mut j = i;
        while j < text.len() {
            let c = text[j];
            if c.is_ascii_digit() {
                digits.push(c);
                j += 1;
            } else if (c == '-' || c == ' ')
                && j + 1 < text.len()
                && text[j + 1].is_ascii_digit()
                && j > start
            {
                if c == '-' && dash_after.is_none() {
                    dash_after = Some(digits.len());
                }
                j += 1;
            } else {
                break;
            }
        }
        let end = j;
        let glued = end < text.len() && word_char(text[end]);
        let b = digits.as_bytes();
        let mobile = digits.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]);
        let landline = b[0] == b'0'
            && matches!(dash_after, Some(3) | Some(4))
            && (10..=12).contains(&digits.len());
        let hotline =
            digits.len() == 10 && (digits.starts_with("400") || digits.starts_with("800"));
        if !glued && (mobile || landline || hotline) {
            out.push((start, end));
        }
        i = end.max(i + 1);
    }
    out
}

const TLDS: &[&str] = &[
    "com", "cn", "net", "org", "top", "cc", "vip", "me", "io", "xyz", "shop", "info", "site",
];

fn url_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._~:/?#=&%-+@".contains(c)
}

/// Links: anything with `://`, `www.` or a host name ending in a common top-level domain.
fn find_links(text: &[char]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        if !url_char(text[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < text.len() && url_char(text[i]) {
            i += 1;
        }
        let mut end = i;
        while end > start && ".:/?#&-".contains(text[end - 1]) {
            end -= 1;
        }
        let run: String = text[start..end].iter().collect();
        let host = run
            .split("://")
            .last()
            .unwrap_or("")
            .split(['/', '?', '#', ':'])
            .next()
            .unwrap_or("");
        let labels: Vec<&str> = host.split('.').collect();
        let domain = labels.len() >= 2
            && labels
                .iter()
                .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
            && TLDS.contains(labels.last().unwrap_or(&""))
            && labels[labels.len() - 2]
                .chars()
                .any(|c| c.is_ascii_alphabetic());
        if run.contains("://") || run.starts_with("www.") || domain {
            out.push((start, end));
        }
    }
    out
}

fn matches_of(rule: &Rule, text: &[char]) -> Vec<(usize, usize)> {
    match rule.kind {
        RuleKind::Words(words) => words.iter().flat_map(|w| find_word(text, w)).collect(),
        RuleKind::Phone => find_phones(text),
        RuleKind::Link => find_links(text),
    }
}

fn allowed(spans: &[(usize, usize)], (s, e): (usize, usize)) -> bool {
    spans.iter().any(|&(a, b)| a <= s && e <= b)
}

pub(super) fn check(text: &str, platform: Option<Platform>, policy: &Policy) -> Vec<Hit> {
    let chars: Vec<char> = text.chars().map(normal).collect();
    let mut bytes: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
    bytes.push(text.len());
    let team_allow: Vec<(usize, usize)> = policy
        .allow
        .iter()
        .filter(|w| !w.trim().is_empty())
        .flat_map(|w| find_word(&chars, w.trim()))
        .collect();
    // (start, end, rule id) in rule order
    let mut found: Vec<(usize, usize, &str)> = Vec::new();
    for rule in rules_for(platform) {
        let own_allow: Vec<(usize, usize)> = rule
            .allow
            .iter()
            .flat_map(|w| find_word(&chars, w))
            .collect();
        for span in matches_of(rule, &chars) {
            if !allowed(&own_allow, span) && !allowed(&team_allow, span) {
                found.push((span.0, span.1, rule.id));
            }
        }
    }
    for w in policy.words.iter().filter(|w| !w.trim().is_empty()) {
        for span in find_word(&chars, w.trim()) {
            if !allowed(&team_allow, span) {
                found.push((span.0, span.1, TEAM_RULE));
            }
        }
    }
    // Longest first at each start; the first match keeps an overlapping one.
    let mut order: Vec<usize> = (0..found.len()).collect();
    order.sort_by_key(|&k| (found[k].0, std::cmp::Reverse(found[k].1), k));
    let mut kept: Vec<Hit> = Vec::new();
    for k in order {
        let (s, e, rule) = found[k];
        if let Some(h) = kept.iter_mut().find(|h| s < h.char_end && h.char_start < e) {
            // the same rule's overlapping words make one match (加V + V信 = 加V信)
            if h.rule == rule && e > h.char_end {
                h.char_end = e;
                h.end = bytes[e];
                h.word = text[h.start..h.end].to_string();
            }
            continue;
        }
        kept.push(Hit {
            rule: rule.to_string(),
            word: text[bytes[s]..bytes[e]].to_string(),
            start: bytes[s],
            end: bytes[e],
            char_start: s,
            char_end: e,
            action: policy.action(rule),
        });
    }
    kept
}

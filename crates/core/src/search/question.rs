//! A buyer's question pasted whole (`亲，什么时候发货呀？`), ranked by its words rather
//! than by a fuzzy subsequence of all its characters.
//!
//! The question is normalised ([`super::normalize_query`]), question words and particles
//! (`什么时候`, `怎么`, `我`, `的` …) are removed, and what is left is cut into words:
//! pieces of one or two characters as they are, longer ones by the jieba segmenter
//! (`jieba-rs`, its dictionary ships in the crate and is loaded on the first question that
//! needs it, so short searches never pay for it). Each word brings its synonyms
//! ([`Synonyms`]: a built-in customer-service table plus the `搜索同义词` variable of any
//! library), and replies are ranked by BM25 over those words in their title, tags and
//! body, a title or tag occurrence counting three times a body one.

use std::sync::OnceLock;

use nucleo_matcher::Utf32Str;

use super::normalize::{is_punct, normalize_query, normalize_text};
use super::{Hit, Mask, TopK, topic};

/// The variable whose value extends the synonym table for a library (synced like any
/// variable): one group per line, words separated by spaces, commas, `、` or `/`, e.g.
/// `顺丰 SF 丰哥`.
pub const SYNONYMS_VARIABLE: &str = "搜索同义词";

/// Built-in groups of words a buyer and a reply use for the same thing.
const BUILTIN_SYNONYMS: &[&str] = &[
    "快递 物流 包裹 快件 运单 单号",
    "发货 发出 寄出 出库 发走",
    "退款 退钱 返款 退费 钱退",
    "退货 退回 寄回 退掉",
    "换货 调换 更换 换个",
    "正品 真货 假货 正版 真品 行货 假的 仿品",
    "差评 投诉 举报 12315 恶评",
    "优惠券 券 优惠 红包 折扣 满减",
    "便宜 降价 砍价 议价 少点 优惠",
    "破损 坏了 损坏 碎了 摔坏 压坏",
    "尺码 尺寸 大小 码数 号码",
    "发票 开票 专票 普票",
    "运费 邮费 包邮 运费险",
    "到货 收到 到了 签收",
    "催单 催发货 加急 快点",
    "赠品 送的 礼品 小礼物",
    "售后 保修 维修 质保",
    "地址 收货地址 改地址",
    "修改 更改 改动 变更",
    "多久 多长时间 什么时候 何时 几天 多少天 时间",
    "配送 送货 快递",
    "客服 人工 在吗",
    // Changing an order after paying: what the replies call it (改地址, 改颜色 …).
    "修改订单 更改订单 改订单 订单修改 改地址 改规格 改颜色 改尺码",
    "拍错 选错 买错 下错 拍错了",
    // Following a parcel.
    "追踪 跟踪 追查 查物流 查快递 物流查询",
    "进度 状态 到哪了",
    "流程 程序 步骤 手续",
    // Something missing from the parcel, something wrong in it.
    "缺件 少件 漏发 少发 少寄 缺少 遗漏 不全",
    "发错 错发 发错货 发错了 错误",
    "不能使用 不能用 用不了 用不上 无法使用 使用不了",
    "退换 退换货 无理由退换",
    "换新 换货 换新的",
    "免邮 免运费 包邮 运费",
    "缩水 缩了 缩小 变小 洗小了",
    "拿到 收到 送到 到手 到货",
    "最快 尽快 加急 急用 着急 赶时间",
    "付款方式 支付方式 付款 支付",
];

/// Words removed from a question before it is cut into words: question words, pronouns,
/// particles and generic words for "the item". Longest first.
const QUESTION_NOISE: &[&str] = &[
    "可不可以",
    "为什么",
    "怎么办",
    "怎么样",
    "是不是",
    "有没有",
    "能不能",
    "会不会",
    "你们",
    "我们",
    "你家",
    "什么",
    "怎么",
    "可以",
    "一下",
    "请问",
    "这个",
    "那个",
    "我的",
    "你好",
    "您好",
    "亲亲",
    "东西",
    "宝贝",
    "商品",
    "产品",
    "我要",
    "我想",
    "想要",
    "还没",
    "如何",
    "哪些",
    "哪里",
    "怎样",
    "一般",
    "是否",
    "能否",
    "需要",
];

/// Single characters that say nothing about the topic.
const NOISE_CHARS: &[char] = &[
    '我', '你', '您', '他', '她', '它', '是', '的', '了', '吗', '呢', '啊', '呀', '吧', '哦', '嘛',
    '么', '就', '都', '也', '还', '要', '想', '会', '能', '把', '被', '给', '和', '跟', '在', '有',
    '亲', '请', '问', '哪', '啦', '哈', '个', '这', '那', '不', '得',
];

/// What a number with a unit of body measure stands for in a buyer's question: a height
/// (`168cm`, `1.68米`, `168厘米`) or a weight (`55kg`, `110斤`, `55公斤`). A bare number
/// or another unit is no measure.
fn measure(word: &str) -> Option<&'static str> {
    let unit_at = word.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = word.split_at(unit_at);
    let n: f64 = number.parse().ok()?;
    match unit {
        "cm" | "厘米" | "公分" if (50.0..=250.0).contains(&n) => Some("身高"),
        "m" | "米" if (0.5..=2.5).contains(&n) => Some("身高"),
        "kg" | "公斤" | "千克" if (10.0..=250.0).contains(&n) => Some("体重"),
        "斤" if (20.0..=500.0).contains(&n) => Some("体重"),
        _ => None,
    }
}

/// How much the reply being about a word ([`topic::bonus`], the whole title = 1) counts
/// against its BM25 share (at most `K1 + 1` times its rarity).
const TOPIC: f64 = 4.0;

/// A synonym's topic bonus is the word's own divided by this.
const SYNONYM_TOPIC_DIV: u32 = 2;

/// Groups of words that stand for each other in a question.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Synonyms {
    groups: Vec<Vec<String>>,
}

impl Synonyms {
    /// Groups from text: one group per line, words separated by whitespace, `,`, `，`,
    /// `、`, `/`, `|` or `=`. Words are normalised like queries (lowercase, simplified).
    pub fn parse(text: &str) -> Synonyms {
        let groups = text
            .lines()
            .map(|line| {
                let mut g: Vec<String> = line
                    .split(|c: char| c.is_whitespace() || ",，、/|=;；".contains(c))
                    .map(|w| normalize_text(w.trim()).to_lowercase())
                    .filter(|w| !w.is_empty())
                    .collect();
                g.dedup();
                g
            })
            .filter(|g| g.len() > 1)
            .collect();
        Synonyms { groups }
    }

    /// The table every search uses.
    pub fn builtin() -> &'static Synonyms {
        static TABLE: OnceLock<Synonyms> = OnceLock::new();
        TABLE.get_or_init(|| Synonyms::parse(&BUILTIN_SYNONYMS.join("\n")))
    }

    /// Add another table's groups (a library's `搜索同义词`).
    pub fn extend(&mut self, other: &Synonyms) {
        self.groups.extend(other.groups.iter().cloned());
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Every word of a group that has `word`, besides `word` itself.
    fn others_of<'a>(&'a self, word: &'a str) -> impl Iterator<Item = &'a String> + 'a {
        self.groups
            .iter()
            .filter(move |g| g.iter().any(|w| w == word))
            .flatten()
            .filter(move |w| *w != word)
    }

    /// Whether the table has this word.
    fn has(&self, word: &str) -> bool {
        self.groups.iter().flatten().any(|w| w == word)
    }
}

/// The segmenter, loaded on first use (its dictionary takes a moment), with the
/// built-in synonyms as words of their own.
fn jieba() -> &'static jieba_rs::Jieba {
    static JIEBA: OnceLock<jieba_rs::Jieba> = OnceLock::new();
    JIEBA.get_or_init(|| {
        let mut j = jieba_rs::Jieba::new();
        for w in Synonyms::builtin().groups.iter().flatten() {
            if w.chars().count() > 1 {
                j.add_word(w, None, None);
            }
        }
        j
    })
}

fn is_cjk(c: char) -> bool {
    (c as u32) >= 0x2E80 && !is_punct(c)
}

/// One word of a question with its synonyms, as lowercase characters.
#[derive(Debug)]
struct Term {
    alts: Vec<Vec<char>>,
    /// The same words as strings (for [`topic::bonus`]).
    words: Vec<String>,
}

/// A buyer's question typed or pasted in full. Strict fuzzy search needs every
/// character, which a whole sentence rarely has; questions are ranked by their words
/// instead (see the module documentation).
#[derive(Debug)]
pub struct Question {
    terms: Vec<Term>,
    /// Per alternative word: its character mask (a reply must cover one to match).
    alt_masks: Vec<Mask>,
    /// Bit `c % 64` set for the first character of every alternative word.
    firsts: u64,
}

/// How often each word of a [`Question`] occurs in one reply.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TermCounts {
    /// Per word: occurrences in the title and tags × 3 + occurrences in the body.
    tf: Vec<u32>,
    /// Characters of title, tags and body.
    len: u32,
    /// Per word: how much the reply is about it ([`topic::bonus`] of its best form,
    /// reckoned for words found in the title or tags).
    topic: Vec<u32>,
}

impl TermCounts {
    /// Whether any word of the question occurs.
    pub fn any(&self) -> bool {
        self.tf.iter().any(|t| *t > 0)
    }
}

impl Question {
    /// A question needs at least three CJK characters and a word left after the
    /// question words are removed. `extra` adds to the built-in synonyms.
    pub fn new(query: &str, extra: &Synonyms) -> Option<Question> {
        let query = normalize_query(query).to_lowercase();
        if query.chars().filter(|c| is_cjk(*c)).count() < 3 {
            return None;
        }
        let mut text = query.clone();
        for w in QUESTION_NOISE {
            text = text.replace(w, " ");
        }
        let mut words: Vec<String> = Vec::new();
        for piece in text.split_whitespace() {
            // Noise characters split a piece, except inside a word the tables know.
            if piece.chars().count() <= 2 || Self::known(piece, extra) {
                words.push(piece.to_string());
                continue;
            }
            // Words of the synonym tables first (a team's `顺丰` may be no word of
            // jieba's), the rest by jieba.
            for (part, known) in Self::split_known(piece, extra) {
                if known || part.chars().count() <= 2 {
                    words.push(part);
                } else {
                    words.extend(jieba().cut(&part, true).iter().map(|t| t.word.to_string()));
                }
            }
        }
        // jieba cuts `110斤` into `110` and `斤`: a number and its unit are one measure.
        let mut merged: Vec<String> = Vec::with_capacity(words.len());
        for w in words {
            match merged.last_mut() {
                Some(prev)
                    if prev.chars().all(|c| c.is_ascii_digit() || c == '.')
                        && measure(&format!("{prev}{w}")).is_some() =>
                {
                    prev.push_str(&w);
                }
                _ => merged.push(w),
            }
        }
        let mut terms: Vec<Term> = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for w in merged {
            // A word of two characters in jieba's dictionary is a word (`申请`, `还价`),
            // not a noise character beside a topic one (`能发`, `会退`: words jieba's
            // HMM makes up for characters its dictionary does not join).
            let w: String =
                if Self::known(&w, extra) || (w.chars().count() == 2 && jieba().has_word(&w)) {
                    if w.chars().all(|c| NOISE_CHARS.contains(&c)) {
                        String::new()
                    } else {
                        w
                    }
                } else {
                    w.trim_matches(|c| NOISE_CHARS.contains(&c)).to_string()
                };
            // A body measure (`168cm`, `55kg`, `110斤`) is its unit (a reply may be tagged
            // `斤`) and what replies call it, 身高 / 体重.
            let (w, kin) = match measure(&w) {
                Some(m) => (
                    w.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.')
                        .to_string(),
                    Some(m),
                ),
                None => (w, None),
            };
            if w.is_empty() || seen.contains(&w) {
                continue;
            }
            let mut alts: Vec<String> = vec![w.clone()];
            // (Not twice: `体重100斤` has its 体重 already.)
            alts.extend(
                kin.filter(|k| !seen.iter().any(|s| s == k))
                    .map(str::to_string),
            );
            for table in [Synonyms::builtin(), extra] {
                for o in table.others_of(&w) {
                    if !alts.contains(o) {
                        alts.push(o.clone());
                    }
                }
            }
            seen.push(w);
            terms.push(Term {
                alts: alts.iter().map(|a| a.chars().collect()).collect(),
                words: alts,
            });
        }
        if terms.is_empty() {
            return None;
        }
        let alt_masks = terms
            .iter()
            .flat_map(|t| &t.alts)
            .map(|a| Mask::of(&a.iter().collect::<String>()))
            .collect();
        let firsts = terms
            .iter()
            .flat_map(|t| &t.alts)
            .filter_map(|a| a.first())
            .fold(0u64, |m, c| m | 1 << (*c as u32 % 64));
        Some(Question {
            terms,
            alt_masks,
            firsts,
        })
    }

    /// Cut `piece` around the longest words of the synonym tables it contains: (text,
    /// whether it is such a word), in order.
    fn split_known(piece: &str, extra: &Synonyms) -> Vec<(String, bool)> {
        let chars: Vec<char> = piece.chars().collect();
        let vocab: Vec<Vec<char>> = [Synonyms::builtin(), extra]
            .iter()
            .flat_map(|t| t.groups.iter().flatten())
            .filter(|w| w.chars().count() > 1)
            .map(|w| w.chars().collect())
            .collect();
        let mut out = Vec::new();
        let (mut i, mut rest) = (0, String::new());
        while i < chars.len() {
            let best = vocab
                .iter()
                .filter(|w| chars[i..].starts_with(w))
                .map(Vec::len)
                .max();
            match best {
                Some(n) => {
                    if !rest.is_empty() {
                        out.push((std::mem::take(&mut rest), false));
                    }
                    out.push((chars[i..i + n].iter().collect(), true));
                    i += n;
                }
                None => {
                    rest.push(chars[i]);
                    i += 1;
                }
            }
        }
        if !rest.is_empty() {
            out.push((rest, false));
        }
        out
    }

    fn known(word: &str, extra: &Synonyms) -> bool {
        Synonyms::builtin().has(word) || extra.has(word)
    }

    /// The words of the question, each with its synonyms (for tests and diagnostics).
    pub fn words(&self) -> Vec<Vec<String>> {
        self.terms
            .iter()
            .map(|t| t.alts.iter().map(|a| a.iter().collect()).collect())
            .collect()
    }

    /// Whether a reply whose text has the characters of `mask` can have some word.
    pub fn may_match(&self, mask: Mask) -> bool {
        self.alt_masks.iter().any(|m| mask.covers(*m))
    }

    /// Count the words in a reply given as plain strings (normalised here).
    pub fn counts(&self, head: &[&str], body: &str) -> TermCounts {
        let mut c = TermCounts {
            tf: vec![0; self.terms.len()],
            len: 0,
            topic: Vec::new(),
        };
        let head: Vec<Vec<char>> = head
            .iter()
            .map(|h| normalize_text(h).chars().collect())
            .collect();
        for h in &head {
            self.count(&mut c, h, 3);
        }
        let empty = Vec::new();
        self.topics(
            &mut c,
            Utf32Str::Unicode(head.first().unwrap_or(&empty)),
            Utf32Str::Unicode(head.get(1).unwrap_or(&empty)),
        );
        let b = normalize_text(body);
        self.count(&mut c, &b.chars().collect::<Vec<_>>(), 1);
        c
    }

    /// [`Question::counts`] over an index's stored (already normalised) text.
    pub(crate) fn counts_in(&self, head: [Utf32Str<'_>; 2], body: Utf32Str<'_>) -> TermCounts {
        let mut c = TermCounts {
            tf: vec![0; self.terms.len()],
            len: 0,
            topic: Vec::new(),
        };
        let mut buf = Vec::new();
        for (i, (t, w)) in [(head[0], 3), (head[1], 3), (body, 1)]
            .into_iter()
            .enumerate()
        {
            if i == 2 {
                self.topics(&mut c, head[0], head[1]);
            }
            match t {
                Utf32Str::Ascii(b) => {
                    buf.clear();
                    buf.extend(b.iter().map(|&b| b as char));
                    self.count(&mut c, &buf, w);
                }
                Utf32Str::Unicode(chars) => self.count(&mut c, chars, w),
            }
        }
        c
    }

    /// Fill `c.topic` for the words counted in the title or tags so far.
    fn topics(&self, c: &mut TermCounts, title: Utf32Str<'_>, tags: Utf32Str<'_>) {
        c.topic = self
            .terms
            .iter()
            .zip(&c.tf)
            .map(|(term, tf)| {
                if *tf == 0 {
                    return 0;
                }
                let titles = [title];
                let t = topic::Topic {
                    titles: &titles,
                    tags,
                    tag_sep: '\n',
                };
                // A synonym is evidence of the topic, but less than the buyer's own
                // word: a reply tagged `签收` is not as surely about `收到` as one
                // tagged `收到`.
                term.words
                    .iter()
                    .enumerate()
                    .map(|(i, w)| {
                        let b = topic::bonus(w, &t);
                        if i == 0 { b } else { b / SYNONYM_TOPIC_DIV }
                    })
                    .max()
                    .unwrap_or(0)
            })
            .collect();
    }

    fn count(&self, c: &mut TermCounts, text: &[char], weight: u32) {
        c.len += text.len() as u32;
        for (i, &ch) in text.iter().enumerate() {
            let ch = ch.to_ascii_lowercase();
            if self.firsts & (1 << (ch as u32 % 64)) == 0 {
                continue;
            }
            for (t, term) in self.terms.iter().enumerate() {
                let hit = term.alts.iter().any(|a| {
                    a[0] == ch
                        && text.len() - i >= a.len()
                        && a[1..]
                            .iter()
                            .zip(&text[i + 1..])
                            .all(|(x, y)| *x == y.to_ascii_lowercase())
                });
                if hit {
                    c.tf[t] += weight;
                }
            }
        }
    }

    /// Rank replies given as (key, boost, counts) by BM25; `total` is how many replies
    /// were searched (not only those given), for the words' rarity.
    pub fn rank<K: Copy>(
        &self,
        found: &[(K, u32, TermCounts)],
        total: usize,
        limit: usize,
    ) -> Vec<Hit<K>> {
        const K1: f64 = 1.2;
        const B: f64 = 0.75;
        let mut df = vec![0usize; self.terms.len()];
        let mut len_sum = 0f64;
        for (_, _, c) in found {
            for (i, v) in c.tf.iter().enumerate() {
                df[i] += usize::from(*v > 0);
            }
            len_sum += f64::from(c.len);
        }
        let n = total.max(found.len()).max(1) as f64;
        let avg = (len_sum / found.len().max(1) as f64).max(1.0);
        let idf: Vec<f64> = df
            .iter()
            .map(|&d| (1.0 + (n - d as f64 + 0.5) / (d as f64 + 0.5)).ln())
            .collect();
        let mut top = TopK::new(limit);
        for (key, boost, c) in found {
            let norm = K1 * (1.0 - B + B * f64::from(c.len) / avg);
            let score: f64 =
                c.tf.iter()
                    .zip(&idf)
                    .filter(|(tf, _)| **tf > 0)
                    .map(|(tf, w)| {
                        let tf = f64::from(*tf);
                        w * tf * (K1 + 1.0) / (tf + norm)
                    })
                    .sum();
            // What the reply is about, as for a keyword: a short title made of the word,
            // a tag that is the word.
            let about: f64 = c
                .topic
                .iter()
                .zip(&idf)
                .map(|(t, w)| w * TOPIC * f64::from(*t) / f64::from(topic::EXACT_TITLE))
                .sum();
            let score = score + about;
            if score > 0.0 {
                top.push((score * 20.0).round() as u32 + boost, *key);
            }
        }
        top.into_hits()
    }
}

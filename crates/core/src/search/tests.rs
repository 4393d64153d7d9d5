//! Unit tests of `search`.

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
        tags_pinyin: "",
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
fn max_score_is_the_self_score() {
    // The upper-bound pruning relies on this: no text scores an atom higher than the
    // atom scores against itself, for fuzzy and substring atoms alike.
    let texts: Vec<String> = crate::corpus::replies(400, 3)
        .into_iter()
        .flat_map(|r| {
            let body = r
                .parts
                .iter()
                .filter_map(|p| p.text().map(str::to_string))
                .collect::<Vec<_>>()
                .join(" ");
            let (py, ini) = pinyin_of(&r.title);
            [r.title, body, py, ini, r.tags.join(" ")]
        })
        .chain(["fh fh", "f h", "a-b_c", "亲，亲", "c120 c12"].map(String::from))
        .collect();
    let mut buf = Vec::new();
    let mut m = Matcher::new(Config::DEFAULT);
    for q in [
        "fh",
        "发货",
        "亲",
        "tuihuo",
        "c12",
        "th",
        "货",
        "h",
        "退货流程",
        "ab",
    ] {
        let s = Scorer::new(q);
        let qa = &s.atoms[0];
        for t in &texts {
            let hay = Utf32Str::new(t, &mut buf);
            if let Some(x) = qa.atom.score(hay, &mut m) {
                assert!(
                    u32::from(x) * W_TITLE <= qa.best[F_TITLE],
                    "{q} in {t}: {x}"
                );
            }
            let hay = Utf32Str::new(t, &mut buf);
            if let Some(x) = qa.substring.score(hay, &mut m) {
                assert!(
                    u32::from(x) * W_PINYIN <= qa.best[F_PINYIN],
                    "{q} in {t}: {x}"
                );
            }
        }
    }
}

#[test]
fn pre_check_is_exact_where_it_decides() {
    let mut buf = Vec::new();
    let mut check =
        |needle: &str, hay: &str, sub: bool| could_match(needle, Utf32Str::new(hay, &mut buf), sub);
    assert!(check("fh", "fahuo", false));
    assert!(!check("fh", "fahuo", true));
    assert!(check("huo", "fahuo", true));
    assert!(check("ab", "xAyB", false));
    assert!(check("hs", "fhsj", true));
    assert!(!check("ba", "xAyB", false));
    assert!(check("发货", "亲，付款后发出货物", false));
    assert!(!check("货发", "亲，付款后发货", false));
    assert!(check("ok", "好的OK", false));
    assert!(!check("zz", "好的z", false));
    // Accented letters are left to the matcher.
    assert!(check("e", "café", false));
}

#[test]
fn whole_questions_rank_replies_by_their_words() {
    let none = Synonyms::default();
    let Some(q) = Question::new("你们什么时候发货呀？", &none) else {
        panic!("a question")
    };
    let docs = [
        (1u128, ["发货时间", "几天发货"], "付款后48小时内发出"),
        (2, ["退货流程", ""], "在订单页申请退货"),
        (3, ["欢迎光临", ""], "您好"),
    ];
    let found: Vec<(Uuid, u32, TermCounts)> = docs
        .iter()
        .map(|(id, head, body)| (Uuid::from_u128(*id), 0, q.counts(head, body)))
        .filter(|(_, _, c)| c.any())
        .collect();
    let hits = q.rank(&found, docs.len(), 5);
    assert_eq!(hits[0].key, Uuid::from_u128(1));
    assert_eq!(hits.len(), 1, "only the reply with 发货 (or a synonym)");
    // The rare word decides: 坏 beats the generic 收到.
    let Some(q) = Question::new("收到的东西坏了", &none) else {
        panic!("a question")
    };
    let mut all = vec![
        (
            Uuid::from_u128(1),
            0,
            q.counts(
                &["漏发商品", "只收到一件,东西不全"],
                "亲，少发的我们马上补寄",
            ),
        ),
        (
            Uuid::from_u128(2),
            0,
            q.counts(&["破损处理", "坏了,碎了"], "亲，麻烦拍照"),
        ),
    ];
    for i in 0..60 {
        // A library where 收到 is everywhere.
        all.push((
            Uuid::from_u128(100 + i),
            0,
            q.counts(&["其他"], "收到货后请检查"),
        ));
    }
    assert_eq!(q.rank(&all, all.len(), 3)[0].key, Uuid::from_u128(2));
    // Too short to be a question; question words alone are not a question.
    assert!(Question::new("发货", &none).is_none());
    assert!(Question::new("你们可以吗", &none).is_none());
    // Punctuation and traditional characters are no obstacle.
    let Some(q) = Question::new("發什麼快遞？", &none) else {
        panic!("a question")
    };
    let words = q.words();
    assert!(
        words
            .iter()
            .any(|w| w.contains(&"快递".to_string()) && w.contains(&"物流".to_string())),
        "{words:?}"
    );
}

#[test]
fn long_questions_are_cut_into_words_and_synonyms_apply() {
    let none = Synonyms::default();
    let Some(q) = Question::new("亲，我买的衣服质量太差了我要退钱", &none) else {
        panic!("a question")
    };
    let words = q.words();
    assert!(
        words.iter().any(|w| w.contains(&"退款".to_string())),
        "退钱 brings 退款: {words:?}"
    );
    assert!(words.iter().any(|w| w[0] == "衣服"), "{words:?}");
    // A library's own table adds groups.
    let extra = Synonyms::parse("顺丰, SF、丰哥\n单字");
    let Some(q) = Question::new("能发顺丰不", &extra) else {
        panic!("a question")
    };
    assert!(
        q.words().iter().any(|w| w.contains(&"sf".to_string())),
        "{:?}",
        q.words()
    );
    assert!(
        Synonyms::parse("单字").is_empty(),
        "a group needs two words"
    );
}

#[test]
fn question_results_put_exact_strict_hits_first_then_words_then_scattered() {
    let id = Uuid::from_u128;
    let strict = vec![
        Hit {
            key: (id(1), false),
            score: 90,
        },
        Hit {
            key: (id(2), true),
            score: 50,
        },
    ];
    let question = vec![
        Hit {
            key: id(3),
            score: 40,
        },
        Hit {
            key: id(2),
            score: 30,
        },
    ];
    let keys: Vec<u128> = merge_question_hits(strict, question, 10)
        .into_iter()
        .map(|h| h.key.as_u128())
        .collect();
    assert_eq!(keys, vec![2, 3, 1]);
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

#[test]
fn search_libraries_keeps_only_the_chosen_libraries() {
    let (personal, team) = (Uuid::from_u128(1), Uuid::from_u128(2));
    let mut index = SearchIndex::default();
    let py = pinyin_of("发货时间");
    let (a, b) = (Uuid::from_u128(10), Uuid::from_u128(11));
    index.push(a, personal, &fields("发货时间", "", "", &py), 0);
    index.push(b, team, &fields("发货时间", "", "", &py), 0);
    let ids = |hits: Vec<Hit<Uuid>>| hits.into_iter().map(|h| h.key).collect::<Vec<_>>();
    assert_eq!(ids(index.search_libraries("fhsj", None, 10)), vec![a, b]);
    assert_eq!(
        ids(index.search_libraries("fhsj", Some(&[team]), 10)),
        vec![b]
    );
    assert_eq!(
        ids(index.search_libraries("", Some(&[personal]), 10)),
        vec![a]
    );
    assert!(index.search_libraries("fhsj", Some(&[]), 10).is_empty());
    // A whole question's fallback keeps to the chosen libraries too.
    assert_eq!(
        ids(index.search_libraries("你们什么时候发货呀？", Some(&[team]), 10)),
        vec![b]
    );
}

fn tagged<'a>(
    title: &'a str,
    code: &'a str,
    tags: &'a str,
    py: &'a (String, String),
    tags_py: &'a str,
) -> SearchFields<'a> {
    SearchFields {
        title,
        code,
        tags,
        body: "",
        pinyin: &py.0,
        initials: &py.1,
        tags_pinyin: tags_py,
    }
}

/// Tags as the store keeps them: one per line, and their pinyin then initials.
fn tag_columns(tags: &[&str]) -> (String, String) {
    let (p, i) = pinyin_of(&tags.join(" "));
    (tags.join("\n"), format!("{p} {i}"))
}

#[test]
fn a_bare_keyword_finds_the_reply_about_it() {
    // 开发票 is about invoices (short title, the tag 发票); 发票开错了 starts with the
    // word, which the matcher alone would prefer.
    let (p1, p2) = (pinyin_of("开发票"), pinyin_of("发票开错了"));
    let (t1, tp1) = tag_columns(&["发票", "开票"]);
    let (t2, tp2) = tag_columns(&["重开发票", "抬头错了"]);
    let about = tagged("开发票", "", &t1, &p1, &tp1);
    let mentions = tagged("发票开错了", "", &t2, &p2, &tp2);
    for q in ["发票", "fp", "fapiao"] {
        let mut s = Scorer::new(q);
        assert!(s.score(&about) > s.score(&mentions), "{q}");
    }
    // Where the word stands in the title does not count: 怎么查物流 and 物流绕路了 match
    // 物流 equally, the shorter title covers more of it.
    let (p1, p2) = (pinyin_of("怎么查物流"), pinyin_of("物流绕路了啊"));
    let mut s = Scorer::new("物流");
    assert!(
        s.score(&tagged("怎么查物流", "", "", &p1, ""))
            > s.score(&tagged("物流绕路了啊", "", "", &p2, ""))
    );
}

#[test]
fn initials_of_a_tag_find_the_reply() {
    // `ts`: 扬言投诉 (tag 投诉) over 贴身衣物退换, whose title starts with t-s.
    let (p1, p2) = (pinyin_of("扬言投诉"), pinyin_of("贴身衣物退换"));
    let (t1, tp1) = tag_columns(&["投诉", "举报"]);
    let (t2, tp2) = tag_columns(&["内衣", "袜子"]);
    let mut s = Scorer::new("ts");
    assert!(
        s.score(&tagged("扬言投诉", "", &t1, &p1, &tp1))
            > s.score(&tagged("贴身衣物退换", "", &t2, &p2, &tp2))
    );
}

#[test]
fn a_chinese_word_whose_initials_are_a_code_finds_that_reply() {
    // The author gave 换货怎么申请 the code hh: typing 换货 means it, over a reply that
    // only has the word as a tag.
    let (p1, p2) = (pinyin_of("换货怎么申请"), pinyin_of("换新到货确认"));
    let (t1, tp1) = tag_columns(&["换货流程"]);
    let (t2, tp2) = tag_columns(&["换货", "检查"]);
    let main = tagged("换货怎么申请", "hh", &t1, &p1, &tp1);
    let other = tagged("换新到货确认", "", &t2, &p2, &tp2);
    let mut s = Scorer::new("换货");
    assert!(s.score(&main) > s.score(&other));
    // Without the code the tag decides.
    let plain = tagged("换货怎么申请", "", &t1, &p1, &tp1);
    assert!(s.score(&plain) < s.score(&other));
}

#[test]
fn a_question_prefers_the_reply_about_its_words() {
    // 开发票 is about invoices; the other reply mentions them often in its text.
    let none = Synonyms::default();
    let Some(q) = Question::new("如何申请发票?", &none) else {
        panic!("a question")
    };
    let replies = [
        (
            1u128,
            ["开发票", "发票\n开票"],
            "亲，下单时填好抬头就能开。",
        ),
        (
            2,
            ["发票还没收到", "催发票"],
            "亲，发票申请后会发到邮箱，发票没到的话发票中心可以再申请一次发票。",
        ),
    ];
    let found: Vec<_> = replies
        .iter()
        .map(|(id, head, body)| (Uuid::from_u128(*id), 0, q.counts(head, body)))
        .collect();
    let ranked = q.rank(&found, 500, 10);
    assert_eq!(ranked.first().map(|h| h.key), Some(Uuid::from_u128(1)));
    // 申请 is one word, not 申 beside the noise character 请.
    assert!(q.words().iter().any(|w| w[0] == "申请"), "{:?}", q.words());
    // 更改 finds 修改 (built-in synonyms); 多久 is kept as a word with its kin.
    let Some(q) = Question::new("订单多久可以更改", &none) else {
        panic!("a question")
    };
    let words = q.words();
    assert!(
        words.iter().any(|w| w.contains(&"修改".to_string())),
        "{words:?}"
    );
    assert!(
        words.iter().any(|w| w.contains(&"几天".to_string())),
        "{words:?}"
    );
}

#[test]
fn the_buyers_own_word_outweighs_its_synonym_as_a_topic() {
    // 收到 and 签收 are kin (built-in synonyms), but a reply tagged 签收 is less surely
    // about "收到的东西坏了" than one tagged with the buyer's words.
    let none = Synonyms::default();
    let Some(q) = Question::new("收到的东西坏了", &none) else {
        panic!("a question")
    };
    // Two replies alike but for one tag: the synonym 签收, the buyer's word 收到.
    let replies = [
        (1u128, ["售后处理", "签收\n坏了"], "亲，拍张照片发我。"),
        (2, ["售后处理", "收到\n坏了"], "亲，拍张照片发我。"),
    ];
    let found: Vec<_> = replies
        .iter()
        .map(|(id, head, body)| (Uuid::from_u128(*id), 0, q.counts(head, body)))
        .collect();
    let ranked = q.rank(&found, 500, 10);
    assert_eq!(ranked.len(), 2, "the synonym still finds its reply");
    assert_eq!(ranked[0].key, Uuid::from_u128(2));
    assert!(ranked[0].score > ranked[1].score, "{ranked:?}");
}

#[test]
fn customer_service_kin_words_find_replies_that_share_no_word_with_the_question() {
    // Each question shares no word with the reply that answers it; the built-in kin
    // groups (改订单/改地址, 追踪/查物流, 缺件/漏发, 免邮/包邮 …) bridge them.
    let none = Synonyms::default();
    let cases: &[(&str, [&str; 2])] = &[
        ("我可以更改订单吗？", ["发货前改地址", "改地址\n地址写错了"]),
        ("我如何追踪包裹?", ["怎么查物流", "物流在哪看"]),
        ("到货缺件怎么办", ["漏发商品", "少发了\n东西不全"]),
        ("怎样才能获得免邮?", ["运费多少", "邮费\n包邮吗"]),
        ("不小心选错规格了", ["换规格未发货", "拍错颜色\n拍错尺码"]),
        ("换货的程序是什么", ["售后说明", "办理流程"]),
        ("为什么不能使用", ["用不了怎么办", "用不上\n不抵扣"]),
    ];
    for (question, head) in cases {
        let Some(q) = Question::new(question, &none) else {
            panic!("{question}: a question")
        };
        let answer = (Uuid::from_u128(1), 0, q.counts(head, "亲，我帮您看一下。"));
        let other = (
            Uuid::from_u128(2),
            0,
            q.counts(&["欢迎光临", "你好\n在吗"], "亲，欢迎光临小店。"),
        );
        let ranked = q.rank(&[answer, other], 500, 10);
        assert_eq!(
            ranked.first().map(|h| h.key),
            Some(Uuid::from_u128(1)),
            "{question}: {:?}",
            q.words()
        );
    }
}

#[test]
fn body_measures_and_made_up_words_in_questions() {
    let none = Synonyms::default();
    // Every word of a question with its alternatives.
    let words = |q: &str| -> Vec<String> {
        Question::new(q, &none)
            .map(|q| q.words().into_iter().flatten().collect())
            .unwrap_or_default()
    };
    // A height and a weight are what the size replies call 身高 and 体重.
    let w = words("我168cm，55kg，平时穿M码，这件穿什么码？");
    assert!(
        w.contains(&"身高".to_string()) && w.contains(&"体重".to_string()),
        "{w:?}"
    );
    assert!(words("一米七，110斤穿多大").contains(&"体重".to_string()));
    assert!(words("身高1.68米穿什么码").contains(&"身高".to_string()));
    // A bare number, or a number with another unit, stays what it is.
    let w = words("胸围98，腰围80，穿哪个码");
    assert!(
        w.contains(&"98".to_string()) && !w.contains(&"身高".to_string()),
        "{w:?}"
    );
    assert!(!words("买了3斤苹果").contains(&"体重".to_string()));
    // 能改 / 会退 are no words (jieba's HMM joins them): the topic character is kept.
    assert!(words("订单信息能改吗").contains(&"改".to_string()));
    assert!(words("退款会退到哪里").contains(&"退".to_string()));
    // Dictionary words of two characters stay whole.
    assert!(words("如何申请发票").contains(&"申请".to_string()));
}

#[test]
fn the_upper_bound_is_never_below_the_score() {
    // Pruning skips a reply whose upper bound cannot beat the 20th score: the bound must
    // hold for every reply and query, the topic part included.
    let mut replies: Vec<(String, Option<String>, Vec<String>, String)> =
        crate::corpus::replies(300, 5)
            .into_iter()
            .map(|r| {
                let body = r
                    .parts
                    .iter()
                    .filter_map(|p| p.text().map(str::to_string))
                    .collect::<Vec<_>>()
                    .join("\n");
                (r.title, r.code, r.tags, body)
            })
            .collect();
    for (title, code, tags) in [
        ("退货 7天", Some("th7"), vec!["退货", "7天 无理由"]),
        ("Hello World", None, vec!["Greeting", "hi"]),
        ("发货", Some("fh"), vec!["发", "货"]),
        ("亲", None, vec!["亲 亲", "问候"]),
        (
            "开发票",
            Some("kfp"),
            vec!["发票", "开票", "报销", "发票抬头", "重开发票"],
        ),
        ("怎么查物流", None, vec![]),
    ] {
        let tags = tags.into_iter().map(String::from).collect();
        replies.push((
            title.into(),
            code.map(String::from),
            tags,
            "亲，您好".into(),
        ));
    }
    let mut index = SearchIndex::default();
    let mut queries: Vec<String> = crate::corpus::QUERIES
        .iter()
        .map(|q| q.to_string())
        .collect();
    for (i, (title, code, tags, body)) in replies.iter().enumerate() {
        let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
        let (t, tp) = tag_columns(&tags);
        let py = pinyin_of(title);
        let f = SearchFields {
            title,
            code: code.as_deref().unwrap_or(""),
            tags: &t,
            body,
            pinyin: &py.0,
            initials: &py.1,
            tags_pinyin: &tp,
        };
        index.push(Uuid::from_u128(i as u128), Uuid::nil(), &f, 0);
        if i % 7 == 0 || i >= 300 {
            let chars: Vec<char> = title.chars().collect();
            queries.extend([
                title.clone(),
                chars[..2.min(chars.len())].iter().collect(),
                chars[chars.len().saturating_sub(2)..].iter().collect(),
                py.0.replace(' ', ""),
                py.1.clone(),
                py.1.chars().take(2).collect(),
            ]);
            queries.extend(tags.iter().map(|t| t.to_string()));
            queries.extend(tp.split(' ').map(str::to_string));
        }
    }
    let mut checked = 0;
    for q in &queries {
        let Scorer {
            atoms, mut matcher, ..
        } = Scorer::new(q);
        for (e, shape) in index.entries.iter().zip(&index.shapes) {
            let texts = e.texts.map(|t| index.arena.get(t));
            let Some(score) = score_fields(&atoms, &mut matcher, &e.code, &texts, &e.masks) else {
                continue;
            };
            checked += 1;
            let by_shape = upper_bound(&atoms, &e.code, &e.masks, |qa, covers| {
                shape_bound(shape, qa, covers)
            });
            let by_topic = upper_bound(&atoms, &e.code, &e.masks, |qa, _| {
                topic_bonus(qa, &texts, &e.masks)
            });
            assert!(
                by_shape >= by_topic,
                "{q:?} on {:?}: {by_shape} < {by_topic}",
                texts[F_TITLE]
            );
            assert!(
                by_topic >= score,
                "{q:?} on {:?}: {by_topic} < {score}",
                texts[F_TITLE]
            );
        }
    }
    assert!(checked > 5_000, "{checked}");
}

use super::*;

fn words(text: &str, platform: Option<Platform>) -> Vec<(String, String)> {
    check(text, platform, &Policy::default())
        .into_iter()
        .map(|h| (h.word, h.rule))
        .collect()
}

fn pair(w: &str, r: &str) -> (String, String) {
    (w.to_string(), r.to_string())
}

#[test]
fn absolute_claims_are_flagged_everywhere() {
    for p in [
        None,
        Some(Platform::Taobao),
        Some(Platform::Wechat),
        Some(Platform::Other),
    ] {
        assert_eq!(
            words("这款是全网最好的，顶级面料，国家级工艺，100%满意", p),
            vec![
                pair("全网最好的", "ad-absolute"),
                pair("顶级", "ad-absolute"),
                pair("国家级", "ad-absolute"),
                pair("100%", "ad-absolute"),
            ],
            "{p:?}"
        );
    }
    assert_eq!(
        words("销量第一，NO.1 的选择，ＴＯＰ１", None),
        vec![
            pair("第一", "ad-absolute"),
            pair("NO.1", "ad-absolute"),
            pair("ＴＯＰ１", "ad-absolute"),
        ]
    );
}

#[test]
fn allowed_idioms_are_not_flagged() {
    for ok in [
        "我们第一时间给您发货",
        "这是您第一次购买吧",
        "最近订单比较多，最晚明天发出，最快今天",
        "最后再确认一下地址",
        "您最好先拍照留证",
        "查到最新物流了",
        "绝对不会让您吃亏",
    ] {
        assert_eq!(words(ok, None), vec![], "{ok}");
    }
    // the idiom covers only itself: 第一 elsewhere in the same text is still found
    assert_eq!(
        words("第一时间发货，销量第一", None),
        vec![pair("第一", "ad-absolute")]
    );
}

#[test]
fn off_platform_contact_and_payment_are_flagged_on_shop_platforms() {
    let text = "加我微信或者QQ号，支付宝转账更便宜，私下交易";
    let expected = vec![
        pair("加我", "offsite-contact"),
        pair("微信", "offsite-contact"),
        pair("QQ", "offsite-contact"),
        pair("支付宝转账", "offsite-payment"),
        pair("私下交易", "offsite-payment"),
    ];
    for p in [
        None,
        Some(Platform::Taobao),
        Some(Platform::Jd),
        Some(Platform::Pdd),
        Some(Platform::Douyin),
    ] {
        assert_eq!(words(text, p), expected, "{p:?}");
    }
    let found: Vec<String> = words("加V信：abc，vx同号，ＶＸ也行", None)
        .into_iter()
        .map(|(w, _)| w)
        .collect();
    assert_eq!(found, vec!["加V信", "vx", "ＶＸ"]);
    // an ASCII word is found only as a whole word
    assert_eq!(words("wxyz 型号", None), vec![]);
}

#[test]
fn wechat_and_other_chat_apps_have_no_off_platform_rules() {
    let text = "添加客服微信，手机 13812345678，官网 www.example.com";
    assert_eq!(words(text, Some(Platform::Wechat)), vec![]);
    assert_eq!(words(text, Some(Platform::Other)), vec![]);
    assert_eq!(
        words(text, Some(Platform::Taobao)),
        vec![
            pair("微信", "offsite-contact"),
            pair("13812345678", "offsite-phone"),
            pair("www.example.com", "offsite-link"),
        ]
    );
}

#[test]
fn phone_numbers_but_not_order_numbers() {
    let p = Some(Platform::Jd);
    assert_eq!(
        words("电话 138-1234-5678 或 0571-88886666，热线 4008001234", p),
        vec![
            pair("138-1234-5678", "offsite-phone"),
            pair("0571-88886666", "offsite-phone"),
            pair("4008001234", "offsite-phone"),
        ]
    );
    for ok in [
        "订单号 2984712398471239847",
        "单号 SF1381234567890",
        "尺码 165/88A，重量 1.5kg，价格 139 元",
        "12345678901",
    ] {
        assert_eq!(words(ok, p), vec![], "{ok}");
    }
}

#[test]
fn links_but_not_decimals() {
    let p = Some(Platform::Pdd);
    assert_eq!(
        words("看这里 https://t.cn/abc 或 shop.example.cn/item?id=1。", p),
        vec![
            pair("https://t.cn/abc", "offsite-link"),
            pair("shop.example.cn/item?id=1", "offsite-link"),
        ]
    );
    assert_eq!(words("重 2.5kg，版本 v1.2.3", p), vec![]);
}

#[test]
fn each_platform_flags_the_other_platforms() {
    let text = "淘宝天猫京东拼多多抖音都有卖，复制淘口令";
    let names = |p| -> Vec<String> { words(text, Some(p)).into_iter().map(|(w, _)| w).collect() };
    assert_eq!(names(Platform::Taobao), vec!["京东", "拼多多", "抖音"]);
    assert_eq!(
        names(Platform::Jd),
        vec!["淘宝", "天猫", "拼多多", "抖音", "淘口令"]
    );
    assert_eq!(
        names(Platform::Pdd),
        vec!["淘宝", "天猫", "京东", "抖音", "淘口令"]
    );
    // Douyin also names share codes (口令 inside 淘口令) and private traffic
    assert_eq!(
        names(Platform::Douyin),
        vec!["淘宝", "天猫", "京东", "拼多多", "口令"]
    );
    assert_eq!(
        words("进我们的粉丝群，私域福利", Some(Platform::Douyin)),
        vec![
            pair("粉丝群", "douyin-elsewhere"),
            pair("私域", "douyin-elsewhere")
        ]
    );
    // platform sets never apply when the platform is unknown, nor in WeChat
    assert_eq!(words(text, None), vec![]);
    assert_eq!(words(text, Some(Platform::Wechat)), vec![]);
}

#[test]
fn the_teams_words_allow_list_and_block_choice() {
    let policy = Policy {
        words: vec!["秒杀价".into(), " ".into()],
        allow: vec!["最新款".into(), "微信支付".into()],
        block: vec!["offsite-contact".into()],
    };
    let hits = check(
        "最新款秒杀价，微信支付也行，加我微信",
        Some(Platform::Taobao),
        &policy,
    );
    let got: Vec<(&str, &str, Action)> = hits
        .iter()
        .map(|h| (h.word.as_str(), h.rule.as_str(), h.action))
        .collect();
    assert_eq!(
        got,
        vec![
            ("秒杀价", TEAM_RULE, Action::Warn),
            ("加我", "offsite-contact", Action::Block),
            ("微信", "offsite-contact", Action::Block),
        ]
    );
    assert_eq!(hits[0].rule_zh(), "团队禁用词");
    assert!(hits[1].message_zh().contains("站外引流"));
    assert!(hits[1].message_en().contains("off-platform"));
}

#[test]
fn positions_are_bytes_and_chars() {
    let hits = check("亲，顶级", None, &Policy::default());
    assert_eq!(hits.len(), 1);
    assert_eq!((hits[0].start, hits[0].end), (6, 12));
    assert_eq!((hits[0].char_start, hits[0].char_end), (2, 4));
    assert_eq!(&"亲，顶级"[hits[0].start..hits[0].end], "顶级");
}

#[test]
fn every_rule_has_reasons_sources_and_applies_somewhere() {
    for r in RULES {
        assert!(
            !r.reason_zh.is_empty() && !r.reason_en.is_empty(),
            "{}",
            r.id
        );
        assert!(!r.source.is_empty(), "{}", r.id);
        assert!(
            Platform::ALL.iter().any(|&p| r.applies(Some(p))),
            "{}",
            r.id
        );
    }
    for p in Platform::ALL {
        assert_eq!(Platform::parse(p.as_str()), Some(p));
    }
    assert_eq!(Platform::of_app("qianniu"), Some(Platform::Taobao));
    assert_eq!(Platform::of_app("wechat"), Some(Platform::Wechat));
}

#[test]
fn clipboard_mid_sentence_only() {
    assert!(clipboard_mid_sentence("包裹现在到了{剪贴板}，还在正常运输"));
    assert!(clipboard_mid_sentence("单号{clipboard} 已发出"));
    assert!(!clipboard_mid_sentence("单号分别是：{剪贴板}"));
    assert!(!clipboard_mid_sentence("签收记录：{剪贴板}。"));
    assert!(!clipboard_mid_sentence("没有剪贴板"));
}

#[test]
fn a_policy_reads_back_and_refuses_unknown_rules() {
    let p = Policy {
        words: vec!["秒杀价".into()],
        allow: vec![],
        block: vec!["offsite-contact".into(), TEAM_RULE.into()],
    };
    assert_eq!(Policy::parse(&p.to_value()), Ok(p));
    assert_eq!(Policy::parse(""), Ok(Policy::default()));
    assert_eq!(
        Policy::parse(r#"{"block":["offsite-contacts"]}"#),
        Err(PolicyError::UnknownRule("offsite-contacts".into()))
    );
    let e = Policy::parse("{").err().map(|e| e.zh()).unwrap_or_default();
    assert!(e.starts_with("合规设置（@合规）不是有效的 JSON"), "{e}");
}

#[test]
fn blocked_finds_the_first_blocked_word_for_the_replys_apps() {
    let reply = |apps: &[&str], body: &str| crate::SnippetDoc {
        id: uuid::Uuid::nil(),
        folder_id: None,
        title: "t".into(),
        code: None,
        tags: vec![],
        parts: vec![crate::Part::Text { body: body.into() }],
        apps: apps.iter().map(|a| a.to_string()).collect(),
        position: 0,
        starts_at: None,
        ends_at: None,
    };
    let policy = Policy {
        block: vec!["offsite-contact".into()],
        ..Policy::default()
    };
    let found = blocked(&reply(&[], "顶级服务，加我微信"), &policy);
    assert_eq!(
        found.map(|(h, p)| (h.word, h.rule, p)),
        Some(("加我".to_string(), "offsite-contact".to_string(), None))
    );
    // a WeChat-only reply may name WeChat; warn-only rules never block
    assert_eq!(blocked(&reply(&["wechat"], "加我微信"), &policy), None);
    assert_eq!(blocked(&reply(&[], "顶级服务"), &policy), None);
    assert_eq!(blocked(&reply(&[], "加我微信"), &Policy::default()), None);
    assert_eq!(
        platforms_of(&["wechat".into(), "qianniu".into()], None),
        vec![Some(Platform::Wechat), Some(Platform::Taobao)]
    );
}

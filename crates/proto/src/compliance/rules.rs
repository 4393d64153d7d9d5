//! The built-in rule sets as data. The word lists are our own, written from the sources
//! below (the README's "合规检查 / Compliance check" section lists them too):
//!
//! - 《中华人民共和国广告法》（2015 年修订，2021 年修正）第九条第（三）项: an advertisement
//!   must not use “国家级”“最高级”“最佳”等用语; 工商广字〔1997〕第207号 answered that 极品
//!   counts as such a term. Fines under 第五十七条 start at 20 万元, which is why shops treat
//!   any 最/第一/顶级 in what they send buyers as a risk. A chat reply that praises the
//!   goods is an advertisement for this purpose when the shop sends it to promote them.
//! - 站外引流 (taking a buyer off the platform): every platform forbids moving the buyer
//!   or the payment elsewhere — 淘宝《淘宝网市场管理与违规处理规范》(发布外部网站信息、
//!   引导至淘宝以外交易) and 《淘宝平台交互风险信息管理规则》(联系方式、外部链接 in 旺旺);
//!   京东《京东开放平台商家违规积分管理规则》(引导站外交易、私下交易); 拼多多《拼多多商家
//!   违规行为处理规则》(引导消费者线下交易、站外交易); 抖音电商《商家违规行为管理规则》
//!   (站外导流: 引导用户离开平台沟通或交易, including to a private group — 私域).
//! - Per platform: naming another shopping platform in the platform's own chat is what the
//!   platforms' monitoring flags first, so each platform's set is the *other* platforms
//!   (淘宝 says 京东/拼多多/抖音 …; 京东 says 淘宝/天猫 …). 抖音's rule is the widest:
//!   it also names 口令 (淘口令 and the like), 私域 and 粉丝群. 淘口令 is Taobao's own
//!   share code, allowed on Taobao and flagged everywhere else.
//!
//! Allowed idioms: a match inside one of a rule's `allow` phrases is no claim (第一时间,
//! 最近, 最晚 …). The team's policy can allow more.

use super::Platform;

/// Which platforms a rule applies on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Everywhere, and when the platform is unknown.
    All,
    /// On shop platforms and when the platform is unknown; not in WeChat or other chat
    /// apps, where the buyer is off-platform already.
    OffPlatform,
    /// Only on these platforms (never when the platform is unknown).
    Only(&'static [Platform]),
}

/// How a rule finds its matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleKind {
    /// Any of these words (ASCII letters case-insensitively, full-width as half-width;
    /// an ASCII word only as a whole word).
    Words(&'static [&'static str]),
    /// Chinese mobile, landline and 400/800 numbers.
    Phone,
    /// Links and bare domain names.
    Link,
}

/// One built-in rule.
#[derive(Debug)]
pub struct Rule {
    pub id: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub reason_zh: &'static str,
    pub reason_en: &'static str,
    /// Where the rule comes from (shown by `qreply lint --rules`).
    pub source: &'static str,
    pub kind: RuleKind,
    pub allow: &'static [&'static str],
    pub scope: Scope,
}

impl Rule {
    /// Whether the rule applies on a platform (`None`: unknown).
    pub fn applies(&self, platform: Option<Platform>) -> bool {
        match (self.scope, platform) {
            (Scope::All, _) => true,
            (Scope::OffPlatform, None) => true,
            (Scope::OffPlatform, Some(p)) => !matches!(p, Platform::Wechat | Platform::Other),
            (Scope::Only(list), Some(p)) => list.contains(&p),
            (Scope::Only(_), None) => false,
        }
    }
}

const AD_LAW: &str = "《中华人民共和国广告法》第九条第（三）项；工商广字〔1997〕第207号";

/// Every built-in rule, in the order overlapping matches are attributed.
pub static RULES: &[Rule] = &[
    Rule {
        id: "ad-absolute",
        name_zh: "广告法极限词",
        name_en: "absolute claim (Advertising Law)",
        reason_zh: "《广告法》第九条禁止“国家级”“最高级”“最佳”等绝对化用语，罚款 20 万元起",
        reason_en: "Article 9 of the Advertising Law forbids absolute claims such as \"national-level\", \"highest\", \"best\"; fines start at 200,000 yuan",
        source: AD_LAW,
        kind: RuleKind::Words(&[
            // 最 only where it starts a claim about the goods or the shop: bare 最 is
            // everyday speech in a chat (最近, 最晚, 最好先…, 怎么买最划算).
            "最好的",
            "最佳",
            "最优",
            "最高级",
            "最高端",
            "最低价",
            "最便宜",
            "最实惠",
            "最强",
            "最畅销",
            "最热销",
            "最受欢迎",
            "最火",
            "最先进",
            "最新技术",
            "最新科技",
            "最正宗",
            "最顶级",
            "最安全",
            "最有效",
            "最专业",
            "最权威",
            "最好用",
            "最耐用",
            "最舒适",
            "最具",
            "史上最",
            "全网最",
            "全国最",
            "世界最",
            "行业最",
            "第一",
            "顶级",
            "顶尖",
            "国家级",
            "世界级",
            "极品",
            "绝无仅有",
            "独一无二",
            "史无前例",
            "万能",
            "100%",
            "百分之百",
            "百分百",
            "销量冠军",
            "第一品牌",
            "no.1",
            "top1",
            "首选",
            "王牌",
            "绝对",
            "永久",
            "终极",
            "无敌",
        ]),
        allow: &[
            // time and order, not praise
            "第一时间",
            "第一次",
            "第一天",
            "第一步",
            "第一个",
            "第一件",
            "第一单",
            "第一批",
            "第一条",
            "第一眼",
            "第一行",
            "第一页",
            "第一张",
            "第一项",
            "第一句",
            "第一段",
            "第一周",
            "第一年",
            "安全第一",
            // the coupon combination the platform picks, not the goods
            "最优组合",
            "最优惠券",
            // a promise declined is no claim
            "没法百分百",
            "无法百分百",
            "不能百分百",
            "不敢百分百",
            "没法100%",
            "无法100%",
            "不能100%",
            "不敢100%",
            "绝对不会",
            "绝对不",
        ],
        scope: Scope::All,
    },
    Rule {
        id: "offsite-contact",
        name_zh: "站外引流：联系方式",
        name_en: "off-platform contact",
        reason_zh: "各平台都禁止把买家引到平台外联系（微信、QQ、加群等），会被判站外引流扣分",
        reason_en: "every shopping platform forbids moving the buyer to another channel (WeChat, QQ, groups); it is penalised as off-platform traffic",
        source: "淘宝《淘宝网市场管理与违规处理规范》《淘宝平台交互风险信息管理规则》；京东《京东开放平台商家违规积分管理规则》；拼多多《拼多多商家违规行为处理规则》；抖音电商《商家违规行为管理规则》（站外导流）",
        kind: RuleKind::Words(&[
            "微信",
            "威信",
            "薇信",
            "徽信",
            "v信",
            "vx",
            "wx",
            "加我",
            "加v",
            "加微",
            "qq",
            "扣扣",
            "企鹅号",
            "加群",
            "群号",
            "公众号",
            "服务号",
            "二维码",
            "私聊",
        ]),
        allow: &[],
        scope: Scope::OffPlatform,
    },
    Rule {
        id: "offsite-payment",
        name_zh: "站外引流：私下交易",
        name_en: "off-platform payment",
        reason_zh: "绕开平台收款或交易，买家没有平台保障，各平台都按私下交易严重处罚",
        reason_en: "taking payment outside the platform leaves the buyer unprotected and every platform punishes it as a private deal",
        source: "淘宝《淘宝网市场管理与违规处理规范》；京东《京东开放平台商家违规积分管理规则》；拼多多《拼多多商家违规行为处理规则》；抖音电商《商家违规行为管理规则》",
        kind: RuleKind::Words(&[
            "支付宝转账",
            "转账给",
            "转我支付宝",
            "私下交易",
            "线下交易",
            "私下付款",
            "直接打款",
            "收款码",
            "扫码付款",
            "扫码支付",
            "不走平台",
        ]),
        allow: &[],
        scope: Scope::OffPlatform,
    },
    Rule {
        id: "offsite-phone",
        name_zh: "站外引流：电话号码",
        name_en: "off-platform contact: phone number",
        reason_zh: "在平台聊天里发手机号、座机或 400 电话属于发布联系方式",
        reason_en: "sending a mobile, landline or 400 number in the platform's chat counts as publishing contact details",
        source: "淘宝《淘宝平台交互风险信息管理规则》；抖音电商《商家违规行为管理规则》（站外导流）",
        kind: RuleKind::Phone,
        allow: &[],
        scope: Scope::OffPlatform,
    },
    Rule {
        id: "offsite-link",
        name_zh: "站外引流：外部链接",
        name_en: "off-platform link",
        reason_zh: "平台聊天里发外部网址会被判为发布外部网站信息",
        reason_en: "a link to another website in the platform's chat counts as publishing outside-site information",
        source: "淘宝《淘宝网市场管理与违规处理规范》（发布外部网站信息）；京东、拼多多、抖音电商同类条款",
        kind: RuleKind::Link,
        allow: &[],
        scope: Scope::OffPlatform,
    },
    Rule {
        id: "taobao-elsewhere",
        name_zh: "淘宝/天猫：提及其他平台",
        name_en: "Taobao/Tmall: another platform named",
        reason_zh: "在旺旺/千牛里提京东、拼多多、抖音等其他平台，会被判引导站外交易",
        reason_en: "naming JD, Pinduoduo, Douyin or another platform in Wangwang/Qianniu is treated as leading the buyer off Taobao",
        source: "《淘宝网市场管理与违规处理规范》（引导至淘宝以外交易）",
        kind: RuleKind::Words(&["京东", "拼多多", "抖音", "快手", "小红书", "唯品会"]),
        allow: &[],
        scope: Scope::Only(&[Platform::Taobao]),
    },
    Rule {
        id: "jd-elsewhere",
        name_zh: "京东：提及其他平台",
        name_en: "JD: another platform named",
        reason_zh: "在京东咚咚里提淘宝、天猫、拼多多等或发淘口令，会被判引导站外交易",
        reason_en: "naming Taobao, Tmall, Pinduoduo or sending a Taobao share code in JD's chat is treated as leading the buyer off JD",
        source: "《京东开放平台商家违规积分管理规则》（引导站外交易）",
        kind: RuleKind::Words(&[
            "淘宝",
            "天猫",
            "旺旺",
            "淘口令",
            "拼多多",
            "抖音",
            "快手",
            "小红书",
        ]),
        allow: &[],
        scope: Scope::Only(&[Platform::Jd]),
    },
    Rule {
        id: "pdd-elsewhere",
        name_zh: "拼多多：提及其他平台",
        name_en: "Pinduoduo: another platform named",
        reason_zh: "在拼多多聊天里提淘宝、京东、抖音等或发淘口令，会被判引导站外交易",
        reason_en: "naming Taobao, JD, Douyin or sending a Taobao share code in Pinduoduo's chat is treated as leading the buyer off Pinduoduo",
        source: "《拼多多商家违规行为处理规则》（引导消费者站外交易）",
        kind: RuleKind::Words(&["淘宝", "天猫", "淘口令", "京东", "抖音", "快手", "小红书"]),
        allow: &[],
        scope: Scope::Only(&[Platform::Pdd]),
    },
    Rule {
        id: "douyin-elsewhere",
        name_zh: "抖音电商：站外导流",
        name_en: "Douyin: off-platform traffic",
        reason_zh: "抖音电商的站外导流最严：提其他平台、发口令、引导进私域或粉丝群都算",
        reason_en: "Douyin's off-platform rule is the widest: naming other platforms, share codes, private traffic or fan groups all count",
        source: "抖音电商《商家违规行为管理规则》（站外导流）",
        kind: RuleKind::Words(&[
            "淘宝",
            "天猫",
            "京东",
            "拼多多",
            "快手",
            "小红书",
            "口令",
            "私域",
            "粉丝群",
        ]),
        allow: &[],
        scope: Scope::Only(&[Platform::Douyin]),
    },
];

//! The compliance check (合规检查): words a reply must not send into a chat, by rule set
//! — 《广告法》第九条 absolute claims (极限词), off-platform contact and payment (站外引流),
//! and each e-commerce platform's own list (`rules.rs`, with the sources cited there and
//! in the README). It lives in `proto` because the client (editor, `qreply lint`, fire
//! time) and the sync server (refusing a team-library write the lead chose to block) must
//! decide with the same code.
//!
//! The check reads text only: it knows nothing of templates. The editor and `qreply lint`
//! check a reply's template text; the app checks the rendered text at fire time, so a
//! variable that holds a WeChat ID is caught too.

mod rules;
mod scan;

use serde::{Deserialize, Serialize};

pub use rules::{RULES, Rule, RuleKind};

/// The chat platform a reply is sent on; it decides which rule sets apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// 淘宝 / 天猫 (千牛, 旺旺).
    Taobao,
    /// 京东 (咚咚).
    Jd,
    /// 拼多多.
    Pdd,
    /// 抖音电商 (抖店, 飞鸽).
    Douyin,
    /// 微信 / 企业微信 / 微信小店: the chat is off-platform already, so no off-platform
    /// rule applies; the absolute claims still do.
    Wechat,
    /// A chat app that is no shop (QQ, 钉钉, 飞书): the absolute claims only.
    Other,
}

impl Platform {
    pub const ALL: [Platform; 6] = [
        Platform::Taobao,
        Platform::Jd,
        Platform::Pdd,
        Platform::Douyin,
        Platform::Wechat,
        Platform::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Taobao => "taobao",
            Platform::Jd => "jd",
            Platform::Pdd => "pdd",
            Platform::Douyin => "douyin",
            Platform::Wechat => "wechat",
            Platform::Other => "other",
        }
    }

    /// Parses a platform name (`taobao`, `tmall`, `jd`, `pdd`, `douyin`, `wechat`, `other`).
    pub fn parse(s: &str) -> Option<Platform> {
        match s.trim().to_ascii_lowercase().as_str() {
            "taobao" | "tmall" | "qianniu" => Some(Platform::Taobao),
            "jd" => Some(Platform::Jd),
            "pdd" | "pinduoduo" => Some(Platform::Pdd),
            "douyin" | "doudian" => Some(Platform::Douyin),
            "wechat" | "wecom" => Some(Platform::Wechat),
            "other" => Some(Platform::Other),
            _ => None,
        }
    }

    /// The platform of a reply's `apps:` entry (`qianniu` → Taobao, `wechat` → WeChat, …).
    pub fn of_app(app: &str) -> Option<Platform> {
        match app {
            "qianniu" => Some(Platform::Taobao),
            "jd" => Some(Platform::Jd),
            "pdd" => Some(Platform::Pdd),
            "douyin" => Some(Platform::Douyin),
            "wechat" | "wecom" => Some(Platform::Wechat),
            "qq" | "dingtalk" | "feishu" => Some(Platform::Other),
            _ => None,
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Platform::Taobao => "淘宝/天猫",
            Platform::Jd => "京东",
            Platform::Pdd => "拼多多",
            Platform::Douyin => "抖音电商",
            Platform::Wechat => "微信",
            Platform::Other => "其他聊天软件",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Platform::Taobao => "Taobao/Tmall",
            Platform::Jd => "JD",
            Platform::Pdd => "Pinduoduo",
            Platform::Douyin => "Douyin",
            Platform::Wechat => "WeChat",
            Platform::Other => "another chat app",
        }
    }
}

/// What happens when a rule matches: a warning the agent confirms, or a refusal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    #[default]
    Warn,
    Block,
}

/// The team's own choices on top of the built-in rules (the lead's list).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Policy {
    /// The lead's own words: flagged everywhere under the rule [`TEAM_RULE`].
    pub words: Vec<String>,
    /// Words never flagged (an allowed phrase covering a match lets it pass: `最新款`
    /// allows the `最` in it).
    pub allow: Vec<String>,
    /// Rule ids (see [`RULES`], or [`TEAM_RULE`]) whose matches are refused, not warned.
    pub block: Vec<String>,
}

/// The rule id of the lead's own words.
pub const TEAM_RULE: &str = "team";

/// The variable of a team library that holds the team's [`Policy`] (as JSON): synced like
/// every team variable (item key `var:@合规`), so clients and servers that predate the
/// compliance check keep it as an ordinary variable no reply uses. `@` keeps it apart
/// from the shop's facts.
pub const POLICY_VAR: &str = "@合规";

impl Policy {
    /// Reads a policy as stored in [`POLICY_VAR`] (empty: the default). Unknown rule ids
    /// in `block` are refused, so a typo never silently blocks nothing.
    pub fn parse(value: &str) -> Result<Policy, PolicyError> {
        if value.trim().is_empty() {
            return Ok(Policy::default());
        }
        let p: Policy =
            serde_json::from_str(value).map_err(|e| PolicyError::Json(e.to_string()))?;
        if let Some(bad) = p
            .block
            .iter()
            .find(|b| b.as_str() != TEAM_RULE && rule(b).is_none())
        {
            return Err(PolicyError::UnknownRule(bad.clone()));
        }
        Ok(p)
    }

    /// The policy as stored in [`POLICY_VAR`].
    pub fn to_value(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Why a stored policy cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyError {
    Json(String),
    UnknownRule(String),
}

impl PolicyError {
    pub fn zh(&self) -> String {
        match self {
            PolicyError::Json(e) => format!("合规设置（{POLICY_VAR}）不是有效的 JSON：{e}"),
            PolicyError::UnknownRule(r) => format!(
                "合规设置（{POLICY_VAR}）里没有规则「{r}」，可用：{}、{TEAM_RULE}",
                rule_ids().join("、")
            ),
        }
    }

    pub fn en(&self) -> String {
        match self {
            PolicyError::Json(e) => {
                format!("the compliance settings ({POLICY_VAR}) are not valid JSON: {e}")
            }
            PolicyError::UnknownRule(r) => format!(
                "the compliance settings ({POLICY_VAR}) name no rule \"{r}\"; the rules are {}, {TEAM_RULE}",
                rule_ids().join(", ")
            ),
        }
    }
}

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.en())
    }
}

/// Every built-in rule's id.
pub fn rule_ids() -> Vec<&'static str> {
    RULES.iter().map(|r| r.id).collect()
}

impl Policy {
    /// What a match of this rule does under this policy.
    pub fn action(&self, rule: &str) -> Action {
        if self.block.iter().any(|b| b == rule) {
            Action::Block
        } else {
            Action::Warn
        }
    }
}

/// One flagged word in a text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hit {
    /// The rule's id (`ad-absolute`, `offsite-contact`, …, or `team`).
    pub rule: String,
    /// The text matched, as written.
    pub word: String,
    /// Byte range in the text checked.
    pub start: usize,
    pub end: usize,
    /// Character range (Unicode scalar values), for editors that count characters.
    pub char_start: usize,
    pub char_end: usize,
    pub action: Action,
}

impl Hit {
    /// The rule's name, in Chinese.
    pub fn rule_zh(&self) -> &'static str {
        rule(&self.rule).map_or("团队禁用词", |r| r.name_zh)
    }

    pub fn rule_en(&self) -> &'static str {
        rule(&self.rule).map_or("the team's word list", |r| r.name_en)
    }

    /// Why the rule exists, in Chinese.
    pub fn reason_zh(&self) -> &'static str {
        rule(&self.rule).map_or("组长把这个词列为团队禁用词", |r| r.reason_zh)
    }

    pub fn reason_en(&self) -> &'static str {
        rule(&self.rule).map_or("the team lead listed this word", |r| r.reason_en)
    }

    /// One line for the user: 「最好」（广告法极限词：…）.
    pub fn message_zh(&self) -> String {
        format!(
            "「{}」：{}——{}",
            self.word,
            self.rule_zh(),
            self.reason_zh()
        )
    }

    pub fn message_en(&self) -> String {
        format!(
            "\"{}\": {} — {}",
            self.word,
            self.rule_en(),
            self.reason_en()
        )
    }
}

/// The built-in rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// The built-in rules that apply on a platform; `None` (unknown) applies every rule that
/// is not specific to one platform.
pub fn rules_for(platform: Option<Platform>) -> impl Iterator<Item = &'static Rule> {
    RULES.iter().filter(move |r| r.applies(platform))
}

/// Checks a text: every flagged word, in text order, overlapping matches merged to the
/// first rule that found them.
pub fn check(text: &str, platform: Option<Platform>, policy: &Policy) -> Vec<Hit> {
    scan::check(text, platform, policy)
}

/// The platforms a reply is checked for: the one given (the chat app's, `--platform`),
/// else each platform of its `apps:` (a reply meant for WeChat only is checked as
/// WeChat), else `None`: every rule that is not specific to one platform.
pub fn platforms_of(apps: &[String], given: Option<Platform>) -> Vec<Option<Platform>> {
    if given.is_some() {
        return vec![given];
    }
    let mut out = Vec::new();
    for p in apps.iter().filter_map(|a| Platform::of_app(a)) {
        if !out.contains(&Some(p)) {
            out.push(Some(p));
        }
    }
    if out.is_empty() {
        out.push(None);
    }
    out
}

/// The first word of a reply the team blocks (with the platform it was checked for), if
/// any: what the server refuses a team-library write for, and the app a fire.
pub fn blocked(doc: &crate::SnippetDoc, policy: &Policy) -> Option<(Hit, Option<Platform>)> {
    if policy.block.is_empty() {
        return None;
    }
    let platforms = platforms_of(&doc.apps, None);
    doc.parts.iter().filter_map(|p| p.text()).find_map(|text| {
        platforms.iter().find_map(|&p| {
            check(text, p, policy)
                .into_iter()
                .find(|h| h.action == Action::Block)
                .map(|h| (h, p))
        })
    })
}

/// Whether a text holds `{剪贴板}` (or `{clipboard}`) with more text after it in the same
/// part: whatever is on the clipboard then lands mid-sentence, unseen until it is sent.
pub fn clipboard_mid_sentence(text: &str) -> bool {
    for token in ["{剪贴板}", "{clipboard}"] {
        let mut from = 0;
        while let Some(at) = text[from..].find(token) {
            let after = &text[from + at + token.len()..];
            let rest = after.trim_start_matches(|c: char| {
                c.is_whitespace() || "。.！!？?～~，,；;：:、…)）」』\"'".contains(c)
            });
            if !rest.is_empty() {
                return true;
            }
            from += at + token.len();
        }
    }
    false
}

#[cfg(test)]
mod tests;

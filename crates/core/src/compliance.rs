//! The compliance check (合规检查) over replies: the rules engine is
//! [`quickreply_proto::compliance`] (shared with the server); this module applies it to a
//! pack or a rendered reply and words the findings in the user's language.
//!
//! Which platform a reply is checked for: the one given (`qreply lint --platform`, the
//! profile of the chat app at fire time), else each platform of its `apps:` (a reply
//! meant for WeChat only is checked as WeChat), else every rule that is not specific to
//! one platform.

use crate::i18n::tr;
use crate::source::{Origin, Pack, PackPart};

pub use quickreply_proto::compliance::{
    Action, Hit, POLICY_VAR, Platform, Policy, PolicyError, RULES, Rule, TEAM_RULE, blocked, check,
    clipboard_mid_sentence, platforms_of, rule, rule_ids, rules_for,
};

/// The team's policy of a library (its variable [`POLICY_VAR`]; none set: the built-in
/// rules, all warnings). The outer error is the store's; the inner one a stored value no
/// client can read (only a hand edit makes one: `qreply compliance` writes valid ones and
/// the server refuses others).
pub fn policy_of(
    store: &crate::Store,
    library: &crate::Library,
) -> crate::Result<Result<Policy, PolicyError>> {
    Ok(store
        .vars(library)?
        .into_iter()
        .find(|(name, _)| name == POLICY_VAR)
        .map_or(Ok(Policy::default()), |(_, v)| Policy::parse(&v)))
}

/// Writes a library's policy (synced like every variable of a synced library).
pub fn set_policy(
    store: &mut crate::Store,
    library: &crate::Library,
    policy: &Policy,
) -> crate::Result<()> {
    store.set_var(library, POLICY_VAR, &policy.to_value())
}

/// One finding in a pack: a flagged word (counts as a problem) or a warning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub origin: Origin,
    pub message: String,
    /// A warning does not make `qreply lint` fail (the `{剪贴板}` one).
    pub warning: bool,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.origin, self.message)
    }
}

/// A flagged word for the user: the word, the rule, why, and (when known) the platform.
pub fn hit_message(hit: &Hit, platform: Option<Platform>) -> String {
    let blocked = hit.action == Action::Block;
    match platform {
        Some(p) => tr(
            format!(
                "{}（{}）{}",
                hit.message_zh(),
                p.zh(),
                if blocked {
                    "；团队已设为禁止发送"
                } else {
                    ""
                }
            ),
            format!(
                "{} ({}){}",
                hit.message_en(),
                p.en(),
                if blocked { "; the team blocks it" } else { "" }
            ),
        ),
        None => tr(
            format!(
                "{}{}",
                hit.message_zh(),
                if blocked {
                    "；团队已设为禁止发送"
                } else {
                    ""
                }
            ),
            format!(
                "{}{}",
                hit.message_en(),
                if blocked { "; the team blocks it" } else { "" }
            ),
        ),
    }
}

/// The warning for a reply that inserts the clipboard mid-sentence.
pub fn clipboard_warning() -> String {
    tr(
        "{剪贴板} 在句子中间：发送时会插入剪贴板上的任何内容，发出前看不到",
        "{剪贴板} is mid-sentence: whatever is on the clipboard is inserted when it is sent, unseen",
    )
}

/// Checks every text part of a pack; findings in pack order. A word is reported once per
/// part and rule, however often it occurs and on however many of the reply's platforms.
pub fn check_pack(pack: &Pack, platform: Option<Platform>, policy: &Policy) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in &pack.snippets {
        let platforms = platforms_of(&s.apps, platform);
        for part in &s.parts {
            let PackPart::Text { body, origin } = part else {
                continue;
            };
            // one line per word and rule in a part, however often it occurs
            let mut seen: Vec<(String, String)> = Vec::new();
            for &p in &platforms {
                for hit in check(body, p, policy) {
                    let key = (hit.word.to_lowercase(), hit.rule.clone());
                    if seen.contains(&key) {
                        continue;
                    }
                    seen.push(key);
                    let line = body[..hit.start].matches('\n').count();
                    out.push(Finding {
                        origin: origin.offset(line),
                        message: format!("「{}」 {}", s.title, hit_message(&hit, p)),
                        warning: false,
                    });
                }
            }
            if clipboard_mid_sentence(body) {
                out.push(Finding {
                    origin: origin.clone(),
                    message: format!("「{}」 {}", s.title, clipboard_warning()),
                    warning: true,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin;

    fn zh_pack() -> Pack {
        match builtin::pack("zh-CN") {
            Some(Ok(p)) => p,
            other => panic!("no built-in zh-CN pack: {other:?}"),
        }
    }

    fn flagged(findings: &[Finding]) -> Vec<String> {
        findings
            .iter()
            .filter(|f| !f.warning)
            .map(|f| f.message.clone())
            .collect()
    }

    /// The built-in library is clean where each reply is meant to go (its `apps:`, or
    /// anywhere): `qreply lint snippets` (test leg 6) stays green.
    #[test]
    fn the_builtin_library_is_clean_where_each_reply_goes() {
        let pack = zh_pack();
        let found = check_pack(&pack, None, &Policy::default());
        assert_eq!(flagged(&found), Vec::<String>::new());
        // the clipboard warnings are the replies that insert it mid-sentence
        let warnings = found.iter().filter(|f| f.warning).count();
        assert!(warnings > 0);
    }

    /// Beside Qianniu, the replies meant for WeChat (and JD, Pinduoduo) are flagged, and
    /// nothing else is.
    #[test]
    fn beside_qianniu_the_wechat_replies_are_flagged() {
        let pack = zh_pack();
        let found = check_pack(&pack, Some(Platform::Taobao), &Policy::default());
        let flagged = flagged(&found);
        assert!(
            flagged.iter().any(|m| m.contains("「添加客服微信」")),
            "{flagged:#?}"
        );
        // only replies meant for other apps (WeChat, JD, Pinduoduo) are flagged here
        let elsewhere: Vec<&str> = pack
            .snippets
            .iter()
            .filter(|s| !s.apps.is_empty() && !s.apps.iter().any(|a| a == "qianniu"))
            .map(|s| s.title.as_str())
            .collect();
        for m in &flagged {
            assert!(
                elsewhere.iter().any(|t| m.starts_with(&format!("「{t}」"))),
                "flagged beside Qianniu but not a reply for another app: {m}"
            );
        }
        // and in WeChat they are fine
        let wechat = check_pack(&pack, Some(Platform::Wechat), &Policy::default());
        assert_eq!(flagged_count(&wechat), 0);
    }

    fn flagged_count(f: &[Finding]) -> usize {
        f.iter().filter(|f| !f.warning).count()
    }

    #[test]
    fn a_reply_is_checked_for_its_apps_platforms() {
        assert_eq!(platforms_of(&[], None), vec![None]);
        assert_eq!(
            platforms_of(&["wechat".into(), "qianniu".into(), "wecom".into()], None),
            vec![Some(Platform::Wechat), Some(Platform::Taobao)]
        );
        assert_eq!(
            platforms_of(&["wechat".into()], Some(Platform::Jd)),
            vec![Some(Platform::Jd)]
        );
    }

    #[test]
    fn findings_name_the_line_rule_and_platform() {
        let dir = match tempfile::tempdir() {
            Ok(d) => d,
            Err(e) => panic!("{e}"),
        };
        let md = "# 测试\n\n## 加微信\napps: qianniu\n\n亲，您好\n加我微信发您顶级优惠\n";
        if let Err(e) = std::fs::write(dir.path().join("pack.toml"), "name = \"t\"\n")
            .and_then(|_| std::fs::write(dir.path().join("a.md"), md))
        {
            panic!("{e}");
        }
        let pack = match crate::source::read_dir(dir.path()) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        let found = check_pack(&pack, None, &Policy::default());
        let lines: Vec<String> = found.iter().map(|f| f.to_string()).collect();
        assert_eq!(lines.len(), 3, "{lines:#?}");
        let on_line = |f: &Finding| match &f.origin {
            Origin::File { line, .. } => *line,
            Origin::Library { .. } => 0,
        };
        assert_eq!(found.iter().map(on_line).collect::<Vec<_>>(), [7, 7, 7]);
        assert!(lines[0].contains("加我"), "{}", lines[0]);
        assert!(lines[0].contains(&tr("站外引流：联系方式", "off-platform contact")));
        assert!(lines[0].contains(&tr("（淘宝/天猫）", "(Taobao/Tmall)")));
        assert!(lines[1].contains("微信"));
        assert!(lines[2].contains("顶级"));
        assert!(lines[2].contains(&tr("广告法极限词", "absolute claim")));
    }

    #[test]
    fn a_librarys_policy_is_its_variable() {
        let dir = match tempfile::tempdir() {
            Ok(d) => d,
            Err(e) => panic!("{e}"),
        };
        let run = || -> crate::Result<()> {
            let mut store = crate::Store::open(dir.path())?;
            let lib = store.library(crate::store::PERSONAL)?;
            assert_eq!(policy_of(&store, &lib)?, Ok(Policy::default()));
            let p = Policy {
                words: vec!["秒杀价".into()],
                allow: vec!["最新款".into()],
                block: vec!["offsite-contact".into()],
            };
            set_policy(&mut store, &lib, &p)?;
            assert_eq!(policy_of(&store, &lib)?, Ok(p.clone()));
            // What no client could read is refused and the saved policy stays.
            assert!(matches!(
                store.set_var(&lib, POLICY_VAR, "{oops"),
                Err(crate::Error::InvalidPolicy(PolicyError::Json(_)))
            ));
            assert!(matches!(
                store.set_var(&lib, POLICY_VAR, r#"{"block":["no-such-rule"]}"#),
                Err(crate::Error::InvalidPolicy(PolicyError::UnknownRule(_)))
            ));
            assert_eq!(policy_of(&store, &lib)?, Ok(p.clone()));
            let row = crate::store::VariableChange {
                old: Some(POLICY_VAR.into()),
                var: crate::store::Variable {
                    name: POLICY_VAR.into(),
                    value: "[1, 2".into(),
                    overridable: false,
                    example: false,
                },
            };
            assert!(matches!(
                store.save_variables(&lib, &[row]),
                Err(crate::store::SaveVariablesError::Rows(rows))
                    if matches!(rows.as_slice(), [(0, crate::Error::InvalidPolicy(_))])
            ));
            assert_eq!(policy_of(&store, &lib)?, Ok(p));
            Ok(())
        };
        if let Err(e) = run() {
            panic!("{e}");
        }
    }
}

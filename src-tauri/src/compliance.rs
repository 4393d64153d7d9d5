//! The compliance check (合规检查) in the app: before a fire, the rendered reply is
//! checked for the platform of the chat app the panel serves (its profile's
//! [`Profile::platform`](quickreply_core::settings::Profile::platform)); the panel shows
//! what it found and the agent confirms (or, for a rule the team blocks, cannot send).
//! A reply that inserts the clipboard mid-sentence shows what will be inserted first.
//! The editor checks a draft as one types ([`compliance_check`]).

use std::collections::HashMap;

use quickreply_core::Rendered;
use quickreply_core::compliance::{self, Action, Hit, Platform, Policy};
use quickreply_core::i18n::tr;
use serde::Serialize;
use tauri::State;
use uuid::Uuid;

use crate::app::App;
use crate::ipc::{Res, err, parse_id};

/// Longest clipboard text shown before a fire (characters); the rest is cut with …
const CLIPBOARD_SHOWN: usize = 200;

/// One flagged word, for the panel and the editor.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HitView {
    pub word: String,
    /// The rule's id and its name and reason in the user's language.
    pub rule: String,
    pub name: String,
    pub reason: String,
    /// The team blocks this rule: the reply cannot be sent.
    pub blocked: bool,
    /// Character range in the text checked (UTF-16 code units, as the editor counts).
    pub start: usize,
    pub end: usize,
}

impl HitView {
    fn of(hit: &Hit, text: &str) -> HitView {
        let utf16 = |byte: usize| text[..byte].encode_utf16().count();
        HitView {
            word: hit.word.clone(),
            rule: hit.rule.clone(),
            name: tr(hit.rule_zh(), hit.rule_en()),
            reason: tr(hit.reason_zh(), hit.reason_en()),
            blocked: hit.action == Action::Block,
            start: utf16(hit.start),
            end: utf16(hit.end),
        }
    }
}

/// What a fire must show first.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FireCheck {
    /// The platform checked for, named for the agent (`None`: no profile says which).
    pub platform: Option<String>,
    pub hits: Vec<HitView>,
    /// The clipboard text a mid-sentence `{剪贴板}` will insert (cut to 200 characters).
    pub clipboard: Option<String>,
}

fn platform_name(p: Platform) -> String {
    tr(p.zh(), p.en())
}

/// The policy of a library (the lead's list, `@合规`); one no client can read (a hand
/// edit) counts as none, as on the server.
fn policy_of(app: &App, library: &str) -> Policy {
    app.lock()
        .ok()
        .and_then(|inner| {
            let lib = inner.store.library(library).ok()?;
            compliance::policy_of(&inner.store, &lib).ok()?.ok()
        })
        .unwrap_or_default()
}

/// Checks a reply as it would be fired now: rendered with these answers and the
/// clipboard, for the platform of the chat app the panel serves.
pub fn check_fire(
    app: &App,
    id: Uuid,
    answers: &HashMap<String, String>,
) -> anyhow::Result<FireCheck> {
    let platform = {
        let inner = app.lock()?;
        inner
            .target
            .as_ref()
            .and_then(|t| inner.settings.profile_for(&t.name_refs(), &t.title))
            .and_then(|p| p.platform())
    };
    // A reply that cannot be rendered (an unknown variable, no clipboard) is left to the
    // fire, which says so as every failed fire does and takes our reply off the clipboard.
    let Ok((snippet, parts)) = app.render(id, answers) else {
        return Ok(FireCheck::default());
    };
    let policy = policy_of(app, &snippet.library);
    let mut hits = Vec::new();
    for part in &parts {
        if let Rendered::Text(text) = part {
            hits.extend(
                compliance::check(text, platform, &policy)
                    .iter()
                    .map(|h| HitView::of(h, text)),
            );
        }
    }
    let mid = snippet
        .parts
        .iter()
        .filter_map(|p| p.text())
        .any(compliance::clipboard_mid_sentence);
    let clipboard = mid.then(|| {
        let text = app.clipboard.text().unwrap_or_default();
        let mut shown: String = text.chars().take(CLIPBOARD_SHOWN).collect();
        if text.chars().count() > CLIPBOARD_SHOWN {
            shown.push('…');
        }
        shown
    });
    Ok(FireCheck {
        platform: platform.map(platform_name),
        hits,
        clipboard,
    })
}

/// Refuses a fire the team's policy blocks (the panel offers no send then; this keeps
/// any other way of firing from sending it): the word, the rule and the platform.
pub fn refuse_blocked(
    app: &App,
    id: Uuid,
    answers: &HashMap<String, String>,
) -> anyhow::Result<()> {
    let check = check_fire(app, id, answers)?;
    match check.hits.iter().find(|h| h.blocked) {
        None => Ok(()),
        Some(h) => Err(anyhow::anyhow!(tr(
            format!("「{}」：{}，团队已禁止发送含这个词的话术", h.word, h.name),
            format!(
                "\"{}\": {}; the team blocks replies with this word",
                h.word, h.name
            ),
        ))),
    }
}

/// The panel asks before a fire: what the agent must confirm.
#[tauri::command]
pub fn fire_check(
    app: State<'_, App>,
    id: String,
    answers: HashMap<String, String>,
) -> Res<FireCheck> {
    check_fire(&app, parse_id(&id)?, &answers).map_err(err)
}

/// The editor's check of a draft's text as one types: for the platforms of the reply's
/// apps (`id`: the saved reply, `None` for a new one), else every rule that is not
/// platform-specific (as `qreply lint`), with the policy of the draft's `library`.
#[tauri::command]
pub fn compliance_check(
    app: State<'_, App>,
    text: String,
    id: Option<String>,
    library: String,
) -> Res<Vec<HitView>> {
    let (apps, policy) = {
        let inner = app.lock().map_err(err)?;
        let apps = match id {
            Some(id) => inner.store.snippet(parse_id(&id)?).map_err(err)?.apps,
            None => Vec::new(),
        };
        let policy = inner
            .store
            .library(&library)
            .ok()
            .and_then(|lib| compliance::policy_of(&inner.store, &lib).ok()?.ok())
            .unwrap_or_default();
        (apps, policy)
    };
    Ok(check_text(&text, &apps, &policy))
}

/// Every flagged word of a text for the platforms of these apps, in text order.
fn check_text(text: &str, apps: &[String], policy: &Policy) -> Vec<HitView> {
    let mut out: Vec<HitView> = Vec::new();
    for p in compliance::platforms_of(apps, None) {
        for hit in compliance::check(text, p, policy) {
            let view = HitView::of(&hit, text);
            if !out
                .iter()
                .any(|h| h.start == view.start && h.rule == view.rule)
            {
                out.push(view);
            }
        }
    }
    out.sort_by_key(|h| h.start);
    out
}

/// One rule a lead may set to block, for the editor's 合规设置.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleView {
    pub id: String,
    pub name: String,
    pub reason: String,
}

/// A library's compliance settings (`@合规`) as the editor's 合规设置 shows them: the
/// lead's words, the allowed words, the rules blocked, and every rule that can be.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyView {
    pub words: Vec<String>,
    pub allow: Vec<String>,
    pub block: Vec<String>,
    pub rules: Vec<RuleView>,
    /// This computer may change them (the lead or an editor of a team library).
    pub writable: bool,
    /// The stored settings cannot be read (a hand edit from before they were checked):
    /// they block nothing, and saving replaces them.
    pub problem: Option<String>,
}

fn policy_view(store: &quickreply_core::Store, library: &str) -> Res<PolicyView> {
    let lib = store.library(library).map_err(err)?;
    let (policy, problem) = match compliance::policy_of(store, &lib).map_err(err)? {
        Ok(p) => (p, None),
        Err(e) => (Policy::default(), Some(tr(e.zh(), e.en()))),
    };
    let mut rules: Vec<RuleView> = compliance::RULES
        .iter()
        .map(|r| RuleView {
            id: r.id.into(),
            name: tr(r.name_zh, r.name_en),
            reason: tr(r.reason_zh, r.reason_en),
        })
        .collect();
    rules.push(RuleView {
        id: compliance::TEAM_RULE.into(),
        name: tr("团队自定义词", "the team's own words"),
        reason: tr("主管在这里添加的词", "words the lead added here"),
    });
    Ok(PolicyView {
        words: policy.words,
        allow: policy.allow,
        block: policy.block,
        rules,
        writable: store.writable(&lib).map_err(err)?,
        problem,
    })
}

/// The editor's 合规设置 of a library.
#[tauri::command]
pub fn compliance_policy(app: State<'_, App>, library: String) -> Res<PolicyView> {
    let inner = app.lock().map_err(err)?;
    policy_view(&inner.store, &library)
}

/// Saves a library's compliance settings from the editor (synced like its variables):
/// words are trimmed, blank and repeated ones dropped; a rule id no client knows is
/// refused.
#[tauri::command]
pub fn save_compliance_policy(
    app: State<'_, App>,
    library: String,
    words: Vec<String>,
    allow: Vec<String>,
    block: Vec<String>,
) -> Res<PolicyView> {
    let policy = Policy {
        words: tidy(words),
        allow: tidy(allow),
        block: tidy(block),
    };
    {
        let mut inner = app.lock().map_err(err)?;
        let lib = inner.store.library(&library).map_err(err)?;
        // Checked as the store would, for the message to name the rule.
        Policy::parse(&policy.to_value()).map_err(|e| tr(e.zh(), e.en()))?;
        compliance::set_policy(&mut inner.store, &lib, &policy).map_err(err)?;
    }
    app.variables_changed().map_err(err)?;
    policy_view(&app.lock().map_err(err)?.store, &library)
}

/// Trimmed, without blanks or repeats, in the order typed.
fn tidy(list: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in list {
        let w = w.trim().to_string();
        if !w.is_empty() && !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_editor_checks_for_the_replys_apps_in_utf16_positions() {
        let text = "😀亲，添加客服微信，顶级服务";
        let general = check_text(text, &[], &Policy::default());
        let words: Vec<(&str, usize, usize)> = general
            .iter()
            .map(|h| (h.word.as_str(), h.start, h.end))
            .collect();
        // 😀 is two UTF-16 units: JavaScript's string positions
        assert_eq!(words, vec![("微信", 8, 10), ("顶级", 11, 13)]);
        let wechat = check_text(text, &["wechat".to_string()], &Policy::default());
        assert_eq!(wechat.len(), 1);
        assert_eq!(wechat[0].rule, "ad-absolute");
        // the library's policy: its words, and the rules it blocks
        let policy = Policy {
            words: vec!["服务".into()],
            allow: vec![],
            block: vec!["ad-absolute".into()],
        };
        let team = check_text(text, &["wechat".to_string()], &policy);
        let got: Vec<(&str, bool)> = team.iter().map(|h| (h.word.as_str(), h.blocked)).collect();
        assert_eq!(got, vec![("顶级", true), ("服务", false)]);
    }
}

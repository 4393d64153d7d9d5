//! `qreply compliance`: the rules of the compliance check and a library's own list (the
//! lead's words, allowed phrases and blocked rules), kept in its variable `@合规`.

use anyhow::{Result, bail};
use quickreply_core::Store;
use quickreply_core::compliance::{
    Platform, Policy, RULES, TEAM_RULE, policy_of, rule, rule_ids, set_policy,
};
use quickreply_core::i18n::tr;

use crate::args::ComplianceCmd;

fn shown_action(policy: &Policy, id: &str) -> String {
    if policy.block.iter().any(|b| b == id) {
        tr("禁止", "block")
    } else {
        tr("提醒", "warn")
    }
}

/// Where a rule applies, for `show`.
fn applies(r: &quickreply_core::compliance::Rule) -> String {
    let on: Vec<String> = Platform::ALL
        .iter()
        .filter(|p| r.applies(Some(**p)))
        .map(|p| tr(p.zh(), p.en()))
        .collect();
    if r.applies(None) {
        tr(
            format!("{}；未知平台也检查", on.join("、")),
            format!("{}; also when the platform is unknown", on.join(", ")),
        )
    } else {
        on.join(&tr("、", ", "))
    }
}

fn check_rules(rules: &[String]) -> Result<()> {
    for r in rules {
        if r != TEAM_RULE && rule(r).is_none() {
            bail!(tr(
                format!(
                    "没有规则「{r}」，可用：{}、{TEAM_RULE}",
                    rule_ids().join("、")
                ),
                format!(
                    "there is no rule \"{r}\"; the rules are {}, {TEAM_RULE}",
                    rule_ids().join(", ")
                ),
            ));
        }
    }
    Ok(())
}

fn add_unique(list: &mut Vec<String>, items: &[String]) {
    for w in items.iter().map(|w| w.trim()).filter(|w| !w.is_empty()) {
        if !list.iter().any(|x| x == w) {
            list.push(w.to_string());
        }
    }
}

pub(crate) fn run(store: &mut Store, library: &str, cmd: ComplianceCmd) -> Result<()> {
    let lib = store.library(library)?;
    let mut policy = match policy_of(store, &lib)? {
        Ok(p) => p,
        Err(e) => bail!(tr(e.zh(), e.en())),
    };
    match cmd {
        ComplianceCmd::Show => {
            for r in RULES {
                println!(
                    "{}\t{}\t{}\t{}",
                    r.id,
                    tr(r.name_zh, r.name_en),
                    shown_action(&policy, r.id),
                    applies(r)
                );
            }
            println!(
                "{TEAM_RULE}\t{}\t{}\t{}",
                tr("团队禁用词", "the team's words"),
                shown_action(&policy, TEAM_RULE),
                if policy.words.is_empty() {
                    tr("（无）", "(none)")
                } else {
                    policy.words.join(&tr("、", ", "))
                }
            );
            if !policy.allow.is_empty() {
                println!(
                    "{}",
                    tr(
                        format!("允许：{}", policy.allow.join("、")),
                        format!("allowed: {}", policy.allow.join(", "))
                    )
                );
            }
            return Ok(());
        }
        ComplianceCmd::Add { words } => add_unique(&mut policy.words, &words),
        ComplianceCmd::Allow { words } => add_unique(&mut policy.allow, &words),
        ComplianceCmd::Remove { words } => {
            let gone = |w: &String| words.iter().any(|x| x.trim() == w);
            policy.words.retain(|w| !gone(w));
            policy.allow.retain(|w| !gone(w));
        }
        ComplianceCmd::Block { rules } => {
            check_rules(&rules)?;
            add_unique(&mut policy.block, &rules);
        }
        ComplianceCmd::Warn { rules } => {
            check_rules(&rules)?;
            policy.block.retain(|b| !rules.contains(b));
        }
    }
    set_policy(store, &lib, &policy)?;
    println!(
        "{}",
        tr(
            format!(
                "话术库 {}：{} 个团队禁用词，{} 个允许，禁止的规则：{}",
                lib.name,
                policy.words.len(),
                policy.allow.len(),
                if policy.block.is_empty() {
                    "无".to_string()
                } else {
                    policy.block.join("、")
                }
            ),
            format!(
                "library {}: {} words, {} allowed, blocked rules: {}",
                lib.name,
                policy.words.len(),
                policy.allow.len(),
                if policy.block.is_empty() {
                    "none".to_string()
                } else {
                    policy.block.join(", ")
                }
            )
        )
    );
    Ok(())
}

//! `qreply lint`: check a pack on disk or the replies of the store, and print what is
//! wrong with each.

use std::collections::HashSet;
use std::path::PathBuf;

use anyhow::{Context, Result};
use quickreply_core::compliance::{Platform, Policy, check_pack};
use quickreply_core::i18n::tr;
use quickreply_core::lint::{LintContext, lint};
use quickreply_core::store::PERSONAL;
use quickreply_core::{Store, packs, source};

pub(crate) fn lint_path(path: &PathBuf, platform: Option<Platform>) -> Result<usize> {
    // A folder of packs (each with pack.toml) or one pack.
    let mut roots = Vec::new();
    if path.join("pack.toml").exists() {
        roots.push(path.clone());
    } else {
        let mut subs: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| path.display().to_string())?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("pack.toml").exists())
            .collect();
        subs.sort();
        if subs.is_empty() {
            roots.push(path.clone());
        }
        roots.extend(subs);
    }
    let mut total = 0;
    for root in roots {
        let pack = source::read_dir(&root)?;
        let extra = HashSet::new();
        let never = |_: &str| false;
        let problems = lint(
            &pack,
            &LintContext {
                extra_vars: &extra,
                blob_ok: &never,
                near_duplicates: true,
            },
        );
        for p in &problems {
            println!("{}", crate::shown::shown_text(&p.to_string()));
        }
        let flagged = print_compliance(&pack, platform, &Policy::default()) + print_dates(&pack);
        let unused = source::unreferenced_images(&root, &pack);
        for u in &unused {
            println!(
                "{}",
                tr(
                    format!("{}：没有话术使用这张图片", u.display()),
                    format!("{}: no reply uses this image", u.display())
                )
            );
        }
        let problems_count = problems.len() + unused.len() + flagged;
        let folders = pack.folders.len();
        println!(
            "{}",
            tr(
                format!(
                    "{}：{} 条话术，{} 个文件夹，{} 个变量，{} 个问题",
                    root.display(),
                    pack.snippets.len(),
                    folders,
                    pack.meta.variables.len(),
                    problems_count
                ),
                format!(
                    "{}: {} replies, {} folders, {} variables, {} problems",
                    root.display(),
                    pack.snippets.len(),
                    folders,
                    pack.meta.variables.len(),
                    problems_count
                )
            )
        );
        total += problems_count;
    }
    Ok(total)
}

pub(crate) fn lint_store(
    store: &Store,
    library: Option<&str>,
    platform: Option<Platform>,
) -> Result<usize> {
    let libs = match library {
        Some(l) => vec![store.library(l)?],
        None => store.libraries()?,
    };
    let personal_vars: HashSet<String> = store
        .variable_list(&store.library(PERSONAL)?)?
        .into_iter()
        .map(|v| v.name) // declared, set or not: an unset one is no unknown name
        .collect();
    let blob_ok = |sha: &str| store.blobs().verify(sha);
    let mut total = 0;
    for problem in store.check_integrity()? {
        println!(
            "{}: {}",
            store.path().display(),
            crate::shown::shown_text(&problem.to_string())
        );
        total += 1;
    }
    for lib in libs {
        let pack = packs::from_library(store, &lib)?;
        let problems = lint(
            &pack,
            &LintContext {
                extra_vars: &personal_vars,
                blob_ok: &blob_ok,
                near_duplicates: false,
            },
        );
        for p in &problems {
            println!("{}", crate::shown::shown_text(&p.to_string()));
        }
        let policy = match quickreply_core::compliance::policy_of(store, &lib)? {
            Ok(p) => p,
            Err(e) => {
                // a hand-edited @合规 no client can read: a problem of its own
                println!("{}: {}", crate::shown::shown(&lib.name), tr(e.zh(), e.en()));
                total += 1;
                Policy::default()
            }
        };
        let count =
            problems.len() + print_compliance(&pack, platform, &policy) + print_dates(&pack);
        println!(
            "{}",
            tr(
                format!(
                    "话术库 {}：{} 条话术，{} 个问题",
                    crate::shown::shown(&lib.name),
                    pack.snippets.len(),
                    count
                ),
                format!(
                    "library {}: {} replies, {} problems",
                    crate::shown::shown(&lib.name),
                    pack.snippets.len(),
                    count
                )
            )
        );
        total += count;
    }
    Ok(total)
}

/// Prints the date findings of a pack (生效 / 失效: an expired reply is a warning) and
/// returns how many are errors.
fn print_dates(pack: &source::Pack) -> usize {
    let mut errors = 0;
    for f in quickreply_core::lint::dates::dates(pack, quickreply_core::proto::schedule::now_ms()) {
        if f.warning {
            println!(
                "{}",
                crate::shown::shown_text(&tr(format!("{f}（提醒）"), format!("{f} (warning)")))
            );
        } else {
            errors += 1;
            println!("{}", crate::shown::shown_text(&f.to_string()));
        }
    }
    errors
}

/// Prints the compliance findings of a pack (warnings marked as such) and returns how
/// many words were flagged (warnings do not count).
fn print_compliance(pack: &source::Pack, platform: Option<Platform>, policy: &Policy) -> usize {
    let mut flagged = 0;
    for f in check_pack(pack, platform, policy) {
        if f.warning {
            println!(
                "{}",
                crate::shown::shown_text(&tr(format!("{f}（提醒）"), format!("{f} (warning)")))
            );
        } else {
            flagged += 1;
            println!("{}", crate::shown::shown_text(&f.to_string()));
        }
    }
    flagged
}

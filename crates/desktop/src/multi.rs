//! 多开: another WeChat / WeCom window beside the first. Both programs refuse a second
//! instance with a named mutex made at start; a second start that finds the mutex already
//! there exits. The names (verified in public multi-instance tools):
//! - WeChat 3.x (`WeChat.exe`): `_WeChat_App_Instance_Identity_Mutex_Name`;
//! - WeChat 4.x (`Weixin.exe`): `XWeChat_App_Instance_Identity_Mutex_Name` — both in
//!   Shilyx/MultiWeChat `WeChat.h` (`EnableMultiWeChat`); wfql1024/MultiWeChatManager
//!   `scripts/original_remote_sw_v10.json` lists for `Weixin` also a `lock.ini` file lock,
//!   which the early 4.0.0.x builds used instead (not handled here: those builds are
//!   superseded, and a file lock cannot be taken over without touching WeChat's files);
//! - WeCom (`WXWork.exe`): `Tencent.WeWork.ExclusiveObject` and
//!   `Tencent.WeWork.ExclusiveObjectInstance1` (the same JSON, `mutex_handles` of
//!   `WXWork`); names starting `Tencent.WeWork.Exclusive` are treated as WeCom's
//!   (not-yes/wecom-multi `src/lib.rs` matches that prefix).
//!
//! Two ways past the check, both without touching the chat program's files
//! (Windows only, [`crate::multi_win`]):
//! - **hold** (technique B, tried first): QuickReply makes (or opens) the mutexes itself,
//!   gives them a DACL that denies Everyone and keeps them for as long as it runs. The
//!   chat program's `CreateMutexW` then fails with access denied, which it takes as "no
//!   other instance" — Shilyx/MultiWeChat `README.md`. No handle enumeration, no admin
//!   rights. After setting the DACL QuickReply opens the mutex once more itself and
//!   expects to be refused: where it is not (a system that does not enforce the DACL),
//!   hold has not worked and close is used.
//! - **close** (technique A, the fallback): the mutex handles inside the running
//!   instances are closed from outside (`NtQuerySystemInformation` class 64,
//!   `DuplicateHandle` with `DUPLICATE_CLOSE_SOURCE`), as huiyadanli/RevokeMsgPatcher
//!   `RevokeMsgPatcher.MultiInstance/ProcessUtil.cs` does.
//!
//! Where the programs are installed: [`find_install`].

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// A chat program that refuses a second instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ChatApp {
    /// WeChat 3.x, `WeChat.exe`.
    WeChat,
    /// WeChat 4.x, `Weixin.exe`.
    Weixin,
    /// WeCom (企业微信), `WXWork.exe`.
    WeCom,
}

/// What a menu offers: 再开一个微信 (WeChat 3.x or 4.x, whichever is there) or
/// 再开一个企业微信.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Family {
    WeChat,
    WeCom,
}

impl Family {
    pub const ALL: [Family; 2] = [Family::WeChat, Family::WeCom];

    /// The programs of the family, the one to prefer first.
    pub fn apps(self) -> &'static [ChatApp] {
        match self {
            Family::WeChat => &[ChatApp::Weixin, ChatApp::WeChat],
            Family::WeCom => &[ChatApp::WeCom],
        }
    }
}

impl ChatApp {
    pub const ALL: [ChatApp; 3] = [ChatApp::WeChat, ChatApp::Weixin, ChatApp::WeCom];

    /// The program's file name.
    pub fn exe(self) -> &'static str {
        match self {
            ChatApp::WeChat => "WeChat.exe",
            ChatApp::Weixin => "Weixin.exe",
            ChatApp::WeCom => "WXWork.exe",
        }
    }

    pub fn family(self) -> Family {
        match self {
            ChatApp::WeChat | ChatApp::Weixin => Family::WeChat,
            ChatApp::WeCom => Family::WeCom,
        }
    }

    /// The app a program file belongs to, by its file name (case-insensitive).
    pub fn from_exe(file_name: &str) -> Option<ChatApp> {
        ChatApp::ALL
            .into_iter()
            .find(|a| a.exe().eq_ignore_ascii_case(file_name))
    }

    /// The named mutexes its single-instance check makes.
    pub fn mutexes(self) -> &'static [&'static str] {
        match self {
            ChatApp::WeChat => &["_WeChat_App_Instance_Identity_Mutex_Name"],
            ChatApp::Weixin => &["XWeChat_App_Instance_Identity_Mutex_Name"],
            ChatApp::WeCom => &[
                "Tencent.WeWork.ExclusiveObject",
                "Tencent.WeWork.ExclusiveObjectInstance1",
            ],
        }
    }

    /// Whether a mutex object's name (`\Sessions\1\BaseNamedObjects\<name>` or just the
    /// name) is one of this app's single-instance mutexes.
    pub fn owns_mutex(self, object_name: &str) -> bool {
        let base = object_name.rsplit('\\').next().unwrap_or(object_name);
        match self {
            ChatApp::WeCom => base.starts_with("Tencent.WeWork.Exclusive"),
            _ => self.mutexes().contains(&base),
        }
    }
}

/// How another instance got past the single-instance check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Technique {
    /// QuickReply holds the mutexes with a DACL that refuses everyone (technique B).
    Hold,
    /// The running instances' mutex handles were closed (technique A).
    Close,
}

/// Another instance that was started.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Started {
    pub pid: u32,
    pub technique: Technique,
}

/// The file `exe` names, when it is a program of `app` (by file name; the path itself is
/// not checked here).
pub fn is_program_of(app: ChatApp, exe: &Path) -> bool {
    exe.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.eq_ignore_ascii_case(app.exe()))
}

/// A registry hive the install paths are read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Hive {
    CurrentUser,
    LocalMachine,
}

/// Reads string values of the registry: the real one on Windows
/// (`multi_win::WinRegistry`), a fake hive in tests.
pub trait Registry {
    /// The string value `name` of `key` (REG_SZ, or REG_EXPAND_SZ expanded); `None`
    /// when the key or value is not there.
    fn value(&self, hive: Hive, key: &str, name: &str) -> Option<String>;
}

/// What a registry value holds: the program's folder, or a file (the program itself, or
/// an icon or uninstaller beside it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Holds {
    Folder,
    File,
}

const UNINSTALL: &str = r"SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall";
const UNINSTALL_64: &str = r"SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall";

/// Where the installers leave the install path, first to last. Sources:
/// wfql1024/MultiWeChatManager `scripts/original_remote_sw_v10.json` (`path_detect`:
/// `Software\Tencent\WeChat` / `Weixin` `InstallPath`, `Software\Tencent\WXWork`
/// `Executable`, the uninstall keys `WeChat`, `Weixin`, `企业微信` with
/// `InstallLocation` / `DisplayIcon`); not-yes/wecom-multi `docs/PATH_DETECTION.md`
/// (`Software\Tencent\WXWork` `InstallPath`); huiyadanli/RevokeMsgPatcher
/// `RevokeMsgPatcher/Utils/PathUtil.cs` (both uninstall views).
fn registry_sources(app: ChatApp) -> Vec<(Hive, String, &'static str, Holds)> {
    let (tencent, uninstall) = match app {
        ChatApp::WeChat => ("WeChat", "WeChat"),
        ChatApp::Weixin => ("Weixin", "Weixin"),
        ChatApp::WeCom => ("WXWork", "企业微信"),
    };
    let user = format!(r"Software\Tencent\{tencent}");
    let mut out = Vec::new();
    if app == ChatApp::WeCom {
        out.push((Hive::CurrentUser, user.clone(), "Executable", Holds::File));
    }
    out.push((Hive::CurrentUser, user, "InstallPath", Holds::Folder));
    for base in [UNINSTALL, UNINSTALL_64] {
        let key = format!(r"{base}\{uninstall}");
        out.push((
            Hive::LocalMachine,
            key.clone(),
            "InstallLocation",
            Holds::Folder,
        ));
        out.push((Hive::LocalMachine, key, "DisplayIcon", Holds::File));
    }
    out
}

/// The default folders below `Program Files` (either view).
fn default_folders(app: ChatApp) -> &'static [&'static str] {
    match app {
        ChatApp::WeChat => &[r"Tencent\WeChat", "WeChat"],
        ChatApp::Weixin => &[r"Tencent\Weixin", "Weixin"],
        ChatApp::WeCom => &["WXWork", r"Tencent\WXWork"],
    }
}

/// `dir` + `\` (or `/`, whichever `dir` uses) + `name`.
fn join(dir: &str, name: &str) -> String {
    let sep = if dir.contains('\\') || !dir.contains('/') {
        '\\'
    } else {
        '/'
    };
    format!("{}{sep}{name}", dir.trim_end_matches(['\\', '/']))
}

/// The program a registry value points at: quotes and an icon index (`,0`) dropped; a
/// folder gets the program's name; a file that is not the program (an icon, the
/// uninstaller) gives the program beside it.
fn program_in(app: ChatApp, value: &str, holds: Holds) -> Option<String> {
    let mut v = value.trim().trim_matches('"').trim();
    if holds == Holds::File {
        if let Some((path, index)) = v.rsplit_once(',') {
            if index
                .trim()
                .trim_start_matches('-')
                .chars()
                .all(|c| c.is_ascii_digit())
            {
                v = path.trim().trim_matches('"');
            }
        }
    }
    if v.is_empty() {
        return None;
    }
    match holds {
        Holds::Folder => Some(join(v, app.exe())),
        Holds::File => {
            let name_at = v.rfind(['\\', '/']).map(|i| i + 1).unwrap_or(0);
            if v[name_at..].eq_ignore_ascii_case(app.exe()) {
                Some(v.to_string())
            } else if name_at > 0 {
                Some(join(&v[..name_at - 1], app.exe()))
            } else {
                None
            }
        }
    }
}

/// Where `app` is installed: the registry values its installer writes, then the
/// default folders under `%ProgramFiles%`, `%ProgramFiles(x86)%` and `%ProgramW6432%`
/// (read through `env`). Only a program file that exists counts.
pub fn find_install(
    app: ChatApp,
    registry: &dyn Registry,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<PathBuf> {
    let from_registry = registry_sources(app)
        .into_iter()
        .filter_map(|(hive, key, name, holds)| {
            registry
                .value(hive, &key, name)
                .and_then(|v| program_in(app, &v, holds))
        });
    let from_folders = ["ProgramFiles", "ProgramFiles(x86)", "ProgramW6432"]
        .into_iter()
        .filter_map(env)
        .flat_map(|root| {
            default_folders(app)
                .iter()
                .map(move |sub| join(&join(&root, sub), app.exe()))
        });
    from_registry
        .chain(from_folders)
        .map(|p| PathBuf::from(native(&p)))
        .find(|p| p.is_file())
}

/// A path with the separators of this system (registry values use `\`).
fn native(p: &str) -> String {
    if std::path::MAIN_SEPARATOR == '\\' {
        p.replace('/', "\\")
    } else {
        p.replace('\\', "/")
    }
}

/// The installed programs of `family`, in the family's order: the one the agent picked
/// (`chosen`, when it is a program of the family and exists) first, then what
/// [`find_install`] finds for each app.
pub fn installed(
    family: Family,
    chosen: Option<&Path>,
    registry: &dyn Registry,
    env: &dyn Fn(&str) -> Option<String>,
) -> Vec<(ChatApp, PathBuf)> {
    let mut out: Vec<(ChatApp, PathBuf)> = Vec::new();
    if let Some(c) = chosen.filter(|c| c.is_file()) {
        if let Some(app) = family.apps().iter().copied().find(|&a| is_program_of(a, c)) {
            out.push((app, c.to_path_buf()));
        }
    }
    for &app in family.apps() {
        if out.iter().any(|(a, _)| *a == app) {
            continue;
        }
        if let Some(p) = find_install(app, registry, env) {
            out.push((app, p));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutex_names_are_matched_by_their_last_part_and_wecom_by_prefix() {
        let full = r"\Sessions\1\BaseNamedObjects\_WeChat_App_Instance_Identity_Mutex_Name";
        assert!(ChatApp::WeChat.owns_mutex(full));
        assert!(!ChatApp::Weixin.owns_mutex(full));
        assert!(ChatApp::Weixin.owns_mutex("XWeChat_App_Instance_Identity_Mutex_Name"));
        assert!(ChatApp::WeCom.owns_mutex(r"\BaseNamedObjects\Tencent.WeWork.ExclusiveObject"));
        assert!(ChatApp::WeCom.owns_mutex("Tencent.WeWork.ExclusiveObjectInstance2"));
        assert!(!ChatApp::WeCom.owns_mutex("Tencent.WeWork.Other"));
        assert_eq!(ChatApp::from_exe("wxwork.EXE"), Some(ChatApp::WeCom));
        assert_eq!(ChatApp::from_exe("QQ.exe"), None);
        assert_eq!(Family::WeChat.apps()[0].family(), Family::WeChat);
    }

    use std::collections::HashMap;

    /// A fake hive: (hive, key lower-cased, value name) → string.
    #[derive(Default)]
    struct FakeRegistry(HashMap<(Hive, String, String), String>);

    impl FakeRegistry {
        fn set(&mut self, hive: Hive, key: &str, name: &str, v: &str) {
            self.0
                .insert((hive, key.to_lowercase(), name.to_string()), v.to_string());
        }
    }

    impl Registry for FakeRegistry {
        fn value(&self, hive: Hive, key: &str, name: &str) -> Option<String> {
            self.0
                .get(&(hive, key.to_lowercase(), name.to_string()))
                .cloned()
        }
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    /// `dir/<rel>` made as an (empty) program file; its path as a string.
    fn program(dir: &Path, rel: &str) -> String {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, b"MZ").expect("write");
        p.to_string_lossy().into_owned()
    }

    #[test]
    fn registry_values_are_read_as_folder_or_file_with_quotes_and_icon_index_dropped() {
        let w = ChatApp::WeCom;
        assert_eq!(
            program_in(
                w,
                r#""C:\Program Files (x86)\WXWork\WXWork.exe",0"#,
                Holds::File
            )
            .as_deref(),
            Some(r"C:\Program Files (x86)\WXWork\WXWork.exe")
        );
        assert_eq!(
            program_in(w, r"D:\Apps\WXWork\Uninstall.exe", Holds::File).as_deref(),
            Some(r"D:\Apps\WXWork\WXWork.exe")
        );
        assert_eq!(
            program_in(
                ChatApp::WeChat,
                r"C:\Program Files\Tencent\WeChat\",
                Holds::Folder
            )
            .as_deref(),
            Some(r"C:\Program Files\Tencent\WeChat\WeChat.exe")
        );
        assert_eq!(program_in(w, "  ", Holds::Folder), None);
        assert_eq!(program_in(w, "WXWork.ico", Holds::File), None);
    }

    #[test]
    fn the_current_user_install_path_is_found_and_a_missing_program_is_passed_over() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut reg = FakeRegistry::default();
        // WeChat 3.x: InstallPath names a folder that no longer holds WeChat.exe (an
        // uninstalled old copy), the uninstall key a folder that does.
        reg.set(
            Hive::CurrentUser,
            r"Software\Tencent\WeChat",
            "InstallPath",
            &dir.path().join("gone").to_string_lossy(),
        );
        let wechat = program(dir.path(), "D/WeChat/WeChat.exe");
        reg.set(
            Hive::LocalMachine,
            r"SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\WeChat",
            "InstallLocation",
            &dir.path().join("D/WeChat").to_string_lossy(),
        );
        assert_eq!(
            find_install(ChatApp::WeChat, &reg, &no_env),
            Some(PathBuf::from(&wechat))
        );
        // WeChat 4.x beside it: its own key.
        let weixin = program(dir.path(), "E/Weixin/Weixin.exe");
        reg.set(
            Hive::CurrentUser,
            r"Software\Tencent\Weixin",
            "InstallPath",
            &dir.path().join("E/Weixin").to_string_lossy(),
        );
        assert_eq!(
            find_install(ChatApp::Weixin, &reg, &no_env),
            Some(PathBuf::from(&weixin))
        );
        // Both: the family offers 4.x first.
        let found = installed(Family::WeChat, None, &reg, &no_env);
        assert_eq!(
            found,
            vec![
                (ChatApp::Weixin, PathBuf::from(&weixin)),
                (ChatApp::WeChat, PathBuf::from(&wechat))
            ]
        );
    }

    #[test]
    fn wecom_is_found_by_its_executable_value_or_the_uninstall_icon() {
        let dir = tempfile::tempdir().expect("tempdir");
        let exe = program(dir.path(), "WXWork/WXWork.exe");
        let mut reg = FakeRegistry::default();
        reg.set(
            Hive::LocalMachine,
            r"SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\企业微信",
            "DisplayIcon",
            &format!("\"{exe}\",0"),
        );
        assert_eq!(
            find_install(ChatApp::WeCom, &reg, &no_env),
            Some(PathBuf::from(&exe))
        );
        let other = program(dir.path(), "Other/WXWork.exe");
        reg.set(
            Hive::CurrentUser,
            r"Software\Tencent\WXWork",
            "Executable",
            &other,
        );
        assert_eq!(
            find_install(ChatApp::WeCom, &reg, &no_env),
            Some(PathBuf::from(&other)),
            "the user's own Executable value comes first"
        );
    }

    #[test]
    fn without_registry_values_the_default_program_files_folders_are_looked_in() {
        let dir = tempfile::tempdir().expect("tempdir");
        let x86 = dir.path().join("Program Files (x86)");
        let x64 = dir.path().join("Program Files");
        let wecom = program(&x86, "WXWork/WXWork.exe");
        let weixin = program(&x64, "Tencent/Weixin/Weixin.exe");
        let env = |k: &str| match k {
            "ProgramFiles" => Some(x64.to_string_lossy().into_owned()),
            "ProgramFiles(x86)" => Some(x86.to_string_lossy().into_owned()),
            _ => None,
        };
        let reg = FakeRegistry::default();
        assert_eq!(
            find_install(ChatApp::WeCom, &reg, &env),
            Some(PathBuf::from(wecom))
        );
        assert_eq!(
            find_install(ChatApp::Weixin, &reg, &env),
            Some(PathBuf::from(weixin))
        );
        assert_eq!(find_install(ChatApp::WeChat, &reg, &env), None);
        assert!(installed(Family::WeChat, None, &reg, &no_env).is_empty());
    }

    #[test]
    fn a_program_the_agent_picked_comes_first_when_it_belongs_to_the_family() {
        let dir = tempfile::tempdir().expect("tempdir");
        let picked = PathBuf::from(program(dir.path(), "Portable/WeChat.exe"));
        let wecom = PathBuf::from(program(dir.path(), "X/WXWork.exe"));
        let reg = FakeRegistry::default();
        assert_eq!(
            installed(Family::WeChat, Some(&picked), &reg, &no_env),
            vec![(ChatApp::WeChat, picked.clone())]
        );
        // A WeCom program picked for WeChat, or a path that is gone, is not offered.
        assert!(installed(Family::WeChat, Some(&wecom), &reg, &no_env).is_empty());
        let gone = dir.path().join("gone/Weixin.exe");
        assert!(installed(Family::WeChat, Some(&gone), &reg, &no_env).is_empty());
    }
}

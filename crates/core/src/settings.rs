//! The desktop app's settings: hotkeys, pasting, window mode, language, theme, favourites
//! and per-app profiles. Kept as `settings.json` beside the store; written atomically.
//!
//! Decisions: unknown keys in the file are ignored and missing ones take their defaults,
//! so an older or newer app reads the file it finds; a file that is not JSON at all is an
//! error (the app then starts with defaults and says so, it never overwrites it silently).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::compliance::Platform;
use uuid::Uuid;

use crate::i18n::tr;
use crate::{Error, Result};

/// Popup (appears at the active window, hides after firing) or docked (a sidebar glued to
/// the chat window's edge).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WindowMode {
    #[default]
    Popup,
    Docked,
}

/// Which edge of the chat window the docked panel sits on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DockSide {
    #[default]
    Right,
    Left,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

/// A reply with its own global hotkey.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Favourite {
    pub hotkey: String,
    pub snippet: Uuid,
}

/// A chat app recognised by its window class or process name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Profile {
    pub name: String,
    /// Matched case-insensitively against the window's class, instance and process name;
    /// a pattern matches when it is contained in one of them.
    pub matches: Vec<String>,
    /// Libraries whose replies rank first in this app (names), in order.
    pub libraries: Vec<String>,
    /// Folders (paths) whose replies rank first in this app.
    pub folders: Vec<String>,
    /// Overrides [`Settings::auto_paste_chat_apps`] in this app; `None` follows it.
    pub auto_paste: Option<bool>,
    /// Only windows whose title contains one of these (case-insensitive); empty: any
    /// title. Tells apart two windows of one chat app, such as two shops' Qianniu.
    pub titles: Vec<String>,
    /// The team (the server address of a joined account) whose team libraries this
    /// app's windows show; other teams' team libraries are hidden there. `None`: all.
    pub team: Option<String>,
    /// Which shop platform this chat app is, for the compliance check at fire time
    /// (`taobao`, `jd`, `pdd`, `douyin`, `wechat`, `other`); `None`: told from the
    /// window names it matches ([`Profile::platform`]).
    pub platform: Option<Platform>,
}

/// The platform of a chat app from the window names a profile matches (Qianniu and
/// Wangwang → Taobao, WeChat and WeCom → WeChat, …), `None` when none is known.
fn platform_of_matches(matches: &[String]) -> Option<Platform> {
    const KNOWN: &[(&str, Platform)] = &[
        ("aliworkbench", Platform::Taobao),
        ("qianniu", Platform::Taobao),
        ("aliim", Platform::Taobao),
        ("wangwang", Platform::Taobao),
        ("dongdong", Platform::Jd),
        ("jdmall", Platform::Jd),
        ("pinduoduo", Platform::Pdd),
        ("pddworkbench", Platform::Pdd),
        ("doudian", Platform::Douyin),
        ("feige", Platform::Douyin),
        ("wechat", Platform::Wechat),
        ("weixin", Platform::Wechat),
        ("wxwork", Platform::Wechat),
        ("wecom", Platform::Wechat),
        ("qq", Platform::Other),
        ("dingtalk", Platform::Other),
        ("feishu", Platform::Other),
        ("lark", Platform::Other),
    ];
    matches.iter().find_map(|m| {
        let m = m.to_lowercase();
        KNOWN
            .iter()
            .find(|(name, _)| m.contains(name))
            .map(|(_, p)| *p)
    })
}

impl Profile {
    /// The platform replies are checked for in this app: the one set, else the one its
    /// window names tell (`aliworkbench` → Taobao).
    pub fn platform(&self) -> Option<Platform> {
        self.platform.or_else(|| platform_of_matches(&self.matches))
    }

    fn builtin(name: &str, matches: &[&str]) -> Profile {
        Profile {
            name: name.to_string(),
            matches: matches.iter().map(|s| s.to_string()).collect(),
            ..Profile::default()
        }
    }

    /// Whether a window with this class / instance / process name and title belongs to
    /// the profile.
    pub fn matches(&self, names: &[&str], title: &str) -> bool {
        let title = title.to_lowercase();
        let by_title = self.titles.iter().all(|t| t.trim().is_empty())
            || self.titles.iter().any(|t| {
                let t = t.trim().to_lowercase();
                !t.is_empty() && title.contains(&t)
            });
        by_title
            && self.matches.iter().any(|pat| {
                let pat = pat.to_lowercase();
                !pat.is_empty() && names.iter().any(|n| n.to_lowercase().contains(&pat))
            })
    }

    /// Whether the profile looks at window titles (and so is more specific).
    fn by_title(&self) -> bool {
        self.titles.iter().any(|t| !t.trim().is_empty())
    }
}

/// The chat apps known out of the box (class names as seen on Linux ports and under Wine
/// on X11, and the Windows process names).
pub fn builtin_profiles() -> Vec<Profile> {
    vec![
        Profile::builtin("微信 WeChat", &["wechat", "weixin"]),
        Profile::builtin("企业微信 WeCom", &["wxwork", "wecom"]),
        Profile::builtin(
            "千牛/旺旺 Qianniu",
            &["aliworkbench", "qianniu", "aliim", "wangwang"],
        ),
        Profile::builtin("QQ", &["qq.exe", "tencent qq", "linuxqq"]),
        Profile::builtin("钉钉 DingTalk", &["dingtalk"]),
        Profile::builtin("飞书 Feishu", &["feishu", "lark"]),
        Profile::builtin("京东咚咚 JD", &["dongdong", "jdmall"]),
        Profile::builtin("拼多多 Pinduoduo", &["pinduoduo", "pddworkbench"]),
    ]
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Settings {
    /// Shows and hides the panel.
    pub hotkey: String,
    /// Puts the next part of a queued multi-part reply on the clipboard.
    pub next_part_hotkey: String,
    /// Paste after firing (simulated Ctrl+V) into a window no profile recognises; off by
    /// default, since an unknown window may be anything.
    pub auto_paste: bool,
    /// Paste after firing into a recognised chat app (a window a profile matches, unless
    /// the profile sets its own `autoPaste`). On by default: the reply goes where the agent
    /// was typing, as Qianniu's own quick phrases do, and nothing is left to paste by hand.
    ///
    /// Migration: files written before this key existed read as `true`. Their
    /// `autoPaste: false` was the old default for every window and cannot be told apart
    /// from an untouched setting, so chat apps get the new default; what a user did choose
    /// is kept: `autoPaste: true` still pastes everywhere, and a profile's own `autoPaste`
    /// (true or false) still wins in its app. Once saved, the key is written and read back
    /// as the user left it.
    pub auto_paste_chat_apps: bool,
    /// Press Enter after pasting (sends the message).
    pub press_enter: bool,
    /// Put the previous clipboard content back after pasting.
    pub restore_clipboard: bool,
    pub mode: WindowMode,
    pub dock_side: DockSide,
    /// `zh-CN` or `en`.
    pub language: String,
    pub theme: Theme,
    /// Start with the system (hidden in the tray).
    pub start_at_login: bool,
    /// While paused, global hotkeys other than the panel toggle do nothing.
    pub paused: bool,
    pub favourites: Vec<Favourite>,
    pub profiles: Vec<Profile>,
    /// Which replies the panel searches: all, only personal ones, only the team's.
    pub scope: Scope,
    /// The platforms the shop sells on, as chosen in the first-run setup: names of the
    /// sub-folders of a platform folder ([`PLATFORM_FOLDERS`], e.g. `平台专用/京东`).
    /// The panel leaves out replies in the other platforms' folders (their wording —
    /// 旺旺, 京东咚咚, 拼多多的客服入口 — is wrong for this shop); the editor still shows
    /// them. `None`: not chosen, every platform's replies are searched.
    pub platforms: Option<Vec<String>>,
    /// The first-run setup (店铺名, 客服名, 快递, 包邮门槛, 活动, platforms) was saved or
    /// put off; it comes up by itself only while this is false. It can always be
    /// reopened (Ctrl+I in the panel, the tray, Settings).
    pub setup_done: bool,
}

/// Top-level folder names whose sub-folders are one platform each (the built-in packs'
/// `11-平台专用`, an English pack's `Platforms`).
pub const PLATFORM_FOLDERS: &[&str] = &["平台专用", "Platforms"];

/// The platform a folder path belongs to: `平台专用/京东/售后` → `京东`.
pub fn platform_of(folder: &str) -> Option<&str> {
    let mut parts = folder.split('/');
    let root = parts.next()?;
    PLATFORM_FOLDERS
        .contains(&root)
        .then(|| parts.next())
        .flatten()
        .filter(|p| !p.is_empty())
}

/// The panel's personal / team / all switch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    #[default]
    All,
    Personal,
    Team,
}

impl Scope {
    /// Whether a reply in a library of this kind is searched.
    pub fn keeps(self, kind: crate::proto::LibraryKind) -> bool {
        use crate::proto::LibraryKind;
        match self {
            Scope::All => true,
            Scope::Personal => kind != LibraryKind::Team,
            Scope::Team => kind == LibraryKind::Team,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            hotkey: "Ctrl+Alt+Space".into(),
            next_part_hotkey: "Ctrl+Alt+N".into(),
            auto_paste: false,
            auto_paste_chat_apps: true,
            press_enter: false,
            restore_clipboard: false,
            mode: WindowMode::Popup,
            dock_side: DockSide::Right,
            language: "zh-CN".into(),
            theme: Theme::System,
            start_at_login: false,
            paused: false,
            favourites: Vec::new(),
            profiles: builtin_profiles(),
            scope: Scope::All,
            platforms: None,
            setup_done: false,
        }
    }
}

/// Modifier names accepted in hotkeys, with their canonical spelling.
const MODIFIERS: &[(&str, &str)] = &[
    ("ctrl", "Ctrl"),
    ("control", "Ctrl"),
    ("alt", "Alt"),
    ("option", "Alt"),
    ("shift", "Shift"),
    ("super", "Super"),
    ("meta", "Super"),
    ("cmd", "Super"),
    ("win", "Super"),
];

/// Normalise a hotkey such as `ctrl + alt + space` to `Ctrl+Alt+Space`. A hotkey needs at
/// least one modifier (a bare key would swallow typing everywhere) and exactly one key.
pub fn normalize_hotkey(s: &str) -> Result<String> {
    let bad = |why: String| Error::InvalidSettings(why);
    let mut mods: Vec<&str> = Vec::new();
    let mut key: Option<String> = None;
    if s.trim().is_empty() {
        return Err(bad(tr(
            "没有设置快捷键：点一下这里，再按下组合键，例如 Ctrl+Alt+Space",
            "no hotkey set: focus the field and press a combination such as Ctrl+Alt+Space",
        )));
    }
    for raw in s.split('+').map(str::trim) {
        if raw.is_empty() {
            return Err(bad(tr(
                format!("快捷键「{s}」格式不对，例如 Ctrl+Alt+Space"),
                format!("hotkey \"{s}\" is malformed; write it like Ctrl+Alt+Space"),
            )));
        }
        let lower = raw.to_lowercase();
        if let Some((_, m)) = MODIFIERS.iter().find(|(n, _)| *n == lower) {
            if !mods.contains(m) {
                mods.push(m);
            }
            continue;
        }
        if key.is_some() {
            return Err(bad(tr(
                format!("快捷键「{s}」只能有一个主键"),
                format!("hotkey \"{s}\" has more than one key"),
            )));
        }
        let k = match lower.as_str() {
            "space" | "enter" | "tab" | "escape" | "esc" | "backspace" | "up" | "down" | "left"
            | "right" | "home" | "end" | "pageup" | "pagedown" | "insert" | "delete" => {
                let mut c = lower.chars();
                c.next()
                    .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                    .unwrap_or_default()
            }
            k if k.len() == 1 && k.chars().all(|c| c.is_ascii_alphanumeric()) => k.to_uppercase(),
            k if k.starts_with('f')
                && k[1..].parse::<u8>().is_ok_and(|n| (1..=24).contains(&n)) =>
            {
                k.to_uppercase()
            }
            _ => {
                return Err(bad(tr(
                    format!("快捷键「{s}」里的「{raw}」不是可用的按键"),
                    format!("\"{raw}\" in hotkey \"{s}\" is not a usable key"),
                )));
            }
        };
        key = Some(k);
    }
    let Some(key) = key else {
        return Err(bad(tr(
            format!("快捷键「{s}」缺少主键"),
            format!("hotkey \"{s}\" has no key besides the modifiers"),
        )));
    };
    if mods.is_empty() {
        return Err(bad(tr(
            format!("快捷键「{s}」至少要有一个修饰键（Ctrl、Alt、Shift 或 Super）"),
            format!("hotkey \"{s}\" needs at least one modifier (Ctrl, Alt, Shift or Super)"),
        )));
    }
    let order = ["Ctrl", "Alt", "Shift", "Super"];
    mods.sort_by_key(|m| order.iter().position(|o| o == m));
    let mut out = mods.join("+");
    out.push('+');
    out.push_str(&key);
    Ok(out)
}

/// What a hotkey field is for, in both languages, for "already used for …".
fn hotkey_use(field: &str) -> (&'static str, &'static str) {
    match field {
        "hotkey" => ("显示/隐藏面板", "the panel's show/hide hotkey"),
        "nextPartHotkey" => ("下一部分", "the next-part hotkey"),
        _ => ("常用话术", "a favourite reply's hotkey"),
    }
}

/// An [`Error::InvalidSettings`] message without the "invalid settings:" prefix, for a
/// message shown next to its field.
fn bare_message(e: Error) -> String {
    match e {
        Error::InvalidSettings(m) => m,
        other => other.to_string(),
    }
}

/// One thing wrong with settings about to be saved, and which field it concerns, so the
/// settings window can say it next to that field rather than in one banner.
///
/// `field` names the field as the settings window does: `hotkey`, `nextPartHotkey`,
/// `favourite.<i>` (the i-th favourite's hotkey), `language`, `profile.<i>.name`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl Settings {
    /// Whether the panel leaves out replies of this folder: one of the platforms the
    /// shop does not sell on (see [`Settings::platforms`]).
    pub fn hides_folder(&self, folder: &str) -> bool {
        match (&self.platforms, platform_of(folder)) {
            (Some(chosen), Some(p)) => !chosen.iter().any(|c| c == p),
            _ => false,
        }
    }

    /// Check and normalise: hotkeys well formed and all different, language known,
    /// profiles named. Refuses with the first of [`Settings::checked`]'s problems.
    pub fn validated(self) -> Result<Settings> {
        self.checked().map_err(|problems| {
            Error::InvalidSettings(
                problems
                    .into_iter()
                    .next()
                    .map(|p| p.message)
                    .unwrap_or_default(),
            )
        })
    }

    /// Like [`Settings::validated`], with every problem found and the field each one
    /// concerns. A hotkey used twice is reported at its second use, naming the first.
    pub fn checked(mut self) -> std::result::Result<Settings, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut normal = |field: String, key: &mut String| match normalize_hotkey(key) {
            Ok(k) => *key = k,
            Err(e) => problems.push(Problem::new(field, bare_message(e))),
        };
        normal("hotkey".into(), &mut self.hotkey);
        normal("nextPartHotkey".into(), &mut self.next_part_hotkey);
        for (i, f) in self.favourites.iter_mut().enumerate() {
            normal(format!("favourite.{i}"), &mut f.hotkey);
        }
        let uses = std::iter::once(("hotkey".to_string(), &self.hotkey))
            .chain(std::iter::once((
                "nextPartHotkey".to_string(),
                &self.next_part_hotkey,
            )))
            .chain(
                self.favourites
                    .iter()
                    .enumerate()
                    .map(|(i, f)| (format!("favourite.{i}"), &f.hotkey)),
            );
        let mut seen: Vec<(String, &String)> = Vec::new();
        for (field, k) in uses {
            if problems.iter().any(|p| p.field == field) {
                continue;
            }
            if let Some((first, _)) = seen.iter().find(|(_, s)| *s == k) {
                let (zh, en) = hotkey_use(first);
                problems.push(Problem::new(
                    field,
                    tr(
                        format!("快捷键 {k} 被设置了两次：已用于「{zh}」"),
                        format!("hotkey {k} is assigned twice: it is already {en}"),
                    ),
                ));
            } else {
                seen.push((field, k));
            }
        }
        if !matches!(self.language.as_str(), "zh-CN" | "en") {
            problems.push(Problem::new(
                "language",
                tr(
                    format!("不支持的语言「{}」（可选 zh-CN、en）", self.language),
                    format!("unsupported language \"{}\" (zh-CN or en)", self.language),
                ),
            ));
        }
        for (i, p) in self.profiles.iter().enumerate() {
            if p.name.trim().is_empty() {
                problems.push(Problem::new(
                    format!("profile.{i}.name"),
                    if p.matches.is_empty() {
                        tr("应用配置缺少名称", "an app profile has no name")
                    } else {
                        tr(
                            format!("应用配置（匹配 {}）缺少名称", p.matches.join("、")),
                            format!(
                                "an app profile (matching {}) has no name",
                                p.matches.join(", ")
                            ),
                        )
                    },
                ));
            }
        }
        if problems.is_empty() {
            Ok(self)
        } else {
            Err(problems)
        }
    }

    /// The profile of a window, by its class / instance / process names and its title:
    /// a profile that names titles comes before one that does not, otherwise the first
    /// in the list.
    pub fn profile_for(&self, names: &[&str], title: &str) -> Option<&Profile> {
        self.profiles
            .iter()
            .filter(|p| p.by_title())
            .chain(self.profiles.iter().filter(|p| !p.by_title()))
            .find(|p| p.matches(names, title))
    }

    /// Whether a fire into a window of `profile` (`None`: a window no profile recognises,
    /// or none at all) pastes by itself: the profile's own choice, else the chat-app
    /// setting; an unknown window follows `auto_paste`.
    pub fn auto_paste_in(&self, profile: Option<&Profile>) -> bool {
        match profile {
            Some(p) => p.auto_paste.unwrap_or(self.auto_paste_chat_apps),
            None => self.auto_paste,
        }
    }

    /// Read `path`; a missing file gives the defaults.
    pub fn load(path: &Path) -> Result<Settings> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
            Err(e) => return Err(Error::io(path)(e)),
        };
        let s: Settings = serde_json::from_str(&text)
            .map_err(|e| Error::BadSettings(path.to_path_buf(), e.to_string()))?;
        s.validated()
    }

    /// Validate and write atomically.
    pub fn save(&self, path: &Path) -> Result<Settings> {
        let s = self.clone().validated()?;
        let json = serde_json::to_vec_pretty(&s)
            .map_err(|e| Error::BadSettings(path.to_path_buf(), e.to_string()))?;
        crate::packs::write_atomic(path, &json)?;
        Ok(s)
    }
}

/// Where the settings of a data directory live.
pub fn settings_path(data_dir: &Path) -> PathBuf {
    data_dir.join("settings.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_filters_by_library_kind_and_old_files_read_as_all() -> Result<()> {
        use crate::proto::LibraryKind::{Personal, Team};
        assert!(Scope::All.keeps(Personal) && Scope::All.keeps(Team));
        assert!(Scope::Personal.keeps(Personal) && !Scope::Personal.keeps(Team));
        assert!(Scope::Team.keeps(Team) && !Scope::Team.keeps(Personal));
        let old: Settings = serde_json::from_str(r#"{"hotkey":"Ctrl+Alt+Space"}"#)
            .map_err(|e| Error::InvalidSettings(e.to_string()))?;
        assert_eq!(old.scope, Scope::All);
        let s: Settings = serde_json::from_str(r#"{"scope":"team"}"#)
            .map_err(|e| Error::InvalidSettings(e.to_string()))?;
        assert_eq!(s.scope, Scope::Team);
        Ok(())
    }

    #[test]
    fn chosen_platforms_hide_the_other_platforms_folders_only() -> Result<()> {
        assert_eq!(platform_of("平台专用/京东"), Some("京东"));
        assert_eq!(platform_of("平台专用/京东/售后"), Some("京东"));
        assert_eq!(platform_of("Platforms/Shopify"), Some("Shopify"));
        assert_eq!(platform_of("平台专用"), None);
        assert_eq!(platform_of("物流配送"), None);
        let mut s = Settings::default();
        // Not chosen (the default, and every file written before the key): all shown.
        assert!(!s.hides_folder("平台专用/京东"));
        s.platforms = Some(vec!["淘宝天猫".into(), "拼多多".into()]);
        assert!(!s.hides_folder("平台专用/淘宝天猫"));
        assert!(s.hides_folder("平台专用/京东"));
        assert!(s.hides_folder("平台专用/微信小店/售后"));
        assert!(!s.hides_folder("平台专用"), "the folder's own replies stay");
        assert!(!s.hides_folder("物流配送") && !s.hides_folder(""));
        let old: Settings = serde_json::from_str(r#"{"hotkey":"Ctrl+Alt+Space"}"#)
            .map_err(|e| Error::InvalidSettings(e.to_string()))?;
        assert_eq!((old.platforms, old.setup_done), (None, false));
        Ok(())
    }

    #[test]
    fn auto_paste_is_on_for_recognised_chat_apps_and_off_elsewhere_by_default() {
        let s = Settings::default();
        let qianniu = s.profile_for(&["aliworkbench.exe"], "接待中心");
        assert!(qianniu.is_some());
        assert!(s.auto_paste_in(qianniu));
        assert!(s.auto_paste_in(s.profile_for(&["WeChat"], "")));
        let unknown = s.profile_for(&["xterm", "XTerm"], "");
        assert!(unknown.is_none());
        assert!(!s.auto_paste_in(unknown));
        // A profile's own choice wins both ways.
        let mut off = Profile::builtin("千牛", &["aliworkbench"]);
        off.auto_paste = Some(false);
        assert!(!s.auto_paste_in(Some(&off)));
        let everywhere = Settings {
            auto_paste: true,
            auto_paste_chat_apps: false,
            ..Settings::default()
        };
        let mut on = off.clone();
        on.auto_paste = Some(true);
        assert!(everywhere.auto_paste_in(None));
        assert!(!everywhere.auto_paste_in(everywhere.profile_for(&["WeChat"], "")));
        assert!(everywhere.auto_paste_in(Some(&on)));
    }

    #[test]
    fn an_older_settings_file_keeps_what_its_user_chose_about_auto_paste() -> Result<()> {
        let read = |json: &str| -> Result<Settings> {
            serde_json::from_str(json).map_err(|e| Error::InvalidSettings(e.to_string()))
        };
        let wechat = ["WeChat"];
        // Untouched defaults (autoPaste false, no per-app choice): chat apps now paste,
        // other windows still do not.
        let old = read(
            r#"{"autoPaste":false,"profiles":[{"name":"微信 WeChat","matches":["wechat"],"autoPaste":null}]}"#,
        )?;
        assert!(old.auto_paste_chat_apps);
        assert!(old.auto_paste_in(old.profile_for(&wechat, "")));
        assert!(!old.auto_paste_in(None));
        // Auto-paste chosen for every window: still everywhere.
        let all = read(r#"{"autoPaste":true}"#)?;
        assert!(all.auto_paste_in(None) && all.auto_paste_in(all.profile_for(&wechat, "")));
        // Turned off for one app: still off there.
        let off = read(
            r#"{"autoPaste":false,"profiles":[{"name":"微信 WeChat","matches":["wechat"],"autoPaste":false}]}"#,
        )?;
        assert!(!off.auto_paste_in(off.profile_for(&wechat, "")));
        // The new key, once saved, is read back as written.
        let chosen = read(r#"{"autoPasteChatApps":false}"#)?;
        assert!(!chosen.auto_paste_in(chosen.profile_for(&wechat, "")));
        Ok(())
    }

    #[test]
    fn hotkeys_normalise() {
        assert_eq!(
            normalize_hotkey("ctrl + alt + space").ok().as_deref(),
            Some("Ctrl+Alt+Space")
        );
        assert_eq!(
            normalize_hotkey("alt+Control+1").ok().as_deref(),
            Some("Ctrl+Alt+1")
        );
        assert_eq!(
            normalize_hotkey("Super+f12").ok().as_deref(),
            Some("Super+F12")
        );
        for bad in [
            "Space", "Ctrl+Alt", "Ctrl+A+B", "Ctrl++A", "Ctrl+€", "Ctrl+F25",
        ] {
            assert!(normalize_hotkey(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn duplicate_hotkeys_are_rejected() {
        let mut s = Settings::default();
        s.favourites.push(Favourite {
            hotkey: "alt+ctrl+space".into(),
            snippet: Uuid::nil(),
        });
        let e = s
            .validated()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("Ctrl+Alt+Space"), "{e}");
    }

    #[test]
    fn every_problem_names_its_field() {
        let mut s = Settings {
            hotkey: "Space".into(),
            next_part_hotkey: "ctrl+alt+n".into(),
            language: "fr".into(),
            ..Settings::default()
        };
        s.favourites.push(Favourite {
            hotkey: "alt+ctrl+n".into(),
            snippet: Uuid::nil(),
        });
        s.profiles[2].name = " ".into();
        let problems = s.checked().err().unwrap_or_default();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            ["hotkey", "favourite.0", "language", "profile.2.name"],
            "{problems:?}"
        );
        assert!(problems[0].message.contains("修饰键"), "{problems:?}");
        assert!(!problems[0].message.contains("设置无效"), "{problems:?}");
        // The second use of Ctrl+Alt+N names the first one.
        assert!(problems[1].message.contains("下一部分"), "{problems:?}");
        assert!(problems[3].message.contains("aliworkbench"), "{problems:?}");
    }

    #[test]
    fn an_empty_hotkey_says_none_is_set() {
        let e = normalize_hotkey("  ")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("没有设置快捷键"), "{e}");
    }

    #[test]
    fn profiles_match_window_names() {
        let s = Settings::default();
        assert_eq!(
            s.profile_for(&["WeChat", "wechat"], "")
                .map(|p| p.name.as_str()),
            Some("微信 WeChat")
        );
        assert_eq!(
            s.profile_for(&["aliworkbench.exe"], "")
                .map(|p| p.name.as_str()),
            Some("千牛/旺旺 Qianniu")
        );
        assert!(s.profile_for(&["xterm", "XTerm"], "").is_none());
    }

    #[test]
    fn a_profile_naming_window_titles_tells_two_shops_windows_apart() {
        let mut s = Settings::default();
        // Added after the built-in Qianniu profile, and still chosen for its shop.
        s.profiles.push(Profile {
            name: "千牛 店铺B".into(),
            matches: vec!["aliworkbench".into()],
            titles: vec!["店铺B".into()],
            team: Some("http://b.example/".into()),
            ..Profile::default()
        });
        let of = |title: &str| {
            s.profile_for(&["aliworkbench.exe"], title)
                .map(|p| p.name.clone())
        };
        assert_eq!(of("接待中心 - 店铺b旗舰店").as_deref(), Some("千牛 店铺B"));
        assert_eq!(of("接待中心 - 店铺A").as_deref(), Some("千牛/旺旺 Qianniu"));
        // A title alone is not enough: the app must match too.
        assert!(s.profile_for(&["xterm"], "店铺B").is_none());
    }

    #[test]
    fn load_and_save_round_trip_and_keep_unknown_files_safe() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = settings_path(dir.path());
        assert_eq!(Settings::load(&path).ok(), Some(Settings::default()));
        let s = Settings {
            auto_paste: true,
            hotkey: "alt+ctrl+q".into(),
            ..Settings::default()
        };
        let saved = s.save(&path).expect("save");
        assert_eq!(saved.hotkey, "Ctrl+Alt+Q");
        assert_eq!(Settings::load(&path).ok(), Some(saved));
        // Partial files fill in defaults; broken ones are an error, left as they are.
        std::fs::write(&path, r#"{"autoPaste": true, "futureKey": 1}"#).expect("write");
        let s = Settings::load(&path).expect("partial");
        assert!(s.auto_paste);
        assert_eq!(s.hotkey, "Ctrl+Alt+Space");
        std::fs::write(&path, "{not json").expect("write");
        assert!(matches!(Settings::load(&path), Err(Error::BadSettings(..))));
        assert_eq!(
            std::fs::read_to_string(&path).ok().as_deref(),
            Some("{not json")
        );
        // An invalid save changes nothing on disk.
        let bad = Settings {
            language: "fr".into(),
            ..Settings::default()
        };
        assert!(bad.save(&path).is_err());
        assert_eq!(
            std::fs::read_to_string(&path).ok().as_deref(),
            Some("{not json")
        );
    }

    #[test]
    fn a_profile_tells_its_platform_or_names_it() {
        let of = |name: &str| {
            builtin_profiles()
                .into_iter()
                .find(|p| p.name.contains(name))
                .and_then(|p| p.platform())
        };
        assert_eq!(of("千牛"), Some(Platform::Taobao));
        assert_eq!(of("微信 WeChat"), Some(Platform::Wechat));
        assert_eq!(of("企业微信"), Some(Platform::Wechat));
        assert_eq!(of("京东"), Some(Platform::Jd));
        assert_eq!(of("拼多多"), Some(Platform::Pdd));
        assert_eq!(of("QQ"), Some(Platform::Other));
        let own = Profile {
            name: "抖店".into(),
            matches: vec!["chrome".into()],
            titles: vec!["抖店".into()],
            platform: Some(Platform::Douyin),
            ..Profile::default()
        };
        assert_eq!(own.platform(), Some(Platform::Douyin));
        assert_eq!(
            Profile {
                platform: None,
                ..own.clone()
            }
            .platform(),
            None
        );
        // settings.json: "platform": "douyin", absent in older files
        let json = serde_json::to_value(&own).unwrap_or_default();
        assert_eq!(json["platform"], "douyin");
        let old: Profile =
            serde_json::from_str(r#"{"name":"x","matches":["wechat"]}"#).unwrap_or_default();
        assert_eq!(
            (old.platform, old.platform()),
            (None, Some(Platform::Wechat))
        );
    }
}

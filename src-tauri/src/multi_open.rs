//! 多开 (Windows only): 再开一个微信 / 再开一个企业微信 from the tray and from Settings →
//! 应用配置, with how many run now. The techniques and the install search live in
//! `quickreply_desktop::multi` / `multi_win`; this module keeps what the agent decided
//! (`multi-open.json` beside `settings.json`: the one-time confirmation of the risk, a
//! program picked by hand) and the mutexes QuickReply holds for as long as it runs.
//!
//! On Linux and macOS both programs run as many times as one likes or not at all, so
//! the entries are absent ([`MultiView::supported`] is false and the tray has none).
//!
//! Each new instance's window is a chat window like any other: the dock follows it with
//! a panel state of its own, and a profile whose 窗口标题 names the account's nickname
//! picks the team and libraries for that instance (`Settings::profile_for`).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use quickreply_core::i18n::tr;
use quickreply_desktop::multi::{ChatApp, Family, Started};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager};

use crate::ipc::{Res, err};

/// The file beside `settings.json`.
const FILE: &str = "multi-open.json";

/// What the agent decided about 多开.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Prefs {
    /// The risk was explained and the agent went on once.
    pub confirmed: bool,
    /// `WeChat.exe` or `Weixin.exe` picked by hand (a portable copy, an odd folder).
    pub wechat: Option<PathBuf>,
    /// `WXWork.exe` picked by hand.
    pub wecom: Option<PathBuf>,
}

impl Prefs {
    /// Read `dir/multi-open.json`; a missing or unreadable file gives the defaults (the
    /// confirmation is then asked once more, which is the safe side).
    pub fn load(dir: &Path) -> Prefs {
        std::fs::read(dir.join(FILE))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    pub fn save(&self, dir: &Path) -> Res<()> {
        let json = serde_json::to_vec_pretty(self).map_err(err)?;
        // Written beside and renamed over, so a crash never leaves half a file.
        let path = dir.join(FILE);
        let tmp = dir.join(format!("{FILE}.tmp"));
        std::fs::write(&tmp, &json)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| {
                tr(
                    format!("无法保存多开设置：{e}"),
                    format!("cannot save the multi-instance settings: {e}"),
                )
            })
    }

    pub fn chosen(&self, family: Family) -> Option<&Path> {
        match family {
            Family::WeChat => self.wechat.as_deref(),
            Family::WeCom => self.wecom.as_deref(),
        }
    }

    fn chosen_mut(&mut self, family: Family) -> &mut Option<PathBuf> {
        match family {
            Family::WeChat => &mut self.wechat,
            Family::WeCom => &mut self.wecom,
        }
    }
}

/// Whether `path` may be picked for `family`: an existing file named as one of the
/// family's programs; otherwise what is wrong, in the user's language.
pub fn check_choice(family: Family, path: &Path) -> Res<ChatApp> {
    let app = family
        .apps()
        .iter()
        .copied()
        .find(|&a| quickreply_desktop::multi::is_program_of(a, path));
    let Some(app) = app else {
        return Err(match family {
            Family::WeChat => tr(
                format!(
                    "{} 不是微信的程序：请选择 Weixin.exe（微信 4）或 WeChat.exe（微信 3）",
                    path.display()
                ),
                format!(
                    "{} is not WeChat: pick Weixin.exe (WeChat 4) or WeChat.exe (WeChat 3)",
                    path.display()
                ),
            ),
            Family::WeCom => tr(
                format!("{} 不是企业微信的程序：请选择 WXWork.exe", path.display()),
                format!("{} is not WeCom: pick WXWork.exe", path.display()),
            ),
        });
    };
    if !path.is_file() {
        return Err(tr(
            format!("找不到 {}", path.display()),
            format!("{} does not exist", path.display()),
        ));
    }
    Ok(app)
}

/// The family's name as the menus say it.
pub fn family_name(family: Family) -> String {
    match family {
        Family::WeChat => tr("微信", "WeChat"),
        Family::WeCom => tr("企业微信", "WeCom"),
    }
}

/// The menu entry: 再开一个微信（已开 2 个）.
pub fn menu_label(family: Family, running: usize) -> String {
    let name = family_name(family);
    tr(
        format!("再开一个{name}（已开 {running} 个）"),
        format!("Start another {name} ({running} running)"),
    )
}

/// The one-time explanation of the risk, asked before the first start.
pub fn risk_text() -> String {
    tr(
        "多开不是微信、企业微信官方提供的功能。QuickReply 只是先占住它们用来阻止重复打开的标记（必要时关掉已打开实例里的这个标记），不修改、不复制它们的任何文件。\n\n但腾讯可能不认可这种用法：个别情况下可能提示异常、要求重新登录，甚至限制账号功能。请只在公司允许时使用。\n\n确定要继续吗？只需确认这一次。",
        "Running several copies is not something WeChat or WeCom offer. QuickReply only takes first the marker they use to refuse a second copy (closing it in the running copy when needed); it never changes or copies their files.\n\nTencent may still dislike it: now and then it may warn, ask you to sign in again, or even limit the account. Use it only where your company allows it.\n\nGo on? You are asked only this once.",
    )
}

/// One family as Settings shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FamilyView {
    pub family: Family,
    /// The program that would be started (`None`: not found).
    pub app: Option<ChatApp>,
    pub path: Option<String>,
    /// The program picked by hand, if any.
    pub chosen: Option<String>,
    /// How many instances of the family run now.
    pub running: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MultiView {
    /// False on Linux and macOS: no 多开 there.
    pub supported: bool,
    pub confirmed: bool,
    pub families: Vec<FamilyView>,
}

/// The app's 多开 state: the prefs and, on Windows, the mutexes held.
pub struct MultiOpen {
    dir: PathBuf,
    prefs: Mutex<Prefs>,
    #[cfg(windows)]
    holder: Mutex<quickreply_desktop::multi_win::Holder>,
}

impl MultiOpen {
    pub fn new(dir: PathBuf) -> MultiOpen {
        MultiOpen {
            prefs: Mutex::new(Prefs::load(&dir)),
            dir,
            #[cfg(windows)]
            holder: Mutex::new(quickreply_desktop::multi_win::Holder::new()),
        }
    }

    pub fn prefs(&self) -> Prefs {
        self.prefs
            .lock()
            .map(|p| p.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    fn update(&self, f: impl FnOnce(&mut Prefs)) -> Res<Prefs> {
        let mut p = self.prefs.lock().map_err(err)?;
        let mut next = p.clone();
        f(&mut next);
        next.save(&self.dir)?;
        *p = next.clone();
        Ok(next)
    }

    pub fn view(&self) -> MultiView {
        let prefs = self.prefs();
        MultiView {
            supported: cfg!(windows),
            confirmed: prefs.confirmed,
            families: if cfg!(windows) {
                Family::ALL
                    .into_iter()
                    .map(|f| family_view(f, &prefs))
                    .collect()
            } else {
                Vec::new()
            },
        }
    }

    /// Start another instance of `family`. The first time `confirmed` must be true (the
    /// agent read [`risk_text`] and went on); that is remembered.
    pub fn start(&self, family: Family, confirmed: bool) -> Res<Started> {
        if !cfg!(windows) {
            return Err(tr(
                "多开只在 Windows 上提供：其他系统上的微信、企业微信没有这个限制或不支持多开",
                "multiple instances are offered on Windows only",
            ));
        }
        if !self.prefs().confirmed {
            if !confirmed {
                return Err(tr(
                    "第一次多开前需要先阅读说明并确认",
                    "read the note and confirm before the first start",
                ));
            }
            self.update(|p| p.confirmed = true)?;
        }
        self.start_windows(family)
    }

    #[cfg(windows)]
    fn start_windows(&self, family: Family) -> Res<Started> {
        let prefs = self.prefs();
        let Some((app, path)) = pick(family, &prefs) else {
            let name = family_name(family);
            return Err(tr(
                format!("没有找到{name}：请在 设置 → 应用配置 → 多开 里选择它的程序文件"),
                format!(
                    "{name} was not found: pick its program in Settings → App profiles → Multiple instances"
                ),
            ));
        };
        let mut holder = self.holder.lock().map_err(err)?;
        quickreply_desktop::multi_win::start_another(app, &path, &mut holder).map_err(err)
    }

    #[cfg(not(windows))]
    fn start_windows(&self, _family: Family) -> Res<Started> {
        Err(tr(
            "多开只在 Windows 上提供",
            "multiple instances are offered on Windows only",
        ))
    }

    /// Use `path` for `family` (`None`: find it again by itself).
    pub fn choose(&self, family: Family, path: Option<PathBuf>) -> Res<MultiView> {
        if let Some(p) = &path {
            check_choice(family, p)?;
        }
        self.update(|prefs| *prefs.chosen_mut(family) = path)?;
        Ok(self.view())
    }

    /// How many instances of each family run now (Windows; empty elsewhere).
    pub fn counts(&self) -> Vec<(Family, usize)> {
        self.view()
            .families
            .into_iter()
            .filter(|f| f.app.is_some())
            .map(|f| (f.family, f.running))
            .collect()
    }
}

/// The program of `family` to start: of the installed ones, one that runs now (the
/// agent's version), else the first (WeChat 4 before 3).
#[cfg(windows)]
fn pick(family: Family, prefs: &Prefs) -> Option<(ChatApp, PathBuf)> {
    use quickreply_desktop::multi_win::{WinRegistry, count_instances};
    let found =
        quickreply_desktop::multi::installed(family, prefs.chosen(family), &WinRegistry, &|k| {
            std::env::var(k).ok()
        });
    let running = found
        .iter()
        .find(|(a, _)| count_instances(*a).unwrap_or(0) > 0)
        .cloned();
    running.or_else(|| found.into_iter().next())
}

#[cfg(windows)]
fn family_view(family: Family, prefs: &Prefs) -> FamilyView {
    use quickreply_desktop::multi_win::count_instances;
    let picked = pick(family, prefs);
    FamilyView {
        family,
        app: picked.as_ref().map(|(a, _)| *a),
        path: picked.map(|(_, p)| p.display().to_string()),
        chosen: prefs.chosen(family).map(|p| p.display().to_string()),
        running: family
            .apps()
            .iter()
            .map(|&a| count_instances(a).unwrap_or(0))
            .sum(),
    }
}

#[cfg(not(windows))]
fn family_view(family: Family, prefs: &Prefs) -> FamilyView {
    FamilyView {
        family,
        app: None,
        path: None,
        chosen: prefs.chosen(family).map(|p| p.display().to_string()),
        running: 0,
    }
}

/// From the tray: the first time the risk is explained in a native dialog (Enter goes
/// on, Esc cancels); then the instance starts, and a failure is said in a dialog too.
pub fn from_tray(handle: &AppHandle, family: Family) {
    use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};
    let handle = handle.clone();
    std::thread::spawn(move || {
        let state = handle.state::<MultiOpen>();
        let mut confirmed = state.prefs().confirmed;
        if !confirmed {
            confirmed = handle
                .dialog()
                .message(risk_text())
                .title(tr("多开说明", "About multiple instances"))
                .kind(MessageDialogKind::Warning)
                .buttons(MessageDialogButtons::OkCancelCustom(
                    tr("我已了解，继续", "I understand, go on"),
                    tr("取消", "Cancel"),
                ))
                .blocking_show();
            if !confirmed {
                return;
            }
        }
        match state.start(family, confirmed) {
            Ok(_) => crate::tray::refresh(&handle),
            Err(e) => {
                handle
                    .dialog()
                    .message(e)
                    .title(tr("多开", "Multiple instances"))
                    .kind(MessageDialogKind::Error)
                    .blocking_show();
            }
        }
    });
}

/// Windows: rebuild the tray menu when the number of running instances changes (a
/// process snapshot every 3 s; the menu cannot ask when it opens).
pub fn spawn_count_watch(handle: AppHandle) {
    if !cfg!(windows) {
        return;
    }
    std::thread::spawn(move || {
        let mut last = Vec::new();
        loop {
            let now = handle.state::<MultiOpen>().counts();
            if now != last {
                crate::tray::refresh(&handle);
                last = now;
            }
            std::thread::sleep(std::time::Duration::from_secs(3));
        }
    });
}

#[tauri::command]
pub fn multi_open_state(state: tauri::State<'_, MultiOpen>) -> MultiView {
    state.view()
}

#[tauri::command]
pub async fn multi_open_start(handle: AppHandle, family: Family, confirmed: bool) -> Res<Started> {
    let h = handle.clone();
    let started = tauri::async_runtime::spawn_blocking(move || {
        h.state::<MultiOpen>().start(family, confirmed)
    })
    .await
    .map_err(err)??;
    crate::tray::refresh(&handle);
    Ok(started)
}

#[tauri::command]
pub fn multi_open_choose(
    state: tauri::State<'_, MultiOpen>,
    family: Family,
    path: Option<String>,
) -> Res<MultiView> {
    state.choose(
        family,
        path.map(|p| PathBuf::from(p.trim()))
            .filter(|p| !p.as_os_str().is_empty()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefs_round_trip_and_a_damaged_file_asks_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(Prefs::load(dir.path()), Prefs::default());
        let p = Prefs {
            confirmed: true,
            wechat: Some(PathBuf::from(r"D:\WeChat\Weixin.exe")),
            wecom: None,
        };
        p.save(dir.path()).expect("save");
        assert_eq!(Prefs::load(dir.path()), p);
        std::fs::write(dir.path().join(FILE), "{not json").expect("write");
        assert!(!Prefs::load(dir.path()).confirmed);
    }

    #[test]
    fn a_picked_program_must_be_the_familys_and_exist() {
        let dir = tempfile::tempdir().expect("tempdir");
        let weixin = dir.path().join("Weixin.exe");
        std::fs::write(&weixin, b"MZ").expect("write");
        assert_eq!(check_choice(Family::WeChat, &weixin), Ok(ChatApp::Weixin));
        let e = check_choice(Family::WeCom, &weixin).expect_err("not WeCom");
        assert!(e.contains("WXWork.exe"), "{e}");
        let gone = dir.path().join("WXWork.exe");
        let e = check_choice(Family::WeCom, &gone).expect_err("missing");
        assert!(e.contains("WXWork.exe"), "{e}");
    }

    #[test]
    fn the_first_start_needs_the_confirmation_and_other_systems_have_none() {
        let dir = tempfile::tempdir().expect("tempdir");
        let m = MultiOpen::new(dir.path().to_path_buf());
        let view = m.view();
        assert_eq!(view.supported, cfg!(windows));
        assert!(!view.confirmed);
        let e = m.start(Family::WeChat, false).expect_err("not confirmed");
        assert!(!e.is_empty());
        if !cfg!(windows) {
            assert!(view.families.is_empty(), "no 多开 entries off Windows");
            assert!(m.counts().is_empty(), "so the tray shows none");
            assert!(!Prefs::load(dir.path()).confirmed, "nothing was started");
        }
    }

    #[test]
    fn choosing_a_program_is_kept_and_clearing_it_forgets_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wx = dir.path().join("WXWork.exe");
        std::fs::write(&wx, b"MZ").expect("write");
        let m = MultiOpen::new(dir.path().to_path_buf());
        m.choose(Family::WeCom, Some(wx.clone())).expect("choose");
        assert_eq!(Prefs::load(dir.path()).wecom, Some(wx.clone()));
        assert!(
            m.choose(Family::WeChat, Some(wx)).is_err(),
            "WXWork.exe is not WeChat"
        );
        m.choose(Family::WeCom, None).expect("clear");
        assert_eq!(Prefs::load(dir.path()).wecom, None);
    }

    #[test]
    fn the_menu_label_says_how_many_run() {
        let l = menu_label(Family::WeCom, 2);
        assert!(l.contains('2'), "{l}");
        assert!(l.contains("企业微信") || l.contains("WeCom"), "{l}");
    }
}

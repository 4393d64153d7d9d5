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

use std::path::Path;

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
}

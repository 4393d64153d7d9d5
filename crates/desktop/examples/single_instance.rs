//! A stand-in for WeChat / WeCom's single-instance check, for `tests/multi_open.rs`
//! under Wine: copied as `WeChat.exe`, `Weixin.exe` or `WXWork.exe`, it makes that
//! program's named mutexes with `CreateMutexW` exactly as the real one does at start,
//! and then
//! - exits with code 3 when one of them already existed (`ERROR_ALREADY_EXISTS`): the
//!   refused second start;
//! - runs when each was new, or could not be opened because access is denied (what the
//!   real programs do when QuickReply holds the mutex refused to everyone).
//!
//! It tells the test what it did in `<its folder>/<pid>.state` (`running` or `refused`)
//! and, while running, stays until `<its folder>/stop` exists.
#![allow(unsafe_code)]

#[cfg(windows)]
fn main() {
    use quickreply_desktop::multi::ChatApp;
    use windows_sys::Win32::Foundation::{ERROR_ACCESS_DENIED, ERROR_ALREADY_EXISTS, GetLastError};
    use windows_sys::Win32::System::Threading::CreateMutexW;

    let Ok(me) = std::env::current_exe() else {
        std::process::exit(2)
    };
    let Some(app) = me
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(ChatApp::from_exe)
    else {
        eprintln!("single_instance: copy me as WeChat.exe, Weixin.exe or WXWork.exe");
        std::process::exit(2)
    };
    let dir = me
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let state = dir.join(format!("{}.state", std::process::id()));
    let mut handles = Vec::new();
    for name in app.mutexes() {
        let w: Vec<u16> = name.encode_utf16().chain(Some(0)).collect();
        // SAFETY: a NUL-terminated name, no security attributes; the handle is kept
        // for the life of the process, as the real programs keep theirs.
        let (h, code) = unsafe {
            let h = CreateMutexW(std::ptr::null(), 0, w.as_ptr());
            (h, GetLastError())
        };
        if !h.is_null() && code == ERROR_ALREADY_EXISTS {
            let _ = std::fs::write(&state, "refused");
            std::process::exit(3);
        }
        if h.is_null() && code != ERROR_ACCESS_DENIED {
            let _ = std::fs::write(&state, format!("error {code}"));
            std::process::exit(4);
        }
        handles.push(h as usize);
    }
    let _ = std::fs::write(&state, "running");
    while !dir.join("stop").exists() {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[cfg(not(windows))]
fn main() {
    eprintln!("single_instance is a Windows program");
}

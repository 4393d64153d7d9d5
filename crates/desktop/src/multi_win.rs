//! 多开 on Windows: the two techniques of [`crate::multi`], counting the running
//! instances and starting another one.
#![allow(unsafe_code)]

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Command, Stdio};

use quickreply_core::i18n::tr;
use windows_sys::Wdk::Foundation::{NtQueryObject, ObjectTypeInformation};
use windows_sys::Wdk::System::SystemInformation::NtQuerySystemInformation;
use windows_sys::Win32::Foundation::{
    CloseHandle, DUPLICATE_CLOSE_SOURCE, DUPLICATE_SAME_ACCESS, DuplicateHandle,
    ERROR_ACCESS_DENIED, ERROR_ALREADY_EXISTS, GetLastError, HANDLE, INVALID_HANDLE_VALUE,
    STATUS_INFO_LENGTH_MISMATCH, UNICODE_STRING,
};
use windows_sys::Win32::Security::Authorization::{SE_KERNEL_OBJECT, SetSecurityInfo};
use windows_sys::Win32::Security::{
    ACL, ACL_REVISION, AddAccessDeniedAce, AllocateAndInitializeSid, DACL_SECURITY_INFORMATION,
    FreeSid, InitializeAcl, PSID, SECURITY_WORLD_SID_AUTHORITY,
};
use windows_sys::Win32::System::Diagnostics::ToolHelp::{
    CreateToolhelp32Snapshot, PROCESSENTRY32W, Process32FirstW, Process32NextW, TH32CS_SNAPPROCESS,
};
use windows_sys::Win32::System::Registry::{
    HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE, RRF_RT_REG_SZ, RegGetValueW,
};
use windows_sys::Win32::System::Threading::{
    CreateMutexW, GetCurrentProcess, MUTEX_ALL_ACCESS, OpenProcess, PROCESS_DUP_HANDLE,
};

use crate::multi::{ChatApp, Hive, Registry, Started, Technique};
use crate::{Error, Result};

/// `SystemExtendedHandleInformation`: every handle of the system, with 64-bit process
/// ids and handle values (class 16 truncates both to 16 bits).
const SYSTEM_EXTENDED_HANDLE_INFORMATION: i32 = 64;
/// `ObjectNameInformation` (winternl.h; windows-sys names only the type class).
const OBJECT_NAME_INFORMATION: i32 = 1;
/// `SECURITY_WORLD_RID`: the one sub-authority of Everyone (S-1-1-0).
const SECURITY_WORLD_RID: u32 = 0;
/// The handle table can grow between two calls: ask at most this many times.
const QUERY_TRIES: usize = 8;

/// One entry of `SYSTEM_HANDLE_INFORMATION_EX` (ntexapi.h; not in windows-sys).
#[repr(C)]
#[derive(Clone, Copy)]
struct HandleEntry {
    object: usize,
    pid: usize,
    handle: usize,
    granted_access: u32,
    creator_back_trace_index: u16,
    object_type_index: u16,
    attributes: u32,
    reserved: u32,
}

fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(Some(0)).collect()
}

fn last_error(what: &str) -> Error {
    // SAFETY: reads this thread's last-error value.
    let code = unsafe { GetLastError() };
    Error::Win32(format!("{what} failed (error {code})"))
}

/// The mutexes QuickReply holds for technique B, each with a DACL that refuses everyone
/// else; closed on drop (the app keeps its holder for as long as it runs).
#[derive(Default)]
pub struct Holder {
    /// Mutex name → handle value (kept as a number so that the holder is `Send`).
    held: HashMap<&'static str, usize>,
}

impl Holder {
    pub fn new() -> Holder {
        Holder::default()
    }

    /// Whether every single-instance mutex of `app` is held (or refused to everyone by
    /// someone else already).
    pub fn holds(&self, app: ChatApp) -> bool {
        app.mutexes().iter().all(|m| self.held.contains_key(m))
    }

    /// Technique B for `app`: make or open each of its mutexes, give it a DACL that
    /// denies Everyone all access and keep the handle; then check that the mutex now
    /// refuses an opener (this process is one of everyone). An error says which step
    /// failed; the mutexes made so far are kept.
    pub fn hold(&mut self, app: ChatApp) -> Result<()> {
        for &name in app.mutexes() {
            if self.held.contains_key(name) {
                continue;
            }
            let h = hold_one(name)?;
            self.held.insert(name, h);
        }
        Ok(())
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        for (_, h) in self.held.drain() {
            if h != 0 {
                // SAFETY: a handle this holder opened and nobody else closes.
                unsafe {
                    CloseHandle(h as HANDLE);
                }
            }
        }
    }
}

/// The DACL that denies Everyone `MUTEX_ALL_ACCESS`, as a byte buffer holding an ACL.
struct DenyAll {
    buf: Vec<u64>,
}

impl DenyAll {
    fn new() -> Result<DenyAll> {
        // 64 bytes: the ACL header (8) and one ACCESS_DENIED_ACE with a one-part SID (20).
        let mut buf = vec![0u64; 8];
        let len = u32::try_from(buf.len() * 8).unwrap_or(64);
        let mut sid: PSID = std::ptr::null_mut();
        // SAFETY: `sid` receives a SID allocated by the system and freed below; the ACL
        // buffer is ours, 8-aligned and `len` bytes long.
        unsafe {
            if AllocateAndInitializeSid(
                &SECURITY_WORLD_SID_AUTHORITY,
                1,
                SECURITY_WORLD_RID,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                &mut sid,
            ) == 0
            {
                return Err(last_error("AllocateAndInitializeSid(Everyone)"));
            }
            let acl = buf.as_mut_ptr().cast::<ACL>();
            let ok = InitializeAcl(acl, len, ACL_REVISION) != 0
                && AddAccessDeniedAce(acl, ACL_REVISION, MUTEX_ALL_ACCESS, sid) != 0;
            let err = (!ok).then(|| last_error("InitializeAcl / AddAccessDeniedAce"));
            FreeSid(sid);
            if let Some(e) = err {
                return Err(e);
            }
        }
        Ok(DenyAll { buf })
    }
}

fn hold_one(name: &'static str) -> Result<usize> {
    let w = wide(name);
    // SAFETY: a NUL-terminated name; no security attributes (the DACL is set after).
    let h = unsafe { CreateMutexW(std::ptr::null(), 0, w.as_ptr()) };
    if h.is_null() {
        // SAFETY: reads this thread's last-error value.
        let code = unsafe { GetLastError() };
        if code == ERROR_ACCESS_DENIED {
            // Someone (another multi-instance tool, an earlier QuickReply) already holds
            // it refused to everyone: a second start runs as it is.
            return Ok(0);
        }
        return Err(Error::Win32(format!(
            "CreateMutexW({name}) failed (error {code})"
        )));
    }
    let mut dacl = DenyAll::new()?;
    // SAFETY: `h` is our open mutex handle; the ACL lives in `dacl` during the call.
    let set = unsafe {
        SetSecurityInfo(
            h,
            SE_KERNEL_OBJECT,
            DACL_SECURITY_INFORMATION,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            dacl.buf.as_mut_ptr().cast::<ACL>(),
            std::ptr::null(),
        )
    };
    if set != 0 {
        // SAFETY: our handle, closed once.
        unsafe { CloseHandle(h) };
        return Err(Error::Win32(format!(
            "SetSecurityInfo({name}, deny Everyone) failed (error {set})"
        )));
    }
    // The proof that it works here: this process is one of Everyone, so the chat
    // program's own call — `CreateMutexW`, which asks for all access — must now be
    // refused. (Wine 8 lets `OpenMutexW(SYNCHRONIZE)` through such a DACL, so the probe
    // is the very call the programs make.)
    // SAFETY: a NUL-terminated name; a handle we get is closed at once.
    let (again, code) = unsafe {
        let again = CreateMutexW(std::ptr::null(), 0, w.as_ptr());
        (again, GetLastError())
    };
    if !again.is_null() || code != ERROR_ACCESS_DENIED {
        // SAFETY: both are our handles, each closed once.
        unsafe {
            if !again.is_null() {
                CloseHandle(again);
            }
            CloseHandle(h);
        }
        return Err(Error::Win32(format!(
            "the deny-everyone DACL on {name} is not enforced: CreateMutexW still opens it (error {code})"
        )));
    }
    Ok(h as usize)
}

/// A running process: id, parent id and file name.
#[derive(Clone, Debug)]
pub struct Process {
    pub pid: u32,
    pub parent: u32,
    pub exe: String,
}

/// Every running process named `exe` (case-insensitive).
pub fn processes(exe: &str) -> Result<Vec<Process>> {
    // SAFETY: a process snapshot, walked with a correctly sized entry and closed below.
    unsafe {
        let snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
        if snap == INVALID_HANDLE_VALUE {
            return Err(last_error("CreateToolhelp32Snapshot"));
        }
        let mut out = Vec::new();
        let mut e: PROCESSENTRY32W = std::mem::zeroed();
        e.dwSize = u32::try_from(std::mem::size_of::<PROCESSENTRY32W>()).unwrap_or(0);
        let mut more = Process32FirstW(snap, &mut e) != 0;
        while more {
            let len = e.szExeFile.iter().position(|&c| c == 0).unwrap_or(0);
            let name = String::from_utf16_lossy(&e.szExeFile[..len]);
            if name.eq_ignore_ascii_case(exe) {
                out.push(Process {
                    pid: e.th32ProcessID,
                    parent: e.th32ParentProcessID,
                    exe: name,
                });
            }
            more = Process32NextW(snap, &mut e) != 0;
        }
        CloseHandle(snap);
        Ok(out)
    }
}

/// How many instances of `app` run now: its processes whose parent is not one of them
/// (helper processes a program starts under its own name are not counted).
pub fn count_instances(app: ChatApp) -> Result<usize> {
    let all = processes(app.exe())?;
    let pids: HashSet<u32> = all.iter().map(|p| p.pid).collect();
    Ok(all.iter().filter(|p| !pids.contains(&p.parent)).count())
}

/// Every handle of the system (`NtQuerySystemInformation` class 64), the buffer grown
/// while the call answers `STATUS_INFO_LENGTH_MISMATCH`.
fn system_handles() -> Result<Vec<HandleEntry>> {
    let mut size: usize = 1 << 20;
    for _ in 0..QUERY_TRIES {
        let mut buf = vec![0u64; size / 8];
        let mut needed: u32 = 0;
        let len = u32::try_from(size).unwrap_or(u32::MAX);
        // SAFETY: the buffer is ours, 8-aligned and `len` bytes long.
        let status = unsafe {
            NtQuerySystemInformation(
                SYSTEM_EXTENDED_HANDLE_INFORMATION,
                buf.as_mut_ptr().cast(),
                len,
                &mut needed,
            )
        };
        if status == STATUS_INFO_LENGTH_MISMATCH {
            size = (needed as usize).max(size * 2) + 64 * 1024;
            continue;
        }
        if status < 0 {
            return Err(Error::Win32(format!(
                "NtQuerySystemInformation(SystemExtendedHandleInformation) failed (NTSTATUS {:#x})",
                status as u32
            )));
        }
        // Header: NumberOfHandles, Reserved (two ULONG_PTR), then the entries.
        let count = usize::try_from(buf[0]).unwrap_or(0);
        let entry = std::mem::size_of::<HandleEntry>();
        let room = (size - 16) / entry;
        let count = count.min(room);
        let mut out = Vec::with_capacity(count);
        let base = buf.as_ptr().cast::<u8>();
        for i in 0..count {
            // SAFETY: `i < room`, so the entry lies inside the buffer; read unaligned.
            let e = unsafe {
                base.add(16 + i * entry)
                    .cast::<HandleEntry>()
                    .read_unaligned()
            };
            out.push(e);
        }
        return Ok(out);
    }
    Err(Error::Win32(
        "NtQuerySystemInformation(SystemExtendedHandleInformation): the handle table kept growing"
            .into(),
    ))
}

/// `NtQueryObject` into a UNICODE_STRING-headed buffer (type or name information).
fn query_object_string(h: HANDLE, class: i32) -> Option<String> {
    let mut buf = vec![0u64; 128];
    for _ in 0..QUERY_TRIES {
        let len = u32::try_from(buf.len() * 8).unwrap_or(u32::MAX);
        let mut needed: u32 = 0;
        // SAFETY: the buffer is ours, 8-aligned and `len` bytes long.
        let status = unsafe { NtQueryObject(h, class, buf.as_mut_ptr().cast(), len, &mut needed) };
        if status == STATUS_INFO_LENGTH_MISMATCH || status == 0x8000_0005_u32 as i32 {
            let want = (needed as usize).max(buf.len() * 16);
            buf = vec![0u64; want.div_ceil(8) + 1];
            continue;
        }
        if status < 0 {
            return None;
        }
        // SAFETY: on success the buffer starts with a UNICODE_STRING whose buffer points
        // into this same buffer (or is null).
        let s = unsafe {
            let u = buf.as_ptr().cast::<UNICODE_STRING>().read();
            if u.Buffer.is_null() || u.Length == 0 {
                String::new()
            } else {
                let n = usize::from(u.Length) / 2;
                String::from_utf16_lossy(std::slice::from_raw_parts(u.Buffer, n))
            }
        };
        return Some(s);
    }
    None
}

/// An open process handle, closed on drop.
struct ProcessHandle(HANDLE);

impl Drop for ProcessHandle {
    fn drop(&mut self) {
        // SAFETY: our handle, closed once.
        unsafe {
            CloseHandle(self.0);
        }
    }
}

/// Technique A for `app`: close its single-instance mutex handles inside every running
/// process of it. Returns how many handles were closed. The object type is compared by
/// name ("Mutant"), never by type index, which differs between Windows versions.
pub fn close_in_running(app: ChatApp) -> Result<usize> {
    let pids: HashSet<usize> = processes(app.exe())?
        .iter()
        .map(|p| p.pid as usize)
        .collect();
    if pids.is_empty() {
        return Ok(0);
    }
    let handles = system_handles()?;
    let mut opened: HashMap<usize, Option<ProcessHandle>> = HashMap::new();
    let mut closed = 0;
    let mut refused = None;
    // SAFETY: the pseudo handle of this process.
    let me = unsafe { GetCurrentProcess() };
    for e in handles.iter().filter(|e| pids.contains(&e.pid)) {
        let process = opened.entry(e.pid).or_insert_with(|| {
            // SAFETY: opens a process by id; null when refused.
            let h = unsafe { OpenProcess(PROCESS_DUP_HANDLE, 0, e.pid as u32) };
            if h.is_null() {
                refused = Some(last_error(&format!(
                    "OpenProcess({}, PROCESS_DUP_HANDLE)",
                    e.pid
                )));
                None
            } else {
                Some(ProcessHandle(h))
            }
        });
        let Some(process) = process else { continue };
        let mut dup: HANDLE = std::ptr::null_mut();
        // SAFETY: copies a handle of the other process into ours, to look at it.
        let ok = unsafe {
            DuplicateHandle(
                process.0,
                e.handle as HANDLE,
                me,
                &mut dup,
                0,
                0,
                DUPLICATE_SAME_ACCESS,
            )
        };
        if ok == 0 {
            continue;
        }
        let kind = query_object_string(dup, ObjectTypeInformation);
        let name = (kind.as_deref() == Some("Mutant"))
            .then(|| query_object_string(dup, OBJECT_NAME_INFORMATION))
            .flatten();
        // SAFETY: our duplicate, closed once.
        unsafe { CloseHandle(dup) };
        if name.is_some_and(|n| app.owns_mutex(&n)) {
            // Closes the handle inside the other process; the copy made on the way comes
            // to us and is closed here (Wine 8 refuses a null target process, which
            // Windows accepts for DUPLICATE_CLOSE_SOURCE).
            let mut ours: HANDLE = std::ptr::null_mut();
            // SAFETY: the handle value is the other process's; `ours` is ours to close.
            let ok = unsafe {
                let ok = DuplicateHandle(
                    process.0,
                    e.handle as HANDLE,
                    me,
                    &mut ours,
                    0,
                    0,
                    DUPLICATE_CLOSE_SOURCE | DUPLICATE_SAME_ACCESS,
                );
                if !ours.is_null() {
                    CloseHandle(ours);
                }
                ok
            };
            if ok != 0 {
                closed += 1;
            }
        }
    }
    if closed == 0 {
        if let Some(e) = refused {
            return Err(e);
        }
    }
    Ok(closed)
}

/// Whether a new instance of `app` would find one of its mutexes there and exit, as the
/// real check does: `CreateMutexW` succeeds with `ERROR_ALREADY_EXISTS`.
pub fn second_start_refused(app: ChatApp) -> bool {
    app.mutexes().iter().any(|name| {
        let w = wide(name);
        // SAFETY: a NUL-terminated name; the handle is closed at once.
        unsafe {
            let h = CreateMutexW(std::ptr::null(), 0, w.as_ptr());
            let code = GetLastError();
            if h.is_null() {
                return false;
            }
            CloseHandle(h);
            code == ERROR_ALREADY_EXISTS
        }
    })
}

/// Start another instance of `app` from `exe`: technique B (hold), and where that does
/// not work here technique A (close) on the running instances. The error says, in the
/// user's language, what failed.
pub fn start_another(app: ChatApp, exe: &Path, holder: &mut Holder) -> Result<Started> {
    let technique = match holder.hold(app) {
        Ok(()) => Technique::Hold,
        Err(hold) => {
            close_in_running(app).map_err(|close| {
                Error::Refused(tr(
                    format!("无法再开一个 {}：占住单实例标记失败（{hold}），关闭已运行实例的标记也失败（{close}）", app.exe()),
                    format!("cannot start another {}: holding its single-instance mutex failed ({hold}), and closing it in the running instance failed too ({close})", app.exe()),
                ))
            })?;
            if second_start_refused(app) {
                return Err(Error::Refused(tr(
                    format!(
                        "无法再开一个 {}：另一个程序仍占着它的单实例标记（{hold}）",
                        app.exe()
                    ),
                    format!(
                        "cannot start another {}: another program still holds its single-instance mutex ({hold})",
                        app.exe()
                    ),
                )));
            }
            Technique::Close
        }
    };
    let mut cmd = Command::new(exe);
    if let Some(dir) = exe.parent() {
        cmd.current_dir(dir);
    }
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            Error::Refused(tr(
                format!("无法启动 {}：{e}", exe.display()),
                format!("cannot start {}: {e}", exe.display()),
            ))
        })?;
    Ok(Started {
        pid: child.id(),
        technique,
    })
}

/// The Windows registry, read with `RegGetValueW` (REG_EXPAND_SZ values come expanded).
pub struct WinRegistry;

impl Registry for WinRegistry {
    fn value(&self, hive: Hive, key: &str, name: &str) -> Option<String> {
        let root = match hive {
            Hive::CurrentUser => HKEY_CURRENT_USER,
            Hive::LocalMachine => HKEY_LOCAL_MACHINE,
        };
        let (k, n) = (wide(key), wide(name));
        let mut len: u32 = 0;
        // SAFETY: asks for the size only (null buffer).
        let status = unsafe {
            RegGetValueW(
                root,
                k.as_ptr(),
                n.as_ptr(),
                RRF_RT_REG_SZ,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                &mut len,
            )
        };
        if status != 0 || len == 0 {
            return None;
        }
        let mut buf = vec![0u16; (len as usize).div_ceil(2) + 1];
        let mut size = u32::try_from(buf.len() * 2).ok()?;
        // SAFETY: the buffer is ours and `size` bytes long.
        let status = unsafe {
            RegGetValueW(
                root,
                k.as_ptr(),
                n.as_ptr(),
                RRF_RT_REG_SZ,
                std::ptr::null_mut(),
                buf.as_mut_ptr().cast(),
                &mut size,
            )
        };
        if status != 0 {
            return None;
        }
        let end = buf.iter().position(|&c| c == 0).unwrap_or(buf.len());
        Some(String::from_utf16_lossy(&buf[..end]))
    }
}

/// Where `app` is installed on this computer ([`crate::multi::find_install`] over the
/// real registry and environment).
pub fn find_install(app: ChatApp) -> Option<std::path::PathBuf> {
    crate::multi::find_install(app, &WinRegistry, &|k| std::env::var(k).ok())
}

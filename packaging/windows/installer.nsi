; QuickReply for Windows: a per-user installer (no administrator rights), NSIS 3 with
; Modern UI 2, Simplified Chinese first and English. Built by `cargo xtask dist windows`:
;
;   makensis -INPUTCHARSET UTF8 -DVERSION=0.1.0 -DVERSION_QUAD=0.1.0.0 \
;            -DFILES_NSH=<generated include> -DICON=src-tauri/icons/icon.ico \
;            -DOUTFILE=target/dist/QuickReply-0.1.0-setup.exe [-DCOMPRESSOR=zlib] \
;            ["-DBUILD_NOTE=debug build"] packaging/windows/installer.nsi
;
; FILES_NSH defines the macros QR_INSTALL_FILES (File lines, one per shipped file) and
; QR_DELETE_FILES (the matching Delete lines); the xtask writes it from what it staged.
;
; Command line of setup.exe (each option also presets its checkbox when not silent):
;   /S              silent: no window, no message box (notes go to the details log only)
;   /DESKTOP        with the desktop shortcut (the default)
;   /NODESKTOP      without it (an existing one is removed)
;   /AUTOSTART      start at login (开机时启动), written exactly as the app writes it
;   /NOAUTOSTART    do not start at login (an existing entry is removed)
;   /D=DIR          install into DIR (NSIS's own switch; last, without quotes)
; Without /AUTOSTART or /NOAUTOSTART a fresh install does not start at login and an
; update keeps what the user chose (in the installer or in the app's settings); an
; update also keeps a removed desktop shortcut removed.
;
; Command line of uninstall.exe:
;   /S              silent
;   /REMOVEDATA     also delete the replies and settings (%APPDATA%\quickreply: the
;                   library, images, settings.json, a sync-token file), the same as
;                   ticking 同时删除我的话术和设置; without it they are kept. A device
;                   token kept in the Windows Credential Manager (service QuickReply)
;                   stays either way.
;   _?=DIR          NSIS's own: run in place and wait (then uninstall.exe itself stays)

!ifndef VERSION
  !error "define VERSION (e.g. -DVERSION=0.1.0)"
!endif
!ifndef VERSION_QUAD
  !error "define VERSION_QUAD (e.g. -DVERSION_QUAD=0.1.0.0)"
!endif
!ifndef FILES_NSH
  !error "define FILES_NSH (the include with QR_INSTALL_FILES / QR_DELETE_FILES)"
!endif
!ifndef ICON
  !error "define ICON (the .ico file)"
!endif
!ifndef OUTFILE
  !error "define OUTFILE (the setup.exe to write)"
!endif

; The app is x86_64 only, so is the installer (this also makes it read the native 64-bit
; registry view, and it runs under a 64-bit-only Wine).
Target amd64-unicode
!ifdef COMPRESSOR
  SetCompressor /SOLID ${COMPRESSOR}
!else
  SetCompressor /SOLID lzma
!endif
ManifestDPIAware true
RequestExecutionLevel user

!define APP_NAME "QuickReply"
!define APP_EXE "quickreply.exe"
!define CLI_EXE "qreply.exe"
!define UNINSTALLER "uninstall.exe"
!define SHORTCUT "QuickReply.lnk"
!define PUBLISHER "QuickReply"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\QuickReply"

; Start at login: the app turns it on and off with tauri-plugin-autostart 2.5.1, which on
; Windows uses the auto-launch crate 0.5.0 (src/windows.rs, AutoLaunch::enable/disable):
;   HKCU\SOFTWARE\Microsoft\Windows\CurrentVersion\Run, value name = the app name, data =
;   format!("{} {}", app_path, args.join(" ")) - the exe path unquoted, then the args;
;   and, only if the key already exists, HKCU\...\Explorer\StartupApproved\Run with the
;   same name = REG_BINARY 02 00 00 00 00 00 00 00 00 00 00 00 (enabled in Task Manager).
; The app name is tauri's package_info().name = productName "QuickReply"
; (src-tauri/tauri.conf.json), app_path is std::env::current_exe() and the args are
; ["--hidden"] (src-tauri/src/main.rs, tauri_plugin_autostart::init). Writing the very
; same value lets the app see it as on, and unticking 开机时启动 there removes it.
!define RUN_KEY "Software\Microsoft\Windows\CurrentVersion\Run"
!define APPROVED_KEY "Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run"
!define AUTOSTART_NAME "QuickReply"
!define AUTOSTART_ARGS "--hidden"

; The user's replies: quickreply_core::store::default_data_dir() is
; directories::ProjectDirs::from("", "", "quickreply").data_dir(), which directories 6
; (src/win.rs, project_dirs_from_path) makes {FOLDERID_RoamingAppData}\quickreply\data;
; the settings file and the sync token file live beside the library in it.
!define DATA_DIR "quickreply"
; The WebView2 profile (cache, no replies) of the panel: tauri 2.11 puts it in
; %LOCALAPPDATA%\<identifier> (src/manager/webview.rs: BaseDirectory::LocalData joined
; with config.identifier, from tauri.conf.json). Removed with the program.
!define WEBVIEW_DATA_DIR "app.quickreply.desktop"

; WebView2 Runtime detection as Microsoft documents it ("Detect if a WebView2 Runtime is
; already installed", https://learn.microsoft.com/microsoft-edge/webview2/concepts/distribution):
; the REG_SZ value pv of the client {F3017226-FE2A-4295-8BDF-00C3A9A7E4C5} under
; HKLM\SOFTWARE\WOW6432Node\Microsoft\EdgeUpdate\Clients (per machine, 64-bit Windows),
; HKLM\SOFTWARE\Microsoft\EdgeUpdate\Clients (per machine, 32-bit Windows) or
; HKCU\Software\Microsoft\EdgeUpdate\Clients (per user); installed when one of them is
; present and neither empty nor 0.0.0.0.
!define WEBVIEW2_CLIENT "{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}"
; Microsoft's Evergreen Bootstrapper (same page, "Download the WebView2 Runtime").
!define WEBVIEW2_URL "https://go.microsoft.com/fwlink/p/?LinkId=2124703"

!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "FileFunc.nsh"
!include "Sections.nsh"
!include "WinMessages.nsh"
!include "${FILES_NSH}"

Name "${APP_NAME}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\QuickReply"
InstallDirRegKey HKCU "${UNINST_KEY}" "InstallLocation"
ShowInstDetails show
ShowUninstDetails show
!ifdef BUILD_NOTE
  BrandingText "${APP_NAME} ${VERSION} (${BUILD_NOTE})"
!else
  BrandingText "${APP_NAME} ${VERSION}"
!endif

Var WebView2Ok

;--------------------------------
; Modern UI

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_UNABORTWARNING
!define MUI_COMPONENTSPAGE_SMALLDESC
; The language dialog (preselected from the Windows display language; skipped when /S)
; and the language the uninstaller then speaks.
!define MUI_LANGDLL_REGISTRY_ROOT HKCU
!define MUI_LANGDLL_REGISTRY_KEY "${UNINST_KEY}"
!define MUI_LANGDLL_REGISTRY_VALUENAME "Installer Language"
; Both languages are offered whatever the Windows code page (the installer is Unicode).
!define MUI_LANGDLL_ALLLANGUAGES
!define MUI_LANGDLL_WINDOWTITLE "QuickReply"
!define MUI_LANGDLL_INFO "Please select a language.$\r$\n请选择安装程序的语言。"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!define MUI_FINISHPAGE_RUN "$INSTDIR\${APP_EXE}"
!define MUI_FINISHPAGE_RUN_TEXT "$(FinishRun)"
!define MUI_PAGE_CUSTOMFUNCTION_SHOW FinishShow
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES

; The first language is the default (also where Windows speaks neither language).
!insertmacro MUI_LANGUAGE "SimpChinese"
!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_RESERVEFILE_LANGDLL

!include "strings.nsh"

VIProductVersion "${VERSION_QUAD}"
VIFileVersion "${VERSION_QUAD}"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "ProductName" "QuickReply 快捷回复"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "FileDescription" "QuickReply 快捷回复 安装程序"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "LegalCopyright" "MIT OR Apache-2.0"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "ProductName" "QuickReply"
VIAddVersionKey /LANG=${LANG_ENGLISH} "FileDescription" "QuickReply Setup"
VIAddVersionKey /LANG=${LANG_ENGLISH} "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "LegalCopyright" "MIT OR Apache-2.0"
VIAddVersionKey /LANG=${LANG_ENGLISH} "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "ProductVersion" "${VERSION}"

;--------------------------------
; A running program's file cannot be replaced or deleted: quickreply.exe usually sits in
; the tray, qreply.exe may be running `qreply sync --watch`. Ask (OK closes it, Cancel
; stops); silent mode closes it.

!macro QR_CLOSE EXE
  ${If} ${FileExists} "$INSTDIR\${EXE}"
    StrCpy $R9 0
    ${Do}
      ClearErrors
      FileOpen $R8 "$INSTDIR\${EXE}" a
      ${IfNot} ${Errors}
        FileClose $R8
        ${Break}
      ${EndIf}
      ${If} $R9 >= 3
        MessageBox MB_OK|MB_ICONSTOP "$(StillRunning)" /SD IDOK
        DetailPrint "$(StillRunning)"
        Abort
      ${EndIf}
      ${If} $R9 == 0
        MessageBox MB_OKCANCEL|MB_ICONINFORMATION "$(AppRunning)" /SD IDOK IDOK +2
        Abort
      ${EndIf}
      DetailPrint "$(Closing) ${EXE}"
      nsExec::ExecToLog '"$SYSDIR\taskkill.exe" /F /IM "${EXE}"'
      Pop $R8
      Sleep 1500
      IntOp $R9 $R9 + 1
    ${Loop}
  ${EndIf}
!macroend

;--------------------------------
; Installer

Section "!$(SecApp)" SecApp
  SectionIn RO
  !insertmacro QR_CLOSE "${APP_EXE}"
  !insertmacro QR_CLOSE "${CLI_EXE}"
  SetOutPath "$INSTDIR"
  SetOverwrite on
  !insertmacro QR_INSTALL_FILES
  WriteUninstaller "$INSTDIR\${UNINSTALLER}"

  CreateDirectory "$SMPROGRAMS"
  CreateShortcut "$SMPROGRAMS\${SHORTCUT}" "$INSTDIR\${APP_EXE}" "" "$INSTDIR\${APP_EXE}" 0 SW_SHOWNORMAL "" "$(ShortcutComment)"

  WriteRegStr HKCU "${UNINST_KEY}" "DisplayName" "$(UninstDisplayName)"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINST_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\${APP_EXE},0"
  WriteRegStr HKCU "${UNINST_KEY}" "UninstallString" '"$INSTDIR\${UNINSTALLER}"'
  WriteRegStr HKCU "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\${UNINSTALLER}" /S'
  WriteRegStr HKCU "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoRepair" 1
  ; The uninstaller speaks the language chosen here (MUI saves it only from the
  ; install page, which silent mode skips).
  WriteRegStr HKCU "${UNINST_KEY}" "${MUI_LANGDLL_REGISTRY_VALUENAME}" "$LANGUAGE"
SectionEnd

Section "$(SecDesktop)" SecDesktop
  CreateShortcut "$DESKTOP\${SHORTCUT}" "$INSTDIR\${APP_EXE}" "" "$INSTDIR\${APP_EXE}" 0 SW_SHOWNORMAL "" "$(ShortcutComment)"
SectionEnd

Section /o "$(SecAutostart)" SecAutostart
  WriteRegStr HKCU "${RUN_KEY}" "${AUTOSTART_NAME}" "$INSTDIR\${APP_EXE} ${AUTOSTART_ARGS}"
  ClearErrors
  EnumRegValue $0 HKCU "${APPROVED_KEY}" 0
  ${IfNot} ${Errors}
    WriteRegBin HKCU "${APPROVED_KEY}" "${AUTOSTART_NAME}" 020000000000000000000000
  ${EndIf}
SectionEnd

Section "-finish"
  ; An unticked option removes what an earlier install (or the app) left.
  ${IfNot} ${SectionIsSelected} ${SecDesktop}
    Delete "$DESKTOP\${SHORTCUT}"
  ${EndIf}
  ${IfNot} ${SectionIsSelected} ${SecAutostart}
    DeleteRegValue HKCU "${RUN_KEY}" "${AUTOSTART_NAME}"
  ${EndIf}

  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKCU "${UNINST_KEY}" "EstimatedSize" "$0"

  Call CheckWebView2
SectionEnd

!insertmacro MUI_FUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${SecApp} "$(SecAppDesc)"
  !insertmacro MUI_DESCRIPTION_TEXT ${SecDesktop} "$(SecDesktopDesc)"
  !insertmacro MUI_DESCRIPTION_TEXT ${SecAutostart} "$(SecAutostartDesc)"
!insertmacro MUI_FUNCTION_DESCRIPTION_END

Function .onInit
  SetShellVarContext current
  !insertmacro MUI_LANGDLL_DISPLAY

  ; An update keeps the earlier choices.
  ReadRegStr $0 HKCU "${UNINST_KEY}" "InstallLocation"
  ${If} $0 != ""
  ${AndIfNot} ${FileExists} "$DESKTOP\${SHORTCUT}"
    !insertmacro UnselectSection ${SecDesktop}
  ${EndIf}
  ClearErrors
  ReadRegStr $0 HKCU "${RUN_KEY}" "${AUTOSTART_NAME}"
  ${IfNot} ${Errors}
    !insertmacro SelectSection ${SecAutostart}
  ${EndIf}

  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/DESKTOP" $0
  ${IfNot} ${Errors}
    !insertmacro SelectSection ${SecDesktop}
  ${EndIf}
  ClearErrors
  ${GetOptions} $R0 "/NODESKTOP" $0
  ${IfNot} ${Errors}
    !insertmacro UnselectSection ${SecDesktop}
  ${EndIf}
  ClearErrors
  ${GetOptions} $R0 "/AUTOSTART" $0
  ${IfNot} ${Errors}
    !insertmacro SelectSection ${SecAutostart}
  ${EndIf}
  ClearErrors
  ${GetOptions} $R0 "/NOAUTOSTART" $0
  ${IfNot} ${Errors}
    !insertmacro UnselectSection ${SecAutostart}
  ${EndIf}
FunctionEnd

; Sets $WebView2Ok to 1 or 0. Missing: a note in the details log, and unless silent a
; message box that offers Microsoft's download; the install goes on either way (qreply.exe
; needs no WebView2).
!macro QR_READ_PV ROOT KEY
  ${If} $WebView2Ok != 1
    ClearErrors
    ReadRegStr $0 ${ROOT} "${KEY}\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_CLIENT}" "pv"
    ${IfNot} ${Errors}
    ${AndIf} $0 != ""
    ${AndIf} $0 != "0.0.0.0"
      StrCpy $WebView2Ok 1
      DetailPrint "$(WebView2Found) $0"
    ${EndIf}
  ${EndIf}
!macroend

Function CheckWebView2
  StrCpy $WebView2Ok 0
  !insertmacro QR_READ_PV HKLM "SOFTWARE\WOW6432Node"
  !insertmacro QR_READ_PV HKLM "SOFTWARE"
  !insertmacro QR_READ_PV HKCU "Software"
  ${If} $WebView2Ok != 1
    DetailPrint "$(WebView2MissingLog)"
    DetailPrint "${WEBVIEW2_URL}"
    MessageBox MB_YESNO|MB_ICONINFORMATION "$(WebView2Missing)" /SD IDNO IDNO +2
    ExecShell "open" "${WEBVIEW2_URL}"
  ${EndIf}
FunctionEnd

; Without the WebView2 Runtime the panel cannot open: do not offer to start it.
Function FinishShow
  ${If} $WebView2Ok != 1
    SendMessage $mui.FinishPage.Run ${BM_SETCHECK} 0 0
  ${EndIf}
FunctionEnd

;--------------------------------
; Uninstaller

Section "un.$(UnSecApp)" UnSecApp
  SectionIn RO
  !insertmacro QR_CLOSE "${APP_EXE}"
  !insertmacro QR_CLOSE "${CLI_EXE}"
  !insertmacro QR_DELETE_FILES
  Delete "$INSTDIR\${UNINSTALLER}"
  ; Only if empty: the folder may hold what the user put there.
  RMDir "$INSTDIR"

  Delete "$SMPROGRAMS\${SHORTCUT}"
  Delete "$DESKTOP\${SHORTCUT}"
  DeleteRegValue HKCU "${RUN_KEY}" "${AUTOSTART_NAME}"
  DeleteRegValue HKCU "${APPROVED_KEY}" "${AUTOSTART_NAME}"
  DeleteRegKey HKCU "${UNINST_KEY}"
  ${If} $LOCALAPPDATA != ""
    RMDir /r "$LOCALAPPDATA\${WEBVIEW_DATA_DIR}"
  ${EndIf}
SectionEnd

Section /o "un.$(UnSecData)" UnSecData
  ${If} $APPDATA != ""
    DetailPrint "$(RemovingData) $APPDATA\${DATA_DIR}"
    RMDir /r "$APPDATA\${DATA_DIR}"
  ${EndIf}
SectionEnd

Section "-un.keep"
  ${IfNot} ${SectionIsSelected} ${UnSecData}
  ${AndIf} ${FileExists} "$APPDATA\${DATA_DIR}\*.*"
    DetailPrint "$(KeptData) $APPDATA\${DATA_DIR}"
  ${EndIf}
SectionEnd

!insertmacro MUI_UNFUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${UnSecApp} "$(UnSecAppDesc)"
  !insertmacro MUI_DESCRIPTION_TEXT ${UnSecData} "$(UnSecDataDesc)"
!insertmacro MUI_UNFUNCTION_DESCRIPTION_END

Function un.onInit
  SetShellVarContext current
  !insertmacro MUI_UNGETLANGUAGE
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/REMOVEDATA" $0
  ${IfNot} ${Errors}
    !insertmacro SelectSection ${UnSecData}
  ${EndIf}
FunctionEnd

; Every text of the QuickReply installer and uninstaller, in Simplified Chinese and English.
; Included by installer.nsi after the MUI_LANGUAGE lines (LANG_* are defined there).

LangString SecApp ${LANG_SIMPCHINESE} "QuickReply 程序（必需）"
LangString SecApp ${LANG_ENGLISH} "QuickReply (required)"
LangString SecAppDesc ${LANG_SIMPCHINESE} "快捷回复面板 quickreply.exe、命令行工具 qreply.exe 和开始菜单快捷方式。"
LangString SecAppDesc ${LANG_ENGLISH} "The reply panel (quickreply.exe), the qreply command line and a Start menu shortcut."

LangString SecDesktop ${LANG_SIMPCHINESE} "桌面快捷方式"
LangString SecDesktop ${LANG_ENGLISH} "Desktop shortcut"
LangString SecDesktopDesc ${LANG_SIMPCHINESE} "在桌面上放一个 QuickReply 快捷方式。"
LangString SecDesktopDesc ${LANG_ENGLISH} "Put a QuickReply shortcut on the desktop."

LangString SecAutostart ${LANG_SIMPCHINESE} "开机时启动"
LangString SecAutostart ${LANG_ENGLISH} "Start at login"
LangString SecAutostartDesc ${LANG_SIMPCHINESE} "登录 Windows 后在托盘中启动 QuickReply（不弹出面板）。以后可在 QuickReply 的设置里随时更改。"
LangString SecAutostartDesc ${LANG_ENGLISH} "Start QuickReply in the tray (without showing the panel) when you sign in to Windows. You can change this later in QuickReply's settings."

LangString ShortcutComment ${LANG_SIMPCHINESE} "一键发出客服快捷回复"
LangString ShortcutComment ${LANG_ENGLISH} "Customer-service replies, one key away"

LangString UninstDisplayName ${LANG_SIMPCHINESE} "QuickReply 快捷回复"
LangString UninstDisplayName ${LANG_ENGLISH} "QuickReply"

LangString FinishRun ${LANG_SIMPCHINESE} "启动 QuickReply"
LangString FinishRun ${LANG_ENGLISH} "Start QuickReply"

LangString AppRunning ${LANG_SIMPCHINESE} "QuickReply 正在运行。$\r$\n$\r$\n点击“确定”关闭它并继续，点击“取消”停止。"
LangString AppRunning ${LANG_ENGLISH} "QuickReply is running.$\r$\n$\r$\nClick OK to close it and go on, or Cancel to stop."
LangString StillRunning ${LANG_SIMPCHINESE} "无法关闭正在运行的 QuickReply。请在托盘图标的菜单中选择“退出”，然后再试一次。"
LangString StillRunning ${LANG_ENGLISH} "QuickReply could not be closed. Choose Quit in its tray icon's menu, then try again."
LangString Closing ${LANG_SIMPCHINESE} "正在关闭"
LangString Closing ${LANG_ENGLISH} "Closing"

LangString WebView2Found ${LANG_SIMPCHINESE} "已找到 Microsoft Edge WebView2 运行时："
LangString WebView2Found ${LANG_ENGLISH} "Microsoft Edge WebView2 Runtime found:"
LangString WebView2MissingLog ${LANG_SIMPCHINESE} "未找到 Microsoft Edge WebView2 运行时：QuickReply 的面板需要它（命令行工具 qreply 不需要）。请从微软下载常青版引导程序："
LangString WebView2MissingLog ${LANG_ENGLISH} "Microsoft Edge WebView2 Runtime not found: the QuickReply panel needs it (the qreply command line does not). Get Microsoft's Evergreen Bootstrapper from:"
LangString WebView2Missing ${LANG_SIMPCHINESE} "这台电脑上没有找到 Microsoft Edge WebView2 运行时。$\r$\n$\r$\nQuickReply 的面板需要它才能显示（Windows 11 已自带，Windows 10 通常随 Edge 浏览器一起安装）；命令行工具 qreply 不需要它。安装会照常完成。$\r$\n$\r$\n获取方法：从微软官网下载并运行“常青版引导程序”（Evergreen Bootstrapper）：$\r$\n${WEBVIEW2_URL}$\r$\n安装好后再启动 QuickReply 即可。$\r$\n$\r$\n现在打开下载页面吗？"
LangString WebView2Missing ${LANG_ENGLISH} "The Microsoft Edge WebView2 Runtime was not found on this computer.$\r$\n$\r$\nThe QuickReply panel needs it to open (Windows 11 has it built in; on Windows 10 it usually comes with the Edge browser); the qreply command line does not. The installation goes on as usual.$\r$\n$\r$\nTo get it, download and run Microsoft's Evergreen Bootstrapper:$\r$\n${WEBVIEW2_URL}$\r$\nthen start QuickReply again.$\r$\n$\r$\nOpen the download page now?"

LangString UnSecApp ${LANG_SIMPCHINESE} "QuickReply 程序、快捷方式和开机启动项"
LangString UnSecApp ${LANG_ENGLISH} "QuickReply program, shortcuts and start at login"
LangString UnSecAppDesc ${LANG_SIMPCHINESE} "删除 QuickReply 程序文件、开始菜单和桌面快捷方式、开机启动项和卸载信息。"
LangString UnSecAppDesc ${LANG_ENGLISH} "Removes the QuickReply program files, the Start menu and desktop shortcuts, start at login and the uninstall entry."
LangString UnSecData ${LANG_SIMPCHINESE} "同时删除我的话术和设置"
LangString UnSecData ${LANG_ENGLISH} "Also delete my replies and settings"
LangString UnSecDataDesc ${LANG_SIMPCHINESE} "删除 $APPDATA\quickreply 中的话术库、图片和设置，无法恢复。不勾选则保留，重新安装后可继续使用。"
LangString UnSecDataDesc ${LANG_ENGLISH} "Deletes the reply library, images and settings in $APPDATA\quickreply for good. Unticked, they are kept for a later installation."
LangString RemovingData ${LANG_SIMPCHINESE} "删除话术和设置："
LangString RemovingData ${LANG_ENGLISH} "Deleting the replies and settings:"
LangString KeptData ${LANG_SIMPCHINESE} "已保留话术和设置："
LangString KeptData ${LANG_ENGLISH} "Replies and settings kept in:"

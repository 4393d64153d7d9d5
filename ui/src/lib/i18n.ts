// Every string the UI shows, Simplified Chinese first, English second.

export type Lang = "zh-CN" | "en";

const zh = {
  searchPlaceholder: "搜索话术：拼音、首字母、快捷编码或关键词",
  empty: "没有找到话术。换个说法，或用拼音首字母试试。",
  emptyLibrary: "话术库是空的。",
  copied: "已复制到剪贴板：{title}",
  copiedPart: "已复制第 {index}/{total} 部分：{title}（按 {hotkey} 复制下一部分）",
  pasted: "已粘贴：{title}",
  queue: "待发 {index}/{total}",
  team: "团队",
  personal: "个人",
  image: "图片",
  imageSize: "图片 {width}×{height}",
  promptTitle: "填写后发送：{title}",
  promptSend: "发送 (Enter)",
  promptCancel: "取消 (Esc)",
  helpKeys: "↑↓ 选择 · Enter 发送 · 1–9 发送第 N 条 · Esc 隐藏 · Ctrl+, 设置",
  forApp: "当前：{app}",
  settings: "设置",
  settingsSaved: "设置已保存",
  hotkey: "显示/隐藏面板",
  nextPartHotkey: "下一部分",
  autoPaste: "发送后自动粘贴到聊天窗口",
  pressEnter: "粘贴后自动按回车发送",
  restoreClipboard: "粘贴后恢复原来的剪贴板",
  mode: "窗口模式",
  modePopup: "弹出（在聊天窗口上出现，发送后隐藏）",
  modeDocked: "停靠（贴在聊天窗口旁边）",
  dockSide: "停靠在",
  sideRight: "右侧",
  sideLeft: "左侧",
  language: "界面语言",
  theme: "外观",
  themeSystem: "跟随系统",
  themeLight: "浅色",
  themeDark: "深色",
  startAtLogin: "开机时启动（在托盘中）",
  paused: "暂停快捷键（面板快捷键除外）",
  favourites: "常用话术快捷键",
  favouritesNone: "还没有。在列表中选中一条话术，按 Ctrl+D 设为常用。",
  profiles: "聊天应用",
  profilesHint: "识别到这些应用时，面板按它们的设置排列话术",
  save: "保存 (Ctrl+S)",
  back: "返回 (Esc)",
  remove: "移除",
  desktopNote: "提示：{note}",
  favouriteAdded: "已设为常用：{title}（{hotkey}）",
  favouriteRemoved: "已取消常用：{title}",
  close: "隐藏",
};

export type Key = keyof typeof zh;

const en: Record<Key, string> = {
  searchPlaceholder: "Search replies: pinyin, initials, shortcut code or words",
  empty: "No reply found. Try other words or pinyin initials.",
  emptyLibrary: "The library is empty.",
  copied: "Copied to the clipboard: {title}",
  copiedPart: "Copied part {index}/{total}: {title} (press {hotkey} for the next part)",
  pasted: "Pasted: {title}",
  queue: "Queued {index}/{total}",
  team: "Team",
  personal: "Personal",
  image: "Image",
  imageSize: "Image {width}×{height}",
  promptTitle: "Fill in and send: {title}",
  promptSend: "Send (Enter)",
  promptCancel: "Cancel (Esc)",
  helpKeys: "↑↓ select · Enter send · 1–9 send Nth · Esc hide · Ctrl+, settings",
  forApp: "For: {app}",
  settings: "Settings",
  settingsSaved: "Settings saved",
  hotkey: "Show/hide the panel",
  nextPartHotkey: "Next part",
  autoPaste: "Paste into the chat window after firing",
  pressEnter: "Press Enter after pasting (sends it)",
  restoreClipboard: "Restore the previous clipboard after pasting",
  mode: "Window mode",
  modePopup: "Popup (over the chat window, hides after firing)",
  modeDocked: "Docked (beside the chat window)",
  dockSide: "Dock on the",
  sideRight: "right",
  sideLeft: "left",
  language: "Language",
  theme: "Appearance",
  themeSystem: "System",
  themeLight: "Light",
  themeDark: "Dark",
  startAtLogin: "Start at login (in the tray)",
  paused: "Pause hotkeys (except the panel's)",
  favourites: "Favourite hotkeys",
  favouritesNone: "None yet. Select a reply in the list and press Ctrl+D.",
  profiles: "Chat apps",
  profilesHint: "When one of these apps is active, the panel orders replies by its profile",
  save: "Save (Ctrl+S)",
  back: "Back (Esc)",
  remove: "Remove",
  desktopNote: "Note: {note}",
  favouriteAdded: "Favourite: {title} ({hotkey})",
  favouriteRemoved: "No longer a favourite: {title}",
  close: "Hide",
};

const tables: Record<Lang, Record<Key, string>> = { "zh-CN": zh, en };

let current: Lang = "zh-CN";

export function setLang(lang: Lang): void {
  current = lang;
  document.documentElement.lang = lang;
}

export function getLang(): Lang {
  return current;
}

/** The message `key` in the current language, `{name}` placeholders filled in. */
export function t(key: Key, params: Record<string, string | number> = {}, lang: Lang = current): string {
  const text = tables[lang][key];
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

export function allKeys(): Key[] {
  return Object.keys(zh) as Key[];
}

// @ts-check
/**
 * QuickReply admin page: sign in by approval, approve new computers, members and
 * devices, the sync status board, invites, usage, and each reply's history with restore. Plain ES module, no framework,
 * no build step; every string goes through `t()` (Simplified Chinese first, English).
 * The DOM is built with `el()` and `textContent` only: nothing from the server is ever
 * parsed as HTML.
 */

/** @typedef {"owner" | "editor" | "agent"} Role */
/** @typedef {{user_id: string, user_name: string, device_id: string, device_name: string, team_id: string, team_name: string, role: Role, personal_library: string}} Me */
/** @typedef {{library_id: string, cursor: number}} Cursor */
/** @typedef {{id: string, name: string, user_id: string, user_name: string, role: Role, created_at: number, last_seen: number | null, revoked: boolean, app_version: string, cursors: Cursor[]}} DeviceInfo */
/** @typedef {{id: string, name: string, kind: "personal" | "team", head: number, writable: boolean}} LibraryInfo */
/** @typedef {{id: string, code: string, secret: string, expires_at: number}} SigninStarted */
/** @typedef {{state: "pending" | "approved" | "denied" | "expired", join?: {token: string, me: Me}}} SigninPoll */
/** @typedef {{code: string, device_name: string, user_name?: string, app_version: string, web: boolean, ip: string, created_at: number, expires_at: number}} SigninInfo */
/** @typedef {{code: string, role: Role, uses: number, expires_at: number, pairing: boolean}} InviteResponse */
/** @typedef {{key: string, count: number, devices: number}} UsageTotal */
/** @typedef {{query: string, count: number, devices: number}} MissedTotal */
/** @typedef {{key: string, version: number, seq: number, deleted?: boolean, kind?: string, doc?: any, updated_at: number}} Item */
/** @typedef {{items: Item[], cursor: number, more: boolean}} Changes */
/** @typedef {{type: "text", body: string} | {type: "image", sha256: string, mime: string, width: number, height: number}} Part */
/** @typedef {{id: string, folder_id: string | null, title: string, code: string | null, tags: string[], parts: Part[], apps: string[], position: number}} SnippetDoc */
/** @typedef {{version: number, deleted?: boolean, doc?: {kind: string, doc: any}, updated_at: number, user_id: string, user_name: string, device_name: string}} ItemVersion */
/** @typedef {"zh" | "en"} Lang */

const TOKEN_KEY = "quickreply-admin-token";
const ME_KEY = "quickreply-admin-me";
const LANG_KEY = "quickreply-admin-lang";
/** A device is offline when it was last seen longer ago than this. */
const OFFLINE_MS = 2 * 60 * 1000;
const POLL_MS = 1500;

// ---- strings ----

/** @type {Record<string, string>} */
const zh = {
  title: "QuickReply 管理",
  skip: "跳到内容",
  langToggle: "English",
  signOut: "退出登录",
  tabMembers: "成员与设备",
  tabBoard: "同步状态",
  tabInvite: "邀请",
  tabUsage: "使用统计",
  tabApprove: "批准登录",
  tabReplies: "话术",
  signinTitle: "登录管理页",
  signinHow: "无需密码：在已登录的电脑上运行下面的命令，或用已登录的手机扫描二维码并批准。",
  signinCmd: "qreply approve {0}",
  signinWaiting: "等待批准…（{0} 前有效）",
  signinDenied: "登录请求被拒绝。",
  signinExpired: "登录码已过期。",
  signinRetry: "重新获取登录码",
  signinStart: "正在获取登录码…",
  signedIn: "已登录：{0}",
  signedOut: "已退出登录。",
  sessionEnded: "登录已失效，请重新登录。",
  qrAlt: "二维码：{0}",
  who: "{0} · {1} · {2}",
  roleOwner: "所有者",
  roleEditor: "编辑",
  roleAgent: "客服",
  approveTitle: "批准新电脑登录",
  approveCodeLabel: "登录码",
  approveLookup: "查看",
  approveSignInFirst: "先登录，然后即可批准登录码 {0}。",
  approveDevice: "设备名",
  approveUser: "成员名",
  approveAddress: "地址",
  approveTime: "时间",
  approveVersion: "版本",
  approveWeb: "浏览器（管理页）",
  approveAsMine: "批准为我的设备",
  approveAsAgent: "批准为新客服",
  approveAsEditor: "批准为新编辑",
  approveAsOwner: "批准为新所有者",
  deny: "拒绝",
  approved: "已批准：{0}",
  denied: "已拒绝：{0}",
  approveHint: "新电脑开始登录（qreply signin 或桌面应用）后会显示登录码：在这里输入，或用手机扫描它显示的二维码。",
  membersTitle: "成员与设备",
  onlyOwn: "只有团队所有者能看到全队；这里是你自己的设备。",
  thisDevice: "（本机）",
  revoked: "已撤销",
  revoke: "撤销",
  revokeConfirm: "确定撤销 {0}？",
  confirm: "确定",
  cancel: "取消",
  revokedDone: "已撤销设备：{0}",
  roleLabel: "{0} 的角色",
  saveRole: "保存角色",
  roleChanged: "{0} 现在是{1}",
  lastSeen: "最后在线 {0}",
  neverSeen: "从未在线",
  version: "版本 {0}",
  refresh: "刷新",
  boardTitle: "同步状态",
  boardHint: "促销开始前看一眼：每台电脑是否都已拿到最新话术。",
  upToDate: "已是最新",
  behind: "落后 {0} 条更改",
  offline: "离线（最后在线 {0}）",
  offlineNever: "离线（从未在线）",
  notReported: "尚未报告",
  noTeamLibraries: "还没有团队话术库。",
  boardSummary: "{0} 台最新 · {1} 台落后 · {2} 台离线",
  inviteTitle: "邀请新成员",
  inviteRole: "角色",
  inviteUses: "可用次数",
  inviteExpires: "有效期",
  inviteCreate: "生成邀请码",
  inviteMade: "邀请码（{0}，可用 {1} 次，{2} 前有效）",
  inviteHow: "把邀请码或二维码发给新同事；他们在应用里粘贴邀请码，或运行：",
  hours1: "1 小时",
  days1: "1 天",
  days7: "7 天",
  days30: "30 天",
  joinTitle: "加入团队",
  joinStep1: "1. 安装 QuickReply 桌面应用（或命令行工具 qreply）。",
  joinStep2: "2. 在应用的“同步”设置里粘贴邀请码，服务器地址是：",
  joinStep3: "3. 或者在终端运行：",
  joinCode: "邀请码",
  usageTitle: "使用统计",
  usageLibrary: "话术库",
  usageDays: "时间",
  usageMember: "成员",
  usageAll: "全部成员",
  usageLoad: "查看",
  usageExport: "导出 CSV",
  usageMost: "最常用",
  usageLeast: "最少用",
  usageFolders: "按文件夹",
  usageMembers: "按成员",
  usageNone: "这段时间还没有使用记录。",
  usageNoLibrary: "没有你能查看统计的团队话术库。",
  usageTotal: "共 {0} 次使用，{1} 条话术",
  usageDeleted: "（已删除）",
  usageNoFolder: "（未分组）",
  daysN: "{0} 天",
  colTitle: "话术",
  colFolder: "文件夹",
  colCount: "次数",
  colDevices: "设备数",
  colMember: "成员",
  chartLabel: "{0}：每条话术的使用次数",
  loading: "加载中…",
  networkError: "连不上服务器：{0}",
  httpError: "请求失败（{0}）",
  exported: "已导出 {0}",
  justNow: "刚刚",
  minutesAgo: "{0} 分钟前",
  hoursAgo: "{0} 小时前",
  daysAgo: "{0} 天前",
  missedTitle: "没找到的搜索",
  missedHint: "客服搜了却什么也没找到的词（全队，不分话术库；不含号码和长文本）：也许该为它们写话术。",
  missedNone: "这段时间没有找不到结果的搜索。",
  missedSummary: "{0} 个词，共搜索 {1} 次",
  missedExport: "导出这些搜索（CSV）",
  missedChart: "没找到的搜索：每个词的搜索次数",
  colQuery: "搜索词",
  repliesTitle: "话术与历史版本",
  repliesHint: "选一条话术查看它的每个版本；“恢复此版本”会把旧内容作为一次新的修改写回，所有电脑同步后都会拿到。",
  repliesSearch: "按标题搜索",
  repliesSearchPlaceholder: "输入标题或快捷码",
  repliesCount: "{0} 条话术",
  repliesNone: "这个话术库还没有话术。",
  repliesNoMatch: "没有标题包含“{0}”的话术。",
  repliesPick: "在左边选一条话术，查看它的历史版本。",
  historyTitle: "“{0}”的历史版本",
  historyVersion: "第 {0} 版",
  historyBy: "{0} · {1} · {2}",
  historyCurrent: "当前版本",
  historyDeleted: "已删除",
  historyImage: "[图片]",
  historyNone: "没有历史记录。",
  historyBack: "返回列表",
  restore: "恢复此版本",
  restoreLabel: "恢复第 {0} 版",
  restored: "已恢复“{0}”的第 {1} 版（现在是第 {2} 版）",
  restoreConflict: "“{0}”刚刚被别人改过，已重新加载，请看一下最新内容再决定是否恢复。",
  restoreDeleted: "“{0}”已被删除，不能在这里恢复。",
};

/** @type {Record<string, string>} */
const en = {
  title: "QuickReply admin",
  skip: "Skip to content",
  langToggle: "中文",
  signOut: "Sign out",
  tabMembers: "Members & devices",
  tabBoard: "Sync status",
  tabInvite: "Invite",
  tabUsage: "Usage",
  tabApprove: "Approve sign-in",
  tabReplies: "Replies",
  signinTitle: "Sign in to the admin page",
  signinHow: "No password: run the command below on a signed-in computer, or scan the QR code with a signed-in phone and approve.",
  signinCmd: "qreply approve {0}",
  signinWaiting: "Waiting for approval… (valid until {0})",
  signinDenied: "The sign-in was denied.",
  signinExpired: "The sign-in code has expired.",
  signinRetry: "Get a new code",
  signinStart: "Getting a sign-in code…",
  signedIn: "Signed in: {0}",
  signedOut: "Signed out.",
  sessionEnded: "Your session has ended: sign in again.",
  qrAlt: "QR code: {0}",
  who: "{0} · {1} · {2}",
  roleOwner: "owner",
  roleEditor: "editor",
  roleAgent: "agent",
  approveTitle: "Approve a new computer",
  approveCodeLabel: "Sign-in code",
  approveLookup: "Look up",
  approveSignInFirst: "Sign in first; then you can approve code {0}.",
  approveDevice: "Device",
  approveUser: "Member name",
  approveAddress: "Address",
  approveTime: "Time",
  approveVersion: "Version",
  approveWeb: "browser (admin page)",
  approveAsMine: "Approve as my device",
  approveAsAgent: "Approve as a new agent",
  approveAsEditor: "Approve as a new editor",
  approveAsOwner: "Approve as a new owner",
  deny: "Deny",
  approved: "Approved: {0}",
  denied: "Denied: {0}",
  approveHint: "A new computer shows a code when it starts signing in (qreply signin or the desktop app): type it here, or scan the QR code it shows with your phone.",
  membersTitle: "Members & devices",
  onlyOwn: "Only the team's owner sees the whole team; these are your own devices.",
  thisDevice: " (this page)",
  revoked: "revoked",
  revoke: "Revoke",
  revokeConfirm: "Revoke {0}?",
  confirm: "Confirm",
  cancel: "Cancel",
  revokedDone: "Revoked: {0}",
  roleLabel: "Role of {0}",
  saveRole: "Save role",
  roleChanged: "{0} is now {1}",
  lastSeen: "last seen {0}",
  neverSeen: "never seen",
  version: "version {0}",
  refresh: "Refresh",
  boardTitle: "Sync status",
  boardHint: "Check before a promotion starts: does every computer have the latest scripts?",
  upToDate: "up to date",
  behind: "{0} changes behind",
  offline: "offline (last seen {0})",
  offlineNever: "offline (never seen)",
  notReported: "not reported yet",
  noTeamLibraries: "No team library yet.",
  boardSummary: "{0} up to date · {1} behind · {2} offline",
  inviteTitle: "Invite a new member",
  inviteRole: "Role",
  inviteUses: "Uses",
  inviteExpires: "Valid for",
  inviteCreate: "Create invite code",
  inviteMade: "Invite code ({0}, {1} uses, valid until {2})",
  inviteHow: "Send the code or the QR code to your new colleague; they paste it in the app, or run:",
  hours1: "1 hour",
  days1: "1 day",
  days7: "7 days",
  days30: "30 days",
  joinTitle: "Join the team",
  joinStep1: "1. Install the QuickReply desktop app (or the qreply command-line tool).",
  joinStep2: "2. Paste the invite code in the app's Sync settings; the server address is:",
  joinStep3: "3. Or run in a terminal:",
  joinCode: "Invite code",
  usageTitle: "Usage",
  usageLibrary: "Library",
  usageDays: "Period",
  usageMember: "Member",
  usageAll: "All members",
  usageLoad: "Show",
  usageExport: "Export CSV",
  usageMost: "Most used",
  usageLeast: "Least used",
  usageFolders: "By folder",
  usageMembers: "By member",
  usageNone: "No use recorded in this period.",
  usageNoLibrary: "No team library whose usage you may see.",
  usageTotal: "{0} uses of {1} replies",
  usageDeleted: "(deleted)",
  usageNoFolder: "(no folder)",
  daysN: "{0} days",
  colTitle: "Reply",
  colFolder: "Folder",
  colCount: "Uses",
  colDevices: "Devices",
  colMember: "Member",
  chartLabel: "{0}: uses per reply",
  loading: "Loading…",
  networkError: "Cannot reach the server: {0}",
  httpError: "Request failed ({0})",
  exported: "Exported {0}",
  justNow: "just now",
  minutesAgo: "{0} min ago",
  hoursAgo: "{0} h ago",
  daysAgo: "{0} days ago",
  missedTitle: "Searches that found nothing",
  missedHint: "What agents searched for without finding a reply (the whole team, every library; no numbers or long text): replies worth writing.",
  missedNone: "No search came up empty in this period.",
  missedSummary: "{0} searches, {1} times in all",
  missedExport: "Export these (CSV)",
  missedChart: "Searches that found nothing: times searched",
  colQuery: "Search",
  repliesTitle: "Replies and their history",
  repliesHint: "Pick a reply to see every version; “Restore this version” writes the old text back as a new edit, which every computer gets when it syncs.",
  repliesSearch: "Search titles",
  repliesSearchPlaceholder: "Title or shortcut code",
  repliesCount: "Replies: {0}",
  repliesNone: "This library has no replies yet.",
  repliesNoMatch: "No reply title contains “{0}”.",
  repliesPick: "Pick a reply on the left to see its history.",
  historyTitle: "History of “{0}”",
  historyVersion: "Version {0}",
  historyBy: "{0} · {1} · {2}",
  historyCurrent: "current",
  historyDeleted: "deleted",
  historyImage: "[image]",
  historyNone: "No history.",
  historyBack: "Back to the list",
  restore: "Restore this version",
  restoreLabel: "Restore version {0}",
  restored: "Restored version {1} of “{0}” (now version {2})",
  restoreConflict: "“{0}” was just changed by someone else: reloaded; look at the latest text before restoring.",
  restoreDeleted: "“{0}” has been deleted: it cannot be restored here.",
};

/** @type {Record<Lang, Record<string, string>>} */
const STRINGS = { zh, en };

/** @type {Lang} */
let lang = localStorage.getItem(LANG_KEY) === "en" ? "en" : "zh";

/**
 * A string of the current language, `{0}`, `{1}` … replaced by `args`.
 * @param {string} key
 * @param {...(string | number)} args
 * @returns {string}
 */
function t(key, ...args) {
  const s = STRINGS[lang][key] ?? zh[key] ?? key;
  return s.replace(/\{(\d+)\}/g, (_, i) => String(args[Number(i)] ?? ""));
}

/** @param {Role} role */
function roleName(role) {
  return t(role === "owner" ? "roleOwner" : role === "editor" ? "roleEditor" : "roleAgent");
}

// ---- DOM helpers ----

/**
 * An element with attributes (`on…` functions become listeners) and children.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string | number | boolean | EventListener | undefined | null>} [attrs]
 * @param {...(Node | string | null | undefined | false)} children
 * @returns {HTMLElementTagNameMap[K]}
 */
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (typeof v === "function") {
      e.addEventListener(k.slice(2), v);
    } else if (v === true) {
      e.setAttribute(k, "");
    } else {
      e.setAttribute(k, String(v));
    }
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c);
  }
  return e;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * An SVG element.
 * @param {string} tag
 * @param {Record<string, string | number>} attrs
 * @param {string} [text]
 * @returns {SVGElement}
 */
function svg(tag, attrs, text) {
  const e = /** @type {SVGElement} */ (document.createElementNS(SVG_NS, tag));
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * @param {string} id
 * @returns {HTMLElement}
 */
function byId(id) {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} is missing from the page`);
  return e;
}

/**
 * @param {string} text
 * @param {"" | "error" | "ok"} [kind]
 */
function setStatus(text, kind = "") {
  const s = byId("status");
  s.textContent = text;
  s.className = kind ? `status ${kind}` : "status";
}

/** @param {unknown} e */
function showError(e) {
  setStatus(e instanceof Error ? e.message : String(e), "error");
}

/**
 * A button.
 * @param {string} label
 * @param {() => unknown} action  errors it throws (or rejects with) are shown
 * @param {Record<string, string | undefined>} [attrs]
 */
function button(label, action, attrs = {}) {
  return el(
    "button",
    {
      type: "button",
      ...attrs,
      onclick: () => {
        void Promise.resolve()
          .then(action)
          .catch((e) => {
            if (!(e instanceof SignedOut)) showError(e);
          });
      },
    },
    label,
  );
}

/**
 * A labelled field.
 * @param {string} label
 * @param {HTMLElement} control
 */
function field(label, control) {
  return el("label", { class: "field" }, el("span", {}, label), control);
}

/**
 * A `<select>` of options.
 * @param {string} id
 * @param {[string, string][]} options  value, label
 * @param {string} [value]
 */
function select(id, options, value) {
  const s = el("select", { id });
  for (const [v, label] of options) {
    s.append(el("option", { value: v, selected: v === value }, label));
  }
  return s;
}

/** @param {string} text */
function qrImage(text) {
  return el("img", {
    class: "qr",
    src: `/admin/qr.svg?text=${encodeURIComponent(text)}`,
    alt: t("qrAlt", text),
    width: 220,
    height: 220,
  });
}

/** @param {number} ms */
function formatTime(ms) {
  return new Date(ms).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", {
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  });
}

/** @param {number} ms */
function ago(ms) {
  const d = Date.now() - ms;
  if (d < 60_000) return t("justNow");
  if (d < 3_600_000) return t("minutesAgo", Math.floor(d / 60_000));
  if (d < 86_400_000) return t("hoursAgo", Math.floor(d / 3_600_000));
  return t("daysAgo", Math.floor(d / 86_400_000));
}

// ---- API ----

/** Thrown after a 401: the page went back to sign-in. */
class SignedOut extends Error {}

class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** @type {string | null} */
let token = localStorage.getItem(TOKEN_KEY);
/** @type {Me | null} */
let me = readMe();

/** @returns {Me | null} */
function readMe() {
  try {
    const raw = localStorage.getItem(ME_KEY);
    return raw ? /** @type {Me} */ (JSON.parse(raw)) : null;
  } catch {
    return null;
  }
}

/**
 * Calls the API; errors carry the server's message. A 401 with a token forgets it and
 * shows the sign-in.
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @param {Record<string, string>} [extra]  more request headers (`If-Match`)
 * @returns {Promise<any>}
 */
async function api(method, path, body, extra = {}) {
  /** @type {Record<string, string>} */
  const headers = { ...extra };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  /** @type {Response} */
  let resp;
  try {
    resp = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch (e) {
    throw new Error(t("networkError", e instanceof Error ? e.message : String(e)));
  }
  if (resp.status === 401 && token) {
    forget();
    showSignin(t("sessionEnded"));
    throw new SignedOut(t("sessionEnded"));
  }
  if (!resp.ok) {
    let code = "";
    let message = t("httpError", resp.status);
    try {
      const j = await resp.json();
      if (j && typeof j.message === "string") message = j.message;
      if (j && typeof j.code === "string") code = j.code;
    } catch {
      // Not JSON: the generic message stays.
    }
    throw new ApiError(resp.status, code, `${message} (${resp.status})`);
  }
  if (resp.status === 204) return null;
  return resp.json();
}

function forget() {
  token = null;
  me = null;
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(ME_KEY);
}

// ---- routing ----

/** @typedef {"members" | "board" | "invite" | "usage" | "replies" | "approve"} Tab */
/** @type {Tab} */
let tab = "members";
/** Stops the sign-in poll that is running. */
let stopPolling = () => {};

/** @returns {{approve?: string, join?: string}} */
function hashParams() {
  const h = location.hash.replace(/^#/, "");
  const p = new URLSearchParams(h);
  return {
    approve: p.get("approve") ?? undefined,
    join: p.get("join") ?? undefined,
  };
}

function clearHash() {
  history.replaceState(null, "", location.pathname + location.search);
}

function main() {
  return byId("main");
}

/** Renders whatever the address and the sign-in state call for. */
function route() {
  translateChrome();
  const h = hashParams();
  if (h.join) {
    showJoin(h.join);
    return;
  }
  if (!token) {
    showSignin(h.approve ? t("approveSignInFirst", h.approve) : "");
    return;
  }
  if (h.approve) {
    tab = "approve";
  }
  showApp();
}

/** The page chrome (header, tabs) in the current language. */
function translateChrome() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.title = t("title");
  byId("title").textContent = t("title");
  byId("lang").textContent = t("langToggle");
  byId("lang").setAttribute("lang", lang === "zh" ? "en" : "zh-CN");
  byId("signout").textContent = t("signOut");
  const skip = document.querySelector(".skip");
  if (skip) skip.textContent = t("skip");
  byId("signout").hidden = !token;
  byId("who").textContent = me && token ? t("who", me.user_name, roleName(me.role), me.team_name) : "";
}

// ---- sign-in ----

function browserName() {
  const ua = navigator.userAgent;
  if (/Edg\//.test(ua)) return "Edge";
  if (/Firefox\//.test(ua)) return "Firefox";
  if (/Chrome\//.test(ua)) return "Chrome";
  if (/Safari\//.test(ua)) return "Safari";
  return "Browser";
}

/**
 * The sign-in screen: asks for a code and polls until it is approved.
 * @param {string} note  shown in the status line
 */
function showSignin(note) {
  stopPolling();
  byId("tabs").hidden = true;
  translateChrome();
  setStatus(note);
  const box = el("section", { class: "card", id: "signin", "aria-labelledby": "signin-title" });
  box.append(el("h2", { id: "signin-title" }, t("signinTitle")), el("p", { class: "muted" }, t("signinStart")));
  main().replaceChildren(box);
  void startSignin(box);
}

/** @param {HTMLElement} box */
async function startSignin(box) {
  /** @type {SigninStarted} */
  let started;
  try {
    started = await api("POST", "/v1/signin", {
      device_name: `管理页 · ${browserName()}`,
      web: true,
    });
  } catch (e) {
    showError(e);
    box.append(button(t("signinRetry"), () => showSignin(""), { id: "signin-retry" }));
    return;
  }
  const approveUrl = `${location.origin}/admin/#approve=${started.code}`;
  const waiting = el("p", { id: "signin-state", class: "muted" }, t("signinWaiting", formatTime(started.expires_at)));
  box.replaceChildren(
    el("h2", { id: "signin-title" }, t("signinTitle")),
    el("p", {}, t("signinHow")),
    el(
      "div",
      { class: "pair" },
      el("div", {}, el("div", { class: "code", id: "signin-code" }, started.code), el("pre", { class: "cmd" }, t("signinCmd", started.code))),
      qrImage(approveUrl),
    ),
    waiting,
  );
  let stopped = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  stopPolling = () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  };
  const poll = async () => {
    if (stopped) return;
    /** @type {SigninPoll} */
    let answer;
    try {
      answer = await api("POST", `/v1/signin/${started.id}/poll`, { secret: started.secret });
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        answer = { state: "expired" };
      } else {
        // A network hiccup: say so and keep trying.
        showError(e);
        timer = setTimeout(poll, POLL_MS * 2);
        return;
      }
    }
    if (stopped) return;
    if (answer.state === "pending") {
      timer = setTimeout(poll, POLL_MS);
      return;
    }
    if (answer.state === "approved" && answer.join) {
      token = answer.join.token;
      me = answer.join.me;
      localStorage.setItem(TOKEN_KEY, token);
      localStorage.setItem(ME_KEY, JSON.stringify(me));
      setStatus(t("signedIn", me.user_name), "ok");
      route();
      return;
    }
    const msg = answer.state === "denied" ? t("signinDenied") : t("signinExpired");
    setStatus(msg, "error");
    waiting.textContent = msg;
    box.append(button(t("signinRetry"), () => showSignin(""), { id: "signin-retry" }));
  };
  timer = setTimeout(poll, POLL_MS);
}

async function signOut() {
  if (me) {
    try {
      await api("DELETE", `/v1/devices/${me.device_id}`);
    } catch (e) {
      if (e instanceof SignedOut) return;
      throw e;
    }
  }
  forget();
  clearHash();
  showSignin(t("signedOut"));
}

// ---- the app ----

/** @returns {boolean} */
function isLead() {
  return !!me && (me.role === "owner" || me.role === "editor");
}

/** @returns {[Tab, string][]} */
function tabs() {
  /** @type {[Tab, string][]} */
  const all = [
    ["members", t("tabMembers")],
    ["board", t("tabBoard")],
  ];
  if (isLead()) {
    all.push(["invite", t("tabInvite")], ["usage", t("tabUsage")], ["replies", t("tabReplies")]);
  }
  all.push(["approve", t("tabApprove")]);
  return all;
}

function showApp() {
  stopPolling();
  translateChrome();
  const nav = byId("tabs");
  nav.hidden = false;
  nav.setAttribute("aria-label", t("title"));
  const list = tabs();
  if (!list.some(([id]) => id === tab)) tab = "members";
  nav.replaceChildren(
    ...list.map(([id, label]) =>
      el(
        "button",
        {
          type: "button",
          id: `tab-${id}`,
          "aria-current": id === tab ? "page" : undefined,
          onclick: () => {
            tab = id;
            setStatus("");
            if (id !== "approve" && hashParams().approve) clearHash();
            showApp();
            document.getElementById(`tab-${id}`)?.focus();
          },
        },
        label,
      ),
    ),
  );
  const views = {
    members: showMembers,
    board: showBoard,
    invite: showInvite,
    usage: showUsage,
    replies: showReplies,
    approve: showApprove,
  };
  const section = el("section", { id: `view-${tab}` });
  main().replaceChildren(section);
  views[tab](section).catch((e) => {
    if (!(e instanceof SignedOut)) showError(e);
  });
  // Refresh who we are (role changes, revocations) in the background.
  void api("GET", "/v1/me")
    .then((/** @type {Me} */ fresh) => {
      const roleChanged = me && fresh.role !== me.role;
      me = fresh;
      localStorage.setItem(ME_KEY, JSON.stringify(me));
      translateChrome();
      if (roleChanged) showApp();
    })
    .catch((e) => {
      if (!(e instanceof SignedOut)) showError(e);
    });
}

// ---- approve ----

/** @param {HTMLElement} section */
async function showApprove(section) {
  const code = hashParams().approve ?? "";
  const input = el("input", {
    id: "approve-code",
    value: code,
    autocomplete: "off",
    autocapitalize: "characters",
    spellcheck: "false",
    placeholder: "ABCD-EFGH",
  });
  const form = el(
    "form",
    {
      class: "form",
      onsubmit: (/** @type {Event} */ ev) => {
        ev.preventDefault();
        const c = input.value.trim();
        if (!c) return;
        history.replaceState(null, "", `#approve=${encodeURIComponent(c)}`);
        showApp();
      },
    },
    field(t("approveCodeLabel"), input),
    el("button", { type: "submit", id: "approve-lookup" }, t("approveLookup")),
  );
  const card = el(
    "div",
    { class: "card" },
    el("h2", {}, t("approveTitle")),
    el("p", { class: "muted small" }, t("approveHint")),
    form,
  );
  section.append(card);
  if (!code) {
    input.focus();
    return;
  }
  /** @type {SigninInfo} */
  const info = await api("GET", `/v1/signin?code=${encodeURIComponent(code)}`);
  /** @param {string} label @param {string} value */
  const fact = (label, value) => [el("dt", {}, label), el("dd", {}, value)];
  const facts = el(
    "dl",
    { class: "facts", id: "approve-info" },
    ...fact(t("approveDevice"), info.web ? `${info.device_name} · ${t("approveWeb")}` : info.device_name),
    ...(info.user_name ? fact(t("approveUser"), info.user_name) : []),
    ...fact(t("approveAddress"), info.ip),
    ...fact(t("approveTime"), formatTime(info.created_at)),
    ...(info.app_version ? fact(t("approveVersion"), info.app_version) : []),
  );
  /**
   * @param {Role | null} member
   */
  const decide = async (member) => {
    await api("POST", "/v1/signin/approve", member ? { code: info.code, member } : { code: info.code });
    setStatus(t("approved", info.device_name), "ok");
    clearHash();
    tab = "members";
    showApp();
  };
  const actions = el("div", { class: "row" }, button(t("approveAsMine"), () => decide(null), { id: "approve-mine" }));
  if (isLead()) {
    actions.append(
      button(t("approveAsAgent"), () => decide("agent"), { id: "approve-agent" }),
      button(t("approveAsEditor"), () => decide("editor"), { id: "approve-editor" }),
    );
    if (me?.role === "owner") {
      actions.append(button(t("approveAsOwner"), () => decide("owner"), { id: "approve-owner" }));
    }
  }
  actions.append(
    button(
      t("deny"),
      async () => {
        await api("POST", "/v1/signin/deny", { code: info.code });
        setStatus(t("denied", info.device_name), "ok");
        clearHash();
        tab = "members";
        showApp();
      },
      { id: "approve-deny", class: "danger" },
    ),
  );
  card.append(el("div", { class: "code" }, info.code), facts, actions);
  const first = actions.querySelector("button");
  if (first) first.focus();
}

// ---- members and devices ----

/** @returns {Promise<DeviceInfo[]>} */
async function devices() {
  return api("GET", "/v1/devices");
}

/**
 * Devices grouped by member, members by name.
 * @param {DeviceInfo[]} list
 * @returns {{user_id: string, user_name: string, role: Role, devices: DeviceInfo[]}[]}
 */
function byMember(list) {
  /** @type {Map<string, {user_id: string, user_name: string, role: Role, devices: DeviceInfo[]}>} */
  const m = new Map();
  for (const d of list) {
    let g = m.get(d.user_id);
    if (!g) {
      g = { user_id: d.user_id, user_name: d.user_name, role: d.role, devices: [] };
      m.set(d.user_id, g);
    }
    g.devices.push(d);
  }
  const order = { owner: 0, editor: 1, agent: 2 };
  return [...m.values()].sort(
    (a, b) => order[a.role] - order[b.role] || a.user_name.localeCompare(b.user_name),
  );
}

/** @param {HTMLElement} section */
async function showMembers(section) {
  section.append(el("p", { class: "muted" }, t("loading")));
  const list = await devices();
  const card = el(
    "div",
    { class: "card" },
    el(
      "div",
      { class: "member-head" },
      el("h2", {}, t("membersTitle")),
      button(t("refresh"), () => showApp(), { class: "ghost", id: "members-refresh" }),
    ),
  );
  if (me?.role !== "owner") card.append(el("p", { class: "muted small" }, t("onlyOwn")));
  const members = el("div", { class: "members", id: "members" });
  for (const g of byMember(list)) {
    const head = el(
      "div",
      { class: "member-head" },
      el("div", {}, el("span", { class: "member-name" }, g.user_name), " ", el("span", { class: "badge role" }, roleName(g.role))),
    );
    if (me?.role === "owner") {
      const roleSelect = select(
        `role-${g.user_id}`,
        /** @type {Role[]} */ (["owner", "editor", "agent"]).map((r) => [r, roleName(r)]),
        g.role,
      );
      roleSelect.setAttribute("aria-label", t("roleLabel", g.user_name));
      head.append(
        el(
          "div",
          { class: "row" },
          roleSelect,
          button(
            t("saveRole"),
            async () => {
              const role = /** @type {Role} */ (roleSelect.value);
              await api("PUT", `/v1/members/${g.user_id}/role`, { role });
              setStatus(t("roleChanged", g.user_name, roleName(role)), "ok");
              showApp();
            },
            { class: "ghost save-role", "data-user": g.user_id },
          ),
        ),
      );
    }
    const ul = el("ul", { class: "devices" });
    for (const d of g.devices) {
      ul.append(deviceRow(d));
    }
    members.append(
      el("article", { class: "card member", "data-user": g.user_id, "data-name": g.user_name, "data-role": g.role }, head, ul),
    );
  }
  card.append(members);
  section.replaceChildren(card);
}

/** @param {DeviceInfo} d */
function deviceRow(d) {
  const mine = me && d.id === me.device_id;
  const details = [
    d.last_seen ? t("lastSeen", ago(d.last_seen)) : t("neverSeen"),
    d.app_version ? t("version", d.app_version) : "",
  ]
    .filter(Boolean)
    .join(" · ");
  const li = el(
    "li",
    { class: "device", "data-device": d.id, "data-name": d.name },
    el(
      "div",
      { class: "dev-text" },
      el("div", {}, d.name, mine ? t("thisDevice") : "", d.revoked ? el("span", { class: "badge" }, t("revoked")) : null),
      el("div", { class: "muted small" }, details),
    ),
  );
  if (!d.revoked) {
    const actions = el("div", { class: "row" });
    const ask = () => {
      const yes = button(
        t("confirm"),
        async () => {
          await api("DELETE", `/v1/devices/${d.id}`);
          if (mine) {
            forget();
            showSignin(t("revokedDone", d.name));
            return;
          }
          setStatus(t("revokedDone", d.name), "ok");
          showApp();
        },
        { class: "danger confirm-revoke" },
      );
      actions.replaceChildren(
        el("span", {}, t("revokeConfirm", d.name)),
        yes,
        button(t("cancel"), () => actions.replaceChildren(revoke), { class: "ghost" }),
      );
      yes.focus();
    };
    const revoke = button(t("revoke"), ask, { class: "danger revoke" });
    actions.append(revoke);
    li.append(actions);
  }
  return li;
}

// ---- sync board ----

/**
 * Where a device stands with a library.
 * @param {DeviceInfo} d
 * @param {LibraryInfo} lib
 * @param {number} now
 * @returns {{state: "ok" | "behind" | "offline" | "unknown", text: string}}
 */
export function syncState(d, lib, now) {
  if (!d.last_seen || now - d.last_seen > OFFLINE_MS) {
    return {
      state: "offline",
      text: d.last_seen ? t("offline", ago(d.last_seen)) : t("offlineNever"),
    };
  }
  const c = d.cursors.find((x) => x.library_id === lib.id);
  if (!c && d.cursors.length === 0) return { state: "unknown", text: t("notReported") };
  const behind = Math.max(0, lib.head - (c ? c.cursor : 0));
  return behind === 0
    ? { state: "ok", text: t("upToDate") }
    : { state: "behind", text: t("behind", behind) };
}

/** @param {HTMLElement} section */
async function showBoard(section) {
  section.append(el("p", { class: "muted" }, t("loading")));
  const [list, libs] = await Promise.all([
    devices(),
    /** @type {Promise<LibraryInfo[]>} */ (api("GET", "/v1/libraries")),
  ]);
  const team = libs.filter((l) => l.kind === "team");
  const now = Date.now();
  const head = el(
    "div",
    { class: "card" },
    el(
      "div",
      { class: "member-head" },
      el("h2", {}, t("boardTitle")),
      button(t("refresh"), () => showApp(), { class: "ghost", id: "board-refresh" }),
    ),
    el("p", { class: "muted small" }, t("boardHint")),
  );
  if (me?.role !== "owner") head.append(el("p", { class: "muted small" }, t("onlyOwn")));
  if (team.length === 0) {
    head.append(el("p", {}, t("noTeamLibraries")));
    section.replaceChildren(head);
    return;
  }
  const counts = { ok: 0, behind: 0, offline: 0 };
  const board = el("div", { class: "board", id: "board" });
  for (const g of byMember(list)) {
    for (const d of g.devices) {
      if (d.revoked) continue;
      const rows = el("ul", { class: "sync-list" });
      let worst = "ok";
      let known = false;
      for (const lib of team) {
        const s = syncState(d, lib, now);
        if (s.state !== "unknown") known = true;
        if (s.state === "offline") worst = "offline";
        else if (s.state === "behind" && worst !== "offline") worst = "behind";
        rows.append(
          el(
            "li",
            { class: "sync-cell", "data-device": d.id, "data-library": lib.id, "data-state": s.state },
            el("span", {}, lib.name),
            el("span", { class: `state-${s.state === "unknown" ? "offline" : s.state}` }, s.text),
          ),
        );
      }
      if (!known) {
        // Never reported (a browser, or a computer that has not synced yet): not counted.
      } else if (worst === "ok") counts.ok += 1;
      else if (worst === "behind") counts.behind += 1;
      else counts.offline += 1;
      const meta = [
        d.app_version ? t("version", d.app_version) : "",
        d.last_seen ? t("lastSeen", ago(d.last_seen)) : t("neverSeen"),
      ]
        .filter(Boolean)
        .join(" · ");
      board.append(
        el(
          "article",
          { class: "card sync-device", "data-device": d.id, "data-name": d.name },
          el("div", { class: "member-name" }, d.name),
          el("div", { class: "muted small" }, `${g.user_name} · ${roleName(g.role)}`),
          el("div", { class: "muted small" }, meta),
          rows,
        ),
      );
    }
  }
  head.append(el("p", { class: "summary", id: "board-summary" }, t("boardSummary", counts.ok, counts.behind, counts.offline)));
  section.replaceChildren(head, board);
}

// ---- invites and joining ----

/** @param {HTMLElement} section */
async function showInvite(section) {
  /** @type {[string, string][]} */
  const roles = [
    ["agent", roleName("agent")],
    ["editor", roleName("editor")],
  ];
  if (me?.role === "owner") roles.push(["owner", roleName("owner")]);
  const role = select("invite-role", roles, "agent");
  const uses = el("input", { id: "invite-uses", type: "number", min: 1, max: 1000, value: 1, inputmode: "numeric" });
  const expires = select(
    "invite-expires",
    [
      ["3600", t("hours1")],
      ["86400", t("days1")],
      ["604800", t("days7")],
      ["2592000", t("days30")],
    ],
    "604800",
  );
  const result = el("div", { id: "invite-result" });
  const form = el(
    "form",
    {
      class: "form",
      onsubmit: (/** @type {Event} */ ev) => {
        ev.preventDefault();
        void create().catch((e) => {
          if (!(e instanceof SignedOut)) showError(e);
        });
      },
    },
    field(t("inviteRole"), role),
    field(t("inviteUses"), uses),
    field(t("inviteExpires"), expires),
    el("button", { type: "submit", id: "invite-create" }, t("inviteCreate")),
  );
  const create = async () => {
    /** @type {InviteResponse} */
    const inv = await api("POST", "/v1/invites", {
      role: role.value,
      uses: Number(uses.value),
      expires_in: Number(expires.value),
      pairing: false,
    });
    const joinUrl = `${location.origin}/admin/#join=${inv.code}`;
    result.replaceChildren(
      el("h3", {}, t("inviteMade", roleName(inv.role), inv.uses, formatTime(inv.expires_at))),
      el("div", { class: "pair" }, el("div", { class: "code", id: "invite-code" }, inv.code), qrImage(joinUrl)),
      el("p", {}, t("inviteHow")),
      el("pre", { class: "cmd" }, `qreply join ${location.origin} ${inv.code}`),
    );
    setStatus(t("inviteMade", roleName(inv.role), inv.uses, formatTime(inv.expires_at)), "ok");
  };
  section.append(el("div", { class: "card" }, el("h2", {}, t("inviteTitle")), form, result));
}

/** @param {string} code */
function showJoin(code) {
  stopPolling();
  byId("tabs").hidden = true;
  translateChrome();
  main().replaceChildren(
    el(
      "section",
      { class: "card", id: "join" },
      el("h2", {}, t("joinTitle")),
      el("p", {}, t("joinCode")),
      el("div", { class: "code", id: "join-code" }, code),
      el("p", {}, t("joinStep1")),
      el("p", {}, t("joinStep2")),
      el("pre", { class: "cmd" }, location.origin),
      el("p", {}, t("joinStep3")),
      el("pre", { class: "cmd" }, `qreply join ${location.origin} ${code}`),
    ),
  );
}

// ---- usage ----

/**
 * Titles and folders of a library's replies, from its change feed.
 * @param {string} libraryId
 * @returns {Promise<{snippets: Map<string, {title: string, folder: string | null}>, folders: Map<string, string>}>}
 */
async function catalogue(libraryId) {
  const { replies, folders } = await libraryItems(libraryId);
  /** @type {Map<string, {title: string, folder: string | null}>} */
  const snippets = new Map();
  for (const [key, r] of replies) {
    snippets.set(key, { title: String(r.doc.title ?? ""), folder: r.doc.folder_id ?? null });
  }
  return { snippets, folders };
}

/**
 * @typedef {{key: string, title: string, folder: string, count: number, devices: number}} UsageRow
 */

/**
 * A horizontal bar chart.
 * @param {string} id
 * @param {string} label
 * @param {{label: string, value: number}[]} rows
 * @param {boolean} [low]  drawn in the muted colour
 * @returns {SVGElement}
 */
function barChart(id, label, rows, low = false) {
  const rowH = 26;
  const width = 420;
  const labelW = 150;
  const countW = 40;
  const max = Math.max(1, ...rows.map((r) => r.value));
  const height = Math.max(rowH, rows.length * rowH);
  const chart = svg("svg", {
    id,
    class: "chart",
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": label,
    preserveAspectRatio: "xMinYMin meet",
  });
  chart.append(svg("title", {}, label));
  rows.forEach((r, i) => {
    const y = i * rowH;
    const w = Math.max(r.value > 0 ? 3 : 0, ((width - labelW - countW) * r.value) / max);
    const name = r.label.length > 10 ? `${r.label.slice(0, 9)}…` : r.label;
    const g = svg("g", { class: "row" });
    g.append(
      svg("text", { x: 0, y: y + 18 }, name),
      svg("rect", { class: low ? "bar low" : "bar", x: labelW, y: y + 5, width: w.toFixed(1), height: rowH - 10, rx: 3 }),
      svg("text", { class: "count", x: labelW + w + 6, y: y + 18 }, String(r.value)),
    );
    g.append(svg("title", {}, `${r.label}: ${r.value}`));
    chart.append(g);
  });
  return chart;
}

/**
 * A CSV cell, safe from spreadsheet formula injection.
 * @param {string | number} v
 */
function csvCell(v) {
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Downloads rows as a CSV file (UTF-8 with BOM, for spreadsheet apps).
 * @param {string} name
 * @param {(string | number)[][]} rows
 */
function downloadCsv(name, rows) {
  const text = `\uFEFF${rows.map((r) => r.map(csvCell).join(",")).join("\r\n")}\r\n`;
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  const a = el("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  setStatus(t("exported", name), "ok");
}

/**
 * The team's searches that found nothing: a bar chart of the most searched, CSV export.
 * @param {MissedTotal[]} missed
 * @param {string} days
 */
function missedSection(missed, days) {
  const rows = [...missed].sort((a, b) => b.count - a.count || a.query.localeCompare(b.query));
  const total = rows.reduce((n, r) => n + r.count, 0);
  const head = el(
    "div",
    { class: "member-head" },
    el("h3", {}, t("missedTitle")),
    rows.length > 0
      ? button(
          t("missedExport"),
          () =>
            downloadCsv(`missed-searches-${days}d.csv`, [
              [t("colQuery"), t("colCount"), t("colDevices")],
              ...rows.map((r) => [r.query, r.count, r.devices]),
            ]),
          { class: "ghost", id: "missed-export" },
        )
      : null,
  );
  const box = el("div", { id: "usage-missed-section", class: "missed" }, head, el("p", { class: "muted small" }, t("missedHint")));
  if (rows.length === 0) {
    box.append(el("p", { id: "missed-none" }, t("missedNone")));
    return box;
  }
  box.append(
    el("p", { class: "summary", id: "missed-summary" }, t("missedSummary", rows.length, total)),
    barChart("usage-missed", t("missedChart"), rows.slice(0, 20).map((r) => ({ label: r.query, value: r.count }))),
  );
  return box;
}

/** @param {HTMLElement} section */
async function showUsage(section) {
  const [libs, list] = await Promise.all([
    /** @type {Promise<LibraryInfo[]>} */ (api("GET", "/v1/libraries")),
    devices(),
  ]);
  const team = libs.filter((l) => l.kind === "team" && l.writable);
  const card = el("div", { class: "card" }, el("h2", {}, t("usageTitle")));
  section.replaceChildren(card);
  if (team.length === 0) {
    card.append(el("p", {}, t("usageNoLibrary")));
    return;
  }
  const members = byMember(list);
  const lib = select(
    "usage-library",
    team.map((l) => [l.id, l.name]),
  );
  const days = select(
    "usage-days",
    [1, 7, 30].map((n) => [String(n), t("daysN", n)]),
    "7",
  );
  const who = select("usage-member", [["", t("usageAll")], ...members.map((m) => /** @type {[string, string]} */ ([m.user_id, m.user_name]))], "");
  const out = el("div", { id: "usage-result" });
  /** @type {UsageRow[]} */
  let current = [];
  const exportButton = button(
    t("usageExport"),
    () => {
      const libName = team.find((l) => l.id === lib.value)?.name ?? "library";
      downloadCsv(`usage-${libName}-${days.value}d.csv`, [
        [t("colTitle"), t("colFolder"), t("colCount"), t("colDevices"), "key"],
        ...current.map((r) => [r.title, r.folder, r.count, r.devices, r.key]),
      ]);
    },
    { class: "ghost", id: "usage-export" },
  );
  const load = async () => {
    out.replaceChildren(el("p", { class: "muted" }, t("loading")));
    const userParam = who.value ? `&user=${encodeURIComponent(who.value)}` : "";
    const [totals, cat, missed] = await Promise.all([
      /** @type {Promise<UsageTotal[]>} */ (api("GET", `/v1/libraries/${lib.value}/usage?days=${days.value}${userParam}`)),
      catalogue(lib.value),
      /** @type {Promise<MissedTotal[]>} */ (api("GET", `/v1/missed?days=${days.value}${userParam}`)),
    ]);
    /** @type {Map<string, UsageRow>} */
    const rows = new Map();
    for (const [key, s] of cat.snippets) {
      rows.set(key, {
        key,
        title: s.title,
        folder: s.folder ? cat.folders.get(s.folder) ?? t("usageNoFolder") : t("usageNoFolder"),
        count: 0,
        devices: 0,
      });
    }
    for (const u of totals) {
      const r = rows.get(u.key) ?? { key: u.key, title: `${u.key.slice(0, 8)} ${t("usageDeleted")}`, folder: "", count: 0, devices: 0 };
      r.count = u.count;
      r.devices = u.devices;
      rows.set(u.key, r);
    }
    current = [...rows.values()].sort((a, b) => b.count - a.count || a.title.localeCompare(b.title));
    const total = current.reduce((n, r) => n + r.count, 0);
    const parts = [el("p", { class: "summary", id: "usage-summary" }, t("usageTotal", total, current.length))];
    if (total === 0) parts.push(el("p", { id: "usage-none" }, t("usageNone")));
    const most = current.filter((r) => r.count > 0).slice(0, 10);
    const least = [...current].reverse().slice(0, 10);
    const charts = el("div", { class: "grid2" });
    if (most.length > 0) {
      charts.append(
        el("div", {}, el("h3", {}, t("usageMost")), barChart("usage-most", t("chartLabel", t("usageMost")), most.map((r) => ({ label: r.title, value: r.count })))),
      );
    }
    if (least.length > 0) {
      charts.append(
        el("div", {}, el("h3", {}, t("usageLeast")), barChart("usage-least", t("chartLabel", t("usageLeast")), least.map((r) => ({ label: r.title, value: r.count })), true)),
      );
    }
    parts.push(charts);
    /** @type {Map<string, number>} */
    const perFolder = new Map();
    for (const r of current) perFolder.set(r.folder || t("usageNoFolder"), (perFolder.get(r.folder || t("usageNoFolder")) ?? 0) + r.count);
    const folderRows = [...perFolder.entries()].sort((a, b) => b[1] - a[1]);
    const tables = el("div", { class: "grid2" });
    tables.append(
      el(
        "div",
        { class: "table-wrap" },
        el("h3", {}, t("usageFolders")),
        el(
          "table",
          { id: "usage-folders" },
          el("thead", {}, el("tr", {}, el("th", {}, t("colFolder")), el("th", { class: "num" }, t("colCount")))),
          el("tbody", {}, ...folderRows.map(([f, n]) => el("tr", {}, el("td", {}, f), el("td", { class: "num" }, String(n))))),
        ),
      ),
    );
    if (!who.value && members.length > 0) {
      const perMember = await Promise.all(
        members.map(async (m) => {
          /** @type {UsageTotal[]} */
          const mt = await api("GET", `/v1/libraries/${lib.value}/usage?days=${days.value}&user=${encodeURIComponent(m.user_id)}`);
          return { name: m.user_name, count: mt.reduce((n, x) => n + x.count, 0) };
        }),
      );
      perMember.sort((a, b) => b.count - a.count);
      tables.append(
        el(
          "div",
          {},
          el("h3", {}, t("usageMembers")),
          barChart("usage-members", t("chartLabel", t("usageMembers")), perMember.map((m) => ({ label: m.name, value: m.count }))),
        ),
      );
    }
    parts.push(tables, missedSection(missed, days.value));
    out.replaceChildren(...parts);
  };
  const form = el(
    "form",
    {
      class: "form",
      onsubmit: (/** @type {Event} */ ev) => {
        ev.preventDefault();
        void load().catch((e) => {
          if (!(e instanceof SignedOut)) showError(e);
        });
      },
    },
    field(t("usageLibrary"), lib),
    field(t("usageDays"), days),
    field(t("usageMember"), who),
    el("button", { type: "submit", id: "usage-load" }, t("usageLoad")),
    exportButton,
  );
  card.append(form, out);
  await load();
}

// ---- replies and their history ----

/** What the Replies tab shows, kept across redraws (language toggle, tab switches). */
const repliesState = { library: "", query: "", key: "" };

/**
 * Every live reply and folder of a library, with each reply's version on the server.
 * @param {string} libraryId
 * @returns {Promise<{replies: Map<string, {doc: SnippetDoc, version: number}>, folders: Map<string, string>}>}
 */
async function libraryItems(libraryId) {
  /** @type {Map<string, {doc: SnippetDoc, version: number}>} */
  const replies = new Map();
  /** @type {Map<string, string>} */
  const folders = new Map();
  let since = 0;
  for (let page = 0; page < 1000; page += 1) {
    /** @type {Changes} */
    const c = await api("GET", `/v1/libraries/${libraryId}/changes?since=${since}`);
    for (const item of c.items) {
      if (item.deleted || !item.doc) {
        replies.delete(item.key);
        folders.delete(item.key);
      } else if (item.kind === "snippet") {
        replies.set(item.key, { doc: /** @type {SnippetDoc} */ (item.doc), version: item.version });
      } else if (item.kind === "folder") {
        folders.set(item.key, String(item.doc.name ?? ""));
      }
    }
    if (!c.more || c.cursor <= since) break;
    since = c.cursor;
  }
  return { replies, folders };
}

/**
 * A reply's parts as text (images as a marker).
 * @param {SnippetDoc} doc
 */
function replyText(doc) {
  return (doc.parts ?? []).map((p) => (p.type === "text" ? p.body : t("historyImage"))).join("\n");
}

/** A fresh write id (`op`): retries of the same restore are answered, not applied twice. */
function newOp() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return `admin-${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * An old version made fit to write back now, as `core::sync::restore` does: a folder
 * that no longer exists is dropped, a shortcut code another reply took meanwhile too.
 * @param {SnippetDoc} old
 * @param {{replies: Map<string, {doc: SnippetDoc, version: number}>, folders: Map<string, string>}} items
 * @param {string} key
 * @returns {SnippetDoc}
 */
function restorable(old, items, key) {
  const doc = { ...old };
  if (doc.folder_id && !items.folders.has(doc.folder_id)) doc.folder_id = null;
  if (doc.code) {
    const code = doc.code;
    const taken = [...items.replies].some(([k, r]) => k !== key && r.doc.code === code);
    if (taken) doc.code = null;
  }
  return doc;
}

/** @param {HTMLElement} section */
async function showReplies(section) {
  /** @type {LibraryInfo[]} */
  const libs = await api("GET", "/v1/libraries");
  const team = libs.filter((l) => l.kind === "team" && l.writable);
  const card = el("div", { class: "card" }, el("h2", {}, t("repliesTitle")), el("p", { class: "muted small" }, t("repliesHint")));
  section.replaceChildren(card);
  if (team.length === 0) {
    card.append(el("p", {}, t("noTeamLibraries")));
    return;
  }
  if (!team.some((l) => l.id === repliesState.library)) {
    repliesState.library = team[0].id;
    repliesState.key = "";
  }
  const lib = select(
    "replies-library",
    team.map((l) => [l.id, l.name]),
    repliesState.library,
  );
  const search = el("input", {
    id: "replies-search",
    type: "search",
    value: repliesState.query,
    placeholder: t("repliesSearchPlaceholder"),
    autocomplete: "off",
    spellcheck: "false",
  });
  const form = el(
    "form",
    { class: "form", role: "search", onsubmit: (/** @type {Event} */ ev) => ev.preventDefault() },
    field(t("usageLibrary"), lib),
    el("label", { class: "field grow" }, el("span", {}, t("repliesSearch")), search),
  );
  const list = el("div", { id: "replies-list", class: "reply-list" });
  const hist = el("div", { id: "replies-history", class: "reply-history" });
  card.append(form, el("div", { class: "replies" }, list, hist));
  /** @type {{replies: Map<string, {doc: SnippetDoc, version: number}>, folders: Map<string, string>}} */
  let items = { replies: new Map(), folders: new Map() };
  /** @param {unknown} e */
  const shown = (e) => {
    if (!(e instanceof SignedOut)) showError(e);
  };

  const drawList = () => {
    repliesState.query = search.value;
    const q = search.value.trim().toLowerCase();
    const all = [...items.replies.entries()];
    if (all.length === 0) {
      list.replaceChildren(el("p", { id: "replies-none" }, t("repliesNone")));
      return;
    }
    const hits = all.filter(([, r]) => !q || r.doc.title.toLowerCase().includes(q) || (r.doc.code ?? "").startsWith(q));
    if (hits.length === 0) {
      list.replaceChildren(el("p", { id: "replies-none" }, t("repliesNoMatch", search.value.trim())));
      return;
    }
    /** @type {Map<string, [string, {doc: SnippetDoc, version: number}][]>} */
    const groups = new Map();
    for (const hit of hits) {
      const f = hit[1].doc.folder_id;
      const name = f ? items.folders.get(f) ?? t("usageNoFolder") : t("usageNoFolder");
      groups.set(name, [...(groups.get(name) ?? []), hit]);
    }
    const none = t("usageNoFolder");
    const names = [...groups.keys()].sort((a, b) => (a === none ? 1 : b === none ? -1 : a.localeCompare(b)));
    list.replaceChildren(
      el("p", { class: "muted small", id: "replies-count" }, t("repliesCount", hits.length)),
      ...names.map((name) =>
        el(
          "div",
          { class: "reply-group" },
          el("h3", {}, name),
          el(
            "ul",
            { class: "reply-items" },
            ...(groups.get(name) ?? [])
              .sort((a, b) => a[1].doc.position - b[1].doc.position || a[1].doc.title.localeCompare(b[1].doc.title))
              .map(([key, r]) =>
                el(
                  "li",
                  {},
                  el(
                    "button",
                    {
                      type: "button",
                      class: "reply-item",
                      "data-key": key,
                      "aria-pressed": key === repliesState.key ? "true" : "false",
                      onclick: () => {
                        void showHistory(key, true).catch(shown);
                      },
                    },
                    el("span", { class: "reply-title" }, r.doc.title),
                    r.doc.code ? el("span", { class: "badge" }, r.doc.code) : null,
                  ),
                ),
              ),
          ),
        ),
      ),
    );
  };

  /**
   * @param {string} key
   * @param {boolean} focus  move the focus to the history (after a click)
   */
  const showHistory = async (key, focus) => {
    repliesState.key = key;
    for (const b of list.querySelectorAll(".reply-item")) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-key") === key));
    }
    const r = items.replies.get(key);
    if (!r) {
      hist.replaceChildren(el("p", { class: "muted" }, t("repliesPick")));
      return;
    }
    const title = r.doc.title;
    hist.replaceChildren(el("p", { class: "muted" }, t("loading")));
    /** @type {ItemVersion[]} */
    const versions = await api("GET", `/v1/libraries/${lib.value}/items/${encodeURIComponent(key)}/history`);
    const current = versions[0]?.version ?? r.version;
    const heading = el("h3", { id: "history-title", tabindex: "-1" }, t("historyTitle", title));
    const ol = el("ol", { class: "versions", id: "replies-versions" });
    for (const v of versions) {
      const doc = v.doc && v.doc.kind === "snippet" && !v.deleted ? /** @type {SnippetDoc} */ (v.doc.doc) : null;
      const isCurrent = v.version === current;
      const li = el(
        "li",
        { class: "version", "data-version": v.version, "data-current": isCurrent },
        el(
          "div",
          { class: "version-head" },
          el("strong", {}, t("historyVersion", v.version)),
          isCurrent ? el("span", { class: "badge current" }, t("historyCurrent")) : null,
          v.deleted ? el("span", { class: "badge" }, t("historyDeleted")) : null,
        ),
        el("div", { class: "muted small" }, t("historyBy", v.user_name, v.device_name, formatTime(v.updated_at))),
      );
      if (doc) {
        if (doc.title !== title) li.append(el("div", { class: "version-title" }, doc.title));
        li.append(el("div", { class: "version-text" }, replyText(doc)));
        if (!isCurrent) {
          li.append(
            button(t("restore"), () => restore(key, title, v.version, doc, current), {
              class: "restore",
              "data-version": String(v.version),
              "aria-label": t("restoreLabel", v.version),
            }),
          );
        }
      }
      ol.append(li);
    }
    hist.replaceChildren(
      heading,
      versions.length ? ol : el("p", {}, t("historyNone")),
      button(t("historyBack"), () => list.querySelector(`.reply-item[data-key="${key}"]`)?.closest("li")?.querySelector("button")?.focus() ?? search.focus(), {
        class: "ghost back",
        id: "history-back",
      }),
    );
    if (focus) {
      heading.focus();
      heading.scrollIntoView({ block: "nearest" });
    }
  };

  /**
   * Writes an old version back as an ordinary edit of the current one.
   * @param {string} key
   * @param {string} title
   * @param {number} version
   * @param {SnippetDoc} old
   * @param {number} current
   */
  const restore = async (key, title, version, old, current) => {
    const doc = restorable(old, items, key);
    try {
      /** @type {Item} */
      const item = await api(
        "PUT",
        `/v1/libraries/${lib.value}/items/${encodeURIComponent(key)}`,
        { op: newOp(), kind: "snippet", doc },
        { "If-Match": `"${current}"` },
      );
      items.replies.set(key, { doc, version: item.version });
      drawList();
      await showHistory(key, true);
      setStatus(t("restored", doc.title, version, item.version), "ok");
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 412) throw e;
      // Someone wrote in between: show what is there now and let the lead decide again.
      await reload();
      await showHistory(key, true);
      setStatus(items.replies.has(key) ? t("restoreConflict", title) : t("restoreDeleted", title), "error");
    }
  };

  const reload = async () => {
    repliesState.library = lib.value;
    list.replaceChildren(el("p", { class: "muted" }, t("loading")));
    items = await libraryItems(lib.value);
    drawList();
  };

  lib.addEventListener("change", () => {
    repliesState.key = "";
    hist.replaceChildren(el("p", { class: "muted" }, t("repliesPick")));
    void reload().catch(shown);
  });
  search.addEventListener("input", drawList);
  await reload();
  if (repliesState.key && items.replies.has(repliesState.key)) {
    await showHistory(repliesState.key, false);
  } else {
    hist.replaceChildren(el("p", { class: "muted" }, t("repliesPick")));
  }
}

// ---- start ----

function start() {
  byId("lang").addEventListener("click", () => {
    lang = lang === "zh" ? "en" : "zh";
    localStorage.setItem(LANG_KEY, lang);
    // A message stays in the language it was written in: drop it.
    setStatus("");
    if (token) showApp();
    else route();
  });
  byId("signout").addEventListener("click", () => {
    signOut().catch(showError);
  });
  window.addEventListener("hashchange", () => {
    setStatus("");
    route();
  });
  route();
}

start();

// Typed wrappers over the app's Tauri commands and events (see src-tauri/src/commands.rs).
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { Family, MultiView, Started } from "./multiopen";
import type { SetupView, UnsetVar } from "./setup";

export interface Favourite {
  hotkey: string;
  snippet: string;
}

export interface Profile {
  name: string;
  matches: string[];
  libraries: string[];
  folders: string[];
  autoPaste: boolean | null;
  /** Only windows whose title contains one of these (empty: any title). */
  titles: string[];
  /** The server address of the joined team whose team libraries show in these windows
   * (other teams' are hidden); null: every team. */
  team: string | null;
  /** The shop platform the compliance check uses in this app; null: told from the window names. */
  platform?: Platform | null;
}

/** The platforms of the compliance check (quickreply_proto::compliance::Platform). */
export const PLATFORMS = ["taobao", "jd", "pdd", "douyin", "wechat", "other"] as const;
export type Platform = (typeof PLATFORMS)[number];

export interface Settings {
  hotkey: string;
  nextPartHotkey: string;
  /** In windows no profile recognises. */
  autoPaste: boolean;
  /** In recognised chat apps (a profile's own `autoPaste` wins). */
  autoPasteChatApps: boolean;
  pressEnter: boolean;
  restoreClipboard: boolean;
  mode: "popup" | "docked";
  dockSide: "right" | "left";
  language: "zh-CN" | "en";
  theme: "system" | "light" | "dark";
  startAtLogin: boolean;
  paused: boolean;
  favourites: Favourite[];
  profiles: Profile[];
  /** The panel's switch: search all replies, only personal ones, or only the team's. */
  scope: "all" | "personal" | "team";
  /** The platforms the shop sells on (first-run setup); null: not chosen, all shown. */
  platforms: string[] | null;
  /** The first-run setup was saved or put off (it no longer comes up by itself). */
  setupDone: boolean;
}

/** Something wrong with one field of settings being saved (core's `settings::Problem`):
 *  `field` is `hotkey`, `nextPartHotkey`, `favourite.<i>`, `language`, `profile.<i>.name`,
 *  `startAtLogin`, or `general` for what concerns no field. */
export interface Problem {
  field: string;
  message: string;
}

/** A save from the settings window: the settings as saved, and problems that did not
 *  stop it (start at login could not be changed). */
export interface Saved {
  settings: Settings;
  warnings: Problem[];
}

export interface PanelState {
  settings: Settings;
  queueTitle: string;
  queueIndex: number;
  queueTotal: number;
  targetTitle: string | null;
  targetId: number | null;
  profile: string | null;
  desktopNote: string | null;
  note: string | null;
  count: number;
  sync: SyncView | null;
  /** A part of the last reply still waiting for the next-part hotkey (src-tauri/src/note.rs). */
  queueNote: QueueNote | null;
}

/** What is queued: part `index` of `total` is on the clipboard, `next` comes on `hotkey`. */
export interface QueueNote {
  title: string;
  index: number;
  total: number;
  next: "text" | "image";
  hotkey: string;
}

/** The background sync's state (null when this computer has not joined a team). */
export interface SyncView {
  state: "ok" | "offline" | "conflict" | "refused" | "signedOut" | "error";
  detail: string;
  lastOk: number | null;
  /** Local changes not yet on the server. */
  pending: number;
  /** Local changes refused and kept here until fixed or discarded (`qreply refused`). */
  refused: number;
  /** With several teams joined, the team whose state this is (null when all are fine). */
  team: string | null;
  /** Items that could not be taken from a server (image missing or damaged there). */
  skipped: number;
  /** The first of their titles. */
  skippedTitles: string[];
}

export interface Hit {
  id: string;
  title: string;
  code: string | null;
  folder: string;
  library: string;
  team: boolean;
  preview: string;
  parts: ("text" | "image")[];
  favourite: string | null;
  /** The sha256 of the first image part, for the row's thumbnail. */
  thumb: string | null;
  /** Why it matched: `[start, end)` character ranges of `title` / `preview` (core `search::marks`). */
  titleMarks: [number, number][];
  previewMarks: [number, number][];
}

/** `marks`: the `[start, end)` character ranges the query found in the text (core `search::marks`). */
export type PartView = { kind: "text"; text: string; marks?: [number, number][] } | { kind: "image"; width: number; height: number; sha256: string };

export interface FireOutcome {
  title: string;
  index: number;
  total: number;
  pasted: boolean;
}

export type Part =
  | { type: "text"; body: string }
  | { type: "image"; sha256: string; mime: string; width: number; height: number };

export interface ReplyDoc {
  id: string | null;
  library: string;
  folder: string;
  title: string;
  code: string | null;
  tags: string[];
  parts: Part[];
}

/** A library's variables for the editor (src-tauri/src/editor.rs `VarsView`). */
export interface VarsView {
  library: string;
  team: boolean;
  /** False for an agent's copy of a team library. */
  writable: boolean;
  /** `mine`: in a team library, the personal value of the same name (used when overridable). */
  /** `example`: the variable has no value yet (`value` is empty), only this hint. */
  vars: { name: string; value: string; overridable: boolean; mine: string | null; example: string | null }[];
}

/** One version of a reply kept by the sync server (src-tauri/src/history.rs). */
export interface VersionView {
  version: number;
  deleted: boolean;
  title: string;
  text: string;
  images: number;
  userName: string;
  deviceName: string;
  updatedAt: number;
}

export interface HistoryView {
  title: string;
  /** False for an agent: versions are shown, not restored. */
  writable: boolean;
  versions: VersionView[];
}

/** One suggestion (src-tauri/src/suggestions.rs `SuggestionView`). */
export interface SuggestionView {
  id: string;
  short: string;
  library: string;
  title: string;
  state: "queued" | "refused" | "pending" | "accepted" | "declined" | "withdrawn";
  new: boolean;
  mine: boolean;
  author: string;
  note: string;
  comment: string | null;
  decidedBy: string | null;
  error: string | null;
  proposed: string;
  current: string | null;
  currentTitle: string | null;
  changed: boolean;
  createdAt: number;
}

export interface SuggestionsView {
  /** A lead (owner or editor): the inbox. */
  lead: boolean;
  /** Team libraries this computer may not write: 建议修改 / 建议新增 there. */
  suggestIn: string[];
  /** Pending suggestions a lead can decide. */
  toDecide: number;
  items: SuggestionView[];
}

/** A conflict copy sync made, with the current version of its reply (src-tauri/src/conflicts.rs). */
export interface ConflictView {
  copy: ReplyDoc;
  /** null when the reply it copies is gone. */
  current: ReplyDoc | null;
  team: boolean;
  /** False for an agent's read-only team library. */
  writable: boolean;
}

/** Why a reply was not saved (src-tauri/src/editor.rs `FieldProblem`): the field to mark
 *  (`title`, `code`, `folder`, `tags`, `part.N` or `general`), the message beside it, and
 *  for a shortcut code already used the reply that holds it. */
export interface FieldProblem {
  field: string;
  message: string;
  holder: { id: string; title: string } | null;
}

/** One row of the variables table saved by `saveVars` (`row`: its index in the table). */
export interface VarRow {
  row: number;
  old: string | null;
  name: string;
  value: string;
  overridable: boolean;
}

/** A row `saveVars` refused (`row` null: no row in particular). */
export interface RowProblem {
  row: number | null;
  message: string;
}

export interface Tree {
  libraries: { name: string; team: boolean }[];
  folders: string[];
  replies: { id: string; title: string; code: string | null; folder: string; parts: number; dates?: DatedView }[];
}

/** Where a reply outside "always" stands, its window as typed (src-tauri/src/dates.rs). */
export interface DatedView {
  status: "active" | "upcoming" | "expired";
  start: string | null;
  end: string | null;
}

/** A reply's 生效 / 失效 in the editor: its own, its folder's, and the window that counts. */
export interface ReplyDates {
  start: string;
  end: string;
  folder: string;
  folderStart: string;
  folderEnd: string;
  effective: DatedView | null;
}

/** A word the compliance check flagged (src-tauri/src/compliance.rs). */
export interface ComplianceHit {
  word: string;
  rule: string;
  /** The rule's name and reason, in the user's language. */
  name: string;
  reason: string;
  /** The team blocks this rule: the reply cannot be sent. */
  blocked: boolean;
  /** UTF-16 range in the text checked. */
  start: number;
  end: number;
}

/** A library's compliance settings, the team's `@合规` (src-tauri/src/compliance.rs). */
export interface PolicyView {
  words: string[];
  allow: string[];
  /** Rule ids the team blocks. */
  block: string[];
  /** Every rule that can be blocked, named in the user's language. */
  rules: { id: string; name: string; reason: string }[];
  writable: boolean;
  /** The stored settings cannot be read (they block nothing until saved again). */
  problem: string | null;
}

/** What the panel shows before a fire (src-tauri/src/compliance.rs). */
export interface FireCheck {
  platform: string | null;
  hits: ComplianceHit[];
  /** The clipboard text a mid-sentence {剪贴板} inserts. */
  clipboard: string | null;
}

/** One line of an import plan (src-tauri/src/transfer.rs), as `qreply import --preview` prints it. */
export interface PreviewItem {
  /** "skipped": the library would refuse it (the note says why); it is not imported. */
  status: "new" | "changed" | "unchanged" | "conflicting" | "skipped";
  folder: string;
  title: string;
  origin: string;
  note: string | null;
}

/** A reader's remark on a row: not imported ("skipped") or imported with a remark ("note"). */
export interface Remark {
  kind: "skipped" | "note";
  origin: string;
  reason: string;
}

export interface Preview {
  name: string;
  new: number;
  changed: number;
  unchanged: number;
  conflicting: number;
  /** Rows and replies not imported. */
  skipped: number;
  /** Rows imported with a remark. */
  notes: number;
  remarks: Remark[];
  /** Every skipped line, then the others up to a limit. */
  items: PreviewItem[];
  /** Plan lines not sent. */
  more: number;
}

export interface Imported {
  added: number;
  updated: number;
  unchanged: number;
  kept: number;
  variablesAdded: number;
  skipped: number;
}

export type Policy = "skip" | "overwrite" | "keep-both";

export type Role = "owner" | "editor" | "agent";

/** This computer's membership of a sync server (src-tauri/src/team.rs). */
export interface AccountView {
  /** This computer's number for the account; the first joined comes first. */
  id: number;
  server: string;
  team: string;
  userName: string;
  role: Role;
  deviceName: string;
  lastSync: number | null;
}

export type SigninState = "waiting" | "joined" | "denied" | "expired" | "cancelled" | "error";

/** A sign-in by approval of this computer (pushed as `team-signin` events). */
export interface SigninView {
  server: string;
  code: string;
  qrSvg: string;
  approveUrl: string;
  expiresAt: number;
  state: SigninState;
  message: string;
  /** Scanning to sign in: the provider (`wecom`, `feishu`, …) whose page the QR code
   * holds; empty for a sign-in by approval. */
  provider: string;
}

/** A member's accounts for scanning to sign in, and what the server offers. */
export interface IdentitiesView {
  offered: ProviderView[];
  linked: { id: string; name: string; displayName: string; linkedAt: number }[];
}

/** Linking an account by scanning (pushed as `team-link` events). */
export interface LinkView {
  provider: string;
  url: string;
  qrSvg: string;
  expiresAt: number;
  state: "waiting" | "linked" | "expired" | "error";
  message: string;
}

/** A provider the server signs in with by scanning (its name in the UI's language). */
export interface ProviderView {
  id: string;
  name: string;
}

export interface TeamView {
  /** Every team joined, the first joined (the personal library's) first. */
  accounts: AccountView[];
  signin: SigninView | null;
  hostName: string;
}

/** Another computer asking to be let in, for the approver. */
export interface RequestView {
  code: string;
  deviceName: string;
  userName: string | null;
  appVersion: string;
  web: boolean;
  ip: string;
  createdAt: number;
  expiresAt: number;
}

export type Decision = "device" | "agent" | "editor" | "deny";

export const api = {
  panelState: () => invoke<PanelState>("panel_state"),
  search: (query: string) => invoke<Hit[]>("search", { query }),
  prompts: (id: string) => invoke<string[]>("prompts", { id }),
  /** `query`: the panel's search, whose matches the preview marks. */
  preview: (id: string, answers: Record<string, string>, query = "") =>
    invoke<PartView[]>("preview", { id, answers, query }),
  fire: (id: string, answers: Record<string, string>) => invoke<FireOutcome>("fire", { id, answers }),
  /** What a fire must show first: flagged words for the chat app's platform, the clipboard a mid-sentence {剪贴板} inserts. */
  fireCheck: (id: string, answers: Record<string, string>) => invoke<FireCheck>("fire_check", { id, answers }),
  /** The compliance check of a draft's text (the editor, as one types), for the saved reply's apps and its library's list. */
  complianceCheck: (text: string, id: string | null, library: string) => invoke<ComplianceHit[]>("compliance_check", { text, id, library }),
  /** A library's compliance settings (the editor's 合规设置). */
  compliancePolicy: (library: string) => invoke<PolicyView>("compliance_policy", { library }),
  saveCompliancePolicy: (library: string, words: string[], allow: string[], block: string[]) =>
    invoke<PolicyView>("save_compliance_policy", { library, words, allow, block }),
  nextPart: () => invoke<FireOutcome | null>("next_part"),
  hide: () => invoke<void>("hide_panel"),
  saveSettings: (settings: Settings) => invoke<Settings>("save_settings", { settings }),
  setScope: (scope: Settings["scope"]) => invoke<Settings>("set_scope", { scope }),
  /** Open the editor, on the reply `select` (the panel's selection) when given. */
  openEditor: (select: string | null = null) => invoke<void>("open_editor", { select }),
  /** Open the settings window, or bring it forward. */
  openSettings: () => invoke<void>("open_settings"),
  /** The key recorder has the focus: the app's hotkeys are let go meanwhile. */
  recordingHotkey: (on: boolean) => invoke<void>("recording_hotkey", { on }),
  closeSettings: () => invoke<void>("close_settings"),
  /** Save from the settings window; refused with every field's problem (`Problem[]`). */
  saveSettingsForm: (settings: Settings) => invoke<Saved>("save_settings_form", { settings }),
  /** The editor on a new reply titled `title` (新建此话术). */
  newReplyTitled: (title: string) => invoke<void>("new_reply_titled", { title }),
  /** The title of the new reply the panel asked the editor for, once (null: none). */
  takeNewReply: () => invoke<string | null>("take_new_reply"),
  /** The panel holds the agent's input (prompts, settings): a click elsewhere leaves it up. */
  holdPanel: (hold: boolean) => invoke<void>("hold_panel", { hold }),
  queueNote: () => invoke<QueueNote | null>("queue_note"),
  tree: (library: string) => invoke<Tree>("editor_tree", { library }),
  /** The replies of `library` the search finds (ids, best first); refused as a string. */
  editorSearch: (library: string, query: string) => invoke<string[]>("editor_search", { library, query }),
  getReply: (id: string) => invoke<ReplyDoc>("get_reply", { id }),
  replyDates: (id: string) => invoke<ReplyDates>("reply_dates", { id }),
  /** Dates as typed (Beijing time; empty clears); refused with a sentence. */
  setReplyDates: (id: string, start: string, end: string) => invoke<ReplyDates>("set_reply_dates", { id, start, end }),
  /** The dates of the reply's folder (everything inside it). */
  setFolderDates: (id: string, start: string, end: string) => invoke<ReplyDates>("set_folder_dates", { id, start, end }),
  /** Refused with a `FieldProblem`. */
  saveReply: (doc: ReplyDoc) => invoke<ReplyDoc>("save_reply", { doc }),
  deleteReply: (id: string) => invoke<void>("delete_reply", { id }),
  reorder: (library: string, folder: string, ids: string[]) => invoke<void>("reorder", { library, folder, ids }),
  conflictList: () => invoke<ConflictView[]>("conflict_list"),
  conflictKeepCurrent: (copy: string) => invoke<void>("conflict_keep_current", { copy }),
  conflictTakeMine: (copy: string) => invoke<ReplyDoc>("conflict_take_mine", { copy }),
  replyHistory: (id: string) => invoke<HistoryView>("reply_history", { id }),
  restoreVersion: (id: string, version: number) => invoke<ReplyDoc>("restore_version", { id, version }),
  suggestionList: () => invoke<SuggestionsView>("suggestion_list"),
  /** 建议修改 (`id`) or 建议新增 (no `id`); answers the short id. */
  suggestReply: (library: string, id: string | null, title: string, text: string, note: string) =>
    invoke<string>("suggest_reply", { library, id, title, text, note }),
  suggestionAccept: (id: string, title: string | null, text: string | null, comment: string | null) =>
    invoke<SuggestionView>("suggestion_accept", { id, title, text, comment }),
  suggestionDecline: (id: string, comment: string) => invoke<SuggestionView>("suggestion_decline", { id, comment }),
  suggestionWithdraw: (id: string) => invoke<void>("suggestion_withdraw", { id }),
  libraryVars: (library: string) => invoke<VarsView>("library_vars", { library }),
  /** Save every changed row in one transaction; refused with `RowProblem[]`. */
  saveVars: (library: string, rows: VarRow[]) => invoke<VarsView>("save_vars", { library, rows }),
  deleteVar: (library: string, name: string) => invoke<VarsView>("delete_var", { library, name }),
  copyToPersonal: (id: string) => invoke<ReplyDoc>("copy_to_personal", { id }),
  addImage: (bytes: number[], name: string) => invoke<Part>("add_image", { bytes, name }),
  /** The clipboard's image as a stored image part; null when it holds none. */
  pasteImage: () => invoke<Part | null>("paste_image"),
  /** An image file dropped onto the editor, stored as an image part. */
  addImageFile: (path: string) => invoke<Part>("add_image_file", { path }),
  imageBytes: (sha256: string) => invoke<ArrayBuffer>("image_bytes", { sha256 }),
  renderDraft: (library: string, parts: Part[]) => invoke<PartView[]>("render_draft", { library, parts }),
  /** Variables these parts use that a reply of `library` cannot fill in. */
  unknownVars: (library: string, parts: Part[]) => invoke<string[]>("unknown_vars", { library, parts }),
  packPreview: (path: string, library: string, onConflict: Policy) =>
    invoke<Preview>("pack_preview", { path, library, onConflict, format: null }),
  packImport: (path: string, library: string, onConflict: Policy) =>
    invoke<Imported>("pack_import", { path, library, onConflict, format: null }),
  packExport: (path: string, library: string) => invoke<string | null>("pack_export", { path, library, format: null }),
  teamState: () => invoke<TeamView>("team_state"),
  multiOpenState: () => invoke<MultiView>("multi_open_state"),
  multiOpenStart: (family: Family, confirmed: boolean) => invoke<Started>("multi_open_start", { family, confirmed }),
  multiOpenChoose: (family: Family, path: string | null) => invoke<MultiView>("multi_open_choose", { family, path }),
  teamJoin: (server: string, code: string, deviceName: string, userName: string) =>
    invoke<AccountView>("team_join", { server, code, deviceName, userName }),
  teamSigninStart: (server: string, deviceName: string, userName: string) =>
    invoke<SigninView>("team_signin_start", { server, deviceName, userName }),
  teamSigninCancel: () => invoke<void>("team_signin_cancel"),
  teamScanProviders: (server: string) => invoke<ProviderView[]>("team_scan_providers", { server }),
  teamScanStart: (server: string, provider: string, deviceName: string, userName: string) =>
    invoke<SigninView>("team_scan_start", { server, provider, deviceName, userName }),
  teamIdentities: (account: number | null) => invoke<IdentitiesView>("team_identities", { account }),
  teamUnlink: (account: number | null, provider: string) => invoke<void>("team_unlink", { account, provider }),
  teamLinkStart: (account: number | null, provider: string) => invoke<LinkView>("team_link_start", { account, provider }),
  teamLinkCancel: () => invoke<void>("team_link_cancel"),
  teamLookup: (code: string, account: number | null) => invoke<RequestView>("team_lookup", { code, account }),
  teamDecide: (code: string, decision: Decision, account: number | null) =>
    invoke<void>("team_decide", { code, decision, account }),
  teamLeave: (account: number | null) => invoke<void>("team_leave", { account }),
  setupState: () => invoke<SetupView>("setup_state"),
  saveSetup: (values: Record<string, string>, platforms: string[] | null) => invoke<SetupView>("save_setup", { values, platforms }),
  setupLater: () => invoke<void>("setup_later"),
  /** Show the panel with the setup screen (from Settings, in whatever window). */
  openSetup: () => invoke<void>("open_setup"),
  /** The variables a reply uses that have no value yet (asked before it fires). */
  replyUnset: (id: string) => invoke<UnsetVar[]>("reply_unset", { id }),
  /** Keep answers as the variables' values (personal library). */
  rememberVars: (values: Record<string, string>) => invoke<void>("remember_vars", { values }),
};

export function on<T>(event: string, f: (payload: T) => void): Promise<UnlistenFn> {
  return listen<T>(event, (e) => f(e.payload));
}

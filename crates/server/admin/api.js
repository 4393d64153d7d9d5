// @ts-check
/**
 * The `/v1` API as the admin page calls it: the shapes of its answers, `api()` (the
 * page's device token, errors carrying the server's message), and the signed-in
 * session (token and who we are, kept in `localStorage`).
 */

import { t } from "./i18n.js";

/** @typedef {"owner" | "editor" | "agent"} Role */
/** @typedef {{user_id: string, user_name: string, device_id: string, device_name: string, team_id: string, team_name: string, role: Role, personal_library: string}} Me */
/** @typedef {{key: string, version: number, title: string, reason: string}} SkippedItem */
/** @typedef {{library_id: string, cursor: number, skipped?: SkippedItem[], skipped_total?: number}} Cursor */
/** @typedef {{id: string, name: string, user_id: string, user_name: string, role: Role, created_at: number, last_seen: number | null, revoked: boolean, app_version: string, cursors: Cursor[]}} DeviceInfo */
/** @typedef {{id: string, name: string, kind: "personal" | "team", head: number, writable: boolean}} LibraryInfo */
/** @typedef {{id: string, code: string, secret: string, expires_at: number}} SigninStarted */
/** @typedef {{state: "pending" | "approved" | "denied" | "expired", join?: {token: string, me: Me}}} SigninPoll */
/** @typedef {{code: string, device_name: string, user_name?: string, app_version: string, web: boolean, ip: string, created_at: number, expires_at: number}} SigninInfo */
/** @typedef {{code: string, role: Role, uses: number, expires_at: number, pairing: boolean}} InviteResponse */
/** @typedef {{provider: string, name_zh: string, name_en: string}} ScanProviderInfo */
/** @typedef {{provider: string, display_name: string, linked_at: number}} IdentityInfo */
/** @typedef {{id: string, provider: string, url: string, secret: string, expires_at: number}} ScanStarted */
/** @typedef {{state: "waiting" | "signed_in" | "linked" | "approval" | "failed" | "expired", join?: {token: string, me: Me}, signin?: SigninStarted, display_name?: string, error?: {code: string, zh: string, en: string}}} ScanPoll */
/** @typedef {{provider: string, configured: boolean, from_config: boolean, app_id: string, agent_id?: string, auto_join: boolean, tenant?: string, has_secret: boolean, callback_url: string, updated_at?: number}} ScanSetting */
/** @typedef {{id: string, pairing: boolean, role: Role, uses_left: number, expires_at: number | null, created_at: number, created_by_user: string | null, created_by_name: string | null, created_by_device: string | null}} CodeInfo */
/** @typedef {{key: string, count: number, devices: number}} UsageTotal */
/** @typedef {{query: string, count: number, devices: number}} MissedTotal */
/** @typedef {{key: string, version: number, seq: number, deleted?: boolean, kind?: string, doc?: any, updated_at: number}} Item */
/** @typedef {{items: Item[], cursor: number, more: boolean}} Changes */
/** @typedef {{type: "text", body: string} | {type: "image", sha256: string, mime: string, width: number, height: number}} Part */
/** @typedef {{id: string, folder_id: string | null, title: string, code: string | null, tags: string[], parts: Part[], apps: string[], position: number, starts_at?: string, ends_at?: string}} SnippetDoc */
/** @typedef {{version: number, deleted?: boolean, doc?: {kind: string, doc: any}, updated_at: number, user_id: string, user_name: string, device_name: string, suggested_by?: string, suggested_by_name?: string}} ItemVersion */
/** @typedef {{id: string, library_id: string, key: string, base_version: number, doc: SnippetDoc, note: string, author_user: string, author_name: string, author_device: string, created_at: number, status: "pending" | "accepted" | "declined" | "withdrawn", comment?: string, decided_by?: string, decided_by_name?: string, decided_at?: number, result_version?: number, base?: SnippetDoc, current?: SnippetDoc, current_version?: number}} Suggestion */

const TOKEN_KEY = "quickreply-admin-token";
const ME_KEY = "quickreply-admin-me";

/** Thrown after a 401: the page went back to sign-in. */
export class SignedOut extends Error {}

export class ApiError extends Error {
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
export let token = localStorage.getItem(TOKEN_KEY);
/** @type {Me | null} */
export let me = readMe();

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
export async function api(method, path, body, extra = {}) {
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
    sessionEnded();
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

export function forget() {
  token = null;
  me = null;
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(ME_KEY);
}

/**
 * Keeps a new session: the page's device token and who it belongs to.
 * @param {string} newToken
 * @param {Me} newMe
 */
export function remember(newToken, newMe) {
  token = newToken;
  me = newMe;
  localStorage.setItem(TOKEN_KEY, token);
  localStorage.setItem(ME_KEY, JSON.stringify(me));
}

/**
 * Keeps a fresh answer of `GET /v1/me` (role changes).
 * @param {Me} fresh
 */
export function rememberMe(fresh) {
  me = fresh;
  localStorage.setItem(ME_KEY, JSON.stringify(me));
}

/** What a 401 shows once the token is forgotten: admin.js makes it the sign-in screen. */
let sessionEnded = () => {};

/**
 * Sets what a 401 shows (api.js draws nothing itself, so it imports no screen).
 * @param {() => void} show
 */
export function whenSessionEnds(show) {
  sessionEnded = show;
}

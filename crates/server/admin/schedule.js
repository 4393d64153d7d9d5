// @ts-check
/**
 * The "Campaign dates" tab (活动日期): a team library's replies with 生效 / 失效 dates
 * (their own, or a folder's above them): 即将生效 (upcoming), 生效中 with an end, and
 * 已过期 (expired), with the dates in the team's time zone, Beijing time.
 *
 * Computed here from the documents the change feed already gives (no endpoint of its
 * own): the same rules as `quickreply_proto::schedule` — a start is the first instant a
 * reply shows, an end the first instant it no longer does, a folder's window narrows the
 * replies inside it, and an end at midnight is shown as the last day shown (the day
 * before), as the lead typed it.
 */

import { el, select } from "./dom.js";
import { api } from "./api.js";
import { t } from "./i18n.js";

/** @import { Changes, LibraryInfo } from "./api.js" */

/** Beijing time (UTC+08:00): how dates are typed and shown. */
const TEAM_OFFSET_MS = 8 * 3600 * 1000;
const DAY_MS = 86400 * 1000;

/**
 * An RFC 3339 instant with its offset as Unix ms; null when absent or unreadable (such
 * a date is refused by the server; an older writer's is left open, as clients do).
 * @param {unknown} s
 * @returns {number | null}
 */
export function instant(s) {
  if (typeof s !== "string" || !/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})$/.test(s)) return null;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * An instant as a date (and time unless midnight) in Beijing time.
 * @param {number} ms
 */
export function shownAt(ms) {
  const iso = new Date(ms + TEAM_OFFSET_MS).toISOString();
  const [date, time] = [iso.slice(0, 10), iso.slice(11, 19)];
  if (time === "00:00:00") return date;
  return time.endsWith(":00") ? `${date} ${time.slice(0, 5)}` : `${date} ${time}`;
}

/**
 * An end as a lead reads it: at midnight, the day before (the last day shown).
 * @param {number} ms
 */
export function shownEnd(ms) {
  return (ms + TEAM_OFFSET_MS) % DAY_MS === 0 ? shownAt(ms - DAY_MS) : shownAt(ms);
}

/** @typedef {{start: number | null, end: number | null}} Window */

/**
 * What is inside both: the later start, the earlier end.
 * @param {Window} a
 * @param {Window} b
 * @returns {Window}
 */
export function intersect(a, b) {
  const pick = (/** @type {number | null} */ x, /** @type {number | null} */ y, /** @type {boolean} */ later) =>
    x === null ? y : y === null ? x : later ? Math.max(x, y) : Math.min(x, y);
  return { start: pick(a.start, b.start, true), end: pick(a.end, b.end, false) };
}

/**
 * @param {Window} w
 * @param {number} now
 * @returns {"active" | "upcoming" | "expired"}
 */
export function statusAt(w, now) {
  if (w.end !== null && now >= w.end) return "expired";
  if ((w.start !== null && now < w.start) || (w.start !== null && w.end !== null && w.end <= w.start)) return "upcoming";
  return "active";
}

/** @typedef {{key: string, title: string, code: string | null, folder: string, window: Window, byFolder: boolean}} Dated */

/**
 * Every live reply and folder document of a library, from its change feed.
 * @param {string} libraryId
 */
async function libraryDocs(libraryId) {
  /** @type {Map<string, any>} */
  const replies = new Map();
  /** @type {Map<string, any>} */
  const folders = new Map();
  let since = 0;
  for (let page = 0; page < 1000; page += 1) {
    /** @type {Changes} */
    const c = await api("GET", `/v1/libraries/${libraryId}/changes?since=${since}`);
    for (const item of c.items) {
      replies.delete(item.key);
      folders.delete(item.key);
      if (item.deleted || !item.doc) continue;
      if (item.kind === "snippet") replies.set(item.key, item.doc);
      else if (item.kind === "folder") folders.set(item.key, item.doc);
    }
    if (!c.more || c.cursor <= since) break;
    since = c.cursor;
  }
  return { replies, folders };
}

/**
 * The replies of a library whose window is not always open, with that window and
 * their folder's path.
 * @param {Map<string, any>} replies
 * @param {Map<string, any>} folders
 * @returns {Dated[]}
 */
export function datedReplies(replies, folders) {
  /** @type {(doc: any) => Window} */
  const own = (doc) => ({ start: instant(doc.starts_at), end: instant(doc.ends_at) });
  /** @type {Map<string, {path: string, window: Window}>} */
  const memo = new Map();
  /** @type {(id: string, depth: number) => {path: string, window: Window}} */
  const folder = (id, depth) => {
    const known = memo.get(id);
    if (known) return known;
    const f = folders.get(id);
    if (!f || depth > 64) return { path: "", window: { start: null, end: null } };
    const above = f.parent_id ? folder(f.parent_id, depth + 1) : { path: "", window: { start: null, end: null } };
    const name = String(f.name ?? "");
    const got = { path: above.path ? `${above.path}/${name}` : name, window: intersect(own(f), above.window) };
    memo.set(id, got);
    return got;
  };
  /** @type {Dated[]} */
  const out = [];
  for (const [key, doc] of replies) {
    const mine = own(doc);
    const f = doc.folder_id ? folder(doc.folder_id, 0) : { path: "", window: { start: null, end: null } };
    const w = intersect(mine, f.window);
    if (w.start === null && w.end === null) continue;
    out.push({
      key,
      title: String(doc.title ?? ""),
      code: doc.code ?? null,
      folder: f.path,
      window: w,
      byFolder: w.start !== mine.start || w.end !== mine.end,
    });
  }
  return out;
}

/**
 * One table of dated replies.
 * @param {string} id
 * @param {string} heading
 * @param {string} none
 * @param {Dated[]} rows
 */
function table(id, heading, none, rows) {
  const box = el("div", { class: "schedule-group", id }, el("h3", {}, t("scheduleHeading", heading, rows.length)));
  if (rows.length === 0) {
    box.append(el("p", { class: "muted", id: `${id}-none` }, none));
    return box;
  }
  box.append(
    el(
      "div",
      { class: "table-wrap" },
      el(
        "table",
        {},
        el(
          "thead",
          {},
          el("tr", {}, el("th", {}, t("colTitle")), el("th", {}, t("colFolder")), el("th", {}, t("scheduleStart")), el("th", {}, t("scheduleEnd"))),
        ),
        el(
          "tbody",
          {},
          ...rows.map((r) =>
            el(
              "tr",
              { "data-key": r.key },
              el("td", {}, r.title, r.code ? el("code", {}, ` ${r.code}`) : null),
              el("td", {}, r.folder || t("usageNoFolder"), r.byFolder ? el("span", { class: "muted small" }, ` ${t("scheduleByFolder")}`) : null),
              el("td", { class: "when" }, r.window.start === null ? "…" : shownAt(r.window.start)),
              el("td", { class: "when" }, r.window.end === null ? "…" : shownEnd(r.window.end)),
            ),
          ),
        ),
      ),
    ),
  );
  return box;
}

/** @param {HTMLElement} section */
export async function showSchedule(section) {
  /** @type {LibraryInfo[]} */
  const libs = await api("GET", "/v1/libraries");
  const team = libs.filter((l) => l.kind === "team" && l.writable);
  const card = el("div", { class: "card" }, el("h2", {}, t("scheduleTitle")), el("p", { class: "muted small" }, t("scheduleHint")));
  section.replaceChildren(card);
  if (team.length === 0) {
    card.append(el("p", {}, t("usageNoLibrary")));
    return;
  }
  const lib = select(
    "schedule-library",
    team.map((l) => [l.id, l.name]),
  );
  const out = el("div", { id: "schedule-result" });
  const load = async () => {
    out.replaceChildren(el("p", { class: "muted" }, t("loading")));
    const { replies, folders } = await libraryDocs(lib.value);
    const now = Date.now();
    const dated = datedReplies(replies, folders);
    const of = (/** @type {string} */ s) => dated.filter((d) => statusAt(d.window, now) === s);
    const upcoming = of("upcoming").sort((a, b) => (a.window.start ?? 0) - (b.window.start ?? 0));
    const active = of("active").sort((a, b) => (a.window.end ?? Infinity) - (b.window.end ?? Infinity));
    const expired = of("expired").sort((a, b) => (b.window.end ?? 0) - (a.window.end ?? 0));
    out.replaceChildren(
      table("schedule-upcoming", t("scheduleUpcoming"), t("scheduleNoneUpcoming"), upcoming),
      table("schedule-active", t("scheduleActive"), t("scheduleNoneActive"), active),
      table("schedule-expired", t("scheduleExpired"), t("scheduleNoneExpired"), expired),
    );
  };
  lib.addEventListener("change", () => {
    load().catch((e) => out.replaceChildren(el("p", { class: "error", role: "alert" }, String(e?.message ?? e))));
  });
  card.append(el("label", { class: "field" }, el("span", {}, t("scheduleLibrary")), lib), out);
  await load();
}

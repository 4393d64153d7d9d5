// @ts-check
/**
 * Stale replies (part of the "Usage" tab): the replies of the chosen library no one
 * fired in the last 30, 60 or 90 days and older than that (`GET …/stale?days=N`), with a
 * one-click move of the chosen ones into the library's 归档 folder (`POST …/archive`:
 * one transaction, all or nothing, every move an ordinary edit agents receive).
 */

import { button, el, setStatus } from "./dom.js";
import { api } from "./api.js";
import { lang, t } from "./i18n.js";

/** @typedef {{key: string, version: number, title: string, code?: string, folder_id?: string, folder?: string, created_at: number, last_fired?: string}} StaleReply */
/** @typedef {{days: number, since_day: string, created_before: number, usage_since?: string, archive_folder?: string, total: number, replies: StaleReply[]}} StaleReplies */
/** @typedef {{folder_id: string, folder_created: boolean, moved: string[], already: string[], head: number}} ArchiveResult */

/** The period chosen, kept across redraws of the tab. */
const staleState = { days: "90" };

/** @param {number} ms */
function day(ms) {
  return new Date(ms).toLocaleDateString(lang === "zh" ? "zh-CN" : "en-GB", { timeZone: "Asia/Shanghai" });
}

/**
 * The stale replies of a library, with the archive action.
 * @param {string} libraryId
 * @returns {HTMLElement}
 */
export function staleSection(libraryId) {
  const days = el("select", { id: "stale-days", "aria-label": t("staleDays") });
  for (const n of ["30", "60", "90"]) {
    days.append(el("option", { value: n, selected: n === staleState.days }, t("staleDaysN", n)));
  }
  const body = el("div", { id: "stale-body" });
  const box = el(
    "div",
    { id: "stale-section", class: "missed" },
    el("div", { class: "member-head" }, el("h3", {}, t("staleTitle")), el("label", { class: "field" }, el("span", {}, t("staleDays")), days)),
    el("p", { class: "muted small", id: "stale-help" }, t("staleHelp")),
    body,
  );
  const load = async () => {
    body.replaceChildren(el("p", { class: "muted" }, t("loading")));
    /** @type {StaleReplies} */
    const s = await api("GET", `/v1/libraries/${libraryId}/stale?days=${days.value}&limit=200`);
    draw(s);
  };
  /** @param {StaleReplies} s */
  const draw = (s) => {
    const parts = [el("p", { class: "summary", id: "stale-summary" }, t("staleSummary", s.total, s.days))];
    if (!s.usage_since || s.usage_since > s.since_day) {
      parts.push(el("p", { class: "muted small", id: "stale-usage-since" }, s.usage_since ? t("staleUsageSince", s.usage_since) : t("staleNoUsage")));
    }
    if (s.replies.length === 0) {
      body.replaceChildren(...parts);
      return;
    }
    if (s.total > s.replies.length) parts.push(el("p", { class: "muted small" }, t("staleFirst", s.replies.length)));
    /** @type {HTMLInputElement[]} */
    const boxes = [];
    const rows = s.replies.map((r) => {
      const check = el("input", { type: "checkbox", value: r.key, "aria-label": t("staleChoose", r.title) });
      boxes.push(check);
      return el(
        "tr",
        { "data-key": r.key },
        el("td", {}, check),
        el("td", {}, r.title),
        el("td", {}, r.folder ?? t("usageNoFolder")),
        el("td", {}, r.last_fired ?? t("staleNever")),
        el("td", {}, day(r.created_at)),
      );
    });
    const table = el(
      "table",
      { id: "stale-list" },
      el(
        "thead",
        {},
        el("tr", {}, el("th", {}, t("staleColChoose")), el("th", {}, t("colTitle")), el("th", {}, t("colFolder")), el("th", {}, t("staleColLast")), el("th", {}, t("staleColCreated"))),
      ),
      el("tbody", {}, ...rows),
    );
    const all = button(
      t("staleAll"),
      () => {
        const every = boxes.every((b) => b.checked);
        for (const b of boxes) b.checked = !every;
      },
      { class: "ghost", id: "stale-select-all" },
    );
    const archive = button(
      t("staleArchive"),
      async () => {
        const keys = boxes.filter((b) => b.checked).map((b) => b.value);
        if (keys.length === 0) {
          setStatus(t("staleNoneChosen"), "error");
          return;
        }
        /** @type {ArchiveResult} */
        const done = await api("POST", `/v1/libraries/${libraryId}/archive`, { keys });
        await load();
        setStatus(t("staleArchived", done.moved.length), "ok");
        document.getElementById("stale-days")?.focus();
      },
      { id: "stale-archive" },
    );
    parts.push(el("div", { class: "table-wrap" }, table), el("div", { class: "actions" }, all, archive));
    body.replaceChildren(...parts);
  };
  days.addEventListener("change", () => {
    staleState.days = days.value;
    void load().catch((e) => setStatus(e instanceof Error ? e.message : String(e), "error"));
  });
  void load().catch((e) => body.replaceChildren(el("p", { class: "error", id: "stale-error" }, e instanceof Error ? e.message : String(e))));
  return box;
}

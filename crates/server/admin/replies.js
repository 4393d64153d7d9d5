// @ts-check
/**
 * The "Replies" tab: a team library's replies by folder, searchable by title, and each
 * reply's history with one-click restore (an ordinary `If-Match` write of the old
 * version); `libraryItems()` reads a whole library for the "Usage" tab too.
 */

import { button, el, field, formatTime, select, setStatus, showError } from "./dom.js";
import { api, ApiError, SignedOut } from "./api.js";
import { t } from "./i18n.js";

/** @import { Changes, Item, ItemVersion, LibraryInfo, SnippetDoc } from "./api.js" */

/** What the Replies tab shows, kept across redraws (language toggle, tab switches). */
const repliesState = { library: "", query: "", key: "" };

/**
 * Every live reply and folder of a library, with each reply's version on the server.
 * @param {string} libraryId
 * @returns {Promise<{replies: Map<string, {doc: SnippetDoc, version: number}>, folders: Map<string, string>}>}
 */
export async function libraryItems(libraryId) {
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
export async function showReplies(section) {
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
        v.suggested_by_name ? el("div", { class: "small suggested-by" }, t("historySuggestedBy", v.suggested_by_name)) : null,
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

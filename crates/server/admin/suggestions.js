// @ts-check
/**
 * The "Suggestions" tab (leads): agents' pending suggestions (建议修改 / 建议新增) with
 * a word diff of the reply now against the proposal (`diff.js`), and for each: accept,
 * edit then accept (title and text), or decline with a reason; below, those decided
 * recently. Accepting sends `if_match` = the version listed: a reply changed meanwhile
 * is a 412, and the list is loaded again so the lead sees the text now first.
 */

import { button, el, field, formatTime, setStatus } from "./dom.js";
import { api, ApiError } from "./api.js";
import { t } from "./i18n.js";
import { wordDiff } from "./diff.js";

/** @import { LibraryInfo, Part, SnippetDoc, Suggestion } from "./api.js" */

/**
 * A reply's text parts, joined by blank lines (images as a marker).
 * @param {SnippetDoc | null | undefined} doc
 */
export function replyText(doc) {
  return (doc?.parts ?? []).map((p) => (p.type === "text" ? p.body : t("historyImage"))).join("\n\n");
}

/**
 * `doc` with its text replaced by `text` (one text part first; its images stay).
 * @param {SnippetDoc} doc
 * @param {string} title
 * @param {string} text
 * @returns {SnippetDoc}
 */
function edited(doc, title, text) {
  /** @type {Part[]} */
  const parts = [{ type: "text", body: text }];
  for (const p of doc.parts ?? []) if (p.type === "image") parts.push(p);
  return { ...doc, title, parts };
}

/**
 * The diff of two texts as `<del>`/`<ins>` runs.
 * @param {string} before
 * @param {string} after
 */
function diffBlock(before, after) {
  const box = el("div", { class: "sugg-diff", "aria-label": t("suggDiffLabel") });
  for (const run of wordDiff(before, after)) {
    box.append(run.op === "same" ? document.createTextNode(run.text) : el(run.op === "del" ? "del" : "ins", {}, run.text));
  }
  return box;
}

/**
 * The last 8 hex digits of an id (what `qreply suggestions` shows too).
 * @param {string} id
 */
function shortId(id) {
  return id.replace(/-/g, "").slice(-8);
}

/** @param {HTMLElement} section */
export async function showSuggestions(section) {
  /** @type {LibraryInfo[]} */
  const libs = await api("GET", "/v1/libraries");
  const names = new Map(libs.map((l) => [l.id, l.name]));
  const card = el("div", { class: "card" }, el("h2", {}, t("suggTitle")), el("p", { class: "muted small" }, t("suggHint")));
  const body = el("div", { id: "sugg-list" });
  card.append(body);
  section.replaceChildren(card);

  const load = async () => {
    /** @type {Suggestion[]} */
    const all = await api("GET", "/v1/suggestions");
    const pending = all.filter((s) => s.status === "pending");
    const decided = all.filter((s) => s.status !== "pending");
    const items = pending.map((s) => pendingCard(s));
    body.replaceChildren(
      el("h3", { id: "sugg-pending-title" }, t("suggPending", pending.length)),
      ...(items.length ? items : [el("p", { id: "sugg-none" }, t("suggNone"))]),
    );
    if (decided.length) {
      body.append(
        el("h3", {}, t("suggDecided")),
        el(
          "ul",
          { class: "sugg-decided", id: "sugg-decided" },
          ...decided.map((s) =>
            el(
              "li",
              { "data-id": s.id, "data-status": s.status },
              el("span", { class: "badge" }, t(`suggStatus_${s.status}`)),
              " ",
              el("strong", {}, s.doc.title),
              el("span", { class: "muted small" }, ` ${s.author_name} · ${s.decided_at ? formatTime(s.decided_at) : ""}`),
              s.comment ? el("div", { class: "small" }, t("suggReply", s.comment)) : null,
            ),
          ),
        ),
      );
    }
  };

  /**
   * @param {Suggestion} s
   * @returns {HTMLElement}
   */
  const pendingCard = (s) => {
    const isNew = s.base_version === 0;
    const now = s.current ?? null;
    const title = s.doc.title;
    const art = el(
      "article",
      { class: "suggestion", "data-id": s.id, "data-short": shortId(s.id), "aria-label": title },
      el(
        "div",
        { class: "version-head" },
        el("strong", {}, title),
        el("span", { class: "badge" }, isNew ? t("suggKindNew") : t("suggKindChange")),
      ),
      el("div", { class: "muted small" }, t("suggBy", s.author_name, s.author_device, names.get(s.library_id) ?? "", formatTime(s.created_at))),
      s.note ? el("div", { class: "sugg-note" }, t("suggNote", s.note)) : null,
    );
    if (!isNew && (s.current_version ?? 0) !== s.base_version) {
      art.append(el("p", { class: "sugg-warn", role: "note" }, now ? t("suggChanged") : t("suggGone")));
    }
    if (now && now.title !== title) art.append(el("div", { class: "small" }, t("suggTitleChange", now.title, title)));
    art.append(diffBlock(replyText(now), replyText(s.doc)));
    const panel = el("div", { class: "sugg-panel" });
    const actions = el(
      "div",
      { class: "sugg-actions" },
      button(t("suggAccept"), () => accept(s, null, ""), { class: "accept", "aria-label": t("suggAcceptLabel", title) }),
      button(t("suggEdit"), () => openEdit(), { class: "ghost edit", "aria-label": t("suggEditLabel", title) }),
      button(t("suggDecline"), () => openDecline(), { class: "ghost decline", "aria-label": t("suggDeclineLabel", title) }),
    );
    art.append(actions, panel);

    const openEdit = () => {
      const titleIn = el("input", { type: "text", class: "sugg-edit-title", value: title, maxlength: "200" });
      const textIn = el("textarea", { class: "sugg-edit-text", rows: "5" });
      textIn.value = replyText(s.doc);
      const comment = el("input", { type: "text", class: "sugg-comment", maxlength: "500" });
      panel.replaceChildren(
        el(
          "form",
          {
            class: "form sugg-form",
            onsubmit: (/** @type {Event} */ ev) => ev.preventDefault(),
            onkeydown: (/** @type {Event} */ ev) => {
              if (/** @type {KeyboardEvent} */ (ev).key === "Escape") close();
            },
          },
          field(t("suggEditTitle"), titleIn),
          field(t("suggEditText"), textIn),
          field(t("suggComment"), comment),
          button(t("suggAcceptEdited"), () => accept(s, edited(s.doc, titleIn.value.trim(), textIn.value), comment.value), { class: "accept-edited" }),
          button(t("suggCancel"), () => close(), { class: "ghost" }),
        ),
      );
      textIn.focus();
    };

    const openDecline = () => {
      const comment = el("textarea", { class: "sugg-decline-comment", rows: "2", maxlength: "500" });
      panel.replaceChildren(
        el(
          "form",
          {
            class: "form sugg-form",
            onsubmit: (/** @type {Event} */ ev) => ev.preventDefault(),
            onkeydown: (/** @type {Event} */ ev) => {
              if (/** @type {KeyboardEvent} */ (ev).key === "Escape") close();
            },
          },
          field(t("suggDeclineComment"), comment),
          button(t("suggConfirmDecline"), () => decline(s, comment.value), { class: "confirm-decline" }),
          button(t("suggCancel"), () => close(), { class: "ghost" }),
        ),
      );
      comment.focus();
    };

    const close = () => {
      panel.replaceChildren();
      /** @type {HTMLElement | null} */ (actions.querySelector("button"))?.focus();
    };
    return art;
  };

  /**
   * @param {Suggestion} s
   * @param {SnippetDoc | null} doc  as the lead edited it
   * @param {string} comment
   */
  const accept = async (s, doc, comment) => {
    try {
      /** @type {Suggestion} */
      const done = await api("POST", `/v1/suggestions/${s.id}/accept`, {
        if_match: s.current_version ?? 0,
        ...(doc ? { doc } : {}),
        ...(comment.trim() ? { comment: comment.trim() } : {}),
      });
      await load();
      setStatus(t("suggAccepted", done.author_name, done.doc.title, done.result_version ?? 0), "ok");
      focusFirst();
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 412) throw e;
      await load();
      setStatus(t("suggConflict", s.doc.title), "error");
      focusFirst();
    }
  };

  /**
   * @param {Suggestion} s
   * @param {string} comment
   */
  const decline = async (s, comment) => {
    if (!comment.trim()) {
      setStatus(t("suggNeedComment"), "error");
      return;
    }
    /** @type {Suggestion} */
    const done = await api("POST", `/v1/suggestions/${s.id}/decline`, { comment: comment.trim() });
    await load();
    setStatus(t("suggDeclinedDone", done.author_name, done.doc.title), "ok");
    focusFirst();
  };

  /** The focus after a decision: the next suggestion, else the heading. */
  const focusFirst = () => {
    const next = /** @type {HTMLElement | null} */ (body.querySelector(".suggestion .accept"));
    if (next) next.focus();
    else {
      const h = /** @type {HTMLElement | null} */ (body.querySelector("#sugg-pending-title"));
      h?.setAttribute("tabindex", "-1");
      h?.focus();
    }
  };

  await load();
}

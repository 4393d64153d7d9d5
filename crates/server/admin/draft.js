// @ts-check
/**
 * A new reply from a search that found nothing (part of the "Usage" tab): "写回复" opens
 * this form under the search, with the search as the title and as a tag (so agents who
 * search it again find the reply); the lead writes the text and saves, and only then is
 * the reply written to the library (an ordinary new item, `If-Match: "0"`). The server
 * refuses a reply without text, and a placeholder text would be sent by any agent who
 * picks it, so nothing half-written ever reaches the agents' panels.
 */

import { button, el, field, select, setStatus } from "./dom.js";
import { api } from "./api.js";
import { t } from "./i18n.js";

/** @import { SnippetDoc } from "./api.js" */

/** A random UUID (version 4), also on plain `http://` where `crypto.randomUUID` is absent. */
function uuid4() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The form that writes a reply for `query` into a library.
 * @param {string} libraryId
 * @param {string} libraryName
 * @param {string} query
 * @param {Map<string, string>} folders  id → name
 * @param {() => void} close  removes the form (after saving or cancelling)
 * @returns {HTMLElement}
 */
export function draftForm(libraryId, libraryName, query, folders, close) {
  const title = el("input", { id: "draft-title", value: query, required: true, autocomplete: "off" });
  const tags = el("input", { id: "draft-tags", value: query, autocomplete: "off" });
  const folder = select(
    "draft-folder",
    [["", t("usageNoFolder")], ...[...folders].sort((a, b) => a[1].localeCompare(b[1]))],
    "",
  );
  const text = el("textarea", { id: "draft-body", rows: 5, placeholder: t("draftBodyPlaceholder") });
  const save = async () => {
    const body = text.value.trim();
    const name = title.value.trim();
    if (!name) {
      setStatus(t("draftNoTitle"), "error");
      title.focus();
      return;
    }
    if (!body) {
      setStatus(t("draftNoBody"), "error");
      text.focus();
      return;
    }
    const id = uuid4();
    /** @type {SnippetDoc} */
    const doc = {
      id,
      folder_id: folder.value || null,
      title: name,
      code: null,
      tags: tags.value.split(/[,，\s]+/).map((s) => s.trim()).filter(Boolean),
      parts: [{ type: "text", body }],
      apps: [],
      position: 0,
    };
    await api("PUT", `/v1/libraries/${libraryId}/items/${id}`, { op: `admin-draft-${uuid4()}`, kind: "snippet", doc }, { "If-Match": '"0"' });
    close();
    setStatus(t("draftSaved", name, libraryName, folder.value ? folders.get(folder.value) ?? "" : t("usageNoFolder")), "ok");
  };
  const form = el(
    "form",
    {
      class: "form draft",
      id: "draft-form",
      "aria-label": t("draftTitle", query),
      onsubmit: (/** @type {Event} */ ev) => {
        ev.preventDefault();
        void save().catch((e) => setStatus(e instanceof Error ? e.message : String(e), "error"));
      },
      onkeydown: (/** @type {Event} */ ev) => {
        if (ev instanceof KeyboardEvent && ev.key === "Escape") {
          ev.preventDefault();
          close();
        }
      },
    },
    el("h4", {}, t("draftTitle", query)),
    el("p", { class: "muted small" }, t("draftHelp", libraryName)),
    field(t("colTitle"), title),
    field(t("draftTags"), tags),
    field(t("colFolder"), folder),
    el("label", { class: "field grow" }, el("span", {}, t("draftBody")), text),
    el("div", { class: "actions" }, el("button", { type: "submit", id: "draft-save" }, t("draftSave")), button(t("draftCancel"), close, { class: "ghost", id: "draft-cancel" })),
  );
  queueMicrotask(() => text.focus());
  return form;
}

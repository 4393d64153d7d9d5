// @ts-check
/**
 * The "Approve sign-in" tab: look up a new computer's sign-in code (`#approve=CODE`,
 * what a phone opens from the QR code) and approve it as one's own device or, for a
 * lead, as a new member; or deny it.
 */

import { button, el, field, formatTime, setStatus } from "./dom.js";
import { api, me } from "./api.js";
import { t } from "./i18n.js";
import { clearHash, hashParams, isLead, setTab, showApp } from "./app.js";

/** @import { Role, SigninInfo } from "./api.js" */

/** @param {HTMLElement} section */
export async function showApprove(section) {
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
    setTab("members");
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
  const deny = button(
    t("deny"),
    async () => {
      await api("POST", "/v1/signin/deny", { code: info.code });
      setStatus(t("denied", info.device_name), "ok");
      clearHash();
      setTab("members");
      showApp();
    },
    { id: "approve-deny", class: "danger" },
  );
  actions.append(deny);
  card.append(el("div", { class: "code" }, info.code), facts, actions);
  // Whoever opened the link reads who asks first: a stray Enter denies, never lets in.
  deny.focus();
}

// @ts-check
/**
 * Invite codes: the "Invite" tab makes one (role, uses, validity) with its QR code and
 * lists the team's open invite and pairing codes (by id, never the code) to cancel one;
 * the join screen (`#join=CODE`, what that QR code opens) explains joining the team.
 */

import { button, byId, el, field, formatTime, qrImage, select, setStatus, showError } from "./dom.js";
import { api, me, SignedOut } from "./api.js";
import { roleName, t } from "./i18n.js";
import { main, polling, translateChrome } from "./app.js";

/** @import { CodeInfo, InviteResponse } from "./api.js" */

/** @param {HTMLElement} section */
export async function showInvite(section) {
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
    await listCodes(codes);
  };
  const codes = el("ul", { class: "devices codes", id: "codes" });
  section.append(
    el("div", { class: "card" }, el("h2", {}, t("inviteTitle")), form, result),
    el("div", { class: "card" }, el("h2", {}, t("codesTitle")), el("p", { class: "muted small" }, t("codesHint")), codes),
  );
  await listCodes(codes);
}

/**
 * Fills `ul` with the team's open codes, each with a cancel button (asks first).
 * @param {HTMLElement} ul
 */
async function listCodes(ul) {
  /** @type {CodeInfo[]} */
  const list = await api("GET", "/v1/codes");
  if (list.length === 0) {
    ul.replaceChildren(el("li", { class: "muted" }, t("codesNone")));
    return;
  }
  ul.replaceChildren(...list.map((c) => codeRow(c, ul)));
}

/**
 * @param {CodeInfo} c
 * @param {HTMLElement} ul  the list, redrawn after a cancel
 */
function codeRow(c, ul) {
  const by =
    c.created_by_name && c.created_by_device
      ? t("codeBy", c.created_by_name, c.created_by_device)
      : c.created_by_name ?? t("codeByServer");
  const details = [
    roleName(c.role),
    t("codeUsesLeft", c.uses_left),
    c.expires_at ? t("codeExpires", formatTime(c.expires_at)) : t("codeNever"),
    by,
  ].join(" · ");
  const actions = el("div", { class: "row" });
  const ask = () => {
    const yes = button(
      t("cancelCodeYes"),
      async () => {
        await api("DELETE", `/v1/codes/${encodeURIComponent(c.id)}`);
        setStatus(t("codeCancelled", c.id), "ok");
        await listCodes(ul);
        ul.querySelector("button")?.focus();
      },
      { class: "danger confirm-cancel-code", "data-id": c.id },
    );
    actions.replaceChildren(
      el("span", { role: "alert" }, t("cancelCodeConfirm", c.id)),
      yes,
      button(
        t("cancel"),
        () => {
          actions.replaceChildren(cancel);
          cancel.focus();
        },
        { class: "ghost" },
      ),
    );
    yes.focus();
  };
  const cancel = button(t("cancelCode"), ask, {
    class: "danger cancel-code",
    "data-id": c.id,
    "aria-label": t("cancelCodeLabel", c.id),
  });
  actions.append(cancel);
  return el(
    "li",
    { class: "code-row", "data-id": c.id, "data-pairing": String(c.pairing), "data-role": c.role },
    el(
      "div",
      { class: "dev-text" },
      el("div", {}, el("code", {}, c.id), " ", el("span", { class: "badge" }, c.pairing ? t("codePairing") : t("codeInvite"))),
      el("div", { class: "muted small" }, details),
    ),
    actions,
  );
}

/** @param {string} code */
export function showJoin(code) {
  polling.stop();
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

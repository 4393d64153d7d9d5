// @ts-check
/**
 * Invite codes: the "Invite" tab makes one (role, uses, validity) with its QR code, and
 * the join screen (`#join=CODE`, what that QR code opens) explains joining the team.
 */

import { byId, el, field, formatTime, qrImage, select, setStatus, showError } from "./dom.js";
import { api, me, SignedOut } from "./api.js";
import { roleName, t } from "./i18n.js";
import { main, polling, translateChrome } from "./app.js";

/** @import { InviteResponse } from "./api.js" */

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
  };
  section.append(el("div", { class: "card" }, el("h2", {}, t("inviteTitle")), form, result));
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

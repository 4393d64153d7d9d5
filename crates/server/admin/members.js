// @ts-check
/**
 * The "Members & devices" tab: devices grouped by member, changing a member's role and
 * removing a member from the team (the owner, with a confirmation), revoking a device;
 * `devices()` and `byMember()` serve the other tabs too.
 */

import { ago, button, el, select, setStatus } from "./dom.js";
import { api, forget, me } from "./api.js";
import { roleName, t } from "./i18n.js";
import { showApp } from "./app.js";
import { showSignin } from "./signin.js";

/** @import { DeviceInfo, Role } from "./api.js" */

/** @returns {Promise<DeviceInfo[]>} */
export async function devices() {
  return api("GET", "/v1/devices");
}

/**
 * Devices grouped by member, members by name.
 * @param {DeviceInfo[]} list
 * @returns {{user_id: string, user_name: string, role: Role, devices: DeviceInfo[]}[]}
 */
export function byMember(list) {
  /** @type {Map<string, {user_id: string, user_name: string, role: Role, devices: DeviceInfo[]}>} */
  const m = new Map();
  for (const d of list) {
    let g = m.get(d.user_id);
    if (!g) {
      g = { user_id: d.user_id, user_name: d.user_name, role: d.role, devices: [] };
      m.set(d.user_id, g);
    }
    g.devices.push(d);
  }
  const order = { owner: 0, editor: 1, agent: 2 };
  return [...m.values()].sort(
    (a, b) => order[a.role] - order[b.role] || a.user_name.localeCompare(b.user_name),
  );
}

/** @param {HTMLElement} section */
export async function showMembers(section) {
  section.append(el("p", { class: "muted" }, t("loading")));
  const list = await devices();
  const card = el(
    "div",
    { class: "card" },
    el(
      "div",
      { class: "member-head" },
      el("h2", {}, t("membersTitle")),
      button(t("refresh"), () => showApp(), { class: "ghost", id: "members-refresh" }),
    ),
  );
  if (me?.role !== "owner") card.append(el("p", { class: "muted small" }, t("onlyOwn")));
  const members = el("div", { class: "members", id: "members" });
  for (const g of byMember(list)) {
    const head = el(
      "div",
      { class: "member-head" },
      el("div", {}, el("span", { class: "member-name" }, g.user_name), " ", el("span", { class: "badge role" }, roleName(g.role))),
    );
    if (me?.role === "owner") {
      const roleSelect = select(
        `role-${g.user_id}`,
        /** @type {Role[]} */ (["owner", "editor", "agent"]).map((r) => [r, roleName(r)]),
        g.role,
      );
      roleSelect.setAttribute("aria-label", t("roleLabel", g.user_name));
      head.append(
        el(
          "div",
          { class: "row" },
          roleSelect,
          button(
            t("saveRole"),
            async () => {
              const role = /** @type {Role} */ (roleSelect.value);
              await api("PUT", `/v1/members/${g.user_id}/role`, { role });
              setStatus(t("roleChanged", g.user_name, roleName(role)), "ok");
              showApp();
            },
            { class: "ghost save-role", "data-user": g.user_id },
          ),
        ),
      );
    }
    const ul = el("ul", { class: "devices" });
    for (const d of g.devices) {
      ul.append(deviceRow(d));
    }
    const article = el("article", { class: "card member", "data-user": g.user_id, "data-name": g.user_name, "data-role": g.role }, head, ul);
    if (me?.role === "owner" && g.user_id !== me.user_id) article.append(removeRow(g));
    members.append(article);
  }
  card.append(members);
  section.replaceChildren(card);
}

/**
 * Removing a member from the team (the owner): asks first, in place.
 * @param {{user_id: string, user_name: string, devices: DeviceInfo[]}} g
 */
function removeRow(g) {
  const actions = el("div", { class: "row remove-row" });
  const active = g.devices.filter((d) => !d.revoked).length;
  const ask = () => {
    const yes = button(
      t("removeYes"),
      async () => {
        await api("DELETE", `/v1/members/${g.user_id}`);
        setStatus(t("removedDone", g.user_name), "ok");
        showApp();
      },
      { class: "danger confirm-remove", "data-user": g.user_id },
    );
    actions.replaceChildren(
      el("span", { role: "alert" }, t("removeConfirm", g.user_name, active)),
      yes,
      button(
        t("cancel"),
        () => {
          actions.replaceChildren(remove);
          remove.focus();
        },
        { class: "ghost cancel-remove" },
      ),
    );
    yes.focus();
  };
  const remove = button(t("removeMember"), ask, { class: "danger remove-member", "data-user": g.user_id });
  actions.append(remove);
  return actions;
}

/** @param {DeviceInfo} d */
function deviceRow(d) {
  const mine = me && d.id === me.device_id;
  const details = [
    d.last_seen ? t("lastSeen", ago(d.last_seen)) : t("neverSeen"),
    d.app_version ? t("version", d.app_version) : "",
  ]
    .filter(Boolean)
    .join(" · ");
  const li = el(
    "li",
    { class: "device", "data-device": d.id, "data-name": d.name },
    el(
      "div",
      { class: "dev-text" },
      el("div", {}, d.name, mine ? t("thisDevice") : "", d.revoked ? el("span", { class: "badge" }, t("revoked")) : null),
      el("div", { class: "muted small" }, details),
    ),
  );
  if (!d.revoked) {
    const actions = el("div", { class: "row" });
    const ask = () => {
      const yes = button(
        t("confirm"),
        async () => {
          await api("DELETE", `/v1/devices/${d.id}`);
          if (mine) {
            forget();
            showSignin(t("revokedDone", d.name));
            return;
          }
          setStatus(t("revokedDone", d.name), "ok");
          showApp();
        },
        { class: "danger confirm-revoke" },
      );
      actions.replaceChildren(
        el("span", {}, t("revokeConfirm", d.name)),
        yes,
        button(t("cancel"), () => actions.replaceChildren(revoke), { class: "ghost" }),
      );
      yes.focus();
    };
    const revoke = button(t("revoke"), ask, { class: "danger revoke" });
    actions.append(revoke);
    li.append(actions);
  }
  return li;
}

// @ts-check
/**
 * The "Sync status" tab: for every device and team library, whether the device has
 * the library's latest changes, is behind, or is offline.
 */

import { ago, button, el } from "./dom.js";
import { api, me } from "./api.js";
import { roleName, t } from "./i18n.js";
import { showApp } from "./app.js";
import { byMember, devices } from "./members.js";

/** @import { DeviceInfo, LibraryInfo, SkippedItem } from "./api.js" */

/** A device is offline when it was last seen longer ago than this. */
const OFFLINE_MS = 2 * 60 * 1000;

/**
 * Where a device stands with a library.
 * @param {DeviceInfo} d
 * @param {LibraryInfo} lib
 * @param {number} now
 * @returns {{state: "ok" | "behind" | "skipped" | "offline" | "unknown", text: string}}
 */
export function syncState(d, lib, now) {
  if (!d.last_seen || now - d.last_seen > OFFLINE_MS) {
    return {
      state: "offline",
      text: d.last_seen ? t("offline", ago(d.last_seen)) : t("offlineNever"),
    };
  }
  const c = d.cursors.find((x) => x.library_id === lib.id);
  if (!c && d.cursors.length === 0) return { state: "unknown", text: t("notReported") };
  const behind = Math.max(0, lib.head - (c ? c.cursor : 0));
  if (behind > 0) return { state: "behind", text: t("behind", behind) };
  const skipped = skippedOf(d, lib).total;
  return skipped > 0
    ? { state: "skipped", text: t("skippedItems", skipped) }
    : { state: "ok", text: t("upToDate") };
}

/**
 * The items a device reported it could not take from a library (an image missing on
 * the server or no image): the ones listed and how many in all.
 * @param {DeviceInfo} d
 * @param {LibraryInfo} lib
 * @returns {{items: SkippedItem[], total: number}}
 */
export function skippedOf(d, lib) {
  const c = d.cursors.find((x) => x.library_id === lib.id);
  const items = c?.skipped ?? [];
  return { items, total: Math.max(c?.skipped_total ?? 0, items.length) };
}

/** @param {HTMLElement} section */
export async function showBoard(section) {
  section.append(el("p", { class: "muted" }, t("loading")));
  const [list, libs] = await Promise.all([
    devices(),
    /** @type {Promise<LibraryInfo[]>} */ (api("GET", "/v1/libraries")),
  ]);
  const team = libs.filter((l) => l.kind === "team");
  const now = Date.now();
  const head = el(
    "div",
    { class: "card" },
    el(
      "div",
      { class: "member-head" },
      el("h2", {}, t("boardTitle")),
      button(t("refresh"), () => showApp(), { class: "ghost", id: "board-refresh" }),
    ),
    el("p", { class: "muted small" }, t("boardHint")),
  );
  if (me?.role !== "owner") head.append(el("p", { class: "muted small" }, t("onlyOwn")));
  if (team.length === 0) {
    head.append(el("p", {}, t("noTeamLibraries")));
    section.replaceChildren(head);
    return;
  }
  const counts = { ok: 0, behind: 0, offline: 0 };
  let skipping = 0;
  const board = el("div", { class: "board", id: "board" });
  for (const g of byMember(list)) {
    for (const d of g.devices) {
      if (d.revoked) continue;
      const rows = el("ul", { class: "sync-list" });
      let worst = "ok";
      let known = false;
      let skips = false;
      for (const lib of team) {
        const s = syncState(d, lib, now);
        if (s.state !== "unknown") known = true;
        if (s.state === "offline") worst = "offline";
        else if (s.state === "behind" && worst !== "offline") worst = "behind";
        const skipped = skippedOf(d, lib);
        if (skipped.total > 0) skips = true;
        rows.append(
          el(
            "li",
            { class: "sync-cell", "data-device": d.id, "data-library": lib.id, "data-state": s.state },
            el("span", {}, lib.name),
            el("span", { class: `state-${s.state === "unknown" ? "offline" : s.state}` }, s.text),
            skippedList(d, lib, skipped.items, skipped.total),
          ),
        );
      }
      if (skips) skipping += 1;
      if (!known) {
        // Never reported (a browser, or a computer that has not synced yet): not counted.
      } else if (worst === "ok") counts.ok += 1;
      else if (worst === "behind") counts.behind += 1;
      else counts.offline += 1;
      const meta = [
        d.app_version ? t("version", d.app_version) : "",
        d.last_seen ? t("lastSeen", ago(d.last_seen)) : t("neverSeen"),
      ]
        .filter(Boolean)
        .join(" · ");
      board.append(
        el(
          "article",
          { class: "card sync-device", "data-device": d.id, "data-name": d.name },
          el("div", { class: "member-name" }, d.name),
          el("div", { class: "muted small" }, `${g.user_name} · ${roleName(g.role)}`),
          el("div", { class: "muted small" }, meta),
          rows,
        ),
      );
    }
  }
  head.append(el("p", { class: "summary", id: "board-summary" }, t("boardSummary", counts.ok, counts.behind, counts.offline)));
  if (skipping > 0) {
    head.append(el("p", { class: "summary state-skipped", id: "board-skipped" }, t("boardSkipped", skipping)));
  }
  section.replaceChildren(head, board);
}

/**
 * The skipped items under a device's library: each title with why; "and N more" when the
 * device listed only some. Nothing when none.
 * @param {DeviceInfo} d
 * @param {LibraryInfo} lib
 * @param {SkippedItem[]} items
 * @param {number} total
 */
function skippedList(d, lib, items, total) {
  if (total === 0) return null;
  const list = el("ul", { class: "skipped-list", "data-device": d.id, "data-library": lib.id });
  for (const s of items) {
    list.append(el("li", { "data-key": s.key }, el("strong", {}, s.title), t("skippedWhy", s.reason)));
  }
  if (total > items.length) list.append(el("li", { class: "muted" }, t("skippedMore", total - items.length)));
  return list;
}

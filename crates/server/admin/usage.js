// @ts-check
/**
 * The "Usage" tab: uses per reply of a team library over 1, 7 or 30 days, for the
 * team or one member: most and least used, per folder, per member, CSV export, and
 * the replies no one fired in 30/60/90 days (`stale.js`, with archiving), and the
 * searches that found nothing (each of the top ones can become a reply: `draft.js`).
 */

import { button, el, field, select, showError } from "./dom.js";
import { api, SignedOut } from "./api.js";
import { t } from "./i18n.js";
import { barChart, downloadCsv } from "./charts.js";
import { missedSection } from "./missed.js";
import { byMember, devices } from "./members.js";
import { libraryItems } from "./replies.js";
import { staleSection } from "./stale.js";
import { draftForm } from "./draft.js";

/** @import { LibraryInfo, MissedTotal, UsageTotal } from "./api.js" */

/**
 * Titles and folders of a library's replies, from its change feed.
 * @param {string} libraryId
 * @returns {Promise<{snippets: Map<string, {title: string, folder: string | null}>, folders: Map<string, string>}>}
 */
async function catalogue(libraryId) {
  const { replies, folders } = await libraryItems(libraryId);
  /** @type {Map<string, {title: string, folder: string | null}>} */
  const snippets = new Map();
  for (const [key, r] of replies) {
    snippets.set(key, { title: String(r.doc.title ?? ""), folder: r.doc.folder_id ?? null });
  }
  return { snippets, folders };
}

/**
 * @typedef {{key: string, title: string, folder: string, count: number, devices: number}} UsageRow
 */

/** @param {HTMLElement} section */
export async function showUsage(section) {
  const [libs, list] = await Promise.all([
    /** @type {Promise<LibraryInfo[]>} */ (api("GET", "/v1/libraries")),
    devices(),
  ]);
  const team = libs.filter((l) => l.kind === "team" && l.writable);
  const card = el("div", { class: "card" }, el("h2", {}, t("usageTitle")));
  section.replaceChildren(card);
  if (team.length === 0) {
    card.append(el("p", {}, t("usageNoLibrary")));
    return;
  }
  const members = byMember(list);
  const lib = select(
    "usage-library",
    team.map((l) => [l.id, l.name]),
  );
  const days = select(
    "usage-days",
    [1, 7, 30].map((n) => [String(n), t("daysN", n)]),
    "7",
  );
  const who = select("usage-member", [["", t("usageAll")], ...members.map((m) => /** @type {[string, string]} */ ([m.user_id, m.user_name]))], "");
  const out = el("div", { id: "usage-result" });
  /** @type {UsageRow[]} */
  let current = [];
  const exportButton = button(
    t("usageExport"),
    () => {
      const libName = team.find((l) => l.id === lib.value)?.name ?? "library";
      downloadCsv(`usage-${libName}-${days.value}d.csv`, [
        [t("colTitle"), t("colFolder"), t("colCount"), t("colDevices"), "key"],
        ...current.map((r) => [r.title, r.folder, r.count, r.devices, r.key]),
      ]);
    },
    { class: "ghost", id: "usage-export" },
  );
  const load = async () => {
    out.replaceChildren(el("p", { class: "muted" }, t("loading")));
    const userParam = who.value ? `&user=${encodeURIComponent(who.value)}` : "";
    const [totals, cat, missed] = await Promise.all([
      /** @type {Promise<UsageTotal[]>} */ (api("GET", `/v1/libraries/${lib.value}/usage?days=${days.value}${userParam}`)),
      catalogue(lib.value),
      /** @type {Promise<MissedTotal[]>} */ (api("GET", `/v1/missed?days=${days.value}${userParam}`)),
    ]);
    /** @type {Map<string, UsageRow>} */
    const rows = new Map();
    for (const [key, s] of cat.snippets) {
      rows.set(key, {
        key,
        title: s.title,
        folder: s.folder ? cat.folders.get(s.folder) ?? t("usageNoFolder") : t("usageNoFolder"),
        count: 0,
        devices: 0,
      });
    }
    for (const u of totals) {
      const r = rows.get(u.key) ?? { key: u.key, title: `${u.key.slice(0, 8)} ${t("usageDeleted")}`, folder: "", count: 0, devices: 0 };
      r.count = u.count;
      r.devices = u.devices;
      rows.set(u.key, r);
    }
    current = [...rows.values()].sort((a, b) => b.count - a.count || a.title.localeCompare(b.title));
    const total = current.reduce((n, r) => n + r.count, 0);
    /** @type {HTMLElement[]} */
    const parts = [el("p", { class: "summary", id: "usage-summary" }, t("usageTotal", total, current.length))];
    if (total === 0) parts.push(el("p", { id: "usage-none" }, t("usageNone")));
    const most = current.filter((r) => r.count > 0).slice(0, 10);
    const least = [...current].reverse().slice(0, 10);
    const charts = el("div", { class: "grid2" });
    if (most.length > 0) {
      charts.append(
        el("div", {}, el("h3", {}, t("usageMost")), barChart("usage-most", t("chartLabel", t("usageMost")), most.map((r) => ({ label: r.title, value: r.count })))),
      );
    }
    if (least.length > 0) {
      charts.append(
        el("div", {}, el("h3", {}, t("usageLeast")), barChart("usage-least", t("chartLabel", t("usageLeast")), least.map((r) => ({ label: r.title, value: r.count })), true)),
      );
    }
    parts.push(charts);
    /** @type {Map<string, number>} */
    const perFolder = new Map();
    for (const r of current) perFolder.set(r.folder || t("usageNoFolder"), (perFolder.get(r.folder || t("usageNoFolder")) ?? 0) + r.count);
    const folderRows = [...perFolder.entries()].sort((a, b) => b[1] - a[1]);
    const tables = el("div", { class: "grid2" });
    tables.append(
      el(
        "div",
        { class: "table-wrap" },
        el("h3", {}, t("usageFolders")),
        el(
          "table",
          { id: "usage-folders" },
          el("thead", {}, el("tr", {}, el("th", {}, t("colFolder")), el("th", { class: "num" }, t("colCount")))),
          el("tbody", {}, ...folderRows.map(([f, n]) => el("tr", {}, el("td", {}, f), el("td", { class: "num" }, String(n))))),
        ),
      ),
    );
    if (!who.value && members.length > 0) {
      const perMember = await Promise.all(
        members.map(async (m) => {
          /** @type {UsageTotal[]} */
          const mt = await api("GET", `/v1/libraries/${lib.value}/usage?days=${days.value}&user=${encodeURIComponent(m.user_id)}`);
          return { name: m.user_name, count: mt.reduce((n, x) => n + x.count, 0) };
        }),
      );
      perMember.sort((a, b) => b.count - a.count);
      tables.append(
        el(
          "div",
          {},
          el("h3", {}, t("usageMembers")),
          barChart("usage-members", t("chartLabel", t("usageMembers")), perMember.map((m) => ({ label: m.name, value: m.count }))),
        ),
      );
    }
    const libName = team.find((l) => l.id === lib.value)?.name ?? "";
    const libId = lib.value;
    /** @param {string} query */
    const write = (query) =>
      draftForm(libId, libName, query, cat.folders, () => {
        document.getElementById("draft-form")?.remove();
        document.getElementById("missed-top")?.querySelector("button")?.focus();
      });
    parts.push(tables, staleSection(libId), missedSection(missed, days.value, write));
    out.replaceChildren(...parts);
  };
  const form = el(
    "form",
    {
      class: "form",
      onsubmit: (/** @type {Event} */ ev) => {
        ev.preventDefault();
        void load().catch((e) => {
          if (!(e instanceof SignedOut)) showError(e);
        });
      },
    },
    field(t("usageLibrary"), lib),
    field(t("usageDays"), days),
    field(t("usageMember"), who),
    el("button", { type: "submit", id: "usage-load" }, t("usageLoad")),
    exportButton,
  );
  card.append(form, out);
  await load();
}

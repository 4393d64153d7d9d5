// @ts-check
/**
 * Searches that found nothing (part of the "Usage" tab): the team's most searched
 * words without a reply, as a bar chart, with CSV export, and for the most searched a
 * "写回复" button that opens a new reply for it (`draft.js`).
 */

import { button, el } from "./dom.js";
import { t } from "./i18n.js";
import { barChart, downloadCsv } from "./charts.js";

/** @import { MissedTotal } from "./api.js" */

/**
 * The team's searches that found nothing: a bar chart of the most searched, CSV export.
 * @param {MissedTotal[]} missed
 * @param {string} days
 * @param {(query: string) => HTMLElement} [write]  the form that writes a reply for a search
 */
export function missedSection(missed, days, write) {
  const rows = [...missed].sort((a, b) => b.count - a.count || a.query.localeCompare(b.query));
  const total = rows.reduce((n, r) => n + r.count, 0);
  const head = el(
    "div",
    { class: "member-head" },
    el("h3", {}, t("missedTitle")),
    rows.length > 0
      ? button(
          t("missedExport"),
          () =>
            downloadCsv(`missed-searches-${days}d.csv`, [
              [t("colQuery"), t("colCount"), t("colDevices")],
              ...rows.map((r) => [r.query, r.count, r.devices]),
            ]),
          { class: "ghost", id: "missed-export" },
        )
      : null,
  );
  const box = el("div", { id: "usage-missed-section", class: "missed" }, head, el("p", { class: "muted small" }, t("missedHint")));
  if (rows.length === 0) {
    box.append(el("p", { id: "missed-none" }, t("missedNone")));
    return box;
  }
  box.append(
    el("p", { class: "summary", id: "missed-summary" }, t("missedSummary", rows.length, total)),
    barChart("usage-missed", t("missedChart"), rows.slice(0, 20).map((r) => ({ label: r.query, value: r.count }))),
  );
  if (write) {
    const form = el("div", { id: "missed-draft" });
    const list = el(
      "ol",
      { id: "missed-top", class: "missed-top" },
      ...rows.slice(0, 10).map((r, i) =>
        el(
          "li",
          {},
          el("span", {}, t("missedRow", r.query, r.count)),
          " ",
          button(t("missedWrite"), () => form.replaceChildren(write(r.query)), {
            class: "ghost",
            id: `missed-write-${i}`,
            "aria-label": t("missedWriteLabel", r.query),
          }),
        ),
      ),
    );
    box.append(el("h4", {}, t("missedTop")), list, form);
  }
  return box;
}

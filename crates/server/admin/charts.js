// @ts-check
/**
 * Showing and exporting numbers: a horizontal SVG bar chart, and tables downloaded as
 * CSV files (safe from spreadsheet formula injection).
 */

import { el, setStatus, svg } from "./dom.js";
import { t } from "./i18n.js";

/**
 * A horizontal bar chart.
 * @param {string} id
 * @param {string} label
 * @param {{label: string, value: number}[]} rows
 * @param {boolean} [low]  drawn in the muted colour
 * @returns {SVGElement}
 */
export function barChart(id, label, rows, low = false) {
  const rowH = 26;
  const width = 420;
  const labelW = 150;
  const countW = 40;
  const max = Math.max(1, ...rows.map((r) => r.value));
  const height = Math.max(rowH, rows.length * rowH);
  const chart = svg("svg", {
    id,
    class: "chart",
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": label,
    preserveAspectRatio: "xMinYMin meet",
  });
  chart.append(svg("title", {}, label));
  rows.forEach((r, i) => {
    const y = i * rowH;
    const w = Math.max(r.value > 0 ? 3 : 0, ((width - labelW - countW) * r.value) / max);
    const name = r.label.length > 10 ? `${r.label.slice(0, 9)}…` : r.label;
    const g = svg("g", { class: "row" });
    g.append(
      svg("text", { x: 0, y: y + 18 }, name),
      svg("rect", { class: low ? "bar low" : "bar", x: labelW, y: y + 5, width: w.toFixed(1), height: rowH - 10, rx: 3 }),
      svg("text", { class: "count", x: labelW + w + 6, y: y + 18 }, String(r.value)),
    );
    g.append(svg("title", {}, `${r.label}: ${r.value}`));
    chart.append(g);
  });
  return chart;
}

/**
 * A CSV cell, safe from spreadsheet formula injection.
 * @param {string | number} v
 */
function csvCell(v) {
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Downloads rows as a CSV file (UTF-8 with BOM, for spreadsheet apps).
 * @param {string} name
 * @param {(string | number)[][]} rows
 */
export function downloadCsv(name, rows) {
  const text = `\uFEFF${rows.map((r) => r.map(csvCell).join(",")).join("\r\n")}\r\n`;
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  const a = el("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  setStatus(t("exported", name), "ok");
}

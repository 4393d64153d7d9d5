// The editor's reply tree: its rows (folders and replies, filtered by the search box) and
// the window of them that is drawn. A library of 100 000 replies must not become 100 000
// DOM rows: every row has the same height, so which rows are visible follows from the
// scroll position alone, and only those (and a few around them) are rendered.

import type { DatedView } from "./api";

export interface TreeReply {
  id: string;
  title: string;
  code: string | null;
  folder: string;
  parts: number;
  /** Set when its 生效 / 失效 (or its folder's) bound it. */
  dates?: DatedView;
}

/** Out-of-date replies are listed apart, at the end: 未生效 then 已过期. */
export type DateGroup = "upcoming" | "expired";

export type Row =
  | { kind: "folder"; folder: string; key: string }
  | { kind: "group"; group: DateGroup; key: string }
  | { kind: "reply"; reply: TreeReply; folder: string; key: string };

/** Whether a reply is hidden from the panel now (and so listed in a date group). */
export function dateGroup(r: TreeReply): DateGroup | null {
  const s = r.dates?.status;
  return s === "upcoming" || s === "expired" ? s : null;
}

/** A reply's window as a short label: `2026-11-01 → 2026-11-12`, open sides as `…`. */
export function datesLabel(d: DatedView): string {
  return `${d.start ?? "…"} → ${d.end ?? "…"}`;
}

/** The rows of the tree: each folder (the root first, then `folders` in order, then any
 *  other folder a reply names) followed by its replies; a folder without replies is
 *  shown too (a drop target), except the root. With `matches` (ids from the search box,
 *  best first) only those replies, folders ordered by their best match and replies by
 *  rank, empty folders left out. Replies outside their dates (see [`dateGroup`]) are not
 *  in their folder but at the end, under 未生效 and 已过期 (each keeps its folder, so a
 *  drop on it still lands there). */
export function treeRows(replies: TreeReply[], folders: string[], matches: string[] | null): Row[] {
  const rows: Row[] = [];
  const apart: Record<DateGroup, TreeReply[]> = { upcoming: [], expired: [] };
  const inGroup = (r: TreeReply) => {
    const g = dateGroup(r);
    if (g) apart[g].push(r);
    return g !== null;
  };
  const groups = () => {
    for (const g of ["upcoming", "expired"] as const) {
      if (apart[g].length === 0) continue;
      rows.push({ kind: "group", group: g, key: `g:${g}` });
      for (const r of apart[g]) rows.push({ kind: "reply", reply: r, folder: r.folder, key: r.id });
    }
  };
  const push = (folder: string, rs: TreeReply[]) => {
    rows.push({ kind: "folder", folder, key: `f:${folder}` });
    for (const r of rs) rows.push({ kind: "reply", reply: r, folder, key: r.id });
  };
  if (matches) {
    const byId = new Map(replies.map((r) => [r.id, r]));
    const grouped = new Map<string, TreeReply[]>();
    for (const id of matches) {
      const r = byId.get(id);
      if (!r || inGroup(r)) continue;
      const list = grouped.get(r.folder);
      if (list) list.push(r);
      else grouped.set(r.folder, [r]);
    }
    for (const [folder, rs] of grouped) push(folder, rs);
    groups();
    return rows;
  }
  const grouped = new Map<string, TreeReply[]>([["", []]]);
  for (const f of folders) if (!grouped.has(f)) grouped.set(f, []);
  for (const r of replies) {
    if (inGroup(r)) continue;
    const list = grouped.get(r.folder);
    if (list) list.push(r);
    else grouped.set(r.folder, [r]);
  }
  for (const [folder, rs] of grouped) if (folder !== "" || rs.length > 0) push(folder, rs);
  groups();
  return rows;
}

export interface Window {
  /** First row drawn (inclusive). */
  start: number;
  /** Past the last row drawn. */
  end: number;
  /** Height of the rows above the window, and below it, in pixels. */
  before: number;
  after: number;
}

/** The rows to draw for a list of `count` rows of `rowHeight` pixels scrolled to
 *  `scrollTop` in a viewport `viewHeight` high, with `overscan` rows more on each side
 *  (so that a quick scroll shows no gap before the next frame). */
export function visibleWindow(count: number, rowHeight: number, scrollTop: number, viewHeight: number, overscan = 8): Window {
  if (count <= 0 || rowHeight <= 0) return { start: 0, end: 0, before: 0, after: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const shown = Math.ceil(Math.max(viewHeight, rowHeight) / rowHeight) + 1;
  const start = Math.min(Math.max(0, first - overscan), count);
  const end = Math.min(count, first + shown + overscan);
  return { start, end, before: start * rowHeight, after: (count - end) * rowHeight };
}

/** Where to scroll so that row `index` is fully visible, moving as little as possible
 *  (the scroll position unchanged when it already is); scrolling up, the `above` rows
 *  before it come into view too (the folder heading of a folder's first reply). */
export function scrollToShow(index: number, rowHeight: number, scrollTop: number, viewHeight: number, above = 0): number {
  const top = Math.max(0, index - above) * rowHeight;
  const bottom = top + rowHeight;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewHeight) return Math.max(0, bottom - viewHeight);
  return scrollTop;
}

/** The reply `by` replies after (or before) `current` in `rows`, kept within the first and
 *  last; the first reply when `current` is not among them. `null` without replies. */
export function stepReply(rows: Row[], current: string | null, by: number): string | null {
  const ids: string[] = [];
  for (const r of rows) if (r.kind === "reply") ids.push(r.reply.id);
  if (ids.length === 0) return null;
  const at = current === null ? -1 : ids.indexOf(current);
  if (at < 0) return ids[0] ?? null;
  return ids[Math.min(Math.max(at + by, 0), ids.length - 1)] ?? null;
}

/** How many rows right above row `index` belong with it: its folder's (or date group's)
 *  heading when it is the first reply under it. */
export function headingAbove(rows: Row[], index: number): number {
  const above = rows[index - 1]?.kind;
  return index > 0 && (above === "folder" || above === "group") ? 1 : 0;
}

/** The index in `rows` of the reply `id`, -1 when it is not shown. */
export function rowOf(rows: Row[], id: string | null): number {
  if (id === null) return -1;
  return rows.findIndex((r) => r.kind === "reply" && r.reply.id === id);
}
